// concur/multiprocessing.hpp — umbrella header of concur::multiprocessing.
#pragma once

#include "concur/multiprocessing/connection.hpp"
#include "concur/multiprocessing/context.hpp"
#include "concur/multiprocessing/logging.hpp"
#include "concur/multiprocessing/pool.hpp"
#include "concur/multiprocessing/process.hpp"
#include "concur/multiprocessing/queues.hpp"
#include "concur/multiprocessing/resource_tracker.hpp"
#include "concur/multiprocessing/shared_memory.hpp"
#include "concur/multiprocessing/sharedctypes.hpp"
#include "concur/multiprocessing/spawn.hpp"
#include "concur/multiprocessing/synchronize.hpp"
#include "concur/multiprocessing/thread_pool.hpp"
