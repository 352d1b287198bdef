// nnsweep status and nnsweep report: read a results file (no MPI needed).
#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "nnsweep/core/error.hpp"
#include "nnsweep/io/writer_lock.hpp"
#include "nnsweep/report/report.hpp"

namespace nnsweep::app {
namespace {

std::vector<std::string> list_option(const po::variables_map& vm, const char* name,
                                     std::vector<std::string> fallback) {
  if (vm.count(name) == 0) return fallback;
  const auto text = vm[name].as<std::string>();
  return text.empty() ? std::vector<std::string>{} : split(text, ',');
}

// Runs without an end record: the last one is running while its writer holds the lock; any
// other was killed.
std::string runs_text(const io::ResultsFile& file, const std::string& path, report::Format format) {
  report::Table table;
  table.headers = {"run", "started", "ranks", "io", "tasks", "makespan", "load balance", "exit"};
  table.numeric = {true, false, true, false, true, true, true, true};
  const auto runs = file.read_runs();
  const bool writing = io::writer_active(path);
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const auto& run = runs[r];
    const bool finished = !run.end.finished_utc.empty();
    char balance[16] = "";
    if (finished) std::snprintf(balance, sizeof balance, "%.1f%%", 100 * run.end.load_balance);
    const std::string exit = finished                          ? std::to_string(run.end.exit_code)
                             : writing && r + 1 == runs.size() ? "running"
                                                               : "killed";
    table.rows.push_back({std::to_string(r), run.start.started_utc,
                          std::to_string(run.start.mpi_size), run.start.io_mode,
                          finished ? std::to_string(run.end.tasks_done) : "",
                          finished ? format_duration(run.end.makespan_s) : "", balance, exit});
  }
  return runs.empty() ? std::string() : "\nruns:\n" + report::render(table, format);
}

}  // namespace

int status_command(const std::vector<std::string>& args) {
  po::options_description options(
      "nnsweep status FILE.h5 [options]\n\n"
      "Counts tasks by status (pending, done, failed, diverged, timed out), overall and per value "
      "of\n"
      "each swept parameter, and lists failed tasks with their errors. Safe while the sweep "
      "runs.\n\nOptions");
  options.add_options()("help,h", "show this help")(
      "by", po::value<std::string>(),
      "comma-separated parameters to break counts down by (default: the swept ones)")(
      "format", po::value<std::string>()->default_value("table"), "table, csv or markdown");
  const auto parsed = parse(args, options, "file", 1, "nnsweep status FILE.h5 [--by a,b]");
  if (!parsed) return exit_ok;
  const auto& vm = *parsed;
  if (vm.count("file") == 0) throw config_error("no results file — usage: nnsweep status FILE.h5");
  const auto path = vm["file"].as<std::string>();
  const io::ResultsFile file(path, io::ResultsFile::Access::read_only);
  const auto by = list_option(vm, "by", report::swept_parameters(file));
  const auto format = report::parse_format(vm["format"].as<std::string>());
  std::cout << report::status_text(file, by, format) << runs_text(file, path, format);
  return exit_ok;
}

int report_command(const std::vector<std::string>& args) {
  po::options_description options(
      "nnsweep report FILE.h5 [options]\n\n"
      "For every grid cell (values of the --by parameters): the mean over seeds of each metric "
      "(done\n"
      "tasks only) ± its standard error — the larger of the spread over seeds and the error "
      "implied\n"
      "by the tasks' own Monte Carlo errors — the theory value for the same cell, its kind\n"
      "(exact, nlo = next-to-leading order, lo = leading order, bound, numerical; mixed when the\n"
      "cell's tasks differ), z = (mean − theory) / sem, and a trust verdict (docs/statistics.md):\n"
      "ok; unresolved when in some task one sample carries more than half of the estimator\n"
      "(<metric>_max_share > 0.5: the sem means nothing, no z); proportion for a 0/1 metric\n"
      "(k/n with its Wilson 95% interval, no z).\n\nOptions");
  options.add_options()("help,h", "show this help")(
      "by", po::value<std::string>(),
      "comma-separated parameters that define a cell (default: the swept ones except seed)")(
      "metrics", po::value<std::string>(), "comma-separated metrics (default: all)")(
      "format", po::value<std::string>()->default_value("table"), "table, csv or markdown");
  const auto parsed = parse(args, options, "file", 1,
                            "nnsweep report FILE.h5 [--by a,b] [--metrics m1,m2] [--format csv]");
  if (!parsed) return exit_ok;
  const auto& vm = *parsed;
  if (vm.count("file") == 0) throw config_error("no results file — usage: nnsweep report FILE.h5");
  const io::ResultsFile file(vm["file"].as<std::string>(), io::ResultsFile::Access::read_only);
  const auto by = list_option(vm, "by", report::swept_parameters(file));
  const auto metrics = list_option(vm, "metrics", report::metric_names(file));
  const auto format = report::parse_format(vm["format"].as<std::string>());
  const auto statistics = report::aggregate(file, by, metrics);
  std::cout << report::render(report::statistics_table(statistics, by, format), format);
  if (format != report::Format::csv) {
    const auto notes = report::trust_notes(statistics);
    if (!notes.empty()) std::cout << "\n" << notes;
  }
  return exit_ok;
}

}  // namespace nnsweep::app
