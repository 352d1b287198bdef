#include "output.hpp"

#include <unistd.h>

#include "cli.hpp"
#include "nnsweep/core/error.hpp"
#include "nnsweep/core/system.hpp"

namespace nnsweep::app {

std::string default_output(const std::string& spec_path, const std::string& spec_output) {
  if (!spec_output.empty()) return spec_output;
  std::string name = spec_path.substr(spec_path.rfind('/') + 1);
  if (const auto dot = name.rfind('.'); dot != std::string::npos && dot > 0) name.resize(dot);
  return name + ".h5";
}

void check_output_path(const std::string& out) {
  refuse_special_file(out, "--out", "--out names a results file; choose a file path");
  const std::string directory = directory_of(out);
  if (::access(directory.c_str(), F_OK) != 0)
    throw config_error(cat("--out ", out, ": directory '", directory,
                           "' does not exist — create it or choose another path"));
  if (::access(directory.c_str(), W_OK | X_OK) != 0)
    throw config_error(cat("--out ", out, ": directory '", directory,
                           "' is not writable — choose a writable path with --out"));
  if (::access(out.c_str(), F_OK) == 0 && ::access(out.c_str(), W_OK) != 0)
    throw config_error(cat(
        "--out ", out, ": the file exists and is not writable — choose another path with --out"));
}

io::FileLayout file_layout(const Sweep& sweep) {
  io::FileLayout layout;
  layout.experiment = std::string(sweep.experiment->name());
  layout.sweep_seed = sweep.spec.sweep_seed;
  layout.spec_text = sweep.spec.canonical_text(sweep.experiment->schema());
  layout.result_columns = sweep.columns;
  layout.replicates = sweep.experiment->replicates();
  return layout;
}

void prepare_output(const std::string& out, const Sweep& sweep, bool resume, bool force,
                    const io::Provenance& provenance) {
  if (::access(out.c_str(), F_OK) == 0) {
    if (resume) {
      const io::ResultsFile existing(out, io::ResultsFile::Access::read_only);
      check_same_sweep(existing, sweep, "",
                       cat("run the spec stored in the file (h5dump -d /spec ", shell_quote(out),
                           ") or choose another --out"));
      return;
    }
    if (!force)
      throw config_error(
          cat(out, ": already exists — continue it with --resume, or replace it with --force"));
    remove_to_replace(out);
  }
  io::create(out, *sweep.table, file_layout(sweep), provenance);
}

}  // namespace nnsweep::app
