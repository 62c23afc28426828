#include "concur/detail/fd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace concur::detail {

void throw_errno(const char* what) { throw_errno(errno, what); }

void throw_errno(int err, const char* what) { throw std::system_error(err, std::generic_category(), what); }

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);  // EINTR on close still frees the fd on Linux: never retry
  fd_ = fd;
}

std::pair<UniqueFd, UniqueFd> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::pair<UniqueFd, UniqueFd> make_socketpair(int type) {
  int fds[2];
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) != 0) throw_errno("socketpair");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

UniqueFd make_memfd(const char* name, std::string_view bytes) {
  UniqueFd fd(::memfd_create(name, MFD_CLOEXEC));
  if (!fd) throw_errno("memfd_create");
  write_all(fd.get(), bytes);
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) throw_errno("lseek");
  return fd;
}

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string read_to_end(int fd) {
  // Sized from fstat when the fd is a file (memfd payloads): one read, and no
  // large stack buffer to fault in (this runs in freshly forked children).
  struct stat st{};
  std::size_t chunk = 4096;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) chunk = static_cast<std::size_t>(st.st_size) + 1;
  std::string out;
  for (;;) {
    std::size_t old = out.size();
    out.resize(old + chunk);
    ssize_t n = ::read(fd, out.data() + old, chunk);
    if (n < 0) {
      out.resize(old);
      if (errno == EINTR) continue;
      throw_errno("read");
    }
    out.resize(old + static_cast<std::size_t>(n));
    if (n == 0) return out;
  }
}

int poll_fds(std::span<pollfd> fds, Timeout timeout) {
  using clock = std::chrono::steady_clock;
  const auto deadline =
      timeout ? clock::now() + std::chrono::duration_cast<clock::duration>(std::max(*timeout, timeout->zero()))
              : clock::time_point::max();
  for (;;) {
    int ms = -1;
    if (timeout) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
      ms = left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
    }
    int r = ::poll(fds.data(), static_cast<nfds_t>(fds.size()), ms);
    if (r > 0) return r;
    if (r == 0) {
      if (!timeout || clock::now() >= deadline) return 0;
      continue;  // poll rounds to ms; go on until the deadline has really passed
    }
    if (errno != EINTR) throw_errno("poll");
  }
}

bool wait_readable(int fd, Timeout timeout) {
  pollfd p{fd, POLLIN, 0};
  return poll_fds({&p, 1}, timeout) > 0;
}

bool send_with_fds(int sock, std::string_view data, std::span<const int> fds) {
  iovec iov{const_cast<char*>(data.data()), data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> cbuf;
  if (!fds.empty()) {
    cbuf.assign(CMSG_SPACE(fds.size() * sizeof(int)), 0);
    msg.msg_control = cbuf.data();
    msg.msg_controllen = cbuf.size();
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
    std::memcpy(CMSG_DATA(cm), fds.data(), fds.size() * sizeof(int));
  }
  for (;;) {
    if (::sendmsg(sock, &msg, MSG_NOSIGNAL) >= 0) return true;
    if (errno == EINTR) continue;
    if (errno == EPIPE || errno == ECONNRESET || errno == ECONNREFUSED || errno == ENOTCONN) return false;
    throw_errno("sendmsg");
  }
}

std::size_t recv_with_fds(int sock, void* data, std::size_t capacity, std::vector<UniqueFd>& fds) {
  iovec iov{data, capacity};
  alignas(cmsghdr) char cbuf[CMSG_SPACE(kMaxFdsPerMessage * sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("recvmsg");
  for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
    std::size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < k; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
      fds.emplace_back(fd);
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) throw_errno(EMSGSIZE, "recvmsg: file descriptors truncated");
  return static_cast<std::size_t>(n);
}

UniqueFd pidfd_open(pid_t pid) {
  // Raw syscall: glibc 2.36's <sys/pidfd.h> lacks extern "C" and cannot be
  // used from C++.
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!fd) throw_errno("pidfd_open");
  return fd;
}

}  // namespace concur::detail
