// The scheduler on the local context (one rank, no MPI): every unit runs once, longest first, its
// records reach the sink; a stop request ends dispatch after the unit in flight; with --grace 0 a
// unit in flight is abandoned as timed_out; nothing starts past the time limit. And the agreement
// of `run` on one rank.
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <mutex>
#include <thread>

#include "agreement.hpp"
#include "nnsweep/sched/scheduler.hpp"
#include "nnsweep/sched/signals.hpp"

using namespace nnsweep;

namespace {

// Keeps what it is given, in order.
class MemorySink : public sched::ResultSink {
 public:
  void accept(std::vector<grid::TaskRecord> records) override {
    for (auto& r : records) kept.push_back(std::move(r));
  }
  void flush() override { ++flushes; }
  std::vector<grid::TaskRecord> kept;
  int flushes = 0;
};

// One unit per task, with the given costs.
std::vector<sched::WorkUnit> units(const std::vector<double>& costs) {
  std::vector<sched::WorkUnit> out;
  for (std::size_t i = 0; i < costs.size(); ++i) out.push_back({i, 1, costs[i]});
  return out;
}

sched::Options quiet() {
  sched::Options o;
  o.progress = sched::ProgressStyle::none;
  return o;
}

std::vector<grid::TaskRecord> done(const sched::WorkUnit& unit) {
  std::vector<grid::TaskRecord> records(unit.count);
  for (std::size_t i = 0; i < unit.count; ++i) {
    records[i].task = unit.first + i;
    records[i].status = static_cast<std::uint8_t>(grid::TaskStatus::done);
  }
  return records;
}

// Stop requests are process-wide: every test leaves none behind.
struct NoStops {
  NoStops() { sched::reset_stop_requests(); }
  ~NoStops() { sched::reset_stop_requests(); }
};

}  // namespace

TEST_CASE("local dispatch runs every unit once, longest first, ties in task order",
          "[sched][app]") {
  const NoStops clean;
  MemorySink sink;
  std::mutex mutex;
  std::vector<std::size_t> started;
  const sched::Executor kernel = [&](const sched::WorkUnit& unit, const std::atomic<bool>&) {
    const std::lock_guard<std::mutex> lock(mutex);
    started.push_back(unit.first);
    return done(unit);
  };
  const auto summary =
      sched::run(sched::local_context(), units({1, 5, 3, 5, 2, 4}), kernel, sink, quiet());
  CHECK(started == std::vector<std::size_t>{1, 3, 5, 2, 4, 0});
  REQUIRE(sink.kept.size() == 6);
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK(sink.kept[i].task == started[i]);
    CHECK(sink.kept[i].rank == 0);
  }
  CHECK(sink.flushes >= 1);  // the final commit
  CHECK(summary.tasks_total == 6);
  CHECK(summary.tasks_done == 6);
  CHECK(summary.pending == 0);
  CHECK_FALSE(summary.stopped);
  CHECK(summary.busy_s.size() == 1);
}

TEST_CASE("a stop request ends dispatch after the unit in flight", "[sched][app]") {
  const NoStops clean;
  MemorySink sink;
  std::atomic<int> calls{0};
  const sched::Executor kernel = [&](const sched::WorkUnit& unit, const std::atomic<bool>&) {
    if (++calls == 3) sched::request_stop(SIGUSR1);  // during the third unit
    return done(unit);
  };
  auto options = quiet();
  options.bundle_seconds = 1e9;  // one bundle holds everything: the rank itself must stop
  const auto summary =
      sched::run(sched::local_context(), units({9, 8, 7, 6, 5, 4}), kernel, sink, options);
  CHECK(calls == 3);
  CHECK(sink.kept.size() == 3);  // the unit in flight finished within the grace period
  CHECK(summary.tasks_done == 3);
  CHECK(summary.pending == 3);
  CHECK(summary.stopped);
  CHECK_FALSE(summary.time_limit_reached);
}

TEST_CASE("with --grace 0 the unit in flight is abandoned as timed out", "[sched][app]") {
  const NoStops clean;
  MemorySink sink;
  const sched::Executor kernel = [&](const sched::WorkUnit& unit, const std::atomic<bool>& cancel) {
    sched::request_stop(SIGTERM);
    // Waits for the watcher's decision (an event), with a generous bound against a hang.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!cancel.load() && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    auto records = done(unit);
    if (cancel.load()) records[0].status = static_cast<std::uint8_t>(grid::TaskStatus::pending);
    return records;
  };
  auto options = quiet();
  options.grace_s = 0;
  const auto summary = sched::run(sched::local_context(), units({3, 2, 1}), kernel, sink, options);
  REQUIRE(sink.kept.size() == 1);
  CHECK(sink.kept[0].task == 0);
  CHECK(sink.kept[0].status == static_cast<std::uint8_t>(grid::TaskStatus::timed_out));
  CHECK(summary.tasks_done == 0);
  CHECK(summary.pending == 3);
  CHECK(summary.stopped);
}

TEST_CASE("past the time limit nothing starts", "[sched][app]") {
  const NoStops clean;
  MemorySink sink;
  std::atomic<int> calls{0};
  const sched::Executor kernel = [&](const sched::WorkUnit& unit, const std::atomic<bool>&) {
    ++calls;
    return done(unit);
  };
  auto options = quiet();
  options.time_limit_s = 0;
  const auto summary = sched::run(sched::local_context(), units({3, 2, 1}), kernel, sink, options);
  CHECK(calls == 0);
  CHECK(summary.pending == 3);
  CHECK(summary.stopped);
  CHECK(summary.time_limit_reached);
}

TEST_CASE("the local context: one rank, collectives are the identity", "[sched][app]") {
  const sched::Context local = sched::local_context();
  CHECK(local.rank() == 0);
  CHECK(local.size() == 1);
  CHECK(local.is_root());
  CHECK(local.min(7) == 7);
  double value = 2.5;
  local.broadcast(value, 0);
  CHECK(value == 2.5);
  CHECK_FALSE(local.duplicate().probe(1).has_value());
  CHECK_THROWS_AS(local.send(1, 1, "x"), error);
  CHECK(local.communicator() == MPI_COMM_NULL);
}

TEST_CASE("agreement: a failing step throws the same kind of error on every rank", "[sched][app]") {
  const sched::Context local = sched::local_context();
  int ran = 0;
  app::on_root(local, [&] { ++ran; });
  CHECK(ran == 1);
  CHECK_THROWS_WITH(app::shared(local, true, [] { throw config_error("width = 0: too small"); }),
                    "width = 0: too small");
  CHECK_THROWS_AS(app::shared(local, true, [] { throw config_error("x"); }), config_error);
  CHECK_THROWS_AS(app::shared(local, true, [] { throw io_error("disk full"); }), app::SharedError);
  app::shared(local, false, [] { throw config_error("not run here"); });  // no rank ran it
}
