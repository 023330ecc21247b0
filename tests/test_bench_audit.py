"""The audit benchmark runs end to end (tiny sizes, SQLite only: no timing checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_audit_benchmark_smoke() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "audit.py"),
            "--no-postgres",
            "--events",
            "300",
            "--appends",
            "20",
            "--writers",
            "2",
            "--per-writer",
            "10",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "| sqlite | 1 writer |" in out and "| sqlite | 2 writer processes |" in out
    assert "| verify rate, events/s |" in out and "| at 300 events | sqlite |" in out
