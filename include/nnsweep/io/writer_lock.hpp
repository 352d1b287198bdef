#pragma once
// One writer per results file, whatever name reaches it. Rank 0 of a run (or merge) holds two
// locks while it writes: an flock on FILE.lock beside the file its path resolves to (it guards
// creating and replacing the file, when there is no file yet to lock), and a byte-range lock on
// the results file itself (its identity — device and inode — so that a symbolic or hard link
// cannot give it a second writer; HDF5 readers may still open it). The kernel drops both when the
// process dies, so a run killed with SIGKILL never blocks its resume. The lock file is never opened
// through a link and may stay behind. (HDF5's own locking is off: it fails on many parallel file
// systems and knows nothing of MPI ranks.)
#include <string>

namespace nnsweep::io {

class WriterLock {
 public:
  // Locks the results file `results_path` names (it need not exist yet). Throws config_error when
  // another live process holds the lock, file_error when FILE.lock is a link or not a regular
  // file, or when `results_path` is a link to nothing. On file systems without flock it warns
  // once on stderr and proceeds unguarded.
  explicit WriterLock(const std::string& results_path);
  ~WriterLock();
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

  // Where to create, replace or open the file: `results_path`, or the file it links to (so that
  // --force replaces the file, not the link).
  const std::string& file() const { return file_; }
  // Locks the file now at file() (call after creating or replacing it); throws config_error when
  // another writer holds it through another name.
  void hold_file();

 private:
  std::string given_, file_;
  int name_fd_ = -1;  // flock on FILE.lock
  int file_fd_ = -1;  // holds the byte-range lock on the results file itself
  bool unguarded_ = false;
};

// Whether a live process (on this host, or wherever flock reaches) holds the writer lock of the
// file `results_path` names: a run without an end record is then running, not killed.
bool writer_active(const std::string& results_path);

}  // namespace nnsweep::io
