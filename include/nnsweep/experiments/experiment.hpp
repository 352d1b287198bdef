#pragma once
// The plug-in shape every experiment has. An experiment declares its parameters (schema), a cost
// model, the columns it writes, a pure kernel that turns one grid cell and some of its seeds into
// results, and theory columns computed from the parameters alone. Adding an experiment means a
// new file pair in src/experiments/ and one line in registry.cpp.
#include <atomic>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nnsweep/config/param.hpp"
#include "nnsweep/grid/columns.hpp"
#include "nnsweep/grid/task_record.hpp"
#include "nnsweep/rng/stream.hpp"

namespace nnsweep::experiments {

// Status of a task, as stored in the `status` column.
using Status = grid::TaskStatus;

// The result of one task (one seed of one cell).
struct TaskResult {
  Status status = Status::done;
  std::string error;  // set when failed/diverged
  grid::Row row;      // a row of the cell's columns: metrics, and any theory of this task
  static TaskResult pending() { return {Status::pending, "", {}}; }
};

// Which replica a task is, and its random streams. A stream is named by (sweep seed, key,
// index, purpose); the key of each purpose comes from the experiment's StreamKeys — by default
// the task key (a hash of the experiment and every parameter), so that any parameter changes
// every stream. The index is the kernel's: a network's number, the seed, a lane.
struct Replica {
  std::uint64_t sweep_seed = 0;
  std::uint64_t task_key = 0;  // grid::task_key: the experiment and every parameter
  std::int64_t seed = 0;
  std::vector<std::pair<rng::Purpose, std::uint64_t>> keys;  // declared purposes (else task_key)

  std::uint64_t key(rng::Purpose purpose) const;
  rng::Stream stream(rng::Purpose purpose, std::uint64_t index) const {
    return rng::Stream(sweep_seed, key(purpose), index, purpose);
  }
};

// Which parameters an experiment's random streams depend on, per purpose; a purpose not
// declared depends on every parameter (its key is the task key). The key of a purpose is
// hash64("experiment=<name>;<p>=<value>;...") over the parameters it keeps, in schema order — the
// task key when it keeps them all — or, when it keeps none, the base key. Example (`support`):
// every optimizer variant of a seed starts from the same weights and data,
//   StreamKeys().ignore(Purpose::init, {"batch", "lr", "clip", "wd", "steps", "batch_seed"})
//               .ignore(Purpose::data, {"batch", "lr", "clip", "wd", "steps", "batch_seed"})
// while batch_order, not declared, depends on all of them.
class StreamKeys {
 public:
  // Streams of `purpose` do not depend on these parameters.
  StreamKeys& ignore(rng::Purpose purpose, std::vector<std::string> parameters);
  // Streams of `purpose` depend on these parameters alone ({}: on none, the base key).
  StreamKeys& only(rng::Purpose purpose, std::vector<std::string> parameters);
  // The key of streams that keep no parameter (default: hash64("experiment=<name>;")).
  StreamKeys& base(std::uint64_t key);

  // Throws nnsweep::error ("internal: ...") for a name that is not a parameter of `schema`.
  void check(const config::Schema& schema) const;
  // The declared purposes' keys for one task.
  std::vector<std::pair<rng::Purpose, std::uint64_t>> keys(std::string_view experiment,
                                                           const config::ParamSet& params) const;

 private:
  struct Rule {
    rng::Purpose purpose;
    bool only;  // `names` are the kept parameters (else the ignored ones)
    std::vector<std::string> names;
  };
  std::vector<Rule> rules_;
  std::optional<std::uint64_t> base_;
};

// One grid cell as a kernel and its theory see it.
struct Cell {
  const config::ParamSet& params;  // resolved; its seed is the first replica's
  grid::ColumnOptions options;     // sweep-wide switches that add columns (save_weights)
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

  // Declares the columns of one cell on `columns` (which carries the sweep's ColumnOptions).
  // Every cell declares the same columns in the same order; only dimension lengths and string
  // sizes may depend on the parameters (the file holds the largest, NaN-padded). Write one
  // function that declares the columns and returns their ids, and call it here, in run() and in
  // theory(): the columns are declared once.
  virtual void columns(const config::ParamSet& params, grid::ColumnSet& columns) const = 0;

  // Replica-packable seeds of one cell: how many seeds run() wants at once (1 if it packs
  // something else, such as Monte Carlo samples, into SIMD lanes).
  virtual std::size_t preferred_pack(const config::ParamSet& params) const {
    (void)params;
    return 1;
  }

  // The kernel: pure and deterministic. Returns one result per replica, its row made from the
  // cell's columns and filled by id: the metrics, and where the task's own data or end point
  // gives one, theory values (they replace the cell's).
  virtual std::vector<TaskResult> run(const Cell& cell, const std::vector<Replica>& replicas,
                                      const RunOptions& options) const = 0;

  // The theory and derived columns of a cell, from its parameters alone, into `row` (a row of
  // the cell's columns), each theory value with its TheoryKind. Called once per cell; cheap;
  // never samples. Columns it leaves alone stay NaN (kind none) unless the kernel fills them.
  virtual void theory(const Cell& cell, grid::Row& row) const {
    (void)cell;
    (void)row;
  }

  // Which parameters each purpose's random streams depend on (default: all of them).
  virtual StreamKeys streams() const { return {}; }

  // Parameters whose values are independent replicas of one cell (default: `seed`): `report`,
  // `status` and the Python package pool over them. They must include `seed`.
  virtual std::vector<std::string> replicates() const { return {"seed"}; }
};

// The replica of one task: its seed, task key and stream keys (the run's sweep seed).
Replica make_replica(const Experiment& experiment, std::uint64_t sweep_seed,
                     const config::ParamSet& params);
// The same with the experiment's stream keys already at hand (per task in a hot loop).
Replica make_replica(std::string_view experiment, const StreamKeys& streams,
                     std::uint64_t sweep_seed, const config::ParamSet& params);

// Throws nnsweep::error ("internal: ...") when the experiment's declarations do not fit its
// schema: stream keys or replicates that name no parameter, replicates without `seed`.
void check_declarations(const Experiment& experiment);

// All experiments, in `nnsweep list` order.
const std::vector<const Experiment*>& all();
// Lookup by name; an unknown name is a config_error that suggests the nearest one.
const Experiment& find(std::string_view name);

inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();

}  // namespace nnsweep::experiments
