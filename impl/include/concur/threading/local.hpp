// concur/threading/local.hpp — threading.local (seed 001 "thread local":
// local_school = threading.local(); CPython Lib/_threading_local.py).
//
// A local<T> is one object that holds a separate T for every thread: each
// thread that touches it sees only its own T.
//
// Guarantees
//  * A thread's T is constructed on that thread's first access — default-
//    constructed, or from copies of the constructor's arguments, which is
//    CPython's "a local subclass's __init__ is called again in each thread
//    with the same arguments".
//  * A thread's T is destroyed when that thread ends (on the ending thread,
//    during its thread_local destruction) or when the local<T> is destroyed,
//    whichever comes first (CPython's _threading_local removes a thread's
//    dict when either goes away).
//  * Works in every thread: concur Threads, std::threads, the main thread.
//
// Thread-safety: get(), operator* and operator-> may be called from any
// thread concurrently; the returned T is the calling thread's own and needs no
// synchronization unless the thread hands it to another one.
//
// Fork-safety: a forked child keeps the forking thread's T; the Ts of threads
// that do not exist in the child are destroyed with the local<T>.
//
// Lifetime: not copyable or movable. The local<T> must outlive every use of
// the references it returned. Destroying it while another thread uses its T
// is a data race.
//
// Blocking: get() takes a mutex briefly; T's constructor runs outside it, so
// it may use other locals (or this one for another thread).
#pragma once

#include <functional>
#include <memory>
#include <tuple>
#include <utility>

namespace concur::threading {

namespace detail {

// The type-erased per-thread map behind every local<T>.
class LocalBase {
 public:
  using Factory = std::function<std::shared_ptr<void>()>;
  explicit LocalBase(Factory factory);
  ~LocalBase();
  LocalBase(const LocalBase&) = delete;
  LocalBase& operator=(const LocalBase&) = delete;

  // The calling thread's value, made by the factory on first access.
  void* get();

  struct Impl;  // defined in local.cpp

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace detail

template <class T>
class local {
 public:
  // Each thread's T is value-initialized.
  local() : base_([] { return std::shared_ptr<void>(std::make_shared<T>()); }) {}

  // Each thread's T is constructed from copies of args.
  template <class... Args>
  explicit local(std::in_place_t, Args&&... args)
      : base_([tuple = std::make_tuple(std::forward<Args>(args)...)] {
          return std::shared_ptr<void>(
              std::apply([](const auto&... a) { return std::make_shared<T>(a...); }, tuple));
        }) {}

  // The calling thread's T.
  T& get() { return *static_cast<T*>(base_.get()); }
  T& operator*() { return get(); }
  T* operator->() { return &get(); }

 private:
  detail::LocalBase base_;
};

}  // namespace concur::threading
