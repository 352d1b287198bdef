// Stream keys over a declared subset of the parameters, and the replica of a task.
#include <algorithm>

#include "nnsweep/core/error.hpp"
#include "nnsweep/experiments/experiment.hpp"
#include "nnsweep/grid/task_table.hpp"

namespace nnsweep::experiments {

std::uint64_t Replica::key(rng::Purpose purpose) const {
  for (const auto& [p, key] : keys)
    if (p == purpose) return key;
  return task_key;
}

StreamKeys& StreamKeys::ignore(rng::Purpose purpose, std::vector<std::string> parameters) {
  rules_.push_back({purpose, false, std::move(parameters)});
  return *this;
}

StreamKeys& StreamKeys::only(rng::Purpose purpose, std::vector<std::string> parameters) {
  rules_.push_back({purpose, true, std::move(parameters)});
  return *this;
}

StreamKeys& StreamKeys::base(std::uint64_t key) {
  base_ = key;
  return *this;
}

void StreamKeys::check(const config::Schema& schema) const {
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    for (const auto& name : rules_[i].names)
      if (!schema.find(name))
        throw error(cat("internal: stream keys name '", name, "', which is not a parameter"));
    for (std::size_t j = 0; j < i; ++j)
      if (rules_[j].purpose == rules_[i].purpose)
        throw error(cat("internal: stream keys declare purpose ",
                        static_cast<unsigned>(rules_[i].purpose), " twice"));
  }
}

std::vector<std::pair<rng::Purpose, std::uint64_t>> StreamKeys::keys(
    std::string_view experiment, const config::ParamSet& params) const {
  std::vector<std::pair<rng::Purpose, std::uint64_t>> out;
  const auto& schema = params.schema();
  for (const Rule& rule : rules_) {
    std::string kept;
    for (std::size_t i = 0; i < schema.size(); ++i) {
      const bool named =
          std::find(rule.names.begin(), rule.names.end(), schema[i].name) != rule.names.end();
      if (named != rule.only) continue;
      kept += cat(schema[i].name, "=", config::format_value(params.value(i)), ";");
    }
    // The same text as grid::task_key when every parameter is kept.
    const std::uint64_t key =
        kept.empty() && base_ ? *base_ : grid::hash64(cat("experiment=", experiment, ";", kept));
    out.emplace_back(rule.purpose, key);
  }
  return out;
}

Replica make_replica(std::string_view experiment, const StreamKeys& streams,
                     std::uint64_t sweep_seed, const config::ParamSet& params) {
  Replica r;
  r.sweep_seed = sweep_seed;
  r.task_key = grid::task_key(experiment, params);
  r.seed = params.integer("seed");
  r.keys = streams.keys(experiment, params);
  return r;
}

Replica make_replica(const Experiment& experiment, std::uint64_t sweep_seed,
                     const config::ParamSet& params) {
  return make_replica(experiment.name(), experiment.streams(), sweep_seed, params);
}

void check_declarations(const Experiment& experiment) {
  const auto& schema = experiment.schema();
  experiment.streams().check(schema);
  const auto replicates = experiment.replicates();
  for (const auto& name : replicates)
    if (!schema.find(name))
      throw error(cat("internal: ", experiment.name(), " declares replicate axis '", name,
                      "', which is not a parameter"));
  if (std::find(replicates.begin(), replicates.end(), "seed") == replicates.end())
    throw error(cat("internal: ", experiment.name(), "'s replicate axes must include seed"));
}

}  // namespace nnsweep::experiments
