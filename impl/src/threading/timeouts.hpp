// The argument checks CPython's threading applies to (blocking, timeout)
// before a lock or semaphore acquire (private to impl/src/threading).
#pragma once

#include "concur/detail/futex.hpp"
#include "concur/detail/type_name.hpp"
#include "concur/errors.hpp"
#include "concur/timeout.hpp"

namespace concur::threading::detail {

// _thread.lock/RLock.acquire (Modules/_threadmodule.c): a timeout with
// blocking=false, or a negative one, is a ValueError. (Python's -1 "no
// timeout" is concur's empty Timeout.)
inline concur::detail::Deadline lock_deadline(bool blocking, const Timeout& timeout) {
  if (!blocking) {
    if (timeout) throw ValueError("can't specify a timeout for a non-blocking call");
    return {};
  }
  if (timeout && timeout->count() < 0) throw ValueError("timeout value must be positive");
  return concur::detail::deadline_after(timeout);
}

// The "<... at 0x7f...>" part of CPython's reprs.
using concur::detail::address_text;

}  // namespace concur::threading::detail
