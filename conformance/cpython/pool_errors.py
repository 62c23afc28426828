"""Twin: multiprocessing.Pool errors under each start method — argument
errors, "Pool not running" after close/terminate, "Pool is still running" on
join before close, exceptions from workers with their type and message
(get, map, imap at its position, error_callback), AsyncResult.get timeout
(multiprocessing.TimeoutError), ready()/successful() and "... not ready"
(seeds 000/004 §1.3 "源码拓展"; CPython Lib/multiprocessing/pool.py
Pool._check_running, join, ApplyResult.successful, MapResult)."""
import multiprocessing as mp
import time

from twinlib import describe, line


def check_positive(x):
    if x < 0:
        raise ValueError("negative: %d" % x)
    return x


def slow(seconds):
    time.sleep(seconds)
    return seconds


def fail_runtime(msg):
    raise RuntimeError(msg)


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    line("Pool(0): ", describe(lambda: ctx.Pool(0)))
    line("Pool(maxtasksperchild=0): ", describe(lambda: ctx.Pool(1, maxtasksperchild=0)))
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        pool = ctx.Pool(2)
        got = []
        line(method, " map chunksize=0: ",
             describe(lambda: got.append(pool.map(check_positive, [1, 2], chunksize=0))), " returned ", got)
        line(method, " imap chunksize=0: ", describe(lambda: pool.imap(check_positive, [1], chunksize=0)))
        line(method, " join while running: ", describe(pool.join))

        r = pool.apply_async(check_positive, (-3,))
        line(method, " apply_async get: ", describe(lambda: r.get(timeout=30)),
             " ready=", r.ready(), " successful=", r.successful())
        line(method, " apply raises: ", describe(lambda: pool.apply(fail_runtime, ("worker said no",))))
        # With several failures get() raises the first to *complete* (racy),
        # so one task fails here.
        line(method, " map raises the task's error: ",
             describe(lambda: pool.map(check_positive, [1, -2, 3], chunksize=1)))
        it = pool.imap(check_positive, [5, -6, 7])
        seen = []
        for _ in range(3):
            seen.append(describe(lambda: seen.append(it.next(timeout=30))))
        line(method, " imap continues after a failure: ", [s for s in seen if s != "no exception"],
             " then ", describe(lambda: it.next(timeout=30)))
        errors = []
        r = pool.apply_async(check_positive, (-9,), callback=errors.append,
                             error_callback=lambda e: errors.append("%s: %s" % (type(e).__name__, e)))
        r.wait(30)
        line(method, " error_callback got: ", errors)
        errors = []
        m = pool.map_async(check_positive, [1, -1, -2], chunksize=1,
                           error_callback=lambda e: errors.append("%s: %s" % (type(e).__name__, e)))
        m.wait(30)
        line(method, " map_async error_callback called once: ", len(errors), " with one of them: ",
             errors[0] in ("ValueError: negative: -1", "ValueError: negative: -2"), " successful=", m.successful())

        r = pool.apply_async(slow, (1.0,))
        line(method, " get(timeout=0.1): ", describe(lambda: r.get(timeout=0.1)))
        line(method, " ready while running: ", r.ready())
        line(method, " successful while running: ", describe(r.successful))
        m = pool.map_async(slow, [1.0])
        line(method, " MapResult successful while running: ", describe(m.successful))
        r.wait(0.05)
        line(method, " wait(0.05) returns quietly: ready=", r.ready())
        line(method, " the slow task still finishes: ", r.get(timeout=30))

        pool.close()
        line(method, " apply_async after close: ", describe(lambda: pool.apply_async(check_positive, (1,))))
        line(method, " map after close: ", describe(lambda: pool.map(check_positive, [1])))
        line(method, " imap after close: ", describe(lambda: pool.imap(check_positive, [1])))
        pool.join()
        line(method, " join after close: done")
        line(method, " close twice: ", describe(pool.close))
        pool.terminate()
        line(method, " terminate after join: done")

        pool = ctx.Pool(1)
        pool.terminate()
        line(method, " apply after terminate: ", describe(lambda: pool.apply(check_positive, (1,))))
        line(method, " join after terminate: ", describe(pool.join))
