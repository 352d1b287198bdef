// The scheduler with a synthetic kernel (it waits for unit.cost milliseconds, checking the cancel
// flag): every task runs exactly once at any rank count and in both record routes; a stop request
// on any rank ends dispatch without losing or repeating a task; --grace 0 abandons units in
// flight as timed_out, and a unit outliving its prediction is abandoned when the grace ends; the
// time limit is kept, also when units outlive their predictions.
#include <boost/mpi.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <map>
#include <mutex>
#include <thread>

#include "nnsweep/sched/scheduler.hpp"
#include "nnsweep/sched/signals.hpp"

using namespace nnsweep;
namespace mpi = boost::mpi;

namespace {

using Clock = std::chrono::steady_clock;

// Keeps what it is given, as (task, status) pairs.
class MemorySink : public sched::ResultSink {
 public:
  void accept(std::vector<grid::TaskRecord> records) override {
    for (const auto& r : records) kept.emplace_back(r.task, r.status);
  }
  void flush() override {}
  std::vector<std::pair<std::size_t, std::uint8_t>> kept;
};

// A kernel that takes unit.cost milliseconds (times `overrun()` when given, asked as the unit
// starts: a wrong prediction), cancellable; calls `hook` first.
sched::Executor waiting_kernel(std::function<void(const sched::WorkUnit&)> hook = {},
                               std::function<double()> overrun = {}) {
  return [hook, overrun](const sched::WorkUnit& unit, const std::atomic<bool>& cancel) {
    if (hook) hook(unit);
    const double factor = overrun ? overrun() : 1;
    const auto end =
        Clock::now() + std::chrono::microseconds(static_cast<long>(unit.cost * factor * 1000));
    bool cancelled = false;
    while (Clock::now() < end && !(cancelled = cancel.load()))
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    std::vector<grid::TaskRecord> records(unit.count);
    for (std::size_t i = 0; i < unit.count; ++i) {
      records[i].task = unit.first + i;
      records[i].status =
          static_cast<std::uint8_t>(cancelled ? grid::TaskStatus::pending : grid::TaskStatus::done);
    }
    return records;
  };
}

// The units the kernel started on this rank (the hook runs on a compute thread), by unit.first.
class Executions {
 public:
  void add(const sched::WorkUnit& unit) {
    const std::lock_guard<std::mutex> lock(mutex_);
    started_.push_back(unit.first);
  }
  // Every rank's, on rank 0: unit.first → how many times the kernel started that unit.
  std::map<std::size_t, int> gather(const mpi::communicator& world) {
    std::vector<std::vector<std::size_t>> all;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      mpi::gather(world, started_, all, 0);
    }
    std::map<std::size_t, int> times;
    for (const auto& rank : all)
      for (const std::size_t first : rank) ++times[first];
    return times;
  }

 private:
  std::mutex mutex_;
  std::vector<std::size_t> started_;
};

// Whether every unit in `times` was started exactly once.
bool each_once(const std::map<std::size_t, int>& times) {
  for (const auto& [first, n] : times)
    if (n != 1) return false;
  return true;
}

std::vector<sched::WorkUnit> units(std::size_t n, double milliseconds, std::size_t per_unit = 1) {
  std::vector<sched::WorkUnit> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back({i * per_unit, per_unit, milliseconds * (1 + static_cast<double>(i % 7) / 7)});
  return out;
}

sched::Options options() {
  sched::Options o;
  o.seconds_per_cost = 1e-3;  // cost is in milliseconds
  o.progress = sched::ProgressStyle::none;
  return o;
}

// Every rank's kept records, on rank 0: task → statuses seen.
std::map<std::size_t, std::vector<std::uint8_t>> gather(const mpi::communicator& world,
                                                        const MemorySink& sink) {
  std::vector<std::vector<std::pair<std::size_t, std::uint8_t>>> all;
  mpi::gather(world, sink.kept, all, 0);
  std::map<std::size_t, std::vector<std::uint8_t>> by_task;
  for (const auto& rank : all)
    for (const auto& [task, status] : rank) by_task[task].push_back(status);
  return by_task;
}

constexpr auto done = static_cast<std::uint8_t>(grid::TaskStatus::done);
constexpr auto timed_out = static_cast<std::uint8_t>(grid::TaskStatus::timed_out);

