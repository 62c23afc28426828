"""Twin: subprocess input and output — capture_output, input, bytes and
text mode (universal newlines), stderr=STDOUT, DEVNULL, Popen pipes with
readline and write, communicate() twice and after the child ended (seed 004
§1.4 "拓展之subprocess"; CPython Lib/subprocess.py run, Popen.communicate,
CompletedProcess.__repr__)."""
import subprocess

from twinlib import line

if __name__ == "__main__":
    cp = subprocess.run(["sh", "-c", "echo out; echo err >&2"], capture_output=True)
    line("capture_output: ", repr(cp))
    cp = subprocess.run(["sh", "-c", "echo out; echo err >&2"], capture_output=True, text=True)
    line("capture_output text: ", repr(cp))
    cp = subprocess.run(["cat"], input=b"line 1\nline 2\n", capture_output=True)
    line("input bytes: stdout=", repr(cp.stdout), " stderr=", repr(cp.stderr))
    cp = subprocess.run(["cat"], input="caf\u00e9\n", capture_output=True, text=True)
    line("input text: stdout=", repr(cp.stdout))
    cp = subprocess.run(["printf", "a\\r\\nb\\rc\\n"], stdout=subprocess.PIPE)
    line("CRLF as bytes: ", repr(cp.stdout))
    cp = subprocess.run(["printf", "a\\r\\nb\\rc\\n"], stdout=subprocess.PIPE, text=True)
    line("CRLF as text: ", repr(cp.stdout))
    cp = subprocess.run(["sh", "-c", "echo one; echo two >&2; echo three"], stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT)
    line("stderr=STDOUT: stdout=", repr(cp.stdout), " stderr=", repr(cp.stderr))
    cp = subprocess.run(["sh", "-c", "echo hidden; echo shown >&2"], stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE)
    line("stdout=DEVNULL: ", repr(cp))
    cp = subprocess.run(["cat"], input=b"", capture_output=True)
    line("empty input: ", repr(cp.stdout))
    cp = subprocess.run(["head", "-c", "3"], input=b"x" * 200000, capture_output=True)
    line("child reads less than the input: stdout=", repr(cp.stdout), " returncode=", cp.returncode)
    big = subprocess.run(["sh", "-c", "head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2"],
                         capture_output=True)
    line("large outputs on both pipes: ", len(big.stdout), " ", len(big.stderr))

    p = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    p.stdin.write(b"first\n")
    p.stdin.flush()
    line("Popen readline: ", repr(p.stdout.readline()))
    out, err = p.communicate(b"rest\n")
    line("communicate: out=", repr(out), " err=", repr(err), " returncode=", p.returncode)
    line("communicate again: ", p.communicate())

    p = subprocess.Popen(["sh", "-c", "printf 'x\\r\\ny'"], stdout=subprocess.PIPE, text=True)
    line("Popen text read: ", repr(p.stdout.read()))
    p.wait()
    p = subprocess.Popen(["true"])
    line("communicate without pipes: ", p.communicate(), " returncode=", p.returncode)
