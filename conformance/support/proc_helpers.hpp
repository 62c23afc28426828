// conformance/support/proc_helpers.hpp — small black-box helpers shared by the
// conformance tests of process primitives (header-only, Linux /proc based).
//
//  * TempDir: a private mkdtemp directory, removed with its contents.
//  * read_text / write_text / wait_for_path: files are how children report
//    back to the test (there is no Queue/Pipe in these tests on purpose).
//  * zombie_children / child_pids / pid_running / cmdline_of: /proc scans used
//    to prove that children are reaped and to find the forkserver.
//  * count_open_fds: entries of /proc/self/fd, for leak checks.
//  * run_subprocess: runs a scenario in a forked copy of the test process
//    (optionally with stdout/stderr redirected to files) so process-global
//    state (start method, logger, atexit behaviour) never leaks into the test
//    process. GoogleTest EXPECT_* work inside the scenario: the copy exits 1
//    if any of them failed, and the failures are printed on its stdout.
//  * FdRedirect: dup2 a file onto fd 1 or 2 for the duration of a scope.
//  * raises<E>(f, prefix) / raises_containing<E>(f, {parts}): exception type
//    and CPython message checks that report what was thrown instead.
#pragma once

#include <cxxabi.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <typeinfo>
#include <vector>

namespace concur_test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// ---------------------------------------------------------------- files

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/concur-conformance-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool path_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Writes atomically (write to a temp name, then rename) so a reader polling
// for `path` never sees a partial file.
inline void write_text(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
  }
  std::rename(tmp.c_str(), path.c_str());
}

inline void append_text(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ssize_t n = ::write(fd, text.data(), text.size());
  (void)n;
  ::close(fd);
}

// Polls until `pred` holds or `timeout` passes; returns the last value.
template <class Pred>
bool wait_until(Pred pred, std::chrono::duration<double> timeout, std::chrono::milliseconds step = 5ms) {
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);
  for (;;) {
    if (pred()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

inline bool wait_for_path(const std::string& path, std::chrono::duration<double> timeout = 30s) {
  return wait_until([&] { return path_exists(path); }, timeout);
}

// ---------------------------------------------------------------- /proc

struct ProcStat {
  pid_t pid = 0;
  char state = '?';
  pid_t ppid = 0;
};

inline std::optional<ProcStat> read_proc_stat(pid_t pid) {
  std::string s = read_text("/proc/" + std::to_string(pid) + "/stat");
  auto close = s.rfind(')');
  if (s.empty() || close == std::string::npos || close + 4 > s.size()) return std::nullopt;
  ProcStat st;
  st.pid = pid;
  std::istringstream rest(s.substr(close + 2));
  rest >> st.state >> st.ppid;
  if (!rest) return std::nullopt;
  return st;
}

inline std::vector<pid_t> all_pids() {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long v = std::strtol(e->d_name, &end, 10);
    if (end && *end == '\0' && v > 0) out.push_back(static_cast<pid_t>(v));
  }
  ::closedir(d);
  return out;
}

// Children of `parent` (default: this process), zombies included.
inline std::vector<pid_t> child_pids(pid_t parent = ::getpid()) {
  std::vector<pid_t> out;
  for (pid_t p : all_pids()) {
    auto st = read_proc_stat(p);
    if (st && st->ppid == parent) out.push_back(p);
  }
  return out;
}

// Zombie children of `parent` (default: this process).
inline std::vector<pid_t> zombie_children(pid_t parent = ::getpid()) {
  std::vector<pid_t> out;
  for (pid_t p : all_pids()) {
    auto st = read_proc_stat(p);
    if (st && st->ppid == parent && st->state == 'Z') out.push_back(p);
  }
  return out;
}

// True while `pid` exists and is not a zombie (a zombie has finished running;
// it may belong to a parent we cannot make reap it, e.g. an init that does not).
inline bool pid_running(pid_t pid) {
  auto st = read_proc_stat(pid);
  return st && st->state != 'Z' && st->state != 'X';
}

inline std::string cmdline_of(pid_t pid) {
  std::string s = read_text("/proc/" + std::to_string(pid) + "/cmdline");
  for (char& c : s)
    if (c == '\0') c = ' ';
  return s;
}

// Live children of `parent` whose command line contains `needle`.
inline std::vector<pid_t> children_with_cmdline(const std::string& needle, pid_t parent = ::getpid()) {
  std::vector<pid_t> out;
  for (pid_t p : child_pids(parent))
    if (pid_running(p) && cmdline_of(p).find(needle) != std::string::npos) out.push_back(p);
  return out;
}

inline constexpr const char* kForkServerMarker = "--concur-forkserver";

inline std::vector<pid_t> forkserver_pids(pid_t parent = ::getpid()) {
  return children_with_cmdline(kForkServerMarker, parent);
}

inline int count_open_fds() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return -1;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n - 1;  // the DIR's own fd
}

inline std::string describe_open_fds() {
  std::string out;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return out;
  int self = ::dirfd(d);
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.' || std::atoi(e->d_name) == self) continue;
    char buf[512];
    std::string link = std::string("/proc/self/fd/") + e->d_name;
    ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    out += std::string(e->d_name) + "->" + buf + " ";
  }
  ::closedir(d);
  return out;
}

// ---------------------------------------------------------------- redirection

inline void flush_std_streams() {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
}

