#include "layout.hpp"

#include <cstdint>

namespace nnsweep::io::layout {

namespace {
Column column(const char* name, ColumnType type, const char* units, const char* description,
              std::size_t string_size = 0) {
  Column c;
  c.name = name;
  c.type = type;
  c.units = units;
  c.long_name = name;
  c.description = description;
  c.kind = ColumnKind::metadata;
  c.string_size = string_size;
  return c;
}
}  // namespace

std::vector<Column> metadata_columns() {
  using T = ColumnType;
  return {
      column("task_key", T::uint64, "1",
             "stable hash of the experiment and the resolved parameters"),
      column("status", T::uint8, "1", "0 pending, 1 done, 2 failed, 3 diverged, 4 timed out"),
      column("rank", T::int32, "1", "MPI rank that computed the task (-1 until then)"),
      column("run", T::int32, "1",
             "index into /runs of the run that computed the task (-1 until then)"),
      column("wall_s", T::float64, "s", "seconds the task took (its share of a packed unit)"),
      column("attempts", T::int32, "1", "times the task was started"),
      column("error", T::string, "", "why the task failed or diverged", error_size),
  };
}

std::vector<Column> run_columns() {
  using T = ColumnType;
  return {
      column("started_utc", T::string, "", "start of the run (ISO 8601)", 32),
      column("finished_utc", T::string, "", "end of the run (empty if it was killed)", 32),
      column("mpi_size", T::int64, "1", "MPI ranks of the run (0: unused row)"),
      column("hostname", T::string, "", "host of rank 0", 64),
      column("slurm_job_id", T::string, "", "Slurm job id (empty outside Slurm)", 32),
      column("command_line", T::string, "", "the nnsweep invocation", 1024),
      column("io_mode", T::string, "", "parallel or serial", 16),
      column("tasks_done", T::int64, "1", "tasks this run committed"),
      column("makespan_s", T::float64, "s", "wall time of the run's task phase"),
      column("busy_s_total", T::float64, "s", "sum over ranks of time spent in kernels"),
      column("busy_s_max", T::float64, "s", "largest busy time of one rank"),
      column("load_balance", T::float64, "1", "sum of busy time / (ranks x makespan)"),
      column("exit_code", T::int64, "1", "0 complete, 75 stopped early, -1 running or killed"),
  };
}

std::vector<Column> companion_columns(const grid::ColumnSet& results) {
  std::vector<Column> out;
  for (const auto& c : results.columns()) {
    if (c.kind != ColumnKind::theory || c.is_text()) continue;
    Column k;
    k.name = grid::ColumnSet::kind_column(c.name);
    k.type = ColumnType::uint8;
    k.units = "1";
    k.long_name = "kind of " + c.name;
    k.description = "how good each task's " + c.name +
                    " is: 0 none (no prediction), 1 exact, 2 next-to-leading order, 3 leading "
                    "order, 4 a bound, 5 numerical (to the solver's tolerance)";
    k.kind = ColumnKind::theory_kind;
    out.push_back(k);
  }
  for (const auto& d : results.dimensions()) {
    Column n;
    n.name = grid::ColumnSet::count_column(d.name);
    n.type = ColumnType::int32;
    n.units = "1";
    n.long_name = "used length of " + d.name;
    n.description = "how many of the " + d.name +
                    " entries this task uses (the rest of its curves and arrays are NaN; 0 "
                    "until the task is committed)";
    n.kind = ColumnKind::count;
    out.push_back(n);
  }
  return out;
}

std::size_t element_size(const Column& column) {
  switch (column.type) {
    case ColumnType::float64:
    case ColumnType::int64:
    case ColumnType::uint64:
      return 8;
    case ColumnType::int32:
      return 4;
    case ColumnType::uint8:
      return 1;
    case ColumnType::string:
      return column.string_size;
  }
  return 0;
}

}  // namespace nnsweep::io::layout
