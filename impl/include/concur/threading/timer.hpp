// concur/threading/timer.hpp — threading.Timer (seed 003 "定时器
// timer = threading.Timer"; CPython Lib/threading.py class Timer).
//
// A Timer is a Thread (a subclass, as in CPython) that waits `interval` and
// then calls the function with the arguments, unless cancel() was called
// first. The wait-then-call is the Thread's target, run by Thread::run(), so
// the running thread never touches the Timer object itself (CPython overrides
// run(); a C++ override would be dispatched through an object that may be
// destroyed meanwhile).
//
// Guarantees
//  * A cancelled timer never fires: cancel() before the interval has passed
//    (before or after start()) means the function is not called. cancel()
//    once the function has begun has no effect on it.
//  * The wait is on a concur::threading::Event (CPython's `self.finished =
//    Event()`) on the steady clock, so cancel() wakes the thread at once and
//    join() after cancel() returns promptly.
//  * The name is "Thread-N", as CPython's Timer calls Thread.__init__ without
//    a target; ThreadOptions give a name or daemon flag.
//  * Everything else — start() once, join(), is_alive(), daemon, exceptions
//    printed by the excepthook, joined at exit — is Thread's (thread.hpp).
//
// Thread-safety: cancel() and every Thread member may be called from any
// thread.
//
// Lifetime: as Thread. The function, its arguments and the event are shared
// with the running thread, so destroying a started Timer is safe: a
// non-daemon Timer's destructor waits until it has fired (or was cancelled);
// a daemon Timer is detached and may still fire afterwards. Cancel first to
// drop a pending call.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "concur/threading/thread.hpp"

namespace concur::threading {

namespace detail {
struct TimerState;
}

class Timer : public Thread {
 public:
  // Timer(interval, function, args...) — Python's Timer(interval, function,
  // args). Negative intervals behave as zero.
  template <class F, class... Args>
    requires(!std::is_same_v<std::remove_cvref_t<F>, ThreadOptions>)
  Timer(std::chrono::duration<double> interval, F&& function, Args&&... args)
      : Timer(ThreadOptions{}, interval, std::forward<F>(function), std::forward<Args>(args)...) {}

  template <class F, class... Args>
  Timer(ThreadOptions options, std::chrono::duration<double> interval, F&& function, Args&&... args)
      : Thread(std::move(options)) {
    using Fn = std::decay_t<F>;
    static_assert(std::is_invocable_v<Fn&, std::decay_t<Args>&...>,
                  "Timer: the function cannot be called with these arguments");
    auto bound = std::make_shared<std::tuple<Fn, std::decay_t<Args>...>>(std::forward<F>(function),
                                                                         std::forward<Args>(args)...);
    init(interval, [bound] { std::apply([](auto& f, auto&... a) { f(a...); }, *bound); });
  }

  // Stops the timer, and its action if it has not begun yet (CPython:
  // self.finished.set()).
  void cancel();

 private:
  void init(std::chrono::duration<double> interval, std::function<void()> function);
  std::shared_ptr<detail::TimerState> timer_;
};

}  // namespace concur::threading
