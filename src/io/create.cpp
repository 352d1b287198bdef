// Creating a results file: every dataset allocated up front (contiguous, filled), parameter
// columns written, then an atomic rename. Metadata is complete when the file appears under its
// name, and nothing later changes it.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <utility>

#include "h5.hpp"
#include "layout.hpp"
#include "nnsweep/core/error.hpp"
#include "nnsweep/core/system.hpp"
#include "nnsweep/core/version.hpp"

namespace nnsweep::io {
namespace {

using h5::check;
using h5::Handle;

constexpr std::size_t block_tasks = 65536;  // tasks per write while filling parameter columns

using grid::Column;
using grid::ColumnKind;
using grid::ColumnType;

Handle file_type(const Column& column) {
  switch (column.type) {
    case ColumnType::float64:
      return Handle(H5Tcopy(H5T_IEEE_F64LE), H5Tclose);
    case ColumnType::int64:
      return Handle(H5Tcopy(H5T_STD_I64LE), H5Tclose);
    case ColumnType::uint64:
      return Handle(H5Tcopy(H5T_STD_U64LE), H5Tclose);
    case ColumnType::int32:
      return Handle(H5Tcopy(H5T_STD_I32LE), H5Tclose);
    case ColumnType::uint8:
      return Handle(H5Tcopy(H5T_STD_U8LE), H5Tclose);
    case ColumnType::string:
      return h5::string_type(column.string_size);
  }
  throw io_error("internal: unknown column type");
}

// A unit that UDUNITS-2 parses: the words that only name what is counted (a width in "units",
// a depth in "layers", ...) are the dimensionless "1"; every other unit is already UDUNITS
// ("1", "s"). python/tests/test_conventions.py checks every units attribute with udunits2.
std::string cf_units(const std::string& units) {
  static const char* const counts[] = {"",      "units",  "layers", "networks", "samples", "epochs",
                                       "epoch", "points", "steps",  "step",     "neurons", "seeds",
                                       "tasks", "count",  "runs",   "ranks"};
  for (const char* word : counts)
    if (units == word) return "1";
  return units;
}

// Space-separated names (CF `coordinates`, `ancillary_variables`).
std::string words(const std::vector<std::string>& names) {
  return join(names, " ");
}

class Creator {
 public:
  explicit Creator(std::string path) : where_(std::move(path)) {}

