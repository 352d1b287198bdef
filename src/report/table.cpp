#include "nnsweep/report/table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "nnsweep/core/error.hpp"

namespace nnsweep::report {

Format parse_format(const std::string& text) {
  if (text == "table") return Format::table;
  if (text == "csv") return Format::csv;
  if (text == "markdown" || text == "md") return Format::markdown;
  if (text == "json") return Format::json;
  throw config_error(cat("--format ", text, ": use table, csv, json or markdown"));
}

namespace {
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}
std::string markdown_cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}
// A numeric cell as a JSON number (null when empty or not a finite number).
std::string json_number(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) return "null";
  return s;
}
}  // namespace

std::string render(const Table& input, Format format) {
  // Cells may hold text from a file (errors, parameter values): control characters are escaped
  // (a newline would break the row, an escape sequence would reach the terminal). Markdown: a
  // `|` inside a cell would end it.
  Table escaped = input;
  const auto clean = [&](const std::string& text) {
    return format == Format::markdown ? markdown_cell(printable(text)) : printable(text);
  };
  for (auto& text : escaped.headers) text = clean(text);
  for (auto& row : escaped.rows)
    for (auto& text : row) text = clean(text);
  const Table& table = escaped;
  std::string out;
  const std::size_t n = table.headers.size();
  if (format == Format::json) {
    out = "[";
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
      out += r ? ",\n {" : "\n {";
      for (std::size_t i = 0; i < n; ++i) {
        const bool number = i < table.numeric.size() && table.numeric[i];
        out += (i ? ", " : "") + json_string(table.headers[i]) + ": " +
               (number ? json_number(table.rows[r][i]) : json_string(table.rows[r][i]));
      }
      out += "}";
    }
    return out + "\n]\n";
  }
  if (format == Format::csv) {
    for (const auto* row : {&table.headers}) {
      for (std::size_t i = 0; i < n; ++i) out += (i ? "," : "") + csv_field((*row)[i]);
      out += "\n";
    }
    for (const auto& row : table.rows) {
      for (std::size_t i = 0; i < n; ++i) out += (i ? "," : "") + csv_field(row[i]);
      out += "\n";
    }
    return out;
  }
  std::vector<std::size_t> width(n, 0);
  for (std::size_t i = 0; i < n; ++i) width[i] = table.headers[i].size();
  for (const auto& row : table.rows)
    for (std::size_t i = 0; i < n; ++i) width[i] = std::max(width[i], row[i].size());
  const auto cell = [&](const std::string& text, std::size_t i) {
    const std::size_t pad = width[i] - std::min(width[i], text.size());
    const bool right = i < table.numeric.size() && table.numeric[i];
    return right ? std::string(pad, ' ') + text : text + std::string(pad, ' ');
  };
  const std::string open = format == Format::markdown ? "| " : "";
  const std::string sep = format == Format::markdown ? " | " : "  ";
  const std::string close = format == Format::markdown ? " |" : "";
  const auto line = [&](const std::vector<std::string>& row) {
    std::string text = open;
    for (std::size_t i = 0; i < n; ++i) text += (i ? sep : "") + cell(row[i], i);
    while (format == Format::table && !text.empty() && text.back() == ' ') text.pop_back();
    return text + close + "\n";
  };
  out += line(table.headers);
  if (format == Format::markdown) {
    out += "|";
    for (std::size_t i = 0; i < n; ++i)
      out += (i < table.numeric.size() && table.numeric[i] ? std::string(width[i] + 1, '-') + ":|"
                                                           : std::string(width[i] + 2, '-') + "|");
    out += "\n";
  }
  for (const auto& row : table.rows) out += line(row);
  return out;
}

}  // namespace nnsweep::report
