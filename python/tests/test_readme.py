"""The Python examples of python/README.md and of the repository README run as written
(against the test cluster instead of `coterie dev`'s ports)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEV_PORTS = ["127.0.0.1:7101", "127.0.0.1:7102", "127.0.0.1:7103"]


def examples():
    for doc in (REPO / "python" / "README.md", REPO / "README.md"):
        for i, block in enumerate(re.findall(r"```python\n(.*?)```", doc.read_text(), re.S)):
            if "import coterie" in block or "from coterie" in block:
                yield pytest.param(block, id=f"{doc.relative_to(REPO)}#{i}")


@pytest.mark.parametrize("code", list(examples()))
def test_readme_example_runs(cluster, code):
    for dev, real in zip(DEV_PORTS, cluster.endpoints):
        code = code.replace(dev, real)
    assert not any(dev in code for dev in DEV_PORTS)
    # In a child process, as a user runs it; bounded.
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
