// The list of experiments. Adding one: a new file pair in this folder and one line below.
#include "nnsweep/core/error.hpp"
#include "nnsweep/experiments/experiment.hpp"

namespace nnsweep::experiments {

std::string_view status_name(Status status) {
  switch (status) {
    case Status::pending: return "pending";
    case Status::done: return "done";
    case Status::failed: return "failed";
    case Status::diverged: return "diverged";
    case Status::timed_out: return "timed_out";
  }
  return "?";
}

const std::vector<const Experiment*>& all() {
  static const std::vector<const Experiment*> experiments = {
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
