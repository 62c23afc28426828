// concur/multiprocessing/pool_results.hpp — AsyncResult, MapResult and
// IMapIterator: the result objects of Pool and ThreadPool
// (CPython Lib/multiprocessing/pool.py: ApplyResult, MapResult, IMapIterator,
// IMapUnorderedIterator; seed 004 "获取函数返回值": apply_async(...).get(timeout)).
//
// Guarantees
//  * A result becomes ready exactly once, when every chunk of its job has
//    finished (CPython: "only consider the result ready once all jobs are
//    done"). get() then returns the value or rethrows the FIRST error of the
//    job; wait() only waits; ready() and successful() never block.
//  * get(timeout) / wait(timeout) / IMapIterator::next(timeout): an expired
//    timeout raises concur::multiprocessing::TimeoutError (a ProcessError,
//    CPython's multiprocessing.TimeoutError), never the builtin TimeoutError.
//    wait(timeout) returns quietly (check ready()).
//  * successful() before ready() raises ValueError("<multiprocessing.pool.
//    ApplyResult object at 0x...> not ready") (MapResult for map_async;
//    CPython: "{0!r} not ready"; the address is the shared result state's).
//  * callback / error_callback run once per job, in the thread that completes
//    it (the pool's result handler thread for Pool, a worker thread for
//    ThreadPool), BEFORE get() returns to any waiter, as in CPython. An
//    exception a callback throws is printed to stderr and dropped.
//  * Errors crossing from a worker process keep their type and message when
//    concur knows the type (errors.hpp, <stdexcept>); otherwise they arrive
//    as RemoteError (type name, message, remote traceback text).
//  * IMapIterator (imap, ordered) yields results in submission order as soon
//    as each one is available; the unordered variant (imap_unordered) yields
//    them in completion order. A failed task raises its error from next() at
//    its position; iteration then continues with the next chunk. (CPython
//    does so for chunksize=1; with chunksize > 1 its imap returns a
//    generator, which is finished once it raised, so the later results are
//    lost. concur keeps one rule for every chunksize: a deliberate
//    difference, declared in conformance/cpython/pool_imap.)
//
// Thread-safety: every member may be called from any thread; copies are
// handles to one shared state. Lifetime: a result outlives its pool; a
// result whose pool was terminated before the task finished fails with
// ProcessError("Pool terminated before the task finished") (CPython would
// leave it pending forever), without running error_callback.
// Fork-safety: do not use a result object in a forked child.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "concur/detail/type_name.hpp"
#include "concur/errors.hpp"
#include "concur/multiprocessing/spawn.hpp"
#include "concur/serialization.hpp"
#include "concur/threading/condition.hpp"
#include "concur/threading/lock.hpp"
#include "concur/timeout.hpp"

namespace concur::multiprocessing {

// error_callback's parameter: the exception the task raised (Python passes
// the exception object).
using ErrorCallback = std::function<void(const std::exception&)>;

namespace detail {

// Calls cb with the exception held by `e`; a non-std exception is passed as
// RemoteError naming its type.
void call_error_callback(const ErrorCallback& cb, const std::exception_ptr& e) noexcept;
// Prints "Exception in <where>:" and the error to stderr (a failed callback).
void report_callback_error(const char* where) noexcept;
// The error results get when their pool is terminated first.
std::exception_ptr pool_terminated_error();

// One job as the pools see it: chunks arrive as serialized values (process
// pool) or as values (thread pool), or fail.
struct JobSink {
  virtual ~JobSink() = default;
  // Process pool: `bytes` is dumps(std::vector<S>) for chunk `chunk`.
  virtual void deliver_bytes(std::uint32_t chunk, std::string_view bytes) = 0;
  // The chunk failed. run_callbacks=false: the pool was terminated.
  virtual void fail(std::uint32_t chunk, std::exception_ptr error, bool run_callbacks = true) = 0;
  // The chunk is about to be handed to a worker; false: do not run it (a
  // cancelled concurrent.futures.Future).
  virtual bool on_dispatch(std::uint32_t /*chunk*/) { return true; }
  // The chunk was dropped before it ran (executor shutdown with
  // cancel_futures).
  virtual void cancel(std::uint32_t /*chunk*/) {}
  // Human-readable name of the function (for error text).
  std::string fn_name;
};

template <class S>
struct ValueSink : JobSink {
  virtual void deliver(std::uint32_t chunk, std::vector<S> values) = 0;
  void deliver_bytes(std::uint32_t chunk, std::string_view bytes) override {
    std::vector<S> values;
    try {
      values = serialization::loads<std::vector<S>>(bytes);
    } catch (...) {
      fail(chunk, std::current_exception());
      return;
    }
    deliver(chunk, std::move(values));
  }
};

// ApplyResult / MapResult state: `chunks` chunks whose values land at
// `offsets[chunk]` of one vector.
template <class S>
class MapState final : public ValueSink<S> {
 public:
  using Callback = std::function<void(const std::vector<S>&)>;
  MapState(std::vector<std::size_t> offsets, std::size_t length, Callback cb, ErrorCallback ecb)
      : offsets_(std::move(offsets)), left_(offsets_.size()), callback_(std::move(cb)), error_callback_(std::move(ecb)) {
    value_.resize(length);
    if (left_ == 0) ready_ = true;  // map over an empty iterable
  }

