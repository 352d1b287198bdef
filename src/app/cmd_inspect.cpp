// nnsweep status and nnsweep report: read a results file (no MPI needed). `report --html` hands
// the page (which embeds the figure) to the Python package, which draws with matplotlib.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
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

// The exit code the last run recorded in /runs; a run without an end record (killed, or still
// running) counts as 75: tasks may remain, resume it. No run recorded: 75 if tasks are pending.
int last_exit_code(const io::ResultsFile& file) {
  const auto runs = file.read_runs();
  if (runs.empty()) {
    const auto status = file.read_status();
    return std::count(status.begin(), status.end(), 0) > 0 ? exit_incomplete : exit_ok;
  }
  const auto& last = runs.back();
  return last.end.finished_utc.empty() ? exit_incomplete : static_cast<int>(last.end.exit_code);
}

std::string outcome_text(int code) {
  switch (code) {
    case exit_ok:
      return "finished, every task done or diverged";
    case exit_failed_tasks:
      return "finished with failed tasks (rerun them with --retry-failed)";
    case exit_incomplete:
      return "tasks remain (resume it)";
    default:
      return "error";
  }
}

// The directory holding the Python package `nnsweep`: $NNSWEEP_PYTHONPATH, else `python/` in a
// directory above the executable (the source tree it was built in: build/<preset>/nnsweep).
std::string python_package_dir() {
  namespace fs = std::filesystem;
  if (const char* given = std::getenv("NNSWEEP_PYTHONPATH"); given != nullptr && *given != '\0')
    return given;
  std::error_code ignored;
  fs::path dir = fs::read_symlink("/proc/self/exe", ignored).parent_path();
  for (int up = 0; up < 4 && !dir.empty(); ++up, dir = dir.parent_path()) {
    if (fs::exists(dir / "python" / "nnsweep" / "page.py", ignored))
      return (dir / "python").string();
    if (dir == dir.parent_path()) break;
  }
  throw error(
      "report --html: cannot find the Python package nnsweep (python/ of the source tree) — set "
      "NNSWEEP_PYTHONPATH to its directory");
}

