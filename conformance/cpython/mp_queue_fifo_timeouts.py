"""Twin: multiprocessing.Queue FIFO order, maxsize, qsize/full/empty,
put/get with block=False and timeouts raising queue.Full/queue.Empty
(including negative timeouts), and a bounded queue between a producer child
and the parent under each start method (seed 003 "队列", seed 004 §1.5
"Queue管道通信"; Lib/multiprocessing/queues.py Queue.put/get/qsize/full)."""
import multiprocessing as mp
import time

from twinlib import line, describe


def producer(q, n):
    for i in range(n):
        q.put(i)


def timed(fn):
    t0 = time.monotonic()
    what = describe(fn)
    return "%s (waited >= 0.1 s: %s)" % (what, time.monotonic() - t0 >= 0.1)


if __name__ == "__main__":
    q = mp.Queue(maxsize=3)
    line("new: qsize=", q.qsize(), " full=", q.full(), " empty=", q.empty())
    for i in (1, 2, 3):
        q.put(i)
    line("after 3 puts: qsize=", q.qsize(), " full=", q.full())
    line("put(4, timeout=0.1): ", timed(lambda: q.put(4, timeout=0.1)))
    line("put(4, block=False): ", describe(lambda: q.put(4, block=False)))
    line("put_nowait(4): ", describe(lambda: q.put_nowait(4)))
    line("put(4, timeout=-1): ", describe(lambda: q.put(4, timeout=-1)))
    line("get order: ", q.get(), " ", q.get(), " ", q.get())
    line("after 3 gets: qsize=", q.qsize(), " full=", q.full(), " empty=", q.empty())
    line("get(timeout=0.1): ", timed(lambda: q.get(timeout=0.1)))
    line("get(block=False): ", describe(lambda: q.get(block=False)))
    line("get_nowait(): ", describe(q.get_nowait))
    line("get(timeout=-1): ", describe(lambda: q.get(timeout=-1)))
    s = mp.Queue(3)
    s.put("a")
    s.put_nowait("b")
    line("put then put_nowait, get: ", repr(s.get(timeout=5)), " ", repr(s.get(timeout=5)))

    u = mp.Queue()
    for i in range(1000):
        u.put(i)
    line("unbounded after 1000 puts: qsize=", u.qsize(), " full=", u.full())
    total = sum(u.get() for _ in range(1000))
    line("sum of gets: ", total, " qsize=", u.qsize())

    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        q = ctx.Queue(maxsize=2)
        p = ctx.Process(target=producer, args=(q, 6))
        p.start()
        got = [q.get(timeout=30) for _ in range(6)]
        p.join()
        line(method, ": get order: ", " ".join(map(str, got)), " exitcode=", p.exitcode)
        line(method, ": then get(timeout=0.1): ", describe(lambda: q.get(timeout=0.1)))
