"""Models, one module each, written once and generic over the number format."""

from pipeline.models.base import ModelParameterError
from pipeline.models.heat2d import Heat2D
from pipeline.models.heat_column import HeatColumn
from pipeline.models.lorenz63 import Lorenz63
from pipeline.models.shallow_water import ShallowWater
from pipeline.models.speedy import Speedy

MODELS = {model.name: model for model in (Lorenz63, HeatColumn, ShallowWater, Speedy, Heat2D)}


def get_model(name: str):
    """The model class called ``name``, or one sentence listing the models there are."""
    try:
        return MODELS[name]
    except KeyError:
        raise ModelParameterError(
            f"Unknown model {name!r}; choose one of: {', '.join(sorted(MODELS))}."
        ) from None


__all__ = ["MODELS", "ModelParameterError", "get_model"]
