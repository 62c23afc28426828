// Conformance tests of concur::multiprocessing::Process
// (concur/multiprocessing/process.hpp; seed 000 §1.1 "进程（Process）",
// seed 004 "进程拓展"; CPython Lib/multiprocessing/process.py, popen_fork.py,
// popen_spawn_posix.py, popen_forkserver.py, util.py and
// Lib/test/_test_multiprocessing.py _TestProcess).
//
// Every behaviour is checked under the three start methods. Children report
// back through files in a private temp dir, or through their exit code. After
// every test the fixture asserts that no zombie child of the test process is
// left and that the count of open fds is back to its baseline (the forkserver
// may add exactly one control socket on its first use).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "concur/errors.hpp"
#include "concur/multiprocessing.hpp"
#include "concur/multiprocessing/resource_tracker.hpp"
#include "concur/threading/event.hpp"
#include "concur/threading/lock.hpp"
#include "support/leak_checked.hpp"
#include "support/proc_helpers.hpp"

namespace mp = concur::multiprocessing;
using namespace concur_test;
using namespace std::chrono_literals;

// ============================================================ child targets
//
// Free functions registered at namespace scope, so they can be started under
// spawn and forkserver (spawn.hpp: CONCUR_REGISTER_TARGET).

namespace {

int g_global = 0;  // set by the parent before start(); fork copies it, a fresh image does not

void do_nothing() {}
CONCUR_REGISTER_TARGET(do_nothing);

// An in-process lock that a parent thread holds while the parent starts a
// child (seed 001's "锁A"); the child reports "free" if it could take its copy
// without blocking, "held" otherwise.
concur::threading::Lock g_thread_lock;

void report_thread_lock(std::string path) {
  if (g_thread_lock.acquire(/*blocking=*/false)) {
    g_thread_lock.release();
    write_text(path, "free");
  } else {
    write_text(path, "held");
  }
}
CONCUR_REGISTER_TARGET(report_thread_lock);

void write_file(std::string path, std::string text) { write_text(path, text); }
CONCUR_REGISTER_TARGET(write_file);

// Waits (polling) until `path` exists or `timeout_s` passes, then returns.
void wait_for_file(std::string path, double timeout_s) {
  wait_for_path(path, std::chrono::duration<double>(timeout_s));
}
CONCUR_REGISTER_TARGET(wait_for_file);

// Writes `ready` at once, then waits for `go`.
void ready_then_wait(std::string ready, std::string go, double timeout_s) {
  write_text(ready, "ready");
  wait_for_path(go, std::chrono::duration<double>(timeout_s));
}
CONCUR_REGISTER_TARGET(ready_then_wait);

void sleep_then_write(std::string path, std::string text, double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  write_text(path, text);
}
CONCUR_REGISTER_TARGET(sleep_then_write);

// Seed 000 §1.1:  print("[子进程-%s]PID：%d，PPID：%d" % (name, os.getpid(), os.getppid()))
void seed_test(std::string name, std::string path) {
  char line[256];
  std::snprintf(line, sizeof line, "[子进程-%s]PID：%d，PPID：%d", name.c_str(), static_cast<int>(::getpid()),
                static_cast<int>(::getppid()));
  write_text(path, line);
}
CONCUR_REGISTER_TARGET(seed_test);

// What the child knows about itself, as key=value lines.
std::string identity_text() {
  std::ostringstream out;
  auto& me = mp::current_process();
  out << "name=" << me.name() << "\n";
  out << "pid=" << ::getpid() << "\n";
  out << "ppid=" << ::getppid() << "\n";
  out << "current_pid=" << me.pid().value_or(-1) << "\n";
  out << "daemon=" << (me.daemon() ? 1 : 0) << "\n";
  const mp::ParentProcess* parent = mp::parent_process();
  out << "parent_name=" << (parent ? parent->name() : std::string("<none>")) << "\n";
  out << "parent_pid=" << (parent ? parent->pid() : -1) << "\n";
  out << "parent_alive=" << (parent ? (parent->is_alive() ? 1 : 0) : -1) << "\n";
  out << "global=" << g_global << "\n";
  return out.str();
}

void record_identity(std::string path) { write_text(path, identity_text()); }
CONCUR_REGISTER_TARGET(record_identity);

std::map<std::string, std::string> parse_identity(const std::string& text) {
  std::map<std::string, std::string> kv;
  for (const auto& line : split_lines(text)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

// Records itself, then starts a child of its own that records itself too.
void nested_child(std::string method, std::string dir) {
  write_text(dir + "/child", identity_text());
  auto p = mp::get_context(method).Process(record_identity, dir + "/grandchild");
  p.start();
  p.join();
  write_text(dir + "/grandchild_exitcode", std::to_string(p.exitcode().value_or(-1000)));
}
CONCUR_REGISTER_TARGET(nested_child);

// CPython BaseProcess.start: assert not _current_process._config.get('daemon'),
// 'daemonic processes are not allowed to have children'.
void start_from_daemon(std::string method, std::string path) {
  try {
    auto p = mp::get_context(method).Process(do_nothing);
    p.start();
    p.join();
    write_text(path, "started a child");
  } catch (const concur::AssertionError& e) {
    write_text(path, std::string("AssertionError:") + e.what());
  } catch (const std::exception& e) {
    write_text(path, std::string("other:") + demangle(typeid(e).name()) + ":" + e.what());
  }
}
CONCUR_REGISTER_TARGET(start_from_daemon);

void exit_with(int code) { throw concur::SystemExit(code); }
CONCUR_REGISTER_TARGET(exit_with);

void exit_without_code() { throw concur::SystemExit(); }
CONCUR_REGISTER_TARGET(exit_without_code);

void exit_with_message(std::string message) { throw concur::SystemExit(message); }
CONCUR_REGISTER_TARGET(exit_with_message);

// errors.hpp: SystemExit is not a std::exception, so this handler must not
// swallow it.
void exit_through_std_exception_handler(int code) {
  try {
    throw concur::SystemExit(code);
  } catch (const std::exception&) {
  }
}
CONCUR_REGISTER_TARGET(exit_through_std_exception_handler);

void raise_value_error(std::string message) { throw concur::ValueError(message); }
CONCUR_REGISTER_TARGET(raise_value_error);

// Seed 003 "一个进程可多次合并，但不可并入自身": the child tries to join itself
// and records what happened.
void join_self(std::string path) {
  try {
    mp::current_process().join(std::chrono::milliseconds(10));
    write_text(path, "joined");
  } catch (const concur::AssertionError& e) {
    write_text(path, std::string("AssertionError:") + e.what());
  } catch (const std::exception& e) {
    write_text(path, std::string("other:") + e.what());
  }
}
CONCUR_REGISTER_TARGET(join_self);

void segfault() {
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  // The default action, even where a runtime handles SIGSEGV itself
  // (AddressSanitizer reports and exits 1): the child must die by the signal.
  ::signal(SIGSEGV, SIG_DFL);
  ::raise(SIGSEGV);
}
CONCUR_REGISTER_TARGET(segfault);

// Writes "closed", "inherited" (same file as dev/ino) or "other" for `fd`.
void check_fd(int fd, std::uint64_t dev, std::uint64_t ino, std::string path) {
  if (::fcntl(fd, F_GETFD) == -1) {
    write_text(path, "closed");
    return;
  }
  struct stat st;
  ::fstat(fd, &st);
  bool same = static_cast<std::uint64_t>(st.st_dev) == dev && static_cast<std::uint64_t>(st.st_ino) == ino;
  write_text(path, same ? "inherited" : "other");
}
CONCUR_REGISTER_TARGET(check_fd);

// CPython util._close_stdin: the child's stdin is os.devnull.
void check_stdin(std::string path) {
  struct stat in, null;
  if (::fstat(0, &in) != 0) {
    write_text(path, "fd 0 closed");
    return;
  }
  ::stat("/dev/null", &null);
  write_text(path, S_ISCHR(in.st_mode) && in.st_rdev == null.st_rdev ? "devnull" : "not devnull");
}
CONCUR_REGISTER_TARGET(check_stdin);

// Writes to stdout without flushing: the child must flush before it exits.
void print_unflushed(std::string text) { std::printf("%s", text.c_str()); }
CONCUR_REGISTER_TARGET(print_unflushed);

// A parameter type with its own cereal serialize().
struct Point {
  int x;
  int y;
  template <class A>
  void serialize(A& ar) {
    ar(x, y);
  }
};

void record_args(std::string path, int i, double d, std::vector<std::string> words, Point pt,
                 std::map<std::string, int> counts, std::tuple<char, std::string> tup) {
  std::ostringstream out;
  out << i << "|" << d << "|";
  for (const auto& w : words) out << w << ",";
  out << "|" << pt.x << ":" << pt.y << "|";
  for (const auto& [k, v] : counts) out << k << "=" << v << ",";
  out << "|" << std::get<0>(tup) << std::get<1>(tup);
  write_text(path, out.str());
}
CONCUR_REGISTER_TARGET(record_args);

// serialization.hpp: a "bitwise" struct (trivially copyable aggregate without
// serialize()) crosses by memcpy, alone and inside containers.
struct PlainPoint {
  int x;
  double y;
};

void record_plain(std::string path, PlainPoint p, std::vector<PlainPoint> more) {
  std::ostringstream out;
  out << p.x << ":" << p.y;
  for (const auto& m : more) out << "," << m.x << ":" << m.y;
  write_text(path, out.str());
}
CONCUR_REGISTER_TARGET(record_plain);

// Parameters taken by const reference and a move-only parameter.
void record_refs(const std::string& path, const std::vector<int>& values, std::unique_ptr<int> owned) {
  std::string text;
  for (int v : values) text += std::to_string(v) + ",";
  text += owned ? std::to_string(*owned) : std::string("null");
  write_text(path, text);
}
CONCUR_REGISTER_TARGET(record_refs);

// Registered under an explicit name (spawn.hpp CONCUR_REGISTER_TARGET_AS).
void explicitly_named(std::string path) { write_text(path, "explicit"); }
CONCUR_REGISTER_TARGET_AS(explicitly_named, "conformance::explicitly_named");

// Two different functions under one name: spawn.hpp "A name registered twice
// for different functions is reported at start()".
void collide_a(std::string path) { write_text(path, "a"); }
void collide_b(std::string path) { write_text(path, "b"); }
CONCUR_REGISTER_TARGET_AS(collide_a, "conformance_duplicate_name");
CONCUR_REGISTER_TARGET_AS(collide_b, "conformance_duplicate_name");

// Waits until the parent (the process that started this child) has ended,
// then records what parent_process() reports.
void outlive_parent(std::string path) {
  const mp::ParentProcess* parent = mp::parent_process();
  if (!parent) {
    write_text(path, "no parent");
    return;
  }
  parent->join(20s);
  write_text(path, std::string("alive=") + (parent->is_alive() ? "1" : "0"));
}
CONCUR_REGISTER_TARGET(outlive_parent);

// Deliberately NOT registered: spawn/forkserver must refuse it at start().
void unregistered_target(std::string path) { write_text(path, "ran"); }

}  // namespace

// Seed 000 §1.1 My_Process: a subclass that overrides run(). At global scope so
// that its class name is just "My_Process" (Python's type(self).__name__).
class My_Process : public mp::Process {
 public:
  My_Process() = default;
  My_Process(std::string greeting, std::string path) : greeting_(std::move(greeting)), path_(std::move(path)) {}

  void run() override {
    char line[256];
    std::snprintf(line, sizeof line, "[子进程-%s]PID：%d，PPID：%d", greeting_.c_str(),
                  static_cast<int>(::getpid()), static_cast<int>(::getppid()));
    write_text(path_, std::string(line) + "\n" + identity_text());
  }

  template <class A>
  void serialize(A& ar) {
    ar(greeting_, path_);
  }

 private:
  std::string greeting_;
  std::string path_;
};
CONCUR_REGISTER_PROCESS(My_Process);

// Deliberately NOT registered.
class UnregisteredProcess : public mp::Process {
 public:
  void run() override {}
  template <class A>
  void serialize(A& ar) {
    ar(dummy_);
  }

 private:
  int dummy_ = 0;
};

namespace {

// ============================================================ fixtures

std::string method_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

class ProcessConformance : public ::testing::TestWithParam<std::string>, public concur_test::LeakChecked {
 protected:
  const mp::Context& ctx() const { return mp::get_context(GetParam()); }
  bool is_fork() const { return GetParam() == "fork"; }
  // CPython's class of ctx.Process (context.py): ForkProcess, SpawnProcess,
  // ForkServerProcess; its default names and repr use it.
  std::string cls() const {
    return GetParam() == "fork" ? "ForkProcess" : GetParam() == "spawn" ? "SpawnProcess" : "ForkServerProcess";
  }
  void SetUp() override { record_baseline(); }
  void TearDown() override { check_leaks(GetParam() == "forkserver"); }

  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(StartMethods, ProcessConformance, ::testing::Values("fork", "spawn", "forkserver"),
                         method_name);

bool sentinel_ready(int fd, int timeout_ms) {
  pollfd pfd{fd, POLLIN, 0};
  int r = ::poll(&pfd, 1, timeout_ms);
  return r == 1 && (pfd.revents & (POLLIN | POLLHUP)) != 0;
}

std::string pid_str(pid_t pid) { return std::to_string(pid); }

// ============================================================ seed §1.1

// Seed 000 §1.1: Process(target=test, args=("萌萌哒",)); start(); join(). The
// child prints its own PID and PPID; join() waits for it (its output exists
// when join returns). Under forkserver the OS parent is the server
// (popen_forkserver.py), while parent_process() is still the caller.
TEST_P(ProcessConformance, SeedExampleChildReportsPidAndParentPidAndJoinWaits) {
  auto out = dir_.file("seed");
  auto p = ctx().Process(seed_test, "萌萌哒", out);
  p.start();
  p.join();
  ASSERT_EQ(p.exitcode(), 0);
  std::string line = read_text(out);
  std::smatch m;
  ASSERT_TRUE(std::regex_match(line, m, std::regex("\\[子进程-萌萌哒\\]PID：([0-9]+)，PPID：([0-9]+)"))) << line;
  pid_t child = std::stoi(m[1]);
  pid_t ppid = std::stoi(m[2]);
  EXPECT_NE(child, ::getpid());
  EXPECT_EQ(std::optional<pid_t>(child), p.pid());
  if (GetParam() == "forkserver") {
    auto servers = forkserver_pids();
    ASSERT_EQ(servers.size(), 1u) << "expected one forkserver child of the test process";
    EXPECT_EQ(ppid, servers[0]);
  } else {
    EXPECT_EQ(ppid, ::getpid());
  }
}

// Seed 000 §1.1 My_Process: "如果不指定方法，默认调Run方法" — a subclass whose
// overridden run() is what the child executes. A subclass is started through
// the default context (CPython: Process subclasses use the default context),
// so the default start method is set to the parameter.
TEST_P(ProcessConformance, SubclassOverridingRunRunsItInTheChild) {
  mp::set_start_method(GetParam(), /*force=*/true);
  auto out = dir_.file("my_process");
  My_Process p("萌萌哒", out);
  // process.py: name = type(self).__name__ + '-' + ':'.join(identity)
  EXPECT_TRUE(std::regex_match(p.name(), std::regex("My_Process-[0-9]+"))) << p.name();
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  auto lines = split_lines(read_text(out));
  ASSERT_FALSE(lines.empty());
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[0], m, std::regex("\\[子进程-萌萌哒\\]PID：([0-9]+)，PPID：([0-9]+)")))
      << lines[0];
  EXPECT_EQ(std::optional<pid_t>(std::stoi(m[1])), p.pid());
  auto kv = parse_identity(read_text(out));
  EXPECT_EQ(kv["name"], p.name());
  EXPECT_EQ(kv["parent_pid"], pid_str(::getpid()));
  mp::set_start_method(std::nullopt, /*force=*/true);
}

// ============================================================ exitcode

// process.py exitcode: None before start (self._popen is None) and while the
// child runs (popen.poll() is None); 0 once run() returned.
TEST_P(ProcessConformance, ExitcodeIsEmptyBeforeStartAndWhileRunningThenZero) {
  auto go = dir_.file("go");
  auto p = ctx().Process(wait_for_file, go, 30.0);
  EXPECT_EQ(p.exitcode(), std::nullopt);
  EXPECT_EQ(p.pid(), std::nullopt);
  p.start();
  EXPECT_EQ(p.exitcode(), std::nullopt);
  EXPECT_TRUE(p.pid().has_value());
  write_text(go, "go");
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

// process.py BaseProcess._bootstrap: any exception from run() gives exitcode 1
// and writes 'Process %s:\n' % self.name followed by the traceback to stderr.
TEST_P(ProcessConformance, ExitcodeIsOneWhenRunThrowsAndStderrShowsProcessName) {
  auto err = dir_.file("stderr");
  auto name_file = dir_.file("name");
  auto r = run_subprocess(
      [&] {
        auto p = ctx().Process(raise_value_error, "boom from the child");
        write_text(name_file, p.name());
        p.start();
        p.join();
        EXPECT_EQ(p.exitcode(), 1);
      },
      SubprocessOptions{}.capture_stderr(err));
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  std::string text = read_text(err);
  EXPECT_TRUE(contains(text, "Process " + read_text(name_file) + ":")) << text;
  EXPECT_TRUE(contains(text, "boom from the child")) << text;
}

// process.py _bootstrap: SystemExit with an int code → that exit code.
TEST_P(ProcessConformance, SystemExitWithCodeBecomesTheExitcode) {
  auto p = ctx().Process(exit_with, 7);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 7);
  auto q = ctx().Process(exit_with, 0);
  q.start();
  q.join();
  EXPECT_EQ(q.exitcode(), 0);
}

// process.py _bootstrap: SystemExit with code None → exitcode 0.
TEST_P(ProcessConformance, SystemExitWithoutCodeGivesExitcodeZero) {
  auto p = ctx().Process(exit_without_code);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

// process.py _bootstrap: SystemExit with a non-int code writes str(code) to
// stderr and gives exitcode 1 (no "Process <name>:" traceback header).
TEST_P(ProcessConformance, SystemExitWithMessagePrintsItAndGivesExitcodeOne) {
  auto err = dir_.file("stderr");
  auto name_file = dir_.file("name");
  auto r = run_subprocess(
      [&] {
        auto p = ctx().Process(exit_with_message, "goodbye message");
        write_text(name_file, p.name());
        p.start();
        p.join();
        EXPECT_EQ(p.exitcode(), 1);
      },
      SubprocessOptions{}.capture_stderr(err));
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  std::string text = read_text(err);
  EXPECT_TRUE(contains(text, "goodbye message\n")) << text;
  EXPECT_FALSE(contains(text, "Process " + read_text(name_file) + ":")) << text;
}

// errors.hpp: SystemExit does not derive from std::exception (Python's
// SystemExit is not an Exception), so `catch (const std::exception&)` in the
// target does not swallow it.
TEST_P(ProcessConformance, SystemExitIsNotSwallowedByCatchStdException) {
  auto p = ctx().Process(exit_through_std_exception_handler, 9);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 9);
}

// popen_fork.py terminate() sends SIGTERM; poll() maps a signal death to
// -signum, so exitcode is -15. A second terminate() after the end is a no-op.
TEST_P(ProcessConformance, TerminateGivesExitcodeMinusSigterm) {
  auto p = ctx().Process(wait_for_file, dir_.file("never"), 30.0);
  p.start();
  EXPECT_TRUE(p.is_alive());
  p.terminate();
  p.join();
  EXPECT_EQ(p.exitcode(), -SIGTERM);
  EXPECT_FALSE(p.is_alive());
  EXPECT_NO_THROW(p.terminate());
  EXPECT_NO_THROW(p.kill());
  EXPECT_EQ(p.exitcode(), -SIGTERM);
}

// popen_fork.py kill() sends SIGKILL → exitcode -9 (_test_multiprocessing
// test_kill).
TEST_P(ProcessConformance, KillGivesExitcodeMinusSigkill) {
  auto p = ctx().Process(wait_for_file, dir_.file("never"), 30.0);
  p.start();
  p.kill();
  p.join();
  EXPECT_EQ(p.exitcode(), -SIGKILL);
  EXPECT_FALSE(p.is_alive());
}

// process.hpp: "a segfault -11"; the crash is confined to the child and the
// parent carries on.
TEST_P(ProcessConformance, SegfaultingChildGivesExitcodeMinusSigsegvAndParentSurvives) {
  auto p = ctx().Process(segfault);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), -SIGSEGV);
  // The parent is still fully functional.
  auto q = ctx().Process(do_nothing);
  q.start();
  q.join();
  EXPECT_EQ(q.exitcode(), 0);
}

