// The correlations plug-in: schema, resolution of "auto", columns, theory columns, cost model and
// run() through the Experiment interface.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "correlations_test_support.hpp"
#include "nnsweep/core/error.hpp"

using namespace correlations_test;
using nnsweep::config::ParamSet;
using nnsweep::grid::ColumnKind;
using nnsweep::grid::ColumnSet;
using nnsweep::grid::TheoryKind;
namespace experiments = nnsweep::experiments;

namespace {

const experiments::Experiment& experiment() {
  return experiments::correlations_experiment();
}

ColumnSet columns_of(const ParamSet& params) {
  ColumnSet columns;
  experiment().columns(params, columns);
  return columns;
}

// The cell's theory row (theory() fills it by id).
nnsweep::grid::Row theory_row(const ParamSet& params) {
  nnsweep::grid::Row row = columns_of(params).row();
  experiment().theory({params, {}}, row);
  return row;
}

double theory_value(const ParamSet& params, const std::string& name) {
  return theory_row(params).number(name);
}

TheoryKind theory_kind(const ParamSet& params, const std::string& name) {
  const auto row = theory_row(params);
  const ColumnSet& columns = row.columns();
  return static_cast<TheoryKind>(
      row.data().theory_kinds.at(columns.theory_index(*columns.find(name))));
}

}  // namespace

TEST_CASE("correlations is registered with the documented parameters", "[correlations]") {
  CHECK(&experiments::find("correlations") == &experiment());
  const std::vector<std::string> expected = {
      "activation", "alpha",   "width", "depth",   "widths",  "cw",        "cb",
      "n0",         "x_norm2", "n_out", "samples", "sampler", "precision", "seed"};
  CHECK(experiment().schema().names() == expected);
  for (const auto& spec : experiment().schema().params()) {
    INFO(spec.name);
    CHECK(!spec.help.empty());
    CHECK((spec.type == nnsweep::config::ParamType::choice || !spec.unit.empty()));
  }
  CHECK_THROWS_AS(with({{"activation", "sigmoid"}}), nnsweep::config_error);
  CHECK_THROWS_AS(with({{"samples", "1"}}), nnsweep::config_error);
}

TEST_CASE("resolve fills auto values and derives depth and width from a widths list",
          "[correlations]") {
  const ParamSet list = with({{"widths", "32/64/16"}, {"depth", "9"}});
  CHECK(list.integer("depth") == 3);
  CHECK(list.integer("width") == 16);
  CHECK(nnsweep::experiments::correlations::problem_of(list).widths ==
        std::vector<std::int64_t>{32, 64, 16});
  const ParamSet uniform = with({{"width", "8"}, {"depth", "5"}});
  CHECK(nnsweep::experiments::correlations::problem_of(uniform).widths ==
        std::vector<std::int64_t>(5, 8));
  CHECK(uniform.real("x_norm2") == 4);
  CHECK(with({{"n0", "7"}}).real("x_norm2") == 7);
  CHECK(with({{"x_norm2", "2.5"}}).real("x_norm2") == 2.5);
  CHECK(with({}).real("cw") == 2);
  CHECK(with({{"activation", "leaky_relu"}, {"alpha", "0.5"}}).real("cw") == Approx(1.6));
  CHECK(with({{"activation", "tanh"}}).real("cw") == 1);
  CHECK(with({{"activation", "linear"}}).real("cw") == 1);
  CHECK(with({{"activation", "erf"}}).real("cw") == Approx(0.7853981633974483));
  CHECK(with({{"activation", "gelu"}}).real("cw") == 2);
  CHECK(with({{"activation", "tanh"}, {"cw", "1.5"}}).real("cw") == 1.5);
}

TEST_CASE("columns: metrics with standard errors, l_over_n, the theory columns, the max shares",
          "[correlations]") {
  const ColumnSet columns = columns_of(with({}));
  const std::vector<std::string> metrics = {"k2",  "r4",  "kappa4", "z4_ratio", "corr22",
                                            "dz2", "rv4", "g2",     "g4_ratio"};
  REQUIRE(columns.size() == 2 * metrics.size() + 1 + 2 * metrics.size());
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    CHECK(columns[2 * i].name == metrics[i]);
    CHECK(columns[2 * i + 1].name == metrics[i] + "_sem");
    CHECK(columns[2 * i].kind == ColumnKind::metric);
    const auto& theory = columns[1 + 2 * metrics.size() + i];
    CHECK(theory.name == "theory_" + metrics[i]);
    CHECK(theory.kind == ColumnKind::theory);
    CHECK(theory.predicts == metrics[i]);
    const auto& share = columns[1 + 3 * metrics.size() + i];
    CHECK(share.name == metrics[i] + "_max_share");
    CHECK(share.kind == ColumnKind::metric);
  }
  CHECK(columns[2 * metrics.size()].name == "l_over_n");
  CHECK(columns[2 * metrics.size()].kind == ColumnKind::derived);
  CHECK(columns.theory_count() == metrics.size());
  CHECK(columns.dimensions().empty());
}

