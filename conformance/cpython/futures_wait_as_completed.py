"""Twin: concurrent.futures.wait() and as_completed() — FIRST_COMPLETED,
FIRST_EXCEPTION, ALL_COMPLETED, timeouts, duplicates, completion order,
"N (of M) futures unfinished" (seed 001 "concurrent.futures": as_completed;
CPython Lib/concurrent/futures/_base.py wait, as_completed)."""
import threading
from concurrent.futures import (ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, Future,
                                as_completed, wait)

from twinlib import describe, line


def named(n):
    f = Future()
    names[id(f)] = n
    return f


def show(fs):
    return sorted(names[id(f)] for f in fs)


def later(seconds, fn):
    t = threading.Timer(seconds, fn)
    t.start()
    timers.append(t)


names = {}
timers = []

if __name__ == "__main__":
    a, b, c = named("a"), named("b"), named("c")
    done, not_done = wait([a, b, c], timeout=0.05)
    line("timeout, none done: done=", show(done), " not_done=", show(not_done))
    a.set_result(1)
    done, not_done = wait([a, b, c], timeout=0, return_when=FIRST_COMPLETED)
    line("FIRST_COMPLETED with one done: done=", show(done), " not_done=", show(not_done))
    done, not_done = wait([a, b, c], timeout=0.05, return_when=FIRST_EXCEPTION)
    line("FIRST_EXCEPTION, no exception yet, timeout: done=", show(done), " not_done=", show(not_done))
    later(0.05, lambda: b.set_exception(ValueError("b failed")))
    done, not_done = wait([a, b, c], timeout=10, return_when=FIRST_EXCEPTION)
    line("FIRST_EXCEPTION after b raised: done=", show(done), " not_done=", show(not_done))
    later(0.05, lambda: c.set_result(3))
    done, not_done = wait([a, b, c, a, c], return_when=ALL_COMPLETED)
    line("ALL_COMPLETED with duplicates: done=", show(done), " not_done=", show(not_done))
    d = named("d")
    d.cancel()
    done, not_done = wait([d], timeout=0)
    # CPython counts CANCELLED_AND_NOTIFIED and FINISHED, not a bare CANCELLED.
    line("cancelled, not notified: done=", show(done), " not_done=", show(not_done))
    d.set_running_or_notify_cancel()
    done, not_done = wait([d], timeout=0)
    line("cancelled and notified: done=", show(done), " not_done=", show(not_done))
    done, not_done = wait([], timeout=0)
    line("wait on nothing: ", show(done), " ", show(not_done))

    x, y, z = named("x"), named("y"), named("z")
    z.set_result("z first")
    later(0.05, lambda: y.set_result("y second"))
    later(0.15, lambda: x.set_result("x third"))
    line("as_completed order: ", [names[id(f)] for f in as_completed([x, y, z, z])])

    p, q = named("p"), named("q")
    p.set_result(0)
    it = as_completed([p, q], timeout=0.1)
    line("as_completed yields the done one: ", names[id(next(it))])
    line("then times out: ", describe(lambda: next(it)))
    r, s, t = named("r"), named("s"), named("t")
    line("as_completed timeout=0, none done: ", describe(lambda: list(as_completed([r, s, t], timeout=0))))
    line("as_completed on nothing: ", list(as_completed([])))
    for tm in timers:
        tm.join()
