// Conformance tests of start methods and contexts
// (concur/multiprocessing/context.hpp; seed 001 "进程创建" get_context('spawn'),
// seed 004 "进程拓展 1.上下文系"; CPython Lib/multiprocessing/context.py,
// forkserver.py, popen_forkserver.py and Lib/test/_test_multiprocessing.py
// TestStartMethod).
//
// set_start_method() is process-global. Under ctest every TEST runs in its own
// process; each test also resets the default with set_start_method(nullopt,
// force=true) first, so the binary may be run as a whole too. Scenarios that
// must observe process exit run in a forked copy (support/proc_helpers.hpp).
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "concur/errors.hpp"
#include "concur/multiprocessing.hpp"
#include "support/proc_helpers.hpp"

namespace mp = concur::multiprocessing;
using namespace concur_test;
using namespace std::chrono_literals;

namespace {

// ============================================================ child targets

void do_nothing() {}
CONCUR_REGISTER_TARGET(do_nothing);

void write_file(std::string path, std::string text) { write_text(path, text); }
CONCUR_REGISTER_TARGET(write_file);

void wait_for_file(std::string path, double timeout_s) {
  wait_for_path(path, std::chrono::duration<double>(timeout_s));
}
CONCUR_REGISTER_TARGET(wait_for_file);

// The start method the child sees as its default (context.hpp: "children
// inherit the start-method setting under every method").
void record_start_method(std::string path) {
  auto m = mp::get_start_method(/*allow_none=*/true);
  write_text(path, m ? std::string(*m) : std::string("<none>"));
}
CONCUR_REGISTER_TARGET(record_start_method);

// Forkserver preload (CPython set_forkserver_preload): runs once in the server.
int g_preloaded = 0;
constexpr const char* kPreloadEnv = "CONCUR_CONFORMANCE_PRELOAD_FILE";

void preload_marker() {
  g_preloaded = 42;
  if (const char* path = std::getenv(kPreloadEnv)) append_text(path, std::to_string(::getpid()) + "\n");
}
CONCUR_REGISTER_TARGET(preload_marker);

void record_preloaded(std::string path) { write_text(path, std::to_string(g_preloaded)); }
CONCUR_REGISTER_TARGET(record_preloaded);

// ============================================================ fixture

class ContextConformance : public ::testing::Test {
 protected:
  void SetUp() override { mp::set_start_method(std::nullopt, /*force=*/true); }
  void TearDown() override {
    mp::set_start_method(std::nullopt, /*force=*/true);
    auto zombies = zombie_children();
    EXPECT_TRUE(zombies.empty()) << zombies.size() << " zombie children left";
  }
  TempDir dir_;
};

// ============================================================ methods

// context.py get_all_start_methods(): ['fork', 'spawn', 'forkserver'] on
// Linux, the default first.
TEST_F(ContextConformance, AllStartMethodsAreForkSpawnForkserverDefaultFirst) {
  EXPECT_EQ(mp::get_all_start_methods(), (std::vector<std::string>{"fork", "spawn", "forkserver"}));
}

// Seed 001: "fork ... 而且是Unix默认采用的方法"; context.py _default_context is
// fork on Linux (before 3.14).
TEST_F(ContextConformance, DefaultStartMethodIsFork) {
  EXPECT_EQ(mp::get_start_method(), "fork");
  EXPECT_EQ(mp::get_context().start_method(), mp::StartMethod::fork);
  EXPECT_EQ(mp::get_context().get_start_method(), "fork");
}

// context.py get_start_method(allow_none=True) returns None while the
// default is not fixed, and does not fix it.
TEST_F(ContextConformance, GetStartMethodAllowNoneIsEmptyWhileUnset) {
  EXPECT_EQ(mp::get_start_method(/*allow_none=*/true), std::nullopt);
  EXPECT_EQ(mp::get_start_method(/*allow_none=*/true), std::nullopt);
  EXPECT_NO_THROW(mp::set_start_method("spawn"));
  EXPECT_EQ(mp::get_start_method(/*allow_none=*/true), std::optional<std::string_view>("spawn"));
}

// context.py get_start_method(): "if self._actual_context is None:
// self._actual_context = self._default_context" — it fixes the default, so a
// later set_start_method without force raises.
TEST_F(ContextConformance, GetStartMethodFixesTheDefault) {
  EXPECT_EQ(mp::get_start_method(), "fork");
  EXPECT_EQ(mp::get_start_method(/*allow_none=*/true), std::optional<std::string_view>("fork"));
  EXPECT_TRUE(raises<concur::RuntimeError>([] { mp::set_start_method("spawn"); }, "context has already been set"));
}

// context.py DefaultContext.get_context(None) fixes the default the same way.
TEST_F(ContextConformance, GetContextWithoutNameFixesTheDefault) {
  const mp::Context& c = mp::get_context();
  EXPECT_EQ(c.get_start_method(), "fork");
  EXPECT_EQ(mp::get_start_method(/*allow_none=*/true), std::optional<std::string_view>("fork"));
}

// context.py BaseContext.get_context(method) returns the concrete context
// and leaves the default alone.
TEST_F(ContextConformance, GetContextByNameDoesNotFixTheDefault) {
  EXPECT_EQ(mp::get_context("spawn").get_start_method(), "spawn");
  EXPECT_EQ(mp::get_context("forkserver").get_start_method(), "forkserver");
  EXPECT_EQ(mp::get_context("fork").get_start_method(), "fork");
  EXPECT_EQ(mp::get_start_method(/*allow_none=*/true), std::nullopt);
}

// Seed 004: "set_start_method不要过多使用"; context.py set_start_method:
// RuntimeError('context has already been set') on a second call without force.
TEST_F(ContextConformance, SetStartMethodTwiceRaisesContextHasAlreadyBeenSet) {
  mp::set_start_method("spawn");
  EXPECT_TRUE(raises<concur::RuntimeError>([] { mp::set_start_method("forkserver"); }, "context has already been set"));
  EXPECT_TRUE(raises<concur::RuntimeError>([] { mp::set_start_method("spawn"); }, "context has already been set"));
  EXPECT_EQ(mp::get_start_method(), "spawn");
}

// context.py set_start_method(method, force=True) replaces the setting.
TEST_F(ContextConformance, SetStartMethodWithForceReplacesTheSetting) {
  mp::set_start_method("spawn");
  EXPECT_NO_THROW(mp::set_start_method("forkserver", /*force=*/true));
  EXPECT_EQ(mp::get_start_method(), "forkserver");
  EXPECT_EQ(&mp::get_context(), &mp::get_context("forkserver"));
}

// context.py: "if method is None and force: self._actual_context = None".
TEST_F(ContextConformance, SetStartMethodNoneWithForceUnsetsTheDefault) {
  mp::set_start_method("spawn");
  mp::set_start_method(std::nullopt, /*force=*/true);
  EXPECT_EQ(mp::get_start_method(/*allow_none=*/true), std::nullopt);
  EXPECT_NO_THROW(mp::set_start_method("forkserver"));
}

// context.py get_context(): ValueError('cannot find context for %r') for an
// unknown method; concur appends the valid names.
TEST_F(ContextConformance, UnknownMethodRaisesValueErrorNamingTheValidOnes) {
  EXPECT_TRUE(raises<concur::ValueError>([] { (void)mp::get_context("bogus"); }, "cannot find context for 'bogus'"));
  EXPECT_TRUE(raises_containing<concur::ValueError>([] { (void)mp::get_context("bogus"); },
                                                    {"fork", "spawn", "forkserver"}));
}

// context.py set_start_method(): the name is resolved through get_context(),
// so an unknown name raises ValueError and leaves the default unset.
TEST_F(ContextConformance, SetStartMethodWithUnknownNameRaisesValueError) {
  EXPECT_TRUE(raises<concur::ValueError>([] { mp::set_start_method("bogus"); }, "cannot find context for 'bogus'"));
  EXPECT_EQ(mp::get_start_method(/*allow_none=*/true), std::nullopt);
}

// context.hpp: "A context created by get_context() is a process-lifetime
// singleton" (CPython _concrete_contexts).
TEST_F(ContextConformance, ContextsAreSingletonsPerMethod) {
  for (auto [name, method] : {std::pair{"fork", mp::StartMethod::fork}, std::pair{"spawn", mp::StartMethod::spawn},
                              std::pair{"forkserver", mp::StartMethod::forkserver}}) {
    const mp::Context& a = mp::get_context(name);
    EXPECT_EQ(&a, &mp::get_context(name));
    EXPECT_EQ(&a, &mp::context_for(method));
    EXPECT_EQ(a.start_method(), method);
    EXPECT_EQ(mp::to_string(method), name);
  }
}

// context.py Process._Popen: a plain Process uses the default context at
// start(), which fixes the default (_default_context.get_context()).
TEST_F(ContextConformance, StartingAProcessFixesTheDefault) {
  mp::Process p(do_nothing);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(mp::get_start_method(/*allow_none=*/true), std::optional<std::string_view>("fork"));
  EXPECT_TRUE(raises<concur::RuntimeError>([] { mp::set_start_method("spawn"); }, "context has already been set"));
}

// Seed 004 mp.set_start_method('spawn'); mp.Process(...): a plain Process
// follows the global setting — under spawn a lambda cannot cross
// (PicklingError), under fork it can.
TEST_F(ContextConformance, PlainProcessFollowsTheGlobalStartMethod) {
  mp::set_start_method("spawn");
  mp::Process p([] {});
  EXPECT_TRUE(raises_containing<concur::PicklingError>([&] { p.start(); }, {"CONCUR_REGISTER_TARGET"}));

  mp::set_start_method("fork", /*force=*/true);
  auto out = dir_.file("lambda");
  mp::Process q([&] { write_text(out, "fork ran a lambda"); });
  q.start();
  q.join();
  EXPECT_EQ(q.exitcode(), 0);
  EXPECT_EQ(read_text(out), "fork ran a lambda");
}

// A context's Process ignores the global setting (seed 001: get_context
// "只作用于该上下文").
TEST_F(ContextConformance, ContextProcessIgnoresTheGlobalStartMethod) {
  mp::set_start_method("spawn");
  auto out = dir_.file("lambda");
  auto p = mp::get_context("fork").Process([&] { write_text(out, "ok"); });
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(read_text(out), "ok");
}

// context.hpp "children inherit the start-method setting under every method"
// (CPython spawn.get_preparation_data carries start_method and the child
// calls set_start_method(..., force=True)).
TEST_F(ContextConformance, ChildrenInheritTheStartMethodSetting) {
  for (std::string method : {"fork", "spawn", "forkserver"}) {
    mp::set_start_method(method, /*force=*/true);
    auto out = dir_.file("method_" + method);
    mp::Process p(record_start_method, out);
    p.start();
    p.join();
    EXPECT_EQ(p.exitcode(), 0) << method;
    EXPECT_EQ(read_text(out), method);
  }
}

// Seed 001 get_context('spawn') example: two processes from one context,
// started, then joined.
TEST_F(ContextConformance, SeedGetContextSpawnExampleRunsBothProcesses) {
  const mp::Context& context = mp::get_context("spawn");
  auto process1 = context.Process(write_file, dir_.file("1"), "hello martin");
  auto process2 = context.Process(write_file, dir_.file("2"), "hello martin");
  for (auto* p : {&process1, &process2}) p->start();
  for (auto* p : {&process1, &process2}) p->join();
  EXPECT_EQ(process1.exitcode(), 0);
  EXPECT_EQ(process2.exitcode(), 0);
  EXPECT_EQ(read_text(dir_.file("1")), "hello martin");
  EXPECT_EQ(read_text(dir_.file("2")), "hello martin");
}

// ============================================================ forkserver

// Kills every forkserver started by this process (so a test starts from a
// fresh server even when the binary runs as a whole).
void kill_forkservers() {
  for (pid_t s : forkserver_pids()) {
    ::kill(s, SIGKILL);
    wait_until([&] { return !pid_running(s); }, 10s);
  }
}

// Seed 004 "forkserver ... 当需要创建新进程时,父进程请求服务器 ... fork服务器进程是单线程的";
// context.hpp: one server, spawned from a clean image, reused by every start(),
// and the OS parent of the children.
TEST_F(ContextConformance, ForkserverIsOneSingleThreadedServerThatForksEveryChild) {
  const mp::Context& ctx = mp::get_context("forkserver");
  auto a = ctx.Process(do_nothing);
  a.start();
  a.join();
  auto servers = forkserver_pids();
  ASSERT_EQ(servers.size(), 1u);
  pid_t server = servers[0];
  std::string status = read_text("/proc/" + std::to_string(server) + "/status");
  EXPECT_TRUE(contains(status, "\nThreads:\t1\n")) << status;
  auto go = dir_.file("go");
  auto b = ctx.Process(wait_for_file, go, 30.0);
  b.start();
  auto st = read_proc_stat(b.pid().value_or(0));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->ppid, server) << "the child should be forked by the server";
  write_text(go, "go");
  b.join();
  EXPECT_EQ(b.exitcode(), 0);
  EXPECT_EQ(forkserver_pids(), servers) << "the server should be reused";
}

