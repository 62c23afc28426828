#include "concur/multiprocessing/synchronize.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include "concur/multiprocessing/process.hpp"

namespace concur::multiprocessing {

namespace cd = concur::detail;

namespace {

// ---------------------------------------------------------------- identity
//
// A lock owner is a 64-bit token: process start time (low 20 bits, clock
// ticks) << 44 | pid << 22 | tid. Linux pids and tids are < 2^22
// (PID_MAX_LIMIT), so the token is exact for pid and tid; the start time
// tells a dead owner from a new process that reused its pid. 0 means "free".

constexpr std::uint64_t kIdMask = (1ull << 22) - 1;
constexpr std::uint64_t kStartMask = (1ull << 20) - 1;

std::uint64_t pid_of(std::uint64_t token) { return (token >> 22) & kIdMask; }
std::uint64_t start_of(std::uint64_t token) { return token >> 44; }

struct ProcStat {
  char state = '?';
  std::uint64_t start = 0;
};

// Reads state and starttime from /proc/<pid>/stat; false if the pid is gone.
// Uses only open/read/close (no allocation), so it is safe in forked
// children.
bool read_proc_stat(long pid, ProcStat& out) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1024];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  char* p = std::strrchr(buf, ')');
  if (!p || p[1] == '\0') return false;
  p += 2;  // field 3: state
  out.state = *p;
  // Field 22 (starttime) is the 20th field after the ')'.
  for (int field = 3; field < 22; ++field) {
    p = std::strchr(p, ' ');
    if (!p) return false;
    ++p;
  }
  out.start = std::strtoull(p, nullptr, 10);
  return true;
}

std::atomic<std::uint64_t> g_fork_generation{0};

void after_fork_in_child() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

thread_local std::uint64_t t_generation = ~0ull;
thread_local std::uint64_t t_token = 0;

// The calling thread's token; recomputed after fork (the child has a new pid
// and tid).
std::uint64_t self_token() {
  static std::once_flag once;
  std::call_once(once, [] { ::pthread_atfork(nullptr, nullptr, after_fork_in_child); });
  std::uint64_t gen = g_fork_generation.load(std::memory_order_relaxed);
  if (t_generation != gen) {
    auto pid = static_cast<std::uint64_t>(::getpid());
    auto tid = static_cast<std::uint64_t>(::gettid());
    ProcStat st;
    std::uint64_t start = read_proc_stat(static_cast<long>(pid), st) ? st.start : 0;
    t_token = ((start & kStartMask) << 44) | ((pid & kIdMask) << 22) | (tid & kIdMask);
    t_generation = gen;
  }
  return t_token;
}

// False once the process that owns `token` has ended (gone, zombie, or its
// pid now names a process started at another time).
bool owner_alive(std::uint64_t token) {
  ProcStat st;
  if (!read_proc_stat(static_cast<long>(pid_of(token)), st)) return errno != ENOENT && errno != ESRCH;
  if (st.state == 'Z' || st.state == 'X' || st.state == 'x') return false;
  return (st.start & kStartMask) == start_of(token);
}

// How often a waiter blocked on a lock checks that the owner still lives.
constexpr auto kLivenessSlice = std::chrono::milliseconds(100);

// ---------------------------------------------------------------- SemLock

enum : std::uint32_t { kLock = 1, kRLock = 2, kSemaphore = 3, kBounded = 4 };

struct SemState {
  std::atomic<std::uint64_t> owner{0};  // locks: owner token, 0 = free
  std::atomic<std::uint32_t> word{0};   // semaphores: the count; locks: release sequence (futex word)
  std::atomic<std::uint32_t> waiters{0};
  std::atomic<std::uint32_t> depth{0};  // RLock recursion depth, written by the owner only
  std::uint32_t kind = 0;
  std::uint32_t maxvalue = 0;
};

bool is_lock_kind(std::uint32_t kind) { return kind == kLock || kind == kRLock; }

SemState* sem_state(const cd::SharedBlock& b) { return b.as<SemState>(); }

