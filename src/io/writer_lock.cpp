#include "nnsweep/io/writer_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "nnsweep/core/error.hpp"
#include "nnsweep/core/system.hpp"

namespace nnsweep::io {
namespace {

// The file `path` names once every symbolic link is followed: realpath of the file, or of its
// directory when the file does not exist yet. A link to nothing is refused: creating through it
// would write wherever the link points.
std::string resolved(const std::string& path) {
  refuse_special_file(path, "", "remove the link, or give the path of the results file");
  char buffer[PATH_MAX];
  if (::realpath(path.c_str(), buffer) != nullptr) return buffer;
  const std::string directory = directory_of(path);
  if (::realpath(directory.c_str(), buffer) == nullptr)
    throw io_error(cat(path, ": cannot resolve its directory (", std::strerror(errno), ")"));
  return cat(buffer, "/", path.substr(path.rfind('/') + 1));
}

std::string not_a_lock_file(const std::string& path, const std::string& why) {
  return cat(path, ": ", why,
             "; nnsweep never writes through one — remove it (a run holding it "
             "would be listed by `nnsweep status`) and run again");
}

// Opens (creating it if need be) the lock file without following a link at its name, and
// refuses anything but a plain file of one name: a hard link would let the holder text below
// overwrite another file.
int open_lock_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST)
    fd = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 && errno == ELOOP) throw file_error(not_a_lock_file(path, "is a symbolic link"));
  if (fd < 0)
    throw io_error(cat(path, ": cannot create the lock file (", std::strerror(errno), ")"));
  struct stat info {};
  const bool plain = ::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_nlink == 1;
  if (!plain) {
    ::close(fd);
    throw file_error(not_a_lock_file(path, "is a hard link or not a regular file"));
  }
  return fd;
}

// The identity lock: an open-file-description (OFD) write lock on one byte far past any data
// of the results file. Not flock: HDF5 readers (h5py, the Python package) flock the file with a
// shared lock while they have it open, and must still be able to read a running sweep. Not a
// classic POSIX lock: those drop when the process closes any descriptor of the file, which HDF5
// does. The byte is one MPI-IO never writes, so its own range locks cannot meet it.
struct flock identity_byte(short type) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = off_t{1} << 62;
  lock.l_len = 1;
  return lock;
}

config_error busy(const std::string& path, const std::string& who) {
  return config_error(cat(path, ": is being written by another nnsweep run (", who,
                          ") — wait for it to finish, or choose another --out"));
}

}  // namespace

WriterLock::WriterLock(const std::string& results_path) : given_(results_path) {
  const std::string target = resolved(results_path);
  struct stat link {};
  const bool is_link = ::lstat(results_path.c_str(), &link) == 0 && S_ISLNK(link.st_mode);
  file_ = is_link ? target : results_path;
  const std::string path = target + ".lock";
  name_fd_ = open_lock_file(path);
  if (::flock(name_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int why = errno;
    if (why == EWOULDBLOCK) {
      char holder[256] = {0};
      const ssize_t n = ::pread(name_fd_, holder, sizeof holder - 1, 0);
      std::string who =
          n > 0 ? std::string(holder, static_cast<std::size_t>(n)) : std::string("unknown");
      while (!who.empty() && who.back() == '\n') who.pop_back();
      ::close(name_fd_);
      name_fd_ = -1;
      throw busy(results_path, who);
    }
    std::fprintf(stderr,
                 "nnsweep: warning: cannot lock %s (%s); make sure no other run writes %s\n",
                 printable(path).c_str(), std::strerror(why), printable(results_path).c_str());
    unguarded_ = true;
    return;
  }
  const std::string holder =
      cat("host ", hostname(), ", pid ", ::getpid(), ", since ", utc_now(), "\n");
  if (::ftruncate(name_fd_, 0) == 0 && ::pwrite(name_fd_, holder.data(), holder.size(), 0) < 0) {
    // The content is only a courtesy for the error message above; the lock itself is held.
  }
  if (::access(file_.c_str(), F_OK) == 0) hold_file();
}

void WriterLock::hold_file() {
  if (unguarded_) return;
  // O_NONBLOCK: a FIFO put there meanwhile must not block the open; it is refused below. O_RDWR:
  // a write lock needs it (and this run writes the file anyway).
  const int fd = ::open(file_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    throw io_error(cat(given_, ": cannot open it to lock it (", std::strerror(errno), ")"));
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    throw file_error(cat(given_, ": is not a regular file — --out names a results file"));
  }
  struct stat held {};
  if (file_fd_ >= 0 && ::fstat(file_fd_, &held) == 0 && held.st_dev == info.st_dev &&
      held.st_ino == info.st_ino) {
    ::close(fd);  // still the file locked before: a second open file would contend with it
    return;
  }
  struct flock lock = identity_byte(F_WRLCK);
  if (::fcntl(fd, F_OFD_SETLK, &lock) != 0) {
    const int why = errno;
    if (why == EAGAIN || why == EACCES) {
      ::close(fd);
      throw busy(given_, "through another name of the same file: a link");
    }
    // File systems without byte-range locks: FILE.lock (taken above) still guards this name.
    std::fprintf(stderr,
                 "nnsweep: warning: cannot lock %s itself (%s); make sure no other run "
                 "writes it through a link\n",
                 printable(given_).c_str(), std::strerror(why));
  }
  if (file_fd_ >= 0) ::close(file_fd_);  // the lock of a file this run replaced
  file_fd_ = fd;
}

WriterLock::~WriterLock() {
  // Closing releases the flocks.
  if (file_fd_ >= 0) ::close(file_fd_);
  if (name_fd_ >= 0) ::close(name_fd_);
}

bool writer_active(const std::string& results_path) {
  const int fd = ::open(results_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  // A query only (F_OFD_GETLK takes nothing): a run starting meanwhile is never disturbed.
  struct flock lock = identity_byte(F_WRLCK);
  const bool held = ::fcntl(fd, F_OFD_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

}  // namespace nnsweep::io
