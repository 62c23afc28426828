// Twin of sync_event.py: multiprocessing Event — is_set/set/clear, wait with
// and without timeout (negative too) returning the flag, and events between
// the parent and a child under each start method (seed 001 "进程同步";
// CPython synchronize.py Event).
#include <chrono>
#include <string>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;
using Seconds = std::chrono::duration<double>;

void child(mp::Event go, mp::Event done) {
  const bool w = go.wait(30s);
  twin::line("  child: go.wait(30)=", twin::py(w), " is_set=", twin::py(go.is_set()));
  done.set();
}
CONCUR_REGISTER_TARGET(child);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  mp::Event e;
  {
    const bool s = e.is_set(), w1 = e.wait(0.1s), w2 = e.wait(0s), w3 = e.wait(Seconds(-1));
    twin::line("new: is_set=", twin::py(s), " wait(0.1)=", twin::py(w1), " wait(0)=", twin::py(w2),
               " wait(-1)=", twin::py(w3));
  }
  e.set();
  {
    const bool s = e.is_set(), w1 = e.wait(), w2 = e.wait(0s), w3 = e.wait(Seconds(-1));
    twin::line("set: is_set=", twin::py(s), " wait()=", twin::py(w1), " wait(0)=", twin::py(w2),
               " wait(-1)=", twin::py(w3));
  }
  e.set();
  twin::line("set twice: is_set=", twin::py(e.is_set()));
  e.clear();
  {
    const bool s = e.is_set(), w = e.wait(0.05s);
    twin::line("clear: is_set=", twin::py(s), " wait(0.05)=", twin::py(w));
  }
  e.clear();
  twin::line("clear twice: is_set=", twin::py(e.is_set()));

  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto go = ctx.Event();
    auto done = ctx.Event();
    auto p = ctx.Process(child, go, done);
    p.start();
    twin::line(method, ": done before go: ", twin::py(done.wait(0.1s)));
    go.set();
    twin::line(method, ": done.wait(30)=", twin::py(done.wait(30s)));
    p.join();
    twin::line(method, ": exitcode=", twin::py(p.exitcode()));
  }
}
