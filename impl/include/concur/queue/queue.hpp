// concur/queue/queue.hpp — Queue, LifoQueue, PriorityQueue and SimpleQueue
// between the threads of one process (CPython Lib/queue.py, 3.13; seed 001
// "线程通信"; seed 003 "队列").
//
// Guarantees
//  * Queue<T>(maxsize) is FIFO, LifoQueue<T>(maxsize) is LIFO (a stack),
//    PriorityQueue<T, Compare = std::less<T>>(maxsize) hands out the smallest
//    item first (Compare orders items as Python's `<`). Items that compare
//    equal leave a PriorityQueue in the order they were put: every item is
//    stored under the key (item, sequence number), seed 003's "同优先级先进
//    先出". maxsize <= 0 means unbounded (Python's Queue()).
//  * Every item put is returned by exactly one get(). Items are moved in and
//    moved out; T needs only to be move-constructible (and, for
//    PriorityQueue, move-assignable and ordered by Compare).
//  * put(item, block=true, timeout): on a bounded queue that is full, waits
//    for a free slot; raises queue::Full when block=false and no slot is
//    free, or when `timeout` passes first. get(block=true, timeout): waits
//    for an item; raises queue::Empty when block=false and none is there, or
//    when `timeout` passes first. No timeout (std::nullopt) waits forever;
//    block=false ignores the timeout. put_nowait(item) / get_nowait() are
//    put(item, false) / get(false).
//  * Negative timeouts are rejected as CPython's queue.py rejects them, with
//    ValueError("'timeout' must be a non-negative number"), and exactly where
//    CPython checks: get() with block=true (even when an item is ready, but
//    after the shutdown check); put() only with block=true on a bounded
//    queue. (This differs from concur/timeout.hpp's "negative behaves as
//    zero", which is the threading/multiprocessing rule, not queue's.)
//  * qsize(), empty(), full() are exact at the instant they hold the lock and
//    approximate as soon as they return ("not reliable!", CPython). full() is
//    `0 < maxsize <= qsize()`, so an unbounded queue is never full.
//  * task_done()/join(): every put() adds one unfinished task; task_done()
//    removes one and raises ValueError("task_done() called too many times")
//    when none is left; join() blocks until no unfinished task is left.
//  * shutdown(immediate=false) (CPython 3.13): afterwards every put() raises
//    queue::ShutDown, also in producers that were blocked on a full queue.
//    get() keeps returning the items left and raises ShutDown once the queue
//    is empty (blocked getters wake up and raise). shutdown(true) also
//    discards every queued item at once, lowering the unfinished-task count
//    by one per discarded item (never below zero) and waking join()ers, so
//    get() raises ShutDown at once. Items already taken by get() still need
//    their task_done() before join() returns. Shutting down twice is allowed.
//  * SimpleQueue<T> is CPython's C SimpleQueue: unbounded FIFO with put (never
//    blocks; block/timeout accepted and ignored), get(block, timeout),
//    put_nowait, get_nowait, qsize, empty; no maxsize, task_done, join or
//    shutdown (CPython 3.13's SimpleQueue has none). Its get() ignores the
//    timeout when block=false and otherwise rejects a negative timeout with
//    the same ValueError.
//
// Mechanism: CPython queue.py's own: one threading::Lock per queue and three
// threading::Conditions on it (not_empty, not_full, all_tasks_done), so the
// queue waits on concur's one futex-based core (detail/sync_core.hpp).
// benchmarks/threading_benchmark.cpp compares it with a std::mutex +
// std::condition_variable queue. Timed waits use steady_clock deadlines;
// wake-ups are re-checked against the state, as CPython's loops do.
//
// Thread-safety: every member function may be called from any number of
// threads at once. Process-safety: none — the state lives in this process's
// memory; use concur::multiprocessing::Queue between processes. Fork-safety:
// a child forked while another thread holds the queue's lock inherits it
// locked; use the queue in the child only if the parent was single-threaded.
//
// Blocking and exceptions: put() blocks only on a bounded queue that is full,
// get() only on an empty queue, join() until the unfinished tasks reach zero;
// all three wait for good with no timeout (join() takes none, as CPython).
// Besides the errors above, exceptions thrown by T's move constructor or
// assignment, or by Compare, propagate; no item is lost or duplicated, but a
// PriorityQueue whose Compare or move threw may hand out its items in another
// order afterwards. std::bad_alloc may escape put().
//
// Lifetime: a queue is neither copyable nor movable (Python shares one queue
// object by reference: share a reference or a std::shared_ptr). Destroying a
// queue while a thread still waits in it is undefined behaviour; shut it down
// and join those threads first. Items still queued are destroyed with it.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "concur/detail/futex.hpp"
#include "concur/errors.hpp"
#include "concur/threading/condition.hpp"
#include "concur/threading/lock.hpp"
#include "concur/timeout.hpp"

