// concur/futures.hpp — umbrella header of concur::futures
// (Python's concurrent.futures).
#pragma once

#include "concur/futures/future.hpp"
#include "concur/futures/process_pool_executor.hpp"
#include "concur/futures/thread_pool_executor.hpp"
