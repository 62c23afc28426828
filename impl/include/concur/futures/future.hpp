// concur/futures/future.hpp — concurrent.futures.Future, wait() and
// as_completed() (seed 001 "concurrent.futures": submit returns a Future,
// as_completed; CPython Lib/concurrent/futures/_base.py).
//
// Guarantees
//  * A Future is PENDING, then RUNNING (set_running_or_notify_cancel), then
//    FINISHED with a result or an exception; or CANCELLED. cancel() succeeds
//    only while PENDING ("false once running") and is idempotent on a
//    cancelled future; done() is true once cancelled or finished.
//  * result(timeout) returns the value (nothing for Future<void>), rethrows
//    the exception, raises CancelledError for a cancelled future and
//    concur::TimeoutError (Python 3.11's futures.TimeoutError is the builtin
//    one) when the timeout expires. exception(timeout) returns the exception
//    (nullptr when the call returned) with the same waiting rules.
//  * add_done_callback(fn): fn(future) runs once when the future is done, in
//    the thread that finishes or cancels it, or at once in the caller when
//    it is already done. Callbacks run in the order they were added. An
//    exception escaping a callback is printed to stderr ("exception calling
//    callback for <Future>") and dropped, as CPython logs it.
//  * repr() is CPython's: "<Future at 0x... state=pending>", "... state=
//    finished returned int>" (Python's name for None/bool/int/float/str/list
//    results, the C++ class name otherwise), "... state=finished raised
//    ValueError>" (conformance/cpython/futures_future_states).
//  * set_result / set_exception on a done future raise
//    InvalidStateError("FINISHED: <Future ...>") / ("CANCELLED: ...").
//  * wait(fs, timeout, return_when) returns {done, not_done} (in the order of
//    fs, duplicates removed) when the condition holds: FIRST_COMPLETED (any
//    done), FIRST_EXCEPTION (any finished with an exception, or all done),
//    ALL_COMPLETED (default); or when the timeout expires.
//  * Deliberate difference: a cancelled future counts as done for wait() and
//    as_completed() from cancel() on, as CPython's documentation says
//    ("finished or cancelled futures"). CPython's code counts it only once
//    set_running_or_notify_cancel() ran (CANCELLED_AND_NOTIFIED), so there a
//    wait() on a future cancelled by shutdown(cancel_futures=True), which no
//    worker notifies, blocks for good (conformance/cpython/
//    futures_wait_as_completed declares this).
//  * as_completed(fs, timeout) yields each distinct future once, as it
//    completes (those already done first); when the timeout expires it raises
//    concur::TimeoutError("N (of M) futures unfinished").
//
// Thread-safety: every member may be called from any thread; a Future is a
// handle (copies share the state). Fork-safety: do not use a Future in a
// forked child. Lifetime: the state lives while a handle or its executor
// holds it.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "concur/errors.hpp"
#include "concur/threading/condition.hpp"
#include "concur/threading/lock.hpp"
#include "concur/timeout.hpp"

namespace concur::futures {

enum ReturnWhen { FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED };

namespace detail {

struct Waiter;

// The untyped part of a future (future.cpp).
class FutureCore {
 public:
  enum class State { pending, running, cancelled, cancelled_and_notified, finished };
  FutureCore() = default;
  FutureCore(const FutureCore&) = delete;
  FutureCore& operator=(const FutureCore&) = delete;
  virtual ~FutureCore() = default;
  // type(result).__name__ for repr() (FutureData<T>).
  virtual std::string result_type() const { return "object"; }

  bool cancel();
  bool cancelled() const;
  bool running() const;
  bool done() const;
  bool set_running_or_notify_cancel();
  // Waits until done; false on timeout. Throws CancelledError if cancelled.
  void wait_done(const Timeout& timeout, bool for_result);
  std::exception_ptr exception(const Timeout& timeout);
  // Marks finished (with an exception or not) after store() ran under the
  // lock; runs the callbacks. InvalidStateError if already done.
  void finish(std::exception_ptr error, const std::function<void()>& store);
  void add_done_callback(std::function<void()> fn);
  std::string repr() const;

  // wait()/as_completed() support: adds `w` unless done; true if done.
  bool attach(const std::shared_ptr<Waiter>& w);
  void detach(const std::shared_ptr<Waiter>& w);
  bool has_exception() const;

