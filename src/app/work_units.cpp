#include "work_units.hpp"

#include <algorithm>

namespace nnsweep::app {

std::vector<sched::WorkUnit> work_units(const Sweep& sweep, const std::vector<bool>& pending) {
  const auto& table = *sweep.table;
  const std::size_t seeds = table.seeds_per_cell();
  std::vector<sched::WorkUnit> units;
  for (std::size_t cell = 0; cell < table.cell_count(); ++cell) {
    const std::size_t first = cell * seeds;
    bool any = false;
    for (std::size_t s = 0; s < seeds && !any; ++s) any = pending[first + s];
    if (!any) continue;
    const auto params = table.params(first);
    const double cost = sweep.experiment->cost(params);
    const std::size_t pack = std::max<std::size_t>(1, sweep.experiment->preferred_pack(params));
    // Runs of consecutive pending seeds, cut into packs.
    std::size_t s = 0;
    while (s < seeds) {
      if (!pending[first + s]) {
        ++s;
        continue;
      }
      std::size_t end = s;
      while (end < seeds && pending[first + end] && end - s < pack) ++end;
      units.push_back({first + s, end - s, cost * static_cast<double>(end - s)});
      s = end;
    }
  }
  return units;
}

std::vector<bool> shard_tasks(const Sweep& sweep, std::size_t index, std::size_t count) {
  const auto& table = *sweep.table;
  std::vector<std::pair<double, std::size_t>> cells;  // (cost, cell)
  for (std::size_t cell = 0; cell < table.cell_count(); ++cell)
    cells.emplace_back(sweep.experiment->cost(table.params(cell * table.seeds_per_cell())), cell);
  std::stable_sort(cells.begin(), cells.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<double> load(count, 0.0);
  std::vector<bool> mine(table.size(), false);
  for (const auto& [cost, cell] : cells) {
    const auto lightest =
        static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[lightest] += cost;
    if (lightest == index)
      for (std::size_t s = 0; s < table.seeds_per_cell(); ++s)
        mine[cell * table.seeds_per_cell() + s] = true;
  }
  return mine;
}

std::vector<bool> pending_tasks(const std::vector<std::uint8_t>& status,
                                const std::vector<bool>& in_shard, bool retry_failed,
                                std::size_t* failed_kept) {
  std::vector<bool> pending(status.size());
  std::size_t kept = 0;
  for (std::size_t t = 0; t < status.size(); ++t) {
    const auto s = static_cast<grid::TaskStatus>(status[t]);
    const bool todo = s == grid::TaskStatus::pending || s == grid::TaskStatus::timed_out ||
                      (retry_failed && s == grid::TaskStatus::failed);
    pending[t] = todo && in_shard[t];
    kept += !retry_failed && s == grid::TaskStatus::failed && in_shard[t] ? 1 : 0;
  }
  if (failed_kept != nullptr) *failed_kept = kept;
  return pending;
}

}  // namespace nnsweep::app
