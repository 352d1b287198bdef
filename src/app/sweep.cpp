#include "sweep.hpp"

#include <algorithm>

#include "nnsweep/core/error.hpp"

namespace nnsweep::app {

namespace {

Sweep finish_loading(const config::RawSpec& raw) {
  Sweep sweep;
  sweep.experiment = &experiments::find(raw.experiment);
  const auto& experiment = *sweep.experiment;
  sweep.spec = config::resolve(raw, experiment.schema());
  sweep.table = std::make_unique<grid::TaskTable>(
      std::string(experiment.name()), experiment.schema(), sweep.spec,
      [&experiment](config::ParamSet& p) { experiment.resolve(p); });
  sweep.table->validate();
  const auto& table = *sweep.table;
  sweep.columns = experiment.columns(table.params(0));
  const bool has_curves = std::any_of(sweep.columns.begin(), sweep.columns.end(),
                                      [](const auto& c) { return c.length > 0; });
  for (std::size_t cell = 1; has_curves && cell < table.cell_count(); ++cell) {
    const auto other = experiment.columns(table.params(cell * table.seeds_per_cell()));
    for (std::size_t i = 0; i < other.size() && i < sweep.columns.size(); ++i)
      sweep.columns[i].length = std::max(sweep.columns[i].length, other[i].length);
  }
  return sweep;
}

}  // namespace

Sweep load_sweep(const std::string& path, const std::vector<std::string>& overrides) {
  return finish_loading(config::read_spec_file(path, overrides));
}

Sweep load_sweep_text(const std::string& text, const std::string& origin,
                      const std::vector<std::string>& overrides) {
  return finish_loading(config::read_spec_text(text, origin, overrides));
}

std::string kind_name(experiments::Column::Kind kind) {
  switch (kind) {
    case experiments::Column::Kind::metric:
      return "metric";
    case experiments::Column::Kind::theory:
      return "theory";
    case experiments::Column::Kind::derived:
      return "derived";
  }
  return "?";
}

std::vector<io::ColumnSpec> result_columns(const std::vector<experiments::Column>& columns) {
  std::vector<io::ColumnSpec> out;
  for (const auto& c : columns) {
    io::ColumnSpec s;
    s.name = c.name;
    s.units = c.units;
    s.long_name = c.long_name;
    s.description = c.description;
    s.kind = kind_name(c.kind);
    s.length = c.length;
    s.dim = c.dim;
    out.push_back(s);
  }
  return out;
}

void check_columns(const io::ResultsFile& file, const Sweep& sweep) {
  const auto expected = result_columns(sweep.columns);
  const auto& stored = file.result_columns();
  bool same = stored.size() == expected.size();
  for (std::size_t c = 0; same && c < expected.size(); ++c)
    same = stored[c].name == expected[c].name && stored[c].length == expected[c].length;
  if (!same)
    throw config_error(
        cat(file.path(), ": its result columns differ from what this nnsweep writes for ",
            sweep.experiment->name(), " — use the nnsweep that wrote it (nnsweep_version ",
            file.attribute("nnsweep_version"), ") or choose another --out"));
}

void check_same_sweep(const io::ResultsFile& file, const Sweep& sweep, const std::string& against,
                      const std::string& fix) {
  const std::string stored_experiment = file.attribute("experiment");
  if (stored_experiment != sweep.experiment->name())
    throw config_error(cat(file.path(), ": written by experiment '", stored_experiment, "', ",
                           against.empty() ? "the spec" : against, " is '",
                           sweep.experiment->name(), "' — ", fix));
  check_columns(file, sweep);
  const auto& schema = sweep.experiment->schema();
  const std::string text = file.spec_text();
  if (text == sweep.spec.canonical_text(schema)) return;
  const Sweep stored = load_sweep_text(text, file.path() + " /spec", {});
  const auto keys = config::differing_keys(stored.spec, sweep.spec, schema);
  if (!keys.empty())
    throw config_error(cat(file.path(), ": written by a different spec",
                           against.empty() ? "" : " than " + against,
                           " (differing keys: ", join(keys, ", "), ") — ", fix));
}

}  // namespace nnsweep::app
