// Out-of-line part of concur/tpl/parallel.hpp.
#include "concur/tpl/parallel.hpp"

#include "concur/detail/tpl_scheduler.hpp"

namespace concur::tpl::detail {

int validated_degree(const ParallelOptions& options) {
  int d = options.max_degree_of_parallelism;
  if (d == -1) return static_cast<int>(concur::detail::tpl_target_workers());
  if (d <= 0) throw ValueError("MaxDegreeOfParallelism must be -1 or a positive number");
  return d;
}

}  // namespace concur::tpl::detail
