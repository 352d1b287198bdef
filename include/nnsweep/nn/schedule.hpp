#pragma once
// Evaluation points of a training run: the steps (or epochs) at which curves are recorded. The
// length is a function of the parameters alone, so a curve column's length is known before
// anything runs.
#include <cstdint>
#include <vector>

namespace nnsweep::nn {

// Number of points of either schedule: min(points, total + 1).
std::int64_t schedule_length(std::int64_t total, std::int64_t points);

// Strictly increasing points in [0, total], 0 and total included, the others nearest to the
// geometric sequence 1 … total (bumped up where rounding would repeat a point). Computed with
// core/fastmath, so the points are the same on every machine. points >= 2, total >= 1.
std::vector<std::int64_t> log_schedule(std::int64_t total, std::int64_t points);

// Strictly increasing points round(i·total/(n−1)), i = 0 … n−1, n = schedule_length(total,
// points) (integer arithmetic, halves rounded up).
std::vector<std::int64_t> linear_schedule(std::int64_t total, std::int64_t points);

// A training run's length and its evaluation points: `total` epochs or optimizer steps, and
// `points` evaluation points in [0, total] (0 and total included; fewer when total is small),
// log- or linearly spaced.
struct Schedule {
  enum class Unit { epochs, steps };
  enum class Spacing { log, linear };
  Unit unit = Unit::epochs;
  std::int64_t total = 1;
  std::int64_t points = 2;
  Spacing spacing = Spacing::log;

  std::vector<std::int64_t> evaluation_points() const {
    return spacing == Spacing::log ? log_schedule(total, points) : linear_schedule(total, points);
  }
  std::int64_t length() const { return schedule_length(total, points); }
};

}  // namespace nnsweep::nn
