#pragma once
// Progress on stderr for rank 0: a redrawn bar on a terminal, a log line every few seconds
// otherwise (batch logs), and nothing when asked. ETA comes from the remaining cost at the
// observed cost rate, not from task counts (tasks can differ by orders of magnitude).
#include <chrono>
#include <string>

namespace nnsweep::sched {

enum class ProgressStyle { automatic, bar, log, none };
ProgressStyle parse_progress_style(const std::string& text);  // throws config_error

struct ProgressState {
  std::size_t total = 0, done = 0, failed = 0, diverged = 0;
  double cost_total = 0, cost_done = 0;
  double seconds_left = -1;  // of the time limit (negative: none)
};

class Progress {
 public:
  Progress(ProgressStyle style, double log_interval_s);
  void update(const ProgressState& state, bool force = false);
  void finish(const ProgressState& state);

 private:
  std::string line(const ProgressState& state, double elapsed) const;
  bool bar_ = false, quiet_ = false;
  double interval_;
  std::chrono::steady_clock::time_point start_, last_;
  bool started_ = false, drawn_ = false;
};

}  // namespace nnsweep::sched
