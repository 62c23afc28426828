// Conformance tests of concur::threading::Condition
// (concur/threading/condition.hpp; seed 001 "线程同步 / 条件对象" and its five
// producers + one consumer example; CPython Lib/threading.py class Condition:
// __init__, _is_owned, wait, wait_for, notify, notify_all, __repr__).
// Messages and reprs were checked against /usr/bin/python3 (CPython 3.11).
//
// Threads are ordered by what the Condition shows — the number of waiters in
// its repr (CPython's len(self._waiters)) — never by sleeping. The only
// timing assertions are lower bounds of timed waits (this binary is in
// timing_tests).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <latch>
#include <mutex>
#include <numeric>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "concur/errors.hpp"
#include "concur/queue.hpp"
#include "concur/threading.hpp"
#include "support/proc_helpers.hpp"
#include "sync_test_support.hpp"

namespace th = concur::threading;
using namespace concur_test;
using namespace std::chrono_literals;

static_assert(!std::is_copy_constructible_v<th::Condition> && !std::is_move_constructible_v<th::Condition>);

namespace {

// CPython's Condition.__repr__ ends with ", len(self._waiters))>".
int waiters(const th::Condition& c) {
  static const std::regex tail(R"(, (\d+)\)>$)");
  std::smatch m;
  const std::string r = c.repr();
  if (!std::regex_search(r, m, tail)) return -1;
  return std::stoi(m[1]);
}

bool waiters_become(const th::Condition& c, int n) {
  return eventually([&] { return waiters(c) == n; });
}

// Threads that wait on a Condition. On destruction (also when an assertion
// failed half-way) it notifies until every thread has ended, then joins them.
class WaiterThreads {
 public:
  explicit WaiterThreads(th::Condition& c) : c_(c) {}
  WaiterThreads(const WaiterThreads&) = delete;
  WaiterThreads& operator=(const WaiterThreads&) = delete;
  ~WaiterThreads() {
    while (finished_.load() < static_cast<int>(threads_.size())) {
      {
        std::lock_guard g(c_);
        c_.notify_all();
      }
      std::this_thread::sleep_for(1ms);
    }
    for (auto& t : threads_) t.join();
  }
  void add(std::function<void()> body) {
    threads_.emplace_back([this, body = std::move(body)] {
      body();
      ++finished_;
    });
  }
  int finished() const { return finished_.load(); }

 private:
  th::Condition& c_;
  std::vector<std::thread> threads_;
  std::atomic<int> finished_{0};
};

const std::string kUnlockedRLock = std::string("<unlocked _thread\\.RLock object owner=0 count=0 at ") + kAddr + ">";

}  // namespace

// ===================================================== construction and lock

// Seed 001 "如果没有传入，默认创建一个RLock锁"; threading.py Condition.__init__:
// lock = RLock() when none is given.
TEST(ConditionConformance, DefaultConditionOwnsAnRLock) {
  th::Condition c;
  EXPECT_TRUE(std::regex_match(c.repr(), std::regex("<Condition\\(" + kUnlockedRLock + ", 0\\)>"))) << c.repr();
  ASSERT_TRUE(c.acquire());
  EXPECT_TRUE(c.acquire(false));  // recursive, as an RLock
  const std::string me = std::to_string(th::get_ident());
  EXPECT_TRUE(std::regex_match(c.repr(), std::regex("<Condition\\(<locked _thread\\.RLock object owner=" + me +
                                                    " count=2 at " + kAddr + ">, 0\\)>")))
      << c.repr();
  c.release();
  c.release();
  EXPECT_TRUE(std::regex_match(c.repr(), std::regex("<Condition\\(" + kUnlockedRLock + ", 0\\)>"))) << c.repr();
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { c.release(); }, "cannot release un-acquired lock"));
}

