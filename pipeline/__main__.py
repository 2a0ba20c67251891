"""`python -m pipeline ...` is `lowprec ...` (as `mpiexec -n N python -m mpi4py -m pipeline`)."""

import sys

from pipeline.cli import main

sys.exit(main())
