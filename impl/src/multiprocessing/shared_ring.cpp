// SharedRing: single-producer/single-consumer byte-message ring in a shared
// block. Layout: a 256-byte header (producer line, consumer line, constants),
// then `capacity` bytes of frames. A frame is {u32 len, u32 flags} followed
// by `len` payload bytes, padded to 8. Flags: kMore (another fragment of the
// same message follows), kWrap (skip to the start of the ring), kAbort (drop
// the fragments received so far).
//
// Sleeping uses the lost-wakeup-free pattern: the sleeper announces itself
// (`*_sleeping = 1`), fences, re-checks, then futex-waits on a sequence word;
// the other side publishes its position, fences, and only if a sleeper is
// announced bumps the sequence and wakes. The uncontended path makes no system
// call (hand-written for that reason: a pipe costs two syscalls per message).
#include "concur/multiprocessing/shared_ring.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <new>

#include "concur/detail/futex.hpp"
#include "concur/errors.hpp"

namespace concur::multiprocessing {

struct SharedRing::Header {
  alignas(64) std::atomic<std::uint64_t> head;  // bytes published (sender)
  std::atomic<std::uint32_t> data_seq;           // futex: receiver sleeps here
  std::atomic<std::uint32_t> receiver_sleeping;
  alignas(64) std::atomic<std::uint64_t> tail;  // bytes released (receiver)
  std::atomic<std::uint32_t> space_seq;          // futex: sender sleeps here
  std::atomic<std::uint32_t> sender_sleeping;
  alignas(64) std::uint64_t capacity;           // power of two
  std::atomic<std::uint32_t> closed;
};

namespace {

using Header = SharedRing::Header;
using concur::detail::Deadline;

constexpr std::size_t kDataOffset = 256;
static_assert(sizeof(Header) <= kDataOffset);
constexpr std::uint32_t kMore = 1, kWrap = 2, kAbort = 4;
constexpr std::uint64_t kFrameHeader = 8;
constexpr std::uint64_t kAbortReserve = kFrameHeader;  // always kept free for an abort frame

struct Frame {
  std::uint32_t len;
  std::uint32_t flags;
};

constexpr std::uint64_t align8(std::uint64_t n) { return (n + 7) & ~std::uint64_t{7}; }

std::byte* data_of(Header* h) { return reinterpret_cast<std::byte*>(h) + kDataOffset; }

void write_frame(Header* h, std::uint64_t pos, Frame f) { std::memcpy(data_of(h) + pos, &f, sizeof f); }

// Publishes `pos` in `word` and wakes a sleeper announced in `sleeping`.
void publish(std::atomic<std::uint64_t>& word, std::uint64_t pos, std::atomic<std::uint32_t>& sleeping,
             std::atomic<std::uint32_t>& seq) {
  word.store(pos, std::memory_order_release);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (sleeping.load(std::memory_order_relaxed)) {
    seq.fetch_add(1, std::memory_order_release);
    concur::detail::futex_wake_all(seq);
  }
}

// A peer that is about to publish usually does so within microseconds; a
// bounded spin first saves the futex_wake syscall the peer would otherwise
// pay for every message (measured: 2 M -> see README msg/s at 64 B).
constexpr int kSpins = 2000;

using concur::detail::cpu_relax;

// Sleeps until `ready()` or the ring closes or the deadline passes.
template <class Ready>
bool sleep_until(Header* h, std::atomic<std::uint32_t>& sleeping, std::atomic<std::uint32_t>& seq,
                 const Deadline& deadline, Ready ready) {
  for (int i = 0; i < kSpins; ++i) {
    if (ready()) return true;
    if (h->closed.load(std::memory_order_relaxed)) break;
    cpu_relax();
  }
  for (;;) {
    if (ready()) return true;
    if (h->closed.load(std::memory_order_acquire)) return false;
    if (concur::detail::deadline_passed(deadline)) return false;
    std::uint32_t s = seq.load(std::memory_order_acquire);
    sleeping.store(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!ready() && !h->closed.load(std::memory_order_acquire)) concur::detail::futex_wait(seq, s, deadline);
    sleeping.store(0, std::memory_order_relaxed);
  }
}

}  // namespace

SharedRing::SharedRing(std::size_t capacity) {
  std::uint64_t cap = std::bit_ceil(std::max<std::uint64_t>(capacity, 4096));
  block_ = concur::detail::SharedBlock(kDataOffset + cap, "concur-shared-ring");
  auto* h = new (block_.data()) Header{};
  h->capacity = cap;
}

SharedRing::Header* SharedRing::header() const {
  if (!block_) throw ValueError("SharedRing is empty (default-constructed); create it with SharedRing(capacity)");
  return block_.as<Header>();
}

std::size_t SharedRing::capacity() const noexcept { return block_ ? block_.as<Header>()->capacity : 0; }

bool SharedRing::closed() const noexcept {
  return block_ && block_.as<Header>()->closed.load(std::memory_order_acquire) != 0;
}

void SharedRing::close() noexcept {
  if (!block_) return;
  Header* h = block_.as<Header>();
  h->closed.store(1, std::memory_order_release);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  h->data_seq.fetch_add(1, std::memory_order_release);
  h->space_seq.fetch_add(1, std::memory_order_release);
  concur::detail::futex_wake_all(h->data_seq);
  concur::detail::futex_wake_all(h->space_seq);
}

void SharedRing::send_bytes(std::string_view message, Timeout timeout) {
  Header* h = header();
  if (h->closed.load(std::memory_order_acquire)) throw OSError("ring is closed");
  const Deadline deadline = concur::detail::deadline_after(timeout);
  const std::uint64_t cap = h->capacity, mask = cap - 1, max_fragment = cap / 4;
  std::uint64_t head = h->head.load(std::memory_order_relaxed);  // only the sender writes it
  std::size_t off = 0;
  bool first = true;
  do {
    const std::uint64_t chunk = std::min<std::uint64_t>(message.size() - off, max_fragment);
    const bool more = off + chunk < message.size();
    const std::uint64_t frame = align8(kFrameHeader + chunk);
    std::uint64_t pos = head & mask;
    const std::uint64_t to_end = cap - pos;
    const std::uint64_t need = (to_end < frame ? to_end + frame : frame) + kAbortReserve;
    auto room = [&] {
      if (cap - (head - cached_tail_) >= need) return true;
      cached_tail_ = h->tail.load(std::memory_order_acquire);
      return cap - (head - cached_tail_) >= need;
    };
    if (!room() && !sleep_until(h, h->sender_sleeping, h->space_seq, deadline, room)) {
      if (!first) {
        // Withdraw the fragments already sent: the reserve guarantees room.
        write_frame(h, head & mask, Frame{0, kAbort});
        publish(h->head, head + kFrameHeader, h->receiver_sleeping, h->data_seq);
      }
      if (h->closed.load(std::memory_order_acquire)) throw OSError("ring is closed");
      throw concur::TimeoutError("timed out");
    }
    if (to_end < frame) {
      write_frame(h, pos, Frame{0, kWrap});
      head += to_end;
      pos = 0;
    }
    write_frame(h, pos, Frame{static_cast<std::uint32_t>(chunk), more ? kMore : 0});
    std::memcpy(data_of(h) + pos + kFrameHeader, message.data() + off, chunk);
    head += frame;
    publish(h->head, head, h->receiver_sleeping, h->data_seq);
    off += chunk;
    first = false;
  } while (off < message.size());
}

std::string SharedRing::recv_bytes(Timeout timeout) {
  std::string out;
  recv_bytes_into(out, timeout);
  return out;
}

std::size_t SharedRing::recv_bytes_into(std::string& out, Timeout timeout) {
  Header* h = header();
  const Deadline deadline = concur::detail::deadline_after(timeout);
  const std::uint64_t cap = h->capacity, mask = cap - 1;
  std::uint64_t tail = h->tail.load(std::memory_order_relaxed);  // only the receiver writes it
  out.clear();
  bool started = false;
  auto data_ready = [&] {
    if (cached_head_ > tail) return true;
    cached_head_ = h->head.load(std::memory_order_acquire);
    return cached_head_ > tail;
  };
  auto release = [&] { publish(h->tail, tail, h->sender_sleeping, h->space_seq); };
  for (;;) {
    if (!data_ready()) {
      // Once a message has begun, wait for its end without a deadline.
      if (!sleep_until(h, h->receiver_sleeping, h->data_seq, started ? Deadline{} : deadline, data_ready)) {
        if (data_ready()) continue;  // closed, but data is left: drain it first
        if (h->closed.load(std::memory_order_acquire)) throw EOFError();
        throw concur::TimeoutError("timed out");
      }
    }
    const std::uint64_t pos = tail & mask;
    Frame f;
    std::memcpy(&f, data_of(h) + pos, sizeof f);
    if (f.flags & kWrap) {
      tail += cap - pos;
      continue;
    }
    if (f.flags & kAbort) {
      out.clear();
      started = false;
      tail += kFrameHeader;
      release();
      continue;
    }
    out.append(reinterpret_cast<const char*>(data_of(h) + pos + kFrameHeader), f.len);
    tail += align8(kFrameHeader + f.len);
    release();
    if (!(f.flags & kMore)) return out.size();
    started = true;
  }
}

bool SharedRing::poll(Timeout timeout) {
  Header* h = header();
  const std::uint64_t tail = h->tail.load(std::memory_order_relaxed);
  auto ready = [&] { return h->head.load(std::memory_order_acquire) != tail; };
  if (timeout && timeout->count() <= 0) {
    // poll() / poll(0) only looks: no bounded spin (it cost a non-blocking
    // caller up to 2000 pauses per empty ring).
    return ready() || h->closed.load(std::memory_order_acquire);
  }
  return sleep_until(h, h->receiver_sleeping, h->data_seq, concur::detail::deadline_after(timeout), ready) ||
         h->closed.load(std::memory_order_acquire);
}

}  // namespace concur::multiprocessing
