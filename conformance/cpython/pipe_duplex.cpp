// Twin of pipe_duplex.py: a duplex Pipe — both ends send and receive,
// objects and bytes, poll with timeouts, an echo child under each start
// method, EOFError and BrokenPipeError after the peer closes (seed 004 §1.5;
// CPython connection.py Pipe(duplex=True), Connection.poll).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;

void echo(mp::Connection conn) {
  while (true) {
    auto msg = conn.recv<std::string>();
    if (msg == "stop") break;
    std::transform(msg.begin(), msg.end(), msg.begin(), [](unsigned char c) { return std::toupper(c); });
    conn.send(msg);
  }
  conn.send_bytes("bye");
  conn.close();
}
CONCUR_REGISTER_TARGET(echo);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  {
    auto [a, b] = mp::Pipe();
    twin::line("a: readable=", twin::py(a.readable()), " writable=", twin::py(a.writable()),
               " b: readable=", twin::py(b.readable()), " writable=", twin::py(b.writable()));
    a.send(std::string("ping"));
    b.send(std::string("pong"));
    const auto got_b = b.recv<std::string>();
    const auto got_a = a.recv<std::string>();
    twin::line("b got ", twin::repr(got_b), ", a got ", twin::repr(got_a));
    a.send(1);
    a.send(2);
    a.send(3);
    const int x = b.recv<int>(), y = b.recv<int>(), z = b.recv<int>();
    twin::line("get order: ", x, " ", y, " ", z);
    twin::line("poll on empty: ", twin::py(a.poll()), " poll(0.05): ", twin::py(a.poll(std::chrono::duration<double>(0.05))));
    b.send_bytes("raw");
    const bool polled = a.poll(std::nullopt);
    twin::line("poll(None) with data: ", twin::py(polled), " recv_bytes: ", twin::bytes_repr(a.recv_bytes()));
    b.close();
    twin::line("poll after peer closed: ", twin::py(a.poll()));
    twin::line("recv after peer closed: ", twin::describe([&] { (void)a.recv<std::string>(); }));
    twin::line("send after peer closed: ", twin::describe([&] { a.send_bytes("x"); }));
    a.close();
    twin::line("send on closed: ", twin::describe([&] { a.send(std::string("x")); }));
  }
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto [parent, child] = mp::Pipe();
    auto p = mp::get_context(method).Process(echo, child);
    p.start();
    child.close();
    for (const std::string word : {"spam", "eggs"}) {
      parent.send(word);
      twin::line(method, ": sent ", twin::repr(word), " got ", twin::repr(parent.recv<std::string>()));
    }
    parent.send(std::string("stop"));
    const std::string last = parent.recv_bytes();
    twin::line(method, ": last ", twin::bytes_repr(last), " then ",
               twin::describe([&] { (void)parent.recv_bytes(); }));
    p.join();
    parent.close();
    twin::line(method, ": exitcode=", twin::py(p.exitcode()));
  }
}
