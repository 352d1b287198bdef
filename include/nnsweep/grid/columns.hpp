#pragma once
// The result columns of a sweep and the row of one task: one description for the experiments
// that declare columns and the io module that writes them. An experiment declares its columns
// once per grid cell on a ColumnSet — metrics, curves, 2-D arrays, text, theory and derived
// columns — and gets a typed id for each; its kernel and its theory fill a Row by those ids,
// never by position. Sizes may differ between cells (a curve's length with the epochs, a matrix
// with the width): the file holds each dimension at its largest over the grid, NaN-padded, and
// stores every task's used length of each dimension in `<dim>_count` (docs/results-file.md).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nnsweep::grid {

// What a column holds; stored as the dataset's `kind` attribute (kind_name).
enum class ColumnKind : std::uint8_t {
  parameter,    // an experiment parameter (written when the file is created)
  metric,       // measured by the kernel
  theory,       // a prediction, from the parameters or from the task's own data
  derived,      // another function of the parameters worth a column (e.g. L/n)
  metadata,     // bookkeeping: status, rank, run, ...
  dimension,    // a dimension scale: task, run, a curve's points
  theory_kind,  // `<theory>_kind`: how good each task's theory value is (TheoryKind)
  count,        // `<dim>_count`: each task's used length of a dimension
};
std::string_view kind_name(ColumnKind kind);
// Throws nnsweep::error for a name kind_name never gives.
ColumnKind parse_kind(std::string_view name);

enum class ColumnType : std::uint8_t { float64, int64, uint64, int32, uint8, string };

// How good a theory value is, per task (stored in `<theory>_kind`, uint8, CF flag attributes).
enum class TheoryKind : std::uint8_t {
  none = 0,       // no prediction: the value is NaN
  exact = 1,      // exact (to rounding)
  nlo = 2,        // next-to-leading order of an expansion (e.g. in 1/width)
  lo = 3,         // leading order of an expansion
  bound = 4,      // a bound, not an estimate
  numerical = 5,  // a numerical solution, to the solver's tolerance
};
inline constexpr int theory_kind_count = 6;
std::string_view theory_kind_name(TheoryKind kind);
// "none exact nlo lo bound numerical": flag_meanings of a `<theory>_kind` column.
std::string theory_kind_meanings();

// A dimension of a curve or an array besides `task`: its name (its scale in the file) and its
// length in this cell.
struct Dimension {
  std::string name;
  std::size_t length = 0;
};

// One column of the results file: parameters, metadata and results alike.
struct Column {
  std::string name;  // dataset name: the same word as in the code, the spec and the docs
  std::string units = "1";
  std::string long_name;    // short human label (plots, tables)
  std::string description;  // one line
  ColumnKind kind = ColumnKind::metric;
  ColumnType type = ColumnType::float64;
  std::vector<Dimension> dims;  // after `task`: none (a value per task), one (a curve), two
  std::size_t string_size = 0;  // bytes of a fixed-length string column
  std::string predicts;         // a theory column: the metric it predicts ("" if none)

  std::size_t length() const;  // values per task: the product of the dims (1 for a scalar)
  bool is_text() const { return type == ColumnType::string; }
};

// A column's position in its ColumnSet, typed by what the Row may do with it.
template <typename Tag>
struct ColumnId {
  static constexpr std::size_t none = static_cast<std::size_t>(-1);
  std::size_t index = none;
  explicit operator bool() const { return index != none; }
};
struct ScalarTag {};
struct CurveTag {};
struct ArrayTag {};
struct TextTag {};
struct TheoryTag {};
using ScalarId = ColumnId<ScalarTag>;  // a metric or derived value per task
using CurveId = ColumnId<CurveTag>;    // (task, point)
using ArrayId = ColumnId<ArrayTag>;    // (task, i, j)
using TextId = ColumnId<TextTag>;      // a fixed-length string per task
using TheoryId = ColumnId<TheoryTag>;  // a prediction per task, with its TheoryKind

// Sweep-wide switches that add columns (spec keys, stored in /spec).
struct ColumnOptions {
  bool save_weights = false;  // training experiments add `weights`: the final parameters
};

class Row;

// The columns of one cell, declared in order. Names are unique (including the implied
// `<theory>_kind` and `<dim>_count` companions); a dimension has one length within a set.
class ColumnSet {
 public:
  explicit ColumnSet(ColumnOptions options = {});
  // Stored columns (the reader's side): the same layout as the set that declared them.
  explicit ColumnSet(const std::vector<Column>& columns);

  ScalarId metric(std::string name, std::string units, std::string long_name,
                  std::string description);
  CurveId curve(std::string name, Dimension points, std::string units, std::string long_name,
                std::string description);
  ArrayId array(std::string name, Dimension rows, Dimension cols, std::string units,
                std::string long_name, std::string description);
  // Fixed-length text of at most `bytes` per task (e.g. an exact big integer); `kind` metric,
  // theory or derived.
  TextId text(std::string name, std::size_t bytes, std::string long_name, std::string description,
              ColumnKind kind = ColumnKind::metric);
  // A prediction of metric `predicts` ("" if it predicts no column), with a kind per task.
  TheoryId theory(std::string name, std::string predicts, std::string units, std::string long_name,
                  std::string description);
  ScalarId derived(std::string name, std::string units, std::string long_name,
                   std::string description);
  // With save_weights: `weights` over the dimension `parameter` (`count` entries, the network's
  // parameters in the kernel's documented order); an id that is false otherwise.
  CurveId weights(std::size_t count, const std::string& description);

