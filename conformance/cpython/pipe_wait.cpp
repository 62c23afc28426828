// Twin of pipe_wait.py: multiprocessing.connection.wait over connections
// and process sentinels — nothing ready (timeout), a message ready, EOF counts
// as ready, input order kept, an empty list, a closed connection (OSError),
// and a child's sentinel becoming ready when it ends, under each start method
// (seed 004 §1.5; CPython connection.py wait, Process.sentinel).
#include <chrono>
#include <string>
#include <variant>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
namespace conn = concur::multiprocessing::connection;
using namespace std::chrono_literals;

void waits(mp::Event ev) { (void)ev.wait(30s); }
CONCUR_REGISTER_TARGET(waits);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  {
    auto [r1, w1] = mp::Pipe(false);
    auto [r2, w2] = mp::Pipe(false);
    auto ready = [&](std::vector<conn::Waitable> objs, concur::Timeout timeout) {
      std::vector<std::string> names;
      for (const auto& o : conn::wait(objs, timeout)) {
        const auto* c = std::get_if<mp::Connection*>(&o);
        names.push_back(c && *c == &r1 ? "r1" : c && *c == &r2 ? "r2" : "?");
      }
      return twin::list(names);
    };
    twin::line("nothing ready, timeout 0.1: ", ready({&r1, &r2}, 0.1s));
    w2.send_bytes("x");
    twin::line("r2 has a message: ", ready({&r1, &r2}, 0s));
    (void)r2.recv_bytes();
    twin::line("after reading it: ", ready({&r1, &r2}, 0s));
    w1.close();
    twin::line("r1's writer closed: ", ready({&r1, &r2}, 0s));
    w2.send_bytes("y");
    twin::line("both ready, input order: ", ready({&r2, &r1}, std::nullopt));
    twin::line("empty list: ", ready({}, 0.05s));
    r1.close();
    twin::line("closed connection: ", twin::describe([&] { (void)conn::wait({&r1}, 0s); }));
    r2.close();
    w2.close();
  }
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto ev = ctx.Event();
    auto p = ctx.Process(waits, ev);
    twin::line(method, ": sentinel before start: ", twin::describe([&] { (void)p.sentinel(); }));
    p.start();
    const int s = p.sentinel();
    twin::line(method, ": sentinel while running, timeout 0.05: ", twin::list(std::vector<int>(conn::wait({s}, 0.05s).size(), s)));
    ev.set();
    const auto got = conn::wait({s}, 30s);
    twin::line(method, ": sentinel after the child ends: ",
               twin::py(got.size() == 1 && std::holds_alternative<int>(got[0]) && std::get<int>(got[0]) == s));
    p.join();
    twin::line(method, ": exitcode=", twin::py(p.exitcode()));
  }
}
