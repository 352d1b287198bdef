#pragma once
// Experiment parameters: their declaration (type, default, unit, help, valid range), parsed
// values, and the resolved parameter set of one task. The schema drives spec parsing and
// validation, `nnsweep list`, and the column types of the results file.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace nnsweep::config {

enum class ParamType {
  integer,       // int64, e.g. width = 64
  real,          // double, e.g. cw = 2
  choice,        // one of a fixed set of words, e.g. activation = tanh
  integer_list,  // a slash-separated list that is ONE value, e.g. widths = 32/64/32
};
std::string_view type_name(ParamType type);

// A parsed value: integer → int64, real → double, choice and integer_list → canonical text.
// The word "auto" is kept as text until the experiment resolves it (ParamSpec::allows_auto).
using Value = std::variant<std::int64_t, double, std::string>;

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::real;
  std::string default_value;  // as it would be written in a spec file
  std::string unit;           // "1" when dimensionless
  std::string help;           // one line for `nnsweep list` and error messages
  double min = -std::numeric_limits<double>::infinity();  // inclusive valid range (numbers and
  double max = std::numeric_limits<double>::infinity();   // each element of an integer_list)
  std::vector<std::string> choices;  // the valid words of a choice; of a number: words it also
                                     // takes (e.g. batch = full), resolved by the experiment
  bool allows_auto = false;          // "auto" is valid: the experiment derives the value
};

// The parameters of one experiment, in declaration order, plus the universal `seed` (last).
class Schema {
 public:
  explicit Schema(std::vector<ParamSpec> params);

  const std::vector<ParamSpec>& params() const { return params_; }
  std::size_t size() const { return params_.size(); }
  const ParamSpec& operator[](std::size_t i) const { return params_[i]; }
  std::optional<std::size_t> find(std::string_view name) const;
  // Like find, but a missing name is a config_error that suggests the nearest valid name.
  std::size_t index(std::string_view name, std::string_view where = {}) const;
  std::vector<std::string> names() const;
  std::size_t seed_index() const { return params_.size() - 1; }

 private:
  std::vector<ParamSpec> params_;
};

// Parses one value of `spec`; errors name the parameter, the text and the valid range.
Value parse_value(const ParamSpec& spec, std::string_view text);
// Canonical text of a value (parses back to the same value).
std::string format_value(const Value& value);
bool is_auto(const Value& value);

// The resolved parameters of one task, in schema order.
class ParamSet {
 public:
  ParamSet(const Schema& schema, std::vector<Value> values);

  const Schema& schema() const { return *schema_; }
  const std::vector<Value>& values() const { return values_; }
  const Value& value(std::size_t i) const { return values_[i]; }

  std::int64_t integer(std::string_view name) const;
  double real(std::string_view name) const;
  const std::string& choice(std::string_view name) const;
  std::vector<std::int64_t> integer_list(std::string_view name) const;
  bool is_auto(std::string_view name) const;
  void set(std::string_view name, Value value);

  // "name=value;name=value;..." over every parameter: the input of the task key.
  std::string canonical() const;

 private:
  const Value& get(std::string_view name) const;
  const Schema* schema_;
  std::vector<Value> values_;
};

}  // namespace nnsweep::config