  // A contiguous, early-allocated, filled dataset of `rows` (× its dimensions) with the column's
  // attributes.
  Handle dataset(hid_t group, const Column& column, std::size_t rows, const void* fill) {
    std::vector<hsize_t> dims{rows};
    for (const auto& d : column.dims) dims.push_back(d.length);
    Handle space(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                       where_, "H5Screate_simple"),
                 H5Sclose);
    const Handle dcpl = h5::plist(H5P_DATASET_CREATE);
    check(H5Pset_layout(dcpl.get(), H5D_CONTIGUOUS), where_, "H5Pset_layout");
    check(H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY), where_, "H5Pset_alloc_time");
    check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_ALLOC), where_, "H5Pset_fill_time");
    // No timestamps: they would change on every run and make files differ for no reason.
    check(H5Pset_obj_track_times(dcpl.get(), false), where_, "H5Pset_obj_track_times");
    const Handle type = file_type(column);
    if (fill != nullptr) {
      const Handle memory =
          column.type == ColumnType::string ? h5::string_type(column.string_size) : Handle();
      const hid_t fill_type =
          column.type == ColumnType::string ? memory.get() : h5::memory_type(column.type);
      check(H5Pset_fill_value(dcpl.get(), fill_type, fill), where_, "H5Pset_fill_value");
    }
    Handle ds(check(H5Dcreate2(group, column.name.c_str(), type.get(), space.get(), H5P_DEFAULT,
                               dcpl.get(), H5P_DEFAULT),
                    where_, ("H5Dcreate2 " + column.name).c_str()),
              H5Dclose);
    const std::string at = where_ + " " + column.name;
    // CF: text has no units and says its encoding (xarray then decodes it to str); every other
    // column's units parse with UDUNITS-2.
    if (column.type == ColumnType::string)
      h5::write_attribute(ds.get(), "_Encoding", std::string("utf-8"), at);
    else
      h5::write_attribute(ds.get(), "units", cf_units(column.units), at);
    h5::write_attribute(ds.get(), "long_name", column.long_name, at);
    h5::write_attribute(ds.get(), "description", column.description, at);
    h5::write_attribute(ds.get(), "kind", std::string(grid::kind_name(column.kind)), at);
    if (column.kind == ColumnKind::theory)
      h5::write_attribute(ds.get(), "predicts", column.predicts, at);
    return ds;
  }

  // A dimension scale 0..n−1 named `name`.
  Handle scale(hid_t group, const std::string& name, std::size_t n) {
    Column column;
    column.name = name;
    column.type = ColumnType::int64;
    column.units = "1";
    column.long_name = name;
    column.description = "index of the " + name + " dimension";
    column.kind = ColumnKind::dimension;
    Handle ds = dataset(group, column, n, nullptr);
    std::vector<std::int64_t> index;  // in blocks: 10^8 tasks must not need 800 MB at once
    for (std::size_t first = 0; first < n; first += block_tasks) {
      const std::size_t count = std::min(block_tasks, n - first);
      index.resize(count);
      for (std::size_t i = 0; i < count; ++i) index[i] = static_cast<std::int64_t>(first + i);
      write_rows(ds.get(), H5T_NATIVE_INT64, first, count, index.data());
    }
    check(H5DSset_scale(ds.get(), name.c_str()), where_, "H5DSset_scale");
    return ds;
  }

  void attach(hid_t dataset, hid_t scale, unsigned dim) {
    check(H5DSattach_scale(dataset, scale, dim), where_, "H5DSattach_scale");
  }

  // Writes rows [first, first + count) of a 1-D dataset from `data` (memory type `type`).
  void write_rows(hid_t dataset, hid_t type, std::size_t first, std::size_t count,
                  const void* data) {
    Handle file_space(check(H5Dget_space(dataset), where_, "H5Dget_space"), H5Sclose);
    const hsize_t start = first, n = count;
    check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &n, nullptr),
          where_, "H5Sselect_hyperslab");
    Handle memory_space(check(H5Screate_simple(1, &n, nullptr), where_, "H5Screate_simple"),
                        H5Sclose);
    check(H5Dwrite(dataset, type, memory_space.get(), file_space.get(), H5P_DEFAULT, data), where_,
          "H5Dwrite");
  }

 private:
  std::string where_;
};

std::vector<Column> parameter_columns(const grid::TaskTable& table) {
  const auto& schema = table.schema();
  std::vector<Column> columns;
  for (std::size_t i = 0; i < schema.size(); ++i) {
    Column c;
    c.name = schema[i].name;
    c.units = schema[i].unit;
    c.long_name = schema[i].name;
    c.description = schema[i].help;
    c.kind = ColumnKind::parameter;
    c.type = schema[i].type == config::ParamType::integer ? ColumnType::int64
             : schema[i].type == config::ParamType::real  ? ColumnType::float64
                                                          : ColumnType::string;
    columns.push_back(c);
  }
  // Fixed-length strings need their longest value: scan one task per cell (seeds are integers).
  for (std::size_t cell = 0; cell < table.cell_count(); ++cell) {
    const auto params = table.params(cell * table.seeds_per_cell());
    for (std::size_t i = 0; i < columns.size(); ++i)
      if (columns[i].type == ColumnType::string)
        columns[i].string_size =
            std::max(columns[i].string_size, config::format_value(params.value(i)).size());
  }
  for (auto& c : columns)
    if (c.type == ColumnType::string) c.string_size = std::max<std::size_t>(c.string_size, 1);
  return columns;
}

