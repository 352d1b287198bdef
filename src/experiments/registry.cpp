// The list of experiments. Adding one: a new file pair in this folder and one line below.
#include "nnsweep/core/error.hpp"
#include "nnsweep/experiments/correlations.hpp"
#include "nnsweep/experiments/experiment.hpp"
#include "nnsweep/experiments/linear_teacher.hpp"

namespace nnsweep::experiments {

const std::vector<const Experiment*>& all() {
  static const std::vector<const Experiment*> experiments = {
      &correlations_experiment(),
      &linear_teacher_experiment(),
  };
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
