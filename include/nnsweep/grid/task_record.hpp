#pragma once
// A finished (or abandoned) task on its way from a kernel to the results file: what the
// scheduler carries and the writer commits. Its row is laid out as the file's result columns
// (grid/columns.hpp): every dimension at the file's length, NaN-padded.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nnsweep/grid/columns.hpp"

namespace nnsweep::grid {

// Status of a task, as stored in the `status` column.
enum class TaskStatus : std::uint8_t {
  pending = 0,    // not computed (yet)
  done = 1,       // finished; its values are final
  failed = 2,     // the kernel threw; `error` says why
  diverged = 3,   // a loss or statistic became NaN/inf; values up to that point are kept
  timed_out = 4,  // abandoned: it would not finish in the remaining time
};
std::string_view status_name(TaskStatus status);

struct TaskRecord {
  std::size_t task = 0;
  std::uint8_t status = 0;  // a TaskStatus
  std::int32_t rank = -1;   // MPI rank that computed it
  std::int32_t run = -1;    // index of the run (invocation) in /runs
  std::int32_t attempts = 0;
  double wall_s = 0;  // seconds (a packed unit's time shared equally among its tasks)
  std::string error;
  Row row;
};

}  // namespace nnsweep::grid
