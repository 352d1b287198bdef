// Opening, committing to and reading a results file. Only raw data is written here.
#include "nnsweep/io/results_file.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <numeric>

#include "h5.hpp"
#include "layout.hpp"
#include "nnsweep/core/error.hpp"
#include "nnsweep/core/system.hpp"
#include "shapes.hpp"

namespace nnsweep::io {

using h5::check;
using h5::Handle;

using grid::Column;
using grid::ColumnKind;
using grid::ColumnType;

// The most tasks a file may claim: the largest grid a spec may have (config::resolve).
constexpr std::int64_t max_file_tasks = std::int64_t{1} << 40;

struct ResultsFile::Impl {
  std::string path;
  Access access = Access::read_only;
  Handle file;
  std::size_t tasks = 0;
  std::vector<std::string> parameters;
  std::vector<std::string> replicates;
  grid::ColumnSet results;  // rows are laid out by it
  std::map<std::string, Handle> datasets;

  hid_t dataset(const std::string& name) {
    auto it = datasets.find(name);
    if (it != datasets.end()) return it->second.get();
    Handle ds(
        check(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT), path, ("H5Dopen2 " + name).c_str()),
        H5Dclose);
    return datasets.emplace(name, std::move(ds)).first->second.get();
  }

  Column read_spec(const std::string& name) {
    const hid_t ds = dataset(name);
    Column c;
    c.name = name;
    const std::string at = path + " " + name;
    for (auto [field, key] :
         {std::pair{&c.units, "units"}, std::pair{&c.long_name, "long_name"},
          std::pair{&c.description, "description"}, std::pair{&c.predicts, "predicts"}})
      if (h5::has_attribute(ds, key)) *field = h5::read_attribute(ds, key, at);
    if (h5::has_attribute(ds, "kind")) {
      try {
        c.kind = grid::parse_kind(h5::read_attribute(ds, "kind", at));
      } catch (const error& e) {
        throw file_error(cat(at, ": ", e.what(), " — ", shapes::damaged_fix));
      }
    }
    Handle type(check(H5Dget_type(ds), at, "H5Dget_type"), H5Tclose);
    const H5T_class_t cls = H5Tget_class(type.get());
    const std::size_t size = H5Tget_size(type.get());
    if (cls == H5T_STRING) {
      c.type = ColumnType::string;
      c.string_size = size;
    } else if (cls == H5T_FLOAT) {
      c.type = ColumnType::float64;
    } else if (size == 1) {
      c.type = ColumnType::uint8;
    } else if (size == 4) {
      c.type = ColumnType::int32;
    } else {
      c.type = H5Tget_sign(type.get()) == H5T_SGN_NONE ? ColumnType::uint64 : ColumnType::int64;
    }
    Handle space(check(H5Dget_space(ds), at, "H5Dget_space"), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 1)), 0);
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    for (int k = 1; k < rank; ++k) {
      // A dimension's name is the name of the scale attached to it.
      grid::Dimension d{"", dims[static_cast<std::size_t>(k)]};
      H5DSiterate_scales(
          ds, static_cast<unsigned>(k), nullptr,
          [](hid_t, unsigned, hid_t scale_id, void* out) -> herr_t {
            char scale_name[256] = {0};
            if (H5DSget_scale_name(scale_id, scale_name, sizeof scale_name) > 0)
              *static_cast<std::string*>(out) = scale_name;
            return 1;
          },
          &d.name);
      c.dims.push_back(d);
    }
    return c;
  }

  // Selects the rows of `sorted` (task indices, ascending) in dataset `ds`, every element of a
  // row (`dims`: the sizes after `task`).
  Handle select_rows(hid_t ds, const std::vector<std::size_t>& sorted,
                     const std::vector<hsize_t>& dims) {
    Handle space(check(H5Dget_space(ds), path, "H5Dget_space"), H5Sclose);
    check(H5Sselect_none(space.get()), path, "H5Sselect_none");
    std::vector<hsize_t> start(1 + dims.size(), 0), count(1 + dims.size(), 0);
    std::copy(dims.begin(), dims.end(), count.begin() + 1);
    std::size_t i = 0;
    while (i < sorted.size()) {
      std::size_t j = i + 1;
      while (j < sorted.size() && sorted[j] == sorted[j - 1] + 1) ++j;
      start[0] = sorted[i];
      count[0] = j - i;
      check(H5Sselect_hyperslab(space.get(), H5S_SELECT_OR, start.data(), nullptr, count.data(),
                                nullptr),
            path, "H5Sselect_hyperslab");
      i = j;
    }
    return space;
  }

  static std::vector<hsize_t> dims_of(const Column& column) {
    std::vector<hsize_t> dims;
    for (const auto& d : column.dims) dims.push_back(d.length);
    return dims;
  }

  void write(const std::string& name, const std::vector<std::size_t>& sorted,
             const std::vector<hsize_t>& dims, hid_t type, const void* data) {
    const hid_t ds = dataset(name);
    Handle file_space = select_rows(ds, sorted, dims);
    std::vector<hsize_t> shape{sorted.size()};
    shape.insert(shape.end(), dims.begin(), dims.end());
    Handle memory_space(
        check(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr), path,
              "H5Screate_simple"),
        H5Sclose);
    check(H5Dwrite(ds, type, memory_space.get(), file_space.get(), H5P_DEFAULT, data), path,
          ("H5Dwrite " + name).c_str());
  }

  // A whole dataset of any shape, as `T`.
  template <typename T>
  std::vector<T> read_whole(const std::string& name, hid_t type, std::size_t per_task) {
    std::vector<T> out(tasks * per_task);
    check(H5Dread(dataset(name), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), path,
          ("H5Dread " + name).c_str());
    return out;
  }

  template <typename T>
  std::vector<T> read_all(const std::string& name, hid_t type) {
    std::vector<T> out(tasks);
    check(H5Dread(dataset(name), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), path,
          ("H5Dread " + name).c_str());
    return out;
  }

  // A whole dataset of `rows` fixed-length strings of `size` bytes, without their NUL padding.
  std::vector<std::string> read_fixed_strings(const std::string& name, std::size_t rows,
                                              std::size_t size) {
    std::vector<char> buffer(rows * size);
    const Handle type = h5::string_type(size);
    check(H5Dread(dataset(name), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), path,
          ("H5Dread " + name).c_str());
    std::vector<std::string> out(rows);
    for (std::size_t r = 0; r < rows; ++r) {
      const char* begin = buffer.data() + r * size;
      out[r].assign(begin, strnlen(begin, size));
    }
    return out;
  }

  void write_run_field(const Column& column, int run, const void* value) {
    const std::string name = std::string(layout::runs_group) + "/" + column.name;
    const std::vector<std::size_t> row{static_cast<std::size_t>(run)};
    if (column.type == ColumnType::string) {
      std::string padded(static_cast<const char*>(value));
      padded.resize(column.string_size, '\0');
      const Handle type = h5::string_type(column.string_size);
      write(name, row, {}, type.get(), padded.data());
    } else {
      write(name, row, {}, h5::memory_type(column.type), value);
    }
  }

  // Every dataset has the shape and value class the file's own metadata promises: each read
  // below sizes its buffer from that metadata alone.
  void check_shapes() {
    using shapes::Values;
    const hid_t root = file.get();
    const auto values_of = [](const Column& c) {
      return c.type == ColumnType::string ? Values::text : Values::number;
    };
    const std::string by_tasks = cat("task_count = ", tasks);
    const std::vector<hsize_t> per_task{tasks};
    shapes::expect(root, path, "spec", {}, Values::text, "the layout");
    shapes::expect(root, path, layout::task_dim, per_task, Values::number, by_tasks);
    for (const auto& c : layout::metadata_columns())
      shapes::expect(root, path, c.name, per_task, values_of(c), by_tasks);
    for (const auto& c : layout::companion_columns(results))
      shapes::expect(root, path, c.name, per_task, values_of(c), by_tasks);
    for (const auto& name : parameters)
      shapes::expect(root, path, name, per_task, values_of(read_spec(name)), by_tasks);
    for (const auto& c : results.columns()) {
      std::vector<hsize_t> dims = per_task;
      for (const auto& d : c.dims) dims.push_back(d.length);
      shapes::expect(root, path, c.name, dims, values_of(c), by_tasks);
    }
    const std::string by_runs = cat("the /runs capacity ", max_runs);
    for (const auto& c : layout::run_columns())
      shapes::expect(root, path, std::string(layout::runs_group) + "/" + c.name, {max_runs},
                     values_of(c), by_runs);
  }

  void flush_if_serial() {
    if (access == Access::serial_write)
      check(H5Fflush(file.get(), H5F_SCOPE_LOCAL), path, "H5Fflush");
  }
};

