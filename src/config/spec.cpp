#include "nnsweep/config/spec.hpp"

#include <algorithm>
#include <boost/program_options/options_description.hpp>
#include <boost/program_options/parsers.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_set>

#include "nnsweep/core/error.hpp"
#include "nnsweep/core/system.hpp"

namespace nnsweep::config {
namespace {

namespace po = boost::program_options;

const std::vector<std::string> top_level_keys = {"experiment", "sweep_seed", "output", "zip",
                                                 "save_weights"};

void apply(RawSpec& raw, const std::string& key, const std::string& value, std::string_view where,
           bool is_override) {
  if (starts_with(key, "params.")) {
    const std::string name = key.substr(7);
    auto it = std::find_if(raw.params.begin(), raw.params.end(),
                           [&](const auto& p) { return p.first == name; });
    if (it != raw.params.end()) {
      if (!is_override)
        throw config_error(
            cat(where, " [params] ", name, ": given twice — keep one line per parameter"));
      it->second = value;
    } else {
      raw.params.emplace_back(name, value);
    }
  } else if (key == "experiment") {
    raw.experiment = value;
  } else if (key == "sweep_seed") {
    raw.sweep_seed = value;
  } else if (key == "output") {
    raw.output = value;
  } else if (key == "zip") {
    raw.zips.push_back(value);
  } else if (key == "save_weights") {
    raw.save_weights = value;
  } else {
    const auto dot = key.find('.');
    if (dot != std::string::npos)
      throw config_error(cat(where, " [", key.substr(0, dot),
                             "]: unknown section — a spec has top-level keys (",
                             join(top_level_keys, ", "), ") and a [params] section"));
    const std::string hint = nearest(key, top_level_keys);
    throw config_error(cat(where, " ", key, ": unknown key",
                           hint.empty() ? std::string() : cat(" — did you mean '", hint, "'?"),
                           " (top-level keys: ", join(top_level_keys, ", "),
                           "; experiment parameters go under [params])"));
  }
}

void apply_overrides(RawSpec& raw, const std::vector<std::string>& overrides) {
  std::set<std::string> given;  // two --set of one key: which one was meant?
  for (const auto& item : overrides) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw config_error(
          cat("--set ", item, ": expected key=value — e.g. --set width=64 or --set sweep_seed=3"));
    std::string key(trim(std::string_view(item).substr(0, eq)));
    const std::string value(trim(std::string_view(item).substr(eq + 1)));
    const bool top_level =
        std::find(top_level_keys.begin(), top_level_keys.end(), key) != top_level_keys.end();
    if (!top_level && !starts_with(key, "params.")) key.insert(0, "params.");
    if (key != "zip" && !given.insert(key).second)
      throw config_error(cat("--set ", starts_with(key, "params.") ? key.substr(7) : key,
                             ": given twice — keep one --set per key"));
    apply(raw, key, value, "--set", true);
  }
}

// A grid point listed twice (seed = 1,1,2; overlapping ranges) would become two tasks that report
// counts as independent replicas: refused, naming the key and the value. In a zip group a point
// is the tuple of its members' values.
void refuse_repeated_points(const RawSpec& raw, const SweepSpec& spec, const Schema& schema) {
  for (const auto& axis : spec.axes(schema)) {
    std::unordered_set<std::string> seen;
    seen.reserve(axis.points.size());
    for (const auto& point : axis.points) {
      std::vector<std::string> texts;
      for (const auto& v : point) texts.push_back(format_value(v));
      const std::string text = join(texts, ", ");
      if (seen.insert(text).second) continue;
      std::vector<std::string> names;
      for (const std::size_t i : axis.params) names.push_back(schema[i].name);
      const std::string key = join(names, "+");
      const auto given = std::find_if(raw.params.begin(), raw.params.end(),
                                      [&](const auto& p) { return p.first == key; });
      const std::string expression = given != raw.params.end() ? " = " + given->second : "";
      throw config_error(
          cat(raw.origin, " [params] ", key, expression, ": the ",
              names.size() > 1 ? "point (" + text + ")" : "value " + text,
              " twice — list each grid point once (a repeat would be computed again and "
              "counted as an independent replica)"));
    }
  }
}

// A spec is UTF-8 text (a UTF-8 byte-order mark is dropped). UTF-16 (which editors on some
// systems write), NUL bytes, other encodings and control characters are refused here with the
// line and the fix, before the INI parser turns them into a puzzling error or a silent misread.
std::string_view checked_text(std::string_view text, std::string_view origin) {
  if (starts_with(text, "\xEF\xBB\xBF")) text.remove_prefix(3);
  if (starts_with(text, "\xFF\xFE") || starts_with(text, "\xFE\xFF"))
    throw config_error(cat(origin,
                           ": is UTF-16 text — save it as UTF-8 (e.g. iconv -f UTF-16 -t "
                           "UTF-8 SPEC > spec.ini)"));
  std::size_t line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') ++line;
    const auto refuse = [&](std::string_view problem, std::string_view fix) {
      return config_error(cat(origin, ": line ", line, " ", problem, " — ", fix));
    };
    if (c == 0)
      throw refuse("holds a NUL byte", "a spec is plain UTF-8 text; save it as such (not UTF-16)");
    if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7F)
      throw refuse(cat("holds the control character ", printable(text.substr(i, 1))),
                   "remove it; a spec is plain text");
    if (c >= 0x80) {
      const std::string_view rest = text.substr(i, 4);
      const std::string shown = printable(rest);
      // printable keeps a valid UTF-8 character and escapes anything else.
      if (starts_with(shown, "\\x"))
        throw refuse("is not UTF-8", "save the spec as UTF-8 (e.g. iconv -f LATIN1 -t UTF-8)");
      i += c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;  // the rest of this character
    }
  }
  return text;
}

}  // namespace

