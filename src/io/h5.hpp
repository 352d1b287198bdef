#pragma once
// A thin RAII layer over the HDF5 C API (in the spirit of HighFive): every id is owned by a
// Handle that closes it, and every negative return becomes an io_error naming the file, the
// object and HDF5's own reason. Private to the io module.
#include <hdf5.h>
#include <hdf5_hl.h>

#include <cstdint>
#include <string>
#include <utility>

#include "nnsweep/io/results_file.hpp"

namespace nnsweep::io::h5 {

class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, -1)), closer_(other.closer_) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, -1);
      closer_ = other.closer_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes now and reports failure (destructors cannot): used for files, whose close flushes.
  herr_t close() {
    const herr_t status = id_ >= 0 && closer_ != nullptr ? closer_(id_) : 0;
    id_ = -1;
    return status;
  }

 private:
  void reset() {
    if (id_ >= 0 && closer_ != nullptr) closer_(id_);
    id_ = -1;
  }
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// Silences HDF5's own error printing: failures are reported through io_error instead.
void quiet_errors();
// The innermost message of HDF5's current error stack ("" if none).
std::string last_error();
// Throws io_error("<where>: <what> failed (<HDF5 reason>)") when value < 0; returns value.
hid_t check(hid_t value, const std::string& where, const char* what);

Handle plist(hid_t cls);
Handle string_type(std::size_t size);      // fixed-length, NUL-padded ASCII
hid_t memory_type(grid::ColumnType type);  // native type (strings: use string_type)

void write_attribute(hid_t object, const std::string& name, const std::string& value,
                     const std::string& where);
void write_attribute(hid_t object, const std::string& name, std::int64_t value,
                     const std::string& where);
void write_attribute(hid_t object, const std::string& name, std::uint64_t value,
                     const std::string& where);
bool has_attribute(hid_t object, const std::string& name);
// Any numeric or string attribute as text (numbers in canonical decimal form).
std::string read_attribute(hid_t object, const std::string& name, const std::string& where);

}  // namespace nnsweep::io::h5
