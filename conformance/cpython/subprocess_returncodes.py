"""Twin: subprocess return codes — run/call/check_call/check_output,
getstatusoutput, Popen poll/wait/returncode, 0 / non-zero / -signal,
CalledProcessError texts for an exit status and for a signal, CompletedProcess
repr and check_returncode (seed 004 §1.4 "拓展之subprocess"; CPython
Lib/subprocess.py run, CalledProcessError.__str__, Popen._handle_exitstatus)."""
import signal
import subprocess

from twinlib import describe, line

if __name__ == "__main__":
    for args in (["true"], ["false"], ["sh", "-c", "exit 7"], ["sh", "-c", "kill -TERM $$"],
                 ["sh", "-c", "kill -KILL $$"]):
        cp = subprocess.run(args)
        line("run ", args, ": returncode=", cp.returncode, " ", repr(cp))
    cp = subprocess.run("exit 4", shell=True)
    line("run shell string: ", repr(cp))
    line("check_returncode 4: ", describe(cp.check_returncode))
    line("check_returncode 0: ", describe(subprocess.run(["true"]).check_returncode))
    line("run check=True exit 3: ", describe(lambda: subprocess.run(["sh", "-c", "exit 3"], check=True)))
    line("run check=True SIGTERM: ", describe(lambda: subprocess.run(["sh", "-c", "kill -TERM $$"], check=True)))
    line("run check=True SIGKILL: ", describe(lambda: subprocess.run("kill -9 $$", shell=True, check=True)))
    line("run check=True exit 0: ", describe(lambda: subprocess.run(["true"], check=True)))
    line("call exit 5: ", subprocess.call(["sh", "-c", "exit 5"]))
    line("check_call exit 6: ", describe(lambda: subprocess.check_call(["sh", "-c", "exit 6"])))
    line("check_output: ", repr(subprocess.check_output(["echo", "hi"])))
    try:
        subprocess.check_output(["sh", "-c", "echo partial; exit 2"])
    except subprocess.CalledProcessError as e:
        line("check_output failing: ", type(e).__name__, ": ", e, " returncode=", e.returncode,
             " output=", repr(e.output), " stderr=", repr(e.stderr), " cmd=", e.cmd)
    line("getstatusoutput exit 3: ", subprocess.getstatusoutput("echo out; echo err >&2; exit 3"))
    line("getstatusoutput signal: ", subprocess.getstatusoutput("kill -TERM $$"))
    line("getoutput: ", repr(subprocess.getoutput("printf 'a\\nb\\n'")))

    p = subprocess.Popen(["sleep", "30"])
    line("Popen running: poll=", p.poll(), " returncode=", p.returncode)
    p.terminate()
    line("after terminate: wait=", p.wait(), " returncode=", p.returncode, " poll=", p.poll())
    p = subprocess.Popen(["sleep", "30"])
    p.kill()
    line("after kill: wait=", p.wait())
    p = subprocess.Popen(["sleep", "30"])
    p.send_signal(signal.SIGINT)
    line("after SIGINT: wait=", p.wait())
    line("send_signal after reaping: ", describe(lambda: p.send_signal(signal.SIGTERM)), " returncode=", p.returncode)
    p = subprocess.Popen(["sh", "-c", "exit 9"])
    line("Popen exit 9: wait=", p.wait(), " wait again=", p.wait())
