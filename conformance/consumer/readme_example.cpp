#include <unistd.h>

#include <cstdio>
#include <string>

#include "concur/multiprocessing.hpp"

namespace mp = concur::multiprocessing;

void test(std::string name) {
  std::printf("[子进程-%s]PID：%d，PPID：%d\n", name.c_str(), getpid(), getppid());
}
CONCUR_REGISTER_TARGET(test);  // spawn/forkserver children find `test` by name

int main(int argc, char** argv) {
  mp::bootstrap(argc, argv);  // first statement: Python's `if __name__ == '__main__'`
  std::printf("[父进程]PID：%d，PPID：%d\n", getpid(), getppid());
  for (const char* method : {"fork", "spawn", "forkserver"}) {
    auto p = mp::get_context(method).Process(test, "萌萌哒");
    p.start();
    p.join();  // the parent reaps the child (waitpid)
  }
}
