#include "nnsweep/grid/task_table.hpp"

#include <utility>

#include "nnsweep/core/error.hpp"
#include "nnsweep/grid/task_record.hpp"

namespace nnsweep::grid {

TaskTable::TaskTable(std::string experiment, const config::Schema& schema,
                     const config::SweepSpec& spec, Resolver resolver)
    : experiment_(std::move(experiment)),
      schema_(&schema),
      axes_(spec.axes(schema)),
      resolver_(std::move(resolver)) {
  for (const auto& axis : axes_) size_ *= axis.points.size();
}

config::ParamSet TaskTable::params(std::size_t task) const {
  std::vector<config::Value> values(schema_->size());
  std::size_t rest = task;
  for (auto axis = axes_.rbegin(); axis != axes_.rend(); ++axis) {
    const std::size_t n = axis->points.size();
    const auto& point = axis->points[rest % n];
    rest /= n;
    for (std::size_t i = 0; i < axis->params.size(); ++i) values[axis->params[i]] = point[i];
  }
  config::ParamSet set(*schema_, std::move(values));
  if (resolver_) resolver_(set);
  return set;
}

void TaskTable::validate() const {
  for (std::size_t cell = 0; cell < cell_count(); ++cell) {
    try {
      (void)params(cell * seeds_per_cell());
    } catch (const config_error& e) {
      throw config_error(cat("grid point ", cell * seeds_per_cell(), ": ", e.what()));
    }
  }
}

std::string_view status_name(TaskStatus status) {
  switch (status) {
    case TaskStatus::pending:
      return "pending";
    case TaskStatus::done:
      return "done";
    case TaskStatus::failed:
      return "failed";
    case TaskStatus::diverged:
      return "diverged";
    case TaskStatus::timed_out:
      return "timed_out";
  }
  return "?";
}

std::uint64_t hash64(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

std::uint64_t task_key(std::string_view experiment, const config::ParamSet& resolved) {
  return hash64(cat("experiment=", experiment, ";", resolved.canonical()));
}

}  // namespace nnsweep::grid
