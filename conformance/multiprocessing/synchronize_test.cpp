// Conformance tests of concur/multiprocessing/synchronize.hpp: Lock, RLock,
// Semaphore, BoundedSemaphore, Condition, Event, Barrier
// (seed 001 "进程同步" / "线程同步"; seed 003 "锁"; CPython
// Lib/multiprocessing/synchronize.py, Modules/_multiprocessing/semaphore.c,
// Lib/threading.py Barrier, Lib/test/_test_multiprocessing.py _TestLock,
// _TestSemaphore, _TestCondition, _TestEvent, _TestBarrier).
//
// In-process behaviour is checked with threads (the primitives are also
// threading-level locks); cross-process behaviour, inheritance and
// owner-death recovery under fork, spawn and forkserver. Children report back
// through files or their exit code.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "concur/errors.hpp"
#include "concur/multiprocessing.hpp"
#include "concur/multiprocessing/synchronize.hpp"
#include "support/leak_checked.hpp"
#include "support/proc_helpers.hpp"

namespace mp = concur::multiprocessing;
using namespace concur_test;
using namespace std::chrono_literals;

namespace {

// ============================================================ child targets

// Acquires the lock, reports, then dies by SIGKILL while holding it.
void lock_then_die(mp::Lock lock, std::string ready) {
  lock.acquire();
  write_text(ready, "holding");
  ::kill(::getpid(), SIGKILL);
}
CONCUR_REGISTER_TARGET(lock_then_die);

void rlock_then_die(mp::RLock lock, std::string ready) {
  lock.acquire();
  lock.acquire();  // two levels deep
  write_text(ready, "holding");
  ::kill(::getpid(), SIGKILL);
}
CONCUR_REGISTER_TARGET(rlock_then_die);

// Holds the lock until `go` exists, then releases it.
void hold_lock_until(mp::Lock lock, std::string ready, std::string go) {
  lock.acquire();
  write_text(ready, "holding");
  wait_for_path(go, 60s);
  lock.release();
}
CONCUR_REGISTER_TARGET(hold_lock_until);

// Ends normally (exit code 0) while holding the lock.
void lock_then_exit(mp::Lock lock) { lock.acquire(); }
CONCUR_REGISTER_TARGET(lock_then_exit);

// Releases a Lock that the parent acquired.
void release_parents_lock(mp::Lock lock) { lock.release(); }
CONCUR_REGISTER_TARGET(release_parents_lock);

// Tries to release an RLock the parent holds; records the error.
void release_parents_rlock(mp::RLock lock, std::string path) {
  try {
    lock.release();
    write_text(path, "released");
  } catch (const concur::AssertionError& e) {
    write_text(path, std::string("AssertionError:") + e.what());
  }
}
CONCUR_REGISTER_TARGET(release_parents_rlock);

// Tries the lock without blocking and records the result.
void try_lock_in_child(mp::Lock lock, std::string path) {
  bool got = lock.acquire(false);
  write_text(path, got ? "acquired" : "busy");
  if (got) lock.release();
}
CONCUR_REGISTER_TARGET(try_lock_in_child);

void release_semaphore(mp::Semaphore sem, int times) {
  for (int i = 0; i < times; ++i) sem.release();
}
CONCUR_REGISTER_TARGET(release_semaphore);

void set_event(mp::Event event) { event.set(); }
CONCUR_REGISTER_TARGET(set_event);

// Waits for the event and records what wait() returned.
void wait_event(mp::Event event, std::string ready, std::string path) {
  write_text(ready, "waiting");
  bool flag = event.wait(60s);
  write_text(path, flag ? "set" : "timeout");
}
CONCUR_REGISTER_TARGET(wait_event);

// Waits on the condition (ready is written while the lock is held, so the
// parent's acquire succeeds only once wait() released it).
void wait_condition(mp::Condition cond, std::string ready, std::string path) {
  std::lock_guard<mp::Condition> guard(cond);
  write_text(ready, "waiting");
  bool notified = cond.wait(60s);
  write_text(path, notified ? "notified" : "timeout");
}
CONCUR_REGISTER_TARGET(wait_condition);

void barrier_party(mp::Barrier barrier, std::string path) {
  int index = barrier.wait(60s);
  write_text(path, std::to_string(index));
}
CONCUR_REGISTER_TARGET(barrier_party);

// Increments a counter in a shared block under the lock (the "with lock:"
// pattern of seed 001 / seed 004 §1.6).
void count_under_lock(mp::Lock lock, mp::Semaphore done, std::string path, int n) {
  for (int i = 0; i < n; ++i) {
    std::lock_guard<mp::Lock> g(lock);
    std::string old = read_text(path);
    write_text(path, std::to_string(std::stoi(old) + 1));
  }
  done.release();
}
CONCUR_REGISTER_TARGET(count_under_lock);

std::string method_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

std::vector<std::string> dev_shm_entries() {
  std::vector<std::string> out;
  DIR* d = ::opendir("/dev/shm");
  if (!d) return out;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') out.push_back(e->d_name);
  ::closedir(d);
  return out;
}

}  // namespace

