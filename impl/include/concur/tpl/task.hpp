// concur/tpl/task.hpp — .NET's Task / Task<TResult> (seed 000, .NET half:
// Task.Run, await, Task.WhenAll, Task.WhenAny, Task.Delay(…, token); .NET
// docs "Task-based asynchronous programming").
//
// Guarantees
//  * Task<T> (T may be void) is a copyable handle to one shared task; copies
//    observe the same task. Its status() moves created → waiting_to_run →
//    running → one of ran_to_completion, faulted, canceled, exactly once.
//    is_completed() is true in any of the three final states (.NET's
//    IsCompleted), is_completed_successfully() only in ran_to_completion.
//  * Task<T>::run(fn[, token]) — Task.Run: fn() runs on a tpl worker. A
//    token already cancelled when the task would start makes it canceled
//    without running fn; fn throwing OperationCanceledException while that
//    token is cancelled makes it canceled (.NET's cooperative cancellation);
//    any other exception makes it faulted. If fn returns a Task<U>, run
//    returns a Task<U> that completes as the inner task does (Task.Run's
//    unwrapping).
//  * result() — .Result: waits, then returns the value (void: nothing). A
//    faulted task throws AggregateException holding every inner exception; a
//    canceled one throws AggregateException holding a TaskCanceledException
//    ("A task was canceled."). get() — await's GetAwaiter().GetResult():
//    same wait, but rethrows the first inner exception itself (canceled:
//    TaskCanceledException).
//  * wait(timeout) — .Wait(TimeSpan): true once completed, false if the
//    timeout passed first; throws as result() does when the task faulted or
//    was canceled. No timeout waits forever.
//  * exception() — .Exception: the AggregateException of a faulted task,
//    nullopt otherwise.
//  * A thread that waits without a timeout (result, get, wait()) for a task
//    no worker has started runs it itself, on the waiting thread (.NET's
//    task inlining). A timed wait never inlines: it returns on time.
//  * then(fn) — ContinueWith. fn(Task<T>) gets the antecedent and runs
//    whatever its outcome; fn(value) (fn() for Task<void>) runs only when
//    the antecedent ran to completion, otherwise the continuation ends in the
//    antecedent's state with its exceptions (a promise-style then). Either
//    way fn runs on a tpl worker after the antecedent completed, and the
//    returned Task holds fn's result or exception.
//  * when_all(tasks) — Task.WhenAll: completes when every task completed.
//    Results in input order (Task<std::vector<T>>; Task<void> for void
//    tasks). If any faulted it ends faulted with the inner exceptions of
//    every faulted task, in input order (so result() throws one
//    AggregateException with all of them); else if any was canceled it ends
//    canceled. An empty list completes at once.
//  * when_any(tasks) — Task.WhenAny: a Task<Task<T>> whose result is the
//    first task that completed (in any final state: it never faults itself).
//    An empty list throws ValueError("The tasks argument contains no tasks.").
//  * delay(duration, token) — Task.Delay: a Task<void> that runs to
//    completion once the duration passed, or ends canceled as soon as the
//    token is cancelled (at once if it already is). Negative durations are
//    zero. It occupies no worker while it waits.
//  * from_result(v), from_exception(e), from_canceled() — Task.FromResult,
//    FromException, FromCanceled: tasks that are already completed.
//
// Threads: work runs on concur's tpl pool — daemonic concur::threading::Threads
// named "tpl-worker-N", started on demand up to max(2, hardware threads)
// running at once, plus one compensating worker for each worker that blocks
// in wait/result/get while work is queued. They are started by the first
// Task::run, continuation or Parallel call, sleep when idle and are never
// stopped (as .NET's ThreadPool; program exit does not wait for them). delay
// uses the tpl timer thread (cancellation.hpp). Work that blocks for long
// outside tpl's own waits (sleeping, I/O) holds a worker.
//
// Thread-safety: every member may be called from any thread, on any copy.
// Process-safety: none. Fork-safety: a child forked while tpl workers exist
// has none of them: it must not use concur::tpl.
// Blocking: result, get, wait block; everything else returns at once.
// Lifetime: the shared task lives while any handle, pending continuation or
// queued work item refers to it; dropping every handle of a running task
// does not stop it (there is no way to stop a task but its token).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "concur/detail/tpl_scheduler.hpp"
#include "concur/errors.hpp"
#include "concur/threading/event.hpp"
#include "concur/threading/lock.hpp"
#include "concur/timeout.hpp"
#include "concur/tpl/cancellation.hpp"

