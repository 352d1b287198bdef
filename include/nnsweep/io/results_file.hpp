#pragma once
// The results file (layout: docs/results-file.md). One process creates it, atomically
// (FILE.tmp, then rename), with every dataset allocated and the parameter columns written. After
// that only raw data is ever written — results by commit(), run records in /runs — so the file's
// metadata never changes again and a kill at any instant leaves a file that opens. This is the
// only module that talks to HDF5; <hdf5.h> stays out of this header.
#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nnsweep/grid/columns.hpp"
#include "nnsweep/grid/task_record.hpp"
#include "nnsweep/grid/task_table.hpp"

namespace nnsweep::io {

// What the creator knows besides the task table.
struct FileLayout {
  std::string experiment;
  std::uint64_t sweep_seed = 0;
  std::string spec_text;           // canonical resolved spec (stored in /spec)
  grid::ColumnSet result_columns;  // metric, theory and derived columns at the grid's largest
  std::vector<std::string> replicates = {"seed"};  // parameters whose values are replicas
};

struct Provenance {
  std::string command_line;
  std::string hostname;
  std::string slurm_job_id;
  std::string created_utc;
  std::int64_t mpi_size = 1;
};

// Creates `path` (which must not exist) from the task table. One process only.
void create(const std::string& path, const grid::TaskTable& table, const FileLayout& layout,
            const Provenance& provenance);

// A row of /runs at the start of an invocation, and what is added at its end.
struct RunStart {
  std::string started_utc, hostname, slurm_job_id, command_line, io_mode;
  std::int64_t mpi_size = 1;
};
struct RunEnd {
  std::string finished_utc;
  std::int64_t tasks_done = 0;
  double makespan_s = 0, busy_s_total = 0, busy_s_max = 0, load_balance = 0;
  std::int64_t exit_code = 0;
};

// A used row of /runs.
struct RunRecord {
  RunStart start;
  RunEnd end;
};

class ResultsFile {
 public:
  enum class Access {
    read_only,       // one process, no MPI needed (status, report, tests)
    serial_write,    // one process writes (rank 0 in --io serial mode)
    parallel_write,  // every rank of the communicator, collectively (MPI-IO)
  };

  ResultsFile(const std::string& path, Access access, MPI_Comm comm = MPI_COMM_NULL);
  ~ResultsFile();  // closes; collective in parallel_write mode, like close()
  ResultsFile(ResultsFile&&) noexcept;
  ResultsFile& operator=(ResultsFile&&) noexcept;
  ResultsFile(const ResultsFile&) = delete;
  ResultsFile& operator=(const ResultsFile&) = delete;
  void close();

  const std::string& path() const;
  std::size_t task_count() const;
  std::string attribute(const std::string& name) const;  // root attribute as text
  std::string spec_text() const;
  std::vector<std::string> parameter_names() const;
  // Parameters whose values are replicas of one cell (root attribute `replicates`).
  std::vector<std::string> replicates() const;
  // The result columns, as the sweep's ColumnSet declared them (rows are laid out by it).
  const grid::ColumnSet& result_columns() const;
  // Any dataset of the root group; throws io_error if there is none.
  grid::Column column(const std::string& name) const;
  bool has_column(const std::string& name) const;

  std::vector<std::uint8_t> read_status() const;
  // The attempts column at `tasks` (a selection: a rank reads only its own rows).
  std::vector<std::int32_t> read_attempts(const std::vector<std::size_t>& tasks) const;
  // Whole columns (scalar ones; numbers of any type as double).
  std::vector<double> read_numbers(const std::string& name) const;
  std::vector<std::string> read_strings(const std::string& name) const;
  // A curve or array column: one row per task of its length (arrays row-major).
  std::vector<std::vector<double>> read_curve(const std::string& name) const;

  // The stored records of `tasks` (rows laid out as result_columns(), metadata and status as
  // stored): what `nnsweep merge` copies between files of one spec.
  std::vector<grid::TaskRecord> read_records(const std::vector<std::size_t>& tasks) const;

  // Commit protocol: every payload column of the records first, then their status. Independent
  // I/O: in parallel_write mode each rank commits its own records, nobody waits. Rows must be
  // laid out as result_columns() (io_error otherwise).
  void commit(const std::vector<grid::TaskRecord>& records);

  // /runs bookkeeping (raw data writes; call on one rank).
  std::vector<RunRecord> read_runs() const;
  int begin_run(const RunStart& start);
  void end_run(int run, const RunEnd& end);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Capacity of /runs (rows); later runs are still computed but not recorded there.
inline constexpr std::size_t max_runs = 256;
// Bytes of the /error column.
inline constexpr std::size_t error_size = 256;

}  // namespace nnsweep::io
