"""Twin: the shell and the older output helpers — getstatusoutput of a
missing command (127) and of a multi-line output, getoutput stripping one
newline only, check_output with text and input, stdin=DEVNULL, universal
newlines on stderr, a shell command's exit status and signal, timeout=0
(seed 004 §1.4 "拓展之subprocess": getoutput/getstatusoutput; CPython
Lib/subprocess.py getstatusoutput, check_output, run)."""
import subprocess

from twinlib import describe, line

if __name__ == "__main__":
    status, out = subprocess.getstatusoutput("no-such-command-xyz")
    line("missing command: status=", status, " mentions it: ", "no-such-command-xyz" in out)
    line("multi-line: ", subprocess.getstatusoutput("printf 'a\\n\\nb\\n\\n'"))
    line("getoutput strips one newline: ", repr(subprocess.getoutput("printf 'x\\n\\n'")))
    line("getoutput of nothing: ", repr(subprocess.getoutput("true")))
    line("check_output text with input: ",
         repr(subprocess.check_output(["tr", "a-z", "A-Z"], input="shout\n", text=True)))
    line("check_output stderr passes through, stdout kept: ",
         repr(subprocess.check_output(["sh", "-c", "echo out; echo err >&2"], stderr=subprocess.DEVNULL)))
    cp = subprocess.run(["cat"], stdin=subprocess.DEVNULL, capture_output=True)
    line("stdin=DEVNULL: ", repr(cp.stdout), " returncode=", cp.returncode)
    cp = subprocess.run(["sh", "-c", "printf 'e1\\r\\ne2\\r' >&2"], capture_output=True, text=True)
    line("text stderr: ", repr(cp.stderr))
    cp = subprocess.run("exit 42", shell=True)
    line("shell exit 42: ", cp.returncode)
    cp = subprocess.run("kill -INT $$", shell=True)
    line("shell killed by SIGINT: ", cp.returncode)
    line("timeout=0.0: ", describe(lambda: subprocess.run(["sleep", "5"], timeout=0.0, capture_output=True)))
    line("check=True with capture: ",
         describe(lambda: subprocess.run(["sh", "-c", "echo o; echo e >&2; exit 1"], capture_output=True, check=True)))
    try:
        subprocess.run(["sh", "-c", "echo o; echo e >&2; exit 1"], capture_output=True, check=True)
    except subprocess.CalledProcessError as e:
        line("  its output=", repr(e.output), " stderr=", repr(e.stderr), " stdout is output: ", e.stdout == e.output)
