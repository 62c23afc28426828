"""Twin: subprocess exceptions — FileNotFoundError for a missing program and
a missing cwd, TimeoutExpired texts from run/Popen.wait/communicate (run
kills the child, Popen leaves it running), output kept on timeout, argument
errors (input with stdin, capture_output with stdout, check_output with
stdout, empty args), communicate twice with input (seed 004 §1.4; CPython
Lib/subprocess.py run, TimeoutExpired.__str__, Popen._execute_child,
communicate)."""
import subprocess
import time

from twinlib import describe, line

if __name__ == "__main__":
    line("missing program: ", describe(lambda: subprocess.run(["no-such-program-xyz", "arg"])))
    line("missing program by path: ", describe(lambda: subprocess.run(["./no-such-program-xyz"])))
    line("missing cwd: ", describe(lambda: subprocess.run(["true"], cwd="/no/such/dir")))
    line("empty args: ", describe(lambda: subprocess.run([])))
    line("input and stdin: ",
         describe(lambda: subprocess.run(["cat"], input=b"x", stdin=subprocess.DEVNULL)))
    line("capture_output and stdout: ",
         describe(lambda: subprocess.run(["true"], capture_output=True, stdout=subprocess.PIPE)))
    line("check_output and stdout: ",
         describe(lambda: subprocess.check_output(["true"], stdout=subprocess.PIPE)))

    t0 = time.monotonic()
    try:
        subprocess.run(["sh", "-c", "echo started; exec sleep 30"], timeout=0.5, stdout=subprocess.PIPE)
    except subprocess.TimeoutExpired as e:
        line("run timeout: TimeoutExpired: ", e, " output=", repr(e.output), " stderr=", repr(e.stderr),
             " timeout=", e.timeout)
    line("run timeout killed the child quickly: ", time.monotonic() - t0 < 10)
    line("call timeout: ", describe(lambda: subprocess.call(["sleep", "30"], timeout=0.25)))
    # With a PIPE the text carries the timeout given (without one, CPython's
    # wait() reports the time that was left, a racy value).
    line("shell string timeout: ",
         describe(lambda: subprocess.run("exec sleep 30", shell=True, timeout=0.25, capture_output=True)))

    p = subprocess.Popen(["sleep", "30"])
    line("Popen.wait timeout: ", describe(lambda: p.wait(timeout=0.2)))
    line("child still running: poll=", p.poll())
    p.kill()
    line("then killed: ", p.wait())

    p = subprocess.Popen(["sh", "-c", "echo first; exec sleep 30"], stdout=subprocess.PIPE, stdin=subprocess.PIPE)
    try:
        p.communicate(input=b"data", timeout=0.5)
    except subprocess.TimeoutExpired as e:
        line("communicate timeout: TimeoutExpired: ", e, " output=", repr(e.output))
    line("communicate again with input: ", describe(lambda: p.communicate(input=b"more", timeout=0.1)))
    p.kill()
    out, err = p.communicate()
    line("communicate after kill: out=", repr(out), " err=", repr(err), " returncode=", p.returncode)
    line("CalledProcessError and TimeoutExpired are SubprocessErrors: ",
         issubclass(subprocess.CalledProcessError, subprocess.SubprocessError), " ",
         issubclass(subprocess.TimeoutExpired, subprocess.SubprocessError))
