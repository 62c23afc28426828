"""Twin: threading.Timer — fires once after the interval with its arguments,
cancel before and after start, cancel after firing, name, start twice, join
(seed 003 "定时器 timer = threading.Timer"; CPython Lib/threading.py class
Timer)."""
import threading

from twinlib import describe, line

calls = []
fired = threading.Event()


def record(tag, n):
    calls.append("%s:%d" % (tag, n))
    fired.set()


if __name__ == "__main__":
    t = threading.Timer(0.05, record, args=("a", 1))
    line("name: ", t.name, " daemon: ", t.daemon, " is_alive before start: ", t.is_alive())
    t.start()
    line("is_alive after start: ", t.is_alive())
    line("fired: ", fired.wait(10))
    t.join()
    line("calls: ", calls, " is_alive after join: ", t.is_alive())
    line("start twice: ", describe(t.start))
    line("cancel after firing: ", describe(t.cancel), " calls: ", calls)

    fired.clear()
    c = threading.Timer(30, record, args=("b", 2))
    c.start()
    c.cancel()
    c.join(10)
    line("cancelled while waiting: is_alive=", c.is_alive(), " calls: ", calls)

    d = threading.Timer(0.01, record, args=("c", 3))
    d.cancel()
    d.start()
    d.join(10)
    line("cancelled before start: is_alive=", d.is_alive(), " calls: ", calls)
    line("cancel twice: ", describe(d.cancel))

    e = threading.Timer(-1, record, args=("d", 4))
    e.start()
    e.join(10)
    line("negative interval fires at once: ", calls)

    f = threading.Timer(0.01, record, args=("e", 5))
    line("join before start: ", describe(f.join))
