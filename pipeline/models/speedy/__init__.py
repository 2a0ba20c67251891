"""SPEEDY-like spectral primitive-equation atmosphere (dynamical core; `core` has the
equations, `spectral` the transforms, `vertical` the sigma levels, `forcing` Held-Suarez and
`initial` the community test cases)."""

from pipeline.models.speedy.core import Speedy, SpeedyConfig

__all__ = ["Speedy", "SpeedyConfig"]
