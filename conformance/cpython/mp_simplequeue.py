"""Twin: SimpleQueue put/get order and empty(), a child under each start
method, and the errors after close(): get/put/empty raise OSError('handle is
closed') (Lib/multiprocessing/queues.py SimpleQueue)."""
import multiprocessing as mp

from twinlib import line, describe


def worker(inq, outq):
    while True:
        item = inq.get()
        if item is None:
            break
        outq.put(item * 10)


if __name__ == "__main__":
    q = mp.SimpleQueue()
    line("empty new: ", q.empty())
    for i in (3, 1, 2):
        q.put(i)
    line("empty after puts: ", q.empty())
    line("get order: ", q.get(), " ", q.get(), " ", q.get())
    line("empty after gets: ", q.empty())
    q.put("x")
    q.close()
    line("close again: ", describe(q.close))
    line("get after close: ", describe(q.get))
    line("put after close: ", describe(lambda: q.put(1)))
    line("empty after close: ", describe(q.empty))

    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        inq, outq = ctx.SimpleQueue(), ctx.SimpleQueue()
        p = ctx.Process(target=worker, args=(inq, outq))
        p.start()
        for i in range(1, 6):
            inq.put(i)
        inq.put(None)
        got = [outq.get() for _ in range(5)]
        p.join()
        line(method, ": results ", got, " empty=", outq.empty(), " exitcode=", p.exitcode)
        inq.close()
        outq.close()
