"""Twin: Pool.imap and imap_unordered iteration — a failing task raises at
its position and iteration goes on (chunksize=1), a failing chunk
(chunksize=2, a declared difference), next(timeout) raising
multiprocessing.TimeoutError, empty input, imap_unordered's outcomes as a
sorted multiset, under each start method (seed 003 map/imap, seed 001
imap_unordered; CPython Lib/multiprocessing/pool.py IMapIterator.next,
Pool.imap)."""
import multiprocessing as mp
import time

from twinlib import describe, line


def check(x):
    if x == 3:
        raise ValueError("bad %d" % x)
    return x


def slow(x):
    time.sleep(x)
    return x


def outcomes(it, limit):
    out = []
    for _ in range(limit):
        try:
            # chunksize > 1: imap returns a generator, without next(timeout)
            out.append(str(it.next(timeout=30) if hasattr(it, "next") else next(it)))
        except StopIteration:
            out.append("StopIteration")
            break
        except Exception as e:  # noqa: BLE001 - the transcript names it
            out.append("%s: %s" % (type(e).__name__, e))
    return out


if __name__ == "__main__":
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        with ctx.Pool(2) as pool:
            line(method, " imap chunksize=1 with a failure: ", outcomes(pool.imap(check, range(6)), 8))
            line(method, " imap chunksize=2 with a failure: ", outcomes(pool.imap(check, range(6), chunksize=2), 8))
            line(method, " imap_unordered outcomes sorted: ",
                 sorted(outcomes(pool.imap_unordered(check, range(6)), 8)))
            line(method, " imap of nothing: ", outcomes(pool.imap(check, []), 2))
            it = pool.imap(slow, [0.5, 0.0])
            line(method, " next(timeout=0.05): ", describe(lambda: it.next(timeout=0.05)))
            line(method, " then: ", outcomes(it, 3))
