// Conformance tests of concur::threading::Thread and the module functions
// (concur/threading/thread.hpp; seed 001 "线程 / Thread"; CPython
// Lib/threading.py class Thread, _MainThread, _DummyThread, excepthook,
// _shutdown, _after_fork).
//
// No test sleeps to order events: threads hand-shake through promises and
// latches; the only timing assertion (join with a timeout) checks a lower
// bound.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "concur/errors.hpp"
#include "concur/multiprocessing/spawn.hpp"
#include "concur/threading.hpp"
#include "support/proc_helpers.hpp"

namespace th = concur::threading;
using namespace concur_test;
using namespace std::chrono_literals;

namespace {

int g_seen = 0;
void store_sum(int a, int b) { g_seen = a + b; }
CONCUR_REGISTER_TARGET(store_sum);

void unregistered_noop() {}

bool contains(const std::vector<th::Thread*>& v, const th::Thread* t) {
  return std::find(v.begin(), v.end(), t) != v.end();
}

// Catches what `fn` throws and returns its message ("" when nothing).
template <class Fn>
std::string runtime_error_of(Fn fn) {
  try {
    fn();
  } catch (const concur::RuntimeError& e) {
    return e.what();
  }
  return "";
}

std::string temp_path(const std::string& stem) {
  return "/tmp/concur_thread_test_" + std::to_string(::getpid()) + "_" + stem;
}

}  // namespace

// Seed 001: Thread(target=func, args=...) runs func with the arguments in a
// new thread; join() waits for it.
TEST(ThreadConformance, TargetWithArgsRunsInANewThreadAndJoinWaitsForIt) {
  std::atomic<unsigned long> ident_inside{0};
  int result = 0;
  th::Thread t(
      [&](int a, const std::string& s) {
        ident_inside = th::get_ident();
        result = a + static_cast<int>(s.size());
      },
      40, std::string("ab"));
  t.start();
  t.join();
  EXPECT_EQ(result, 42);
  EXPECT_NE(ident_inside.load(), th::get_ident());
  EXPECT_EQ(t.ident(), std::optional<unsigned long>(ident_inside.load()));
}

// Seed 001: 继承Thread，重写run方法 (Producer/Consumer subclasses).
class Producer : public th::Thread {
 public:
  explicit Producer(std::vector<int>& out) : out_(out) {}
  ~Producer() override {
    if (is_alive()) join();  // run() uses out_: join before the members go
  }
  void run() override {
    for (int x = 0; x < 10; ++x) out_.push_back(x);
  }

 private:
  std::vector<int>& out_;
};

TEST(ThreadConformance, SubclassOverridingRunRunsItInTheThread) {
  std::vector<int> items;
  Producer p(items);
  p.start();
  p.join();
  EXPECT_EQ(items, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(p.repr().substr(0, 10), "<Producer(");
}

// threading.py Thread.start: "threads can only be started once".
TEST(ThreadConformance, SecondStartRaisesThreadsCanOnlyBeStartedOnce) {
  th::Thread t([] {});
  t.start();
  EXPECT_EQ(runtime_error_of([&] { t.start(); }), "threads can only be started once");
  t.join();
  EXPECT_EQ(runtime_error_of([&] { t.start(); }), "threads can only be started once");
}

// threading.py Thread.join: "cannot join thread before it is started".
TEST(ThreadConformance, JoinBeforeStartRaisesCannotJoinThreadBeforeItIsStarted) {
  th::Thread t([] {});
  EXPECT_EQ(runtime_error_of([&] { t.join(); }), "cannot join thread before it is started");
  EXPECT_EQ(runtime_error_of([&] { t.join(1ms); }), "cannot join thread before it is started");
}

// threading.py Thread.join: "cannot join current thread" — from inside the
// thread, and main_thread().join() on the main thread.
TEST(ThreadConformance, JoiningTheCurrentThreadRaisesCannotJoinCurrentThread) {
  std::string inside;
  th::Thread joiner([&] { inside = runtime_error_of([] { th::current_thread().join(); }); });
  joiner.start();
  joiner.join();
  EXPECT_EQ(inside, "cannot join current thread");
  EXPECT_EQ(runtime_error_of([] { th::main_thread().join(); }), "cannot join current thread");
  EXPECT_EQ(runtime_error_of([] { th::current_thread().join(0s); }), "cannot join current thread");
}

// Seed 001: join(timeout) returns None after the timeout; combine with
// is_alive() to tell whether the thread ended.
TEST(ThreadConformance, JoinWithTimeoutReturnsAfterTheTimeoutWhileTheThreadIsStillAlive) {
  std::promise<void> go;
  auto released = go.get_future().share();
  th::Thread t([released] { released.wait(); });
  t.start();
  auto t0 = std::chrono::steady_clock::now();
  t.join(50ms);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 50ms);
  EXPECT_TRUE(t.is_alive());
  t.join(-1s);  // negative timeouts behave as zero
  EXPECT_TRUE(t.is_alive());
  go.set_value();
  t.join(30s);
  EXPECT_FALSE(t.is_alive());
}