// context.hpp: "if it dies, the next start() starts a new one" (CPython
// ForkServer.ensure_running waitpid()s a dead server and starts another).
// Runs in a scenario with a deadline: the restart must never hang.
TEST_F(ContextConformance, KilledForkserverIsRestartedByTheNextStart) {
  auto out = dir_.file("after_restart");
  auto r = run_subprocess(
      [&] {
        const mp::Context& ctx = mp::get_context("forkserver");
        auto p1 = ctx.Process(do_nothing);
        p1.start();
        p1.join();
        EXPECT_EQ(p1.exitcode(), 0);
        auto servers = forkserver_pids();
        ASSERT_EQ(servers.size(), 1u);
        ::kill(servers[0], SIGKILL);
        ASSERT_TRUE(wait_until([&] { return !pid_running(servers[0]); }, 10s));
        auto p2 = ctx.Process(write_file, out, "restarted");
        p2.start();
        p2.join();
        EXPECT_EQ(p2.exitcode(), 0);
        auto now = forkserver_pids();
        ASSERT_EQ(now.size(), 1u);
        EXPECT_NE(now[0], servers[0]);
        EXPECT_TRUE(zombie_children().empty()) << "the dead server was not reaped";
      },
      SubprocessOptions{}.limit(30s).quick_exit());
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  EXPECT_EQ(read_text(out), "restarted");
}

