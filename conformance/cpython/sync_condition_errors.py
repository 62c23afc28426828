"""Twin: multiprocessing.Condition: wait/notify/notify_all without the lock
(AssertionError), wait_for's predicate checked before the lock, timed waits
returning False, repr, a Condition over a Lock, and a child woken by
notify_all under each start method (seed 001 "进程同步"; Lib/multiprocessing/
synchronize.py Condition)."""
import multiprocessing as mp

from twinlib import line, describe


def waiter(cond, flag):
    with cond:
        ok = cond.wait_for(lambda: flag.value == 1, timeout=30)
        line("  child: wait_for returned ", ok, " flag=", flag.value)
        flag.value = 2
        cond.notify_all()


if __name__ == "__main__":
    c = mp.Condition()
    line("repr: ", repr(c))
    line("wait without lock: ", describe(c.wait))
    line("wait(0.1) without lock: ", describe(lambda: c.wait(0.1)))
    line("notify without lock: ", describe(c.notify))
    line("notify_all without lock: ", describe(c.notify_all))
    line("wait_for(true) without lock: ", describe(lambda: c.wait_for(lambda: True)))
    line("wait_for(false, 0.1) without lock: ", describe(lambda: c.wait_for(lambda: False, 0.1)))
    with c:
        line("inside with: ", repr(c))
        line("wait(0.1): ", c.wait(0.1))
        line("wait_for(false, 0.1): ", c.wait_for(lambda: False, 0.1))
        line("wait_for(lambda: 7): ", c.wait_for(lambda: 7))
        line("notify with no waiters: ", describe(c.notify), " notify_all: ", describe(c.notify_all))
        c.acquire()
        line("acquired again (RLock): ", repr(c))
        line("wait(0.05) at depth 2: ", c.wait(0.05), " ", repr(c))
        c.release()
    line("after with: ", repr(c))
    cl = mp.Condition(mp.Lock())
    line("over a Lock: ", repr(cl))
    with cl:
        line("over a Lock, inside with: ", repr(cl), " wait(0.05)=", cl.wait(0.05))

    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        cond, flag = ctx.Condition(), ctx.Value("i", 0)
        p = ctx.Process(target=waiter, args=(cond, flag))
        p.start()
        with cond:
            flag.value = 1
            cond.notify_all()
            ok = cond.wait_for(lambda: flag.value == 2, timeout=30)
        p.join()
        line(method, ": parent wait_for returned ", ok, " flag=", flag.value, " exitcode=", p.exitcode)