namespace concur::queue {

namespace detail {

// CPython queue.py's text for a negative timeout.
inline constexpr const char* kNegativeTimeout = "'timeout' must be a non-negative number";

// What is left of `deadline` (an empty Timeout for an empty deadline).
inline Timeout remaining(const concur::detail::Deadline& deadline) {
  if (!deadline) return std::nullopt;
  return std::chrono::duration<double>(*deadline - std::chrono::steady_clock::now());
}

// Storage policies: CPython's _init/_qsize/_put/_get overrides.
template <class T>
class FifoStore {
 public:
  std::size_t size() const noexcept { return items_.size(); }
  void push(T&& item) { items_.push_back(std::move(item)); }
  T pop() {
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

 private:
  std::deque<T> items_;
};

template <class T>
class LifoStore {
 public:
  std::size_t size() const noexcept { return items_.size(); }
  void push(T&& item) { items_.push_back(std::move(item)); }
  T pop() {
    T item = std::move(items_.back());
    items_.pop_back();
    return item;
  }

 private:
  std::vector<T> items_;
};

// A binary min-heap keyed by (item, sequence number): the smallest item
// first, and among equal items the one put first.
template <class T, class Compare>
class PriorityStore {
 public:
  std::size_t size() const noexcept { return heap_.size(); }
  void push(T&& item) {
    heap_.push_back(Entry{std::move(item), next_seq_});
    ++next_seq_;
    std::push_heap(heap_.begin(), heap_.end(), Later{compare_});
  }
  T pop() {
    std::pop_heap(heap_.begin(), heap_.end(), Later{compare_});
    T item = std::move(heap_.back().item);
    heap_.pop_back();
    return item;
  }

 private:
  struct Entry {
    T item;
    std::uint64_t seq;
  };
  // "a leaves after b": the heap's top is the entry no other entry precedes.
  struct Later {
    const Compare& less;
    bool operator()(const Entry& a, const Entry& b) const {
      if (less(b.item, a.item)) return true;
      if (less(a.item, b.item)) return false;
      return a.seq > b.seq;
    }
  };

  std::vector<Entry> heap_;
  std::uint64_t next_seq_ = 0;
  Compare compare_{};
};

// CPython's queue.Queue with its storage made a policy.
template <class T, class Store>
class BasicQueue {
 public:
  // maxsize <= 0: unbounded.
  explicit BasicQueue(long long maxsize = 0) : maxsize_(maxsize) {}
  BasicQueue(const BasicQueue&) = delete;
  BasicQueue& operator=(const BasicQueue&) = delete;

  // Python's `maxsize` attribute, as given to the constructor.
  long long maxsize() const noexcept { return maxsize_; }

  // Puts `item`; see the contract for blocking, Full, ShutDown, ValueError.
  void put(T item, bool block = true, Timeout timeout = std::nullopt) {
    std::lock_guard<threading::Lock> lock(mutex_);
    if (is_shutdown_) throw ShutDown();
    if (maxsize_ > 0) {
      if (!block) {
        if (at_capacity()) throw Full();
      } else if (!timeout) {
        while (at_capacity()) {
          not_full_.wait();
          if (is_shutdown_) throw ShutDown();
        }
      } else if (timeout->count() < 0) {
        throw ValueError(kNegativeTimeout);
      } else {
        const auto deadline = concur::detail::deadline_after(timeout);
        while (at_capacity()) {
          const Timeout left = remaining(deadline);
          if (left && left->count() <= 0) throw Full();
          not_full_.wait(left);
          if (is_shutdown_) throw ShutDown();
        }
      }
    }
    store_.push(std::move(item));
    ++unfinished_tasks_;
    not_empty_.notify();
  }

  // Removes and returns the next item; see the contract for blocking, Empty,
  // ShutDown, ValueError.
  T get(bool block = true, Timeout timeout = std::nullopt) {
    std::lock_guard<threading::Lock> lock(mutex_);
    if (is_shutdown_ && store_.size() == 0) throw ShutDown();
    if (!block) {
      if (store_.size() == 0) throw Empty();
    } else if (!timeout) {
      while (store_.size() == 0) {
        not_empty_.wait();
        if (is_shutdown_ && store_.size() == 0) throw ShutDown();
      }
    } else if (timeout->count() < 0) {
      throw ValueError(kNegativeTimeout);
    } else {
      const auto deadline = concur::detail::deadline_after(timeout);
      while (store_.size() == 0) {
        const Timeout left = remaining(deadline);
        if (left && left->count() <= 0) throw Empty();
        not_empty_.wait(left);
        if (is_shutdown_ && store_.size() == 0) throw ShutDown();
      }
    }
    T item = store_.pop();
    not_full_.notify();
    return item;
  }

  void put_nowait(T item) { put(std::move(item), false); }
  T get_nowait() { return get(false); }

