# Test registration helpers.
#
# nnsweep_add_unit_test(target SOURCES a.cpp b.cpp [LIBS l...])
#   A Catch2 binary linked with the shared Catch2 main; every TEST_CASE becomes a ctest entry
#   named <target>.<case>, labelled unit (select a module with ctest -R <target>).
# nnsweep_add_mpi_test(target NP 1 2 3 4 [TIMEOUT s] [ARGS ...])
#   One ctest entry per rank count, run as `mpiexec -n N [preflags] target [args]`, each in its
#   own working directory, labelled mpi;npN. MPIEXEC_PREFLAGS (from the presets) carries
#   --oversubscribe for rank counts above the core count.

find_package(Catch2 2 REQUIRED)
include(Catch)

add_library(nnsweep_catch_main OBJECT ${PROJECT_SOURCE_DIR}/tests/catch_main.cpp)
target_link_libraries(nnsweep_catch_main PUBLIC Catch2::Catch2)

function(nnsweep_add_unit_test target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;LIBS")
  add_executable(${target} ${arg_SOURCES} $<TARGET_OBJECTS:nnsweep_catch_main>)
  target_link_libraries(${target} PRIVATE nnsweep_core Catch2::Catch2 nnsweep_warnings ${arg_LIBS})
  catch_discover_tests(${target} TEST_PREFIX "${target}." PROPERTIES LABELS unit)
endfunction()

function(nnsweep_add_mpi_test target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TIMEOUT" "NP;ARGS")
  if(NOT arg_NP)
    set(arg_NP 2)
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 300)
  endif()
  foreach(np IN LISTS arg_NP)
    set(dir ${CMAKE_CURRENT_BINARY_DIR}/${target}.np${np})
    file(MAKE_DIRECTORY ${dir})
    add_test(NAME ${target}.np${np}
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${MPIEXEC_PREFLAGS}
                     $<TARGET_FILE:${target}> ${MPIEXEC_POSTFLAGS} ${arg_ARGS}
             WORKING_DIRECTORY ${dir})
    set_tests_properties(${target}.np${np} PROPERTIES
      PROCESSORS ${np} LABELS "mpi;np${np}" TIMEOUT ${arg_TIMEOUT} RESOURCE_LOCK mpi)
  endforeach()
endfunction()
