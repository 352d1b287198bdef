#pragma once
// Names and fixed columns of the results-file layout (docs/results-file.md), shared by the
// creator and the reader/writer so that both sides spell every dataset the same way.
#include <string>
#include <vector>

#include "nnsweep/io/results_file.hpp"

namespace nnsweep::io::layout {

inline constexpr std::int64_t schema_version = 2;
inline constexpr const char* task_dim = "task";
inline constexpr const char* runs_group = "runs";
inline constexpr const char* run_dim = "run";

using grid::Column;
using grid::ColumnKind;
using grid::ColumnType;

// The per-task bookkeeping columns every file has, in this order.
std::vector<Column> metadata_columns();

// The columns of /runs.
std::vector<Column> run_columns();

// The columns implied by the result columns: `<theory>_kind` (uint8) for each float theory
// column, `<dim>_count` (int32) for each dimension.
std::vector<Column> companion_columns(const grid::ColumnSet& results);

// Size in bytes of one element of a column in memory.
std::size_t element_size(const Column& column);

}  // namespace nnsweep::io::layout
