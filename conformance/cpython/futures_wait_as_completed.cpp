// Twin of futures_wait_as_completed.py: concurrent.futures.wait() and
// as_completed() — FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED,
// timeouts, duplicates, completion order, "N (of M) futures unfinished"
// (seed 001 "concurrent.futures": as_completed; CPython
// Lib/concurrent/futures/_base.py wait, as_completed).
#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "concur/futures.hpp"
#include "concur/threading.hpp"
#include "twin.hpp"

namespace fu = concur::futures;
namespace th = concur::threading;
using namespace std::chrono_literals;
using twin::describe;
using twin::line;
using F = fu::Future<int>;

namespace {
std::map<const void*, std::string> names;
std::vector<std::unique_ptr<th::Timer>> timers;

F named(const std::string& n) {
  F f;
  names[f.core()] = n;
  return f;
}

const std::string& name_of(const F& f) { return names.at(f.core()); }

std::string show(const std::vector<F>& fs) {
  std::vector<std::string> out;
  for (const auto& f : fs) out.push_back(name_of(f));
  std::sort(out.begin(), out.end());
  return twin::list(out);
}

template <class Fn>
void later(std::chrono::duration<double> seconds, Fn fn) {
  timers.push_back(std::make_unique<th::Timer>(seconds, fn));
  timers.back()->start();
}
}  // namespace

int main() {
  F a = named("a"), b = named("b"), c = named("c");
  auto r = fu::wait(std::vector<F>{a, b, c}, 0.05s);
  line("timeout, none done: done=", show(r.done), " not_done=", show(r.not_done));
  a.set_result(1);
  r = fu::wait(std::vector<F>{a, b, c}, 0s, fu::FIRST_COMPLETED);
  line("FIRST_COMPLETED with one done: done=", show(r.done), " not_done=", show(r.not_done));
  r = fu::wait(std::vector<F>{a, b, c}, 0.05s, fu::FIRST_EXCEPTION);
  line("FIRST_EXCEPTION, no exception yet, timeout: done=", show(r.done), " not_done=", show(r.not_done));
  later(0.05s, [b]() mutable { b.set_exception(std::make_exception_ptr(concur::ValueError("b failed"))); });
  r = fu::wait(std::vector<F>{a, b, c}, 10s, fu::FIRST_EXCEPTION);
  line("FIRST_EXCEPTION after b raised: done=", show(r.done), " not_done=", show(r.not_done));
  later(0.05s, [c]() mutable { c.set_result(3); });
  r = fu::wait(std::vector<F>{a, b, c, a, c}, std::nullopt, fu::ALL_COMPLETED);
  line("ALL_COMPLETED with duplicates: done=", show(r.done), " not_done=", show(r.not_done));
  F d = named("d");
  d.cancel();
  r = fu::wait(std::vector<F>{d}, 0s);
  // CPython counts CANCELLED_AND_NOTIFIED and FINISHED, not a bare CANCELLED.
  line("cancelled, not notified: done=", show(r.done), " not_done=", show(r.not_done));
  d.set_running_or_notify_cancel();
  r = fu::wait(std::vector<F>{d}, 0s);
  line("cancelled and notified: done=", show(r.done), " not_done=", show(r.not_done));
  r = fu::wait(std::vector<F>{}, 0s);
  line("wait on nothing: ", show(r.done), " ", show(r.not_done));

  F x = named("x"), y = named("y"), z = named("z");
  z.set_result(26);
  later(0.05s, [y]() mutable { y.set_result(25); });
  later(0.15s, [x]() mutable { x.set_result(24); });
  std::vector<std::string> order;
  for (const auto& f : fu::as_completed(std::vector<F>{x, y, z, z})) order.push_back(name_of(f));
  line("as_completed order: ", twin::list(order));

  F p = named("p"), q = named("q");
  p.set_result(0);
  auto it = fu::as_completed(std::vector<F>{p, q}, 0.1s);
  line("as_completed yields the done one: ", name_of(*it.next()));
  line("then times out: ", describe([&] { it.next(); }));
  F r1 = named("r"), s1 = named("s"), t1 = named("t");
  line("as_completed timeout=0, none done: ", describe([&] {
         auto all = fu::as_completed(std::vector<F>{r1, s1, t1}, 0s);
         while (all.next()) {
         }
       }));
  std::vector<std::string> none;
  for (const auto& f : fu::as_completed(std::vector<F>{})) none.push_back(name_of(f));
  line("as_completed on nothing: ", twin::list(none));
  for (auto& tm : timers) tm->join();
}
