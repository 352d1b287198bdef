#include "slurm.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <string>
#include <vector>

#include "nnsweep/core/text.hpp"

extern char** environ;

namespace nnsweep::app {
namespace {

// A Slurm job id is a number; anything else in SLURM_JOB_ID is not from Slurm and is not passed on.
bool valid_job_id(const std::string& id) {
  return !id.empty() && id.size() <= 20 &&
         std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Runs `argv` (argv[0] looked up on PATH) without a shell — no value in it is ever interpreted —
// and returns its standard output, or "" when it cannot be started or fails. Its stderr goes to
// /dev/null.
std::string output_of(const std::vector<std::string>& argv) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return "";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  std::string text;
  if (spawned == 0) {
    char buffer[4096];
    constexpr std::size_t most = 1 << 20;  // scontrol's answer is a line; never buffer more
    for (;;) {
      const ssize_t n = ::read(out[0], buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (text.size() < most) text.append(buffer, static_cast<std::size_t>(n));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) text.clear();
  }
  ::close(out[0]);
  return text;
}

}  // namespace

double slurm_seconds_left() {
  for (const char* rank : {"SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"}) {
    const char* value = std::getenv(rank);
    if (value != nullptr && std::string(value) != "0")
      return std::numeric_limits<double>::infinity();
  }
  const char* job = std::getenv("SLURM_JOB_ID");
  if (job == nullptr || !valid_job_id(job)) return std::numeric_limits<double>::infinity();
  const std::string text = output_of({"scontrol", "show", "job", "-o", job});
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
