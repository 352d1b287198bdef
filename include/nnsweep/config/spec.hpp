#pragma once
// The sweep spec: an INI file (Boost.Program_options config-file syntax) plus `--set key=value`
// overrides. Top-level keys describe the sweep, [params] gives one axis expression per
// experiment parameter:
//
//   experiment = correlations       # which experiment (see `nnsweep list`)
//   sweep_seed = 1                  # root of every random stream of the sweep
//   output     = correlations.h5    # default results file (--out overrides)
//   zip        = depth+width        # vary these axes together (repeatable)
//   save_weights = true             # training experiments store each task's final parameters
//   [params]
//   width = 16..512 *2              # 16,32,...,512
//   depth = 1,2,4,8
//   seed  = 0..9
//
// Axis expressions are comma-separated items; an item is a value, an integer range `a..b`
// (inclusive; `a..b step s`), a geometric range `a..b *f`, `linspace(a, b, n)` or
// `logspace(a, b, n)`. A value may also be a word its parameter lists (`nnsweep list`: "auto",
// or `batch = 1, 8, full` in support), which the experiment resolves.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nnsweep/config/param.hpp"

namespace nnsweep::config {

// What the file and the overrides say, before the experiment's schema is known.
struct RawSpec {
  std::string origin;  // file path (or "<text>") for error messages
  std::string experiment;
  std::string sweep_seed = "0";
  std::string output;
  std::string save_weights = "false";
  std::vector<std::string> zips;                            // "depth+width"
  std::vector<std::pair<std::string, std::string>> params;  // [params] key, expression (in order)
};

// Reads a spec file and applies `--set` overrides (key=value; a bare parameter name means
// params.<name>). Throws config_error for syntax errors and unknown top-level keys.
RawSpec read_spec_file(const std::string& path, const std::vector<std::string>& overrides);
RawSpec read_spec_text(std::string_view text, std::string_view origin,
                       const std::vector<std::string>& overrides);

// One axis of the grid: a single parameter, or a zipped group varied together.
struct Axis {
  std::vector<std::size_t> params;         // schema indices
  std::vector<std::vector<Value>> points;  // points[k][i]: value of params[i] at point k
};

// A spec validated against an experiment's schema: every parameter has its axis values.
struct SweepSpec {
  std::string origin;
  std::string experiment;
  std::uint64_t sweep_seed = 0;
  std::string output;
  bool save_weights = false;  // training experiments add a `weights` column (final parameters)
  std::vector<std::vector<Value>> values;      // per schema parameter: its axis values
  std::vector<std::vector<std::size_t>> zips;  // zipped groups (schema indices)

  // Axes in schema order (a zipped group sits at its first member), `seed` last and innermost.
  std::vector<Axis> axes(const Schema& schema) const;
  std::size_t task_count(const Schema& schema) const;
  // The resolved spec as text (every parameter with its full value list; `output` omitted):
  // stored in the results file and compared on --resume.
  std::string canonical_text(const Schema& schema) const;
};

// Validates `raw` against `schema`: unknown keys, bad values, empty axes, zip length mismatches
// all throw config_error naming the key, the value and the fix.
SweepSpec resolve(const RawSpec& raw, const Schema& schema);

// Parses one axis expression into values of `spec`.
std::vector<Value> parse_axis(const ParamSpec& spec, std::string_view expression,
                              std::string_view where);

// Keys whose values differ between two resolved specs of the same schema ("experiment",
// "sweep_seed", "zip", "save_weights", or parameter names): why a resume is refused.
std::vector<std::string> differing_keys(const SweepSpec& a, const SweepSpec& b,
                                        const Schema& schema);

}  // namespace nnsweep::config