// ============================================================ is_alive / join / sentinel

// Seed 000 §1.1: p.is_alive() 判断进程实例p是否还在执行. process.py is_alive:
// False before start, True while running, False after the end.
TEST_P(ProcessConformance, IsAliveIsFalseBeforeStartTrueWhileRunningFalseAfter) {
  auto go = dir_.file("go");
  auto p = ctx().Process(wait_for_file, go, 30.0);
  EXPECT_FALSE(p.is_alive());
  p.start();
  EXPECT_TRUE(p.is_alive());
  write_text(go, "go");
  p.join();
  EXPECT_FALSE(p.is_alive());
}

// popen_fork.py wait(timeout): returns None when the sentinel is not ready
// within timeout; join() then returns quietly and the child is still alive.
// (_test_multiprocessing test_process: join(timeout) on a running child.)
TEST_P(ProcessConformance, JoinWithTimeoutReturnsAfterTheTimeoutWhileTheChildStillRuns) {
  auto go = dir_.file("go");
  auto p = ctx().Process(wait_for_file, go, 30.0);
  p.start();
  auto t0 = Clock::now();
  p.join(0.2s);
  double waited = seconds_since(t0);
  EXPECT_GE(waited, 0.199);
  EXPECT_LT(waited, 20.0);
  EXPECT_TRUE(p.is_alive());
  EXPECT_EQ(p.exitcode(), std::nullopt);
  write_text(go, "go");
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

// timeout.hpp: "Negative timeouts behave as zero"; join(0) polls.
TEST_P(ProcessConformance, JoinWithZeroOrNegativeTimeoutDoesNotBlock) {
  auto go = dir_.file("go");
  auto p = ctx().Process(wait_for_file, go, 30.0);
  p.start();
  auto t0 = Clock::now();
  p.join(0s);
  p.join(-1s);
  p.join(std::chrono::duration<double>(-0.5));
  EXPECT_LT(seconds_since(t0), 10.0);
  EXPECT_TRUE(p.is_alive());
  write_text(go, "go");
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

// process.py sentinel: "a numeric handle of a system object which will become
// 'ready' when the process ends" (usable with poll/select).
TEST_P(ProcessConformance, SentinelBecomesReadableWhenTheChildEnds) {
  auto ready = dir_.file("ready");
  auto go = dir_.file("go");
  auto p = ctx().Process(ready_then_wait, ready, go, 30.0);
  p.start();
  int fd = p.sentinel();
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(wait_for_path(ready));
  EXPECT_FALSE(sentinel_ready(fd, 0));
  write_text(go, "go");
  EXPECT_TRUE(sentinel_ready(fd, 30000));
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(p.sentinel(), fd);  // still the same fd until close()
}

// process.py sentinel: raise ValueError("process not started") before start().
TEST_P(ProcessConformance, SentinelBeforeStartRaisesProcessNotStarted) {
  auto p = ctx().Process(do_nothing);
  EXPECT_TRUE(raises<concur::ValueError>([&] { (void)p.sentinel(); }, "process not started"));
}

// DESIGN.md "fds are close-on-exec by default"; CPython's sentinels are
// non-inheritable (PEP 446).
TEST_P(ProcessConformance, SentinelIsCloseOnExec) {
  auto go = dir_.file("go");
  auto p = ctx().Process(wait_for_file, go, 30.0);
  p.start();
  int flags = ::fcntl(p.sentinel(), F_GETFD);
  ASSERT_NE(flags, -1);
  EXPECT_TRUE(flags & FD_CLOEXEC);
  write_text(go, "go");
  p.join();
}

// ============================================================ names

// process.py: _process_counter = itertools.count(1); the default name is
// '%s-%d' % (type(self).__name__, next counter value), taken at construction:
// Process-N for multiprocessing.Process, ForkProcess-N etc. for ctx.Process
// (context.py; twin conformance/cpython/process_names).
TEST_P(ProcessConformance, DefaultNamesAreProcessNWithIncreasingN) {
  auto a = ctx().Process(do_nothing);
  auto b = ctx().Process(do_nothing);
  std::smatch ma, mb;
  ASSERT_TRUE(std::regex_match(a.name(), ma, std::regex(cls() + "-([0-9]+)"))) << a.name();
  ASSERT_TRUE(std::regex_match(b.name(), mb, std::regex(cls() + "-([0-9]+)"))) << b.name();
  EXPECT_EQ(std::stoi(mb[1]), std::stoi(ma[1]) + 1);
  mp::Process c(do_nothing);
  std::smatch mc;
  ASSERT_TRUE(std::regex_match(c.name(), mc, std::regex("Process-([0-9]+)"))) << c.name();
  EXPECT_EQ(std::stoi(mc[1]), std::stoi(mb[1]) + 1);
}

// process.py: the child's counter restarts (_bootstrap: _process_counter =
// itertools.count(1)) and its identity extends the parent's, so the first
// child of Process-N is "Process-N:1". Inside the grandchild parent_process()
// is Process-N.
TEST_P(ProcessConformance, FirstChildOfProcessNIsNamedProcessNColon1) {
  auto p = ctx().Process(nested_child, GetParam(), dir_.path());
  p.start();
  p.join();
  ASSERT_EQ(p.exitcode(), 0);
  auto child = parse_identity(read_text(dir_.file("child")));
  auto grandchild = parse_identity(read_text(dir_.file("grandchild")));
  EXPECT_EQ(read_text(dir_.file("grandchild_exitcode")), "0");
  EXPECT_EQ(child["name"], p.name());
  EXPECT_EQ(grandchild["name"], p.name() + ":1");
  EXPECT_EQ(grandchild["parent_name"], p.name());
  EXPECT_EQ(grandchild["parent_pid"], child["pid"]);
}

// Seed 000 §1.1 扩展 "name：为当前进程实例的别名"; process.py name setter.
// The child sees the name through current_process().name().
TEST_P(ProcessConformance, NameGivenByOptionsOrSetNameIsTheChildsName) {
  auto out1 = dir_.file("one");
  auto out2 = dir_.file("two");
  auto p = ctx().Process({.name = "萌萌哒-worker", .daemon = std::nullopt}, record_identity, out1);
  EXPECT_EQ(p.name(), "萌萌哒-worker");
  auto q = ctx().Process(record_identity, out2);
  q.set_name("renamed");
  EXPECT_EQ(q.name(), "renamed");
  p.start();
  q.start();
  p.join();
  q.join();
  EXPECT_EQ(parse_identity(read_text(out1))["name"], "萌萌哒-worker");
  EXPECT_EQ(parse_identity(read_text(out2))["name"], "renamed");
}

// ============================================================ daemon

// process.py daemon property / Process(daemon=True); the child's
// current_process().daemon is the flag it was started with.
TEST_P(ProcessConformance, DaemonFlagFromOptionsOrSetDaemonReachesTheChild) {
  auto out1 = dir_.file("one");
  auto out2 = dir_.file("two");
  auto out3 = dir_.file("three");
  auto p = ctx().Process({.name = std::nullopt, .daemon = true}, record_identity, out1);
  EXPECT_TRUE(p.daemon());
  auto q = ctx().Process(record_identity, out2);
  EXPECT_FALSE(q.daemon());
  q.set_daemon(true);
  EXPECT_TRUE(q.daemon());
  auto r = ctx().Process(record_identity, out3);
  p.start();
  q.start();
  r.start();
  p.join();
  q.join();
  r.join();
  EXPECT_EQ(parse_identity(read_text(out1))["daemon"], "1");
  EXPECT_EQ(parse_identity(read_text(out2))["daemon"], "1");
  EXPECT_EQ(parse_identity(read_text(out3))["daemon"], "0");
}

// process.py daemon setter: assert self._popen is None, 'process has already started'.
TEST_P(ProcessConformance, SetDaemonAfterStartRaisesProcessHasAlreadyStarted) {
  auto p = ctx().Process(do_nothing);
  p.start();
  EXPECT_TRUE(raises<concur::AssertionError>([&] { p.set_daemon(true); }, "process has already started"));
  p.join();
  EXPECT_FALSE(p.daemon());
}

// process.py start(): assert not _current_process._config.get('daemon'),
// 'daemonic processes are not allowed to have children'.
TEST_P(ProcessConformance, DaemonicProcessesAreNotAllowedToHaveChildren) {
  auto out = dir_.file("out");
  auto p = ctx().Process({.name = std::nullopt, .daemon = true}, start_from_daemon, GetParam(), out);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  std::string text = read_text(out);
  EXPECT_EQ(text.rfind("AssertionError:daemonic processes are not allowed to have children", 0), 0u) << text;
}

// util.py _exit_function: at normal exit the parent calls terminate() on its
// daemonic children (then joins every child), so a daemon sleeping 60 s dies
// with it. Checked in a scenario sub-process that returns without joining.
TEST_P(ProcessConformance, DaemonicChildrenAreTerminatedWhenTheParentExits) {
  auto pid_file = dir_.file("daemon_pid");
  auto never = dir_.file("never");
  auto t0 = Clock::now();
  auto r = run_subprocess(
      [&] {
        auto p = ctx().Process({.name = std::nullopt, .daemon = true}, wait_for_file, never, 60.0);
        p.start();
        write_text(pid_file, std::to_string(p.pid().value_or(0)));
      },
      SubprocessOptions{}.limit(40s));
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  EXPECT_LT(seconds_since(t0), 40.0);
  ASSERT_TRUE(path_exists(pid_file));
  pid_t daemon_pid = std::stoi(read_text(pid_file));
  ASSERT_GT(daemon_pid, 0);
  bool gone = wait_until([&] { return !pid_running(daemon_pid); }, 10s);
  EXPECT_TRUE(gone) << "daemon child " << daemon_pid << " outlived its parent";
  if (!gone) ::kill(daemon_pid, SIGKILL);
}

// util.py _exit_function: non-daemonic children are joined at exit
// (CPython: "calling join() for process ..."), so the parent does not end
// before them.
TEST_P(ProcessConformance, NonDaemonicChildrenAreJoinedWhenTheParentExits) {
  auto done = dir_.file("done");
  auto r = run_subprocess(
      [&] {
        auto p = ctx().Process(sleep_then_write, done, "done", 0.5);
        p.start();
      },
      SubprocessOptions{}.limit(40s));
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  EXPECT_TRUE(path_exists(done)) << "the parent exited before its non-daemonic child finished";
  EXPECT_TRUE(wait_for_path(done, 10s));  // do not leave the child behind either way
}

// ============================================================ repr

// process.py BaseProcess.__repr__: '<%s name=%r [pid=%s] parent=%s status
// [exitcode=%s] [daemon]>' with status initial/started/stopped/closed and
// exitcode shown by signal name (_exitcode_to_name: -15 → -SIGTERM).
TEST_P(ProcessConformance, ReprFollowsCPythonFormat) {
  const std::string parent = pid_str(::getpid());
  auto p = ctx().Process(wait_for_file, dir_.file("never"), 30.0);
  EXPECT_EQ(p.repr(), "<" + cls() + " name='" + p.name() + "' parent=" + parent + " initial>");
  p.start();
  const std::string pid = pid_str(p.pid().value_or(0));
  EXPECT_EQ(p.repr(), "<" + cls() + " name='" + p.name() + "' pid=" + pid + " parent=" + parent + " started>");
  p.terminate();
  p.join();
  EXPECT_EQ(p.repr(),
            "<" + cls() + " name='" + p.name() + "' pid=" + pid + " parent=" + parent + " stopped exitcode=-SIGTERM>");
  std::ostringstream os;
  os << p;
  EXPECT_EQ(os.str(), p.repr());
  p.close();
  EXPECT_EQ(p.repr(), "<" + cls() + " name='" + p.name() + "' parent=" + parent + " closed>");
}

// process.py __repr__: exitcode=0 for a normal end, -SIGKILL after kill(),
// and a trailing "daemon" for daemonic processes.
TEST_P(ProcessConformance, ReprShowsExitcodeAndDaemonFlag) {
  const std::string parent = pid_str(::getpid());
  auto d = ctx().Process({.name = "d", .daemon = true}, do_nothing);
  EXPECT_EQ(d.repr(), "<" + cls() + " name='d' parent=" + parent + " initial daemon>");
  d.start();
  d.join();
  EXPECT_EQ(d.repr(),
            "<" + cls() + " name='d' pid=" + pid_str(d.pid().value_or(0)) + " parent=" + parent + " stopped exitcode=0 daemon>");
  auto k = ctx().Process({.name = "k", .daemon = std::nullopt}, wait_for_file, dir_.file("never"), 30.0);
  k.start();
  k.kill();
  k.join();
  EXPECT_EQ(k.repr(), "<" + cls() + " name='k' pid=" + pid_str(k.pid().value_or(0)) + " parent=" + parent +
                          " stopped exitcode=-SIGKILL>");
}

// ============================================================ misuse

// process.py start(): assert self._popen is None, 'cannot start a process twice'
// — both while the child runs and after it ended.
TEST_P(ProcessConformance, StartingTwiceRaisesCannotStartAProcessTwice) {
  auto go = dir_.file("go");
  auto p = ctx().Process(wait_for_file, go, 30.0);
  p.start();
  EXPECT_TRUE(raises<concur::AssertionError>([&] { p.start(); }, "cannot start a process twice"));
  write_text(go, "go");
  p.join();
  EXPECT_TRUE(raises<concur::AssertionError>([&] { p.start(); }, "cannot start a process twice"));
  EXPECT_EQ(p.exitcode(), 0);
}

// process.py join(): assert self._popen is not None, 'can only join a started process'.
TEST_P(ProcessConformance, JoinBeforeStartRaisesCanOnlyJoinAStartedProcess) {
  auto p = ctx().Process(do_nothing);
  EXPECT_TRUE(raises<concur::AssertionError>([&] { p.join(); }, "can only join a started process"));
  EXPECT_TRUE(raises<concur::AssertionError>([&] { p.join(0.1s); }, "can only join a started process"));
}

// Seed 003 创建进程 ⚠️3 "一个进程可多次合并": join() of an ended child may be
// repeated (popen_fork.py wait() returns the cached returncode), with or
// without a timeout, and does not block.
TEST_P(ProcessConformance, ProcessMayBeJoinedManyTimes) {
  auto p = ctx().Process(exit_with, 3);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 3);
  auto t0 = std::chrono::steady_clock::now();
  p.join();
  p.join(5s);
  p.join(0s);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_EQ(p.exitcode(), 3);
}

// Seed 003 创建进程 ⚠️3 "但不可并入自身，会导致死锁": a process joining itself
// fails instead of deadlocking, in the child (process.py join():
// assert self._parent_pid == os.getpid(), 'can only join a child process')
// and in the main process (_MainProcess has no parent pid).
TEST_P(ProcessConformance, AProcessCannotJoinItself) {
  EXPECT_TRUE(raises<concur::AssertionError>([] { mp::current_process().join(); }, "can only join a child process"));
  auto out = dir_.file("out");
  auto p = ctx().Process(join_self, out);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(read_text(out), "AssertionError:can only join a child process");
}

// process.py close(): ValueError while the child is still running.
TEST_P(ProcessConformance, CloseWhileRunningRaisesValueError) {
  auto go = dir_.file("go");
  auto p = ctx().Process(wait_for_file, go, 30.0);
  p.start();
  EXPECT_TRUE(raises<concur::ValueError>(
      [&] { p.close(); },
      "Cannot close a process while it is still running. You should first call join() or terminate()."));
  EXPECT_TRUE(p.is_alive());  // close() failed: the object is still usable
  write_text(go, "go");
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  p.close();
}

// process.py _check_closed(): after close(), every use raises
// ValueError("process object is closed"); close() itself is idempotent
// (_test_multiprocessing test_close).
TEST_P(ProcessConformance, AfterCloseEveryUseRaisesProcessObjectIsClosed) {
  auto p = ctx().Process(do_nothing);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  p.close();
  const char* closed = "process object is closed";
  EXPECT_TRUE(raises<concur::ValueError>([&] { (void)p.pid(); }, closed));
  EXPECT_TRUE(raises<concur::ValueError>([&] { (void)p.ident(); }, closed));
  EXPECT_TRUE(raises<concur::ValueError>([&] { (void)p.exitcode(); }, closed));
  EXPECT_TRUE(raises<concur::ValueError>([&] { (void)p.is_alive(); }, closed));
  EXPECT_TRUE(raises<concur::ValueError>([&] { p.join(); }, closed));
  EXPECT_TRUE(raises<concur::ValueError>([&] { p.join(0.1s); }, closed));
  EXPECT_TRUE(raises<concur::ValueError>([&] { p.terminate(); }, closed));
  EXPECT_TRUE(raises<concur::ValueError>([&] { p.kill(); }, closed));
  EXPECT_TRUE(raises<concur::ValueError>([&] { (void)p.sentinel(); }, closed));
  EXPECT_TRUE(raises<concur::ValueError>([&] { p.start(); }, closed));
  EXPECT_NO_THROW(p.close());
  EXPECT_NO_THROW((void)p.name());  // name is plain data, not checked in CPython
}

// process.py close() on a never-started process just marks it closed;
// start() then raises "process object is closed".
TEST_P(ProcessConformance, CloseBeforeStartThenStartRaisesProcessObjectIsClosed) {
  auto p = ctx().Process(do_nothing);
  EXPECT_NO_THROW(p.close());
  EXPECT_TRUE(raises<concur::ValueError>([&] { p.start(); }, "process object is closed"));
}

// process.py close(): allowed once the child has ended even without join();
// popen.poll() reaps it, so no zombie remains (checked by the fixture).
TEST_P(ProcessConformance, CloseAfterTheChildEndedWithoutJoinReapsIt) {
  auto p = ctx().Process(do_nothing);
  p.start();
  pid_t pid = p.pid().value_or(0);
  ASSERT_TRUE(sentinel_ready(p.sentinel(), 30000));
  // The sentinel can fire a moment before the child turns into a zombie.
  ASSERT_TRUE(wait_until([&] { return !pid_running(pid); }, 30s));
  EXPECT_NO_THROW(p.close());
}

// ============================================================ current / parent / active_children

// process.py: current_process() inside the child is the child's own Process
// (name, pid, daemon); parent_process() is the starting process, named
// "MainProcess", alive while the child runs (_ParentProcess).
TEST_P(ProcessConformance, CurrentProcessAndParentProcessInsideTheChild) {
  auto out = dir_.file("identity");
  auto p = ctx().Process({.name = "observer", .daemon = true}, record_identity, out);
  p.start();
  p.join();
  ASSERT_EQ(p.exitcode(), 0);
  auto kv = parse_identity(read_text(out));
  EXPECT_EQ(kv["name"], "observer");
  EXPECT_EQ(kv["current_pid"], kv["pid"]);
  EXPECT_EQ(kv["pid"], pid_str(p.pid().value_or(0)));
  EXPECT_EQ(kv["daemon"], "1");
  EXPECT_EQ(kv["parent_name"], "MainProcess");
  EXPECT_EQ(kv["parent_pid"], pid_str(::getpid()));
  EXPECT_EQ(kv["parent_alive"], "1");
}

// Seed 004 "上下文系": fork copies the parent's memory; spawn and forkserver
// children start from a fresh image and see the globals' initial values.
TEST_P(ProcessConformance, GlobalsAreCopiedUnderForkButFreshUnderSpawnAndForkserver) {
  auto out = dir_.file("identity");
  g_global = 5;
  auto p = ctx().Process(record_identity, out);
  p.start();
  p.join();
  g_global = 0;
  ASSERT_EQ(p.exitcode(), 0);
  EXPECT_EQ(parse_identity(read_text(out))["global"], is_fork() ? "5" : "0");
}

// process.py active_children(): calls _cleanup() (reaps finished children)
// and returns the live ones.
TEST_P(ProcessConformance, ActiveChildrenListsRunningChildrenAndDropsFinishedOnes) {
  EXPECT_TRUE(mp::active_children().empty());
  auto go_a = dir_.file("go_a");
  auto go_b = dir_.file("go_b");
  auto a = ctx().Process(wait_for_file, go_a, 30.0);
  auto b = ctx().Process(wait_for_file, go_b, 30.0);
  EXPECT_TRUE(mp::active_children().empty());  // not started yet
  a.start();
  b.start();
  auto kids = mp::active_children();
  EXPECT_EQ(kids.size(), 2u);
  EXPECT_NE(std::find(kids.begin(), kids.end(), &a), kids.end());
  EXPECT_NE(std::find(kids.begin(), kids.end(), &b), kids.end());
  write_text(go_a, "go");
  ASSERT_TRUE(sentinel_ready(a.sentinel(), 30000));
  EXPECT_TRUE(wait_until(
      [&] {
        auto k = mp::active_children();
        return k.size() == 1 && k[0] == &b;
      },
      30s));
  EXPECT_FALSE(a.is_alive());
  EXPECT_EQ(a.exitcode(), 0);
  write_text(go_b, "go");
  b.join();
  a.join();
  EXPECT_TRUE(mp::active_children().empty());
}

// process.hpp Lifetime: destroying a Process whose child runs does not wait;
// the child stays tracked and active_children() reaps it once it ended, so no
// zombie is left (CPython keeps it in _children).
TEST_P(ProcessConformance, DestroyingARunningProcessDoesNotWaitAndLeavesNoZombie) {
  auto ready = dir_.file("ready");
  auto go = dir_.file("go");
  pid_t pid = 0;
  auto t0 = Clock::now();
  {
    auto p = ctx().Process(ready_then_wait, ready, go, 30.0);
    p.start();
    pid = p.pid().value_or(0);
    ASSERT_TRUE(wait_for_path(ready));
    t0 = Clock::now();
  }
  EXPECT_LT(seconds_since(t0), 10.0) << "~Process waited for the child";
  EXPECT_TRUE(pid_running(pid));
  EXPECT_TRUE(mp::active_children().empty()) << "a destroyed Process cannot be returned";
  write_text(go, "go");
  ASSERT_TRUE(wait_until([&] { return !pid_running(pid); }, 30s));
  EXPECT_TRUE(mp::active_children().empty());
  EXPECT_TRUE(zombie_children().empty());
}

// process.hpp Lifetime: "a Process may be moved (also while its child runs)".
// std::vector<Process> with reallocation, started and joined through the
// vector (the seed 001 pattern `for p in [process1, process2]: p.start()`).
TEST_P(ProcessConformance, ProcessesCanBeMovedIntoAVectorAndJoinedThroughIt) {
  std::vector<mp::Process> procs;
  procs.reserve(1);
  std::vector<std::string> names;
  for (int i = 0; i < 3; ++i) {
    procs.emplace_back(ctx().Process(record_identity, dir_.file("p" + std::to_string(i))));
    names.push_back(procs.back().name());
  }
  for (auto& p : procs) p.start();
  for (auto& p : procs) p.join();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(procs[i].exitcode(), 0);
    EXPECT_EQ(procs[i].name(), names[i]);
    EXPECT_EQ(parse_identity(read_text(dir_.file("p" + std::to_string(i))))["name"], names[i]);
  }
}