// ============================================================ Lock (in process)

// seed 001 "进程同步" test_lock: lock.acquire() twice from one thread would
// block forever (a Lock is not recursive); CPython _TestLock.test_lock.
TEST(LockConformance, AcquireReturnsTrueAndSecondNonBlockingAcquireReturnsFalse) {
  mp::Lock lock;
  EXPECT_TRUE(lock.acquire());
  EXPECT_FALSE(lock.acquire(false));
  lock.release();
  EXPECT_TRUE(lock.acquire(false));
  lock.release();
}

// semaphore.c semlock_release: ValueError "semaphore or lock released too
// many times" (CPython _TestLock: assertRaises((ValueError, ThreadError))).
TEST(LockConformance, ReleasingAnUnlockedLockRaisesValueError) {
  mp::Lock lock;
  EXPECT_TRUE(raises<concur::ValueError>([&] { lock.release(); }, "semaphore or lock released too many times"));
  lock.acquire();
  lock.release();
  EXPECT_TRUE(raises<concur::ValueError>([&] { lock.release(); }, "semaphore or lock released too many times"));
}

// Timed acquire of a held lock returns False after the timeout (lower bound).
TEST(LockConformance, TimedAcquireOfAHeldLockReturnsFalseAfterTheTimeout) {
  mp::Lock lock;
  lock.acquire();
  auto t0 = Clock::now();
  EXPECT_FALSE(lock.acquire(true, 200ms));
  EXPECT_GE(seconds_since(t0), 0.19);
  auto t1 = Clock::now();
  EXPECT_FALSE(lock.acquire(true, 0s));
  EXPECT_FALSE(lock.acquire(true, -1s));  // negative timeouts count as zero
  EXPECT_LT(seconds_since(t1), 5.0);
  lock.release();
}

// block=false never waits, whatever the timeout (semaphore.c: blocking=False
// ignores timeout).
TEST(LockConformance, NonBlockingAcquireIgnoresTheTimeout) {
  mp::Lock lock;
  lock.acquire();
  auto t0 = Clock::now();
  EXPECT_FALSE(lock.acquire(false, 10s));
  EXPECT_LT(seconds_since(t0), 5.0);
  lock.release();
}

// Docs: "once a process or thread has acquired a lock ... any process or
// thread may release it."
TEST(LockConformance, AnotherThreadMayReleaseTheLock) {
  mp::Lock lock;
  lock.acquire();
  std::thread([lock]() mutable { lock.release(); }).join();
  EXPECT_TRUE(lock.acquire(false));
  lock.release();
}

