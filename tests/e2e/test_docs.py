"""docs/results-file.md's tables of every experiment's parameters and columns are generated from
the registry (scripts/update-docs.sh): this fails while they are stale."""
import os
import subprocess
import sys

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "docs.py")


def test_results_file_doc_matches_the_registry():
    r = subprocess.run([sys.executable, SCRIPT, "--check", os.environ["NNSWEEP_BIN"]],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
