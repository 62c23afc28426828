// concur/detail/inheritance.hpp — how objects that own fds reach a child
// started by spawn or forkserver (CPython: context.get_spawning_popen(),
// Popen.duplicate_for_child(), context.assert_spawning()).
//
// Under fork a child inherits every object by memory copy, fds included, and
// nothing here is used. Under spawn and forkserver, Process::start()
// serializes the target's arguments; while it does, it is "spawning". An
// object that owns an fd (Connection, Queue, shared state) serializes itself by
// calling send_fd_to_child(fd), which records the fd and returns a slot; the
// child, while decoding its payload, turns the slot back into an fd with
// receive_fd_from_parent(slot) and owns that fd from then on.
//
// Objects that may only be shared by inheritance (Queue, locks) call
// assert_spawning() from their serialize function, so any other serialization
// (e.g. a Pool task argument) fails with CPython's RuntimeError.
//
// Thread-safety: the spawning state is per thread (only the thread inside
// start() is spawning). Fork-safety: trivially.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace concur::detail {

// True while Process::start() serializes a child's arguments for a fresh
// image, or while a child decodes them.
bool is_spawning() noexcept;

// Throws RuntimeError("<type_name> objects should only be shared between
// processes through inheritance") unless is_spawning().
void assert_spawning(std::string_view type_name);

// Parent side: `fd` will be open in the child; returns its slot. The fd must
// stay open until start() returns. Precondition: spawning (else RuntimeError).
std::uint32_t send_fd_to_child(int fd);

// Child side: the fd that arrived in `slot`; the caller owns it. Each slot can
// be taken once. Precondition: decoding a payload (else RuntimeError).
int receive_fd_from_parent(std::uint32_t slot);

// Used by Process::start(): while alive, this thread is spawning and
// send_fd_to_child appends to `fds`.
class SpawningScope {
 public:
  explicit SpawningScope(std::vector<int>& fds) noexcept;
  ~SpawningScope();
  SpawningScope(const SpawningScope&) = delete;
  SpawningScope& operator=(const SpawningScope&) = delete;

 private:
  void* saved_;
};

// Used by the child while it decodes its payload: `fds` are the inherited
// fds by slot. Slots nobody took are closed when the scope ends.
class InheritingScope {
 public:
  explicit InheritingScope(std::vector<int>& fds) noexcept;
  ~InheritingScope();
  InheritingScope(const InheritingScope&) = delete;
  InheritingScope& operator=(const InheritingScope&) = delete;

 private:
  void* saved_;
};

}  // namespace concur::detail
