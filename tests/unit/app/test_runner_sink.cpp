// The unit runner and the file sink without MPI, on the toy experiment: every task's row holds
// the kernel's metrics, curves and arrays NaN-padded to the grid's longest, the used lengths, the
// text, the cell's theory unless the kernel gave the task its own (with its kind), the derived
// columns; a failed task keeps theory and loses its measurements; the sink buffers, drops pending
// records, counts attempts and stamps the run.
#include <catch2/catch.hpp>
#include <cmath>

#include <cstdlib>
#include "nnsweep/core/error.hpp"

#include "file_sink.hpp"
#include "output.hpp"
#include "toy_experiment.hpp"
#include "unit_runner.hpp"
#include "work_units.hpp"

using namespace nnsweep;

namespace {

app::Sweep toy_sweep(const std::string& params) {
  return app::load_sweep(
      toy::experiment(),
      config::read_spec_text("experiment = toy\n[params]\n" + params, "test", {}));
}

// Every task of `sweep` through the runner into `sink`.
void run_all(const app::Sweep& sweep, app::UnitRunner& runner, sched::ResultSink& sink) {
  const std::atomic<bool> never{false};
  for (const auto& unit : app::work_units(sweep, std::vector<bool>(sweep.table->size(), true)))
    sink.accept(runner(unit, never));
}

const std::uint8_t done = static_cast<std::uint8_t>(grid::TaskStatus::done);

}  // namespace

TEST_CASE("the file's columns hold every cell's at its longest", "[app][columns]") {
  const app::Sweep sweep = toy_sweep("n = 2,4\nseed = 0..2\n");
  const grid::ColumnSet& set = sweep.columns;
  REQUIRE(set.dimensions().size() == 3);
  CHECK(set.dimensions()[0].name == "step");
  CHECK(set.dimensions()[0].length == 4);
  CHECK(set.dimensions()[1].length == 4);  // row
  CHECK(set.dimensions()[2].length == 2);  // col
  CHECK(set[*set.find("gram")].length() == 8);
  CHECK(set.theory_count() == 1);
  CHECK(set.text_count() == 1);
}

TEST_CASE("runner and sink: rows by id, padding, counts, texts, per-task theory",
          "[app][io][columns]") {
  const app::Sweep sweep = toy_sweep("n = 2,4\nseed = 0..2\n");
  const toy::ScratchDir dir;
  const std::string path = dir.file("toy.h5");
  io::create(path, *sweep.table, app::file_layout(sweep), {"test", "host", "", "now", 1});
  io::ResultsFile file(path, io::ResultsFile::Access::serial_write);
  CHECK(file.result_columns().same_layout(sweep.columns));
  const int run = file.begin_run({"now", "host", "", "test", "serial", 1});
  sched::Options options;
  options.flush_seconds = 1e9;  // commits only when asked
  app::FileSink sink(&file, run, options);
  app::UnitRunner runner(sweep, 0);
  run_all(sweep, runner, sink);
  // A pending record (an abandoned task) is never committed.
  grid::TaskRecord abandoned;
  abandoned.task = 0;
  abandoned.row = sweep.columns.row();
  sink.accept({abandoned});
  for (const auto s : file.read_status()) CHECK(s == 0);  // buffered so far
  sink.flush();
  CHECK(sink.committed() == 6);

  const auto status = file.read_status();
  const auto n = file.read_numbers("n"), seed = file.read_numbers("seed");
  const auto value = file.read_numbers("value"), theory = file.read_numbers("theory_value");
  const auto kind = file.read_numbers("theory_value_kind"), twice = file.read_numbers("twice_n");
  const auto trace = file.read_curve("trace"), gram = file.read_curve("gram");
  const auto steps = file.read_numbers("step_count"), rows = file.read_numbers("row_count"),
             cols = file.read_numbers("col_count");
  const auto digits = file.read_strings("digits");
  const auto attempts = file.read_numbers("attempts"), runs = file.read_numbers("run");
  for (std::size_t t = 0; t < 6; ++t) {
    INFO("task " << t);
    CHECK(status[t] == done);
    CHECK(value[t] == seed[t] + n[t]);
    CHECK(twice[t] == 2 * n[t]);
    const bool odd = static_cast<int>(seed[t]) % 2 == 1;
    CHECK(theory[t] == (odd ? seed[t] + n[t] : n[t]));
    CHECK(kind[t] == static_cast<double>(odd ? grid::TheoryKind::exact : grid::TheoryKind::lo));
    CHECK(steps[t] == n[t]);
    CHECK(rows[t] == n[t]);
    CHECK(cols[t] == 2);
    for (std::size_t k = 0; k < 4; ++k) {
      const bool used = static_cast<double>(k) < n[t];
      CHECK((used ? trace[t][k] == static_cast<double>(k) : std::isnan(trace[t][k])));
      for (std::size_t j = 0; j < 2; ++j)
        CHECK((used ? gram[t][k * 2 + j] == static_cast<double>(10 * k + j)
                    : std::isnan(gram[t][k * 2 + j])));
    }
    CHECK(digits[t] == std::to_string(static_cast<int>(seed[t] * n[t])));
    CHECK(attempts[t] == 1);
    CHECK(runs[t] == run);
  }

  // read_records gives back the rows as committed, bit for bit.
  const auto records = file.read_records({1, 4});
  REQUIRE(records.size() == 2);
  for (const auto& r : records) {
    CHECK(r.status == done);
    CHECK(r.row.data().texts[0] == digits[r.task]);
    CHECK(r.row.data().counts[0] == static_cast<std::int32_t>(n[r.task]));
    CHECK(r.row.number("value") == value[r.task]);
  }
}