// Seed 001: is_alive(); threading.py is_alive: False before start and after
// the thread stopped.
TEST(ThreadConformance, IsAliveIsFalseBeforeStartTrueWhileRunningFalseAfterJoin) {
  std::promise<void> go;
  auto released = go.get_future().share();
  th::Thread t([released] { released.wait(); });
  EXPECT_FALSE(t.is_alive());
  t.start();
  EXPECT_TRUE(t.is_alive());
  go.set_value();
  t.join();
  EXPECT_FALSE(t.is_alive());
}

// Seed 001: "ident：线程ID，如果还未启动，则为None"; threading.py native_id.
TEST(ThreadConformance, IdentAndNativeIdAreEmptyBeforeStartAndTheThreadsOwnAfter) {
  unsigned long ident_inside = 0;
  pid_t native_inside = 0;
  th::Thread t([&] {
    ident_inside = th::get_ident();
    native_inside = th::get_native_id();
  });
  EXPECT_FALSE(t.ident().has_value());
  EXPECT_FALSE(t.native_id().has_value());
  t.start();
  EXPECT_TRUE(t.ident().has_value());  // set once start() returns (_started.wait())
  t.join();
  EXPECT_EQ(*t.ident(), ident_inside);
  EXPECT_EQ(*t.native_id(), native_inside);
  EXPECT_NE(native_inside, ::getpid());
  EXPECT_EQ(th::main_thread().native_id(), std::optional<pid_t>(::getpid()));
}

// threading.py Thread.__init__ (3.10+): name = _newname("Thread-%d") plus
// " (target.__name__)". C++ knows a name only for registered functions.
TEST(ThreadConformance, DefaultNameIsThreadNWithTheRegisteredTargetNameInParentheses) {
  th::Thread a(store_sum, 1, 2);
  std::smatch m;
  std::string an = a.name();
  ASSERT_TRUE(std::regex_match(an, m, std::regex(R"(Thread-(\d+) \(store_sum\))"))) << an;
  int n = std::stoi(m[1]);
  th::Thread b(unregistered_noop);
  th::Thread c([] {});
  th::Thread d;
  EXPECT_EQ(b.name(), "Thread-" + std::to_string(n + 1));
  EXPECT_EQ(c.name(), "Thread-" + std::to_string(n + 2));
  EXPECT_EQ(d.name(), "Thread-" + std::to_string(n + 3));
  a.start();
  a.join();
  EXPECT_EQ(g_seen, 3);
}

// Seed 001: Thread(..., name='Thread-A'); threading.py name setter.
TEST(ThreadConformance, NameOptionAndSetNameReplaceTheDefaultName) {
  th::Thread t({.name = "Thread-A"}, [] {});
  EXPECT_EQ(t.name(), "Thread-A");
  std::string inside;
  th::Thread u([&] { inside = th::current_thread().name(); });
  u.set_name("renamed");
  u.start();
  u.join();
  EXPECT_EQ(inside, "renamed");
  EXPECT_EQ(th::main_thread().name(), "MainThread");
}

// threading.py Thread.__init__: daemon defaults to current_thread().daemon.
TEST(ThreadConformance, DaemonDefaultsToTheCreatingThreadsFlag) {
  th::Thread plain([] {});
  EXPECT_FALSE(plain.daemon());
  EXPECT_FALSE(th::main_thread().daemon());
  bool child_daemon = false;
  bool child_of_child_daemon = false;
  th::Thread d({.daemon = true}, [&] {
    child_daemon = th::current_thread().daemon();
    th::Thread inner([] {});
    child_of_child_daemon = inner.daemon();
  });
  EXPECT_TRUE(d.daemon());
  d.start();
  d.join();
  EXPECT_TRUE(child_daemon);
  EXPECT_TRUE(child_of_child_daemon);
  th::Thread e({.daemon = false}, [] {});
  e.set_daemon(true);  // seed 001: t.setDaemon(True) before start()
  EXPECT_TRUE(e.daemon());
}

// threading.py daemon setter: "cannot set daemon status of active thread".
TEST(ThreadConformance, SetDaemonAfterStartRaisesCannotSetDaemonStatusOfActiveThread) {
  th::Thread t([] {});
  t.start();
  EXPECT_EQ(runtime_error_of([&] { t.set_daemon(true); }), "cannot set daemon status of active thread");
  t.join();
  EXPECT_EQ(runtime_error_of([&] { t.set_daemon(true); }), "cannot set daemon status of active thread");
  EXPECT_EQ(runtime_error_of([] { th::main_thread().set_daemon(true); }), "cannot set daemon status of active thread");
  EXPECT_FALSE(t.daemon());
}

