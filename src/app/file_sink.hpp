#pragma once
// What `run` plugs into the scheduler as its sink: the results file.
#include <chrono>
#include <vector>

#include "nnsweep/io/results_file.hpp"
#include "nnsweep/sched/scheduler.hpp"

namespace nnsweep::app {

// Commits records to the results file: drops pending ones, stamps the run index and counts the
// attempt (reading only the rows it commits), buffers briefly so tiny units do not cost one write
// each: it commits at least every `options.flush_seconds`, the scheduler's own commit interval.
class FileSink : public sched::ResultSink {
 public:
  FileSink(io::ResultsFile* file, int run, const sched::Options& options);
  void accept(std::vector<grid::TaskRecord> records) override;
  void flush() override;
  std::size_t committed() const { return committed_; }

 private:
  io::ResultsFile* file_;
  int run_;
  double flush_seconds_;
  std::vector<grid::TaskRecord> buffer_;
  std::chrono::steady_clock::time_point last_flush_;
  std::size_t committed_ = 0;
};

}  // namespace nnsweep::app
