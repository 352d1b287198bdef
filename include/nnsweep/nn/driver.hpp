#pragma once
// The replica-training driver: everything a training experiment shares, so that an experiment is
// its data, its model set-up and its measurements. Given a Plan (network, loss, optimizer,
// training-set size, schedule, initialisation rule, evaluation sets) and Hooks (per-replica
// streams and data, and a `measure` callback), train_replicas() trains the replicas of one cell:
//
//   * packs: replicas in groups of DriverOptions::pack (RunOptions::pack), each group in packs of
//     L lanes (nn::Pack); unused lanes repeat the pack's first replica and are ignored, so a
//     replica's numbers never depend on the pack size or its lane;
//   * initialisation: per lane, the Plan's rule drawn from the replica's init stream
//     (nn/init.hpp), then the experiment's setup (data; it may override parameters);
//   * schedule: epochs or optimizer steps, evaluated at log- or linearly spaced points
//     (nn/schedule.hpp), and optionally at every other epoch end (every_epoch);
//   * divergence: a replica whose network output becomes NaN/inf while training, or that
//     measure() declares diverged, ends as Status::diverged with the step, the epoch and a
//     reason; its curves keep the values measured before; the pack stops once all its replicas
//     diverged;
//   * cancellation: the cancel flag is read before each pack and between bounded chunks of
//     training steps (at most ~2e7 FLOPs apart, a few ms); a cancelled pack returns its
//     replicas as pending, like the packs after it;
//   * evaluation: network outputs on the training set and the evaluation sets come from the
//     blocked, fused forward pass (nn::Pack::forward), computed once per point on first request;
//     measure() computes its metrics for all lanes at once (nn/evaluate.hpp);
//   * an optional second-order polish (nn::Polisher) after the schedule, per replica in double,
//     followed by one more measurement, the final one;
//   * the hand-off: one ReplicaRun per replica (final metrics, curves, evaluation points, status,
//     reason), which the experiment maps to its results.
//
// Sketch (one cell of an experiment, T = float or double):
//   nn::Plan plan{train_spec, n_train, {Unit::epochs, epochs, 30}, init_rule, metric_count, {…}};
//   nn::Hooks<T> hooks;
//   hooks.streams = [&](std::size_t r) { return nn::ReplicaStreams{init_stream(r), order(r)}; };
//   hooks.setup = [&](nn::LaneSetup<T>& lane) { … lane.input(s, j) = …; lane.target(s, 0) = …; };
//   hooks.measure = [&](nn::Evaluation<T>& e) { … e.metric(m)[lane] = … };
//   std::vector<nn::ReplicaRun> runs = nn::train_replicas(plan, hooks, replicas.size(), {…});
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "nnsweep/nn/init.hpp"
#include "nnsweep/nn/optimizer.hpp"
#include "nnsweep/nn/pack.hpp"
#include "nnsweep/nn/polish.hpp"
#include "nnsweep/nn/schedule.hpp"
#include "nnsweep/rng/stream.hpp"

namespace nnsweep::nn {

// The random streams of one replica; the experiment keys them (and so decides which parameters
// the initialisation and the batch order depend on).
// A refinement of one replica's parameters in double after the schedule (the driver hands over
// θ in Layout order and writes the result back, rounded to the pack's type). The implementation
// owns its objective (data, loss, model in double), usually an nn::polish() of a NetworkObjective.
class Polisher {
 public:
  virtual ~Polisher() = default;
  virtual PolishResult polish(std::size_t replica, std::vector<double>& theta) = 0;
};

struct ReplicaStreams {
  rng::Stream init;         // initial parameters (Plan::init)
  rng::Stream batch_order;  // the reshuffle of each epoch
};

// An evaluation set besides the training set: `count` inputs (and targets when wanted), filled
// per lane by the experiment's setup; the driver computes the network's outputs on it.
struct EvalSetSpec {
  std::int64_t count = 0;
  bool targets = false;
};

// What every replica of a run trains and when it is measured.
struct Plan {
  TrainSpec train;
  std::int64_t n_train = 1;
  Schedule schedule;
  InitRule init;            // per parameter group; empty: every parameter starts at 0
  std::size_t metrics = 0;  // values measure() writes per evaluation point
  std::vector<EvalSetSpec> eval_sets;
};

// One replica's run, as handed to the experiment (independent of the results-file format).
struct ReplicaRun {
  enum class Status { done, diverged, pending };
  Status status = Status::pending;
  std::string reason;                // why it diverged
  std::int64_t diverged_step = -1;   // first non-finite output while training (−1: none)
  std::int64_t diverged_at = -1;     // the schedule position (epoch or step) it was found at
  std::vector<double> final;         // metrics of the last point (or after the polish); NaN if lost
  std::vector<double> curves;        // [metric][point]; NaN where not measured
  std::vector<std::int64_t> points;  // the evaluation points, in the schedule's unit
  std::int64_t steps = 0;            // optimizer steps taken
  std::optional<PolishResult> polish;

