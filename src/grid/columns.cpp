#include "nnsweep/grid/columns.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "nnsweep/core/error.hpp"

namespace nnsweep::grid {

namespace {

constexpr std::size_t none = static_cast<std::size_t>(-1);
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kind_names[] = {"parameter", "metric",    "theory",      "derived",
                                      "metadata",  "dimension", "theory_kind", "count"};
constexpr const char* theory_names[] = {"none", "exact", "nlo", "lo", "bound", "numerical"};

// A letter, then letters, digits and _ (HDF5, xarray and pandas take it as it is: theory_T).
bool valid_name(const std::string& name) {
  if (name.empty() || std::isalpha(static_cast<unsigned char>(name[0])) == 0) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

Column described(std::string name, std::string units, std::string long_name,
                 std::string description, ColumnKind kind) {
  Column c;
  c.name = std::move(name);
  c.units = std::move(units);
  c.long_name = long_name.empty() ? c.name : std::move(long_name);
  c.description = std::move(description);
  c.kind = kind;
  return c;
}

}  // namespace

std::string_view kind_name(ColumnKind kind) {
  return kind_names[static_cast<std::size_t>(kind)];
}

ColumnKind parse_kind(std::string_view name) {
  for (std::size_t k = 0; k < std::size(kind_names); ++k)
    if (name == kind_names[k]) return static_cast<ColumnKind>(k);
  throw error(cat("unknown column kind '", name, "'"));
}

std::string_view theory_kind_name(TheoryKind kind) {
  const auto k = static_cast<std::size_t>(kind);
  return k < std::size(theory_names) ? theory_names[k] : "?";
}

std::string theory_kind_meanings() {
  std::vector<std::string> names(std::begin(theory_names), std::end(theory_names));
  return join(names, " ");
}

std::size_t Column::length() const {
  std::size_t n = 1;
  for (const auto& d : dims) n *= d.length;
  return n;
}

// ---- ColumnSet ----

ColumnSet::ColumnSet(ColumnOptions options) : options_(options) {}

ColumnSet::ColumnSet(const std::vector<Column>& columns) {
  for (const auto& c : columns) add(c);
}

std::size_t ColumnSet::add(Column column) {
  if (!valid_name(column.name))
    throw error(cat("internal: column name '", column.name,
                    "' — use a letter, then letters, digits and _"));
  const auto taken = [this](const std::string& name) {
    if (find(name)) return true;
    for (const auto& d : dimensions_)
      if (d.name == name || count_column(d.name) == name) return true;
    for (const auto& c : columns_)
      if (c.kind == ColumnKind::theory && !c.is_text() && kind_column(c.name) == name) return true;
    return name == "task" || name == "run";
  };
  std::vector<std::string> names{column.name};
  if (column.kind == ColumnKind::theory && !column.is_text())
    names.push_back(kind_column(column.name));
  for (const auto& d : column.dims) {
    if (dimension_index(d.name) != none) continue;
    names.push_back(d.name);
    names.push_back(count_column(d.name));
  }
  for (const auto& name : names)
    if (taken(name)) throw error(cat("internal: column name '", name, "' is declared twice"));
  for (const auto& d : column.dims) {
    const std::size_t k = dimension_index(d.name);
    if (k == none) {
      if (!valid_name(d.name))
        throw error(cat("internal: dimension name '", d.name, "' of column ", column.name));
      dimensions_.push_back(d);
    } else if (dimensions_[k].length != d.length) {
      throw error(cat("internal: dimension ", d.name, " has length ", dimensions_[k].length,
                      " and ", d.length, " in one cell (column ", column.name,
                      "): a dimension has one length per cell — name them apart"));
    }
  }
  Slot slot;
  slot.number = numbers_;
  slot.text = texts_;
  slot.theory = theories_;
  if (column.is_text()) {
    ++texts_;
  } else {
    numbers_ += column.length();
  }
  if (column.kind == ColumnKind::theory && !column.is_text()) ++theories_;
  columns_.push_back(std::move(column));
  slots_.push_back(slot);
  frozen_.reset();
  return columns_.size() - 1;
}

void ColumnSet::layout() {
  numbers_ = texts_ = theories_ = 0;
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    slots_[c] = {numbers_, texts_, theories_};
    if (columns_[c].is_text())
      ++texts_;
    else
      numbers_ += columns_[c].length();
    if (columns_[c].kind == ColumnKind::theory && !columns_[c].is_text()) ++theories_;
  }
  frozen_.reset();
}

ScalarId ColumnSet::metric(std::string name, std::string units, std::string long_name,
                           std::string description) {
  return {add(described(std::move(name), std::move(units), std::move(long_name),
                        std::move(description), ColumnKind::metric))};
}

CurveId ColumnSet::curve(std::string name, Dimension points, std::string units,
                         std::string long_name, std::string description) {
  Column c = described(std::move(name), std::move(units), std::move(long_name),
                       std::move(description), ColumnKind::metric);
  c.dims = {std::move(points)};
  return {add(std::move(c))};
}

ArrayId ColumnSet::array(std::string name, Dimension rows, Dimension cols, std::string units,
                         std::string long_name, std::string description) {
  Column c = described(std::move(name), std::move(units), std::move(long_name),
                       std::move(description), ColumnKind::metric);
  if (rows.name == cols.name)
    throw error(cat("internal: array ", c.name, " needs two dimensions of different names"));
  c.dims = {std::move(rows), std::move(cols)};
  return {add(std::move(c))};
}

TextId ColumnSet::text(std::string name, std::size_t bytes, std::string long_name,
                       std::string description, ColumnKind kind) {
  if (kind != ColumnKind::metric && kind != ColumnKind::theory && kind != ColumnKind::derived)
    throw error(cat("internal: text column ", name, " must be a metric, theory or derived"));
  Column c = described(std::move(name), "", std::move(long_name), std::move(description), kind);
  c.type = ColumnType::string;
  c.string_size = std::max<std::size_t>(bytes, 1);
  return {add(std::move(c))};
}

TheoryId ColumnSet::theory(std::string name, std::string predicts, std::string units,
                           std::string long_name, std::string description) {
  Column c = described(std::move(name), std::move(units), std::move(long_name),
                       std::move(description), ColumnKind::theory);
  c.predicts = std::move(predicts);
  return {add(std::move(c))};
}

ScalarId ColumnSet::derived(std::string name, std::string units, std::string long_name,
                            std::string description) {
  return {add(described(std::move(name), std::move(units), std::move(long_name),
                        std::move(description), ColumnKind::derived))};
}

CurveId ColumnSet::weights(std::size_t count, const std::string& description) {
  if (!options_.save_weights) return {};
  return curve("weights", {"parameter", count}, "1", "final parameters",
               "the network's parameters after training (save_weights = true): " + description);
}

std::optional<std::size_t> ColumnSet::find(std::string_view name) const {
  for (std::size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].name == name) return i;
  return std::nullopt;
}

