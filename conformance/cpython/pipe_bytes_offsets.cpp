// Twin of pipe_bytes_offsets.py: send_bytes with offset/size (in bytes, also
// for an int array), their ValueErrors, recv_bytes(maxlength) and "bad
// message length", recv_bytes_into with offsets, its ValueErrors and
// BufferTooShort carrying the whole message (seed 004 §1.5; CPython
// connection.py send_bytes, recv_bytes, recv_bytes_into, _bad_message_length).
#include <cstdint>
#include <string>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  {
    auto [a, b] = mp::Pipe();
    const std::string buf = "0123456789";
    a.send_bytes(buf, 2, 5);
    twin::line("send_bytes(buf, 2, 5): ", twin::bytes_repr(b.recv_bytes()));
    a.send_bytes(buf, 8);
    twin::line("send_bytes(buf, 8): ", twin::bytes_repr(b.recv_bytes()));
    a.send_bytes(buf, 10);
    twin::line("send_bytes(buf, 10): ", twin::bytes_repr(b.recv_bytes()));
    a.send_bytes(buf, 3, 0);
    twin::line("send_bytes(buf, 3, 0): ", twin::bytes_repr(b.recv_bytes()));
    twin::line("send_bytes(buf, -1): ", twin::describe([&] { a.send_bytes(buf, -1); }));
    twin::line("send_bytes(buf, 11): ", twin::describe([&] { a.send_bytes(buf, 11); }));
    twin::line("send_bytes(buf, 2, -1): ", twin::describe([&] { a.send_bytes(buf, 2, -1); }));
    twin::line("send_bytes(buf, 5, 6): ", twin::describe([&] { a.send_bytes(buf, 5, 6); }));
    const std::vector<std::int32_t> ints = {1, 2, 3};
    a.send_bytes(ints, 4, 4);
    twin::line("send_bytes(int array, 4, 4): ", twin::bytes_repr(b.recv_bytes()));
    twin::line("send_bytes(int array, 13): ", twin::describe([&] { a.send_bytes(ints, 13); }));

    twin::line("recv_bytes(-1): ", twin::describe([&] { (void)b.recv_bytes(-1); }));
    a.send_bytes("12345");
    twin::line("recv_bytes(5) of 5 bytes: ", twin::bytes_repr(b.recv_bytes(5)));
    a.send_bytes(std::string(10, 'x'));
    twin::line("recv_bytes(5) of 10 bytes: ", twin::describe([&] { (void)b.recv_bytes(5); }));
    twin::line("after bad length: readable=", twin::py(b.readable()), " writable=", twin::py(b.writable()),
               " closed=", twin::py(b.closed()));
    twin::line("recv_bytes again: ", twin::describe([&] { (void)b.recv_bytes(); }));
    a.close();
    b.close();
  }
  {
    auto [a, b] = mp::Pipe();
    std::string into(10, '\0');
    a.send_bytes("hello");
    const auto n = b.recv_bytes_into(into, 3);
    twin::line("recv_bytes_into(buf, 3): ", n, " buf=", twin::bytes_repr(into));
    twin::line("recv_bytes_into(buf, -1): ", twin::describe([&] { (void)b.recv_bytes_into(into, -1); }));
    twin::line("recv_bytes_into(buf, 11): ", twin::describe([&] { (void)b.recv_bytes_into(into, 11); }));
    a.send_bytes("ten bytes!");
    twin::line("recv_bytes_into(buf, 10) of 10 bytes: ", twin::describe([&] { (void)b.recv_bytes_into(into, 10); }));
    std::string small(3, '\0');
    a.send_bytes("too long");
    try {
      (void)b.recv_bytes_into(small);
    } catch (const concur::BufferTooShort& e) {
      twin::line("BufferTooShort: args[0]=", twin::bytes_repr(e.bytes()), " buf untouched=", twin::bytes_repr(small));
    }
    a.send_bytes("next");
    twin::line("the connection goes on: ", twin::bytes_repr(b.recv_bytes()));
    std::vector<std::int32_t> arr = {0, 0, 0};
    a.send_bytes(std::vector<std::int32_t>{7, 8});
    const auto m = b.recv_bytes_into(arr, 4);
    twin::line("recv_bytes_into(int array, 4): ", m, " array=", twin::list(arr));
  }
  {
    auto [r, w] = mp::Pipe(false);
    w.send_bytes(std::string(10, 'x'));
    twin::line("read-only end recv_bytes(5) of 10 bytes: ", twin::describe([&] { (void)r.recv_bytes(5); }));
    twin::line("after bad length: closed=", twin::py(r.closed()));
    w.close();
  }
}
