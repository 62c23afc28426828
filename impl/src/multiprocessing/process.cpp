#include "concur/multiprocessing/process.hpp"

#include <cxxabi.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <ostream>
#include <system_error>

#include "concur/detail/inheritance.hpp"
#include "concur/detail/type_name.hpp"
#include "concur/multiprocessing/context.hpp"
#include "concur/multiprocessing/logging.hpp"
#include "concur/multiprocessing/resource_tracker.hpp"
#include "internal.hpp"

namespace concur::multiprocessing {
namespace detail {
namespace {

// Module state of CPython's process.py (_current_process, _process_counter,
// _children, _parent_process). Heap-allocated and never destroyed: the atexit
// hook and forked children use it after static destructors may have run.
struct ModuleState {
  ModuleState() : current(ProcessAccess::make_main()) {}
  std::mutex mu;  // guards children and the owner pointers inside them
  std::vector<std::shared_ptr<Popen>> children;
  Process* current = nullptr;
  std::atomic<int> counter{1};
  std::optional<ParentProcess> parent;
};

ModuleState& state() {
  static ModuleState* s = new ModuleState();
  return *s;
}

// Drops children that have ended (CPython _cleanup).
void cleanup_children() {
  auto& s = state();
  std::lock_guard lock(s.mu);
  std::erase_if(s.children, [](const std::shared_ptr<Popen>& p) { return p->poll().has_value(); });
}

std::vector<std::shared_ptr<Popen>> snapshot_children() {
  cleanup_children();
  auto& s = state();
  std::lock_guard lock(s.mu);
  return s.children;
}

// Number of threads of this process: /proc/self/task has one link per thread
// plus "." and "..". One stat(2), cheap enough for every fork.
int thread_count() noexcept {
  struct stat st{};
  if (::stat("/proc/self/task", &st) != 0) return 1;
  return static_cast<int>(st.st_nlink) - 2;
}

void redirect_stdin_to_devnull() noexcept {
  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  if (fd != STDIN_FILENO) {
    ::dup2(fd, STDIN_FILENO);  // dup2 clears FD_CLOEXEC on the new fd
    ::close(fd);
  } else {
    ::fcntl(fd, F_SETFD, 0);
  }
}

}  // namespace

thread_local bool t_quiet_fork_warning = false;

int decode_wait_status(int status) noexcept {
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return WEXITSTATUS(status);
}

void flush_std_streams() noexcept {
  try {
    std::cout.flush();
    std::cerr.flush();
    std::clog.flush();
  } catch (...) {
  }
  std::fflush(nullptr);
}

// ---- Popen ---------------------------------------------------------------

std::optional<int> Popen::poll() {
  std::lock_guard lock(mu_);
  if (!returncode_) returncode_ = try_collect();
  return returncode_;
}

bool Popen::block_until_exit(Timeout timeout) { return concur::detail::wait_readable(sentinel(), timeout); }

std::optional<int> Popen::wait(Timeout timeout) {
  if (auto rc = poll()) return rc;
  if (!block_until_exit(timeout)) return std::nullopt;
  return poll();
}

void Popen::send_signal(int sig) {
  {
    std::lock_guard lock(mu_);
    if (returncode_) return;
    // Holding mu_: nobody can reap the child meanwhile, so pid_ is still ours.
    if (::kill(pid_, sig) == 0 || errno == ESRCH) return;
  }
  int err = errno;
  // CPython popen_fork._send_signal: tolerate a child that is just exiting.
  if (!wait(std::chrono::duration<double>(0.1))) concur::detail::throw_errno(err, "kill");
}

std::optional<int> ChildPopen::try_collect() {
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) return decode_wait_status(status);
  if (r == 0) return std::nullopt;
  if (errno == ECHILD) {
    // Someone else reaped it (a waitpid(-1) elsewhere, or SIGCHLD set to
    // SIG_IGN): the status is lost. Report it rather than hang forever.
    get_logger().warning("cannot collect the exit status of " + name_ + " (pid " + std::to_string(pid_) +
                         "): it was reaped elsewhere; is SIGCHLD ignored?");
    return 255;
  }
  concur::detail::throw_errno("waitpid");
}

bool ChildPopen::block_until_exit(Timeout timeout) {
  if (timeout) return Popen::block_until_exit(timeout);
  // Untimed join: wait without reaping (WNOWAIT), then reap in poll() under
  // the lock. Saves opening a pidfd on the start()+join() path.
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) != 0) {
    if (errno == EINTR) continue;
    if (errno == ECHILD) return true;  // already reaped; poll() reports it
    concur::detail::throw_errno("waitid");
  }
  return true;
}

