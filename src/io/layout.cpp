#include "layout.hpp"

#include <cstdint>

namespace nnsweep::io::layout {

namespace {
ColumnSpec column(const char* name, ColumnSpec::Type type, const char* units,
                  const char* description, std::size_t string_size = 0) {
  ColumnSpec c;
  c.name = name;
  c.type = type;
  c.units = units;
  c.long_name = name;
  c.description = description;
  c.kind = "metadata";
  c.string_size = string_size;
  return c;
}
}  // namespace

std::vector<ColumnSpec> metadata_columns() {
  using T = ColumnSpec::Type;
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

std::vector<ColumnSpec> run_columns() {
  using T = ColumnSpec::Type;
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

std::size_t element_size(const ColumnSpec& column) {
  switch (column.type) {
    case ColumnSpec::Type::float64:
    case ColumnSpec::Type::int64:
    case ColumnSpec::Type::uint64:
      return 8;
    case ColumnSpec::Type::int32:
      return 4;
    case ColumnSpec::Type::uint8:
      return 1;
    case ColumnSpec::Type::string:
      return column.string_size;
  }
  return 0;
}

}  // namespace nnsweep::io::layout
