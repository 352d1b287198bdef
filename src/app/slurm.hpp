#pragma once
// What nnsweep asks Slurm: the time its job has left (scontrol, run without a shell).
namespace nnsweep::app {

// Seconds left before the Slurm job's end time (from `scontrol show job`), minus a margin for the
// final commit; infinity outside Slurm, when it cannot be read, or on any process but the
// launcher's rank 0 (one query per job, not one per rank). Call it before MPI is initialised:
// forking after MPI_Init is unsafe with some interconnects.
double slurm_seconds_left();

}  // namespace nnsweep::app
