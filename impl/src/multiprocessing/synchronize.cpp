#include "concur/multiprocessing/synchronize.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <system_error>

#include "concur/multiprocessing/process.hpp"

namespace concur::multiprocessing {

namespace cd = concur::detail;

namespace {

// ---------------------------------------------------------------- SemLock
//
// The algorithms are detail/sync_core's, shared with concur::threading; here
// the state lives in a SharedBlock, futexes are process-shared and locks are
// robust against the death of their owner's process.

enum : std::uint32_t { kLock = 1, kRLock = 2, kSemaphore = 3, kBounded = 4 };

struct SemState {
  cd::LockCore lock;  // Lock, RLock
  cd::SemCore sem;    // Semaphore, BoundedSemaphore
  std::uint32_t kind = 0;
};

bool is_lock_kind(std::uint32_t kind) { return kind == kLock || kind == kRLock; }

SemState* sem_state(const cd::SharedBlock& b) { return b.as<SemState>(); }

cd::LockPolicy policy_of(const SemState* s) {
  return cd::LockPolicy{cd::FutexScope::process_shared, s->kind == kRLock, true};
}

void lock_release(SemState* s) {
  switch (cd::lock_release(s->lock, policy_of(s))) {
    case cd::ReleaseResult::released:
      return;
    case cd::ReleaseResult::not_owner:
      throw AssertionError("attempt to release recursive lock not owned by thread");
    case cd::ReleaseResult::unlocked:
      throw ValueError("semaphore or lock released too many times");
  }
}

cd::SharedBlock new_sem_block(std::uint32_t kind, std::uint32_t value, std::uint32_t maxvalue) {
  cd::SharedBlock block(sizeof(SemState), "concur-semlock");
  auto* s = new (block.data()) SemState();
  s->kind = kind;
  s->sem.maxvalue = maxvalue;
  s->sem.value.store(is_lock_kind(kind) ? 0 : value);
  return block;
}

std::string owner_name_for_self() {
  std::string name = current_process().name();
  pid_t tid = ::gettid();
  if (tid != ::getpid()) name += "|" + std::to_string(tid);
  return name;
}

}  // namespace

// ==================================================================== SemLock

SemLock::SemLock(Kind kind, std::uint32_t value, std::uint32_t maxvalue)
    : block_(new_sem_block(static_cast<std::uint32_t>(kind), value, maxvalue)) {}

bool SemLock::acquire(bool block, Timeout timeout) {
  SemState* s = sem_state(block_);
  cd::Deadline deadline = block ? cd::deadline_after(timeout) : cd::Deadline{};
  if (is_lock_kind(s->kind)) return cd::lock_acquire(s->lock, policy_of(s), block, deadline);
  return cd::sem_acquire(s->sem, cd::FutexScope::process_shared, block, deadline);
}

void SemLock::release() {
  SemState* s = sem_state(block_);
  if (is_lock_kind(s->kind)) {
    lock_release(s);
  } else if (!cd::sem_release(s->sem, cd::FutexScope::process_shared, 1)) {
    throw ValueError("semaphore or lock released too many times");
  }
}

const char* SemLock::type_name() const noexcept {
  switch (sem_state(block_)->kind) {
    case kLock:
      return "Lock";
    case kRLock:
      return "RLock";
    case kBounded:
      return "BoundedSemaphore";
    default:
      return "Semaphore";
  }
}

bool SemLock::is_mine() const noexcept {
  SemState* s = sem_state(block_);
  return is_lock_kind(s->kind) && cd::lock_is_mine(s->lock);
}

std::uint32_t SemLock::count() const noexcept {
  SemState* s = sem_state(block_);
  return is_lock_kind(s->kind) ? cd::lock_levels_held(s->lock, policy_of(s)) : 0;
}

std::uint32_t SemLock::get_value_impl() const noexcept {
  SemState* s = sem_state(block_);
  if (is_lock_kind(s->kind)) return cd::lock_locked(s->lock) ? 0 : 1;
  return s->sem.value.load();
}

std::uint32_t SemLock::maxvalue_impl() const noexcept { return sem_state(block_)->sem.maxvalue; }

std::string SemLock::lock_repr() const {
  SemState* s = sem_state(block_);
  std::uint64_t owner = s->lock.owner.load();
  bool rlock = s->kind == kRLock;
  std::string name;
  std::string count;
  if (owner != 0 && owner == cd::thread_token()) {
    name = owner_name_for_self();
    count = std::to_string(s->lock.depth.load(std::memory_order_relaxed));
  } else if (owner == 0) {
    name = "None";
    count = "0";
  } else if (cd::token_in_this_process(owner)) {
    name = "SomeOtherThread";
    count = "nonzero";
  } else {
    name = "SomeOtherProcess";
    count = "nonzero";
  }
  // Built with append: g++ 12 -O2 reports a false -Wrestrict on the
  // equivalent chain of operator+ with a literal first.
  std::string out(rlock ? "<RLock(" : "<Lock(owner=");
  out.append(name);
  if (rlock) out.append(", ").append(count);
  out.append(")>");
  return out;
}

std::uint32_t SemLock::release_all() {
  SemState* s = sem_state(block_);
  return cd::lock_release_all(s->lock, policy_of(s));
}

void SemLock::reacquire(std::uint32_t levels) {
  SemState* s = sem_state(block_);
  cd::lock_reacquire(s->lock, policy_of(s), levels);
}

Lock::Lock() : SemLock(Kind::lock, 1, 1) {}

RLock::RLock() : SemLock(Kind::rlock, 1, 1) {}

namespace {
std::uint32_t checked_initial(long long value) {
  // CPython: sem_open() refuses a negative value with EINVAL (OSError).
  if (value < 0) throw std::system_error(EINVAL, std::generic_category(), "sem_open");
  if (value > INT_MAX) throw ValueError("semaphore initial value is larger than SEM_VALUE_MAX");
  return static_cast<std::uint32_t>(value);
}
}  // namespace

Semaphore::Semaphore(long long value) : SemLock(Kind::semaphore, checked_initial(value), INT_MAX) {}

Semaphore::Semaphore(Kind kind, long long value)
    : SemLock(kind, checked_initial(value), checked_initial(value)) {}

std::string SemLock::repr() const {
  switch (sem_state(block_)->kind) {
    case kLock:
    case kRLock:
      return lock_repr();
    case kBounded:
      return "<BoundedSemaphore(value=" + std::to_string(get_value_impl()) +
             ", maxvalue=" + std::to_string(maxvalue_impl()) + ")>";
    default:
      return "<Semaphore(value=" + std::to_string(get_value_impl()) + ")>";
  }
}

std::string Semaphore::repr() const { return "<Semaphore(value=" + std::to_string(get_value()) + ")>"; }

BoundedSemaphore::BoundedSemaphore(long long value) : Semaphore(Kind::bounded_semaphore, value) {}

std::string BoundedSemaphore::repr() const {
  return "<BoundedSemaphore(value=" + std::to_string(get_value()) + ", maxvalue=" + std::to_string(maxvalue_impl()) +
         ")>";
}

// ================================================================== Condition

namespace {

// sleepers (high 32 bits) | notifications not yet taken (low 32 bits);
// tokens <= sleepers always.
struct CondState {
  std::atomic<std::uint64_t> st{0};
  std::atomic<std::uint32_t> seq{0};       // bumped by notify (futex word of waiters)
  std::atomic<std::uint32_t> consumed{0};  // bumped when a waiter takes a notification (futex word of notify)
};

constexpr std::uint64_t kSleeper = 1ull << 32;

CondState* cond_state(const cd::SharedBlock& b) { return b.as<CondState>(); }

cd::SharedBlock new_cond_block() {
  cd::SharedBlock block(sizeof(CondState), "concur-condition");
  new (block.data()) CondState();
  return block;
}

}  // namespace

Condition::Condition() : rlock_(true), lock_(RLock()), block_(new_cond_block()) {}
Condition::Condition(Lock lock) : rlock_(false), lock_(std::move(lock)), block_(new_cond_block()) {}
Condition::Condition(RLock lock) : rlock_(true), lock_(std::move(lock)), block_(new_cond_block()) {}

bool Condition::wait(Timeout timeout) {
  if (!lock_.is_mine()) throw AssertionError("must acquire() condition before using wait()");
  CondState* c = cond_state(block_);
  c->st.fetch_add(kSleeper);
  std::uint32_t levels = lock_.release_all();
  cd::Deadline deadline = cd::deadline_after(timeout);
  bool notified = false;
  for (;;) {
    std::uint32_t seq = c->seq.load();
    std::uint64_t cur = c->st.load();
    if (static_cast<std::uint32_t>(cur) > 0) {
      if (c->st.compare_exchange_strong(cur, cur - kSleeper - 1)) {
        notified = true;
        c->consumed.fetch_add(1);
        cd::futex_wake_all(c->consumed);
        break;
      }
      continue;
    }
    if (cd::deadline_passed(deadline)) {
      if (c->st.compare_exchange_strong(cur, cur - kSleeper)) break;
      continue;
    }
    cd::futex_wait(c->seq, seq, deadline);
  }
  lock_.reacquire(levels);
  return notified;
}

void Condition::notify_impl(std::uint64_t n) {
  if (!lock_.is_mine()) throw AssertionError("lock is not owned");
  CondState* c = cond_state(block_);
  std::uint64_t cur = c->st.load();
  std::uint64_t k = 0;
  do {
    std::uint64_t sleepers = cur >> 32;
    std::uint64_t tokens = cur & 0xffffffffull;
    k = std::min(n, sleepers - tokens);
    if (k == 0) return;
  } while (!c->st.compare_exchange_weak(cur, cur + k));
  c->seq.fetch_add(1);
  cd::futex_wake(c->seq, static_cast<int>(std::min<std::uint64_t>(k, INT_MAX)));
  // As CPython's notify: return once the notified waiters have woken, so a
  // thread that waits after this notify cannot take their notification.
  for (;;) {
    std::uint32_t consumed = c->consumed.load();
    if (static_cast<std::uint32_t>(c->st.load()) == 0) break;
    cd::futex_wait(c->consumed, consumed, cd::Deadline{});
  }
}

void Condition::notify(int n) {
  if (n < 0) n = 0;
  notify_impl(static_cast<std::uint64_t>(n));
}

void Condition::notify_all() { notify_impl(~0ull >> 1); }

std::string Condition::repr() const {
  std::uint64_t st = cond_state(block_)->st.load();
  std::uint64_t waiting = (st >> 32) - (st & 0xffffffffull);
  return "<Condition(" + lock_.lock_repr() + ", " + std::to_string(waiting) + ")>";
}

// ====================================================================== Event

namespace {
cd::EventCore* event_state(const cd::SharedBlock& b) { return b.as<cd::EventCore>(); }
}  // namespace

Event::Event() : block_(sizeof(cd::EventCore), "concur-event") { new (block_.data()) cd::EventCore(); }

bool Event::is_set() const noexcept { return cd::event_is_set(*event_state(block_)); }

void Event::set() { cd::event_set(*event_state(block_), cd::FutexScope::process_shared); }

void Event::clear() { cd::event_clear(*event_state(block_)); }

bool Event::wait(Timeout timeout) {
  return cd::event_wait(*event_state(block_), cd::FutexScope::process_shared, cd::deadline_after(timeout),
                        cd::EventWake::flag);
}

// ==================================================================== Barrier

namespace {

cd::BarrierCore* barrier_state(const cd::SharedBlock& b) { return b.as<cd::BarrierCore>(); }

int checked_parties(int parties) {
  if (parties < 1) throw ValueError("parties must be >= 1");
  return parties;
}

}  // namespace

Barrier::Barrier(int parties, std::function<void()> action, Timeout timeout)
    : parties_(checked_parties(parties)),
      action_(std::move(action)),
      timeout_(timeout),
      block_(sizeof(cd::BarrierCore), "concur-barrier") {
  new (block_.data()) cd::BarrierCore();
}

int Barrier::wait(Timeout timeout) {
  if (!timeout) timeout = timeout_;
  return algorithm().wait(parties_, action_, timeout);
}

void Barrier::reset() { algorithm().reset(); }

void Barrier::abort() { algorithm().abort(); }

int Barrier::n_waiting() const { return algorithm().n_waiting(); }

bool Barrier::broken() const { return algorithm().broken(); }

cd::BarrierAlgorithm<Condition> Barrier::algorithm() const {
  return cd::BarrierAlgorithm<Condition>(*barrier_state(block_), cond_);
}

}  // namespace concur::multiprocessing
