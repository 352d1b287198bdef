#pragma once
// Facts about the running process that provenance and error messages need.
#include <string>

namespace nnsweep {

std::string utc_now();  // ISO 8601 to the second, e.g. 2026-11-23T19:12:00Z
std::string hostname();
// The directory part of a path ("." for a bare file name).
std::string directory_of(const std::string& path);

// What `path` names, links followed, when that is neither a regular file nor nothing: "a
// directory", "a FIFO (named pipe)", "a socket", "a device", "a symbolic link to nothing"; ""
// for a regular file or no file. Commands refuse such paths before opening them: opening a FIFO
// blocks until a writer comes.
std::string special_file_kind(const std::string& path);

// Whether two paths name one file (the same device and inode: through any link).
bool same_file(const std::string& a, const std::string& b);

// Throws file_error "<what> <path>: is <kind> — <fix>" when special_file_kind(path) is not "".
void refuse_special_file(const std::string& path, const std::string& what, const std::string& fix);

}  // namespace nnsweep
