"""Twin: threading.Thread — default names (Thread-N, Thread-N (target)),
daemon inheritance and errors, ident/native_id/is_alive, join and start
errors, current_thread/main_thread, reprs (seed 001 "线程 / Thread"; CPython
Lib/threading.py Thread.__init__ _newname, start, join, daemon setter)."""
import threading

from twinlib import describe, line


started, release = threading.Event(), threading.Event()
out = []


def worker():
    started.set()
    release.wait()


def report_self():
    me = threading.current_thread()
    out.append("current_thread is the Thread: %s, name=%s, daemon=%s" % (me is out[0], me.name, me.daemon))
    out.append("join self: " + describe(me.join))
    out.append("daemon inherited: %s" % threading.Thread(target=worker).daemon)


def idents_free(text, t):
    return text.replace(" %d)" % t.ident, " <ident>)")


if __name__ == "__main__":
    main = threading.main_thread()
    line("main: name=", main.name, " daemon=", main.daemon, " is_alive=", main.is_alive(),
         " is current=", threading.current_thread() is main)
    line("main repr: ", idents_free(repr(main), main))

    t1 = threading.Thread()
    line("no target: ", t1.name, " ", repr(t1))
    t2 = threading.Thread(target=worker)
    line("target: ", t2.name)
    t3 = threading.Thread(target=worker, name="custom")
    line("named: ", t3.name)
    t4 = threading.Thread(target=lambda: None)
    line("lambda target: ", t4.name)
    t5 = threading.Thread(target=worker, daemon=True)
    line("daemon=True: ", t5.daemon, " ", repr(t5))

    line("before start: ident=", t2.ident, " native_id=", t2.native_id, " is_alive=", t2.is_alive())
    line("join before start: ", describe(t2.join))
    line("join(0.1) before start: ", describe(lambda: t2.join(0.1)))
    t2.start()
    started.wait()
    line("running: ident set=", t2.ident is not None, " native_id set=", t2.native_id is not None,
         " is_alive=", t2.is_alive(), " in enumerate=", t2 in threading.enumerate())
    line("running repr: ", idents_free(repr(t2), t2))
    line("join(0.05) while running: ", describe(lambda: t2.join(0.05)), " is_alive=", t2.is_alive())
    line("start twice: ", describe(t2.start))

    def set_daemon():
        t2.daemon = True
    line("set daemon of running thread: ", describe(set_daemon))
    line("active_count includes it: ", threading.active_count() == 2)
    release.set()
    t2.join()
    line("after join: is_alive=", t2.is_alive(), " ident kept=", t2.ident is not None,
         " in enumerate=", t2 in threading.enumerate())
    line("stopped repr: ", idents_free(repr(t2), t2))
    line("join again: ", describe(t2.join))
    line("start after end: ", describe(t2.start))
    line("active_count: ", threading.active_count())

    t6 = threading.Thread(target=report_self, daemon=True)
    out.append(t6)
    t6.start()
    t6.join()
    for text in out[1:]:
        line("in thread: ", text)

    t7 = threading.Thread(target=worker)
    t7.name = "renamed"
    t7.daemon = True
    line("renamed before start: ", repr(t7))
    line("main join self: ", describe(main.join))
