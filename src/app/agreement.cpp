#include "agreement.hpp"

namespace nnsweep::app {

void agree(const sched::Context& context, const Verdict& verdict) {
  const int first = context.min(verdict.message.empty() ? context.size() : context.rank());
  if (first == context.size()) return;
  // The failing rank's verdict, as one string: a usage flag, then the message.
  std::string bytes = (verdict.usage ? "u" : "e") + verdict.message;
  context.broadcast(bytes, first);
  const bool usage = !bytes.empty() && bytes.front() == 'u';
  const std::string text = bytes.empty() ? std::string() : bytes.substr(1);
  const std::string message = first == 0 ? text : cat("[rank ", first, "] ", text);
  if (usage) throw config_error(message);
  throw SharedError(message);
}

}  // namespace nnsweep::app
