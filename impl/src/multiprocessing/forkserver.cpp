// The forkserver start method (CPython forkserver.py / popen_forkserver.py).
//
// Client side: the first start() spawns a server from a clean image with one
// end of a SOCK_SEQPACKET socketpair (the control socket). Each start() sends
// one message on it: the client's pid, plus two fds by SCM_RIGHTS — a memfd
// holding the child payload and one end of a fresh SOCK_SEQPACKET socketpair
// (the status socket). The server forks; it writes the child's pid on the
// status socket at once and its exit status when it reaps it. The client's end
// of the status socket is the Process sentinel.
//
// Server side: single-threaded; SIGCHLD is consumed through a signalfd, so
// there is no signal handler and no race between fork and reap. It keeps one
// warm spare: a child forked ahead of time that blocks until it is assigned a
// payload. A request hands its fds to the spare, replies with the spare's pid
// at once and forks the next spare while the client's child runs, so the
// fork is off the start() critical path. The child is the same fork of the
// same clean server state it would be without the spare. The server exits
// when the control socket reports EOF, i.e. when every process holding the
// client end — the process that started it — has exited; an unassigned spare
// then sees EOF on its channel and exits too.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/close_range.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <span>
#include <vector>
#include <system_error>

#include "concur/multiprocessing/logging.hpp"
#include "internal.hpp"

