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
# Kernels need IEEE semantics (NaN checks mark divergence), so no -ffast-math. No implicit
# contraction into FMA either: GCC contracts a*b+c differently at -O2 and -O3 and in scalar and
# vector paths, which changed results in the last place between builds. Every FMA is written
# (simd::fma, std::fma), so the bits depend on the source alone, not on the optimiser.
target_compile_options(nnsweep_codegen INTERFACE -fno-math-errno -fno-trapping-math -ffp-contract=off)
if(NNSWEEP_SANITIZE)
  target_compile_options(nnsweep_codegen INTERFACE -fsanitize=${NNSWEEP_SANITIZE} -fno-omit-frame-pointer)
  target_link_options(nnsweep_codegen INTERFACE -fsanitize=${NNSWEEP_SANITIZE})
endif()
