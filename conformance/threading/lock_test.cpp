// Conformance tests of concur::threading::Lock and RLock
// (concur/threading/lock.hpp; seed 001 "线程同步 / 锁" and "进程同步"
// test_lock / test_rlock; CPython Modules/_threadmodule.c lock_PyThread_acquire_lock,
// lock_PyThread_release_lock, rlock_acquire, rlock_release, lock_repr,
// rlock_repr; Lib/threading.py RLock). Messages and reprs were checked
// against /usr/bin/python3 (CPython 3.11).
//
// Threads hand-shake through latches and promises; the only timing assertions
// are lower bounds of timed acquires (this binary is in timing_tests).
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

// lock.hpp: "neither copyable nor movable (Python shares one lock object by
// reference)".
static_assert(!std::is_copy_constructible_v<th::Lock> && !std::is_move_constructible_v<th::Lock>);
static_assert(!std::is_copy_constructible_v<th::RLock> && !std::is_move_constructible_v<th::RLock>);

// ======================================================================= Lock

// Seed 001 "锁": acquire() "获取到锁，返回True"; release() frees it.
// _threadmodule.c lock_PyThread_locked: locked() tells whether it is held.
TEST(LockConformance, AcquireReturnsTrueLockedIsTrueUntilRelease) {
  th::Lock lock;
  EXPECT_FALSE(lock.locked());
  EXPECT_TRUE(lock.acquire());
  EXPECT_TRUE(lock.locked());
  lock.release();
  EXPECT_FALSE(lock.locked());
  EXPECT_TRUE(lock.acquire(true, std::nullopt));  // Python's timeout=-1: no timeout
  lock.release();
}

// Seed 001 "互斥锁Lock：锁没有释放前，拥有锁的线程不能多次获取": a second
// acquire(blocking=False) by the holder returns False.
TEST(LockConformance, LockIsNotRecursiveSecondNonBlockingAcquireReturnsFalse) {
  th::Lock lock;
  ASSERT_TRUE(lock.acquire());
  EXPECT_FALSE(lock.acquire(false));
  EXPECT_FALSE(lock.try_lock());
  EXPECT_TRUE(lock.locked());
  lock.release();
  EXPECT_TRUE(lock.acquire(false));
  lock.release();
}

// Seed 001 "timeout会限制阻塞时长 ... 没有获取，返回False".
TEST(LockConformance, TimedSecondAcquireReturnsFalseAfterTheTimeout) {
  th::Lock lock;
  ASSERT_TRUE(lock.acquire());
  const auto t0 = Clock::now();
  EXPECT_FALSE(lock.acquire(true, 100ms));
  EXPECT_GE(Clock::now() - t0, 100ms);
  EXPECT_TRUE(lock.locked());
  lock.release();
}

// _threadmodule.c: timeout=0 is a single non-waiting attempt.
TEST(LockConformance, ZeroTimeoutOnAHeldLockReturnsFalseAtOnce) {
  th::Lock lock;
  ASSERT_TRUE(lock.acquire());
  const auto t0 = Clock::now();
  EXPECT_FALSE(lock.acquire(true, 0s));
  EXPECT_LT(Clock::now() - t0, 10s);
  lock.release();
  EXPECT_TRUE(lock.acquire(true, 0s));
  lock.release();
}

TEST(LockConformance, TimedAcquireReturnsTrueWhenReleasedWithinTheTimeout) {
  th::Lock lock;
  ASSERT_TRUE(lock.acquire());
  std::promise<bool> result;
  std::latch started(1);
  std::thread t([&] {
    started.count_down();
    result.set_value(lock.acquire(true, 30s));
  });
  started.wait();
  settle();
  lock.release();
  EXPECT_TRUE(result.get_future().get());
  t.join();
  EXPECT_TRUE(lock.locked());  // now held by the (ended) thread
  lock.release();
}

// lock.hpp: "ANY thread may release it, as in CPython" (_thread.lock has no
// owner).
TEST(LockConformance, AnyThreadMayReleaseTheLock) {
  th::Lock lock;
  ASSERT_TRUE(lock.acquire());
  std::thread t([&] { lock.release(); });
  t.join();
  EXPECT_FALSE(lock.locked());
  // And the other way round: a lock acquired in a thread, released here.
  std::thread u([&] { ASSERT_TRUE(lock.acquire()); });
  u.join();
  EXPECT_TRUE(lock.locked());
  lock.release();
  EXPECT_FALSE(lock.locked());
}