TEST_P(ProcessConformance, MovingARunningProcessKeepsTrackOfItsChild) {
  auto go = dir_.file("go");
  auto p = ctx().Process(wait_for_file, go, 30.0);
  p.start();
  auto pid = p.pid();
  mp::Process q(std::move(p));
  EXPECT_EQ(q.pid(), pid);
  EXPECT_TRUE(q.is_alive());
  auto kids = mp::active_children();
  ASSERT_EQ(kids.size(), 1u);
  EXPECT_EQ(kids[0], &q);
  write_text(go, "go");
  q.join();
  EXPECT_EQ(q.exitcode(), 0);
  EXPECT_TRUE(mp::active_children().empty());
}

// ============================================================ what the child inherits

// Seed 004 "上下文系": spawn "不会继承父进程中不必要的文件描述符和句柄"; fork
// "父进程的所有资源都由子进程继承"; context.hpp: spawn children inherit only
// stdin/stdout/stderr, forkserver children come from the clean server.
TEST_P(ProcessConformance, UnrelatedInheritableFdIsVisibleOnlyUnderFork) {
  int null_fd = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(null_fd, 0);
  int high_null = ::fcntl(null_fd, F_DUPFD, 200);  // F_DUPFD: no close-on-exec
  ::close(null_fd);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  int high_pipe = ::fcntl(pipe_fds[0], F_DUPFD, 220);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  ASSERT_GE(high_null, 200);
  ASSERT_GE(high_pipe, 220);
  struct stat sn, sp;
  ::fstat(high_null, &sn);
  ::fstat(high_pipe, &sp);
  auto p = ctx().Process(check_fd, high_null, static_cast<std::uint64_t>(sn.st_dev),
                         static_cast<std::uint64_t>(sn.st_ino), dir_.file("null"));
  auto q = ctx().Process(check_fd, high_pipe, static_cast<std::uint64_t>(sp.st_dev),
                         static_cast<std::uint64_t>(sp.st_ino), dir_.file("pipe"));
  p.start();
  q.start();
  p.join();
  q.join();
  ::close(high_null);
  ::close(high_pipe);
  const char* expected = is_fork() ? "inherited" : "closed";
  EXPECT_EQ(read_text(dir_.file("null")), expected);
  EXPECT_EQ(read_text(dir_.file("pipe")), expected);
}

