// nnsweep plan: what a sweep costs and how many ranks it deserves, from the cost model alone.
#include <cmath>
#include <iostream>
#include <numeric>

#include "cli.hpp"
#include "nnsweep/core/error.hpp"
#include "nnsweep/report/table.hpp"
#include "work_units.hpp"

namespace nnsweep::app {

int plan_command(const std::vector<std::string>& args) {
  po::options_description options(
      "nnsweep plan SPEC.ini [options]\n\n"
      "Counts the tasks of a sweep and predicts its cost from the experiment's cost model (FLOPs "
      "and\n"
      "the kernel's nominal speed on one core), then simulates longest-first dispatch to suggest "
      "a\n"
      "rank count. Runs nothing.\n\nOptions");
  options.add_options()("help,h", "show this help")(
      "set,s", po::value<std::vector<std::string>>()->composing(),
      "override a spec entry: key=value; repeatable")(
      "efficiency", po::value<std::string>()->default_value("0.9"),
      "smallest acceptable load balance for the suggestion, in (0, 1]")(
      "format", po::value<std::string>()->default_value("table"),
      "table, markdown, or for programs csv|json: one table, one row per rank count, columns "
      "ranks, wall_s (predicted makespan, seconds), load_balance (0..1), core_hours, tasks, "
      "cost_flops, suggested (1 on the suggested rank count), nothing else printed");
  const auto parsed = parse(args, options, "spec", 1, "nnsweep plan SPEC.ini [--set key=value]...");
  if (!parsed) return exit_ok;
  const auto& vm = *parsed;
  if (vm.count("spec") == 0) throw config_error("no spec file — usage: nnsweep plan SPEC.ini");
  const double target =
      real_option(vm, "efficiency", 0, 1, "must be a load balance (a fraction)", true);
  const auto sets =
      vm.count("set") > 0 ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
  const Sweep sweep = load_sweep(vm["spec"].as<std::string>(), sets);
  const auto units = work_units(sweep, std::vector<bool>(sweep.table->size(), true));
  std::vector<double> seconds;
  for (const auto& u : units) seconds.push_back(u.cost / sweep.experiment->nominal_flops());
  const double total = std::accumulate(seconds.begin(), seconds.end(), 0.0);
  const double longest = *std::max_element(seconds.begin(), seconds.end());
  const double flops = total * sweep.experiment->nominal_flops();

  const auto format = report::parse_format(vm["format"].as<std::string>());
  const bool machine = report::machine_readable(format);
  if (!machine)
    std::cout << "experiment " << sweep.experiment->name() << ": " << sweep.table->size()
              << " tasks = " << sweep.table->cell_count() << " grid cells x "
              << sweep.table->seeds_per_cell() << " seeds, " << units.size() << " work units\n"
              << "cost " << format_number(std::stod(cat(flops)))
              << " FLOPs = " << format_duration(total) << " on one core (longest unit "
              << format_duration(longest) << ")\n\n";

  report::Table table;
  table.headers = {"ranks", "wall time", "load balance", "core-hours"};
  if (machine)
    table.headers = {"ranks", "wall_s",     "load_balance", "core_hours",
                     "tasks", "cost_flops", "suggested"};
  table.numeric.assign(table.headers.size(), true);
  std::size_t suggested = 1;
  double suggested_wall = total;
  for (std::size_t ranks = 1; ranks <= std::max<std::size_t>(1, units.size()) && ranks <= 65536;
       ranks *= 2) {
    const double wall = sched::simulate_makespan(seconds, ranks);
    const double efficiency = total / (static_cast<double>(ranks) * wall);
    if (efficiency >= target) {
      suggested = ranks;
      suggested_wall = wall;
    }
    char balance[16], hours[32];
    std::snprintf(balance, sizeof balance, "%.1f%%", 100 * efficiency);
    std::snprintf(hours, sizeof hours, "%.3g", static_cast<double>(ranks) * wall / 3600);
    if (machine)
      table.rows.push_back({std::to_string(ranks), cat(wall), cat(efficiency),
                            cat(static_cast<double>(ranks) * wall / 3600),
                            std::to_string(sweep.table->size()), cat(flops), "0"});
    else
      table.rows.push_back({std::to_string(ranks), format_duration(wall), balance, hours});
  }
  if (machine) {
    for (auto& row : table.rows)
      if (row[0] == std::to_string(suggested)) row.back() = "1";
    std::cout << report::render(table, format);
    return exit_ok;
  }
  std::cout << report::render(table, format);
  std::cout << "\nsuggested: " << suggested << " ranks x " << format_duration(suggested_wall)
            << " (load balance >= " << 100 * target
            << "%); times assume this machine's nominal kernel speed\n";
  return exit_ok;
}

}  // namespace nnsweep::app
