// concur/threading.hpp — umbrella header of concur::threading (Python's
// threading module): Thread and the module functions, Timer, local.
// Lock, RLock, Condition, Semaphore, Event and Barrier come later.
#pragma once

#include "concur/threading/local.hpp"
#include "concur/threading/thread.hpp"
#include "concur/threading/timer.hpp"
