"""Twin: concurrent.futures.Future states — PENDING, RUNNING, FINISHED,
CANCELLED transitions, cancel(), result()/exception() with timeouts,
CancelledError, InvalidStateError messages, done callbacks, reprs (seed 001
"concurrent.futures"; CPython Lib/concurrent/futures/_base.py class Future)."""
import threading
from concurrent.futures import Future

from twinlib import describe, line


def states(f):
    return "done=%s running=%s cancelled=%s" % (f.done(), f.running(), f.cancelled())


def exc_text(e):
    return "None" if e is None else "%s: %s" % (type(e).__name__, e)


if __name__ == "__main__":
    f = Future()
    line("new: ", repr(f), " ", states(f))
    line("result(timeout=0.05) pending: ", describe(lambda: f.result(timeout=0.05)))
    line("exception(timeout=0) pending: ", describe(lambda: f.exception(timeout=0)))
    line("set_running_or_notify_cancel: ", f.set_running_or_notify_cancel())
    line("running: ", repr(f), " ", states(f))
    line("cancel running: ", f.cancel(), " ", states(f))
    line("set_running_or_notify_cancel again: ", describe(f.set_running_or_notify_cancel))
    order = []
    f.add_done_callback(lambda fut: order.append("first %s" % fut.result()))
    f.add_done_callback(lambda fut: order.append("second %s" % fut.done()))
    f.set_result(5)
    line("finished: ", repr(f), " ", states(f), " result=", f.result(), " exception=", exc_text(f.exception()))
    line("callbacks ran in order: ", order)
    f.add_done_callback(lambda fut: order.append("late runs at once"))
    line("callback added when done: ", order[-1])
    line("set_result again: ", describe(lambda: f.set_result(6)))
    line("set_exception when finished: ", describe(lambda: f.set_exception(ValueError("x"))))
    line("cancel finished: ", f.cancel())

    g = Future()
    line("cancel pending: ", g.cancel(), " ", repr(g), " ", states(g))
    line("cancel twice: ", g.cancel())
    line("result of cancelled: ", describe(g.result))
    line("exception of cancelled: ", describe(g.exception))
    line("set_result on cancelled: ", describe(lambda: g.set_result(1)))
    line("set_running_or_notify_cancel on cancelled: ", g.set_running_or_notify_cancel(), " ", repr(g))
    line("cancel after notify: ", g.cancel(), " ", states(g))

    h = Future()
    h.set_running_or_notify_cancel()
    h.set_exception(ValueError("bad value"))
    line("raised: ", repr(h), " ", states(h))
    line("result raises: ", describe(h.result))
    line("exception returns: ", exc_text(h.exception()))
    line("set_exception again: ", describe(lambda: h.set_exception(KeyError("k"))))

    # set_result straight from PENDING is allowed (no RUNNING needed).
    k = Future()
    k.set_result("text")
    line("pending -> finished: ", repr(k), " result=", repr(k.result(timeout=0)))

    # A waiter blocked in result() is released by set_result in another thread.
    w = Future()
    t = threading.Timer(0.05, lambda: w.set_result([1, 2]))
    t.start()
    line("blocked result released: ", w.result(timeout=10))
    t.join()