  void deliver(std::uint32_t chunk, std::vector<S> values) override {
    bool complete;
    {
      std::lock_guard lock(mu_);
      if (success_) {
        std::size_t at = offsets_.at(chunk);
        for (std::size_t i = 0; i < values.size() && at + i < value_.size(); ++i) value_[at + i] = std::move(values[i]);
      }
      complete = --left_ == 0;
    }
    if (complete) finish(true);
  }
  void fail(std::uint32_t, std::exception_ptr error, bool run_callbacks) override {
    bool complete;
    {
      std::lock_guard lock(mu_);
      if (success_) {
        success_ = false;
        error_ = std::move(error);
      }
      if (!run_callbacks) no_callbacks_ = true;
      complete = left_ > 0 && --left_ == 0;
    }
    if (complete) finish(false);
  }

  bool ready() {
    std::lock_guard lock(mu_);
    return ready_;
  }
  bool wait(const Timeout& timeout) {
    std::lock_guard lock(mu_);
    return cv_.wait_for([this] { return ready_; }, timeout);
  }
  // `class_name`: CPython's result class, for the "{0!r} not ready" text.
  bool successful(const char* class_name) {
    std::lock_guard lock(mu_);
    if (!ready_) {
      throw ValueError(std::string("<multiprocessing.pool.") + class_name + " object at " +
                       concur::detail::address_text(this) + "> not ready");
    }
    return success_;
  }
  // Waits, then returns the value or rethrows the error.
  const std::vector<S>& get(const Timeout& timeout) {
    std::lock_guard lock(mu_);
    if (!cv_.wait_for([this] { return ready_; }, timeout)) throw TimeoutError();
    if (!success_) std::rethrow_exception(error_);
    return value_;
  }

 private:
  void finish(bool) {
    // Callbacks run before waiters see the result (CPython ApplyResult._set).
    bool ok;
    bool callbacks;
    {
      std::lock_guard lock(mu_);
      ok = success_;
      callbacks = !no_callbacks_;
    }
    if (callbacks) {
      if (ok && callback_) {
        try {
          callback_(value_);
        } catch (...) {
          report_callback_error("callback");
        }
      } else if (!ok && error_callback_) {
        call_error_callback(error_callback_, error_);
      }
    }
    std::lock_guard lock(mu_);
    ready_ = true;
    callback_ = nullptr;
    error_callback_ = nullptr;
    cv_.notify_all();
  }

  threading::Lock mu_;  // with cv_: CPython's threading.Condition(threading.Lock())
  threading::Condition cv_{mu_};
  std::vector<std::size_t> offsets_;
  std::size_t left_;
  std::vector<S> value_;
  std::exception_ptr error_;
  bool success_ = true;
  bool ready_ = false;
  bool no_callbacks_ = false;
  Callback callback_;
  ErrorCallback error_callback_;
};

// IMapIterator / IMapUnorderedIterator state.
template <class S>
class IMapState final : public ValueSink<S> {
 public:
  IMapState(std::size_t chunks, bool ordered) : chunks_(chunks), ordered_(ordered) {}

  void deliver(std::uint32_t chunk, std::vector<S> values) override { put(chunk, Entry{std::move(values), nullptr}); }
  void fail(std::uint32_t chunk, std::exception_ptr error, bool) override { put(chunk, Entry{{}, std::move(error)}); }

  // The next value; nullopt once every value was returned.
  std::optional<S> next(const Timeout& timeout) {
    std::lock_guard lock(mu_);
    for (;;) {
      if (current_ && pos_ < current_->values.size()) return std::move(current_->values[pos_++]);
      current_.reset();
      pos_ = 0;
      if (taken_ == chunks_) return std::nullopt;
      if (!cv_.wait_for([this] { return available(); }, timeout)) throw TimeoutError();
      Entry e = take();
      ++taken_;
      if (e.error) std::rethrow_exception(e.error);
      current_ = std::move(e);
    }
  }

 private:
  struct Entry {
    std::vector<S> values;
    std::exception_ptr error;
  };
  void put(std::uint32_t chunk, Entry e) {
    std::lock_guard lock(mu_);
    if (ordered_) {
      arrived_.emplace(chunk, std::move(e));
    } else {
      queue_.push_back(std::move(e));
    }
    cv_.notify_all();
  }
  bool available() const {
    return ordered_ ? arrived_.count(static_cast<std::uint32_t>(taken_)) > 0 : !queue_.empty();
  }
  Entry take() {
    if (ordered_) {
      auto it = arrived_.find(static_cast<std::uint32_t>(taken_));
      Entry e = std::move(it->second);
      arrived_.erase(it);
      return e;
    }
    Entry e = std::move(queue_.front());
    queue_.pop_front();
    return e;
  }

