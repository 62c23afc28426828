// concur/timeout.hpp — the one timeout type every blocking call takes.
//
// Contract
//  * `Timeout` is `std::optional` of a seconds duration: an empty optional
//    blocks forever (Python's timeout=None); any std::chrono duration converts
//    implicitly, so `join(250ms)`, `join(2s)` and
//    `join(std::chrono::duration<double>(0.5))` all work.
//  * Negative timeouts behave as zero (CPython clamps them the same way).
#pragma once

#include <chrono>
#include <optional>

namespace concur {

using Timeout = std::optional<std::chrono::duration<double>>;

}  // namespace concur
