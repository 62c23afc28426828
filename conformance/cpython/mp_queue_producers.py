"""Twin: several producer processes share one multiprocessing.Queue: every
item arrives exactly once and each producer's items keep their order (seed 004
§1.5 "Queue管道通信"; Lib/multiprocessing/queues.py Queue.put/get, the
documented per-process FIFO guarantee), under each start method."""
import multiprocessing as mp

from twinlib import line

N = 50


def producer(q, k):
    for i in range(N):
        q.put((k, i))


if __name__ == "__main__":
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        q = ctx.Queue(maxsize=8)
        ps = [ctx.Process(target=producer, args=(q, k)) for k in range(3)]
        for p in ps:
            p.start()
        got = [q.get(timeout=30) for _ in range(3 * N)]
        for p in ps:
            p.join()
        in_order = all([i for k2, i in got if k2 == k] == list(range(N)) for k in range(3))
        counts = [sum(1 for k2, _ in got if k2 == k) for k in range(3)]
        line(method, ": items ", len(got), " per producer ", counts, " each producer's order kept: ", in_order,
             " exitcodes ", [p.exitcode for p in ps], " empty: ", q.empty())
