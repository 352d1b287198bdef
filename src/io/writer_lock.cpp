#include "nnsweep/io/writer_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "nnsweep/core/error.hpp"
#include "nnsweep/core/system.hpp"

namespace nnsweep::io {

WriterLock::WriterLock(const std::string& results_path) {
  const std::string path = results_path + ".lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw io_error(cat(path, ": cannot create the lock file (", std::strerror(errno), ")"));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int why = errno;
    if (why == EWOULDBLOCK) {
      char holder[256] = {0};
      const ssize_t n = ::pread(fd_, holder, sizeof holder - 1, 0);
      std::string who =
          n > 0 ? std::string(holder, static_cast<std::size_t>(n)) : std::string("unknown");
      while (!who.empty() && who.back() == '\n') who.pop_back();
      ::close(fd_);
      fd_ = -1;
      throw config_error(cat(results_path, ": is being written by another nnsweep run (", who,
                             ") — wait for it to finish, or choose another --out"));
    }
    std::fprintf(stderr,
                 "nnsweep: warning: cannot lock %s (%s); make sure no other run writes %s\n",
                 path.c_str(), std::strerror(why), results_path.c_str());
    return;
  }
  const std::string holder =
      cat("host ", hostname(), ", pid ", ::getpid(), ", since ", utc_now(), "\n");
  if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, holder.data(), holder.size(), 0) < 0) {
    // The content is only a courtesy for the error message above; the lock itself is held.
  }
}

WriterLock::~WriterLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

bool writer_active(const std::string& results_path) {
  const std::string path = results_path + ".lock";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases the shared lock if it was granted
  return held;
}

}  // namespace nnsweep::io
