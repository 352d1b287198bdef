#pragma once
// Build provenance stored in every results file and printed by `nnsweep --version`.
#include <string_view>

namespace nnsweep {
std::string_view version();   // project version, e.g. "0.1.0"
std::string_view git_sha();   // commit the binary was configured from ("-dirty" if modified)
std::string_view march();     // the -march the code was compiled for (NNSWEEP_ARCH; "" if none)
std::string_view compiler();  // compiler id and version, e.g. "GNU 12.2.0"
}  // namespace nnsweep
