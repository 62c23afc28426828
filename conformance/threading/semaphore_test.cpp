// Conformance tests of concur::threading::Semaphore and BoundedSemaphore
// (concur/threading/semaphore.hpp; seed 001 "线程同步 / 信号量"; seed 003
// threading.BoundedSemaphore(5); CPython Lib/threading.py classes Semaphore
// and BoundedSemaphore: __init__, acquire, release, __repr__). Messages and
// reprs were checked against /usr/bin/python3 (CPython 3.11).
//
// The only timing assertions are lower bounds of timed acquires (this binary
// is in timing_tests).
#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "concur/errors.hpp"
#include "concur/threading.hpp"
#include "support/proc_helpers.hpp"
#include "sync_test_support.hpp"

namespace th = concur::threading;
using namespace concur_test;
using namespace std::chrono_literals;

// threading.py: class BoundedSemaphore(Semaphore).
static_assert(std::is_base_of_v<th::Semaphore, th::BoundedSemaphore>);
static_assert(!std::is_copy_constructible_v<th::Semaphore> && !std::is_move_constructible_v<th::Semaphore>);

// ================================================================= Semaphore

// Seed 001 "信号量...初始化时可以指定同时访问资源的线程数，默认值为1";
// threading.py Semaphore(value=1).
TEST(SemaphoreConformance, DefaultValueIsOne) {
  th::Semaphore s;
  EXPECT_EQ(s.value(), 1u);
  EXPECT_TRUE(s.acquire());
  EXPECT_EQ(s.value(), 0u);
  EXPECT_FALSE(s.acquire(false));
  s.release();
  EXPECT_EQ(s.value(), 1u);
}

// Seed 001 "acquire：信号量计数器-1。release：计数器+1", "当计数器值为0时，申请该资源的
// 线程将阻塞".
TEST(SemaphoreConformance, AcquireTakesOneUnitAndFailsWithoutBlockingAtZero) {
  th::Semaphore s(3);
  EXPECT_EQ(s.value(), 3u);
  EXPECT_TRUE(s.acquire(false));
  EXPECT_TRUE(s.acquire());
  EXPECT_TRUE(s.acquire(true, 1s));
  EXPECT_EQ(s.value(), 0u);
  EXPECT_FALSE(s.acquire(false));
  EXPECT_FALSE(s.try_lock());
  s.release();
  EXPECT_EQ(s.value(), 1u);
  s.release(5);  // a plain Semaphore may go above its initial value
  EXPECT_EQ(s.value(), 6u);
  th::Semaphore zero(0);
  EXPECT_EQ(zero.value(), 0u);
  EXPECT_FALSE(zero.acquire(false));
}

// Seed 001 "当计数器值为0时，申请该资源的线程将阻塞" — until some thread releases
// (a semaphore has no owner: any thread may release).
TEST(SemaphoreConformance, AcquireAtZeroBlocksUntilAnotherThreadReleases) {
  th::Semaphore s(0);
  std::atomic<bool> acquired{false};
  std::latch started(1);
  std::thread t([&] {
    started.count_down();
    s.acquire();
    acquired = true;
  });
  started.wait();
  settle();
  EXPECT_FALSE(acquired.load());
  s.release();
  t.join();
  EXPECT_TRUE(acquired.load());
  EXPECT_EQ(s.value(), 0u);
}

// threading.py Semaphore.acquire: "return rc" — False once the timeout passed.
TEST(SemaphoreConformance, TimedAcquireReturnsFalseAfterTheTimeout) {
  th::Semaphore s(0);
  const auto t0 = Clock::now();
  EXPECT_FALSE(s.acquire(true, 100ms));
  EXPECT_GE(Clock::now() - t0, 100ms);
  EXPECT_EQ(s.value(), 0u);
}

TEST(SemaphoreConformance, TimedAcquireReturnsTrueWhenReleasedWithinTheTimeout) {
  th::Semaphore s(0);
  std::promise<bool> got;
  std::latch started(1);
  std::thread t([&] {
    started.count_down();
    got.set_value(s.acquire(true, 30s));
  });
  started.wait();
  settle();
  s.release();
  EXPECT_TRUE(got.get_future().get());
  t.join();
}