namespace concur::tpl {

// .NET's TaskStatus (WaitingForActivation is a continuation or a promise
// waiting for its antecedent; WaitingForChildrenToComplete does not occur).
enum class TaskStatus { created, waiting_for_activation, waiting_to_run, running, ran_to_completion, canceled, faulted };

template <class T = void>
class Task;

namespace detail {

template <class X>
struct is_task : std::false_type {};
template <class U>
struct is_task<Task<U>> : std::true_type {};

template <class T>
struct ResultRef {
  using type = const T&;
};
template <>
struct ResultRef<void> {
  using type = void;
};

// The shared state of one task. `status` is the source of truth; the final
// transition happens once, under `lock`, and sets `done`.
struct TaskCore {
  std::atomic<TaskStatus> status{TaskStatus::created};
  threading::Lock lock;
  threading::Event done;
  std::vector<std::exception_ptr> errors;            // faulted: every inner exception
  // Run at completion: posted to a worker, or (synchronous ones: the cheap
  // bookkeeping of when_all/when_any/unwrapping) called by the completing thread.
  std::vector<std::pair<std::function<void()>, bool>> continuations;
  std::function<void()> body;                        // claimed by exactly one runner
  CancellationToken token;                           // Task.Run's token

  // Claims the body (waiting_to_run → running) and runs it. False if
  // another thread claimed it first.
  bool try_execute() {
    TaskStatus expected = TaskStatus::waiting_to_run;
    if (!status.compare_exchange_strong(expected, TaskStatus::running, std::memory_order_acq_rel)) return false;
    auto fn = std::move(body);
    body = nullptr;
    fn();
    return true;
  }

  // Final transition; the value (if any) must be stored before. Returns
  // false if the task had already completed.
  bool complete(TaskStatus final_status, std::vector<std::exception_ptr> errs = {}) {
    std::vector<std::pair<std::function<void()>, bool>> conts;
    {
      std::unique_lock guard(lock);
      auto s = status.load(std::memory_order_relaxed);
      if (s == TaskStatus::ran_to_completion || s == TaskStatus::faulted || s == TaskStatus::canceled) return false;
      errors = std::move(errs);
      status.store(final_status, std::memory_order_release);
      conts = std::move(continuations);
      continuations.clear();
    }
    done.set();
    for (auto& [fn, synchronous] : conts) {
      if (synchronous) {
        fn();
      } else {
        concur::detail::tpl_post(std::move(fn));
      }
    }
    return true;
  }

  bool is_completed() const noexcept {
    auto s = status.load(std::memory_order_acquire);
    return s == TaskStatus::ran_to_completion || s == TaskStatus::faulted || s == TaskStatus::canceled;
  }

  // Runs `cont` once completed (at once if it already is): on a worker, or
  // when `synchronous`, on the completing (or registering) thread; a
  // synchronous continuation must be short and must not throw.
  void on_completed(std::function<void()> cont, bool synchronous = false) {
    {
      std::unique_lock guard(lock);
      if (!is_completed()) {
        continuations.emplace_back(std::move(cont), synchronous);
        return;
      }
    }
    if (synchronous) {
      cont();
    } else {
      concur::detail::tpl_post(std::move(cont));
    }
  }

  // Waits for completion (inlining a task nobody started). True if completed.
  bool wait_completed(Timeout timeout) {
    if (is_completed()) return true;
    // Only an untimed wait inlines: a timed one must return on time.
    if (!timeout && status.load(std::memory_order_acquire) == TaskStatus::waiting_to_run) try_execute();
    if (is_completed()) return true;
    concur::detail::TplBlockingScope blocking;
    return done.wait(timeout) && is_completed();
  }

  void throw_if_unsuccessful() const {
    auto s = status.load(std::memory_order_acquire);
    if (s == TaskStatus::faulted) throw AggregateException(errors);
    if (s == TaskStatus::canceled) throw AggregateException({std::make_exception_ptr(TaskCanceledException())});
  }

