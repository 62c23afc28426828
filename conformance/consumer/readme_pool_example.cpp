#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "concur/futures.hpp"
#include "concur/multiprocessing.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

int test(int x) { return x * x; }  // seed 004: def test(x): return x * x
CONCUR_REGISTER_TARGET(test);      // spawn/forkserver workers find it by name

int error_test(int i) { throw std::runtime_error("[子进程" + std::to_string(i) + "]啊，我挂了～"); }
CONCUR_REGISTER_TARGET(error_test);

bool is_prime(std::int64_t n) {  // seed 001 "concurrent.futures"
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  for (std::int64_t i = 3; i * i <= n; i += 2)
    if (n % i == 0) return false;
  return true;
}
CONCUR_REGISTER_TARGET(is_prime);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  mp::Pool pool(4);  // Pool() uses cpu_count() workers
  std::printf("%d\n", pool.apply_async(test, {10}).get(1s));  // get(timeout): mp::TimeoutError
  for (int v : pool.map(test, std::vector<int>{0, 1, 2, 3})) std::printf("%d ", v);
  std::puts("");
  pool.apply_async(error_test, {3}, {}, [](const std::exception& e) { std::puts(e.what()); });
  pool.close();  // no new tasks; join() before close() raises ValueError("Pool is still running")
  pool.join();

  concur::futures::ProcessPoolExecutor executor(3);
  std::vector<std::int64_t> primes{112272535095293, 1099726899285419};
  for (bool p : executor.map(is_prime, primes)) std::printf("%s ", p ? "True" : "False");
  std::puts("");
}
