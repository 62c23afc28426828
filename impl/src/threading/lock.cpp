// threading.Lock and threading.RLock (concur/threading/lock.hpp).
#include "concur/threading/lock.hpp"

#include "concur/errors.hpp"
#include "concur/threading/thread.hpp"
#include "timeouts.hpp"

namespace concur::threading {

namespace cd = concur::detail;

// ======================================================================= Lock

bool Lock::acquire(bool blocking, Timeout timeout) {
  const cd::Deadline deadline = detail::lock_deadline(blocking, timeout);
  return cd::lock_try_anonymous(core_) || cd::lock_acquire(core_, kPolicy, blocking, deadline);
}

void Lock::lock_slow() { (void)cd::lock_acquire(core_, kPolicy, true, cd::Deadline{}); }

void Lock::throw_unlocked() { throw RuntimeError("release unlocked lock"); }

void Lock::release() { unlock(); }

std::string Lock::repr() const {
  return std::string(locked() ? "<locked" : "<unlocked") + " _thread.lock object at " + detail::address_text(this) +
         ">";
}

// ====================================================================== RLock

// Called only by the owner, right after it acquired (or reacquired) the lock.
void RLock::note_owner() { owner_ident_.store(get_ident(), std::memory_order_relaxed); }

bool RLock::acquire(bool blocking, Timeout timeout) {
  if (!cd::lock_acquire(core_, kPolicy, blocking, detail::lock_deadline(blocking, timeout))) return false;
  note_owner();
  return true;
}

void RLock::lock() {
  (void)cd::lock_acquire(core_, kPolicy, true, cd::Deadline{});
  note_owner();
}

bool RLock::try_lock() {
  if (!cd::lock_acquire(core_, kPolicy, false, cd::Deadline{})) return false;
  note_owner();
  return true;
}

void RLock::release() {
  if (cd::lock_release(core_, kPolicy) != cd::ReleaseResult::released)
    throw RuntimeError("cannot release un-acquired lock");
}

std::string RLock::repr() const {
  const bool held = cd::lock_locked(core_);
  const unsigned long owner = held ? owner_ident_.load(std::memory_order_relaxed) : 0;
  const unsigned depth = held ? core_.depth.load(std::memory_order_relaxed) : 0;
  return std::string(held ? "<locked" : "<unlocked") + " _thread.RLock object owner=" + std::to_string(owner) +
         " count=" + std::to_string(depth) + " at " + detail::address_text(this) + ">";
}

}  // namespace concur::threading