// CPython popen_forkserver.Popen.poll: when the server dies before reporting
// a child's status, read_signed raises EOFError and returncode becomes 255 —
// join() returns instead of hanging.
TEST_F(ContextConformance, JoinReturnsWhenTheForkserverDiesUnderARunningChild) {
  auto go = dir_.file("go");
  auto pid_file = dir_.file("child_pid");
  auto r = run_subprocess(
      [&] {
        const mp::Context& ctx = mp::get_context("forkserver");
        auto p = ctx.Process(wait_for_file, go, 30.0);
        p.start();
        write_text(pid_file, std::to_string(p.pid().value_or(0)));
        auto servers = forkserver_pids();
        ASSERT_EQ(servers.size(), 1u);
        ::kill(servers[0], SIGKILL);
        p.join(20s);
        EXPECT_FALSE(p.is_alive());
        EXPECT_EQ(p.exitcode(), 255);
      },
      SubprocessOptions{}.limit(40s).quick_exit());
  // Release the orphaned child and wait until it is gone (it polls for `go`,
  // which disappears with the temp dir at the end of the test).
  write_text(go, "go");
  if (path_exists(pid_file)) {
    pid_t child = std::stoi(read_text(pid_file));
    if (child > 0 && !wait_until([&] { return !pid_running(child); }, 10s)) ::kill(child, SIGKILL);
  }
  EXPECT_TRUE(r.exited_ok()) << r.describe();
}