RawSpec read_spec_text(std::string_view text, std::string_view origin,
                       const std::vector<std::string>& overrides) {
  RawSpec raw;
  raw.origin = std::string(origin);
  std::istringstream stream{std::string(checked_text(text, origin))};
  po::parsed_options parsed(nullptr);
  try {
    po::options_description none;
    parsed = po::parse_config_file(stream, none, /*allow_unregistered=*/true);
  } catch (const po::error& e) {
    throw config_error(cat(origin, ": ", e.what(),
                           " — each line must be `key = value`, `[section]` or a # comment"));
  }
  std::set<std::string> given;  // a top-level key twice: which line was meant?
  for (const auto& option : parsed.options) {
    if (option.string_key != "zip" && !starts_with(option.string_key, "params.") &&
        !given.insert(option.string_key).second)
      throw config_error(cat(origin, " ", option.string_key,
                             ": given twice — keep one line per key (zip may repeat)"));
    const std::string value =
        option.value.empty() ? std::string() : std::string(trim(option.value.front()));
    apply(raw, option.string_key, value, origin, false);
  }
  apply_overrides(raw, overrides);
  if (raw.experiment.empty())
    throw config_error(
        cat(origin, ": no experiment — add a line `experiment = NAME` (see `nnsweep list`)"));
  return raw;
}

RawSpec read_spec_file(const std::string& path, const std::vector<std::string>& overrides) {
  refuse_special_file(path, "spec",
                      "give the path of a spec file, e.g. jobs/examples/correlations.ini");
  std::ifstream file(path);
  if (!file)
    throw config_error(
        cat(path,
            ": cannot read the spec file — check the path (e.g. jobs/examples/correlations.ini)"));
  std::ostringstream text;
  text << file.rdbuf();
  return read_spec_text(text.str(), path, overrides);
}

