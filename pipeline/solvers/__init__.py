"""Linear solvers at any number format, and bandits that learn their relaxation parameter.

    >>> import numpy as np, scipy.sparse as sp
    >>> from pipeline.solvers import sor
    >>> A = sp.diags([-1.0, 2.5, -1.0], [-1, 0, 1], shape=(50, 50), format="csr")
    >>> result = sor(A, np.ones(50), 1.2)
    >>> result.converged, result.residual < 1e-8
    (True, True)

The names below load on first use (PEP 562), so that `pipeline.solvers.commands`, which every
`lowprec` invocation imports to build its parser, does not import scipy and numba.
"""

import importlib

_PUBLIC = {
    "SolverInputError": "pipeline.solvers.operator",
    "inner_tolerance": "pipeline.solvers.refinement",
    "refine": "pipeline.solvers.refinement",
    "SolveResult": "pipeline.solvers.relaxation",
    "sor": "pipeline.solvers.relaxation",
    "sor_sweep": "pipeline.solvers.relaxation",
    "ssor_pcg": "pipeline.solvers.relaxation",
    "jacobi_spectral_radius": "pipeline.solvers.spectral",
    "optimal_sor_omega": "pipeline.solvers.spectral",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'pipeline.solvers' has no attribute {name!r}")


def __dir__():
    return __all__
