// Queue, SimpleQueue, JoinableQueue: the byte-level core shared by the typed
// handles. CPython's algorithm (queues.py) with the pipe + feeder thread
// replaced by a SharedRing written under the writer lock inside put().
//
// Ring message = item bytes | u64 item length | u32 magic. A reader always
// receives whole ring messages, so the trailer is always the end of one
// writer's complete message; what precedes the item (fragments a killed
// writer left) is skipped, and a message whose beginning a killed reader
// consumed is too short for its trailer and is dropped.
#include "concur/multiprocessing/queues.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>

#include "concur/detail/futex.hpp"
#include "concur/detail/type_name.hpp"

namespace concur::multiprocessing::detail {

namespace {

constexpr std::uint32_t kMagic = 0x51554555;  // "QUEU"
static_assert(QueueCore::trailer_size == sizeof(std::uint64_t) + sizeof(kMagic));

// How long put(block=false) waits for a writer lock held by another producer
// (which is copying its item into the ring, or blocked on a full ring).
constexpr std::chrono::milliseconds kNowaitLockWait{10};

using concur::detail::Deadline;

Timeout remaining(const Deadline& deadline) {
  if (!deadline) return std::nullopt;
  auto left = std::chrono::duration<double>(*deadline - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::duration<double>(0));
}

void append_trailer(std::string& message) {
  const std::uint64_t len = message.size();
  char trailer[QueueCore::trailer_size];
  std::memcpy(trailer, &len, sizeof len);
  std::memcpy(trailer + sizeof len, &kMagic, sizeof kMagic);
  message.append(trailer, sizeof trailer);
}

// Locates the item in a ring message; false if the message is a remnant.
bool locate_item(QueueCore::Received& r) {
  const std::size_t n = r.message.size();
  if (n < QueueCore::trailer_size) return false;
  std::uint64_t len = 0;
  std::uint32_t magic = 0;
  std::memcpy(&len, r.message.data() + n - QueueCore::trailer_size, sizeof len);
  std::memcpy(&magic, r.message.data() + n - sizeof magic, sizeof magic);
  if (magic != kMagic || len > n - QueueCore::trailer_size) return false;
  r.size = static_cast<std::size_t>(len);
  r.offset = n - QueueCore::trailer_size - r.size;
  return true;
}

// Releases a Lock on scope exit (the Lock was acquired by the caller).
struct Release {
  Lock& lock;
  ~Release() { lock.release(); }
};

}  // namespace

QueueCore::QueueCore(QueueKind kind, long long maxsize, std::size_t ring_capacity)
    : kind_(kind), maxsize_(maxsize <= 0 ? sem_value_max : maxsize), ring_(ring_capacity) {
  rlock_.emplace();
  wlock_.emplace();
  if (kind_ != QueueKind::simple) sem_.emplace(maxsize_);
  if (kind_ == QueueKind::joinable) {
    unfinished_.emplace(0);
    cond_.emplace();
  }
}

const char* QueueCore::type_name() const noexcept {
  switch (kind_) {
    case QueueKind::joinable:
      return "JoinableQueue";
    case QueueKind::simple:
      return "SimpleQueue";
    default:
      return "Queue";
  }
}

void QueueCore::close() noexcept { closed_in_.store(static_cast<long>(::getpid()), std::memory_order_release); }

bool QueueCore::closed() const noexcept {
  long pid = closed_in_.load(std::memory_order_acquire);
  return pid != 0 && pid == static_cast<long>(::getpid());
}

std::string QueueCore::repr() const {
  return std::string("<multiprocessing.queues.") + type_name() + " object at " + concur::detail::address_text(this) +
         ">";
}

void QueueCore::check_open() const {
  if (closed_in_.load(std::memory_order_relaxed) == 0 || !closed()) return;
  if (kind_ == QueueKind::simple) throw OSError("handle is closed");
  throw ValueError("Queue " + repr() + " is closed");
}

void QueueCore::send(std::string_view message, bool block, const Timeout& timeout) {
  const Deadline deadline = block ? concur::detail::deadline_after(timeout) : Deadline{};
  Timeout lock_wait = kNowaitLockWait;
  if (block) {
    lock_wait = remaining(deadline);
    if (lock_wait && *lock_wait < kNowaitLockWait) lock_wait = kNowaitLockWait;
  }
  if (!wlock_->acquire(true, lock_wait)) throw queue::Full();
  Release unlock{*wlock_};
  try {
    ring_.send_bytes(message, block ? remaining(deadline) : Timeout(std::chrono::duration<double>(0)));
  } catch (const concur::TimeoutError&) {
    throw queue::Full();
  }
}

void QueueCore::put(std::string& message, bool block, Timeout timeout) {
  append_trailer(message);
  if (kind_ == QueueKind::simple) {
    wlock_->lock();
    Release unlock{*wlock_};
    ring_.send_bytes(message);
    return;
  }
  const Deadline deadline = block ? concur::detail::deadline_after(timeout) : Deadline{};
  if (!sem_->acquire(block, timeout)) throw queue::Full();
  if (kind_ == QueueKind::joinable) {
    std::lock_guard<Condition> g(*cond_);
    unfinished_->release();
  }
  try {
    send(message, block, remaining(deadline));
  } catch (...) {
    // The item was not put: give its slot (and its unfinished task) back.
    sem_->release();
    if (kind_ == QueueKind::joinable) {
      std::lock_guard<Condition> g(*cond_);
      (void)unfinished_->acquire(false);
      if (unfinished_->get_value() == 0) cond_->notify_all();
    }
    throw;
  }
}

QueueCore::Received QueueCore::get(bool block, Timeout timeout) {
  Received r;
  const bool counted = kind_ != QueueKind::simple;
  if (block && !timeout) {
    {
      rlock_->lock();
      Release unlock{*rlock_};
      for (;;) {
        r.message = ring_.recv_bytes();
        if (locate_item(r)) break;
        if (counted) sem_->release();  // a remnant: its item left the queue
      }
    }
    if (counted) sem_->release();
    return r;
  }
  const Deadline deadline = block ? concur::detail::deadline_after(timeout) : Deadline{};
  if (!rlock_->acquire(block, timeout)) throw queue::Empty();
  Release unlock{*rlock_};
  const Timeout zero = std::chrono::duration<double>(0);
  for (;;) {
    if (!ring_.poll(block ? remaining(deadline) : zero)) throw queue::Empty();
    try {
      r.message = ring_.recv_bytes(block ? remaining(deadline) : zero);
    } catch (const concur::TimeoutError&) {
      throw queue::Empty();  // only a withdrawn (aborted) message was there
    }
    if (locate_item(r)) break;
    if (counted) sem_->release();
  }
  if (counted) sem_->release();
  return r;
}

std::size_t QueueCore::qsize() const {
  return static_cast<std::size_t>(maxsize_ - static_cast<long long>(sem_->get_value()));
}

bool QueueCore::empty() { return !ring_.poll(std::chrono::duration<double>(0)); }

bool QueueCore::full() const { return sem_->get_value() == 0; }

void QueueCore::task_done() {
  std::lock_guard<Condition> g(*cond_);
  if (!unfinished_->acquire(false)) throw ValueError("task_done() called too many times");
  if (unfinished_->get_value() == 0) cond_->notify_all();
}

void QueueCore::join() {
  std::lock_guard<Condition> g(*cond_);
  if (unfinished_->get_value() != 0) (void)cond_->wait();
}

QueueHandle::QueueHandle(QueueKind kind, long long maxsize, std::size_t ring_capacity)
    : core_(std::make_shared<QueueCore>(kind, maxsize, ring_capacity)) {}

QueueCore& QueueHandle::core() const {
  if (!core_) {
    throw ValueError(
        "empty queue handle (default-constructed); create a queue with Queue<T>(maxsize), "
        "JoinableQueue<T>(maxsize) or SimpleQueue<T>(ring_capacity)");
  }
  return *core_;
}

}  // namespace concur::multiprocessing::detail