  double curve(std::size_t metric, std::size_t point) const {
    return curves[metric * points.size() + point];
  }
};

// Time spent, in CPU seconds of the calling thread, and the work done (for benchmarks).
struct RunStats {
  double setup_seconds = 0;          // packs, initialisation, the experiment's begin_pack and setup
  double train_seconds = 0;          // optimizer steps
  double evaluate_seconds = 0;       // measure() and every_epoch(), forward passes included
  double forward_seconds = 0;        // of which: the forward passes
  std::int64_t replica_steps = 0;    // optimizer steps × lanes (dummy lanes included)
  std::int64_t evaluations = 0;      // measure() calls (per pack)
  std::int64_t forward_samples = 0;  // samples through forward passes × lanes
  std::int64_t packs = 0;
};

struct DriverOptions {
  std::size_t pack = 0;                       // replicas computed together (0: L)
  const std::atomic<bool>* cancel = nullptr;  // when set and true: stop, rest pending
  RunStats* stats = nullptr;                  // when set: timings are added here
};

template <typename T, int L>
class PackRun;

// One lane of a pack being set up: its replica, its data and, after the initialisation, its
// parameters (which setup may override).
template <typename T, int L = default_lanes<T>>
class LaneSetup {
 public:
  int lane() const { return lane_; }
  std::size_t replica() const { return replica_; }  // index into the run's replicas
  bool dummy() const { return dummy_; }             // a copy of the pack's first replica
  Pack<T, L>& pack() { return *pack_; }

  T& input(std::int64_t sample, int feature) { return pack_->input(sample, feature, lane_); }
  T& target(std::int64_t sample, int output) { return pack_->target(sample, output, lane_); }
  T& eval_input(std::size_t set, std::int64_t sample, int feature);
  T& eval_target(std::size_t set, std::int64_t sample, int output);
  T& parameter(std::size_t index) { return pack_->parameter(index, lane_); }

 private:
  friend class PackRun<T, L>;
  LaneSetup(PackRun<T, L>& run, Pack<T, L>& pack, int lane, std::size_t replica, bool dummy)
      : run_(&run), pack_(&pack), lane_(lane), replica_(replica), dummy_(dummy) {}
  PackRun<T, L>* run_;
  Pack<T, L>* pack_;
  int lane_;
  std::size_t replica_;
  bool dummy_;
};

// What measure() (and every_epoch()) sees: one pack at one evaluation point. Arrays are
// [..][lane] like the pack's; metric(m) is L doubles, NaN until measure writes them; the driver
// records the real, live lanes.
template <typename T, int L = default_lanes<T>>
class Evaluation {
 public:
  static constexpr int lanes = L;
  enum class Kind {
    point,      // a point of the schedule (point() is its index)
    epoch_end,  // every_epoch(): an epoch end between points; metrics are not recorded
    final,      // after the polish
  };
  Kind kind() const { return kind_; }
  std::size_t point() const { return point_; }
  std::int64_t position() const { return position_; }  // in the schedule's unit
  std::int64_t epochs() const { return pack_->epochs(); }
  std::int64_t steps() const { return pack_->steps(); }