  void rethrow_first_if_unsuccessful() const {
    auto s = status.load(std::memory_order_acquire);
    if (s == TaskStatus::faulted) std::rethrow_exception(errors.front());
    if (s == TaskStatus::canceled) throw TaskCanceledException();
  }
};

template <class T>
struct TaskState : TaskCore {
  std::optional<T> value;
};
template <>
struct TaskState<void> : TaskCore {};

// Ends `state` by the outcome of calling fn: a value, canceled (an
// OperationCanceledException while `token` is cancelled) or faulted.
template <class T, class F>
void complete_from(const std::shared_ptr<TaskState<T>>& state, F& fn, const CancellationToken& token) {
  try {
    if constexpr (std::is_void_v<T>) {
      fn();
    } else {
      state->value.emplace(fn());
    }
  } catch (const OperationCanceledException&) {
    if (token.is_cancellation_requested()) {
      state->complete(TaskStatus::canceled);
    } else {
      state->complete(TaskStatus::faulted, {std::current_exception()});
    }
    return;
  } catch (...) {
    state->complete(TaskStatus::faulted, {std::current_exception()});
    return;
  }
  state->complete(TaskStatus::ran_to_completion);
}

struct TaskAccess;

template <class F, class T>
struct ThenResult {
  using type = std::invoke_result_t<F&, T&>;
};
template <class F>
struct ThenResult<F, void> {
  using type = std::invoke_result_t<F&>;
};

}  // namespace detail

template <class T>
class Task {
 public:
  using result_type = T;

  // An invalid task (no state); only assignment and valid() may be used.
  Task() = default;

  // Task.Run(fn[, token]). See the contract.
  template <class F>
  static auto run(F fn, CancellationToken token = {});

  // Task.FromResult / FromException / FromCanceled.
  template <class U = T>
    requires(!std::is_void_v<U>)
  static Task from_result(U value) {
    auto state = std::make_shared<detail::TaskState<T>>();
    state->value.emplace(std::move(value));
    state->complete(TaskStatus::ran_to_completion);
    return Task(state);
  }
  static Task completed_task()
    requires std::is_void_v<T>
  {
    auto state = std::make_shared<detail::TaskState<T>>();
    state->complete(TaskStatus::ran_to_completion);
    return Task(state);
  }
  static Task from_exception(std::exception_ptr error) {
    auto state = std::make_shared<detail::TaskState<T>>();
    state->complete(TaskStatus::faulted, {std::move(error)});
    return Task(state);
  }
  static Task from_canceled() {
    auto state = std::make_shared<detail::TaskState<T>>();
    state->complete(TaskStatus::canceled);
    return Task(state);
  }

  bool valid() const noexcept { return state_ != nullptr; }
  TaskStatus status() const noexcept { return state_->status.load(std::memory_order_acquire); }
  bool is_completed() const noexcept { return state_->is_completed(); }
  bool is_completed_successfully() const noexcept { return status() == TaskStatus::ran_to_completion; }
  bool is_faulted() const noexcept { return status() == TaskStatus::faulted; }
  bool is_canceled() const noexcept { return status() == TaskStatus::canceled; }

  // .Wait(timeout). Throws AggregateException if faulted or canceled.
  bool wait(Timeout timeout = std::nullopt) const {
    if (!state_->wait_completed(timeout)) return false;
    state_->throw_if_unsuccessful();
    return true;
  }

  // .Result. Throws AggregateException if faulted or canceled.
  typename detail::ResultRef<T>::type result() const {
    state_->wait_completed(std::nullopt);
    state_->throw_if_unsuccessful();
    if constexpr (!std::is_void_v<T>) return *state_->value;
  }

  // await / GetAwaiter().GetResult(): rethrows the first inner exception.
  typename detail::ResultRef<T>::type get() const {
    state_->wait_completed(std::nullopt);
    state_->rethrow_first_if_unsuccessful();
    if constexpr (!std::is_void_v<T>) return *state_->value;
  }

  // .Exception: the AggregateException of a faulted task.
  std::optional<AggregateException> exception() const {
    if (!is_faulted()) return std::nullopt;
    return AggregateException(state_->errors);
  }

