"""Twin: multiprocessing.Queue after close(): put/get/put_nowait/get_nowait
raise ValueError naming the queue, qsize/full still answer, close twice is fine; join_thread before close is an AssertionError;
a child keeps an open handle (seed 004 §1.5; Lib/multiprocessing/queues.py
_check_closed, close, join_thread)."""
import multiprocessing as mp

from twinlib import line, describe


def child_uses(q):
    q.put("from child")
    line("  child: put ok")


if __name__ == "__main__":
    for make, name in ((mp.Queue, "Queue"), (mp.JoinableQueue, "JoinableQueue")):
        q = make(2)
        q.put(1)
        line(name, " join_thread before close: ", describe(q.join_thread))
        line(name, " cancel_join_thread: ", describe(q.cancel_join_thread))
        q.close()
        line(name, " close again: ", describe(q.close))
        line(name, " put after close: ", describe(lambda: q.put(2)))
        line(name, " put_nowait after close: ", describe(lambda: q.put_nowait(2)))
        line(name, " get after close: ", describe(q.get))
        line(name, " get_nowait after close: ", describe(q.get_nowait))
        line(name, " qsize after close: ", q.qsize(), " full: ", q.full())
        # empty() after close is left out: CPython's feeder thread closes the
        # reader asynchronously, so it returns or raises OSError by chance.
        line(name, " join_thread after close: ", describe(q.join_thread))

    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        q = ctx.Queue()
        p = ctx.Process(target=child_uses, args=(q,))
        p.start()
        p.join()
        line(method, ": got ", repr(q.get(timeout=10)), " exitcode=", p.exitcode)
        q.close()
        line(method, ": after close: ", describe(lambda: q.put(1)))
        q.join_thread()
