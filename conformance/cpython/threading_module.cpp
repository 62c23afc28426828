// Twin of threading_module.py: threading's module functions —
// current_thread/main_thread from the main thread, a Thread and a foreign
// thread (a "Dummy-N" stand-in sharing the Thread-N counter),
// active_count/enumerate while threads run, get_ident/get_native_id distinct
// per thread, daemon default of a foreign thread (CPython Lib/threading.py
// current_thread, _DummyThread, _newname, enumerate, active_count).
#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "concur/threading.hpp"
#include "twin.hpp"

namespace th = concur::threading;
using twin::line;
using twin::py;

namespace {
struct Seen {
  std::string name;
  bool daemon = false, is_main = false;
  unsigned long ident = 0;
  pid_t native = 0;
};
std::map<std::string, Seen> results;
bool foreign_alive = false, foreign_in_enumerate = false;

void in_thread(const std::string& key) {
  th::Thread& me = th::current_thread();
  results[key] = Seen{me.name(), me.daemon(), &me == &th::main_thread(), th::get_ident(), th::get_native_id()};
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (th::Thread* t : th::enumerate()) out.push_back(t->name());
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

int main() {
  th::Thread& main = th::main_thread();
  line("main thread: ", main.name(), " is current: ", py(&th::current_thread() == &main));
  line("active_count at start: ", th::active_count(), " enumerate: ", twin::list(names()));
  th::Thread t1;
  line("first unnamed: ", t1.name());
  th::Event release;
  th::Semaphore started(0);
  th::Thread t2({.name = "worker"}, [&] {
    in_thread("thread");
    started.release();
    release.wait();
  });
  t2.start();
  started.acquire();
  line("while worker runs: active_count=", th::active_count(), " enumerate=", twin::list(names()));
  release.set();
  t2.join();
  {
    const Seen& s = results["thread"];
    line("in the worker: name=", s.name, " daemon=", py(s.daemon), " is main=", py(s.is_main),
         " ident differs=", py(s.ident != th::get_ident()), " native_id differs=", py(s.native != th::get_native_id()));
  }
  th::Lock done;
  done.acquire();
  std::thread foreign([&] {
    in_thread("foreign");
    foreign_alive = th::current_thread().is_alive();
    const auto all = th::enumerate();
    foreign_in_enumerate = std::find(all.begin(), all.end(), &th::current_thread()) != all.end();
    done.release();
  });
  done.acquire();
  {
    const Seen& s = results["foreign"];
    line("foreign thread: name=", s.name, " daemon=", py(s.daemon), " is main=", py(s.is_main),
         " alive=", py(foreign_alive), " in enumerate=", py(foreign_in_enumerate));
  }
  th::Thread t3;
  line("the counter is shared with Dummy-N: ", t3.name());
  // (active_count() now is racy: the foreign thread may still be ending.)
  line("ident of main stable: ", py(th::get_ident() == *main.ident()));
  foreign.join();
}
