#pragma once
// One writer per results file: rank 0 of a run holds an flock on FILE.lock for as long as it
// writes. The kernel drops the lock when the process dies, so a run killed with SIGKILL never
// blocks its resume; a second live run is refused. (HDF5's own locking is off: it fails on
// many parallel file systems and knows nothing of MPI ranks.)
#include <string>

namespace nnsweep::io {

class WriterLock {
 public:
  // Throws config_error when another live process holds the lock. On file systems without
  // flock it warns once on stderr and proceeds unguarded.
  explicit WriterLock(const std::string& results_path);
  ~WriterLock();
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  int fd_ = -1;
};

// Whether a live process (on this host, or wherever flock reaches) holds the writer lock of
// `results_path`: a run without an end record is then running, not killed.
bool writer_active(const std::string& results_path);

}  // namespace nnsweep::io
