// concur/threading/thread.hpp — threading.Thread and the module functions
// current_thread, main_thread, active_count, enumerate, get_ident,
// get_native_id (seed 001 "线程 / Thread"; CPython Lib/threading.py).
//
// A Thread runs `run()` — by default the target called with the arguments —
// in a new OS thread of the calling process.
//
// Guarantees
//  * Semantics and messages follow CPython: start() at most once
//    (RuntimeError "threads can only be started once"); join() only after
//    start() ("cannot join thread before it is started") and never by the
//    thread itself ("cannot join current thread"); set_daemon() only before
//    start() ("cannot set daemon status of active thread").
//  * start() returns once the new thread runs (CPython waits on _started), so
//    ident() and native_id() are set and is_alive() is true from then until
//    run() has returned.
//  * Default names are CPython 3.10+'s: "Thread-N (target)" where target is
//    the name the function was registered under with CONCUR_REGISTER_TARGET
//    (concur/multiprocessing/spawn.hpp); C++ cannot name any other callable
//    (an unregistered function pointer, a lambda, a functor), so those threads
//    and threads without a target are "Thread-N". N comes from one counter
//    shared with "Dummy-N", as CPython's _counter.
//  * daemon() defaults to the creating thread's daemon flag (CPython); the
//    main thread is not daemonic.
//  * An exception escaping run() does not end the program: it is printed to
//    stderr as CPython's threading.excepthook prints it — the line
//    "Exception in thread <name>:" and then "<type>: <what()>" — and the
//    thread ends. A thrown concur::SystemExit ends the thread silently.
//  * Program exit (return from main or std::exit) joins every running
//    non-daemon Thread, as CPython's threading._shutdown; the hook is
//    installed with std::atexit by the first start(). Daemon threads are not
//    waited for: they are cut off when the process ends, and must not use
//    objects with static storage duration that exit destroys.
//  * current_thread() in a thread concur did not start (std::thread, a C
//    library's thread) returns a daemonic "Dummy-N" Thread (CPython's
//    _DummyThread), registered until that thread ends.
//
// Thread-safety: every member function may be called from any thread; the
// module functions are thread-safe.
//
// Fork-safety: in a child forked while threads ran, only the forking thread
// exists: it becomes main_thread() (CPython's _after_fork), the other Thread
// objects read as ended (is_alive() false, join() returns at once).
//
// Lifetime: a Thread is neither copyable nor movable (its address is what
// current_thread() and enumerate() return). Destroying a Thread whose thread
// still runs: a non-daemon one is joined; a daemon one is detached — it keeps
// its target and arguments (they are shared with the running thread) and
// from then on current_thread() and enumerate() return a stand-in Thread with
// the same name, ident and daemon flag, owned by concur and freed when the
// thread ends. This holds for Thread and Timer objects at any moment after
// start(): their thread calls the target without touching the object. An
// object of any other subclass is used by its thread (run() is called on it
// and uses the subclass's members), so it must not be destroyed before its
// thread ended: join() it first, for example in the subclass's destructor.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/errors.hpp"
#include "concur/timeout.hpp"

namespace concur::threading {

// Python's keyword arguments name= and daemon=. Use with designated
// initializers: Thread t({.name = "Thread-A", .daemon = true}, fn, args...).
struct ThreadOptions {
  std::optional<std::string> name = std::nullopt;
  std::optional<bool> daemon = std::nullopt;
};

namespace detail {
struct ThreadState;
struct ThreadAccess;
using GenericFn = void (*)();
// Name under which fn was registered with CONCUR_REGISTER_TARGET, or "".
std::string registered_name(GenericFn fn);
}  // namespace detail

class Thread {
 public:
  // A thread with no target: run() does nothing unless a subclass overrides it.
  Thread();
  explicit Thread(ThreadOptions options);