int ChildPopen::sentinel() {
  std::lock_guard lock(mu_);
  if (!pidfd_) {
    if (returncode_) {
      // Reaped already: any fd that polls readable at once will do.
      auto [r, w] = concur::detail::make_pipe();
      pidfd_ = std::move(r);
    } else {
      pidfd_ = concur::detail::pidfd_open(pid_);  // safe: unreaped, so pid_ is ours
    }
  }
  return pidfd_.get();
}

void ChildPopen::close() {
  std::lock_guard lock(mu_);
  pidfd_.reset();
}

std::optional<int> ForkServerPopen::try_collect() {
  if (!status_) return 255;
  int32_t code = 0;
  ssize_t n;
  do {
    n = ::recv(status_.get(), &code, sizeof code, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n == sizeof code) return code;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::nullopt;
  // EOF or error: the server died before reporting (CPython: returncode 255).
  return 255;
}

// ---- ProcessAccess -------------------------------------------------------

Process* ProcessAccess::make_main() { return new Process(Process::MainTag{}); }  // never destroyed

void ProcessAccess::set_popen(Process& p, std::shared_ptr<Popen> popen) {
  auto& s = state();
  std::lock_guard lock(s.mu);
  popen->owner = &p;
  p.popen_ = popen;
  s.children.push_back(std::move(popen));
}

ChildPayload ProcessAccess::make_payload(const Process& p) {
  ChildPayload pl;
  if (typeid(p) != typeid(Process)) {
    auto cls = concur::detail::class_name(typeid(p));
    const ClassEntry* entry = find_class(std::type_index(typeid(p)));
    if (!entry) {
      throw PicklingError("Can't pickle <class '" + cls + "'>: Process subclass '" + cls +
                          "' is not registered for a fresh process image; add CONCUR_REGISTER_PROCESS(" + cls +
                          ") at namespace scope (the class needs a default constructor and a cereal "
                          "serialize()), or use the 'fork' start method");
    }
    pl.class_name = entry->name;
    pl.class_state = entry->save(p);
  }
  if (p.target_) {
    if (!p.spawn_target_) {
      throw PicklingError("Can't pickle target of type '" + concur::detail::class_name(*p.target_type_) +
                          "': only free functions registered with CONCUR_REGISTER_TARGET(fn) can start in a fresh "
                          "process image (spawn, forkserver); register one, or use the 'fork' start method");
    }
    SpawnTarget t = p.spawn_target_();
    find_target(t.name);  // throws PicklingError if the name is ambiguous
    pl.target_name = std::move(t.name);
    pl.target_args = std::move(t.args);
  }
  pl.name = p.name();
  pl.identity = p.identity_;
  pl.daemon = p.daemon_;
  pl.parent_pid = static_cast<int>(::getpid());
  pl.parent_name = current_process().name();
  pl.log_level = get_logger().level();
  pl.log_to_stderr = get_logger().has_stderr_handler();
  if (auto m = get_start_method(true)) pl.forced_start_method = std::string(*m);
  if (p.context_) pl.context_method = std::string(p.context_->get_start_method());
  // CPython popen_spawn_posix / forkserver: the child shares the parent's
  // resource tracker (started now if need be), so a segment a child creates
  // lives until the whole program is done, not just the child.
  pl.tracker_slot = concur::detail::send_fd_to_child(resource_tracker::getfd());
  return pl;
}

int ProcessAccess::bootstrap_child(Process& self, std::string parent_name, pid_t parent_pid, int parent_pidfd) {
  auto& s = state();
  {
    // Fresh module state (CPython resets _process_counter and _children).
    // The inherited Popen objects only release their fd copies. Writes are
    // skipped when there is nothing to reset: each written page costs a
    // copy-on-write fault in a forked child.
    std::lock_guard lock(s.mu);
    if (!s.children.empty()) s.children.clear();
    s.current = &self;
    if (s.counter.load(std::memory_order_relaxed) != 1) s.counter.store(1);
  }
  forkserver_after_fork();
  context_after_fork();
  // CPython _bootstrap: a ForkProcess / SpawnProcess / ForkServerProcess
  // (ctx.Process) fixes its context's method as the child's default; a plain
  // Process keeps the parent's default (inherited, or from the payload).
  if (self.context_) set_start_method(self.context_->get_start_method(), true);
  ParentProcess parent;
  parent.name_ = std::move(parent_name);
  parent.pid_ = parent_pid;
  // -1: a direct child opens the pidfd lazily (ParentProcess::sentinel());
  // -2: the parent was already gone when the forkserver forked us.
  parent.sentinel_ = parent_pidfd >= 0 ? parent_pidfd : -1;
  parent.direct_child_ = parent_pidfd == -1;
  s.parent = std::move(parent);
  redirect_stdin_to_devnull();

  const Logger& log = get_logger();
  log.info("child process calling self.run()");
  int exitcode = 1;
  std::string failure;
  bool failed = false;
  try {
    try {
      self.run();
      exitcode = 0;
    } catch (...) {
      exit_function();
      throw;
    }
    exit_function();
  } catch (const SystemExit& e) {
    if (e.message()) {
      std::string m = *e.message() + "\n";
      std::fputs(m.c_str(), stderr);
      exitcode = 1;
    } else {
      exitcode = e.code().value_or(0);
    }
  } catch (const std::exception& e) {
    failed = true;
    failure = concur::detail::type_name(typeid(e)) + ": " + e.what();
  } catch (...) {
    failed = true;
    failure = "unknown exception (not derived from std::exception)";
  }
  if (failed) {
    // CPython: 'Process %s:' then the traceback.
    std::string m = "Process " + self.name() + ":\n" + failure + "\n";
    std::fflush(stdout);
    std::fputs(m.c_str(), stderr);
    exitcode = 1;
  }
  log.info("process exiting with exitcode " + std::to_string(exitcode));
  flush_std_streams();
  return exitcode;
}

// ---- exit hook -------------------------------------------------------------

void exit_function() {
  static std::atomic<bool> exiting{false};
  if (exiting.exchange(true)) return;
  const Logger& log = get_logger();
  log.info("process shutting down");
  log.debug("running all \"atexit\" finalizers with priority >= 0");
  for (auto& p : snapshot_children()) {
    if (p->daemon()) {
      log.info("calling terminate() for daemon " + p->name());
      try {
        p->send_signal(SIGTERM);
      } catch (...) {
      }
    }
  }
  for (auto& p : snapshot_children()) {
    log.info("calling join() for process " + p->name());
    try {
      p->wait(std::nullopt);
    } catch (...) {
    }
  }
  cleanup_children();
  log.debug("running the remaining \"atexit\" finalizers");
}

void ensure_exit_hook() {
  static std::once_flag once;
  std::call_once(once, [] { std::atexit([] { exit_function(); }); });
}

}  // namespace detail

