#include "nnsweep/report/diff.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <set>

#include "nnsweep/core/error.hpp"
#include "nnsweep/grid/task_record.hpp"

namespace nnsweep::report {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

std::vector<std::string> column_text(const io::ResultsFile& file, const std::string& name) {
  if (file.column(name).type == grid::ColumnType::string) return file.read_strings(name);
  std::vector<std::string> out;
  for (const double v : file.read_numbers(name)) out.push_back(format_number(v));
  return out;
}

bool contains(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

std::string build_of(const io::ResultsFile& file, const char* name) {
  try {
    return file.attribute(name);
  } catch (const error&) {
    return "";
  }
}

// Every task's parameters as one key, and the `by` part of it.
std::vector<std::string> task_keys(const io::ResultsFile& file,
                                   const std::vector<std::string>& names) {
  std::vector<std::string> keys(file.task_count());
  for (const auto& name : names) {
    const auto text = column_text(file, name);
    for (std::size_t t = 0; t < keys.size(); ++t) keys[t] += name + "=" + text[t] + "\x1f";
  }
  return keys;
}

// Bit for bit (NaN payloads and the sign of zero included): both files come from one build.
bool same_bits(double x, double y) {
  std::uint64_t a = 0, b = 0;
  std::memcpy(&a, &x, sizeof x);
  std::memcpy(&b, &y, sizeof y);
  return a == b;
}

}  // namespace

double two_sided_p(double z) {
  return std::erfc(std::fabs(z) / std::sqrt(2.0));
}

std::vector<double> holm_adjust(const std::vector<double>& p) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (!std::isnan(p[i])) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](auto i, auto j) { return p[i] < p[j]; });
  std::vector<double> adjusted(p.size(), nan);
  const auto m = static_cast<double>(order.size());
  double running = 0;
  for (std::size_t rank = 0; rank < order.size(); ++rank) {
    running = std::max(running, std::min(1.0, (m - static_cast<double>(rank)) * p[order[rank]]));
    adjusted[order[rank]] = running;
  }
  return adjusted;
}

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::consistent:
      return "consistent";
    case Verdict::differ:
      return "differ";
    case Verdict::identical:
      return "identical";
    case Verdict::untested:
      return "untested";
  }
  return "?";
}

