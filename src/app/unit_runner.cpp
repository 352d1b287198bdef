#include "unit_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "nnsweep/core/error.hpp"

namespace nnsweep::app {

UnitRunner::UnitRunner(const Sweep& sweep, std::size_t pack)
    : sweep_(sweep), pack_(pack), streams_(sweep.experiment->streams()) {
  (void)sweep.columns.row();  // freezes the layout now: rows are then made without writing to it
  if (const char* fail = std::getenv("NNSWEEP_FAIL_TASKS")) {
    for (const auto& item : split(fail, ',')) {
      std::int64_t task = 0;
      if (parse_int64(item, task) && task >= 0)
        injected_failures_.push_back(static_cast<std::size_t>(task));
    }
  }
  if (const char* delay = std::getenv("NNSWEEP_TASK_DELAY")) {
    double seconds = 0;
    if (parse_double(delay, seconds) && seconds > 0) injected_delay_s_ = seconds;
  }
}

const UnitRunner::Cell& UnitRunner::cell_of(std::size_t cell, const config::ParamSet& params) {
  auto it = cells_.find(cell);
  if (it != cells_.end()) return it->second;
  if (cells_.size() >= 64) cells_.erase(cells_.begin());
  Cell entry{grid::ColumnSet(sweep_.column_options), {}};
  sweep_.experiment->columns(params, entry.columns);
  entry.theory = entry.columns.row();
  // Theory never costs a measurement: where it cannot be computed its columns stay NaN.
  try {
    sweep_.experiment->theory({params, sweep_.column_options}, entry.theory);
  } catch (const std::exception&) {
    entry.theory = entry.columns.row();
  }
  return cells_.emplace(cell, std::move(entry)).first->second;
}

grid::Row UnitRunner::assemble(const Cell& cell, const grid::Row* measured) const {
  grid::Row row = sweep_.columns.row();
  row.copy_counts(cell.theory);
  const auto& columns = sweep_.columns.columns();
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (columns[c].kind == grid::ColumnKind::metric) {
      if (measured != nullptr) row.copy_column(*measured, c);
    } else {
      row.copy_column(measured != nullptr && measured->assigned(c) ? *measured : cell.theory, c);
    }
  }
  return row;
}

bool UnitRunner::wait_injected_delay(std::size_t tasks, const std::atomic<bool>& cancel) const {
  if (injected_delay_s_ <= 0) return true;
  // Short steps, stopping when cancelled: the delay is abandoned as a long kernel's work would be.
  const auto end = std::chrono::steady_clock::now() +
                   std::chrono::duration<double>(injected_delay_s_ * static_cast<double>(tasks));
  while (std::chrono::steady_clock::now() < end) {
    if (cancel.load(std::memory_order_relaxed)) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::vector<grid::TaskRecord> UnitRunner::operator()(const sched::WorkUnit& unit,
                                                     const std::atomic<bool>& cancel) {
  const auto& table = *sweep_.table;
  const auto& experiment = *sweep_.experiment;
  std::vector<grid::TaskRecord> records(unit.count);
  std::vector<experiments::Replica> replicas(unit.count);
  for (std::size_t i = 0; i < unit.count; ++i) {
    records[i].task = unit.first + i;
    const auto params = table.params(unit.first + i);
    replicas[i] =
        experiments::make_replica(table.experiment(), streams_, sweep_.spec.sweep_seed, params);
  }
  const auto params = table.params(unit.first);
  const Cell& cell = cell_of(table.cell_of(unit.first), params);
  std::vector<experiments::TaskResult> results;
  std::string kernel_error;  // the kernel threw or broke its contract: every task failed
  if (wait_injected_delay(unit.count, cancel)) {
    try {
      experiments::RunOptions options;
      options.pack = pack_;
      options.cancel = &cancel;
      results = experiment.run({params, sweep_.column_options}, replicas, options);
      if (results.size() != unit.count)
        kernel_error = cat("internal: the kernel returned ", results.size(), " results for ",
                           unit.count, " tasks");
    } catch (const std::exception& e) {
      kernel_error = e.what();
    }
  } else {
    results.assign(unit.count, experiments::TaskResult::pending());  // abandoned, as by a kernel
  }
  if (!kernel_error.empty())
    results.assign(unit.count, {grid::TaskStatus::failed, kernel_error, {}});
  for (std::size_t i = 0; i < unit.count; ++i) {
    auto& record = records[i];
    const auto& result = results[i];
    record.status = static_cast<std::uint8_t>(result.status);
    record.error = result.error;
    const bool measured =
        result.status == grid::TaskStatus::done || result.status == grid::TaskStatus::diverged;
    if (std::find(injected_failures_.begin(), injected_failures_.end(), record.task) !=
        injected_failures_.end()) {
      record.status = static_cast<std::uint8_t>(grid::TaskStatus::failed);
      record.error = "injected failure (NNSWEEP_FAIL_TASKS)";
    } else if (measured &&
               (result.row.empty() || !result.row.columns().same_layout(cell.columns))) {
      record.status = static_cast<std::uint8_t>(grid::TaskStatus::failed);
      record.error =
          "internal: the kernel's row is not a row of the cell's columns (declare them once, in "
          "one function that columns(), run() and theory() share)";
    }
    // Measured values exist only for done and diverged tasks (results-file.md); theory stays.
    const auto status = static_cast<grid::TaskStatus>(record.status);
    const bool kept = status == grid::TaskStatus::done || status == grid::TaskStatus::diverged;
    record.row = assemble(cell, kept ? &result.row : nullptr);
  }
  return records;
}

}  // namespace nnsweep::app
