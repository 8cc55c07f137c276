#!/usr/bin/env python3
"""OpenDT's own reading of config files, as the reference for `opendt-replay dc-mock`'s.

Loads each case with OpenDT's `AppConfig.load` (odt_common/config.py: PyYAML's safe_load, then
pydantic) and prints what OpenDT's services get: the whole model (`model_dump()`), or the error
that stops them. It also prints, for each scalar of SCALARS (a JSON list of strings), how PyYAML
reads it written plainly (`k: SCALAR`), and how pydantic's lax mode turns it, as a string, into an
int, a float and a bool: the coercions the config's fields apply.

    python3 scripts/opendt_config_reference.py CONFIG_PY CASES_DIR [--commit SHA] > EXPECTED.json

CONFIG_PY is OpenDT's libs/common/odt_common/config.py (atlarge-research/opendt), imported from
that path (it needs only PyYAML and pydantic). CASES_DIR holds the cases (*.yaml) and
scalars.json. Run outside a virtual environment, the script makes one in the cache
(OPENDT_REPLAY_CACHE, default ~/.cache/opendt-replay), installs the pinned PyYAML and pydantic
from PyPI into it, and runs itself there. test/fixtures/opendt-config/expected.json is its output;
test/unit/opendt-reference.test.ts reads it.
"""
import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

PYDANTIC = "2.14.4"
PYYAML = "6.0.4"


def ensure_venv() -> None:
    """Re-runs this script in a virtual environment holding the pinned PyYAML and pydantic."""
    if os.environ.get("OPENDT_REFERENCE_VENV"):
        return
    cache = Path(os.environ.get("OPENDT_REPLAY_CACHE", Path.home() / ".cache" / "opendt-replay"))
    venv = cache / f"opendt-config-pydantic-{PYDANTIC}-pyyaml-{PYYAML}"
    if not (venv / ".complete").exists():
        print(f"installing pydantic {PYDANTIC} and PyYAML {PYYAML} from PyPI into {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
             f"pydantic=={PYDANTIC}", f"PyYAML=={PYYAML}"],
            check=True, stdout=sys.stderr,
        )
        (venv / ".complete").touch()
    env = dict(os.environ, OPENDT_REFERENCE_VENV="1")
    os.execve(str(venv / "bin" / "python"), [str(venv / "bin" / "python"), *sys.argv], env)


def plain(value):
    """A Python value as JSON that keeps what JSON would lose: big ints, inf and nan, dates, bools."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 else {"int": str(value)}
    if isinstance(value, float):
        if math.isnan(value):
            return {"float": "nan"}
        if math.isinf(value):
            return {"float": "inf" if value > 0 else "-inf"}
        return {"float": value}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return {type(value).__name__: str(value)}


def scalar(value):
    """How PyYAML read a scalar: its Python type and value."""
    if isinstance(value, bool):
        return {"bool": value}
    if value is None:
        return {"null": None}
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, float):
        return plain(value)
    if isinstance(value, str):
        return {"str": value}
    return {type(value).__name__: str(value)}


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    commit = sys.argv[sys.argv.index("--commit") + 1] if "--commit" in sys.argv else None
    if commit:
        args.remove(commit)
    config_py, cases = Path(args[0]), Path(args[1])
    ensure_venv()

    import pydantic
    import yaml
    from pydantic import BaseModel, ValidationError

    spec = importlib.util.spec_from_file_location("odt_common_config", config_py)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    results = {}
    os.chdir(cases)  # each case by its file name, as OpenDT's messages name it
    for path in sorted(Path(".").glob("*.yaml")):
        try:
            results[path.name] = {"ok": plain(module.AppConfig.load(path).model_dump())}
        except ValidationError as error:
            first = error.errors()[0]
            results[path.name] = {"error": {"loc": [str(p) for p in first["loc"]], "type": first["type"]}}
        except yaml.YAMLError as error:
            results[path.name] = {"error": {"type": "yaml", "message": str(error).splitlines()[0]}}
        except (TypeError, ValueError) as error:
            results[path.name] = {"error": {"type": type(error).__name__, "message": str(error)}}

    class AsInt(BaseModel):
        v: int

    class AsFloat(BaseModel):
        v: float

    class AsBool(BaseModel):
        v: bool

    def coerce(model, text):
        try:
            return {"ok": plain(model(v=text).v)}
        except ValidationError as error:
            return {"error": error.errors()[0]["type"]}

    scalars = {}
    for text in json.loads(Path("scalars.json").read_text()):
        try:
            read = scalar(yaml.safe_load(f"k: {text}\n")["k"])
        except yaml.YAMLError as error:
            read = {"error": type(error).__name__}
        scalars[text] = {
            "pyyaml": read,
            "int": coerce(AsInt, text),
            "float": coerce(AsFloat, text),
            "bool": coerce(AsBool, text),
        }

    json.dump(
        {
            "opendt": {"commit": commit, "file": "libs/common/odt_common/config.py"},
            "pydantic": pydantic.VERSION,
            "pyyaml": yaml.__version__,
            "cases": results,
            "scalars": scalars,
        },
        sys.stdout,
        indent=1,
        sort_keys=True,
    )
    print()


if __name__ == "__main__":
    main()
