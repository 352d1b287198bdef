// Does rank 0 become the bottleneck at 10^4 ranks? Two parts:
//  1. measured (run under mpirun): rank 0's cost per worker report, with a kernel that does
//     nothing and one unit per bundle, so the dispatch loop is all there is;
//  2. simulated: the same dispatch policy as sched::run (longest first, bundles of at least
//     max(bundle_seconds, bundle_seconds_per_rank × ranks) of predicted work, rank 0 serving
//     reports one at a time with the measured cost) on a sweep with ~200 units per rank, whose
//     unit times come from the example spec's cost model. Prints efficiency = Σ work / (ranks ×
//     makespan) and rank 0's load, against the ideal greedy longest-first schedule.
//   mpirun -n 2 build/release/bench/bench_scaling [SPEC.ini]
#include <algorithm>
#include <boost/mpi.hpp>
#include <cstdio>
#include <numeric>
#include <queue>
#include <random>

#include "nnsweep/sched/scheduler.hpp"
#include "work_units.hpp"

namespace {

using namespace nnsweep;

class NullSink : public sched::ResultSink {
 public:
  void accept(std::vector<grid::TaskRecord>) override {}
  void flush() override {}
};

// Part 1: seconds rank 0 spends per report (all ranks call this).
double measure_report_cost(const boost::mpi::communicator& world, std::size_t units) {
  std::vector<sched::WorkUnit> work(units, sched::WorkUnit{0, 1, 1.0});
  for (std::size_t i = 0; i < units; ++i) work[i].first = i;
  const sched::Executor nothing = [](const sched::WorkUnit& u, const std::atomic<bool>&) {
    std::vector<grid::TaskRecord> records(1);
    records[0].task = u.first;
    records[0].status = static_cast<std::uint8_t>(grid::TaskStatus::done);
    return records;
  };
  sched::Options options;
  options.bundle_seconds = 0;  // one unit per bundle: every unit is a round trip
  options.bundle_seconds_per_rank = 0;
  options.progress = sched::ProgressStyle::none;
  NullSink sink;
  const auto summary = sched::run(sched::mpi_context(world), work, nothing, sink, options);
  return summary.makespan_s / static_cast<double>(units);
}

struct Outcome {
  double makespan = 0, rank0_load = 0;
};

// Part 2: event simulation of the dispatch policy. Rank 0 computes from a local queue without
// messages; every other rank waits for rank 0 to serve its report before it gets new work.
Outcome simulate(const std::vector<double>& seconds_lpt, std::size_t ranks, double report_cost,
                 double bundle_s, double per_rank_s) {
  const double target = std::max(bundle_s, per_rank_s * static_cast<double>(ranks));
  std::size_t next = 0;
  const auto take = [&] {
    double predicted = 0;
    std::size_t first = next;
    while (next < seconds_lpt.size() && (next == first || predicted < target))
      predicted += seconds_lpt[next++];
    return predicted;
  };
  using Event = std::pair<double, std::size_t>;  // (time a rank finishes its bundle, rank)
  std::priority_queue<Event, std::vector<Event>, std::greater<>> finishing;
  double server_free = 0, server_busy = 0, makespan = 0;
  for (std::size_t r = 0; r < ranks; ++r) finishing.push({0.0, r});
  while (!finishing.empty()) {
    auto [t, r] = finishing.top();
    finishing.pop();
    makespan = std::max(makespan, t);
    double start = t;
    if (r != 0) {  // a worker's report is served in arrival order
      start = std::max(t, server_free) + report_cost;
      server_free = start;
      server_busy += report_cost;
    }
    if (next < seconds_lpt.size()) finishing.push({start + take(), r});
  }
  return {makespan, server_busy / makespan};
}

}  // namespace

int main(int argc, char** argv) {
  boost::mpi::environment env(argc, argv, boost::mpi::threading::funneled);
  const boost::mpi::communicator world;
  const double report_cost = measure_report_cost(world, 20000);
  if (world.rank() != 0) return 0;
  std::printf("measured: rank 0 spends %.2f us per worker report (%d ranks, empty kernel)\n",
              1e6 * report_cost, world.size());

  const std::string spec = argc > 1 ? argv[1] : "jobs/examples/correlations.ini";
  const app::Sweep sweep = app::load_sweep(spec, {});
  std::vector<double> base;
  for (const auto& u : app::work_units(sweep, std::vector<bool>(sweep.table->size(), true)))
    base.push_back(u.cost / sweep.experiment->nominal_flops());
  std::printf("sweep: %s, %zu units, %.0f s of work on one core\n\n", spec.c_str(), base.size(),
              std::accumulate(base.begin(), base.end(), 0.0));
  const sched::Options defaults;
  std::printf("%8s %10s %12s %14s %14s %12s\n", "ranks", "units", "ideal eff.", "no adaptation",
              "adaptive", "rank-0 load");
  std::mt19937_64 rng(1);
  for (std::size_t ranks : {2, 16, 128, 1024, 4096, 10000}) {
    // ~200 units per rank: the example sweep replicated (seeds), shuffled then longest first.
    std::vector<double> seconds;
    while (seconds.size() < 200 * ranks) seconds.insert(seconds.end(), base.begin(), base.end());
    std::shuffle(seconds.begin(), seconds.end(), rng);
    std::stable_sort(seconds.begin(), seconds.end(), std::greater<>());
    const double work = std::accumulate(seconds.begin(), seconds.end(), 0.0);
    const double ideal =
        work / (static_cast<double>(ranks) * sched::simulate_makespan(seconds, ranks));
    const auto fixed = simulate(seconds, ranks, report_cost, defaults.bundle_seconds, 0);
    const auto adaptive = simulate(seconds, ranks, report_cost, defaults.bundle_seconds,
                                   defaults.bundle_seconds_per_rank);
    std::printf("%8zu %10zu %11.1f%% %13.1f%% %13.1f%% %11.1f%%\n", ranks, seconds.size(),
                100 * ideal, 100 * work / (static_cast<double>(ranks) * fixed.makespan),
                100 * work / (static_cast<double>(ranks) * adaptive.makespan),
                100 * adaptive.rank0_load);
  }
  return 0;
}
