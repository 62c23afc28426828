// Twin of sync_condition_errors.py: multiprocessing Condition — wait/notify/
// notify_all without the lock (AssertionError), wait_for's predicate checked
// before the lock, timed waits returning false, repr, a Condition over a
// Lock, and a child woken by notify_all under each start method (seed 001
// "进程同步"; CPython synchronize.py Condition).
#include <chrono>
#include <mutex>
#include <string>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

void waiter(mp::Condition cond, mp::Value<int> flag) {
  std::lock_guard g(cond);
  const bool ok = cond.wait_for([&] { return flag.value() == 1; }, 30s);
  twin::line("  child: wait_for returned ", twin::py(ok), " flag=", flag.value());
  flag.set_value(2);
  cond.notify_all();
}
CONCUR_REGISTER_TARGET(waiter);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  mp::Condition c;
  twin::line("repr: ", c.repr());
  twin::line("wait without lock: ", twin::describe([&] { (void)c.wait(); }));
  twin::line("wait(0.1) without lock: ", twin::describe([&] { (void)c.wait(0.1s); }));
  twin::line("notify without lock: ", twin::describe([&] { c.notify(); }));
  twin::line("notify_all without lock: ", twin::describe([&] { c.notify_all(); }));
  twin::line("wait_for(true) without lock: ", twin::describe([&] { (void)c.wait_for([] { return true; }); }));
  twin::line("wait_for(false, 0.1) without lock: ",
             twin::describe([&] { (void)c.wait_for([] { return false; }, 0.1s); }));
  {
    std::lock_guard g(c);
    twin::line("inside with: ", c.repr());
    twin::line("wait(0.1): ", twin::py(c.wait(0.1s)));
    twin::line("wait_for(false, 0.1): ", twin::py(c.wait_for([] { return false; }, 0.1s)));
    twin::line("wait_for(lambda: 7): ", c.wait_for([] { return 7; }));
    const std::string n1 = twin::describe([&] { c.notify(); });
    twin::line("notify with no waiters: ", n1, " notify_all: ", twin::describe([&] { c.notify_all(); }));
    c.acquire();
    twin::line("acquired again (RLock): ", c.repr());
    const bool w = c.wait(0.05s);
    twin::line("wait(0.05) at depth 2: ", twin::py(w), " ", c.repr());
    c.release();
  }
  twin::line("after with: ", c.repr());
  mp::Condition cl{mp::Lock()};
  twin::line("over a Lock: ", cl.repr());
  {
    std::lock_guard g(cl);
    const std::string r = cl.repr();
    twin::line("over a Lock, inside with: ", r, " wait(0.05)=", twin::py(cl.wait(0.05s)));
  }

  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto cond = ctx.Condition();
    auto flag = ctx.Value<int>("i", 0);
    auto p = ctx.Process(waiter, cond, flag);
    p.start();
    bool ok = false;
    {
      std::lock_guard g(cond);
      flag.set_value(1);
      cond.notify_all();
      ok = cond.wait_for([&] { return flag.value() == 2; }, 30s);
    }
    p.join();
    twin::line(method, ": parent wait_for returned ", twin::py(ok), " flag=", flag.value(),
               " exitcode=", twin::py(p.exitcode()));
  }
}
