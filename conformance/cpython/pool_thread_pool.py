"""Twin: multiprocessing.pool.ThreadPool — results and order of map, imap,
imap_unordered (sorted), starmap, apply/apply_async with callbacks, worker
threads' names and daemon flag, the initializer, errors ("Number of
processes must be at least 1", "Chunksize must be 1+, not 0", "Pool not
running", "Pool is still running"), exceptions with their type, get timeout
(seed 003 "ThreadPool"; CPython Lib/multiprocessing/pool.py ThreadPool,
Lib/multiprocessing/dummy)."""
import threading
import time
from multiprocessing.pool import ThreadPool

from twinlib import describe, line

initialized = []
guard = threading.Lock()


def init(tag):
    with guard:
        initialized.append(tag)


def square(x):
    return x * x


def add(a, b):
    return a + b


def check_positive(x):
    if x < 0:
        raise ValueError("negative: %d" % x)
    return x


def whoami(_):
    t = threading.current_thread()
    time.sleep(0.02)
    return "%s daemon=%s" % (t.name.rsplit("-", 1)[0], t.daemon)


def slow(seconds):
    time.sleep(seconds)
    return seconds


if __name__ == "__main__":
    line("ThreadPool(0): ", describe(lambda: ThreadPool(0)))
    with ThreadPool(3, initializer=init, initargs=("ready",)) as pool:
        line("map: ", pool.map(square, range(10)))
        line("map chunksize=3: ", pool.map(square, range(10), chunksize=3))
        line("imap: ", list(pool.imap(square, range(6))))
        line("imap_unordered sorted: ", sorted(pool.imap_unordered(square, range(6))))
        line("starmap: ", pool.starmap(add, [(1, 2), (3, 4)]))
        line("apply: ", pool.apply(add, (20, 22)))
        got = []
        r = pool.apply_async(square, (9,), callback=got.append)
        line("apply_async: ", r.get(timeout=10), " callback got=", got)
        line("workers: ", sorted(set(pool.map(whoami, range(12), chunksize=1))))
        with guard:
            line("initializer ran once per worker: ", initialized)
        line("map chunksize=0: ", describe(lambda: pool.map(square, [1], chunksize=0)))
        line("imap_unordered chunksize=0: ", describe(lambda: pool.imap_unordered(square, [1], chunksize=0)))
        line("exception: ", describe(lambda: pool.apply(check_positive, (-1,))))
        line("map exception: ", describe(lambda: pool.map(check_positive, [3, -5])))
        errors = []
        pool.apply_async(check_positive, (-7,), error_callback=lambda e: errors.append(str(e))).wait(10)
        line("error_callback: ", errors)
        r = pool.apply_async(slow, (0.5,))
        line("get(timeout=0.05): ", describe(lambda: r.get(timeout=0.05)), " then ", r.get(timeout=10))
        line("join while running: ", describe(pool.join))
        pool.close()
        line("apply after close: ", describe(lambda: pool.apply(square, (1,))))
        pool.join()
        line("joined")