// semaphore.hpp: "A negative timeout does not throw (unlike Lock's): it does
// not wait, as CPython's Semaphore computes it" (threading.py: endtime =
// _time() + timeout; then timeout <= 0 breaks). CPython 3.11:
// Semaphore(0).acquire(timeout=-1) -> False; with a unit available -> True.
TEST(SemaphoreConformance, ZeroOrNegativeTimeoutDoesNotWaitAndDoesNotThrow) {
  th::Semaphore s(0);
  const auto t0 = Clock::now();
  bool r = true;
  EXPECT_NO_THROW(r = s.acquire(true, -1s));
  EXPECT_FALSE(r);
  EXPECT_FALSE(s.acquire(true, 0s));
  EXPECT_FALSE(s.acquire(true, std::chrono::duration<double>(-1e9)));
  EXPECT_LT(Clock::now() - t0, 10s);
  s.release(2);
  EXPECT_TRUE(s.acquire(true, -1s));
  EXPECT_TRUE(s.acquire(true, 0s));
  EXPECT_EQ(s.value(), 0u);
}

// threading.py Semaphore.release(n): "release n" units and "wake up n
// waiters": exactly n of the blocked threads get through.
TEST(SemaphoreConformance, ReleaseNLetsExactlyNBlockedThreadsThrough) {
  th::Semaphore s(0);
  constexpr int kThreads = 5;
  std::atomic<int> through{0};
  std::latch started(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      started.count_down();
      if (s.acquire(true, 30s)) ++through;
    });
  started.wait();
  settle();
  EXPECT_EQ(through.load(), 0);
  s.release(3);
  ASSERT_TRUE(eventually([&] { return through.load() == 3; }));
  settle();
  EXPECT_EQ(through.load(), 3);
  EXPECT_EQ(s.value(), 0u);
  s.release(2);
  for (auto& t : threads) t.join();
  EXPECT_EQ(through.load(), 5);
  EXPECT_EQ(s.value(), 0u);
}

// threading.py Semaphore.__init__: "semaphore initial value must be >= 0".
TEST(SemaphoreConformance, NegativeInitialValueRaisesValueError) {
  const char* text = "semaphore initial value must be >= 0";
  EXPECT_TRUE(raises_exactly<concur::ValueError>([] { th::Semaphore s(-1); }, text));
  EXPECT_TRUE(raises_exactly<concur::ValueError>([] { th::BoundedSemaphore s(-1); }, text));
  EXPECT_TRUE(raises_exactly<concur::ValueError>([] { th::Semaphore s(-1000000000000LL); }, text));
}

// threading.py Semaphore.release: "n must be one or more".
TEST(SemaphoreConformance, ReleaseOfLessThanOneRaisesNMustBeOneOrMore) {
  th::Semaphore s(1);
  th::BoundedSemaphore b(1);
  b.acquire();
  for (long long n : {0LL, -1LL}) {
    EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { s.release(n); }, "n must be one or more"));
    EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { b.release(n); }, "n must be one or more"));
  }
  EXPECT_EQ(s.value(), 1u);
  EXPECT_EQ(b.value(), 0u);
}

// threading.py Semaphore.acquire: "can't specify timeout for non-blocking
// acquire" whenever blocking is False and a timeout is given (any value).
TEST(SemaphoreConformance, TimeoutWithNonBlockingAcquireRaisesValueError) {
  th::Semaphore s(2);
  const char* text = "can't specify timeout for non-blocking acquire";
  EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { s.acquire(false, 1s); }, text));
  EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { s.acquire(false, 0s); }, text));
  EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { s.acquire(false, -1s); }, text));
  EXPECT_EQ(s.value(), 2u);  // nothing taken
  EXPECT_TRUE(s.acquire(false, std::nullopt));
  EXPECT_EQ(s.value(), 1u);
}

