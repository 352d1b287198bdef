#include "nnsweep/core/system.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "nnsweep/core/error.hpp"

namespace nnsweep {

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::string hostname() {
  char buffer[256] = {0};
  ::gethostname(buffer, sizeof buffer - 1);
  return buffer;
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

std::string special_file_kind(const std::string& path) {
  struct stat target {};
  if (::stat(path.c_str(), &target) != 0) {
    struct stat link {};
    const bool dangling = ::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode);
    return dangling ? "a symbolic link to nothing" : "";
  }
  if (S_ISREG(target.st_mode)) return "";
  if (S_ISDIR(target.st_mode)) return "a directory";
  if (S_ISFIFO(target.st_mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(target.st_mode)) return "a socket";
  if (S_ISCHR(target.st_mode) || S_ISBLK(target.st_mode)) return "a device";
  return "not a regular file";
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat x {
  }, y{};
  return ::stat(a.c_str(), &x) == 0 && ::stat(b.c_str(), &y) == 0 && x.st_dev == y.st_dev &&
         x.st_ino == y.st_ino;
}

void refuse_special_file(const std::string& path, const std::string& what, const std::string& fix) {
  const std::string kind = special_file_kind(path);
  if (!kind.empty())
    throw file_error(cat(what.empty() ? "" : what + " ", path, ": is ", kind, " — ", fix));
}

}  // namespace nnsweep
