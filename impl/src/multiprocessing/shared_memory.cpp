// multiprocessing.shared_memory.SharedMemory on POSIX shared memory
// (CPython Lib/multiprocessing/shared_memory.py, the _USE_POSIX branch).
#include "concur/multiprocessing/shared_memory.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <system_error>
#include <utility>

#include "concur/detail/fd.hpp"
#include "concur/errors.hpp"
#include "concur/multiprocessing/resource_tracker.hpp"

namespace concur::multiprocessing {

namespace {

using concur::detail::UniqueFd;

constexpr const char* kRtype = "shared_memory";
constexpr mode_t kMode = 0600;

// CPython _posixshmem raises OSError subclasses with the name as filename.
[[noreturn]] void throw_os_error(int err, const std::string& name, const char* call) {
  if (err == EEXIST) throw FileExistsError(name);
  if (err == ENOENT) throw FileNotFoundError(name);
  throw std::system_error(err, std::generic_category(), std::string(call) + " '" + name + "'");
}

// CPython _make_filename: "/psm_" + token_hex(4).
std::string make_filename() {
  unsigned char bytes[4];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      concur::detail::throw_errno("getrandom");
    }
    got += static_cast<std::size_t>(n);
  }
  char name[16];
  std::snprintf(name, sizeof name, "/psm_%02x%02x%02x%02x", bytes[0], bytes[1], bytes[2], bytes[3]);
  return name;
}

}  // namespace

struct SharedMemory::State {
  std::string name;  // with the leading '/' given to shm_open
  UniqueFd fd;
  void* map = nullptr;
  std::size_t size = 0;
  bool track = true;

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() { close(); }

  void close() noexcept {
    if (map) {
      ::munmap(map, size);
      map = nullptr;
    }
    fd.reset();
  }

  void unlink() {
    if (name.empty()) return;
    if (::shm_unlink(name.c_str()) != 0) throw_os_error(errno, name, "shm_unlink");
    if (track) resource_tracker::unregister_resource(name, kRtype);
  }
};

SharedMemory::SharedMemory(std::optional<std::string> name, bool create, std::int64_t size, bool track) {
  if (!(size >= 0)) throw ValueError("'size' must be a positive integer");
  int flags = O_RDWR;
  if (create) {
    flags |= O_CREAT | O_EXCL;
    if (size == 0) throw ValueError("'size' must be a positive number different from zero");
  }
  if (!name && !(flags & O_EXCL)) throw ValueError("'name' can only be None if create=True");

  auto st = std::make_shared<State>();
  st->track = track;
  if (!name) {
    for (;;) {
      std::string candidate = make_filename();
      int fd = ::shm_open(candidate.c_str(), flags | O_CLOEXEC, kMode);
      if (fd < 0) {
        if (errno == EEXIST) continue;
        throw_os_error(errno, candidate, "shm_open");
      }
      st->fd.reset(fd);
      st->name = std::move(candidate);
      break;
    }
  } else {
    std::string full = "/" + *name;
    int fd = ::shm_open(full.c_str(), flags | O_CLOEXEC, kMode);
    if (fd < 0) throw_os_error(errno, full, "shm_open");
    st->fd.reset(fd);
    st->name = std::move(full);
  }

  // CPython: on OSError from ftruncate/fstat/mmap, unlink() and re-raise.
  auto fail = [&](const char* call) {
    int err = errno;
    try {
      st->unlink();
    } catch (...) {
    }
    throw_os_error(err, st->name, call);
  };
  if (create && ::ftruncate(st->fd.get(), static_cast<off_t>(size)) != 0) fail("ftruncate");
  struct stat sb {};
  if (::fstat(st->fd.get(), &sb) != 0) fail("fstat");
  st->size = static_cast<std::size_t>(sb.st_size);
  // Python's mmap.mmap(fd, 0) refuses an empty file with ValueError.
  if (st->size == 0) throw ValueError("cannot mmap an empty file");
  void* map = ::mmap(nullptr, st->size, PROT_READ | PROT_WRITE, MAP_SHARED, st->fd.get(), 0);
  if (map == MAP_FAILED) fail("mmap");
  st->map = map;

  // Only a creator registers (see the header: CPython's attach registering is
  // bpo-39959).
  if (create && track) {
    try {
      resource_tracker::register_resource(st->name, kRtype);
    } catch (...) {
      st->close();
      ::shm_unlink(st->name.c_str());
      throw;
    }
  }
  state_ = std::move(st);
}

std::span<std::byte> SharedMemory::buf() const noexcept {
  if (!state_ || !state_->map) return {};
  return {static_cast<std::byte*>(state_->map), state_->size};
}

std::string SharedMemory::name() const {
  if (!state_) return {};
  const std::string& n = state_->name;
  return (!n.empty() && n.front() == '/') ? n.substr(1) : n;
}

std::size_t SharedMemory::size() const noexcept { return state_ ? state_->size : 0; }

std::string SharedMemory::repr() const {
  return "SharedMemory('" + name() + "', size=" + std::to_string(size()) + ")";
}

void SharedMemory::close() noexcept {
  if (state_) state_->close();
}

void SharedMemory::unlink() {
  if (state_) state_->unlink();
}

}  // namespace concur::multiprocessing
