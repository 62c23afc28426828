// concur/multiprocessing/shared_ring.hpp — a byte-message channel in shared
// memory: the "shared memory" contender of the IPC throughput harness and the
// transport under Queue.
//
// Guarantees
//  * A SharedRing is a FIFO of byte messages held in a ring buffer of
//    `capacity` bytes (rounded up to a power of two, at least 4 KiB) in an
//    anonymous shared block (detail/shared_block.hpp): nothing is named,
//    nothing can leak, even under SIGKILL.
//  * Messages of any size cross, also larger than the ring: they are cut into
//    fragments and reassembled; recv_bytes() returns whole messages only.
//  * One sender and one receiver at a time (single producer, single
//    consumer), like a Connection. Several threads or processes that send (or
//    receive) concurrently must serialize with a Lock, as Queue does.
//  * send_bytes() blocks while the ring is full; recv_bytes() blocks while it
//    is empty. Blocking uses futexes (detail/futex.hpp) and only when a side
//    actually has to sleep: the uncontended path makes no system call. Nothing
//    ever busy-spins.
//  * Each byte is copied once into the ring and once out of it.
//  * close() marks the ring closed for every holder: pending messages can
//    still be received, then recv_bytes() raises EOFError; send_bytes() on a
//    closed ring raises OSError("ring is closed"). Waiters wake at once.
//  * A timeout that expires raises concur::TimeoutError; no partial message
//    is ever delivered. A sender that times out in the middle of a message
//    larger than the ring withdraws what it had sent (an abort frame tells
//    the receiver to drop it). A receiver's timeout applies to the start of
//    the next message; once a message has begun to arrive it is read whole.
//  * If the peer process dies, the ring stays usable but nobody drains or
//    fills it: use timeouts or close() where that matters.
//
// Crossing to a child: a SharedRing is a copyable handle (all copies share the
// ring). fork copies it; as a Process argument under spawn/forkserver it
// crosses through its shared block's fd.
//
// Thread-safety: see "one sender and one receiver" above; close() and the
// observers are safe from any thread. Fork-safety: safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "concur/detail/shared_block.hpp"
#include "concur/timeout.hpp"

namespace concur::multiprocessing {

class SharedRing {
 public:
  static constexpr std::size_t default_capacity = std::size_t{1} << 20;

  // An empty handle that holds no ring (a deserialization target); every
  // operation on it raises ValueError.
  SharedRing() = default;
  // A new ring of `capacity` bytes (rounded up to a power of two, >= 4 KiB).
  explicit SharedRing(std::size_t capacity);

  // Appends one message. Blocks while the ring is full, up to `timeout`
  // (TimeoutError). Throws OSError("ring is closed") once closed.
  void send_bytes(std::string_view message, Timeout timeout = std::nullopt);

  // Removes and returns the oldest message. Blocks while the ring is empty,
  // up to `timeout` (TimeoutError). EOFError once closed and drained.
  std::string recv_bytes(Timeout timeout = std::nullopt);

  // recv_bytes() into `buf` (its previous contents are replaced), reusing its
  // capacity: no allocation per message once `buf` is large enough. Returns
  // the message size.
  std::size_t recv_bytes_into(std::string& buf, Timeout timeout = std::nullopt);

  // True when a message (or EOF) can be received without blocking; waits up
  // to `timeout` for one (0: just look).
  bool poll(Timeout timeout = std::chrono::duration<double>(0));

  // Closes the ring for every holder and wakes all waiters. Idempotent.
  void close() noexcept;
  bool closed() const noexcept;

  // Usable bytes of the ring.
  std::size_t capacity() const noexcept;
  explicit operator bool() const noexcept { return static_cast<bool>(block_); }

  template <class A>
  void serialize(A& ar) {
    ar(block_);
    cached_head_ = cached_tail_ = 0;
  }

  struct Header;

 private:
  Header* header() const;

  concur::detail::SharedBlock block_;
  // Lower bounds of the peer's position, private to this handle: they spare
  // a read of the peer's cache line while there is known data or room.
  std::uint64_t cached_head_ = 0;  // receiver side
  std::uint64_t cached_tail_ = 0;  // sender side
  // (The receiver publishes its position after every frame: receivers in
  // different processes may take turns on one ring, as Queue's do under its
  // reader lock, so no position may stay private to a handle.)
};

}  // namespace concur::multiprocessing
