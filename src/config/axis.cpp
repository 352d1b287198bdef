// Axis expressions: "16,32,64", "0..9", "0..100 step 10", "16..512 *2", "linspace(0,1,5)",
// "logspace(1e-3,1,4)", and comma-separated mixtures of these.
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "nnsweep/config/spec.hpp"
#include "nnsweep/core/error.hpp"

namespace nnsweep::config {
namespace {

constexpr std::size_t max_axis_points = 10'000'000;

// Splits on commas that are not inside parentheses. Unbalanced parentheses are an error: the
// split would otherwise swallow or drop items silently.
std::vector<std::string> split_items(const ParamSpec& spec, std::string_view expression) {
  std::vector<std::string> items;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= expression.size(); ++i) {
    const char c = i < expression.size() ? expression[i] : ',';
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth < 0 || (i == expression.size() && depth != 0))
      throw config_error(cat(spec.name, " = ", trim(expression),
                             ": unbalanced parentheses — write linspace(a, b, n) or "
                             "logspace(a, b, n), items separated by commas"));
    if (c == ',' && depth == 0) {
      items.emplace_back(trim(expression.substr(start, i - start)));
      start = i + 1;
    }
  }
  return items;
}

double number(const ParamSpec& spec, std::string_view text, std::string_view item) {
  double value = 0;
  if (!parse_double(text, value))
    throw config_error(cat(spec.name, " = ", item, ": '", trim(text), "' is not a number"));
  if (!std::isfinite(value))
    throw config_error(cat(spec.name, " = ", item, ": '", trim(text),
                           "' is not a finite number — bounds and steps must be finite"));
  return value;
}

Value from_double(const ParamSpec& spec, double value, std::string_view item) {
  if (spec.type == ParamType::integer) {
    const double rounded = std::round(value);
    if (std::fabs(rounded - value) > 1e-9 * std::max(1.0, std::fabs(value)))
      throw config_error(cat(spec.name, " = ", item, ": yields ", format_number(value),
                             ", not a whole number — ", spec.name,
                             " is an integer; pick bounds and a factor that stay whole"));
    return parse_value(spec, std::to_string(static_cast<std::int64_t>(rounded)));
  }
  // Generated reals are rounded to 12 significant digits so that 0.1..0.3 step 0.1 gives 0.3,
  // not 0.30000000000000004: the values users expect, and stable text in the stored spec.
  char rounded[32];
  std::snprintf(rounded, sizeof rounded, "%.12g", value);
  return parse_value(spec, format_number(std::strtod(rounded, nullptr)));
}

void expand_function(const ParamSpec& spec, std::string_view item, std::vector<Value>& out) {
  const std::size_t open = item.find('(');
  const std::size_t close = item.find(')');
  const std::string_view name = trim(item.substr(0, open));
  if (name != "linspace" && name != "logspace")
    throw config_error(cat(spec.name, " = ", item,
                           ": unknown function — use linspace(a, b, n) or logspace(a, b, n)"));
  if (close + 1 != item.size())
    throw config_error(cat(spec.name, " = ", item, ": unexpected '", trim(item.substr(close + 1)),
                           "' after ", name, "(...) — separate items with commas"));
  const auto args = split(item.substr(open + 1, item.size() - open - 2), ',');
  if (args.size() != 3)
    throw config_error(
        cat(spec.name, " = ", item, ": ", name, " takes 3 arguments (start, stop, count)"));
  const double a = number(spec, args[0], item), b = number(spec, args[1], item);
  std::int64_t n = 0;
  if (!parse_int64(args[2], n) || n < 1 || static_cast<std::size_t>(n) > max_axis_points)
    throw config_error(cat(spec.name, " = ", item, ": the count '", args[2],
                           "' must be a whole number in [1, ", max_axis_points, "]"));
  if (name == "logspace" && (a <= 0 || b <= 0))
    throw config_error(cat(spec.name, " = ", item, ": logspace needs positive bounds"));
  for (std::int64_t k = 0; k < n; ++k) {
    const double t = n == 1 ? 0.0 : static_cast<double>(k) / static_cast<double>(n - 1);
    double value = name == "linspace" ? a + (b - a) * t
                                      : std::exp(std::log(a) + (std::log(b) - std::log(a)) * t);
    if (k == n - 1) value = b;  // exact end point
    out.push_back(from_double(spec, value, item));
  }
}

void expand_range(const ParamSpec& spec, std::string_view item, std::size_t dots,
                  std::vector<Value>& out) {
  const std::string_view left = trim(item.substr(0, dots));
  std::string_view right = trim(item.substr(dots + 2));
  enum { plain, stepped, geometric } kind = plain;
  std::string_view modifier;
  if (const auto star = right.find('*'); star != std::string_view::npos) {
    kind = geometric;
    modifier = trim(right.substr(star + 1));
    right = trim(right.substr(0, star));
  } else if (const auto step = right.find("step"); step != std::string_view::npos) {
    kind = stepped;
    modifier = trim(right.substr(step + 4));
    right = trim(right.substr(0, step));
  }
  const double a = number(spec, left, item), b = number(spec, right, item);
  if (b < a)
    throw config_error(cat(spec.name, " = ", item,
                           ": empty range — the end must not be below the start, e.g. ",
                           format_number(b), "..", format_number(a)));
  if (kind == geometric) {
    const double factor = number(spec, modifier, item);
    if (!(factor > 1) || !(a > 0))
      throw config_error(cat(spec.name, " = ", item,
                             ": a geometric range a..b *f needs a > 0 and f > 1, e.g. 16..512 *2"));
    for (double v = a; v <= b * (1 + 1e-12); v *= factor) {
      if (out.size() > max_axis_points) break;
      out.push_back(from_double(spec, v, item));
    }
    return;
  }
  double step = 1;
  if (kind == stepped) {
    step = number(spec, modifier, item);
    if (!(step > 0)) throw config_error(cat(spec.name, " = ", item, ": the step must be positive"));
  } else if (spec.type != ParamType::integer) {
    throw config_error(cat(spec.name, " = ", item, ": a..b counts in whole steps, but ", spec.name,
                           " is real — write a..b step s, linspace(a, b, n) or logspace(a, b, n)"));
  }
  const double count = std::floor((b - a) / step * (1 + 1e-12)) + 1;
  if (count > static_cast<double>(max_axis_points))
    throw config_error(cat(spec.name, " = ", item, ": ", format_number(count),
                           " points; the limit per axis is ", max_axis_points));
  for (std::int64_t k = 0; k < static_cast<std::int64_t>(count); ++k)
    out.push_back(from_double(spec, a + static_cast<double>(k) * step, item));
}

}  // namespace

std::vector<Value> parse_axis(const ParamSpec& spec, std::string_view expression,
                              std::string_view where) {
  std::vector<Value> values;
  try {
    for (const auto& item : split_items(spec, expression)) {
      if (item.empty())
        throw config_error(cat(spec.name, " = ", trim(expression),
                               ": empty item — list values as a,b,c (see `nnsweep list` for ",
                               spec.name, ")"));
      const std::size_t dots = item.find("..");
      const bool numeric = spec.type == ParamType::integer || spec.type == ParamType::real;
      if (numeric && item.find('(') != std::string::npos) {
        expand_function(spec, item, values);
      } else if (numeric && dots != std::string::npos) {
        expand_range(spec, item, dots, values);
      } else {
        values.push_back(parse_value(spec, item));
      }
    }
  } catch (const config_error& e) {
    throw config_error(cat(where, where.empty() ? "" : " ", e.what()));
  }
  return values;
}

}  // namespace nnsweep::config
