// nnsweep diff: compare two results files cell by cell (report/diff.hpp), for regression checks
// across versions and machines. Exit 0: every tested (cell, metric) pair consistent (or
// identical); 1: some pair differs after Holm's correction; 2: bad input (unreadable file,
// different experiments, no common cell or metric, bad option).
#include <iostream>

#include "cli.hpp"
#include "nnsweep/core/error.hpp"
#include "nnsweep/report/diff.hpp"

namespace nnsweep::app {
namespace {

std::vector<std::string> list_of(const po::variables_map& vm, const char* name) {
  if (vm.count(name) == 0) return {};
  const auto text = vm[name].as<std::string>();
  return text.empty() ? std::vector<std::string>{} : split(text, ',');
}

io::ResultsFile open_input(const std::string& path) {
  try {
    return io::ResultsFile(path, io::ResultsFile::Access::read_only);
  } catch (const io_error& e) {
    throw config_error(e.what());  // bad input: exit 2, never the "differ" code 1
  }
}

}  // namespace

int diff_command(const std::vector<std::string>& args) {
  po::options_description options(
      "nnsweep diff A.h5 B.h5 [options]\n\n"
      "Compares two results files of one experiment cell by cell (cells: values of the --by\n"
      "parameters; default the swept parameters of either file, seeds pooled), per metric:\n"
      "z = (mean_A − mean_B) / √(sem_A² + sem_B²) (sem as in nnsweep report; 0/1 metrics: the\n"
      "pooled two-proportion test), its two-sided p-value, and Holm's step-down correction over\n"
      "every tested (cell, metric) pair, so that the chance of any false 'differ' is at most\n"
      "--alpha. Cells in one file only, and cells whose trust verdict is not ok (unresolved,\n"
      "no done task), are not tested. Where both files come from the same build (version, commit\n"
      "and -march) tasks with the same parameters are compared bit for bit: verdict identical.\n"
      "Fixed parameters that differ between the files are named in a note.\n"
      "Exit code: 0 no pair differs, 1 some pair differs, 2 bad input.\n\nOptions");
  options.add_options()("help,h", "show this help")(
      "by", po::value<std::string>(), "comma-separated parameters that define a cell")(
      "metrics", po::value<std::string>(), "comma-separated metrics (default: those of both)")(
      "alpha", po::value<double>()->default_value(0.05),
      "family-wise error level of the 'differ' verdict")(
      "format", po::value<std::string>()->default_value("table"), "table, csv, json or markdown");
  const auto parsed = parse(args, options, "files", 2, "nnsweep diff A.h5 B.h5 [--alpha 0.05]");
  if (!parsed) return exit_ok;
  const auto& vm = *parsed;
  const auto files = vm.count("files") > 0 ? vm["files"].as<std::vector<std::string>>()
                                           : std::vector<std::string>{};
  if (files.size() != 2)
    throw config_error("need two results files — usage: nnsweep diff A.h5 B.h5");
  const auto format = report::parse_format(vm["format"].as<std::string>());
  const auto a = open_input(files[0]);
  const auto b = open_input(files[1]);
  const double alpha = vm["alpha"].as<double>();
  const auto result = report::diff(a, b, list_of(vm, "by"), list_of(vm, "metrics"), alpha);
  std::cout << report::render(report::diff_table(result, format), format);
  if (report::machine_readable(format))
    std::cerr << report::diff_summary(result, alpha);
  else
    std::cout << "\n" << report::diff_summary(result, alpha);
  return result.differing > 0 ? exit_differ : exit_ok;
}

}  // namespace nnsweep::app
