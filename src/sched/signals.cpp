#include "nnsweep/sched/signals.hpp"

#include <pthread.h>

#include <atomic>
#include <csignal>
#include <initializer_list>

namespace nnsweep::sched {
namespace {
std::atomic<int> requests{0};
std::atomic<int> last_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "signal handlers need lock-free atomics");

extern "C" void on_stop_signal(int signal) {
  last_signal.store(signal, std::memory_order_relaxed);
  requests.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int signal : {SIGTERM, SIGUSR1, SIGINT}) {
    sigaction(signal, &action, nullptr);
    sigaddset(&stop_signals, signal);
  }
  // A launcher may hand down a mask that blocks them (masks survive exec): unblocked here, in
  // this thread and the threads it starts later, a stop signal always reaches a handler.
  pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);
}

int stop_requests() {
  return requests.load(std::memory_order_relaxed);
}
int signal_number() {
  return last_signal.load(std::memory_order_relaxed);
}
void request_stop(int signal) {
  on_stop_signal(signal);
}
void reset_stop_requests() {
  requests.store(0);
  last_signal.store(0);
}

}  // namespace nnsweep::sched
