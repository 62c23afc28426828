// Twin of pool_thread_pool.py: multiprocessing.pool.ThreadPool — results and
// order of map, imap, imap_unordered (sorted), starmap, apply/apply_async
// with callbacks, worker threads' names and daemon flag, the initializer,
// errors ("Number of processes must be at least 1", "Chunksize must be 1+,
// not 0", "Pool not running", "Pool is still running"), exceptions with their
// type, get timeout (seed 003 "ThreadPool"; CPython
// Lib/multiprocessing/pool.py ThreadPool, Lib/multiprocessing/dummy).
#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "concur/threading.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
namespace th = concur::threading;
using namespace std::chrono_literals;
using twin::describe;
using twin::line;
using twin::range;

namespace {
std::vector<std::string> initialized;
th::Lock guard;

void init(const std::string& tag) {
  std::lock_guard g(guard);
  initialized.push_back(tag);
}

int square(int x) { return x * x; }
int add(int a, int b) { return a + b; }

int check_positive(int x) {
  if (x < 0) throw concur::ValueError("negative: " + std::to_string(x));
  return x;
}

std::string whoami(int) {
  th::Thread& t = th::current_thread();
  std::this_thread::sleep_for(20ms);
  const std::string name = t.name();
  return name.substr(0, name.rfind('-')) + " daemon=" + twin::py(t.daemon());
}

double slow(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return seconds;
}

}  // namespace

int main() {
  line("ThreadPool(0): ", describe([] { mp::ThreadPool pool(0); }));
  mp::ThreadPool pool(3, init, std::string("ready"));
  line("map: ", twin::list(pool.map(square, range(10))));
  line("map chunksize=3: ", twin::list(pool.map(square, range(10), 3)));
  std::vector<int> got;
  for (int v : pool.imap(square, range(6))) got.push_back(v);
  line("imap: ", twin::list(got));
  got.clear();
  for (int v : pool.imap_unordered(square, range(6))) got.push_back(v);
  std::sort(got.begin(), got.end());
  line("imap_unordered sorted: ", twin::list(got));
  line("starmap: ", twin::list(pool.starmap(add, std::vector<std::tuple<int, int>>{{1, 2}, {3, 4}})));
  line("apply: ", pool.apply(add, {20, 22}));
  {
    std::vector<int> cb;
    auto r = pool.apply_async(square, {9}, [&](const int& v) { cb.push_back(v); });
    const int v = r.get(10s);
    line("apply_async: ", v, " callback got=", twin::list(cb));
  }
  std::set<std::string> workers;
  for (const auto& w : pool.map(whoami, range(12), 1)) workers.insert(w);
  line("workers: ", twin::list(workers));
  {
    std::lock_guard g(guard);
    line("initializer ran once per worker: ", twin::list(initialized));
  }
  line("map chunksize=0: ", describe([&] { pool.map(square, std::vector<int>{1}, 0); }));
  line("imap_unordered chunksize=0: ", describe([&] { pool.imap_unordered(square, std::vector<int>{1}, 0); }));
  line("exception: ", describe([&] { pool.apply(check_positive, {-1}); }));
  line("map exception: ", describe([&] { pool.map(check_positive, std::vector<int>{3, -5}); }));
  {
    std::vector<std::string> errors;
    pool.apply_async(check_positive, {-7}, {}, [&](const std::exception& e) { errors.push_back(e.what()); }).wait(10s);
    line("error_callback: ", twin::list(errors));
  }
  auto r = pool.apply_async(slow, {0.5});
  const std::string timed_out = describe([&] { r.get(0.05s); });
  line("get(timeout=0.05): ", timed_out, " then ", twin::py(r.get(10s)));
  line("join while running: ", describe([&] { pool.join(); }));
  pool.close();
  line("apply after close: ", describe([&] { pool.apply(square, {1}); }));
  pool.join();
  line("joined");
}
