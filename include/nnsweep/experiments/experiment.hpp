#pragma once
// The plug-in shape every experiment has. An experiment declares its parameters (schema), a cost
// model, the columns it writes, a pure kernel that turns one grid cell and some of its seeds into
// results, and theory columns computed from the parameters alone. Adding an experiment means a
// new file pair in src/experiments/ and one line in registry.cpp.
#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "nnsweep/config/param.hpp"
#include "nnsweep/grid/task_record.hpp"

namespace nnsweep::experiments {

// Status of a task, as stored in the `status` column.
using Status = grid::TaskStatus;

// One output column of the results file.
struct Column {
  // metric: measured by run(); theory: a prediction from the parameters alone; derived: another
  // function of the parameters worth a column (e.g. L/n). theory() fills theory and derived.
  enum class Kind { metric, theory, derived };
  std::string name;         // HDF5 dataset name: same word as in the code and the docs
  std::string units;        // "1" when dimensionless
  std::string long_name;    // short human label (plots, tables)
  std::string description;  // one line
  Kind kind = Kind::metric;
  std::size_t length = 0;  // 0: one value per task; n > 0: a curve of n points per task
  std::string dim;         // name of a curve's second dimension (e.g. "log_point")
};

// The result of one task (one seed of one cell).
struct TaskResult {
  Status status = Status::done;
  std::string error;           // set when failed/diverged
  std::vector<double> values;  // metric columns in column order; curves flattened (length each)
};

// Which replica a task is: everything its random streams are keyed by.
struct Replica {
  std::uint64_t sweep_seed = 0;
  std::uint64_t task_key = 0;
  std::int64_t seed = 0;
};

// Execution knobs that must never change a result (only speed).
struct RunOptions {
  std::size_t pack = 0;                       // replicas computed together (0: the kernel's choice)
  const std::atomic<bool>* cancel = nullptr;  // when set and true, stop early: return pending
};

class Experiment {
 public:
  virtual ~Experiment() = default;
  Experiment() = default;
  Experiment(const Experiment&) = delete;
  Experiment& operator=(const Experiment&) = delete;

  virtual std::string_view name() const = 0;
  virtual std::string_view summary() const = 0;  // one line for `nnsweep list`
  virtual const config::Schema& schema() const = 0;

  // Fills "auto" parameters and checks constraints between parameters (throws config_error).
  virtual void resolve(config::ParamSet& params) const { (void)params; }

  // Estimated floating-point operations of one task: drives scheduling and `nnsweep plan`.
  virtual double cost(const config::ParamSet& params) const = 0;
  // Sustained FLOP/s of this experiment's kernel on one reference core (turns cost into time).
  virtual double nominal_flops() const { return 5e9; }

  // The columns of one cell. Every cell must return the same names in the same order; curve
  // lengths may differ (the file holds the longest, shorter curves are NaN-padded).
  virtual std::vector<Column> columns(const config::ParamSet& params) const = 0;

  // Replica-packable seeds of one cell: how many seeds run() wants at once (1 if it packs
  // something else, such as Monte Carlo samples, into SIMD lanes).
  virtual std::size_t preferred_pack(const config::ParamSet& params) const {
    (void)params;
    return 1;
  }

  // The kernel: pure and deterministic. `cell` holds the cell's parameters (its seed field is
  // the first replica's); returns one result per replica, with the metric columns' values.
  virtual std::vector<TaskResult> run(const config::ParamSet& cell,
                                      const std::vector<Replica>& replicas,
                                      const RunOptions& options) const = 0;

  // Values of the theory and derived columns for this cell, in column order (NaN where no
  // prediction exists). Cheap enough to call once per cell; never samples.
  virtual std::vector<double> theory(const config::ParamSet& params) const {
    (void)params;
    return {};
  }
};

// All experiments, in `nnsweep list` order.
const std::vector<const Experiment*>& all();
// Lookup by name; an unknown name is a config_error that suggests the nearest one.
const Experiment& find(std::string_view name);

inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();

}  // namespace nnsweep::experiments
