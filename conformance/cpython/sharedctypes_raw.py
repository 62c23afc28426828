"""Twin: sharedctypes.RawValue and RawArray (no lock): typecodes, values,
zero initialisation, indexing and IndexError('invalid index'), slices and
slice assignment, and a child writing them under each start method (seed 004
§1.6; Lib/multiprocessing/sharedctypes.py RawValue, RawArray)."""
import multiprocessing as mp
from multiprocessing.sharedctypes import RawArray, RawValue

from twinlib import line, describe


def writer(v, a):
    v.value = -v.value
    a[0:2] = [a[1], a[0]]
    a[-1] = 99


if __name__ == "__main__":
    v = RawValue("i", 5)
    line("RawValue('i', 5): ", repr(v), " value=", v.value)
    v.value = 7
    line("set 7: ", repr(v))
    line("RawValue('d'): ", repr(RawValue("d")))
    line("RawValue('B', 255): ", repr(RawValue("B", 255)))
    a = RawArray("i", [1, 2, 3, 4])
    line("RawArray('i', [1, 2, 3, 4]): len=", len(a), " a[:]=", a[:], " a[-1]=", a[-1])
    line("a[4]: ", describe(lambda: a[4]), " a[-5]: ", describe(lambda: a[-5]))
    a[1:3] = [20, 30]
    line("after a[1:3] = [20, 30]: ", a[:], " a[2:]=", a[2:])
    line("a[1:3] = [1, 2, 3]: ", describe(lambda: a.__setitem__(slice(1, 3), [1, 2, 3])))
    z = RawArray("h", 3)
    line("RawArray('h', 3): ", z[:])

    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        v = ctx.RawValue("l", 12)
        a = ctx.RawArray("i", [1, 2, 3])
        p = ctx.Process(target=writer, args=(v, a))
        p.start()
        p.join()
        line(method, ": after the child: value=", v.value, " array=", a[:], " exitcode=", p.exitcode)
