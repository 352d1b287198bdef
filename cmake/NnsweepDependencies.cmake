# Every dependency comes from Debian's apt (scripts/install-deps.sh); nothing is downloaded.
find_package(Threads REQUIRED)

# Boost.MPI needs a plain C MPI; skip the deprecated C++ bindings (link errors otherwise).
set(MPI_CXX_SKIP_MPICXX ON)
find_package(MPI REQUIRED COMPONENTS C CXX)

find_package(Boost 1.74 REQUIRED CONFIG COMPONENTS mpi serialization program_options)
find_package(Eigen3 3.3 REQUIRED NO_MODULE)

# Debian ships serial and parallel HDF5 side by side; FindHDF5 silently prefers the serial one
# unless told otherwise. Only the C API (and its high-level library, for dimension scales) is used:
# the CXX component would mix both flavours.
set(HDF5_PREFER_PARALLEL ON)
find_package(HDF5 REQUIRED COMPONENTS C HL)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR "HDF5 found at '${HDF5_INCLUDE_DIRS}' is not parallel. "
                      "Install libhdf5-openmpi-dev (scripts/install-deps.sh does).")
endif()

find_path(RANDOM123_INCLUDE_DIR Random123/philox.h REQUIRED)
add_library(nnsweep_random123 INTERFACE)
target_include_directories(nnsweep_random123 SYSTEM INTERFACE ${RANDOM123_INCLUDE_DIR})