SweepSpec resolve(const RawSpec& raw, const Schema& schema) {
  SweepSpec spec;
  spec.origin = raw.origin;
  spec.experiment = raw.experiment;
  spec.output = raw.output;
  std::int64_t seed = 0;
  if (!parse_int64(raw.sweep_seed, seed) || seed < 0)
    throw config_error(cat(raw.origin, " sweep_seed = ", raw.sweep_seed,
                           ": not a whole number >= 0 — e.g. sweep_seed = 1"));
  spec.sweep_seed = static_cast<std::uint64_t>(seed);
  if (raw.save_weights == "true" || raw.save_weights == "1")
    spec.save_weights = true;
  else if (raw.save_weights == "false" || raw.save_weights == "0")
    spec.save_weights = false;
  else
    throw config_error(cat(raw.origin, " save_weights = ", raw.save_weights,
                           ": not true or false — e.g. save_weights = true"));

  spec.values.resize(schema.size());
  std::vector<bool> given(schema.size(), false);
  const std::string where = cat(raw.origin, " [params]");
  for (const auto& [name, expression] : raw.params) {
    const std::size_t i = schema.index(name, where);
    spec.values[i] = parse_axis(schema[i], expression, where);
    if (spec.values[i].empty())
      throw config_error(cat(where, " ", name, " = ", expression,
                             ": no values, so the grid is empty — give at least one value, e.g. ",
                             name, " = ", schema[i].default_value));
    given[i] = true;
  }
  for (std::size_t i = 0; i < schema.size(); ++i)
    if (!given[i]) spec.values[i] = parse_axis(schema[i], schema[i].default_value, "default");

  std::set<std::size_t> zipped;
  for (const auto& zip : raw.zips) {
    std::vector<std::size_t> members;
    for (const auto& name : split(zip, '+')) {
      const std::size_t i = schema.index(name, cat(raw.origin, " zip = ", zip, ":"));
      if (i == schema.seed_index())
        throw config_error(
            cat(raw.origin, " zip = ", zip,
                ": seed cannot be zipped — seeds are the replicas of every grid point"));
      if (!zipped.insert(i).second)
        throw config_error(cat(raw.origin, " zip = ", zip, ": ", name,
                               " is already in a zip group — each parameter may be zipped once"));
      members.push_back(i);
    }
    if (members.size() < 2)
      throw config_error(
          cat(raw.origin, " zip = ", zip,
              ": a zip group needs two or more parameters joined by '+', e.g. zip = depth+width"));
    for (const std::size_t i : members)
      if (spec.values[i].size() != spec.values[members[0]].size())
        throw config_error(cat(raw.origin, " zip = ", zip, ": ", schema[members[0]].name, " has ",
                               spec.values[members[0]].size(), " values but ", schema[i].name,
                               " has ", spec.values[i].size(),
                               " — zipped parameters need the same number of values"));
    std::sort(members.begin(), members.end());
    spec.zips.push_back(members);
  }
  std::sort(spec.zips.begin(), spec.zips.end());
  refuse_repeated_points(raw, spec, schema);
  if (spec.task_count(schema) > (std::size_t{1} << 40))
    throw config_error(
        cat(raw.origin,
            ": the grid has more than 2^40 tasks — split the sweep (--shard) or shorten the axes"));
  return spec;
}

std::vector<Axis> SweepSpec::axes(const Schema& schema) const {
  std::vector<Axis> out;
  std::vector<bool> placed(schema.size(), false);
  for (std::size_t i = 0; i < schema.size(); ++i) {
    if (placed[i]) continue;
    std::vector<std::size_t> members{i};
    for (const auto& zip : zips)
      if (zip.front() == i) members = zip;
    Axis axis;
    axis.params = members;
    for (std::size_t k = 0; k < values[i].size(); ++k) {
      std::vector<Value> point;
      for (const std::size_t m : members) point.push_back(values[m][k]);
      axis.points.push_back(std::move(point));
    }
    for (const std::size_t m : members) placed[m] = true;
    out.push_back(std::move(axis));
  }
  return out;
}

std::size_t SweepSpec::task_count(const Schema& schema) const {
  double count = 1;
  for (const auto& axis : axes(schema)) count *= static_cast<double>(axis.points.size());
  return count > 1e18 ? static_cast<std::size_t>(1e18) : static_cast<std::size_t>(count);
}

namespace {
std::string value_list(const std::vector<Value>& values) {
  std::vector<std::string> texts;
  texts.reserve(values.size());
  for (const auto& v : values) texts.push_back(format_value(v));
  return join(texts, ",");
}
std::string zip_text(const std::vector<std::size_t>& zip, const Schema& schema) {
  std::vector<std::string> names;
  for (const std::size_t i : zip) names.push_back(schema[i].name);
  return join(names, "+");
}
}  // namespace

std::string SweepSpec::canonical_text(const Schema& schema) const {
  std::string out = cat("experiment = ", experiment, "\nsweep_seed = ", sweep_seed, "\n");
  for (const auto& zip : zips) out += cat("zip = ", zip_text(zip, schema), "\n");
  if (save_weights) out += "save_weights = true\n";  // only when set: older texts stay valid
  out += "[params]\n";
  for (std::size_t i = 0; i < schema.size(); ++i)
    out += cat(schema[i].name, " = ", value_list(values[i]), "\n");
  return out;
}

std::vector<std::string> differing_keys(const SweepSpec& a, const SweepSpec& b,
                                        const Schema& schema) {
  std::vector<std::string> keys;
  if (a.experiment != b.experiment) keys.emplace_back("experiment");
  if (a.sweep_seed != b.sweep_seed) keys.emplace_back("sweep_seed");
  if (a.zips != b.zips) keys.emplace_back("zip");
  if (a.save_weights != b.save_weights) keys.emplace_back("save_weights");
  for (std::size_t i = 0; i < schema.size(); ++i)
    if (value_list(a.values[i]) != value_list(b.values[i])) keys.push_back(schema[i].name);
  return keys;
}

}  // namespace nnsweep::config
