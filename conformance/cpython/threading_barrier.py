"""Twin: threading.Barrier — wait indices, action, timeout breaking the
barrier, abort, reset, n_waiting/parties/broken, repr (CPython
Lib/threading.py class Barrier; BrokenBarrierError has no message)."""
import threading
import time

from twinlib import describe, line


def run_parties(barrier, n, timeout=None):
    out = []
    guard = threading.Lock()
    def party():
        r = describe(lambda: out_append(barrier.wait(timeout)))
        if r != "no exception":
            with guard:
                out.append(r)
    def out_append(v):
        with guard:
            out.append(v)
    threads = [threading.Thread(target=party) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(out, key=str)


def wait_for_waiting(barrier, n):
    while barrier.n_waiting < n:
        time.sleep(0.005)


if __name__ == "__main__":
    b = threading.Barrier(3)
    line("repr: ", repr(b))
    line("parties=", b.parties, " n_waiting=", b.n_waiting, " broken=", b.broken)
    line("round 1 indices: ", run_parties(b, 3))
    line("round 2 indices: ", run_parties(b, 3))

    actions = []
    b = threading.Barrier(2, action=lambda: actions.append("action ran"))
    line("with action: ", run_parties(b, 2), " ", actions)

    b = threading.Barrier(3)
    other = []
    t = threading.Thread(target=lambda: other.append(describe(lambda: b.wait(10))))
    t.start()
    wait_for_waiting(b, 1)
    line("repr one waiting: ", repr(b))
    line("wait(0.05) with one other: ", describe(lambda: b.wait(0.05)))
    t.join()
    line("the other waiter: ", other[0])
    line("broken after timeout: ", b.broken, " ", repr(b))
    line("wait on broken: ", describe(b.wait))
    b.reset()
    line("reset: broken=", b.broken, " ", repr(b))
    line("round after reset: ", run_parties(b, 3))

    b = threading.Barrier(2, timeout=0.05)
    line("default timeout breaks: ", describe(b.wait))

    b = threading.Barrier(3)
    t = threading.Thread(target=lambda: line("waiter at abort: ", describe(b.wait)))
    t.start()
    wait_for_waiting(b, 1)
    b.abort()
    t.join()
    line("after abort: broken=", b.broken, " ", describe(b.wait))

    b = threading.Barrier(2)
    t = threading.Thread(target=lambda: line("waiter at reset: ", describe(lambda: b.wait(10))))
    t.start()
    wait_for_waiting(b, 1)
    b.reset()
    t.join()
    line("reset during a wait leaves it usable: broken=", b.broken, " ", run_parties(b, 2))

    def bad_action():
        raise ValueError("action failed")
    b = threading.Barrier(2, action=bad_action)
    line("action raises: ", run_parties(b, 2))
    line("broken after failed action: ", b.broken)

    b = threading.Barrier(1)
    line("Barrier(1) wait: ", b.wait(), " ", b.wait())