void write_parameters(Creator& creator, const grid::TaskTable& table,
                      const std::vector<Column>& columns, const std::vector<Handle>& datasets,
                      hid_t task_key) {
  const std::size_t total = table.size();
  for (std::size_t first = 0; first < total; first += block_tasks) {
    const std::size_t count = std::min(block_tasks, total - first);
    std::vector<std::vector<char>> buffers(columns.size());
    for (std::size_t i = 0; i < columns.size(); ++i)
      buffers[i].assign(count * layout::element_size(columns[i]), '\0');
    std::vector<std::uint64_t> keys(count);
    for (std::size_t t = 0; t < count; ++t) {
      const auto params = table.params(first + t);
      keys[t] = grid::task_key(table.experiment(), params);
      for (std::size_t i = 0; i < columns.size(); ++i) {
        char* slot = buffers[i].data() + t * layout::element_size(columns[i]);
        const auto& value = params.value(i);
        if (columns[i].type == ColumnType::int64) {
          const std::int64_t v = std::get<std::int64_t>(value);
          std::memcpy(slot, &v, sizeof v);
        } else if (columns[i].type == ColumnType::float64) {
          const double v = std::holds_alternative<double>(value)
                               ? std::get<double>(value)
                               : static_cast<double>(std::get<std::int64_t>(value));
          std::memcpy(slot, &v, sizeof v);
        } else {
          const std::string text = config::format_value(value);
          // HDF5 fixed-length strings are NUL-padded in a zeroed slot; a value of the full
          // length has no terminator by design.
          // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
          std::memcpy(slot, text.data(), std::min(text.size(), columns[i].string_size));
        }
      }
    }
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const Handle memory = columns[i].type == ColumnType::string
                                ? h5::string_type(columns[i].string_size)
                                : Handle();
      const hid_t type = memory.valid() ? memory.get() : h5::memory_type(columns[i].type);
      creator.write_rows(datasets[i].get(), type, first, count, buffers[i].data());
    }
    creator.write_rows(task_key, H5T_NATIVE_UINT64, first, count, keys.data());
  }
}

const void* fill_of(const Column& column) {
  static const double nan = std::numeric_limits<double>::quiet_NaN();
  static const std::int32_t minus_one = -1;
  static const std::int64_t minus_one_64 = -1;
  if (column.type == ColumnType::float64) return &nan;
  if (column.name == "rank" || column.name == "run") return &minus_one;
  if (column.name == "exit_code") return &minus_one_64;
  return nullptr;  // zero
}

