#include "nnsweep/sched/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "nnsweep/core/error.hpp"

namespace nnsweep::sched {

ProgressStyle parse_progress_style(const std::string& text) {
  if (text == "auto") return ProgressStyle::automatic;
  if (text == "bar") return ProgressStyle::bar;
  if (text == "log") return ProgressStyle::log;
  if (text == "none") return ProgressStyle::none;
  throw config_error(cat("--progress ", text, ": unknown style — use auto, bar, log or none"));
}

Progress::Progress(ProgressStyle style, double log_interval_s)
    : interval_(log_interval_s), start_(std::chrono::steady_clock::now()), last_(start_) {
  bar_ = style == ProgressStyle::bar ||
         (style == ProgressStyle::automatic && ::isatty(STDERR_FILENO) == 1);
  quiet_ = style == ProgressStyle::none;
  if (bar_) interval_ = 0.2;
}

std::string Progress::line(const ProgressState& s, double elapsed) const {
  const double fraction = s.cost_total > 0 ? s.cost_done / s.cost_total : 1.0;
  const double rate = elapsed > 0 ? static_cast<double>(s.done) / elapsed : 0;
  const double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : -1;
  char buffer[256];
  std::snprintf(buffer, sizeof buffer,
                "%zu/%zu tasks (%.1f%% of cost) · %zu failed · %zu diverged · %.3g tasks/s · "
                "elapsed %s · ETA %s",
                s.done, s.total, 100 * fraction, s.failed, s.diverged, rate,
                format_duration(elapsed).c_str(), s.done == 0 ? "?" : format_duration(eta).c_str());
  std::string out = buffer;
  if (s.seconds_left >= 0) out += cat(" · time left ", format_duration(s.seconds_left));
  if (!bar_) return out;
  constexpr int width = 24;
  const auto filled = static_cast<int>(std::lround(fraction * width));
  return "[" + std::string(static_cast<std::size_t>(filled), '#') +
         std::string(static_cast<std::size_t>(width - filled), '.') + "] " + out;
}

void Progress::update(const ProgressState& state, bool force) {
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  // The first line comes at once: a log then shows when the tasks started (after start-up and
  // file creation), not only a few seconds later.
  if (!force && started_ && std::chrono::duration<double>(now - last_).count() < interval_) return;
  started_ = true;
  last_ = now;
  const std::string text = line(state, std::chrono::duration<double>(now - start_).count());
  if (bar_) {
    std::fprintf(stderr, "\r%s\033[K", text.c_str());
    drawn_ = true;
  } else {
    std::fprintf(stderr, "progress: %s\n", text.c_str());
  }
  std::fflush(stderr);
}

void Progress::finish(const ProgressState& state) {
  if (quiet_) return;
  update(state, true);
  if (bar_ && drawn_) std::fprintf(stderr, "\n");
}

}  // namespace nnsweep::sched
