"""Twin: a Process subclass that overrides run() (seed 000 §1.1 My_Process)
under each start method fixed with set_start_method(force=True): its default
name (class name + counter), its own state crossing to the child, the child's
current_process() being the object itself, and a run() that raises
(exitcode 1) (Lib/multiprocessing/process.py BaseProcess.__init__/run/
_bootstrap, context.py set_start_method)."""
import multiprocessing as mp

from twinlib import line


class Worker(mp.Process):
    def __init__(self, label="", fail=False):
        super().__init__()
        self.label = label
        self.fail = fail

    def run(self):
        me = mp.current_process()
        line("  child: run() of ", type(self).__name__, " label=", self.label, " name=", self.name,
             " current_process() is self: ", me is self, " daemon=", self.daemon)
        if self.fail:
            raise RuntimeError("worker failed")


if __name__ == "__main__":
    for method in ("fork", "spawn", "forkserver"):
        mp.set_start_method(method, force=True)
        w = Worker("first")
        line(method, ": made ", w.name)
        w.start()
        w.join()
        line(method, ": exitcode=", w.exitcode)
        d = Worker("second")
        d.name = "named"
        d.daemon = True
        d.start()
        d.join()
        f = Worker("third", fail=True)
        f.start()
        f.join()
        line(method, ": raising run(): exitcode=", f.exitcode)
