// The spawn start method: posix_spawn of this same executable, the
// bootstrap() entry point of every fresh image, and the registries that let a
// fresh image find targets and Process subclasses by name.
#include "concur/multiprocessing/spawn.hpp"

#include <cxxabi.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <unordered_map>

#include "concur/detail/inheritance.hpp"
#include "concur/detail/type_name.hpp"
#include "concur/multiprocessing/logging.hpp"
#include "concur/multiprocessing/resource_tracker.hpp"
#include "internal.hpp"

extern char** environ;

namespace concur::multiprocessing {
namespace detail {
namespace {

struct Registries {
  std::multimap<std::string, TargetEntry, std::less<>> targets;
  std::unordered_map<GenericFn, std::string> target_names;
  std::unordered_map<std::type_index, ClassEntry> classes;
  std::map<std::string, std::type_index, std::less<>> class_names;
};

// Filled during static initialization, read-only afterwards.
Registries& registries() {
  static Registries* r = new Registries();
  return *r;
}

std::atomic<bool> g_bootstrapped{false};
std::string& argv0() {
  static std::string* a = new std::string("concur-child");
  return *a;
}

}  // namespace

void register_target(const char* name, GenericFn fn, TargetFactory factory, std::size_t arity,
                     TaskInvoker invoker) {
  auto& r = registries();
  auto [lo, hi] = r.targets.equal_range(name);
  for (auto it = lo; it != hi; ++it) {
    if (it->second.fn == fn) return;  // the same registration seen from another TU
  }
  r.targets.emplace(name, TargetEntry{name, fn, factory, arity, invoker});
  r.target_names.emplace(fn, name);
}

void register_process_class(const char* name, std::type_index type, ClassSaver save, ClassLoader load) {
  auto& r = registries();
  r.classes.emplace(type, ClassEntry{name, save, load});
  r.class_names.emplace(name, type);
}

std::string_view registered_target_name(GenericFn fn) noexcept {
  auto& r = registries();
  auto it = r.target_names.find(fn);
  return it == r.target_names.end() ? std::string_view{} : std::string_view(it->second);
}

const TargetEntry* find_target(std::string_view name) {
  auto& r = registries();
  auto [lo, hi] = r.targets.equal_range(name);
  if (lo == hi) return nullptr;
  if (std::next(lo) != hi) {
    throw PicklingError("target name '" + std::string(name) +
                        "' is registered for two different functions; give one of them a unique name with "
                        "CONCUR_REGISTER_TARGET_AS(fn, \"unique name\")");
  }
  return &lo->second;
}

TaskInvoker registered_task_invoker(std::string_view name, GenericFn* fn) {
  const TargetEntry* t = find_target(name);
  if (!t) return nullptr;
  if (fn) *fn = t->fn;
  return t->invoker;
}

const ClassEntry* find_class(std::type_index type) {
  auto& r = registries();
  auto it = r.classes.find(type);
  return it == r.classes.end() ? nullptr : &it->second;
}

const ClassEntry* find_class(std::string_view name) {
  auto& r = registries();
  auto it = r.class_names.find(name);
  return it == r.class_names.end() ? nullptr : find_class(it->second);
}

[[noreturn]] void throw_unregistered_target(const std::type_info& type) {
  (void)type;
  throw PicklingError(
      "Can't pickle the target function: it is not registered for a fresh process image (spawn, forkserver); "
      "add CONCUR_REGISTER_TARGET(your_function) at namespace scope, or use the 'fork' start method");
}

[[noreturn]] void throw_unserializable_args(std::string_view target, const std::type_info& args) {
  const std::string type = concur::detail::type_name(args);
  throw PicklingError("Can't pickle the arguments of target '" + std::string(target) + "' (" + type +
                      "): give each parameter type a cereal serialize() function, or use the 'fork' start method");
}

bool is_bootstrapped() noexcept { return g_bootstrapped.load(std::memory_order_acquire); }

pid_t spawn_self(const char* marker, std::span<const int> fds) {
  // Sources that already sit in the target range [3, 3+n) are moved out of
  // the way first, so the dup2 actions cannot clobber each other.
  const int first = 3;
  const int n = static_cast<int>(fds.size());
  std::vector<UniqueFd> moved;
  std::vector<int> src(fds.begin(), fds.end());
  for (int& fd : src) {
    if (fd >= first && fd < first + n) {
      int d = ::fcntl(fd, F_DUPFD_CLOEXEC, first + n);
      if (d < 0) concur::detail::throw_errno("fcntl(F_DUPFD_CLOEXEC)");
      moved.emplace_back(d);
      fd = d;
    }
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  if (int e = posix_spawn_file_actions_init(&fa)) concur::detail::throw_errno(e, "posix_spawn_file_actions_init");
  if (int e = posix_spawnattr_init(&attr)) {
    posix_spawn_file_actions_destroy(&fa);
    concur::detail::throw_errno(e, "posix_spawnattr_init");
  }
  int err = 0;
  for (int i = 0; i < n && !err; ++i) err = posix_spawn_file_actions_adddup2(&fa, src[i], first + i);
  // Only the fds the child needs cross: everything else above stderr closes.
  if (!err) err = posix_spawn_file_actions_addclosefrom_np(&fa, first + n);
  sigset_t empty, def;
  sigemptyset(&empty);
  sigemptyset(&def);
  sigaddset(&def, SIGCHLD);
  sigaddset(&def, SIGPIPE);
  if (!err) err = posix_spawnattr_setsigmask(&attr, &empty);
  if (!err) err = posix_spawnattr_setsigdefault(&attr, &def);
  if (!err) err = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  std::string a0 = argv0();
  char* argv[] = {a0.data(), const_cast<char*>(marker), nullptr};
  if (!err) err = ::posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (err) concur::detail::throw_errno(err, "posix_spawn");
  return pid;
}

void ProcessAccess::restore(Process& p, const ChildPayload& pl) {
  p.name_ = pl.name;
  p.identity_ = pl.identity;
  p.daemon_ = pl.daemon;
  p.parent_pid_ = pl.parent_pid;
  if (!pl.context_method.empty()) p.context_ = &get_context(pl.context_method);
  if (!pl.target_name.empty()) {
    const TargetEntry* t = find_target(pl.target_name);
    if (!t) throw PicklingError("target '" + pl.target_name + "' is not registered in the child");
    p.target_ = t->factory(t->fn, pl.target_args);
  }
}

void ProcessAccess::run_payload(int payload_fd, int parent_pidfd, std::optional<std::vector<int>> inherited) {
  std::unique_ptr<Process> self;
  ChildPayload pl;
  try {
    std::string bytes = concur::detail::read_to_end(payload_fd);
    ::close(payload_fd);
    pl = serialization::loads<ChildPayload>(bytes);
    if (!inherited) {
      // spawn: slot i arrived on fd 4 + i, without FD_CLOEXEC (dup2 clears it).
      inherited.emplace();
      for (std::uint32_t i = 0; i < pl.fd_count; ++i) {
        ::fcntl(static_cast<int>(4 + i), F_SETFD, FD_CLOEXEC);
        inherited->push_back(static_cast<int>(4 + i));
      }
    }
    concur::detail::InheritingScope inheriting(*inherited);
    if (pl.log_to_stderr) log_to_stderr();
    get_logger().set_level(pl.log_level);
    if (!pl.forced_start_method.empty()) set_start_method(pl.forced_start_method, true);
    if (!pl.class_name.empty()) {
      const ClassEntry* c = find_class(std::string_view(pl.class_name));
      if (!c) throw PicklingError("Process subclass '" + pl.class_name + "' is not registered in the child");
      self = c->load(pl.class_state);
    } else {
      self = std::make_unique<Process>();
    }
    restore(*self, pl);
    if (pl.tracker_slot >= 0) {
      resource_tracker::adopt_fd(concur::detail::receive_fd_from_parent(static_cast<std::uint32_t>(pl.tracker_slot)));
    }
  } catch (const std::exception& e) {
    std::string m = std::string("concur: cannot start the child process: ") + e.what() + "\n";
    std::fputs(m.c_str(), stderr);
    ::_exit(1);
  }
  int code = bootstrap_child(*self, pl.parent_name, pl.parent_pid, parent_pidfd);
  ::_exit(code);
}

}  // namespace detail

void bootstrap(int argc, char** argv) {
  if (argc > 0 && argv && argv[0]) detail::argv0() = argv[0];
  if (argc > 1 && argv[1]) {
    if (std::strcmp(argv[1], detail::kSpawnMarker) == 0) {
      detail::g_bootstrapped.store(true, std::memory_order_release);
      detail::ProcessAccess::run_payload(3, -1, std::nullopt);
    }
    if (std::strcmp(argv[1], detail::kForkServerMarker) == 0) {
      detail::g_bootstrapped.store(true, std::memory_order_release);
      detail::forkserver_main(3, 4);
    }
    if (std::strcmp(argv[1], "--concur-resource-tracker") == 0) {
      detail::resource_tracker_main(3);
    }
  }
  detail::g_bootstrapped.store(true, std::memory_order_release);
}

}  // namespace concur::multiprocessing