DiffResult diff(const io::ResultsFile& a, const io::ResultsFile& b, std::vector<std::string> by,
                std::vector<std::string> metrics, double alpha) {
  NNSWEEP_CHECK(alpha > 0 && alpha < 1, "--alpha ", alpha, ": give a level in (0, 1), e.g. 0.05");
  const auto experiment = a.attribute("experiment");
  NNSWEEP_CHECK(experiment == b.attribute("experiment"), "diff: ", a.path(), " is a ", experiment,
                " sweep and ", b.path(), " a ", b.attribute("experiment"),
                " sweep — compare files of one experiment");
  DiffResult result;
  const auto params_a = a.parameter_names(), params_b = b.parameter_names();
  if (by.empty()) {
    for (const auto* file : {&a, &b})
      for (const auto& name : swept_parameters(*file))
        if (!contains(by, name)) by.push_back(name);
  }
  for (const auto& name : by)
    NNSWEEP_CHECK(contains(params_a, name) && contains(params_b, name), "diff: ", name,
                  " is not a parameter of both files (", a.path(), ": ", join(params_a, ", "), "; ",
                  b.path(), ": ", join(params_b, ", "), ")");
  const auto metrics_a = metric_names(a), metrics_b = metric_names(b);
  if (metrics.empty()) {
    for (const auto& m : metrics_a)
      if (contains(metrics_b, m)) metrics.push_back(m);
    NNSWEEP_CHECK(!metrics.empty(), "diff: the files have no metric in common");
  }
  for (const auto& m : metrics)
    NNSWEEP_CHECK(contains(metrics_a, m) && contains(metrics_b, m), "--metrics ", m,
                  ": not a metric of both files (", join(metrics_a, ", "), "; ",
                  join(metrics_b, ", "), ")");
  result.by = by;
  result.metrics = metrics;

  // Fixed parameters that differ (a cell of A is compared with the cell of B that has the same
  // `by` values; what else differs is said, not hidden).
  for (const auto& name : params_a) {
    if (contains(by, name) || contains(a.replicates(), name)) continue;
    if (!contains(params_b, name)) {
      result.notes.push_back(cat("parameter ", name, " only in ", a.path()));
      continue;
    }
    const auto ta = column_text(a, name), tb = column_text(b, name);
    const std::set<std::string> va(ta.begin(), ta.end()), vb(tb.begin(), tb.end());
    if (va != vb)
      result.notes.push_back(cat("parameter ", name, " differs: ",
                                 join(std::vector<std::string>(va.begin(), va.end()), ","), " vs ",
                                 join(std::vector<std::string>(vb.begin(), vb.end()), ",")));
  }
  for (const auto& name : params_b)
    if (!contains(params_a, name))
      result.notes.push_back(cat("parameter ", name, " only in ", b.path()));

  const auto stats_a = aggregate(a, by, metrics), stats_b = aggregate(b, by, metrics);
  std::map<std::pair<std::vector<std::string>, std::string>, const CellStatistic*> in_b;
  std::set<std::vector<std::string>> cells_a, cells_b;
  for (const auto& s : stats_b) {
    in_b[{s.cell, s.metric}] = &s;
    cells_b.insert(s.cell);
  }
  for (const auto& s : stats_a) cells_a.insert(s.cell);
  for (const auto& c : cells_a) result.only_a += cells_b.count(c) == 0 ? 1 : 0;
  for (const auto& c : cells_b) result.only_b += cells_a.count(c) == 0 ? 1 : 0;
  NNSWEEP_CHECK(result.only_a < cells_a.size(), "diff: no cell (values of ", join(by, ", "),
                ") occurs in both files");

  // Same build: every matched task is compared bit for bit.
  const auto build = [](const io::ResultsFile& f) {
    return cat(build_of(f, "nnsweep_version"), " ", build_of(f, "git_sha"), " ",
               build_of(f, "march"));
  };
  result.same_build = build(a) == build(b) && !build_of(a, "march").empty();
  if (!result.same_build)
    result.notes.push_back(cat("builds differ or -march unknown (", build(a), " vs ", build(b),
                               "): no bit-for-bit comparison"));
  // Per (cell, metric): matched tasks and whether all were bit-equal.
  std::map<std::pair<std::vector<std::string>, std::string>, std::pair<std::size_t, bool>> exact;
  if (result.same_build && params_a == params_b) {
    const auto keys_a = task_keys(a, params_a), keys_b = task_keys(b, params_b);
    std::map<std::string, std::size_t> row_b;
    for (std::size_t t = 0; t < keys_b.size(); ++t) row_b[keys_b[t]] = t;
    std::vector<std::vector<std::string>> by_text;
    for (const auto& name : by) by_text.push_back(column_text(a, name));
    const auto status_a = a.read_status(), status_b = b.read_status();
    std::vector<std::vector<double>> va, vb;
    for (const auto& m : metrics) {
      va.push_back(a.read_numbers(m));
      vb.push_back(b.read_numbers(m));
    }
    for (std::size_t t = 0; t < keys_a.size(); ++t) {
      const auto found = row_b.find(keys_a[t]);
      if (found == row_b.end() || status_a[t] != status_b[found->second]) continue;
      if (status_a[t] != static_cast<std::uint8_t>(grid::TaskStatus::done)) continue;
      std::vector<std::string> cell;
      for (const auto& column : by_text) cell.push_back(column[t]);
      bool all = true;
      for (std::size_t k = 0; k < metrics.size(); ++k) {
        const bool equal = same_bits(va[k][t], vb[k][found->second]);
        all = all && equal;
        auto& entry = exact.try_emplace({cell, metrics[k]}, 0, true).first->second;
        ++entry.first;
        entry.second = entry.second && equal;
      }
      ++result.exact_tasks;
      result.exact_equal += all ? 1 : 0;
    }
  }

  std::vector<double> p;
  for (const auto& sa : stats_a) {
    const auto found = in_b.find({sa.cell, sa.metric});
    if (found == in_b.end()) continue;
    const auto& sb = *found->second;
    DiffRow row;
    row.cell = sa.cell;
    row.metric = sa.metric;
    row.count_a = sa.count;
    row.count_b = sb.count;
    row.mean_a = sa.mean;
    row.sem_a = sa.sem;
    row.mean_b = sb.mean;
    row.sem_b = sb.sem;
    row.z = row.p = row.p_holm = nan;
    const bool proportion = sa.trust == Trust::proportion && sb.trust == Trust::proportion;
    const bool testable = sa.count > 0 && sb.count > 0 &&
                          (proportion || (sa.trust == Trust::ok && sb.trust == Trust::ok));
    if (testable) {
      double se = 0;
      if (proportion) {  // pooled two-proportion z-test
        const auto na = static_cast<double>(sa.count), nb = static_cast<double>(sb.count);
        const double pooled = (sa.mean * na + sb.mean * nb) / (na + nb);
        se = std::sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb));
      } else {
        se = std::hypot(std::isnan(sa.sem) ? 0.0 : sa.sem, std::isnan(sb.sem) ? 0.0 : sb.sem);
      }
      const double d = sa.mean - sb.mean;
      row.z = se > 0 ? d / se : (d == 0 ? 0.0 : std::copysign(INFINITY, d));
      row.p = two_sided_p(row.z);
    }
    p.push_back(row.p);
    result.rows.push_back(row);
  }
  const auto adjusted = holm_adjust(p);
  for (std::size_t i = 0; i < result.rows.size(); ++i) {
    auto& row = result.rows[i];
    row.p_holm = adjusted[i];
    if (std::isnan(row.p)) {
      row.verdict = Verdict::untested;
      continue;
    }
    ++result.tested;
    row.verdict = row.p_holm <= alpha ? Verdict::differ : Verdict::consistent;
    if (row.verdict == Verdict::differ) ++result.differing;
    const auto e = exact.find({row.cell, row.metric});
    if (row.verdict == Verdict::consistent && e != exact.end() && e->second.second &&
        e->second.first == row.count_a && row.count_a == row.count_b)
      row.verdict = Verdict::identical;
  }
  return result;
}