ResultsFile::ResultsFile(const std::string& path, Access access, MPI_Comm comm)
    : impl_(std::make_unique<Impl>()) {
  // Before opening: a FIFO would block H5Fopen until a writer comes, a directory would fail
  // with HDF5's words.
  refuse_special_file(path, "", "a results file is a regular HDF5 file — check the path");
  h5::quiet_errors();
  impl_->path = path;
  impl_->access = access;
  const Handle fapl = h5::plist(H5P_FILE_ACCESS);
  check(H5Pset_file_locking(fapl.get(), false, true), path, "H5Pset_file_locking");
  if (access == Access::parallel_write) {
    // Ranks write interleaved rows independently. Data sieving would turn such a write into a
    // read-modify-write of the whole span, over other ranks' bytes, safe only where fcntl locks
    // work (many parallel file systems: not). Off: every rank touches exactly its own bytes.
    MPI_Info info = MPI_INFO_NULL;
    MPI_Info_create(&info);
    MPI_Info_set(info, "romio_ds_write", "disable");
    MPI_Info_set(info, "romio_ds_read", "disable");
    const herr_t status = H5Pset_fapl_mpio(fapl.get(), comm, info);  // HDF5 keeps its own copy
    MPI_Info_free(&info);
    check(status, path, "H5Pset_fapl_mpio");
  } else if (access == Access::serial_write) {
    // No sieve buffer: raw data goes straight to the file, so "payload, flush, status" holds.
    check(H5Pset_sieve_buf_size(fapl.get(), 0), path, "H5Pset_sieve_buf_size");
  }
  const unsigned flags = access == Access::read_only ? H5F_ACC_RDONLY : H5F_ACC_RDWR;
  impl_->file = Handle(H5Fopen(path.c_str(), flags, fapl.get()), H5Fclose);
  if (!impl_->file.valid()) {
    const bool exists = ::access(path.c_str(), F_OK) == 0;
    if (!exists) throw file_error(cat(path, ": no such results file — check the path"));
    throw file_error(cat(path, ": not a readable HDF5 file (", h5::last_error(),
                         ") — if it is a results file, ", shapes::damaged_fix));
  }
  const hid_t root = impl_->file.get();
  if (!h5::has_attribute(root, "schema_version"))
    throw file_error(cat(path,
                         ": not an nnsweep results file (no schema_version attribute) — "
                         "check the path"));
  const std::string version = h5::read_attribute(root, "schema_version", path);
  if (version != std::to_string(layout::schema_version))
    throw file_error(cat(path, ": results file schema version ", version,
                         ", this nnsweep reads version ", layout::schema_version,
                         " — use the nnsweep that wrote it"));
  for (const char* name : {"task_count", "parameters", "results", "experiment"})
    if (!h5::has_attribute(root, name))
      throw file_error(cat(path, ": no root attribute ", name, " — ", shapes::damaged_fix));
  const std::string count_text = h5::read_attribute(root, "task_count", path);
  std::int64_t count = -1;
  if (!parse_int64(count_text, count) || count < 0 || count > max_file_tasks)
    throw file_error(cat(path, ": attribute task_count = ", count_text,
                         " is not a task count in [0, ", max_file_tasks, "] — ",
                         shapes::damaged_fix));
  impl_->tasks = static_cast<std::size_t>(count);
  // Every dataset the layout promises must be there: a clear error now, not an HDF5 one later.
  std::vector<std::string> required{"spec", layout::task_dim};
  for (const auto& c : layout::metadata_columns()) required.push_back(c.name);
  for (const auto& c : layout::run_columns())
    required.push_back(std::string(layout::runs_group) + "/" + c.name);
  impl_->parameters = split(h5::read_attribute(root, "parameters", path), ',');
  required.insert(required.end(), impl_->parameters.begin(), impl_->parameters.end());
  const std::string results_attribute = h5::read_attribute(root, "results", path);
  const auto result_names =
      results_attribute.empty() ? std::vector<std::string>{} : split(results_attribute, ',');
  if (h5::has_attribute(root, "replicates")) {
    const std::string replicates = h5::read_attribute(root, "replicates", path);
    if (!replicates.empty()) impl_->replicates = split(replicates, ',');
  }
  required.insert(required.end(), result_names.begin(), result_names.end());
  const auto missing = [&](const std::string& name) {
    const bool group_ok =
        name.find('/') == std::string::npos || H5Lexists(root, layout::runs_group, H5P_DEFAULT) > 0;
    return !group_ok || H5Lexists(root, name.c_str(), H5P_DEFAULT) <= 0;
  };
  const auto incomplete = [&](const std::string& name) {
    return file_error(
        cat(path, ": incomplete results file (no dataset '", name, "') — ", shapes::damaged_fix));
  };
  for (const auto& name : required)
    if (missing(name)) throw incomplete(name);
  std::vector<Column> results;
  for (const auto& name : result_names) results.push_back(impl_->read_spec(name));
  try {
    impl_->results = grid::ColumnSet(results);
  } catch (const error& e) {
    throw file_error(cat(path, ": its result columns are inconsistent (", e.what(), ") — ",
                         shapes::damaged_fix));
  }
  for (const auto& c : layout::companion_columns(impl_->results))
    if (missing(c.name)) throw incomplete(c.name);
  impl_->check_shapes();
}