// lock.hpp: "a thread that ends holding a lock leaves it held, as in CPython".
TEST(LockConformance, AThreadThatEndsHoldingTheLockLeavesItHeld) {
  th::Lock lock;
  th::Thread t([&] { lock.acquire(); });
  t.start();
  t.join();
  EXPECT_TRUE(lock.locked());
  EXPECT_FALSE(lock.acquire(false));
  lock.release();
}

// Seed 001: acquire(blocking=True) "则会阻塞，直到获取该锁".
TEST(LockConformance, BlockingAcquireWaitsUntilAnotherThreadReleases) {
  th::Lock lock;
  ASSERT_TRUE(lock.acquire());
  std::atomic<bool> acquired{false};
  std::latch started(1);
  std::thread t([&] {
    started.count_down();
    lock.acquire();
    acquired = true;
    lock.release();
  });
  started.wait();
  settle();
  EXPECT_FALSE(acquired.load());
  lock.release();
  t.join();
  EXPECT_TRUE(acquired.load());
  EXPECT_FALSE(lock.locked());
}

// _threadmodule.c lock_PyThread_release_lock: "release unlocked lock"
// (RuntimeError).
TEST(LockConformance, ReleasingAnUnlockedLockRaisesRuntimeErrorReleaseUnlockedLock) {
  th::Lock lock;
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { lock.release(); }, "release unlocked lock"));
  lock.acquire();
  lock.release();
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { lock.release(); }, "release unlocked lock"));
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { lock.unlock(); }, "release unlocked lock"));
  EXPECT_FALSE(lock.locked());
}

// _threadmodule.c lock_acquire_parse_args: "can't specify a timeout for a
// non-blocking call" (ValueError), checked before the sign of the timeout;
// nothing is acquired.
TEST(LockConformance, TimeoutWithNonBlockingAcquireRaisesValueError) {
  th::Lock lock;
  const char* text = "can't specify a timeout for a non-blocking call";
  EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { lock.acquire(false, 1s); }, text));
  EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { lock.acquire(false, 0s); }, text));
  EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { lock.acquire(false, -2s); }, text));
  EXPECT_FALSE(lock.locked());
  lock.acquire();
  EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { lock.acquire(false, 1s); }, text));
  EXPECT_TRUE(lock.locked());
  lock.release();
}

// _threadmodule.c lock_acquire_parse_args: "timeout value must be positive"
// (ValueError) for a negative timeout; Python's -1 "forever" is an empty
// Timeout in concur.
TEST(LockConformance, NegativeTimeoutRaisesValueErrorTimeoutValueMustBePositive) {
  th::Lock lock;
  const char* text = "timeout value must be positive";
  EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { lock.acquire(true, -1s); }, text));
  EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { lock.acquire(true, -1ms); }, text));
  EXPECT_FALSE(lock.locked());
  lock.acquire();
  EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { lock.acquire(true, -1s); }, text));
  lock.release();
}

// _threadmodule.c lock_repr: "<%s %s object at %p>" with "locked"/"unlocked"
// and the type name "_thread.lock".
TEST(LockConformance, ReprIsUnlockedOrLockedThreadLockObjectAtAddress) {
  th::Lock lock;
  const std::string addr = kAddr;
  EXPECT_TRUE(std::regex_match(lock.repr(), std::regex("<unlocked _thread\\.lock object at " + addr + ">")))
      << lock.repr();
  lock.acquire();
  EXPECT_TRUE(std::regex_match(lock.repr(), std::regex("<locked _thread\\.lock object at " + addr + ">")))
      << lock.repr();
  lock.release();
  th::Lock other;
  EXPECT_NE(lock.repr(), other.repr());  // the address tells objects apart
}

