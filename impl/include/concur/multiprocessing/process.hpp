// concur/multiprocessing/process.hpp — multiprocessing.Process
// (seeds 000/004 §1.1 "进程（Process）"; CPython Lib/multiprocessing/process.py).
//
// A Process runs `run()` — by default the target called with the arguments —
// in a separate OS process started by one of three start methods (see
// context.hpp): fork, spawn or forkserver.
//
// Guarantees
//  * Semantics and messages follow CPython: start() at most once
//    ("cannot start a process twice"), join() only after start()
//    ("can only join a started process"), close() only once the child has
//    ended ("Cannot close a process while it is still running. ..."), and
//    every use after close() raises ValueError("process object is closed").
//    API misuse that CPython guards with `assert` throws concur::AssertionError.
//  * exitcode() is empty while the child runs; then the exit status, or
//    -signum when a signal ended it (terminate() gives -15, a segfault -11).
//    The exit status is 0 when run() returns, 1 when it throws (the error is
//    printed to stderr as "Process <name>:" and the exception), and the code
//    of a thrown concur::SystemExit.
//  * Default names are CPython's: "<ClassName>-1", "<ClassName>-2", ... in the
//    main process and "Process-1:1" for the first child of Process-1. A
//    Process made by ctx.Process() is named, and repr()'d, after CPython's
//    class for that context: "ForkProcess-1", "SpawnProcess-2",
//    "ForkServerProcess-3".
//  * Every started child is reaped: by join(), is_alive()/exitcode() once it
//    has ended, active_children(), or at normal exit of the parent, which
//    terminates daemonic children and then joins all children (CPython's
//    _exit_function). A daemonic process may not start children.
//  * Inside the child, stdin is /dev/null (CPython's _close_stdin), stdout and
//    stderr are shared with the parent and are flushed before the child exits;
//    the parent flushes its C and C++ standard streams before forking so no
//    buffered output is written twice.
//
// Crossing the boundary
//  * fork: the child is a copy of the parent; any callable and any arguments
//    work. Forking while the parent runs more than one thread logs a warning
//    (see logging.hpp), as CPython 3.12+ does: locks held by other threads stay
//    locked forever in the child.
//  * spawn / forkserver: the child is a fresh image of the same executable, so
//    the target must be a function registered with CONCUR_REGISTER_TARGET and
//    the arguments must satisfy concur::serialization::serializable. A
//    subclass that overrides run() must be registered with
//    CONCUR_REGISTER_PROCESS and be default-constructible and serializable.
//    Otherwise start() throws concur::PicklingError naming the remedy. The
//    program must call concur::multiprocessing::bootstrap(argc, argv) first in
//    main (see spawn.hpp).
//  * Arguments are converted to the target's parameter types (decayed) when
//    the Process is constructed, so a `const char*` becomes a std::string
//    owned by the Process, as Python copies args into the Process object.
//    start() releases the target and its arguments in the parent once the
//    child has them (CPython bpo-30775), so e.g. a Connection end passed to
//    the child is not kept open by the parent's Process object.
//
// Thread-safety: a Process object is not synchronized — use one object from
// one thread at a time. Distinct objects may be used from different threads
// concurrently; the module functions (current_process, active_children, ...)
// are thread-safe.
//
// Lifetime: a Process may be moved (also while its child runs) but not
// copied. Destroying a Process whose child still runs does not wait and does
// not leak: the child stays tracked — it is reaped by active_children() or at
// exit exactly as if the object still existed (CPython keeps it in _children),
// but active_children() can no longer return it.
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
#include <typeinfo>
#include <utility>
#include <vector>

#include "concur/errors.hpp"
#include "concur/serialization.hpp"
#include "concur/timeout.hpp"

