// threading.Condition (concur/threading/condition.hpp).
#include "concur/threading/condition.hpp"

#include <climits>
#include <mutex>

#include "concur/errors.hpp"

namespace concur::threading {

namespace cd = concur::detail;

struct Condition::Waiter {
  std::atomic<std::uint32_t> signaled{0};  // futex word, set by notify
  Waiter* prev = nullptr;
  Waiter* next = nullptr;
};

namespace {

// The waiter list's own lock, on the same core.
class Guard {
 public:
  Guard(cd::LockCore& core, const cd::LockPolicy& policy) : core_(core), policy_(policy) {
    (void)cd::lock_acquire(core_, policy_, true, cd::Deadline{});
  }
  ~Guard() { (void)cd::lock_release(core_, policy_); }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 private:
  cd::LockCore& core_;
  const cd::LockPolicy& policy_;
};

}  // namespace

Condition::Condition() : own_(std::make_unique<RLock>()) {
  rlock_ = own_.get();
  core_ = &rlock_->core_;
  policy_ = &RLock::kPolicy;
}

Condition::Condition(Lock& lock) : core_(&lock.core_), policy_(&Lock::kPolicy), plain_(&lock) {}

Condition::Condition(RLock& lock) : core_(&lock.core_), policy_(&RLock::kPolicy), rlock_(&lock) {}

Condition::~Condition() = default;

bool Condition::acquire(bool blocking, Timeout timeout) {
  return rlock_ ? rlock_->acquire(blocking, timeout) : plain_->acquire(blocking, timeout);
}
void Condition::release() { rlock_ ? rlock_->release() : plain_->release(); }
void Condition::lock() { rlock_ ? rlock_->lock() : plain_->lock(); }
void Condition::unlock() { release(); }
bool Condition::try_lock() { return rlock_ ? rlock_->try_lock() : plain_->try_lock(); }

// CPython _is_owned: an RLock's owner; for a Lock, "somebody holds it".
bool Condition::owned() const noexcept { return rlock_ ? cd::lock_is_mine(*core_) : cd::lock_locked(*core_); }

void Condition::unlink(Waiter* w) noexcept {
  (w->prev ? w->prev->next : head_) = w->next;
  (w->next ? w->next->prev : tail_) = w->prev;
  w->prev = w->next = nullptr;
  n_waiters_.fetch_sub(1, std::memory_order_relaxed);
}

bool Condition::wait(Timeout timeout) {
  if (!owned()) throw RuntimeError("cannot wait on un-acquired lock");
  Waiter w;
  {
    Guard g(guard_, kGuardPolicy);
    w.prev = tail_;
    (tail_ ? tail_->next : head_) = &w;
    tail_ = &w;
    n_waiters_.fetch_add(1, std::memory_order_relaxed);
  }
  const cd::Deadline deadline = cd::deadline_after(timeout);
  const std::uint32_t levels = cd::lock_release_all(*core_, *policy_);
  bool woken = false;
  while (w.signaled.load(std::memory_order_acquire) == 0) {
    const cd::WaitResult r = cd::futex_wait(w.signaled, 0, deadline, cd::FutexScope::process_private);
    if (r == cd::WaitResult::timed_out) break;
    woken = woken || r == cd::WaitResult::woken;
  }
  // A waiter that notify() moved to the lock's futex was woken by a release
  // that reset `contended`; other moved waiters may still sleep there, so it
  // takes the lock marked contended, as a woken lock waiter does, and its own
  // release wakes the next one.
  if (woken && w.signaled.load(std::memory_order_acquire) != 0) core_->contended.exchange(1);
  cd::lock_reacquire(*core_, *policy_, levels);
  if (rlock_) rlock_->note_owner();
  if (w.signaled.load(std::memory_order_acquire) != 0) return true;
  Guard g(guard_, kGuardPolicy);
  if (w.signaled.load(std::memory_order_acquire) != 0) return true;  // notified as the time ran out
  unlink(&w);
  return false;
}

void Condition::notify(int n) {
  if (!owned()) throw RuntimeError("cannot notify on un-acquired lock");
  // The waiters this notify may wake registered while holding the lock the
  // caller now holds, so this load sees them; an empty list costs no guard.
  if (n <= 0 || n_waiters_.load(std::memory_order_acquire) == 0) return;
  Guard g(guard_, kGuardPolicy);
  bool moved = false;
  while (n-- > 0 && head_) {
    Waiter* w = head_;
    unlink(w);
    w->signaled.store(1, std::memory_order_release);
    // Wait morphing: the lock is held (by the caller, or — over a plain
    // Lock — by someone), so waking the waiter now would only make it sleep
    // again on the lock. Move it to the lock's futex instead, marked
    // contended, so the release that frees the lock wakes it. A waiter not
    // yet asleep sees `signaled` and goes straight to the lock. A waiter
    // that already returned (possible only when the caller does not hold the
    // lock) leaves a dead address: harmless for a private futex.
    core_->contended.exchange(1);
    (void)cd::futex_requeue(w->signaled, 1, core_->contended, 0, 1, cd::FutexScope::process_private);
    moved = true;
  }
  // Over a plain Lock held by another thread, that thread may have released
  // it before the mark above: then nobody would wake the moved waiters.
  if (moved && !cd::lock_locked(*core_)) cd::lock_wake_one(*core_, cd::FutexScope::process_private);
}

void Condition::notify_all() { notify(INT_MAX); }

std::string Condition::repr() const {
  const std::string lock_repr = rlock_ ? rlock_->repr() : plain_->repr();
  return "<Condition(" + lock_repr + ", " + std::to_string(n_waiters_.load()) + ")>";
}

}  // namespace concur::threading
