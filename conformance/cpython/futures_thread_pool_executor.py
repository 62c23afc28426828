"""Twin: concurrent.futures.ThreadPoolExecutor — submit results and
exceptions, map order and its exception ending the iteration, map timeout,
shutdown(wait, cancel_futures), "cannot schedule new futures after
shutdown", max_workers errors, worker thread names, the with-statement
(seed 001 "concurrent.futures": ThreadPoolExecutor(3), executor.map; CPython
Lib/concurrent/futures/thread.py, _base.py Executor.map)."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from twinlib import describe, line


def square(x):
    return x * x


def fail_on_three(x):
    if x == 3:
        raise ValueError("three is bad")
    return x


def sleeper(seconds):
    time.sleep(seconds)
    return seconds


def thread_name(_):
    time.sleep(0.05)
    return threading.current_thread().name


if __name__ == "__main__":
    line("max_workers=0: ", describe(lambda: ThreadPoolExecutor(max_workers=0)))
    line("max_workers=-1: ", describe(lambda: ThreadPoolExecutor(max_workers=-1)))
    with ThreadPoolExecutor(max_workers=1) as ex:
        line("default thread name: ", ex.submit(lambda: threading.current_thread().name).result())
    with ThreadPoolExecutor(max_workers=1) as ex:
        line("second executor's thread name: ", ex.submit(lambda: threading.current_thread().name).result())
    with ThreadPoolExecutor(max_workers=3) as ex:
        futures = [ex.submit(square, i) for i in range(6)]
        line("submit results: ", [f.result() for f in futures])
        line("map order: ", list(ex.map(square, range(10))))
        f = ex.submit(fail_on_three, 3)
        line("submit exception: ", describe(f.result), " exception()=", type(f.exception()).__name__)
        it = ex.map(fail_on_three, [1, 2, 3, 4])
        got = []
        line("map raises at its position: ", describe(lambda: got.extend(it)), " got before=", got)
        line("map after the error: ", describe(lambda: next(it)))
        t0 = time.monotonic()
        it = ex.map(sleeper, [0.01, 1.0], timeout=0.3)
        line("map timeout: first=", next(it), " then ", describe(lambda: next(it)))
        line("map timeout returned early: ", time.monotonic() - t0 < 0.9)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="worker") as ex:
        names = sorted(set(ex.map(thread_name, range(4))))
    line("thread names with prefix: ", names)

    ex = ThreadPoolExecutor(max_workers=1)
    blocker = ex.submit(sleeper, 0.2)
    queued = [ex.submit(square, i) for i in range(3)]
    while not blocker.running():
        time.sleep(0.001)
    ex.shutdown(wait=True, cancel_futures=True)
    line("cancel_futures: blocker=", blocker.result(), " queued cancelled=", [f.cancelled() for f in queued])
    line("submit after shutdown: ", describe(lambda: ex.submit(square, 2)))
    line("map after shutdown: ", describe(lambda: ex.map(square, [1])))
    line("shutdown twice: ", describe(ex.shutdown))

    ex = ThreadPoolExecutor(max_workers=1)
    slow = ex.submit(sleeper, 0.1)
    ex.shutdown(wait=False)
    line("shutdown(wait=False) returns before the work: done=", slow.done(), " result=", slow.result(timeout=10))

    ex = ThreadPoolExecutor(max_workers=1)
    slow = ex.submit(sleeper, 0.1)
    pending = ex.submit(square, 7)
    while not slow.running():
        time.sleep(0.001)
    line("cancel a queued future: ", pending.cancel(), " running one: ", slow.cancel())
    ex.shutdown()
    line("after shutdown: ", slow.result(), " ", pending.cancelled())
