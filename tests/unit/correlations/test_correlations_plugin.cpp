// The correlations plug-in: schema, resolution of "auto", columns, theory columns, cost model and
// run() through the Experiment interface.
#include <catch2/catch.hpp>
#include <cmath>

#include "correlations_test_support.hpp"
#include "nnsweep/core/error.hpp"

using namespace correlations_test;
using nnsweep::config::ParamSet;
using nnsweep::experiments::Column;
namespace experiments = nnsweep::experiments;

namespace {

const experiments::Experiment& experiment() {
  return experiments::correlations_experiment();
}

double theory_value(const ParamSet& params, const std::string& name) {
  const auto columns = experiment().columns(params);
  const auto values = experiment().theory(params);
  std::size_t j = 0;
  for (const Column& c : columns) {
    if (c.kind == Column::Kind::metric) continue;
    if (c.name == name) return values.at(j);
    ++j;
  }
  throw std::runtime_error("no theory column " + name);
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

TEST_CASE("columns: metrics with standard errors, then l_over_n and the theory columns",
          "[correlations]") {
  const auto columns = experiment().columns(with({}));
  const std::vector<std::string> metrics = {"k2",  "r4",  "kappa4", "z4_ratio", "corr22",
                                            "dz2", "rv4", "g2",     "g4_ratio"};
  REQUIRE(columns.size() == 2 * metrics.size() + 1 + metrics.size() + 1);
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    CHECK(columns[2 * i].name == metrics[i]);
    CHECK(columns[2 * i + 1].name == metrics[i] + "_sem");
    CHECK(columns[2 * i].kind == Column::Kind::metric);
    CHECK(columns[1 + 2 * metrics.size() + i].name == "theory_" + metrics[i]);
    CHECK(columns[1 + 2 * metrics.size() + i].kind == Column::Kind::theory);
  }
  CHECK(columns[2 * metrics.size()].name == "l_over_n");
  CHECK(columns[2 * metrics.size()].kind == Column::Kind::derived);
  CHECK(columns.back().name == "theory_exact");
  CHECK(experiment().theory(with({})).size() == 1 + metrics.size() + 1);
}

TEST_CASE("theory columns: exact for homogeneous activations, leading order otherwise",
          "[correlations]") {
  const ParamSet relu = with({{"widths", "32/32/32/32"}, {"n_out", "2"}});
  CHECK(theory_value(relu, "l_over_n") == Approx(4.0 / 32));
  CHECK(theory_value(relu, "theory_exact") == 1);
  CHECK(theory_value(relu, "theory_k2") == Approx(2));
  CHECK(theory_value(relu, "theory_r4") == Approx(1.787339).epsilon(1e-6));
  CHECK(theory_value(relu, "theory_z4_ratio") == Approx(1.787339).epsilon(1e-6));
  CHECK(theory_value(relu, "theory_corr22") == Approx(0.787339).epsilon(1e-6));
  CHECK(theory_value(relu, "theory_g4_ratio") == Approx(2.68101).epsilon(1e-5));
  CHECK(theory_value(relu, "theory_dz2") == Approx(0.5));
  CHECK(std::isnan(theory_value(with({}), "theory_corr22")));  // n_out = 1
  const ParamSet tanh = with({{"activation", "tanh"}, {"width", "64"}, {"depth", "4"}});
  CHECK(theory_value(tanh, "theory_exact") == 0);
  CHECK(theory_value(tanh, "theory_kappa4") == Approx(0.03763).margin(5e-5));
  CHECK(theory_value(tanh, "theory_k2") == Approx(0.12684).margin(5e-5));
}

TEST_CASE("run() returns one result per replica with every metric column", "[correlations]") {
  const ParamSet cell = with({{"width", "16"}, {"depth", "2"}, {"samples", "500"}, {"n_out", "3"}});
  const std::vector<experiments::Replica> replicas = {{1, 100, 0}, {1, 101, 1}};
  const auto results = experiment().run(cell, replicas, {});
  REQUIRE(results.size() == 2);
  std::size_t metric_columns = 0;
  for (const Column& c : experiment().columns(cell))
    metric_columns += c.kind == Column::Kind::metric ? 1 : 0;
  for (const auto& r : results) {
    CHECK(r.status == experiments::Status::done);
    CHECK(r.values.size() == metric_columns);
  }
  CHECK(results[0].values[0] != results[1].values[0]);
  CHECK(experiment().run(cell, {replicas[1]}, {})[0].values == results[1].values);
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
