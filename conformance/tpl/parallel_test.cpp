// Conformance of concur::tpl::Parallel (invoke, for_, for_each) and
// ParallelOptions against .NET's documented behaviour (seed 000, .NET half,
// "任务并行（并行调用）": Parallel.Invoke(() => Task.Delay(3 s), () =>
// Task.Delay(2 s)) and Parallel.Invoke(new ParallelOptions() {
// CancellationToken = token }, actions); .NET docs "Data parallelism",
// "How to: Cancel a Parallel.For or ForEach Loop", "Exception handling").
#include "concur/tpl/parallel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <list>
#include <mutex>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "concur/errors.hpp"

using namespace std::chrono_literals;
using namespace concur::tpl;
using Clock = std::chrono::steady_clock;

namespace {
// Counts how many bodies run at once.
struct Concurrency {
  std::atomic<int> now{0}, peak{0};
  void enter() {
    int n = ++now;
    int p = peak.load();
    while (n > p && !peak.compare_exchange_weak(p, n)) {
    }
  }
  void leave() { --now; }
};
}  // namespace

// Seed 000: Parallel.Invoke of a 3 s and a 2 s action (scaled: 300/200 ms)
// runs both in parallel and returns when both are done.
TEST(ParallelConformance, InvokeRunsEveryActionInParallelAndReturnsWhenAllDone) {
  std::atomic<int> done{0};
  auto start = Clock::now();
  Parallel::invoke([&] { std::this_thread::sleep_for(300ms), ++done; },
                   [&] { std::this_thread::sleep_for(200ms), ++done; });
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(done.load(), 2);
  EXPECT_GE(elapsed, 295ms);
  EXPECT_LT(elapsed, 495ms + 2000ms);  // parallel: well under the 500 ms sum, with slack
}

// Seed 000: Parallel.Invoke(new ParallelOptions() { CancellationToken = token },
// actions) — a cancelled token: no action starts, OperationCanceledException.
TEST(ParallelConformance, InvokeWithCancelledTokenThrowsOperationCanceledException) {
  CancellationTokenSource cts;
  cts.cancel();
  std::atomic<int> ran{0};
  ParallelOptions options{.cancellation_token = cts.token()};
  EXPECT_THROW(Parallel::invoke(options, [&] { ++ran; }, [&] { ++ran; }), concur::OperationCanceledException);
  EXPECT_THROW(Parallel::invoke([&] { ++ran; }, options), concur::OperationCanceledException);  // options last
  EXPECT_EQ(ran.load(), 0);
}

// Cancellation during the call: actions already running finish, the rest do
// not start, and the call throws OperationCanceledException.
TEST(ParallelConformance, CancellationDuringInvokeStopsStartingActions) {
  CancellationTokenSource cts;
  std::atomic<int> ran{0};
  std::vector<std::function<void()>> actions;
  ParallelOptions options{.max_degree_of_parallelism = 1, .cancellation_token = cts.token()};
  EXPECT_THROW(Parallel::invoke(
                   options, [&] { ++ran, cts.cancel(); }, [&] { ++ran; }, [&] { ++ran; }),
               concur::OperationCanceledException);
  EXPECT_EQ(ran.load(), 1);
}

// CancelAfter during a Parallel.For ("How to: Cancel a Parallel.For"):
// OperationCanceledException, and far fewer iterations than requested.
TEST(ParallelConformance, CancelAfterDuringForThrowsOperationCanceledException) {
  CancellationTokenSource cts;
  cts.cancel_after(50ms);
  std::atomic<long long> ran{0};
  EXPECT_THROW(Parallel::for_(
                   0, 100000,
                   [&](long long) {
                     std::this_thread::sleep_for(1ms);
                     ++ran;
                   },
                   ParallelOptions{.cancellation_token = cts.token()}),
               concur::OperationCanceledException);
  EXPECT_LT(ran.load(), 100000);
}

// "Exception handling": exceptions thrown by the bodies are gathered into one
// AggregateException holding every one of them.
TEST(ParallelConformance, InvokeGathersEveryExceptionIntoAggregateException) {
  std::atomic<bool> ok_ran{false};
  try {
    Parallel::invoke([] { throw std::runtime_error("a"); }, [&] { ok_ran = true; },
                     [] { throw std::logic_error("b"); }, ParallelOptions{.max_degree_of_parallelism = 1});
    FAIL() << "no exception";
  } catch (const concur::AggregateException& e) {
    // With one degree of parallelism the first failure stops the loop.
    EXPECT_EQ(e.inner_exceptions().size(), 1u);
    EXPECT_STREQ(e.what(), "One or more errors occurred. (a)");
  }
  // Two concurrent bodies both failing: both exceptions are kept.
  std::atomic<int> arrived{0};
  auto meet_then_throw = [&](const char* msg) {
    return [&arrived, msg] {
      ++arrived;
      while (arrived.load() < 2) std::this_thread::yield();
      throw std::runtime_error(msg);
    };
  };
  try {
    Parallel::invoke(ParallelOptions{.max_degree_of_parallelism = 2}, meet_then_throw("x"), meet_then_throw("y"));
    FAIL() << "no exception";
  } catch (const concur::AggregateException& e) {
    std::set<std::string> messages;
    for (const auto& inner : e.inner_exceptions()) {
      try {
        std::rethrow_exception(inner);
      } catch (const std::exception& ex) {
        messages.insert(ex.what());
      }
    }
    EXPECT_EQ(messages, (std::set<std::string>{"x", "y"}));
  }
}

