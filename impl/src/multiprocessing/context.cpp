#include "concur/multiprocessing/context.hpp"

#include <mutex>
#include <new>

#include "internal.hpp"

namespace concur::multiprocessing {
namespace {

struct DefaultContext {
  std::mutex mu;
  std::optional<StartMethod> actual;  // CPython DefaultContext._actual_context
};

DefaultContext& default_context() {
  static DefaultContext* d = new DefaultContext();
  return *d;
}

constexpr StartMethod kDefault = StartMethod::fork;

StartMethod parse(std::string_view name) {
  if (name == "fork") return StartMethod::fork;
  if (name == "spawn") return StartMethod::spawn;
  if (name == "forkserver") return StartMethod::forkserver;
  throw ValueError("cannot find context for '" + std::string(name) +
                   "' (valid start methods: 'fork', 'spawn', 'forkserver')");
}

}  // namespace

std::string_view to_string(StartMethod method) noexcept {
  switch (method) {
    case StartMethod::fork: return "fork";
    case StartMethod::spawn: return "spawn";
    case StartMethod::forkserver: return "forkserver";
  }
  return "fork";
}

const Context& context_for(StartMethod method) noexcept {
  static const Context fork_ctx(StartMethod::fork);
  static const Context spawn_ctx(StartMethod::spawn);
  static const Context forkserver_ctx(StartMethod::forkserver);
  switch (method) {
    case StartMethod::spawn: return spawn_ctx;
    case StartMethod::forkserver: return forkserver_ctx;
    case StartMethod::fork: break;
  }
  return fork_ctx;
}

const Context& get_context(std::optional<std::string_view> method) {
  if (method) return context_for(parse(*method));
  auto& d = default_context();
  std::lock_guard lock(d.mu);
  if (!d.actual) d.actual = kDefault;
  return context_for(*d.actual);
}

void set_start_method(std::optional<std::string_view> method, bool force) {
  auto& d = default_context();
  std::optional<StartMethod> m;
  if (method) m = parse(*method);
  std::lock_guard lock(d.mu);
  if (d.actual && !force) throw RuntimeError("context has already been set");
  if (!method && force) {
    d.actual.reset();
    return;
  }
  if (!m) throw ValueError("cannot find context for None (valid start methods: 'fork', 'spawn', 'forkserver')");
  d.actual = m;
}

std::string_view get_start_method() { return get_context().get_start_method(); }

std::optional<std::string_view> get_start_method(bool allow_none) {
  auto& d = default_context();
  {
    std::lock_guard lock(d.mu);
    if (!d.actual && allow_none) return std::nullopt;
  }
  return get_start_method();
}

namespace detail {
void context_after_fork() noexcept {
  // Another thread may have held the lock when this child was forked.
  new (&default_context().mu) std::mutex();
}
}  // namespace detail

std::vector<std::string> get_all_start_methods() { return {"fork", "spawn", "forkserver"}; }

void set_forkserver_preload(std::vector<std::string> names) {
  for (const auto& n : names) {
    const detail::TargetEntry* t = detail::find_target(n);
    if (!t || t->arity != 0) {
      throw ValueError("forkserver preload '" + n +
                       "' is not a registered zero-argument function; register it with "
                       "CONCUR_REGISTER_TARGET(" + n + ")");
    }
  }
  detail::set_forkserver_preload_names(std::move(names));
}

}  // namespace concur::multiprocessing
