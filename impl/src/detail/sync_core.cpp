// The lock, semaphore and event cores (concur/detail/sync_core.hpp).
#include "concur/detail/sync_core.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace concur::detail {

namespace {

// ---------------------------------------------------------------- identity
//
// token = process start time (low 20 bits, clock ticks) << 44 | pid << 22 |
// tid. Linux pids and tids are < 2^22 (PID_MAX_LIMIT), so the token is exact
// for pid and tid; the start time tells a dead owner from a new process that
// reused its pid. 0 means "free".

constexpr std::uint64_t kIdMask = (1ull << 22) - 1;
constexpr std::uint64_t kStartMask = (1ull << 20) - 1;

std::uint64_t pid_of(std::uint64_t token) { return (token >> 22) & kIdMask; }
std::uint64_t start_of(std::uint64_t token) { return token >> 44; }

struct ProcStat {
  char state = '?';
  std::uint64_t start = 0;
};

// Reads state and starttime from /proc/<pid>/stat; false if the pid is gone.
// Only open/read/close (no allocation), so it is safe in forked children.
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

// Registered when the library is loaded, so thread_token() needs no
// call_once on its fast path.
const int g_atfork_registered = ::pthread_atfork(nullptr, nullptr, after_fork_in_child);

thread_local std::uint64_t t_generation = ~0ull;
thread_local std::uint64_t t_token = 0;

std::uint64_t compute_token() {
  auto pid = static_cast<std::uint64_t>(::getpid());
  auto tid = static_cast<std::uint64_t>(::gettid());
  ProcStat st;
  std::uint64_t start = read_proc_stat(static_cast<long>(pid), st) ? st.start : 0;
  return ((start & kStartMask) << 44) | ((pid & kIdMask) << 22) | (tid & kIdMask);
}

// False once the process that owns `token` has ended (gone, zombie, or its
// pid now names a process started at another time).
bool owner_alive(std::uint64_t token) {
  ProcStat st;
  if (!read_proc_stat(static_cast<long>(pid_of(token)), st)) return errno != ENOENT && errno != ESRCH;
  if (st.state == 'Z' || st.state == 'X' || st.state == 'x') return false;
  return (st.start & kStartMask) == start_of(token);
}

// How often a waiter on a robust lock checks that the owner still lives.
constexpr auto kLivenessSlice = std::chrono::milliseconds(100);

}  // namespace

std::uint64_t thread_token() noexcept {
  (void)g_atfork_registered;
  const std::uint64_t gen = g_fork_generation.load(std::memory_order_relaxed);
  if (t_generation != gen) [[unlikely]] {
    t_token = compute_token();
    t_generation = gen;
  }
  return t_token;
}

bool token_in_this_process(std::uint64_t token) noexcept {
  return token != 0 && pid_of(token) == (static_cast<std::uint64_t>(::getpid()) & kIdMask);
}

// ===================================================================== locks
//
// The owner word is the lock: acquire is one CAS 0 → token, release one
// exchange → 0. `contended` is glibc's "locked, maybe with waiters" state,
// kept beside the owner word: a waiter sets it to 1, tries once more, and
// sleeps on it while it is 1; a release that finds it 1 resets it to 0 and
// wakes ONE sleeper. A woken thread sets it again before sleeping again, so
// one awake waiter is always responsible for the sleepers, and a releaser
// pays the futex_wake only once per wake-up, not on every release while the
// woken thread is still on its way (the threads:2 row of
// benchmarks/threading_benchmark.cpp).

namespace {

bool take(LockCore& c, std::uint64_t me, bool recursive) {
  std::uint64_t expected = 0;
  if (!c.owner.compare_exchange_strong(expected, me)) return false;
  if (recursive) c.depth.store(1, std::memory_order_relaxed);
  return true;
}

bool lock_wait(LockCore& c, const LockPolicy& p, std::uint64_t me, const Deadline& deadline) {
  if (take(c, me, p.recursive)) return true;
  for (;;) {
    if (deadline_passed(deadline)) return false;
    // Marked BEFORE every further try, so a waiter that wins after sleeping
    // holds the lock marked and its release wakes the next sleeper.
    c.contended.exchange(1);
    if (take(c, me, p.recursive)) return true;
    const std::uint64_t holder = c.owner.load();
    if (holder == 0) continue;
    Deadline until = deadline;
    if (p.robust) {
      auto slice = std::chrono::steady_clock::now() + kLivenessSlice;
      if (!until || slice < *until) until = slice;
    }
    const WaitResult r = futex_wait(c.contended, 1, until, p.scope);
    if (p.robust && r == WaitResult::timed_out && !owner_alive(holder)) {
      // The owner's process ended holding the lock: take it over.
      std::uint64_t dead = holder;
      if (c.owner.compare_exchange_strong(dead, me)) {
        if (p.recursive) c.depth.store(1, std::memory_order_relaxed);
        return true;
      }
    }
  }
}

void release_fully(LockCore& c, const LockPolicy& p) {
  if (p.recursive) c.depth.store(0, std::memory_order_relaxed);
  c.owner.store(0);
  if (c.contended.load() != 0) lock_wake_one(c, p.scope);
}

std::uint64_t owner_token(const LockPolicy& p) { return p.tracks_owner() ? thread_token() : kAnonymousOwner; }

}  // namespace

