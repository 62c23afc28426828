// The consumer check: a program outside the source tree that finds the
// installed library with find_package(concur CONFIG REQUIRED), links
// concur::concur, and starts a registered target under fork and spawn.
// conformance/consumer/consumer_test.cmake builds and runs it.
#include <cstdio>
#include <stdexcept>
#include <string>

#include "concur/multiprocessing.hpp"

namespace mp = concur::multiprocessing;

// Exits 0 only when its arguments arrived intact (serialized under spawn).
void consumer_target(int answer, std::string word) {
  if (answer != 42 || word != "forty-two") throw std::runtime_error("arguments did not arrive intact");
}
CONCUR_REGISTER_TARGET(consumer_target);

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);
  std::string codes;
  for (const char* method : {"fork", "spawn"}) {
    auto p = mp::get_context(method).Process(consumer_target, 42, "forty-two");
    p.start();
    p.join();
    auto code = p.exitcode();
    codes += " " + (code ? std::to_string(*code) : std::string("none"));
  }
  std::printf("consumer %s: exitcodes%s\n", codes == " 0 0" ? "ok" : "FAILED", codes.c_str());
  return codes == " 0 0" ? 0 : 1;
}
