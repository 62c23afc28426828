// Shared main of the conformance binaries. bootstrap() comes first, as the
// contract of concur/multiprocessing/spawn.hpp requires: in a spawn or
// forkserver child it runs the child and never returns.
#include <gtest/gtest.h>

#include "concur/multiprocessing/spawn.hpp"

int main(int argc, char** argv) {
  concur::multiprocessing::bootstrap(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
