"""The built-in models' registry: each name finds its class, imported only when asked for."""

import subprocess
import sys

from pipeline.models import BUILT_IN, MODELS, get_model
from tests.conftest import ROOT


def test_each_built_in_name_is_its_class_name():
    assert sorted(MODELS) == sorted(BUILT_IN)
    for name in BUILT_IN:
        assert MODELS[name].name == name
        assert get_model(name) is MODELS[name]


def test_a_run_of_one_model_imports_no_other():
    """A Lorenz '63 job parses its command line and builds its model without importing the
    other models (heat2d would pull in scipy.sparse, speedy its spectral core)."""
    code = ("import sys; from pipeline.cli import build_parser; "
            "from pipeline.models import get_model; "
            "build_parser().parse_args(['simulate', 'lorenz63', '--format', 'e11m10', "
            "'--members', '1', '--seed', '1', '--out', 'x.nc']); get_model('lorenz63'); "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith(('pipeline.models.', "
            "'scipy')))))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.split()
    assert "pipeline.models.lorenz63" in loaded
    for other in ("heat2d", "heat_column", "shallow_water", "speedy"):
        assert f"pipeline.models.{other}" not in loaded
    assert "scipy" not in loaded