// process.hpp / CPython util._close_stdin: the child's stdin is /dev/null.
TEST_P(ProcessConformance, ChildStdinIsDevNull) {
  auto p = ctx().Process(check_stdin, dir_.file("stdin"));
  p.start();
  p.join();
  EXPECT_EQ(read_text(dir_.file("stdin")), "devnull");
}

// process.hpp: the parent flushes its standard streams before forking, so no
// buffered output is written twice, and the child flushes stdout before it
// exits (CPython util._flush_std_streams in BaseProcess._bootstrap).
TEST_P(ProcessConformance, BufferedOutputIsWrittenOnceAndChildOutputIsFlushed) {
  auto out = dir_.file("stdout");
  auto r = run_subprocess(
      [&] {
        std::printf("parent-before\n");  // stdout is a file: fully buffered, not yet written
        auto p = ctx().Process(print_unflushed, "child-output\n");
        p.start();
        p.join();
        EXPECT_EQ(p.exitcode(), 0);
        std::printf("parent-after\n");
      },
      SubprocessOptions{}.capture_stdout(out));
  EXPECT_TRUE(r.exited_ok()) << r.describe() << "\n" << read_text(out);
  auto lines = split_lines(read_text(out));
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"child-output", "parent-after", "parent-before"}));
}

// CPython popen_fork.Popen.__init__ calls util._flush_std_streams() before
// _launch, and the spawn and forkserver Popen classes inherit that __init__:
// output the parent wrote before start() reaches the file before the child's.
TEST_P(ProcessConformance, ParentFlushesItsStdStreamsBeforeStartingAChild) {
  auto out = dir_.file("stdout");
  auto r = run_subprocess(
      [&] {
        std::printf("parent-before\n");
        auto p = ctx().Process(print_unflushed, "child-output\n");
        p.start();
        p.join();
        std::printf("parent-after\n");
      },
      SubprocessOptions{}.capture_stdout(out));
  EXPECT_TRUE(r.exited_ok()) << r.describe() << "\n" << read_text(out);
  EXPECT_EQ(read_text(out), "parent-before\nchild-output\nparent-after\n");
}

