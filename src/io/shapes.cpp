#include "shapes.hpp"

#include "h5.hpp"
#include "nnsweep/core/error.hpp"

namespace nnsweep::io::shapes {
namespace {

std::string shape_text(const std::vector<hsize_t>& dims) {
  if (dims.empty()) return "a scalar";
  std::vector<std::string> sizes;
  for (const hsize_t d : dims) sizes.push_back(std::to_string(d));
  return "shape (" + join(sizes, ", ") + ")";
}

}  // namespace

void expect(hid_t file, const std::string& path, const std::string& name,
            const std::vector<hsize_t>& dims, Values values, const std::string& implied_by) {
  const auto damaged = [&](const std::string& problem) {
    return file_error(cat(path, ": dataset /", name, " ", problem, " — ", damaged_fix));
  };
  h5::Handle ds(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) throw damaged("cannot be opened");
  h5::Handle space(H5Dget_space(ds.get()), H5Sclose);
  h5::Handle type(H5Dget_type(ds.get()), H5Tclose);
  if (!space.valid() || !type.valid()) throw damaged("has no readable shape or type");
  const H5S_class_t kind = H5Sget_simple_extent_type(space.get());
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (kind == H5S_NULL || rank < 0 || rank > H5S_MAX_RANK) throw damaged("holds no values");
  std::vector<hsize_t> found(static_cast<std::size_t>(rank), 0);
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), found.data(), nullptr) < 0)
    throw damaged("has no readable shape");
  if (found != dims)
    throw damaged(
        cat("has ", shape_text(found), " where ", implied_by, " implies ", shape_text(dims)));
  const H5T_class_t cls = H5Tget_class(type.get());
  const bool number = cls == H5T_INTEGER || cls == H5T_FLOAT;
  const bool text = cls == H5T_STRING && H5Tis_variable_str(type.get()) == 0;
  if (values == Values::number && !number) throw damaged("holds no numbers");
  if (values == Values::text && !text) throw damaged("holds no fixed-length text");
}

}  // namespace nnsweep::io::shapes