// lock.hpp: "std::lock_guard, std::unique_lock and std::scoped_lock work, as
// Python's `with lock:`".
TEST(LockConformance, StdLockGuardUniqueLockAndScopedLockWork) {
  th::Lock a;
  th::Lock b;
  {
    std::lock_guard guard(a);
    EXPECT_TRUE(a.locked());
  }
  EXPECT_FALSE(a.locked());
  {
    std::unique_lock ul(a);
    EXPECT_TRUE(ul.owns_lock());
    EXPECT_TRUE(a.locked());
    ul.unlock();
    EXPECT_FALSE(a.locked());
    ul.lock();
    EXPECT_TRUE(a.locked());
  }
  EXPECT_FALSE(a.locked());
  {
    std::scoped_lock both(a, b);
    EXPECT_TRUE(a.locked());
    EXPECT_TRUE(b.locked());
  }
  EXPECT_FALSE(a.locked());
  EXPECT_FALSE(b.locked());
  a.acquire();
  {
    std::unique_lock ul(a, std::try_to_lock);
    EXPECT_FALSE(ul.owns_lock());
  }
  EXPECT_TRUE(a.locked());  // the failed try_lock left the holder's lock alone
  EXPECT_EQ(std::try_lock(b, a), 1);
  EXPECT_FALSE(b.locked());  // std::try_lock unlocked what it had taken
  a.release();
  // `with lock:` releases on an exception.
  try {
    std::lock_guard guard(a);
    throw std::runtime_error("inside");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(a.locked());
}

// Seed 001 "锁来保证任意时刻访问该资源的线程只有一个": N threads x M
// increments under lock_guard give exactly N*M.
TEST(LockConformance, MutualExclusionUnderContentionGivesAnExactCount) {
  th::Lock lock;
  constexpr int kThreads = 4;
  constexpr int kIncrements = 20000;
  long counter = 0;  // deliberately not atomic: the lock is what protects it
  int inside = 0;
  std::atomic<bool> overlap{false};
  std::latch go(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      go.arrive_and_wait();
      for (int k = 0; k < kIncrements; ++k) {
        std::lock_guard guard(lock);
        if (++inside != 1) overlap = true;
        counter = counter + 1;
        --inside;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, static_cast<long>(kThreads) * kIncrements);
  EXPECT_FALSE(overlap.load());
  EXPECT_FALSE(lock.locked());
}

// lock.hpp Fork-safety: "a child forked while another thread holds the lock
// inherits it held, by a thread that does not exist in the child".
TEST(LockConformance, AChildForkedWhileAnotherThreadHoldsTheLockInheritsItHeld) {
  th::Lock lock;
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
  auto r = run_subprocess(
      [&] {
        EXPECT_TRUE(lock.locked());
        EXPECT_FALSE(lock.acquire(false));
        EXPECT_FALSE(lock.acquire(true, 10ms));
      },
      SubprocessOptions{}.quick_exit().limit(30s));
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  done.set_value();
  holder.join();
  EXPECT_FALSE(lock.locked());
}

// Seed 001 "进程同步" test_lock, run on threading.Lock: it prints "获取互斥锁"
// and "再次获取互斥锁", then the second acquire() blocks for good (CPython
// deadlocks there). Here another thread releases the lock (any thread may),
// which lets the seed's function go on to "释放互斥锁".
TEST(LockConformance, SeedTestLockSecondAcquireBlocksUntilTheLockIsReleased) {
  th::Lock lock;
  std::mutex out_mutex;
  std::vector<std::string> out;
  auto print = [&](const std::string& line) {
    std::lock_guard g(out_mutex);
    out.push_back(line);
  };
  auto printed = [&] {
    std::lock_guard g(out_mutex);
    return out;
  };
  th::Thread test_lock([&] {
    print("获取互斥锁");
    lock.acquire();
    print("再次获取互斥锁");
    lock.acquire();
    print("释放互斥锁");
    lock.release();
  });
  test_lock.start();
  ASSERT_TRUE(eventually([&] { return printed().size() == 2; }));
  settle();
  EXPECT_EQ(printed(), (std::vector<std::string>{"获取互斥锁", "再次获取互斥锁"}));
  EXPECT_TRUE(test_lock.is_alive());  // blocked in the second acquire()
  lock.release();
  test_lock.join();
  EXPECT_EQ(printed(), (std::vector<std::string>{"获取互斥锁", "再次获取互斥锁", "释放互斥锁"}));
  EXPECT_FALSE(lock.locked());
}

// ====================================================================== RLock

// Seed 001 "进程同步" test_rlock, on threading.RLock: acquire twice, release
// twice; prints its three lines and does not block.
TEST(RLockConformance, SeedTestRlockAcquiresTwiceAndReleasesTwice) {
  th::RLock rlock;
  std::vector<std::string> out;
  out.push_back("获取递归锁");
  EXPECT_TRUE(rlock.acquire());
  out.push_back("再次获取递归锁");
  EXPECT_TRUE(rlock.acquire());
  out.push_back("释放递归锁");
  rlock.release();
  rlock.release();
  EXPECT_EQ(out, (std::vector<std::string>{"获取递归锁", "再次获取递归锁", "释放递归锁"}));
  EXPECT_TRUE(std::regex_match(rlock.repr(), std::regex(std::string("<unlocked _thread\\.RLock object owner=0 "
                                                                    "count=0 at ") +
                                                        kAddr + ">")))
      << rlock.repr();
}

// Seed 001 "递归锁RLock：...内部有计数器统计被获取了多少次，因此获取与释放次数
// 必须相同，直到为0，才能被其他线程获取"; rlock_repr shows the count.
TEST(RLockConformance, OwnerAcquiresNestAndTheReprCountsTheLevels) {
  th::RLock rlock;
  const std::string me = std::to_string(th::get_ident());
  for (int level = 1; level <= 3; ++level) {
    ASSERT_TRUE(rlock.acquire());
    EXPECT_TRUE(std::regex_match(rlock.repr(), std::regex("<locked _thread\\.RLock object owner=" + me + " count=" +
                                                          std::to_string(level) + " at " + kAddr + ">")))
        << rlock.repr();
  }
  for (int level = 2; level >= 0; --level) {
    rlock.release();
    const std::string expected = level > 0 ? "<locked _thread\\.RLock object owner=" + me +
                                                 " count=" + std::to_string(level) + " at " + kAddr + ">"
                                           : std::string("<unlocked _thread\\.RLock object owner=0 count=0 at ") +
                                                 kAddr + ">";
    EXPECT_TRUE(std::regex_match(rlock.repr(), std::regex(expected))) << rlock.repr();
  }
}

// lock.hpp: "the owner's acquire() nests and returns true at once (even with
// blocking=false)" (_threadmodule.c rlock_acquire checks the owner first).
TEST(RLockConformance, OwnerAcquireWithBlockingFalseOrZeroTimeoutNests) {
  th::RLock rlock;
  ASSERT_TRUE(rlock.acquire());
  EXPECT_TRUE(rlock.acquire(false));
  EXPECT_TRUE(rlock.try_lock());
  EXPECT_TRUE(rlock.acquire(true, 0s));
  EXPECT_NE(rlock.repr().find(" count=4 "), std::string::npos) << rlock.repr();
  for (int i = 0; i < 4; ++i) rlock.release();
  EXPECT_EQ(rlock.repr().rfind("<unlocked", 0), 0u) << rlock.repr();
}

// _threadmodule.c rlock_release: "cannot release un-acquired lock"
// (RuntimeError) when the caller is not the owner; nothing changes.
TEST(RLockConformance, ReleaseByANonOwnerRaisesRuntimeErrorAndChangesNothing) {
  th::RLock rlock;
  rlock.acquire();
  rlock.acquire();
  const std::string before = rlock.repr();
  std::thread t([&] {
    EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { rlock.release(); }, "cannot release un-acquired lock"));
    EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { rlock.unlock(); }, "cannot release un-acquired lock"));
    EXPECT_FALSE(rlock.acquire(false));
  });
  t.join();
  EXPECT_EQ(rlock.repr(), before);
  rlock.release();
  rlock.release();
}