// threading.current_thread() / main_thread().
TEST(ThreadConformance, CurrentThreadIsTheRunningThreadObjectAndMainThreadOnMain) {
  th::Thread* inside = nullptr;
  th::Thread t([&] { inside = &th::current_thread(); });
  t.start();
  t.join();
  EXPECT_EQ(inside, &t);
  EXPECT_EQ(&th::current_thread(), &th::main_thread());
  EXPECT_EQ(th::main_thread().ident(), std::optional<unsigned long>(th::get_ident()));
  EXPECT_TRUE(th::main_thread().is_alive());
}

// threading.enumerate(): alive threads, main included, started-not-ended
// only; active_count() == len(enumerate()).
TEST(ThreadConformance, EnumerateListsMainAndAliveThreadsAndActiveCountMatches) {
  std::promise<void> go;
  auto released = go.get_future().share();
  th::Thread a([released] { released.wait(); });
  th::Thread b([released] { released.wait(); });
  th::Thread never([] {});
  auto before = th::active_count();
  a.start();
  b.start();
  auto during = th::enumerate();
  EXPECT_TRUE(contains(during, &th::main_thread()));
  EXPECT_TRUE(contains(during, &a));
  EXPECT_TRUE(contains(during, &b));
  EXPECT_FALSE(contains(during, &never));
  EXPECT_EQ(th::active_count(), during.size());
  EXPECT_EQ(th::active_count(), before + 2);
  go.set_value();
  a.join();
  b.join();
  auto after = th::enumerate();
  EXPECT_FALSE(contains(after, &a));
  EXPECT_FALSE(contains(after, &b));
  EXPECT_EQ(th::active_count(), before);
}

// threading.py _DummyThread: a thread not started by threading gets a
// daemonic "Dummy-N" object from current_thread(); CPython 3.12 drops it
// from _active when the thread ends.
TEST(ThreadConformance, ForeignThreadAppearsAsDaemonicDummyNUntilItEnds) {
  std::promise<th::Thread*> seen;
  std::promise<void> go;
  std::string name;
  bool daemon = false, alive = false, listed = false;
  std::thread foreign([&] {
    th::Thread& me = th::current_thread();
    name = me.name();
    daemon = me.daemon();
    alive = me.is_alive();
    listed = contains(th::enumerate(), &me);
    EXPECT_EQ(&th::current_thread(), &me);  // the same object on every call
    EXPECT_EQ(me.repr().substr(0, 14), "<_DummyThread(");
    seen.set_value(&me);
    go.get_future().wait();
  });
  th::Thread* dummy = seen.get_future().get();
  EXPECT_TRUE(contains(th::enumerate(), dummy));
  go.set_value();
  foreign.join();
  EXPECT_TRUE(std::regex_match(name, std::regex(R"(Dummy-\d+)"))) << name;
  EXPECT_TRUE(daemon);
  EXPECT_TRUE(alive);
  EXPECT_TRUE(listed);
  EXPECT_FALSE(contains(th::enumerate(), dummy));
}

// threading.excepthook: "Exception in thread <name>:" and the error on
// stderr; the program goes on.
TEST(ThreadConformance, ExceptionEscapingRunIsPrintedByTheExcepthookAndDoesNotEndTheProgram) {
  th::Thread t({.name = "Thread-A"}, [] { throw concur::ValueError("bad value"); });
  testing::internal::CaptureStderr();
  t.start();
  t.join();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "Exception in thread Thread-A:\nconcur::ValueError: bad value\n");
  EXPECT_FALSE(t.is_alive());
  th::Thread after([] {});
  after.start();
  after.join();
}

// threading.py excepthook: SystemExit is silently ignored.
TEST(ThreadConformance, SystemExitThrownInRunEndsTheThreadSilently) {
  th::Thread t([] { throw concur::SystemExit(3); });
  testing::internal::CaptureStderr();
  t.start();
  t.join();
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_FALSE(t.is_alive());
}

// thread.hpp Lifetime: destroying a running non-daemon Thread joins it.
TEST(ThreadConformance, DestroyingARunningNonDaemonThreadJoinsIt) {
  std::promise<void> go;
  auto released = go.get_future().share();
  std::atomic<bool> finished{false};
  std::thread releaser;
  {
    th::Thread t([&, released] {
      released.wait();
      finished = true;
    });
    t.start();
    releaser = std::thread([&] { go.set_value(); });
  }  // ~Thread joins
  EXPECT_TRUE(finished.load());
  releaser.join();
}

