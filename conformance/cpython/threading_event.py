"""Twin: threading.Event — flag, wait return values with and without a
timeout, wake-up of every waiter, repr (seed 001 "事件"; CPython
Lib/threading.py class Event)."""
import threading

from twinlib import line

if __name__ == "__main__":
    e = threading.Event()
    line("repr: ", repr(e))
    line("is_set: ", e.is_set())
    line("wait(0.05) unset: ", e.wait(0.05))
    line("wait(0) unset: ", e.wait(0))
    line("wait(-1) unset: ", e.wait(-1))
    e.set()
    line("repr set: ", repr(e))
    line("wait() set: ", e.wait())
    line("wait(0) set: ", e.wait(0))
    line("wait(-1) set: ", e.wait(-1))
    e.set()
    line("set twice: ", e.is_set())
    e.clear()
    line("cleared: ", e.is_set(), " ", repr(e))
    e.clear()
    line("clear twice: ", e.is_set())

    # set() wakes every waiter, each wait() returns True.
    results = []
    guard = threading.Lock()
    started = threading.Semaphore(0)
    def waiter():
        started.release()
        got = e.wait(10)
        with guard:
            results.append(got)
    threads = [threading.Thread(target=waiter) for _ in range(3)]
    for t in threads:
        t.start()
    for _ in threads:
        started.acquire()
    e.set()
    for t in threads:
        t.join()
    line("three waiters woke: ", results)
    e.clear()
    line("timed waiter alone: ", e.wait(0.02))