ResultsFile::~ResultsFile() {
  if (impl_) impl_->datasets.clear();  // handles close before the file (collectively in parallel)
}
ResultsFile::ResultsFile(ResultsFile&&) noexcept = default;
ResultsFile& ResultsFile::operator=(ResultsFile&&) noexcept = default;

void ResultsFile::close() {
  impl_->datasets.clear();
  if (impl_->file.close() < 0)
    throw io_error(cat(impl_->path, ": closing the results file failed (", h5::last_error(), ")"));
}

const std::string& ResultsFile::path() const {
  return impl_->path;
}
std::size_t ResultsFile::task_count() const {
  return impl_->tasks;
}
std::string ResultsFile::attribute(const std::string& name) const {
  return h5::read_attribute(impl_->file.get(), name, impl_->path);
}
std::vector<std::string> ResultsFile::parameter_names() const {
  return impl_->parameters;
}
std::vector<std::string> ResultsFile::replicates() const {
  return impl_->replicates;
}
const grid::ColumnSet& ResultsFile::result_columns() const {
  return impl_->results;
}

grid::Column ResultsFile::column(const std::string& name) const {
  if (const auto c = impl_->results.find(name)) return impl_->results[*c];
  if (!has_column(name)) throw io_error(cat(impl_->path, ": no column '", name, "'"));
  return impl_->read_spec(name);
}