// semaphore.hpp: "The counter is 32-bit: a value or release beyond 4294967295
// throws ValueError" (concur's limit; CPython's counter is unbounded).
TEST(SemaphoreConformance, CounterBeyond32BitsRaisesValueError) {
  EXPECT_NO_THROW(th::Semaphore s(4294967295LL));
  EXPECT_THROW(th::Semaphore s(4294967296LL), concur::ValueError);
  th::Semaphore s(4294967294LL);
  s.release();
  EXPECT_EQ(s.value(), 4294967295u);
  EXPECT_THROW(s.release(), concur::ValueError);
  EXPECT_EQ(s.value(), 4294967295u);
  th::Semaphore z(0);
  EXPECT_THROW(z.release(4294967296LL), concur::ValueError);
  EXPECT_EQ(z.value(), 0u);
}

// threading.py Semaphore.__repr__: "<%s.%s at %#x: value=%d>".
TEST(SemaphoreConformance, ReprIsThreadingSemaphoreAtAddressValueN) {
  th::Semaphore s(3);
  EXPECT_TRUE(std::regex_match(s.repr(), std::regex(std::string("<threading\\.Semaphore at ") + kAddr + ": value=3>")))
      << s.repr();
  s.acquire();
  EXPECT_TRUE(std::regex_match(s.repr(), std::regex(std::string("<threading\\.Semaphore at ") + kAddr + ": value=2>")))
      << s.repr();
}

// semaphore.hpp: "lock()/unlock()/try_lock() are acquire()/release()/
// acquire(false), so `std::lock_guard guard(sem);` holds one unit for a
// scope (Python's `with sem:`)".
TEST(SemaphoreConformance, StdLockGuardHoldsOneUnitForAScope) {
  th::Semaphore s(2);
  {
    std::lock_guard guard(s);
    EXPECT_EQ(s.value(), 1u);
    {
      std::unique_lock more(s);
      EXPECT_EQ(s.value(), 0u);
      std::unique_lock none(s, std::try_to_lock);
      EXPECT_FALSE(none.owns_lock());
    }
    EXPECT_EQ(s.value(), 1u);
  }
  EXPECT_EQ(s.value(), 2u);
  try {
    std::lock_guard guard(s);
    throw std::runtime_error("inside");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(s.value(), 2u);
}

namespace {

// N threads enter a `with sem:` section many times; returns the most that
// were inside at once.
template <class Sem>
int max_inside(Sem& sem, int threads, int rounds) {
  std::atomic<int> inside{0};
  std::atomic<int> most{0};
  std::latch go(threads);
  std::vector<std::thread> ts;
  for (int i = 0; i < threads; ++i)
    ts.emplace_back([&] {
      go.arrive_and_wait();
      for (int r = 0; r < rounds; ++r) {
        std::lock_guard guard(sem);
        const int now = ++inside;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --inside;
      }
    });
  for (auto& t : ts) t.join();
  return most.load();
}

}  // namespace

// Seed 001: "初始化时可以指定同时访问资源的线程数" — a Semaphore(3) never lets
// more than 3 threads in at once.
TEST(SemaphoreConformance, ASemaphoreOfThreeNeverLetsMoreThanThreeThreadsInAtOnce) {
  th::Semaphore s(3);
  const int most = max_inside(s, 8, 2000);
  EXPECT_LE(most, 3);
  EXPECT_GE(most, 1);
  EXPECT_EQ(s.value(), 3u);
}

// semaphore.hpp Fork-safety: "the counter is copied into a forked child as
// it is".
TEST(SemaphoreConformance, AForkedChildGetsTheCounterAsItIs) {
  th::Semaphore s(5);
  s.acquire();
  s.acquire();
  auto r = run_subprocess(
      [&] {
        EXPECT_EQ(s.value(), 3u);
        EXPECT_TRUE(s.acquire(false));
        EXPECT_EQ(s.value(), 2u);
      },
      SubprocessOptions{}.quick_exit().limit(30s));
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  EXPECT_EQ(s.value(), 3u);  // the child's acquire is its own copy's
}

// ========================================================== BoundedSemaphore

// Seed 001 "BoundedSemaphore是Semaphore的特殊版本，如果计数器的值超过了初始值，则会
// 抛出异常ValueError"; threading.py BoundedSemaphore.release: "Semaphore
// released too many times", raised before anything changes.
TEST(BoundedSemaphoreConformance, ReleaseAboveTheInitialValueRaisesValueErrorAndChangesNothing) {
  th::BoundedSemaphore b(2);
  const char* text = "Semaphore released too many times";
  EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { b.release(); }, text));
  EXPECT_EQ(b.value(), 2u);
  b.acquire();
  EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { b.release(2); }, text));  // 1 + 2 > 2
  EXPECT_EQ(b.value(), 1u);
  b.release();
  EXPECT_EQ(b.value(), 2u);
  EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { b.release(); }, text));
  EXPECT_EQ(b.value(), 2u);
  b.acquire();
  b.acquire();
  b.release(2);
  EXPECT_EQ(b.value(), 2u);
}