// threading.py Condition.__init__(lock): acquire/release are the lock's.
TEST(ConditionConformance, ConditionOverALockUsesThatLock) {
  th::Lock lock;
  th::Condition c(lock);
  EXPECT_EQ(c.repr(), "<Condition(" + lock.repr() + ", 0)>");
  EXPECT_TRUE(std::regex_match(c.repr(), std::regex(std::string("<Condition\\(<unlocked _thread\\.lock object at ") +
                                                    kAddr + ">, 0\\)>")))
      << c.repr();
  ASSERT_TRUE(c.acquire());
  EXPECT_TRUE(lock.locked());
  EXPECT_FALSE(c.acquire(false));  // not recursive: a Lock
  EXPECT_FALSE(c.try_lock());
  EXPECT_EQ(c.repr(), "<Condition(" + lock.repr() + ", 0)>");
  c.release();
  EXPECT_FALSE(lock.locked());
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { c.release(); }, "release unlocked lock"));
}

TEST(ConditionConformance, ConditionOverAnRLockUsesThatRLock) {
  th::RLock rlock;
  th::Condition c(rlock);
  ASSERT_TRUE(c.acquire());
  EXPECT_TRUE(c.acquire());
  EXPECT_NE(rlock.repr().find(" count=2 "), std::string::npos) << rlock.repr();
  EXPECT_EQ(c.repr(), "<Condition(" + rlock.repr() + ", 0)>");
  rlock.release();  // the same lock, whichever object releases it
  c.release();
  EXPECT_EQ(rlock.repr().rfind("<unlocked", 0), 0u) << rlock.repr();
}

// threading.py: Condition.acquire is the lock's acquire, with its argument
// checks (_threadmodule.c lock_acquire_parse_args).
TEST(ConditionConformance, AcquireTakesTheLocksArgumentsAndRaisesItsErrors) {
  th::Lock lock;
  th::Condition over_lock(lock);
  th::Condition over_rlock;
  for (th::Condition* c : {&over_lock, &over_rlock}) {
    EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { c->acquire(false, 1s); },
                                                   "can't specify a timeout for a non-blocking call"));
    EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { c->acquire(true, -1s); }, "timeout value must be positive"));
    EXPECT_TRUE(c->acquire(true, 1s));
    c->release();
  }
  lock.acquire();
  const auto t0 = Clock::now();
  EXPECT_FALSE(over_lock.acquire(true, 50ms));
  EXPECT_GE(Clock::now() - t0, 50ms);
  lock.release();
}

// Seed 001 "支持使用上下文管理器": std::lock_guard / std::unique_lock are
// `with condition:`.
TEST(ConditionConformance, StdLockGuardAndUniqueLockWorkAsWithCondition) {
  th::Lock lock;
  th::Condition c(lock);
  {
    std::lock_guard g(c);
    EXPECT_TRUE(lock.locked());
    EXPECT_FALSE(c.wait(0s));  // allowed: the lock is held
  }
  EXPECT_FALSE(lock.locked());
  {
    std::unique_lock ul(c);
    EXPECT_TRUE(lock.locked());
    ul.unlock();
    EXPECT_FALSE(lock.locked());
  }
  lock.acquire();
  {
    std::unique_lock ul(c, std::try_to_lock);
    EXPECT_FALSE(ul.owns_lock());
  }
  lock.release();
}

// ====================================================== ownership and errors

// threading.py Condition.wait: "cannot wait on un-acquired lock"
// (RuntimeError) unless _is_owned().
TEST(ConditionConformance, WaitWithoutTheLockRaisesCannotWaitOnUnAcquiredLock) {
  th::Condition c;
  const char* text = "cannot wait on un-acquired lock";
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { c.wait(); }, text));
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { c.wait(0s); }, text));
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { c.wait(1s); }, text));
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { c.wait_for([] { return false; }); }, text));
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { c.wait_for([] { return false; }, 1s); }, text));
  th::Lock lock;
  th::Condition over_lock(lock);
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { over_lock.wait(); }, text));
  EXPECT_EQ(waiters(c), 0);
}

// threading.py _is_owned for an RLock: only the owner may wait; a thread
// seeing it held by another thread is refused.
TEST(ConditionConformance, WaitAndNotifyOnAnRLockHeldByAnotherThreadRaise) {
  th::Condition c;
  std::latch held(1);
  std::promise<void> done;
  auto finished = done.get_future();
  std::thread holder([&] {
    c.acquire();
    held.count_down();
    finished.wait();
    c.release();
  });
  held.wait();
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { c.wait(0s); }, "cannot wait on un-acquired lock"));
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { c.notify(); }, "cannot notify on un-acquired lock"));
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { c.notify_all(); }, "cannot notify on un-acquired lock"));
  done.set_value();
  holder.join();
}

