// concur/threading.hpp — umbrella header of concur::threading (Python's
// threading module): Thread and the module functions, Lock, RLock,
// Condition, Semaphore, BoundedSemaphore, Event, Barrier, Timer, local.
#pragma once

#include "concur/threading/barrier.hpp"
#include "concur/threading/condition.hpp"
#include "concur/threading/event.hpp"
#include "concur/threading/local.hpp"
#include "concur/threading/lock.hpp"
#include "concur/threading/semaphore.hpp"
#include "concur/threading/thread.hpp"
#include "concur/threading/timer.hpp"