  threading::Lock mu_;  // with cv_: CPython's threading.Condition(threading.Lock())
  threading::Condition cv_{mu_};
  const std::size_t chunks_;
  const bool ordered_;
  std::size_t taken_ = 0;
  std::map<std::uint32_t, Entry> arrived_;
  std::deque<Entry> queue_;
  std::optional<Entry> current_;
  std::size_t pos_ = 0;
};

}  // namespace detail

// The result of apply_async (CPython ApplyResult). T is the task's return
// type; get() returns it (nothing for a void function).
template <class T>
class AsyncResult {
 public:
  using S = detail::task_value_t<T>;
  using Callback = std::conditional_t<std::is_void_v<T>, std::function<void()>, std::function<void(const S&)>>;

  AsyncResult() = default;  // an empty handle; every call raises ValueError

  // Waits up to `timeout` (TimeoutError), then returns the value or rethrows
  // the task's error.
  T get(Timeout timeout = std::nullopt) const {
    const auto& v = state().get(timeout);
    if constexpr (!std::is_void_v<T>) return v.at(0);
  }
  // Waits until ready or the timeout passes.
  void wait(Timeout timeout = std::nullopt) const { (void)state().wait(timeout); }
  bool ready() const { return state().ready(); }
  // Precondition: ready() (ValueError "<multiprocessing.pool.ApplyResult
  // object at 0x...> not ready" otherwise).
  bool successful() const { return state().successful("ApplyResult"); }

  // For the pools: a fresh state for one call.
  static AsyncResult make(Callback cb, ErrorCallback ecb) {
    typename detail::MapState<S>::Callback wrapped;
    if (cb) {
      if constexpr (std::is_void_v<T>) {
        wrapped = [cb = std::move(cb)](const std::vector<S>&) { cb(); };
      } else {
        wrapped = [cb = std::move(cb)](const std::vector<S>& v) { cb(v.at(0)); };
      }
    }
    AsyncResult r;
    r.state_ = std::make_shared<detail::MapState<S>>(std::vector<std::size_t>{0}, 1, std::move(wrapped), std::move(ecb));
    return r;
  }
  const std::shared_ptr<detail::MapState<S>>& sink() const { return state_; }

 private:
  detail::MapState<S>& state() const {
    if (!state_) throw ValueError("empty AsyncResult");
    return *state_;
  }
  std::shared_ptr<detail::MapState<S>> state_;
};

// The result of map_async / starmap_async (CPython MapResult): get() returns
// one value per item, in order (std::monostate, Python's None, for a void
// function).
template <class T>
class MapResult {
 public:
  using S = detail::task_value_t<T>;
  using Callback = std::function<void(const std::vector<S>&)>;

  MapResult() = default;

  std::vector<S> get(Timeout timeout = std::nullopt) const { return state().get(timeout); }
  void wait(Timeout timeout = std::nullopt) const { (void)state().wait(timeout); }
  bool ready() const { return state().ready(); }
  bool successful() const { return state().successful("MapResult"); }

  // For the pools: chunk i holds the items from offsets[i] on.
  static MapResult make(std::vector<std::size_t> offsets, std::size_t length, Callback cb, ErrorCallback ecb) {
    MapResult r;
    r.state_ = std::make_shared<detail::MapState<S>>(std::move(offsets), length, std::move(cb), std::move(ecb));
    return r;
  }
  const std::shared_ptr<detail::MapState<S>>& sink() const { return state_; }

 private:
  detail::MapState<S>& state() const {
    if (!state_) throw ValueError("empty MapResult");
    return *state_;
  }
  std::shared_ptr<detail::MapState<S>> state_;
};

// The iterator imap / imap_unordered return (CPython IMapIterator,
// IMapUnorderedIterator). next(timeout) returns the next value, or nullopt
// once all were returned (Python's StopIteration); a range-for loop works too.
template <class T>
class IMapIterator {
 public:
  using S = detail::task_value_t<T>;

  IMapIterator() = default;

  // The next value; nullopt at the end. TimeoutError when none arrives in
  // time; rethrows the error of a failed task at its position.
  std::optional<S> next(Timeout timeout = std::nullopt) {
    if (!state_) throw ValueError("empty IMapIterator");
    return state_->next(timeout);
  }

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = S;
    using difference_type = std::ptrdiff_t;
    using pointer = const S*;
    using reference = const S&;
    iterator() = default;
    explicit iterator(IMapIterator* it) : it_(it) { ++*this; }
    const S& operator*() const { return *value_; }
    const S* operator->() const { return &*value_; }
    iterator& operator++() {
      value_ = it_->next();
      if (!value_) it_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(const iterator& o) const { return it_ == o.it_; }

   private:
    IMapIterator* it_ = nullptr;
    std::optional<S> value_;
  };
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

  static IMapIterator make(std::size_t chunks, bool ordered) {
    IMapIterator r;
    r.state_ = std::make_shared<detail::IMapState<S>>(chunks, ordered);
    return r;
  }
  const std::shared_ptr<detail::IMapState<S>>& sink() const { return state_; }

 private:
  std::shared_ptr<detail::IMapState<S>> state_;
};

}  // namespace concur::multiprocessing
