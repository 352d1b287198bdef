#include "nnsweep/config/param.hpp"

#include <cmath>

#include "nnsweep/core/error.hpp"

namespace nnsweep::config {

std::string_view type_name(ParamType type) {
  switch (type) {
    case ParamType::integer:
      return "integer";
    case ParamType::real:
      return "real";
    case ParamType::choice:
      return "choice";
    case ParamType::integer_list:
      return "integer list";
  }
  return "?";
}

Schema::Schema(std::vector<ParamSpec> params) : params_(std::move(params)) {
  ParamSpec seed;
  seed.name = "seed";
  seed.type = ParamType::integer;
  seed.default_value = "0";
  seed.unit = "1";
  seed.help = "replica index: each seed draws independent random streams; reports pool over seeds";
  seed.min = 0;
  seed.max = 9007199254740992.0;  // 2^53: exactly representable everywhere
  params_.push_back(std::move(seed));
  for (std::size_t i = 0; i < params_.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (params_[i].name == params_[j].name)
        throw error(cat("internal: the schema declares parameter '", params_[i].name, "' twice"));
}

std::optional<std::size_t> Schema::find(std::string_view name) const {
  for (std::size_t i = 0; i < params_.size(); ++i)
    if (params_[i].name == name) return i;
  return std::nullopt;
}

std::size_t Schema::index(std::string_view name, std::string_view where) const {
  if (auto i = find(name)) return *i;
  const std::string hint = nearest(name, names());
  throw config_error(cat(where, where.empty() ? "" : " ", "'", name, "': unknown parameter",
                         hint.empty() ? std::string() : cat(" — did you mean '", hint, "'?"),
                         " (valid: ", join(names(), ", "), ")"));
}

std::vector<std::string> Schema::names() const {
  std::vector<std::string> out;
  out.reserve(params_.size());
  for (const auto& p : params_) out.push_back(p.name);
  return out;
}

namespace {

std::string range_text(const ParamSpec& spec) {
  const bool has_min = std::isfinite(spec.min), has_max = std::isfinite(spec.max);
  if (has_min && has_max)
    return cat("[", format_number(spec.min), ", ", format_number(spec.max), "]");
  if (has_min) return cat(">= ", format_number(spec.min));
  if (has_max) return cat("<= ", format_number(spec.max));
  return "any value";
}

[[noreturn]] void bad_value(const ParamSpec& spec, std::string_view text,
                            std::string_view problem) {
  std::string fix;
  switch (spec.type) {
    case ParamType::integer:
      fix = cat(spec.name, " takes a whole number in ", range_text(spec));
      break;
    case ParamType::real:
      fix = cat(spec.name, " takes a number in ", range_text(spec));
      break;
    case ParamType::choice:
      fix = cat(spec.name, " is one of: ", join(spec.choices, ", "));
      break;
    case ParamType::integer_list:
      fix = cat(spec.name, " takes whole numbers in ", range_text(spec),
                " joined by '/', e.g. 32/64/32");
      break;
  }
  if (spec.type != ParamType::choice)
    for (const auto& word : spec.choices) fix += cat(", or ", word);
  if (spec.allows_auto) fix += ", or auto";
  throw config_error(cat(spec.name, " = ", text, ": ", problem, " — ", fix));
}

void check_range(const ParamSpec& spec, std::string_view text, double value) {
  if (std::isnan(value) || value < spec.min || value > spec.max)
    bad_value(spec, text, "out of range");
}

}  // namespace

Value parse_value(const ParamSpec& spec, std::string_view raw) {
  const std::string_view text = trim(raw);
  if (spec.allows_auto && text == "auto") return std::string("auto");
  // A number may also take the words listed in its choices (e.g. batch = full), kept as text
  // like "auto" until the experiment resolves them.
  if (spec.type != ParamType::choice)
    for (const auto& word : spec.choices)
      if (word == text) return word;
  switch (spec.type) {
    case ParamType::integer: {
      std::int64_t value = 0;
      if (!parse_int64(text, value)) bad_value(spec, text, "not a whole number");
      check_range(spec, text, static_cast<double>(value));
      return value;
    }
    case ParamType::real: {
      double value = 0;
      if (!parse_double(text, value)) bad_value(spec, text, "not a number");
      // inf and nan mean nothing a kernel could run with, even where the range is unbounded.
      if (!std::isfinite(value)) bad_value(spec, text, "not a finite number");
      check_range(spec, text, value);
      return value;
    }
    case ParamType::choice: {
      for (const auto& choice : spec.choices)
        if (choice == text) return choice;
      const std::string hint = nearest(text, spec.choices);
      bad_value(spec, text,
                hint.empty() ? "not a valid choice"
                             : cat("not a valid choice (did you mean '", hint, "'?)"));
    }
    case ParamType::integer_list: {
      std::vector<std::string> canonical;
      for (const auto& piece : split(text, '/')) {
        std::int64_t value = 0;
        if (!parse_int64(piece, value))
          bad_value(spec, text, cat("'", piece, "' is not a whole number"));
        check_range(spec, text, static_cast<double>(value));
        canonical.push_back(std::to_string(value));
      }
      return join(canonical, "/");
    }
  }
  bad_value(spec, text, "unknown type");
}

std::string format_value(const Value& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value)) return format_number(*d);
  return std::get<std::string>(value);
}

bool is_auto(const Value& value) {
  const auto* s = std::get_if<std::string>(&value);
  return s != nullptr && *s == "auto";
}

ParamSet::ParamSet(const Schema& schema, std::vector<Value> values)
    : schema_(&schema), values_(std::move(values)) {
  if (values_.size() != schema.size())
    throw error(
        cat("internal: ", values_.size(), " parameter values for a schema of ", schema.size()));
}

const Value& ParamSet::get(std::string_view name) const {
  const auto i = schema_->find(name);
  if (!i) throw error(cat("internal: parameter '", name, "' is not declared in the schema"));
  return values_[*i];
}

std::int64_t ParamSet::integer(std::string_view name) const {
  const auto* v = std::get_if<std::int64_t>(&get(name));
  if (v == nullptr) throw error(cat("internal: parameter '", name, "' is not a resolved integer"));
  return *v;
}

double ParamSet::real(std::string_view name) const {
  const auto& value = get(name);
  if (const auto* d = std::get_if<double>(&value)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
  throw error(cat("internal: parameter '", name, "' is not a resolved number"));
}

const std::string& ParamSet::choice(std::string_view name) const {
  const auto* s = std::get_if<std::string>(&get(name));
  if (s == nullptr) throw error(cat("internal: parameter '", name, "' is not a word"));
  return *s;
}

std::vector<std::int64_t> ParamSet::integer_list(std::string_view name) const {
  std::vector<std::int64_t> out;
  const std::string& text = choice(name);
  if (text.empty()) return out;
  for (const auto& piece : split(text, '/')) {
    std::int64_t value = 0;
    parse_int64(piece, value);
    out.push_back(value);
  }
  return out;
}

bool ParamSet::is_auto(std::string_view name) const {
  return config::is_auto(get(name));
}

void ParamSet::set(std::string_view name, Value value) {
  const auto i = schema_->find(name);
  if (!i) throw error(cat("internal: parameter '", name, "' is not declared in the schema"));
  values_[*i] = std::move(value);
}

std::string ParamSet::canonical() const {
  std::string out;
  for (std::size_t i = 0; i < values_.size(); ++i) {
    out += (*schema_)[i].name;
    out += '=';
    out += format_value(values_[i]);
    out += ';';
  }
  return out;
}

}  // namespace nnsweep::config
