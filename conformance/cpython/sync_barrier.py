"""Twin: multiprocessing.Barrier: parties/n_waiting/broken, invalid parties,
a timed-out wait breaking the barrier (BrokenBarrierError for the waiter and
later callers), abort and reset, distinct indices for the parties, and a
child broken by the parent's abort, under each start method (seed 001
"进程同步"; Lib/threading.py Barrier, Lib/multiprocessing/synchronize.py
Barrier)."""
import multiprocessing as mp
import time

from twinlib import line, describe


def party(barrier, slots, k):
    slots[k] = barrier.wait(timeout=30)


def lonely(barrier):
    line("  child: wait: ", describe(lambda: barrier.wait()), " broken=", barrier.broken)


if __name__ == "__main__":
    b = mp.Barrier(2)
    line("parties=", b.parties, " n_waiting=", b.n_waiting, " broken=", b.broken)
    line("Barrier(0): ", describe(lambda: mp.Barrier(0)))
    line("Barrier(-1): ", describe(lambda: mp.Barrier(-1)))
    t0 = time.monotonic()
    line("wait(timeout=0.1) alone: ", describe(lambda: b.wait(timeout=0.1)),
         " waited >= 0.1 s: ", time.monotonic() - t0 >= 0.1)
    line("broken=", b.broken, " wait again: ", describe(b.wait))
    b.reset()
    line("after reset: broken=", b.broken, " n_waiting=", b.n_waiting)
    b.abort()
    line("after abort: broken=", b.broken, " wait: ", describe(b.wait))
    b.reset()
    line("reset again: broken=", b.broken)
    one = mp.Barrier(1)
    line("Barrier(1).wait()=", one.wait(), " again=", one.wait())
    d = mp.Barrier(1, timeout=0.1)
    line("default timeout with one party: ", d.wait())

    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        barrier = ctx.Barrier(3)
        slots = ctx.Array("i", [-1, -1, -1])
        ps = [ctx.Process(target=party, args=(barrier, slots, k)) for k in (0, 1)]
        for p in ps:
            p.start()
        slots[2] = barrier.wait(timeout=30)
        for p in ps:
            p.join()
        line(method, ": indices ", sorted(slots[:]), " exitcodes ", [p.exitcode for p in ps])

        barrier = ctx.Barrier(2)
        p = ctx.Process(target=lonely, args=(barrier,))
        p.start()
        while barrier.n_waiting < 1:
            time.sleep(0.01)
        line(method, ": n_waiting=", barrier.n_waiting, " abort")
        barrier.abort()
        p.join()
        line(method, ": broken=", barrier.broken, " exitcode=", p.exitcode)
