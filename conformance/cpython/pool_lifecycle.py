"""Twin: a Pool's life under each start method — the initializer with
initargs in every worker, maxtasksperchild replacing workers (new pids),
close() letting queued work finish, terminate() (and the with-statement)
stopping the workers with work pending, join() leaving no children
(seed 004 §1.6 initializer/initargs and maxtasksperchild; CPython
Lib/multiprocessing/pool.py Pool.__exit__, terminate, close, join).
A result still pending at terminate() is a declared difference: CPython leaves
it pending for ever, concur fails it (pool_lifecycle.differences)."""
import multiprocessing as mp
import os
import time

from twinlib import describe, line

state = {}


def init(tag, n):
    state["tag"] = "%s-%d" % (tag, n)


def tag(_):
    return state.get("tag", "no initializer")


def pid_of(_):
    time.sleep(0.01)
    return os.getpid()


def slow(seconds):
    time.sleep(seconds)
    return seconds


if __name__ == "__main__":
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        with ctx.Pool(2, initializer=init, initargs=("init", 7)) as pool:
            line(method, " initializer: ", sorted(set(pool.map(tag, range(8), chunksize=1))))

        pool = ctx.Pool(1, maxtasksperchild=1)
        pids = pool.map(pid_of, range(4), chunksize=1)
        line(method, " maxtasksperchild=1: distinct worker pids=", len(set(pids)),
             " parent not among them=", os.getpid() not in pids)
        pool.close()
        pool.join()

        pool = ctx.Pool(2)
        results = [pool.apply_async(slow, (0.2,)) for _ in range(4)]
        pool.close()
        pool.join()
        line(method, " close lets queued work finish: ", [r.get(timeout=0) for r in results])
        line(method, " children after join: ", mp.active_children())

        with ctx.Pool(1) as pool:
            pending = pool.apply_async(slow, (30,))
            time.sleep(0.2)
        t0 = time.monotonic()
        pool.join()
        line(method, " with-statement terminated a running task quickly: ", time.monotonic() - t0 < 10)
        line(method, " the pending result: ", describe(lambda: pending.get(timeout=0.5)))
        line(method, " ready=", pending.ready())
        line(method, " children after terminate: ", mp.active_children())
