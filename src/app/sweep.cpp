#include "sweep.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "nnsweep/core/error.hpp"

namespace nnsweep::app {

namespace {

Sweep finish_loading(const config::RawSpec& raw) {
  Sweep sweep;
  sweep.experiment = &experiments::find(raw.experiment);
  const auto& experiment = *sweep.experiment;
  sweep.spec = config::resolve(raw, experiment.schema());
  sweep.table = std::make_unique<grid::TaskTable>(
      std::string(experiment.name()), experiment.schema(), sweep.spec,
      [&experiment](config::ParamSet& p) { experiment.resolve(p); });
  sweep.table->validate();
  const auto& table = *sweep.table;
  sweep.columns = experiment.columns(table.params(0));
  const bool has_curves = std::any_of(sweep.columns.begin(), sweep.columns.end(),
                                      [](const auto& c) { return c.length > 0; });
  for (std::size_t cell = 1; has_curves && cell < table.cell_count(); ++cell) {
    const auto other = experiment.columns(table.params(cell * table.seeds_per_cell()));
    for (std::size_t i = 0; i < other.size() && i < sweep.columns.size(); ++i)
      sweep.columns[i].length = std::max(sweep.columns[i].length, other[i].length);
  }
  return sweep;
}

}  // namespace

Sweep load_sweep(const std::string& path, const std::vector<std::string>& overrides) {
  return finish_loading(config::read_spec_file(path, overrides));
}

Sweep load_sweep_text(const std::string& text, const std::string& origin,
                      const std::vector<std::string>& overrides) {
  return finish_loading(config::read_spec_text(text, origin, overrides));
}

std::string kind_name(experiments::Column::Kind kind) {
  switch (kind) {
    case experiments::Column::Kind::metric:
      return "metric";
    case experiments::Column::Kind::theory:
      return "theory";
    case experiments::Column::Kind::derived:
      return "derived";
  }
  return "?";
}

std::vector<io::ColumnSpec> result_columns(const std::vector<experiments::Column>& columns) {
  std::vector<io::ColumnSpec> out;
  for (const auto& c : columns) {
    io::ColumnSpec s;
    s.name = c.name;
    s.units = c.units;
    s.long_name = c.long_name;
    s.description = c.description;
    s.kind = kind_name(c.kind);
    s.length = c.length;
    s.dim = c.dim;
    out.push_back(s);
  }
  return out;
}

void check_columns(const io::ResultsFile& file, const Sweep& sweep) {
  const auto expected = result_columns(sweep.columns);
  const auto& stored = file.result_columns();
  bool same = stored.size() == expected.size();
  for (std::size_t c = 0; same && c < expected.size(); ++c)
    same = stored[c].name == expected[c].name && stored[c].length == expected[c].length;
  if (!same)
    throw config_error(
        cat(file.path(), ": its result columns differ from what this nnsweep writes for ",
            sweep.experiment->name(), " — use the nnsweep that wrote it (nnsweep_version ",
            file.attribute("nnsweep_version"), ") or choose another --out"));
}

void check_same_sweep(const io::ResultsFile& file, const Sweep& sweep, const std::string& against,
                      const std::string& fix) {
  const std::string stored_experiment = file.attribute("experiment");
  if (stored_experiment != sweep.experiment->name())
    throw config_error(cat(file.path(), ": written by experiment '", stored_experiment, "', ",
                           against.empty() ? "the spec" : against, " is '",
                           sweep.experiment->name(), "' — ", fix));
  check_columns(file, sweep);
  const auto& schema = sweep.experiment->schema();
  const std::string text = file.spec_text();
  if (text == sweep.spec.canonical_text(schema)) return;
  const Sweep stored = load_sweep_text(text, file.path() + " /spec", {});
  const auto keys = config::differing_keys(stored.spec, sweep.spec, schema);
  if (!keys.empty())
    throw config_error(cat(file.path(), ": written by a different spec",
                           against.empty() ? "" : " than " + against,
                           " (differing keys: ", join(keys, ", "), ") — ", fix));
}

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

FileSink::FileSink(io::ResultsFile* file, int run, const sched::Options& options)
    : file_(file),
      run_(run),
      flush_seconds_(options.flush_seconds),
      last_flush_(std::chrono::steady_clock::now()) {}

void FileSink::accept(std::vector<grid::TaskRecord> records) {
  for (auto& r : records) {
    if (r.status == static_cast<std::uint8_t>(grid::TaskStatus::pending)) continue;
    r.run = run_;
    buffer_.push_back(std::move(r));
  }
  const double age =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - last_flush_).count();
  if (age >= flush_seconds_ || buffer_.size() >= 4096) flush();
}

void FileSink::flush() {
  last_flush_ = std::chrono::steady_clock::now();
  if (buffer_.empty() || file_ == nullptr) return;
  std::vector<std::size_t> tasks;
  for (const auto& r : buffer_) tasks.push_back(r.task);
  const auto attempts = file_->read_attempts(tasks);
  for (std::size_t i = 0; i < buffer_.size(); ++i) buffer_[i].attempts = attempts[i] + 1;
  file_->commit(buffer_);
  committed_ += buffer_.size();
  buffer_.clear();
}

}  // namespace nnsweep::app
