"""Twin: a Pool worker that dies while running a task, under each start
method. CPython's Pool replaces the worker but never completes the task
(get() times out: multiprocessing.TimeoutError); concur fails the task at once
with WorkerLostError and says which worker died how — a deliberate difference
(concur/multiprocessing/pool.hpp "Beyond CPython"; CPython
Lib/multiprocessing/pool.py _maintain_pool, bpo-22393). The pool stays
usable in both, with the same number of workers."""
import multiprocessing as mp
import os
import re
import signal
import time

from twinlib import describe, line


def square(x):
    return x * x


def die(how):
    if how == "exit":
        os._exit(7)
    os.kill(os.getpid(), signal.SIGKILL)
    return 0


def workers_back(n):
    """The dead workers are replaced (asynchronously in both): wait for n."""
    deadline = time.monotonic() + 10
    while len(mp.active_children()) != n and time.monotonic() < deadline:
        time.sleep(0.01)
    return len(mp.active_children())


def unnamed(text):
    """Which worker took the task is racy: its name and pid are masked."""
    return re.sub(r"worker \S+ \(pid \d+\)", "worker <worker>", text)


if __name__ == "__main__":
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        with ctx.Pool(2) as pool:
            line(method, " before: ", pool.map(square, range(4)))
            for how in ("exit", "SIGKILL"):
                r = pool.apply_async(die, (how,))
                line(method, " worker ", how, ": ", unnamed(describe(lambda: r.get(timeout=1))))
            line(method, " still usable: ", pool.map(square, range(6), chunksize=1))
            line(method, " workers replaced: ", workers_back(2))
