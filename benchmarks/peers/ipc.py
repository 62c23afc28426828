#!/usr/bin/python3
"""CPython peer of benchmarks/ipc_benchmark.cpp.

Runs the same workloads on CPython and writes Google-Benchmark-format JSON
(gbench_peer.py). Rows are named CPython_<the C++ name without "BM_">;
scripts/ratios.py pairs them with the harness's rows (CPython_SharedMemory
with BM_SharedRing).

Throughput: a producer process (fork start method) sends messages of one
size as fast as it can; the parent receives them inside the timed loop. One
iteration is one message: items_per_second is messages per second,
bytes_per_second the payload rate.

  CPython_Floor_RawPipe/<size>  os.write/os.read of whole messages on an
                                os.pipe() enlarged to 1 MiB (F_SETPIPE_SZ):
                                what the interpreter costs over the C++
                                harness's BM_Floor_RawPipe
  CPython_Pipe/<size>           multiprocessing.Pipe(duplex=False):
                                send_bytes/recv_bytes
  CPython_Queue/<size>          multiprocessing.Queue put/get of bytes. The
                                queue is bounded to about 1 MiB of items in
                                flight (maxsize = clamp(1 MiB / size, 2,
                                16384)), as concur's Queue is bounded by its
                                1 MiB ring: CPython's unbounded put() would
                                buffer without limit in the producer.
  CPython_SharedMemory/<size>   multiprocessing.shared_memory.SharedMemory of
                                <size> bytes and two multiprocessing.Events,
                                one message in flight: the producer writes
                                the message into the segment (shm.buf[:size]
                                = msg) and sets `ready`; the parent waits for
                                `ready`, clears it, copies the message out
                                (bytes(shm.buf[:size])) and sets `ack`; the
                                producer waits for `ack` and clears it before
                                writing the next one. This is the
                                shared-memory channel CPython's standard
                                library offers (its peer is BM_SharedRing).

Latency: one iteration is one round trip of a 64-byte message, parent ->
child -> parent (the child echoes it), one channel per direction;
items_per_second is round trips per second.

  CPython_Floor_PipePingPong    1 byte over two os.pipe()s, os.write/os.read
  CPython_PingPong/pipe         two multiprocessing.Pipe(duplex=False),
                                send_bytes/recv_bytes
  CPython_PingPong/queue        two multiprocessing.Queues, put/get

Sizes: 64 B, 4 KiB, 64 KiB, 1 MiB. real_time is the wall time per message or
round trip in microseconds (time.perf_counter), cpu_time the parent's CPU
time (time.process_time).

Run with Debian's interpreter (the project's scripts use /usr/bin/python3):
  /usr/bin/python3 benchmarks/peers/ipc.py --benchmark_out=out.json
Options (Google Benchmark spelling):
  --benchmark_out=<path>        JSON output file (default: JSON to stdout only)
  --benchmark_filter=<regex>    run only benchmarks whose name matches (re.search)
  --benchmark_min_time=<secs>   timed seconds per benchmark (default 0.5)
  --benchmark_repetitions=<n>   run each benchmark n times, one row per run
Total run time is capped at about 90 s.
"""

import fcntl
import multiprocessing
import os
import queue
from multiprocessing import shared_memory

import gbench_peer

SIZES = (64, 4096, 65536, 1 << 20)
PING_PONG_BYTES = 64
TOTAL_BUDGET_S = 90.0
MAX_ITERATIONS = 10 ** 8
PIPE_BYTES = 1 << 20
RING_BYTES = 1 << 20


# ---- children (run in the forked process) -------------------------------

def raw_pipe_producer(r, w, size):
    os.close(r)
    msg = b"x" * size
    try:
        while True:
            view = memoryview(msg)
            while view:
                n = os.write(w, view)
                view = view[n:]
    except OSError:  # the reader closed its end (EPIPE)
        pass


def pipe_producer(r, w, size):
    r.close()
    msg = b"x" * size
    try:
        while True:
            w.send_bytes(msg)
    except OSError:  # the reader closed its end (EPIPE)
        pass


def queue_producer(q, stop, size):
    # Items still buffered in the feeder thread at exit are dropped instead
    # of blocking the exit (nobody reads them once the parent stopped).
    q.cancel_join_thread()
    msg = b"x" * size
    while not stop.is_set():
        try:
            q.put(msg, timeout=0.05)
        except queue.Full:
            pass


def shared_memory_producer(shm, ready, ack, stop, size):
    msg = b"x" * size
    buf = shm.buf
    while True:
        buf[:size] = msg
        ready.set()
        ack.wait()
        ack.clear()
        if stop.is_set():
            break
    del buf  # an exported buffer would make close() raise BufferError
    shm.close()


def raw_pipe_echo(there_r, there_w, back_r, back_w):
    os.close(there_w)
    os.close(back_r)
    while True:
        b = os.read(there_r, 1)
        if not b:  # EOF: the parent closed its end
            return
        os.write(back_w, b)


def pipe_echo(there_r, there_w, back_r, back_w):
    there_w.close()  # the forked copies of the parent's ends: else no EOF
    back_r.close()
    try:
        while True:
            back_w.send_bytes(there_r.recv_bytes())
    except EOFError:
        pass


def queue_echo(there, back):
    while True:
        item = there.get()
        if item is None:
            return
        back.put(item)


# ---- the parent's side: setup, timed run(n), stop ---------------------------

