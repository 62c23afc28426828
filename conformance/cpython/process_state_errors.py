"""Twin: Process state errors under each start method (seed 000 §1.1;
Lib/multiprocessing/process.py: start asserts 'cannot start a process twice',
'daemonic processes are not allowed to have children'; join asserts 'can only
join a started process'; close 'Cannot close a process while it is still
running...'; _check_closed 'process object is closed'; daemon setter
'process has already started'; sentinel 'process not started')."""
import multiprocessing as mp
import time

from twinlib import line, describe


def ok():
    pass


def sleeper():
    time.sleep(60)


def from_daemon(method):
    me = mp.current_process()
    line("  daemon child: daemon=", me.daemon)
    p = mp.get_context(method).Process(target=ok)
    line("  daemon child start: ", describe(p.start))


if __name__ == "__main__":
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        p = ctx.Process(target=ok)
        line(method, " before start: is_alive=", p.is_alive(), " exitcode=", p.exitcode, " daemon=", p.daemon)
        line(method, " join before start: ", describe(p.join))
        line(method, " sentinel before start: ", describe(lambda: p.sentinel))
        p.start()
        line(method, " start twice: ", describe(p.start))
        p.join()
        line(method, " joined: exitcode=", p.exitcode, " is_alive=", p.is_alive())
        line(method, " join again: ", describe(p.join))
        line(method, " set daemon after start: ", describe(lambda: setattr(p, "daemon", True)))
        line(method, " close ended: ", describe(p.close))
        line(method, " close again: ", describe(p.close))
        for what, fn in (("start", p.start), ("join", p.join), ("is_alive", p.is_alive),
                         ("exitcode", lambda: p.exitcode), ("pid", lambda: p.pid),
                         ("sentinel", lambda: p.sentinel), ("terminate", p.terminate),
                         ("kill", p.kill)):
            line(method, " ", what, " after close: ", describe(fn))
        line(method, " name after close: ", p.name)

        s = ctx.Process(target=sleeper)
        s.start()
        line(method, " close while running: ", describe(s.close))
        s.join(0.05)
        line(method, " join(timeout) while running: exitcode=", s.exitcode, " is_alive=", s.is_alive())
        s.terminate()
        s.join()
        line(method, " terminated: exitcode=", s.exitcode)
        line(method, " close after terminate: ", describe(s.close))

        u = ctx.Process(target=ok)
        line(method, " close before start: ", describe(u.close))
        line(method, " start after close: ", describe(u.start))

        d = ctx.Process(target=from_daemon, args=(method,), daemon=True)
        line(method, " daemon=", d.daemon)
        d.start()
        d.join()
        line(method, " daemon child exitcode=", d.exitcode)
