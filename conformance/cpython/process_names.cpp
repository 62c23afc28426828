// Twin of process_names.py: default Process names (Process-N, and CPython's
// ForkProcess-N / SpawnProcess-N / ForkServerProcess-N for ctx.Process),
// child names N:1, current_process()/parent_process() in children and
// grandchildren, name= and renaming, under each start method (seed 000 §1.1;
// CPython process.py BaseProcess.__init__, _bootstrap; context.py).
#include <unistd.h>

#include <string>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;

void grand() {
  auto& me = mp::current_process();
  const auto* parent = mp::parent_process();
  twin::line("    grandchild: name=", me.name(), " parent=", parent->name(),
             " parent pid is getppid: ", twin::py(parent->pid() == ::getppid()));
}
CONCUR_REGISTER_TARGET(grand);

void child(std::string method) {
  auto& me = mp::current_process();
  const auto* parent = mp::parent_process();
  twin::line("  child: name=", me.name(), " parent=", parent->name(), " parent pid is getppid: ",
             twin::py(parent->pid() == ::getppid()), " pid is getpid: ", twin::py(me.pid() == ::getpid()));
  auto& ctx = mp::get_context(method);
  for (int i = 0; i < 2; ++i) {
    auto g = ctx.Process(grand);
    twin::line("  child made ", g.name());
    g.start();
    g.join();
  }
  auto g = ctx.Process({.name = "grand"}, grand);
  g.start();
  g.join();
}
CONCUR_REGISTER_TARGET(child);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  auto& me = mp::current_process();
  twin::line("main: name=", me.name(), " parent_process()=", mp::parent_process() ? "a parent" : "None",
             " pid is getpid: ", twin::py(me.pid() == ::getpid()));
  {
    mp::Process p(child, std::string("fork"));
    twin::line("default context: made ", p.name());
    p.start();
    p.join();
  }
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto p = ctx.Process(child, method);
    twin::line(method, ": made ", p.name(), " pid before start=", twin::py(p.pid()));
    p.start();
    p.join();
    twin::line(method, ": exitcode=", twin::py(p.exitcode()), " name after join=", p.name());
    auto q = ctx.Process({.name = "worker"}, child, method);
    twin::line(method, ": made ", q.name());
    q.start();
    q.join();
    auto r = ctx.Process(child, method);
    twin::line(method, ": made ", r.name());
    r.set_name("renamed");
    r.start();
    r.join();
    twin::line(method, ": after rename and join name=", r.name());
  }
}
