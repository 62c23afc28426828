"""Twin: threading's module functions — current_thread/main_thread from the
main thread, a Thread and a foreign thread (a "Dummy-N" stand-in sharing the
Thread-N counter), active_count/enumerate while threads run and after,
get_ident/get_native_id distinct per thread, daemon default of a foreign
thread (CPython Lib/threading.py current_thread, _DummyThread, _newname,
enumerate, active_count)."""
import _thread
import threading

from twinlib import line

results = {}


def in_thread(key):
    me = threading.current_thread()
    results[key] = (me.name, me.daemon, me is threading.main_thread(), threading.get_ident(),
                    threading.get_native_id())


def foreign(done):
    in_thread("foreign")
    results["foreign alive"] = threading.current_thread().is_alive()
    results["foreign in enumerate"] = threading.current_thread() in threading.enumerate()
    done.release()


if __name__ == "__main__":
    main = threading.main_thread()
    line("main thread: ", main.name, " is current: ", threading.current_thread() is main)
    line("active_count at start: ", threading.active_count(), " enumerate: ", [t.name for t in threading.enumerate()])
    t1 = threading.Thread()
    line("first unnamed: ", t1.name)
    release = threading.Event()
    started = threading.Semaphore(0)

    def body():
        in_thread("thread")
        started.release()
        release.wait()
    t2 = threading.Thread(target=body, name="worker")
    t2.start()
    started.acquire()
    line("while worker runs: active_count=", threading.active_count(),
         " enumerate=", sorted(t.name for t in threading.enumerate()))
    release.set()
    t2.join()
    name, daemon, is_main, ident, native = results["thread"]
    line("in the worker: name=", name, " daemon=", daemon, " is main=", is_main,
         " ident differs=", ident != threading.get_ident(), " native_id differs=", native != threading.get_native_id())

    done = threading.Lock()
    done.acquire()
    _thread.start_new_thread(foreign, (done,))
    done.acquire()
    name, daemon, is_main, ident, native = results["foreign"]
    line("foreign thread: name=", name, " daemon=", daemon, " is main=", is_main,
         " alive=", results["foreign alive"], " in enumerate=", results["foreign in enumerate"])
    t3 = threading.Thread()
    line("the counter is shared with Dummy-N: ", t3.name)
    # (active_count() now is racy: the foreign thread may still be ending.)
    line("ident of main stable: ", threading.get_ident() == main.ident)
