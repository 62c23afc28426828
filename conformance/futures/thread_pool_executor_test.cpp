// concurrent.futures.ThreadPoolExecutor (concur/futures/thread_pool_executor.hpp).
// Sources: seed 001 "concurrent.futures" (PRIMES with map and submit),
// CPython Lib/concurrent/futures/thread.py (max_workers default and check,
// shutdown(wait, cancel_futures), BrokenThreadPool, thread names).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "concur/futures.hpp"
#include "concur/threading.hpp"
#include "futures/primes.hpp"
#include "support/proc_helpers.hpp"

namespace fu = concur::futures;
using namespace std::chrono_literals;
using concur_test::raises;

namespace {

// Seed 001: ThreadPoolExecutor(3).map(is_prime, PRIMES) and submit().
TEST(ThreadPoolExecutor, SeedPrimesGivesTheSeedsAnswers) {
  // CPython 3.11 running the seed prints True for all but the last number
  // (checked here with /usr/bin/python3); issue 5's text lists the second
  // as false, but 112582705942171 is prime. CPython is the oracle.
  const std::vector<bool> want{true, true, true, true, true, false};
  {
    fu::ThreadPoolExecutor executor(3);
    EXPECT_EQ(executor.map(concur_test::is_prime, concur_test::PRIMES).list(), want);
  }
  fu::ThreadPoolExecutor executor(3);
  std::vector<fu::Future<bool>> results;
  for (auto number : concur_test::PRIMES) results.push_back(executor.submit(concur_test::is_prime, number));
  std::vector<bool> got;
  for (auto& f : results) got.push_back(f.result());
  EXPECT_EQ(got, want);
}

// Seed 001 concurrent.futures / seed 003 线程池: `with ThreadPoolExecutor(3)
// as executor:` — leaving the block is shutdown(wait=True): every submitted
// call, queued ones included, has run when the scope ends.
TEST(ThreadPoolExecutor, LeavingTheScopeWaitsForEverySubmittedCall) {
  std::atomic<int> done{0};
  std::vector<fu::Future<int>> futures;
  {
    fu::ThreadPoolExecutor executor(3);
    for (int i = 0; i < 9; ++i) {
      futures.push_back(executor.submit(
          [&done](int x) {
            std::this_thread::sleep_for(30ms);
            done.fetch_add(1);
            return x * x;
          },
          i));
    }
  }
  EXPECT_EQ(done.load(), 9);
  for (int i = 0; i < 9; ++i) {
    EXPECT_TRUE(futures[static_cast<std::size_t>(i)].done());
    EXPECT_EQ(futures[static_cast<std::size_t>(i)].result(), i * i);
  }
}

// thread.py: max_workers <= 0 raises ValueError; submit after shutdown
// raises RuntimeError.
TEST(ThreadPoolExecutor, ErrorsFollowCPython) {
  EXPECT_TRUE(raises<concur::ValueError>([] { fu::ThreadPoolExecutor e(0); }, "max_workers must be greater than 0"));
  fu::ThreadPoolExecutor e(1);
  e.shutdown();
  EXPECT_TRUE(raises<concur::RuntimeError>([&] { (void)e.submit([] { return 1; }); },
                                           "cannot schedule new futures after shutdown"));
}

// Workers are named "<prefix>_<i>" and start lazily (one per submit while
// none is idle).
TEST(ThreadPoolExecutor, ThreadNamesAndLazyStart) {
  fu::ThreadPoolExecutor e(2, "worker");
  auto name = e.submit([] { return concur::threading::current_thread().name(); }).result();
  EXPECT_EQ(name, "worker_0");
}

// shutdown(cancel_futures=true) cancels queued calls; the running one ends.
TEST(ThreadPoolExecutor, ShutdownWithCancelFutures) {
  fu::ThreadPoolExecutor e(1);
  std::atomic<bool> release{false};
  auto running = e.submit([&] {
    while (!release) std::this_thread::sleep_for(1ms);
    return 1;
  });
  while (!running.running()) std::this_thread::sleep_for(1ms);
  auto queued2 = e.submit([] { return 3; });
  std::thread t([&] {
    std::this_thread::sleep_for(50ms);
    release = true;
  });
  e.shutdown(true, true);
  t.join();
  EXPECT_EQ(running.result(), 1);
  EXPECT_TRUE(queued2.cancelled());
}

// A running call cannot be cancelled; a pending one can and never runs.
TEST(ThreadPoolExecutor, CancelOnlyWhilePending) {
  fu::ThreadPoolExecutor e(1);
  std::atomic<bool> release{false};
  std::atomic<int> ran{0};
  auto first = e.submit([&] {
    while (!release) std::this_thread::sleep_for(1ms);
    return ++ran;
  });
  while (!first.running()) std::this_thread::sleep_for(1ms);
  auto second = e.submit([&] { return ++ran; });
  EXPECT_FALSE(first.cancel());
  EXPECT_TRUE(second.cancel());
  release = true;
  EXPECT_EQ(first.result(), 1);
  e.shutdown();
  EXPECT_EQ(ran.load(), 1);
  EXPECT_TRUE(second.cancelled());
}

// thread.py _initializer_failed: BrokenThreadPool for queued and later work.
TEST(ThreadPoolExecutor, FailingInitializerBreaksThePool) {
  fu::ThreadPoolExecutor e(1, "", [] { throw std::runtime_error("init failed"); });
  auto f = e.submit([] { return 1; });
  EXPECT_TRUE(raises<fu::BrokenThreadPool>([&] { f.result(5s); }, "A thread initializer failed"));
  EXPECT_TRUE(raises<fu::BrokenThreadPool>([&] { (void)e.submit([] { return 1; }); }, "A thread initializer failed"));
}

// map(timeout): TimeoutError when a result is not ready in time; a task's
// exception is raised at its position. Either ends the iteration (CPython's
// result_iterator is a generator).
TEST(ThreadPoolExecutor, MapTimeoutAndErrors) {
  fu::ThreadPoolExecutor e(2);
  auto task = [](int x) {
    if (x == 1) throw concur::ValueError("one");
    if (x == 2) std::this_thread::sleep_for(300ms);
    return x;
  };
  auto it = e.map(task, std::vector<int>{0, 1, 2});
  EXPECT_EQ(it.next(), 0);
  EXPECT_TRUE(raises<concur::ValueError>([&] { it.next(); }, "one"));
  EXPECT_EQ(it.next(), std::nullopt);
  auto timed = e.map(task, std::vector<int>{0, 2}, 0.1s);
  EXPECT_EQ(timed.next(), 0);
  EXPECT_THROW(timed.next(), concur::TimeoutError);
  EXPECT_EQ(timed.next(), std::nullopt);
}

// as_completed and wait over executor futures.
TEST(ThreadPoolExecutor, AsCompletedAndWaitOverSubmittedCalls) {
  fu::ThreadPoolExecutor e(3);
  std::vector<fu::Future<int>> fs;
  for (int ms : {200, 10, 100}) fs.push_back(e.submit([ms] {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ms;
  }));
  std::vector<int> order;
  for (const auto& f : fu::as_completed(fs)) order.push_back(f.result());
  EXPECT_EQ(order.size(), 3u);
  EXPECT_EQ(order.front(), 10);
  auto r = fu::wait(fs);
  EXPECT_EQ(r.done.size(), 3u);
}

}  // namespace
