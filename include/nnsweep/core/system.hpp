#pragma once
// Facts about the running process that provenance and error messages need.
#include <string>

namespace nnsweep {

std::string utc_now();  // ISO 8601 to the second, e.g. 2026-11-23T19:12:00Z
std::string hostname();
// The directory part of a path ("." for a bare file name).
std::string directory_of(const std::string& path);

}  // namespace nnsweep
