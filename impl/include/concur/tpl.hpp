// concur/tpl.hpp — umbrella header of concur::tpl, .NET's Task Parallel
// Library (seed 000, .NET half): CancellationTokenSource/CancellationToken,
// Task<T> with when_all/when_any/delay, Parallel::invoke/for_/for_each,
// retry with exponential back-off, IProgress<T>/Progress<T>. The contracts
// are in the individual headers.
#pragma once

#include "concur/tpl/cancellation.hpp"
#include "concur/tpl/task.hpp"
#include "concur/tpl/parallel.hpp"
#include "concur/tpl/progress.hpp"
#include "concur/tpl/retry.hpp"
