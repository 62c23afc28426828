// Twin of futures_future_states.py: concurrent.futures.Future states —
// PENDING, RUNNING, FINISHED, CANCELLED transitions, cancel(),
// result()/exception() with timeouts, CancelledError, InvalidStateError
// messages, done callbacks, reprs (seed 001 "concurrent.futures"; CPython
// Lib/concurrent/futures/_base.py class Future).
#include <chrono>
#include <exception>
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
using twin::py;

namespace {
template <class T>
std::string states(const fu::Future<T>& f) {
  return "done=" + py(f.done()) + " running=" + py(f.running()) + " cancelled=" + py(f.cancelled());
}

std::string exc_text(const std::exception_ptr& e) {
  if (!e) return "None";
  return describe([&] { std::rethrow_exception(e); });
}
}  // namespace

int main() {
  fu::Future<int> f;
  line("new: ", f.repr(), " ", states(f));
  line("result(timeout=0.05) pending: ", describe([&] { f.result(0.05s); }));
  line("exception(timeout=0) pending: ", describe([&] { f.exception(0s); }));
  line("set_running_or_notify_cancel: ", py(f.set_running_or_notify_cancel()));
  line("running: ", f.repr(), " ", states(f));
  const bool c = f.cancel();
  line("cancel running: ", py(c), " ", states(f));
  line("set_running_or_notify_cancel again: ", describe([&] { f.set_running_or_notify_cancel(); }));
  std::vector<std::string> order;
  f.add_done_callback([&](fu::Future<int> fut) { order.push_back("first " + std::to_string(fut.result())); });
  f.add_done_callback([&](fu::Future<int> fut) { order.push_back("second " + py(fut.done())); });
  f.set_result(5);
  line("finished: ", f.repr(), " ", states(f), " result=", f.result(), " exception=", exc_text(f.exception()));
  line("callbacks ran in order: ", twin::list(order));
  f.add_done_callback([&](fu::Future<int>) { order.push_back("late runs at once"); });
  line("callback added when done: ", order.back());
  line("set_result again: ", describe([&] { f.set_result(6); }));
  line("set_exception when finished: ",
       describe([&] { f.set_exception(std::make_exception_ptr(concur::ValueError("x"))); }));
  line("cancel finished: ", py(f.cancel()));

  fu::Future<int> g;
  const bool gc = g.cancel();
  line("cancel pending: ", py(gc), " ", g.repr(), " ", states(g));
  line("cancel twice: ", py(g.cancel()));
  line("result of cancelled: ", describe([&] { g.result(); }));
  line("exception of cancelled: ", describe([&] { g.exception(); }));
  line("set_result on cancelled: ", describe([&] { g.set_result(1); }));
  const bool notified = g.set_running_or_notify_cancel();
  line("set_running_or_notify_cancel on cancelled: ", py(notified), " ", g.repr());
  const bool gc2 = g.cancel();
  line("cancel after notify: ", py(gc2), " ", states(g));

  fu::Future<int> h;
  h.set_running_or_notify_cancel();
  h.set_exception(std::make_exception_ptr(concur::ValueError("bad value")));
  line("raised: ", h.repr(), " ", states(h));
  line("result raises: ", describe([&] { h.result(); }));
  line("exception returns: ", exc_text(h.exception()));
  line("set_exception again: ", describe([&] { h.set_exception(std::make_exception_ptr(concur::ValueError("k"))); }));

  // set_result straight from PENDING is allowed (no RUNNING needed).
  fu::Future<std::string> k;
  k.set_result("text");
  line("pending -> finished: ", k.repr(), " result=", twin::repr(k.result(0s)));

  // A waiter blocked in result() is released by set_result in another thread.
  fu::Future<std::vector<int>> w;
  th::Timer t(0.05s, [w]() mutable { w.set_result(std::vector<int>{1, 2}); });
  t.start();
  line("blocked result released: ", twin::list(w.result(10s)));
  t.join();
}