  // ContinueWith / promise-style then. See the contract.
  template <class F>
  auto then(F fn) const;

  friend bool operator==(const Task& a, const Task& b) noexcept { return a.state_ == b.state_; }

 private:
  friend struct detail::TaskAccess;
  template <class U>
  friend class Task;
  explicit Task(std::shared_ptr<detail::TaskState<T>> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::TaskState<T>> state_;
};

namespace detail {

struct TaskAccess {
  template <class T>
  static const std::shared_ptr<TaskState<T>>& state(const Task<T>& t) {
    return t.state_;
  }
  template <class T>
  static Task<T> make(std::shared_ptr<TaskState<T>> state) {
    return Task<T>(std::move(state));
  }
};

// A task that completes as `inner` does (Task.Run unwrapping, then returning a Task).
template <class U>
void forward_outcome(const std::shared_ptr<TaskState<U>>& to, const Task<U>& from) {
  auto src = TaskAccess::state(from);
  src->on_completed([to, src] {
    auto s = src->status.load(std::memory_order_acquire);
    if (s == TaskStatus::ran_to_completion) {
      if constexpr (!std::is_void_v<U>) to->value.emplace(*src->value);
      to->complete(TaskStatus::ran_to_completion);
    } else {
      to->complete(s, src->errors);
    }
  }, true);
}

}  // namespace detail

namespace detail {

// Task.Run without unwrapping: a Task<R> whose body is fn().
template <class R, class F>
Task<R> start_task(F fn, CancellationToken token) {
  auto state = std::make_shared<TaskState<R>>();
  state->token = token;
  // The body holds the state weakly (the state owns the body); the queued
  // work item holds it strongly until it ran.
  std::weak_ptr<TaskState<R>> weak = state;
  state->body = [weak, fn = std::move(fn), token]() mutable {
    auto st = weak.lock();
    if (!st) return;
    if (token.is_cancellation_requested()) {
      st->complete(TaskStatus::canceled);
      return;
    }
    complete_from<R>(st, fn, token);
  };
  state->status.store(TaskStatus::waiting_to_run, std::memory_order_release);
  concur::detail::tpl_post([state] { state->try_execute(); });
  return TaskAccess::make<R>(std::move(state));
}

}  // namespace detail

template <class T>
template <class F>
auto Task<T>::run(F fn, CancellationToken token) {
  using R = std::invoke_result_t<F&>;
  if constexpr (detail::is_task<R>::value) {
    using U = typename R::result_type;
    auto outer = std::make_shared<detail::TaskState<U>>();
    outer->status.store(TaskStatus::waiting_for_activation, std::memory_order_relaxed);
    auto starter = detail::start_task<R>(std::move(fn), token);
    detail::TaskAccess::state(starter)->on_completed([outer, starter] {
      const auto& st = detail::TaskAccess::state(starter);
      auto s = st->status.load(std::memory_order_acquire);
      if (s == TaskStatus::ran_to_completion) {
        detail::forward_outcome<U>(outer, *st->value);
      } else {
        outer->complete(s, st->errors);
      }
    }, true);
    return Task<U>(outer);
  } else {
    return detail::start_task<R>(std::move(fn), token);
  }
}

template <class T>
template <class F>
auto Task<T>::then(F fn) const {
  auto ante = state_;
  Task<T> self(ante);
  if constexpr (std::is_invocable_v<F&, Task<T>>) {
    // ContinueWith(Func<Task<T>, R>): runs whatever the outcome.
    using R = std::invoke_result_t<F&, Task<T>>;
    auto cont = std::make_shared<detail::TaskState<R>>();
    cont->status.store(TaskStatus::waiting_for_activation, std::memory_order_relaxed);
    ante->on_completed([cont, self, fn = std::move(fn)]() mutable {
      cont->status.store(TaskStatus::running, std::memory_order_release);
      auto call = [&]() -> R { return fn(self); };
      detail::complete_from<R>(cont, call, CancellationToken{});
    });
    return Task<R>(cont);
  } else {
    // Promise-style: fn(value) / fn() only on success.
    using R = typename detail::ThenResult<F, T>::type;
    auto cont = std::make_shared<detail::TaskState<R>>();
    cont->status.store(TaskStatus::waiting_for_activation, std::memory_order_relaxed);
    ante->on_completed([cont, ante, fn = std::move(fn)]() mutable {
      auto s = ante->status.load(std::memory_order_acquire);
      if (s != TaskStatus::ran_to_completion) {
        cont->complete(s, ante->errors);
        return;
      }
      cont->status.store(TaskStatus::running, std::memory_order_release);
      auto call = [&]() -> R {
        if constexpr (std::is_void_v<T>) {
          return fn();
        } else {
          return fn(*ante->value);
        }
      };
      detail::complete_from<R>(cont, call, CancellationToken{});
    });
    return Task<R>(cont);
  }
}

// Task.Run as a free function: run(fn[, token]).
template <class F>
auto run(F fn, CancellationToken token = {}) {
  return Task<>::run(std::move(fn), std::move(token));
}

// Task.WhenAll. See the contract.
template <class T>
auto when_all(std::vector<Task<T>> tasks) {
  using R = std::conditional_t<std::is_void_v<T>, void, std::vector<T>>;
  auto all = std::make_shared<detail::TaskState<R>>();
  all->status.store(TaskStatus::waiting_for_activation, std::memory_order_relaxed);
  if (tasks.empty()) {
    if constexpr (!std::is_void_v<T>) all->value.emplace();
    all->complete(TaskStatus::ran_to_completion);
    return detail::TaskAccess::make<R>(all);
  }
  auto remaining = std::make_shared<std::atomic<std::size_t>>(tasks.size());
  auto shared_tasks = std::make_shared<const std::vector<Task<T>>>(std::move(tasks));
  for (const auto& t : *shared_tasks) {
    detail::TaskAccess::state(t)->on_completed([all, remaining, shared_tasks] {
      if (remaining->fetch_sub(1, std::memory_order_acq_rel) != 1) return;
      std::vector<std::exception_ptr> errors;
      bool canceled = false;
      for (const auto& each : *shared_tasks) {
        const auto& st = detail::TaskAccess::state(each);
        auto s = st->status.load(std::memory_order_acquire);
        if (s == TaskStatus::faulted) errors.insert(errors.end(), st->errors.begin(), st->errors.end());
        if (s == TaskStatus::canceled) canceled = true;
      }
      if (!errors.empty()) {
        all->complete(TaskStatus::faulted, std::move(errors));
      } else if (canceled) {
        all->complete(TaskStatus::canceled);
      } else {
        if constexpr (!std::is_void_v<T>) {
          std::vector<T> values;
          values.reserve(shared_tasks->size());
          for (const auto& each : *shared_tasks) values.push_back(*detail::TaskAccess::state(each)->value);
          all->value.emplace(std::move(values));
        }
        all->complete(TaskStatus::ran_to_completion);
      }
    }, true);
  }
  return detail::TaskAccess::make<R>(all);
}

template <class T, class... More>
  requires(std::is_same_v<Task<T>, More> && ...)
auto when_all(Task<T> first, More... more) {
  return when_all(std::vector<Task<T>>{std::move(first), std::move(more)...});
}

// Task.WhenAny. See the contract.
template <class T>
Task<Task<T>> when_any(std::vector<Task<T>> tasks) {
  if (tasks.empty()) throw ValueError("The tasks argument contains no tasks.");
  auto any = std::make_shared<detail::TaskState<Task<T>>>();
  any->status.store(TaskStatus::waiting_for_activation, std::memory_order_relaxed);
  auto won = std::make_shared<std::atomic<bool>>(false);
  for (const auto& t : tasks) {
    detail::TaskAccess::state(t)->on_completed([any, won, t] {
      if (won->exchange(true, std::memory_order_acq_rel)) return;
      any->value.emplace(t);
      any->complete(TaskStatus::ran_to_completion);
    }, true);
  }
  return detail::TaskAccess::make<Task<T>>(any);
}

template <class T, class... More>
  requires(std::is_same_v<Task<T>, More> && ...)
Task<Task<T>> when_any(Task<T> first, More... more) {
  return when_any(std::vector<Task<T>>{std::move(first), std::move(more)...});
}

// Task.Delay(duration[, token]). See the contract.
Task<void> delay(std::chrono::duration<double> duration, CancellationToken token = {});

}  // namespace concur::tpl
