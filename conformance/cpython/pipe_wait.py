"""Twin: multiprocessing.connection.wait over connections and process
sentinels: nothing ready (timeout), a message ready, EOF counts as ready,
input order kept, an empty list, a closed connection (OSError), and a child's
sentinel becoming ready when it ends, under each start method (seed 004 §1.5;
Lib/multiprocessing/connection.py wait, Process.sentinel)."""
import multiprocessing as mp
from multiprocessing.connection import wait

from twinlib import line, describe


def waits(ev):
    ev.wait(30)


if __name__ == "__main__":
    r1, w1 = mp.Pipe(duplex=False)
    r2, w2 = mp.Pipe(duplex=False)
    names = {id(r1): "r1", id(r2): "r2"}

    def ready(objs, timeout):
        return [names.get(id(o), "?") for o in wait(objs, timeout)]

    line("nothing ready, timeout 0.1: ", ready([r1, r2], 0.1))
    w2.send_bytes(b"x")
    line("r2 has a message: ", ready([r1, r2], 0))
    r2.recv_bytes()
    line("after reading it: ", ready([r1, r2], 0))
    w1.close()
    line("r1's writer closed: ", ready([r1, r2], 0))
    w2.send_bytes(b"y")
    line("both ready, input order: ", ready([r2, r1], None))
    line("empty list: ", wait([], 0.05))
    r1.close()
    line("closed connection: ", describe(lambda: wait([r1], 0)))
    r2.close()
    w2.close()

    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        ev = ctx.Event()
        p = ctx.Process(target=waits, args=(ev,))
        line(method, ": sentinel before start: ", describe(lambda: p.sentinel))
        p.start()
        line(method, ": sentinel while running, timeout 0.05: ", wait([p.sentinel], 0.05))
        ev.set()
        line(method, ": sentinel after the child ends: ", wait([p.sentinel], 30) == [p.sentinel])
        p.join()
        line(method, ": exitcode=", p.exitcode)
