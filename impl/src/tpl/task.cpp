// tpl::delay (contract in concur/tpl/task.hpp): a timer on the tpl timer
// thread completes the task; a token registration cancels it. Whichever
// comes first wins (TaskCore::complete is once-only); the loser is undone.
#include "concur/tpl/task.hpp"

#include <memory>

#include "timer.hpp"

namespace concur::tpl {

Task<void> delay(std::chrono::duration<double> duration, CancellationToken token) {
  using detail::TaskAccess;
  using detail::TaskState;
  if (token.is_cancellation_requested()) return Task<void>::from_canceled();
  if (duration.count() < 0) duration = duration.zero();
  auto state = std::make_shared<TaskState<void>>();
  state->status.store(TaskStatus::waiting_for_activation, std::memory_order_relaxed);
  // The registration lives in a shared slot the timer drops when it fires.
  struct Pending {
    threading::Lock lock;
    CancellationTokenRegistration registration;
    std::uint64_t timer_id = 0;
  };
  auto pending = std::make_shared<Pending>();
  std::weak_ptr<TaskState<void>> weak = state;
  {
    std::unique_lock guard(pending->lock);
    pending->timer_id = detail::schedule_timer(
        detail::TimerClock::now() + std::chrono::duration_cast<detail::TimerClock::duration>(duration),
        [state, pending] {
          state->complete(TaskStatus::ran_to_completion);
          CancellationTokenRegistration reg;
          {
            std::unique_lock g(pending->lock);
            reg = std::move(pending->registration);
          }
          // reg disposes here, outside pending->lock.
        });
  }
  auto reg = token.register_callback([weak, pending] {
    if (auto st = weak.lock()) st->complete(TaskStatus::canceled);
    std::uint64_t id;
    {
      std::unique_lock g(pending->lock);
      id = pending->timer_id;
    }
    detail::cancel_timer(id);
  });
  {
    std::unique_lock guard(pending->lock);
    if (!state->is_completed()) pending->registration = std::move(reg);
  }
  return TaskAccess::make<void>(state);
}

}  // namespace concur::tpl