// _threadmodule.c rlock_release: the same error when nobody holds it.
TEST(RLockConformance, ReleaseOfAnUnlockedRLockRaisesCannotReleaseUnAcquiredLock) {
  th::RLock rlock;
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { rlock.release(); }, "cannot release un-acquired lock"));
  rlock.acquire();
  rlock.release();
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { rlock.release(); }, "cannot release un-acquired lock"));
}

// Seed 001: "直到为0，才能被其他线程获取" — another thread stays blocked until
// every level is released.
TEST(RLockConformance, AnotherThreadIsBlockedUntilEveryLevelIsReleased) {
  th::RLock rlock;
  rlock.acquire();
  rlock.acquire();
  std::atomic<bool> acquired{false};
  std::atomic<unsigned long> waiter_ident{0};
  std::latch tried(1);
  std::thread t([&] {
    waiter_ident = th::get_ident();
    EXPECT_FALSE(rlock.acquire(false));
    EXPECT_FALSE(rlock.acquire(true, 20ms));
    tried.count_down();
    rlock.acquire();
    acquired = true;
    rlock.release();
  });
  tried.wait();
  rlock.release();  // one level left
  settle();
  EXPECT_FALSE(acquired.load());
  rlock.release();
  t.join();
  EXPECT_TRUE(acquired.load());
}

