"""Twin: start methods and contexts: get_all_start_methods, get_context names
and identity, unknown methods, set_start_method once ('context has already
been set'), force, get_start_method(allow_none), and the method a child runs
under and inherits (seed 001 "进程创建", seed 004 "上下文系";
Lib/multiprocessing/context.py DefaultContext)."""
import multiprocessing as mp

from twinlib import line, describe


def show_method():
    line("  child: get_start_method()=", mp.get_start_method())


if __name__ == "__main__":
    line("get_all_start_methods: ", mp.get_all_start_methods())
    line("get_start_method(allow_none=True): ", mp.get_start_method(allow_none=True))
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        line(method, ": get_start_method()=", ctx.get_start_method(),
             " same object twice: ", ctx is mp.get_context(method))
    line("get_context('thread'): ", describe(lambda: mp.get_context("thread")))
    line("get_context(''): ", describe(lambda: mp.get_context("")))
    line("set_start_method('thread'): ", describe(lambda: mp.set_start_method("thread")))
    line("still unset: ", mp.get_start_method(allow_none=True))
    mp.set_start_method("spawn")
    line("after set spawn: ", mp.get_start_method(), " default context: ", mp.get_context().get_start_method())
    line("set again: ", describe(lambda: mp.set_start_method("fork")))
    line("set same again: ", describe(lambda: mp.set_start_method("spawn")))
    p = mp.Process(target=show_method)
    p.start()
    p.join()
    mp.set_start_method("forkserver", force=True)
    line("after force forkserver: ", mp.get_start_method())
    p = mp.Process(target=show_method)
    p.start()
    p.join()
    mp.set_start_method(None, force=True)
    line("after force None: ", mp.get_start_method(allow_none=True))
    line("get_start_method() fixes the default: ", mp.get_start_method())
    line("then set: ", describe(lambda: mp.set_start_method("spawn")))
    p = mp.Process(target=show_method)
    p.start()
    p.join()
    for method in ("fork", "spawn", "forkserver"):
        p = mp.get_context(method).Process(target=show_method)
        p.start()
        p.join()