// context.hpp: "The server exits when the process that started it exits"
// (CPython forkserver main() stops when alive_r reports EOF).
TEST_F(ContextConformance, ForkserverExitsWhenItsParentExits) {
  auto pid_file = dir_.file("server_pid");
  auto r = run_subprocess(
      [&] {
        auto p = mp::get_context("forkserver").Process(do_nothing);
        p.start();
        p.join();
        auto servers = forkserver_pids();
        ASSERT_EQ(servers.size(), 1u);
        write_text(pid_file, std::to_string(servers[0]));
      },
      SubprocessOptions{}.limit(30s).quick_exit());
  ASSERT_TRUE(r.exited_ok()) << r.describe();
  pid_t server = std::stoi(read_text(pid_file));
  bool gone = wait_until([&] { return !pid_running(server); }, 10s);
  EXPECT_TRUE(gone) << "forkserver " << server << " outlived the process that started it";
  if (!gone) ::kill(server, SIGKILL);
}

// CPython set_forkserver_preload: the server runs the preload once when it
// starts, before forking children, so every child sees its effect; the
// parent does not run it.
TEST_F(ContextConformance, ForkserverPreloadRunsOnceInTheServerAndChildrenSeeItsEffect) {
  kill_forkservers();
  auto marker = dir_.file("preload_runs");
  ::setenv(kPreloadEnv, marker.c_str(), 1);
  mp::set_forkserver_preload({"preload_marker"});
  const mp::Context& ctx = mp::get_context("forkserver");
  auto a = ctx.Process(record_preloaded, dir_.file("a"));
  auto b = ctx.Process(record_preloaded, dir_.file("b"));
  a.start();
  a.join();
  b.start();
  b.join();
  ::unsetenv(kPreloadEnv);
  EXPECT_EQ(read_text(dir_.file("a")), "42");
  EXPECT_EQ(read_text(dir_.file("b")), "42");
  EXPECT_EQ(g_preloaded, 0) << "the preload ran in the parent";
  auto runs = split_lines(read_text(marker));
  ASSERT_EQ(runs.size(), 1u) << "the preload should run exactly once";
  auto servers = forkserver_pids();
  ASSERT_EQ(servers.size(), 1u);
  EXPECT_EQ(runs[0], std::to_string(servers[0])) << "the preload should run in the server";
  mp::set_forkserver_preload({});
}

