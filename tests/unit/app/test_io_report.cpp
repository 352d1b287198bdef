// The results file and the report without MPI: a hand-made file of the toy experiment's columns
// (rows filled by id and committed through io), read back; its aggregate checked by hand — a cell
// with one prediction (z = (mean − theory)/sem), a cell with a prediction per task (paired), sem
// the larger of the spread and the tasks' own errors — and the status counts.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>

#include "nnsweep/core/error.hpp"

#include "nnsweep/report/report.hpp"
#include "output.hpp"
#include "toy_experiment.hpp"

using namespace nnsweep;

namespace {

struct Written {
  app::Sweep sweep;
  std::string path;
};

// n = 2 and 5 with seeds 0..3; task (n, seed) gets value v, sem 0.1 and theory as given (the
// kind exact); the last task stays pending.
void write(const app::Sweep& sweep, const std::string& path,
           const std::function<double(double, double)>& value,
           const std::function<double(double, double)>& theory) {
  io::create(path, *sweep.table, app::file_layout(sweep), {"test", "host", "", "now", 1});
  io::ResultsFile file(path, io::ResultsFile::Access::serial_write);
  grid::ColumnSet scratch;
  const toy::Columns ids = toy::declare(sweep.table->params(0), scratch);
  std::vector<grid::TaskRecord> records;
  for (std::size_t t = 0; t + 1 < sweep.table->size(); ++t) {
    const auto params = sweep.table->params(t);
    const double n = static_cast<double>(params.integer("n"));
    const double seed = static_cast<double>(params.integer("seed"));
    grid::TaskRecord r;
    r.task = t;
    r.status = static_cast<std::uint8_t>(grid::TaskStatus::done);
    r.row = sweep.columns.row();
    r.row.set(ids.value, value(n, seed));
    r.row.set(ids.value_sem, 0.1);
    r.row.set_theory(ids.theory_value, theory(n, seed), grid::TheoryKind::exact);
    r.row.set_text(ids.digits, "x");
    records.push_back(std::move(r));
  }
  file.commit(records);
}

app::Sweep toy_sweep(const std::string& params = "n = 2,5\nseed = 0..3\n") {
  return app::load_sweep(
      toy::experiment(),
      config::read_spec_text("experiment = toy\n[params]\n" + params, "test", {}));
}

}  // namespace

TEST_CASE("io: a file reads back its layout, attributes and the rows committed", "[io]") {
  const app::Sweep sweep = toy_sweep();
  const toy::ScratchDir dir;
  const std::string path = dir.file("hand.h5");
  write(
      sweep, path, [](double n, double s) { return n + s; }, [](double n, double) { return n; });
  {
    const io::ResultsFile file(path, io::ResultsFile::Access::read_only);
    CHECK(file.task_count() == 8);
    CHECK(file.attribute("experiment") == "toy");
    CHECK(file.attribute("schema_version") == "2");
    CHECK(file.replicates() == std::vector<std::string>{"seed", "copy"});
    CHECK(file.parameter_names() == std::vector<std::string>{"n", "copy", "seed"});
    CHECK(file.result_columns().same_layout(sweep.columns));
    CHECK(file.column("theory_value").predicts == "value");
    CHECK(file.column("theory_value_kind").kind == grid::ColumnKind::theory_kind);
    CHECK(file.column("step_count").kind == grid::ColumnKind::count);
    CHECK(file.column("gram").dims.size() == 2);
    const auto status = file.read_status();
    CHECK(status[7] == 0);
    const auto value = file.read_numbers("value");
    CHECK(value[6] == 5 + 2);
    CHECK(std::isnan(value[7]));  // pending: still the fill value
    CHECK(file.read_strings("digits")[3] == "x");
    CHECK(file.read_numbers("step_count")[0] == 5);  // the row's counts: the file's lengths
    CHECK(file.read_numbers("step_count")[7] == 0);
    CHECK_THROWS_AS(file.read_numbers("trace"), io_error);  // a curve
    CHECK_THROWS_AS(file.column("nothing"), io_error);
    // A path that names no file is the user's mistake (exit 2), like any file nnsweep refuses.
    CHECK_THROWS_AS(io::ResultsFile(dir.file("missing.h5"), io::ResultsFile::Access::read_only),
                    file_error);
  }
  // A row of other columns is refused.
  io::ResultsFile writable(path, io::ResultsFile::Access::serial_write);
  grid::TaskRecord wrong;
  wrong.task = 7;
  grid::ColumnSet other;
  other.metric("value", "1", "", "");
  wrong.row = other.row();
  CHECK_THROWS_AS(writable.commit({wrong}), io_error);
}

