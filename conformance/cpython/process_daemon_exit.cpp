// Twin of process_daemon_exit.py: what a process does with its children when
// it ends (CPython util._exit_function at the end of _bootstrap): daemonic
// children are terminated, the others are joined. A runner child starts a
// daemonic grandchild that would sleep 30 s and a normal one that sleeps
// 0.2 s, then returns without joining, under each start method (seed 000
// §1.1 daemon; CPython process.py, util.py _exit_function).
#include <chrono>
#include <string>
#include <thread>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

void daemon_grandchild(mp::Array<int> flags) {
  std::this_thread::sleep_for(30s);
  flags[0] = 1;
}
CONCUR_REGISTER_TARGET(daemon_grandchild);

void normal_grandchild(mp::Array<int> flags) {
  std::this_thread::sleep_for(200ms);
  flags[1] = 1;
  twin::line("    non-daemon grandchild finished");
}
CONCUR_REGISTER_TARGET(normal_grandchild);

void runner(std::string method, mp::Array<int> flags) {
  auto& ctx = mp::get_context(method);
  auto d = ctx.Process({.daemon = true}, daemon_grandchild, flags);
  d.start();
  auto n = ctx.Process(normal_grandchild, flags);
  n.start();
  twin::line("  runner: returns without joining its ", mp::active_children().size(), " children");
}
CONCUR_REGISTER_TARGET(runner);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto flags = ctx.Array<int>("i", 2);
    auto r = ctx.Process(runner, method, flags);
    r.start();
    r.join();
    twin::line(method, ": runner exitcode=", twin::py(r.exitcode()), " daemon grandchild finished its sleep: ",
               twin::py(flags.get(0) == 1), " non-daemon grandchild finished: ", twin::py(flags.get(1) == 1));
  }
}
