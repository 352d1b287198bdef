// The replica-training driver (include/nnsweep/nn/driver.hpp), instantiated for the default
// lane widths.
#include "nnsweep/nn/driver.hpp"
#include "nnsweep/core/assert.hpp"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "nnsweep/core/error.hpp"

namespace nnsweep::nn {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Training FLOPs between two reads of the cancel flag (a few milliseconds of one core).
constexpr double flops_between_checks = 2e7;

std::size_t sz(std::int64_t x) {
  return static_cast<std::size_t>(x);
}

double thread_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Adds the CPU time of its scope to *slot (nothing without stats: the clock is a system call).
class Stopwatch {
 public:
  Stopwatch(const RunStats* stats, double* slot)
      : slot_(stats != nullptr ? slot : nullptr), start_(slot_ != nullptr ? thread_seconds() : 0) {}
  ~Stopwatch() {
    if (slot_ != nullptr) *slot_ += thread_seconds() - start_;
  }
  Stopwatch(const Stopwatch&) = delete;
  Stopwatch& operator=(const Stopwatch&) = delete;

 private:
  double* slot_;
  double start_;
};

}  // namespace

template <typename T, int L>
class PackRun {
 public:
  using Kind = typename Evaluation<T, L>::Kind;

  PackRun(const Plan& plan, const Hooks<T, L>& hooks, const DriverOptions& options)
      : plan_(plan), hooks_(hooks), options_(options), evaluation_(*this) {
    NNSWEEP_ASSERT(hooks.streams && hooks.setup && hooks.measure,
                   "train_replicas: the hooks streams, setup and measure are required");
    points_ = plan.schedule.evaluation_points();
    const NetworkSpec& net = plan.train.network;
    const std::int64_t n_out = net.output();
    for (const EvalSetSpec& set : plan.eval_sets) {
      set_x_.emplace_back(sz(set.count) * sz(net.input) * L);
      set_y_.emplace_back(set.targets ? sz(set.count) * sz(n_out) * L : 0);
      set_out_.emplace_back(sz(set.count) * sz(n_out) * L);
    }
    have_set_out_.assign(plan.eval_sets.size(), 0);
    train_out_.resize(sz(plan.n_train) * sz(n_out) * L);
    metrics_.resize(std::max<std::size_t>(plan.metrics, 1) * L);
    const Layout layout(net);
    const double per_step =
        6.0 * static_cast<double>(layout.size) *
        static_cast<double>(std::min(plan.train.optimizer.batch, plan.n_train)) * L;
    check_interval_ =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(flops_between_checks / per_step));
  }

  std::size_t points() const { return points_.size(); }
  const std::vector<std::int64_t>& evaluation_points() const { return points_; }

  // Trains replicas [first, first + real); false when cancelled (their results stay pending).
  bool run(std::size_t first, int real, std::vector<ReplicaRun>& results) {
    if (cancelled()) return false;
    RunStats* stats = options_.stats;
    if (stats != nullptr) ++stats->packs;
    first_ = first;
    real_ = real;
    for (int lane = 0; lane < L; ++lane) {
      dead_[lane] = false;
      reason_[lane].clear();
      diverged_step_[lane] = diverged_at_[lane] = -1;
    }
    {
      Stopwatch watch(stats, stats != nullptr ? &stats->setup_seconds : nullptr);
      pack_ = std::make_unique<Pack<T, L>>(plan_.train, plan_.n_train);
      if (hooks_.begin_pack) hooks_.begin_pack(first, real);
      const NetworkSpec& net = plan_.train.network;
      for (int lane = 0; lane < L; ++lane) {
        const std::size_t replica = first + static_cast<std::size_t>(lane < real ? lane : 0);
        const ReplicaStreams streams = hooks_.streams(replica);
        const std::vector<double> theta =
            initial_parameters(net, pack_->layout(), plan_.init, streams.init);
        for (std::size_t q = 0; q < theta.size(); ++q)
          pack_->parameter(q, lane) = static_cast<T>(theta[q]);
        pack_->set_order_stream(lane, streams.batch_order);
        LaneSetup<T, L> setup(*this, *pack_, lane, replica, lane >= real);
        hooks_.setup(setup);
      }
    }
    const bool epochs = plan_.schedule.unit == Schedule::Unit::epochs;
    evaluate(Kind::point, 0, 0, results);
    for (std::size_t next = 1; next < points_.size() && !all_dead(); ++next) {
      const std::int64_t target = points_[next];
      if (epochs) {
        while (pack_->epochs() < target && !all_dead()) {
          if (!train(pack_->steps_per_epoch() - pack_->epoch_position())) return false;
          check_divergence();
          if (pack_->epochs() < target && hooks_.every_epoch)
            evaluate(Kind::epoch_end, 0, pack_->epochs(), results);
        }
        if (pack_->epochs() < target) break;  // every replica diverged
      } else {
        while (pack_->steps() < target && !all_dead()) {
          if (!train(target - pack_->steps())) return false;
          check_divergence();
        }
        if (pack_->steps() < target) break;  // every replica diverged
      }
      evaluate(Kind::point, next, target, results);
    }
    if (hooks_.polish != nullptr && !all_dead()) polish(results);
    for (int lane = 0; lane < real; ++lane) {
      ReplicaRun& result = results[first + static_cast<std::size_t>(lane)];
      result.status = dead_[lane] ? ReplicaRun::Status::diverged : ReplicaRun::Status::done;
      result.reason = reason_[lane];
      result.diverged_step = diverged_step_[lane];
      result.diverged_at = diverged_at_[lane];
      result.steps = pack_->steps();
    }
    pack_.reset();
    return true;
  }

 private:
  friend class LaneSetup<T, L>;
  friend class Evaluation<T, L>;

  bool cancelled() const { return options_.cancel != nullptr && options_.cancel->load(); }

  bool all_dead() const {
    for (int lane = 0; lane < real_; ++lane)
      if (!dead_[lane]) return false;
    return true;
  }

  // `steps` more steps in chunks, the cancel flag read between them; false when cancelled.
  bool train(std::int64_t steps) {
    RunStats* stats = options_.stats;
    while (steps > 0) {
      if (cancelled()) return false;
      const std::int64_t chunk = std::min(steps, check_interval_);
      {
        Stopwatch watch(stats, stats != nullptr ? &stats->train_seconds : nullptr);
        pack_->advance(chunk);
      }
      if (stats != nullptr) stats->replica_steps += chunk * L;
      steps -= chunk;
    }
    return true;
  }

  void check_divergence() {
    const bool epochs = plan_.schedule.unit == Schedule::Unit::epochs;
    for (int lane = 0; lane < real_; ++lane) {
      const std::int64_t step = pack_->diverged_at(lane);
      if (dead_[lane] || step < 0) continue;
      dead_[lane] = true;
      diverged_step_[lane] = step;
      diverged_at_[lane] = epochs ? pack_->epochs() : pack_->steps();
      reason_[lane] = epochs ? cat("the network output became NaN/inf at step ", step,
                                   " (by epoch ", pack_->epochs(), ")")
                             : cat("the network output became NaN/inf at step ", step);
    }
  }

  void evaluate(Kind kind, std::size_t point, std::int64_t position,
                std::vector<ReplicaRun>& results) {
    RunStats* stats = options_.stats;
    {
      Stopwatch watch(stats, stats != nullptr ? &stats->evaluate_seconds : nullptr);
      have_train_out_ = 0;
      std::fill(have_set_out_.begin(), have_set_out_.end(), 0);
      std::fill(metrics_.data(), metrics_.data() + metrics_.size(), nan);
      Evaluation<T, L>& e = evaluation_;
      e.pack_ = pack_.get();
      e.metrics_ = metrics_.data();
      e.kind_ = kind;
      e.point_ = point;
      e.position_ = position;
      e.first_ = first_;
      e.real_ = real_;
      if (kind == Kind::epoch_end) {
        hooks_.every_epoch(e);
        return;
      }
      hooks_.measure(e);
      if (stats != nullptr) ++stats->evaluations;
    }
    const std::size_t n_points = points_.size();
    for (int lane = 0; lane < real_; ++lane) {
      if (dead_[lane]) continue;
      ReplicaRun& result = results[first_ + static_cast<std::size_t>(lane)];
      for (std::size_t m = 0; m < plan_.metrics; ++m) {
        const double value = metrics_[m * L + static_cast<std::size_t>(lane)];
        if (kind == Kind::point) result.curves[m * n_points + point] = value;
        if (kind == Kind::final || (point + 1 == n_points && hooks_.polish == nullptr))
          result.final[m] = value;
      }
    }
  }

  void polish(std::vector<ReplicaRun>& results) {
    const std::size_t size = pack_->layout().size;
    std::vector<double> theta(size);
    for (int lane = 0; lane < real_; ++lane) {
      if (dead_[lane]) continue;
      for (std::size_t q = 0; q < size; ++q)
        theta[q] = static_cast<double>(pack_->parameter(q, lane));
      const std::size_t replica = first_ + static_cast<std::size_t>(lane);
      results[replica].polish = hooks_.polish->polish(replica, theta);
      for (std::size_t q = 0; q < size; ++q) pack_->parameter(q, lane) = static_cast<T>(theta[q]);
    }
    evaluate(Kind::final, points_.size(), points_.back(), results);
  }

  void forward(const T* x, std::int64_t count, T* out) {
    RunStats* stats = options_.stats;
    Stopwatch watch(stats, stats != nullptr ? &stats->forward_seconds : nullptr);
    pack_->forward(x, count, out);
    if (stats != nullptr) stats->forward_samples += count * L;
  }

  const T* outputs(std::ptrdiff_t set) {
    const bool train = set < 0;
    char& have = train ? have_train_out_ : have_set_out_[static_cast<std::size_t>(set)];
    T* out = train ? train_out_.data() : set_out_[static_cast<std::size_t>(set)].data();
    if (!have) {
      const std::int64_t count =
          train ? plan_.n_train : plan_.eval_sets[static_cast<std::size_t>(set)].count;
      forward(train ? pack_->inputs() : set_x_[static_cast<std::size_t>(set)].data(), count, out);
      have = 1;
    }
    return out;
  }

  const Plan& plan_;
  const Hooks<T, L>& hooks_;
  const DriverOptions& options_;
  std::vector<std::int64_t> points_;
  std::int64_t check_interval_ = 1;
  std::unique_ptr<Pack<T, L>> pack_;
  std::vector<AlignedBuffer<T>> set_x_, set_y_, set_out_;
  std::vector<char> have_set_out_;  // outputs of each set computed at this evaluation
  AlignedBuffer<T> train_out_;
  char have_train_out_ = 0;
  AlignedBuffer<double> metrics_;
  Evaluation<T, L> evaluation_;
  std::size_t first_ = 0;
  int real_ = 0;
  bool dead_[L] = {};
  std::string reason_[L];
  std::int64_t diverged_step_[L] = {}, diverged_at_[L] = {};
};