TEST_CASE("report: mean, sem and z per cell, by hand", "[report]") {
  const app::Sweep sweep = toy_sweep();
  const toy::ScratchDir dir;
  const std::string path = dir.file("report.h5");
  // value = n + seed²: cell n=2 (4 tasks) 2,3,6,11; cell n=5 (3 done) 5,6,9. Theory: n for n=2
  // (one prediction), n + seed for n=5 (one per task).
  write(
      sweep, path, [](double n, double s) { return n + s * s; },
      [](double n, double s) { return n == 2 ? n : n + s; });
  const io::ResultsFile file(path, io::ResultsFile::Access::read_only);
  CHECK(report::swept_parameters(file) == std::vector<std::string>{"n"});
  CHECK(report::metric_names(file) == std::vector<std::string>{"value"});
  const auto stats = report::aggregate(file, {"n"}, {"value"});
  REQUIRE(stats.size() == 2);

  const auto& a = stats[0];
  CHECK(a.cell == std::vector<std::string>{"2"});
  CHECK(a.count == 4);
  CHECK(a.mean == Approx(5.5));
  // sd of 2,3,6,11 = √(((−3.5)² + (−2.5)² + 0.5² + 5.5²)/3) = √(49/3), sem = sd/2; the
  // tasks' own errors give only √(4·0.01)/4 = 0.05.
  const double sem = std::sqrt(49.0 / 3) / 2;
  CHECK(a.sem == Approx(sem));
  CHECK(a.theory == 2);
  CHECK(a.z == Approx(3.5 / sem));
  CHECK(a.theory_kind == "exact");

  const auto& b = stats[1];
  CHECK(b.count == 3);
  CHECK(b.mean == Approx(20.0 / 3));
  // Paired: value − theory = s² − s = 0, 0, 2 → mean 2/3, sd 2/√3, sem 2/3.
  CHECK(b.theory == Approx(6));  // mean of 5, 6, 7
  CHECK(b.z == Approx((2.0 / 3) / (2.0 / 3)));

  const std::string text = report::status_text(file, {"n"}, report::Format::csv);
  // One table: the whole file (parameter, value empty), then a row per value of `n`.
  CHECK(text.find(
            "parameter,value,pending,done,failed,diverged,timed_out,total\n,,1,7,0,0,0,8\n") == 0);
  CHECK(text.find("\nn,5,1,3,0,0,0,4\n") != std::string::npos);
  CHECK_THROWS_AS(report::aggregate(file, {"n"}, {"nothing"}), config_error);
  CHECK_THROWS_AS(report::aggregate(file, {"seedling"}, {"value"}), config_error);
}

TEST_CASE("report pools over every replicate axis", "[report]") {
  const app::Sweep sweep = toy_sweep("n = 2,5\ncopy = 0,1\nseed = 0,1\n");
  const toy::ScratchDir dir;
  const std::string path = dir.file("replicates.h5");
  write(
      sweep, path, [](double n, double s) { return n + s; }, [](double n, double) { return n; });
  const io::ResultsFile file(path, io::ResultsFile::Access::read_only);
  const auto by = report::swept_parameters(file);
  CHECK(by == std::vector<std::string>{"n"});  // copy is swept, but a replicate axis
  const auto stats = report::aggregate(file, by, {"value"});
  REQUIRE(stats.size() == 2);
  CHECK(stats[0].count == 4);  // copies × seeds
  CHECK(stats[0].mean == Approx(2.5));
  CHECK(stats[1].count == 3);  // the last task is pending
}

namespace {

// Columns for the trust verdicts: an estimate x with its sem and max share, its theory, and a
// 0/1 metric `passed` without a sem.
class Trusty final : public experiments::Experiment {
 public:
  struct Ids {
    grid::ScalarId x, x_sem, x_max_share, passed;
    grid::TheoryId theory_x;
  };
  static Ids declare(grid::ColumnSet& set) {
    Ids ids;
    ids.x = set.metric("x", "1", "x", "an estimate");
    ids.x_sem = set.metric("x_sem", "1", "sem of x", "its standard error");
    ids.x_max_share = set.metric("x_max_share", "1", "share", "largest sample's share of x");
    ids.passed = set.metric("passed", "1", "passed", "0 or 1");
    ids.theory_x = set.theory("theory_x", "x", "1", "x (theory)", "exact");
    return ids;
  }
  std::string_view name() const override { return "trusty"; }
  std::string_view summary() const override { return "trust verdicts"; }
  const config::Schema& schema() const override { return schema_; }
  double cost(const config::ParamSet&) const override { return 1; }
  void columns(const config::ParamSet&, grid::ColumnSet& set) const override { declare(set); }
  std::vector<experiments::TaskResult> run(const experiments::Cell&,
                                           const std::vector<experiments::Replica>&,
                                           const experiments::RunOptions&) const override {
    return {};
  }

