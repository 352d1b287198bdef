#include "cli.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "nnsweep/core/error.hpp"
#include "nnsweep/core/system.hpp"

namespace nnsweep::app {

std::optional<po::variables_map> parse(const std::vector<std::string>& args,
                                       const po::options_description& options,
                                       const char* positional, int max_positional,
                                       const std::string& usage, bool print_help) {
  po::options_description hidden;
  if (max_positional == 1)
    hidden.add_options()(positional, po::value<std::string>());
  else
    hidden.add_options()(positional, po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description bare;
  bare.add(positional, max_positional);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(std::vector<std::string>(args.begin() + 1, args.end()))
                  .options(all)
                  .positional(bare)
                  .run(),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw config_error(
        cat(e.what(), " — usage: ", usage, " (see nnsweep ", args.front(), " --help)"));
  }
  if (vm.count("help") == 0) return vm;
  if (print_help) std::cout << options;
  return std::nullopt;
}

void check_range(const std::string& option, const std::string& text, double value, double low,
                 double high, const std::string& what, bool open_low) {
  const bool above = open_low ? value > low : value >= low;
  if (!(above && value <= high))  // false for nan too
    throw config_error(cat(option, " ", text, ": ", what, " in ", open_low ? "(" : "[",
                           format_number(low), ", ", format_number(high), "]"));
}

double real_option(const po::variables_map& vm, const std::string& name, double low, double high,
                   const std::string& what, bool open_low) {
  const auto text = vm[name].as<std::string>();
  double value = 0;
  if (!parse_double(text, value)) value = std::nan("");
  check_range("--" + name, text, value, low, high, what, open_low);
  return value;
}

std::int64_t integer_option(const po::variables_map& vm, const std::string& name, std::int64_t low,
                            std::int64_t high, const std::string& what) {
  const auto text = vm[name].as<std::string>();
  std::int64_t value = 0;
  if (!parse_int64(text, value) || value < low || value > high)
    throw config_error(cat("--", name, " ", text, ": ", what, " in [", low, ", ", high, "]"));
  return value;
}

namespace {

// Whether `path` starts with HDF5's signature, at offset 0 or after a user block (512, 1024, ...
// bytes): --force replaces results files, even damaged ones, but nothing else.
bool has_hdf5_signature(const std::string& path) {
  static constexpr char signature[8] = {'\211', 'H', 'D', 'F', '\r', '\n', '\032', '\n'};
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  bool found = false;
  char head[sizeof signature];
  for (off_t at = 0; !found; at = at == 0 ? 512 : 2 * at) {
    if (::pread(fd, head, sizeof head, at) != static_cast<ssize_t>(sizeof head)) break;
    found = std::memcmp(head, signature, sizeof head) == 0;
  }
  ::close(fd);
  return found;
}

}  // namespace

void remove_to_replace(const std::string& path) {
  const std::string fix =
      "--force replaces only a results file; remove it yourself if it should go, or choose "
      "another path";
  refuse_special_file(path, "", fix);
  if (!has_hdf5_signature(path)) throw file_error(cat(path, ": is not an HDF5 file — ", fix));
  if (std::remove(path.c_str()) != 0)
    throw config_error(cat(path, ": cannot remove the existing file to replace it (",
                           std::strerror(errno), ") — remove it yourself or choose another path"));
}

std::string command_line(int argc, char** argv) {
  std::vector<std::string> words;
  for (int i = 0; i < argc; ++i) words.emplace_back(argv[i]);
  return join(words, " ");
}

}  // namespace nnsweep::app
