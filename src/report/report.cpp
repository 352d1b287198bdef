#include "nnsweep/report/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

#include "nnsweep/config/spec.hpp"
#include "nnsweep/core/error.hpp"
#include "nnsweep/grid/task_record.hpp"
#include "nnsweep/stats/moments.hpp"

namespace nnsweep::report {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Every value of a column as text (parameters are grouped by their printed value).
std::vector<std::string> column_text(const io::ResultsFile& file, const std::string& name) {
  const auto spec = file.column(name);
  if (spec.type == grid::ColumnType::string) return file.read_strings(name);
  const auto numbers = file.read_numbers(name);
  std::vector<std::string> out;
  out.reserve(numbers.size());
  for (double v : numbers) out.push_back(format_number(v));
  return out;
}

// The theory column that predicts `metric` ("" if none).
std::string theory_of(const io::ResultsFile& file, const std::string& metric) {
  for (const auto& c : file.result_columns().columns())
    if (c.kind == grid::ColumnKind::theory && !c.is_text() && c.predicts == metric) return c.name;
  return "";
}

// The theory kind shared by the tasks that entered a statistic, or "mixed".
std::string kind_text(const std::vector<std::uint8_t>& kinds,
                      const std::vector<std::size_t>& tasks) {
  if (kinds.empty() || tasks.empty()) return "";
  const std::uint8_t first = kinds[tasks.front()];
  for (const std::size_t t : tasks)
    if (kinds[t] != first) return "mixed";
  return std::string(grid::theory_kind_name(static_cast<grid::TheoryKind>(first)));
}

// Groups tasks by their `by` values, in order of first appearance.
struct Groups {
  std::vector<std::vector<std::string>> keys;
  std::vector<std::vector<std::size_t>> tasks;
};
Groups group_tasks(const io::ResultsFile& file, const std::vector<std::string>& by) {
  std::vector<std::vector<std::string>> columns;
  for (const auto& name : by) {
    const auto params = file.parameter_names();
    if (std::find(params.begin(), params.end(), name) == params.end())
      throw config_error(cat(
          "--by ", name, ": not a parameter of this file (parameters: ", join(params, ", "), ")"));
    columns.push_back(column_text(file, name));
  }
  Groups groups;
  std::map<std::vector<std::string>, std::size_t> index;
  for (std::size_t t = 0; t < file.task_count(); ++t) {
    std::vector<std::string> key;
    for (const auto& c : columns) key.push_back(c[t]);
    auto [it, inserted] = index.emplace(key, groups.keys.size());
    if (inserted) {
      groups.keys.push_back(key);
      groups.tasks.emplace_back();
    }
    groups.tasks[it->second].push_back(t);
  }
  return groups;
}

std::string format_estimate(double mean, double sem) {
  if (!std::isfinite(mean)) return "nan";
  if (!(sem > 0) || !std::isfinite(sem)) return format_number(std::stod(cat(mean)));
  const int decimals = std::clamp(1 - static_cast<int>(std::floor(std::log10(sem))), 0, 12);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f ± %.*f", decimals, mean, decimals, sem);
  return buffer;
}

// Numbers for tables: 6 significant digits, all 17 for CSV, a sign and 2 decimals for z.
enum class Style { short_, full, signed2 };
std::string format_short(double v, Style style = Style::short_) {
  if (!std::isfinite(v)) return "";
  char buffer[32];
  switch (style) {
    case Style::short_:
      std::snprintf(buffer, sizeof buffer, "%.6g", v);
      break;
    case Style::full:
      std::snprintf(buffer, sizeof buffer, "%.17g", v);
      break;
    case Style::signed2:
      std::snprintf(buffer, sizeof buffer, "%+.2f", v);
      break;
  }
  return buffer;
}

}  // namespace

std::string_view trust_name(Trust trust) {
  constexpr const char* names[] = {"", "ok", "unresolved", "proportion"};
  return names[static_cast<std::size_t>(trust)];
}

