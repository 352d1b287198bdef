#pragma once
// Plain tables for the CLI: aligned text for terminals, CSV for tools, Markdown for notes.
#include <string>
#include <vector>

namespace nnsweep::report {

enum class Format { table, csv, markdown };
Format parse_format(const std::string& text);  // throws config_error

struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> numeric;  // right-align these columns in text tables (by index)
};

std::string render(const Table& table, Format format);

}  // namespace nnsweep::report