// Seed 001 "fork ... 有坑，多线程并不安全"; CPython 3.12 os.fork():
// "This process (pid=N) is multi-threaded, use of fork() may lead to deadlocks
// in the child." logged when the parent runs other threads. Only fork forks
// the caller; spawn and forkserver do not warn.
TEST_P(ProcessConformance, ForkFromAMultiThreadedParentWarnsOfDeadlocks) {
  auto err = dir_.file("stderr");
  auto r = run_subprocess(
      [&] {
        std::atomic<bool> stop{false};
        std::thread busy([&] {
          while (!stop.load()) std::this_thread::sleep_for(1ms);
        });
        auto p = ctx().Process(do_nothing);
        p.start();
        stop = true;
        busy.join();
        p.join();
        EXPECT_EQ(p.exitcode(), 0);
      },
      SubprocessOptions{}.capture_stderr(err));
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  std::string text = read_text(err);
  const std::string warning = "is multi-threaded, use of fork() may lead to deadlocks in the child";
  if (is_fork()) {
    EXPECT_TRUE(contains(text, warning)) << "stderr was: " << text;
  } else {
    EXPECT_FALSE(contains(text, warning)) << "stderr was: " << text;
  }
}

// Seed 001 "如果X线程对锁A执行加锁操作后，Y线程执行了fork操作，则子进程中只会复制
// Y线程。子进程中A锁的将不再会被释放": a lock another thread holds at start()
// is copied locked into a forked child, whose acquire would deadlock (here it
// does not block: blocking=false). spawn and forkserver children are fresh
// images (CPython spawn.py re-imports __main__, forkserver forks from a
// single-threaded server): their copy of the lock is new and free. The
// example benchmarks/examples/fork_with_threads.cpp shows the fork hang itself.
TEST_P(ProcessConformance, LockHeldByAnotherParentThreadIsHeldInAForkedChildAndFreeInAFreshImage) {
  auto out = dir_.file("lock");
  concur::threading::Event held, release;
  std::thread holder([&] {
    g_thread_lock.acquire();
    held.set();
    release.wait();
    g_thread_lock.release();
  });
  held.wait();
  auto p = ctx().Process(report_thread_lock, out);
  p.start();
  p.join(60s);
  release.set();
  holder.join();
  ASSERT_EQ(p.exitcode(), 0);
  EXPECT_EQ(read_text(out), is_fork() ? "held" : "free");
}

