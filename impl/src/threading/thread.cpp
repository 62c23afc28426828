// threading.Thread and the module functions (concur/threading/thread.hpp).
//
// One module mutex guards every Thread's state and the registry of alive
// threads (CPython's _active/_limbo); one condition variable announces that a
// thread has started or ended. A second mutex serializes std::thread::join.
// Module state is heap-allocated and never destroyed: the atexit hook and
// forked children use it.
#include "concur/threading/thread.hpp"

#include "concur/detail/type_name.hpp"

#include <cxxabi.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <new>
#include <thread>
#include <typeinfo>

#include "concur/multiprocessing/process.hpp"
#include "concur/threading/condition.hpp"
#include "concur/threading/lock.hpp"
#include "concur/threading/timer.hpp"

namespace concur::threading {

namespace detail {

struct ThreadState {
  // Everything below is guarded by Module::mu.
  std::string name;
  bool default_name = false;
  bool daemon = false;
  bool started = false;   // start() was called
  bool running = false;   // the bootstrap has begun (start() may return)
  bool ended = false;     // run() has returned (or the thread vanished in fork)
  bool in_dispatch = false;  // the thread may still touch the Thread object
  bool direct = false;       // run the target without calling run() on the object
  bool is_main = false;
  bool is_dummy = false;
  std::optional<unsigned long> ident;
  std::optional<pid_t> native_id;
  std::function<void()> target;
  Thread* object = nullptr;   // what current_thread()/enumerate() return
  Thread* standin = nullptr;  // owned stand-in after a daemon's object died
  // Guarded by Module::join_mu.
  std::thread* native = nullptr;

