// concur/tpl/cancellation.hpp — .NET's CancellationTokenSource,
// CancellationToken and CancellationTokenRegistration (seed 000, .NET half:
// "CancellationTokenSource cts = new CancellationTokenSource();
// cts.CancelAfter(3000); await Task.Delay(5000, cts.Token);"; .NET docs
// "Cancellation in managed threads").
//
// Guarantees
//  * A CancellationTokenSource owns one cancellation state; token() hands out
//    CancellationTokens that observe it. cancel() is idempotent: the first
//    call sets the state and runs the registered callbacks, later calls do
//    nothing. is_cancellation_requested() is true from the moment cancel()
//    starts (before the callbacks run), on the source and on every token.
//  * cancel_after(delay) cancels the source once `delay` has passed; a second
//    call replaces the first deadline (.NET: "re-schedules"); a cancel()
//    before the deadline makes it moot. Negative delays behave as zero (the
//    concur timeout rule). CancellationTokenSource(delay) is the .NET
//    constructor that calls cancel_after at once.
//  * register_callback(fn) — .NET's Register; C++ reserves `register`, hence
//    the rename. fn runs exactly once, when cancel() is called, on the thread
//    that calls cancel() (for cancel_after: the tpl timer thread, see
//    below). Callbacks run in reverse order of registration, as .NET's. On a
//    token that is already cancelled, fn runs at once on the calling thread
//    and its exception, if any, propagates from register_callback. On a token
//    that can never be cancelled (the default token) fn never runs.
//  * The returned CancellationTokenRegistration unregisters the callback on
//    dispose() or destruction. If the callback is running on another thread
//    at that moment, dispose() waits until it returned (.NET's Dispose); from
//    inside the callback itself it does not wait.
//  * Exceptions thrown by callbacks during cancel() do not stop the other
//    callbacks: after all ran, cancel() throws one AggregateException holding
//    every one of them (.NET's Cancel(false)).
//  * throw_if_cancellation_requested() throws concur::OperationCanceledException
//    ("The operation was canceled.") once cancellation was requested.
//  * A default-constructed CancellationToken (also CancellationToken::none())
//    is .NET's CancellationToken.None: it never cancels and
//    can_be_canceled() is false.
//
// Hidden thread: cancel_after (and tpl::delay, task.hpp) use one process-wide
// timer thread, a daemonic concur::threading::Thread named "tpl-timer",
// started by the first call that needs it and never stopped (it sleeps while
// no deadline is pending; program exit does not wait for it). A callback run
// by cancel_after runs on it and delays later deadlines while it runs: keep
// callbacks short, as .NET advises.
//
// Thread-safety: every member of all three types may be called from any
// thread. Process-safety: none (in-process objects). Fork-safety: a child
// forked while a cancel_after deadline was pending never sees it fire (the
// timer thread does not exist in the child); do not use cancel_after/delay in
// such a child.
// Blocking: cancel() runs the callbacks synchronously; dispose() may wait for
// a running callback. Nothing else blocks.
// Lifetime: sources and tokens are cheap copyable handles to a shared state
// (.NET's are reference types); the state lives while any source, token or
// pending timer refers to it. Destroying every source does not cancel.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

#include "concur/errors.hpp"

namespace concur::tpl {

namespace detail {
struct CancellationState;
}  // namespace detail

class CancellationToken;

// Returned by CancellationToken::register_callback. Move-only; unregisters
// on dispose() or destruction. An empty registration (the callback already
// ran, or the token can never cancel) does nothing.
class CancellationTokenRegistration {
 public:
  CancellationTokenRegistration() = default;
  CancellationTokenRegistration(CancellationTokenRegistration&& other) noexcept
      : state_(std::move(other.state_)), id_(std::exchange(other.id_, 0)) {}
  CancellationTokenRegistration& operator=(CancellationTokenRegistration&& other) noexcept {
    if (this != &other) {
      dispose();
      state_ = std::move(other.state_);
      id_ = std::exchange(other.id_, 0);
    }
    return *this;
  }
  CancellationTokenRegistration(const CancellationTokenRegistration&) = delete;
  CancellationTokenRegistration& operator=(const CancellationTokenRegistration&) = delete;
  ~CancellationTokenRegistration() { dispose(); }

  // Unregisters the callback: it will not run. Waits while it runs on
  // another thread. Idempotent.
  void dispose() noexcept;

  // .NET's Unregister(): true if this call removed a callback that had not
  // run yet (it then never runs); false if it ran, runs, or was removed.
  bool unregister() noexcept;

 private:
  friend class CancellationToken;
  CancellationTokenRegistration(std::weak_ptr<detail::CancellationState> state, std::uint64_t id)
      : state_(std::move(state)), id_(id) {}
  std::weak_ptr<detail::CancellationState> state_;
  std::uint64_t id_ = 0;
};

class CancellationToken {
 public:
  // CancellationToken.None: never cancels.
  CancellationToken() = default;
  static CancellationToken none() { return {}; }

  bool is_cancellation_requested() const noexcept;
  // False only for a token no source can cancel (none()).
  bool can_be_canceled() const noexcept { return state_ != nullptr; }

  // Throws OperationCanceledException if cancellation was requested.
  void throw_if_cancellation_requested() const {
    if (is_cancellation_requested()) throw OperationCanceledException();
  }

  // .NET's Register(Action). See the contract above.
  CancellationTokenRegistration register_callback(std::function<void()> callback) const;

  // Two tokens are equal when they observe the same source (or both are none()).
  friend bool operator==(const CancellationToken& a, const CancellationToken& b) noexcept {
    return a.state_ == b.state_;
  }

 private:
  friend class CancellationTokenSource;
  explicit CancellationToken(std::shared_ptr<detail::CancellationState> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::CancellationState> state_;
};

class CancellationTokenSource {
 public:
  CancellationTokenSource();
  // new CancellationTokenSource(TimeSpan delay): cancel_after(delay) at once.
  explicit CancellationTokenSource(std::chrono::duration<double> delay);

  // Requests cancellation; runs the callbacks (see the contract). Throws
  // AggregateException if any callback threw.
  void cancel();
  // Cancels once `delay` has passed (replacing an earlier cancel_after).
  void cancel_after(std::chrono::duration<double> delay);

  bool is_cancellation_requested() const noexcept;
  CancellationToken token() const { return CancellationToken(state_); }

  // CreateLinkedTokenSource(a, b): a source that is cancelled when either
  // token is (or when its own cancel() is called).
  static CancellationTokenSource create_linked_token_source(const CancellationToken& a, const CancellationToken& b);

 private:
  std::shared_ptr<detail::CancellationState> state_;
};

}  // namespace concur::tpl
