// pool_benchmark — what a Pool task and an executor call cost (issue 5).
//
// Every pool has 2 workers (the machine's cores) and is created before
// timing; rates are tasks per second (items_per_second).
//
//   BM_Floor_FnCall/tasks:10000     the trivial function called 10000 times
//                                   in one thread: the work itself, which no
//                                   pool can beat for a function this small.
//   BM_PoolMap/<method>/tasks:10000/chunksize:1
//                                   Pool(2).map(trivial, range(10000),
//                                   chunksize=1): every call is its own task
//                                   (serialized, sent to a worker, result
//                                   sent back), for fork, spawn, forkserver.
//   BM_PoolMap/<method>/tasks:10000/chunksize:default
//                                   the same with map's default chunksize
//                                   (CPython's ceil(10000 / (4 * 2)) = 1250).
//   BM_PoolApplyAsync/<method>      1000 apply_async(trivial, (i,)) calls in
//                                   flight, then get() of each; rate = calls/s.
//   BM_ThreadPoolExecutorSubmit     ThreadPoolExecutor(2): 1000 submit(trivial,
//                                   i), then result() of each; rate = calls/s.
//
// Goal (checked in the report, never asserted here): BM_PoolMap/<method>/
// tasks:10000/chunksize:1 at >= 10x CPython's tasks per second.
//
// benchmarks/peers/pool.py runs the same workloads on CPython and names them
// CPython_PoolMap/<method>/tasks:10000/chunksize:1, CPython_PoolApplyAsync/
// <method> and CPython_ThreadPoolExecutorSubmit; scripts/ratios.py pairs
// CPython_X with BM_X.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "concur/futures.hpp"
#include "concur/multiprocessing.hpp"
#include "harness.hpp"

namespace mp = concur::multiprocessing;
namespace fu = concur::futures;

namespace {

constexpr int kWorkers = 2;
constexpr int kMapTasks = 10000;
constexpr int kCalls = 1000;

// CPython peer: def f(x): return x
std::int64_t trivial(std::int64_t x) { return x; }
CONCUR_REGISTER_TARGET(trivial);

std::vector<std::int64_t> inputs(int n) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}

void BM_Floor_FnCall(benchmark::State& state) {
  auto xs = inputs(kMapTasks);
  auto* volatile fn = &trivial;
  for (auto _ : state) {
    std::int64_t sum = 0;
    for (auto x : xs) sum += fn(x);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * kMapTasks);
}

void BM_PoolMap(benchmark::State& state, std::string method, long long chunksize) {
  mp::Pool pool({.processes = kWorkers, .context = &mp::get_context(method)});
  auto xs = inputs(kMapTasks);
  std::optional<long long> cs;
  if (chunksize > 0) cs = chunksize;
  (void)pool.map(trivial, xs, cs);  // warm: workers started and ready
  for (auto _ : state) {
    auto r = pool.map(trivial, xs, cs);
    if (r.size() != xs.size() || r.back() != xs.back()) state.SkipWithError("wrong result");
  }
  state.SetItemsProcessed(state.iterations() * kMapTasks);
  pool.close();
  pool.join();
}

void BM_PoolApplyAsync(benchmark::State& state, std::string method) {
  mp::Pool pool({.processes = kWorkers, .context = &mp::get_context(method)});
  (void)pool.apply(trivial, {0});
  std::vector<mp::AsyncResult<std::int64_t>> rs;
  rs.reserve(kCalls);
  for (auto _ : state) {
    rs.clear();
    for (int i = 0; i < kCalls; ++i) rs.push_back(pool.apply_async(trivial, {i}));
    for (auto& r : rs) benchmark::DoNotOptimize(r.get());
  }
  state.SetItemsProcessed(state.iterations() * kCalls);
  pool.close();
  pool.join();
}

void BM_ThreadPoolExecutorSubmit(benchmark::State& state) {
  fu::ThreadPoolExecutor executor(kWorkers);
  std::vector<fu::Future<std::int64_t>> fs;
  fs.reserve(kCalls);
  for (auto _ : state) {
    fs.clear();
    for (int i = 0; i < kCalls; ++i) fs.push_back(executor.submit(trivial, static_cast<std::int64_t>(i)));
    for (auto& f : fs) benchmark::DoNotOptimize(f.result());
  }
  state.SetItemsProcessed(state.iterations() * kCalls);
}

void register_benchmarks() {
  concur_bench::add("BM_Floor_FnCall/tasks:10000", BM_Floor_FnCall);
  for (const char* method : {"fork", "spawn", "forkserver"}) {
    std::string base = std::string("BM_PoolMap/") + method + "/tasks:10000";
    concur_bench::add(base + "/chunksize:1", BM_PoolMap, std::string(method), 1LL);
    concur_bench::add(base + "/chunksize:default", BM_PoolMap, std::string(method), 0LL);
  }
  for (const char* method : {"fork", "spawn", "forkserver"}) {
    concur_bench::add(std::string("BM_PoolApplyAsync/") + method, BM_PoolApplyAsync, std::string(method));
  }
  concur_bench::add("BM_ThreadPoolExecutorSubmit", BM_ThreadPoolExecutorSubmit);
}

}  // namespace

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  return concur_bench::run(argc, argv, register_benchmarks);
}
