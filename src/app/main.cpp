// nnsweep: parse the subcommand, dispatch, turn errors into exit codes.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "nnsweep/core/error.hpp"
#include "nnsweep/core/version.hpp"
#include "nnsweep/experiments/experiment.hpp"

namespace {

constexpr const char* help_text =
    R"(nnsweep — deep-learning-theory experiments as sweeps on MPI clusters

usage: nnsweep <command> [options]      (nnsweep <command> --help for details)

commands:
  run SPEC.ini      run the sweep's pending tasks under MPI, results into one HDF5 file
                    (mpirun -n 4 nnsweep run jobs/examples/correlations.ini)
  plan SPEC.ini     task count, total cost, suggested ranks × wall time; runs nothing
  status FILE.h5    done / failed / pending tasks, per value of each swept parameter
  report FILE.h5    mean ± sem over seeds per grid cell beside theory and its kind, z where
                    the estimate is trusted; --html OUT: one self-contained page
  diff A.h5 B.h5    compare two sweeps cell by cell: z of each metric's difference, Holm-corrected
                    verdict, bit-for-bit check for files of the same build; exit 0 same, 1 differ
  merge OUT IN...   combine the shard files of one sweep (nnsweep run --shard I/K) into one
  theory EXPERIMENT theory predictions only, for a grid given by --set (or a spec)
  list [EXPERIMENT] experiments, their parameters, defaults, units and help

  --version         version and the commit it was built from
  --help            this text

exit codes: 0 success, 1 error (diff: the files differ), 2 bad spec/arguments/output path or a
            damaged or non-regular input file,
            3 run finished but some tasks failed (status lists them; diverged tasks are results),
            75 run stopped early, tasks remain (resume it). Under mpirun, Open MPI 4.1's mpirun
            itself exits 1 when IT receives SIGTERM although every rank drains and returns 75:
            the outcome is in the file's /runs table (nnsweep status FILE.h5 --exit-code)
docs: README.md, docs/ (results-file.md: the HDF5 layout)
)";

// The registered experiments, one per line with its summary.
std::string experiment_lines() {
  std::string out = "\nexperiments (nnsweep list EXPERIMENT for parameters and columns):\n";
  for (const auto* e : nnsweep::experiments::all())
    out += nnsweep::cat("  ", e->name(),
                        std::string(e->name().size() < 16 ? 16 - e->name().size() : 1, ' '),
                        e->summary(), "\n");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace nnsweep;
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    std::cout << help_text << experiment_lines();
    return argc < 2 ? exit_usage : exit_ok;
  }
  if (std::strcmp(argv[1], "--version") == 0) {
    std::cout << "nnsweep " << version() << " (" << git_sha() << ")\n";
    return exit_ok;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (command == "run") return app::run_command(argc - 1, argv + 1);
    if (command == "plan") return app::plan_command(args);
    if (command == "status") return app::status_command(args);
    if (command == "report") return app::report_command(args);
    if (command == "theory") return app::theory_command(args);
    if (command == "list") return app::list_command(args);
    if (command == "merge") return app::merge_command(args);
    if (command == "diff") return app::diff_command(args);
    const std::string hint =
        nearest(command, {"run", "plan", "status", "report", "theory", "list", "merge", "diff"});
    std::fprintf(stderr, "nnsweep: error: '%s' is not a command%s — see nnsweep --help\n",
                 printable(command).c_str(),
                 hint.empty() ? "" : (" (did you mean '" + hint + "'?)").c_str());
    return exit_usage;
  } catch (const config_error& e) {
    // Messages echo specs, paths and file contents: escaped, so that each is one clean line.
    std::fprintf(stderr, "nnsweep: error: %s\n", printable(e.what()).c_str());
    return exit_usage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nnsweep: error: %s\n", printable(e.what()).c_str());
    return exit_failure;
  }
}
