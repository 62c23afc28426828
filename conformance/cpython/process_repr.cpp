// Twin of process_repr.py: repr() of Process objects through their life
// under each start method (initial, started, stopped with exitcode 0, 3,
// -SIGTERM, -SIGKILL, closed, daemon), a subclass, the main process, and what
// a child sees of itself and of its parent (seed 000 §1.1; CPython
// process.py BaseProcess.__repr__, _exitcode_to_name, _ParentProcess).
#include <chrono>
#include <string>
#include <thread>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;

class Worker : public mp::Process {
 public:
  void run() override {}
};

void ok() {}
CONCUR_REGISTER_TARGET(ok);
void exits(int code) { throw concur::SystemExit(code); }
CONCUR_REGISTER_TARGET(exits);
void sleeper() { std::this_thread::sleep_for(std::chrono::seconds(60)); }
CONCUR_REGISTER_TARGET(sleeper);
void show_self() {
  twin::line("  child: current_process()=", mp::current_process().repr());
  twin::line("  child: parent_process()=", mp::parent_process()->repr());
}
CONCUR_REGISTER_TARGET(show_self);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  twin::line("main: ", mp::current_process().repr());
  mp::Process p(ok);
  twin::line("mp.Process: ", p.repr());
  Worker w;
  twin::line("subclass: ", w.repr());
  w.start();
  w.join();
  twin::line("subclass joined: ", w.repr());
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto s = ctx.Process(sleeper);
    twin::line(method, ": ", s.repr());
    s.start();
    twin::line(method, ": ", s.repr());
    s.terminate();
    s.join();
    twin::line(method, ": ", s.repr());
    s.close();
    twin::line(method, ": ", s.repr());
    auto d = ctx.Process({.name = "d", .daemon = true}, ok);
    twin::line(method, ": ", d.repr());
    d.start();
    d.join();
    twin::line(method, ": ", d.repr());
    auto e = ctx.Process({.name = "e"}, exits, 3);
    e.start();
    e.join();
    twin::line(method, ": ", e.repr());
    auto k = ctx.Process({.name = "k"}, sleeper);
    k.start();
    k.kill();
    k.join();
    twin::line(method, ": ", k.repr());
    auto c = ctx.Process({.name = "c"}, show_self);
    c.start();
    c.join();
  }
}
