// Twin of threading_thread.py: threading.Thread — default names (Thread-N,
// Thread-N (target)), daemon inheritance and errors, ident/native_id/
// is_alive, join and start errors, current_thread/main_thread, reprs (seed
// 001 "线程 / Thread"; CPython Lib/threading.py Thread.__init__ _newname,
// start, join, daemon setter).
#include <algorithm>
#include <string>
#include <vector>

#include "concur/multiprocessing/spawn.hpp"
#include "concur/threading.hpp"
#include "twin.hpp"

namespace th = concur::threading;
using namespace std::chrono_literals;
using twin::py;
using twin::describe;
using twin::line;

namespace {
th::Event started, release;
std::vector<std::string> out;
th::Thread* t6 = nullptr;

bool in_enumerate(const th::Thread& t) {
  const auto all = th::enumerate();
  return std::find(all.begin(), all.end(), &t) != all.end();
}

std::string idents_free(std::string text, const th::Thread& t) {
  const std::string ident = " " + std::to_string(t.ident().value_or(0)) + ")";
  if (auto at = text.find(ident); at != std::string::npos) text.replace(at, ident.size(), " <ident>)");
  return text;
}
}  // namespace

void worker() {
  started.set();
  release.wait();
}

void report_self() {
  th::Thread& me = th::current_thread();
  out.push_back("current_thread is the Thread: " + py(&me == t6) + ", name=" + me.name() +
                ", daemon=" + py(me.daemon()));
  out.push_back("join self: " + describe([&] { me.join(); }));
  th::Thread inner(worker);
  out.push_back("daemon inherited: " + py(inner.daemon()));
}
CONCUR_REGISTER_TARGET(worker);
CONCUR_REGISTER_TARGET(report_self);

int main() {
  th::Thread& main = th::main_thread();
  line("main: name=", main.name(), " daemon=", py(main.daemon()), " is_alive=", py(main.is_alive()),
       " is current=", py(&th::current_thread() == &main));
  line("main repr: ", idents_free(main.repr(), main));

  th::Thread t1;
  line("no target: ", t1.name(), " ", t1.repr());
  th::Thread t2(worker);
  line("target: ", t2.name());
  th::Thread t3({.name = "custom"}, worker);
  line("named: ", t3.name());
  th::Thread t4([] {});
  line("lambda target: ", t4.name());
  th::Thread t5({.daemon = true}, worker);
  line("daemon=True: ", py(t5.daemon()), " ", t5.repr());

  line("before start: ident=", twin::py(t2.ident()), " native_id=", twin::py(t2.native_id()),
       " is_alive=", py(t2.is_alive()));
  line("join before start: ", describe([&] { t2.join(); }));
  line("join(0.1) before start: ", describe([&] { t2.join(0.1s); }));
  t2.start();
  started.wait();
  line("running: ident set=", py(t2.ident().has_value()), " native_id set=",
       py(t2.native_id().has_value()), " is_alive=", py(t2.is_alive()),
       " in enumerate=", py(in_enumerate(t2)));
  line("running repr: ", idents_free(t2.repr(), t2));
  const std::string joined = describe([&] { t2.join(0.05s); });
  line("join(0.05) while running: ", joined, " is_alive=", py(t2.is_alive()));
  line("start twice: ", describe([&] { t2.start(); }));
  line("set daemon of running thread: ", describe([&] { t2.set_daemon(true); }));
  line("active_count includes it: ", py(th::active_count() == 2));
  release.set();
  t2.join();
  line("after join: is_alive=", py(t2.is_alive()), " ident kept=", py(t2.ident().has_value()),
       " in enumerate=", py(in_enumerate(t2)));
  line("stopped repr: ", idents_free(t2.repr(), t2));
  line("join again: ", describe([&] { t2.join(); }));
  line("start after end: ", describe([&] { t2.start(); }));
  line("active_count: ", th::active_count());

  th::Thread t({.daemon = true}, report_self);
  t6 = &t;
  t.start();
  t.join();
  for (const auto& text : out) line("in thread: ", text);

  th::Thread t7(worker);
  t7.set_name("renamed");
  t7.set_daemon(true);
  line("renamed before start: ", t7.repr());
  line("main join self: ", describe([&] { main.join(); }));
}