// process.hpp "Arguments are converted to the target's parameter types";
// spawn/forkserver carry them serialized (Python pickles args).
TEST_P(ProcessConformance, ArgumentsReachTheChildByValue) {
  auto out = dir_.file("args");
  std::vector<std::string> words{"萌萌哒", "", "three"};
  std::map<std::string, int> counts{{"a", 1}, {"b", 2}};
  auto p = ctx().Process(record_args, out, 42, 2.5, words, Point{3, -4}, counts,
                         std::make_tuple('x', std::string("yz")));
  words.clear();  // the Process owns copies
  counts.clear();
  p.start();
  p.join();
  ASSERT_EQ(p.exitcode(), 0);
  EXPECT_EQ(read_text(out), "42|2.5|萌萌哒,,three,|3:-4|a=1,b=2,|xyz");
}

TEST_P(ProcessConformance, PlainTriviallyCopyableStructsCrossAsArguments) {
  auto out = dir_.file("plain");
  auto p = ctx().Process(record_plain, out, PlainPoint{7, 0.5}, std::vector<PlainPoint>{{1, 1.5}, {-2, 2.5}});
  p.start();
  p.join();
  ASSERT_EQ(p.exitcode(), 0);
  EXPECT_EQ(read_text(out), "7:0.5,1:1.5,-2:2.5");
}