  const ColumnOptions& options() const { return options_; }
  const std::vector<Column>& columns() const { return columns_; }
  std::size_t size() const { return columns_.size(); }
  const Column& operator[](std::size_t i) const { return columns_[i]; }
  std::optional<std::size_t> find(std::string_view name) const;
  // The distinct dimensions, in order of first use.
  const std::vector<Dimension>& dimensions() const { return dimensions_; }

  // Names of the implied companions.
  static std::string kind_column(const std::string& theory) { return theory + "_kind"; }
  static std::string count_column(const std::string& dimension) { return dimension + "_count"; }

  // The layout of a row: float64 columns in order, each at its length (arrays row-major); text
  // columns in order; theory columns' kinds in order; one count per dimension.
  std::size_t number_count() const { return numbers_; }
  std::size_t text_count() const { return texts_; }
  std::size_t theory_count() const { return theories_; }
  std::size_t number_offset(std::size_t column) const { return slots_[column].number; }
  std::size_t text_index(std::size_t column) const { return slots_[column].text; }
  std::size_t theory_index(std::size_t column) const { return slots_[column].theory; }
  std::size_t dimension_index(std::string_view name) const;

  // A row of this set: NaN, empty text, theory kind none, nothing assigned; counts = this set's
  // dimension lengths.
  Row row() const;

  // Same columns (names, kinds, types, order), dimensions and string sizes.
  bool same_layout(const ColumnSet& other) const;
  // Widens this set to hold `other` (another cell's declaration of the same columns): each
  // dimension and string at the longer of the two. Throws nnsweep::error ("internal: ...") when
  // the two declare different columns.
  void widen(const ColumnSet& other);

 private:
  struct Slot {
    std::size_t number = 0, text = 0, theory = 0;
  };
  std::size_t add(Column column);
  void layout();

  ColumnOptions options_;
  std::vector<Column> columns_;
  std::vector<Slot> slots_;
  std::vector<Dimension> dimensions_;
  std::size_t numbers_ = 0, texts_ = 0, theories_ = 0;
  mutable std::shared_ptr<const ColumnSet> frozen_;  // what rows point to (made once)
};

// The values of a row as stored and sent between ranks (layout: ColumnSet).
struct RowData {
  std::vector<double> numbers;
  std::vector<std::string> texts;
  std::vector<std::uint8_t> theory_kinds;  // TheoryKind
  std::vector<std::int32_t> counts;        // per dimension of the set
};

// A contiguous range of values (C++17 has no std::span).
template <typename T>
class Span {
 public:
  Span(T* data, std::size_t size) : data_(data), size_(size) {}
  T* data() const { return data_; }
  std::size_t size() const { return size_; }
  T* begin() const { return data_; }
  T* end() const { return data_ + size_; }
  T& operator[](std::size_t i) const { return data_[i]; }

 private:
  T* data_;
  std::size_t size_;
};

// A 2-D array of one task, row-major.
template <typename T>
class ArrayRef {
 public:
  ArrayRef(T* data, std::size_t rows, std::size_t cols) : data_(data), rows_(rows), cols_(cols) {}
  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  T* data() const { return data_; }
  T& operator()(std::size_t i, std::size_t j) const { return data_[i * cols_ + j]; }

 private:
  T* data_;
  std::size_t rows_, cols_;
};

// The values of one task, filled by id. Rows of one set share its (frozen) layout.
class Row {
 public:
  Row() = default;  // no columns (e.g. a result that never ran)
  explicit Row(std::shared_ptr<const ColumnSet> columns);

  bool empty() const { return columns_ == nullptr; }
  const ColumnSet& columns() const;

  void set(ScalarId id, double value);
  double get(ScalarId id) const;
  Span<double> curve(CurveId id);
  Span<const double> curve(CurveId id) const;
  ArrayRef<double> array(ArrayId id);
  ArrayRef<const double> array(ArrayId id) const;
  // Throws nnsweep::error when `value` is longer than the column's bytes.
  void set_text(TextId id, std::string value);
  const std::string& text(TextId id) const;
  void set_theory(TheoryId id, double value, TheoryKind kind);
  double theory(TheoryId id) const;
  TheoryKind theory_kind(TheoryId id) const;

  // Any float64 column by name (tests, tools): element `index` of its values.
  double number(std::string_view column, std::size_t index = 0) const;
  // Whether column `column` was set (or copied) since the row was made.
  bool assigned(std::size_t column) const { return assigned_.at(column) != 0; }

  // Column `column` of `from`, a row of a set that declares the same column (its dimensions and
  // string may be shorter): values copied element by element, the rest NaN (or empty).
  void copy_column(const Row& from, std::size_t column);
  // The used lengths of `from`'s dimensions (by name).
  void copy_counts(const Row& from);

  RowData& data() { return data_; }
  const RowData& data() const { return data_; }

 private:
  std::size_t checked(std::size_t index, const char* what, bool ok) const;
  std::shared_ptr<const ColumnSet> columns_;
  RowData data_;
  std::vector<std::uint8_t> assigned_;
};

}  // namespace nnsweep::grid
