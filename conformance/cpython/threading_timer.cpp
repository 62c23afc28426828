// Twin of threading_timer.py: threading.Timer — fires once after the interval
// with its arguments, cancel before and after start, cancel after firing,
// name, start twice, join (seed 003 "定时器 timer = threading.Timer"; CPython
// Lib/threading.py class Timer).
#include <chrono>
#include <string>
#include <vector>

#include "concur/threading.hpp"
#include "twin.hpp"

namespace th = concur::threading;
using namespace std::chrono_literals;
using twin::py;
using twin::describe;
using twin::line;

namespace {
std::vector<std::string> calls;
th::Event fired;

void record(const std::string& tag, int n) {
  calls.push_back(tag + ":" + std::to_string(n));
  fired.set();
}
}  // namespace

int main() {
  th::Timer t(0.05s, record, "a", 1);
  line("name: ", t.name(), " daemon: ", py(t.daemon()), " is_alive before start: ", py(t.is_alive()));
  t.start();
  line("is_alive after start: ", py(t.is_alive()));
  line("fired: ", py(fired.wait(10s)));
  t.join();
  line("calls: ", twin::list(calls), " is_alive after join: ", py(t.is_alive()));
  line("start twice: ", describe([&] { t.start(); }));
  const std::string cancelled = describe([&] { t.cancel(); });
  line("cancel after firing: ", cancelled, " calls: ", twin::list(calls));

  fired.clear();
  th::Timer c(30s, record, "b", 2);
  c.start();
  c.cancel();
  c.join(10s);
  line("cancelled while waiting: is_alive=", py(c.is_alive()), " calls: ", twin::list(calls));

  th::Timer d(0.01s, record, "c", 3);
  d.cancel();
  d.start();
  d.join(10s);
  line("cancelled before start: is_alive=", py(d.is_alive()), " calls: ", twin::list(calls));
  line("cancel twice: ", describe([&] { d.cancel(); }));

  th::Timer e(-1s, record, "d", 4);
  e.start();
  e.join(10s);
  line("negative interval fires at once: ", twin::list(calls));

  th::Timer f(0.01s, record, "e", 5);
  line("join before start: ", describe([&] { f.join(); }));
}
