#pragma once
// Names and fixed columns of the results-file layout (docs/results-file.md), shared by the
// creator and the reader/writer so that both sides spell every dataset the same way.
#include <string>
#include <vector>

#include "nnsweep/io/results_file.hpp"

namespace nnsweep::io::layout {

inline constexpr std::int64_t schema_version = 1;
inline constexpr const char* task_dim = "task";
inline constexpr const char* runs_group = "runs";
inline constexpr const char* run_dim = "run";

// The per-task bookkeeping columns every file has, in this order.
std::vector<ColumnSpec> metadata_columns();

// The columns of /runs.
std::vector<ColumnSpec> run_columns();

// Size in bytes of one element of a column in memory.
std::size_t element_size(const ColumnSpec& column);

}  // namespace nnsweep::io::layout