bool ResultsFile::has_column(const std::string& name) const {
  return !name.empty() && name.find('/') == std::string::npos &&
         H5Lexists(impl_->file.get(), name.c_str(), H5P_DEFAULT) > 0;
}

std::string ResultsFile::spec_text() const {
  const hid_t ds = impl_->dataset("spec");
  Handle type(check(H5Dget_type(ds), impl_->path, "H5Dget_type"), H5Tclose);
  std::vector<char> buffer(H5Tget_size(type.get()) + 1, '\0');
  const Handle memory = h5::string_type(buffer.size() - 1);
  check(H5Dread(ds, memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), impl_->path,
        "H5Dread spec");
  return std::string(buffer.data());
}

std::vector<std::uint8_t> ResultsFile::read_status() const {
  return impl_->read_all<std::uint8_t>("status", H5T_NATIVE_UINT8);
}
std::vector<std::int32_t> ResultsFile::read_attempts(const std::vector<std::size_t>& tasks) const {
  std::vector<std::int32_t> out(tasks.size());
  if (tasks.empty()) return out;
  // Rows in ascending order for the selection; the answer in the order asked.
  std::vector<std::size_t> order(tasks.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return tasks[a] < tasks[b]; });
  std::vector<std::size_t> rows;
  for (const std::size_t i : order) rows.push_back(tasks[i]);
  const hid_t ds = impl_->dataset("attempts");
  Handle file_space = impl_->select_rows(ds, rows, {});
  const hsize_t n = rows.size();
  Handle memory_space(check(H5Screate_simple(1, &n, nullptr), impl_->path, "H5Screate_simple"),
                      H5Sclose);
  std::vector<std::int32_t> sorted(rows.size());
  check(H5Dread(ds, H5T_NATIVE_INT32, memory_space.get(), file_space.get(), H5P_DEFAULT,
                sorted.data()),
        impl_->path, "H5Dread attempts");
  for (std::size_t k = 0; k < order.size(); ++k) out[order[k]] = sorted[k];
  return out;
}