TEST(LockConformance, AcquireBlocksUntilAnotherThreadReleases) {
  mp::Lock lock;
  lock.acquire();
  std::atomic<bool> got{false};
  std::thread t([&] {
    mp::Lock mine = lock;  // a copy is a handle to the same lock
    got = mine.acquire(true, 30s);
    mine.release();
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(got.load());
  lock.release();
  t.join();
  EXPECT_TRUE(got.load());
}

// Python's `with lock:` is BasicLockable here: std::lock_guard, scoped_lock.
TEST(LockConformance, LockGuardAndScopedLockWork) {
  mp::Lock lock;
  {
    std::lock_guard<mp::Lock> g(lock);
    EXPECT_FALSE(lock.try_lock());
  }
  EXPECT_TRUE(lock.try_lock());
  lock.unlock();
  mp::RLock rlock;
  {
    std::scoped_lock both(lock, rlock);
    EXPECT_FALSE(lock.acquire(false));
  }
  EXPECT_TRUE(lock.acquire(false));
  lock.release();
}

// synchronize.py Lock.__repr__: "<Lock(owner=None)>", "<Lock(owner=MainProcess)>",
// "<Lock(owner=SomeOtherThread)>".
TEST(LockConformance, ReprNamesTheOwner) {
  mp::Lock lock;
  EXPECT_EQ(lock.repr(), "<Lock(owner=None)>");
  lock.acquire();
  EXPECT_EQ(lock.repr(), "<Lock(owner=" + mp::current_process().name() + ")>");
  std::string other;
  std::thread([&] { other = lock.repr(); }).join();
  EXPECT_EQ(other, "<Lock(owner=SomeOtherThread)>");
  lock.release();
}

// seed 003 "锁": l = Lock(); l.acquire(); ...; l.release().
TEST(LockConformance, SeedExampleAcquireWorkRelease) {
  mp::Lock l;
  EXPECT_TRUE(l.acquire());
  int work = 0;
  for (int i = 0; i < 5; ++i) ++work;
  l.release();
  EXPECT_EQ(work, 5);
}

// Lock protects a non-atomic read-modify-write between threads.
TEST(LockConformance, MutualExclusionBetweenThreads) {
  mp::Lock lock;
  long counter = 0;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        std::lock_guard<mp::Lock> g(lock);
        long v = counter;
        counter = v + 1;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(counter, 80000);
}

// ============================================================ RLock (in process)

// seed 001 test_rlock: rlock.acquire() twice, release() twice.
TEST(RLockConformance, SeedExampleOwnerAcquiresTwiceAndReleasesTwice) {
  mp::RLock rlock;
  EXPECT_TRUE(rlock.acquire());
  EXPECT_TRUE(rlock.acquire());
  EXPECT_TRUE(rlock.acquire(false));  // semaphore.c: the owner nests even without blocking
  EXPECT_EQ(rlock.repr(), "<RLock(" + mp::current_process().name() + ", 3)>");
  rlock.release();
  rlock.release();
  rlock.release();
  EXPECT_EQ(rlock.repr(), "<RLock(None, 0)>");
}

// semaphore.c: AssertionError "attempt to release recursive lock not owned by thread".
TEST(RLockConformance, ReleasingAnUnownedRLockRaisesAssertionError) {
  mp::RLock rlock;
  EXPECT_TRUE(raises<concur::AssertionError>([&] { rlock.release(); },
                                             "attempt to release recursive lock not owned by thread"));
}

TEST(RLockConformance, ReleaseFromAThreadThatDoesNotOwnItRaisesAssertionError) {
  mp::RLock rlock;
  rlock.acquire();
  bool raised = false;
  std::string repr;
  std::thread([&] {
    raised = raises<concur::AssertionError>([&] { rlock.release(); },
                                            "attempt to release recursive lock not owned by thread");
    repr = rlock.repr();
    EXPECT_FALSE(rlock.acquire(false));
  }).join();
  EXPECT_TRUE(raised);
  EXPECT_EQ(repr, "<RLock(SomeOtherThread, nonzero)>");
  rlock.release();
}

TEST(RLockConformance, OtherThreadsAcquireOnlyAfterEveryLevelIsReleased) {
  mp::RLock rlock;
  rlock.acquire();
  rlock.acquire();
  auto try_other = [&] {
    bool got = false;
    std::thread([&] {
      got = rlock.acquire(false);
      if (got) rlock.release();
    }).join();
    return got;
  };
  EXPECT_FALSE(try_other());
  rlock.release();
  EXPECT_FALSE(try_other());
  rlock.release();
  EXPECT_TRUE(try_other());
}

// ============================================================ Semaphore

// seed 001 "信号量": the counter starts at value (default 1); acquire blocks at 0.
TEST(SemaphoreConformance, CounterStartsAtValueAndAcquireFailsAtZero) {
  mp::Semaphore sem(2);
  EXPECT_EQ(sem.get_value(), 2u);
  EXPECT_TRUE(sem.acquire());
  EXPECT_TRUE(sem.acquire());
  EXPECT_EQ(sem.get_value(), 0u);
  EXPECT_FALSE(sem.acquire(false));
  auto t0 = Clock::now();
  EXPECT_FALSE(sem.acquire(true, 150ms));
  EXPECT_GE(seconds_since(t0), 0.14);
  sem.release();
  sem.release();
  sem.release();  // an unbounded Semaphore may rise above its initial value
  EXPECT_EQ(sem.get_value(), 3u);
  EXPECT_EQ(sem.repr(), "<Semaphore(value=3)>");
  EXPECT_EQ(mp::Semaphore().get_value(), 1u);
}

// CPython's SemLock: sem_open() refuses a negative value, OSError(EINVAL)
// (twin conformance/cpython/sync_semaphore_errors).
TEST(SemaphoreConformance, NegativeInitialValueRaisesOSErrorEINVAL) {
  try {
    mp::Semaphore s(-1);
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EINVAL);
  }
}

TEST(SemaphoreConformance, ReleaseWakesABlockedThread) {
  mp::Semaphore sem(0);
  std::atomic<bool> got{false};
  std::thread t([&] { got = sem.acquire(true, 30s); });
  std::this_thread::sleep_for(50ms);
  sem.release();
  t.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(sem.get_value(), 0u);
}

// seed 001: "BoundedSemaphore ... 如果计数器的值超过了初始值，则会抛出异常ValueError".
// The multiprocessing text is semaphore.c's.
TEST(BoundedSemaphoreConformance, ReleaseAboveTheInitialValueRaisesValueError) {
  mp::BoundedSemaphore sem(2);
  EXPECT_EQ(sem.repr(), "<BoundedSemaphore(value=2, maxvalue=2)>");
  EXPECT_TRUE(raises<concur::ValueError>([&] { sem.release(); }, "semaphore or lock released too many times"));
  sem.acquire();
  sem.release();
  EXPECT_TRUE(raises<concur::ValueError>([&] { sem.release(); }, "semaphore or lock released too many times"));
  EXPECT_EQ(sem.get_value(), 2u);
}

// seed 003: threading.BoundedSemaphore(5) "最多允许5个线程同时运行".
TEST(BoundedSemaphoreConformance, AtMostValueThreadsHoldItAtOnce) {
  mp::BoundedSemaphore sem(5);
  std::atomic<int> inside{0}, peak{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 10; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        std::lock_guard<mp::BoundedSemaphore> g(sem);
        int now = ++inside;
        int p = peak.load();
        while (now > p && !peak.compare_exchange_weak(p, now)) {
        }
        std::this_thread::yield();
        --inside;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_LE(peak.load(), 5);
  EXPECT_EQ(sem.get_value(), 5u);
}

// ============================================================ Condition

// synchronize.py Condition.wait: assert ... 'must acquire() condition before using wait()'.
TEST(ConditionConformance, WaitWithoutTheLockRaisesAssertionError) {
  mp::Condition cond;
  EXPECT_TRUE(raises<concur::AssertionError>([&] { cond.wait(0s); }, "must acquire() condition before using wait()"));
}

// synchronize.py Condition.notify/notify_all: assert ... 'lock is not owned'.
TEST(ConditionConformance, NotifyWithoutTheLockRaisesAssertionError) {
  mp::Condition cond;
  EXPECT_TRUE(raises<concur::AssertionError>([&] { cond.notify(); }, "lock is not owned"));
  EXPECT_TRUE(raises<concur::AssertionError>([&] { cond.notify_all(); }, "lock is not owned"));
}

TEST(ConditionConformance, WaitWithTimeoutReturnsFalseAndHoldsTheLockAgain) {
  mp::Condition cond;
  std::lock_guard<mp::Condition> g(cond);
  auto t0 = Clock::now();
  EXPECT_FALSE(cond.wait(150ms));
  EXPECT_GE(seconds_since(t0), 0.14);
  cond.notify();  // still owned: no AssertionError
}

// CPython _TestCondition.test_notify: notify() wakes one waiter, notify_all() the rest.
TEST(ConditionConformance, NotifyWakesOneWaiterAndNotifyAllWakesTheRest) {
  mp::Condition cond;
  std::atomic<int> waiting{0}, woken{0}, notified{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 3; ++i)
    ts.emplace_back([&] {
      std::lock_guard<mp::Condition> g(cond);
      ++waiting;
      if (cond.wait(60s)) ++notified;
      ++woken;
    });
  ASSERT_TRUE(wait_until([&] { return waiting.load() == 3; }, 30s));
  {
    std::lock_guard<mp::Condition> g(cond);  // all three are inside wait() now
    cond.notify();
  }
  ASSERT_TRUE(wait_until([&] { return woken.load() >= 1; }, 30s));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(woken.load(), 1);
  {
    std::lock_guard<mp::Condition> g(cond);
    cond.notify_all();
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(woken.load(), 3);
  EXPECT_EQ(notified.load(), 3);
}

TEST(ConditionConformance, NotifyNWakesAtMostNWaiters) {
  mp::Condition cond;
  std::atomic<int> waiting{0}, woken{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i)
    ts.emplace_back([&] {
      std::lock_guard<mp::Condition> g(cond);
      ++waiting;
      cond.wait(60s);
      ++woken;
    });
  ASSERT_TRUE(wait_until([&] { return waiting.load() == 4; }, 30s));
  {
    std::lock_guard<mp::Condition> g(cond);
    cond.notify(2);
  }
  ASSERT_TRUE(wait_until([&] { return woken.load() >= 2; }, 30s));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(woken.load(), 2);
  {
    std::lock_guard<mp::Condition> g(cond);
    cond.notify_all();
  }
  for (auto& t : ts) t.join();
}

// A notify with no waiter is not remembered (a later wait times out).
TEST(ConditionConformance, NotifyWithoutWaitersIsNotRemembered) {
  mp::Condition cond;
  std::lock_guard<mp::Condition> g(cond);
  cond.notify();
  cond.notify_all();
  EXPECT_FALSE(cond.wait(50ms));
}

// synchronize.py Condition.wait_for returns the predicate's last value.
TEST(ConditionConformance, WaitForReturnsThePredicateValue) {
  mp::Condition cond;
  int state = 0;
  std::thread t([&] {
    for (int i = 1; i <= 3; ++i) {
      std::this_thread::sleep_for(20ms);
      std::lock_guard<mp::Condition> g(cond);
      state = i;
      cond.notify_all();
    }
  });
  {
    std::lock_guard<mp::Condition> g(cond);
    int r = cond.wait_for([&] { return state == 3 ? 42 : 0; }, 60s);
    EXPECT_EQ(r, 42);
  }
  t.join();
  std::lock_guard<mp::Condition> g(cond);
  auto t0 = Clock::now();
  EXPECT_EQ(cond.wait_for([] { return 0; }, 120ms), 0);  // timed out: the falsy value
  EXPECT_GE(seconds_since(t0), 0.11);
  EXPECT_EQ(cond.wait_for([] { return 7; }, 0s), 7);  // true at once: no wait
}

// Condition(lock=None) makes an RLock; wait() releases every level and
// restores them (synchronize.py: count = self._lock._semlock._count()).
TEST(ConditionConformance, WaitReleasesEveryLevelOfTheRLockAndRestoresThem) {
  mp::RLock rlock;
  mp::Condition cond(rlock);
  rlock.acquire();
  rlock.acquire();
  std::atomic<bool> other_got{false};
  std::thread t([&] {
    rlock.acquire();  // possible only while the owner waits
    other_got = true;
    cond.notify();
    rlock.release();
  });
  EXPECT_TRUE(cond.wait(60s));
  t.join();
  EXPECT_TRUE(other_got.load());
  EXPECT_EQ(rlock.repr(), "<RLock(" + mp::current_process().name() + ", 2)>");
  rlock.release();
  rlock.release();
  EXPECT_TRUE(raises<concur::AssertionError>([&] { rlock.release(); }, "attempt to release"));
}

TEST(ConditionConformance, ConditionOverAPlainLockWorks) {
  mp::Lock lock;
  mp::Condition cond(lock);
  bool ready = false;
  std::thread t([&] {
    std::this_thread::sleep_for(20ms);
    std::lock_guard<mp::Condition> g(cond);
    ready = true;
    cond.notify();
  });
  {
    std::lock_guard<mp::Condition> g(cond);
    EXPECT_TRUE(cond.wait_for([&] { return ready; }, 60s));
    EXPECT_FALSE(lock.acquire(false));  // the Condition's lock is held again
    EXPECT_EQ(cond.repr(), "<Condition(<Lock(owner=" + mp::current_process().name() + ")>, 0)>");
  }
  t.join();
}

// ============================================================ Event

// seed 001 "事件": set / clear / is_set / wait.
TEST(EventConformance, SetClearIsSetAndWaitReturnTheFlag) {
  mp::Event e;
  EXPECT_FALSE(e.is_set());
  auto t0 = Clock::now();
  EXPECT_FALSE(e.wait(100ms));
  EXPECT_GE(seconds_since(t0), 0.09);
  EXPECT_FALSE(e.wait(0s));
  e.set();
  EXPECT_TRUE(e.is_set());
  EXPECT_TRUE(e.wait());
  EXPECT_TRUE(e.wait(0s));
  e.set();  // setting twice is fine
  e.clear();
  EXPECT_FALSE(e.is_set());
  EXPECT_FALSE(e.wait(0s));
}

TEST(EventConformance, SetWakesEveryWaitingThread) {
  mp::Event e;
  std::atomic<int> woke{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 3; ++i)
    ts.emplace_back([&] {
      if (e.wait(60s)) ++woke;
    });
  std::this_thread::sleep_for(50ms);
  e.set();
  for (auto& t : ts) t.join();
  EXPECT_EQ(woke.load(), 3);
}

// ============================================================ Barrier

TEST(BarrierConformance, WaitReturnsDistinctIndicesAndRunsTheActionOnce) {
  std::atomic<int> actions{0};
  mp::Barrier b(4, [&] { ++actions; });
  EXPECT_EQ(b.parties(), 4);
  std::mutex m;
  std::set<int> indices;
  std::vector<std::thread> ts;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 4; ++i)
      ts.emplace_back([&] {
        int idx = b.wait(60s);
        std::lock_guard<std::mutex> g(m);
        indices.insert(idx);
      });
    for (auto& t : ts) t.join();
    ts.clear();
    EXPECT_EQ(indices, (std::set<int>{0, 1, 2, 3}));
    indices.clear();
  }
  EXPECT_EQ(actions.load(), 2);  // once per cycle: the barrier is reusable
  EXPECT_FALSE(b.broken());
  EXPECT_EQ(b.n_waiting(), 0);
}

TEST(BarrierConformance, NWaitingCountsThreadsInTheFillingPhase) {
  mp::Barrier b(3);
  std::vector<std::thread> ts;
  for (int i = 0; i < 2; ++i) ts.emplace_back([&] { b.wait(60s); });
  EXPECT_TRUE(wait_until([&] { return b.n_waiting() == 2; }, 30s));
  b.wait(60s);
  for (auto& t : ts) t.join();
  EXPECT_EQ(b.n_waiting(), 0);
}

TEST(BarrierConformance, AbortBreaksWaitersWithBrokenBarrierError) {
  mp::Barrier b(3);
  std::atomic<int> broken{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 2; ++i)
    ts.emplace_back([&] {
      try {
        b.wait(60s);
      } catch (const concur::BrokenBarrierError&) {
        ++broken;
      }
    });
  ASSERT_TRUE(wait_until([&] { return b.n_waiting() == 2; }, 30s));
  b.abort();
  for (auto& t : ts) t.join();
  EXPECT_EQ(broken.load(), 2);
  EXPECT_TRUE(b.broken());
  EXPECT_THROW(b.wait(0s), concur::BrokenBarrierError);  // stays broken
  b.reset();
  EXPECT_FALSE(b.broken());
}

// threading.Barrier._wait: a timeout breaks the barrier.
TEST(BarrierConformance, TimeoutBreaksTheBarrier) {
  mp::Barrier b(2);
  auto t0 = Clock::now();
  EXPECT_THROW(b.wait(100ms), concur::BrokenBarrierError);
  EXPECT_GE(seconds_since(t0), 0.09);
  EXPECT_TRUE(b.broken());
}

TEST(BarrierConformance, DefaultTimeoutFromTheConstructorApplies) {
  mp::Barrier b(2, {}, 100ms);
  EXPECT_THROW(b.wait(), concur::BrokenBarrierError);
  EXPECT_TRUE(b.broken());
}

TEST(BarrierConformance, ResetWhileWaitingRaisesBrokenBarrierErrorInWaiters) {
  mp::Barrier b(2);
  std::atomic<bool> broken{false};
  std::thread t([&] {
    try {
      b.wait(60s);
    } catch (const concur::BrokenBarrierError&) {
      broken = true;
    }
  });
  ASSERT_TRUE(wait_until([&] { return b.n_waiting() == 1; }, 30s));
  b.reset();
  t.join();
  EXPECT_TRUE(broken.load());
  EXPECT_FALSE(b.broken());
  // Usable again after the reset.
  std::thread t2([&] { b.wait(60s); });
  b.wait(60s);
  t2.join();
}

// threading.Barrier._release: an action that raises breaks the barrier and
// the exception reaches the thread that ran it.
TEST(BarrierConformance, AnActionThatThrowsBreaksTheBarrier) {
  mp::Barrier b(2, [] { throw std::runtime_error("action failed"); });
  std::atomic<int> ran_action{0}, broken{0};
  auto party = [&] {
    try {
      b.wait(60s);
    } catch (const concur::BrokenBarrierError&) {
      ++broken;
    } catch (const std::runtime_error& e) {
      if (std::string(e.what()) == "action failed") ++ran_action;
    }
  };
  std::thread t(party);
  party();
  t.join();
  EXPECT_EQ(ran_action.load(), 1);  // the last arrival ran it and got its exception
  EXPECT_EQ(broken.load(), 1);      // the other party saw the barrier break
  EXPECT_TRUE(b.broken());
}

TEST(BarrierConformance, PartiesBelowOneRaiseValueError) {
  EXPECT_TRUE(raises<concur::ValueError>([] { mp::Barrier b(0); }, "parties must be >= 1"));
}

// ============================================================ inheritance only

// synchronize.py SemLock.__getstate__ / Condition.__getstate__:
// context.assert_spawning(self).
TEST(SynchronizeInheritance, SerializingOutsideStartRaisesRuntimeError) {
  auto msg = [](const std::string& t) { return t + " objects should only be shared between processes through inheritance"; };
  EXPECT_TRUE(raises<concur::RuntimeError>([] { (void)concur::serialization::dumps(mp::Lock()); }, msg("Lock")));
  EXPECT_TRUE(raises<concur::RuntimeError>([] { (void)concur::serialization::dumps(mp::RLock()); }, msg("RLock")));
  EXPECT_TRUE(
      raises<concur::RuntimeError>([] { (void)concur::serialization::dumps(mp::Semaphore()); }, msg("Semaphore")));
  EXPECT_TRUE(raises<concur::RuntimeError>([] { (void)concur::serialization::dumps(mp::BoundedSemaphore()); },
                                           msg("BoundedSemaphore")));
  EXPECT_TRUE(
      raises<concur::RuntimeError>([] { (void)concur::serialization::dumps(mp::Condition()); }, msg("Condition")));
  EXPECT_TRUE(raises<concur::RuntimeError>([] { (void)concur::serialization::dumps(mp::Event()); }, msg("Event")));
  EXPECT_TRUE(
      raises<concur::RuntimeError>([] { (void)concur::serialization::dumps(mp::Barrier(2)); }, msg("Condition")));
}

// shared_block.hpp: one close-on-exec memfd per live primitive, closed with
// the last handle; nothing is created in /dev/shm.
TEST(SynchronizeResources, NoFdLeaksAndNothingInDevShm) {
  int fds = count_open_fds();
  auto shm = dev_shm_entries();
  {
    mp::Lock a;
    mp::RLock b;
    mp::Semaphore c;
    mp::Condition d;
    mp::Event e;
    mp::Barrier f(2);
    mp::Lock copy = a;
    EXPECT_GT(count_open_fds(), fds);
    EXPECT_EQ(dev_shm_entries(), shm);
  }
  EXPECT_EQ(count_open_fds(), fds);
}

// ============================================================ across processes

class SynchronizeProcesses : public concur_test::StartMethodTest {};

INSTANTIATE_TEST_SUITE_P(StartMethods, SynchronizeProcesses, ::testing::Values("fork", "spawn", "forkserver"),
                         method_name);

// synchronize.hpp: a process SIGKILLed while holding a Lock does not deadlock
// the next acquirer (robustness against owner death; CPython would hang).
TEST_P(SynchronizeProcesses, LockHeldByAProcessKilledWithSigkillCanBeAcquired) {
  mp::Lock lock;
  auto ready = dir_.file("ready");
  auto p = ctx().Process(lock_then_die, lock, ready);
  p.start();
  ASSERT_TRUE(wait_for_path(ready));
  EXPECT_TRUE(lock.acquire(true, 30s));
  p.join();
  EXPECT_EQ(p.exitcode(), -SIGKILL);
  lock.release();
  EXPECT_TRUE(lock.acquire(false));
  lock.release();
}

TEST_P(SynchronizeProcesses, RLockHeldByAProcessKilledWithSigkillCanBeAcquired) {
  mp::RLock lock;
  auto ready = dir_.file("ready");
  auto p = ctx().Process(rlock_then_die, lock, ready);
  p.start();
  ASSERT_TRUE(wait_for_path(ready));
  p.join();  // reaped: the pid is gone altogether
  EXPECT_EQ(p.exitcode(), -SIGKILL);
  EXPECT_TRUE(lock.acquire(true, 30s));
  EXPECT_EQ(lock.repr(), "<RLock(" + mp::current_process().name() + ", 1)>");  // one level, ours
  lock.release();
  EXPECT_TRUE(raises<concur::AssertionError>([&] { lock.release(); }, "attempt to release"));
}

TEST_P(SynchronizeProcesses, LockHeldByAProcessThatExitedCanBeAcquired) {
  mp::Lock lock;
  auto p = ctx().Process(lock_then_exit, lock);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_TRUE(lock.acquire(true, 30s));
  lock.release();
}

// A live owner in another process keeps the lock: acquire times out, and
// succeeds once the owner releases it.
TEST_P(SynchronizeProcesses, LockHeldByALiveChildBlocksUntilReleased) {
  mp::Lock lock;
  auto ready = dir_.file("ready"), go = dir_.file("go");
  auto p = ctx().Process(hold_lock_until, lock, ready, go);
  p.start();
  ASSERT_TRUE(wait_for_path(ready));
  EXPECT_EQ(lock.repr(), "<Lock(owner=SomeOtherProcess)>");
  auto t0 = Clock::now();
  EXPECT_FALSE(lock.acquire(true, 300ms));  // longer than a liveness check: the owner is alive
  EXPECT_GE(seconds_since(t0), 0.29);
  write_text(go, "go");
  EXPECT_TRUE(lock.acquire(true, 30s));
  lock.release();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

// Docs: any process may release a Lock.
TEST_P(SynchronizeProcesses, AChildMayReleaseALockThatTheParentAcquired) {
  mp::Lock lock;
  lock.acquire();
  auto p = ctx().Process(release_parents_lock, lock);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_TRUE(lock.acquire(false));
  lock.release();
}

TEST_P(SynchronizeProcesses, AChildCannotReleaseAnRLockThatTheParentHolds) {
  mp::RLock rlock;
  rlock.acquire();
  auto out = dir_.file("out");
  auto p = ctx().Process(release_parents_rlock, rlock, out);
  p.start();
  p.join();
  EXPECT_EQ(read_text(out), "AssertionError:attempt to release recursive lock not owned by thread");
  rlock.release();
}

TEST_P(SynchronizeProcesses, AChildSeesTheParentsLockHeld) {
  mp::Lock lock;
  lock.acquire();
  auto out = dir_.file("out");
  auto p = ctx().Process(try_lock_in_child, lock, out);
  p.start();
  p.join();
  EXPECT_EQ(read_text(out), "busy");
  lock.release();
  auto out2 = dir_.file("out2");
  auto q = ctx().Process(try_lock_in_child, lock, out2);
  q.start();
  q.join();
  EXPECT_EQ(read_text(out2), "acquired");
}

// seed 001 "进程同步": the lock makes processes take turns on shared state.
TEST_P(SynchronizeProcesses, LockSerializesReadModifyWriteAcrossProcesses) {
  mp::Lock lock;
  mp::Semaphore done(0);
  auto counter = dir_.file("counter");
  write_text(counter, "0");
  std::vector<mp::Process> ps;
  for (int i = 0; i < 3; ++i) ps.push_back(ctx().Process(count_under_lock, lock, done, counter, 100));
  for (auto& p : ps) p.start();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(done.acquire(true, 60s));
  for (auto& p : ps) p.join();
  EXPECT_EQ(read_text(counter), "300");
}

TEST_P(SynchronizeProcesses, SemaphoreReleasedByAChildWakesTheParent) {
  mp::Semaphore sem(0);
  auto p = ctx().Process(release_semaphore, sem, 2);
  p.start();
  EXPECT_TRUE(sem.acquire(true, 30s));
  EXPECT_TRUE(sem.acquire(true, 30s));
  p.join();
  EXPECT_EQ(sem.get_value(), 0u);
}

TEST_P(SynchronizeProcesses, BoundedSemaphoreOverReleaseInAChildRaisesValueError) {
  mp::BoundedSemaphore sem(1);
  auto p = ctx().Process(release_semaphore, mp::Semaphore(sem), 1);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 1);  // ValueError escaped the target
  EXPECT_EQ(sem.get_value(), 1u);
}

TEST_P(SynchronizeProcesses, EventSetInAChildIsSeenByTheParent) {
  mp::Event e;
  auto p = ctx().Process(set_event, e);
  p.start();
  EXPECT_TRUE(e.wait(30s));
  p.join();
  EXPECT_TRUE(e.is_set());
}

TEST_P(SynchronizeProcesses, EventSetByTheParentWakesAWaitingChild) {
  mp::Event e;
  auto ready = dir_.file("ready"), out = dir_.file("out");
  auto p = ctx().Process(wait_event, e, ready, out);
  p.start();
  ASSERT_TRUE(wait_for_path(ready));
  e.set();
  p.join();
  EXPECT_EQ(read_text(out), "set");
}

TEST_P(SynchronizeProcesses, ConditionNotifyWakesAWaiterInAChild) {
  mp::Condition cond;
  auto ready = dir_.file("ready"), out = dir_.file("out");
  auto p = ctx().Process(wait_condition, cond, ready, out);
  p.start();
  ASSERT_TRUE(wait_for_path(ready));
  {
    std::lock_guard<mp::Condition> g(cond);  // granted once the child waits
    cond.notify();
  }
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(read_text(out), "notified");
}

TEST_P(SynchronizeProcesses, BarrierGivesDistinctIndicesAcrossProcesses) {
  mp::Barrier b(4);
  std::vector<mp::Process> ps;
  for (int i = 0; i < 3; ++i) ps.push_back(ctx().Process(barrier_party, b, dir_.file("idx" + std::to_string(i))));
  for (auto& p : ps) p.start();
  std::set<int> indices{b.wait(60s)};
  for (auto& p : ps) p.join();
  for (int i = 0; i < 3; ++i) indices.insert(std::stoi(read_text(dir_.file("idx" + std::to_string(i)))));
  EXPECT_EQ(indices, (std::set<int>{0, 1, 2, 3}));
}

TEST(SynchronizeSpawn, BarrierWithAnActionCannotCrossToASpawnChild) {
  mp::Barrier b(2, [] {});
  auto p = mp::get_context("spawn").Process(barrier_party, b, std::string("/dev/null"));
  EXPECT_THROW(p.start(), concur::PicklingError);
}
