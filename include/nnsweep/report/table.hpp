#pragma once
// Plain tables for the CLI: aligned text for terminals, CSV for tools, Markdown for notes.
#include <string>
#include <vector>

namespace nnsweep::report {

// csv and json are for programs: one table, numbers plain (json: an array of objects, numeric
// columns as JSON numbers, empty or non-finite ones as null).
enum class Format { table, csv, markdown, json };
inline bool machine_readable(Format f) {
  return f == Format::csv || f == Format::json;
}
Format parse_format(const std::string& text);  // throws config_error

struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> numeric;  // right-align these columns in text tables (by index)
};

std::string render(const Table& table, Format format);

}  // namespace nnsweep::report
