"""Twin: a simplex Pipe's ends and their errors: send on the read-only end,
recv/poll on the write-only end, use after close, EOFError once the writer is
closed (also by a child under each start method), BrokenPipeError when the
reader is gone (seed 004 §1.5 "PIPE管道通信"; Lib/multiprocessing/
connection.py _ConnectionBase._check_readable/_check_writable/_check_closed,
Connection._recv)."""
import multiprocessing as mp

from twinlib import line, describe


def writer(w, n):
    for i in range(n):
        w.send_bytes(b"msg %d" % i)
    w.close()


if __name__ == "__main__":
    r, w = mp.Pipe(duplex=False)
    line("r: readable=", r.readable, " writable=", r.writable, " closed=", r.closed)
    line("w: readable=", w.readable, " writable=", w.writable, " closed=", w.closed)
    line("send_bytes on r: ", describe(lambda: r.send_bytes(b"x")))
    line("recv_bytes on w: ", describe(w.recv_bytes))
    line("recv_bytes_into on w: ", describe(lambda: w.recv_bytes_into(bytearray(4))))
    line("poll on w: ", describe(w.poll))
    line("poll on empty r: ", r.poll(), " poll(0.05): ", r.poll(0.05))
    w.send_bytes(b"hello")
    line("poll after send: ", r.poll(), " got ", r.recv_bytes(), " poll after recv: ", r.poll())
    w.close()
    line("w closed=", w.closed, " close again: ", describe(w.close))
    line("send_bytes on closed w: ", describe(lambda: w.send_bytes(b"x")))
    line("fileno of closed w: ", describe(w.fileno))
    line("poll on r after writer closed: ", r.poll())
    line("recv_bytes on r after writer closed: ", describe(r.recv_bytes))
    r.close()
    line("recv_bytes on closed r: ", describe(r.recv_bytes))
    line("poll on closed r: ", describe(r.poll))

    r, w = mp.Pipe(duplex=False)
    r.close()
    line("send_bytes with reader gone: ", describe(lambda: w.send_bytes(b"x")))
    w.close()

    for method in ("fork", "spawn", "forkserver"):
        r, w = mp.Pipe(duplex=False)
        p = mp.get_context(method).Process(target=writer, args=(w, 3))
        p.start()
        w.close()
        got = []
        while True:
            try:
                got.append(r.recv_bytes())
            except EOFError as e:
                line(method, ": received ", got, " then ", type(e).__name__, ": ", e)
                break
        p.join()
        r.close()
        line(method, ": exitcode=", p.exitcode)
