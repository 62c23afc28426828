"""Twin: multiprocessing.Event: is_set/set/clear, wait with and without
timeout (negative too) returning the flag, and events between parent and a
child under each start method (seed 001 "进程同步"; Lib/multiprocessing/
synchronize.py Event)."""
import multiprocessing as mp

from twinlib import line


def child(go, done):
    line("  child: go.wait(30)=", go.wait(30), " is_set=", go.is_set())
    done.set()


if __name__ == "__main__":
    e = mp.Event()
    line("new: is_set=", e.is_set(), " wait(0.1)=", e.wait(0.1), " wait(0)=", e.wait(0), " wait(-1)=", e.wait(-1))
    e.set()
    line("set: is_set=", e.is_set(), " wait()=", e.wait(), " wait(0)=", e.wait(0), " wait(-1)=", e.wait(-1))
    e.set()
    line("set twice: is_set=", e.is_set())
    e.clear()
    line("clear: is_set=", e.is_set(), " wait(0.05)=", e.wait(0.05))
    e.clear()
    line("clear twice: is_set=", e.is_set())

    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        go, done = ctx.Event(), ctx.Event()
        p = ctx.Process(target=child, args=(go, done))
        p.start()
        line(method, ": done before go: ", done.wait(0.1))
        go.set()
        line(method, ": done.wait(30)=", done.wait(30))
        p.join()
        line(method, ": exitcode=", p.exitcode)