  int real() const { return real_; }  // lanes [0, real) hold the pack's replicas
  std::size_t replica(int lane) const {
    return first_ + static_cast<std::size_t>(lane < real_ ? lane : 0);
  }
  bool live(int lane) const;  // a real lane that has not diverged
  Pack<T, L>& pack() { return *pack_; }

  // Network outputs, [sample][output][lane], computed on first request at this evaluation.
  const T* train_outputs();
  const T* outputs(std::size_t set);
  // Streams evaluation set `set` in blocks of samples: consumer(first, count, inputs, outputs)
  // right after the block's forward pass, while its inputs are in cache (a per-sample reduction
  // over the set then reads it once, not twice); the outputs are kept as outputs(set) gives them.
  template <class Consumer>
  void blocks(std::size_t set, Consumer&& consumer, std::int64_t block = 128) {
    const std::int64_t n = count(set);
    const auto d = static_cast<std::size_t>(pack_->spec().network.input),
               n_out = static_cast<std::size_t>(pack_->spec().network.output());
    const bool computed = computed_outputs(set);
    const T* x = inputs(set);
    T* out = output_buffer(set);
    for (std::int64_t first = 0; first < n; first += block) {
      const std::int64_t size = std::min(block, n - first);
      const T* xb = x + static_cast<std::size_t>(first) * d * L;
      T* ob = out + static_cast<std::size_t>(first) * n_out * L;
      if (!computed) forward_block(xb, size, ob);
      consumer(first, size, xb, static_cast<const T*>(ob));
    }
    if (!computed) mark_outputs(set);
  }
  const T* inputs(std::size_t set) const;
  const T* targets(std::size_t set) const;  // null unless the set has targets
  std::int64_t count(std::size_t set) const;

  double* metric(std::size_t m) { return metrics_ + m * L; }
  // Declares a live lane diverged at this evaluation; its values here are not recorded.
  void diverge(int lane, const std::string& reason);

 private:
  friend class PackRun<T, L>;
  explicit Evaluation(PackRun<T, L>& run) : run_(&run) {}
  bool computed_outputs(std::size_t set) const;
  T* output_buffer(std::size_t set);
  void forward_block(const T* x, std::int64_t count, T* out);
  void mark_outputs(std::size_t set);
  PackRun<T, L>* run_;
  Pack<T, L>* pack_ = nullptr;
  double* metrics_ = nullptr;
  Kind kind_ = Kind::point;
  std::size_t point_ = 0, first_ = 0;
  std::int64_t position_ = 0;
  int real_ = 0;
};

template <typename T, int L = default_lanes<T>>
struct Hooks {
  // Required: the streams of replica r.
  std::function<ReplicaStreams(std::size_t replica)> streams;
  // Optional: replicas [first, first + count) are about to be packed (make their data once here;
  // setup() then copies it into the lanes, dummies included).
  std::function<void(std::size_t first, int count)> begin_pack;
  // Required: fills one lane's training data and evaluation sets, after the initialisation.
  std::function<void(LaneSetup<T, L>&)> setup;
  // Required: the metrics at an evaluation point (Kind::point and Kind::final).
  std::function<void(Evaluation<T, L>&)> measure;
  // Optional: at every epoch end that is not an evaluation point (epoch schedules only).
  std::function<void(Evaluation<T, L>&)> every_epoch;
  // Optional: a polish of each live replica after the schedule, then a final measure().
  Polisher* polish = nullptr;
};

// Trains replicas 0 … count−1 of one cell (see the top of this file); one result per replica.
template <typename T, int L = default_lanes<T>>
std::vector<ReplicaRun> train_replicas(const Plan& plan, const Hooks<T, L>& hooks,
                                       std::size_t count, const DriverOptions& options = {});

extern template std::vector<ReplicaRun> train_replicas<float, default_lanes<float>>(
    const Plan&, const Hooks<float, default_lanes<float>>&, std::size_t, const DriverOptions&);
extern template std::vector<ReplicaRun> train_replicas<double, default_lanes<double>>(
    const Plan&, const Hooks<double, default_lanes<double>>&, std::size_t, const DriverOptions&);

}  // namespace nnsweep::nn
