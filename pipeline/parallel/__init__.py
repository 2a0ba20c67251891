"""mpi4py ensemble execution, falling back to one process without MPI."""
