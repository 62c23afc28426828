"""Twin: Popen's options — a two-process pipeline (one's stdout as the
other's stdin), env replacing the environment (PATH search without PATH),
cwd, shell=True with a pipe, executable= keeping argv[0], arguments with
spaces and quotes passed verbatim, Popen.args (seed 004 §1.4
"拓展之subprocess"; CPython Lib/subprocess.py Popen.__init__, _execute_child)."""
import subprocess

from twinlib import line

if __name__ == "__main__":
    p1 = subprocess.Popen(["printf", "b\\na\\nc\\n"], stdout=subprocess.PIPE)
    p2 = subprocess.Popen(["sort"], stdin=p1.stdout, stdout=subprocess.PIPE)
    p1.stdout.close()
    out, err = p2.communicate()
    line("pipeline: ", repr(out), " ", repr(err), " returncodes: ", p1.wait(), " ", p2.returncode)

    cp = subprocess.run(["sh", "-c", "echo $ONLY ${HOME-unset}"], env={"ONLY": "x"}, capture_output=True)
    line("env replaces the environment: ", repr(cp.stdout))
    cp = subprocess.run(["pwd"], cwd="/", capture_output=True)
    line("cwd: ", repr(cp.stdout))
    cp = subprocess.run("echo hi there | tr a-z A-Z", shell=True, capture_output=True)
    line("shell pipe: ", repr(cp.stdout), " args=", repr(cp.args))
    cp = subprocess.run(["my-name", "-c", "echo $0"], executable="sh", capture_output=True)
    line("executable keeps argv[0]: ", repr(cp.stdout))
    cp = subprocess.run(["printf", "%s|", "a b", "it's", 'say "hi"', "", "$HOME"], capture_output=True)
    line("arguments verbatim: ", repr(cp.stdout))
    p = subprocess.Popen(["true"])
    line("Popen.args: ", p.args, " returncode before wait: ", p.returncode)
    p.wait()
    p = subprocess.Popen("exit 3", shell=True)
    line("Popen.args of a shell string: ", repr(p.args), " wait: ", p.wait())
    p = subprocess.Popen(["sh", "-c", "echo to-err >&2"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    line("stdout/stderr handles: stdin=", p.stdin, " stdout=", p.stdout, " stderr read=", repr(p.stderr.read()))
    p.wait()
    p.stderr.close()