// context.hpp set_forkserver_preload: "Throws ValueError for a name that is
// not a registered target".
TEST_F(ContextConformance, ForkserverPreloadWithUnknownNameRaisesValueError) {
  EXPECT_TRUE(raises_containing<concur::ValueError>([] { mp::set_forkserver_preload({"no_such_function"}); },
                                                    {"no_such_function"}));
  EXPECT_NO_THROW(mp::set_forkserver_preload({"preload_marker"}));
  mp::set_forkserver_preload({});
}

}  // namespace

// Seed 004 "进程拓展 1.上下文系": `ctx = mp.get_context('spawn'); q =
// ctx.Queue(); p = ctx.Process(target=foo, args=(q,)); p.start();
// print(q.get()); p.join()` prints "hello" — under every start method.
void put_hello(mp::Queue<std::string> q) { q.put("hello"); }
CONCUR_REGISTER_TARGET(put_hello);

// Seed 001 进程创建: "fork 上下文创建的锁不能传递给通过 spawn 或 forkserver
// 上下文启动的进程". The child reports whether it could take the lock within
// the timeout (it cannot while the parent holds it) and, once the parent has
// released it, takes and releases it.
void probe_lock(mp::Lock lock, mp::Queue<std::string> out, mp::Queue<std::string> in) {
  out.put(lock.acquire(true, 200ms) ? "acquired while held" : "blocked while held");
  in.get(true, 30s);  // the parent released the lock
  if (!lock.acquire(true, 30s)) {
    out.put("could not acquire after release");
    return;
  }
  lock.release();
  out.put("acquired after release");
}
CONCUR_REGISTER_TARGET(probe_lock);

