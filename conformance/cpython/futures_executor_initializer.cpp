// Twin of futures_executor_initializer.py: executor initializers — a
// ThreadPoolExecutor and a ProcessPoolExecutor (each start method) run
// initializer(*initargs) in every worker; an initializer that raises breaks
// the executor: pending futures fail with BrokenThreadPool /
// BrokenProcessPool and later submit() raises it (CPython
// Lib/concurrent/futures/thread.py _worker, _initializer_failed; process.py
// _process_worker, _ExecutorManagerThread).
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "concur/futures.hpp"
#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace fu = concur::futures;
namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;
using twin::describe;
using twin::line;
using twin::range;

namespace {
std::string state_tag = "none";
thread_local std::string local_tag = "none";  // Python's threading.local()

}  // namespace

void init(std::string tag) { state_tag = tag; }
void bad_init(std::string tag) { throw concur::ValueError("initializer failed: " + tag); }
std::string read_tag(int) {
  std::this_thread::sleep_for(10ms);
  return state_tag;
}
std::string thread_tag(int) {
  std::this_thread::sleep_for(10ms);
  return local_tag;
}
void thread_init(const std::string& tag) { local_tag = tag; }
CONCUR_REGISTER_TARGET(init);
CONCUR_REGISTER_TARGET(bad_init);
CONCUR_REGISTER_TARGET(read_tag);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  {
    fu::ThreadPoolExecutor ex(2, "", thread_init, std::string("t-ready"));
    std::set<std::string> tags;
    for (const auto& t : ex.map(thread_tag, range(6)).list()) tags.insert(t);
    line("thread initializer: ", twin::list(tags));
  }
  {
    fu::ThreadPoolExecutor ex(2, "", bad_init, std::string("threads"));
    auto f = ex.submit(read_tag, 0);
    line("thread initializer raised, future: ", describe([&] { f.result(); }));
    std::this_thread::sleep_for(100ms);
    line("thread submit after: ", describe([&] { ex.submit(read_tag, 1); }));
    ex.shutdown();
  }
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    const auto& ctx = mp::get_context(method);
    {
      fu::ProcessPoolExecutor ex({.max_workers = 2, .context = &ctx}, init, std::string("p-ready"));
      std::set<std::string> tags;
      for (const auto& t : ex.map(read_tag, range(6)).list()) tags.insert(t);
      line(method, " process initializer: ", twin::list(tags));
    }
    fu::ProcessPoolExecutor ex({.max_workers = 1, .context = &ctx}, bad_init, method);
    auto f = ex.submit(read_tag, 0);
    line(method, " process initializer raised, future: ", describe([&] { f.result(30s); }));
    line(method, " process submit after: ", describe([&] { ex.submit(read_tag, 1); }));
    ex.shutdown();
  }
}