std::size_t ColumnSet::dimension_index(std::string_view name) const {
  for (std::size_t i = 0; i < dimensions_.size(); ++i)
    if (dimensions_[i].name == name) return i;
  return none;
}

Row ColumnSet::row() const {
  if (!frozen_) frozen_ = std::make_shared<const ColumnSet>(*this);
  return Row(frozen_);
}

bool ColumnSet::same_layout(const ColumnSet& other) const {
  if (columns_.size() != other.columns_.size()) return false;
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    const Column &a = columns_[c], &b = other.columns_[c];
    if (a.name != b.name || a.kind != b.kind || a.type != b.type ||
        a.string_size != b.string_size || a.dims.size() != b.dims.size())
      return false;
    for (std::size_t d = 0; d < a.dims.size(); ++d)
      if (a.dims[d].name != b.dims[d].name || a.dims[d].length != b.dims[d].length) return false;
  }
  return true;
}

void ColumnSet::widen(const ColumnSet& other) {
  bool same = columns_.size() == other.columns_.size();
  for (std::size_t c = 0; same && c < columns_.size(); ++c) {
    const Column &a = columns_[c], &b = other.columns_[c];
    same =
        a.name == b.name && a.kind == b.kind && a.type == b.type && a.dims.size() == b.dims.size();
    for (std::size_t d = 0; same && d < a.dims.size(); ++d) same = a.dims[d].name == b.dims[d].name;
  }
  if (!same)
    throw error(
        "internal: two cells of one sweep declare different columns (names, kinds and order must "
        "not depend on the parameters; only lengths may)");
  for (auto& d : dimensions_)
    d.length = std::max(d.length, other.dimensions_[other.dimension_index(d.name)].length);
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    Column& a = columns_[c];
    a.string_size = std::max(a.string_size, other.columns_[c].string_size);
    for (auto& d : a.dims) d.length = dimensions_[dimension_index(d.name)].length;
  }
  layout();
}

