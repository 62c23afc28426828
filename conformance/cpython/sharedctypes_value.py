"""Twin: multiprocessing.Value: every typecode with its value and repr,
unknown typecodes, lock=True (an RLock, or a given Lock) and lock=False (no
get_lock: AttributeError), and increments by children under each start
method, locked and raw (seed 004 §1.6 "进程间状态共享"; Lib/multiprocessing/
sharedctypes.py Value, Synchronized, typecode_to_type)."""
import multiprocessing as mp

from twinlib import line, describe

CASES = (("c", b"x"), ("b", -5), ("B", 250), ("h", -300), ("H", 65000), ("i", -7), ("I", 7),
         ("l", -8), ("L", 8), ("q", -9), ("Q", 9), ("f", 1.5), ("d", 2.25))


def add(v, n):
    for _ in range(n):
        with v.get_lock():
            v.value += 1


def set_raw(v, x):
    v.value = x


if __name__ == "__main__":
    for tc, init in CASES:
        v = mp.Value(tc, init)
        line(tc, ": value=", repr(v.value), " repr=", repr(v))
        z = mp.Value(tc)
        line(tc, ": default value=", repr(z.value))
    line("Value('z', 0): ", describe(lambda: mp.Value("z", 0)))
    v = mp.Value("i", 5)
    line("get_lock: ", repr(v.get_lock()))
    line("acquire: ", v.acquire(), " then ", repr(v.get_lock()), " release: ", describe(v.release))
    lk = mp.Lock()
    w = mp.Value("i", 1, lock=lk)
    line("lock=Lock(): get_lock is the lock: ", w.get_lock() is lk, " ", repr(w.get_lock()))
    r = mp.Value("i", 5, lock=False)
    line("lock=False: repr=", repr(r), " value=", r.value)
    line("lock=False get_lock: ", describe(lambda: r.get_lock()))
    line("lock=False acquire: ", describe(lambda: r.acquire()))
    r.value = 6
    line("lock=False set: ", r.value)

    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        v = ctx.Value("i", 0)
        ps = [ctx.Process(target=add, args=(v, 200)) for _ in range(2)]
        for p in ps:
            p.start()
        add(v, 200)
        for p in ps:
            p.join()
        line(method, ": three adders of 200 under get_lock: ", v.value)
        raw = ctx.Value("d", 0.5, lock=False)
        p = ctx.Process(target=set_raw, args=(raw, 4.75))
        p.start()
        p.join()
        line(method, ": raw double set by the child: ", raw.value)