// threading.py Condition.wait_for evaluates the predicate before waiting, so a
// predicate that already holds returns without the ownership check (CPython
// 3.11: Condition().wait_for(lambda: True) returns True unlocked).
TEST(ConditionConformance, WaitForWithATruePredicateReturnsItWithoutWaiting) {
  th::Condition c;
  EXPECT_EQ(c.wait_for([] { return 5; }), 5);
  std::lock_guard g(c);
  EXPECT_TRUE(c.wait_for([] { return true; }, 0s));
}

// threading.py Condition.notify: "cannot notify on un-acquired lock".
TEST(ConditionConformance, NotifyWithoutTheLockRaisesCannotNotifyOnUnAcquiredLock) {
  th::Condition c;
  const char* text = "cannot notify on un-acquired lock";
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { c.notify(); }, text));
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { c.notify(3); }, text));
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { c.notify_all(); }, text));
  th::Lock lock;
  th::Condition over_lock(lock);
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { over_lock.notify(); }, text));
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { over_lock.notify_all(); }, text));
}

// condition.hpp: "for a Lock, CPython only checks that it is locked"
// (threading.py _is_owned: `if self._lock.acquire(False): release; return
// False; else: return True`). So a thread that does not hold the Lock may
// notify while another thread holds it, and the notification wakes a waiter.
TEST(ConditionConformance, OverAPlainLockANonHolderMayNotifyWhileAnotherThreadHoldsIt) {
  th::Lock lock;
  th::Condition c(lock);
  std::promise<bool> woke;
  std::thread waiter([&] {
    std::lock_guard g(c);
    woke.set_value(c.wait(30s));
  });
  ASSERT_TRUE(waiters_become(c, 1));
  std::latch held(1);
  std::promise<void> done;
  auto finished = done.get_future();
  std::thread holder([&] {
    lock.acquire();
    held.count_down();
    finished.wait();
    lock.release();
  });
  held.wait();
  EXPECT_NO_THROW(c.notify());  // this thread does not hold the lock
  EXPECT_EQ(waiters(c), 0);
  EXPECT_NO_THROW(c.notify_all());
  done.set_value();
  holder.join();
  EXPECT_TRUE(woke.get_future().get());
  waiter.join();
  EXPECT_FALSE(lock.locked());
}

// The same rule for wait: CPython 3.11 lets a non-holder wait on a Condition
// over a Lock that another thread holds; the wait releases that lock and
// returns with the lock held (by the caller now). Checked with
// /usr/bin/python3: `cl.wait(0.01)` -> False, `lk.locked()` -> True.
TEST(ConditionConformance, OverAPlainLockANonHolderMayWaitWhileAnotherThreadHoldsIt) {
  th::Lock lock;
  th::Condition c(lock);
  std::latch held(1);
  std::thread holder([&] {
    lock.acquire();
    held.count_down();
  });
  held.wait();
  holder.join();  // the lock stays held by the ended thread
  bool result = true;
  EXPECT_NO_THROW(result = c.wait(10ms));
  EXPECT_FALSE(result);
  EXPECT_TRUE(lock.locked());
  lock.release();
}

// ======================================================================= wait

// Seed 001 "wait([timeout])：释放自己拥有的锁后主动挂起，等待被唤醒或超时。当唤醒后，
// 必须重新获得锁后，才能继续执行"; threading.py wait returns True when notified.
TEST(ConditionConformance, WaitReturnsTrueWhenNotifiedAndHoldsTheLockAgain) {
  th::Condition c;
  std::promise<std::string> after;
  std::promise<bool> result;
  std::thread waiter([&] {
    c.acquire();
    result.set_value(c.wait());
    after.set_value(c.repr());
    c.release();
  });
  ASSERT_TRUE(waiters_become(c, 1));
  {
    std::lock_guard g(c);
    c.notify();
  }
  EXPECT_TRUE(result.get_future().get());
  const std::string repr = after.get_future().get();
  EXPECT_NE(repr.find("<locked _thread.RLock object owner="), std::string::npos) << repr;
  EXPECT_NE(repr.find(" count=1 "), std::string::npos) << repr;
  waiter.join();
}