// rlock_repr: owner is the owning thread's get_ident().
TEST(RLockConformance, ReprNamesTheOwningThreadsIdent) {
  th::RLock rlock;
  std::latch held(1);
  std::promise<void> done;
  auto finished = done.get_future();
  std::atomic<unsigned long> ident{0};
  std::thread t([&] {
    rlock.acquire();
    ident = th::get_ident();
    held.count_down();
    finished.wait();
    rlock.release();
  });
  held.wait();
  EXPECT_TRUE(std::regex_match(rlock.repr(), std::regex("<locked _thread\\.RLock object owner=" +
                                                        std::to_string(ident.load()) + " count=1 at " + kAddr + ">")))
      << rlock.repr();
  EXPECT_NE(ident.load(), th::get_ident());
  done.set_value();
  t.join();
}

// _threadmodule.c rlock_acquire uses lock_acquire_parse_args: the same two
// ValueErrors as Lock.
TEST(RLockConformance, ArgumentErrorsAreLocksValueErrors) {
  th::RLock rlock;
  EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { rlock.acquire(false, 1s); },
                                                 "can't specify a timeout for a non-blocking call"));
  EXPECT_TRUE(raises_exactly<concur::ValueError>([&] { rlock.acquire(true, -1s); }, "timeout value must be positive"));
  EXPECT_EQ(rlock.repr().rfind("<unlocked", 0), 0u) << rlock.repr();
}

TEST(RLockConformance, TimedAcquireOfAnRLockHeldElsewhereReturnsFalseAfterTheTimeout) {
  th::RLock rlock;
  rlock.acquire();
  std::promise<std::chrono::steady_clock::duration> waited;
  std::promise<bool> got;
  std::thread t([&] {
    const auto t0 = Clock::now();
    got.set_value(rlock.acquire(true, 100ms));
    waited.set_value(Clock::now() - t0);
  });
  EXPECT_FALSE(got.get_future().get());
  EXPECT_GE(waited.get_future().get(), 100ms);
  t.join();
  rlock.release();
}

// lock.hpp: "a thread that ends holding a lock leaves it held" — and an RLock
// so left can be released by nobody else (CPython 3.11 behaves the same).
TEST(RLockConformance, AThreadThatEndsHoldingAnRLockLeavesItHeldAndUnreleasable) {
  th::RLock rlock;
  th::Thread t([&] { rlock.acquire(); });
  t.start();
  t.join();
  EXPECT_FALSE(rlock.acquire(false));
  EXPECT_TRUE(raises_exactly<concur::RuntimeError>([&] { rlock.release(); }, "cannot release un-acquired lock"));
}

// lock.hpp: lock_guard etc. on an RLock, nested in one thread (`with rlock:`
// inside `with rlock:`).
TEST(RLockConformance, NestedStdLockGuardsOnAnRLockWork) {
  th::RLock rlock;
  {
    std::lock_guard outer(rlock);
    {
      std::unique_lock inner(rlock);
      EXPECT_TRUE(inner.owns_lock());
      EXPECT_NE(rlock.repr().find(" count=2 "), std::string::npos) << rlock.repr();
    }
    EXPECT_NE(rlock.repr().find(" count=1 "), std::string::npos) << rlock.repr();
    std::thread t([&] {
      std::unique_lock other(rlock, std::try_to_lock);
      EXPECT_FALSE(other.owns_lock());
    });
    t.join();
  }
  EXPECT_EQ(rlock.repr().rfind("<unlocked", 0), 0u) << rlock.repr();
  std::scoped_lock both(rlock);
  EXPECT_NE(rlock.repr().find(" count=1 "), std::string::npos) << rlock.repr();
}

TEST(RLockConformance, MutualExclusionUnderContentionWithNestedAcquires) {
  th::RLock rlock;
  constexpr int kThreads = 4;
  constexpr int kIncrements = 10000;
  long counter = 0;
  std::latch go(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      go.arrive_and_wait();
      for (int k = 0; k < kIncrements; ++k) {
        std::lock_guard outer(rlock);
        std::lock_guard inner(rlock);
        counter = counter + 1;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, static_cast<long>(kThreads) * kIncrements);
  EXPECT_EQ(rlock.repr().rfind("<unlocked", 0), 0u) << rlock.repr();
}