std::pair<double, double> wilson_interval(double k, double n) {
  if (!(n > 0)) return {nan, nan};
  const double p = k / n, z2 = wilson_z * wilson_z;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = wilson_z / (1 + z2 / n) * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

std::vector<std::string> swept_parameters(const io::ResultsFile& file) {
  // Swept = given more than one value in the stored spec. (Distinct values would also count
  // parameters resolved per cell, such as cw = auto, which nobody swept.)
  const auto raw = config::read_spec_text(file.spec_text(), file.path() + " /spec", {});
  const auto replicates = file.replicates();
  std::vector<std::string> out;
  for (const auto& [name, expression] : raw.params)
    if (std::find(replicates.begin(), replicates.end(), name) == replicates.end() &&
        expression.find(',') != std::string::npos)
      out.push_back(name);
  return out;
}

std::vector<std::string> metric_names(const io::ResultsFile& file) {
  std::vector<std::string> out;
  for (const auto& c : file.result_columns().columns()) {
    const auto ends_with = [&](const std::string& suffix) {
      return c.name.size() > suffix.size() &&
             c.name.compare(c.name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    // Companions, not metrics: standard errors and the trust diagnostics.
    const bool companion = ends_with("_sem") || ends_with("_max_share");
    if (c.kind == grid::ColumnKind::metric && !c.is_text() && c.dims.empty() && !companion)
      out.push_back(c.name);
  }
  return out;
}

std::vector<CellStatistic> aggregate(const io::ResultsFile& file,
                                     const std::vector<std::string>& by,
                                     const std::vector<std::string>& metrics) {
  struct Columns {
    std::vector<double> values, sems, theory, shares;
    std::vector<std::uint8_t> kinds;
    bool proportion = false;
  };
  std::vector<Columns> columns;
  for (const auto& metric : metrics) {
    const auto names = metric_names(file);
    if (std::find(names.begin(), names.end(), metric) == names.end())
      throw config_error(
          cat("--metrics ", metric, ": no such metric (metrics: ", join(names, ", "), ")"));
    Columns c;
    c.values = file.read_numbers(metric);
    if (file.has_column(metric + "_sem")) c.sems = file.read_numbers(metric + "_sem");
    if (file.has_column(metric + "_max_share")) c.shares = file.read_numbers(metric + "_max_share");
    columns.push_back(std::move(c));
  }
  const auto status = file.read_status();
  // A 0/1 metric: no sem of its own and every done value in the file 0 or 1 (at least one).
  for (auto& c : columns) {
    if (!c.sems.empty()) continue;
    std::size_t seen = 0;
    bool binary = true;
    for (std::size_t t = 0; t < c.values.size() && binary; ++t) {
      if (status[t] != static_cast<std::uint8_t>(grid::TaskStatus::done) ||
          !std::isfinite(c.values[t]))
        continue;
      ++seen;
      binary = c.values[t] == 0 || c.values[t] == 1;
    }
    c.proportion = binary && seen > 0;
  }
  for (std::size_t k = 0; k < metrics.size(); ++k) {
    const auto& metric = metrics[k];
    auto& c = columns[k];
    const std::string theory = theory_of(file, metric);
    if (!theory.empty()) {
      c.theory = file.read_numbers(theory);
      for (const double code : file.read_numbers(grid::ColumnSet::kind_column(theory)))
        c.kinds.push_back(static_cast<std::uint8_t>(code));
    }
  }
  const auto groups = group_tasks(file, by);
  // The larger of the spread over the tasks and their own Monte Carlo errors: with few tasks the
  // spread is too noisy to judge a z-score by; with heavy tails the per-task errors are
  // optimistic. (python/nnsweep/aggregate.py computes the same.)
  const auto sem_of = [](const stats::Moments& m, double own_variance, std::size_t own_count) {
    const double between = m.count() >= 2 ? m.sem() : nan;
    const double within =
        own_count > 0 ? std::sqrt(own_variance) / static_cast<double>(m.count()) : nan;
    return std::fmax(between, within);
  };
  std::vector<CellStatistic> out;
  for (std::size_t g = 0; g < groups.keys.size(); ++g) {
    for (std::size_t k = 0; k < metrics.size(); ++k) {
      const auto& c = columns[k];
      CellStatistic s;
      s.cell = groups.keys[g];
      s.metric = metrics[k];
      stats::Moments m, predicted, difference;
      double own_variance = 0, low = nan, high = nan, max_share = nan;
      std::size_t own_count = 0;
      bool paired = !c.theory.empty();  // every task that counts has its own prediction
      std::vector<std::size_t> used;
      for (const std::size_t t : groups.tasks[g]) {
        if (!c.theory.empty() && !std::isnan(c.theory[t])) {
          low = std::isnan(low) ? c.theory[t] : std::min(low, c.theory[t]);
          high = std::isnan(high) ? c.theory[t] : std::max(high, c.theory[t]);
        }
        if (status[t] != static_cast<std::uint8_t>(grid::TaskStatus::done) ||
            !std::isfinite(c.values[t]))
          continue;
        used.push_back(t);
        m.add(c.values[t]);
        if (!c.shares.empty() && !std::isnan(c.shares[t]))
          max_share = std::isnan(max_share) ? c.shares[t] : std::max(max_share, c.shares[t]);
        if (!c.sems.empty() && std::isfinite(c.sems[t])) {
          own_variance += c.sems[t] * c.sems[t];
          ++own_count;
        }
        if (paired && std::isfinite(c.theory[t])) {
          predicted.add(c.theory[t]);
          difference.add(c.values[t] - c.theory[t]);
        } else {
          paired = false;
        }
      }
      s.count = static_cast<std::size_t>(m.count());
      s.mean = m.mean();
      s.sem = sem_of(m, own_variance, own_count);
      s.theory_kind = kind_text(c.kinds, used);
      if (high - low <= 1e-12 * std::fabs(high)) {
        // One prediction for the whole cell.
        s.theory = low;
        s.z = std::isfinite(s.theory) && s.sem > 0 ? (s.mean - s.theory) / s.sem : nan;
      } else if (paired && s.count > 0) {
        // A prediction per task (from its own data): the mean prediction, and z of the paired
        // differences.
        s.theory = predicted.mean();
        const double sem = sem_of(difference, own_variance, own_count);
        s.z = sem > 0 ? difference.mean() / sem : nan;
      } else {
        s.theory = nan;
        s.z = nan;
      }
      s.max_share = max_share;
      s.low = s.high = nan;
      if (s.count == 0) {
        s.trust = Trust::none;
      } else if (c.proportion) {
        s.trust = Trust::proportion;
        std::tie(s.low, s.high) =
            wilson_interval(s.mean * static_cast<double>(s.count), static_cast<double>(s.count));
      } else if (max_share > max_share_limit) {
        s.trust = Trust::unresolved;
      } else {
        s.trust = Trust::ok;
      }
      if (s.trust != Trust::ok) s.z = nan;  // no z-score where the sem is not the right scale
      out.push_back(s);
    }
  }
  return out;
}

Table statistics_table(const std::vector<CellStatistic>& statistics,
                       const std::vector<std::string>& by, Format format) {
  Table table;
  table.headers = by;
  if (machine_readable(format)) {
    for (const char* h :
         {"metric", "n", "mean", "sem", "theory", "kind", "z", "trust", "max_share", "low", "high"})
      table.headers.emplace_back(h);
  } else {
    for (const char* h : {"metric", "n", "mean ± sem", "theory", "kind", "z", "trust"})
      table.headers.emplace_back(h);
  }
  table.numeric.assign(table.headers.size(), false);
  for (std::size_t i = by.size() + 1; i < table.headers.size(); ++i)
    table.numeric[i] = table.headers[i] != "kind" && table.headers[i] != "trust";
  for (const auto& s : statistics) {
    auto row = s.cell;
    row.push_back(s.metric);
    row.push_back(std::to_string(s.count));
    if (machine_readable(format)) {
      row.push_back(format_short(s.mean, Style::full));
      row.push_back(format_short(s.sem, Style::full));
      row.push_back(format_short(s.theory, Style::full));
      row.push_back(s.theory_kind);
      row.push_back(format_short(s.z, Style::full));
      row.emplace_back(trust_name(s.trust));
      row.push_back(format_short(s.max_share, Style::full));
      row.push_back(format_short(s.low, Style::full));
      row.push_back(format_short(s.high, Style::full));
    } else {
      if (s.trust == Trust::proportion) {
        // k/n and its Wilson interval: a mean ± sem of 0/1 values misleads near 0 and 1.
        const auto k = static_cast<long long>(std::llround(s.mean * static_cast<double>(s.count)));
        row.push_back(
            cat(k, "/", s.count, " [", format_short(s.low), ", ", format_short(s.high), "]"));
      } else {
        row.push_back(s.count > 0 ? format_estimate(s.mean, s.sem) : "");
      }
      row.push_back(format_short(s.theory));
      row.push_back(s.theory_kind);
      row.push_back(format_short(s.z, Style::signed2));
      row.emplace_back(trust_name(s.trust));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

std::string trust_notes(const std::vector<CellStatistic>& statistics) {
  std::size_t unresolved = 0, proportions = 0;
  for (const auto& s : statistics) {
    unresolved += s.trust == Trust::unresolved;
    proportions += s.trust == Trust::proportion;
  }
  std::string out;
  if (unresolved > 0)
    out += cat("unresolved (", unresolved,
               " rows): in some task of the cell a single sample carries more than half of the "
               "estimator (<metric>_max_share > ",
               format_number(max_share_limit),
               "): the mean is dominated by rare samples and its standard error means nothing, "
               "so no z is given. More samples per task, not more seeds, resolve it.\n");
  if (proportions > 0)
    out += cat("proportion (", proportions,
               " rows): a 0/1 metric; shown as successes/tasks with its Wilson 95% interval, no "
               "z.\n");
  return out;
}

std::string status_text(const io::ResultsFile& file, const std::vector<std::string>& by,
                        Format format) {
  const auto status = file.read_status();
  constexpr int kinds = 5;
  if (machine_readable(format)) {
    // One table: a row for the whole file (parameter and value empty), then one per value of
    // each `by` parameter; counts as plain integers.
    Table table;
    table.headers = {"parameter", "value"};
    for (int k = 0; k < kinds; ++k)
      table.headers.emplace_back(grid::status_name(static_cast<grid::TaskStatus>(k)));
    table.headers.emplace_back("total");
    table.numeric.assign(table.headers.size(), true);
    table.numeric[0] = table.numeric[1] = false;
    const auto add = [&](const std::string& name, const Groups& groups) {
      for (std::size_t g = 0; g < groups.keys.size(); ++g) {
        std::vector<std::size_t> n(kinds, 0);
        for (const std::size_t t : groups.tasks[g])
          ++n[std::min<std::size_t>(status[t], kinds - 1)];
        std::vector<std::string> row = {name, name.empty() ? "" : groups.keys[g].front()};
        for (const std::size_t c : n) row.push_back(std::to_string(c));
        row.push_back(std::to_string(groups.tasks[g].size()));
        table.rows.push_back(row);
      }
    };
    add("", group_tasks(file, {}));
    for (const auto& name : by) add(name, group_tasks(file, {name}));
    return render(table, format);
  }
  const auto counts_table = [&](const std::vector<std::string>& keys, const Groups& groups) {
    Table table;
    table.headers = keys;
    for (int k = 0; k < kinds; ++k)
      table.headers.emplace_back(grid::status_name(static_cast<grid::TaskStatus>(k)));
    table.headers.emplace_back("total");
    table.numeric.assign(table.headers.size(), true);
    for (std::size_t i = 0; i < keys.size(); ++i) table.numeric[i] = false;
    for (std::size_t g = 0; g < groups.keys.size(); ++g) {
      std::vector<std::size_t> n(kinds, 0);
      for (const std::size_t t : groups.tasks[g]) ++n[std::min<std::size_t>(status[t], kinds - 1)];
      auto row = groups.keys[g];
      for (const std::size_t c : n) row.push_back(std::to_string(c));
      row.push_back(std::to_string(groups.tasks[g].size()));
      table.rows.push_back(row);
    }
    return render(table, format);
  };
  std::string out = cat(file.path(), ": experiment ", file.attribute("experiment"), ", ",
                        file.task_count(), " tasks\n\n");
  out += counts_table({}, group_tasks(file, {}));
  for (const auto& name : by) out += "\n" + counts_table({name}, group_tasks(file, {name}));

  const auto errors = file.read_strings("error");
  const auto params = file.parameter_names();
  std::vector<std::vector<std::string>> values;
  for (const auto& name : params) values.push_back(column_text(file, name));
  std::size_t listed = 0, failed = 0;
  std::string failures;
  for (std::size_t t = 0; t < status.size(); ++t) {
    if (status[t] != static_cast<std::uint8_t>(grid::TaskStatus::failed) &&
        status[t] != static_cast<std::uint8_t>(grid::TaskStatus::diverged))
      continue;
    ++failed;
    if (listed++ < 20) {
      std::string where;
      for (std::size_t p = 0; p < params.size(); ++p)
        where += cat(p ? " " : "", params[p], "=", values[p][t]);
      failures +=
          cat("  task ", t, " (", grid::status_name(static_cast<grid::TaskStatus>(status[t])), ") ",
              where, ": ", errors[t].empty() ? "(no error text)" : errors[t], "\n");
    }
  }
  if (failed > 0)
    out +=
        cat("\nfailed or diverged tasks (", failed, "):\n", failures, failed > 20 ? "  ...\n" : "");
  return out;
}

}  // namespace nnsweep::report
