// concur/plinq.hpp — umbrella header of concur::plinq, .NET's PLINQ
// (ParallelEnumerable): from(range).as_parallel().select/where/... and the
// terminals sum, count, min, max, average, aggregate, to_vector, for_all.
// See concur/plinq/query.hpp for the contract (ordering, errors,
// cancellation, the adaptive grain, and the oneTBB worker threads a parallel
// run starts).
#pragma once

#include "concur/plinq/query.hpp"
