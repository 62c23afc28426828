// Twin of pipe_simplex_errors.py: a simplex Pipe's ends and their errors —
// send on the read-only end, recv/poll on the write-only end, use after
// close, EOFError once the writer is closed (also by a child under each
// start method), BrokenPipeError when the reader is gone (seed 004 §1.5;
// CPython connection.py _check_readable/_check_writable/_check_closed).
#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;

void writer(mp::Connection w, int n) {
  for (int i = 0; i < n; ++i) w.send_bytes("msg " + std::to_string(i));
  w.close();
}
CONCUR_REGISTER_TARGET(writer);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  {
    auto [r, w] = mp::Pipe(false);
    twin::line("r: readable=", twin::py(r.readable()), " writable=", twin::py(r.writable()),
               " closed=", twin::py(r.closed()));
    twin::line("w: readable=", twin::py(w.readable()), " writable=", twin::py(w.writable()),
               " closed=", twin::py(w.closed()));
    twin::line("send_bytes on r: ", twin::describe([&] { r.send_bytes("x"); }));
    twin::line("recv_bytes on w: ", twin::describe([&] { (void)w.recv_bytes(); }));
    twin::line("recv_bytes_into on w: ", twin::describe([&] {
                 std::array<std::byte, 4> buf{};
                 (void)w.recv_bytes_into(buf);
               }));
    twin::line("poll on w: ", twin::describe([&] { (void)w.poll(); }));
    twin::line("poll on empty r: ", twin::py(r.poll()), " poll(0.05): ", twin::py(r.poll(std::chrono::duration<double>(0.05))));
    w.send_bytes("hello");
    const bool polled = r.poll();
    const std::string got = r.recv_bytes();
    twin::line("poll after send: ", twin::py(polled), " got ", twin::bytes_repr(got), " poll after recv: ",
               twin::py(r.poll()));
    w.close();
    twin::line("w closed=", twin::py(w.closed()), " close again: ", twin::describe([&] { w.close(); }));
    twin::line("send_bytes on closed w: ", twin::describe([&] { w.send_bytes("x"); }));
    twin::line("fileno of closed w: ", twin::describe([&] { (void)w.fileno(); }));
    twin::line("poll on r after writer closed: ", twin::py(r.poll()));
    twin::line("recv_bytes on r after writer closed: ", twin::describe([&] { (void)r.recv_bytes(); }));
    r.close();
    twin::line("recv_bytes on closed r: ", twin::describe([&] { (void)r.recv_bytes(); }));
    twin::line("poll on closed r: ", twin::describe([&] { (void)r.poll(); }));
  }
  {
    auto [r, w] = mp::Pipe(false);
    r.close();
    twin::line("send_bytes with reader gone: ", twin::describe([&] { w.send_bytes("x"); }));
    w.close();
  }
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto [r, w] = mp::Pipe(false);
    auto p = mp::get_context(method).Process(writer, w, 3);
    p.start();
    w.close();
    std::vector<std::string> got;
    while (true) {
      try {
        got.push_back(r.recv_bytes());
      } catch (const concur::EOFError& e) {
        std::string list = "[";
        for (std::size_t i = 0; i < got.size(); ++i) list += (i ? ", " : "") + twin::bytes_repr(got[i]);
        twin::line(method, ": received ", list, "] then EOFError: ", e.what());
        break;
      }
    }
    p.join();
    r.close();
    twin::line(method, ": exitcode=", twin::py(p.exitcode()));
  }
}
