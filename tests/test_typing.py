"""The package is typed (it ships py.typed): mypy --strict, configured in pyproject.toml, finds no errors in it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_strict_finds_no_type_errors_in_the_package(tmp_path: Path) -> None:
    # No options: the files and the strictness come from [tool.mypy] in pyproject.toml, as for `make typecheck`.
    done = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout
