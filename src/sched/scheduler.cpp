#include "nnsweep/sched/scheduler.hpp"

#include <algorithm>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <numeric>
#include <sstream>
#include <thread>

#include "nnsweep/sched/signals.hpp"

namespace boost::serialization {
template <class Archive>
void serialize(Archive& ar, nnsweep::sched::WorkUnit& u, unsigned /*version*/) {
  ar& u.first& u.count& u.cost;
}
template <class Archive>
void serialize(Archive& ar, nnsweep::grid::RowData& d, unsigned /*version*/) {
  ar& d.numbers& d.texts& d.theory_kinds& d.counts;
}
// The row travels as its values; the receiver (the results file) knows their layout.
template <class Archive>
void serialize(Archive& ar, nnsweep::grid::TaskRecord& r, unsigned /*version*/) {
  ar& r.task& r.status& r.rank& r.run& r.attempts& r.wall_s& r.error& r.row.data();
}
}  // namespace boost::serialization

namespace nnsweep::sched {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int tag_report = 1;
constexpr int tag_assign = 2;
constexpr std::size_t max_bundle = 4096;

// Messages are values serialised to bytes (Boost.Serialization, binary, no header).
template <typename T>
std::string pack(const T& value) {
  std::ostringstream out(std::ios::binary);
  {
    boost::archive::binary_oarchive archive(out, boost::archive::no_header);
    archive << value;
  }
  return out.str();
}
template <typename T>
T unpack(const std::string& bytes) {
  std::istringstream in(bytes, std::ios::binary);
  boost::archive::binary_iarchive archive(in, boost::archive::no_header);
  T value;
  archive >> value;
  return value;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A unit handed out, with rank 0's identifier for it.
struct Assigned {
  std::uint64_t id = 0;
  WorkUnit unit;
  double predicted_s = 0;
  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& id& unit& predicted_s;
  }
};

struct Counts {
  std::uint64_t done = 0, failed = 0, diverged = 0, other = 0;
  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& done& failed& diverged& other;
  }
};

struct Finished {
  std::uint64_t id = 0;
  double wall_s = 0;
  Counts counts;
  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& id& wall_s& counts;
  }
};

// Worker → rank 0: what finished since the last report (and, in serial I/O, the records);
// doubles as the request for more work.
struct Report {
  std::vector<Finished> finished;
  std::vector<grid::TaskRecord> records;
  double busy_s = 0;  // cumulative
  bool stopping = false;
  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& finished& records& busy_s& stopping;
  }
};

Counts count(const std::vector<grid::TaskRecord>& records) {
  Counts c;
  for (const auto& r : records) {
    switch (static_cast<grid::TaskStatus>(r.status)) {
      case grid::TaskStatus::done:
        ++c.done;
        break;
      case grid::TaskStatus::failed:
        ++c.failed;
        break;
      case grid::TaskStatus::diverged:
        ++c.diverged;
        break;
      default:
        ++c.other;
        break;
    }
  }
  return c;
}

// Watches the unit a rank is computing and abandons it (sets cancel) after a stop request: at once
// if it is predicted to need more than the grace period, else when the grace period has passed
// (a prediction can be wrong, and the batch system's kill follows), at a second stop request,
// or at the time limit. Kernels poll the flag between packs; MPI is never touched here.
class UnitWatch {
 public:
  UnitWatch(const Options& options, Clock::time_point start)
      : options_(options), start_(start), thread_([this] { loop(); }) {}
  ~UnitWatch() {
    quit_.store(true);
    thread_.join();
  }
  UnitWatch(const UnitWatch&) = delete;
  UnitWatch& operator=(const UnitWatch&) = delete;

  void begin(double predicted_s) {
    const std::lock_guard<std::mutex> lock(mutex_);
    predicted_s_ = predicted_s;
    unit_start_ = seconds_since(start_);
    running_ = true;
    cancel_.store(false);
    decide();  // a unit begun past the limit, or after a second request, is abandoned at once
  }
  void end() {
    const std::lock_guard<std::mutex> lock(mutex_);
    running_ = false;
  }
  const std::atomic<bool>& cancel() const { return cancel_; }
  // Whether the time limit has passed: a rank then starts no more units of its bundle.
  bool past_time_limit() const { return seconds_since(start_) > options_.time_limit_s; }

