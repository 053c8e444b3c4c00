"""Packaging: what pyproject.toml declares, and the wheel it builds, installed into a fresh venv.

The wheel is built from a copy of the project (pyproject.toml, README.md, LICENSE, src/) in a
temporary folder, so that setuptools' build/ and egg-info never land in the checkout while
others work in it, and without build isolation, so that it needs no network: the test extra
installs ``build`` and ``setuptools>=77``, and ``build`` still checks that the installed
backend satisfies ``build-system.requires``.

The venv is made with ``--system-site-packages`` so that it reuses the numpy, numba,
matplotlib, fastapi ... already installed instead of downloading them again (about 150 MB);
glassnet itself is installed into it from the wheel with ``--no-deps``. Its own copy in the
venv's site-packages comes before the editable install of this checkout on sys.path, and the
test checks that the one imported is the venv's.
"""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

import glassnet

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "glassnet"
PROJECT_FILES = ["pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"]
TIMEOUT = 300  # seconds for any one step (build, venv, pip, the installed command)


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    return _normalize(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1))


def _third_party_imports() -> dict[str, list[str]]:
    """Top-level module -> the files of src/glassnet importing it, for every module not in the
    standard library nor glassnet itself (imports inside functions included)."""
    found: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("glassnet", "__future__"):
                    continue
                found.setdefault(top, []).append(str(path.relative_to(ROOT)))
    return found


def _imported_when_loaded() -> set[str]:
    """Top-level modules some file of src/glassnet imports when it is loaded: outside any function body."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name.split(".")[0] for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.add(child.module.split(".")[0])
            visit(child)

    for path in sorted(SRC.rglob("*.py")):
        visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return found


def test_every_third_party_import_is_a_declared_dependency():
    """A module imported by src/glassnet is a dependency; one imported only inside a function (onnx, by
    the ONNX export) may instead be in an optional extra other than the tests' own."""
    project = _pyproject()["project"]
    declared = {_requirement_name(r) for r in project["dependencies"]}
    optional = {_requirement_name(r) for extra, requirements in project["optional-dependencies"].items()
                if extra != "test" for r in requirements}
    when_loaded = _imported_when_loaded()
    distributions = packages_distributions()  # module -> the installed distributions providing it
    missing = []
    for module, files in sorted(_third_party_imports().items()):
        provided_by = {_normalize(d) for d in distributions.get(module, [])}
        assert provided_by, f"{module} (imported by {files[0]}) is not installed, so its distribution is unknown"
        if provided_by & declared or (module not in when_loaded and provided_by & optional):
            continue
        missing.append(f"{module} ({' or '.join(sorted(provided_by))}, imported by {files[0]})")
    assert not missing, ("imported by src/glassnet but neither in [project] dependencies nor, when imported only "
                         "inside functions, in an optional extra: " + ", ".join(missing))
    assert "torch" not in _third_party_imports(), "the library never imports PyTorch (only tests do)"


