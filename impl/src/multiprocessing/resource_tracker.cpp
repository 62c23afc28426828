// The resource tracker (CPython Lib/multiprocessing/resource_tracker.py): the
// client side (register/unregister over a pipe) and the tracker process's
// main loop, entered from bootstrap() on the "--concur-resource-tracker"
// marker.
#include "concur/multiprocessing/resource_tracker.hpp"

#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "concur/detail/fd.hpp"
#include "concur/errors.hpp"
#include "internal.hpp"

namespace concur::multiprocessing {
namespace detail {
namespace {

inline constexpr const char* kTrackerMarker = "--concur-resource-tracker";
// POSIX guarantees PIPE_BUF >= 512, so a message this long is written atomically.
inline constexpr std::size_t kMaxMessage = 512;

struct TrackerState {
  std::mutex mu;
  int fd = -1;       // write end of the tracker pipe
  pid_t pid = -1;    // the tracker, when this process started it
  pid_t owner = -1;  // the process that started it (a forked child must not reap it)
};

// Never destroyed: used from atexit paths and forked children.
TrackerState& state() {
  static TrackerState* s = new TrackerState();
  return *s;
}

void warn(const std::string& message) {
  std::string line = "UserWarning: " + message + "\n";
  ssize_t n = ::write(2, line.data(), line.size());
  (void)n;
}

// One write() with SIGPIPE suppressed for this thread; returns 0 or errno.
int write_message(int fd, std::string_view msg) {
  sigset_t pipe_set, old, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  sigemptyset(&pending);
  ::sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  ssize_t n;
  do {
    n = ::write(fd, msg.data(), msg.size());
  } while (n < 0 && errno == EINTR);
  int err = n < 0 ? errno : 0;
  if (err == EPIPE && !was_pending) {
    // SIGPIPE is thread-directed: consume the one this write raised.
    struct timespec zero {};
    while (::sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (err == 0 && static_cast<std::size_t>(n) != msg.size()) {
    throw AssertionError("nbytes " + std::to_string(n) + " but len(msg) " + std::to_string(msg.size()));
  }
  return err;
}

// Reaps a tracker this process started, if it has ended (never blocks long:
// called after its pipe reported EPIPE, i.e. it is gone or going).
void reap_locked(TrackerState& s) {
  if (s.pid > 0 && s.owner == ::getpid()) {
    int st;
    while (::waitpid(s.pid, &st, 0) < 0 && errno == EINTR) {
    }
  }
  s.pid = -1;
  s.owner = -1;
}

void launch_locked(TrackerState& s) {
  auto [r, w] = concur::detail::make_pipe();
  const int fds[] = {r.get()};
  pid_t pid = spawn_self(kTrackerMarker, fds);
  s.fd = w.release();
  s.pid = pid;
  s.owner = ::getpid();
}

void relaunch_after_death_locked(TrackerState& s) {
  ::close(s.fd);
  s.fd = -1;
  reap_locked(s);
  warn("resource_tracker: process died unexpectedly, relaunching.  Some resources might leak.");
  launch_locked(s);
}

std::string make_message(std::string_view cmd, std::string_view name, std::string_view rtype) {
  if (name.find('\n') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    throw ValueError("resource name contains a newline or NUL: it cannot be tracked");
  }
  std::string msg;
  msg.reserve(cmd.size() + name.size() + rtype.size() + 3);
  msg.append(cmd).append(":").append(name).append(":").append(rtype).append("\n");
  if (msg.size() > kMaxMessage) throw ValueError("msg too long");
  return msg;
}

// Sends `msg`, starting or relaunching the tracker as needed.
void send_locked(TrackerState& s, const std::string& msg) {
  if (s.fd < 0) launch_locked(s);
  int err = write_message(s.fd, msg);
  if (err == EPIPE) {
    relaunch_after_death_locked(s);
    err = write_message(s.fd, msg);
  }
  if (err != 0) concur::detail::throw_errno(err, "resource_tracker: write");
}

// ------------------------------------------------------------ tracker side

struct ResourceType {
  const char* name;
  int (*cleanup)(const char*);
  std::set<std::string> names;
};

int noop_cleanup(const char*) { return 0; }

std::string repr_name(const std::string& name) { return "'" + name + "'"; }

void handle_line(std::string_view line, std::vector<ResourceType>& cache) {
  auto first = line.find(':');
  auto last = line.rfind(':');
  if (first == std::string_view::npos || first == last) {
    warn("resource_tracker: malformed message " + repr_name(std::string(line)));
    return;
  }
  std::string_view cmd = line.substr(0, first);
  std::string name(line.substr(first + 1, last - first - 1));
  std::string_view rtype = line.substr(last + 1);
  ResourceType* type = nullptr;
  for (auto& t : cache)
    if (rtype == t.name) type = &t;
  if (!type) {
    warn("ValueError: Cannot register " + name + " for automatic cleanup: unknown resource type " +
         std::string(rtype));
    return;
  }
  if (cmd == "REGISTER") {
    type->names.insert(std::move(name));
  } else if (cmd == "UNREGISTER") {
    type->names.erase(name);  // CPython raises KeyError for an unknown name; nothing to forget here
  } else if (cmd != "PROBE") {
    warn("RuntimeError: unrecognized command " + repr_name(std::string(cmd)));
  }
}

}  // namespace

[[noreturn]] void resource_tracker_main(int fd) {
  // Protect the tracker from ^C and "killall <program>" (CPython main()).
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  sigset_t unblock;
  sigemptyset(&unblock);
  sigaddset(&unblock, SIGINT);
  sigaddset(&unblock, SIGTERM);
  ::pthread_sigmask(SIG_UNBLOCK, &unblock, nullptr);
  // CPython closes sys.stdin and sys.stdout; /dev/null keeps fds 0 and 1 taken.
  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0) {
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    if (devnull > 2) ::close(devnull);
  }
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);

