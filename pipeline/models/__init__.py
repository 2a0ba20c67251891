"""Models, one module each, written once and generic over the number format; plugins from
other packages join them through the ``lowprec.models`` entry points (`registry`)."""

from pipeline.models.base import ModelParameterError, RunLength, Variable
from pipeline.models.heat2d import Heat2D
from pipeline.models.heat_column import HeatColumn
from pipeline.models.lorenz63 import Lorenz63
from pipeline.models.protocol import Model
from pipeline.models.registry import PluginError, load_plugin, plugin_entry_points
from pipeline.models.shallow_water import ShallowWater
from pipeline.models.speedy import Speedy

#: The built-in models.
MODELS = {model.name: model for model in (Lorenz63, HeatColumn, ShallowWater, Speedy, Heat2D)}


def get_model(name: str):
    """The model class called ``name`` (built in or a plugin), or one sentence listing the
    models there are."""
    if name in MODELS:
        return MODELS[name]
    plugins = plugin_entry_points()
    if name in plugins:
        return load_plugin(plugins[name], MODELS)
    raise ModelParameterError(
        f"Unknown model {name!r}; choose one of: {', '.join(sorted({*MODELS, *plugins}))}."
    )


def available_models() -> tuple[dict, dict]:
    """({name: class} of every usable model, {name: one-sentence problem} of broken plugins)."""
    models, broken = dict(MODELS), {}
    for name, point in plugin_entry_points().items():
        try:
            models[name] = load_plugin(point, MODELS)
        except PluginError as error:
            broken[name] = str(error)
    return models, broken


__all__ = ["MODELS", "Model", "ModelParameterError", "PluginError", "RunLength", "Variable",
           "available_models", "get_model"]
