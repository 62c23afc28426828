"""Twin: Process names and identities under each start method (seed 000 §1.1;
Lib/multiprocessing/process.py: _process_counter, BaseProcess.__init__ names
'Process-' + ':'.join(identity), _bootstrap resets the counter in the child,
current_process/parent_process)."""
import multiprocessing as mp
import os

from twinlib import line


def grand():
    me, parent = mp.current_process(), mp.parent_process()
    line("    grandchild: name=", me.name, " parent=", parent.name,
         " parent pid is getppid: ", parent.pid == os.getppid())


def child(method):
    me, parent = mp.current_process(), mp.parent_process()
    line("  child: name=", me.name, " parent=", parent.name, " parent pid is getppid: ",
         parent.pid == os.getppid(), " pid is getpid: ", me.pid == os.getpid())
    ctx = mp.get_context(method)
    for _ in range(2):
        g = ctx.Process(target=grand)
        line("  child made ", g.name)
        g.start()
        g.join()
    g = ctx.Process(target=grand, name="grand")
    g.start()
    g.join()


if __name__ == "__main__":
    me = mp.current_process()
    line("main: name=", me.name, " parent_process()=", mp.parent_process(),
         " pid is getpid: ", me.pid == os.getpid())
    p = mp.Process(target=child, args=("fork",))
    line("default context: made ", p.name)
    p.start()
    p.join()
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        p = ctx.Process(target=child, args=(method,))
        line(method, ": made ", p.name, " pid before start=", p.pid)
        p.start()
        p.join()
        line(method, ": exitcode=", p.exitcode, " name after join=", p.name)
        q = ctx.Process(target=child, args=(method,), name="worker")
        line(method, ": made ", q.name)
        q.start()
        q.join()
        r = ctx.Process(target=child, args=(method,))
        line(method, ": made ", r.name)
        r.name = "renamed"
        r.start()
        r.join()
        line(method, ": after rename and join name=", r.name)
