#include "concur/multiprocessing/connection.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <system_error>

#include "concur/detail/fd.hpp"

namespace concur::multiprocessing::connection {

using concur::detail::throw_errno;

namespace {

constexpr int kPipeBufferSize = 1 << 20;
constexpr std::uint64_t kMaxShortLength = 0x7fffffff;

bool is_socket(int fd) {
  struct stat st{};
  return ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

// Blocks SIGPIPE for the calling thread while alive (unless it already was);
// consume() discards a SIGPIPE the guarded write raised.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    if (::pthread_sigmask(SIG_BLOCK, &block, &old_) == 0) active_ = !sigismember(&old_, SIGPIPE);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;
  ~SigpipeGuard() {
    if (active_) ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  // SIGPIPE was not blocked before, so a pending one was raised by our write
  // (write(2) sends it to the calling thread).
  void consume() {
    if (!active_) return;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    timespec zero{0, 0};
    while (::sigtimedwait(&set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }

 private:
  sigset_t old_{};
  bool active_ = false;
};

void put_be32(unsigned char* p, std::uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<unsigned char>(v & 0xff);
}
void put_be64(unsigned char* p, std::uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<unsigned char>(v & 0xff);
}
std::uint64_t get_be(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

struct Connection::Impl {
  Impl(int f, bool r, bool w) : fd(f), readable(r), writable(w), socket(is_socket(f)) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { close(); }
  void close() noexcept {
    int f = fd.exchange(-1);
    if (f >= 0) ::close(f);  // EINTR still frees the fd on Linux: never retry
  }

  std::atomic<int> fd;
  std::atomic<bool> readable;
  std::atomic<bool> writable;
  const bool socket;

  int checked_fd() const {
    int f = fd.load(std::memory_order_relaxed);
    if (f < 0) throw OSError("handle is closed");
    return f;
  }

  // Writes all of `iov` (modified) with as few syscalls as the kernel allows.
  void write_all(iovec* iov, int count) {
    const int f = checked_fd();
    std::optional<SigpipeGuard> guard;
    if (!socket) guard.emplace();
    while (count > 0) {
      ssize_t n;
      if (socket) {
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = static_cast<std::size_t>(count);
        n = ::sendmsg(f, &msg, MSG_NOSIGNAL);
      } else {
        n = ::writev(f, iov, count);
      }
      if (n < 0) {
        int err = errno;
        if (err == EINTR) continue;
        if (err == EPIPE && guard) guard->consume();
        throw_errno(err, socket ? "sendmsg" : "writev");
      }
      auto left = static_cast<std::size_t>(n);
      while (count > 0 && left >= iov->iov_len) {
        left -= iov->iov_len;
        ++iov;
        --count;
      }
      if (count > 0) {
        iov->iov_base = static_cast<char*>(iov->iov_base) + left;
        iov->iov_len -= left;
      }
    }
  }

  // Reads exactly `size` bytes into `out`. EOF before the first byte raises
  // EOFError when `eof_ok`, else OSError("got end of file during message").
  void read_exact(char* out, std::size_t size, bool eof_ok) {
    const int f = checked_fd();
    std::size_t done = 0;
    while (done < size) {
      ssize_t n = ::read(f, out + done, size - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("read");
      }
      if (n == 0) {
        if (done == 0 && eof_ok) throw EOFError();
        throw OSError("got end of file during message");
      }
      done += static_cast<std::size_t>(n);
    }
  }

  // Reads a frame header; returns the payload length.
  std::uint64_t read_header() {
    unsigned char h[8];
    read_exact(reinterpret_cast<char*>(h), 4, true);
    auto size = static_cast<std::int32_t>(static_cast<std::uint32_t>(get_be(h, 4)));
    if (size == -1) {
      read_exact(reinterpret_cast<char*>(h), 8, false);
      return get_be(h, 8);
    }
    if (size < 0) throw OSError("bad message length");  // CPython would fail reading a negative size
    return static_cast<std::uint64_t>(size);
  }

  // CPython _ConnectionBase._bad_message_length.
  [[noreturn]] void bad_message_length() {
    if (writable.load()) {
      readable.store(false);
    } else {
      close();
    }
    throw OSError("bad message length");
  }
};

Connection::Connection(int fd, bool readable, bool writable) {
  if (fd < 0) throw ValueError("invalid handle");
  if (!readable && !writable) throw ValueError("at least one of `readable` and `writable` must be True");
  adopt(fd, readable, writable);
}

void Connection::adopt(int fd, bool readable, bool writable) { impl_ = std::make_shared<Impl>(fd, readable, writable); }

void Connection::check_writable() const {
  if (!impl_) throw OSError("handle is closed");
  impl_->checked_fd();
  if (!impl_->writable.load()) throw OSError("connection is read-only");
}

void Connection::check_readable() const {
  if (!impl_) throw OSError("handle is closed");
  impl_->checked_fd();
  if (!impl_->readable.load()) throw OSError("connection is write-only");
}

void Connection::send_frame(std::string_view payload) {
  unsigned char header[12];
  iovec iov[2];
  const std::uint64_t n = payload.size();
  if (n > kMaxShortLength) {
    put_be32(header, 0xffffffffu);  // -1: an 8-byte length follows
    put_be64(header + 4, n);
    iov[0] = {header, 12};
  } else {
    put_be32(header, static_cast<std::uint32_t>(n));
    iov[0] = {header, 4};
  }
  iov[1] = {const_cast<char*>(payload.data()), payload.size()};
  impl_->write_all(iov, payload.empty() ? 1 : 2);
}

std::string Connection::recv_frame(std::optional<std::uint64_t> maxlength) {
  std::uint64_t size = impl_->read_header();
  if (maxlength && size > *maxlength) impl_->bad_message_length();
  std::string out;
  out.resize(size);
  impl_->read_exact(out.data(), size, false);
  return out;
}

void Connection::send_bytes(std::string_view buf, std::int64_t offset, std::optional<std::int64_t> size) {
  check_writable();
  const auto n = static_cast<std::int64_t>(buf.size());
  if (offset < 0) throw ValueError("offset is negative");
  if (n < offset) throw ValueError("buffer length < offset");
  std::int64_t count;
  if (!size) {
    count = n - offset;
  } else if (*size < 0) {
    throw ValueError("size is negative");
  } else if (*size > n - offset) {
    throw ValueError("buffer length < offset + size");
  } else {
    count = *size;
  }
  send_frame(buf.substr(static_cast<std::size_t>(offset), static_cast<std::size_t>(count)));
}

std::string Connection::recv_bytes(std::optional<std::int64_t> maxlength) {
  check_readable();
  if (maxlength && *maxlength < 0) throw ValueError("negative maxlength");
  std::optional<std::uint64_t> limit;
  if (maxlength) limit = static_cast<std::uint64_t>(*maxlength);
  return recv_frame(limit);
}

std::size_t Connection::recv_bytes_into(std::span<std::byte> buf, std::int64_t offset) {
  check_readable();
  if (offset < 0) throw ValueError("negative offset");
  if (static_cast<std::uint64_t>(offset) > buf.size()) throw ValueError("offset too large");
  const std::uint64_t size = impl_->read_header();
  const std::uint64_t room = buf.size() - static_cast<std::uint64_t>(offset);
  if (size > room) {
    std::string whole(size, '\0');
    impl_->read_exact(whole.data(), size, false);
    throw BufferTooShort(std::move(whole));
  }
  impl_->read_exact(reinterpret_cast<char*>(buf.data()) + offset, size, false);
  return size;
}

bool Connection::poll(Timeout timeout) {
  check_readable();
  return concur::detail::wait_readable(impl_->checked_fd(), timeout);
}

void Connection::close() noexcept {
  if (impl_) impl_->close();
}

bool Connection::closed() const noexcept { return !impl_ || impl_->fd.load() < 0; }
bool Connection::readable() const noexcept { return impl_ && impl_->readable.load(); }
bool Connection::writable() const noexcept { return impl_ && impl_->writable.load(); }

int Connection::fileno() const {
  if (!impl_) throw OSError("handle is closed");
  return impl_->checked_fd();
}

std::pair<Connection, Connection> Pipe(bool duplex) {
  if (duplex) {
    auto [a, b] = concur::detail::make_socketpair(SOCK_STREAM);
    Connection c1(a.get(), true, true);
    a.release();
    Connection c2(b.get(), true, true);
    b.release();
    return {std::move(c1), std::move(c2)};
  }
  auto [r, w] = concur::detail::make_pipe();
  // Best effort (EPERM above the per-user pipe quota): a larger buffer means
  // fewer context switches for large messages.
  (void)::fcntl(w.get(), F_SETPIPE_SZ, kPipeBufferSize);
  Connection c1(r.get(), true, false);
  r.release();
  Connection c2(w.get(), false, true);
  w.release();
  return {std::move(c1), std::move(c2)};
}

std::vector<Waitable> wait(const std::vector<Waitable>& object_list, Timeout timeout) {
  std::vector<pollfd> fds;
  fds.reserve(object_list.size());
  for (const Waitable& o : object_list) {
    int fd = std::visit(
        [](auto v) -> int {
          if constexpr (std::is_same_v<decltype(v), int>) {
            return v;
          } else {
            if (v == nullptr) throw ValueError("wait: null connection");
            return v->fileno();
          }
        },
        o);
    fds.push_back(pollfd{fd, POLLIN, 0});
  }
  if (concur::detail::poll_fds(fds, timeout) == 0) return {};
  std::vector<Waitable> ready;
  for (std::size_t i = 0; i < fds.size(); ++i)
    if (fds[i].revents != 0) ready.push_back(object_list[i]);
  return ready;
}

}  // namespace concur::multiprocessing::connection
