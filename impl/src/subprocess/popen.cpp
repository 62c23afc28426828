// subprocess.Popen on Boost.Process (CPython 3.11 Lib/subprocess.py,
// Modules/_posixsubprocess.c).
//
// What Boost.Process 1.74 does here, and what it cannot do:
//  * It starts the child: bp::child with bp::posix::use_vfork runs the
//    executor (vfork, our ChildSetup handler in the child, execve) and
//    reports an execve failure back through the shared vfork memory.
//    bp::search_path resolves program names in PATH.
//  * Its exe/args initializer makes argv[0] the resolved path, while CPython
//    passes args[0] unchanged (and `executable=` may differ from it), so
//    ChildSetup::on_setup sets exec.exe, exec.cmd_line and exec.env itself.
//  * bp::start_dir ignores a failing chdir() (the program would run in the
//    wrong directory), and an error set from a child handler in fork mode is
//    written in three pieces that the parent reads as two (it can misparse
//    them). ChildSetup therefore does the chdir itself and reports a failure
//    through the vfork-shared handler object.
//  * When execve fails Boost returns without reaping the child it forked (a
//    zombie per failed start); ChildSetup::on_error reaps it.
//  * Boost's vfork path neither blocks signals around vfork nor resets
//    handlers in the child, so a signal arriving between vfork and execve
//    would run a parent handler on the parent's stack. ChildSetup blocks all
//    signals in on_setup and resets caught handlers in the child, as glibc's
//    posix_spawn and CPython's _posixsubprocess do.
//  * bp::child::wait_for in 1.74 installs a process-wide SIGCHLD handler and
//    sleeps in sigtimedwait on an unblocked SIGCHLD (racy, and not safe with
//    other threads reaping), and ~child() kills a running child. So the
//    bp::child is detached at once; waiting is concur's: waitid(WNOWAIT) for
//    untimed waits, a pidfd with detail::poll_fds for timed ones, and
//    waitpid(WNOHANG) under a mutex to reap.
//  * Boost's pipes (bp::pipe, ipstream) block on one stream at a time and
//    have no timeouts; communicate() is one poll() loop over the three
//    concur-made pipes (detail::poll_fds), as CPython's _communicate.
// Boost 1.74 compiles its vfork executor only when _POSIX_C_SOURCE < 200809
// (POSIX 2008 dropped vfork), which is never the case under g++'s
// _GNU_SOURCE; Linux and glibc keep vfork, so enable it explicitly.
#define BOOST_POSIX_HAS_VFORK 1

#include "concur/subprocess/popen.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <system_error>
#include <vector>

#include <boost/process/child.hpp>
#include <boost/process/error.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/posix.hpp>
#include <boost/process/search_path.hpp>

#include "concur/errors.hpp"

