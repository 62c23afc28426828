"""Twin: JoinableQueue task_done()/join(): task_done() once too often raises
ValueError('task_done() called too many times'), join() returns at once when
nothing is unfinished, and waits for consumers in a child under each start
method (seed 004 "进程间通信"; Lib/multiprocessing/queues.py
JoinableQueue.task_done/join)."""
import multiprocessing as mp

from twinlib import line, describe


def consumer(q, done):
    while True:
        item = q.get()
        if item is None:
            q.task_done()
            break
        with done.get_lock():
            done.value += item
        q.task_done()


if __name__ == "__main__":
    q = mp.JoinableQueue()
    line("task_done on a new queue: ", describe(q.task_done))
    line("join on a new queue: ", describe(q.join))
    q.put("a")
    q.put("b")
    line("qsize=", q.qsize())
    line("got ", repr(q.get()), " ", repr(q.get()))
    line("task_done 1: ", describe(q.task_done))
    line("task_done 2: ", describe(q.task_done))
    line("task_done 3: ", describe(q.task_done))
    line("join when all done: ", describe(q.join))

    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        q = ctx.JoinableQueue(maxsize=4)
        done = ctx.Value("i", 0)
        p = ctx.Process(target=consumer, args=(q, done))
        p.start()
        for i in range(1, 11):
            q.put(i)
        q.put(None)
        q.join()
        line(method, ": join returned, sum done by the child=", done.value)
        p.join()
        line(method, ": exitcode=", p.exitcode, " task_done once more: ", describe(q.task_done))
