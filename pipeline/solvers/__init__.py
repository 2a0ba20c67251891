"""Linear solvers at any number format, and bandits that learn their relaxation parameter.

    >>> import numpy as np, scipy.sparse as sp
    >>> from pipeline.solvers import sor
    >>> A = sp.diags([-1.0, 2.5, -1.0], [-1, 0, 1], shape=(50, 50), format="csr")
    >>> result = sor(A, np.ones(50), 1.2)
    >>> result.converged, result.residual < 1e-8
    (True, True)
"""

from pipeline.solvers.operator import SolverInputError
from pipeline.solvers.refinement import inner_tolerance, refine
from pipeline.solvers.relaxation import SolveResult, sor, sor_sweep, ssor_pcg
from pipeline.solvers.spectral import jacobi_spectral_radius, optimal_sor_omega

__all__ = ["SolveResult", "SolverInputError", "inner_tolerance", "jacobi_spectral_radius",
           "optimal_sor_omega", "refine", "sor", "sor_sweep", "ssor_pcg"]