// threading.py Condition.wait: "return gotit" — False when the timeout
// passed; the lock is reacquired before returning.
TEST(ConditionConformance, WaitWithTimeoutReturnsFalseAfterTheTimeoutAndHoldsTheLockAgain) {
  th::Condition c;
  std::lock_guard g(c);
  const auto t0 = Clock::now();
  EXPECT_FALSE(c.wait(100ms));
  EXPECT_GE(Clock::now() - t0, 100ms);
  const std::string me = std::to_string(th::get_ident());
  EXPECT_NE(c.repr().find("owner=" + me + " count=1 "), std::string::npos) << c.repr();
  EXPECT_EQ(waiters(c), 0);  // the timed-out waiter left the list
}

// condition.hpp: "A timeout of zero or less does not wait" (CPython's
// waiter.acquire(False) for timeout <= 0; no ValueError, unlike Lock's).
TEST(ConditionConformance, WaitWithZeroOrNegativeTimeoutReturnsFalseAtOnce) {
  th::Condition c;
  std::lock_guard g(c);
  const auto t0 = Clock::now();
  EXPECT_FALSE(c.wait(0s));
  EXPECT_FALSE(c.wait(-1s));
  EXPECT_FALSE(c.wait(std::chrono::duration<double>(-1e9)));
  EXPECT_LT(Clock::now() - t0, 10s);
  EXPECT_EQ(waiters(c), 0);
  EXPECT_NE(c.repr().find(" count=1 "), std::string::npos) << c.repr();
}

// Seed 001 "释放自己拥有的锁"; threading.py wait uses _release_save /
// _acquire_restore, so every recursion level of an RLock is released while
// waiting and restored afterwards.
TEST(ConditionConformance, WaitReleasesEveryRLockLevelAndRestoresThem) {
  th::RLock rlock;
  th::Condition c(rlock);
  std::promise<std::string> after;
  std::atomic<unsigned long> ident{0};
  std::thread waiter([&] {
    ident = th::get_ident();
    rlock.acquire();
    rlock.acquire();
    c.acquire();
    EXPECT_TRUE(c.wait(30s));
    after.set_value(rlock.repr());
    c.release();
    rlock.release();
    rlock.release();
  });
  ASSERT_TRUE(waiters_become(c, 1));
  EXPECT_TRUE(rlock.acquire(false));  // free while the owner waits
  EXPECT_NE(rlock.repr().find(" count=1 "), std::string::npos) << rlock.repr();
  c.notify();
  rlock.release();
  const std::string repr = after.get_future().get();
  EXPECT_TRUE(std::regex_match(repr, std::regex("<locked _thread\\.RLock object owner=" +
                                                std::to_string(ident.load()) + " count=3 at " + kAddr + ">")))
      << repr << " (waiter " << ident.load() << ", this thread " << th::get_ident() << ")";
  waiter.join();
  EXPECT_EQ(rlock.repr().rfind("<unlocked", 0), 0u) << rlock.repr();
}

TEST(ConditionConformance, WaitOnAConditionOverALockReleasesItAndReacquiresIt) {
  th::Lock lock;
  th::Condition c(lock);
  std::promise<bool> locked_after;
  std::thread waiter([&] {
    c.acquire();
    EXPECT_TRUE(c.wait(30s));
    locked_after.set_value(lock.locked());
    c.release();
  });
  ASSERT_TRUE(waiters_become(c, 1));
  EXPECT_TRUE(lock.acquire(false));  // free while the holder waits
  c.notify();
  lock.release();
  EXPECT_TRUE(locked_after.get_future().get());
  waiter.join();
  EXPECT_FALSE(lock.locked());
}

// ===================================================================== notify

