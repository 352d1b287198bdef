#pragma once
// Internal invariants: a broken one is a bug in nnsweep, not in the user's spec, so it throws
// nnsweep::error (exit 1) with a message starting "internal:", and never exit 2's advice to fix
// the input. NNSWEEP_CHECK (error.hpp) is for what a user can get wrong.
#include "nnsweep/core/error.hpp"

// Throws nnsweep::error("internal: " + the concatenated parts) when `cond` is false. Always on:
// the checks guard array shapes at API boundaries, outside the kernels' inner loops.
#define NNSWEEP_ASSERT(cond, ...)                                                   \
  do {                                                                              \
    if (!(cond)) throw ::nnsweep::error(::nnsweep::cat("internal: ", __VA_ARGS__)); \
  } while (false)
