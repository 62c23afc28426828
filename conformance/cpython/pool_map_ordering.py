"""Twin: multiprocessing.Pool results and their order under each start
method — map (default and explicit chunksize), imap, imap_unordered (sorted),
starmap, apply, apply_async and map_async with callbacks, worker names
(seeds 000/004 §1.2 "进程池", seed 001 map/imap_unordered/apply_async, seed 003
map/imap; CPython Lib/multiprocessing/pool.py)."""
import multiprocessing as mp

from twinlib import line


def square(x):
    return x * x


def power(base, exp):
    return base ** exp


def worker_name(_):
    return mp.current_process().name.rsplit("-", 1)[0]


if __name__ == "__main__":
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        with ctx.Pool(processes=2) as pool:
            line(method, " processes: ", pool._processes)
            line(method, " map: ", pool.map(square, range(10)))
            line(method, " map chunksize=4: ", pool.map(square, range(10), chunksize=4))
            line(method, " map empty: ", pool.map(square, []))
            line(method, " imap: ", list(pool.imap(square, range(8))))
            line(method, " imap chunksize=3: ", list(pool.imap(square, range(8), chunksize=3)))
            line(method, " imap_unordered sorted: ", sorted(pool.imap_unordered(square, range(8))))
            line(method, " starmap: ", pool.starmap(power, [(2, 3), (3, 2), (10, 0)]))
            line(method, " apply: ", pool.apply(power, (2, 10)))
            got = []
            r = pool.apply_async(square, (12,), callback=got.append)
            line(method, " apply_async: get=", r.get(timeout=30), " callback got=", got,
                 " ready=", r.ready(), " successful=", r.successful())
            got = []
            m = pool.map_async(square, [1, 2, 3], callback=got.append)
            line(method, " map_async: get=", m.get(timeout=30), " callback got=", got)
            m = pool.starmap_async(power, [(5, 2)])
            line(method, " starmap_async: ", m.get(timeout=30))
            line(method, " worker names: ", sorted(set(pool.map(worker_name, range(20), chunksize=1))))
            results = [pool.apply_async(square, (i,)) for i in range(6)]
            line(method, " many apply_async in order: ", [r.get(timeout=30) for r in results])
        pool.join()
