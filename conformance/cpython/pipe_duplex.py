"""Twin: a duplex Pipe: both ends send and receive, objects and bytes,
poll with timeouts, an echo child under each start method, EOFError and
BrokenPipeError after the peer closes (seed 004 §1.5 "PIPE管道通信";
Lib/multiprocessing/connection.py Pipe(duplex=True), Connection.poll)."""
import multiprocessing as mp

from twinlib import line, describe


def echo(conn):
    while True:
        msg = conn.recv()
        if msg == "stop":
            break
        conn.send(msg.upper())
    conn.send_bytes(b"bye")
    conn.close()


if __name__ == "__main__":
    a, b = mp.Pipe()
    line("a: readable=", a.readable, " writable=", a.writable, " b: readable=", b.readable, " writable=", b.writable)
    a.send("ping")
    b.send("pong")
    line("b got ", repr(b.recv()), ", a got ", repr(a.recv()))
    a.send(1)
    a.send(2)
    a.send(3)
    line("get order: ", b.recv(), " ", b.recv(), " ", b.recv())
    line("poll on empty: ", a.poll(), " poll(0.05): ", a.poll(0.05))
    b.send_bytes(b"raw")
    line("poll(None) with data: ", a.poll(None), " recv_bytes: ", a.recv_bytes())
    b.close()
    line("poll after peer closed: ", a.poll())
    line("recv after peer closed: ", describe(a.recv))
    line("send after peer closed: ", describe(lambda: a.send_bytes(b"x")))
    a.close()
    line("send on closed: ", describe(lambda: a.send("x")))

    for method in ("fork", "spawn", "forkserver"):
        parent, child = mp.Pipe()
        p = mp.get_context(method).Process(target=echo, args=(child,))
        p.start()
        child.close()
        for word in ("spam", "eggs"):
            parent.send(word)
            line(method, ": sent ", repr(word), " got ", repr(parent.recv()))
        parent.send("stop")
        line(method, ": last ", parent.recv_bytes(), " then ", describe(parent.recv_bytes))
        p.join()
        parent.close()
        line(method, ": exitcode=", p.exitcode)
