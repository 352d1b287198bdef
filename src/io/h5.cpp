#include "h5.hpp"

#include <vector>

#include "nnsweep/core/error.hpp"
#include "shapes.hpp"

namespace nnsweep::io::h5 {

void quiet_errors() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

namespace {
herr_t innermost(unsigned n, const H5E_error2_t* error, void* data) {
  auto* out = static_cast<std::string*>(data);
  if (n == 0 && error->desc != nullptr) *out = error->desc;
  return 0;
}
}  // namespace

std::string last_error() {
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, &message);
  // HDF5's reasons may span lines ("file read failed: time = ...\n, filename = ..."): one line.
  std::string line;
  for (const char c : message)
    if (c != '\n' && c != '\r')
      line += c;
    else if (!line.empty() && line.back() != ' ')
      line += ' ';
  return std::string(trim(line));
}

hid_t check(hid_t value, const std::string& where, const char* what) {
  if (value < 0) {
    const std::string reason = last_error();
    throw io_error(
        cat(where, ": ", what, " failed", reason.empty() ? std::string() : cat(" (", reason, ")")));
  }
  return value;
}

Handle plist(hid_t cls) {
  return Handle(check(H5Pcreate(cls), "HDF5", "H5Pcreate"), H5Pclose);
}

Handle string_type(std::size_t size) {
  Handle type(check(H5Tcopy(H5T_C_S1), "HDF5", "H5Tcopy"), H5Tclose);
  check(H5Tset_size(type.get(), size == 0 ? 1 : size), "HDF5", "H5Tset_size");
  check(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), "HDF5", "H5Tset_strpad");
  return type;
}

hid_t memory_type(grid::ColumnType type) {
  switch (type) {
    case grid::ColumnType::float64:
      return H5T_NATIVE_DOUBLE;
    case grid::ColumnType::int64:
      return H5T_NATIVE_INT64;
    case grid::ColumnType::uint64:
      return H5T_NATIVE_UINT64;
    case grid::ColumnType::int32:
      return H5T_NATIVE_INT32;
    case grid::ColumnType::uint8:
      return H5T_NATIVE_UINT8;
    case grid::ColumnType::string:
      break;
  }
  throw io_error("internal: string columns have no fixed memory type");
}

namespace {
void write_scalar_attribute(hid_t object, const std::string& name, hid_t type, const void* value,
                            const std::string& where) {
  Handle space(check(H5Screate(H5S_SCALAR), where, "H5Screate"), H5Sclose);
  Handle attribute(
      check(H5Acreate2(object, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT), where,
            ("H5Acreate2 " + name).c_str()),
      H5Aclose);
  check(H5Awrite(attribute.get(), type, value), where, ("H5Awrite " + name).c_str());
}
}  // namespace

void write_attribute(hid_t object, const std::string& name, const std::string& value,
                     const std::string& where) {
  const Handle type = string_type(value.size());
  const std::string padded = value.empty() ? std::string(1, '\0') : value;
  write_scalar_attribute(object, name, type.get(), padded.data(), where);
}

void write_attribute(hid_t object, const std::string& name, std::int64_t value,
                     const std::string& where) {
  write_scalar_attribute(object, name, H5T_STD_I64LE, &value, where);
}

void write_attribute(hid_t object, const std::string& name, std::uint64_t value,
                     const std::string& where) {
  write_scalar_attribute(object, name, H5T_STD_U64LE, &value, where);
}

bool has_attribute(hid_t object, const std::string& name) {
  return H5Aexists(object, name.c_str()) > 0;
}

std::string read_attribute(hid_t object, const std::string& name, const std::string& where) {
  Handle attribute(
      check(H5Aopen(object, name.c_str(), H5P_DEFAULT), where, ("H5Aopen " + name).c_str()),
      H5Aclose);
  Handle type(check(H5Aget_type(attribute.get()), where, "H5Aget_type"), H5Tclose);
  // One value, of fixed size: the reads below have room for exactly that.
  Handle space(check(H5Aget_space(attribute.get()), where, "H5Aget_space"), H5Sclose);
  const hssize_t values = H5Sget_simple_extent_npoints(space.get());
  if (values != 1)
    throw file_error(cat(where, ": attribute ", name, " holds ", values, " values, not one — ",
                         shapes::damaged_fix));
  if (H5Tget_class(type.get()) == H5T_STRING && H5Tis_variable_str(type.get()) != 0)
    throw file_error(
        cat(where, ": attribute ", name, " is variable-length text — ", shapes::damaged_fix));
  switch (H5Tget_class(type.get())) {
    case H5T_STRING: {
      const std::size_t size = H5Tget_size(type.get());
      std::vector<char> buffer(size + 1, '\0');
      const Handle memory = string_type(size);
      check(H5Aread(attribute.get(), memory.get(), buffer.data()), where,
            ("H5Aread " + name).c_str());
      return std::string(buffer.data());
    }
    case H5T_INTEGER: {
      if (H5Tget_sign(type.get()) == H5T_SGN_NONE) {
        std::uint64_t value = 0;
        check(H5Aread(attribute.get(), H5T_NATIVE_UINT64, &value), where,
              ("H5Aread " + name).c_str());
        return std::to_string(value);
      }
      std::int64_t value = 0;
      check(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), where, ("H5Aread " + name).c_str());
      return std::to_string(value);
    }
    case H5T_FLOAT: {
      double value = 0;
      check(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value), where,
            ("H5Aread " + name).c_str());
      return format_number(value);
    }
    default:
      throw file_error(
          cat(where, ": attribute ", name, " has an unsupported type — ", shapes::damaged_fix));
  }
}

}  // namespace nnsweep::io::h5
