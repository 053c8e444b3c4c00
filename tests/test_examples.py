"""Every script in examples/ runs end to end with --quick (a tiny run), so none can rot unnoticed.

Each runs as a user would run it, ``python examples/NAME.py --quick``, in a subprocess
with this checkout's glassnet first on the path. Scripts that need a real dataset
(MNIST, Fashion-MNIST, Boston) are skipped without GLASSNET_DATA_DIR.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))
NEEDS_REAL_DATA = {
    "perceptron_vs_mlp.py": "MNIST",
    "mlp_keras_validation.py": "MNIST",
    "lenet5_mnist.py": "MNIST",
    "step8_mnist_cnn.py": "MNIST",
    "step8_fashion_cnn.py": "Fashion-MNIST",
    "boston_linear_regression.py": "Boston housing",
}
RESULTS_PER_SCRIPT = {"perceptron_vs_mlp.py": 2, "step8_colors.py": 2, "step8_shapes.py": 2, "cifar_small.py": 2}


def run_example(name: str, *args: str) -> subprocess.CompletedProcess:
    """Run examples/NAME with ``args`` as a user would, with this checkout's src/ first on the path."""
    pythonpath = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": pythonpath, "GLASSNET_OFFLINE": "1"}
    return subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


def test_the_expected_examples_exist():
    expected = {*NEEDS_REAL_DATA, "step8_colors.py", "step8_shapes.py", "cifar_small.py"}
    assert expected <= set(SCRIPTS), f"missing: {sorted(expected - set(SCRIPTS))}"


@pytest.mark.parametrize("name", SCRIPTS)
def test_example_says_what_the_course_did_and_is_listed(name):
    doc = ast.get_docstring(ast.parse((EXAMPLES / name).read_text(encoding="utf-8")))
    assert doc and "course" in doc.lower(), f"{name}: the docstring should say what the course did and reached"
    assert f"examples/{name}" in (EXAMPLES / "README.md").read_text(encoding="utf-8"), f"{name} not in README.md"


@pytest.mark.parametrize("name", SCRIPTS)
def test_example_runs_quick(name):
    dataset = NEEDS_REAL_DATA.get(name)
    data_dir = os.environ.get("GLASSNET_DATA_DIR")
    if dataset and not (data_dir and Path(data_dir).is_dir()):
        pytest.skip(f"{name} needs the real {dataset} files: set GLASSNET_DATA_DIR to the folder holding them "
                    "(CI sets it to ../shared/datasets)")
    done = run_example(name, "--quick")
    assert done.returncode == 0, f"{name} --quick failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    results = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(results) == RESULTS_PER_SCRIPT.get(name, 1), done.stdout[-2000:]
    assert all("course:" in line and "seed 0" in line for line in results)


def test_help_is_the_docstring():
    done = run_example("step8_colors.py", "--help")
    assert done.returncode == 0 and "--epochs" in done.stdout and "--quick" in done.stdout
    assert "96.3 %" in done.stdout  # the course's figure, from the docstring