 private:
  void loop() {
    while (!quit_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      // Under the lock: a decision about one unit never lands on the next one.
      const std::lock_guard<std::mutex> lock(mutex_);
      if (running_) decide();
    }
  }
  // Sets cancel if the running unit is to be abandoned now. Called under the lock.
  void decide() {
    const double now = seconds_since(start_);
    const double remaining = predicted_s_ - (now - unit_start_);
    const int stops = stop_requests();
    if (stops >= 1 && first_stop_s_ < 0) first_stop_s_ = now;
    const bool past_grace =
        stops >= 1 && (remaining > options_.grace_s || now - first_stop_s_ >= options_.grace_s);
    if (stops >= 2 || past_grace || past_time_limit()) cancel_.store(true);
  }

  const Options& options_;
  Clock::time_point start_;
  std::mutex mutex_;
  bool running_ = false;
  double predicted_s_ = 0, unit_start_ = 0;
  double first_stop_s_ = -1;  // when a stop request was first seen
  std::atomic<bool> cancel_{false}, quit_{false};
  std::thread thread_;
};

// Runs one unit and stamps its records with the rank and their share of the time; records
// left pending by a cancelled kernel become timed_out.
std::vector<grid::TaskRecord> execute_unit(const Executor& execute, const Assigned& a, int rank,
                                           UnitWatch& watch, Finished& finished) {
  const auto start = Clock::now();
  watch.begin(a.predicted_s);
  auto records = execute(a.unit, watch.cancel());
  watch.end();
  finished.id = a.id;
  finished.wall_s = seconds_since(start);
  const bool abandoned = watch.cancel().load();
  for (auto& r : records) {
    r.rank = rank;
    r.wall_s = finished.wall_s / static_cast<double>(std::max<std::size_t>(1, records.size()));
    if (abandoned && r.status == static_cast<std::uint8_t>(grid::TaskStatus::pending))
      r.status = static_cast<std::uint8_t>(grid::TaskStatus::timed_out);
  }
  finished.counts = count(records);
  return records;
}

// Rank 0's own compute thread: kernels never block dispatch. It never calls MPI.
class LocalWorker {
 public:
  LocalWorker(const Executor& execute, UnitWatch& watch)
      : execute_(execute), watch_(watch), thread_([this] { loop(); }) {}
  ~LocalWorker() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      quit_ = true;
    }
    wake_worker_.notify_all();
    thread_.join();
  }
  LocalWorker(const LocalWorker&) = delete;
  LocalWorker& operator=(const LocalWorker&) = delete;

  void assign(const std::vector<Assigned>& bundle) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      inbox_.insert(inbox_.end(), bundle.begin(), bundle.end());
    }
    wake_worker_.notify_all();
  }
  // Nothing queued, running, or finished but not yet collected.
  bool idle() {
    std::lock_guard<std::mutex> lock(mutex_);
    return inbox_.empty() && !busy_ && outbox_.empty();
  }
  // Finished units and their records since the last call; waits up to `timeout` for one.
  std::vector<std::pair<Finished, std::vector<grid::TaskRecord>>> collect(
      std::chrono::microseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_main_.wait_for(lock, timeout, [this] { return !outbox_.empty(); });
    return std::exchange(outbox_, {});
  }
  double busy_s() {
    std::lock_guard<std::mutex> lock(mutex_);
    return busy_s_;
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_worker_.wait(lock, [this] { return quit_ || !inbox_.empty(); });
      if (quit_) return;
      const Assigned a = inbox_.front();
      inbox_.pop_front();
      if (stop_requests() > 0 || watch_.past_time_limit()) {  // leave queued units pending
        inbox_.clear();
        continue;
      }
      busy_ = true;
      lock.unlock();
      Finished finished;
      auto records = execute_unit(execute_, a, 0, watch_, finished);
      lock.lock();
      busy_ = false;
      busy_s_ += finished.wall_s;
      outbox_.emplace_back(finished, std::move(records));
      wake_main_.notify_all();
    }
  }

  const Executor& execute_;
  UnitWatch& watch_;
  std::mutex mutex_;
  std::condition_variable wake_worker_, wake_main_;
  std::deque<Assigned> inbox_;
  std::vector<std::pair<Finished, std::vector<grid::TaskRecord>>> outbox_;
  bool busy_ = false, quit_ = false;
  double busy_s_ = 0;
  std::thread thread_;
};