std::vector<double> ResultsFile::read_numbers(const std::string& name) const {
  const auto spec = column(name);
  if (spec.type == ColumnType::string || !spec.dims.empty())
    throw io_error(cat(impl_->path, ": column '", name, "' is not a scalar number"));
  return impl_->read_all<double>(name, H5T_NATIVE_DOUBLE);
}

std::vector<std::string> ResultsFile::read_strings(const std::string& name) const {
  const auto spec = column(name);
  if (spec.type != ColumnType::string || !spec.dims.empty())
    throw io_error(cat(impl_->path, ": column '", name, "' is not text"));
  return impl_->read_fixed_strings(name, impl_->tasks, spec.string_size);
}

std::vector<std::vector<double>> ResultsFile::read_curve(const std::string& name) const {
  const auto spec = column(name);
  if (spec.type == ColumnType::string)
    throw io_error(cat(impl_->path, ": column '", name, "' is not numeric"));
  const std::size_t length = spec.length();
  const auto flat = impl_->read_whole<double>(name, H5T_NATIVE_DOUBLE, length);
  std::vector<std::vector<double>> rows(impl_->tasks);
  for (std::size_t t = 0; t < impl_->tasks; ++t)
    rows[t].assign(flat.begin() + static_cast<std::ptrdiff_t>(t * length),
                   flat.begin() + static_cast<std::ptrdiff_t>((t + 1) * length));
  return rows;
}

std::vector<grid::TaskRecord> ResultsFile::read_records(
    const std::vector<std::size_t>& tasks) const {
  auto& impl = *impl_;
  const grid::ColumnSet& set = impl.results;
  std::vector<grid::TaskRecord> records(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    records[i].task = tasks[i];
    records[i].row = set.row();
  }
  for (std::size_t c = 0; c < set.size(); ++c) {
    const Column& column = set[c];
    if (column.is_text()) {
      const auto all = impl.read_fixed_strings(column.name, impl.tasks, column.string_size);
      for (std::size_t i = 0; i < tasks.size(); ++i)
        records[i].row.data().texts[set.text_index(c)] = all[tasks[i]];
      continue;
    }
    const std::size_t length = column.length();
    const auto all = impl.read_whole<double>(column.name, H5T_NATIVE_DOUBLE, length);
    for (std::size_t i = 0; i < tasks.size(); ++i)
      std::copy_n(all.begin() + static_cast<std::ptrdiff_t>(tasks[i] * length), length,
                  records[i].row.data().numbers.begin() +
                      static_cast<std::ptrdiff_t>(set.number_offset(c)));
    if (column.kind != ColumnKind::theory) continue;
    const auto kinds =
        impl.read_all<std::uint8_t>(grid::ColumnSet::kind_column(column.name), H5T_NATIVE_UINT8);
    for (std::size_t i = 0; i < tasks.size(); ++i)
      records[i].row.data().theory_kinds[set.theory_index(c)] = kinds[tasks[i]];
  }
  for (std::size_t d = 0; d < set.dimensions().size(); ++d) {
    const auto counts = impl.read_all<std::int32_t>(
        grid::ColumnSet::count_column(set.dimensions()[d].name), H5T_NATIVE_INT32);
    for (std::size_t i = 0; i < tasks.size(); ++i)
      records[i].row.data().counts[d] = counts[tasks[i]];
  }
  const auto status = read_status();
  const auto attempts = read_attempts(tasks);
  const auto ranks = impl.read_all<std::int32_t>("rank", H5T_NATIVE_INT32);
  const auto runs = impl.read_all<std::int32_t>("run", H5T_NATIVE_INT32);
  const auto walls = impl.read_all<double>("wall_s", H5T_NATIVE_DOUBLE);
  const auto errors = read_strings("error");
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const std::size_t t = tasks[i];
    records[i].status = status[t];
    records[i].attempts = attempts[i];
    records[i].rank = ranks[t];
    records[i].run = runs[t];
    records[i].wall_s = walls[t];
    records[i].error = errors[t];
  }
  return records;
}