template <typename T, int L>
T& LaneSetup<T, L>::eval_input(std::size_t set, std::int64_t sample, int feature) {
  const auto d = static_cast<std::size_t>(pack_->spec().network.input);
  return run_->set_x_[set][(sz(sample) * d + static_cast<std::size_t>(feature)) * L +
                           static_cast<std::size_t>(lane_)];
}

template <typename T, int L>
T& LaneSetup<T, L>::eval_target(std::size_t set, std::int64_t sample, int output) {
  NNSWEEP_ASSERT(run_->plan_.eval_sets[set].targets, "evaluation set ", set,
                 " has no targets — set EvalSetSpec::targets");
  const auto n_out = static_cast<std::size_t>(pack_->spec().network.output());
  return run_->set_y_[set][(sz(sample) * n_out + static_cast<std::size_t>(output)) * L +
                           static_cast<std::size_t>(lane_)];
}

template <typename T, int L>
bool Evaluation<T, L>::live(int lane) const {
  return lane < real_ && !run_->dead_[lane];
}

template <typename T, int L>
const T* Evaluation<T, L>::train_outputs() {
  return run_->outputs(-1);
}

template <typename T, int L>
const T* Evaluation<T, L>::outputs(std::size_t set) {
  return run_->outputs(static_cast<std::ptrdiff_t>(set));
}