// Runs `python3 -m nnsweep report FILE --html OUT ...` with the package on PYTHONPATH; returns its
// exit status (2 for bad input, as here). $NNSWEEP_PYTHON names the interpreter (default
// /usr/bin/python3, Debian's, which sees python3-matplotlib; else python3 on PATH).
int html_report(const std::vector<std::string>& args) {
  const std::string package = python_package_dir();
  const char* chosen = std::getenv("NNSWEEP_PYTHON");
  const std::string python = chosen != nullptr && *chosen != '\0'      ? chosen
                             : ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3"
                                                                       : "python3";
  std::vector<std::string> argv = {python, "-m", "nnsweep", "report"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> pointers;
  for (auto& a : argv) pointers.push_back(a.data());
  pointers.push_back(nullptr);
  std::cout.flush();
  const pid_t child = ::fork();
  if (child < 0) throw error(cat("report --html: fork failed (", std::strerror(errno), ")"));
  if (child == 0) {
    const char* old = std::getenv("PYTHONPATH");
    const std::string path = old != nullptr && *old != '\0' ? package + ":" + old : package;
    ::setenv("PYTHONPATH", path.c_str(), 1);
    ::execvp(pointers[0], pointers.data());
    std::fprintf(stderr,
                 "nnsweep: error: report --html: cannot run %s (%s) — install python3 "
                 "with python3-matplotlib, or set NNSWEEP_PYTHON\n",
                 pointers[0], std::strerror(errno));
    ::_exit(exit_failure);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : exit_failure;
}

}  // namespace

int status_command(const std::vector<std::string>& args) {
  po::options_description options(
      "nnsweep status FILE.h5 [options]\n\n"
      "Counts tasks by status (pending, done, failed, diverged, timed out), overall and per value "
      "of\n"
      "each swept parameter, and lists failed tasks with their parameters and errors. Safe while "
      "the sweep "
      "runs.\n\nOptions");
  options.add_options()("help,h", "show this help")(
      "by", po::value<std::string>(),
      "comma-separated parameters to break counts down by (default: the swept ones)")(
      "format", po::value<std::string>()->default_value("table"),
      "table, markdown, or for programs csv|json: one table of counts — columns parameter, "
      "value (both empty on the whole-file row), pending, done, failed, diverged, timed_out, "
      "total — and nothing else")(
      "exit-code", po::bool_switch(),
      "exit with the exit code the last run recorded in /runs (0, 3 failed tasks, 75 tasks "
      "remain; a run killed or still running counts as 75): the run's outcome for scripts "
      "behind mpirun, whose own exit status can be 1 after a SIGTERM the ranks survived");
  const auto parsed = parse(args, options, "file", 1, "nnsweep status FILE.h5 [--by a,b]");
  if (!parsed) return exit_ok;
  const auto& vm = *parsed;
  if (vm.count("file") == 0) throw config_error("no results file — usage: nnsweep status FILE.h5");
  const auto path = vm["file"].as<std::string>();
  const io::ResultsFile file(path, io::ResultsFile::Access::read_only);
  const auto by = list_option(vm, "by", report::swept_parameters(file));
  const auto format = report::parse_format(vm["format"].as<std::string>());
  std::cout << report::status_text(file, by, format);
  const int last = last_exit_code(file);
  if (!report::machine_readable(format)) {
    std::cout << runs_text(file, path, format);
    const auto runs = file.read_runs();
    if (!runs.empty() && runs.back().end.finished_utc.empty())
      std::cout << "\nlast run: no end record yet (running, or killed) — --exit-code gives 75\n";
    else if (!runs.empty())
      std::cout << "\nlast run: exit " << last << " — " << outcome_text(last) << "\n";
  }
  if (vm["exit-code"].as<bool>()) return last;
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
      "(k/n with its Wilson 95% interval, no z).\n"
      "With --html OUT.html: one self-contained page instead (provenance, status, the figure and\n"
      "the cell table with trust flags and theory kinds; no network access needed to open it),\n"
      "written by the Python package (python/; NNSWEEP_PYTHONPATH, NNSWEEP_PYTHON override).\n"
      "\nOptions");
  options.add_options()("help,h", "show this help")(
      "by", po::value<std::string>(),
      "comma-separated parameters that define a cell (default: the swept ones except seed)")(
      "metrics", po::value<std::string>(), "comma-separated metrics (default: all)")(
      "format", po::value<std::string>()->default_value("table"), "table, csv, json or markdown")(
      "html", po::value<std::string>(), "write one self-contained HTML page to this path");
  const auto parsed =
      parse(args, options, "file", 1,
            "nnsweep report FILE.h5 [--by a,b] [--metrics m1,m2] [--format csv] [--html OUT]");
  if (!parsed) return exit_ok;
  const auto& vm = *parsed;
  if (vm.count("file") == 0) throw config_error("no results file — usage: nnsweep report FILE.h5");
  const io::ResultsFile file(vm["file"].as<std::string>(), io::ResultsFile::Access::read_only);
  if (vm.count("html") != 0) {
    const auto out = vm["html"].as<std::string>();
    NNSWEEP_CHECK(!out.empty(), "--html (empty): give the page's path, e.g. --html sweep.html");
    std::vector<std::string> forwarded = {vm["file"].as<std::string>(), "--html", out};
    for (const char* key : {"by", "metrics"})
      if (vm.count(key) != 0) {
        forwarded.push_back(cat("--", key));
        forwarded.push_back(vm[key].as<std::string>());
      }
    // Checked here first, so that a wrong name exits 2 with the same message as without --html.
    const auto by = list_option(vm, "by", report::swept_parameters(file));
    report::aggregate(file, by, list_option(vm, "metrics", report::metric_names(file)));
    return html_report(forwarded);
  }
  const auto by = list_option(vm, "by", report::swept_parameters(file));
  const auto metrics = list_option(vm, "metrics", report::metric_names(file));
  const auto format = report::parse_format(vm["format"].as<std::string>());
  const auto statistics = report::aggregate(file, by, metrics);
  std::cout << report::render(report::statistics_table(statistics, by, format), format);
  if (!report::machine_readable(format)) {
    const auto notes = report::trust_notes(statistics);
    if (!notes.empty()) std::cout << "\n" << notes;
  }
  return exit_ok;
}

}  // namespace nnsweep::app