// Tasks committed exactly once, with `status`.
std::size_t count_once(const std::map<std::size_t, std::vector<std::uint8_t>>& seen,
                       std::uint8_t status) {
  std::size_t n = 0;
  for (const auto& [task, statuses] : seen) n += statuses == std::vector<std::uint8_t>{status};
  return n;
}

// A hook that asks to stop (as if SIGTERM came) as the first unit on any rank begins.
void stop_at_first_unit(const sched::WorkUnit&) {
  if (sched::stop_requests() == 0) sched::request_stop(SIGTERM);
}

}  // namespace

TEST_CASE("every task runs exactly once, whichever rank keeps the records", "[mpi][sched]") {
  const mpi::communicator world;
  for (const bool to_root : {false, true}) {
    MemorySink sink;
    Executions executions;
    auto o = options();
    o.results_to_root = to_root;
    const auto summary = sched::run(
        sched::mpi_context(world), units(120, 0.5, 3),
        waiting_kernel([&executions](const sched::WorkUnit& unit) { executions.add(unit); }), sink,
        o);
    const auto seen = gather(world, sink);
    const auto started = executions.gather(world);
    if (world.rank() != 0) continue;
    CHECK(started.size() == 120);
    CHECK(each_once(started));
    CHECK(summary.tasks_total == 360);
    CHECK(summary.tasks_done == 360);
    CHECK_FALSE(summary.stopped);
    CHECK(summary.busy_s.size() == static_cast<std::size_t>(world.size()));
    CHECK(seen.size() == 360);
    CHECK(count_once(seen, done) == 360);
    if (to_root) CHECK(sink.kept.size() == 360);  // all of them reached rank 0's sink
  }
}

TEST_CASE("a stop request on one rank ends dispatch; nothing is lost or repeated", "[mpi][sched]") {
  const mpi::communicator world;
  sched::reset_stop_requests();
  world.barrier();
  MemorySink sink;
  Executions executions;
  // The rank that runs task 30 asks to stop (as if it alone got SIGUSR1); tasks take ~5 ms.
  const auto kernel = waiting_kernel([&executions](const sched::WorkUnit& unit) {
    executions.add(unit);
    if (unit.first == 30) sched::request_stop(SIGUSR1);
  });
  const auto summary =
      sched::run(sched::mpi_context(world), units(400, 5), kernel, sink, options());
  const auto seen = gather(world, sink);
  const auto started = executions.gather(world);
  sched::reset_stop_requests();
  world.barrier();
  if (world.rank() != 0) return;
  CHECK(summary.stopped);
  CHECK_FALSE(summary.time_limit_reached);
  CHECK(summary.pending > 0);
  // No unit started twice, and every started one finished (the grace period covers them all):
  // the tasks done are exactly the units run, the rest were never started.
  CHECK(each_once(started));
  CHECK(started.size() == summary.tasks_done);
  CHECK(seen.size() == started.size());
  CHECK(count_once(seen, done) == summary.tasks_done);
}

TEST_CASE("with --grace 0 a stop abandons the units in flight as timed_out", "[mpi][sched]") {
  const mpi::communicator world;
  sched::reset_stop_requests();
  world.barrier();
  MemorySink sink;
  auto o = options();
  o.grace_s = 0;
  // Units predicted at 300 ms that would take 300 s: every rank asks to stop as its first unit
  // begins. The bounds below hold on a loaded machine: abandoning takes far less than a minute,
  // running even one unit would take five.
  const auto kernel = waiting_kernel(stop_at_first_unit, [] { return 1000.0; });
  const auto start = Clock::now();
  const auto summary =
      sched::run(sched::mpi_context(world), units(8 * world.size(), 300), kernel, sink, o);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const auto seen = gather(world, sink);
  sched::reset_stop_requests();
  world.barrier();
  if (world.rank() != 0) return;
  CHECK(summary.tasks_done == 0);
  CHECK(elapsed < 60);  // abandoned, not run to its end
  CHECK_FALSE(seen.empty());
  CHECK(count_once(seen, timed_out) == seen.size());
}

