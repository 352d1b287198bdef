#include "unit_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "nnsweep/core/error.hpp"

namespace nnsweep::app {

UnitRunner::UnitRunner(const Sweep& sweep, std::size_t pack) : sweep_(sweep), pack_(pack) {
  for (const auto& c : sweep.columns) {
    values_per_record_ += std::max<std::size_t>(1, c.length);
    if (c.kind == experiments::Column::Kind::metric) continue;
    if (c.length > 0)
      throw error(
          cat("internal: theory/derived column ", c.name, " is a curve; theory() returns scalars"));
    ++theory_columns_;
  }
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
  Cell entry;
  // Theory never costs a measurement: where it cannot be computed its columns stay NaN.
  try {
    entry.theory = sweep_.experiment->theory(params);
  } catch (const std::exception&) {
    entry.theory.assign(theory_columns_, std::nan(""));
  }
  entry.columns = sweep_.experiment->columns(params);
  return cells_.emplace(cell, std::move(entry)).first->second;
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
    replicas[i] = {sweep_.spec.sweep_seed, grid::task_key(table.experiment(), params),
                   params.integer("seed")};
  }
  const auto params = table.params(unit.first);
  std::vector<experiments::TaskResult> results;
  std::string kernel_error;  // the kernel threw or broke its contract: every task failed
  if (wait_injected_delay(unit.count, cancel)) {
    try {
      experiments::RunOptions options;
      options.pack = pack_;
      options.cancel = &cancel;
      results = experiment.run(params, replicas, options);
      if (results.size() != unit.count)
        kernel_error = cat("internal: the kernel returned ", results.size(), " results for ",
                           unit.count, " tasks");
    } catch (const std::exception& e) {
      kernel_error = e.what();
    }
  } else {
    results.assign(unit.count, {grid::TaskStatus::pending, "", {}});  // abandoned, as by a kernel
  }
  if (!kernel_error.empty())
    results.assign(unit.count, {grid::TaskStatus::failed, kernel_error, {}});
  const Cell& cell = cell_of(table.cell_of(unit.first), params);
  const auto& theory = cell.theory;
  for (std::size_t i = 0; i < unit.count; ++i) {
    auto& record = records[i];
    auto& result = results[i];
    record.status = static_cast<std::uint8_t>(result.status);
    record.error = result.error;
    record.values.reserve(values_per_record_);
    std::size_t metric = 0, predicted = 0;
    for (std::size_t c = 0; c < sweep_.columns.size(); ++c) {
      const std::size_t file_length = std::max<std::size_t>(1, sweep_.columns[c].length);
      if (sweep_.columns[c].kind == experiments::Column::Kind::metric) {
        const std::size_t length = std::max<std::size_t>(1, cell.columns[c].length);
        for (std::size_t k = 0; k < file_length; ++k)
          record.values.push_back(k < length && metric + k < result.values.size()
                                      ? result.values[metric + k]
                                      : std::nan(""));
        metric += length;
      } else {
        record.values.push_back(predicted < theory.size() ? theory[predicted] : std::nan(""));
        ++predicted;
      }
    }
    const bool pending = result.status == grid::TaskStatus::pending;
    if (std::find(injected_failures_.begin(), injected_failures_.end(), record.task) !=
        injected_failures_.end()) {
      record.status = static_cast<std::uint8_t>(grid::TaskStatus::failed);
      record.error = "injected failure (NNSWEEP_FAIL_TASKS)";
    } else if (!pending && kernel_error.empty() &&
               (metric != result.values.size() || predicted != theory.size())) {
      record.status = static_cast<std::uint8_t>(grid::TaskStatus::failed);
      record.error =
          cat("internal: the kernel gave ", result.values.size(), " values and ", theory.size(),
              " theory values; the columns need ", metric, " and ", predicted);
    }
    // Measured values exist only for done and diverged tasks (results-file.md); theory stays.
    const auto status = static_cast<grid::TaskStatus>(record.status);
    if (status != grid::TaskStatus::done && status != grid::TaskStatus::diverged) {
      std::size_t offset = 0;
      for (const auto& column : sweep_.columns) {
        const std::size_t length = std::max<std::size_t>(1, column.length);
        if (column.kind == experiments::Column::Kind::metric)
          std::fill_n(record.values.begin() + static_cast<std::ptrdiff_t>(offset), length,
                      std::nan(""));
        offset += length;
      }
    }
  }
  return records;
}

}  // namespace nnsweep::app
