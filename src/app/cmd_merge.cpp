// nnsweep merge: combine the files of one sweep's shards (or of runs split any other way) into
// one results file. Inputs must come from the same spec; each task is taken from the first input
// that committed it; the inputs' /runs rows are carried over.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "nnsweep/core/error.hpp"
#include "nnsweep/io/writer_lock.hpp"
#include "sweep.hpp"

namespace nnsweep::app {

int merge_command(const std::vector<std::string>& args) {
  po::options_description options(
      "nnsweep merge OUT.h5 IN.h5... [options]\n\n"
      "Writes OUT.h5 with every task committed in any IN file (the shards of one sweep, e.g. from\n"
      "nnsweep run --shard I/K in a Slurm array). All inputs must have been written from the same\n"
      "spec. Exit code 0 when every task is in OUT, 75 when some are still pending (run the "
      "missing\n"
      "shards, or nnsweep run --resume OUT.h5 to finish), 2 when the inputs disagree.\n\nOptions");
  options.add_options()("help,h", "show this help")("force,f", po::bool_switch(),
                                                    "replace an existing OUT.h5")(
      "files", po::value<std::vector<std::string>>(), "");
  const auto parsed = parse(args, options, "files", -1, "nnsweep merge OUT.h5 IN.h5...");
  if (!parsed) return exit_ok;
  const auto& vm = *parsed;
  const auto files = vm.count("files") > 0 ? vm["files"].as<std::vector<std::string>>()
                                           : std::vector<std::string>{};
  if (files.size() < 2)
    throw config_error(
        "need an output and at least one input — usage: nnsweep merge OUT.h5 IN.h5...");
  const std::string out = files.front();
  const std::vector<std::string> inputs(files.begin() + 1, files.end());

  std::vector<io::ResultsFile> sources;
  for (const auto& path : inputs) {
    if (path == out)
      throw config_error(
          cat(path, ": is both the output and an input — write the merge to a new file"));
    sources.emplace_back(path, io::ResultsFile::Access::read_only);
  }
  const std::string spec_text = sources.front().spec_text();
  const Sweep sweep = load_sweep_text(spec_text, inputs.front() + " /spec", {});
  for (std::size_t i = 1; i < sources.size(); ++i) {
    if (sources[i].spec_text() == spec_text) continue;
    if (sources[i].attribute("experiment") != sweep.experiment->name())
      throw config_error(cat(inputs[i], ": experiment ", sources[i].attribute("experiment"),
                             ", but ", inputs.front(), " has ", sweep.experiment->name(),
                             " — merge only shards of one sweep"));
    const Sweep other = load_sweep_text(sources[i].spec_text(), inputs[i] + " /spec", {});
    throw config_error(
        cat(inputs[i], ": written by a different spec than ", inputs.front(), " (differing keys: ",
            join(config::differing_keys(sweep.spec, other.spec, sweep.experiment->schema()), ", "),
            ") — merge only shards of one sweep"));
  }
  const auto columns = result_columns(sweep.columns);
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const auto& stored = sources[i].result_columns();
    bool same = stored.size() == columns.size();
    for (std::size_t c = 0; same && c < columns.size(); ++c)
      same = stored[c].name == columns[c].name;
    if (!same)
      throw config_error(cat(inputs[i], ": its columns differ from this nnsweep's ",
                             sweep.experiment->name(), " — merge with the nnsweep that wrote it"));
  }

  const io::WriterLock lock(out);
  if (::access(out.c_str(), F_OK) == 0) {
    if (!vm["force"].as<bool>())
      throw config_error(
          cat(out, ": already exists — choose a new output, or replace it with --force"));
    std::remove(out.c_str());
  }
  io::FileLayout layout{std::string(sweep.experiment->name()), sweep.spec.sweep_seed, spec_text,
                        columns};
  std::vector<std::string> words(args.begin(), args.end());
  io::create(out, *sweep.table, layout,
             {"nnsweep " + join(words, " "), hostname(), "", utc_now(), 1});

  // Inputs are checked before OUT exists; should copying still fail, OUT must not be left half
  // written where a user could take it for a result.
  std::size_t committed = 0, duplicates = 0, tasks = 0;
  try {
    io::ResultsFile target(out, io::ResultsFile::Access::serial_write);
    std::vector<bool> taken(target.task_count(), false);
    for (std::size_t i = 0; i < sources.size(); ++i) {
      std::vector<int> run_index;  // input run → output run
      for (const auto& run : sources[i].read_runs()) {
        run_index.push_back(target.begin_run(run.start));
        target.end_run(run_index.back(), run.end);
      }
      const auto status = sources[i].read_status();
      std::vector<std::size_t> copy;
      for (std::size_t t = 0; t < status.size(); ++t) {
        if (status[t] == static_cast<std::uint8_t>(grid::TaskStatus::pending)) continue;
        if (taken[t]) {
          ++duplicates;
          continue;
        }
        taken[t] = true;
        copy.push_back(t);
      }
      auto records = sources[i].read_records(copy);
      for (auto& r : records)
        r.run = r.run >= 0 && static_cast<std::size_t>(r.run) < run_index.size()
                    ? run_index[static_cast<std::size_t>(r.run)]
                    : -1;
      target.commit(records);
      committed += records.size();
    }
    tasks = target.task_count();
    target.close();
  } catch (...) {
    std::remove(out.c_str());
    throw;
  }
  const std::size_t pending = tasks - committed;
  std::fprintf(stderr, "nnsweep: merged %zu files into %s: %zu of %zu tasks committed%s",
               inputs.size(), out.c_str(), committed, tasks,
               duplicates > 0
                   ? cat(" (", duplicates, " duplicates ignored: first input wins)").c_str()
                   : "");
  std::fprintf(
      stderr,
      pending > 0 ? ", %zu pending — finish with: nnsweep run SPEC --out %s --resume\n" : "\n",
      pending, out.c_str());
  return pending > 0 ? exit_incomplete : exit_ok;
}

}  // namespace nnsweep::app
