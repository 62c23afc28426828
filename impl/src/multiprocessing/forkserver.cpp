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
// there is no signal handler and no race between fork and reap. It exits
// when the control socket reports EOF, i.e. when every process holding the
// client end — the process that started it — has exited.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
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

// The kernel's SCM_MAX_FD: at most this many fds per message.
constexpr std::size_t kMaxFds = 253;

// Sends one request: fds = {payload, status, inherited...}. False when the
// server is gone (EPIPE and friends).
bool send_request(int control, std::span<const int> fds) {
  Request req{static_cast<int32_t>(::getpid())};
  iovec iov{&req, sizeof req};
  std::vector<char> cbuf(CMSG_SPACE(fds.size() * sizeof(int)));
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf.data();
  msg.msg_controllen = cbuf.size();
  cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
  std::memcpy(CMSG_DATA(cm), fds.data(), fds.size() * sizeof(int));
  for (;;) {
    if (::sendmsg(control, &msg, MSG_NOSIGNAL) >= 0) return true;
    if (errno == EINTR) continue;
    if (errno == EPIPE || errno == ECONNRESET || errno == ECONNREFUSED || errno == ENOTCONN) return false;
    concur::detail::throw_errno("sendmsg (forkserver)");
  }
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
  UniqueFd sfd(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd) {
    std::perror("concur forkserver: signalfd");
    ::_exit(1);
  }
  std::map<pid_t, UniqueFd> status_of;  // live children -> their status socket

  for (;;) {
    pollfd pfd[2] = {{control_fd, POLLIN, 0}, {sfd.get(), POLLIN, 0}};
    if (::poll(pfd, 2, -1) < 0) {
      if (errno == EINTR) continue;
      ::_exit(1);
    }
    if (pfd[1].revents & POLLIN) {
      signalfd_siginfo si;
      while (::read(sfd.get(), &si, sizeof si) == sizeof si) {
      }
      int st;
      pid_t pid;
      while ((pid = ::waitpid(-1, &st, WNOHANG)) > 0) {
        auto it = status_of.find(pid);
        if (it == status_of.end()) continue;
        send_int(it->second.get(), decode_wait_status(st));
        status_of.erase(it);
      }
    }
    if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;

    Request req{};
    iovec iov{&req, sizeof req};
    alignas(cmsghdr) char cbuf[CMSG_SPACE(kMaxFds * sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof cbuf;
    ssize_t n = ::recvmsg(control_fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(0);  // the client is gone: so are we
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    std::vector<UniqueFd> received;
    if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
      std::size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < k; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
        received.emplace_back(fd);
      }
    }
    // Malformed requests are dropped (their fds close) and serving goes on.
    if (n != sizeof req || received.size() < 2 || (msg.msg_flags & MSG_CTRUNC)) continue;
    UniqueFd child_payload = std::move(received[0]);
    UniqueFd status = std::move(received[1]);
    // Open the client's pidfd now, while it blocks waiting for our reply: it
    // cannot have exited, so the pid cannot have been reused.
    int parent_pidfd = -2;  // the client is gone already
    try {
      parent_pidfd = concur::detail::pidfd_open(req.client_pid).release();
    } catch (const std::system_error&) {
    }

    pid_t pid = ::fork();
    const int fork_errno = errno;
    if (pid == 0) {
      ::sigprocmask(SIG_SETMASK, &old, nullptr);
      ::signal(SIGINT, SIG_DFL);
      ::close(control_fd);
      sfd.reset();
      for (auto& [p, fd] : status_of) fd.reset();
      status.reset();
      std::vector<int> inherited;
      for (std::size_t i = 2; i < received.size(); ++i) inherited.push_back(received[i].release());
      ProcessAccess::run_payload(child_payload.release(), parent_pidfd, std::move(inherited));
    }
    if (parent_pidfd >= 0) ::close(parent_pidfd);
    if (pid < 0) {
      send_int(status.get(), -fork_errno);
      continue;
    }
    send_int(status.get(), pid);
    status_of.emplace(pid, std::move(status));
  }
}

}  // namespace concur::multiprocessing::detail
