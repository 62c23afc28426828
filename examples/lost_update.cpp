// Seed 004 §1.6 "进程间状态共享": five processes each add 1 to a shared Value
// a thousand times WITHOUT its lock. `value += 1` is a read and a write, so
// increments from different processes overwrite each other: the total is
// usually below 5000 and differs from run to run. It is printed, never
// asserted (the conformance test SharedctypesConformance asserts exactly 5000
// for the version that holds get_lock()).
//
//   ./build/release/examples/lost_update            # e.g. "count: 4731"
//   ./build/release/examples/lost_update --locked   # always "count: 5000"
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include "concur/multiprocessing.hpp"

namespace mp = concur::multiprocessing;

void add_unlocked(mp::Value<int> value) {
  for (int i = 0; i < 1000; ++i) value.set_value(value.value() + 1);
}
CONCUR_REGISTER_TARGET(add_unlocked);

void add_locked(mp::Value<int> value) {
  for (int i = 0; i < 1000; ++i) {
    std::lock_guard<mp::SemLock> g(value.get_lock());
    value.set_value(value.value() + 1);
  }
}
CONCUR_REGISTER_TARGET(add_locked);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  const bool locked = argc > 1 && std::strcmp(argv[1], "--locked") == 0;
  mp::Value<int> value("i", 0);
  std::vector<mp::Process> ps;
  for (int i = 0; i < 5; ++i) ps.push_back(locked ? mp::Process(add_locked, value) : mp::Process(add_unlocked, value));
  for (auto& p : ps) p.start();
  for (auto& p : ps) p.join();
  std::printf("count: %d\n", value.value());
}