// thread.hpp Lifetime: destroying a running daemon Thread detaches it; a
// stand-in with the same name and ident answers current_thread()/enumerate().
TEST(ThreadConformance, DestroyingARunningDaemonThreadDetachesItAndAStandInRemains) {
  std::promise<void> go;
  auto released = go.get_future().share();
  auto reported = std::make_shared<std::promise<std::string>>();
  auto done = reported->get_future();
  std::optional<unsigned long> ident;
  {
    th::Thread t({.name = "detached-daemon", .daemon = true}, [released, reported] {
      released.wait();
      reported->set_value(th::current_thread().name());
    });
    t.start();
    ident = t.ident();
  }  // returns although the thread still waits
  auto listed = th::enumerate();
  auto it = std::find_if(listed.begin(), listed.end(), [](th::Thread* x) { return x->name() == "detached-daemon"; });
  ASSERT_NE(it, listed.end());
  EXPECT_EQ((*it)->ident(), ident);
  EXPECT_TRUE((*it)->daemon());
  EXPECT_TRUE((*it)->is_alive());
  go.set_value();
  ASSERT_EQ(done.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(done.get(), "detached-daemon");
  // The stand-in leaves the registry when the thread ends.
  EXPECT_TRUE(wait_until(
      [] {
        auto all = th::enumerate();
        return std::none_of(all.begin(), all.end(), [](th::Thread* x) { return x->name() == "detached-daemon"; });
      },
      30s));
}

// threading._shutdown: at program exit the non-daemon threads are joined;
// daemon threads are not waited for.
TEST(ThreadConformance, ProgramExitJoinsNonDaemonThreadsButNotDaemonOnes) {
  std::string out = temp_path("exit");
  ::unlink(out.c_str());
  auto r = run_subprocess([out] {
    auto* blocked = new std::promise<void>();
    auto* daemon = new th::Thread({.daemon = true}, [blocked] { blocked->get_future().wait(); });
    daemon->start();
    auto* worker = new th::Thread([out] {
      std::this_thread::sleep_for(100ms);
      write_text(out, "worker finished");
    });
    worker->start();
    // Leaves through std::exit with both objects alive: only the hook joins.
  });
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  EXPECT_EQ(read_text(out), "worker finished");
  ::unlink(out.c_str());
}

// threading._after_fork: in a child forked while threads run, the forking
// thread is the only one alive and is the main thread.
TEST(ThreadConformance, ForkedChildKeepsOnlyTheForkingThread) {
  std::promise<void> go;
  auto released = go.get_future().share();
  th::Thread t([released] { released.wait(); });
  t.start();
  auto r = run_subprocess(
      [&t] {
        EXPECT_FALSE(t.is_alive());
        t.join();  // returns at once: that thread does not exist here
        auto all = th::enumerate();
        EXPECT_EQ(all.size(), 1u);
        EXPECT_EQ(&th::current_thread(), &th::main_thread());
        EXPECT_EQ(th::main_thread().native_id(), std::optional<pid_t>(::getpid()));
        EXPECT_FALSE(contains(all, &t));
      },
      SubprocessOptions{}.quick_exit());
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  EXPECT_TRUE(t.is_alive());
  go.set_value();
  t.join();
}

// threading._after_fork: a child forked by a non-main thread makes that
// thread its main thread.
TEST(ThreadConformance, ForkFromANonMainThreadMakesItTheChildsMainThread) {
  SubprocessResult r;
  th::Thread forker({.name = "forker"}, [&r] {
    r = run_subprocess(
        [] {
          EXPECT_EQ(th::main_thread().name(), "forker");
          EXPECT_EQ(&th::current_thread(), &th::main_thread());
          EXPECT_EQ(th::enumerate().size(), 1u);
          EXPECT_EQ(th::main_thread().repr().substr(0, 13), "<_MainThread(");
        },
        SubprocessOptions{}.quick_exit());
  });
  forker.start();
  forker.join();
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  EXPECT_EQ(th::main_thread().name(), "MainThread");
}

// threading.py Thread.__repr__: <Class(name, status[ daemon][ ident])>.
TEST(ThreadConformance, ReprShowsClassNameStatusDaemonAndIdent) {
  th::Thread t({.name = "Thread-A", .daemon = true}, [] {});
  EXPECT_EQ(t.repr(), "<Thread(Thread-A, initial daemon)>");
  t.start();
  t.join();
  EXPECT_EQ(t.repr(), "<Thread(Thread-A, stopped daemon " + std::to_string(*t.ident()) + ")>");
  EXPECT_EQ(th::main_thread().repr(), "<_MainThread(MainThread, started " + std::to_string(th::get_ident()) + ")>");
}
