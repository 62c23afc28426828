// concur/detail/shared_block.hpp — the one mechanism for anonymous memory
// shared between processes (private; used by synchronize and sharedctypes).
//
// Contract
//  * `SharedBlock(size)` maps `size` zero-filled bytes (rounded up to whole
//    pages) of a memfd (MFD_CLOEXEC) with MAP_SHARED. Every process that holds
//    a handle to the block sees the same bytes; atomics and futexes placed in
//    it work across processes (they are non-private, keyed by the page).
//  * Nothing is named: nothing appears in /dev/shm and nothing can leak, even
//    when every holder is SIGKILLed; the kernel frees the pages when the last
//    mapping and the last fd are gone.
//  * Handles are copyable and share ownership (like shared_ptr): the mapping
//    is unmapped and the fd closed when the last handle in this process is
//    destroyed. An empty (default-constructed) handle owns nothing.
//  * Crossing to a child:
//      - fork: the child inherits the mapping, the fd and the handle by
//        memory copy; nothing to do.
//      - spawn / forkserver: the cereal save() sends the fd with
//        detail::send_fd_to_child() and load() maps it in the child with
//        detail::receive_fd_from_parent(). Serializing outside
//        Process::start() therefore throws RuntimeError (inheritance.hpp).
//        Two handles to one block passed in the same start() become two
//        mappings of the same pages in the child: still the same memory.
//  * Cost: one close-on-exec fd and one mapping per live block per process.
//
// Thread-safety: copying and destroying handles from several threads is safe
// (shared ownership is atomic); the bytes themselves are not synchronized —
// the user of the block places atomics in it. Fork-safety: safe; the mapping
// is MAP_SHARED, so parent and forked child keep sharing it.
// Throws std::system_error (errno) when memfd_create/ftruncate/mmap fail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace concur::detail {

class SharedBlock {
 public:
  SharedBlock() = default;
  // Maps `size` (> 0) zero-filled bytes. `name` only labels the memfd
  // (/proc/<pid>/fd shows "memfd:<name>").
  explicit SharedBlock(std::size_t size, const char* name = "concur-shared");

  // The first byte (page aligned); nullptr for an empty handle.
  void* data() const noexcept { return map_ ? map_->addr : nullptr; }
  // The size asked for at construction.
  std::size_t size() const noexcept { return map_ ? map_->size : 0; }
  // The memfd backing the block (-1 for an empty handle).
  int fd() const noexcept { return map_ ? map_->fd : -1; }
  explicit operator bool() const noexcept { return map_ != nullptr; }
  // True when both handles refer to the same mapping in this process.
  bool same_mapping(const SharedBlock& o) const noexcept { return map_ == o.map_; }

  template <class T>
  T* as() const noexcept {
    return static_cast<T*>(data());
  }

  // cereal: only meaningful while Process::start() serializes arguments for
  // a spawn/forkserver child (see the contract above).
  template <class A>
  void save(A& ar) const {
    std::uint64_t n = size();
    std::uint32_t slot = send();
    ar(n, slot);
  }
  template <class A>
  void load(A& ar) {
    std::uint64_t n = 0;
    std::uint32_t slot = 0;
    ar(n, slot);
    receive(static_cast<std::size_t>(n), slot);
  }

 private:
  struct Mapping {
    void* addr = nullptr;
    std::size_t size = 0;
    std::size_t mapped = 0;
    int fd = -1;
    Mapping() = default;
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping();
  };

  std::uint32_t send() const;
  void receive(std::size_t size, std::uint32_t slot);

  std::shared_ptr<Mapping> map_;
};

}  // namespace concur::detail