TEST(BoundedSemaphoreConformance, DefaultIsOneAndABoundOfZeroRefusesEveryRelease) {
  th::BoundedSemaphore one;
  EXPECT_EQ(one.value(), 1u);
  EXPECT_TRUE(std::regex_match(one.repr(), std::regex(std::string("<threading\\.BoundedSemaphore at ") + kAddr +
                                                      ": value=1/1>")))
      << one.repr();
  th::BoundedSemaphore zero(0);
  EXPECT_FALSE(zero.acquire(false));
  EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { zero.release(); }, "Semaphore released too many times"));
  EXPECT_EQ(zero.value(), 0u);
}

// threading.py BoundedSemaphore.__repr__: "<%s.%s at %#x: value=%d/%d>".
TEST(BoundedSemaphoreConformance, ReprIsThreadingBoundedSemaphoreAtAddressValueNOverInitial) {
  th::BoundedSemaphore b(2);
  const std::string head = std::string("<threading\\.BoundedSemaphore at ") + kAddr;
  EXPECT_TRUE(std::regex_match(b.repr(), std::regex(head + ": value=2/2>"))) << b.repr();
  b.acquire();
  EXPECT_TRUE(std::regex_match(b.repr(), std::regex(head + ": value=1/2>"))) << b.repr();
  b.acquire();
  EXPECT_TRUE(std::regex_match(b.repr(), std::regex(head + ": value=0/2>"))) << b.repr();
  b.release(2);
}

// The Semaphore behaviour holds for BoundedSemaphore: blocking, timeouts and
// the argument errors.
TEST(BoundedSemaphoreConformance, AcquireBlocksTimesOutAndChecksArgumentsAsSemaphore) {
  th::BoundedSemaphore b(1);
  b.acquire();
  const auto t0 = Clock::now();
  EXPECT_FALSE(b.acquire(true, 50ms));
  EXPECT_GE(Clock::now() - t0, 50ms);
  EXPECT_FALSE(b.acquire(true, -1s));
  EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { b.acquire(false, 1s); },
                                                 "can't specify timeout for non-blocking acquire"));
  std::promise<bool> got;
  std::thread t([&] { got.set_value(b.acquire(true, 30s)); });
  settle();
  b.release();  // from another thread than the acquirer: allowed
  EXPECT_TRUE(got.get_future().get());
  t.join();
  EXPECT_EQ(b.value(), 0u);
  b.release();
}

// Seed 003: threading.BoundedSemaphore(5) "最多允许5个线程同时运行".
TEST(BoundedSemaphoreConformance, ABoundedSemaphoreOfFiveNeverLetsMoreThanFiveThreadsIn) {
  th::BoundedSemaphore b(5);
  const int most = max_inside(b, 10, 1000);
  EXPECT_LE(most, 5);
  EXPECT_GE(most, 1);
  EXPECT_EQ(b.value(), 5u);
}
