// Twin of pool_map_ordering.py: multiprocessing.Pool results and their order
// under each start method — map (default and explicit chunksize), imap,
// imap_unordered (sorted), starmap, apply, apply_async and map_async with
// callbacks, worker names (seeds 000/004 §1.2 "进程池", seed 001, seed 003;
// CPython Lib/multiprocessing/pool.py).
#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
using twin::line;
using twin::py;
using twin::range;
using namespace std::chrono_literals;

int square(int x) { return x * x; }

int power(int base, int exp) {
  int r = 1;
  for (int i = 0; i < exp; ++i) r *= base;
  return r;
}

std::string worker_name(int) {
  const std::string name = mp::current_process().name();
  return name.substr(0, name.rfind('-'));
}

CONCUR_REGISTER_TARGET(square);
CONCUR_REGISTER_TARGET(power);
CONCUR_REGISTER_TARGET(worker_name);

namespace {
template <class It>
std::vector<int> drain(It it) {
  std::vector<int> out;
  for (int v : it) out.push_back(v);
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto pool = ctx.Pool(2);
    line(method, " processes: ", pool.processes());
    line(method, " map: ", twin::list(pool.map(square, range(10))));
    line(method, " map chunksize=4: ", twin::list(pool.map(square, range(10), 4)));
    line(method, " map empty: ", twin::list(pool.map(square, std::vector<int>{})));
    line(method, " imap: ", twin::list(drain(pool.imap(square, range(8)))));
    line(method, " imap chunksize=3: ", twin::list(drain(pool.imap(square, range(8), 3))));
    auto unordered = drain(pool.imap_unordered(square, range(8)));
    std::sort(unordered.begin(), unordered.end());
    line(method, " imap_unordered sorted: ", twin::list(unordered));
    const std::vector<std::tuple<int, int>> pairs{{2, 3}, {3, 2}, {10, 0}};
    line(method, " starmap: ", twin::list(pool.starmap(power, pairs)));
    line(method, " apply: ", pool.apply(power, {2, 10}));
    {
      std::vector<int> got;
      auto r = pool.apply_async(square, {12}, [&](const int& v) { got.push_back(v); });
      const int v = r.get(30.0s);
      line(method, " apply_async: get=", v, " callback got=", twin::list(got), " ready=", py(r.ready()),
           " successful=", py(r.successful()));
    }
    {
      std::vector<std::string> got;
      auto m = pool.map_async(square, std::vector<int>{1, 2, 3}, std::nullopt,
                              [&](const std::vector<int>& v) { got.push_back(twin::list(v)); });
      const auto v = m.get(30.0s);
      std::string cb = "[";
      for (std::size_t i = 0; i < got.size(); ++i) cb += (i ? ", " : "") + got[i];
      line(method, " map_async: get=", twin::list(v), " callback got=", cb, "]");
    }
    auto sm = pool.starmap_async(power, std::vector<std::tuple<int, int>>{{5, 2}});
    line(method, " starmap_async: ", twin::list(sm.get(30.0s)));
    std::set<std::string> names;
    for (const auto& n : pool.map(worker_name, range(20), 1)) names.insert(n);
    line(method, " worker names: ", twin::list(names));
    std::vector<mp::AsyncResult<int>> results;
    for (int i = 0; i < 6; ++i) results.push_back(pool.apply_async(square, {i}));
    std::vector<int> values;
    for (auto& r : results) values.push_back(r.get(30.0s));
    line(method, " many apply_async in order: ", twin::list(values));
    pool.terminate();  // the end of Python's with block
    pool.join();
  }
}
