// CancellationTokenSource / CancellationToken / CancellationTokenRegistration
// (contract in concur/tpl/cancellation.hpp).
//
// One CancellationState per source: an atomic flag read without the lock, and
// under a threading::Lock the registered callbacks (a map keyed by a
// growing id, so the highest id — the latest registration — runs first),
// the id of the callback cancel() is running and the thread running it
// (dispose() waits for it on a threading::Condition), and the pending
// cancel_after timer.
#include "concur/tpl/cancellation.hpp"

#include <atomic>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "concur/threading/condition.hpp"
#include "concur/threading/lock.hpp"
#include "timer.hpp"

namespace concur::tpl {

namespace detail {

struct CancellationState : std::enable_shared_from_this<CancellationState> {
  std::atomic<bool> canceled{false};
  threading::Lock lock;
  threading::Condition callback_done{lock};
  std::map<std::uint64_t, std::function<void()>> callbacks;
  std::uint64_t next_id = 0;
  std::uint64_t running_id = 0;  // the callback cancel() runs now, 0 if none
  std::thread::id running_thread;
  std::uint64_t timer_id = 0;    // pending cancel_after, 0 if none
  std::vector<CancellationTokenRegistration> links;  // create_linked_token_source

  void cancel() {
    std::unique_lock guard(lock);
    if (canceled.load(std::memory_order_relaxed)) return;
    canceled.store(true, std::memory_order_release);
    if (timer_id != 0) {
      cancel_timer(timer_id);
      timer_id = 0;
    }
    std::vector<std::exception_ptr> errors;
    while (!callbacks.empty()) {
      auto last = std::prev(callbacks.end());
      running_id = last->first;
      running_thread = std::this_thread::get_id();
      auto fn = std::move(last->second);
      callbacks.erase(last);
      guard.unlock();
      try {
        fn();
      } catch (...) {
        errors.push_back(std::current_exception());
      }
      fn = nullptr;
      guard.lock();
      running_id = 0;
      callback_done.notify_all();
    }
    auto links_to_drop = std::move(links);
    guard.unlock();
    links_to_drop.clear();
    if (!errors.empty()) throw AggregateException(std::move(errors));
  }

  // Returns whether the callback was removed before it ran.
  bool unregister(std::uint64_t id, bool wait) {
    std::unique_lock guard(lock);
    if (callbacks.erase(id) != 0) return true;
    if (wait) {
      while (running_id == id && running_thread != std::this_thread::get_id()) callback_done.wait();
    }
    return false;
  }
};

}  // namespace detail

void CancellationTokenRegistration::dispose() noexcept {
  if (id_ == 0) return;
  if (auto state = state_.lock()) state->unregister(id_, true);
  state_.reset();
  id_ = 0;
}

bool CancellationTokenRegistration::unregister() noexcept {
  if (id_ == 0) return false;
  bool removed = false;
  if (auto state = state_.lock()) removed = state->unregister(id_, false);
  state_.reset();
  id_ = 0;
  return removed;
}

bool CancellationToken::is_cancellation_requested() const noexcept {
  return state_ && state_->canceled.load(std::memory_order_acquire);
}

CancellationTokenRegistration CancellationToken::register_callback(std::function<void()> callback) const {
  if (!state_ || !callback) return {};
  {
    std::unique_lock guard(state_->lock);
    if (!state_->canceled.load(std::memory_order_relaxed)) {
      std::uint64_t id = ++state_->next_id;
      state_->callbacks.emplace(id, std::move(callback));
      return CancellationTokenRegistration(state_, id);
    }
  }
  callback();  // already cancelled: at once, on this thread
  return {};
}

CancellationTokenSource::CancellationTokenSource() : state_(std::make_shared<detail::CancellationState>()) {}

CancellationTokenSource::CancellationTokenSource(std::chrono::duration<double> delay) : CancellationTokenSource() {
  cancel_after(delay);
}

void CancellationTokenSource::cancel() { state_->cancel(); }

void CancellationTokenSource::cancel_after(std::chrono::duration<double> delay) {
  if (delay.count() < 0) delay = delay.zero();
  std::unique_lock guard(state_->lock);
  if (state_->canceled.load(std::memory_order_relaxed)) return;
  if (state_->timer_id != 0) detail::cancel_timer(state_->timer_id);
  // The pending timer keeps the state alive (contract: "Lifetime"), so a
  // token outliving every source still gets cancelled.
  state_->timer_id = detail::schedule_timer(
      detail::TimerClock::now() + std::chrono::duration_cast<detail::TimerClock::duration>(delay),
      [state = state_] {
        try {
          state->cancel();
        } catch (...) {
          // A callback's failure has nobody to report to on the timer
          // thread; .NET's timer would crash the process, concur drops it.
        }
      });
}

bool CancellationTokenSource::is_cancellation_requested() const noexcept {
  return state_->canceled.load(std::memory_order_acquire);
}

CancellationTokenSource CancellationTokenSource::create_linked_token_source(const CancellationToken& a,
                                                                         const CancellationToken& b) {
  CancellationTokenSource linked;
  std::weak_ptr<detail::CancellationState> weak = linked.state_;
  auto on_cancel = [weak] {
    if (auto state = weak.lock()) state->cancel();
  };
  for (const auto* token : {&a, &b}) {
    auto reg = token->register_callback(on_cancel);
    std::unique_lock guard(linked.state_->lock);
    if (!linked.state_->canceled.load(std::memory_order_relaxed)) linked.state_->links.push_back(std::move(reg));
  }
  return linked;
}

}  // namespace concur::tpl
