#pragma once
// How the ranks of a run agree on the outcome of a step before the next collective call: every
// rank (or rank 0 alone) runs the step, then all of them throw the same error — the lowest
// failing rank's — or none. Ranks may disagree (a spec on a node-local path, file systems that
// differ between nodes); a rank that failed alone must not leave the others in a collective.
#include <exception>
#include <string>
#include <utility>

#include "nnsweep/core/error.hpp"
#include "nnsweep/sched/context.hpp"

namespace nnsweep::app {

// An error every rank knows about (thrown by `shared`): exit cleanly, no abort needed.
class SharedError : public io_error {
 public:
  using io_error::io_error;
};

// How a step ended on one rank: fine (empty message), a user's mistake, or another error.
struct Verdict {
  std::string message;
  bool usage = true;
};

// Collective: every rank throws the verdict of the lowest rank whose verdict is an error —
// config_error for the user's mistakes, SharedError otherwise — prefixed with "[rank r] " unless r
// is 0; returns when no rank failed.
void agree(const sched::Context& context, const Verdict& verdict);

// Runs `f` on the ranks where `here` is true, then agrees on the outcome (collective).
template <typename F>
void shared(const sched::Context& context, bool here, F&& f) {
  Verdict verdict;
  if (here) {
    try {
      f();
    } catch (const config_error& e) {
      verdict = {e.what(), true};
    } catch (const std::exception& e) {
      verdict = {e.what(), false};
    }
  }
  agree(context, verdict);
}

// Runs `f` on rank 0 only (the file, the lock); every rank shares its outcome.
template <typename F>
void on_root(const sched::Context& context, F&& f) {
  shared(context, context.is_root(), std::forward<F>(f));
}

}  // namespace nnsweep::app