// condition.hpp: "notify(n=1) wakes the n threads that have waited longest
// (CPython's FIFO deque of waiters)"; threading.py notify pops
// islice(self._waiters, n).
TEST(ConditionConformance, NotifyNWakesExactlyTheNOldestWaiters) {
  th::Condition c;
  std::vector<int> woken;  // guarded by c
  WaiterThreads pool(c);
  for (int i = 0; i < 5; ++i) {
    pool.add([&, i] {
      std::lock_guard g(c);
      EXPECT_TRUE(c.wait());
      woken.push_back(i);
    });
    ASSERT_TRUE(waiters_become(c, i + 1));  // thread i waits before thread i+1 starts
  }
  auto woken_now = [&] {
    std::lock_guard g(c);
    return std::set<int>(woken.begin(), woken.end());
  };
  {
    std::lock_guard g(c);
    c.notify(2);
    EXPECT_EQ(waiters(c), 3);
  }
  ASSERT_TRUE(eventually([&] { return woken_now().size() == 2; }));
  EXPECT_EQ(woken_now(), (std::set<int>{0, 1}));
  {
    std::lock_guard g(c);
    c.notify();
    EXPECT_EQ(waiters(c), 2);
  }
  ASSERT_TRUE(eventually([&] { return woken_now().size() == 3; }));
  EXPECT_EQ(woken_now(), (std::set<int>{0, 1, 2}));
  settle();
  EXPECT_EQ(woken_now().size(), 3u);
  EXPECT_EQ(waiters(c), 2);
  {
    std::lock_guard g(c);
    c.notify(10);  // more than are waiting
    EXPECT_EQ(waiters(c), 0);
  }
  ASSERT_TRUE(eventually([&] { return woken_now().size() == 5; }));
}

// Seed 001 "notify_all()：唤醒所有被该条件阻塞的线程".
TEST(ConditionConformance, NotifyAllWakesEveryWaiter) {
  th::Condition c;
  std::atomic<int> woke{0};
  WaiterThreads pool(c);
  for (int i = 0; i < 4; ++i)
    pool.add([&] {
      std::lock_guard g(c);
      if (c.wait(30s)) ++woke;
    });
  ASSERT_TRUE(waiters_become(c, 4));
  {
    std::lock_guard g(c);
    c.notify_all();
    EXPECT_EQ(waiters(c), 0);
  }
  ASSERT_TRUE(eventually([&] { return pool.finished() == 4; }));
  EXPECT_EQ(woke.load(), 4);
}

// threading.py notify: with no waiters it does nothing (no error), and the
// notification is not remembered for a later wait.
TEST(ConditionConformance, NotifyWithNoWaitersIsFineAndIsNotRemembered) {
  th::Condition c;
  std::lock_guard g(c);
  EXPECT_NO_THROW(c.notify());
  EXPECT_NO_THROW(c.notify(5));
  EXPECT_NO_THROW(c.notify_all());
  EXPECT_FALSE(c.wait(20ms));
}

// threading.py notify(0) wakes nobody (islice(..., 0) is empty); CPython 3.11
// also accepts a negative n and wakes nobody.
TEST(ConditionConformance, NotifyZeroOrNegativeWakesNobody) {
  th::Condition c;
  WaiterThreads pool(c);
  pool.add([&] {
    std::lock_guard g(c);
    (void)c.wait();
  });
  ASSERT_TRUE(waiters_become(c, 1));
  {
    std::lock_guard g(c);
    c.notify(0);
    c.notify(-1);
    EXPECT_EQ(waiters(c), 1);
  }
  settle();
  EXPECT_EQ(pool.finished(), 0);
  EXPECT_EQ(waiters(c), 1);
}

// condition.hpp: "Only threads already waiting when notify is called can be
// woken by it": notify(2) with one waiter does not wake a thread that starts
// waiting afterwards.
TEST(ConditionConformance, WaitersThatStartWaitingAfterNotifyAreNotWokenByIt) {
  th::Condition c;
  std::promise<bool> first;
  std::thread early([&] {
    std::lock_guard g(c);
    first.set_value(c.wait(30s));
  });
  ASSERT_TRUE(waiters_become(c, 1));
  {
    std::lock_guard g(c);
    c.notify(2);
  }
  EXPECT_TRUE(first.get_future().get());
  early.join();
  std::lock_guard g(c);
  const auto t0 = Clock::now();
  EXPECT_FALSE(c.wait(50ms));  // the second notification was not kept
  EXPECT_GE(Clock::now() - t0, 50ms);
}