// ---- Row ----

Row::Row(std::shared_ptr<const ColumnSet> columns) : columns_(std::move(columns)) {
  data_.numbers.assign(columns_->number_count(), nan);
  data_.texts.assign(columns_->text_count(), std::string());
  data_.theory_kinds.assign(columns_->theory_count(), static_cast<std::uint8_t>(TheoryKind::none));
  for (const auto& d : columns_->dimensions())
    data_.counts.push_back(static_cast<std::int32_t>(d.length));
  assigned_.assign(columns_->size(), 0);
}

const ColumnSet& Row::columns() const {
  if (!columns_) throw error("internal: a row without columns");
  return *columns_;
}

std::size_t Row::checked(std::size_t index, const char* what, bool ok) const {
  if (!columns_ || index >= columns_->size() || !ok)
    throw error(cat("internal: column id ", index, " is not a ", what,
                    " of this row (an id of another ColumnSet?)"));
  return index;
}

void Row::set(ScalarId id, double value) {
  const auto c = checked(id.index, "scalar number", true);
  const Column& column = (*columns_)[c];
  checked(c, "scalar number",
          !column.is_text() && column.dims.empty() && column.kind != ColumnKind::theory);
  data_.numbers[columns_->number_offset(c)] = value;
  assigned_[c] = 1;
}

double Row::get(ScalarId id) const {
  const auto c = checked(id.index, "scalar number", true);
  checked(c, "scalar number", !(*columns_)[c].is_text() && (*columns_)[c].dims.empty());
  return data_.numbers[columns_->number_offset(c)];
}

Span<double> Row::curve(CurveId id) {
  const auto c = checked(id.index, "curve", true);
  checked(c, "curve", (*columns_)[c].dims.size() == 1 && !(*columns_)[c].is_text());
  assigned_[c] = 1;
  return {data_.numbers.data() + columns_->number_offset(c), (*columns_)[c].length()};
}

Span<const double> Row::curve(CurveId id) const {
  const auto c = checked(id.index, "curve", true);
  checked(c, "curve", (*columns_)[c].dims.size() == 1 && !(*columns_)[c].is_text());
  return {data_.numbers.data() + columns_->number_offset(c), (*columns_)[c].length()};
}

ArrayRef<double> Row::array(ArrayId id) {
  const auto c = checked(id.index, "2-D array", true);
  const Column& column = (*columns_)[c];
  checked(c, "2-D array", column.dims.size() == 2);
  assigned_[c] = 1;
  return {data_.numbers.data() + columns_->number_offset(c), column.dims[0].length,
          column.dims[1].length};
}

ArrayRef<const double> Row::array(ArrayId id) const {
  const auto c = checked(id.index, "2-D array", true);
  const Column& column = (*columns_)[c];
  checked(c, "2-D array", column.dims.size() == 2);
  return {data_.numbers.data() + columns_->number_offset(c), column.dims[0].length,
          column.dims[1].length};
}

