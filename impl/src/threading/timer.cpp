// threading.Timer (concur/threading/timer.hpp).
#include "concur/threading/timer.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace concur::threading {

namespace detail {

// CPython's Timer.finished: a private one-shot event on the steady clock.
struct TimerState {
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  std::chrono::duration<double> interval{0};
  std::function<void()> function;

  void set() {
    {
      std::lock_guard lock(mu);
      finished = true;
    }
    cv.notify_all();
  }

  // Waits until set() or the interval passed; true when set() came first.
  bool wait_interval() {
    std::unique_lock lock(mu);
    auto d = std::max(interval, std::chrono::duration<double>::zero());
    if (d.count() > 1e9) {
      cv.wait(lock, [this] { return finished; });
      return true;
    }
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
    return cv.wait_until(lock, deadline, [this] { return finished; });
  }
};

}  // namespace detail

void Timer::init(std::chrono::duration<double> interval, std::function<void()> function) {
  timer_ = std::make_shared<detail::TimerState>();
  timer_->interval = interval;
  timer_->function = std::move(function);
  set_target([t = timer_] {
    bool cancelled = t->wait_interval();
    if (!cancelled) t->function();
    t->set();
  });
}

void Timer::cancel() { timer_->set(); }

}  // namespace concur::threading
