"""Twin: multiprocessing.Semaphore and BoundedSemaphore: reprs, get_value,
non-blocking and timed acquires, a Semaphore released above its initial
value, a BoundedSemaphore released too many times (ValueError), invalid
initial values, and a child releasing a semaphore the parent waits on, under
each start method (seed 001 "进程同步"; Lib/multiprocessing/synchronize.py
Semaphore, BoundedSemaphore; Modules/_multiprocessing/semaphore.c)."""
import multiprocessing as mp
import time

from twinlib import line, describe


def releaser(sem, bounded):
    time.sleep(0.05)
    line("  child: bounded release: ", describe(bounded.release))
    sem.release()


if __name__ == "__main__":
    s = mp.Semaphore(2)
    line("Semaphore(2): ", repr(s), " get_value=", s.get_value())
    line("acquire x2: ", s.acquire(), " ", s.acquire(), " ", repr(s))
    line("acquire(block=False): ", s.acquire(block=False))
    t0 = time.monotonic()
    line("acquire(timeout=0.1): ", s.acquire(timeout=0.1), " waited >= 0.1 s: ", time.monotonic() - t0 >= 0.1)
    for _ in range(3):
        s.release()
    line("released x3: ", repr(s), " get_value=", s.get_value())
    line("Semaphore(0): ", repr(mp.Semaphore(0)))
    line("Semaphore(-1): ", describe(lambda: mp.Semaphore(-1)))
    b = mp.BoundedSemaphore(2)
    line("BoundedSemaphore(2): ", repr(b))
    line("release at max: ", describe(b.release))
    b.acquire()
    line("acquire then release: ", describe(b.release), " ", repr(b))
    line("release again: ", describe(b.release))
    line("BoundedSemaphore(): ", repr(mp.BoundedSemaphore()))
    with b:
        line("inside with: ", repr(b))
    line("after with: ", repr(b))

    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        sem, bounded = ctx.Semaphore(0), ctx.BoundedSemaphore(1)
        p = ctx.Process(target=releaser, args=(sem, bounded))
        p.start()
        line(method, ": parent acquire(timeout=30) released by the child: ", sem.acquire(timeout=30))
        p.join()
        line(method, ": exitcode=", p.exitcode, " ", repr(sem), " ", repr(bounded))
