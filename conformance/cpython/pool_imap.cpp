// Twin of pool_imap.py: Pool.imap and imap_unordered iteration — a failing
// task raises at its position and iteration goes on (chunksize=1), a failing
// chunk (chunksize=2, a declared difference), next(timeout) raising
// multiprocessing.TimeoutError, empty input, imap_unordered's outcomes as a
// sorted multiset, under each start method (seed 003 map/imap, seed 001
// imap_unordered; CPython Lib/multiprocessing/pool.py IMapIterator.next,
// Pool.imap).
#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;
using twin::describe;
using twin::line;
using twin::range;

int check(int x) {
  if (x == 3) throw concur::ValueError("bad " + std::to_string(x));
  return x;
}

double slow(double x) {
  std::this_thread::sleep_for(std::chrono::duration<double>(x));
  return x;
}

CONCUR_REGISTER_TARGET(check);
CONCUR_REGISTER_TARGET(slow);

namespace {
template <class T>
std::vector<std::string> outcomes(mp::IMapIterator<T>& it, int limit) {
  std::vector<std::string> out;
  for (int i = 0; i < limit; ++i) {
    try {
      auto v = it.next(30s);
      if (!v) {
        out.push_back("StopIteration");
        break;
      }
      out.push_back(twin::py(*v));
    } catch (...) {
      out.push_back(twin::describe_current());
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto pool = mp::get_context(method).Pool(2);
    auto a = pool.imap(check, range(6));
    line(method, " imap chunksize=1 with a failure: ", twin::list(outcomes(a, 8)));
    auto b = pool.imap(check, range(6), 2);
    line(method, " imap chunksize=2 with a failure: ", twin::list(outcomes(b, 8)));
    auto c = pool.imap_unordered(check, range(6));
    auto sorted = outcomes(c, 8);
    std::sort(sorted.begin(), sorted.end());
    line(method, " imap_unordered outcomes sorted: ", twin::list(sorted));
    auto d = pool.imap(check, std::vector<int>{});
    line(method, " imap of nothing: ", twin::list(outcomes(d, 2)));
    auto it = pool.imap(slow, std::vector<double>{0.5, 0.0});
    line(method, " next(timeout=0.05): ", describe([&] { it.next(0.05s); }));
    line(method, " then: ", twin::list(outcomes(it, 3)));
    pool.terminate();  // the end of Python's with block
    pool.join();
  }
}
