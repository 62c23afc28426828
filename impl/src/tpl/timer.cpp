// The tpl timer thread: one daemonic concur::threading::Thread ("tpl-timer")
// that sleeps on a threading::Condition until the earliest deadline.
// It is started by the first schedule_timer and never stopped; the Service
// is never destroyed, so exit-time destructors cannot pull it from under the
// thread (program exit does not join daemon threads).
#include "timer.hpp"

#include <map>
#include <memory>
#include <utility>

#include "concur/threading/condition.hpp"
#include "concur/threading/lock.hpp"
#include "concur/threading/thread.hpp"

namespace concur::tpl::detail {

namespace {

class Service {
 public:
  std::uint64_t schedule(TimerClock::time_point deadline, std::function<void()> fn) {
    std::unique_lock guard(lock_);
    std::uint64_t id = ++next_id_;
    bool earliest = timers_.empty() || deadline < timers_.begin()->first.first;
    timers_.emplace(std::make_pair(deadline, id), std::move(fn));
    if (!thread_) {
      thread_ = std::make_unique<threading::Thread>(threading::ThreadOptions{.name = "tpl-timer", .daemon = true},
                                                    [this] { loop(); });
      thread_->start();
    } else if (earliest) {
      cond_.notify();
    }
    return id;
  }

  bool cancel(std::uint64_t id) {
    std::unique_lock guard(lock_);
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        timers_.erase(it);
        return true;
      }
    }
    return false;
  }

 private:
  void loop() {
    std::unique_lock guard(lock_);
    for (;;) {
      if (timers_.empty()) {
        cond_.wait();
        continue;
      }
      auto now = TimerClock::now();
      auto first = timers_.begin();
      if (first->first.first > now) {
        cond_.wait(std::chrono::duration<double>(first->first.first - now));
        continue;
      }
      auto fn = std::move(first->second);
      timers_.erase(first);
      guard.unlock();
      try {
        fn();
      } catch (...) {
      }
      fn = nullptr;  // destroy captured state outside the lock as well
      guard.lock();
    }
  }

  threading::Lock lock_;
  threading::Condition cond_{lock_};
  std::map<std::pair<TimerClock::time_point, std::uint64_t>, std::function<void()>> timers_;
  std::uint64_t next_id_ = 0;
  std::unique_ptr<threading::Thread> thread_;
};

Service& service() {
  static Service* s = new Service();  // never destroyed: see the file comment
  return *s;
}

}  // namespace

std::uint64_t schedule_timer(TimerClock::time_point deadline, std::function<void()> fn) {
  return service().schedule(deadline, std::move(fn));
}

bool cancel_timer(std::uint64_t id) { return service().cancel(id); }

}  // namespace concur::tpl::detail