Summary run_worker(const Context& comm, const Executor& execute, ResultSink& sink,
                   const Options& options) {
  Summary summary;
  double busy = 0;
  UnitWatch watch(options, Clock::now());
  comm.send(0, tag_report, pack(Report{}));
  while (true) {
    const auto bundle = unpack<std::vector<Assigned>>(comm.receive(0, tag_assign));
    if (bundle.empty()) break;
    Report report;
    for (const auto& a : bundle) {
      if (stop_requests() > 0 || watch.past_time_limit()) break;  // the rest stays pending
      if (a.predicted_s > options.flush_seconds) sink.flush();
      Finished finished;
      auto records = execute_unit(execute, a, comm.rank(), watch, finished);
      busy += finished.wall_s;
      report.finished.push_back(finished);
      if (options.results_to_root) {
        report.records.insert(report.records.end(), std::make_move_iterator(records.begin()),
                              std::make_move_iterator(records.end()));
      } else {
        sink.accept(std::move(records));
      }
    }
    report.busy_s = busy;
    report.stopping = stop_requests() > 0;
    comm.send(0, tag_report, pack(report));
  }
  sink.flush();
  summary.busy_s = {busy};
  return summary;
}

class Dispatcher {
 public:
  Dispatcher(const Context& comm, std::vector<WorkUnit> units, const Executor& execute,
             ResultSink& sink, const Options& options)
      : comm_(comm),
        units_(std::move(units)),
        sink_(sink),
        options_(options),
        start_(Clock::now()),
        watch_(options, start_),
        local_(execute, watch_),
        progress_(options.progress, options.progress_interval_s),
        busy_(static_cast<std::size_t>(comm.size()), 0.0),
        seconds_per_cost_(options.seconds_per_cost) {
    // Longest processing time first; ties in task order, so the schedule is reproducible. The
    // queue is [front_, back_) of this order: large units leave from the front, and near a time
    // limit small ones from the back.
    std::stable_sort(units_.begin(), units_.end(),
                     [](const WorkUnit& a, const WorkUnit& b) { return a.cost > b.cost; });
    back_ = units_.size();
    for (const auto& u : units_) {
      state_.total += u.count;
      state_.cost_total += u.cost;
    }
    summary_.tasks_total = state_.total;
  }

  Summary run() {
    int active = comm_.size() - 1;
    bool local_done = false;
    while (true) {
      if (stop_requests() > 0) stopping_ = signalled_ = true;
      while (const auto source = comm_.probe(tag_report)) {
        auto report = unpack<Report>(comm_.receive(*source, tag_report));
        busy_[static_cast<std::size_t>(*source)] = report.busy_s;
        if (report.stopping) stopping_ = signalled_ = true;
        for (const auto& f : report.finished) account(f);
        if (!report.records.empty()) sink_.accept(std::move(report.records));
        const auto bundle = take_bundle();
        comm_.send(*source, tag_assign, pack(bundle));
        if (bundle.empty()) --active;
      }
      for (auto& [finished, records] : local_.collect(std::chrono::microseconds(0))) {
        account(finished);
        sink_.accept(std::move(records));
      }
      if (!local_done && local_.idle()) {
        auto bundle = take_bundle();
        if (bundle.empty()) {
          local_done = true;
        } else {
          if (bundle.front().predicted_s > options_.flush_seconds) sink_.flush();
          local_.assign(bundle);
        }
      }
      state_.seconds_left =
          std::isfinite(options_.time_limit_s) ? options_.time_limit_s - seconds_since(start_) : -1;
      progress_.update(state_);
      if (active == 0 && local_done && local_.idle()) break;
      for (auto& [finished, records] : local_.collect(std::chrono::microseconds(1000))) {
        account(finished);
        sink_.accept(std::move(records));
      }
    }
    sink_.flush();
    progress_.finish(state_);
    busy_[0] = local_.busy_s();
    summary_.makespan_s = seconds_since(start_);
    summary_.busy_s = busy_;
    const double busy_total = std::accumulate(busy_.begin(), busy_.end(), 0.0);
    summary_.load_balance =
        summary_.makespan_s > 0
            ? busy_total / (static_cast<double>(comm_.size()) * summary_.makespan_s)
            : 1;
    summary_.tasks_done = state_.done;
    summary_.failed = state_.failed;
    summary_.diverged = state_.diverged;
    // Never run, or abandoned (timed_out): a resume computes them.
    summary_.pending = summary_.tasks_total - state_.done - state_.failed - state_.diverged;
    summary_.stopped = summary_.pending > 0;
    // Work left without a stop signal on any rank can only be the time limit's doing (a unit
    // abandoned at the limit, or none left that fits). A signal may have arrived after the loop
    // last looked (rank 0's own worker stopped on it, with nothing left to hand out).
    if (stop_requests() > 0) signalled_ = true;
    if (summary_.stopped && !signalled_) summary_.time_limit_reached = true;
    return summary_;
  }

