"""Twin: send_bytes with offset/size (counted in bytes, also for an int
array), their ValueErrors, recv_bytes(maxlength) and 'bad message length',
recv_bytes_into with offsets, its ValueErrors and BufferTooShort carrying the
whole message (seed 004 §1.5; Lib/multiprocessing/connection.py send_bytes,
recv_bytes, recv_bytes_into, _bad_message_length)."""
import array
import multiprocessing as mp

from twinlib import line, describe


if __name__ == "__main__":
    a, b = mp.Pipe()
    buf = b"0123456789"
    a.send_bytes(buf, 2, 5)
    line("send_bytes(buf, 2, 5): ", b.recv_bytes())
    a.send_bytes(buf, 8)
    line("send_bytes(buf, 8): ", b.recv_bytes())
    a.send_bytes(buf, 10)
    line("send_bytes(buf, 10): ", b.recv_bytes())
    a.send_bytes(buf, 3, 0)
    line("send_bytes(buf, 3, 0): ", b.recv_bytes())
    for args in ((-1,), (11,), (2, -1), (5, 6)):
        line("send_bytes(buf, ", ", ".join(map(str, args)), "): ", describe(lambda: a.send_bytes(buf, *args)))
    ints = array.array("i", [1, 2, 3])
    a.send_bytes(ints, 4, 4)
    line("send_bytes(int array, 4, 4): ", b.recv_bytes())
    line("send_bytes(int array, 13): ", describe(lambda: a.send_bytes(ints, 13)))

    line("recv_bytes(-1): ", describe(lambda: b.recv_bytes(-1)))
    a.send_bytes(b"12345")
    line("recv_bytes(5) of 5 bytes: ", b.recv_bytes(5))
    a.send_bytes(b"x" * 10)
    line("recv_bytes(5) of 10 bytes: ", describe(lambda: b.recv_bytes(5)))
    line("after bad length: readable=", b.readable, " writable=", b.writable, " closed=", b.closed)
    line("recv_bytes again: ", describe(b.recv_bytes))
    a.close()
    b.close()

    a, b = mp.Pipe()
    into = bytearray(10)
    a.send_bytes(b"hello")
    line("recv_bytes_into(buf, 3): ", b.recv_bytes_into(into, 3), " buf=", bytes(into))
    line("recv_bytes_into(buf, -1): ", describe(lambda: b.recv_bytes_into(into, -1)))
    line("recv_bytes_into(buf, 11): ", describe(lambda: b.recv_bytes_into(into, 11)))
    a.send_bytes(b"ten bytes!")
    line("recv_bytes_into(buf, 10) of 10 bytes: ", describe(lambda: b.recv_bytes_into(into, 10)))
    small = bytearray(3)
    a.send_bytes(b"too long")
    try:
        b.recv_bytes_into(small)
    except mp.BufferTooShort as e:
        line("BufferTooShort: args[0]=", e.args[0], " buf untouched=", bytes(small))
    a.send_bytes(b"next")
    line("the connection goes on: ", b.recv_bytes())
    arr = array.array("i", [0, 0, 0])
    a.send_bytes(array.array("i", [7, 8]))
    line("recv_bytes_into(int array, 4): ", b.recv_bytes_into(arr, 4), " array=", list(arr))

    r, w = mp.Pipe(duplex=False)
    w.send_bytes(b"x" * 10)
    line("read-only end recv_bytes(5) of 10 bytes: ", describe(lambda: r.recv_bytes(5)))
    line("after bad length: closed=", r.closed)
    w.close()