 private:
  void run_callbacks(std::vector<std::function<void()>>& cbs);
  std::string repr_locked() const;
  mutable threading::Lock mu_;  // with cv_: CPython's Future._condition
  threading::Condition cv_{mu_};
  State state_ = State::pending;
  std::exception_ptr error_;
  std::vector<std::function<void()>> callbacks_;
  std::vector<std::shared_ptr<Waiter>> waiters_;
};

// concur::detail::class_name, reachable from this header.
std::string class_name_of(const std::type_info& type);

template <class T>
using value_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// The name repr() gives the type of a result, as CPython's
// "returned <type(result).__name__>": Python's names for the values that have
// one (None, bool, int, float, str, list), the C++ class name otherwise.
template <class T>
std::string result_type_name() {
  if constexpr (std::is_void_v<T> || std::is_same_v<T, std::monostate>) {
    return "NoneType";
  } else if constexpr (std::is_same_v<T, bool>) {
    return "bool";
  } else if constexpr (std::is_integral_v<T>) {
    return "int";
  } else if constexpr (std::is_floating_point_v<T>) {
    return "float";
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return "str";
  } else if constexpr (requires { typename T::value_type; typename T::allocator_type; } &&
                       std::is_same_v<T, std::vector<typename T::value_type, typename T::allocator_type>>) {
    return "list";
  } else {
    return class_name_of(typeid(T));
  }
}

template <class T>
struct FutureData final : FutureCore {
  std::optional<value_t<T>> value;
  std::string result_type() const override { return result_type_name<T>(); }
};

std::vector<std::size_t> wait_indices(const std::vector<FutureCore*>& fs, const Timeout& timeout, ReturnWhen when);

class AsCompletedCore {
 public:
  AsCompletedCore(std::vector<FutureCore*> fs, Timeout timeout);
  ~AsCompletedCore();
  // Index (into the deduplicated list) of the next completed future; empty
  // once all were returned. TimeoutError when the deadline passes.
  std::optional<std::size_t> next();
  const std::vector<FutureCore*>& futures() const { return fs_; }

 private:
  std::vector<FutureCore*> fs_;
  std::shared_ptr<Waiter> waiter_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::size_t yielded_ = 0;
};

}  // namespace detail

template <class T>
class Future {
 public:
  // A new PENDING future (executors make them; tests may too).
  Future() : s_(std::make_shared<detail::FutureData<T>>()) {}

  bool cancel() { return s_->cancel(); }
  bool cancelled() const { return s_->cancelled(); }
  bool running() const { return s_->running(); }
  bool done() const { return s_->done(); }

  T result(Timeout timeout = std::nullopt) const {
    s_->wait_done(timeout, true);
    if constexpr (!std::is_void_v<T>) return *s_->value;
  }
  std::exception_ptr exception(Timeout timeout = std::nullopt) const { return s_->exception(timeout); }

  void add_done_callback(std::function<void(Future<T>)> fn) {
    s_->add_done_callback([fn = std::move(fn), self = *this] { fn(self); });
  }

  // For executors (CPython documents these "for use by Executor
  // implementations and unit tests").
  bool set_running_or_notify_cancel() { return s_->set_running_or_notify_cancel(); }
  template <class U = T>
    requires(!std::is_void_v<U>)
  void set_result(U value) {
    s_->finish(nullptr, [&] { s_->value.emplace(std::move(value)); });
  }
  void set_result()
    requires std::is_void_v<T>
  {
    s_->finish(nullptr, [&] { s_->value.emplace(); });
  }
  void set_exception(std::exception_ptr e) { s_->finish(std::move(e), [] {}); }

  std::string repr() const { return s_->repr(); }
  detail::FutureCore* core() const noexcept { return s_.get(); }
  bool operator==(const Future& o) const noexcept { return s_ == o.s_; }

