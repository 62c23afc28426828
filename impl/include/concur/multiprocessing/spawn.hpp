// concur/multiprocessing/spawn.hpp — what spawn and forkserver children need:
// bootstrap() and target registration
// (CPython spawn.py: spawn_main, freeze_support; the `if __name__ ==
// '__main__'` guard every seed example carries).
//
// Guarantees
//  * bootstrap(argc, argv) must be the first statement of main in any program
//    that uses the spawn or forkserver start method. In the parent it records
//    that the program is ready and returns at once. In a spawned child, or in
//    the forkserver, it never returns: it runs the child (or the server) and
//    exits the process with the child's exit code.
//  * start() under spawn/forkserver without a prior bootstrap() throws
//    RuntimeError naming the remedy, instead of re-running main in the child
//    (CPython's "An attempt has been made to start a new process before the
//    current process has finished its bootstrapping phase").
//  * CONCUR_REGISTER_TARGET(fn) makes the free function `fn` startable in a
//    fresh image: the child finds it by name. Its parameter types must be
//    serializable (compile-time check). Register at namespace scope, once per
//    name; CONCUR_REGISTER_TARGET_AS(fn, "name") picks the name explicitly
//    (needed when two functions share an unqualified name).
//  * CONCUR_REGISTER_PROCESS(Class) does the same for a Process subclass that
//    overrides run(): the class must be default-constructible and have a
//    cereal serialize() for its own state; the base part (name, daemon) is
//    carried by concur.
//  * A name registered twice for different functions is reported at start()
//    with the two colliding names.
//  * The same registration makes the function usable as a Pool or
//    ProcessPoolExecutor task under spawn/forkserver (pool.hpp), provided its
//    return type is void or serializable: the worker finds it by name and
//    sends its results back serialized.
//
// Thread-safety: registration happens during static initialization; lookups
// are read-only afterwards.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <tuple>
#include <typeindex>
#include <utility>
#include <variant>
#include <vector>

#include "concur/multiprocessing/process.hpp"
#include "concur/serialization.hpp"

