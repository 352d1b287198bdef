// The list of experiments. Adding one: its own files in this folder (any .cpp here is built),
// defining `const Experiment& NAME_experiment();`, and its name in the list below — nothing
// else in app, sched, io or report (`nnsweep list`, `--help` and docs/results-file.md read it).
#include "nnsweep/core/error.hpp"
#include "nnsweep/experiments/experiment.hpp"

// In `nnsweep list` order.
#define NNSWEEP_EXPERIMENTS(X) \
  X(correlations)              \
  X(linear_teacher)            \
  X(support)                   \
  X(splines)                   \
  X(symmetry)

namespace nnsweep::experiments {

#define NNSWEEP_DECLARE(name) const Experiment& name##_experiment();
NNSWEEP_EXPERIMENTS(NNSWEEP_DECLARE)
#undef NNSWEEP_DECLARE

const std::vector<const Experiment*>& all() {
#define NNSWEEP_ENTRY(name) &name##_experiment(),
  static const std::vector<const Experiment*> experiments = {NNSWEEP_EXPERIMENTS(NNSWEEP_ENTRY)};
#undef NNSWEEP_ENTRY
  return experiments;
}

const Experiment& find(std::string_view name) {
  std::vector<std::string> names;
  for (const Experiment* e : all()) {
    if (e->name() == name) return *e;
    names.emplace_back(e->name());
  }
  const std::string hint = nearest(name, names);
  throw config_error(cat("experiment = ", name, ": unknown experiment",
                         hint.empty() ? std::string() : cat(" — did you mean '", hint, "'?"),
                         " (available: ", join(names, ", "), ")"));
}

}  // namespace nnsweep::experiments
