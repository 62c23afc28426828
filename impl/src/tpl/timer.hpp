// Private: the tpl timer thread behind CancellationTokenSource::cancel_after
// and tpl::delay (contract in concur/tpl/cancellation.hpp, "Hidden thread").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace concur::tpl::detail {

using TimerClock = std::chrono::steady_clock;

// Runs `fn` on the timer thread once `deadline` has passed. Returns an id for
// cancel_timer. fn must not throw (an exception is swallowed).
std::uint64_t schedule_timer(TimerClock::time_point deadline, std::function<void()> fn);
// Removes a pending timer; false if it already ran (or is running) or is unknown.
bool cancel_timer(std::uint64_t id);

}  // namespace concur::tpl::detail