// ---- Process ---------------------------------------------------------------

using detail::state;

Process::Process() : Process(ProcessOptions{}) {}

Process::Process(ProcessOptions options) {
  Process& cur = current_process();
  identity_ = cur.identity_;
  identity_.push_back(state().counter.fetch_add(1));
  daemon_ = options.daemon.value_or(cur.daemon_);
  if (options.name) name_ = std::move(options.name);
  parent_pid_ = ::getpid();
}

Process::Process(MainTag) : name_("MainProcess"), is_main_(true) {}

Process::Process(Process&& o) noexcept
    : target_(std::move(o.target_)),
      spawn_target_(std::move(o.spawn_target_)),
      target_type_(o.target_type_),
      context_(o.context_),
      identity_(std::move(o.identity_)),
      name_(std::move(o.name_)),
      daemon_(o.daemon_),
      parent_pid_(o.parent_pid_),
      closed_(o.closed_),
      is_main_(o.is_main_) {
  auto& s = state();
  std::lock_guard lock(s.mu);
  popen_ = std::move(o.popen_);
  if (popen_) popen_->owner = this;
}

Process::~Process() {
  if (!popen_) return;
  bool ended = false;
  try {
    ended = popen_->poll().has_value();
  } catch (...) {
  }
  auto& s = state();
  std::lock_guard lock(s.mu);
  if (popen_->owner == this) popen_->owner = nullptr;
  // An ended child is released with its object. A running one stays in the
  // registry (CPython's _children keeps it) and is reaped by
  // active_children() or at exit.
  if (ended) std::erase(s.children, popen_);
}

void Process::run() {
  if (target_) target_();
}

void Process::check_closed() const {
  if (closed_) throw ValueError("process object is closed");
}

