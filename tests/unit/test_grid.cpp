#include <catch2/catch.hpp>
#include <set>

#include "nnsweep/core/error.hpp"
#include "nnsweep/grid/task_table.hpp"
#include "test_schema.hpp"

using namespace nnsweep;

namespace {
grid::TaskTable table(const std::string& params, grid::TaskTable::Resolver resolver = {}) {
  static std::vector<config::SweepSpec> keep;  // the table refers to the schema only
  const auto spec = config::resolve(
      config::read_spec_text("experiment = demo\n[params]\n" + params, "t", {}), test_schema());
  return grid::TaskTable("demo", test_schema(), spec, std::move(resolver));
}
}  // namespace

TEST_CASE("tasks enumerate the product in schema order with seed innermost", "[grid]") {
  const auto t = table("width = 8,16\ndepth = 1,2,3\nseed = 0..3\n");
  REQUIRE(t.size() == 24);
  CHECK(t.seeds_per_cell() == 4);
  CHECK(t.cell_count() == 6);
  // task 0: width 8 depth 1 seed 0; task 5: width 8 depth 2 seed 1; task 23: width 16 depth 3 seed
  // 3
  CHECK(t.params(0).integer("width") == 8);
  CHECK(t.params(5).integer("depth") == 2);
  CHECK(t.params(5).integer("seed") == 1);
  CHECK(t.params(23).integer("width") == 16);
  CHECK(t.params(23).integer("depth") == 3);
  CHECK(t.params(23).integer("seed") == 3);
  CHECK(t.cell_of(23) == 5);
}

TEST_CASE("task keys are stable, distinct and depend on resolved values", "[grid]") {
  const auto t = table("width = 8,16\ndepth = 1,2\nseed = 0,1\n");
  std::set<std::uint64_t> keys;
  for (std::size_t i = 0; i < t.size(); ++i) keys.insert(grid::task_key("demo", t.params(i)));
  CHECK(keys.size() == t.size());
  // A golden value: changing how keys are computed would orphan every existing results file.
  CHECK(grid::hash64("experiment=demo;") == 0x814086fc8248dff7ULL);
  const auto resolved = table("seed = 0\n", [](config::ParamSet& p) {
    if (p.is_auto("cw")) p.set("cw", 2.0);
    if (p.is_auto("widths")) p.set("widths", std::string("32/32/32/32"));
  });
  const auto explicit_cw = table("seed = 0\ncw = 2\nwidths = 32/32/32/32\n");
  CHECK(grid::task_key("demo", resolved.params(0)) ==
        grid::task_key("demo", explicit_cw.params(0)));
}

TEST_CASE("validate surfaces resolver errors with the grid point", "[grid]") {
  const auto t = table("width = 8,16\n", [](config::ParamSet& p) {
    if (p.integer("width") > 8) throw config_error("width too large");
  });
  CHECK_THROWS_WITH(t.validate(), Catch::Contains("grid point 1: width too large"));
}
