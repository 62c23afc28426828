// threading.Timer (concur/threading/timer.hpp).
#include "concur/threading/timer.hpp"

#include "concur/threading/event.hpp"

namespace concur::threading {

namespace detail {

// CPython's Timer: self.finished = Event(), waited on for the interval.
struct TimerState {
  Event finished;
  std::chrono::duration<double> interval{0};
  std::function<void()> function;
};

}  // namespace detail

void Timer::init(std::chrono::duration<double> interval, std::function<void()> function) {
  timer_ = std::make_shared<detail::TimerState>();
  timer_->interval = interval;
  timer_->function = std::move(function);
  set_target([t = timer_] {
    // CPython run(): self.finished.wait(self.interval); if not set: call.
    if (!t->finished.wait(t->interval)) t->function();
    t->finished.set();
  });
}

void Timer::cancel() { timer_->finished.set(); }

}  // namespace concur::threading
