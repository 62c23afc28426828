// threading.Semaphore and threading.BoundedSemaphore
// (concur/threading/semaphore.hpp).
#include "concur/threading/semaphore.hpp"

#include <limits>

#include "concur/errors.hpp"
#include "timeouts.hpp"

namespace concur::threading {

namespace cd = concur::detail;

namespace {
constexpr long long kMax = std::numeric_limits<std::uint32_t>::max();

std::uint32_t checked_initial(long long value) {
  if (value < 0) throw ValueError("semaphore initial value must be >= 0");
  if (value > kMax) throw ValueError("semaphore initial value is larger than 4294967295");
  return static_cast<std::uint32_t>(value);
}
}  // namespace

Semaphore::Semaphore(long long value) : Semaphore(value, false) {}

Semaphore::Semaphore(long long value, bool bounded) : bounded_(bounded) {
  const std::uint32_t v = checked_initial(value);
  core_.value.store(v);
  core_.maxvalue = bounded ? v : static_cast<std::uint32_t>(kMax);
}

bool Semaphore::acquire(bool blocking, Timeout timeout) {
  if (!blocking && timeout) throw ValueError("can't specify timeout for non-blocking acquire");
  return cd::sem_acquire(core_, cd::FutexScope::process_private, blocking,
                         blocking ? cd::deadline_after(timeout) : cd::Deadline{});
}

void Semaphore::release(long long n) {
  if (n < 1) throw ValueError("n must be one or more");
  if (n > kMax || !cd::sem_release(core_, cd::FutexScope::process_private, static_cast<std::uint32_t>(n))) {
    if (bounded_) throw ValueError("Semaphore released too many times");
    throw ValueError("Semaphore value would exceed 4294967295");
  }
}

std::string Semaphore::repr() const {
  return "<threading.Semaphore at " + detail::address_text(this) + ": value=" + std::to_string(value()) + ">";
}

BoundedSemaphore::BoundedSemaphore(long long value) : Semaphore(value, true) {}

std::string BoundedSemaphore::repr() const {
  return "<threading.BoundedSemaphore at " + detail::address_text(this) + ": value=" + std::to_string(value()) + "/" +
         std::to_string(core_.maxvalue) + ">";
}

}  // namespace concur::threading
