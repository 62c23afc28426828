// concur/multiprocessing/connection.hpp — multiprocessing.Pipe, Connection
// and multiprocessing.connection.wait (seed 004 §1.5 "进程间通信~PIPE管道通信";
// CPython Lib/multiprocessing/connection.py).
//
// Pipe(duplex) returns two connected Connection objects. A duplex pipe is a
// socketpair(AF_UNIX, SOCK_STREAM): both ends read and write. A simplex pipe
// (duplex=false) is a pipe2(): the first end only reads, the second only
// writes, as in CPython `r, w = Pipe(duplex=False)`.
//
// Guarantees
//  * Messages are framed as CPython frames them: a 4-byte big-endian signed
//    length, then the payload; a payload longer than 0x7fffffff bytes gets the
//    length -1 followed by an 8-byte big-endian unsigned length. Each message
//    arrives whole and in order, or not at all. A message is written with one
//    writev/sendmsg (header and payload together) when the kernel accepts it
//    whole; the receiver reads the payload straight into the result.
//  * send(obj)/recv<T>() carry values through concur::serialization (the one
//    serialization mechanism; CPython pickles). recv<T>() must name the type
//    that was sent; bytes that do not decode as T raise UnpicklingError.
//    send_bytes/recv_bytes/recv_bytes_into carry raw bytes.
//  * Errors carry CPython's types and messages: OSError("handle is closed") on
//    any use of a closed connection, OSError("connection is read-only") when
//    sending on a read-only end, OSError("connection is write-only") when
//    receiving on a write-only end, ValueError for bad offsets/sizes,
//    EOFError when the peer has closed and no message is left,
//    OSError("got end of file during message") when the peer closed in the
//    middle of a message, OSError("bad message length") when a message is
//    longer than recv_bytes(maxlength) allows — after which the connection
//    stops being readable (a read-only end is closed), as in CPython, because
//    the unread payload is still in the stream. BufferTooShort from
//    recv_bytes_into carries the whole message. Writing to a connection
//    whose peer has closed throws std::system_error(EPIPE) (Python's
//    BrokenPipeError); SIGPIPE never kills the process: sockets are written
//    with MSG_NOSIGNAL, and around a pipe write SIGPIPE is blocked for the
//    calling thread and a SIGPIPE the write raised is consumed. Other OS
//    failures throw std::system_error with errno. EINTR is retried everywhere.
//  * poll() returns true when a message is available *or the peer has closed*
//    (the next recv then raises EOFError), as CPython's poll does.
//  * Simplex pipe buffers are enlarged to 1 MiB with F_SETPIPE_SZ (fewer
//    context switches for large messages); the call is best effort (EPERM,
//    e.g. above fs.pipe-user-pages-soft, leaves the default 64 KiB).
//
// Blocking — and the seed's deadlock
//  * send blocks while the pipe/socket buffer is full, i.e. until the peer
//    reads; recv blocks until a whole message arrived; poll(timeout) and
//    wait(objects, timeout) block at most `timeout` (empty: forever).
//  * Seed 004 §1.5 warns "你把这个放在join前面就直接死锁了": a child that sends a
//    message larger than the buffer (about 1 MiB for a simplex pipe, about
//    200 KiB for a socketpair) cannot finish its send until the parent reads.
//    A parent that join()s the child *before* recv() therefore waits forever.
//    Receive first, then join.
//
// Thread-safety: like CPython's, a Connection is not synchronized. Two
// threads may use the two directions of a duplex connection at once (one
// sends, one receives), but two concurrent senders (or receivers) on the same
// connection must lock externally, or their messages interleave. close()
// must not race with any other use of the same connection.
//
// Process-safety and fork-safety: a Connection is a handle; copies share one
// open fd (shared ownership, like references to one Python object). close()
// closes it for every copy in this process; the fd is also closed when the
// last copy is destroyed. fork copies the fd into the child: closing it in one
// process does not affect the other, and a reader sees EOF only once every
// process has closed the writing end (close the ends you do not use). Under
// spawn and forkserver a Connection passed as a Process argument is inherited
// by the child through concur::detail::send_fd_to_child (it keeps its
// readable/writable flags); serializing it anywhere else (e.g. send() of a
// Connection) throws RuntimeError. All fds are close-on-exec.
//
// Lifetime: the fd lives until close() or the destruction of the last copy
// in this process. A moved-from or default-constructed Connection is closed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "concur/detail/inheritance.hpp"
#include "concur/errors.hpp"
#include "concur/serialization.hpp"
#include "concur/timeout.hpp"

namespace concur::multiprocessing::connection {

namespace detail {
// A contiguous range of trivially copyable elements, viewed as bytes
// (CPython: memoryview(buf).cast('B')), that is not a string.
template <class R>
concept byte_viewable = std::ranges::contiguous_range<R> && std::ranges::sized_range<R> &&
                        std::is_trivially_copyable_v<std::ranges::range_value_t<R>> &&
                        !std::is_convertible_v<const R&, std::string_view>;
template <class R>
concept writable_byte_viewable =
    byte_viewable<R> && !std::is_const_v<std::remove_reference_t<std::ranges::range_reference_t<R>>>;
}  // namespace detail

class Connection {
 public:
  // A closed connection (the state of a moved-from one).
  Connection() noexcept = default;

