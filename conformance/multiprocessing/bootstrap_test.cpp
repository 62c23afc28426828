// spawn.hpp: "start() under spawn/forkserver without a prior bootstrap()
// throws RuntimeError naming the remedy, instead of re-running main in the
// child" (CPython spawn.py _check_not_importing_main: "An attempt has been
// made to start a new process before the current process has finished its
// bootstrapping phase").
//
// This binary deliberately has its own main WITHOUT bootstrap(), so it cannot
// use the shared conformance main.
#include <gtest/gtest.h>

#include <string>

#include "concur/multiprocessing.hpp"
#include "support/leak_checked.hpp"

namespace mp = concur::multiprocessing;

namespace {
void do_nothing() {}
CONCUR_REGISTER_TARGET(do_nothing);
}  // namespace

class WithoutBootstrap : public ::testing::TestWithParam<std::string> {};

TEST_P(WithoutBootstrap, StartRaisesRuntimeErrorNamingBootstrap) {
  auto p = mp::get_context(GetParam()).Process(do_nothing);
  try {
    p.start();
    FAIL() << "start() without bootstrap() did not throw";
  } catch (const concur::RuntimeError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("An attempt has been made to start a new process before the current process has "
                        "finished its bootstrapping phase"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("concur::multiprocessing::bootstrap(argc, argv)"), std::string::npos) << what;
  }
  EXPECT_FALSE(p.pid().has_value());  // nothing was started
}

INSTANTIATE_TEST_SUITE_P(FreshImageMethods, WithoutBootstrap, ::testing::Values("spawn", "forkserver"));

// fork needs no bootstrap: the child is a copy of the running program.
TEST(WithoutBootstrapFork, ForkWorksWithoutBootstrap) {
  auto p = mp::get_context("fork").Process(do_nothing);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  concur_test::add_hygiene_environment(argv[0]);  // as conformance/main.cpp does
  return RUN_ALL_TESTS();
}