// process.py BaseProcess.run(): "if self._target: self._target(...)" — a
// Process without target runs nothing and exits 0.
TEST_P(ProcessConformance, ProcessWithoutTargetRunsNothingAndExitsZero) {
  auto p = ctx().Process();
  auto q = ctx().Process(mp::ProcessOptions{.name = "no-target", .daemon = std::nullopt});
  EXPECT_EQ(q.name(), "no-target");
  p.start();
  q.start();
  p.join();
  q.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(q.exitcode(), 0);
}

// process.hpp: "Every started child is reaped: by join(), is_alive()/exitcode()
// once it has ended" (popen_fork.poll waitpid()s). process.py is_alive() also
// drops an ended child from _children, so nothing of it is left once the
// Process object is gone (fds checked by the fixture).
TEST_P(ProcessConformance, IsAliveReapsAnEndedChildWithoutJoin) {
  auto q = ctx().Process(do_nothing);
  q.start();
  EXPECT_TRUE(wait_until([&] { return !q.is_alive(); }, 30s));
  EXPECT_EQ(q.exitcode(), 0);
  EXPECT_TRUE(zombie_children().empty());
}

// As above through exitcode(). CPython's exitcode property polls (reaps) but
// leaves the process in _children until the next _cleanup(), which
// active_children() runs — after that nothing of it is left.
TEST_P(ProcessConformance, ExitcodeReapsAnEndedChildWithoutJoin) {
  {
    auto p = ctx().Process(exit_with, 4);
    p.start();
    EXPECT_TRUE(wait_until([&] { return p.exitcode().has_value(); }, 30s));
    EXPECT_EQ(p.exitcode(), 4);
    EXPECT_FALSE(p.is_alive());
    EXPECT_TRUE(zombie_children().empty());
  }
  EXPECT_TRUE(mp::active_children().empty());
}

// process.py close(): "self._popen.close()" releases the sentinel.
TEST_P(ProcessConformance, CloseReleasesTheSentinel) {
  auto p = ctx().Process(do_nothing);
  p.start();
  p.join();
  int fd = p.sentinel();
  ASSERT_NE(::fcntl(fd, F_GETFD), -1);
  int before = count_open_fds();
  p.close();
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1) << "the sentinel is still open after close()";
  EXPECT_EQ(count_open_fds(), before - 1);
}

// process.hpp: arguments are stored as the decayed parameter types; a
// const-reference parameter gets the stored copy, a move-only one is moved in.
TEST_P(ProcessConformance, ConstReferenceAndMoveOnlyParametersWork) {
  auto out = dir_.file("refs");
  auto p = ctx().Process(record_refs, out, std::vector<int>{1, 2, 3}, std::make_unique<int>(99));
  p.start();
  p.join();
  ASSERT_EQ(p.exitcode(), 0);
  EXPECT_EQ(read_text(out), "1,2,3,99");
}

// spawn.hpp CONCUR_REGISTER_TARGET_AS(fn, "name") registers under an explicit name.
TEST_P(ProcessConformance, TargetRegisteredUnderAnExplicitNameStarts) {
  auto out = dir_.file("explicit");
  auto p = ctx().Process(explicitly_named, out);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(read_text(out), "explicit");
}