  // Marks one formerly gotten item as processed. Precondition: an unfinished
  // task is left, else ValueError("task_done() called too many times").
  void task_done() {
    std::lock_guard<threading::Lock> lock(mutex_);
    if (unfinished_tasks_ == 0) throw ValueError("task_done() called too many times");
    if (--unfinished_tasks_ == 0) all_tasks_done_.notify_all();
  }

  // Blocks until every item put has been matched by a task_done().
  void join() {
    std::lock_guard<threading::Lock> lock(mutex_);
    while (unfinished_tasks_ != 0) all_tasks_done_.wait();
  }

  // CPython 3.13 Queue.shutdown; see the contract.
  void shutdown(bool immediate = false) {
    std::lock_guard<threading::Lock> lock(mutex_);
    is_shutdown_ = true;
    if (immediate) {
      while (store_.size() != 0) {
        (void)store_.pop();
        if (unfinished_tasks_ > 0) --unfinished_tasks_;
      }
      all_tasks_done_.notify_all();
    }
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  std::size_t qsize() const {
    std::lock_guard<threading::Lock> lock(mutex_);
    return store_.size();
  }
  bool empty() const {
    std::lock_guard<threading::Lock> lock(mutex_);
    return store_.size() == 0;
  }
  bool full() const {
    std::lock_guard<threading::Lock> lock(mutex_);
    return at_capacity();
  }
  // Python's `unfinished_tasks` and `is_shutdown` attributes.
  std::size_t unfinished_tasks() const {
    std::lock_guard<threading::Lock> lock(mutex_);
    return unfinished_tasks_;
  }
  bool is_shutdown() const {
    std::lock_guard<threading::Lock> lock(mutex_);
    return is_shutdown_;
  }

 private:
  bool at_capacity() const noexcept { return maxsize_ > 0 && store_.size() >= static_cast<std::size_t>(maxsize_); }

  const long long maxsize_;
  // CPython's self.mutex and the three Conditions that share it.
  mutable threading::Lock mutex_;
  threading::Condition not_empty_{mutex_};
  threading::Condition not_full_{mutex_};
  threading::Condition all_tasks_done_{mutex_};
  Store store_;
  std::size_t unfinished_tasks_ = 0;
  bool is_shutdown_ = false;
};

}  // namespace detail

// queue.Queue: FIFO.
template <class T>
class Queue : public detail::BasicQueue<T, detail::FifoStore<T>> {
 public:
  using detail::BasicQueue<T, detail::FifoStore<T>>::BasicQueue;
};

// queue.LifoQueue: the item put last is gotten first.
template <class T>
class LifoQueue : public detail::BasicQueue<T, detail::LifoStore<T>> {
 public:
  using detail::BasicQueue<T, detail::LifoStore<T>>::BasicQueue;
};

// queue.PriorityQueue: the smallest item (by Compare) first; equal items in
// the order they were put.
template <class T, class Compare = std::less<T>>
class PriorityQueue : public detail::BasicQueue<T, detail::PriorityStore<T, Compare>> {
 public:
  using detail::BasicQueue<T, detail::PriorityStore<T, Compare>>::BasicQueue;
};

// queue.SimpleQueue (CPython's C implementation): unbounded FIFO, no task
// tracking, no shutdown.
template <class T>
class SimpleQueue {
 public:
  SimpleQueue() = default;
  SimpleQueue(const SimpleQueue&) = delete;
  SimpleQueue& operator=(const SimpleQueue&) = delete;

  // Never blocks; `block` and `timeout` exist for compatibility with Queue.
  void put(T item, bool block = true, Timeout timeout = std::nullopt) {
    (void)block;
    (void)timeout;
    std::lock_guard<threading::Lock> lock(mutex_);
    items_.push_back(std::move(item));
    not_empty_.notify();
  }

  // Removes and returns the oldest item; raises Empty when block=false and
  // none is there or when `timeout` passes first; ValueError for a negative
  // timeout with block=true.
  T get(bool block = true, Timeout timeout = std::nullopt) {
    std::lock_guard<threading::Lock> lock(mutex_);
    if (!block) {
      if (items_.empty()) throw Empty();
    } else if (!timeout) {
      while (items_.empty()) not_empty_.wait();
    } else if (timeout->count() < 0) {
      throw ValueError(detail::kNegativeTimeout);
    } else {
      const auto deadline = concur::detail::deadline_after(timeout);
      while (items_.empty()) {
        const Timeout left = detail::remaining(deadline);
        if (left && left->count() <= 0) throw Empty();
        not_empty_.wait(left);
      }
    }
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  void put_nowait(T item) { put(std::move(item), false); }
  T get_nowait() { return get(false); }

  std::size_t qsize() const {
    std::lock_guard<threading::Lock> lock(mutex_);
    return items_.size();
  }
  bool empty() const {
    std::lock_guard<threading::Lock> lock(mutex_);
    return items_.empty();
  }

 private:
  mutable threading::Lock mutex_;
  threading::Condition not_empty_{mutex_};
  std::deque<T> items_;
};

}  // namespace concur::queue
