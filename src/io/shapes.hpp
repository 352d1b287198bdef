#pragma once
// What a results file's datasets must look like, checked when the file is opened and before
// anything is read: every read sizes its buffer from the file's own metadata (task_count, the
// /runs capacity, the result columns' dimensions), so a dataset that disagrees with it — a
// truncated copy, a hand edit, another version's writer — would be read past its buffer. Private
// to the io module.
#include <hdf5.h>

#include <string>
#include <vector>

namespace nnsweep::io::shapes {

// What the values of a dataset must be readable as.
enum class Values { number, text };

// Throws file_error naming `path` and `name` unless dataset `name` of `file` has exactly the
// dimensions `dims` (a scalar for none) and values of the class `values` (fixed-length text).
// `implied_by` says where `dims` come from ("task_count = 48"), for the message.
void expect(hid_t file, const std::string& path, const std::string& name,
            const std::vector<hsize_t>& dims, Values values, const std::string& implied_by);

// The end of every message about a damaged file: what happened and what to do (never --force,
// which would throw away whatever the file still holds).
inline constexpr const char* damaged_fix =
    "the file is damaged or was not written by this nnsweep (a truncated copy, a hand edit, "
    "another version); use an intact copy, or run the sweep again into a new --out";

}  // namespace nnsweep::io::shapes