template <typename T, int L>
bool Evaluation<T, L>::computed_outputs(std::size_t set) const {
  return run_->have_set_out_[set] != 0;
}

template <typename T, int L>
T* Evaluation<T, L>::output_buffer(std::size_t set) {
  return run_->set_out_[set].data();
}

template <typename T, int L>
void Evaluation<T, L>::forward_block(const T* x, std::int64_t count, T* out) {
  run_->forward(x, count, out);
}

template <typename T, int L>
void Evaluation<T, L>::mark_outputs(std::size_t set) {
  run_->have_set_out_[set] = 1;
}

template <typename T, int L>
const T* Evaluation<T, L>::inputs(std::size_t set) const {
  return run_->set_x_[set].data();
}

template <typename T, int L>
const T* Evaluation<T, L>::targets(std::size_t set) const {
  return run_->plan_.eval_sets[set].targets ? run_->set_y_[set].data() : nullptr;
}

template <typename T, int L>
std::int64_t Evaluation<T, L>::count(std::size_t set) const {
  return run_->plan_.eval_sets[set].count;
}

template <typename T, int L>
void Evaluation<T, L>::diverge(int lane, std::string reason) {
  if (!live(lane)) return;
  run_->dead_[lane] = true;
  run_->reason_[lane] = std::move(reason);
  run_->diverged_at_[lane] = position_;
}