TEST_CASE("a unit that outlives its prediction is abandoned when the grace period ends",
          "[mpi][sched]") {
  const mpi::communicator world;
  sched::reset_stop_requests();
  world.barrier();
  MemorySink sink;
  auto o = options();
  o.grace_s = 0.3;
  // Predicted 20 ms, but they take 10,000 times longer (200 s): every rank asks to stop as its
  // first unit begins, when the prediction says that unit fits the grace period.
  const auto kernel = waiting_kernel(stop_at_first_unit, [] { return 10000.0; });
  const auto start = Clock::now();
  const auto summary =
      sched::run(sched::mpi_context(world), units(8 * world.size(), 20), kernel, sink, o);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const auto seen = gather(world, sink);
  sched::reset_stop_requests();
  world.barrier();
  if (world.rank() != 0) return;
  CHECK(summary.stopped);
  CHECK(summary.tasks_done == 0);
  CHECK(elapsed > 0.3);  // the grace period was given
  CHECK(elapsed < 60);   // and kept: not the 200 s and more the units would take
  CHECK_FALSE(seen.empty());
  CHECK(count_once(seen, timed_out) == seen.size());
}

TEST_CASE("the time limit is kept: no unit starts that would not fit", "[mpi][sched]") {
  const mpi::communicator world;
  sched::reset_stop_requests();
  MemorySink sink;
  Executions executions;
  std::mutex mutex;
  std::vector<double> starts;  // seconds from the start, of every unit this rank began
  const auto start = Clock::now();
  auto o = options();
  o.time_limit_s = 0.3;
  // Units of 40 ms. Whether one fits is judged from the measured rate, so on a loaded machine a
  // unit judged to fit can still run past the limit and be abandoned: at most one per rank.
  const auto summary = sched::run(
      sched::mpi_context(world), units(100, 40),
      waiting_kernel(
          [&](const sched::WorkUnit& unit) {
            executions.add(unit);
            const std::lock_guard<std::mutex> lock(mutex);
            starts.push_back(std::chrono::duration<double>(Clock::now() - start).count());
          },
          {}),
      sink, o);
  std::vector<std::vector<double>> all_starts;
  mpi::gather(world, starts, all_starts, 0);
  const auto seen = gather(world, sink);
  const auto started = executions.gather(world);
  if (world.rank() != 0) return;
  CHECK(summary.time_limit_reached);
  CHECK(summary.stopped);
  CHECK(summary.tasks_done > 0);
  for (const auto& rank : all_starts)
    for (const double t : rank) CHECK(t < 0.3 + 0.1);  // none after the limit (0.1 s: clocks)
  // Every other started unit is done.
  CHECK(each_once(started));
  const std::size_t abandoned = count_once(seen, timed_out);
  CHECK(abandoned <= static_cast<std::size_t>(world.size()));
  CHECK(started.size() == summary.tasks_done + abandoned);
  CHECK(seen.size() == started.size());
}

TEST_CASE("at the time limit a rank starts no more units of its bundle", "[mpi][sched]") {
  const mpi::communicator world;
  sched::reset_stop_requests();
  MemorySink sink;
  // Units of 5 ms that suddenly take 50 from 0.2 s on: the bundles then handed out (50 ms of
  // predicted work) run ten times as long as planned, so at the limit each rank is inside one
  // with units left.
  std::mutex mutex;
  std::vector<double> starts;  // seconds from the start, of every unit this rank began
  const auto start = Clock::now();
  const auto since_start = [start] {
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  const auto kernel = waiting_kernel(
      [&](const sched::WorkUnit&) {
        const std::lock_guard<std::mutex> lock(mutex);
        starts.push_back(since_start());
      },
      [&] { return since_start() > 0.2 ? 10.0 : 1.0; });
  auto o = options();
  o.time_limit_s = 0.3;
  const auto summary = sched::run(sched::mpi_context(world), units(400, 5), kernel, sink, o);
  std::vector<std::vector<double>> all_starts;
  mpi::gather(world, starts, all_starts, 0);
  const auto seen = gather(world, sink);
  if (world.rank() != 0) return;
  CHECK(summary.time_limit_reached);
  CHECK(summary.makespan_s < 0.3 + 0.2);
  CHECK(summary.tasks_done > 0);
  std::size_t started = 0;
  for (const auto& rank : all_starts)
    for (const double t : rank) {
      CHECK(t < 0.3 + 0.2);  // none begun long after the limit (the scheduler's clock starts later)
      ++started;
    }
  // Only the unit in flight at the limit is abandoned, one per rank at most; the rest of the
  // bundles stay pending (not started, so not in the sink).
  const std::size_t abandoned = count_once(seen, timed_out);
  CHECK(abandoned <= static_cast<std::size_t>(world.size()));
  CHECK(seen.size() == started);
  CHECK(summary.tasks_done + abandoned == started);
}
