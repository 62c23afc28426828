// Twin of process_subclass.py: a Process subclass that overrides run() (seed
// 000 §1.1 My_Process) under each start method fixed with
// set_start_method(force=true) — its default name (class name + counter), its
// own state crossing to the child (CONCUR_REGISTER_PROCESS), the child's
// current_process() being the object itself, and a run() that throws
// (exitcode 1) (CPython process.py BaseProcess.__init__/run/_bootstrap).
#include <stdexcept>
#include <string>

#include "concur/multiprocessing.hpp"
#include "twin.hpp"

namespace mp = concur::multiprocessing;

class Worker : public mp::Process {
 public:
  Worker() = default;
  explicit Worker(std::string label, bool fail = false) : label_(std::move(label)), fail_(fail) {}

  void run() override {
    auto& me = mp::current_process();
    twin::line("  child: run() of Worker label=", label_, " name=", name(),
               " current_process() is self: ", twin::py(&me == this), " daemon=", twin::py(daemon()));
    if (fail_) throw concur::RuntimeError("worker failed");
  }

  template <class A>
  void serialize(A& ar) {
    ar(label_, fail_);
  }

 private:
  std::string label_;
  bool fail_ = false;
};
CONCUR_REGISTER_PROCESS(Worker);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  for (const std::string method : {"fork", "spawn", "forkserver"}) {
    mp::set_start_method(method, true);
    Worker w("first");
    twin::line(method, ": made ", w.name());
    w.start();
    w.join();
    twin::line(method, ": exitcode=", twin::py(w.exitcode()));
    Worker d("second");
    d.set_name("named");
    d.set_daemon(true);
    d.start();
    d.join();
    Worker f("third", true);
    f.start();
    f.join();
    twin::line(method, ": raising run(): exitcode=", twin::py(f.exitcode()));
  }
}
