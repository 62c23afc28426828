// Twin of mp_queue_producers.py: several producer processes share one
// multiprocessing Queue — every item arrives exactly once and each
// producer's items keep their order (seed 004 §1.5; CPython queues.py
// Queue.put/get), under each start method.
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

constexpr int N = 50;

void producer(mp::Queue<std::pair<int, int>> q, int k) {
  for (int i = 0; i < N; ++i) q.put({k, i});
}
CONCUR_REGISTER_TARGET(producer);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto q = ctx.Queue<std::pair<int, int>>(8);
    std::vector<mp::Process> ps;
    for (int k = 0; k < 3; ++k) ps.push_back(ctx.Process(producer, q, k));
    for (auto& p : ps) p.start();
    std::vector<std::pair<int, int>> got;
    for (int i = 0; i < 3 * N; ++i) got.push_back(q.get(true, 30s));
    for (auto& p : ps) p.join();
    bool in_order = true;
    std::vector<int> counts(3, 0);
    for (int k = 0; k < 3; ++k) {
      int expect = 0;
      for (const auto& [k2, i] : got) {
        if (k2 != k) continue;
        in_order = in_order && i == expect;
        ++expect;
        ++counts[k];
      }
      in_order = in_order && expect == N;
    }
    std::vector<std::optional<int>> codes;
    for (auto& p : ps) codes.push_back(p.exitcode());
    twin::line(method, ": items ", got.size(), " per producer ", twin::list(counts), " each producer's order kept: ",
               twin::py(in_order), " exitcodes ", twin::list(codes), " empty: ", twin::py(q.empty()));
  }
}