void ResultsFile::commit(const std::vector<grid::TaskRecord>& records) {
  if (records.empty()) return;
  auto& impl = *impl_;
  const grid::ColumnSet& set = impl.results;
  std::vector<std::size_t> order(records.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return records[a].task < records[b].task; });
  std::vector<std::size_t> rows;
  for (const std::size_t i : order) {
    if (records[i].task >= impl.tasks)
      throw io_error(cat(impl.path, ": internal: task ", records[i].task, " out of range"));
    const grid::RowData& data = records[i].row.data();
    if (data.numbers.size() != set.number_count() || data.texts.size() != set.text_count() ||
        data.theory_kinds.size() != set.theory_count() ||
        data.counts.size() != set.dimensions().size())
      throw io_error(cat(impl.path, ": internal: a record's row has ", data.numbers.size(),
                         " numbers, ", data.texts.size(), " texts, ", data.theory_kinds.size(),
                         " theory kinds and ", data.counts.size(), " counts; the file expects ",
                         set.number_count(), ", ", set.text_count(), ", ", set.theory_count(),
                         " and ", set.dimensions().size()));
    rows.push_back(records[i].task);
  }

  // 1. Payload: result columns, their companions, and bookkeeping.
  for (std::size_t c = 0; c < set.size(); ++c) {
    const Column& column = set[c];
    if (column.is_text()) {
      std::vector<char> buffer(rows.size() * column.string_size, '\0');
      for (std::size_t k = 0; k < order.size(); ++k) {
        const std::string& text = records[order[k]].row.data().texts[set.text_index(c)];
        std::memcpy(buffer.data() + k * column.string_size, text.data(),
                    std::min(text.size(), column.string_size));
      }
      const Handle type = h5::string_type(column.string_size);
      impl.write(column.name, rows, {}, type.get(), buffer.data());
      continue;
    }
    const std::size_t length = column.length();
    std::vector<double> buffer;
    buffer.reserve(rows.size() * length);
    for (const std::size_t i : order) {
      const auto first =
          records[i].row.data().numbers.begin() + static_cast<std::ptrdiff_t>(set.number_offset(c));
      buffer.insert(buffer.end(), first, first + static_cast<std::ptrdiff_t>(length));
    }
    impl.write(column.name, rows, Impl::dims_of(column), H5T_NATIVE_DOUBLE, buffer.data());
    if (column.kind != ColumnKind::theory) continue;
    std::vector<std::uint8_t> kinds;
    for (const std::size_t i : order)
      kinds.push_back(records[i].row.data().theory_kinds[set.theory_index(c)]);
    impl.write(grid::ColumnSet::kind_column(column.name), rows, {}, H5T_NATIVE_UINT8, kinds.data());
  }
  for (std::size_t d = 0; d < set.dimensions().size(); ++d) {
    std::vector<std::int32_t> counts;
    for (const std::size_t i : order) counts.push_back(records[i].row.data().counts[d]);
    impl.write(grid::ColumnSet::count_column(set.dimensions()[d].name), rows, {}, H5T_NATIVE_INT32,
               counts.data());
  }
  std::vector<std::int32_t> ranks, runs, attempts;
  std::vector<double> walls;
  std::vector<char> errors(rows.size() * error_size, '\0');
  for (std::size_t k = 0; k < order.size(); ++k) {
    const auto& r = records[order[k]];
    ranks.push_back(r.rank);
    runs.push_back(r.run);
    attempts.push_back(r.attempts);
    walls.push_back(r.wall_s);
    std::memcpy(errors.data() + k * error_size, r.error.data(),
                std::min(r.error.size(), error_size));
  }
  impl.write("rank", rows, {}, H5T_NATIVE_INT32, ranks.data());
  impl.write("run", rows, {}, H5T_NATIVE_INT32, runs.data());
  impl.write("attempts", rows, {}, H5T_NATIVE_INT32, attempts.data());
  impl.write("wall_s", rows, {}, H5T_NATIVE_DOUBLE, walls.data());
  const Handle error_type = h5::string_type(error_size);
  impl.write("error", rows, {}, error_type.get(), errors.data());
  impl.flush_if_serial();

  // 2. Status last: a task counts as committed only once this lands.
  std::vector<std::uint8_t> status;
  for (const std::size_t i : order) status.push_back(records[i].status);
  impl.write("status", rows, {}, H5T_NATIVE_UINT8, status.data());
  impl.flush_if_serial();
}

