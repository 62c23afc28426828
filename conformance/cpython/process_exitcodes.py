"""Twin: Process exit codes under each start method (seed 000 §1.1;
Lib/multiprocessing/process.py _bootstrap, popen_fork.py poll)."""
import multiprocessing as mp
import sys
import time

from twinlib import line


def ok():
    pass


def exits(code):
    sys.exit(code)


def raises():
    raise ValueError("boom")


def sleeps():
    time.sleep(60)


if __name__ == "__main__":
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        cases = [("return", ok, ()), ("SystemExit(3)", exits, (3,)), ("SystemExit()", exits, (None,)),
                 ("raise ValueError", raises, ())]
        for label, fn, args in cases:
            p = ctx.Process(target=fn, args=args)
            line(method, " ", label, ": exitcode before start=", p.exitcode)
            p.start()
            p.join()
            line(method, " ", label, ": exitcode=", p.exitcode, " is_alive=", p.is_alive())
        p = ctx.Process(target=sleeps)
        p.start()
        p.terminate()
        p.join()
        line(method, " terminate: exitcode=", p.exitcode)
        p = ctx.Process(target=sleeps)
        p.start()
        p.kill()
        p.join()
        line(method, " kill: exitcode=", p.exitcode)
