// Conformance of concur::tpl::retry / retry_async against the seed's
// DownloadStringAsync (seed 000, .NET half: three retries after 1 s, 2 s and
// 4 s, "最后一次尝试，错误就抛出" — the final attempt's exception propagates).
// Times are scaled to 20/40/80 ms.
#include "concur/tpl/retry.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "concur/errors.hpp"

using namespace std::chrono_literals;
using namespace concur::tpl;
using Clock = std::chrono::steady_clock;

namespace {
// A flaky "download" that fails `failures` times, recording call times.
struct Flaky {
  explicit Flaky(int f) : failures(f) {}
  int failures;
  std::mutex m;
  std::vector<Clock::time_point> calls;
  std::string operator()() {
    std::lock_guard g(m);
    calls.push_back(Clock::now());
    if (static_cast<int>(calls.size()) <= failures) {
      throw std::runtime_error("attempt " + std::to_string(calls.size()) + " failed");
    }
    return "content";
  }
};
}  // namespace

// Seed: the first success returns at once, without waiting.
TEST(RetryConformance, FirstSuccessReturnsWithoutRetrying) {
  Flaky f{0};
  EXPECT_EQ(retry([&] { return f(); }, 3, 20ms), "content");
  EXPECT_EQ(f.calls.size(), 1u);
}

// Seed: waits 1×, 2×, 4× the first delay between attempts (scaled 20/40/80 ms).
TEST(RetryConformance, BackOffDoublesTheDelayBetweenAttempts) {
  Flaky f{3};
  EXPECT_EQ(retry([&] { return f(); }, 3, 20ms), "content");
  ASSERT_EQ(f.calls.size(), 4u);
  EXPECT_GE(f.calls[1] - f.calls[0], 19ms);
  EXPECT_GE(f.calls[2] - f.calls[1], 39ms);
  EXPECT_GE(f.calls[3] - f.calls[2], 79ms);
  EXPECT_LT(f.calls[3] - f.calls[0], 140ms + 2000ms);  // generous slack
}

// Seed: after three failed retries, the final attempt's error is thrown —
// the exception itself, not wrapped.
TEST(RetryConformance, FinalAttemptExceptionPropagates) {
  Flaky f{100};
  try {
    (void)retry([&] { return f(); }, 3, 1ms);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "attempt 4 failed");
  }
  EXPECT_EQ(f.calls.size(), 4u);  // attempts + 1 calls
  int calls = 0;
  EXPECT_THROW(retry([&]() -> int { ++calls; throw std::logic_error("once"); }, 0, 1ms), std::logic_error);
  EXPECT_EQ(calls, 1);
  EXPECT_THROW(retry([] { return 1; }, -1, 1ms), concur::ValueError);
}

// A function returning a Task is awaited: its fault counts as a failure.
TEST(RetryConformance, TaskReturningFunctionIsAwaited) {
  std::atomic<int> calls{0};
  auto result = retry(
      [&] {
        return run([&] {
          if (++calls < 3) throw std::runtime_error("not yet");
          return 7;
        });
      },
      3, 1ms);
  EXPECT_EQ(result, 7);
  EXPECT_EQ(calls.load(), 3);
}

// The token cancels the back-off wait: OperationCanceledException.
TEST(RetryConformance, CancellationDuringBackOffThrowsOperationCanceledException) {
  CancellationTokenSource cts;
  cts.cancel_after(50ms);
  auto start = Clock::now();
  Flaky f{100};
  EXPECT_THROW(retry([&] { return f(); }, 3, 10s, cts.token()), concur::OperationCanceledException);
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_EQ(f.calls.size(), 1u);
}

// retry_async: the same loop as a Task (the seed's async method).
TEST(RetryConformance, RetryAsyncRetriesWithBackOffAndFaultsWithTheFinalException) {
  auto f = std::make_shared<Flaky>(2);
  auto t = retry_async([f] { return (*f)(); }, 3, 20ms);
  EXPECT_EQ(t.result(), "content");
  ASSERT_EQ(f->calls.size(), 3u);
  EXPECT_GE(f->calls[2] - f->calls[1], 39ms);

  auto g = std::make_shared<Flaky>(100);
  auto failed = retry_async([g] { return (*g)(); }, 3, 1ms);
  EXPECT_THROW(failed.get(), std::runtime_error);
  EXPECT_TRUE(failed.is_faulted());
  EXPECT_EQ(g->calls.size(), 4u);

  CancellationTokenSource cts;
  auto h = std::make_shared<Flaky>(100);
  auto canceled = retry_async([h] { return (*h)(); }, 3, 10s, cts.token());
  std::this_thread::sleep_for(30ms);
  cts.cancel();
  EXPECT_THROW(canceled.get(), concur::TaskCanceledException);
  EXPECT_TRUE(canceled.is_canceled());
}
