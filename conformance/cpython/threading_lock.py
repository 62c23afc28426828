"""Twin: threading.Lock and threading.RLock — return values, errors, reprs
(seed 001 "线程同步 / 锁"; CPython Modules/_threadmodule.c lock_PyThread_acquire_lock,
rlock_release, lock_repr, rlock_repr)."""
import threading

from twinlib import describe, line


def in_thread(fn):
    out = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join()
    return out[0]


if __name__ == "__main__":
    lock = threading.Lock()
    line("Lock repr: ", repr(lock))
    line("Lock locked(): ", lock.locked())
    line("Lock acquire(): ", lock.acquire())
    line("Lock repr held: ", repr(lock))
    line("Lock acquire(False) held: ", lock.acquire(False))
    line("Lock acquire(timeout=0.05) held: ", lock.acquire(timeout=0.05))
    line("Lock acquire(False) from another thread: ", in_thread(lambda: lock.acquire(False)))
    line("Lock release from another thread: ", in_thread(lambda: describe(lock.release)))
    line("Lock locked() after: ", lock.locked())
    line("Lock release unlocked: ", describe(lock.release))
    line("Lock acquire(False, 1): ", describe(lambda: lock.acquire(False, 1)))
    line("Lock acquire(True, -2): ", describe(lambda: lock.acquire(True, -2)))
    line("Lock acquire(True, 0): ", lock.acquire(True, 0))
    line("Lock acquire(True, 0) held: ", lock.acquire(True, 0))
    lock.release()
    with lock:
        line("Lock in with: locked=", lock.locked())
    line("Lock after with: locked=", lock.locked())

    r = threading.RLock()
    line("RLock repr: ", repr(r))
    line("RLock release unowned: ", describe(r.release))
    line("RLock acquire(): ", r.acquire())
    line("RLock acquire() again: ", r.acquire())
    line("RLock acquire(False) owner: ", r.acquire(False))
    line("RLock repr held: ", repr(r))
    line("RLock acquire(False) from another thread: ", in_thread(lambda: r.acquire(False)))
    line("RLock acquire(timeout=0.05) from another thread: ", in_thread(lambda: r.acquire(timeout=0.05)))
    line("RLock release from another thread: ", in_thread(lambda: describe(r.release)))
    line("RLock acquire(False, 1): ", describe(lambda: r.acquire(False, 1)))
    line("RLock acquire(True, -2): ", describe(lambda: r.acquire(True, -2)))
    for i in range(3):
        line("RLock release ", i + 1, ": ", describe(r.release))
    line("RLock repr after: ", repr(r))
    line("RLock release once more: ", describe(r.release))
    line("RLock acquire(False) from another thread now: ", in_thread(lambda: r.acquire(False)))
    line("RLock release by owner-less thread holding it: ", describe(r.release))
