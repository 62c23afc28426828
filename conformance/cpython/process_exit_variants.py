"""Twin: exit codes process_exitcodes does not cover, under each start
method: SystemExit with a message (1), SystemExit(0), codes outside 0..255
(256 -> 0, -1 -> 255), a child ended by its own signal (SIGUSR1 -> -10,
SIGABRT -> -6), a signal sent from the parent (SIGHUP -> -1), and
is_alive/exitcode while the child still runs (seed 000 §1.1;
Lib/multiprocessing/process.py _bootstrap, popen_fork.py poll)."""
import multiprocessing as mp
import os
import signal
import sys
import time

from twinlib import line


def exits(code):
    sys.exit(code)


def exits_with_message():
    sys.exit("fatal: giving up")


def own_signal(signum):
    os.kill(os.getpid(), signum)
    time.sleep(10)


def waits():
    time.sleep(60)


if __name__ == "__main__":
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        cases = [("SystemExit('fatal: giving up')", exits_with_message, ()), ("SystemExit(0)", exits, (0,)),
                 ("SystemExit(256)", exits, (256,)), ("SystemExit(-1)", exits, (-1,)),
                 ("SystemExit(255)", exits, (255,)),
                 ("own SIGUSR1", own_signal, (signal.SIGUSR1,)), ("own SIGABRT", own_signal, (signal.SIGABRT,))]
        for label, fn, args in cases:
            p = ctx.Process(target=fn, args=args)
            p.start()
            p.join()
            line(method, " ", label, ": exitcode=", p.exitcode)
        p = ctx.Process(target=waits)
        p.start()
        line(method, " running: is_alive=", p.is_alive(), " exitcode=", p.exitcode)
        os.kill(p.pid, signal.SIGHUP)
        p.join()
        line(method, " SIGHUP from the parent: exitcode=", p.exitcode, " is_alive=", p.is_alive())
