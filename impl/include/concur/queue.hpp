// concur/queue.hpp — umbrella header of concur::queue (in-process queues).
#pragma once

#include "concur/queue/queue.hpp"
