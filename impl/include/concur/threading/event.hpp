// concur/threading/event.hpp — threading.Event (seed 001 "事件"; CPython
// Lib/threading.py).
//
// Guarantees
//  * A flag, initially false. set() makes it true and wakes every waiter;
//    clear() makes it false; is_set() reads it.
//  * wait(timeout) returns true at once when the flag is set; otherwise it
//    waits until set() or the timeout and returns true when set() woke it —
//    even if the flag was cleared again before the waiter ran, as CPython's
//    threading.Event.wait returns its Condition.wait's result
//    (multiprocessing.Event re-reads the flag instead). A timeout of zero or
//    less does not wait and does not throw (CPython's Condition.wait).
//  * The algorithm is detail/sync_core.hpp's event, the one
//    concur::multiprocessing::Event runs, on process-private futexes.
//
// Thread-safety: every member may be called from any thread. Process-safety:
// none; use concur::multiprocessing::Event. Fork-safety: the flag is copied
// into a forked child. Blocking: wait() only. Nothing throws.
// Lifetime: neither copyable nor movable; destroying an event a thread waits
// on is undefined behaviour.
#pragma once

#include <string>

#include "concur/detail/sync_core.hpp"
#include "concur/timeout.hpp"

namespace concur::threading {

class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  bool is_set() const noexcept { return concur::detail::event_is_set(core_); }
  void set();
  void clear() noexcept { concur::detail::event_clear(core_); }
  bool wait(Timeout timeout = {});

  // "<threading.Event at 0x...: set>" / "...: unset>".
  std::string repr() const;

 private:
  concur::detail::EventCore core_;
};

}  // namespace concur::threading