// Seed 004 进程拓展 上下文系, the official example:
//   mp.set_start_method('spawn'); q = mp.Queue()
//   p = mp.Process(target=foo, args=(q,)); p.start(); print(q.get()); p.join()
// prints "hello"; the plain Process is started by spawn.
TEST_F(ContextConformance, SeedSetStartMethodSpawnQueueExamplePrintsHello) {
  mp::set_start_method("spawn");
  mp::Queue<std::string> q(0);
  mp::Process p(put_hello, q);
  p.start();
  EXPECT_EQ(q.get(true, 30s), "hello");
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(mp::get_start_method(), "spawn");
}

class ContextFactories : public ::testing::TestWithParam<std::string> {};

TEST_P(ContextFactories, SeedGetContextQueueExamplePrintsHello) {
  const mp::Context& ctx = mp::get_context(GetParam());
  auto q = ctx.Queue<std::string>();
  auto p = ctx.Process(put_hello, q);
  p.start();
  EXPECT_EQ(q.get(true, 30s), "hello");
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

// Seed 001 warns that in CPython objects from different contexts must not be
// mixed (a fork-context lock given to a spawn child). concur's shared objects
// do not depend on the context that made them (context.hpp), so a Lock made
// by the fork context is one lock with a child started by any method.
TEST_P(ContextFactories, ALockMadeByTheForkContextWorksInAChildOfEveryMethod) {
  auto lock = mp::get_context("fork").Lock();
  auto out = mp::get_context("fork").Queue<std::string>();
  auto in = mp::get_context("fork").Queue<std::string>();
  ASSERT_TRUE(lock.acquire());
  auto p = mp::get_context(GetParam()).Process(probe_lock, lock, out, in);
  p.start();
  EXPECT_EQ(out.get(true, 30s), "blocked while held");
  lock.release();
  in.put("released");
  EXPECT_EQ(out.get(true, 30s), "acquired after release");
  p.join(30s);
  EXPECT_EQ(p.exitcode(), 0);
}

// CPython BaseContext: Lock, RLock, Condition, Semaphore, BoundedSemaphore,
// Event, Barrier, Queue, JoinableQueue, SimpleQueue, Pipe, Value, Array,
// RawValue, RawArray are context methods.
TEST_P(ContextFactories, ContextMakesEverySharedObject) {
  const mp::Context& ctx = mp::get_context(GetParam());
  auto lock = ctx.Lock();
  EXPECT_TRUE(lock.acquire());
  lock.release();
  auto rlock = ctx.RLock();
  EXPECT_TRUE(rlock.acquire());
  rlock.release();
  auto sem = ctx.Semaphore(2);
  EXPECT_TRUE(sem.acquire(false));
  auto bsem = ctx.BoundedSemaphore();
  EXPECT_THROW(bsem.release(), concur::ValueError);
  auto cond = ctx.Condition();
  auto ev = ctx.Event();
  ev.set();
  EXPECT_TRUE(ev.is_set());
  auto barrier = ctx.Barrier(1);
  EXPECT_EQ(barrier.wait(), 0);
  auto jq = ctx.JoinableQueue<int>();
  jq.put(1);
  EXPECT_EQ(jq.get(), 1);
  jq.task_done();
  auto sq = ctx.SimpleQueue<int>();
  sq.put(2);
  EXPECT_EQ(sq.get(), 2);
  auto [r, w] = ctx.Pipe();
  w.send_bytes("x");
  EXPECT_EQ(r.recv_bytes(), "x");
  auto v = ctx.Value<int>("i", 7);
  EXPECT_EQ(v.value(), 7);
  auto a = ctx.Array<double>("d", std::size_t{3});
  EXPECT_EQ(a.size(), 3u);
  auto rv = ctx.RawValue<long>(5L);
  EXPECT_EQ(rv.value(), 5L);
  auto ra = ctx.RawArray<int>(std::size_t{4});
  EXPECT_EQ(ra.size(), 4u);
  (void)cond;
}

INSTANTIATE_TEST_SUITE_P(StartMethods, ContextFactories, ::testing::Values("fork", "spawn", "forkserver"));