// CPython _ParentProcess.join/is_alive wait on the parent's sentinel: a child
// that outlives its parent sees it end.
TEST_P(ProcessConformance, ParentProcessInTheChildSeesTheParentEnd) {
  auto out = dir_.file("parent_state");
  auto pid_file = dir_.file("child_pid");
  auto r = run_subprocess(
      [&] {
        auto p = ctx().Process(outlive_parent, out);
        p.start();
        write_text(pid_file, std::to_string(p.pid().value_or(0)));
      },
      SubprocessOptions{}.quick_exit().limit(30s));  // _exit: the child is not joined
  EXPECT_TRUE(r.exited_ok()) << r.describe();
  EXPECT_TRUE(wait_for_path(out, 30s));
  EXPECT_EQ(read_text(out), "alive=0");
  if (path_exists(pid_file)) {
    pid_t child = std::stoi(read_text(pid_file));
    EXPECT_TRUE(wait_until([&] { return !pid_running(child); }, 10s));
  }
}

// ============================================================ non-parameterized

// process.py: current_process() in the main process is _MainProcess named
// "MainProcess" with the caller's pid; parent_process() is None.
TEST(ProcessMainConformance, CurrentProcessInTheMainProcessIsMainProcess) {
  auto& me = mp::current_process();
  EXPECT_EQ(me.name(), "MainProcess");
  EXPECT_EQ(me.pid(), std::optional<pid_t>(::getpid()));
  EXPECT_FALSE(me.daemon());
  EXPECT_EQ(mp::parent_process(), nullptr);
  EXPECT_EQ(&mp::current_process(), &me);
  EXPECT_TRUE(contains(me.repr(), "name='MainProcess'")) << me.repr();
}

// context.py cpu_count() → os.cpu_count(): the number of CPUs in the system.
TEST(ProcessMainConformance, CpuCountIsTheNumberOfOnlineCpus) {
  int n = mp::cpu_count();
  EXPECT_GE(n, 1);
  EXPECT_EQ(n, static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)));
}

// ============================================================ fork only

class ProcessForkOnly : public ::testing::Test, public concur_test::LeakChecked {
 protected:
  const mp::Context& ctx() const { return mp::get_context("fork"); }
  void SetUp() override { record_baseline(); }
  void TearDown() override { check_leaks(false); }
  TempDir dir_;
};

// DESIGN.md "Under fork any callable works": a capturing lambda target.
TEST_F(ProcessForkOnly, AnyCallableIsAcceptedAsTarget) {
  auto out = dir_.file("lambda");
  std::string text = "from a lambda";
  auto p = ctx().Process([&] { write_text(out, text); });
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(read_text(out), "from a lambda");
}

// process.py start(): assert self._parent_pid == os.getpid(),
// 'can only start a process object created by current process'.
TEST_F(ProcessForkOnly, StartingAProcessCreatedByAnotherProcessRaises) {
  auto out = dir_.file("out");
  auto inner = ctx().Process(do_nothing);
  auto p = ctx().Process([&] {
    try {
      inner.start();
      inner.join();
      write_text(out, "started");
    } catch (const concur::AssertionError& e) {
      write_text(out, std::string("AssertionError:") + e.what());
    } catch (const std::exception& e) {
      write_text(out, std::string("other:") + e.what());
    }
  });
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  std::string text = read_text(out);
  EXPECT_EQ(text.rfind("AssertionError:can only start a process object created by current process", 0), 0u)
      << text;
}

// process.py join(): assert self._parent_pid == os.getpid(), 'can only join a child process'.
TEST_F(ProcessForkOnly, JoiningFromAProcessOtherThanTheParentRaises) {
  auto out = dir_.file("out");
  auto go = dir_.file("go");
  auto sibling = ctx().Process(wait_for_file, go, 30.0);
  sibling.start();
  auto p = ctx().Process([&] {
    try {
      sibling.join(0.01s);
      write_text(out, "joined");
    } catch (const concur::AssertionError& e) {
      write_text(out, std::string("AssertionError:") + e.what());
    } catch (const std::exception& e) {
      write_text(out, std::string("other:") + e.what());
    }
  });
  p.start();
  p.join();
  write_text(go, "go");
  sibling.join();
  EXPECT_EQ(p.exitcode(), 0);
  std::string text = read_text(out);
  EXPECT_EQ(text.rfind("AssertionError:can only join a child process", 0), 0u) << text;
}

// ============================================================ spawn / forkserver only

class ProcessFreshImage : public ::testing::TestWithParam<std::string>, public concur_test::LeakChecked {
 protected:
  const mp::Context& ctx() const { return mp::get_context(GetParam()); }
  void SetUp() override {
    record_baseline();
    children_before_ = child_pids().size();
  }
  void TearDown() override {
    // A refused start() must not have created any child (the forkserver
    // itself may have been started).
    EXPECT_LE(child_pids().size(), children_before_ + (GetParam() == "forkserver" ? 1u : 0u))
        << "a child exists although start() failed";
    check_leaks(GetParam() == "forkserver");
  }
  std::size_t children_before_ = 0;
  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(FreshImageMethods, ProcessFreshImage, ::testing::Values("spawn", "forkserver"),
                         method_name);

// DESIGN.md / spawn.hpp: only registered functions cross to a fresh image; a
// lambda fails at start() with PicklingError naming the remedy.
TEST_P(ProcessFreshImage, LambdaTargetRaisesPicklingErrorNamingConcurRegisterTarget) {
  auto p = ctx().Process([] {});
  EXPECT_TRUE(raises_containing<concur::PicklingError>([&] { p.start(); }, {"CONCUR_REGISTER_TARGET"}));
  EXPECT_EQ(p.pid(), std::nullopt);
  EXPECT_TRUE(mp::active_children().empty());
}

TEST_P(ProcessFreshImage, UnregisteredFunctionRaisesPicklingErrorNamingConcurRegisterTarget) {
  auto p = ctx().Process(unregistered_target, dir_.file("out"));
  EXPECT_TRUE(raises_containing<concur::PicklingError>([&] { p.start(); }, {"CONCUR_REGISTER_TARGET"}));
  EXPECT_EQ(p.pid(), std::nullopt);
  EXPECT_FALSE(path_exists(dir_.file("out")));
}

// spawn.hpp: a Process subclass must be registered with CONCUR_REGISTER_PROCESS.
TEST_P(ProcessFreshImage, UnregisteredSubclassRaisesPicklingErrorNamingConcurRegisterProcess) {
  mp::set_start_method(GetParam(), /*force=*/true);
  UnregisteredProcess p;
  EXPECT_TRUE(raises_containing<concur::PicklingError>([&] { p.start(); }, {"CONCUR_REGISTER_PROCESS"}));
  EXPECT_EQ(p.pid(), std::nullopt);
  mp::set_start_method(std::nullopt, /*force=*/true);
}

// spawn.hpp: "A name registered twice for different functions is reported at
// start() with the two colliding names" — instead of running the wrong one.
TEST_P(ProcessFreshImage, NameRegisteredTwiceForDifferentFunctionsIsReportedAtStart) {
  auto out = dir_.file("out");
  auto p = ctx().Process(collide_a, out);
  EXPECT_TRUE(raises_containing<std::exception>([&] { p.start(); }, {"conformance_duplicate_name"}));
  EXPECT_EQ(p.pid(), std::nullopt);
  if (p.pid()) {  // started after all: do not leave the child behind
    p.join();
    EXPECT_NE(p.exitcode(), 0) << "the child ran one of two functions registered under one name";
  }
  EXPECT_NE(read_text(out), "a") << "collide_a ran although its name is ambiguous";
  std::remove(out.c_str());
  // fork needs no registry: the same function runs there.
  auto f = mp::get_context("fork").Process(collide_b, out);
  f.start();
  f.join();
  EXPECT_EQ(read_text(out), "b");
}

}  // namespace
