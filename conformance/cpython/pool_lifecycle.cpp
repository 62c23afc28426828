// Twin of pool_lifecycle.py: a Pool's life under each start method — the
// initializer with initargs in every worker, maxtasksperchild replacing
// workers (new pids), close() letting queued work finish, terminate() (and
// the with-statement) stopping the workers with work pending, join() leaving
// no children (seed 004 §1.6; CPython Lib/multiprocessing/pool.py
// Pool.__exit__, terminate, close, join). A result still pending at
// terminate() is a declared difference (pool_lifecycle.differences).
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;
using twin::describe;
using twin::line;
using twin::py;
using twin::range;

namespace {
std::string state_tag = "no initializer";


std::string children() {
  // Python prints the list of Process objects; an empty one is "[]".
  const auto c = mp::active_children();
  return c.empty() ? "[]" : "[" + std::to_string(c.size()) + " children]";
}
}  // namespace

void init(std::string tag, int n) { state_tag = tag + "-" + std::to_string(n); }
std::string tag(int) { return state_tag; }
int pid_of(int) {
  std::this_thread::sleep_for(10ms);
  return static_cast<int>(::getpid());
}
double slow(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return seconds;
}
CONCUR_REGISTER_TARGET(init);
CONCUR_REGISTER_TARGET(tag);
CONCUR_REGISTER_TARGET(pid_of);
CONCUR_REGISTER_TARGET(slow);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    {
      auto pool = ctx.Pool(mp::PoolOptions{.processes = 2}, init, std::string("init"), 7);
      std::set<std::string> tags;
      for (const auto& t : pool.map(tag, range(8), 1)) tags.insert(t);
      line(method, " initializer: ", twin::list(tags));
      pool.terminate();
      pool.join();
    }
    {
      auto pool = ctx.Pool(mp::PoolOptions{.processes = 1, .maxtasksperchild = 1});
      const auto pids = pool.map(pid_of, range(4), 1);
      const std::set<int> distinct(pids.begin(), pids.end());
      line(method, " maxtasksperchild=1: distinct worker pids=", distinct.size(),
           " parent not among them=", py(!distinct.count(static_cast<int>(::getpid()))));
      pool.close();
      pool.join();
    }
    {
      auto pool = ctx.Pool(2);
      std::vector<mp::AsyncResult<double>> results;
      for (int i = 0; i < 4; ++i) results.push_back(pool.apply_async(slow, {0.2}));
      pool.close();
      pool.join();
      std::vector<double> values;
      for (auto& r : results) values.push_back(r.get(0s));
      line(method, " close lets queued work finish: ", twin::list(values));
      line(method, " children after join: ", children());
    }
    mp::AsyncResult<double> pending;
    std::optional<mp::Pool> holder;
    holder.emplace(ctx.Pool(1));
    pending = holder->apply_async(slow, {30.0});
    std::this_thread::sleep_for(200ms);
    holder->terminate();  // the end of Python's with block
    const auto t0 = std::chrono::steady_clock::now();
    holder->join();
    line(method, " with-statement terminated a running task quickly: ", py(std::chrono::steady_clock::now() - t0 < 10s));
    line(method, " the pending result: ", describe([&] { pending.get(0.5s); }));
    line(method, " ready=", py(pending.ready()));
    line(method, " children after terminate: ", children());
  }
}
