#pragma once
// The ordered task table of a sweep. Tasks are the Cartesian product of the spec's axes in schema
// order with `seed` innermost, so the seeds of one grid cell are consecutive rows: a cell's
// replicas can be packed together and committed as one contiguous block. Parameters of a task are
// computed on demand from its index (mixed radix), so a table of 10^8 tasks costs no memory.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nnsweep/config/spec.hpp"

namespace nnsweep::grid {

class TaskTable {
 public:
  // Fills "auto" values and checks cross-parameter constraints (throws config_error).
  using Resolver = std::function<void(config::ParamSet&)>;

  TaskTable(std::string experiment, const config::Schema& schema, const config::SweepSpec& spec,
            Resolver resolver = {});

  const std::string& experiment() const { return experiment_; }
  const config::Schema& schema() const { return *schema_; }
  std::size_t size() const { return size_; }
  std::size_t seeds_per_cell() const { return axes_.back().points.size(); }
  std::size_t cell_count() const { return size_ / seeds_per_cell(); }
  std::size_t cell_of(std::size_t task) const { return task / seeds_per_cell(); }

  // Resolved parameters of a task (its seed included).
  config::ParamSet params(std::size_t task) const;
  // Resolves every distinct cell once: config errors surface before any work starts.
  void validate() const;

 private:
  std::string experiment_;
  const config::Schema* schema_;
  std::vector<config::Axis> axes_;
  Resolver resolver_;
  std::size_t size_ = 1;
};

// 64-bit FNV-1a of `text`, finished with a splitmix64 avalanche.
std::uint64_t hash64(std::string_view text);
std::uint64_t task_key(std::string_view experiment, const config::ParamSet& resolved);

}  // namespace nnsweep::grid