 private:
  std::shared_ptr<detail::FutureData<T>> s_;
};

// concurrent.futures.wait's DoneAndNotDoneFutures.
template <class T>
struct DoneAndNotDoneFutures {
  std::vector<Future<T>> done;
  std::vector<Future<T>> not_done;
};

namespace detail {
template <class T>
std::vector<Future<T>> dedup(const std::vector<Future<T>>& fs) {
  std::vector<Future<T>> out;
  for (const auto& f : fs) {
    bool seen = false;
    for (const auto& g : out) seen |= (g == f);
    if (!seen) out.push_back(f);
  }
  return out;
}
}  // namespace detail

template <class T>
DoneAndNotDoneFutures<T> wait(const std::vector<Future<T>>& fs, Timeout timeout = std::nullopt,
                              ReturnWhen return_when = ALL_COMPLETED) {
  auto unique = detail::dedup(fs);
  std::vector<detail::FutureCore*> cores;
  for (auto& f : unique) cores.push_back(f.core());
  auto done_idx = detail::wait_indices(cores, timeout, return_when);
  DoneAndNotDoneFutures<T> r;
  std::vector<bool> is_done(unique.size());
  for (auto i : done_idx) is_done[i] = true;
  for (std::size_t i = 0; i < unique.size(); ++i) (is_done[i] ? r.done : r.not_done).push_back(unique[i]);
  return r;
}

// as_completed(fs, timeout): iterate with range-for, or call next().
template <class T>
class AsCompleted {
 public:
  AsCompleted(const std::vector<Future<T>>& fs, Timeout timeout) : fs_(detail::dedup(fs)) {
    std::vector<detail::FutureCore*> cores;
    for (auto& f : fs_) cores.push_back(f.core());
    core_ = std::make_unique<detail::AsCompletedCore>(std::move(cores), timeout);
  }
  // The next completed future; nullopt when all were returned.
  std::optional<Future<T>> next() {
    auto i = core_->next();
    if (!i) return std::nullopt;
    return fs_[*i];
  }

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Future<T>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(AsCompleted* a) : a_(a) { ++*this; }
    const Future<T>& operator*() const { return *cur_; }
    const Future<T>* operator->() const { return &*cur_; }
    iterator& operator++() {
      cur_ = a_->next();
      if (!cur_) a_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(const iterator& o) const { return a_ == o.a_; }

   private:
    AsCompleted* a_ = nullptr;
    std::optional<Future<T>> cur_;
  };
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

 private:
  std::vector<Future<T>> fs_;
  std::unique_ptr<detail::AsCompletedCore> core_;
};

template <class T>
AsCompleted<T> as_completed(const std::vector<Future<T>>& fs, Timeout timeout = std::nullopt) {
  return AsCompleted<T>(fs, timeout);
}

// What Executor.map returns: results in the order of the inputs, each
// waited for (with what is left of `timeout`, counted from the map call) as
// the iteration reaches it; a task's exception (or TimeoutError) is raised
// at its position and ends the iteration, cancelling the calls not yet
// started, as CPython's result_iterator generator does. Destroying it
// cancels them too (the generator's `finally` when it is closed).
template <class S>
class MapIterator {
 public:
  MapIterator(std::vector<Future<std::vector<S>>> chunks, Timeout timeout) : chunks_(std::move(chunks)) {
    if (timeout) {
      deadline_ = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(*timeout);
    }
  }
  MapIterator(MapIterator&&) noexcept = default;
  MapIterator& operator=(MapIterator&&) noexcept = default;
  ~MapIterator() {
    for (std::size_t i = next_chunk_; i < chunks_.size(); ++i) chunks_[i].cancel();
  }

  std::optional<S> next() {
    while (!current_ || pos_ == current_->size()) {
      if (next_chunk_ == chunks_.size()) return std::nullopt;
      Timeout left;
      if (deadline_) left = std::chrono::duration<double>(*deadline_ - std::chrono::steady_clock::now());
      auto& f = chunks_[next_chunk_++];
      if (left && left->count() < 0) left = std::chrono::duration<double>(0);
      try {
        current_ = f.result(left);
      } catch (...) {
        // Python's result_iterator is a generator: an exception (the task's,
        // or TimeoutError) ends it, and its `finally` cancels the rest.
        for (std::size_t i = next_chunk_; i < chunks_.size(); ++i) chunks_[i].cancel();
        next_chunk_ = chunks_.size();
        current_.reset();
        throw;
      }
      pos_ = 0;
    }
    return std::move((*current_)[pos_++]);
  }

  // All remaining results as a vector (Python's list(executor.map(...))).
  std::vector<S> list() {
    std::vector<S> out;
    while (auto v = next()) out.push_back(std::move(*v));
    return out;
  }

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = S;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(MapIterator* m) : m_(m) { ++*this; }
    const S& operator*() const { return *v_; }
    iterator& operator++() {
      v_ = m_->next();
      if (!v_) m_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(const iterator& o) const { return m_ == o.m_; }

   private:
    MapIterator* m_ = nullptr;
    std::optional<S> v_;
  };
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

 private:
  std::vector<Future<std::vector<S>>> chunks_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::size_t next_chunk_ = 0;
  std::optional<std::vector<S>> current_;
  std::size_t pos_ = 0;
};

}  // namespace concur::futures
