"""Twin: multiprocessing.Lock and RLock: reprs, releasing an unlocked Lock
(ValueError), releasing an RLock one does not own (AssertionError), timed and
non-blocking acquires returning False, any thread or process may release a
Lock but not an RLock, under each start method (seed 001 "进程同步";
Lib/multiprocessing/synchronize.py Lock, RLock, SemLock.__repr__;
Modules/_multiprocessing/semaphore.c)."""
import multiprocessing as mp
import threading
import time

from twinlib import line, describe


def timed(fn):
    t0 = time.monotonic()
    r = fn()
    return "%s (waited >= 0.1 s: %s)" % (r, time.monotonic() - t0 >= 0.1)


def child(lock, rlock):
    line("  child: ", repr(lock), " ", repr(rlock))
    line("  child: lock.acquire(timeout=0.1)=", timed(lambda: lock.acquire(timeout=0.1)))
    line("  child: rlock.acquire(block=False)=", rlock.acquire(block=False))
    line("  child: rlock.release(): ", describe(rlock.release))
    line("  child: lock.release() of the parent's lock: ", describe(lock.release))


if __name__ == "__main__":
    lock = mp.Lock()
    line("Lock: ", repr(lock))
    line("release unlocked: ", describe(lock.release))
    line("acquire: ", lock.acquire(), " ", repr(lock))
    line("acquire(block=False) while held: ", lock.acquire(block=False))
    line("acquire(timeout=0.1) while held: ", timed(lambda: lock.acquire(timeout=0.1)))
    line("acquire(timeout=-1) while held: ", lock.acquire(timeout=-1))
    line("acquire(False, 5) while held: ", lock.acquire(False, 5))
    out = []
    t = threading.Thread(target=lambda: out.append(describe(lock.release)))
    t.start()
    t.join()
    line("release by another thread: ", out[0], " then ", repr(lock))
    with lock:
        line("inside with: ", repr(lock))
    line("after with: ", repr(lock))

    rlock = mp.RLock()
    line("RLock: ", repr(rlock))
    line("release unowned: ", describe(rlock.release))
    line("acquire twice: ", rlock.acquire(), " ", rlock.acquire(block=False), " ", repr(rlock))
    out = []
    t = threading.Thread(target=lambda: out.append((describe(rlock.release), rlock.acquire(timeout=0.05))))
    t.start()
    t.join()
    line("another thread: release ", out[0][0], ", acquire(timeout=0.05) ", out[0][1])
    rlock.release()
    line("released once: ", repr(rlock))
    rlock.release()
    line("released twice: ", repr(rlock), " third: ", describe(rlock.release))

    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        lock, rlock = ctx.Lock(), ctx.RLock()
        lock.acquire()
        rlock.acquire()
        p = ctx.Process(target=child, args=(lock, rlock))
        p.start()
        p.join()
        line(method, ": exitcode=", p.exitcode, " parent's lock after the child released it: ", repr(lock),
             " acquire(block=False)=", lock.acquire(block=False))
        rlock.release()
        lock.release()
