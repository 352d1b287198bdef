#pragma once
// Small string utilities shared by every module: message building, splitting, canonical number
// formatting (the text that task keys and the stored spec are made of) and "did you mean" hints.
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace nnsweep {

// Concatenates any streamable values: cat("width = ", 3, " is too small").
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

std::string_view trim(std::string_view text);
std::vector<std::string> split(std::string_view text, char separator);  // pieces are trimmed
std::string join(const std::vector<std::string>& pieces, std::string_view separator);
bool starts_with(std::string_view text, std::string_view prefix);

// Shortest decimal text that parses back to exactly `value` ("0.1", "1e-05", "inf", "nan").
std::string format_number(double value);

// Strict parsers: the whole text must be a number; nullopt-like failure is reported by `ok`.
bool parse_int64(std::string_view text, std::int64_t& out);
bool parse_double(std::string_view text, double& out);

// Levenshtein distance, and the candidate nearest to `name` (empty when none is close enough).
std::size_t edit_distance(std::string_view a, std::string_view b);
std::string nearest(std::string_view name, const std::vector<std::string>& candidates);

// `text` as one shell word that pastes back as itself: unchanged when it is plain
// ([A-Za-z0-9_./:=@%+,-]), else in single quotes (' written as '\''). For paths in hints.
std::string shell_quote(std::string_view text);

// `text` safe to print on one terminal line: control characters (newlines included), DEL and
// bytes that are not UTF-8 written as \xNN; valid UTF-8 kept. For every message that may echo
// what a user, a spec or a file supplied.
std::string printable(std::string_view text);

// Human-readable durations and counts for progress lines: "3m12s", "1.2e+09".
std::string format_duration(double seconds);

}  // namespace nnsweep
