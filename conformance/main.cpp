// Shared main of the conformance binaries. bootstrap() comes first, as the
// contract of concur/multiprocessing/spawn.hpp requires: in a spawn or
// forkserver child it runs the child and never returns. Every invocation then
// records its open fds and zombie children before the first and after the
// last test (HygieneEnvironment, support/leak_checked.hpp).
#include <gtest/gtest.h>

#include "concur/multiprocessing/spawn.hpp"
#include "support/leak_checked.hpp"

int main(int argc, char** argv) {
  concur::multiprocessing::bootstrap(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  concur_test::add_hygiene_environment(argv[0]);
  return RUN_ALL_TESTS();
}