  ~ThreadState() {
    if (native != nullptr) {
      if (native->joinable()) native->detach();
      delete native;
    }
  }
};

struct ThreadAccess {
  static Thread* make_internal(std::shared_ptr<ThreadState> state) {
    return new Thread(Thread::InternalTag{}, std::move(state));
  }
  static ThreadState* state(const Thread& t) { return t.state_.get(); }
};

std::string registered_name(GenericFn fn) {
  return std::string(multiprocessing::detail::registered_target_name(
      reinterpret_cast<multiprocessing::detail::GenericFn>(fn)));
}

namespace {

pid_t gettid_() noexcept { return static_cast<pid_t>(::syscall(SYS_gettid)); }
unsigned long pthread_ident() noexcept { return static_cast<unsigned long>(::pthread_self()); }

// Captured during static initialization, which runs on the main thread.
const unsigned long g_main_ident = pthread_ident();

// Waits on concur's own threading::Lock and threading::Condition (the one
// in-process wait mechanism, detail/sync_core.hpp), not std::mutex and
// std::condition_variable.
struct Module {
  Lock mu;
  Condition cv{mu};
  Lock join_mu;
  std::vector<std::shared_ptr<ThreadState>> active;  // started, not ended
  std::shared_ptr<ThreadState> main;
  pid_t main_tid = 0;
  unsigned long counter = 0;  // CPython's _counter, shared by Thread-N and Dummy-N
  bool atexit_installed = false;
};

thread_local ThreadState* tls_state = nullptr;

void before_fork();
void after_fork_parent();
void after_fork_child();

Module& module() {
  static Module* m = [] {
    auto* mod = new Module;
    auto st = std::make_shared<ThreadState>();
    st->name = "MainThread";
    st->is_main = true;
    st->started = st->running = true;
    bool on_main = gettid_() == ::getpid();
    st->ident = on_main ? pthread_ident() : g_main_ident;
    st->native_id = ::getpid();
    st->object = ThreadAccess::make_internal(st);
    mod->main = st;
    mod->main_tid = ::getpid();
    mod->active.push_back(st);
    ::pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    return mod;
  }();
  return *m;
}

void before_fork() { module().mu.lock(); module().join_mu.lock(); }
void after_fork_parent() { module().join_mu.unlock(); module().mu.unlock(); }

// CPython's threading._after_fork: the forking thread is the only one left and
// becomes the main thread; every other thread reads as ended.
void after_fork_child() {
  Module& m = module();
  std::shared_ptr<ThreadState> current;
  for (auto& st : m.active) {
    if (st.get() == tls_state) current = st;
  }
  if (!current && gettid_() == m.main_tid) current = m.main;
  if (!current) current = m.main;  // a foreign thread forked: reuse the main object
  for (auto& st : m.active) {
    if (st == current) continue;
    st->ended = true;
    st->in_dispatch = false;
  }
  // The std::thread handles name threads that do not exist here: forget them.
  for (auto& st : m.active) {
    if (st != current) st->native = nullptr;
  }
  current->ident = pthread_ident();
  current->native_id = gettid_();
  m.main->is_main = false;
  current->is_main = true;
  m.active.assign(1, current);
  m.main = current;
  m.main_tid = gettid_();
  // Parent threads that waited on the condition do not exist here, but its
  // waiter list still links their (absent) stack nodes: rebuild it over the
  // old bytes without running the destructor.
  new (&m.cv) Condition(m.mu);
  m.join_mu.unlock();
  m.mu.unlock();
}

bool is_current(const ThreadState* st) {
  return st == tls_state || (st->is_main && gettid_() == module().main_tid);
}

void join_native(ThreadState* st) {
  Module& m = module();
  std::lock_guard jl(m.join_mu);
  if (st->native != nullptr && st->native->joinable()) st->native->join();
}

// Waits until st has ended; false when the deadline passed first.
// Precondition: `lock` holds Module::mu.
bool wait_ended(std::unique_lock<Lock>& lock, ThreadState* st, const Timeout& timeout) {
  (void)lock;
  Module& m = module();
  if (!timeout) {
    while (!st->ended) m.cv.wait();
    return true;
  }
  // Negative timeouts count as zero (CPython's join clamps them); wait_for
  // handles absurdly long ones.
  auto d = std::max(*timeout, std::chrono::duration<double>::zero());
  return m.cv.wait_for([st] { return st->ended; }, d);
}

// CPython's threading._shutdown: join every non-daemon thread, then mark the
// main thread stopped.
void shutdown_hook() {
  Module& m = module();
  for (;;) {
    std::shared_ptr<ThreadState> next;
    {
      std::lock_guard lock(m.mu);
      for (auto& st : m.active) {
        if (!st->daemon && !st->is_main && !st->is_dummy && !is_current(st.get())) {
          next = st;
          break;
        }
      }
    }
    if (!next) break;
    {
      std::unique_lock lock(m.mu);
      wait_ended(lock, next.get(), std::nullopt);
    }
    join_native(next.get());
  }
  std::lock_guard lock(m.mu);
  if (is_current(m.main.get())) {
    m.main->ended = true;
    std::erase(m.active, m.main);
    m.cv.notify_all();
  }
}

void remove_active(Module& m, ThreadState* st) {
  std::erase_if(m.active, [st](const std::shared_ptr<ThreadState>& p) { return p.get() == st; });
}

// CPython's excepthook output: "Exception in thread <name>:" then the error.
void print_exception(const std::string& name, const std::string& failure) {
  std::string text = "Exception in thread " + name + ":\n" + failure + "\n";
  std::fflush(stdout);
  std::cout.flush();
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
}

void bootstrap(std::shared_ptr<ThreadState> st) {
  Module& m = module();
  tls_state = st.get();
  Thread* self = nullptr;
  std::function<void()> target;
  {
    std::lock_guard lock(m.mu);
    st->ident = pthread_ident();
    st->native_id = gettid_();
    st->running = true;
    if (st->direct) {
      target = st->target;
    } else {
      st->in_dispatch = true;
      self = st->object;
    }
    m.cv.notify_all();
  }
  std::optional<std::string> failure;
  try {
    if (self != nullptr) {
      self->run();
    } else if (target) {
      target();
    }
  } catch (const SystemExit&) {
    // CPython's excepthook ignores SystemExit silently.
  } catch (const std::exception& e) {
    failure = concur::detail::type_name(typeid(e)) + ": " + e.what();
  } catch (...) {
    failure = "unknown exception (not derived from std::exception)";
  }
  if (failure) {
    std::string name;
    {
      std::lock_guard lock(m.mu);
      name = st->name;
    }
    print_exception(name, *failure);
  }
  Thread* standin = nullptr;
  {
    std::lock_guard lock(m.mu);
    st->in_dispatch = false;
    st->ended = true;
    remove_active(m, st.get());
    standin = st->standin;
    st->standin = nullptr;
    if (standin != nullptr) st->object = nullptr;
    m.cv.notify_all();
  }
  delete standin;
  tls_state = nullptr;
}

// Removes a dummy thread from the registry when its thread ends (CPython
// 3.12's _DeleteDummyThreadOnDel).
struct DummyGuard {
  std::shared_ptr<ThreadState> state;
  ~DummyGuard() {
    if (!state) return;
    Module& m = module();
    Thread* obj = nullptr;
    {
      std::lock_guard lock(m.mu);
      state->ended = true;
      remove_active(m, state.get());
      obj = state->standin;
      state->standin = nullptr;
      state->object = nullptr;
      m.cv.notify_all();
    }
    if (tls_state == state.get()) tls_state = nullptr;
    delete obj;
  }
};

}  // namespace
}  // namespace detail

using detail::module;
using detail::ThreadState;

Thread::Thread() : Thread(ThreadOptions{}) {}

Thread::Thread(ThreadOptions options) : state_(std::make_shared<ThreadState>()) {
  bool daemonic = options.daemon ? *options.daemon : current_thread().daemon();
  auto& m = module();
  std::lock_guard lock(m.mu);
  if (options.name) {
    state_->name = std::move(*options.name);
  } else {
    state_->name = "Thread-" + std::to_string(++m.counter);
    state_->default_name = true;
  }
  state_->daemon = daemonic;
}

Thread::Thread(InternalTag, std::shared_ptr<detail::ThreadState> state) : state_(std::move(state)), internal_(true) {}

void Thread::set_target(std::function<void()> target, std::string target_name) {
  std::lock_guard lock(module().mu);
  state_->target = std::move(target);
  if (state_->default_name && !target_name.empty()) state_->name += " (" + target_name + ")";
}

Thread::~Thread() {
  if (internal_) return;
  auto& m = module();
  std::unique_lock lock(m.mu);
  if (!state_->started || state_->ended) {
    lock.unlock();
    detail::join_native(state_.get());
    return;
  }
  bool self_destroy = detail::is_current(state_.get());
  if (state_->daemon || self_destroy) {
    if (!self_destroy) {
      while (state_->in_dispatch && !state_->ended) m.cv.wait();
    }
    if (state_->ended) {
      lock.unlock();
      detail::join_native(state_.get());
      return;
    }
    Thread* standin = detail::ThreadAccess::make_internal(state_);
    state_->object = standin;
    state_->standin = standin;
    lock.unlock();
    std::lock_guard jl(m.join_mu);
    if (state_->native != nullptr && state_->native->joinable()) state_->native->detach();
    return;
  }
  lock.unlock();
  join();
}

void Thread::run() {
  std::function<void()> target;
  {
    std::lock_guard lock(module().mu);
    target = state_->target;
  }
  release_object_from_run();
  if (target) target();
}

void Thread::release_object_from_run() noexcept {
  auto& m = module();
  std::lock_guard lock(m.mu);
  state_->in_dispatch = false;
  m.cv.notify_all();
}

void Thread::start() {
  auto& m = module();
  {
    std::lock_guard lock(m.mu);
    if (state_->started) throw RuntimeError("threads can only be started once");
    state_->started = true;
    state_->object = this;
    // Thread and Timer do not override run(): their thread calls the target
    // itself and never dispatches through this object, which may then be
    // destroyed (or detached) at any time. Any other class's run() is called.
    state_->direct = typeid(*this) == typeid(Thread) || typeid(*this) == typeid(Timer);
    m.active.push_back(state_);  // CPython's _limbo: counted before it runs
    if (!m.atexit_installed) {
      std::atexit(detail::shutdown_hook);
      m.atexit_installed = true;
    }
  }
  try {
    auto native = std::make_unique<std::thread>(detail::bootstrap, state_);
    std::lock_guard jl(m.join_mu);
    state_->native = native.release();
  } catch (...) {
    std::lock_guard lock(m.mu);
    state_->started = false;
    state_->object = nullptr;
    detail::remove_active(m, state_.get());
    throw;
  }
  std::lock_guard lock(m.mu);
  while (!state_->running) m.cv.wait();
}

void Thread::join(Timeout timeout) {
  auto& m = module();
  std::unique_lock lock(m.mu);
  if (!state_->started) throw RuntimeError("cannot join thread before it is started");
  if (detail::is_current(state_.get())) throw RuntimeError("cannot join current thread");
  if (!detail::wait_ended(lock, state_.get(), timeout)) return;
  lock.unlock();
  detail::join_native(state_.get());
}

bool Thread::is_alive() const {
  std::lock_guard lock(module().mu);
  return state_->started && !state_->ended;
}

std::optional<unsigned long> Thread::ident() const {
  std::lock_guard lock(module().mu);
  return state_->ident;
}

std::optional<pid_t> Thread::native_id() const {
  std::lock_guard lock(module().mu);
  return state_->native_id;
}

std::string Thread::name() const {
  std::lock_guard lock(module().mu);
  return state_->name;
}

void Thread::set_name(std::string name) {
  std::lock_guard lock(module().mu);
  state_->name = std::move(name);
}

bool Thread::daemon() const {
  std::lock_guard lock(module().mu);
  return state_->daemon;
}

void Thread::set_daemon(bool daemonic) {
  std::lock_guard lock(module().mu);
  if (state_->started) throw RuntimeError("cannot set daemon status of active thread");
  state_->daemon = daemonic;
}

std::string Thread::repr() const {
  std::string cls;
  std::lock_guard lock(module().mu);
  if (state_->is_main) {
    cls = "_MainThread";
  } else if (state_->is_dummy) {
    cls = "_DummyThread";
  } else {
    cls = concur::detail::class_name(typeid(*this));
  }
  std::string status = "initial";
  if (state_->started) status = "started";
  if (state_->ended) status = "stopped";
  if (state_->daemon) status += " daemon";
  if (state_->ident) status += " " + std::to_string(*state_->ident);
  return "<" + cls + "(" + state_->name + ", " + status + ")>";
}

std::ostream& operator<<(std::ostream& os, const Thread& t) { return os << t.repr(); }

Thread& current_thread() {
  auto& m = module();
  {
    std::lock_guard lock(m.mu);
    if (detail::tls_state != nullptr && detail::tls_state->object != nullptr) return *detail::tls_state->object;
    if (detail::gettid_() == m.main_tid) return *m.main->object;
  }
  // A thread concur did not start: CPython's _DummyThread.
  thread_local detail::DummyGuard guard;
  auto st = std::make_shared<ThreadState>();
  st->is_dummy = true;
  st->daemon = true;
  st->started = st->running = true;
  st->ident = detail::pthread_ident();
  st->native_id = detail::gettid_();
  Thread* obj = detail::ThreadAccess::make_internal(st);
  std::lock_guard lock(m.mu);
  st->name = "Dummy-" + std::to_string(++m.counter);
  st->object = obj;
  st->standin = obj;
  m.active.push_back(st);
  guard.state = st;
  detail::tls_state = st.get();
  return *obj;
}

Thread& main_thread() {
  auto& m = module();
  std::lock_guard lock(m.mu);
  return *m.main->object;
}

std::vector<Thread*> enumerate() {
  auto& m = module();
  std::lock_guard lock(m.mu);
  std::vector<Thread*> out;
  out.reserve(m.active.size());
  for (auto& st : m.active) {
    if (st->object != nullptr) out.push_back(st->object);
  }
  return out;
}

std::size_t active_count() { return enumerate().size(); }

unsigned long get_ident() noexcept { return detail::pthread_ident(); }
pid_t get_native_id() noexcept { return detail::gettid_(); }

}  // namespace concur::threading