template <typename T, int L>
std::vector<ReplicaRun> train_replicas(const Plan& plan, const Hooks<T, L>& hooks,
                                       std::size_t count, const DriverOptions& options) {
  validate(plan.train);
  PackRun<T, L> run(plan, hooks, options);
  const std::size_t n_points = run.points();
  std::vector<ReplicaRun> results(count);
  for (ReplicaRun& r : results) {
    r.curves.assign(plan.metrics * n_points, nan);
    r.final.assign(plan.metrics, nan);
    r.points = run.evaluation_points();
  }
  const std::size_t group = options.pack == 0 ? static_cast<std::size_t>(L) : options.pack;
  for (std::size_t g0 = 0; g0 < count; g0 += group) {
    const std::size_t g_end = std::min(count, g0 + group);
    for (std::size_t b0 = g0; b0 < g_end; b0 += L) {
      const int real = static_cast<int>(std::min(g_end, b0 + L) - b0);
      if (!run.run(b0, real, results)) {  // cancelled: this pack and the rest stay pending
        for (std::size_t r = b0; r < b0 + static_cast<std::size_t>(real); ++r) {
          std::fill(results[r].curves.begin(), results[r].curves.end(), nan);
          std::fill(results[r].final.begin(), results[r].final.end(), nan);
          results[r].polish.reset();
        }
        return results;
      }
    }
  }
  return results;
}

#define NNSWEEP_DRIVER_INSTANTIATE(T)                                   \
  template class LaneSetup<T, default_lanes<T>>;                        \
  template class Evaluation<T, default_lanes<T>>;                       \
  template std::vector<ReplicaRun> train_replicas<T, default_lanes<T>>( \
      const Plan&, const Hooks<T, default_lanes<T>>&, std::size_t, const DriverOptions&);
NNSWEEP_DRIVER_INSTANTIATE(float)
NNSWEEP_DRIVER_INSTANTIATE(double)
#undef NNSWEEP_DRIVER_INSTANTIATE

}  // namespace nnsweep::nn