namespace concur::multiprocessing {

class Context;

// Python's keyword arguments name= and daemon=. Use with designated
// initializers: Process p({.name = "worker", .daemon = true}, fn, args...).
struct ProcessOptions {
  // Default member initializers keep `{.name = "x"}` free of
  // -Wmissing-field-initializers.
  std::optional<std::string> name = std::nullopt;
  std::optional<bool> daemon = std::nullopt;
};

namespace detail {
class Popen;
struct ProcessAccess;

// What spawn/forkserver send so the child can rebuild the target.
struct SpawnTarget {
  std::string name;  // registered name of the function
  std::string args;  // serialized parameter tuple
};

using GenericFn = void (*)();
// Registered name of a function, or empty when it is not registered.
std::string_view registered_target_name(GenericFn fn) noexcept;
[[noreturn]] void throw_unregistered_target(const std::type_info& type);
[[noreturn]] void throw_unserializable_args(std::string_view target, const std::type_info& args);

// Passes a stored argument to a parameter of type P: by lvalue reference when
// P can bind to one or copy from it (so run() can be called again), moved only
// for rvalue-reference or move-only parameters.
template <class P, class T>
decltype(auto) pass_argument(T& stored) {
  if constexpr (std::is_rvalue_reference_v<P> ||
                (!std::is_reference_v<P> && !std::is_copy_constructible_v<std::remove_cvref_t<P>>)) {
    return std::move(stored);
  } else {
    return (stored);
  }
}

template <class R, class... P, class Tuple, std::size_t... I>
void call_with(R (*fn)(P...), Tuple& params, std::index_sequence<I...>) {
  fn(pass_argument<P>(std::get<I>(params))...);
}

template <class R, class... P>
using ParamTuple = std::tuple<std::remove_cvref_t<P>...>;
}  // namespace detail

class Process {
 public:
  // A process with no target: run() does nothing unless a subclass overrides it.
  Process();
  explicit Process(ProcessOptions options);

  // Process(target, args...) — Python's Process(target=..., args=(...)).
  template <class F, class... Args>
    requires(!std::is_same_v<std::remove_cvref_t<F>, ProcessOptions>)
  explicit Process(F&& target, Args&&... args)
      : Process(ProcessOptions{}, std::forward<F>(target), std::forward<Args>(args)...) {}

  template <class F, class... Args>
  Process(ProcessOptions options, F&& target, Args&&... args) : Process(std::move(options)) {
    set_target(std::forward<F>(target), std::forward<Args>(args)...);
  }

  Process(Process&& other) noexcept;
  Process& operator=(Process&&) = delete;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  virtual ~Process();

  // Runs in the child. Calls the target with the arguments; override it in a
  // subclass instead of passing a target (seed §1.1 My_Process).
  virtual void run();

  // Starts the child. Throws AssertionError on a second start, on a Process
  // created by another process, or in a daemonic process; PicklingError when
  // the target cannot cross to a spawn/forkserver child; RuntimeError when
  // spawn/forkserver are used without bootstrap(); std::system_error when the
  // OS refuses.
  void start();

  // Waits until the child ends or the timeout passes (then returns quietly;
  // check exitcode()). Precondition: started, by this process.
  void join(Timeout timeout = std::nullopt);

  // True between start() and the child's end; reaps the child once it ended.
  bool is_alive();

  // SIGTERM / SIGKILL to the child; no effect once it has ended.
  // Precondition: started.
  void terminate();
  void kill();

  // Releases the process's resources (its sentinel). Throws ValueError while
  // the child is still running. Idempotent.
  void close();

  // Empty while running or before start(); exit status or -signum after.
  std::optional<int> exitcode();
  // Empty before start(); for current_process() the calling process's pid.
  std::optional<pid_t> pid() const;
  std::optional<pid_t> ident() const { return pid(); }

  const std::string& name() const;
  void set_name(std::string name);
  bool daemon() const noexcept { return daemon_; }
  // Precondition: not started ("process has already started").
  void set_daemon(bool daemonic);

  // A file descriptor that becomes readable when the child ends, for poll(2)
  // or connection::wait. Throws ValueError("process not started") before
  // start(). Owned by the Process: do not close it.
  int sentinel();

  // CPython's repr, e.g. <Process name='Process-1' pid=123 parent=122 started>
  // and <Process name='Process-1' pid=123 parent=122 stopped exitcode=-SIGTERM>.
  std::string repr() const;

 protected:
  // For subclasses that want a target as well as their own state.
  template <class F, class... Args>
  void set_target(F&& target, Args&&... args);

