"""Twin: executor initializers — a ThreadPoolExecutor and a
ProcessPoolExecutor (each start method) run initializer(*initargs) in every
worker; an initializer that raises breaks the executor: pending futures fail
with BrokenThreadPool / BrokenProcessPool and later submit() raises it
(CPython Lib/concurrent/futures/thread.py _worker, _initializer_failed;
process.py _process_worker, _ExecutorManagerThread)."""
import multiprocessing as mp
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from twinlib import describe, line

state = {}


def init(tag):
    state["tag"] = tag


def bad_init(tag):
    raise ValueError("initializer failed: %s" % tag)


def read_tag(_):
    time.sleep(0.01)
    return state.get("tag", "none")


def thread_tag(_):
    time.sleep(0.01)
    return getattr(local, "tag", "none")


local = threading.local()


def thread_init(tag):
    local.tag = tag


if __name__ == "__main__":
    with ThreadPoolExecutor(2, initializer=thread_init, initargs=("t-ready",)) as ex:
        line("thread initializer: ", sorted(set(ex.map(thread_tag, range(6)))))
    ex = ThreadPoolExecutor(2, initializer=bad_init, initargs=("threads",))
    f = ex.submit(read_tag, 0)
    line("thread initializer raised, future: ", describe(f.result))
    time.sleep(0.1)
    line("thread submit after: ", describe(lambda: ex.submit(read_tag, 1)))
    ex.shutdown()

    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        with ProcessPoolExecutor(2, mp_context=ctx, initializer=init, initargs=("p-ready",)) as ex:
            line(method, " process initializer: ", sorted(set(ex.map(read_tag, range(6)))))
        ex = ProcessPoolExecutor(1, mp_context=ctx, initializer=bad_init, initargs=(method,))
        f = ex.submit(read_tag, 0)
        line(method, " process initializer raised, future: ", describe(lambda: f.result(timeout=30)))
        line(method, " process submit after: ", describe(lambda: ex.submit(read_tag, 1)))
        ex.shutdown()
