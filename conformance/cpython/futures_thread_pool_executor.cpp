// Twin of futures_thread_pool_executor.py: concurrent.futures.
// ThreadPoolExecutor — submit results and exceptions, map order and its
// exception ending the iteration, map timeout, shutdown(wait,
// cancel_futures), "cannot schedule new futures after shutdown", max_workers
// errors, worker thread names, the with-statement (seed 001
// "concurrent.futures"; CPython Lib/concurrent/futures/thread.py, _base.py
// Executor.map).
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "concur/detail/type_name.hpp"
#include "concur/futures.hpp"
#include "concur/threading.hpp"
#include "twin.hpp"

namespace fu = concur::futures;
namespace th = concur::threading;
using namespace std::chrono_literals;
using twin::describe;
using twin::line;
using twin::py;

namespace {
int square(int x) { return x * x; }

int fail_on_three(int x) {
  if (x == 3) throw concur::ValueError("three is bad");
  return x;
}

double sleeper(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return seconds;
}

std::string thread_name(int) {
  std::this_thread::sleep_for(50ms);
  return th::current_thread().name();
}

template <class It>
std::string describe_next(It& it) {
  try {
    auto got = it.next();
    if (!got) return "StopIteration: ";
  } catch (...) {
    return twin::describe_current();
  }
  return "no exception";
}

double elapsed_s(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int main() {
  line("max_workers=0: ", describe([] { fu::ThreadPoolExecutor ex(0); }));
  line("max_workers=-1: ", describe([] { fu::ThreadPoolExecutor ex(-1); }));
  {
    fu::ThreadPoolExecutor ex(1);
    line("default thread name: ", ex.submit([] { return th::current_thread().name(); }).result());
  }
  {
    fu::ThreadPoolExecutor ex(1);
    line("second executor's thread name: ", ex.submit([] { return th::current_thread().name(); }).result());
  }
  {
    fu::ThreadPoolExecutor ex(3);
    std::vector<fu::Future<int>> futures;
    for (int i = 0; i < 6; ++i) futures.push_back(ex.submit(square, i));
    std::vector<int> results;
    for (auto& f : futures) results.push_back(f.result());
    line("submit results: ", twin::list(results));
    std::vector<int> inputs{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    line("map order: ", twin::list(ex.map(square, inputs).list()));
    auto f = ex.submit(fail_on_three, 3);
    const std::string r = describe([&] { f.result(); });
    std::string exc_name;
    try {
      std::rethrow_exception(f.exception());
    } catch (const std::exception& e) {
      exc_name = concur::detail::class_name(typeid(e));
    }
    line("submit exception: ", r, " exception()=", exc_name);
    auto it = ex.map(fail_on_three, std::vector<int>{1, 2, 3, 4});
    std::vector<int> got;
    const std::string raised = describe([&] {
      while (auto v = it.next()) got.push_back(*v);
    });
    line("map raises at its position: ", raised, " got before=", twin::list(got));
    line("map after the error: ", describe_next(it));
    const auto t0 = std::chrono::steady_clock::now();
    auto it2 = ex.map(sleeper, std::vector<double>{0.01, 1.0}, 0.3s);
    const double first = *it2.next();
    line("map timeout: first=", py(first), " then ", describe_next(it2));
    line("map timeout returned early: ", py(elapsed_s(t0) < 0.9));
  }
  {
    std::set<std::string> names;
    {
      fu::ThreadPoolExecutor ex(2, "worker");
      for (auto& n : ex.map(thread_name, std::vector<int>{0, 1, 2, 3}).list()) names.insert(n);
    }
    line("thread names with prefix: ", twin::list(names));
  }
  {
    fu::ThreadPoolExecutor ex(1);
    auto blocker = ex.submit(sleeper, 0.2);
    std::vector<fu::Future<int>> queued;
    for (int i = 0; i < 3; ++i) queued.push_back(ex.submit(square, i));
    while (!blocker.running()) std::this_thread::sleep_for(1ms);
    ex.shutdown(true, true);
    std::vector<bool> cancelled;
    for (auto& f : queued) cancelled.push_back(f.cancelled());
    line("cancel_futures: blocker=", py(blocker.result()), " queued cancelled=", twin::list(cancelled));
    line("submit after shutdown: ", describe([&] { ex.submit(square, 2); }));
    line("map after shutdown: ", describe([&] { ex.map(square, std::vector<int>{1}); }));
    line("shutdown twice: ", describe([&] { ex.shutdown(); }));
  }
  {
    fu::ThreadPoolExecutor ex(1);
    auto slow = ex.submit(sleeper, 0.1);
    ex.shutdown(false);
    const bool done = slow.done();
    line("shutdown(wait=False) returns before the work: done=", py(done), " result=", py(slow.result(10s)));
  }
  {
    fu::ThreadPoolExecutor ex(1);
    auto slow = ex.submit(sleeper, 0.1);
    auto pending = ex.submit(square, 7);
    while (!slow.running()) std::this_thread::sleep_for(1ms);
    const bool c1 = pending.cancel();
    const bool c2 = slow.cancel();
    line("cancel a queued future: ", py(c1), " running one: ", py(c2));
    ex.shutdown();
    line("after shutdown: ", py(slow.result()), " ", py(pending.cancelled()));
  }
}