void lock_wake_one(LockCore& c, FutexScope scope) {
  if (c.contended.exchange(0) != 0) futex_wake(c.contended, 1, scope);
}

bool lock_acquire(LockCore& c, const LockPolicy& p, bool block, const Deadline& deadline) {
  const std::uint64_t me = owner_token(p);
  if (p.recursive && c.owner.load(std::memory_order_relaxed) == me) {
    c.depth.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  if (take(c, me, p.recursive)) return true;
  if (!block) return false;
  return lock_wait(c, p, me, deadline);
}

ReleaseResult lock_release(LockCore& c, const LockPolicy& p) {
  if (p.recursive) {
    if (c.owner.load(std::memory_order_relaxed) != thread_token()) return ReleaseResult::not_owner;
    if (c.depth.load(std::memory_order_relaxed) > 1) {
      c.depth.fetch_sub(1, std::memory_order_relaxed);
      return ReleaseResult::released;
    }
    release_fully(c, p);
    return ReleaseResult::released;
  }
  // Any thread may release a non-recursive lock.
  if (c.owner.exchange(0) == 0) return ReleaseResult::unlocked;
  if (c.contended.load() != 0) lock_wake_one(c, p.scope);
  return ReleaseResult::released;
}

bool lock_is_mine(const LockCore& c) noexcept {
  const std::uint64_t owner = c.owner.load();
  return owner != 0 && owner != kAnonymousOwner && owner == thread_token();
}

std::uint32_t lock_levels_held(const LockCore& c, const LockPolicy& p) noexcept {
  if (!lock_is_mine(c)) return 0;
  return p.recursive ? c.depth.load(std::memory_order_relaxed) : 1;
}

std::uint32_t lock_release_all(LockCore& c, const LockPolicy& p) {
  const std::uint32_t levels = p.recursive ? c.depth.load(std::memory_order_relaxed) : 1;
  release_fully(c, p);
  return levels;
}

void lock_reacquire(LockCore& c, const LockPolicy& p, std::uint32_t levels) {
  const std::uint64_t me = owner_token(p);
  if (!take(c, me, p.recursive)) (void)lock_wait(c, p, me, Deadline{});
  if (p.recursive) c.depth.store(levels, std::memory_order_relaxed);
}

// ================================================================ semaphores

bool sem_acquire(SemCore& c, FutexScope scope, bool block, const Deadline& deadline) {
  for (;;) {
    std::uint32_t v = c.value.load();
    while (v > 0) {
      if (c.value.compare_exchange_weak(v, v - 1)) return true;
    }
    if (!block || deadline_passed(deadline)) return false;
    c.waiters.fetch_add(1);
    (void)futex_wait(c.value, 0, deadline, scope);
    c.waiters.fetch_sub(1);
  }
}

bool sem_release(SemCore& c, FutexScope scope, std::uint32_t n) {
  std::uint32_t v = c.value.load();
  do {
    if (v > c.maxvalue || n > c.maxvalue - v) return false;
  } while (!c.value.compare_exchange_weak(v, v + n));
  if (c.waiters.load() > 0) futex_wake(c.value, static_cast<int>(std::min<std::uint32_t>(n, INT32_MAX)), scope);
  return true;
}

// ==================================================================== events

void event_set(EventCore& c, FutexScope scope) {
  c.flag.store(1);
  c.seq.fetch_add(1);
  if (c.waiters.load() > 0) futex_wake_all(c.seq, scope);
}

bool event_wait(EventCore& c, FutexScope scope, const Deadline& deadline, EventWake wake) {
  if (c.flag.load()) return true;
  for (;;) {
    const std::uint32_t seq = c.seq.load();
    if (c.flag.load()) return true;
    if (deadline_passed(deadline)) return false;
    c.waiters.fetch_add(1);
    const WaitResult r = futex_wait(c.seq, seq, deadline, scope);
    c.waiters.fetch_sub(1);
    if (c.seq.load() != seq) return wake == EventWake::signal || c.flag.load() != 0;
    if (r == WaitResult::timed_out) return c.flag.load() != 0;
  }
}

}  // namespace concur::detail