// condition.hpp: "notify never blocks (unlike multiprocessing.Condition's,
// which waits for the woken threads)" — it returns while the notifier still
// holds the lock the woken threads need.
TEST(ConditionConformance, NotifyDoesNotWaitForTheWokenThreads) {
  th::Condition c;
  std::atomic<int> returned{0};
  WaiterThreads pool(c);
  for (int i = 0; i < 3; ++i)
    pool.add([&] {
      std::lock_guard g(c);
      if (c.wait(30s)) ++returned;
    });
  ASSERT_TRUE(waiters_become(c, 3));
  {
    std::lock_guard g(c);
    c.notify_all();  // returns although no waiter can run yet
    EXPECT_EQ(waiters(c), 0);
    settle();
    EXPECT_EQ(returned.load(), 0);  // they need the lock this thread holds
  }
  ASSERT_TRUE(eventually([&] { return returned.load() == 3; }));
}

// =================================================================== wait_for

// Seed 001 "wait_for(条件函数名,[timeout])：条件不成立，则一直等待";
// threading.py wait_for returns the predicate's last value.
TEST(ConditionConformance, WaitForReturnsThePredicateValueOnceItIsTruthy) {
  th::Condition c;
  int value = 0;  // guarded by c
  int calls = 0;  // guarded by c
  std::promise<int> result;
  std::thread waiter([&] {
    std::lock_guard g(c);
    result.set_value(c.wait_for([&] {
      ++calls;
      return value;
    }));
  });
  ASSERT_TRUE(waiters_become(c, 1));
  {
    std::lock_guard g(c);
    c.notify();  // a wake-up while the predicate is still false
  }
  ASSERT_TRUE(eventually([&] {
    std::lock_guard g(c);
    return calls == 2 && waiters(c) == 1;  // it checked again and waits again
  }));
  {
    std::lock_guard g(c);
    value = 7;
    c.notify();
  }
  EXPECT_EQ(result.get_future().get(), 7);
  waiter.join();
  EXPECT_EQ(calls, 3);
}

// threading.py wait_for: when the timeout passes it returns the predicate's
// (falsy) last value.
TEST(ConditionConformance, WaitForTimesOutAndReturnsTheLastPredicateValue) {
  th::Condition c;
  std::lock_guard g(c);
  int calls = 0;
  const auto t0 = Clock::now();
  EXPECT_EQ(c.wait_for(
                [&] {
                  ++calls;
                  return 0;
                },
                100ms),
            0);
  EXPECT_GE(Clock::now() - t0, 100ms);
  EXPECT_GE(calls, 2);
  EXPECT_FALSE(c.wait_for([] { return false; }, 0s));
  EXPECT_FALSE(c.wait_for([] { return false; }, -1s));
  EXPECT_NE(c.repr().find(" count=1 "), std::string::npos) << c.repr();
}

// ======================================================================= repr

// threading.py Condition.__repr__: "<Condition(%s, %d)>" % (self._lock,
// len(self._waiters)).
TEST(ConditionConformance, ReprShowsTheLocksReprAndTheNumberOfWaiters) {
  th::Condition c;
  EXPECT_TRUE(std::regex_match(c.repr(), std::regex("<Condition\\(" + kUnlockedRLock + ", 0\\)>"))) << c.repr();
  WaiterThreads pool(c);
  for (int i = 0; i < 2; ++i)
    pool.add([&] {
      std::lock_guard g(c);
      (void)c.wait(30s);
    });
  ASSERT_TRUE(waiters_become(c, 2));
  EXPECT_TRUE(std::regex_match(c.repr(), std::regex("<Condition\\(" + kUnlockedRLock + ", 2\\)>"))) << c.repr();
  {
    std::lock_guard g(c);
    const std::string me = std::to_string(th::get_ident());
    EXPECT_TRUE(std::regex_match(c.repr(), std::regex("<Condition\\(<locked _thread\\.RLock object owner=" + me +
                                                      " count=1 at " + kAddr + ">, 2\\)>")))
        << c.repr();
    c.notify_all();
  }
}

// ========================================================= seed 001 example

