// Twin of process_active_children.py: active_children() lists the running
// children (and reaps ended ones), is_alive and join(timeout) through a
// child's life, and daemon children under each start method (seed 000 §1.1;
// CPython process.py active_children, _cleanup, BaseProcess.join/is_alive).
#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

void waits(mp::Event ev) { (void)ev.wait(30s); }
CONCUR_REGISTER_TARGET(waits);

std::vector<std::string> active_names() {
  std::vector<std::string> names;
  for (auto* p : mp::active_children()) names.push_back(p->name());
  std::sort(names.begin(), names.end());
  return names;
}

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  twin::line("no children: ", twin::list(active_names()));
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    auto& ctx = mp::get_context(method);
    auto ev = ctx.Event();
    std::vector<mp::Process> ps;
    for (int i = 0; i < 3; ++i)
      ps.push_back(ctx.Process({.name = method + "-" + std::to_string(i), .daemon = i == 2}, waits, ev));
    twin::line(method, ": before start: ", twin::list(active_names()));
    for (auto& p : ps) p.start();
    std::vector<bool> daemons;
    for (auto& p : ps) daemons.push_back(p.daemon());
    twin::line(method, ": running: ", twin::list(active_names()), " daemon flags: ", twin::list(daemons));
    ps[0].join(0.1s);
    twin::line(method, ": join(0.1) while running: is_alive=", twin::py(ps[0].is_alive()),
               " exitcode=", twin::py(ps[0].exitcode()));
    ev.set();
    for (auto& p : ps) p.join();
    std::vector<std::optional<int>> codes;
    std::vector<bool> alive;
    for (auto& p : ps) codes.push_back(p.exitcode());
    for (auto& p : ps) alive.push_back(p.is_alive());
    twin::line(method, ": after join: ", twin::list(active_names()), " exitcodes: ", twin::list(codes),
               " is_alive: ", twin::list(alive));
  }
}
