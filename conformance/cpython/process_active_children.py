"""Twin: active_children() lists the running children (and reaps ended
ones), is_alive and join(timeout) through a child's life, and daemon
children under each start method (seed 000 §1.1; Lib/multiprocessing/
process.py active_children, _cleanup, BaseProcess.join/is_alive)."""
import multiprocessing as mp
import time

from twinlib import line


def waits(ev):
    ev.wait(30)


if __name__ == "__main__":
    line("no children: ", mp.active_children())
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        ev = ctx.Event()
        ps = [ctx.Process(target=waits, args=(ev,), name="%s-%d" % (method, i), daemon=(i == 2))
              for i in range(3)]
        line(method, ": before start: ", mp.active_children())
        for p in ps:
            p.start()
        line(method, ": running: ", sorted(p.name for p in mp.active_children()),
             " daemon flags: ", [p.daemon for p in ps])
        ps[0].join(0.1)
        line(method, ": join(0.1) while running: is_alive=", ps[0].is_alive(), " exitcode=", ps[0].exitcode)
        ev.set()
        for p in ps:
            p.join()
        line(method, ": after join: ", mp.active_children(), " exitcodes: ", [p.exitcode for p in ps],
             " is_alive: ", [p.is_alive() for p in ps])
