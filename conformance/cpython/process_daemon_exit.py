"""Twin: what a process does with its children when it ends (CPython
util._exit_function, run at the end of BaseProcess._bootstrap): daemonic
children are terminated, the others are joined. A runner child starts a
daemonic grandchild that would sleep 30 s and a normal one that sleeps 0.2 s,
then returns without joining, under each start method (seed 000 §1.1
daemon; Lib/multiprocessing/process.py, util.py _exit_function)."""
import multiprocessing as mp
import time

from twinlib import line


def daemon_grandchild(flags):
    time.sleep(30)
    flags[0] = 1


def normal_grandchild(flags):
    time.sleep(0.2)
    flags[1] = 1
    line("    non-daemon grandchild finished")


def runner(method, flags):
    ctx = mp.get_context(method)
    d = ctx.Process(target=daemon_grandchild, args=(flags,), daemon=True)
    d.start()
    n = ctx.Process(target=normal_grandchild, args=(flags,))
    n.start()
    line("  runner: returns without joining its ", len(mp.active_children()), " children")


if __name__ == "__main__":
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        flags = ctx.Array("i", 2)
        r = ctx.Process(target=runner, args=(method, flags))
        r.start()
        r.join()
        line(method, ": runner exitcode=", r.exitcode, " daemon grandchild finished its sleep: ", flags[0] == 1,
             " non-daemon grandchild finished: ", flags[1] == 1)
