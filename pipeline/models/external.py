"""External models: a program lowprec does not link, run once per format and member.

Most climate models are Fortran or C, and precision studies such as Paxton et al. (2022)
compile them against an emulator (rpe, CPFloat) whose significand bits are set at run time.
lowprec runs such a program from a command template the config declares, e.g.

    ./mymodel --sbits {significand_bits} --rounding {rounding} --seed {seed}
              --member {member} --out {output}

and reads the variables it declares from the NetCDF file each run writes. Placeholders:

    {format}            the format's name (e11m10-sr)
    {significand_bits}  stored significand bits M (52 for float64)
    {exponent_bits}     exponent bits E (11 for float64)
    {rounding}          nearest or stochastic
    {seed}              an integer seed for this member of this ensemble: a function of the
                        study's seed, the model, the ensemble and the member only (SplitMix
                        through `pipeline.precision.stream_generator`), so that files do not
                        depend on how members are spread over ranks, and null ensembles
                        differ from the reference
    {member}, {ensemble}  the member number and the ensemble (0: the reference/test runs,
                        k >= 1: the k-th null ensemble)
    {output}            the NetCDF file the run must write

The template is split into words first (shell rules, `shlex`) and each word filled in after,
so values never pass through a shell: a path with spaces stays one argument, and nothing in
a value is executed. Each run's file must hold every declared variable with the declared
dimensions (the first is time) and the same coordinates as member 0's; a run that exits
non-zero, writes no file or the wrong one fails the whole simulation with one sentence naming
the member and the format. The members' files are assembled into the same ensemble file
`lowprec simulate` writes (member, time, ...), so the analysis is the same.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import string
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.precision import NumberFormat, stream_generator

PLACEHOLDERS = ("format", "significand_bits", "exponent_bits", "rounding", "seed", "member",
                "ensemble", "output")


class ExternalModelError(ValueError):
    """A bad declaration or a failed run of an external model: one sentence."""


@dataclass(frozen=True)
class ExternalModel:
    """What the config declares: the command template and the variables with their dims."""

    name: str
    command: tuple[str, ...]  # the template's words
    variables: dict  # {name: (dim, ...)} with dims[0] == "time"
    timeout: float = 3600.0

    @classmethod
    def declare(cls, name: str, command: str, variables: dict, timeout: float = 3600.0):
        try:
            words = tuple(shlex.split(command))
        except ValueError as error:
            raise ExternalModelError(f"The command of external model {name} cannot be split "
                                     f"into words ({error}).") from None
        if not words:
            raise ExternalModelError(f"The command of external model {name} is empty.")
        named = set()
        for word in words:
            try:
                fields = list(string.Formatter().parse(word))
            except ValueError as error:
                raise ExternalModelError(f"The command of external model {name} has a "
                                         f"malformed placeholder in {word!r} ({error}).") from None
            for _, field, spec, conversion in fields:
                if field is None:
                    continue
                if field not in PLACEHOLDERS:
                    raise ExternalModelError(
                        f"The command of external model {name} has an unknown placeholder "
                        f"{{{field}}}; allowed: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}.")
                if spec or conversion:
                    raise ExternalModelError(
                        f"The command of external model {name} writes {{{field}}} with a "
                        f"conversion or format in {word!r}; write {{{field}}} alone.")
                named.add(field)
        if "output" not in named:
            raise ExternalModelError(f"The command of external model {name} must name its "
                                     "output file with {output}.")
        if not variables:
            raise ExternalModelError(f"External model {name} declares no variables.")
        checked = {}
        for variable, dims in variables.items():
            dims = tuple(dims)
            if not dims or dims[0] != "time":
                raise ExternalModelError(f"Variable {variable} of external model {name} must "
                                         f"have time as its first dimension, not {list(dims)}.")
            checked[variable] = dims
        if "time" in checked:
            raise ExternalModelError(f"External model {name} declares a variable named time, "
                                     "which is its time coordinate; name it otherwise.")
        if not 0 < timeout <= LARGEST_TIMEOUT:
            raise ExternalModelError(f"The timeout of external model {name} must be positive "
                                     f"and at most {LARGEST_TIMEOUT:g} s, got {timeout:g}.")
        return cls(name, words, checked, float(timeout))

    def member_seed(self, seed: int, ensemble: int, member: int) -> int:
        """A 63-bit seed for one member of one ensemble (independent of ranks)."""
        generator = stream_generator(seed, self.name, "external-member", ensemble, member)
        return int(generator.integers(0, 2**63 - 1))

    def arguments(self, fmt: NumberFormat, seed: int, ensemble: int, member: int,
                  output: Path) -> list[str]:
        values = {"format": fmt.name, "significand_bits": fmt.significand_bits,
                  "exponent_bits": fmt.exponent_bits, "rounding": fmt.rounding,
                  "seed": self.member_seed(seed, ensemble, member), "member": member,
                  "ensemble": ensemble, "output": str(output)}
        return [word.format_map(values) for word in self.command]

    def run_member(self, fmt: NumberFormat, seed: int, ensemble: int, member: int,
                   directory: Path) -> dict:
        """Run one member; {"coords": {...}, "fields": {variable: (values, attrs)}}."""
        output = directory / f"member-{member}.nc"
        output.unlink(missing_ok=True)
        where = f"External model {self.name}, member {member} at {fmt.name}"
        command = self.arguments(fmt, seed, ensemble, member, output)
        try:
            # Its own session, so that a timeout stops what it started too (a shell
            # script's children); its stderr as bytes, decoded leniently below.
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE, start_new_session=True)
        except FileNotFoundError:
            raise ExternalModelError(f"{where}: no such program {command[0]!r}.") from None
        except PermissionError:
            raise ExternalModelError(f"{where}: {command[0]!r} is not executable.") from None
        try:
            _, stderr = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _stop_group(process)
            raise ExternalModelError(f"{where}: still running after {self.timeout:g} s "
                                     "(the declared timeout).") from None
        except BaseException:
            _stop_group(process)  # (SIGTERM to lowprec: the program goes too)
            raise
        if process.returncode != 0:
            raise ExternalModelError(f"{where}: the program {_exit_words(process.returncode)} "
                                     f"({_last_line(stderr)}).")
        return self.read_member(output, where)

    def read_member(self, path: Path, where: str) -> dict:
        import xarray as xr

        if not path.exists():
            raise ExternalModelError(f"{where}: the program exited 0 but wrote no {path.name}.")
        try:
            dataset = xr.load_dataset(path, decode_times=False)
        except (OSError, ValueError):
            raise ExternalModelError(f"{where}: {path.name} is not a NetCDF file, or it is "
                                     "truncated.") from None
        fields, coords = {}, {}
        for variable, dims in self.variables.items():
            if variable not in dataset:
                raise ExternalModelError(f"{where}: {path.name} has no variable {variable} "
                                         f"(it has {', '.join(sorted(dataset.data_vars))}).")
            data = dataset[variable]
            if data.dims != dims:
                raise ExternalModelError(f"{where}: variable {variable} has dimensions "
                                         f"{list(data.dims)}, not the declared {list(dims)}.")
            if data.dtype.kind not in "iuf":
                raise ExternalModelError(f"{where}: variable {variable} holds {data.dtype} "
                                         "values, not numbers.")
            fields[variable] = (np.asarray(data.values, dtype=np.float64), dict(data.attrs))
            for dim in dims:
                if dim in dataset.coords:
                    coords[dim] = (np.asarray(dataset[dim].values), dict(dataset[dim].attrs))
        if "time" not in coords:
            raise ExternalModelError(f"{where}: {path.name} has no time coordinate variable.")
        times = coords["time"][0]
        if times.size == 0 or times.dtype.kind not in "iuf" or not np.isfinite(times).all() \
                or (np.diff(times) <= 0).any():
            raise ExternalModelError(f"{where}: the time coordinate of {path.name} must be "
                                     "one or more finite numbers, increasing.")
        return {"coords": coords, "fields": fields}


LARGEST_TIMEOUT = 1e7  # seconds (116 days): subprocess's timers overflow near 1e10


def _stop_group(process) -> None:
    """Kill the program and everything it started (its session's process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def _exit_words(status: int) -> str:
    """'exited with status 3', or 'was killed by SIGSEGV' for a negative status."""
    if status < 0:
        try:
            return f"was killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"was killed by signal {-status}"
    return f"exited with status {status}"


def _last_line(stderr: bytes, longest: int = 300) -> str:
    """The program's last line on stderr, decoded leniently and cut to ``longest``."""
    lines = stderr.decode("utf-8", errors="replace").strip().splitlines()
    last = lines[-1] if lines else "no message"
    return last if len(last) <= longest else last[:longest] + "..."


def check_members(model: ExternalModel, fmt: NumberFormat, outputs: list[dict]) -> None:
    """Every member's coordinates and shapes equal member 0's."""
    first = outputs[0]
    for member, output in enumerate(outputs[1:], start=1):
        where = f"External model {model.name}, member {member} at {fmt.name}"
        for variable, (values, _) in output["fields"].items():
            expected = first["fields"][variable][0].shape
            if values.shape != expected:
                raise ExternalModelError(f"{where}: variable {variable} has shape "
                                         f"{values.shape}, member 0's {expected}.")
        for dim, (values, _) in output["coords"].items():
            reference = first["coords"][dim][0]
            if values.shape != reference.shape or not np.array_equal(values, reference):
                raise ExternalModelError(f"{where}: its {dim} coordinate differs from "
                                         "member 0's.")


def ensemble_dataset(model: ExternalModel, fmt: NumberFormat, outputs: list[dict],
                     settings: dict):
    """The members' outputs as the ensemble file `lowprec simulate` writes."""
    import xarray as xr

    from pipeline.io.netcdf import global_attributes

    check_members(model, fmt, outputs)
    members = np.arange(len(outputs), dtype=np.int32)
    coords = {"member": ("member", members, {"standard_name": "realization",
                                             "long_name": "ensemble member number",
                                             "units": "1"})}
    for dim, (values, attributes) in outputs[0]["coords"].items():
        coords[dim] = (dim, values, attributes)
    times = np.asarray(outputs[0]["coords"]["time"][0], dtype=np.float64)
    data, bad = {}, np.zeros((len(outputs), times.size), dtype=bool)
    for variable, dims in model.variables.items():
        values = np.stack([output["fields"][variable][0] for output in outputs])
        data[variable] = (("member", *dims), values, outputs[0]["fields"][variable][1])
        bad |= ~np.isfinite(values.reshape(values.shape[0], times.size, -1)).all(axis=2)
    first_bad = np.where(bad.any(axis=1), times[np.argmax(bad, axis=1)], np.nan)
    data["blowup_time"] = ("member", first_bad, {
        "units": outputs[0]["coords"]["time"][1].get("units", "1"),
        "long_name": "first output time with a non-finite value (NaN: the member never blew up)",
    })
    extra = {**fmt.attributes(), "model": model.name, "seed": settings["seed"],
             "ensemble": settings["ensemble"], "members_per_task": 1,
             "blown_up_members": int(np.isfinite(first_bad).sum()),
             "external_command": shlex.join(model.command)}
    return xr.Dataset(data, coords=coords, attrs=global_attributes(
        f"lowprec {model.name} (external) ensemble at {fmt}", settings, extra))