void Process::start() {
  check_closed();
  if (popen_) throw AssertionError("cannot start a process twice");
  if (parent_pid_ != ::getpid()) throw AssertionError("can only start a process object created by current process");
  if (current_process().daemon()) throw AssertionError("daemonic processes are not allowed to have children");
  detail::cleanup_children();
  detail::ensure_exit_hook();

  const StartMethod method = context_ ? context_->start_method() : get_context().start_method();
  const std::string& nm = name();
  // CPython popen_fork.Popen.__init__ (base of all three Popen classes)
  // flushes first: a forked child would repeat buffered output, and under
  // spawn/forkserver the parent's pending output would appear after the
  // child's.
  detail::flush_std_streams();

  if (method == StartMethod::fork) {
    if (int n = detail::thread_count(); n > 1 && !detail::t_quiet_fork_warning) {
      get_logger().warning("This process (pid=" + std::to_string(::getpid()) +
                           ") is multi-threaded, use of fork() may lead to deadlocks in the child.");
    }
    const pid_t parent = ::getpid();
    const std::string parent_name = current_process().name();
    pid_t pid;
    {
      // Nobody holds the registry lock across fork, so the child may use it.
      std::lock_guard lock(state().mu);
      pid = ::fork();
    }
    if (pid < 0) concur::detail::throw_errno("fork");
    if (pid == 0) {
      int code = detail::ProcessAccess::bootstrap_child(*this, parent_name, parent, -1);
      ::_exit(code);
    }
    detail::ProcessAccess::set_popen(*this, std::make_shared<detail::ChildPopen>(pid, nm, daemon_));
    release_target();
    return;
  }

  if (!detail::is_bootstrapped()) {
    throw RuntimeError(
        "An attempt has been made to start a new process before the current process has finished its "
        "bootstrapping phase: call concur::multiprocessing::bootstrap(argc, argv) first in main to use the '" +
        std::string(to_string(method)) + "' start method");
  }
  std::vector<int> inherited;  // fds the arguments pass by slot
  detail::ChildPayload payload;
  {
    concur::detail::SpawningScope spawning(inherited);
    payload = detail::ProcessAccess::make_payload(*this);
  }
  payload.fd_count = static_cast<std::uint32_t>(inherited.size());
  if (method == StartMethod::spawn) {
    auto fd = concur::detail::make_memfd("concur-spawn", serialization::dumps(payload));
    std::vector<int> fds{fd.get()};
    fds.insert(fds.end(), inherited.begin(), inherited.end());
    pid_t pid = detail::spawn_self(detail::kSpawnMarker, fds);
    detail::ProcessAccess::set_popen(*this, std::make_shared<detail::ChildPopen>(pid, nm, daemon_));
  } else {
    detail::ProcessAccess::set_popen(*this, detail::forkserver_start(payload, inherited, nm, daemon_));
  }
  release_target();
}

void Process::release_target() noexcept {
  // CPython start(): "del self._target, self._args, self._kwargs" (bpo-30775):
  // the parent lets go of the arguments, e.g. a Connection end meant for the
  // child, as soon as the child has them.
  target_ = nullptr;
  spawn_target_ = nullptr;
}

void Process::join(Timeout timeout) {
  check_closed();
  if (parent_pid_ != ::getpid()) throw AssertionError("can only join a child process");
  if (!popen_) throw AssertionError("can only join a started process");
  if (popen_->wait(timeout)) detail::cleanup_children();
}

bool Process::is_alive() {
  check_closed();
  if (this == &current_process()) return true;
  if (parent_pid_ != ::getpid()) throw AssertionError("can only test a child process");
  if (!popen_) return false;
  if (!popen_->poll()) return true;
  // CPython: _children.discard(self) once the child has ended.
  auto& s = state();
  std::lock_guard lock(s.mu);
  std::erase(s.children, popen_);
  return false;
}

void Process::terminate() {
  check_closed();
  if (!popen_) throw ValueError("process not started");
  popen_->send_signal(SIGTERM);
}

void Process::kill() {
  check_closed();
  if (!popen_) throw ValueError("process not started");
  popen_->send_signal(SIGKILL);
}

void Process::close() {
  if (closed_) return;
  if (popen_) {
    if (!popen_->poll()) {
      throw ValueError(
          "Cannot close a process while it is still running. You should first call join() or terminate().");
    }
    popen_->close();
    auto& s = state();
    std::lock_guard lock(s.mu);
    std::erase(s.children, popen_);
    popen_->owner = nullptr;
    popen_.reset();
  }
  closed_ = true;
}

std::optional<int> Process::exitcode() {
  check_closed();
  if (!popen_) return std::nullopt;
  return popen_->poll();
}

