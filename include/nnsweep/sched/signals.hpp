#pragma once
// Stop requests: SIGTERM, SIGUSR1 (Slurm's warning before the time limit, preemption,
// `scancel`) and SIGINT set a flag that the scheduler polls between work units. A second request
// also cancels units in flight. Handlers only touch lock-free atomics (async-signal-safe).
namespace nnsweep::sched {

void install_stop_handlers();
// How many stop signals arrived (0: none). The last one's number is signal_number().
int stop_requests();
int signal_number();
// For tests: behave as if a signal arrived.
void request_stop(int signal_number);
void reset_stop_requests();

}  // namespace nnsweep::sched
