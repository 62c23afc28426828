// concur/detail/fd.hpp — the one file-descriptor toolkit of concur (private).
//
// Every fd concur creates goes through here: it is close-on-exec from birth,
// owned by exactly one UniqueFd, and every syscall failure becomes a
// std::system_error carrying errno and the name of the call. Later modules
// (Connection, Queue, shared memory) reuse these helpers instead of adding
// their own.
//
// Thread-safety: UniqueFd is a value type (not synchronized); the free
// functions are reentrant. Fork-safety: nothing here allocates or locks
// except the error paths, so the helpers may be used in a forked child.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "concur/timeout.hpp"

namespace concur::detail {

// Throws std::system_error(errno, what).
[[noreturn]] void throw_errno(const char* what);
[[noreturn]] void throw_errno(int err, const char* what);

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// pipe2(O_CLOEXEC): {read end, write end}.
std::pair<UniqueFd, UniqueFd> make_pipe();
// socketpair(AF_UNIX, type | SOCK_CLOEXEC).
std::pair<UniqueFd, UniqueFd> make_socketpair(int type);
// memfd_create(name, MFD_CLOEXEC) holding `bytes`, offset rewound to 0.
UniqueFd make_memfd(const char* name, std::string_view bytes);

// Writes all of `bytes`, retrying on EINTR and short writes.
void write_all(int fd, std::string_view bytes);
// Reads until EOF.
std::string read_to_end(int fd);

// poll(2) over `fds` until at least one has events or the timeout passes:
// returns the number with events (their revents set), 0 on timeout. An empty
// timeout waits forever; EINTR is retried with the time left, and poll's
// millisecond rounding never ends the wait early.
int poll_fds(std::span<pollfd> fds, Timeout timeout);

// Waits until `fd` is readable (or hung up). Returns false on timeout.
bool wait_readable(int fd, Timeout timeout);

// The kernel's SCM_MAX_FD: at most this many fds cross in one message.
inline constexpr std::size_t kMaxFdsPerMessage = 253;

// sendmsg(MSG_NOSIGNAL) of `data` with `fds` attached (SCM_RIGHTS) on a
// SOCK_SEQPACKET or SOCK_STREAM Unix socket; retries EINTR. Returns false when
// the peer is gone (EPIPE, ECONNRESET, ECONNREFUSED, ENOTCONN); throws
// std::system_error otherwise. Precondition: fds.size() <= kMaxFdsPerMessage.
bool send_with_fds(int sock, std::string_view data, std::span<const int> fds);

// recvmsg of up to `capacity` bytes into `data` plus the fds attached (opened
// close-on-exec, owned by `fds`); retries EINTR. Returns the byte count (0 at
// EOF). Truncated control data (MSG_CTRUNC) throws.
std::size_t recv_with_fds(int sock, void* data, std::size_t capacity, std::vector<UniqueFd>& fds);

// Opens a pidfd for `pid` (close-on-exec by kernel contract).
UniqueFd pidfd_open(pid_t pid);

}  // namespace concur::detail