std::optional<pid_t> Process::pid() const {
  check_closed();
  if (this == &current_process()) return ::getpid();
  if (!popen_) return std::nullopt;
  return popen_->pid();
}

namespace {
// type(self).__name__. A plain Process made by ctx.Process is CPython's
// ForkProcess, SpawnProcess or ForkServerProcess (context.py); a subclass
// keeps its own name.
std::string process_class_name(const Process& p, const Context* ctx) {
  if (ctx && typeid(p) == typeid(Process)) {
    switch (ctx->start_method()) {
      case StartMethod::fork: return "ForkProcess";
      case StartMethod::spawn: return "SpawnProcess";
      case StartMethod::forkserver: return "ForkServerProcess";
    }
  }
  return concur::detail::class_name(typeid(p));
}
}  // namespace

const std::string& Process::name() const {
  if (!name_) {
    std::string n = process_class_name(*this, context_) + "-";
    for (std::size_t i = 0; i < identity_.size(); ++i) {
      if (i) n += ':';
      n += std::to_string(identity_[i]);
    }
    name_ = std::move(n);
  }
  return *name_;
}

void Process::set_name(std::string name) { name_ = std::move(name); }

void Process::set_daemon(bool daemonic) {
  if (popen_) throw AssertionError("process has already started");
  daemon_ = daemonic;
}

int Process::sentinel() {
  check_closed();
  if (!popen_) throw ValueError("process not started");
  return popen_->sentinel();
}

namespace {
std::string exitcode_text(int code) {
  if (code < 0) {
    if (const char* abbrev = ::sigabbrev_np(-code)) return std::string("-SIG") + abbrev;
  }
  return std::to_string(code);
}
}  // namespace

std::string Process::repr() const {
  std::optional<int> exitcode;
  std::string status;
  if (this == &current_process()) {
    status = "started";
  } else if (closed_) {
    status = "closed";
  } else if (parent_pid_ != ::getpid()) {
    status = "unknown";
  } else if (!popen_) {
    status = "initial";
  } else {
    exitcode = popen_->poll();
    status = exitcode ? "stopped" : "started";
  }
  std::string out = "<";
  out += is_main_ ? "_MainProcess" : process_class_name(*this, context_);
  out += " name='" + name() + "'";
  if (popen_) out += " pid=" + std::to_string(popen_->pid());
  out += " parent=" + (is_main_ ? std::string("None") : std::to_string(parent_pid_));
  out += " " + status;
  if (exitcode) out += " exitcode=" + exitcode_text(*exitcode);
  if (daemon_) out += " daemon";
  out += ">";
  return out;
}

std::ostream& operator<<(std::ostream& os, const Process& p) { return os << p.repr(); }

// ---- ParentProcess -------------------------------------------------------

int ParentProcess::sentinel() const {
  if (sentinel_ < 0 && direct_child_) {
    // Lazily opened: while getppid() still names the parent, the pid cannot
    // have been reused, so the pidfd refers to the right process.
    direct_child_ = false;
    try {
      auto fd = concur::detail::pidfd_open(pid_);
      if (::getppid() == pid_) sentinel_ = fd.release();
    } catch (const std::system_error&) {
    }
  }
  return sentinel_;
}

bool ParentProcess::is_alive() const {
  if (direct_child_ && sentinel_ < 0) return ::getppid() == pid_;
  int fd = sentinel();
  if (fd < 0) return false;
  return !concur::detail::wait_readable(fd, std::chrono::duration<double>(0));
}

void ParentProcess::join(Timeout timeout) const {
  int fd = sentinel();
  if (fd < 0) return;
  concur::detail::wait_readable(fd, timeout);
}

std::string ParentProcess::repr() const {
  // CPython's _ParentProcess has _parent_pid None and no Popen, so
  // BaseProcess.__repr__ always reports it as "parent=None unknown".
  return "<_ParentProcess name='" + name_ + "' parent=None unknown>";
}

// ---- module functions ------------------------------------------------------

Process& current_process() { return *state().current; }

const ParentProcess* parent_process() {
  auto& s = state();
  return s.parent ? &*s.parent : nullptr;
}

std::vector<Process*> active_children() {
  auto live = detail::snapshot_children();
  std::vector<Process*> out;
  auto& s = state();
  std::lock_guard lock(s.mu);
  for (auto& p : live) {
    if (p->owner) out.push_back(p->owner);
  }
  return out;
}

int cpu_count() {
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) throw NotImplementedError("cannot determine number of cpus");
  return static_cast<int>(n);
}

}  // namespace concur::multiprocessing
