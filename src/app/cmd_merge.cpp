// nnsweep merge: combine the files of one sweep's shards (or of runs split any other way) into
// one results file. Inputs must come from the same spec; each task is taken from the input with
// its most final row (the first among equals); the inputs' /runs rows are carried over.
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "cli.hpp"
#include "nnsweep/core/error.hpp"
#include "nnsweep/core/system.hpp"
#include "nnsweep/io/writer_lock.hpp"
#include "output.hpp"

namespace nnsweep::app {

int merge_command(const std::vector<std::string>& args) {
  po::options_description options(
      "nnsweep merge OUT.h5 IN.h5... [options]\n\n"
      "Writes OUT.h5 with every task committed in any IN file (the shards of one sweep, e.g. from\n"
      "nnsweep run --shard I/K in a Slurm array). All inputs must have been written from the same\n"
      "spec. Exit code 0 when every task is in OUT, 75 when some are still pending (run the "
      "missing\n"
      "shards, or finish with nnsweep run SPEC --out OUT.h5 --resume), 2 when the inputs "
      "disagree.\n\nOptions");
  options.add_options()("help,h", "show this help")("force,f", po::bool_switch(),
                                                    "replace an existing OUT.h5");
  const auto parsed = parse(args, options, "files", -1, "nnsweep merge OUT.h5 IN.h5...");
  if (!parsed) return exit_ok;
  const auto& vm = *parsed;
  const auto files = vm.count("files") > 0 ? vm["files"].as<std::vector<std::string>>()
                                           : std::vector<std::string>{};
  if (files.size() < 2)
    throw config_error(
        "need an output and at least one input — usage: nnsweep merge OUT.h5 IN.h5...");
  const std::string& out = files.front();
  const std::vector<std::string> inputs(files.begin() + 1, files.end());

  check_output_path(out);
  std::vector<io::ResultsFile> sources;
  for (const auto& path : inputs) {
    if (path == out || same_file(path, out))
      throw config_error(
          cat(path, ": is both the output and an input — write the merge to a new file"));
    sources.emplace_back(path, io::ResultsFile::Access::read_only);
  }
  const std::string spec_text = sources.front().spec_text();
  const Sweep sweep = load_sweep_text(spec_text, inputs.front() + " /spec", {});
  check_columns(sources.front(), sweep);
  for (std::size_t i = 1; i < sources.size(); ++i)
    check_same_sweep(sources[i], sweep, inputs.front(), "merge only shards of one sweep");

  io::WriterLock lock(out);
  const std::string& target = lock.file();  // through a link: the file it names
  if (::access(target.c_str(), F_OK) == 0) {
    if (!vm["force"].as<bool>())
      throw config_error(
          cat(out, ": already exists — choose a new output, or replace it with --force"));
    remove_to_replace(target);
  }
  io::FileLayout layout = file_layout(sweep);
  layout.spec_text = spec_text;  // as stored (the canonical text of the same spec)
  std::vector<std::string> words(args.begin(), args.end());
  io::create(target, *sweep.table, layout,
             {"nnsweep " + join(words, " "), hostname(), "", utc_now(), 1});
  lock.hold_file();

  // Each task is taken from the input with its most final row: done or diverged beat failed,
  // which beats timed out (abandoned); among equals the first input wins.
  const auto finality = [](std::uint8_t status) {
    switch (static_cast<grid::TaskStatus>(status)) {
      case grid::TaskStatus::done:
      case grid::TaskStatus::diverged:
        return 3;
      case grid::TaskStatus::failed:
        return 2;
      case grid::TaskStatus::timed_out:
        return 1;
      default:
        return 0;
    }
  };
  const std::size_t tasks = sweep.table->size();
  std::vector<int> best(tasks, 0), source(tasks, -1);
  std::size_t duplicates = 0;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const auto status = sources[i].read_status();
    for (std::size_t t = 0; t < tasks; ++t) {
      const int f = finality(status[t]);
      if (f == 0) continue;
      if (f > best[t]) {
        duplicates += best[t] > 0 ? 1 : 0;
        best[t] = f;
        source[t] = static_cast<int>(i);
      } else {
        ++duplicates;
      }
    }
  }
  const auto finished = static_cast<std::size_t>(
      std::count_if(best.begin(), best.end(), [](int f) { return f >= 2; }));
  const std::size_t pending = tasks - finished;

  // Inputs are checked before OUT exists; should copying still fail, OUT must not be left half
  // written where a user could take it for a result.
  try {
    io::ResultsFile merged(target, io::ResultsFile::Access::serial_write);
    for (std::size_t i = 0; i < sources.size(); ++i) {
      std::vector<int> run_index;  // input run → output run
      for (const auto& run : sources[i].read_runs()) {
        run_index.push_back(merged.begin_run(run.start));
        merged.end_run(run_index.back(), run.end);
      }
      std::vector<std::size_t> copy;
      for (std::size_t t = 0; t < tasks; ++t)
        if (source[t] == static_cast<int>(i)) copy.push_back(t);
      auto records = sources[i].read_records(copy);
      for (auto& r : records)
        r.run = r.run >= 0 && static_cast<std::size_t>(r.run) < run_index.size()
                    ? run_index[static_cast<std::size_t>(r.run)]
                    : -1;
      merged.commit(records);
    }
    merged.close();
  } catch (...) {
    std::remove(target.c_str());
    throw;
  }
  std::fprintf(
      stderr, "nnsweep: merged %zu files into %s: %zu of %zu tasks finished%s", inputs.size(),
      printable(out).c_str(), finished, tasks,
      duplicates > 0 ? cat(" (", duplicates, " other copies of them ignored)").c_str() : "");
  std::fprintf(stderr,
               pending > 0 ? ", %zu still to do (pending or timed out) — finish with: nnsweep run "
                             "SPEC --out %s --resume\n"
                           : "\n",
               pending, printable(shell_quote(out)).c_str());
  return pending > 0 ? exit_incomplete : exit_ok;
}

}  // namespace nnsweep::app
