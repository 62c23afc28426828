"""Twin: threading.Condition — ownership errors, wait/wait_for return values,
notify(n) in FIFO order, repr (seed 001 "条件对象"; CPython Lib/threading.py
class Condition: _is_owned, wait, wait_for, notify)."""
import threading
import time

from twinlib import describe, line


def n_waiters(cond):
    return int(repr(cond).rsplit(", ", 1)[1].rstrip(")>"))


def waiters_parked(cond, n):
    while n_waiters(cond) < n:
        time.sleep(0.005)


def other_thread_acquires(lock):
    out = []
    t = threading.Thread(target=lambda: out.append(lock.acquire(False)))
    t.start()
    t.join()
    return out[0]


if __name__ == "__main__":
    for kind in ("RLock", "Lock"):
        lock = threading.RLock() if kind == "RLock" else threading.Lock()
        cond = threading.Condition(lock)
        line(kind, " wait un-acquired: ", describe(lambda: cond.wait(0.01)))
        line(kind, " wait_for un-acquired: ", describe(lambda: cond.wait_for(lambda: True, 0.01)))
        line(kind, " notify un-acquired: ", describe(cond.notify))
        line(kind, " notify_all un-acquired: ", describe(cond.notify_all))
        with cond:
            line(kind, " wait(0.05) timed out: ", cond.wait(0.05))
            line(kind, " wait(0): ", cond.wait(0))
            line(kind, " wait(-1): ", cond.wait(-1))
            line(kind, " wait_for true predicate: ", cond.wait_for(lambda: 42))
            line(kind, " wait_for false predicate timeout: ", repr(cond.wait_for(lambda: 0, 0.05)))
            line(kind, " notify with no waiters: ", describe(cond.notify))
        held = threading.Lock()
        held.acquire()
        # CPython checks only that a plain Lock is locked, not by whom.
        c2 = threading.Condition(held)
        t = threading.Thread(target=lambda: line(kind, " notify on a Lock held by another thread: ",
                                                 describe(c2.notify)))
        if kind == "Lock":
            t.start()
            t.join()
        held.release()

    # RLock: held recursively, wait releases every level and restores them.
    r = threading.RLock()
    cond = threading.Condition(r)
    r.acquire()
    r.acquire()
    def notifier():
        with cond:
            cond.notify()
    t = threading.Thread(target=notifier)
    t.start()
    line("recursive wait notified: ", cond.wait(5))
    t.join()
    r.release()
    line("another thread acquires after one release: ", other_thread_acquires(r))
    r.release()
    line("another thread acquires after two: ", other_thread_acquires(r))
    line("released after two: ", describe(r.release))

    # notify(n) wakes the n longest waiters, in order.
    cond = threading.Condition()
    order = []
    def waiter(i):
        with cond:
            cond.wait()
            order.append(i)
    threads = []
    for i in range(4):
        t = threading.Thread(target=waiter, args=(i,))
        t.start()
        waiters_parked(cond, i + 1)
        threads.append(t)
    with cond:
        line("repr with 4 waiters: ", repr(cond))
        cond.notify(2)
    threads[0].join()
    threads[1].join()
    line("notify(2) woke: ", sorted(order))
    with cond:
        cond.notify_all()
    for t in threads:
        t.join()
    line("notify_all woke the rest: ", sorted(order))
    line("repr idle: ", repr(cond))