Table diff_table(const DiffResult& result, Format format) {
  Table table;
  table.headers = result.by;
  for (const char* h : {"metric", "n_a", "mean_a", "sem_a", "n_b", "mean_b", "sem_b", "z", "p",
                        "p_holm", "verdict"})
    table.headers.emplace_back(h);
  table.numeric.assign(result.by.size(), true);
  for (const bool n : {false, true, true, true, true, true, true, true, true, true, false})
    table.numeric.push_back(n);
  const bool every_bit = machine_readable(format);
  const auto number = [every_bit](double v) {
    if (std::isnan(v)) return std::string();
    if (std::isinf(v)) return std::string(v > 0 ? "inf" : "-inf");
    char text[32];
    if (every_bit)
      std::snprintf(text, sizeof text, "%.17g", v);
    else
      std::snprintf(text, sizeof text, "%.6g", v);
    return std::string(text);
  };
  for (const auto& r : result.rows) {
    auto row = r.cell;
    row.push_back(r.metric);
    row.push_back(std::to_string(r.count_a));
    for (const double v : {r.mean_a, r.sem_a}) row.push_back(number(v));
    row.push_back(std::to_string(r.count_b));
    for (const double v : {r.mean_b, r.sem_b, r.z, r.p, r.p_holm}) row.push_back(number(v));
    row.emplace_back(verdict_name(r.verdict));
    table.rows.push_back(std::move(row));
  }
  return table;
}

std::string diff_summary(const DiffResult& result, double alpha) {
  std::string out;
  for (const auto& note : result.notes) out += "note: " + note + "\n";
  if (result.only_a + result.only_b > 0)
    out += cat("cells in one file only (not compared): ", result.only_a, " in A, ", result.only_b,
               " in B\n");
  if (result.same_build)
    out += cat("same build: ", result.exact_equal, " of ", result.exact_tasks,
               " matched done tasks bit for bit identical\n");
  char level[32];
  std::snprintf(level, sizeof level, "%g", alpha);
  out += cat(result.differing, " of ", result.tested, " (cell, metric) pairs differ at level ",
             level, " (Holm over ", result.tested, " tests); ", result.rows.size() - result.tested,
             " untested\n");
  out += result.differing > 0 ? "verdict: DIFFER (exit 1)\n" : "verdict: consistent (exit 0)\n";
  return out;
}

}  // namespace nnsweep::report