  // CPython's _CLEANUP_FUNCS order: noop, semaphore, shared_memory.
  std::vector<ResourceType> cache;
  cache.push_back({"noop", noop_cleanup, {}});
  cache.push_back({"semaphore", ::sem_unlink, {}});
  cache.push_back({"shared_memory", ::shm_unlink, {}});

  std::string pending;
  std::array<char, 4096> chunk;
  for (;;) {
    ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: every process holding the write end has exited
    pending.append(chunk.data(), static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      handle_line(std::string_view(pending).substr(start, nl - start), cache);
    }
    pending.erase(0, start);
  }

  // All processes have terminated: clean up any remaining resources.
  for (auto& type : cache) {
    if (type.names.empty()) continue;
    warn("resource_tracker: There appear to be " + std::to_string(type.names.size()) + " leaked " + type.name +
         " objects to clean up at shutdown");
    for (const auto& name : type.names) {
      if (type.cleanup(name.c_str()) != 0) {
        int err = errno;
        warn("resource_tracker: " + repr_name(name) + ": [Errno " + std::to_string(err) + "] " + ::strerror(err) +
             ": " + repr_name(name));
      }
    }
  }
  ::_exit(0);
}

}  // namespace detail

namespace resource_tracker {

void ensure_running() {
  auto& s = detail::state();
  std::lock_guard lock(s.mu);
  if (s.fd >= 0) {
    int err = detail::write_message(s.fd, "PROBE:0:noop\n");
    if (err == 0) return;
    if (err != EPIPE) concur::detail::throw_errno(err, "resource_tracker: write");
    detail::relaunch_after_death_locked(s);
    return;
  }
  detail::launch_locked(s);
}

void register_resource(std::string_view name, std::string_view rtype) {
  std::string msg = detail::make_message("REGISTER", name, rtype);
  auto& s = detail::state();
  std::lock_guard lock(s.mu);
  detail::send_locked(s, msg);
}

void unregister_resource(std::string_view name, std::string_view rtype) {
  std::string msg = detail::make_message("UNREGISTER", name, rtype);
  auto& s = detail::state();
  std::lock_guard lock(s.mu);
  if (s.fd < 0) return;
  detail::send_locked(s, msg);
}

int getfd() {
  auto& s = detail::state();
  std::lock_guard lock(s.mu);
  if (s.fd < 0) detail::launch_locked(s);
  return s.fd;
}

void adopt_fd(int fd) {
  auto& s = detail::state();
  std::lock_guard lock(s.mu);
  if (s.fd >= 0 && s.fd != fd) ::close(s.fd);
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  s.fd = fd;
  s.pid = -1;
  s.owner = -1;
}

int tracker_pid() {
  auto& s = detail::state();
  std::lock_guard lock(s.mu);
  return s.owner == ::getpid() ? s.pid : -1;
}

}  // namespace resource_tracker
}  // namespace concur::multiprocessing
