"""Twin: multiprocessing.Array: len, indexing with negative indices,
IndexError('invalid index'), slices (clamped), slice assignment and its
ValueError, zero initialisation by size, lock=False without get_lock, repr,
and a child changing the array under each start method (seed 004 §1.6;
Lib/multiprocessing/sharedctypes.py Array, SynchronizedArray)."""
import multiprocessing as mp

from twinlib import line, describe


def double_all(a):
    with a.get_lock():
        for i in range(len(a)):
            a[i] *= 2


if __name__ == "__main__":
    a = mp.Array("i", [1, 2, 3, 4, 5])
    line("len=", len(a), " a[0]=", a[0], " a[-1]=", a[-1], " a[:]=", a[:])
    line("a[1:3]=", a[1:3], " a[-2:]=", a[-2:], " a[1:100]=", a[1:100], " a[3:1]=", a[3:1], " a[-100:2]=", a[-100:2])
    line("a[5]: ", describe(lambda: a[5]))
    line("a[-6]: ", describe(lambda: a[-6]))
    line("a[5] = 1: ", describe(lambda: a.__setitem__(5, 1)))
    a[1:3] = [9, 8]
    a[-1] = 50
    line("after a[1:3] = [9, 8]; a[-1] = 50: ", a[:])
    line("a[0:2] = [1]: ", describe(lambda: a.__setitem__(slice(0, 2), [1])))
    line("repr: ", repr(a))
    z = mp.Array("d", 3)
    line("Array('d', 3)=", z[:], " len=", len(z))
    e = mp.Array("i", 0)
    line("Array('i', 0)=", e[:], " len=", len(e), " e[0]: ", describe(lambda: e[0]))
    r = mp.Array("h", [1, 2, 3], lock=False)
    line("lock=False: ", r[:], " get_lock: ", describe(lambda: r.get_lock()))
    line("lock=False repr: ", repr(r))
    line("Array('q', 3) get_lock: ", repr(mp.Array("q", 3).get_lock()))

    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        a = ctx.Array("i", range(6))
        p = ctx.Process(target=double_all, args=(a,))
        p.start()
        p.join()
        line(method, ": after the child doubled: ", a[:], " exitcode=", p.exitcode)