namespace concur::multiprocessing::detail {
namespace {

struct Request {
  int32_t client_pid;
};

struct ServerPayload {
  std::vector<std::string> preload;
  template <class A>
  void serialize(A& ar) {
    ar(preload);
  }
};

struct Client {
  std::mutex mu;
  UniqueFd control;
  pid_t server_pid = 0;
  std::vector<std::string> preload;
};

Client& client() {
  static Client* c = new Client();  // never destroyed: used at exit and after fork
  return *c;
}

// Precondition: c.mu held. Starts the server unless one is running.
void ensure_running(Client& c) {
  if (c.control && c.server_pid > 0) {
    int status;
    pid_t r = ::waitpid(c.server_pid, &status, WNOHANG);
    if (r == 0) return;  // alive
    // Dead (reaped now) or not our child any more: start a new one.
    c.control.reset();
    c.server_pid = 0;
  }
  auto [mine, theirs] = concur::detail::make_socketpair(SOCK_SEQPACKET);
  auto payload = concur::detail::make_memfd("concur-forkserver", serialization::dumps(ServerPayload{c.preload}));
  const int fds[] = {theirs.get(), payload.get()};
  c.server_pid = spawn_self(kForkServerMarker, fds);
  c.control = std::move(mine);
}

constexpr std::size_t kMaxFds = concur::detail::kMaxFdsPerMessage;

// Sends one request: fds = {payload, status, inherited...}. False when the
// server is gone.
bool send_request(int control, std::span<const int> fds) {
  Request req{static_cast<int32_t>(::getpid())};
  return concur::detail::send_with_fds(control, {reinterpret_cast<const char*>(&req), sizeof req}, fds);
}

// Reads one int32 message; empty on EOF.
std::optional<int32_t> recv_int(int fd) {
  int32_t v = 0;
  for (;;) {
    ssize_t n = ::recv(fd, &v, sizeof v, 0);
    if (n == sizeof v) return v;
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return std::nullopt;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) concur::detail::throw_errno("recv (forkserver)");
    return std::nullopt;  // short message: treat as a broken server
  }
}

void send_int(int fd, int32_t v) noexcept {
  while (::send(fd, &v, sizeof v, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

}  // namespace

std::shared_ptr<Popen> forkserver_start(const ChildPayload& payload, std::span<const int> inherited,
                                        std::string name, bool daemon) {
  if (inherited.size() + 2 > kMaxFds) {
    throw ValueError("too many file descriptors for one forkserver child: " + std::to_string(inherited.size()) +
                     " (at most " + std::to_string(kMaxFds - 2) + ")");
  }
  auto memfd = concur::detail::make_memfd("concur-forkserver-child", serialization::dumps(payload));
  auto [status_mine, status_theirs] = concur::detail::make_socketpair(SOCK_SEQPACKET);
  std::vector<int> fds{memfd.get(), status_theirs.get()};
  fds.insert(fds.end(), inherited.begin(), inherited.end());
  Client& c = client();
  {
    std::lock_guard lock(c.mu);
    bool sent = false;
    for (int attempt = 0; attempt < 2 && !sent; ++attempt) {
      ensure_running(c);
      sent = send_request(c.control.get(), fds);
      if (!sent) c.control.reset();  // dead server: the next attempt restarts it
    }
    if (!sent) throw ProcessError("forkserver is not running and could not be restarted");
  }
  status_theirs.reset();
  memfd.reset();
  auto pid = recv_int(status_mine.get());
  if (!pid) throw ProcessError("forkserver exited before it reported the child's pid");
  if (*pid < 0) concur::detail::throw_errno(-*pid, "fork (in the forkserver)");
  return std::make_shared<ForkServerPopen>(static_cast<pid_t>(*pid), std::move(name), daemon, std::move(status_mine));
}

void forkserver_after_fork() noexcept {
  Client& c = client();
  if (!c.control && c.server_pid == 0) return;  // nothing inherited: write nothing
  // The lock may have been held by another thread at fork time: re-create it.
  new (&c.mu) std::mutex();
  c.control.reset();
  c.server_pid = 0;
}

void set_forkserver_preload_names(std::vector<std::string> names) {
  Client& c = client();
  std::lock_guard lock(c.mu);
  c.preload = std::move(names);
}

namespace {

// What the server tells its spare when a request arrives.
struct Assignment {
  int32_t has_parent_pidfd;  // fds: payload, [parent pidfd], inherited...
};

class Server {
 public:
  Server(int control_fd, sigset_t child_mask) : control_(control_fd), child_mask_(child_mask) {}

  [[noreturn]] void serve() {
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sfd_.reset(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sfd_) {
      std::perror("concur forkserver: signalfd");
      ::_exit(1);
    }
    make_spare();
    for (;;) {
      pollfd pfd[2] = {{control_.get(), POLLIN, 0}, {sfd_.get(), POLLIN, 0}};
      if (::poll(pfd, 2, -1) < 0) {
        if (errno == EINTR) continue;
        ::_exit(1);
      }
      if (pfd[1].revents & POLLIN) reap();
      if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) handle_request();
    }
  }

 private:

  // Forks the warm spare: a child of this clean image that blocks until it is
  // assigned a payload. Doing the fork ahead of the request takes it off the
  // start() critical path; the child is the same fork of the same server state
  // it would otherwise be.
  void make_spare() {
    if (spare_pid_ > 0) return;
    UniqueFd mine, theirs;
    try {
      auto [a, b] = concur::detail::make_socketpair(SOCK_SEQPACKET);
      mine = std::move(a);
      theirs = std::move(b);
    } catch (const std::system_error&) {
      return;  // a request will fork on demand
    }
    pid_t pid = ::fork();
    if (pid == 0) {
      ::sigprocmask(SIG_SETMASK, &child_mask_, nullptr);
      ::signal(SIGINT, SIG_DFL);
      // Keep stdio and the channel, nothing else: the server may hold other
      // children's fds (payloads, pipe ends) right now, and a spare that kept
      // a pipe's write end would hide its EOF.
      const unsigned keep = static_cast<unsigned>(theirs.get());
      if (keep > 3) ::close_range(3, keep - 1, 0);
      ::close_range(keep + 1, ~0U, 0);
      (void)mine.release();
      (void)control_.release();
      (void)sfd_.release();
      for (auto& [p, fd] : status_of_) (void)fd.release();
      (void)spare_chan_.release();
      run_spare(std::move(theirs));
    }
    if (pid < 0) return;
    spare_pid_ = pid;
    spare_chan_ = std::move(mine);
  }

  [[noreturn]] static void run_spare(UniqueFd chan) {
    Assignment a{};
    std::vector<UniqueFd> fds;
    std::size_t n = 0;
    try {
      n = concur::detail::recv_with_fds(chan.get(), &a, sizeof a, fds);
    } catch (const std::system_error&) {
      ::_exit(0);
    }
    if (n != sizeof a || fds.empty()) ::_exit(0);  // the server went away unassigned
    chan.reset();
    std::size_t next = 1;
    int parent_pidfd = -2;
    if (a.has_parent_pidfd && fds.size() > 1) parent_pidfd = fds[next++].release();
    std::vector<int> inherited;
    for (; next < fds.size(); ++next) inherited.push_back(fds[next].release());
    ProcessAccess::run_payload(fds[0].release(), parent_pidfd, std::move(inherited));
  }

  void reap() {
    signalfd_siginfo si;
    while (::read(sfd_.get(), &si, sizeof si) == sizeof si) {
    }
    int st;
    pid_t pid;
    while ((pid = ::waitpid(-1, &st, WNOHANG)) > 0) {
      if (pid == spare_pid_) {  // the spare died before it was assigned
        spare_pid_ = 0;
        spare_chan_.reset();
        continue;
      }
      auto it = status_of_.find(pid);
      if (it == status_of_.end()) continue;
      send_int(it->second.get(), decode_wait_status(st));
      status_of_.erase(it);
    }
  }

  void handle_request() {
    Request req{};
    std::vector<UniqueFd> received;
    std::size_t n = 0;
    try {
      n = concur::detail::recv_with_fds(control_.get(), &req, sizeof req, received);
    } catch (const std::system_error&) {
      return;  // malformed: its fds are closed; go on serving
    }
    if (n == 0) ::_exit(0);  // the client is gone: so are we (and the spare sees EOF)
    if (n != sizeof req || received.size() < 2) return;
    UniqueFd status = std::move(received[1]);
    // Open the client's pidfd now, while it blocks waiting for our reply: it
    // cannot have exited, so the pid cannot have been reused.
    UniqueFd parent_pidfd;
    try {
      parent_pidfd = concur::detail::pidfd_open(req.client_pid);
    } catch (const std::system_error&) {
    }
    std::vector<int> fds{received[0].get()};
    if (parent_pidfd) fds.push_back(parent_pidfd.get());
    for (std::size_t i = 2; i < received.size(); ++i) fds.push_back(received[i].get());
    const Assignment a{parent_pidfd ? 1 : 0};
    const std::string_view bytes(reinterpret_cast<const char*>(&a), sizeof a);

    pid_t pid = -1;
    int err = 0;
    for (int attempt = 0; attempt < 2 && pid < 0; ++attempt) {
      make_spare();
      if (spare_pid_ <= 0) {
        err = errno ? errno : EAGAIN;
        break;
      }
      if (concur::detail::send_with_fds(spare_chan_.get(), bytes, fds)) {
        pid = spare_pid_;
      } else {
        err = EPIPE;  // the spare died: reap() will collect it; fork another
        ::kill(spare_pid_, SIGKILL);
        spare_pid_ = 0;
      }
      spare_chan_.reset();
      spare_pid_ = 0;
    }
    if (pid < 0) {
      send_int(status.get(), -err);
      return;
    }
    send_int(status.get(), pid);
    status_of_.emplace(pid, std::move(status));
    make_spare();  // while the client's child runs
  }

  UniqueFd control_;
  sigset_t child_mask_;
  UniqueFd sfd_;
  std::map<pid_t, UniqueFd> status_of_;  // assigned children -> status socket
  pid_t spare_pid_ = 0;
  UniqueFd spare_chan_;
};

}  // namespace

void forkserver_main(int control_fd, int payload_fd) {
  // CPython's server ignores SIGINT so ^C reaches only the real program.
  ::signal(SIGINT, SIG_IGN);
  try {
    auto server = serialization::loads<ServerPayload>(concur::detail::read_to_end(payload_fd));
    ::close(payload_fd);
    for (const auto& name : server.preload) {
      try {
        if (const TargetEntry* t = find_target(name); t && t->arity == 0) t->factory(t->fn, {})();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "concur forkserver: preload '%s' failed: %s\n", name.c_str(), e.what());
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "concur forkserver: bad start payload: %s\n", e.what());
    ::_exit(1);
  }
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, &old);
  Server(control_fd, old).serve();
}

}  // namespace concur::multiprocessing::detail