namespace concur::subprocess {

namespace bp = boost::process;
using concur::detail::UniqueFd;
using clock = std::chrono::steady_clock;

namespace {

// ------------------------------------------------------------ SIGPIPE guard

// Blocks SIGPIPE in this thread while writing to a pipe whose reader may be
// gone; a SIGPIPE the write raised is consumed before unblocking, so it never
// reaches the process (CPython ignores SIGPIPE process-wide instead).
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old_);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  ~SigpipeBlock() {
    if (!was_pending_) {
      sigset_t pipe_only;
      sigemptyset(&pipe_only);
      sigaddset(&pipe_only, SIGPIPE);
      timespec zero{0, 0};
      while (sigtimedwait(&pipe_only, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t old_{};
  bool was_pending_ = false;
};

// ------------------------------------------------------------ text mode

std::string universal_newlines(std::string s) {
  if (s.find('\r') == std::string::npos) return s;
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += '\n';
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

// ------------------------------------------------------------ reaping

int returncode_of(int status) {
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return status;  // CPython raises SubprocessError("Unknown child exit status!"); not reachable with WEXITED
}

// CPython's _active list: children of destroyed Popens that were still
// running, reaped by the next Popen's constructor (_cleanup()). Heap-allocated
// and never destroyed, so Popens destroyed during static destruction work.
struct ActiveList {
  std::mutex mu;
  std::vector<pid_t> pids;
};
ActiveList& active() {
  static auto* list = new ActiveList;
  return *list;
}

void cleanup_active() {
  auto& a = active();
  std::lock_guard lock(a.mu);
  std::erase_if(a.pids, [](pid_t pid) {
    int status;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    return r == pid || (r < 0 && errno == ECHILD);
  });
}

// ------------------------------------------------------------ the child

// Runs in the vfork child, between vfork and execve (Modules/_posixsubprocess.c
// child_exec): only async-signal-safe calls, no allocation.
struct ChildPlan {
  const char* exe = nullptr;
  char* const* argv = nullptr;
  char** envp = nullptr;  // nullptr: environ
  const char* cwd = nullptr;
  int p2cread = -1, c2pwrite = -1, errwrite = -1;
  bool close_fds = true;
  bool new_session = false;
  const int* pass_fds = nullptr;  // sorted, unique, all >= 3
  std::size_t n_pass = 0;
};

void clear_cloexec(int fd) {
  int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
}

// Marks fds [lo, hi] close-on-exec (or closes them on kernels before 5.11).
void cloexec_range(unsigned lo, unsigned hi) {
  if (lo > hi) return;
  if (::close_range(lo, hi, CLOSE_RANGE_CLOEXEC) == 0) return;
  ::close_range(lo, hi, 0);
}

// Returns 0, or the errno of the chdir that failed.
int child_exec_setup(const ChildPlan& p) {
  // Reset caught handlers: they must not run in the child (which shares the
  // parent's memory until execve). Ignored signals stay ignored, except
  // SIGPIPE and SIGXFSZ (CPython's restore_signals=True).
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    struct sigaction sa;
    if (::sigaction(sig, nullptr, &sa) != 0) continue;
    bool ignored = sa.sa_handler == SIG_IGN && !(sa.sa_flags & SA_SIGINFO);
    bool dfl = sa.sa_handler == SIG_DFL && !(sa.sa_flags & SA_SIGINFO);
    if (dfl || (ignored && sig != SIGPIPE && sig != SIGXFSZ)) continue;
    struct sigaction def{};
    def.sa_handler = SIG_DFL;
    sigemptyset(&def.sa_mask);
    ::sigaction(sig, &def, nullptr);
  }
  if (p.new_session) ::setsid();

  // Standard streams, as child_exec: first move fds that sit on a lower
  // standard slot out of the way, then dup2 them into place.
  int p2cread = p.p2cread, c2pwrite = p.c2pwrite, errwrite = p.errwrite;
  if (c2pwrite == 0) c2pwrite = ::dup(c2pwrite);
  while (errwrite == 0 || errwrite == 1) errwrite = ::dup(errwrite);
  auto place = [](int fd, int target) {
    if (fd == target)
      clear_cloexec(fd);
    else if (fd >= 0)
      ::dup2(fd, target);
  };
  place(p2cread, 0);
  place(c2pwrite, 1);
  place(errwrite, 2);

  if (p.close_fds) {
    unsigned next = 3;
    for (std::size_t i = 0; i < p.n_pass; ++i) {
      unsigned fd = static_cast<unsigned>(p.pass_fds[i]);
      if (fd > next) cloexec_range(next, fd - 1);
      clear_cloexec(static_cast<int>(fd));
      next = fd + 1;
    }
    cloexec_range(next, ~0U);
  } else {
    for (std::size_t i = 0; i < p.n_pass; ++i) clear_cloexec(p.pass_fds[i]);
  }

  if (p.cwd != nullptr && ::chdir(p.cwd) != 0) return errno;
  return 0;
}

// The Boost.Process handler: sets exe/argv/env, blocks signals around vfork,
// runs child_exec_setup in the child, records failures (in memory the vfork
// child shares with the parent) and reaps a child whose exec failed.
struct ChildSetup : bp::extend::handler {
  ChildPlan plan;
  sigset_t saved_mask{};
  bool masked = false;
  // Written by the vfork child before it _exits; read by the parent after.
  int exec_errno = 0;
  int chdir_errno = 0;
  pid_t failed_pid = -1;

  template <class Executor>
  void on_setup(Executor& e) {
    e.exe = plan.exe;
    e.cmd_line = plan.argv;
    if (plan.envp != nullptr) e.env = plan.envp;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved_mask);
    masked = true;
  }
  template <class Executor>
  void on_exec_setup(Executor&) {
    int err = child_exec_setup(plan);
    if (err != 0) {
      chdir_errno = err;
      ::_exit(255);
    }
    pthread_sigmask(SIG_SETMASK, &saved_mask, nullptr);  // the program starts with the parent's mask
  }
  template <class Executor>
  void on_exec_error(Executor&, const std::error_code& ec) {
    exec_errno = ec.value() != 0 ? ec.value() : ENOEXEC;
  }
  template <class Executor>
  void on_success(Executor&) {
    unmask();
  }
  template <class Executor>
  void on_error(Executor& e, const std::error_code&) {
    unmask();
    if (e.pid > 0) reap(e.pid);
  }
  template <class Executor>
  void on_fork_error(Executor&, const std::error_code&) {}

  void unmask() {
    if (masked) pthread_sigmask(SIG_SETMASK, &saved_mask, nullptr);
    masked = false;
  }
  static void reap(pid_t pid) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
};

// CPython: OSError subclass by errno, naming the file (the program or cwd).
[[noreturn]] void throw_os_error(int err, const std::string& filename) {
  if (err == ENOENT) throw FileNotFoundError(filename);
  if (err == EACCES) throw PermissionError(filename);
  throw std::system_error(err, std::generic_category(), concur::detail::os_error_text(err, filename));
}

// os.get_exec_path(env): PATH of env (if given) or of this process, else
// os.defpath.
std::vector<boost::filesystem::path> exec_path(const std::optional<std::map<std::string, std::string>>& env) {
  std::string path;
  if (env) {
    auto it = env->find("PATH");
    path = it != env->end() ? it->second : "/bin:/usr/bin";
  } else {
    const char* p = std::getenv("PATH");
    path = p != nullptr ? p : "/bin:/usr/bin";
  }
  std::vector<boost::filesystem::path> dirs;
  std::size_t start = 0;
  for (;;) {
    std::size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    dirs.emplace_back(dir.empty() ? "." : dir);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return dirs;
}

}  // namespace

// What communicate() read from one pipe: uninitialized chunks of growing size
// (64 KiB .. 8 MiB), joined once at the end (CPython joins a list of bytes).
// Neither zero-fills nor re-copies as a doubling std::string would; the
// profile of BM_PopenCommunicate/16777216 was dominated by exactly that.
class Popen::Sink {
 public:
  void append(std::string_view bytes) {
    if (bytes.empty()) return;
    reserve(bytes.size());
    std::memcpy(chunks_.back().data.get() + chunks_.back().used, bytes.data(), bytes.size());
    chunks_.back().used += bytes.size();
    total_ += bytes.size();
  }
  // Reads what is available from fd. Returns false at EOF.
  bool read_from(int fd) {
    reserve(1);
    Chunk& c = chunks_.back();
    for (;;) {
      ssize_t n = ::read(fd, c.data.get() + c.used, c.cap - c.used);
      if (n > 0) {
        c.used += static_cast<std::size_t>(n);
        total_ += static_cast<std::size_t>(n);
        return true;
      }
      if (n == 0) return false;
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return true;
      concur::detail::throw_errno("read");
    }
  }
  std::size_t size() const noexcept { return total_; }
  std::string str() const {
    std::string out;
    out.reserve(total_);
    for (const auto& c : chunks_) out.append(c.data.get(), c.used);
    return out;
  }

 private:
  struct Chunk {
    std::unique_ptr<char[]> data;
    std::size_t cap = 0, used = 0;
  };
  void reserve(std::size_t n) {
    if (!chunks_.empty() && chunks_.back().cap - chunks_.back().used >= n) return;
    std::size_t cap = chunks_.empty() ? std::size_t{1} << 16 : std::min(chunks_.back().cap * 2, std::size_t{8} << 20);
    cap = std::max(cap, n);
    chunks_.push_back(Chunk{std::make_unique_for_overwrite<char[]>(cap), cap, 0});
  }
  std::vector<Chunk> chunks_;
  std::size_t total_ = 0;
};

namespace {

}  // namespace

// ------------------------------------------------------------ File

void File::write(std::string_view data) {
  SigpipeBlock guard;
  concur::detail::write_all(fd_.get(), data);
}

bool File::fill() {
  std::size_t len = buffer_.size();
  buffer_.resize(len + 65536);
  for (;;) {
    ssize_t n = ::read(fd_.get(), buffer_.data() + len, 65536);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      buffer_.resize(len);
      concur::detail::throw_errno("read");
    }
    buffer_.resize(len + static_cast<std::size_t>(n));
    return n > 0;
  }
}

std::string File::read() {
  std::string out = take_buffered() + concur::detail::read_to_end(fd_.get());
  return text_ ? universal_newlines(std::move(out)) : out;
}

std::string File::read(std::size_t n) {
  while (buffer_.size() < n && fill()) {
  }
  std::string out = buffer_.substr(0, n);
  buffer_.erase(0, out.size());
  return text_ ? universal_newlines(std::move(out)) : out;
}

std::string File::readline() {
  std::size_t nl;
  std::size_t scanned = 0;
  while ((nl = buffer_.find('\n', scanned)) == std::string::npos) {
    scanned = buffer_.size();
    if (!fill()) break;
  }
  std::size_t take = nl == std::string::npos ? buffer_.size() : nl + 1;
  std::string out = buffer_.substr(0, take);
  buffer_.erase(0, take);
  return text_ ? universal_newlines(std::move(out)) : out;
}

// ------------------------------------------------------------ Popen

struct Popen::State {
  Args args;
  pid_t pid = -1;
  bool text = false;
  std::optional<File> in, out, err;

  mutable std::mutex mu;  // guards returncode, pidfd and reaping
  std::optional<int> returncode;
  UniqueFd pidfd;  // opened by the first timed wait

  // communicate() state, kept across a timed-out call (CPython's _input,
  // _input_offset, _fileobj2output, _communication_started).
  bool communication_started = false;
  std::string_view pending;  // input not yet written (the caller's buffer, or `input`)
  std::string input;         // a copy of `pending`, made when a call times out
  Sink out_buf, err_buf;

  explicit State(Args a) : args(std::move(a)) {}

  // Precondition: mu held.
  void poll_locked() {
    if (returncode) return;
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid)
      returncode = returncode_of(status);
    else if (r < 0 && errno == ECHILD)
      returncode = 0;  // reaped behind our back (CPython does the same)
  }
};

Popen::Popen(Args args, PopenOptions o) {
  cleanup_active();
  if (args.argv().empty()) throw IndexError("list index out of range");
  auto s = std::make_unique<State>(std::move(args));
  s->text = o.text;

  // The argv the program sees and the file to exec (CPython _execute_child).
  std::vector<std::string> argv = s->args.argv();
  std::optional<std::string> executable = o.executable;
  if (o.shell) {
    argv.insert(argv.begin(), {"/bin/sh", "-c"});
    if (executable) argv[0] = *executable;
    executable = argv[0];
  }
  std::string orig_executable = executable ? *executable : argv[0];
  std::string exe_path = orig_executable;
  if (exe_path.find('/') == std::string::npos) {
    boost::filesystem::path found = bp::search_path(exe_path, exec_path(o.env));
    if (found.empty()) throw FileNotFoundError(orig_executable);
    exe_path = found.string();
  }

  // Streams (CPython _get_handles). Child ends are closed when this scope
  // ends; the parent's ends move into File objects.
  UniqueFd devnull, p2cread, c2pwrite, errwrite;
  ChildPlan plan;
  auto open_devnull = [&]() -> int {
    if (!devnull) {
      devnull.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
      if (!devnull) concur::detail::throw_errno("open /dev/null");
    }
    return devnull.get();
  };
  if (o.stdin) {
    int v = o.stdin->value();
    if (v == PIPE) {
      auto [r, w] = concur::detail::make_pipe();
      p2cread = std::move(r);
      plan.p2cread = p2cread.get();
      s->in.emplace(std::move(w), o.text);
    } else if (v == DEVNULL) {
      plan.p2cread = open_devnull();
    } else if (v >= 0) {
      plan.p2cread = v;
    } else {
      throw ValueError("stdin must be PIPE, DEVNULL, a file descriptor or a File, not " + std::to_string(v));
    }
  }
  if (o.stdout) {
    int v = o.stdout->value();
    if (v == PIPE) {
      auto [r, w] = concur::detail::make_pipe();
      c2pwrite = std::move(w);
      plan.c2pwrite = c2pwrite.get();
      s->out.emplace(std::move(r), o.text);
    } else if (v == DEVNULL) {
      plan.c2pwrite = open_devnull();
    } else if (v >= 0) {
      plan.c2pwrite = v;
    } else {
      throw ValueError("stdout must be PIPE, DEVNULL, a file descriptor or a File, not " + std::to_string(v));
    }
  }
  if (o.stderr) {
    int v = o.stderr->value();
    if (v == PIPE) {
      auto [r, w] = concur::detail::make_pipe();
      errwrite = std::move(w);
      plan.errwrite = errwrite.get();
      s->err.emplace(std::move(r), o.text);
    } else if (v == DEVNULL) {
      plan.errwrite = open_devnull();
    } else if (v == STDOUT) {
      plan.errwrite = plan.c2pwrite >= 0 ? plan.c2pwrite : 1;
    } else if (v >= 0) {
      plan.errwrite = v;
    } else {
      throw ValueError("stderr must be PIPE, DEVNULL, STDOUT, a file descriptor or a File, not " + std::to_string(v));
    }
  }

  // Everything the child reads is prepared here: it must not allocate.
  std::vector<char*> c_argv;
  c_argv.reserve(argv.size() + 1);
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  std::vector<char*> c_env;
  if (o.env) {
    for (const auto& [k, v] : *o.env) env_strings.push_back(k + "=" + v);
    for (auto& e : env_strings) c_env.push_back(e.data());
    c_env.push_back(nullptr);
  }
  std::vector<int> pass = o.pass_fds;
  std::erase_if(pass, [](int fd) { return fd < 3; });
  std::sort(pass.begin(), pass.end());
  pass.erase(std::unique(pass.begin(), pass.end()), pass.end());

  plan.exe = exe_path.c_str();
  plan.argv = c_argv.data();
  plan.envp = o.env ? c_env.data() : nullptr;
  plan.cwd = o.cwd ? o.cwd->c_str() : nullptr;
  plan.close_fds = o.close_fds;
  plan.new_session = o.start_new_session;
  plan.pass_fds = pass.data();
  plan.n_pass = pass.size();

  ChildSetup setup;
  setup.plan = plan;
  std::error_code ec;
  bp::child child(setup, bp::error(ec), bp::posix::use_vfork);
  if (setup.chdir_errno != 0 || setup.exec_errno != 0 || ec) {
    if (child.valid() && child.id() > 0) ChildSetup::reap(child.id());
    child.detach();
    if (setup.chdir_errno != 0) throw_os_error(setup.chdir_errno, *o.cwd);
    if (setup.exec_errno != 0) throw_os_error(setup.exec_errno, orig_executable);
    throw std::system_error(ec.value(), std::generic_category(), "vfork");
  }
  s->pid = child.id();
  child.detach();  // concur reaps (see the file comment)
  s_ = std::move(s);
}

Popen::Popen(Popen&&) noexcept = default;

Popen& Popen::operator=(Popen&& o) noexcept {
  if (this != &o) {
    Popen dying(std::move(*this));
    s_ = std::move(o.s_);
  }
  return *this;
}

Popen::~Popen() {
  if (!s_) return;
  s_->in.reset();
  s_->out.reset();
  s_->err.reset();
  std::lock_guard lock(s_->mu);
  s_->poll_locked();
  if (!s_->returncode) {
    auto& a = active();
    std::lock_guard alock(a.mu);
    a.pids.push_back(s_->pid);
  }
}

const Args& Popen::args() const noexcept { return s_->args; }
pid_t Popen::pid() const noexcept { return s_->pid; }

std::optional<int> Popen::returncode() const {
  std::lock_guard lock(s_->mu);
  return s_->returncode;
}

File* Popen::stdin() noexcept { return s_->in ? &*s_->in : nullptr; }
File* Popen::stdout() noexcept { return s_->out ? &*s_->out : nullptr; }
File* Popen::stderr() noexcept { return s_->err ? &*s_->err : nullptr; }

std::optional<int> Popen::poll() {
  std::lock_guard lock(s_->mu);
  s_->poll_locked();
  return s_->returncode;
}

int Popen::wait(Timeout timeout) {
  State& s = *s_;
  if (!timeout) {
    for (;;) {
      if (auto rc = poll()) return *rc;
      siginfo_t info{};
      // Sleep until the child ended, without reaping: reaping happens in
      // poll() under the mutex, so concurrent waiters never race on the pid.
      if (::waitid(P_PID, static_cast<id_t>(s.pid), &info, WEXITED | WNOWAIT) != 0 && errno != EINTR) {
        std::lock_guard lock(s.mu);
        s.poll_locked();
        if (!s.returncode) s.returncode = 0;  // ECHILD: reaped elsewhere
        return *s.returncode;
      }
    }
  }
  const auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(std::max(*timeout, timeout->zero()));
  for (;;) {
    int fd;
    {
      std::lock_guard lock(s.mu);
      s.poll_locked();
      if (s.returncode) return *s.returncode;
      if (!s.pidfd) s.pidfd = concur::detail::pidfd_open(s.pid);  // safe: not reaped, under mu
      fd = s.pidfd.get();
    }
    auto left = std::chrono::duration<double>(deadline - clock::now());
    if (!concur::detail::wait_readable(fd, std::max(left, left.zero()))) {
      if (auto rc = poll()) return *rc;
      throw TimeoutExpired(s.args, *timeout);
    }
  }
}

Popen::Output Popen::communicate(std::optional<std::string_view> input, Timeout timeout) {
  State& s = *s_;
  // CPython: "if self._communication_started and input: raise ValueError".
  // The input is written from the caller's buffer; only a timed-out call
  // keeps a copy of what is left (CPython keeps a reference to the bytes).
  if (s.communication_started && input && !input->empty())
    throw ValueError("Cannot send input after starting communication");
  const auto deadline = timeout ? clock::now() + std::chrono::duration_cast<clock::duration>(
                                                     std::max(*timeout, timeout->zero()))
                                : clock::time_point::max();
  if (!s.communication_started) {
    s.communication_started = true;
    if (s.in) {
      if (input && !input->empty()) {
        s.pending = *input;
        int flags = ::fcntl(s.in->fileno(), F_GETFL);
        ::fcntl(s.in->fileno(), F_SETFL, flags | O_NONBLOCK);
      } else {
        s.in->close();
      }
    }
    // What readline() already buffered comes first.
    if (s.out && !s.out->closed()) s.out_buf.append(s.out->take_buffered());
    if (s.err && !s.err->closed()) s.err_buf.append(s.err->take_buffered());
  }

  auto partial = [&](const std::optional<File>& f, const Sink& buf) {
    return f && buf.size() > 0 ? std::optional<std::string>(buf.str()) : std::nullopt;
  };

  auto keep_pending_input = [&] {
    if (s.pending.data() != s.input.data()) {
      s.input.assign(s.pending);
      s.pending = s.input;
    }
  };

  // One poll() loop over the three pipes (CPython _communicate's selector).
  // SIGPIPE stays blocked in this thread for the loop (see SigpipeBlock).
  SigpipeBlock guard;
  for (;;) {
    pollfd fds[3];
    File* files[3];
    int n = 0;
    if (s.in && !s.in->closed()) {
      fds[n] = {s.in->fileno(), POLLOUT, 0};
      files[n++] = &*s.in;
    }
    if (s.out && !s.out->closed()) {
      fds[n] = {s.out->fileno(), POLLIN, 0};
      files[n++] = &*s.out;
    }
    if (s.err && !s.err->closed()) {
      fds[n] = {s.err->fileno(), POLLIN, 0};
      files[n++] = &*s.err;
    }
    if (n == 0) break;
    Timeout left;
    if (timeout) left = std::max(std::chrono::duration<double>(deadline - clock::now()), std::chrono::duration<double>::zero());
    if (concur::detail::poll_fds({fds, static_cast<std::size_t>(n)}, left) == 0) {
      keep_pending_input();
      throw TimeoutExpired(s.args, *timeout, partial(s.out, s.out_buf), partial(s.err, s.err_buf));
    }
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      File* f = files[i];
      if (s.in && f == &*s.in) {
        std::size_t todo = std::min<std::size_t>(s.pending.size(), std::size_t{1} << 20);
        ssize_t w = ::write(f->fileno(), s.pending.data(), todo);
        if (w > 0) s.pending.remove_prefix(static_cast<std::size_t>(w));
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
          if (errno != EPIPE) concur::detail::throw_errno("write");
          f->close();  // the child stopped reading: CPython ignores BrokenPipeError
        } else if (s.pending.empty()) {
          f->close();
        }
      } else {
        Sink& buf = s.out && f == &*s.out ? s.out_buf : s.err_buf;
        if (!buf.read_from(f->fileno())) f->close();
      }
    }
  }
  s.input = std::string();
  s.pending = {};

  Timeout left;
  if (timeout) left = std::max(std::chrono::duration<double>(deadline - clock::now()), std::chrono::duration<double>::zero());
  try {
    wait(left);
  } catch (const TimeoutExpired&) {
    throw TimeoutExpired(s.args, *timeout, partial(s.out, s.out_buf), partial(s.err, s.err_buf));
  }

  // The chunks are kept: a later call returns the same outputs again, as
  // CPython's _fileobj2output lists outlive the call
  // (conformance/cpython/subprocess_io). They are freed with the Popen.
  auto result = [&](const std::optional<File>& f, const Sink& buf) -> std::optional<std::string> {
    if (!f) return std::nullopt;
    std::string r = buf.str();
    return s.text ? universal_newlines(std::move(r)) : r;
  };
  return {result(s.out, s.out_buf), result(s.err, s.err_buf)};
}

void Popen::send_signal(int sig) {
  std::lock_guard lock(s_->mu);
  s_->poll_locked();
  if (s_->returncode) return;  // never signal a reaped pid (it may be reused)
  if (::kill(s_->pid, sig) != 0 && errno != ESRCH) concur::detail::throw_errno("kill");
}

void Popen::terminate() { send_signal(SIGTERM); }
void Popen::kill() { send_signal(SIGKILL); }

}  // namespace concur::subprocess
