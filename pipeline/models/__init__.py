"""Models, one module each, written once and generic over the number format; plugins from
other packages join them through the ``lowprec.models`` entry points (`registry`)."""

from collections.abc import Mapping
from importlib import import_module

from pipeline.models.base import ModelParameterError, RunLength, Variable
from pipeline.models.protocol import Model
from pipeline.models.registry import PluginError, load_plugin, plugin_entry_points

#: Where each built-in model lives, as "module:Class". A job imports only the model it runs:
#: importing them all cost each of a study's ~100 jobs about 0.45 s (heat2d alone pulls in
#: scipy.sparse), a tenth of the default run's job-seconds.
BUILT_IN = {
    "lorenz63": "pipeline.models.lorenz63:Lorenz63",
    "heat_column": "pipeline.models.heat_column:HeatColumn",
    "shallow_water": "pipeline.models.shallow_water:ShallowWater",
    "speedy": "pipeline.models.speedy:Speedy",
    "heat2d": "pipeline.models.heat2d:Heat2D",
}


class _BuiltInModels(Mapping):
    """{name: model class} of the built-in models, each imported when first looked up."""

    def __init__(self, locations: dict[str, str]):
        self._locations = locations

    def __getitem__(self, name: str) -> type:
        module, _, attribute = self._locations[name].partition(":")
        return getattr(import_module(module), attribute)

    def __iter__(self):
        return iter(self._locations)

    def __len__(self) -> int:
        return len(self._locations)


#: The built-in models.
MODELS = _BuiltInModels(BUILT_IN)


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