 private:
  void account(const Finished& f) {
    state_.done += f.counts.done;
    state_.failed += f.counts.failed;
    state_.diverged += f.counts.diverged;
    const auto& unit = units_[f.id];
    if (f.counts.other == 0) state_.cost_done += unit.cost;
    // Refine seconds per unit of cost from what was measured (cost models are rough).
    measured_cost_ += unit.cost;
    measured_seconds_ += f.wall_s;
    if (measured_cost_ > 0 && measured_seconds_ > 0)
      seconds_per_cost_ = measured_seconds_ / measured_cost_;
  }

  // Whether unit `id` would finish before the time limit after `ahead` seconds of work already
  // given to the same rank.
  bool fits(std::size_t id, double ahead) const {
    if (!std::isfinite(options_.time_limit_s)) return true;
    return seconds_since(start_) + ahead + units_[id].cost * seconds_per_cost_ <
           options_.time_limit_s;
  }

  std::vector<Assigned> take_bundle() {
    std::vector<Assigned> bundle;
    double predicted = 0;
    const double target =
        std::max(options_.bundle_seconds, options_.bundle_seconds_per_rank * comm_.size());
    while (!stopping_ && front_ < back_ && bundle.size() < max_bundle &&
           (bundle.empty() || predicted < target)) {
      std::size_t id = 0;
      if (fits(front_, predicted)) {
        id = front_++;
      } else if (fits(back_ - 1, predicted)) {  // the smallest units may still fit
        id = --back_;
      } else {
        if (bundle.empty()) {  // nothing fits any more, for any rank
          summary_.time_limit_reached = true;
          stopping_ = true;
        }
        break;
      }
      const double seconds = units_[id].cost * seconds_per_cost_;
      bundle.push_back({id, units_[id], seconds});
      predicted += seconds;
    }
    return bundle;
  }

  const Context& comm_;
  std::vector<WorkUnit> units_;
  ResultSink& sink_;
  const Options& options_;
  Clock::time_point start_;
  UnitWatch watch_;
  LocalWorker local_;
  Progress progress_;
  std::size_t front_ = 0, back_ = 0;
  std::vector<double> busy_;
  ProgressState state_;
  Summary summary_;
  bool stopping_ = false;   // no more units are handed out
  bool signalled_ = false;  // a stop signal reached some rank
  double seconds_per_cost_;
  double measured_cost_ = 0, measured_seconds_ = 0;
};

}  // namespace

double simulate_makespan(std::vector<double> seconds, std::size_t ranks) {
  std::sort(seconds.begin(), seconds.end(), std::greater<>());
  // Min-heap of rank finishing times: each unit goes to the rank that frees up first.
  std::vector<double> finish(std::max<std::size_t>(ranks, 1), 0.0);
  for (const double s : seconds) {
    std::pop_heap(finish.begin(), finish.end(), std::greater<>());
    finish.back() += s;
    std::push_heap(finish.begin(), finish.end(), std::greater<>());
  }
  return *std::max_element(finish.begin(), finish.end());
}

Summary run(const Context& context, std::vector<WorkUnit> units, const Executor& execute,
            ResultSink& sink, const Options& options) {
  // A message space of its own: messages of this sweep never meet those of an earlier or later
  // one (a worker may start the next run while rank 0 is still finishing this one).
  const Context own = context.duplicate();
  if (own.rank() != 0) return run_worker(own, execute, sink, options);
  return Dispatcher(own, std::move(units), execute, sink, options).run();
}

}  // namespace nnsweep::sched