void Row::set_text(TextId id, std::string value) {
  const auto c = checked(id.index, "text column", true);
  const Column& column = (*columns_)[c];
  checked(c, "text column", column.is_text());
  if (value.size() > column.string_size)
    throw error(cat("internal: ", value.size(), " bytes for text column ", column.name, " of ",
                    column.string_size, " bytes — declare it longer"));
  data_.texts[columns_->text_index(c)] = std::move(value);
  assigned_[c] = 1;
}

const std::string& Row::text(TextId id) const {
  const auto c = checked(id.index, "text column", true);
  checked(c, "text column", (*columns_)[c].is_text());
  return data_.texts[columns_->text_index(c)];
}

void Row::set_theory(TheoryId id, double value, TheoryKind kind) {
  const auto c = checked(id.index, "theory column", true);
  checked(c, "theory column",
          (*columns_)[c].kind == ColumnKind::theory && !(*columns_)[c].is_text());
  data_.numbers[columns_->number_offset(c)] = value;
  data_.theory_kinds[columns_->theory_index(c)] =
      static_cast<std::uint8_t>(std::isnan(value) ? TheoryKind::none : kind);
  assigned_[c] = 1;
}

double Row::theory(TheoryId id) const {
  const auto c = checked(id.index, "theory column", true);
  checked(c, "theory column", (*columns_)[c].kind == ColumnKind::theory);
  return data_.numbers[columns_->number_offset(c)];
}

TheoryKind Row::theory_kind(TheoryId id) const {
  const auto c = checked(id.index, "theory column", true);
  checked(c, "theory column", (*columns_)[c].kind == ColumnKind::theory);
  return static_cast<TheoryKind>(data_.theory_kinds[columns_->theory_index(c)]);
}

double Row::number(std::string_view name, std::size_t index) const {
  const auto c = columns().find(name);
  if (!c || (*columns_)[*c].is_text() || index >= (*columns_)[*c].length())
    throw error(cat("internal: no number ", name, "[", index, "] in this row"));
  return data_.numbers[columns_->number_offset(*c) + index];
}

void Row::copy_column(const Row& from, std::size_t column) {
  const ColumnSet &to_set = columns(), &from_set = from.columns();
  const Column& a = to_set[column];
  const auto source = column < from_set.size() && from_set[column].name == a.name
                          ? std::optional<std::size_t>(column)
                          : from_set.find(a.name);
  if (!source) throw error(cat("internal: column ", a.name, " missing from the row copied"));
  const Column& b = from_set[*source];
  if (a.is_text()) {
    const std::string& text = from.data_.texts[from_set.text_index(*source)];
    data_.texts[to_set.text_index(column)] = text.substr(0, a.string_size);
  } else {
    double* out = data_.numbers.data() + to_set.number_offset(column);
    const double* in = from.data_.numbers.data() + from_set.number_offset(*source);
    std::fill_n(out, a.length(), nan);
    if (a.dims.size() == 2 && b.dims.size() == 2) {
      const std::size_t rows = std::min(a.dims[0].length, b.dims[0].length);
      const std::size_t cols = std::min(a.dims[1].length, b.dims[1].length);
      for (std::size_t i = 0; i < rows; ++i)
        std::copy_n(in + i * b.dims[1].length, cols, out + i * a.dims[1].length);
    } else {
      std::copy_n(in, std::min(a.length(), b.length()), out);
    }
    if (a.kind == ColumnKind::theory)
      data_.theory_kinds[to_set.theory_index(column)] =
          from.data_.theory_kinds[from_set.theory_index(*source)];
  }
  assigned_[column] = from.assigned_[*source];
}

void Row::copy_counts(const Row& from) {
  const auto& dims = columns().dimensions();
  for (std::size_t d = 0; d < dims.size(); ++d) {
    const std::size_t k = from.columns().dimension_index(dims[d].name);
    if (k != none) data_.counts[d] = from.data_.counts[k];
  }
}

}  // namespace nnsweep::grid