 private:
  friend struct detail::ProcessAccess;
  friend class Context;
  struct MainTag {};
  explicit Process(MainTag);

  void check_closed() const;
  void release_target() noexcept;

  std::function<void()> target_;
  // Builds the registered name + serialized arguments for spawn/forkserver.
  std::function<detail::SpawnTarget()> spawn_target_;
  const std::type_info* target_type_ = nullptr;
  const Context* context_ = nullptr;  // null: the default context at start()
  std::vector<int> identity_;
  mutable std::optional<std::string> name_;
  bool daemon_ = false;
  pid_t parent_pid_ = 0;
  bool closed_ = false;
  bool is_main_ = false;
  std::shared_ptr<detail::Popen> popen_;
};

std::ostream& operator<<(std::ostream& os, const Process& p);

template <class F, class... Args>
void Process::set_target(F&& target, Args&&... args) {
  using Fn = std::decay_t<F>;
  target_type_ = &typeid(Fn);
  if constexpr (std::is_pointer_v<Fn> && std::is_function_v<std::remove_pointer_t<Fn>>) {
    // A plain function: arguments are converted to its parameter types, and
    // the function can cross to spawn/forkserver children once registered.
    [this]<class R, class... P>(R (*fn)(P...), auto&&... a) {
      using Tuple = detail::ParamTuple<R, P...>;
      static_assert(sizeof...(P) == sizeof...(a), "Process: wrong number of arguments for the target");
      auto params = std::make_shared<Tuple>(std::forward<decltype(a)>(a)...);
      target_ = [fn, params] { detail::call_with(fn, *params, std::index_sequence_for<P...>{}); };
      spawn_target_ = [fn, params]() -> detail::SpawnTarget {
        auto name = detail::registered_target_name(reinterpret_cast<detail::GenericFn>(fn));
        if (name.empty()) detail::throw_unregistered_target(typeid(fn));
        if constexpr (serialization::serializable<Tuple>) {
          return {std::string(name), serialization::dumps(*params)};
        } else {
          detail::throw_unserializable_args(name, typeid(Tuple));
        }
      };
    }(static_cast<Fn>(target), std::forward<Args>(args)...);
  } else {
    static_assert(std::is_invocable_v<Fn&, std::decay_t<Args>&...>,
                  "Process: the target cannot be called with these arguments");
    auto bound = std::make_shared<std::tuple<Fn, std::decay_t<Args>...>>(std::forward<F>(target),
                                                                         std::forward<Args>(args)...);
    target_ = [bound] { std::apply([](auto& f, auto&... a) { f(a...); }, *bound); };
    spawn_target_ = nullptr;  // only registered functions cross to a fresh image
  }
}

// Python's _ParentProcess: the parent as seen from a child.
class ParentProcess {
 public:
  const std::string& name() const noexcept { return name_; }
  pid_t pid() const noexcept { return pid_; }
  std::optional<pid_t> ident() const noexcept { return pid_; }
  // True while the parent runs.
  bool is_alive() const;
  // Waits until the parent ends or the timeout passes.
  void join(Timeout timeout = std::nullopt) const;
  // Readable once the parent has ended (a pidfd, opened on first use and
  // owned by concur); -1 if the parent had already ended by then.
  int sentinel() const;
  // "<_ParentProcess name='MainProcess' parent=None unknown>", as CPython prints it.
  std::string repr() const;

 private:
  friend struct detail::ProcessAccess;
  std::string name_;
  pid_t pid_ = 0;
  mutable int sentinel_ = -1;
  mutable bool direct_child_ = false;
};

// The Process object of the calling process ("MainProcess" in the main one).
Process& current_process();
// The parent of the calling process; nullptr in the main process.
const ParentProcess* parent_process();
// Live children of the calling process whose Process object still exists;
// reaps every child that has ended (also those whose object is gone).
std::vector<Process*> active_children();
// Number of CPUs in the system (os.cpu_count()); throws NotImplementedError
// ("cannot determine number of cpus") if it cannot tell.
int cpu_count();

}  // namespace concur::multiprocessing
