// concur/subprocess.hpp — umbrella header of concur::subprocess (run,
// Popen, CompletedProcess and the older call/check_* API, on Boost.Process).
// Errors (SubprocessError, CalledProcessError, TimeoutExpired) live in
// concur/errors.hpp.
#pragma once

#include "concur/subprocess/args.hpp"
#include "concur/subprocess/popen.hpp"
#include "concur/subprocess/run.hpp"
