"""Twin: queue.Full and queue.Empty — block=False, timeouts (and that a
timeout waits), negative timeouts, a blocked put/get released by another
thread, for Queue, LifoQueue, PriorityQueue and SimpleQueue (CPython
Lib/queue.py Queue.put/get: "'timeout' must be a non-negative number";
Full and Empty carry no message)."""
import queue
import threading
import time

from twinlib import describe, line

if __name__ == "__main__":
    for name, cls in (("Queue", queue.Queue), ("LifoQueue", queue.LifoQueue),
                      ("PriorityQueue", queue.PriorityQueue)):
        q = cls(maxsize=2)
        line(name, " get_nowait on empty: ", describe(q.get_nowait))
        line(name, " get(False) on empty: ", describe(lambda: q.get(False)))
        line(name, " get(False, 5) ignores the timeout: ", describe(lambda: q.get(False, 5)))
        t0 = time.monotonic()
        line(name, " get(timeout=0.1): ", describe(lambda: q.get(timeout=0.1)),
             " waited=", time.monotonic() - t0 >= 0.09)
        line(name, " get(timeout=0): ", describe(lambda: q.get(timeout=0)))
        line(name, " get(timeout=-1): ", describe(lambda: q.get(timeout=-1)))
        for i in range(2):
            q.put(i)
        line(name, " put_nowait on full: ", describe(lambda: q.put_nowait(9)))
        line(name, " put(block=False) on full: ", describe(lambda: q.put(9, block=False)))
        t0 = time.monotonic()
        line(name, " put(timeout=0.1) on full: ", describe(lambda: q.put(9, timeout=0.1)),
             " waited=", time.monotonic() - t0 >= 0.09)
        line(name, " put(timeout=-1) on full: ", describe(lambda: q.put(9, timeout=-1)))
        line(name, " qsize after refused puts: ", q.qsize())
        line(name, " get(timeout=-1) with items: ", describe(lambda: q.get(timeout=-1)))
        line(name, " get(False, -1) with items: ", q.get(False, -1))
        u = cls()
        line(name, " unbounded put(timeout=-1): ", describe(lambda: u.put(1, timeout=-1)))

        # A put blocked on a full queue is released by a get in another thread.
        t = threading.Thread(target=lambda: (time.sleep(0.05), q.get()))
        t.start()
        line(name, " blocked put released: ", describe(lambda: q.put(7, timeout=10)), " qsize=", q.qsize())
        t.join()
        while not q.empty():
            q.get()
        t = threading.Thread(target=lambda: (time.sleep(0.05), q.put(42)))
        t.start()
        line(name, " blocked get released: ", q.get(timeout=10))
        t.join()

    s = queue.SimpleQueue()
    line("SimpleQueue get_nowait on empty: ", describe(s.get_nowait))
    line("SimpleQueue get(timeout=0.05): ", describe(lambda: s.get(timeout=0.05)))
    line("SimpleQueue get(timeout=-1): ", describe(lambda: s.get(timeout=-1)))
    line("SimpleQueue get(False, -1): ", describe(lambda: s.get(False, -1)))
    line("SimpleQueue put(block=False, timeout=-1) never blocks: ", describe(lambda: s.put(1, False, -1)))
    line("SimpleQueue get(timeout=-1) with an item: ", describe(lambda: s.get(timeout=-1)))
    line("SimpleQueue qsize: ", s.qsize())
    line("Full and Empty are Exceptions: ", issubclass(queue.Full, Exception), " ", issubclass(queue.Empty, Exception))
