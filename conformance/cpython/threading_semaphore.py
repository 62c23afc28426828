"""Twin: threading.Semaphore and BoundedSemaphore — counting, release(n),
argument errors, over-release, reprs (seed 001 "信号量": "如果计数器的值超过了
初始值，则会抛出异常ValueError"; CPython Lib/threading.py class Semaphore,
BoundedSemaphore)."""
import threading

from twinlib import describe, line


def in_thread(fn):
    out = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join()
    return out[0]


if __name__ == "__main__":
    line("Semaphore(-1): ", describe(lambda: threading.Semaphore(-1)))
    line("BoundedSemaphore(-1): ", describe(lambda: threading.BoundedSemaphore(-1)))
    s = threading.Semaphore(2)
    line("repr: ", repr(s))
    line("acquire: ", s.acquire(), " ", s.acquire())
    line("acquire(False) at zero: ", s.acquire(False))
    line("acquire(timeout=0.05) at zero: ", s.acquire(timeout=0.05))
    line("acquire(timeout=-1) at zero: ", s.acquire(timeout=-1))
    line("acquire(False, 1): ", describe(lambda: s.acquire(False, 1)))
    line("release(0): ", describe(lambda: s.release(0)))
    line("release(-3): ", describe(lambda: s.release(-3)))
    line("repr at zero: ", repr(s))
    line("release(3): ", describe(lambda: s.release(3)))
    line("repr after release(3): ", repr(s))
    line("acquire from another thread: ", in_thread(s.acquire))
    s.release()
    s.release()
    line("plain Semaphore grows past its start: ", repr(s))
    with s:
        line("inside with: ", repr(s))
    line("after with: ", repr(s))
    z = threading.Semaphore(0)
    line("Semaphore(0) acquire(False): ", z.acquire(False))
    t = threading.Thread(target=lambda: line("waiter got it: ", z.acquire(timeout=10)))
    t.start()
    z.release()
    t.join()

    # release(n) lets exactly n of three waiters through.
    w = threading.Semaphore(0)
    got = []
    guard = threading.Lock()

    def waiter():
        ok = w.acquire(timeout=1.0)
        with guard:
            got.append(ok)
    waiters = [threading.Thread(target=waiter) for _ in range(3)]
    for t in waiters:
        t.start()
    w.release(2)
    for t in waiters:
        t.join()
    line("release(2) with three waiters: ", sorted(got), " value after: ", repr(w).rsplit("=", 1)[1])

    b = threading.BoundedSemaphore(2)
    line("Bounded repr: ", repr(b))
    line("Bounded release at full: ", describe(b.release))
    line("Bounded repr unchanged: ", repr(b))
    b.acquire()
    b.acquire()
    line("Bounded repr at zero: ", repr(b))
    line("Bounded release(3) over: ", describe(lambda: b.release(3)))
    line("Bounded repr after refused: ", repr(b))
    line("Bounded release(2): ", describe(lambda: b.release(2)))
    line("Bounded release once more: ", describe(b.release))
    line("Bounded default repr: ", repr(threading.BoundedSemaphore()))
    line("Semaphore default repr: ", repr(threading.Semaphore()))
