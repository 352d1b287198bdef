#include "cli.hpp"

#include <iostream>

#include "nnsweep/core/error.hpp"

namespace nnsweep::app {

std::optional<po::variables_map> parse(const std::vector<std::string>& args,
                                       const po::options_description& options,
                                       const char* positional, int max_positional,
                                       const std::string& usage, bool print_help) {
  po::positional_options_description bare;
  bare.add(positional, max_positional);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(std::vector<std::string>(args.begin() + 1, args.end()))
                  .options(options)
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

std::string command_line(int argc, char** argv) {
  std::vector<std::string> words;
  for (int i = 0; i < argc; ++i) words.emplace_back(argv[i]);
  return join(words, " ");
}

}  // namespace nnsweep::app