class RawPipe:
    def __init__(self, ctx, size):
        r, w = os.pipe()
        try:
            fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:
            pass  # above fs.pipe-max-size: keep the default
        self.size = size
        self.r = r
        self.proc = ctx.Process(target=raw_pipe_producer, args=(r, w, size))
        self.proc.start()
        os.close(w)

    def run(self, n):
        read, r, size = os.read, self.r, self.size
        for _ in range(n):
            left = size
            while left:
                chunk = read(r, left)
                if not chunk:
                    raise RuntimeError("pipe producer died")
                left -= len(chunk)

    def stop(self):
        os.close(self.r)
        self.proc.join()


class Pipe:
    def __init__(self, ctx, size):
        r, w = ctx.Pipe(duplex=False)
        self.r = r
        self.proc = ctx.Process(target=pipe_producer, args=(r, w, size))
        self.proc.start()
        w.close()

    def run(self, n):
        recv = self.r.recv_bytes
        for _ in range(n):
            recv()

    def stop(self):
        self.r.close()
        self.proc.join()


class Queue:
    def __init__(self, ctx, size):
        self.q = ctx.Queue(maxsize=max(2, min(16384, RING_BYTES // size)))
        self.stop_event = ctx.Event()
        self.proc = ctx.Process(target=queue_producer, args=(self.q, self.stop_event, size))
        self.proc.start()

    def run(self, n):
        get = self.q.get
        for _ in range(n):
            get()

    def stop(self):
        self.stop_event.set()
        self.proc.join()


class SharedMemory:
    def __init__(self, ctx, size):
        self.size = size
        self.shm = shared_memory.SharedMemory(create=True, size=size)
        self.ready, self.ack, self.stop_event = ctx.Event(), ctx.Event(), ctx.Event()
        self.proc = ctx.Process(target=shared_memory_producer,
                                args=(self.shm, self.ready, self.ack, self.stop_event, size))
        self.proc.start()

    def run(self, n):
        buf, size = self.shm.buf, self.size
        ready, ack = self.ready, self.ack
        for _ in range(n):
            ready.wait()
            ready.clear()
            bytes(buf[:size])
            ack.set()

    def stop(self):
        # The producer waits for an ack (or has just written): it sees the
        # flag after that ack and ends.
        self.stop_event.set()
        self.ack.set()
        self.proc.join()
        self.shm.close()
        self.shm.unlink()


class RawPipePingPong:
    def __init__(self, ctx, size):
        self.there_r, self.there_w = os.pipe()
        self.back_r, self.back_w = os.pipe()
        self.proc = ctx.Process(target=raw_pipe_echo,
                                args=(self.there_r, self.there_w, self.back_r, self.back_w))
        self.proc.start()
        os.close(self.there_r)
        os.close(self.back_w)

    def run(self, n):
        write, read, w, r = os.write, os.read, self.there_w, self.back_r
        for _ in range(n):
            write(w, b"x")
            if not read(r, 1):
                raise RuntimeError("echo child died")

    def stop(self):
        os.close(self.there_w)
        self.proc.join()
        os.close(self.back_r)


class PipePingPong:
    def __init__(self, ctx, size):
        self.msg = b"x" * size
        self.there_r, self.there_w = ctx.Pipe(duplex=False)
        self.back_r, self.back_w = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=pipe_echo,
                                args=(self.there_r, self.there_w, self.back_r, self.back_w))
        self.proc.start()
        self.there_r.close()
        self.back_w.close()

    def run(self, n):
        send, recv, msg = self.there_w.send_bytes, self.back_r.recv_bytes, self.msg
        for _ in range(n):
            send(msg)
            recv()

    def stop(self):
        self.there_w.close()
        self.proc.join()
        self.back_r.close()


class QueuePingPong:
    def __init__(self, ctx, size):
        self.msg = b"x" * size
        self.there, self.back = ctx.Queue(), ctx.Queue()
        self.proc = ctx.Process(target=queue_echo, args=(self.there, self.back))
        self.proc.start()

    def run(self, n):
        put, get, msg = self.there.put, self.back.get, self.msg
        for _ in range(n):
            put(msg)
            get()

    def stop(self):
        self.there.put(None)
        self.proc.join()


# (name, channel class, message size, bytes_per_second reported)
CASES = ([("CPython_%s/%d" % (family, size), channel, size, True)
          for size in SIZES
          for family, channel in (("Floor_RawPipe", RawPipe), ("Pipe", Pipe), ("Queue", Queue),
                                  ("SharedMemory", SharedMemory))]
         + [("CPython_Floor_PipePingPong", RawPipePingPong, 1, False),
            ("CPython_PingPong/pipe", PipePingPong, PING_PONG_BYTES, False),
            ("CPython_PingPong/queue", QueuePingPong, PING_PONG_BYTES, False)])


def run_one(channel_class, size, min_time, until):
    ctx = multiprocessing.get_context("fork")
    channel = channel_class(ctx, size)
    try:
        channel.run(2)  # warm-up: the child is running
        return gbench_peer.calibrate(channel.run, min_time, until, MAX_ITERATIONS)
    finally:
        channel.stop()


def main():
    cases = [(name, (channel, size), size if throughput else None) for name, channel, size, throughput in CASES]
    gbench_peer.run("ipc.py", cases, run_one, TOTAL_BUDGET_S, time_format="%10.3f")


if __name__ == "__main__":
    main()