  // Takes ownership of `fd` (CPython Connection(handle, readable, writable)).
  // Throws ValueError("invalid handle") for a negative fd and
  // ValueError("at least one of `readable` and `writable` must be True").
  explicit Connection(int fd, bool readable = true, bool writable = true);

  Connection(const Connection&) = default;
  Connection& operator=(const Connection&) = default;
  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;
  ~Connection() = default;

  // Sends `obj` as one message (serialization::dumps). Precondition: open and
  // writable.
  template <serialization::serializable T>
    requires(!std::is_array_v<T>)
  void send(const T& obj) {
    check_writable();
    if constexpr (std::is_same_v<T, std::string>) {
      send_frame(obj);
    } else {
      send_frame(serialization::dumps(obj));
    }
  }

  // send("text"): the same message as send(std::string("text")).
  void send(std::string_view text) {
    check_writable();
    send_frame(text);
  }

  // Receives one message sent by send(T). Blocks until it arrives. Throws
  // EOFError, UnpicklingError. Precondition: open and readable.
  template <serialization::serializable T>
  T recv() {
    check_readable();
    std::string bytes = recv_frame(std::nullopt);
    if constexpr (std::is_same_v<T, std::string>) {
      return bytes;
    } else {
      return serialization::loads<T>(bytes);
    }
  }

  // Sends buf[offset, offset + size) as one message; no size means up to the
  // end. Throws ValueError("offset is negative"), ("buffer length < offset"),
  // ("size is negative"), ("buffer length < offset + size"). Offsets and sizes
  // count bytes, whatever the element type of the range.
  void send_bytes(std::string_view buf, std::int64_t offset = 0, std::optional<std::int64_t> size = std::nullopt);
  template <detail::byte_viewable R>
  void send_bytes(const R& buf, std::int64_t offset = 0, std::optional<std::int64_t> size = std::nullopt) {
    auto bytes = std::as_bytes(std::span(std::ranges::data(buf), std::ranges::size(buf)));
    send_bytes(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), offset, size);
  }

  // Receives one message as bytes. Throws ValueError("negative maxlength");
  // OSError("bad message length") when the message is longer than
  // `maxlength` (the connection then stops being readable, see above).
  std::string recv_bytes(std::optional<std::int64_t> maxlength = std::nullopt);

  // Receives one message into buf at byte `offset`; returns its size. Throws
  // ValueError("negative offset"), ValueError("offset too large"), and
  // BufferTooShort (holding the whole, consumed message) when it does not fit.
  std::size_t recv_bytes_into(std::span<std::byte> buf, std::int64_t offset = 0);
  template <detail::writable_byte_viewable R>
  std::size_t recv_bytes_into(R& buf, std::int64_t offset = 0) {
    return recv_bytes_into(std::as_writable_bytes(std::span(std::ranges::data(buf), std::ranges::size(buf))), offset);
  }
  std::size_t recv_bytes_into(std::string& buf, std::int64_t offset = 0) {
    return recv_bytes_into(std::as_writable_bytes(std::span(buf.data(), buf.size())), offset);
  }

  // True when a message (or EOF) can be read without blocking; waits up to
  // `timeout` (default: do not wait; empty: forever). Precondition: open and
  // readable.
  bool poll(Timeout timeout = std::chrono::duration<double>(0));

  // Closes the fd for every copy of this connection. Idempotent.
  void close() noexcept;

  bool closed() const noexcept;
  bool readable() const noexcept;
  bool writable() const noexcept;
  // The fd. Throws OSError("handle is closed").
  int fileno() const;

  // Inheritance by spawn/forkserver children (see the contract above).
  template <class Archive>
  void save(Archive& ar) const {
    int fd = fileno();
    ar(concur::detail::send_fd_to_child(fd), readable(), writable());
  }
  template <class Archive>
  void load(Archive& ar) {
    std::uint32_t slot = 0;
    bool r = false;
    bool w = false;
    ar(slot, r, w);
    adopt(concur::detail::receive_fd_from_parent(slot), r, w);
  }

 private:
  struct Impl;

  void adopt(int fd, bool readable, bool writable);
  void check_writable() const;
  void check_readable() const;
  void send_frame(std::string_view payload);
  std::string recv_frame(std::optional<std::uint64_t> maxlength);

  std::shared_ptr<Impl> impl_;
};

// Two connected ends. duplex: a socketpair, both ends read and write;
// simplex: (read-only end, write-only end) of a pipe. Throws
// std::system_error when the OS refuses.
std::pair<Connection, Connection> Pipe(bool duplex = true);

// What wait() watches: a connection, or any fd such as Process::sentinel().
using Waitable = std::variant<Connection*, int>;

// CPython multiprocessing.connection.wait: blocks until at least one object
// is ready — a connection has a message or EOF, an fd is readable or hung up
// (a process sentinel: the process ended) — or the timeout passes (empty:
// forever; zero or negative: do not wait). Returns the ready objects in input
// order; empty on timeout. Throws OSError("handle is closed") for a closed
// connection.
std::vector<Waitable> wait(const std::vector<Waitable>& object_list, Timeout timeout = std::nullopt);

}  // namespace concur::multiprocessing::connection

namespace concur::multiprocessing {
using connection::Connection;
using connection::Pipe;
}  // namespace concur::multiprocessing
