#include "concur/detail/inheritance.hpp"

#include <unistd.h>

#include <string>

#include "concur/errors.hpp"

namespace concur::detail {
namespace {

struct State {
  std::vector<int>* sending = nullptr;    // parent: fds to pass, by slot
  std::vector<int>* receiving = nullptr;  // child: fds received, by slot (-1 once taken)
};

thread_local State* t_state = nullptr;

}  // namespace

SpawningScope::SpawningScope(std::vector<int>& fds) noexcept : saved_(t_state) {
  t_state = new State{&fds, nullptr};
}

SpawningScope::~SpawningScope() {
  delete t_state;
  t_state = static_cast<State*>(saved_);
}

InheritingScope::InheritingScope(std::vector<int>& fds) noexcept : saved_(t_state) {
  t_state = new State{nullptr, &fds};
}

InheritingScope::~InheritingScope() {
  for (int& fd : *t_state->receiving) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  delete t_state;
  t_state = static_cast<State*>(saved_);
}

bool is_spawning() noexcept { return t_state != nullptr; }

void assert_spawning(std::string_view type_name) {
  if (!is_spawning()) {
    throw RuntimeError(std::string(type_name) +
                       " objects should only be shared between processes through inheritance");
  }
}

std::uint32_t send_fd_to_child(int fd) {
  if (!t_state || !t_state->sending) {
    throw RuntimeError("an object owning a file descriptor can only be passed to a child as an argument of "
                       "Process (it is inherited at start())");
  }
  t_state->sending->push_back(fd);
  return static_cast<std::uint32_t>(t_state->sending->size() - 1);
}

int receive_fd_from_parent(std::uint32_t slot) {
  if (!t_state || !t_state->receiving) {
    throw RuntimeError("an object owning a file descriptor can only be decoded by the child it was sent to");
  }
  auto& fds = *t_state->receiving;
  if (slot >= fds.size() || fds[slot] < 0) {
    throw UnpicklingError("inherited file descriptor slot " + std::to_string(slot) + " is missing or already taken");
  }
  int fd = fds[slot];
  fds[slot] = -1;
  return fd;
}

}  // namespace concur::detail