// Redirects `target_fd` (1 or 2) to `path` for the lifetime of the object.
class FdRedirect {
 public:
  FdRedirect(int target_fd, const std::string& path) : target_(target_fd) {
    flush_std_streams();
    saved_ = ::fcntl(target_fd, F_DUPFD_CLOEXEC, 10);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (saved_ < 0 || fd < 0) throw std::runtime_error("FdRedirect: open/dup failed");
    ::dup2(fd, target_fd);
    ::close(fd);
  }
  FdRedirect(const FdRedirect&) = delete;
  FdRedirect& operator=(const FdRedirect&) = delete;
  ~FdRedirect() {
    flush_std_streams();
    ::dup2(saved_, target_);
    ::close(saved_);
  }

 private:
  int target_;
  int saved_ = -1;
};

// ---------------------------------------------------------------- scenarios

struct SubprocessOptions {
  std::optional<std::string> stdout_path;  // redirect fd 1 of the scenario
  std::optional<std::string> stderr_path;  // redirect fd 2 of the scenario
  // true: leave through std::exit (atexit handlers and static destructors run,
  // as at the normal end of a program); false: _exit.
  bool normal_exit = true;
  std::chrono::duration<double> timeout = 60s;

  // Chainable setters: SubprocessOptions{}.capture_stderr(path).quick_exit().
  SubprocessOptions& capture_stdout(std::string path) {
    stdout_path = std::move(path);
    return *this;
  }
  SubprocessOptions& capture_stderr(std::string path) {
    stderr_path = std::move(path);
    return *this;
  }
  SubprocessOptions& quick_exit() {
    normal_exit = false;
    return *this;
  }
  SubprocessOptions& limit(std::chrono::duration<double> t) {
    timeout = t;
    return *this;
  }
};

struct SubprocessResult {
  pid_t pid = 0;
  bool timed_out = false;
  int status = 0;  // raw wait status
  bool exited_ok() const { return !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0; }
  std::string describe() const {
    if (timed_out) return "scenario timed out (killed)";
    if (WIFEXITED(status)) return "scenario exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "scenario killed by signal " + std::to_string(WTERMSIG(status));
    return "scenario ended with wait status " + std::to_string(status);
  }
};

// Forks a copy of the test process that runs `body` and then leaves with
// status 1 if `body` threw or any GoogleTest expectation failed in it, else 0.
inline SubprocessResult run_subprocess(const std::function<void()>& body, SubprocessOptions opt = {}) {
  flush_std_streams();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int code = 0;
    try {
      if (opt.stdout_path) {
        int fd = ::open(opt.stdout_path->c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::dup2(fd, 1);
        ::close(fd);
      }
      if (opt.stderr_path) {
        int fd = ::open(opt.stderr_path->c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::dup2(fd, 2);
        ::close(fd);
      }
      body();
      if (::testing::Test::HasFailure()) code = 1;
    } catch (const std::exception& e) {
      std::printf("scenario threw: %s\n", e.what());
      code = 2;
    } catch (...) {
      std::printf("scenario threw a non-std exception\n");
      code = 2;
    }
    flush_std_streams();
    if (opt.normal_exit) std::exit(code);
    ::_exit(code);
  }
  SubprocessResult r;
  r.pid = pid;
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(opt.timeout);
  for (;;) {
    pid_t w = ::waitpid(pid, &r.status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (Clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &r.status, 0);
      r.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(2ms);
  }
  return r;
}

// Splits into lines without their '\n'.
inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace concur_test

// ---------------------------------------------------------------- exceptions

namespace concur_test {

inline std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> p(abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && p ? std::string(p.get()) : std::string(mangled);
}

// A failure when `e` is not an E (nothing when it is).
template <class E>
std::optional<::testing::AssertionResult> wrong_type(const std::exception& e) {
  if constexpr (!std::is_same_v<E, std::exception>) {
    if (dynamic_cast<const E*>(&e) == nullptr)
      return ::testing::AssertionFailure() << "threw " << demangle(typeid(e).name()) << " (\"" << e.what()
                                           << "\") instead of " << demangle(typeid(E).name());
  }
  return std::nullopt;
}

// Succeeds when f() throws E whose what() starts with `prefix` (concur may
// append detail after CPython's words, never replace them). E must derive
// from std::exception.
template <class E, class F>
::testing::AssertionResult raises(F&& f, std::string_view prefix) {
  static_assert(std::is_base_of_v<std::exception, E>);
  try {
    f();
  } catch (const std::exception& e) {
    if (auto wrong = wrong_type<E>(e)) return *wrong;
    std::string_view what = e.what();
    if (what.substr(0, prefix.size()) == prefix) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << demangle(typeid(e).name()) << " message was \"" << what
                                         << "\", expected it to start with \"" << prefix << "\"";
  } catch (...) {
    return ::testing::AssertionFailure() << "threw a non-std exception instead of " << demangle(typeid(E).name());
  }
  return ::testing::AssertionFailure() << "did not throw " << demangle(typeid(E).name());
}

// Succeeds when f() throws E whose what() contains every one of `parts`.
template <class E, class F>
::testing::AssertionResult raises_containing(F&& f, std::initializer_list<std::string_view> parts) {
  static_assert(std::is_base_of_v<std::exception, E>);
  try {
    f();
  } catch (const std::exception& e) {
    if (auto wrong = wrong_type<E>(e)) return *wrong;
    std::string what = e.what();
    for (auto part : parts)
      if (what.find(part) == std::string::npos)
        return ::testing::AssertionFailure() << demangle(typeid(e).name()) << " message \"" << what
                                             << "\" does not contain \"" << part << "\"";
    return ::testing::AssertionSuccess();
  } catch (...) {
    return ::testing::AssertionFailure() << "threw a non-std exception instead of " << demangle(typeid(E).name());
  }
  return ::testing::AssertionFailure() << "did not throw " << demangle(typeid(E).name());
}

}  // namespace concur_test
