"""Twin: Queue.task_done()/join() — unfinished-task counting, "task_done()
called too many times", join() returning only after every put was marked
done by consumer threads, for Queue, LifoQueue and PriorityQueue (seed 003
"队列": q.task_done(), q.join(); CPython Lib/queue.py task_done, join)."""
import queue
import threading

from twinlib import describe, line

if __name__ == "__main__":
    for name, cls in (("Queue", queue.Queue), ("LifoQueue", queue.LifoQueue),
                      ("PriorityQueue", queue.PriorityQueue)):
        q = cls()
        line(name, " task_done on a fresh queue: ", describe(q.task_done))
        line(name, " join on a fresh queue: ", describe(q.join))
        q.put(1)
        q.put(2)
        q.get()
        line(name, " task_done after get: ", describe(q.task_done))
        # task_done counts puts, not gets: a second one is allowed before get.
        line(name, " task_done before the second get: ", describe(q.task_done))
        line(name, " task_done once more: ", describe(q.task_done))
        line(name, " join with nothing unfinished: ", describe(q.join), " qsize=", q.qsize())
        q.get()
        line(name, " task_done with the item taken but no put left: ", describe(q.task_done))

        done = []
        guard = threading.Lock()
        def consumer():
            while True:
                item = q.get()
                if item == 0:  # the stop sentinel
                    q.task_done()
                    return
                with guard:
                    done.append(item * item)
                q.task_done()
        workers = [threading.Thread(target=consumer) for _ in range(3)]
        for w in workers:
            w.start()
        for i in range(1, 21):
            q.put(i)
        q.join()
        with guard:
            line(name, " join returned after all 20 tasks: ", len(done), " sum=", sum(done))
        for _ in workers:
            q.put(0)
        q.join()
        for w in workers:
            w.join()
        line(name, " consumers ended, queue empty: ", q.empty())