// CF flag attributes: values 0..n−1 and their space-separated meanings.
void write_flag_attributes(hid_t dataset, const std::string& meanings, const std::string& where) {
  std::vector<std::uint8_t> values(split(meanings, ' ').size());
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<std::uint8_t>(i);
  const hsize_t n = values.size();
  Handle space(check(H5Screate_simple(1, &n, nullptr), where, "H5Screate_simple"), H5Sclose);
  Handle attribute(
      check(H5Acreate2(dataset, "flag_values", H5T_STD_U8LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
            where, "H5Acreate2 flag_values"),
      H5Aclose);
  check(H5Awrite(attribute.get(), H5T_NATIVE_UINT8, values.data()), where, "H5Awrite flag_values");
  h5::write_attribute(dataset, "flag_meanings", meanings, where);
}

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

void create(const std::string& path, const grid::TaskTable& table, const FileLayout& layout,
            const Provenance& provenance) {
  h5::quiet_errors();
  if (::access(path.c_str(), F_OK) == 0)
    throw io_error(
        cat(path, ": already exists — resume it with --resume, or replace it with --force"));
  const std::string temporary = path + ".tmp";
  std::remove(temporary.c_str());  // a creation that was killed half-way

  const Handle fapl = h5::plist(H5P_FILE_ACCESS);
  // Superblock v0 (readable by every HDF5 ≥ 1.8) has no "open for writing" flag to clear after a
  // crash.
  check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_EARLIEST, H5F_LIBVER_V18), path,
        "H5Pset_libver_bounds");
  check(H5Pset_file_locking(fapl.get(), false, true), path, "H5Pset_file_locking");
  Handle file(H5Fcreate(temporary.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl.get()), H5Fclose);
  if (!file.valid())
    throw io_error(cat(path, ": cannot create the results file (", h5::last_error(), ", errno ",
                       std::strerror(errno), ") — choose a writable path with --out"));
  Creator creator(path);
  const hid_t root = file.get();

  const auto params = parameter_columns(table);
  const auto metadata = layout::metadata_columns();
  std::vector<std::string> param_names, result_names;
  for (const auto& c : params) param_names.push_back(c.name);
  for (const auto& c : layout.result_columns.columns()) result_names.push_back(c.name);

  h5::write_attribute(root, "Conventions", std::string("CF-1.8"), path);
  h5::write_attribute(root, "title", cat("nnsweep ", layout.experiment, " sweep"), path);
  h5::write_attribute(root, "schema_version", layout::schema_version, path);
  h5::write_attribute(root, "nnsweep_version", std::string(version()), path);
  h5::write_attribute(root, "git_sha", std::string(git_sha()), path);
  h5::write_attribute(root, "march", std::string(march()), path);
  h5::write_attribute(root, "compiler", std::string(compiler()), path);
  h5::write_attribute(root, "created_utc", provenance.created_utc, path);
  h5::write_attribute(root, "command_line", provenance.command_line, path);
  h5::write_attribute(root, "mpi_size", provenance.mpi_size, path);
  h5::write_attribute(root, "hostname", provenance.hostname, path);
  h5::write_attribute(root, "slurm_job_id", provenance.slurm_job_id, path);
  h5::write_attribute(root, "experiment", layout.experiment, path);
  h5::write_attribute(root, "sweep_seed", layout.sweep_seed, path);
  h5::write_attribute(root, "task_count", static_cast<std::int64_t>(table.size()), path);
  h5::write_attribute(root, "parameters", join(param_names, ","), path);
  h5::write_attribute(root, "results", join(result_names, ","), path);
  h5::write_attribute(root, "replicates", join(layout.replicates, ","), path);

  {  // /spec: a dataset, since attributes cap at 64 KiB
    const Handle type = h5::string_type(std::max<std::size_t>(layout.spec_text.size(), 1));
    Handle space(check(H5Screate(H5S_SCALAR), path, "H5Screate"), H5Sclose);
    Handle ds(check(H5Dcreate2(root, "spec", type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                               H5P_DEFAULT),
                    path, "H5Dcreate2 spec"),
              H5Dclose);
    std::string padded = layout.spec_text;
    padded.resize(std::max<std::size_t>(layout.spec_text.size(), 1), '\0');
    check(H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, padded.data()), path,
          "H5Dwrite spec");
    h5::write_attribute(ds.get(), "description", "the resolved sweep spec (compared on --resume)",
                        path);
    h5::write_attribute(ds.get(), "_Encoding", std::string("utf-8"), path);
  }

  const std::size_t tasks = table.size();
  Handle task_scale = creator.scale(root, layout::task_dim, tasks);
  const grid::ColumnSet& results = layout.result_columns;
  std::map<std::string, Handle> scales;  // the result columns' dimensions besides task
  for (const auto& d : results.dimensions())
    scales.emplace(d.name, creator.scale(root, d.name, d.length));

  std::vector<Handle> param_sets;
  for (const auto& c : params) {
    param_sets.push_back(creator.dataset(root, c, tasks, nullptr));
    creator.attach(param_sets.back().get(), task_scale.get(), 0);
  }
  Handle task_key;
  // CF links: every column on `task` names the parameters as its (auxiliary) coordinates, a
  // curve also the curve that holds its x values (a `*_epoch` or `*_step` curve over the same
  // dimension); a metric X names X_sem, X_max_share and its theory as ancillary variables, a
  // theory column its `_kind`.
  const std::string parameter_words = words(param_names);
  std::map<std::string, std::string> curve_x;  // dimension → the curve of its x values
  for (const auto& c : results.columns()) {
    const auto ends = [&](const std::string& suffix) {
      return c.name.size() > suffix.size() &&
             c.name.compare(c.name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (c.dims.size() == 1 && c.kind == ColumnKind::metric && (ends("_epoch") || ends("_step")))
      curve_x.emplace(c.dims[0].name, c.name);
  }
  const auto link = [&](hid_t ds, const Column& c) {
    const std::string at = path + " " + c.name;
    std::string coordinates = parameter_words;
    if (c.dims.size() == 1) {
      const auto x = curve_x.find(c.dims[0].name);
      if (x != curve_x.end() && x->second != c.name) coordinates += " " + x->second;
    }
    if (!coordinates.empty()) h5::write_attribute(ds, "coordinates", coordinates, at);
    std::vector<std::string> ancillary;
    if (c.kind == ColumnKind::metric) {
      for (const auto& suffix : {"_sem", "_max_share"})
        if (results.find(c.name + suffix)) ancillary.push_back(c.name + suffix);
      for (const auto& t : results.columns())
        if (t.kind == ColumnKind::theory && t.predicts == c.name) ancillary.push_back(t.name);
    } else if (c.kind == ColumnKind::theory && !c.is_text()) {
      ancillary.push_back(grid::ColumnSet::kind_column(c.name));
    }
    if (!ancillary.empty()) h5::write_attribute(ds, "ancillary_variables", words(ancillary), at);
  };
  for (const auto& c : metadata) {
    Handle ds = creator.dataset(root, c, tasks, fill_of(c));
    creator.attach(ds.get(), task_scale.get(), 0);
    link(ds.get(), c);
    if (c.name == "status")
      write_flag_attributes(ds.get(), "pending done failed diverged timed_out", path);
    if (c.name == "task_key") task_key = std::move(ds);
  }
  for (const auto& c : results.columns()) {
    Handle ds = creator.dataset(root, c, tasks, fill_of(c));
    creator.attach(ds.get(), task_scale.get(), 0);
    link(ds.get(), c);
    for (std::size_t d = 0; d < c.dims.size(); ++d)
      creator.attach(ds.get(), scales.at(c.dims[d].name).get(), static_cast<unsigned>(d + 1));
  }
  for (const auto& c : layout::companion_columns(results)) {
    Handle ds = creator.dataset(root, c, tasks, fill_of(c));
    creator.attach(ds.get(), task_scale.get(), 0);
    link(ds.get(), c);
    if (c.kind == ColumnKind::theory_kind)
      write_flag_attributes(ds.get(), grid::theory_kind_meanings(), path);
  }
  write_parameters(creator, table, params, param_sets, task_key.get());

  {  // /runs
    Handle group(check(H5Gcreate2(root, layout::runs_group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                       path, "H5Gcreate2 runs"),
                 H5Gclose);
    Handle run_scale = creator.scale(group.get(), layout::run_dim, max_runs);
    for (const auto& c : layout::run_columns()) {
      Handle ds = creator.dataset(group.get(), c, max_runs, fill_of(c));
      creator.attach(ds.get(), run_scale.get(), 0);
    }
  }

  param_sets.clear();
  task_key = Handle();
  task_scale = Handle();
  scales.clear();
  if (file.close() < 0)
    throw io_error(cat(path, ": closing the new results file failed (", h5::last_error(), ")"));
  fsync_path(temporary, O_RDONLY);
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
    throw io_error(
        cat(path, ": cannot rename ", temporary, " into place (", std::strerror(errno), ")"));
  fsync_path(directory_of(path), O_RDONLY | O_DIRECTORY);
}

}  // namespace nnsweep::io