def test_build_system_and_license_are_declared():
    project = _pyproject()
    requires = project["build-system"]["requires"]
    assert requires == ["setuptools>=77"], "the SPDX license expression needs setuptools 77 or later"
    assert project["project"]["license"] == "MIT" and project["project"]["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Copyright (c) 2026 the glassnet authors" in text


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run ``command``, bounded by TIMEOUT; fail with its output if it fails; return its stdout."""
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, (f"{' '.join(command)} exited with {result.returncode}\n"
                                    f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}")
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of this checkout."""
    work = tmp_path_factory.mktemp("packaging")
    project = work / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, project / name)
    shutil.copytree(ROOT / "src", project / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(work / "dist"), str(project)],
         cwd=work)
    wheels = list((work / "dist").glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_the_wheel_holds_the_license_data_files_and_no_tests(wheel):
    version = glassnet.__version__
    assert wheel.name == f"glassnet-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = f"glassnet-{version}.dist-info"
        metadata = archive.read(f"{dist_info}/METADATA").decode("utf-8")
    for expected in [f"{dist_info}/licenses/LICENSE", "glassnet/py.typed",
                     "glassnet/demo/static/index.html", "glassnet/demo/static/app.js",
                     "glassnet/demo/static/style.css",
                     "glassnet/demo/lenet5_mnist.safetensors", "glassnet/demo/lenet5_mnist_samples.safetensors",
                     "glassnet/cli/__init__.py", "glassnet/version.py"]:
        assert expected in names, f"{expected} is not in {wheel.name}"
    static = {p.name for p in (SRC / "demo" / "static").iterdir() if p.is_file()}
    assert static == {n.rsplit("/", 1)[1] for n in names if n.startswith("glassnet/demo/static/")}
    modules = {"glassnet/" + p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")}
    assert modules <= names, f"modules missing from the wheel: {sorted(modules - names)}"
    assert not [n for n in names if n.startswith("tests/") or "/tests/" in n], "tests/ is in the wheel"
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".nbi", ".nbc"))]
    assert {n.split("/")[0] for n in names} == {"glassnet", dist_info}
    assert f"\nVersion: {version}\n" in metadata
    assert "\nLicense-Expression: MIT\n" in metadata and "\nLicense-File: LICENSE\n" in metadata
    for requirement in _pyproject()["project"]["dependencies"]:
        assert f"\nRequires-Dist: {requirement}\n" in metadata


def test_the_wheel_installs_and_runs_in_a_fresh_venv(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], cwd=tmp_path)
    scripts = venv / ("Scripts" if os.name == "nt" else "bin")
    python = scripts / "python"
    # The test run's own pip installs into the venv (--python): no pip is put into the venv.
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
          "--force-reinstall", "--disable-pip-version-check", "-q", str(wheel)], cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env["PYTHONNOUSERSITE"] = "1"

    printed = _run([str(scripts / "glassnet"), "--version"], cwd=tmp_path, env=env)
    assert printed.strip() == f"glassnet {glassnet.__version__}"

    out = _run([str(python), "-c",
                "import glassnet\n"
                "model = glassnet.zoo.lenet5()\n"
                "from glassnet.demo.modelfile import load_shipped\n"
                "shipped = load_shipped()\n"
                "print(glassnet.__file__)\n"
                "print(glassnet.__version__)\n"
                "print(len(shipped[1]))\n"], cwd=tmp_path, env=env)
    module_file, version, classes = out.strip().splitlines()
    module_file = Path(module_file).resolve()
    assert module_file.is_relative_to(venv.resolve()), f"imported {module_file}, not the venv's copy"
    assert not module_file.is_relative_to(ROOT)
    assert version == glassnet.__version__
    assert classes == "10"  # the shipped LeNet-5 and its samples load from the installed package


def test_lint_and_type_checks_are_configured_and_run_by_ci():
    """ruff and mypy: configured in pyproject.toml, installed by the test extra, run on src/ by .ci/run after the tests."""
    project = _pyproject()
    assert project["tool"]["ruff"]["lint"]["select"] and project["tool"]["mypy"]["files"] == ["src/glassnet"]
    test_extra = {_requirement_name(r) for r in project["project"]["optional-dependencies"]["test"]}
    assert {"ruff", "mypy"} <= test_extra
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    readme_command = 'pip install -e ".[test]" && python -m pytest'
    assert readme_command in (ROOT / "README.md").read_text(encoding="utf-8") and readme_command in ci
    after = ci[ci.index(readme_command) + 1:]
    assert "ruff check src" in after and "mypy src" in after
    # a targeted ignore names its error code (mypy's warn_unused_ignores then keeps it honest)
    bare = [f"{p.relative_to(ROOT)}:{n}" for p in sorted(SRC.rglob("*.py"))
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(r"#\s*type:\s*ignore(?!\[)", line)]
    assert not bare, f"'# type: ignore' without an error code: {bare}"
