// nnsweep list and nnsweep theory: what the experiments are, and what theory predicts.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>

#include "cli.hpp"
#include "nnsweep/core/error.hpp"
#include "nnsweep/report/table.hpp"
#include "sweep.hpp"

namespace nnsweep::app {
namespace {

std::string valid_values(const config::ParamSpec& p) {
  std::string text;
  if (p.type == config::ParamType::choice) {
    text = join(p.choices, " | ");
  } else {
    const bool lo = std::isfinite(p.min), hi = std::isfinite(p.max);
    text = lo && hi ? cat("[", format_number(p.min), ", ", format_number(p.max), "]")
           : lo     ? cat(">= ", format_number(p.min))
           : hi     ? cat("<= ", format_number(p.max))
                    : "any";
    for (const auto& word : p.choices) text += " | " + word;
  }
  return p.allows_auto ? text + " | auto" : text;
}

// The kinds of a cell's theory values in one cell of a table: the most common kind, then the
// columns of other kinds ("lo; nlo: theory_k2"); columns without a prediction are left out.
std::string theory_kinds_text(const std::vector<std::pair<std::string, grid::TheoryKind>>& kinds) {
  std::map<grid::TheoryKind, std::vector<std::string>> by_kind;
  for (const auto& [name, kind] : kinds)
    if (kind != grid::TheoryKind::none) by_kind[kind].push_back(name);
  if (by_kind.empty()) return "";
  auto common = by_kind.begin();
  for (auto it = by_kind.begin(); it != by_kind.end(); ++it)
    if (it->second.size() > common->second.size()) common = it;
  std::string out(grid::theory_kind_name(common->first));
  for (const auto& [kind, names] : by_kind)
    if (kind != common->first)
      out += cat("; ", grid::theory_kind_name(kind), ": ", join(names, " "));
  return out;
}

// One experiment: its parameters, the columns of its results file (with the weights that
// save_weights adds, where it has them) and its replicate axes.
std::string describe(const experiments::Experiment& experiment, report::Format format) {
  // Markdown needs a blank line between a paragraph and a table.
  const std::string gap = format == report::Format::markdown ? "\n\n" : "\n";
  std::string out;
  report::Table params;
  params.headers = {"name", "type", "default", "unit", "valid", "help"};
  for (const auto& p : experiment.schema().params())
    params.rows.push_back({p.name, std::string(config::type_name(p.type)), p.default_value, p.unit,
                           valid_values(p), p.help});
  out += "parameters:" + gap + report::render(params, format);
  const std::string defaults = cat("experiment = ", experiment.name(), "\n");
  Sweep sweep = load_sweep_text(defaults, "defaults", {});
  bool weights = false;
  try {
    sweep = load_sweep_text(defaults, "defaults", {"save_weights=true"});
    weights = true;
  } catch (const config_error&) {  // it has no weights to save
  }
  report::Table columns;
  columns.headers = {"column", "kind", "units", "description"};
  for (const auto& c : sweep.columns.columns()) {
    std::vector<std::string> dims;
    for (const auto& d : c.dims) dims.push_back(d.name);
    std::string name = dims.empty() ? c.name : cat(c.name, "[", join(dims, ", "), "]");
    if (c.is_text()) name += cat(" (text, ", c.string_size, " bytes)");
    std::string kind(grid::kind_name(c.kind));
    if (weights && c.name == "weights") kind += " (save_weights = true)";
    columns.rows.push_back({name, kind, c.units, c.description});
  }
  out +=
      "\ncolumns of the results file (each theory column X also has X_kind, each dimension D "
      "D_count):" +
      gap + report::render(columns, format);
  out +=
      cat("\nreplicate axes (report pools over them): ", join(experiment.replicates(), ", "), "\n");
  return out;
}

}  // namespace

int list_command(const std::vector<std::string>& args) {
  po::options_description options(
      "nnsweep list [EXPERIMENT] [options]\n\n"
      "Without EXPERIMENT: the experiments. With it: its parameters (type, default, unit, valid "
      "values,\n"
      "help) — every one can be swept in a spec's [params] — and the columns it "
      "writes.\n\nOptions");
  options.add_options()("help,h", "show this help")(
      "all", po::bool_switch(),
      "every experiment's parameters and columns, one section each (with --format markdown: "
      "the generated part of docs/results-file.md, see scripts/update-docs.sh)")(
      "format", po::value<std::string>()->default_value("table"), "table, csv, json or markdown");
  const auto parsed = parse(args, options, "experiment", 1, "nnsweep list [EXPERIMENT]");
  if (!parsed) return exit_ok;
  const auto& vm = *parsed;
  const auto format = report::parse_format(vm["format"].as<std::string>());
  if (vm["all"].as<bool>()) {
    if (vm.count("experiment") > 0)
      throw config_error("--all lists every experiment — give EXPERIMENT or --all, not both");
    bool first = true;
    for (const auto* e : experiments::all()) {
      std::cout << (first ? "" : "\n") << (format == report::Format::markdown ? "### " : "")
                << e->name() << "\n\n"
                << e->summary() << "\n\n"
                << describe(*e, format);
      first = false;
    }
    return exit_ok;
  }
  if (vm.count("experiment") == 0) {
    report::Table table;
    table.headers = {"experiment", "what it measures"};
    for (const auto* e : experiments::all())
      table.rows.push_back({std::string(e->name()), std::string(e->summary())});
    std::cout << report::render(table, format)
              << "\nnnsweep list EXPERIMENT shows its parameters and columns.\n";
    return exit_ok;
  }
  const auto& experiment = experiments::find(vm["experiment"].as<std::string>());
  std::cout << experiment.name() << ": " << experiment.summary() << "\n\n"
            << describe(experiment, format);
  return exit_ok;
}

int theory_command(const std::vector<std::string>& args) {
  po::options_description options(
      "nnsweep theory EXPERIMENT [options]\n\n"
      "Prints the theory (and derived) columns for every grid cell, computed from the parameters\n"
      "alone — no sampling, no MPI. The grid is the experiment's defaults changed by --set (axis\n"
      "expressions allowed, e.g. --set width=16..256*2), or a spec file.\n\nOptions");
  options.add_options()("help,h", "show this help")(
      "set,s", po::value<std::vector<std::string>>()->composing(),
      "key=value (a parameter, any axis expression); repeatable")(
      "spec", po::value<std::string>(), "take the grid from this spec file instead")(
      "format", po::value<std::string>()->default_value("table"), "table, csv, json or markdown");
  const auto parsed =
      parse(args, options, "experiment", 1, "nnsweep theory EXPERIMENT [--set key=value]...");
  if (!parsed) return exit_ok;
  const auto& vm = *parsed;
  const auto sets =
      vm.count("set") > 0 ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (vm.count("experiment") == 0 && vm.count("spec") == 0)
    throw config_error("no experiment — usage: nnsweep theory EXPERIMENT [--set key=value]...");
  const Sweep sweep =
      vm.count("spec") > 0
          ? load_sweep(vm["spec"].as<std::string>(), sets)
          : load_sweep_text(cat("experiment = ", vm["experiment"].as<std::string>(), "\n"), "--set",
                            sets);
  const auto& schema = sweep.experiment->schema();
  std::vector<std::size_t> swept;
  for (std::size_t i = 0; i + 1 < schema.size(); ++i)
    if (sweep.spec.values[i].size() > 1) swept.push_back(i);
  report::Table table;
  for (const std::size_t i : swept) table.headers.push_back(schema[i].name);
  const auto& set = sweep.columns;
  std::vector<std::size_t> shown;  // scalar theory and derived columns, and text ones
  for (std::size_t c = 0; c < set.size(); ++c)
    if (set[c].kind != grid::ColumnKind::metric && set[c].dims.empty()) shown.push_back(c);
  for (const std::size_t c : shown) table.headers.push_back(set[c].name);
  table.headers.emplace_back("kind");
  table.numeric.assign(table.headers.size(), true);
  table.numeric.back() = false;
  const auto format = report::parse_format(vm["format"].as<std::string>());
  const auto text = [format](double v) {
    if (std::isnan(v)) return std::string();
    if (report::machine_readable(format)) return format_number(v);  // every digit, for tools
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.6g", v);
    return std::string(buffer);
  };
  const auto& grid = *sweep.table;
  for (std::size_t cell = 0; cell < grid.cell_count(); ++cell) {
    const auto params = grid.params(cell * grid.seeds_per_cell());
    grid::ColumnSet columns(sweep.column_options);
    sweep.experiment->columns(params, columns);
    grid::Row row = columns.row();
    sweep.experiment->theory({params, sweep.column_options}, row);
    std::vector<std::string> line;
    for (const std::size_t i : swept) line.push_back(config::format_value(params.value(i)));
    std::vector<std::pair<std::string, grid::TheoryKind>> kinds;
    for (const std::size_t c : shown) {
      if (columns[c].is_text()) {
        line.push_back(row.data().texts[columns.text_index(c)]);
        continue;
      }
      line.push_back(text(row.data().numbers[columns.number_offset(c)]));
      if (columns[c].kind == grid::ColumnKind::theory)
        kinds.emplace_back(columns[c].name, static_cast<grid::TheoryKind>(
                                                row.data().theory_kinds[columns.theory_index(c)]));
    }
    line.push_back(theory_kinds_text(kinds));
    table.rows.push_back(std::move(line));
  }
  std::cout << report::render(table, format);
  return exit_ok;
}

}  // namespace nnsweep::app
