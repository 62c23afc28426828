// Conformance tests of concur::threading::Barrier
// (concur/threading/barrier.hpp; CPython Lib/threading.py class Barrier:
// __init__, wait, _enter, _release, _wait, _exit, reset, abort, _break,
// parties, n_waiting, broken, __repr__; BrokenBarrierError). The seeds'
// multiprocessing.Barrier is its process twin. Reprs were checked against
// /usr/bin/python3 (CPython 3.11).
//
// Threads are ordered by what the barrier shows (n_waiting()), never by
// sleeping. The only timing assertions are lower bounds of timeouts (this
// binary is in timing_tests).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <mutex>
#include <regex>
#include <set>
#include <stdexcept>
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

static_assert(!std::is_copy_constructible_v<th::Barrier> && !std::is_move_constructible_v<th::Barrier>);
// threading.py: class BrokenBarrierError(RuntimeError).
static_assert(std::is_base_of_v<std::runtime_error, concur::BrokenBarrierError>);

namespace {

// What one wait() gave: the index, or the kind of exception.
struct Outcome {
  int index = -1;
  bool broken = false;       // BrokenBarrierError
  std::string other_error;   // any other exception's what()
  std::chrono::steady_clock::duration waited{};
};

Outcome wait_on(th::Barrier& b, concur::Timeout timeout = {}) {
  Outcome o;
  const auto t0 = Clock::now();
  try {
    o.index = b.wait(timeout);
  } catch (const concur::BrokenBarrierError&) {
    o.broken = true;
  } catch (const std::exception& e) {
    o.other_error = e.what();
  }
  o.waited = Clock::now() - t0;
  return o;
}

// Starts `n` threads that each call wait_on(b, timeout) once.
std::vector<std::future<Outcome>> start_waiters(th::Barrier& b, int n, concur::Timeout timeout = {}) {
  std::vector<std::future<Outcome>> out;
  for (int i = 0; i < n; ++i) out.push_back(std::async(std::launch::async, [&b, timeout] { return wait_on(b, timeout); }));
  return out;
}

bool n_waiting_becomes(const th::Barrier& b, int n) {
  return eventually([&] { return b.n_waiting() == n; });
}

}  // namespace

// threading.py Barrier.wait: "Return an integer in the range 0 to
// parties-1, different for every thread".
TEST(BarrierConformance, WaitReleasesAllPartiesWithDistinctIndicesInRange) {
  th::Barrier b(4);
  auto waiters = start_waiters(b, 4);
  std::set<int> indices;
  for (auto& f : waiters) {
    const Outcome o = f.get();
    EXPECT_FALSE(o.broken);
    EXPECT_EQ(o.other_error, "");
    indices.insert(o.index);
  }
  EXPECT_EQ(indices, (std::set<int>{0, 1, 2, 3}));
  EXPECT_EQ(b.n_waiting(), 0);
  EXPECT_FALSE(b.broken());
}

// barrier.hpp: "wait() blocks until `parties` threads have called it":
// the arrival order gives the index (CPython's index = self._count).
TEST(BarrierConformance, WaitBlocksUntilTheLastPartyArrivesAndIndicesFollowArrival) {
  th::Barrier b(3);
  auto first = start_waiters(b, 1);
  ASSERT_TRUE(n_waiting_becomes(b, 1));
  auto second = start_waiters(b, 1);
  ASSERT_TRUE(n_waiting_becomes(b, 2));
  EXPECT_EQ(first[0].wait_for(50ms), std::future_status::timeout);  // still blocked
  EXPECT_EQ(b.wait(), 2);  // the last to arrive
  EXPECT_EQ(first[0].get().index, 0);
  EXPECT_EQ(second[0].get().index, 1);
}

