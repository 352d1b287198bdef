#include "slurm.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <string>

#include "nnsweep/core/text.hpp"

namespace nnsweep::app {

double slurm_seconds_left() {
  for (const char* rank : {"SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"}) {
    const char* value = std::getenv(rank);
    if (value != nullptr && std::string(value) != "0")
      return std::numeric_limits<double>::infinity();
  }
  const char* job = std::getenv("SLURM_JOB_ID");
  if (job == nullptr || *job == '\0') return std::numeric_limits<double>::infinity();
  const std::string command = cat("scontrol show job -o ", job, " 2>/dev/null");
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return std::numeric_limits<double>::infinity();
  std::string text;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) text += buffer;
  ::pclose(pipe);
  const auto at = text.find("EndTime=");
  std::tm end{};
  if (at == std::string::npos ||
      ::strptime(text.c_str() + at + 8, "%Y-%m-%dT%H:%M:%S", &end) == nullptr)
    return std::numeric_limits<double>::infinity();
  end.tm_isdst = -1;
  const double left = std::difftime(std::mktime(&end), std::time(nullptr));
  return left - std::min(60.0, 0.1 * std::max(left, 0.0));
}

}  // namespace nnsweep::app