  // Thread(target, args...) — Python's Thread(target=..., args=(...)). The
  // target and decayed copies of the arguments are stored in the Thread.
  template <class F, class... Args>
    requires(!std::is_same_v<std::remove_cvref_t<F>, ThreadOptions>)
  explicit Thread(F&& target, Args&&... args)
      : Thread(ThreadOptions{}, std::forward<F>(target), std::forward<Args>(args)...) {}

  template <class F, class... Args>
  Thread(ThreadOptions options, F&& target, Args&&... args);

  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;
  virtual ~Thread();

  // Runs in the new thread. Calls the target with the arguments; override it
  // in a subclass instead of passing a target (seed 001: "继承Thread，重写run").
  virtual void run();

  // Starts the thread. Throws RuntimeError("threads can only be started
  // once") on a second call, std::system_error when the OS refuses a thread.
  void start();

  // Waits until the thread ends or the timeout passes (then returns quietly:
  // check is_alive(), as seed 001 says). Precondition: started, and not the
  // calling thread (RuntimeError otherwise).
  void join(Timeout timeout = std::nullopt);

  // True from start() until run() has returned.
  bool is_alive() const;

  // Python's ident (pthread_self of the thread as an integer) and native_id
  // (the kernel's tid); empty before start().
  std::optional<unsigned long> ident() const;
  std::optional<pid_t> native_id() const;

  std::string name() const;
  void set_name(std::string name);
  bool daemon() const;
  // Precondition: not started ("cannot set daemon status of active thread").
  void set_daemon(bool daemonic);

  // CPython's repr: <Thread(Thread-1 (worker), started daemon 1403...)>,
  // <Thread(Thread-2, initial)>, <Thread(MainThread, started 1403...)>.
  std::string repr() const;

 protected:
  // For subclasses that want a target as well as their own state (Timer):
  // what the default run() calls. `target_name`, when not empty, is appended
  // to a default name as " (target_name)". Precondition: not started.
  void set_target(std::function<void()> target, std::string target_name = {});

 private:
  friend struct detail::ThreadAccess;
  struct InternalTag {};
  Thread(InternalTag, std::shared_ptr<detail::ThreadState> state);
  // Tells a daemon Thread's destructor that the thread no longer touches the
  // object (the default run() has taken the target).
  void release_object_from_run() noexcept;

  std::shared_ptr<detail::ThreadState> state_;
  bool internal_ = false;  // main, dummy and stand-in objects, owned by concur
};

std::ostream& operator<<(std::ostream& os, const Thread& t);

template <class F, class... Args>
Thread::Thread(ThreadOptions options, F&& target, Args&&... args) : Thread(std::move(options)) {
  using Fn = std::decay_t<F>;
  static_assert(std::is_invocable_v<Fn&, std::decay_t<Args>&...>,
                "Thread: the target cannot be called with these arguments");
  std::string target_name;
  if constexpr (std::is_pointer_v<Fn> && std::is_function_v<std::remove_pointer_t<Fn>>) {
    target_name = detail::registered_name(reinterpret_cast<detail::GenericFn>(static_cast<Fn>(target)));
  }
  auto bound = std::make_shared<std::tuple<Fn, std::decay_t<Args>...>>(std::forward<F>(target),
                                                                       std::forward<Args>(args)...);
  set_target([bound] { std::apply([](auto& f, auto&... a) { f(a...); }, *bound); }, std::move(target_name));
}

// The Thread object of the calling thread: a Thread concur started, the main
// thread's ("MainThread"), or a Dummy-N stand-in for a foreign thread.
Thread& current_thread();
// The main thread's Thread object (after fork: the forking thread's).
Thread& main_thread();
// Number of alive Thread objects: len(enumerate()).
std::size_t active_count();
// Every alive Thread: started and not ended, the main thread and dummies
// included. The pointers stay valid while the threads run.
std::vector<Thread*> enumerate();
// threading.get_ident() / get_native_id() of the calling thread.
unsigned long get_ident() noexcept;
pid_t get_native_id() noexcept;

}  // namespace concur::threading
