// concur/multiprocessing/context.hpp — start methods and contexts
// (seed 001 "进程创建": spawn / fork / forkserver, set_start_method,
// get_context; seed 004 "进程拓展 1.上下文系"; CPython context.py).
//
// Guarantees
//  * Three start methods, all available on Linux:
//     - "fork": fork(2) the calling process; the child inherits everything.
//     - "spawn": posix_spawn(3) a fresh image of the same executable; the
//       child inherits stdin/stdout/stderr and nothing else.
//     - "forkserver": a single-threaded server, itself spawned from a clean
//       image on first use, forks each child on request. Start cost does not
//       grow with the parent's memory. The server exits when the process that
//       started it exits; if it dies, the next start() starts a new one.
//  * The default method is "fork" (CPython's Unix default before 3.14).
//  * set_start_method() may be called once; a second call without force
//    throws RuntimeError("context has already been set"). The default context
//    is also fixed by get_start_method() and by starting a Process, exactly as
//    in CPython.
//  * get_context(name) with an unknown name throws ValueError naming the
//    valid methods.
//  * A context created by get_context() is a process-lifetime singleton:
//    references to it never dangle.
//
// Thread-safety: all functions are thread-safe. Fork-safety: children inherit
// the start-method setting under every method; a child of ctx.Process (a
// ForkProcess, SpawnProcess or ForkServerProcess) has that context's method
// as its default instead (CPython process.py _bootstrap).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "concur/multiprocessing/connection.hpp"
#include "concur/multiprocessing/process.hpp"
#include "concur/multiprocessing/queues.hpp"
#include "concur/multiprocessing/sharedctypes.hpp"
#include "concur/multiprocessing/synchronize.hpp"

namespace concur::multiprocessing {

class Pool;  // pool.hpp

enum class StartMethod { fork, spawn, forkserver };

std::string_view to_string(StartMethod method) noexcept;

class Context {
 public:
  StartMethod start_method() const noexcept { return method_; }
  // The method's name: "fork", "spawn" or "forkserver".
  std::string_view get_start_method() const noexcept { return to_string(method_); }

  // ctx.Process(target, args...): a Process bound to this context's method.
  template <class... A>
  multiprocessing::Process Process(A&&... args) const {
    multiprocessing::Process p(std::forward<A>(args)...);
    p.context_ = this;
    return p;
  }
  // ctx.Process({.name = ..., .daemon = ...}, target, args...).
  template <class... A>
  multiprocessing::Process Process(ProcessOptions options, A&&... args) const {
    multiprocessing::Process p(std::move(options), std::forward<A>(args)...);
    p.context_ = this;
    return p;
  }

  // ctx.Pool(), ctx.Pool(processes), ctx.Pool({.processes, .maxtasksperchild},
  // initializer, initargs...): a Pool whose workers this context starts
  // (CPython's BaseContext.Pool). Defined in pool.hpp: include it (or
  // concur/multiprocessing.hpp) to call it.
  template <class... A>
  multiprocessing::Pool Pool(A&&... args) const;

  // ctx.Pipe(duplex): the same as multiprocessing::Pipe (connection.hpp); a
  // pipe does not depend on the start method.
  std::pair<connection::Connection, connection::Connection> Pipe(bool duplex = true) const {
    return multiprocessing::Pipe(duplex);
  }

  // CPython's context also makes the IPC and synchronization objects
  // (seed 004: `ctx = mp.get_context('spawn'); q = ctx.Queue()`). They do
  // not depend on the start method: each crosses to children of every method.
  template <class T>
  multiprocessing::Queue<T> Queue(long long maxsize = 0) const {
    return multiprocessing::Queue<T>(maxsize);
  }
  template <class T>
  multiprocessing::JoinableQueue<T> JoinableQueue(long long maxsize = 0) const {
    return multiprocessing::JoinableQueue<T>(maxsize);
  }
  template <class T>
  multiprocessing::SimpleQueue<T> SimpleQueue() const {
    return multiprocessing::SimpleQueue<T>(default_ring_capacity);
  }
  multiprocessing::Lock Lock() const { return multiprocessing::Lock(); }
  multiprocessing::RLock RLock() const { return multiprocessing::RLock(); }
  multiprocessing::Semaphore Semaphore(long long value = 1) const { return multiprocessing::Semaphore(value); }
  multiprocessing::BoundedSemaphore BoundedSemaphore(long long value = 1) const {
    return multiprocessing::BoundedSemaphore(value);
  }
  template <class... A>
  multiprocessing::Condition Condition(A&&... lock) const {
    return multiprocessing::Condition(std::forward<A>(lock)...);
  }
  multiprocessing::Event Event() const { return multiprocessing::Event(); }
  multiprocessing::Barrier Barrier(int parties, std::function<void()> action = {}, Timeout timeout = {}) const {
    return multiprocessing::Barrier(parties, std::move(action), timeout);
  }
  template <class T, class... A>
  multiprocessing::Value<T> Value(A&&... args) const {
    return multiprocessing::Value<T>(std::forward<A>(args)...);
  }
  template <class T, class... A>
  multiprocessing::Array<T> Array(A&&... args) const {
    return multiprocessing::Array<T>(std::forward<A>(args)...);
  }
  template <class T, class... A>
  multiprocessing::RawValue<T> RawValue(A&&... args) const {
    return multiprocessing::RawValue<T>(std::forward<A>(args)...);
  }
  template <class T, class... A>
  multiprocessing::RawArray<T> RawArray(A&&... args) const {
    return multiprocessing::RawArray<T>(std::forward<A>(args)...);
  }

  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

 private:
  friend const Context& context_for(StartMethod) noexcept;
  explicit Context(StartMethod method) noexcept : method_(method) {}
  StartMethod method_;
};

// The singleton context of a method.
const Context& context_for(StartMethod method) noexcept;

// get_context(): the default context; get_context("spawn") etc.
// Throws ValueError("cannot find context for 'x' (valid start methods: ...)").
const Context& get_context(std::optional<std::string_view> method = std::nullopt);

// Fixes the default start method. Throws RuntimeError("context has already
// been set") if it was fixed before and force is false. With force and no
// method, the default becomes unset again.
void set_start_method(std::optional<std::string_view> method, bool force = false);

// The default start method's name; fixes the default if it was unset.
std::string_view get_start_method();
// With allow_none, returns empty instead of fixing an unset default.
std::optional<std::string_view> get_start_method(bool allow_none);

// {"fork", "spawn", "forkserver"}, the default first.
std::vector<std::string> get_all_start_methods();

// Names of registered zero-argument targets the forkserver runs once when it
// starts, before it forks any child (CPython set_forkserver_preload imports
// modules). Throws ValueError for a name that is not a registered target.
// Takes effect when the next server starts.
void set_forkserver_preload(std::vector<std::string> names);

}  // namespace concur::multiprocessing
