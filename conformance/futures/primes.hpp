// Seed 001 "concurrent.futures": PRIMES and is_prime, shared by the
// executor tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace concur_test {

inline const std::vector<std::int64_t> PRIMES{112272535095293, 112582705942171, 112272535095293,
                                              115280095190773, 115797848077099, 1099726899285419};

inline bool is_prime(std::int64_t n) {
  if (n < 2) return false;
  if (n == 2) return true;
  if (n % 2 == 0) return false;
  auto sqrt_n = static_cast<std::int64_t>(std::floor(std::sqrt(static_cast<double>(n))));
  for (std::int64_t i = 3; i <= sqrt_n; i += 2) {
    if (n % i == 0) return false;
  }
  return true;
}

}  // namespace concur_test
