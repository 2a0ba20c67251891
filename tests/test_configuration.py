"""Bad configs are stopped before anything runs, each with one sentence naming the key.

The table is generated from config/test.yaml: every integer key given as a float, a text,
a boolean, a list and nothing; every count made negative or zero; an unknown key at every
level; every required key removed; unsorted, repeated and out-of-range degree ladders;
files that do not exist; invalid YAML. Each must be rejected by `check_config` (what the
Snakefile and `lowprec check-config` run) with one line, no traceback; the shipped configs
must pass. Figures (tried / rejected) are printed with -s and asserted equal.
"""

import copy
import re

import pytest
import yaml

from pipeline.configuration import ConfigError, check_config, check_config_file, load_config_file
from tests.conftest import ROOT, SHIPPED_CONFIGS, usable_config

BASE = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
FREE_FORM = ("parameters", "spinup", "literature")  # checked by the models / free keys


def walk(node, path=()):
    """(path, value) of every value in the config, outside the free-form subtrees."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in FREE_FORM or path == ():
                yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, index))


def set_at(config, path, value):
    target = config
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def delete_at(config, path):
    target = config
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]


def mutated(path, value=None, delete=False):
    config = copy.deepcopy(BASE)
    (delete_at if delete else set_at)(config, path, *(() if delete else (value,)))
    return config


def dotted(path):
    return ".".join(map(str, path))


def generated_cases():
    """(label, config, text the error must contain)."""
    cases = []
    for path, value in walk(BASE):
        if not path:
            continue
        key = dotted(path)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            for bad in (float(value), f"{value}", True, None, [value], value + 0.5):
                cases.append((f"{key} = {bad!r}", mutated(path, bad), key))
            minimum = 0 if path[-1] in ("seed", "checkpoint_every") else 1
            cases.append((f"{key} = {minimum - 1}", mutated(path, minimum - 1), key))
            cases.append((f"{key} = -10**30", mutated(path, -10**30), key))
        elif isinstance(value, str):
            for bad in (5, None, [value], {"a": value}, f"{value}!"):
                cases.append((f"{key} = {bad!r}", mutated(path, bad), key))
        elif isinstance(value, list):
            for bad in ([], "text", 3, {"a": 1}):
                if bad == [] and path[-1] == "map_variables":
                    continue  # no maps: a choice, not an error
                cases.append((f"{key} = {bad!r}", mutated(path, bad), key))
        elif isinstance(value, dict):
            if path[-1] not in FREE_FORM:
                cases.append((f"{key} = []", mutated(path, []), key))
                cases.append((f"{key} = 'text'", mutated(path, "text"), key))
                extended = mutated(path, {**value, "colour": "red"})
                cases.append((f"unknown key {key}.colour", extended, "colour"))
    cases.append(("unknown top-level key", {**copy.deepcopy(BASE), "colour": "red"}, "colour"))
    for path in [("formats",), ("models",), *[("models", m, k) for m in BASE["models"]
                                               for k in ("members", "members_per_task")],
                 *[("solvers", "sequences", s, k) for s in BASE["solvers"]["sequences"]
                   for k in ("learners", "instances", "trials")],
                 ("bounds", "literature", "theta", "C5", "value"),
                 ("bounds", "literature", "theta", "C5", "source")]:
        cases.append((f"missing {dotted(path)}", mutated(path, delete=True), path[-1]))
    for path in [("models", m, "parameters") for m in BASE["models"]]:
        cases.append((f"unknown parameter in {dotted(path)}",
                      mutated(path, {**BASE["models"][path[1]]["parameters"], "colour": 1}),
                      "colour"))
    return cases


def search(problem, **settings):
    config = copy.deepcopy(BASE)
    config["bounds"]["searches"][problem] = settings
    return config


def model(name, **changes):
    config = copy.deepcopy(BASE)
    entry = config["models"][name]
    for key, value in changes.items():
        if value is None:
            entry.pop(key, None)
        elif key in ("parameters", "spinup"):
            entry[key] = {**entry.get(key, {}), **value}
        else:
            entry[key] = value
    return config


def external(name="cooling", **changes):
    """BASE with an external model ``name`` (its declaration changed by the keys command,
    variables, timeout and any other; the model entry's by the rest; None removes)."""
    config = copy.deepcopy(BASE)
    declaration = {"command": "/bin/sh {significand_bits} {output}", "variables": {"t": ["time"]}}
    entry = {"members": 4, "external": declaration}
    for key, value in changes.items():
        target = declaration if key in ("command", "variables", "timeout", "cores") else entry
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    config["models"] = {name: entry}
    return config


HAND_WRITTEN = [
    # issue 23's findings
    ("members: 4.0", model("speedy", members=4.0), "models.speedy.members"),
    ("null_ensembles: 2.0", {**copy.deepcopy(BASE), "null_ensembles": 2.0}, "null_ensembles"),
    ("model null_ensembles: 2.0", model("lorenz63", null_ensembles=2.0), "null_ensembles"),
    ("kissing-sdp degree 20", search("kissing-sdp", dimensions=[3], degrees=[20]), "degrees"),
    ("kissing-sdp degree 17", search("kissing-sdp", dimensions=[3], degrees=[4, 17]), "degrees"),
    ("kissing-sdp degree 0", search("kissing-sdp", dimensions=[3], degrees=[0]), "degrees"),
    ("unsorted degrees", search("kissing-lp", dimensions=[3], degrees=[10, 6]), "increasing"),
    ("repeated degrees", search("kissing-lp", dimensions=[3], degrees=[6, 6]), "twice"),
    ("cohn-elkies degree 1", search("cohn-elkies", dimensions=[2], degrees=[1]), "degrees"),
    ("cohn-elkies degree 61", search("cohn-elkies", dimensions=[2], degrees=[61]), "degrees"),
    ("kissing-lp dimension 1", search("kissing-lp", dimensions=[1]), "dimensions"),
    ("kissing-sdp dimension 2", search("kissing-sdp", dimensions=[2]), "dimensions"),
    ("repeated dimensions", search("kissing-lp", dimensions=[3, 3]), "twice"),
    ("theta with degrees", search("theta", graphs=["C5"], degrees=[3]), "degrees"),
    ("theta unknown graph", search("theta", graphs=["K4"]), "graphs"),
    ("unknown problem", search("kissing-qp", dimensions=[3]), "kissing-qp"),
    ("SDPA with 32 bits", search("theta", solvers=["SDPA:32"]), "SDPA"),
    ("SDPA with 2000 bits", search("theta", solvers=["SDPA:2000"]), "SDPA"),
    ("basis outside kissing-sdp", search("kissing-lp", solvers=["SCS/monomial"]), "solvers"),
    ("unknown basis", search("kissing-sdp", solvers=["SCS/legendre"]), "solvers"),
    ("unknown solver", search("theta", solvers=["MOSEK"]), "solvers"),
    ("repeated solver", search("theta", solvers=["SCS", "SCS"]), "twice"),
    ("unknown initial file", model("shallow_water", spinup=None,
                                   parameters={"initial_file": "nowhere/spinup.nc"}),
     "initial_file"),
    ("initial file is a folder", model("shallow_water", spinup=None,
                                       parameters={"initial_file": "config"}), "initial_file"),
    ("spinup and initial file", model("speedy", parameters={"initial_file": "config/test.yaml"}),
     "initial_file"),
    ("unknown orography file", model("speedy", parameters={"orography": "alps.nc"}), "orography"),
    ("repeated output levels", model("speedy", parameters={"output_levels": "3,3"}),
     "output_levels"),
    ("unsorted output levels", model("speedy", parameters={"output_levels": "7,3"}),
     "output_levels"),
    ("output level 9 of 8", model("speedy", parameters={"output_levels": "9"}), "output_levels"),
    ("bad spinup parameter", model("speedy", spinup={"output_levels": "0"}), "spinup"),
    ("float for an integer parameter", model("speedy", parameters={"truncation": 10.5}),
     "truncation"),
    ("search of an unknown component",
     model("speedy", search={"mode": "bisect", "components": ["radiation"]}), "radiation"),
    ("search of a component of a model without",
     model("heat_column", search={"mode": "bisect", "components": ["dynamics"]}),
     "models.heat_column.search.components"),
    ("search of a physics component of the dry core",
     model("speedy", search={"mode": "bisect", "components": ["convection"]}),
     "reduced_components"),
    ("text for a float parameter", model("heat_column", parameters={"years": "many"}), "years"),
    ("negative run length", model("heat_column", parameters={"years": -1}), "heat_column"),
    ("members_per_task above members", model("lorenz63", members_per_task=8), "members_per_task"),
    ("one member", model("lorenz63", members=1, members_per_task=1), "members"),
    ("unknown model", {**copy.deepcopy(BASE), "models": {"lorenz96": {"members": 2,
                                                                     "members_per_task": 1}}},
     "lorenz96"),
    ("no models", {**copy.deepcopy(BASE), "models": {}}, "models"),
    ("unknown format", {**copy.deepcopy(BASE), "formats": ["float8"]}, "formats"),
    ("exponent too wide", {**copy.deepcopy(BASE), "formats": ["e12m3"]}, "formats"),
    ("significand too wide", {**copy.deepcopy(BASE), "formats": ["e11m53"]}, "formats"),
    ("unknown rounding", {**copy.deepcopy(BASE), "formats": ["e11m10-sx"]}, "formats"),
    ("fixed omega 2.5", {**copy.deepcopy(BASE), "solvers": {"sequences": {"heat2d": {
        "learners": ["fixed:2.5"], "instances": 5, "trials": 1}}}}, "fixed:2.5"),
    ("fixed omega 1..2", {**copy.deepcopy(BASE), "solvers": {"sequences": {"heat2d": {
        "learners": ["fixed:1..2"], "instances": 5, "trials": 1}}}}, "learners"),
    ("the same fixed omega twice", {**copy.deepcopy(BASE), "solvers": {"sequences": {"heat2d": {
        "learners": ["fixed:1.5", "fixed:1.50"], "instances": 5, "trials": 1}}}}, "twice"),
    ("grid setting for heat2d", {**copy.deepcopy(BASE), "solvers": {"sequences": {"heat2d": {
        "learners": ["chebcb"], "instances": 5, "trials": 1, "settings": {"grid": 4}}}}}, "grid"),
    ("zero time step", {**copy.deepcopy(BASE), "solvers": {"sequences": {"heat2d": {
        "learners": ["chebcb"], "instances": 5, "trials": 1, "settings": {"dt": 0}}}}}, "dt"),
    ("NaN time step", {**copy.deepcopy(BASE), "solvers": {"sequences": {"heat2d": {
        "learners": ["chebcb"], "instances": 5, "trials": 1,
        "settings": {"dt": float("nan")}}}}}, "dt = nan"),
    ("infinite time step", {**copy.deepcopy(BASE), "solvers": {"sequences": {"heat2d": {
        "learners": ["chebcb"], "instances": 5, "trials": 1,
        "settings": {"dt": float("inf")}}}}}, "dt"),
    ("time step 1e-300", {**copy.deepcopy(BASE), "solvers": {"sequences": {"heat2d": {
        "learners": ["chebcb"], "instances": 5, "trials": 1, "settings": {"dt": 1e-300}}}}},
     "dt"),
    ("heat2d nx 5000", {**copy.deepcopy(BASE), "solvers": {"sequences": {"heat2d": {
        "learners": ["chebcb"], "instances": 5, "trials": 1, "settings": {"nx": 5000}}}}},
     "nx"),
    ("shifted-laplacian grid 100000", {**copy.deepcopy(BASE), "solvers": {"sequences": {
        "shifted-laplacian": {"learners": ["chebcb"], "instances": 5, "trials": 1,
                              "settings": {"grid": 100000}}}}}, "grid"),
    ("10^12 instances", {**copy.deepcopy(BASE), "solvers": {"sequences": {"heat2d": {
        "learners": ["chebcb"], "instances": 10**12, "trials": 1}}}}, "instances"),
    ("10^12 trials", {**copy.deepcopy(BASE), "solvers": {"sequences": {"heat2d": {
        "learners": ["chebcb"], "instances": 5, "trials": 10**12}}}}, "trials"),
    ("a run with no output", model("lorenz63", parameters={"length": 0.01,
                                                           "output_interval": 0.1}),
     "no output"),
    ("a run of 10^302 steps", model("lorenz63", parameters={"length": 1e300}),
     "time steps"),
    ("unknown solve", {**copy.deepcopy(BASE), "solvers": {"solve": "exact"}}, "solve"),
    ("literature of an unknown problem", {**copy.deepcopy(BASE), "bounds": {
        "literature": {"tsp": {"3": {"value": 1, "source": "x"}}}}}, "tsp"),
    ("a config that is a list", [BASE], "mapping"),
    ("seed 2**80", {**copy.deepcopy(BASE), "seed": 2**80}, "seed"),
    ("seed 2**63", {**copy.deepcopy(BASE), "seed": 2**63}, "seed"),
    # cluster keys (issue 24)
    ("resources of an unknown rule", {**copy.deepcopy(BASE), "resources": {
        "simualte": {"runtime": 30}}}, "simualte"),
    ("runtime as text", {**copy.deepcopy(BASE), "resources": {
        "simulate": {"runtime": "2h"}}}, "runtime"),
    ("unknown resource", {**copy.deepcopy(BASE), "resources": {
        "default": {"gpus": 1}}}, "gpus"),
    ("model memory of zero", model("speedy", resources={"mem_mb": 0}), "mem_mb"),
    ("empty launcher", {**copy.deepcopy(BASE), "mpi_launcher": ""}, "mpi_launcher"),
    # external models (issue 22): /bin/sh stands for a program that exists
    *[(label, external(**changes), named) for label, changes, named in [
        ("external without a command", {"command": None}, "command"),
        ("external without variables", {"variables": None}, "variables"),
        ("external with no variables", {"variables": {}}, "variables"),
        ("external variable without time first", {"variables": {"t": ["depth", "time"]}},
         "time as its first dimension"),
        ("external variable with no dims", {"variables": {"t": []}}, "variables"),
        ("external unknown placeholder", {"command": "/bin/sh {bits} {output}"}, "{bits}"),
        ("external without {output}", {"command": "/bin/sh run.sh out.nc"}, "{output}"),
        ("external command unsplittable", {"command": "/bin/sh 'open {output}"},
         "cannot be split"),
        ("external program missing", {"command": "./absent-model {output}"}, "absent-model"),
        ("external program not on PATH", {"command": "absent-model-xyz {output}"}, "PATH"),
        ("external program not executable", {"command": "./README.md {output}"},
         "not an executable file"),
        ("external timeout 0", {"timeout": 0}, "timeout"),
        ("external unknown key", {"cores": 2}, "cores"),
    ]],
    ("external with parameters", external(parameters={"years": 1}), "parameters"),
    ("external with a spinup", external(spinup={"days": 1}), "spinup"),
    ("external with checkpoints", external(checkpoint_every=5), "checkpoint_every"),
    ("external with 2 members per task", external(members_per_task=2), "members_per_task"),
    ("external named as a built-in model", external(name="lorenz63"), "lorenz63"),
    ("external map of a 1-D variable", external(map_variables=["t"]), "map_variables"),
    ("own model without members_per_task", model("lorenz63", members_per_task=None),
     "members_per_task"),
]


def test_an_external_model_is_accepted_and_runs_one_member_per_program_run():
    config = check_config(external(map_variables=None), "good.yaml", base=ROOT)
    entry = config["models"]["cooling"]
    assert entry["members_per_task"] == 1 and entry["external"]["timeout"] == 3600
    # A program chosen per format is only found at run time.
    check_config(external(command="./model-{format} {output}"), "good.yaml", base=ROOT)


def test_cluster_keys_of_the_docs_are_accepted():
    config = copy.deepcopy(BASE)
    config["resources"] = {"default": {"slurm_partition": "short", "runtime": 60},
                           "simulate": {"mem_mb_per_cpu": 4000, "slurm_extra": "--exclusive"}}
    config["models"]["speedy"]["resources"] = {"runtime": 900, "mem_mb": 16000}
    config["mpi_launcher"] = "srun --mpi=pmix"
    check_config(config, "good.yaml", base=ROOT)

CASES = generated_cases() + HAND_WRITTEN
ONE_SENTENCE = re.compile(r"^[^\n]+\.$")


@pytest.mark.parametrize("label,config,named", CASES, ids=[c[0] for c in CASES])
def test_a_bad_config_is_rejected_with_one_sentence_naming_the_key(label, config, named, tmp_path):
    with pytest.raises(ConfigError) as caught:
        check_config(config, "bad.yaml", base=ROOT)
    message = str(caught.value)
    assert ONE_SENTENCE.match(message), message
    assert message.startswith("bad.yaml: ") and named in message, message
    assert "Traceback" not in message and len(message) < 800, message


def test_the_figures_of_the_hostile_config_table(capsys):
    rejected = 0
    for _, config, _ in CASES:
        try:
            check_config(config, "bad.yaml", base=ROOT)
        except ConfigError:
            rejected += 1
    with capsys.disabled():
        print(f"\nhostile configs: {len(CASES)} tried, {rejected} rejected with one sentence")
    assert len(CASES) >= 200 and rejected == len(CASES)


def test_the_reported_messages_read_as_the_issue_asks():
    with pytest.raises(ConfigError) as caught:
        check_config(model("speedy", members=4.0), "bad.yaml")
    assert str(caught.value) == ("bad.yaml: config key models.speedy.members: 4.0 is not an "
                                 "integer; use a whole number from 2 to 100000.")
    with pytest.raises(ConfigError) as caught:
        check_config({**copy.deepcopy(BASE), "colour": "red"}, "bad.yaml")
    assert str(caught.value) == ("bad.yaml: top level: unknown key 'colour'; allowed: bounds, "
                                 "formats, models, mpi_launcher, mpi_tasks, null_ensembles, "
                                 "resources, search, seed, solvers, verdict.")


BAD_YAML = {
    "unclosed list": ("formats: [e11m6\nmodels: {}\n", 2),
    "tab indentation": ("models:\n\tlorenz63: {}\n", 2),
    "bad indentation": ("models:\n  lorenz63:\n    members: 2\n   members_per_task: 1\n", 4),
    "key given twice": ("seed: 1\nformats: [e11m6]\nseed: 2\n", 3),
    "nested key given twice": ("models:\n  lorenz63: {members: 2, members: 3}\n", 2),
    "unclosed quote": ("formats: ['e11m6]\n", None),
    "a colon in a plain value": ("seed: a: b\n", 1),
    "a Python object tag": ("seed: !!python/object/apply:os.system ['touch pwned']\n", 1),
}


@pytest.mark.parametrize("kind", BAD_YAML)
def test_invalid_yaml_is_reported_with_the_file_and_line(tmp_path, kind):
    text, line = BAD_YAML[kind]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config_file(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}, line ")
    if line is not None:
        assert message.startswith(f"{path}, line {line},"), message


@pytest.mark.parametrize("content,named", [
    (b"", "empty"), (b"- 1\n- 2\n", "list"), (b"just text\n", "text"), (b"\xff\xfe\x00", "read"),
])
def test_a_file_that_is_not_a_mapping_is_rejected_with_its_name(tmp_path, content, named):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_config_file(path)
    assert str(path) in str(caught.value) and named in str(caught.value)


def test_a_missing_config_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config_file(tmp_path / "absent.yaml")


@pytest.mark.parametrize("path", SHIPPED_CONFIGS, ids=lambda p: p.name)
def test_every_shipped_config_passes_and_gets_the_schema_defaults(path, tmp_path):
    config = check_config_file(usable_config(path, tmp_path), base=ROOT)
    assert config["seed"] >= 0 and config["mpi_tasks"] >= 1
    assert all("checkpoint_every" in model for model in config["models"].values())


def test_check_config_on_the_command_line(tmp_path, run_tool):
    shipped = [usable_config(path, tmp_path) for path in SHIPPED_CONFIGS]
    good = run_tool("lowprec", "check-config", *shipped)
    assert good.stdout.count("a valid lowprec config") == len(SHIPPED_CONFIGS) >= 4
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(model("speedy", members=4.0)))
    result = run_tool("lowprec", "check-config", bad, check=False)
    assert result.returncode == 2
    assert result.stderr == (f"lowprec: error: {bad}: config key models.speedy.members: 4.0 is "
                             f"not an integer; use a whole number from 2 to 100000.\n")
    bad.write_text("formats: [e11m6\nmodels: {}\n")
    result = run_tool("lowprec", "check-config", bad, check=False)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert f"{bad}, line 2" in result.stderr


@pytest.mark.parametrize("levels", ["3,3", "7,3"])
def test_speedy_rejects_repeated_or_unsorted_output_levels_at_the_command_line(run_tool, tmp_path,
                                                                               levels):
    """A repeated level repeated the sigma coordinate (CF coordinates are strictly monotonic)."""
    out = tmp_path / "s.nc"
    result = run_tool("lowprec", "simulate", "speedy", "--format", "float64", "--members", "1",
                      "--seed", "1", "--set", "truncation=10", "--set", f"output_levels={levels}",
                      "--out", out, check=False)
    assert result.returncode == 2 and not out.exists()
    assert result.stderr == (f"lowprec: error: Model speedy: output_levels must list each level "
                             f"once, top first (increasing), got '{levels}'.\n")