 private:
  config::Schema schema_{{
      {"n", config::ParamType::integer, "3", "1", "sizes", 1, 100, {}, false},
  }};
};

}  // namespace

TEST_CASE("report: trust verdicts — resolved, unresolved and proportion cells", "[report][trust]") {
  static const Trusty trusty;
  const app::Sweep sweep = app::load_sweep(
      trusty,
      config::read_spec_text("experiment = trusty\n[params]\nn = 1,2\nseed = 0..3\n", "test", {}));
  const toy::ScratchDir dir;
  const std::string path = dir.file("trust.h5");
  io::create(path, *sweep.table, app::file_layout(sweep), {"test", "host", "", "now", 1});
  {
    io::ResultsFile file(path, io::ResultsFile::Access::serial_write);
    grid::ColumnSet scratch;
    const auto ids = Trusty::declare(scratch);
    std::vector<grid::TaskRecord> records;
    for (std::size_t t = 0; t < sweep.table->size(); ++t) {
      const auto params = sweep.table->params(t);
      const auto n = params.integer("n");
      const auto seed = params.integer("seed");
      grid::TaskRecord r;
      r.task = t;
      r.status = static_cast<std::uint8_t>(grid::TaskStatus::done);
      r.row = sweep.columns.row();
      r.row.set(ids.x, 1.0 + 0.01 * static_cast<double>(seed));
      r.row.set(ids.x_sem, 0.01);
      // Cell n = 1: every share small (resolved). Cell n = 2: one task's share is 0.6.
      r.row.set(ids.x_max_share, n == 2 && seed == 3 ? 0.6 : 0.001);
      r.row.set(ids.passed, n == 1 || seed == 0 ? 1.0 : 0.0);
      r.row.set_theory(ids.theory_x, 1.0, grid::TheoryKind::exact);
      records.push_back(std::move(r));
    }
    file.commit(records);
  }
  const io::ResultsFile file(path, io::ResultsFile::Access::read_only);
  CHECK(report::metric_names(file) == std::vector<std::string>{"x", "passed"});
  const auto stats = report::aggregate(file, {"n"}, {"x", "passed"});
  REQUIRE(stats.size() == 4);
  // n = 1, x: resolved, z kept. Mean 1.015, sd of 1, 1.01, 1.02, 1.03 / 2.
  CHECK(stats[0].trust == report::Trust::ok);
  CHECK(stats[0].max_share == Approx(0.001));
  CHECK(stats[0].z == Approx(0.015 / (std::sqrt(0.0005 / 3) / 2)));
  // n = 2, x: one task's share 0.6 > 0.5: unresolved, no z; the mean and sem stay.
  CHECK(stats[2].trust == report::Trust::unresolved);
  CHECK(stats[2].max_share == Approx(0.6));
  CHECK(std::isnan(stats[2].z));
  CHECK(stats[2].mean == Approx(1.015));
  // passed: 4/4 and 1/4, Wilson 95% intervals (by hand: z = 1.96, n = 4), no z.
  CHECK(stats[1].trust == report::Trust::proportion);
  CHECK(stats[1].low == Approx(0.5101).epsilon(1e-3));
  CHECK(stats[1].high == 1.0);
  CHECK(stats[3].trust == report::Trust::proportion);
  CHECK(stats[3].low == Approx(0.04558).epsilon(1e-3));
  CHECK(stats[3].high == Approx(0.6993).epsilon(1e-3));
  CHECK(std::isnan(stats[3].z));
  const auto table = report::render(report::statistics_table(stats, {"n"}, report::Format::csv),
                                    report::Format::csv);
  CHECK(table.find("unresolved") != std::string::npos);
  const auto text = report::render(report::statistics_table(stats, {"n"}, report::Format::table),
                                   report::Format::table);
  CHECK(text.find("1/4 [0.0455") != std::string::npos);
  const auto notes = report::trust_notes(stats);
  CHECK(notes.find("unresolved (1 rows)") != std::string::npos);
  CHECK(notes.find("proportion (2 rows)") != std::string::npos);
}