// Parallel.For(from, to, body) runs body(i) exactly once for each i in [from, to).
TEST(ParallelConformance, ForRunsEveryIndexExactlyOnce) {
  std::vector<std::atomic<int>> hits(10000);
  auto r = Parallel::for_(0, 10000, [&](long long i) { ++hits[static_cast<std::size_t>(i)]; });
  EXPECT_TRUE(r.is_completed);
  EXPECT_FALSE(r.lowest_break_iteration.has_value());
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  std::atomic<long long> sum{0};
  Parallel::for_(-5, 5, [&](long long i) { sum += i; });
  EXPECT_EQ(sum.load(), -5);
  bool ran = false;
  EXPECT_TRUE(Parallel::for_(3, 3, [&](long long) { ran = true; }).is_completed);
  Parallel::for_(5, 1, [&](long long) { ran = true; });
  EXPECT_FALSE(ran);
}

// ParallelOptions.MaxDegreeOfParallelism limits the bodies running at once;
// 1 runs everything on the calling thread.
TEST(ParallelConformance, MaxDegreeOfParallelismLimitsConcurrentBodies) {
  Concurrency c;
  Parallel::for_(
      0, 40,
      [&](long long) {
        c.enter();
        std::this_thread::sleep_for(2ms);
        c.leave();
      },
      ParallelOptions{.max_degree_of_parallelism = 2});
  EXPECT_LE(c.peak.load(), 2);
  std::set<std::thread::id> threads;
  std::mutex m;
  Parallel::for_(
      0, 50,
      [&](long long) {
        std::lock_guard g(m);
        threads.insert(std::this_thread::get_id());
      },
      ParallelOptions{.max_degree_of_parallelism = 1});
  EXPECT_EQ(threads, (std::set<std::thread::id>{std::this_thread::get_id()}));
  EXPECT_THROW(Parallel::for_(0, 1, [](long long) {}, ParallelOptions{.max_degree_of_parallelism = 0}),
               concur::ValueError);
  EXPECT_THROW(Parallel::for_(0, 1, [](long long) {}, ParallelOptions{.max_degree_of_parallelism = -2}),
               concur::ValueError);
}

// Parallel.For exceptions: AggregateException; no new iterations start.
TEST(ParallelConformance, ForBodyExceptionStopsTheLoopAndSurfacesAsAggregateException) {
  std::atomic<long long> ran{0};
  try {
    Parallel::for_(0, 1000000, [&](long long i) {
      ++ran;
      if (i == 10) throw std::out_of_range("i == 10");
    });
    FAIL() << "no exception";
  } catch (const concur::AggregateException& e) {
    ASSERT_GE(e.inner_exceptions().size(), 1u);
    EXPECT_THROW(std::rethrow_exception(e.inner_exceptions()[0]), std::out_of_range);
  }
  EXPECT_LT(ran.load(), 1000000);
}

// ParallelLoopState.Stop: no further iterations; IsCompleted is false.
// ParallelLoopState.Break: every iteration below the break runs, and
// LowestBreakIteration reports it.
TEST(ParallelConformance, LoopStateStopAndBreak) {
  std::atomic<long long> ran{0};
  auto r = Parallel::for_(0, 1000000, [&](long long i, ParallelLoopState& state) {
    ++ran;
    if (i == 100) state.stop();
  });
  EXPECT_FALSE(r.is_completed);
  EXPECT_LT(ran.load(), 1000000);

  std::vector<std::atomic<int>> hits(5000);
  auto b = Parallel::for_(0, 5000, [&](long long i, ParallelLoopState& state) {
    ++hits[static_cast<std::size_t>(i)];
    if (i == 3000) state.break_();
  });
  EXPECT_FALSE(b.is_completed);
  ASSERT_TRUE(b.lowest_break_iteration.has_value());
  EXPECT_LE(*b.lowest_break_iteration, 3000);
  for (long long i = 0; i < *b.lowest_break_iteration; ++i) ASSERT_EQ(hits[static_cast<std::size_t>(i)].load(), 1);
}

// Parallel.ForEach visits every element once, by reference, for random
// access and for forward-only ranges.
TEST(ParallelConformance, ForEachVisitsEveryElementOnce) {
  std::vector<int> v(1000);
  std::iota(v.begin(), v.end(), 0);
  Parallel::for_each(v, [](int& x) { x *= 2; });
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(v[static_cast<std::size_t>(i)], 2 * i);
  std::list<std::string> words{"a", "b", "c"};
  Parallel::for_each(words, [](std::string& w) { w += "!"; }, ParallelOptions{.max_degree_of_parallelism = 2});
  EXPECT_EQ(words, (std::list<std::string>{"a!", "b!", "c!"}));
  CancellationTokenSource cts;
  cts.cancel();
  EXPECT_THROW(Parallel::for_each(v, [](int&) {}, ParallelOptions{.cancellation_token = cts.token()}),
               concur::OperationCanceledException);
}

// Nested parallel loops inside bodies complete (the caller of each inner
// loop runs bodies itself; blocked workers are compensated).
TEST(ParallelConformance, NestedLoopsComplete) {
  std::atomic<long long> total{0};
  Parallel::for_(0, 8, [&](long long) { Parallel::for_(0, 100, [&](long long j) { total += j; }); });
  EXPECT_EQ(total.load(), 8 * 4950);
}
