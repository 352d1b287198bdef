# Warnings and code-generation flags as INTERFACE targets, linked PRIVATE by our own targets only.
add_library(nnsweep_warnings INTERFACE)
target_compile_options(nnsweep_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(NNSWEEP_WARNINGS_AS_ERRORS)
  target_compile_options(nnsweep_warnings INTERFACE -Werror)
endif()

add_library(nnsweep_codegen INTERFACE)
if(NNSWEEP_ARCH)
  target_compile_options(nnsweep_codegen INTERFACE -march=${NNSWEEP_ARCH})
endif()
# Kernels need IEEE semantics (NaN checks mark divergence), so no -ffast-math; contraction into
# FMA is allowed and is the same in scalar and vector code paths.
target_compile_options(nnsweep_codegen INTERFACE -fno-math-errno -fno-trapping-math)
if(NNSWEEP_SANITIZE)
  target_compile_options(nnsweep_codegen INTERFACE -fsanitize=${NNSWEEP_SANITIZE} -fno-omit-frame-pointer)
  target_link_options(nnsweep_codegen INTERFACE -fsanitize=${NNSWEEP_SANITIZE})
endif()
