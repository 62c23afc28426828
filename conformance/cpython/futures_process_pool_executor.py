"""Twin: concurrent.futures.ProcessPoolExecutor under each start method —
submit and map results in order, chunksize, exceptions from workers with
their type and message, argument errors, a worker dying breaks the pool
(BrokenProcessPool texts), shutdown errors (seed 001 "concurrent.futures":
ProcessPoolExecutor with map(is_prime, PRIMES); CPython
Lib/concurrent/futures/process.py)."""
import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor

from twinlib import describe, line


def square(x):
    return x * x


def fail_on_three(x):
    if x == 3:
        raise ValueError("three is bad")
    return x


def divide(a, b):
    return a // b


def pick(i):
    return [10, 20][i]


def die(code):
    os._exit(code)


if __name__ == "__main__":
    line("max_workers=0: ", describe(lambda: ProcessPoolExecutor(max_workers=0)))
    line("max_tasks_per_child=0: ", describe(lambda: ProcessPoolExecutor(max_workers=1, max_tasks_per_child=0)))
    line("max_tasks_per_child with fork: ",
         describe(lambda: ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("fork"),
                                              max_tasks_per_child=2)))
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as ex:
            fs = [ex.submit(square, i) for i in range(5)]
            line(method, " submit: ", [f.result() for f in fs])
            line(method, " map chunksize=3: ", list(ex.map(square, range(10), chunksize=3)))
            line(method, " map chunksize=0: ", describe(lambda: ex.map(square, range(3), chunksize=0)))
            f = ex.submit(fail_on_three, 3)
            line(method, " exception from a worker: ", describe(f.result))
            line(method, " IndexError from a worker: ", describe(ex.submit(pick, 5).result))
            got = []
            line(method, " map stops at the failure: ",
                 describe(lambda: got.extend(ex.map(fail_on_three, [1, 2, 3, 4]))), " got=", got)
            line(method, " two arguments: ", ex.submit(divide, 17, 5).result())
        line(method, " submit after the with block: ", describe(lambda: ex.submit(square, 1)))

        ex = ProcessPoolExecutor(max_workers=1, mp_context=ctx)
        line(method, " warm-up: ", ex.submit(square, 3).result())
        dead = ex.submit(die, 3)
        line(method, " worker exits: ", describe(dead.result))
        line(method, " submit to a broken pool: ", describe(lambda: ex.submit(square, 2)))
        ex.shutdown()
