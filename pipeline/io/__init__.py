"""CF NetCDF writing and reading, provenance, atomic writes, checkpoints."""
