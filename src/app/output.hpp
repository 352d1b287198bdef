#pragma once
// The results file a run writes to: its default name, the checks on its path, and its creation
// (or, with --resume, the check that it belongs to the same sweep).
#include <string>

#include "nnsweep/io/results_file.hpp"
#include "sweep.hpp"

namespace nnsweep::app {

// The spec's `output`, else SPEC's file name with .h5.
std::string default_output(const std::string& spec_path, const std::string& spec_output);

// Throws config_error unless `out` can be written: its directory exists and is writable, and an
// existing file there is writable.
void check_output_path(const std::string& out);

// Creates `out` for `sweep`; an existing file is refused unless resuming the same sweep (then it
// is checked and kept) or forcing (then it is replaced).
void prepare_output(const std::string& out, const Sweep& sweep, bool resume, bool force,
                    const io::Provenance& provenance);

// The file layout of `sweep`: what io::create needs besides the task table.
io::FileLayout file_layout(const Sweep& sweep);

}  // namespace nnsweep::app