TEST_CASE("theory columns: exact for homogeneous activations, leading order otherwise",
          "[correlations]") {
  const ParamSet relu = with({{"widths", "32/32/32/32"}, {"n_out", "2"}});
  CHECK(theory_value(relu, "l_over_n") == Approx(4.0 / 32));
  CHECK(theory_value(relu, "theory_k2") == Approx(2));
  CHECK(theory_value(relu, "theory_r4") == Approx(1.787339).epsilon(1e-6));
  CHECK(theory_value(relu, "theory_z4_ratio") == Approx(1.787339).epsilon(1e-6));
  CHECK(theory_value(relu, "theory_corr22") == Approx(0.787339).epsilon(1e-6));
  CHECK(theory_value(relu, "theory_g4_ratio") == Approx(2.68101).epsilon(1e-5));
  CHECK(theory_value(relu, "theory_dz2") == Approx(0.5));
  for (const char* name : {"theory_k2", "theory_r4", "theory_corr22", "theory_g4_ratio"})
    CHECK(theory_kind(relu, name) == TheoryKind::exact);
  for (const char* activation : {"leaky_relu", "linear"})
    CHECK(theory_kind(with({{"activation", activation}}), "theory_kappa4") == TheoryKind::exact);
  CHECK(std::isnan(theory_value(with({}), "theory_corr22")));  // n_out = 1
  CHECK(theory_kind(with({}), "theory_corr22") == TheoryKind::none);
  const ParamSet tanh = with({{"activation", "tanh"}, {"width", "64"}, {"depth", "4"}});
  CHECK(theory_value(tanh, "theory_kappa4") == Approx(0.03763).margin(5e-5));
  CHECK(theory_value(tanh, "theory_k2") == Approx(0.12684).margin(5e-5));
  // k2 carries the 1/n correction (EXPERIMENTS.md §1: K_LO = 0.12790 is excluded); the cumulant
  // ratios are the leading O(1/n) terms.
  CHECK(theory_kind(tanh, "theory_k2") == TheoryKind::nlo);
  for (const char* name : {"theory_r4", "theory_kappa4", "theory_z4_ratio", "theory_dz2",
                           "theory_rv4", "theory_g2", "theory_g4_ratio"})
    CHECK(theory_kind(tanh, name) == TheoryKind::lo);
}

TEST_CASE("run() returns one result per replica, its row filled", "[correlations]") {
  const ParamSet cell = with({{"width", "16"}, {"depth", "2"}, {"samples", "500"}, {"n_out", "3"}});
  const std::vector<experiments::Replica> replicas = {{1, 100, 0, {}}, {1, 101, 1, {}}};
  const auto results = experiment().run({cell, {}}, replicas, {});
  REQUIRE(results.size() == 2);
  for (const auto& r : results) {
    CHECK(r.status == experiments::Status::done);
    REQUIRE_FALSE(r.row.empty());
    CHECK(r.row.columns().same_layout(columns_of(cell)));
    for (const char* name : {"k2", "k2_sem", "g4_ratio", "corr22"})
      CHECK(std::isfinite(r.row.number(name)));
    CHECK(std::isnan(r.row.number("theory_k2")));  // the kernel leaves theory to theory()
  }
  CHECK(results[0].row.number("k2") != results[1].row.number("k2"));
  const auto alone = experiment().run({cell, {}}, {replicas[1]}, {});
  const auto& a = alone[0].row.data().numbers;
  const auto& b = results[1].row.data().numbers;
  REQUIRE(a.size() == b.size());
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

TEST_CASE("cost model: full network ~ n^2 L, generic chain ~ n L, Wishart collapse ~ L",
          "[correlations]") {
  const auto cost = [](std::initializer_list<std::pair<const char*, const char*>> s) {
    return experiment().cost(with(s));
  };
  const double net = cost({{"sampler", "full_network"}, {"width", "256"}, {"depth", "16"}});
  CHECK(cost({{"sampler", "full_network"}, {"width", "512"}, {"depth", "16"}}) / net ==
        Approx(4).epsilon(0.05));
  const double chain = cost({{"activation", "tanh"}, {"width", "256"}, {"depth", "16"}});
  CHECK(cost({{"activation", "tanh"}, {"width", "512"}, {"depth", "16"}}) / chain ==
        Approx(2).epsilon(0.05));
  CHECK(cost({{"activation", "tanh"}, {"width", "256"}, {"depth", "32"}}) / chain ==
        Approx(2).epsilon(0.05));
  const double collapsed = cost({{"width", "256"}, {"depth", "16"}});
  CHECK(collapsed < chain / 10);
  CHECK(cost({{"width", "256"}, {"depth", "32"}}) / collapsed == Approx(2).epsilon(0.05));
  CHECK(cost({{"samples", "20000"}}) / cost({}) == Approx(2));
  CHECK(cost({{"precision", "float"}}) < cost({}));
}