bool lock_acquire(SemState* s, bool block, const cd::Deadline& deadline) {
  const std::uint64_t me = self_token();
  const bool recursive = s->kind == kRLock;
  if (recursive && s->owner.load() == me) {
    s->depth.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  for (;;) {
    std::uint64_t expected = 0;
    if (s->owner.compare_exchange_strong(expected, me)) {
      if (recursive) s->depth.store(1, std::memory_order_relaxed);
      return true;
    }
    if (!block || cd::deadline_passed(deadline)) return false;
    s->waiters.fetch_add(1);
    std::uint32_t seq = s->word.load();
    std::uint64_t holder = s->owner.load();
    cd::WaitResult r = cd::WaitResult::changed;
    if (holder != 0) {
      auto slice = std::chrono::steady_clock::now() + kLivenessSlice;
      cd::Deadline until = deadline && *deadline < slice ? deadline : cd::Deadline(slice);
      r = cd::futex_wait(s->word, seq, until);
    }
    s->waiters.fetch_sub(1);
    if (holder != 0 && r == cd::WaitResult::timed_out && !owner_alive(holder)) {
      // The owner died holding the lock: take it over.
      std::uint64_t dead = holder;
      if (s->owner.compare_exchange_strong(dead, me)) {
        if (recursive) s->depth.store(1, std::memory_order_relaxed);
        return true;
      }
    }
  }
}

void wake_lock_waiters(SemState* s) {
  s->word.fetch_add(1);
  if (s->waiters.load() > 0) cd::futex_wake(s->word, 1);
}

void lock_release(SemState* s) {
  if (s->kind == kRLock) {
    if (s->owner.load() != self_token())
      throw AssertionError("attempt to release recursive lock not owned by thread");
    if (s->depth.load(std::memory_order_relaxed) > 1) {
      s->depth.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    s->depth.store(0, std::memory_order_relaxed);
    s->owner.store(0);
  } else {
    // Any thread or process may release a Lock.
    std::uint64_t cur = s->owner.load();
    do {
      if (cur == 0) throw ValueError("semaphore or lock released too many times");
    } while (!s->owner.compare_exchange_weak(cur, 0));
  }
  wake_lock_waiters(s);
}

bool sem_acquire(SemState* s, bool block, const cd::Deadline& deadline) {
  for (;;) {
    std::uint32_t v = s->word.load();
    while (v > 0) {
      if (s->word.compare_exchange_weak(v, v - 1)) return true;
    }
    if (!block || cd::deadline_passed(deadline)) return false;
    s->waiters.fetch_add(1);
    cd::futex_wait(s->word, 0, deadline);
    s->waiters.fetch_sub(1);
  }
}

void sem_release(SemState* s) {
  std::uint32_t v = s->word.load();
  do {
    if (v >= s->maxvalue) throw ValueError("semaphore or lock released too many times");
  } while (!s->word.compare_exchange_weak(v, v + 1));
  if (s->waiters.load() > 0) cd::futex_wake(s->word, 1);
}

cd::SharedBlock new_sem_block(std::uint32_t kind, std::uint32_t value, std::uint32_t maxvalue) {
  cd::SharedBlock block(sizeof(SemState), "concur-semlock");
  auto* s = new (block.data()) SemState();
  s->kind = kind;
  s->maxvalue = maxvalue;
  s->word.store(is_lock_kind(kind) ? 0 : value);
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
  return is_lock_kind(s->kind) ? lock_acquire(s, block, deadline) : sem_acquire(s, block, deadline);
}

void SemLock::release() {
  SemState* s = sem_state(block_);
  if (is_lock_kind(s->kind))
    lock_release(s);
  else
    sem_release(s);
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
  return is_lock_kind(s->kind) && s->owner.load() == self_token();
}

std::uint32_t SemLock::count() const noexcept {
  if (!is_mine()) return 0;
  SemState* s = sem_state(block_);
  return s->kind == kRLock ? s->depth.load(std::memory_order_relaxed) : 1;
}

std::uint32_t SemLock::get_value_impl() const noexcept {
  SemState* s = sem_state(block_);
  if (is_lock_kind(s->kind)) return s->owner.load() == 0 ? 1 : 0;
  return s->word.load();
}

std::uint32_t SemLock::maxvalue_impl() const noexcept { return sem_state(block_)->maxvalue; }

std::string SemLock::lock_repr() const {
  SemState* s = sem_state(block_);
  std::uint64_t owner = s->owner.load();
  bool rlock = s->kind == kRLock;
  std::string name;
  std::string count;
  if (owner != 0 && owner == self_token()) {
    name = owner_name_for_self();
    count = std::to_string(s->depth.load(std::memory_order_relaxed));
  } else if (owner == 0) {
    name = "None";
    count = "0";
  } else if (pid_of(owner) == (static_cast<std::uint64_t>(::getpid()) & kIdMask)) {
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
  std::uint32_t levels = count();
  if (s->kind == kRLock) s->depth.store(1, std::memory_order_relaxed);
  lock_release(s);
  return levels;
}

void SemLock::reacquire(std::uint32_t levels) {
  SemState* s = sem_state(block_);
  (void)lock_acquire(s, true, cd::Deadline{});
  if (s->kind == kRLock) s->depth.store(levels, std::memory_order_relaxed);
}

Lock::Lock() : SemLock(Kind::lock, 1, 1) {}

RLock::RLock() : SemLock(Kind::rlock, 1, 1) {}

namespace {
std::uint32_t checked_initial(long long value) {
  if (value < 0) throw ValueError("semaphore initial value must be >= 0");
  if (value > INT_MAX) throw ValueError("semaphore initial value is larger than SEM_VALUE_MAX");
  return static_cast<std::uint32_t>(value);
}
}  // namespace

Semaphore::Semaphore(long long value) : SemLock(Kind::semaphore, checked_initial(value), INT_MAX) {}

Semaphore::Semaphore(Kind kind, long long value)
    : SemLock(kind, checked_initial(value), checked_initial(value)) {}

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

struct EventState {
  std::atomic<std::uint32_t> flag{0};
  std::atomic<std::uint32_t> seq{0};
  std::atomic<std::uint32_t> waiters{0};
};

EventState* event_state(const cd::SharedBlock& b) { return b.as<EventState>(); }

}  // namespace

Event::Event() : block_(sizeof(EventState), "concur-event") { new (block_.data()) EventState(); }

bool Event::is_set() const noexcept { return event_state(block_)->flag.load() != 0; }

void Event::set() {
  EventState* e = event_state(block_);
  e->flag.store(1);
  e->seq.fetch_add(1);
  if (e->waiters.load() > 0) cd::futex_wake_all(e->seq);
}

void Event::clear() { event_state(block_)->flag.store(0); }

bool Event::wait(Timeout timeout) {
  EventState* e = event_state(block_);
  if (e->flag.load()) return true;
  cd::Deadline deadline = cd::deadline_after(timeout);
  for (;;) {
    std::uint32_t seq = e->seq.load();
    if (e->flag.load()) return true;
    e->waiters.fetch_add(1);
    cd::WaitResult r = cd::futex_wait(e->seq, seq, deadline);
    e->waiters.fetch_sub(1);
    if (e->seq.load() != seq || r == cd::WaitResult::timed_out) return e->flag.load() != 0;
  }
}

// ==================================================================== Barrier

namespace {

// threading.Barrier's states.
constexpr std::int32_t kFilling = 0;
constexpr std::int32_t kDraining = 1;
constexpr std::int32_t kResetting = -1;
constexpr std::int32_t kBroken = -2;

struct BarrierState {
  std::atomic<std::int32_t> state{kFilling};
  std::atomic<std::int32_t> count{0};
};

BarrierState* barrier_state(const cd::SharedBlock& b) { return b.as<BarrierState>(); }

int checked_parties(int parties) {
  if (parties < 1) throw ValueError("parties must be >= 1");
  return parties;
}

}  // namespace

Barrier::Barrier(int parties, std::function<void()> action, Timeout timeout)
    : parties_(checked_parties(parties)),
      action_(std::move(action)),
      timeout_(timeout),
      block_(sizeof(BarrierState), "concur-barrier") {
  new (block_.data()) BarrierState();
}

int Barrier::wait(Timeout timeout) {
  if (!timeout) timeout = timeout_;
  BarrierState* b = barrier_state(block_);
  std::lock_guard<Condition> guard(cond_);
  enter();
  int index = b->count.load();
  b->count.store(index + 1);
  try {
    if (index + 1 == parties_)
      release_all();
    else
      wait_released(timeout);
  } catch (...) {
    b->count.store(b->count.load() - 1);
    exit();
    throw;
  }
  b->count.store(b->count.load() - 1);
  exit();
  return index;
}

void Barrier::enter() {
  BarrierState* b = barrier_state(block_);
  while (b->state.load() == kResetting || b->state.load() == kDraining) (void)cond_.wait();
  if (b->state.load() < 0) throw BrokenBarrierError();
}

void Barrier::release_all() {
  try {
    if (action_) action_();
    barrier_state(block_)->state.store(kDraining);
    cond_.notify_all();
  } catch (...) {
    break_barrier();
    throw;
  }
}

void Barrier::wait_released(Timeout timeout) {
  BarrierState* b = barrier_state(block_);
  if (!cond_.wait_for([b] { return b->state.load() != kFilling; }, timeout)) {
    break_barrier();
    throw BrokenBarrierError();
  }
  if (b->state.load() < 0) throw BrokenBarrierError();
}

void Barrier::exit() {
  BarrierState* b = barrier_state(block_);
  if (b->count.load() == 0) {
    std::int32_t st = b->state.load();
    if (st == kResetting || st == kDraining) {
      b->state.store(kFilling);
      cond_.notify_all();
    }
  }
}

void Barrier::reset() {
  BarrierState* b = barrier_state(block_);
  std::lock_guard<Condition> guard(cond_);
  if (b->count.load() > 0) {
    std::int32_t st = b->state.load();
    if (st == kFilling || st == kBroken) b->state.store(kResetting);
  } else {
    b->state.store(kFilling);
  }
  cond_.notify_all();
}

void Barrier::abort() {
  std::lock_guard<Condition> guard(cond_);
  break_barrier();
}

void Barrier::break_barrier() {
  barrier_state(block_)->state.store(kBroken);
  cond_.notify_all();
}

int Barrier::n_waiting() const {
  BarrierState* b = barrier_state(block_);
  return b->state.load() == kFilling ? b->count.load() : 0;
}

bool Barrier::broken() const { return barrier_state(block_)->state.load() == kBroken; }

}  // namespace concur::multiprocessing