// threading.py Barrier._release: "if self._action: self._action()" — run by
// the last thread to arrive, once per round, before any thread is released.
TEST(BarrierConformance, ActionRunsOncePerRoundInTheLastArrivingThreadBeforeTheOthersLeave) {
  constexpr int kParties = 3;
  constexpr int kRounds = 5;
  std::atomic<int> actions{0};
  std::mutex m;
  std::vector<unsigned long> action_threads;
  th::Barrier b(kParties, [&] {
    ++actions;
    std::lock_guard g(m);
    action_threads.push_back(th::get_ident());
  });
  std::atomic<bool> action_not_yet_run{false};
  std::vector<unsigned long> party_idents(kParties);
  std::vector<std::vector<int>> indices(kParties);
  std::vector<std::thread> threads;
  for (int p = 0; p < kParties; ++p)
    threads.emplace_back([&, p] {
      party_idents[p] = th::get_ident();
      for (int round = 0; round < kRounds; ++round) {
        const int index = b.wait(30s);
        indices[p].push_back(index);
        if (actions.load() < round + 1) action_not_yet_run = true;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(actions.load(), kRounds);
  EXPECT_FALSE(action_not_yet_run.load());
  for (unsigned long ident : action_threads)
    EXPECT_NE(std::find(party_idents.begin(), party_idents.end(), ident), party_idents.end());
  // The action ran in the thread that got index parties-1 in that round.
  for (int round = 0; round < kRounds; ++round) {
    std::set<int> in_round;
    int last = -1;
    for (int p = 0; p < kParties; ++p) {
      in_round.insert(indices[p][round]);
      if (indices[p][round] == kParties - 1) last = p;
    }
    EXPECT_EQ(in_round, (std::set<int>{0, 1, 2})) << "round " << round;
    ASSERT_GE(last, 0);
    EXPECT_EQ(action_threads[round], party_idents[last]) << "round " << round;
  }
}

// barrier.hpp: "The barrier then refills for the next round" (CPython's
// draining -> filling).
TEST(BarrierConformance, TheBarrierIsReusableOverManyRounds) {
  constexpr int kParties = 4;
  constexpr int kRounds = 50;
  th::Barrier b(kParties);
  std::atomic<int> phase_errors{0};
  std::atomic<int> passed{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kParties; ++p)
    threads.emplace_back([&] {
      for (int round = 0; round < kRounds; ++round) {
        ++passed;
        b.wait(30s);
        // Nobody can be more than one round ahead once released.
        if (passed.load() < (round + 1) * kParties) ++phase_errors;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(phase_errors.load(), 0);
  EXPECT_EQ(passed.load(), kParties * kRounds);
  EXPECT_EQ(b.n_waiting(), 0);
  EXPECT_FALSE(b.broken());
}

// threading.py Barrier._wait: a timeout calls _break() and raises
// BrokenBarrierError; every waiter, present and future, gets it.
TEST(BarrierConformance, ATimeoutBreaksTheBarrierForEveryWaiter) {
  th::Barrier b(3);
  auto patient = start_waiters(b, 1);  // no timeout
  ASSERT_TRUE(n_waiting_becomes(b, 1));
  const Outcome timed = wait_on(b, 100ms);
  EXPECT_TRUE(timed.broken);
  EXPECT_GE(timed.waited, 100ms);
  const Outcome other = patient[0].get();
  EXPECT_TRUE(other.broken);
  EXPECT_TRUE(b.broken());
  EXPECT_TRUE(wait_on(b).broken);  // later waits fail at once
  EXPECT_TRUE(wait_on(b, 30s).broken);
  EXPECT_EQ(b.n_waiting(), 0);
}

// barrier.hpp: "wait(timeout) uses the barrier's default timeout when none is
// given" (threading.py: if timeout is None: timeout = self._timeout).
TEST(BarrierConformance, TheConstructorsDefaultTimeoutAppliesAndAWaitTimeoutOverridesIt) {
  th::Barrier b(2, {}, 100ms);
  const Outcome o = wait_on(b);
  EXPECT_TRUE(o.broken);
  EXPECT_GE(o.waited, 100ms);
  th::Barrier c(2, {}, 30s);
  const Outcome shorter = wait_on(c, 50ms);
  EXPECT_TRUE(shorter.broken);
  EXPECT_GE(shorter.waited, 50ms);
  EXPECT_LT(shorter.waited, 25s);
}

// barrier.hpp: "A timeout of zero or less breaks at once if the round is not
// full"; CPython 3.11: Barrier(2).wait(0) raises BrokenBarrierError, while the
// last party's wait(0) completes the round (Barrier(1).wait(0) -> 0).
TEST(BarrierConformance, ZeroOrNegativeTimeoutBreaksAtOnceUnlessTheRoundIsFull) {
  th::Barrier single(1);
  EXPECT_EQ(single.wait(0s), 0);
  EXPECT_EQ(single.wait(-1s), 0);
  th::Barrier b(2);
  const auto t0 = Clock::now();
  EXPECT_TRUE(wait_on(b, 0s).broken);
  EXPECT_LT(Clock::now() - t0, 10s);
  EXPECT_TRUE(b.broken());
  th::Barrier n(2);
  EXPECT_TRUE(wait_on(n, -1s).broken);
  EXPECT_TRUE(n.broken());
  th::Barrier full(2);
  auto first = start_waiters(full, 1);
  ASSERT_TRUE(n_waiting_becomes(full, 1));
  EXPECT_EQ(full.wait(0s), 1);
  EXPECT_EQ(first[0].get().index, 0);
  EXPECT_FALSE(full.broken());
}

// threading.py Barrier.abort: "Place the barrier into a 'broken' state" —
// waiters and later callers get BrokenBarrierError until reset().
TEST(BarrierConformance, AbortBreaksWaitingAndLaterWaitersUntilReset) {
  th::Barrier b(3);
  auto waiters = start_waiters(b, 2);
  ASSERT_TRUE(n_waiting_becomes(b, 2));
  b.abort();
  for (auto& f : waiters) EXPECT_TRUE(f.get().broken);
  EXPECT_TRUE(b.broken());
  EXPECT_TRUE(wait_on(b).broken);
  b.reset();
  EXPECT_FALSE(b.broken());
  auto again = start_waiters(b, 2);
  EXPECT_GE(b.wait(30s), 0);
  for (auto& f : again) EXPECT_FALSE(f.get().broken);
}

// threading.py Barrier.reset: "Any threads currently waiting will get the
// BrokenBarrier exception raised"; the barrier is then usable again.
TEST(BarrierConformance, ResetDuringAWaitRaisesBrokenBarrierErrorInTheWaitersAndRefills) {
  th::Barrier b(3);
  auto waiters = start_waiters(b, 2);
  ASSERT_TRUE(n_waiting_becomes(b, 2));
  b.reset();
  for (auto& f : waiters) EXPECT_TRUE(f.get().broken);
  EXPECT_FALSE(b.broken());
  EXPECT_EQ(b.n_waiting(), 0);
  auto round = start_waiters(b, 3);
  std::set<int> indices;
  for (auto& f : round) {
    const Outcome o = f.get();
    EXPECT_FALSE(o.broken);
    indices.insert(o.index);
  }
  EXPECT_EQ(indices, (std::set<int>{0, 1, 2}));
}

// threading.py Barrier._release: an action that raises calls _break() and
// the exception propagates in the thread that ran it; the others get
// BrokenBarrierError.
TEST(BarrierConformance, AnActionThatThrowsBreaksTheBarrierAndReachesTheThreadThatRanIt) {
  std::atomic<int> calls{0};
  th::Barrier b(3, [&] {
    ++calls;
    throw std::runtime_error("boom");
  });
  auto waiters = start_waiters(b, 2);
  ASSERT_TRUE(n_waiting_becomes(b, 2));
  try {
    b.wait(30s);  // this thread arrives last and runs the action
    ADD_FAILURE() << "wait() returned";
  } catch (const concur::BrokenBarrierError&) {
    ADD_FAILURE() << "the runner got BrokenBarrierError instead of the action's exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "boom");
  }
  for (auto& f : waiters) {
    const Outcome o = f.get();
    EXPECT_TRUE(o.broken);
    EXPECT_EQ(o.other_error, "");
  }
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(b.broken());
  EXPECT_TRUE(wait_on(b).broken);
}

// barrier.hpp: "parties < 1 throws ValueError("parties must be >= 1")
// (CPython 3.13)".
TEST(BarrierConformance, PartiesBelowOneRaisesValueErrorPartiesMustBeAtLeastOne) {
  EXPECT_TRUE(raises_exactly<concur::ValueError>([] { th::Barrier b(0); }, "parties must be >= 1"));
  EXPECT_TRUE(raises_exactly<concur::ValueError>([] { th::Barrier b(-3); }, "parties must be >= 1"));
  int calls = 0;
  th::Barrier one(1, [&] { ++calls; });
  EXPECT_EQ(one.wait(), 0);
  EXPECT_EQ(one.wait(), 0);
  EXPECT_EQ(calls, 2);
}

// threading.py Barrier.parties / n_waiting ("the number of threads currently
// waiting", 0 outside the filling phase) / broken.
TEST(BarrierConformance, PartiesNWaitingAndBrokenReportTheState) {
  th::Barrier b(3);
  EXPECT_EQ(b.parties(), 3);
  EXPECT_EQ(b.n_waiting(), 0);
  EXPECT_FALSE(b.broken());
  auto waiters = start_waiters(b, 2);
  ASSERT_TRUE(n_waiting_becomes(b, 2));
  EXPECT_EQ(b.parties(), 3);
  EXPECT_FALSE(b.broken());
  b.abort();
  for (auto& f : waiters) EXPECT_TRUE(f.get().broken);
  EXPECT_EQ(b.n_waiting(), 0);
  EXPECT_TRUE(b.broken());
  EXPECT_EQ(b.parties(), 3);
}

// threading.py Barrier.__repr__: "<%s.%s at %#x: waiters=%d/%d>" or
// "<%s.%s at %#x: broken>".
TEST(BarrierConformance, ReprShowsWaitersOverPartiesOrBroken) {
  th::Barrier b(3);
  const std::string head = std::string("<threading\\.Barrier at ") + kAddr;
  EXPECT_TRUE(std::regex_match(b.repr(), std::regex(head + ": waiters=0/3>"))) << b.repr();
  auto waiters = start_waiters(b, 2);
  ASSERT_TRUE(n_waiting_becomes(b, 2));
  EXPECT_TRUE(std::regex_match(b.repr(), std::regex(head + ": waiters=2/3>"))) << b.repr();
  b.abort();
  for (auto& f : waiters) f.get();
  EXPECT_TRUE(std::regex_match(b.repr(), std::regex(head + ": broken>"))) << b.repr();
  b.reset();
  EXPECT_TRUE(std::regex_match(b.repr(), std::regex(head + ": waiters=0/3>"))) << b.repr();
}

// errors.hpp / threading.py: BrokenBarrierError is raised without a message.
TEST(BarrierConformance, BrokenBarrierErrorHasAnEmptyMessage) {
  th::Barrier b(2);
  b.abort();
  EXPECT_TRUE(raises_exactly<concur::BrokenBarrierError>([&] { b.wait(); }, ""));
}