namespace concur::multiprocessing {

void bootstrap(int argc, char** argv);

namespace detail {

// Rebuilds a target closure from its serialized arguments (child side).
using TargetFactory = std::function<void()> (*)(GenericFn fn, std::string_view args);

// The value a pool task of return type R produces: R, or std::monostate
// (Python's None) for void.
template <class R>
using task_value_t = std::conditional_t<std::is_void_v<R>, std::monostate, R>;

// Runs one pool task (a chunk of calls) in a worker: `args` holds
// dumps(chunk_t<ParamTuple>) — one argument tuple (or, for one parameter,
// one argument) per call — and the result is
// dumps(std::vector<task_value_t<R>>). Exceptions of the function
// propagate.
using TaskInvoker = std::string (*)(GenericFn fn, std::string_view args);

template <class R, class... P, class Tuple, std::size_t... I>
R call_returning(R (*fn)(P...), Tuple& params, std::index_sequence<I...>) {
  return fn(pass_argument<P>(std::get<I>(params))...);
}

// How a chunk of calls crosses: std::vector<Tuple>, or for one-parameter
// functions std::vector<P> (so a chunk of arithmetic arguments takes
// serialization's vector fast path).
template <class Tuple>
struct chunk_of {
  using type = std::vector<Tuple>;
};
template <class T>
struct chunk_of<std::tuple<T>> {
  using type = std::vector<T>;
};
template <class Tuple>
using chunk_t = typename chunk_of<Tuple>::type;

template <class R, class... P>
std::string invoke_task(GenericFn g, std::string_view bytes) {
  auto f = reinterpret_cast<R (*)(P...)>(g);
  using Tuple = ParamTuple<R, P...>;
  auto calls = serialization::loads<chunk_t<Tuple>>(bytes);
  std::vector<task_value_t<R>> out;
  out.reserve(calls.size());
  for (auto& c : calls) {
    if constexpr (sizeof...(P) == 1) {
      if constexpr (std::is_void_v<R>) {
        f(pass_argument<P...>(c));
        out.emplace_back();
      } else {
        out.push_back(f(pass_argument<P...>(c)));
      }
    } else if constexpr (std::is_void_v<R>) {
      call_with(f, c, std::index_sequence_for<P...>{});
      out.emplace_back();
    } else {
      out.push_back(call_returning(f, c, std::index_sequence_for<P...>{}));
    }
  }
  return serialization::dumps(out);
}

// The task invoker of R(*)(P...), or nullptr when its results cannot cross.
template <class R, class... P>
constexpr TaskInvoker task_invoker_for() noexcept {
  if constexpr (serialization::serializable<std::vector<task_value_t<R>>> &&
                serialization::serializable<chunk_t<ParamTuple<R, P...>>>) {
    return &invoke_task<R, P...>;
  } else {
    return nullptr;
  }
}

void register_target(const char* name, GenericFn fn, TargetFactory factory, std::size_t arity,
                     TaskInvoker invoker = nullptr);
// The task invoker registered under `name`; nullptr when the name is unknown
// or the function's results cannot cross. Throws PicklingError when the name
// is registered for two functions.
TaskInvoker registered_task_invoker(std::string_view name, GenericFn* fn);

using ClassSaver = std::string (*)(const Process& p);
using ClassLoader = std::unique_ptr<Process> (*)(std::string_view bytes);
void register_process_class(const char* name, std::type_index type, ClassSaver save, ClassLoader load);

template <class R, class... P>
struct TargetRegistration {
  TargetRegistration(const char* name, R (*fn)(P...)) {
    using Tuple = ParamTuple<R, P...>;
    static_assert(serialization::serializable<Tuple>,
                  "CONCUR_REGISTER_TARGET: a parameter type of this function cannot be serialized; "
                  "give it a cereal serialize() function (see concur/serialization.hpp)");
    register_target(
        name, reinterpret_cast<GenericFn>(fn),
        [](GenericFn g, std::string_view bytes) -> std::function<void()> {
          auto f = reinterpret_cast<R (*)(P...)>(g);
          auto params = std::make_shared<Tuple>(serialization::loads<Tuple>(bytes));
          return [f, params] { call_with(f, *params, std::index_sequence_for<P...>{}); };
        },
        sizeof...(P), task_invoker_for<R, P...>());
  }
};

template <class C>
struct ProcessClassRegistration {
  explicit ProcessClassRegistration(const char* name) {
    static_assert(std::is_base_of_v<Process, C>, "CONCUR_REGISTER_PROCESS: the class must derive from Process");
    static_assert(std::is_default_constructible_v<C>,
                  "CONCUR_REGISTER_PROCESS: the class must be default-constructible");
    static_assert(serialization::serializable<C>,
                  "CONCUR_REGISTER_PROCESS: the class needs a cereal serialize() for its own state");
    register_process_class(
        name, std::type_index(typeid(C)),
        [](const Process& p) { return serialization::dumps(static_cast<const C&>(p)); },
        [](std::string_view bytes) -> std::unique_ptr<Process> {
          auto obj = std::make_unique<C>();
          serialization::load_into(bytes, *obj);
          return obj;
        });
  }
};

}  // namespace detail
}  // namespace concur::multiprocessing

#define CONCUR_DETAIL_CAT2(a, b) a##b
#define CONCUR_DETAIL_CAT(a, b) CONCUR_DETAIL_CAT2(a, b)

#define CONCUR_REGISTER_TARGET_AS(fn, name)                                                           \
  [[maybe_unused]] static const ::concur::multiprocessing::detail::TargetRegistration CONCUR_DETAIL_CAT( \
      concur_target_registration_, __LINE__) {                                                       \
    name, fn                                                                                         \
  }

#define CONCUR_REGISTER_TARGET(fn) CONCUR_REGISTER_TARGET_AS(fn, #fn)

#define CONCUR_REGISTER_PROCESS(Class)                                                   \
  [[maybe_unused]] static const ::concur::multiprocessing::detail::ProcessClassRegistration< \
      Class>                                                                             \
      CONCUR_DETAIL_CAT(concur_process_registration_, __LINE__) {                        \
    #Class                                                                               \
  }
