#pragma once
// The work of a run: which tasks are pending, which belong to a shard, and the units (packs of
// one cell's seeds, with their predicted cost) the scheduler hands out.
#include <cstdint>
#include <vector>

#include "nnsweep/sched/scheduler.hpp"
#include "sweep.hpp"

namespace nnsweep::app {
// Work units: each cell's seeds split by the experiment's preferred pack, with their cost.
// Only tasks with `pending[task]` true are included.
std::vector<sched::WorkUnit> work_units(const Sweep& sweep, const std::vector<bool>& pending);

// The tasks of shard `index` of `count`: whole cells, split into cost-balanced parts by greedy
// longest-first assignment (deterministic), so array jobs share the work evenly.
std::vector<bool> shard_tasks(const Sweep& sweep, std::size_t index, std::size_t count);

// Tasks a run computes, from the file's status column: pending and timed-out ones, failed ones
// with `retry_failed`, and only those of `in_shard`. `failed_kept` counts the failed tasks of the
// shard that stay as they are (a plain resume leaves them alone).
std::vector<bool> pending_tasks(const std::vector<std::uint8_t>& status,
                                const std::vector<bool>& in_shard, bool retry_failed,
                                std::size_t* failed_kept = nullptr);

}  // namespace nnsweep::app
