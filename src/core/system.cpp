#include "nnsweep/core/system.hpp"

#include <unistd.h>

#include <ctime>

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

}  // namespace nnsweep