namespace {

// The seed's shared state: the Condition guards the Queue and the log.
struct Shop {
  th::Condition condition;
  concur::queue::Queue<int> queue{5};
  std::vector<std::string> log;  // guarded by condition
  std::vector<int> consumed;      // guarded by condition
};

// Seed 001 class Producer(threading.Thread) with run(). Fixed: while the
// queue is full it waits and then produces the same item (the seed skipped
// item i after waiting), and it does not sleep.
class Producer : public th::Thread {
 public:
  Producer(std::string name, Shop& shop, int start, int end) : shop_(shop), start_index_(start), end_index_(end) {
    set_name(std::move(name));
  }
  ~Producer() override {
    if (is_alive()) join();
  }
  void run() override {
    for (int i = start_index_; i < end_index_; ++i) {
      if (shop_.condition.acquire()) {
        while (shop_.queue.full()) {
          shop_.log.push_back(name() + " wait");
          shop_.condition.wait();
        }
        shop_.log.push_back(name() + " produced " + std::to_string(i));
        shop_.queue.put(i);
        shop_.condition.notify();
      }
      shop_.condition.release();
    }
  }

 private:
  Shop& shop_;
  int start_index_;
  int end_index_;
};

// Seed 001 class Consumer(threading.Thread). Fixed: it stops after `total`
// items instead of looping forever.
class Consumer : public th::Thread {
 public:
  Consumer(std::string name, Shop& shop, int total) : shop_(shop), total_(total) { set_name(std::move(name)); }
  ~Consumer() override {
    if (is_alive()) join();
  }
  void run() override {
    for (int n = 0; n < total_; ++n) {
      if (shop_.condition.acquire()) {
        while (shop_.queue.empty()) shop_.condition.wait();
        const int i = shop_.queue.get();
        shop_.consumed.push_back(i);
        shop_.log.push_back(name() + " consume " + std::to_string(i));
        shop_.condition.notify();
      }
      shop_.condition.release();
    }
  }

 private:
  Shop& shop_;
  int total_;
};

}  // namespace

// Seed 001 "条件对象": queue = Queue(5); condition = threading.Condition();
// producer1..producer5 over range(0,20) ... range(80,100); one consumer.
// Every item 0..99 is consumed exactly once, each producer's items in the
// order it produced them (the queue is FIFO).
TEST(ConditionConformance, SeedFiveProducersAndOneConsumerConsumeEveryItemExactlyOnce) {
  Shop shop;
  std::vector<std::unique_ptr<Producer>> producers;
  for (int p = 0; p < 5; ++p)
    producers.push_back(std::make_unique<Producer>("producer" + std::to_string(p + 1), shop, p * 20, p * 20 + 20));
  Consumer consumer("consumer", shop, 100);
  std::vector<th::Thread*> all;
  for (auto& p : producers) all.push_back(p.get());
  all.push_back(&consumer);
  for (auto* t : all) t->start();
  for (auto* t : all) {
    t->join(40s);
    if (t->is_alive()) {
      ADD_FAILURE() << t->name() << " still runs after 40 s: the producers and the consumer deadlocked";
      std::lock_guard g(shop.condition);
      std::fprintf(stderr, "queue size %zu, last log line: %s\n", static_cast<std::size_t>(shop.queue.qsize()),
                   shop.log.empty() ? "" : shop.log.back().c_str());
      std::fflush(nullptr);
      std::_Exit(1);  // the threads cannot be joined
    }
  }
  std::vector<int> sorted = shop.consumed;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> expected(100);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(sorted, expected);
  for (int p = 0; p < 5; ++p) {
    std::vector<int> mine;
    for (int i : shop.consumed)
      if (i / 20 == p) mine.push_back(i);
    EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end())) << "producer" << p + 1;
  }
  const auto count = [&](const std::string& what) {
    return std::count_if(shop.log.begin(), shop.log.end(),
                         [&](const std::string& line) { return line.find(what) != std::string::npos; });
  };
  EXPECT_EQ(count(" produced "), 100);
  EXPECT_EQ(count("consumer consume "), 100);
  EXPECT_EQ(producers[2]->name(), "producer3");
  EXPECT_TRUE(shop.queue.empty());
  EXPECT_EQ(waiters(shop.condition), 0);
}
