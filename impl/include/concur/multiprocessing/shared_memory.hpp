// concur/multiprocessing/shared_memory.hpp — multiprocessing.shared_memory.SharedMemory
// (CPython Lib/multiprocessing/shared_memory.py, resource_tracker.py).
//
// A SharedMemory is a named POSIX shared-memory segment (shm_open + mmap
// MAP_SHARED) that any process can attach to by name.
//
// Guarantees
//  * Semantics and messages follow CPython:
//      - SharedMemory(std::nullopt, true, n) creates a segment with a fresh
//        random name "psm_" + 8 hex digits; SharedMemory("name", true, n)
//        creates "name" and throws FileExistsError if it exists;
//        SharedMemory("name") attaches and throws FileNotFoundError if it does
//        not exist. The errors' what() is CPython's str(), e.g.
//        "[Errno 17] File exists: '/psm_1a2b3c4d'".
//      - size < 0 throws ValueError("'size' must be a positive integer");
//        create with size 0 throws ValueError("'size' must be a positive
//        number different from zero"); no name without create throws
//        ValueError("'name' can only be None if create=True").
//      - Attaching ignores `size` (beyond the sign check) and maps the whole
//        segment; size() is the segment's real size (fstat), as in CPython.
//      - name() is the name without the leading '/' that shm_open needs.
//        CPython always prepends one '/', so a user name "/x" reports "/x".
//  * buf() is the whole mapping, writable, shared with every process that
//    maps the segment. Nothing synchronizes access to the bytes.
//  * close() unmaps and closes the fd; buf() is empty afterwards; size() and
//    name() keep their values. close() never destroys the segment.
//  * unlink() destroys the name (shm_unlink); other mappings stay valid until
//    closed. Unlinking a name that is gone throws FileNotFoundError.
//
// Lifetime and cleanup (who unlinks)
//  * The creator, or any one process, calls unlink() exactly once. The
//    destructor only closes (CPython __del__), it never unlinks.
//  * A segment created with track=true (the default) is registered with the
//    resource tracker (resource_tracker.hpp): if no process unlinks it, the
//    tracker unlinks it when every process that shares the tracker has
//    exited — normally or by SIGKILL — and prints CPython's
//    "resource_tracker: There appear to be N leaked shared_memory objects to
//    clean up at shutdown" warning on stderr. unlink() unregisters it.
//  * Deviation from CPython: only creating registers. CPython's attach
//    registers too (bpo-39959), which makes an attaching process's tracker
//    unlink segments it does not own; concur's rule is what CPython 3.13's
//    track=False is used to obtain. An unlink() through an attached handle
//    still unregisters from this process's tracker, if it has one.
//
// Copies, thread- and process-safety
//  * A SharedMemory is a handle, like a Python reference: copies share one
//    mapping and one fd; close() through any copy closes it for all; the
//    mapping is released when the last copy is destroyed. A default
//    constructed (or moved-from) handle refers to no segment: empty name,
//    size 0, empty buf(); close() is a no-op and unlink() does nothing.
//  * Not synchronized: calls that race with close() on the same handle (or a
//    copy) are undefined; concurrent const calls are fine.
//  * fork: the child inherits the mapping (MAP_SHARED, so writes are seen by
//    both) and the handle. spawn / forkserver: a SharedMemory passed as a
//    Process argument is serialized by name and re-attached by name in the
//    child (CPython pickles it as (name, False, size)); the segment must still
//    exist when the child starts. The fd is close-on-exec.
//
// Blocking: nothing blocks. Errors from the OS other than the two above throw
// std::system_error with errno.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace concur::multiprocessing {

class SharedMemory {
 public:
  // A handle to no segment (what cereal loads into, and a moved-from state).
  SharedMemory() = default;

  // CPython SharedMemory(name=None, create=False, size=0, *, track=True).
  // Preconditions and errors: see the contract above.
  explicit SharedMemory(std::optional<std::string> name, bool create = false, std::int64_t size = 0,
                        bool track = true);

  // The whole mapping; empty after close() or for a handle to no segment.
  std::span<std::byte> buf() const noexcept;
  // The name without its leading '/' (CPython's reported name).
  std::string name() const;
  // The segment's size in bytes at creation/attach time.
  std::size_t size() const noexcept;
  // CPython repr: "SharedMemory('psm_1a2b3c4d', size=16)".
  std::string repr() const;

  // Unmaps and closes the fd; idempotent. Other processes are unaffected.
  void close() noexcept;
  // shm_unlink of the name, then unregistration from the resource tracker.
  // Throws FileNotFoundError if the name is gone.
  void unlink();

  // Serialization by name (spawn/forkserver arguments): loading attaches.
  template <class Archive>
  void save(Archive& ar) const {
    ar(name());
  }
  template <class Archive>
  void load(Archive& ar) {
    std::string n;
    ar(n);
    *this = n.empty() ? SharedMemory() : SharedMemory(std::move(n));
  }

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace concur::multiprocessing