TEST_CASE("a failed task keeps its theory and loses its measurements", "[app][columns]") {
  const app::Sweep sweep = toy_sweep("n = 3\nseed = 0..3\n");
  ::setenv("NNSWEEP_FAIL_TASKS", "1", 1);
  app::UnitRunner runner(sweep, 0);
  ::unsetenv("NNSWEEP_FAIL_TASKS");
  const std::atomic<bool> never{false};
  const auto records = runner({0, 4, 4.0}, never);
  REQUIRE(records.size() == 4);
  const auto& failed = records[1];
  CHECK(failed.status == static_cast<std::uint8_t>(grid::TaskStatus::failed));
  CHECK(failed.error.find("injected") != std::string::npos);
  CHECK(std::isnan(failed.row.number("value")));
  CHECK(std::isnan(failed.row.number("trace", 0)));
  CHECK(failed.row.data().texts[0].empty());
  // The cell's theory (the kernel's own value for seed 1 is gone with its measurements).
  CHECK(failed.row.number("theory_value") == 3);
  CHECK(failed.row.data().theory_kinds[0] == static_cast<std::uint8_t>(grid::TheoryKind::lo));
  CHECK(failed.row.number("twice_n") == 6);
  CHECK(records[3].row.number("theory_value") == 6);  // seed 3: the kernel's
  CHECK(records[0].row.number("value") == 3);
}

TEST_CASE("save_weights: a spec switch that adds the weights column", "[app][columns]") {
  const app::Sweep plain = toy_sweep("n = 2,3\nseed = 0..1\n");
  CHECK_FALSE(plain.columns.find("weights"));
  const app::Sweep saving =
      app::load_sweep(toy::experiment(),
                      config::read_spec_text("experiment = toy\n[params]\nn = 2,3\nseed = 0..1\n",
                                             "test", {"save_weights=true"}));
  CHECK(saving.spec.save_weights);
  // Stored in /spec (so a resume compares it), only when set: older specs read the same.
  const auto& schema = toy::experiment().schema();
  CHECK(saving.spec.canonical_text(schema).find("save_weights = true\n") != std::string::npos);
  CHECK(plain.spec.canonical_text(schema).find("save_weights") == std::string::npos);
  CHECK(config::differing_keys(plain.spec, saving.spec, schema) ==
        std::vector<std::string>{"save_weights"});
  REQUIRE(saving.columns.find("weights"));
  CHECK(saving.columns[*saving.columns.find("weights")].dims[0].name == "parameter");
  CHECK(saving.columns[*saving.columns.find("weights")].length() == 4);  // n + 1 at n = 3
  app::UnitRunner runner(saving, 0);
  const std::atomic<bool> never{false};
  const auto records = runner({0, 2, 2.0}, never);  // n = 2, seeds 0 and 1
  for (std::size_t k = 0; k < 3; ++k) CHECK(records[1].row.number("weights", k) == k + 1.0);
  CHECK(std::isnan(records[1].row.number("weights", 3)));  // padding to n = 3's length
  CHECK(records[1].row.data().counts[saving.columns.dimension_index("parameter")] == 3);
  // An experiment without weights refuses the switch (one line: key, value, fix).
  CHECK_THROWS_WITH(
      app::load_sweep_text("experiment = correlations\n", "spec", {"save_weights=true"}),
      Catch::Contains("save_weights = true: correlations has no weights to save"));
  CHECK_THROWS_WITH(
      app::load_sweep_text("experiment = correlations\n", "spec", {"save_weights=yes"}),
      Catch::Contains("save_weights = yes: not true or false"));
}
