// The column description and rows: layout, typed ids, the companions' names, the checks on a
// declaration, widening to the grid's longest, and copying a cell's row into the file's shape
// (arrays element by element, NaN padding, counts by dimension).
#include <catch2/catch.hpp>
#include <cmath>

#include "nnsweep/core/error.hpp"
#include "nnsweep/grid/columns.hpp"

using namespace nnsweep;
using namespace nnsweep::grid;

namespace {

struct Ids {
  ScalarId m;
  CurveId c;
  ArrayId a;
  TextId t;
  TheoryId th;
  ScalarId d;
};

Ids declare(ColumnSet& set, std::size_t n) {
  Ids ids;
  ids.m = set.metric("m", "1", "", "a metric");
  ids.c = set.curve("c", {"step", n}, "1", "", "a curve");
  ids.a = set.array("a", {"row", n}, {"col", 2}, "1", "", "an array");
  ids.t = set.text("t", 6, "", "text");
  ids.th = set.theory("theory_T", "m", "1", "", "a prediction");
  ids.d = set.derived("d", "1", "", "derived");
  return ids;
}

}  // namespace

TEST_CASE("a column set lays out a row and gives typed ids", "[columns]") {
  ColumnSet set;
  const Ids ids = declare(set, 3);
  CHECK(set.size() == 6);
  CHECK(set.number_count() == 1 + 3 + 6 + 1 + 1);
  CHECK(set.text_count() == 1);
  CHECK(set.theory_count() == 1);
  REQUIRE(set.dimensions().size() == 3);
  CHECK(set.dimension_index("col") == 2);
  CHECK(ColumnSet::kind_column("theory_T") == "theory_T_kind");
  CHECK(ColumnSet::count_column("step") == "step_count");

  Row row = set.row();
  CHECK(std::isnan(row.get(ids.m)));
  row.set(ids.m, 1.5);
  row.curve(ids.c)[2] = 7;
  row.array(ids.a)(1, 1) = 9;
  row.set_text(ids.t, "123456");
  row.set_theory(ids.th, 2.5, TheoryKind::nlo);
  CHECK(row.get(ids.m) == 1.5);
  CHECK(row.number("c", 2) == 7);
  CHECK(row.number("a", 1 * 2 + 1) == 9);
  CHECK(row.text(ids.t) == "123456");
  CHECK(row.theory(ids.th) == 2.5);
  CHECK(row.theory_kind(ids.th) == TheoryKind::nlo);
  row.set_theory(ids.th, std::nan(""), TheoryKind::exact);  // no value, no kind
  CHECK(row.theory_kind(ids.th) == TheoryKind::none);
  CHECK(row.assigned(ids.m.index));
  CHECK_FALSE(row.assigned(ids.d.index));
  CHECK(row.data().counts == std::vector<std::int32_t>{3, 3, 2});
  // Misuse is an internal error, not a silent write.
  CHECK_THROWS_AS(row.set_text(ids.t, "1234567"), error);
  CHECK_THROWS_AS(row.set(ScalarId{ids.c.index}, 1.0), error);   // a curve is not a scalar
  CHECK_THROWS_AS(row.set(ScalarId{ids.th.index}, 1.0), error);  // theory needs its kind
  CHECK_THROWS_AS(row.set(ScalarId{99}, 1.0), error);
  CHECK_THROWS_AS(Row().columns(), error);
}

TEST_CASE("a declaration is checked: names, dimensions, text kinds", "[columns]") {
  ColumnSet set;
  declare(set, 3);
  CHECK_THROWS_AS(set.metric("m", "1", "", ""), error);              // twice
  CHECK_THROWS_AS(set.metric("theory_T_kind", "1", "", ""), error);  // a companion's name
  CHECK_THROWS_AS(set.metric("step_count", "1", "", ""), error);
  CHECK_THROWS_AS(set.metric("step", "1", "", ""), error);  // a dimension's name
  CHECK_THROWS_AS(set.metric("task", "1", "", ""), error);
  CHECK_THROWS_AS(set.metric("bad name", "1", "", ""), error);
  CHECK_THROWS_AS(set.curve("c2", {"step", 4}, "1", "", ""), error);  // step has length 3 here
  CHECK_NOTHROW(set.curve("c3", {"step", 3}, "1", "", ""));
  CHECK_THROWS_AS(set.array("sq", {"k", 2}, {"k", 2}, "1", "", ""), error);
  CHECK_THROWS_AS(set.text("x", 3, "", "", ColumnKind::metadata), error);
  CHECK_FALSE(set.weights(10, "w"));  // save_weights off: no column
  ColumnSet saving(ColumnOptions{true});
  const CurveId w = saving.weights(10, "w");
  CHECK(w);
  CHECK(saving[w.index].dims[0].name == "parameter");
}

TEST_CASE("widening to the grid's longest, and a cell's row copied into it", "[columns]") {
  ColumnSet small, large;
  const Ids ids = declare(small, 2);
  declare(large, 4);
  ColumnSet file = small;
  file.widen(large);
  CHECK(file[ids.c.index].dims[0].length == 4);
  CHECK(file.number_count() == large.number_count());
  CHECK(file.same_layout(large));
  CHECK_FALSE(file.same_layout(small));
  ColumnSet other;
  other.metric("m", "1", "", "");
  CHECK_THROWS_AS(file.widen(other), error);

  Row cell = small.row();
  cell.set(ids.m, 1);
  cell.curve(ids.c)[0] = 10;
  cell.curve(ids.c)[1] = 11;
  auto a = cell.array(ids.a);
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 2; ++j) a(i, j) = static_cast<double>(10 * i + j);
  cell.set_text(ids.t, "ab");
  cell.set_theory(ids.th, 3, TheoryKind::exact);
  Row out = file.row();
  for (std::size_t c = 0; c < file.size(); ++c) out.copy_column(cell, c);
  out.copy_counts(cell);
  CHECK(out.number("c", 1) == 11);
  CHECK(std::isnan(out.number("c", 2)));
  const auto b = static_cast<const Row&>(out).array(ArrayId{ids.a.index});
  CHECK(b.rows() == 4);
  CHECK(b(1, 0) == 10);  // element by element, not the flat copy
  CHECK(b(1, 1) == 11);
  CHECK(std::isnan(b(2, 0)));
  CHECK(out.text(ids.t) == "ab");
  CHECK(out.theory_kind(ids.th) == TheoryKind::exact);
  CHECK(out.data().counts == std::vector<std::int32_t>{2, 2, 2});
  CHECK(out.assigned(ids.th.index));
  CHECK_FALSE(out.assigned(ids.d.index));
  // The stored columns give back the same layout.
  CHECK(ColumnSet(file.columns()).same_layout(file));
}
