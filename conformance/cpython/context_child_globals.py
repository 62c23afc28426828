"""Twin: what a child sees of its parent's globals under each start method:
fork copies the parent's memory (it sees values set after import), spawn and
forkserver start from a fresh image (they see the values at import), and a
child's changes never reach the parent (seed 001 "进程创建" fork/spawn/
forkserver; Lib/multiprocessing/popen_fork.py, spawn.py, forkserver.py)."""
import multiprocessing as mp

from twinlib import line

COUNTER = 0
NAMES = ["import"]


def show(label):
    global COUNTER
    line("  ", label, " child sees COUNTER=", COUNTER, " NAMES=", NAMES)
    COUNTER += 100
    NAMES.append("child")
    line("  ", label, " child changed to COUNTER=", COUNTER, " NAMES=", NAMES)


if __name__ == "__main__":
    COUNTER = 42
    NAMES.append("main")
    for method in ("fork", "spawn", "forkserver"):
        p = mp.get_context(method).Process(target=show, args=(method,))
        p.start()
        p.join()
        line(method, ": parent still has COUNTER=", COUNTER, " NAMES=", NAMES, " exitcode=", p.exitcode)
    COUNTER = 7
    for method in ("fork", "spawn", "forkserver"):
        p = mp.get_context(method).Process(target=show, args=(method + " again",))
        p.start()
        p.join()
