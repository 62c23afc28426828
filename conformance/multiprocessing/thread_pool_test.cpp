// multiprocessing.pool.ThreadPool / multiprocessing.dummy.Pool
// (concur/multiprocessing/thread_pool.hpp). Sources: seed 003 (map/imap,
// "ThreadPool"), seed 001 (apply vs apply_async, imap_unordered), seed
// §1.3 (callbacks), CPython Lib/multiprocessing/pool.py (messages, result
// semantics; ThreadPool shares Pool's code).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "support/proc_helpers.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;
using concur_test::raises;

namespace {

int square(int x) { return x * x; }

std::vector<int> range(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(i);
  return v;
}

// Seed 003: p.map(func, iterable) returns a list, p.imap an iterator.
TEST(ThreadPool, SeedMapAndImapGiveResultsInOrder) {
  mp::dummy::Pool p(4);
  EXPECT_EQ(p.map(square, range(10)), (std::vector<int>{0, 1, 4, 9, 16, 25, 36, 49, 64, 81}));
  std::vector<int> got;
  for (int v : p.imap(square, range(10))) got.push_back(v);
  EXPECT_EQ(got, (std::vector<int>{0, 1, 4, 9, 16, 25, 36, 49, 64, 81}));
  EXPECT_EQ(p.apply_async(square, {10}).get(1s), 100);
  p.close();
  p.join();
}

// Any callable works on threads (lambdas with captures included), and
// starmap unpacks tuples.
TEST(ThreadPool, AnyCallableAndStarmap) {
  mp::ThreadPool p(2);
  int offset = 5;
  EXPECT_EQ(p.map([offset](int x) { return x + offset; }, range(3)), (std::vector<int>{5, 6, 7}));
  std::vector<std::tuple<int, int>> pairs{{1, 2}, {3, 4}};
  EXPECT_EQ(p.starmap([](int a, int b) { return a * b; }, pairs), (std::vector<int>{2, 12}));
  EXPECT_EQ(p.apply([](int a, int b) { return a - b; }, std::tuple{7, 2}), 5);
  auto r = p.starmap_async([](int a, int b) { return a + b; }, pairs);
  EXPECT_EQ(r.get(5s), (std::vector<int>{3, 7}));
  p.close();
  p.join();
}

// Seed 001: imap_unordered gives the same multiset as map.
TEST(ThreadPool, ImapUnorderedYieldsTheSameMultiset) {
  mp::ThreadPool p(3);
  auto slow = [](int x) {
    std::this_thread::sleep_for(std::chrono::milliseconds((x * 7) % 5));
    return x * x;
  };
  std::multiset<int> want, got;
  for (int x : range(50)) want.insert(x * x);
  for (int v : p.imap_unordered(slow, range(50))) got.insert(v);
  EXPECT_EQ(got, want);
  p.close();
  p.join();
}

// Seed 001 test_apply vs test_apply_async, on threads.
TEST(ThreadPool, ApplyRunsSeriallyWhileApplyAsyncOverlaps) {
  mp::ThreadPool p(4);
  std::atomic<int> running{0}, peak{0};
  auto task = [&] {
    int now = ++running;
    int prev = peak.load();
    while (now > prev && !peak.compare_exchange_weak(prev, now)) {
    }
    std::this_thread::sleep_for(100ms);
    --running;
    return 0;
  };
  for (int i = 0; i < 4; ++i) p.apply(task);
  EXPECT_EQ(peak.load(), 1);
  std::vector<mp::AsyncResult<int>> rs;
  for (int i = 0; i < 4; ++i) rs.push_back(p.apply_async(task));
  for (auto& r : rs) r.get();
  EXPECT_GT(peak.load(), 1);
  p.close();
  p.join();
}

// Seed §1.3 callbacks: once per task; errors keep their C++ type.
TEST(ThreadPool, CallbacksFireOncePerTaskAndErrorsKeepTheirType) {
  std::mutex mu;
  std::multiset<int> ok;
  std::multiset<std::string> errors;
  mp::ThreadPool p;
  auto test = [](int i) {
    if (i > 2) throw std::out_of_range("[子进程" + std::to_string(i) + "]啊，我挂了～");
    return i;
  };
  auto odd = p.apply_async([] {
    throw 7;
    return 0;
  });
  EXPECT_THROW(odd.get(5s), int);  // a non-std exception keeps its type too
  std::vector<mp::AsyncResult<int>> rs;
  for (int i = 0; i < 5; ++i) {
    rs.push_back(p.apply_async(
        test, std::tuple{i}, [&](const int& r) { std::lock_guard g(mu); ok.insert(r); },
        [&](const std::exception& e) { std::lock_guard g(mu); errors.insert(e.what()); }));
  }
  p.close();
  p.join();
  EXPECT_EQ(ok, (std::multiset<int>{0, 1, 2}));
  EXPECT_EQ(errors, (std::multiset<std::string>{"[子进程3]啊，我挂了～", "[子进程4]啊，我挂了～"}));
  EXPECT_THROW(rs[4].get(), std::out_of_range);
  EXPECT_FALSE(rs[4].successful());
}

// pool.py messages, shared with Pool.
TEST(ThreadPool, PoolNotRunningAndPoolIsStillRunning) {
  EXPECT_TRUE(raises<concur::ValueError>([] { mp::ThreadPool p(0); }, "Number of processes must be at least 1"));
  mp::ThreadPool p(1);
  EXPECT_TRUE(raises<concur::ValueError>([&] { p.join(); }, "Pool is still running"));
  EXPECT_TRUE(raises<concur::ValueError>([&] { (void)p.imap(square, range(1), 0); }, "Chunksize must be 1+, not 0"));
  p.close();
  EXPECT_TRUE(raises<concur::ValueError>([&] { (void)p.apply_async(square, {1}); }, "Pool not running"));
  p.join();
}

// get(timeout) raises multiprocessing.TimeoutError; terminate() drops tasks
// that have not started and fails their results.
TEST(ThreadPool, GetTimeoutAndTerminate) {
  mp::ThreadPool p(1);
  std::atomic<bool> release{false};
  auto blocker = p.apply_async([&] {
    while (!release) std::this_thread::sleep_for(1ms);
    return 1;
  });
  auto queued = p.apply_async(square, {3});
  EXPECT_THROW(blocker.get(0.05s), mp::TimeoutError);
  std::thread t([&] {
    std::this_thread::sleep_for(50ms);
    release = true;
  });
  p.terminate();
  p.join();
  t.join();
  EXPECT_EQ(blocker.get(), 1);  // a running task cannot be interrupted
  EXPECT_TRUE(raises<concur::ProcessError>([&] { queued.get(); }, "Pool terminated"));
}

// initializer(initargs...) runs once in each worker thread.
thread_local int t_init_calls = 0;
TEST(ThreadPool, InitializerRunsOncePerWorkerThread) {
  mp::ThreadPool p(3, [](int add) { t_init_calls += add; }, 1);
  auto calls = p.map([](int) { return t_init_calls; }, range(30), 1);
  for (int c : calls) EXPECT_EQ(c, 1);
  p.close();
  p.join();
}

}  // namespace
