# Source me: Open MPI settings for running as root and with more ranks than cores (CI machines,
# containers). Harmless elsewhere. On a cluster, prefer srun (see jobs/).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
