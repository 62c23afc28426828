// Twin of context_child_globals.py: what a child sees of its parent's
// globals under each start method — fork copies the parent's memory, spawn
// and forkserver start from a fresh image (the values at "import", i.e. at
// static initialization) — and a child's changes never reach the parent
// (seed 001 "进程创建"; CPython popen_fork.py, spawn.py, forkserver.py).
#include <string>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;

int COUNTER = 0;
std::vector<std::string> NAMES = {"import"};

void show(std::string label) {
  twin::line("  ", label, " child sees COUNTER=", COUNTER, " NAMES=", twin::list(NAMES));
  COUNTER += 100;
  NAMES.push_back("child");
  twin::line("  ", label, " child changed to COUNTER=", COUNTER, " NAMES=", twin::list(NAMES));
}
CONCUR_REGISTER_TARGET(show);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  COUNTER = 42;
  NAMES.push_back("main");
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto p = mp::get_context(method).Process(show, method);
    p.start();
    p.join();
    twin::line(method, ": parent still has COUNTER=", COUNTER, " NAMES=", twin::list(NAMES),
               " exitcode=", twin::py(p.exitcode()));
  }
  COUNTER = 7;
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto p = mp::get_context(method).Process(show, method + " again");
    p.start();
    p.join();
  }
}
