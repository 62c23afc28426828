// Conformance tests of concur::threading::Timer (concur/threading/timer.hpp;
// seed 003 "定时器 timer = threading.Timer"; CPython Lib/threading.py class
// Timer). Timing assertions are lower bounds, with generous upper bounds.
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <type_traits>

#include <gtest/gtest.h>

#include "concur/errors.hpp"
#include "concur/threading.hpp"

namespace th = concur::threading;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// CPython: class Timer(Thread).
static_assert(std::is_base_of_v<th::Thread, th::Timer>, "Timer is a Thread subclass, as in CPython");

// Seed 003: timer = threading.Timer — Timer(interval, function, args) calls
// function(*args) once the interval has passed.
TEST(TimerConformance, SeedTimerCallsTheFunctionWithItsArgumentsAfterTheInterval) {
  std::string got;
  Clock::time_point fired_at;
  th::Timer t(100ms, [&](const std::string& who, int n) {
    fired_at = Clock::now();
    got = who + std::to_string(n);
  }, std::string("hello"), 5);
  auto t0 = Clock::now();
  t.start();
  t.join();
  EXPECT_EQ(got, "hello5");
  EXPECT_GE(fired_at - t0, 100ms);
}

// threading.py Timer.cancel: "Stop the timer if it hasn't finished yet".
TEST(TimerConformance, CancelledBeforeStartNeverFires) {
  std::atomic<bool> fired{false};
  th::Timer t(0s, [&] { fired = true; });
  t.cancel();
  t.start();
  t.join();
  EXPECT_FALSE(fired.load());
}

TEST(TimerConformance, CancelledWhileWaitingNeverFiresAndJoinReturnsPromptly) {
  std::atomic<bool> fired{false};
  th::Timer t(60s, [&] { fired = true; });
  t.start();
  EXPECT_TRUE(t.is_alive());
  auto t0 = Clock::now();
  t.cancel();
  t.join();
  EXPECT_LT(Clock::now() - t0, 30s);  // far below the 60 s interval
  EXPECT_FALSE(t.is_alive());
  EXPECT_FALSE(fired.load());
}

TEST(TimerConformance, CancelAfterItFiredHasNoEffect) {
  std::atomic<int> calls{0};
  th::Timer t(0s, [&] { ++calls; });
  t.start();
  t.join();
  t.cancel();
  EXPECT_EQ(calls.load(), 1);
}

// Timer is a Thread: CPython's Timer calls Thread.__init__ without a target,
// so its name is "Thread-N"; start() twice raises as Thread's does.
TEST(TimerConformance, TimerIsAThreadNamedThreadNThatStartsOnlyOnce) {
  th::Timer t(0s, [] {});
  EXPECT_TRUE(t.name().rfind("Thread-", 0) == 0) << t.name();
  EXPECT_EQ(t.name().find('('), std::string::npos);
  EXPECT_EQ(t.repr().substr(0, 7), "<Timer(");
  t.start();
  try {
    t.start();
    ADD_FAILURE() << "second start did not throw";
  } catch (const concur::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "threads can only be started once");
  }
  t.join();
  th::Timer named({.name = "tick", .daemon = true}, 0s, [] {});
  EXPECT_EQ(named.name(), "tick");
  EXPECT_TRUE(named.daemon());
}

// timer.hpp Lifetime: a pending non-daemon Timer's destructor waits until it
// fires (Thread's "destroying a running non-daemon Thread joins it").
TEST(TimerConformance, DestroyingAPendingNonDaemonTimerWaitsForItToFire) {
  std::atomic<bool> fired{false};
  {
    th::Timer t(50ms, [&] { fired = true; });
    t.start();
  }
  EXPECT_TRUE(fired.load());
}

// timer.hpp Lifetime: a daemon Timer destroyed while pending is detached and
// still fires; its function and arguments live on with the thread.
TEST(TimerConformance, DestroyingAPendingDaemonTimerDetachesItAndItStillFires) {
  auto fired = std::make_shared<std::promise<int>>();
  auto result = fired->get_future();
  {
    th::Timer t({.daemon = true}, 50ms, [fired](int v) { fired->set_value(v); }, 7);
    t.start();
  }
  ASSERT_EQ(result.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(result.get(), 7);
}