std::vector<RunRecord> ResultsFile::read_runs() const {
  auto& impl = *impl_;
  const auto numbers = [&](const char* name, hid_t type, auto* out) {
    check(H5Dread(impl.dataset(std::string(layout::runs_group) + "/" + name), type, H5S_ALL,
                  H5S_ALL, H5P_DEFAULT, out),
          impl.path, "H5Dread runs");
  };
  std::map<std::string, std::vector<std::string>> text;
  for (const auto& c : layout::run_columns())
    if (c.type == ColumnType::string)
      text[c.name] = impl.read_fixed_strings(std::string(layout::runs_group) + "/" + c.name,
                                             max_runs, c.string_size);
  std::vector<std::int64_t> sizes(max_runs), done(max_runs), exits(max_runs);
  std::vector<double> makespan(max_runs), busy_total(max_runs), busy_max(max_runs),
      balance(max_runs);
  numbers("mpi_size", H5T_NATIVE_INT64, sizes.data());
  numbers("tasks_done", H5T_NATIVE_INT64, done.data());
  numbers("exit_code", H5T_NATIVE_INT64, exits.data());
  numbers("makespan_s", H5T_NATIVE_DOUBLE, makespan.data());
  numbers("busy_s_total", H5T_NATIVE_DOUBLE, busy_total.data());
  numbers("busy_s_max", H5T_NATIVE_DOUBLE, busy_max.data());
  numbers("load_balance", H5T_NATIVE_DOUBLE, balance.data());
  std::vector<RunRecord> runs;
  for (std::size_t r = 0; r < max_runs && sizes[r] > 0; ++r) {
    RunRecord run;
    run.start = {text["started_utc"][r],  text["hostname"][r], text["slurm_job_id"][r],
                 text["command_line"][r], text["io_mode"][r],  sizes[r]};
    run.end = {text["finished_utc"][r],
               done[r],
               makespan[r],
               busy_total[r],
               busy_max[r],
               balance[r],
               exits[r]};
    runs.push_back(run);
  }
  return runs;
}

int ResultsFile::begin_run(const RunStart& start) {
  auto& impl = *impl_;
  std::vector<std::int64_t> sizes(max_runs);
  check(H5Dread(impl.dataset("runs/mpi_size"), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                sizes.data()),
        impl.path, "H5Dread runs/mpi_size");
  const auto free_row = std::find(sizes.begin(), sizes.end(), 0);
  if (free_row == sizes.end()) return -1;
  const int run = static_cast<int>(free_row - sizes.begin());
  const std::int64_t running = -1;
  for (const auto& c : layout::run_columns()) {
    const void* value = nullptr;
    if (c.name == "started_utc") value = start.started_utc.c_str();
    if (c.name == "hostname") value = start.hostname.c_str();
    if (c.name == "slurm_job_id") value = start.slurm_job_id.c_str();
    if (c.name == "command_line") value = start.command_line.c_str();
    if (c.name == "io_mode") value = start.io_mode.c_str();
    if (c.name == "exit_code") value = &running;
    if (value != nullptr) impl.write_run_field(c, run, value);
  }
  // mpi_size last: it marks the row as used.
  for (const auto& c : layout::run_columns())
    if (c.name == "mpi_size") impl.write_run_field(c, run, &start.mpi_size);
  impl.flush_if_serial();
  return run;
}

void ResultsFile::end_run(int run, const RunEnd& end) {
  if (run < 0) return;
  for (const auto& c : layout::run_columns()) {
    const void* value = nullptr;
    if (c.name == "finished_utc") value = end.finished_utc.c_str();
    if (c.name == "tasks_done") value = &end.tasks_done;
    if (c.name == "makespan_s") value = &end.makespan_s;
    if (c.name == "busy_s_total") value = &end.busy_s_total;
    if (c.name == "busy_s_max") value = &end.busy_s_max;
    if (c.name == "load_balance") value = &end.load_balance;
    if (c.name == "exit_code") value = &end.exit_code;
    if (value != nullptr) impl_->write_run_field(c, run, value);
  }
  impl_->flush_if_serial();
}

}  // namespace nnsweep::io
