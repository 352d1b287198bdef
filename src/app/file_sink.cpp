#include "file_sink.hpp"

namespace nnsweep::app {

FileSink::FileSink(io::ResultsFile* file, int run, const sched::Options& options)
    : file_(file),
      run_(run),
      flush_seconds_(options.flush_seconds),
      last_flush_(std::chrono::steady_clock::now()) {}

void FileSink::accept(std::vector<grid::TaskRecord> records) {
  for (auto& r : records) {
    if (r.status == static_cast<std::uint8_t>(grid::TaskStatus::pending)) continue;
    r.run = run_;
    buffer_.push_back(std::move(r));
  }
  const double age =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - last_flush_).count();
  if (age >= flush_seconds_ || buffer_.size() >= 4096) flush();
}

void FileSink::flush() {
  last_flush_ = std::chrono::steady_clock::now();
  if (buffer_.empty() || file_ == nullptr) return;
  std::vector<std::size_t> tasks;
  for (const auto& r : buffer_) tasks.push_back(r.task);
  const auto attempts = file_->read_attempts(tasks);
  for (std::size_t i = 0; i < buffer_.size(); ++i) buffer_[i].attempts = attempts[i] + 1;
  file_->commit(buffer_);
  committed_ += buffer_.size();
  buffer_.clear();
}

}  // namespace nnsweep::app
