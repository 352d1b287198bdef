#pragma once
// A small experiment of the tests' own (not registered) that uses every kind of column: a metric
// with its standard error, a curve and a 2-D array whose sizes follow the parameter n, text, a
// theory column that the kernel overrides for odd seeds, and a derived column; `copy` is a
// replicate axis beside `seed`. Its numbers are
// simple functions of (n, seed), so a test can predict every value in the file. And a scratch
// directory for files.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "nnsweep/experiments/experiment.hpp"

namespace toy {

using namespace nnsweep;

struct Columns {
  grid::ScalarId value, value_sem;
  grid::CurveId trace;
  grid::ArrayId gram;
  grid::TextId digits;
  grid::TheoryId theory_value;
  grid::ScalarId twice_n;
  grid::CurveId weights;  // with save_weights: n + 1 "parameters" k + seed
};

inline Columns declare(const config::ParamSet& params, grid::ColumnSet& set) {
  const auto n = static_cast<std::size_t>(params.integer("n"));
  Columns ids;
  ids.value = set.metric("value", "1", "value", "seed + n");
  ids.value_sem = set.metric("value_sem", "1", "sem of value", "0.5");
  ids.trace = set.curve("trace", {"step", n}, "1", "trace", "k at step k");
  ids.gram = set.array("gram", {"row", n}, {"col", 2}, "1", "gram", "10 i + j");
  ids.digits = set.text("digits", 12, "digits", "seed * n in decimal");
  ids.theory_value = set.theory("theory_value", "value", "1", "value (theory)",
                                "n (leading order); seed + n (exact) for odd seeds");
  ids.twice_n = set.derived("twice_n", "1", "2n", "2 n");
  ids.weights = set.weights(n + 1, "k + seed");
  return ids;
}

class Toy final : public experiments::Experiment {
 public:
  std::string_view name() const override { return "toy"; }
  std::string_view summary() const override { return "a test experiment"; }
  const config::Schema& schema() const override { return schema_; }
  double cost(const config::ParamSet& params) const override {
    return static_cast<double>(params.integer("n"));
  }
  void columns(const config::ParamSet& params, grid::ColumnSet& set) const override {
    declare(params, set);
  }
  std::size_t preferred_pack(const config::ParamSet&) const override { return 2; }
  std::vector<experiments::TaskResult> run(const experiments::Cell& cell,
                                           const std::vector<experiments::Replica>& replicas,
                                           const experiments::RunOptions&) const override {
    grid::ColumnSet set(cell.options);
    const Columns ids = declare(cell.params, set);
    const auto n = cell.params.integer("n");
    std::vector<experiments::TaskResult> out;
    for (const auto& replica : replicas) {
      experiments::TaskResult r;
      r.row = set.row();
      r.row.set(ids.value, static_cast<double>(replica.seed + n));
      r.row.set(ids.value_sem, 0.5);
      auto trace = r.row.curve(ids.trace);
      for (std::size_t k = 0; k < trace.size(); ++k) trace[k] = static_cast<double>(k);
      auto gram = r.row.array(ids.gram);
      for (std::size_t i = 0; i < gram.rows(); ++i)
        for (std::size_t j = 0; j < gram.cols(); ++j) gram(i, j) = static_cast<double>(10 * i + j);
      r.row.set_text(ids.digits, std::to_string(replica.seed * n));
      if (ids.weights) {
        auto w = r.row.curve(ids.weights);
        for (std::size_t k = 0; k < w.size(); ++k) w[k] = static_cast<double>(k + replica.seed);
      }
      if (replica.seed % 2 == 1)
        r.row.set_theory(ids.theory_value, static_cast<double>(replica.seed + n),
                         grid::TheoryKind::exact);
      out.push_back(std::move(r));
    }
    return out;
  }
  std::vector<std::string> replicates() const override { return {"seed", "copy"}; }
  void theory(const experiments::Cell& cell, grid::Row& row) const override {
    grid::ColumnSet set(cell.options);
    const Columns ids = declare(cell.params, set);
    const auto n = static_cast<double>(cell.params.integer("n"));
    row.set_theory(ids.theory_value, n, grid::TheoryKind::lo);
    row.set(ids.twice_n, 2 * n);
  }

 private:
  config::Schema schema_{{
      {"n", config::ParamType::integer, "3", "1", "sizes", 1, 100, {}, false},
      {"copy", config::ParamType::integer, "0", "1", "a second replicate axis", 0, 100, {}, false},
  }};
};

inline const Toy& experiment() {
  static const Toy toy;
  return toy;
}

// A fresh directory, removed with everything in it at the end of the scope.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "nnsweep-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace toy
