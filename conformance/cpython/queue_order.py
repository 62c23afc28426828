"""Twin: the queue module's four queues — FIFO, LIFO, priority and
SimpleQueue order, qsize/empty/full, maxsize (seed 001 "线程通信", seed 003
"队列": "同优先级先进先出"; CPython Lib/queue.py Queue, LifoQueue,
PriorityQueue, _queue.SimpleQueue)."""
import queue

from twinlib import line

if __name__ == "__main__":
    for name, cls in (("Queue", queue.Queue), ("LifoQueue", queue.LifoQueue),
                      ("PriorityQueue", queue.PriorityQueue), ("SimpleQueue", queue.SimpleQueue)):
        q = cls()
        line(name, ": empty=", q.empty(), " qsize=", q.qsize(),
             "" if name == "SimpleQueue" else " full=%s maxsize=%d" % (q.full(), q.maxsize))
        for item in (3, 1, 4, 1, 5, 9, 2, 6):
            q.put(item)
        q.put_nowait(7)
        line(name, ": qsize after 9 puts=", q.qsize(), " empty=", q.empty())
        order = [q.get() for _ in range(4)] + [q.get_nowait() for _ in range(5)]
        line(name, ": get order: ", " ".join(map(str, order)))
        line(name, ": empty at the end=", q.empty())

    pq = queue.PriorityQueue()
    for item in ((2, "b"), (1, "z"), (2, "a"), (1, "y"), (0, "last-put")):
        pq.put(item)
    line("PriorityQueue tuples: ", [pq.get() for _ in range(5)])

    # Items that compare equal: heapq hands them out in heap order.
    class Job:
        def __init__(self, priority, n):
            self.priority, self.n = priority, n

        def __lt__(self, other):
            return self.priority < other.priority
    pq = queue.PriorityQueue()
    for n, priority in enumerate((1, 1, 1, 1, 1, 0, 1)):
        pq.put(Job(priority, n))
    line("PriorityQueue equal priorities, put order 0..6: ", [pq.get().n for _ in range(7)])

    q = queue.Queue(maxsize=3)
    for i in range(3):
        q.put(i)
    line("Queue(3) full=", q.full(), " qsize=", q.qsize(), " maxsize=", q.maxsize)
    q.get()
    line("after one get: full=", q.full())
    for m in (0, -5):
        u = queue.Queue(maxsize=m)
        for i in range(1000):
            u.put_nowait(i)
        line("Queue(", m, ") takes 1000 without blocking: qsize=", u.qsize(), " full=", u.full())
    strings = queue.LifoQueue()
    for s in ("it's", 'say "hi"', "tab\there"):
        strings.put(s)
    line("strings LIFO: ", [strings.get() for _ in range(3)])
