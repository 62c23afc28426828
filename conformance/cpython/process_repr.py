"""Twin: repr() of Process objects through their life under each start
method: initial / started / stopped exitcode=0|3|-SIGTERM|-SIGKILL / closed,
daemon, a subclass, _MainProcess, and what a child sees of itself and of its
parent (seed 000 §1.1; Lib/multiprocessing/process.py BaseProcess.__repr__,
_exitcode_to_name, _ParentProcess)."""
import multiprocessing as mp
import sys
import time

from twinlib import line


class Worker(mp.Process):
    def run(self):
        pass


def ok():
    pass


def exits(code):
    sys.exit(code)


def sleeper():
    time.sleep(60)


def show_self():
    line("  child: current_process()=", repr(mp.current_process()))
    line("  child: parent_process()=", repr(mp.parent_process()))


if __name__ == "__main__":
    line("main: ", repr(mp.current_process()))
    p = mp.Process(target=ok)
    line("mp.Process: ", repr(p))
    w = Worker()
    line("subclass: ", repr(w))
    w.start()
    w.join()
    line("subclass joined: ", repr(w))
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        s = ctx.Process(target=sleeper)
        line(method, ": ", repr(s))
        s.start()
        line(method, ": ", repr(s))
        s.terminate()
        s.join()
        line(method, ": ", repr(s))
        s.close()
        line(method, ": ", repr(s))
        d = ctx.Process(target=ok, name="d", daemon=True)
        line(method, ": ", repr(d))
        d.start()
        d.join()
        line(method, ": ", repr(d))
        e = ctx.Process(target=exits, args=(3,), name="e")
        e.start()
        e.join()
        line(method, ": ", repr(e))
        k = ctx.Process(target=sleeper, name="k")
        k.start()
        k.kill()
        k.join()
        line(method, ": ", repr(k))
        c = ctx.Process(target=show_self, name="c")
        c.start()
        c.join()
