// Twin of futures_process_pool_executor.py: concurrent.futures.
// ProcessPoolExecutor under each start method — submit and map results in
// order, chunksize, exceptions from workers with their type and message,
// argument errors, a worker dying breaks the pool (BrokenProcessPool texts),
// shutdown errors (seed 001 "concurrent.futures"; CPython
// Lib/concurrent/futures/process.py).
#include <unistd.h>

#include <string>
#include <vector>

#include "concur/futures.hpp"
#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace fu = concur::futures;
namespace mp = concur::multiprocessing;
using twin::describe;
using twin::line;

int square(int x) { return x * x; }

int fail_on_three(int x) {
  if (x == 3) throw concur::ValueError("three is bad");
  return x;
}

int divide(int a, int b) { return a / b; }

int pick(int i) {
  const std::vector<int> items{10, 20};
  if (i < 0 || i >= static_cast<int>(items.size())) throw concur::IndexError("list index out of range");
  return items[static_cast<std::size_t>(i)];
}

int die(int code) { ::_exit(code); }

CONCUR_REGISTER_TARGET(square);
CONCUR_REGISTER_TARGET(fail_on_three);
CONCUR_REGISTER_TARGET(divide);
CONCUR_REGISTER_TARGET(pick);
CONCUR_REGISTER_TARGET(die);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  line("max_workers=0: ", describe([] { fu::ProcessPoolExecutor ex(0); }));
  line("max_tasks_per_child=0: ",
       describe([] { fu::ProcessPoolExecutor ex({.max_workers = 1, .max_tasks_per_child = 0}); }));
  line("max_tasks_per_child with fork: ", describe([] {
         fu::ProcessPoolExecutor ex({.max_workers = 1, .context = &mp::get_context("fork"), .max_tasks_per_child = 2});
       }));
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    const auto& ctx = mp::get_context(method);
    {
      std::optional<fu::ProcessPoolExecutor> holder;
      holder.emplace(fu::ProcessPoolExecutorOptions{.max_workers = 2, .context = &ctx});
      auto& ex = *holder;
      std::vector<fu::Future<int>> fs;
      for (int i = 0; i < 5; ++i) fs.push_back(ex.submit(square, i));
      std::vector<int> results;
      for (auto& f : fs) results.push_back(f.result());
      line(method, " submit: ", twin::list(results));
      const std::vector<int> inputs{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
      line(method, " map chunksize=3: ", twin::list(ex.map(square, inputs, std::nullopt, 3).list()));
      line(method, " map chunksize=0: ", describe([&] { ex.map(square, std::vector<int>{0, 1, 2}, std::nullopt, 0); }));
      auto f = ex.submit(fail_on_three, 3);
      line(method, " exception from a worker: ", describe([&] { f.result(); }));
      auto g = ex.submit(pick, 5);
      line(method, " IndexError from a worker: ", describe([&] { g.result(); }));
      std::vector<int> got;
      const std::string stopped = describe([&] {
        auto it = ex.map(fail_on_three, std::vector<int>{1, 2, 3, 4});
        while (auto v = it.next()) got.push_back(*v);
      });
      line(method, " map stops at the failure: ", stopped, " got=", twin::list(got));
      line(method, " two arguments: ", ex.submit(divide, 17, 5).result());
      holder->shutdown();  // the end of Python's with block
      line(method, " submit after the with block: ", describe([&] { ex.submit(square, 1); }));
    }
    fu::ProcessPoolExecutor ex({.max_workers = 1, .context = &ctx});
    line(method, " warm-up: ", ex.submit(square, 3).result());
    auto dead = ex.submit(die, 3);
    line(method, " worker exits: ", describe([&] { dead.result(); }));
    line(method, " submit to a broken pool: ", describe([&] { ex.submit(square, 2); }));
    ex.shutdown();
  }
}
