#include "sweep.hpp"

#include <algorithm>

#include "nnsweep/core/error.hpp"

namespace nnsweep::app {

Sweep load_sweep(const experiments::Experiment& experiment, const config::RawSpec& raw) {
  experiments::check_declarations(experiment);
  Sweep sweep;
  sweep.experiment = &experiment;
  sweep.spec = config::resolve(raw, experiment.schema());
  sweep.column_options.save_weights = sweep.spec.save_weights;
  sweep.table = std::make_unique<grid::TaskTable>(
      std::string(experiment.name()), experiment.schema(), sweep.spec,
      [&experiment](config::ParamSet& p) { experiment.resolve(p); });
  sweep.table->validate();
  const auto& table = *sweep.table;
  sweep.columns = grid::ColumnSet(sweep.column_options);
  experiment.columns(table.params(0), sweep.columns);
  if (sweep.spec.save_weights && !sweep.columns.find("weights"))
    throw config_error(cat(sweep.spec.origin, " save_weights = true: ", experiment.name(),
                           " has no weights to save (it trains no network) — remove save_weights"));
  // Lengths may depend on the parameters: the file holds each at its largest over the cells.
  const bool sized =
      std::any_of(sweep.columns.columns().begin(), sweep.columns.columns().end(),
                  [](const grid::Column& c) { return !c.dims.empty() || c.is_text(); });
  for (std::size_t cell = 1; sized && cell < table.cell_count(); ++cell) {
    grid::ColumnSet other(sweep.column_options);
    experiment.columns(table.params(cell * table.seeds_per_cell()), other);
    sweep.columns.widen(other);
  }
  return sweep;
}

Sweep load_sweep(const std::string& path, const std::vector<std::string>& overrides) {
  const auto raw = config::read_spec_file(path, overrides);
  return load_sweep(experiments::find(raw.experiment), raw);
}

Sweep load_sweep_text(const std::string& text, const std::string& origin,
                      const std::vector<std::string>& overrides) {
  const auto raw = config::read_spec_text(text, origin, overrides);
  return load_sweep(experiments::find(raw.experiment), raw);
}

void check_columns(const io::ResultsFile& file, const Sweep& sweep) {
  if (!file.result_columns().same_layout(sweep.columns))
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
  // The spec first: a differing key (save_weights, say) explains differing columns too.
  const auto& schema = sweep.experiment->schema();
  const std::string text = file.spec_text();
  if (text != sweep.spec.canonical_text(schema)) {
    const Sweep stored = load_sweep_text(text, file.path() + " /spec", {});
    const auto keys = config::differing_keys(stored.spec, sweep.spec, schema);
    if (!keys.empty())
      throw config_error(cat(file.path(), ": written by a different spec",
                             against.empty() ? "" : " than " + against,
                             " (differing keys: ", join(keys, ", "), ") — ", fix));
  }
  check_columns(file, sweep);
}

}  // namespace nnsweep::app
