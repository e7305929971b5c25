"""The scaffolded exercises of notebooks 01-04 follow the course's convention, and stay in step with their checks.

Each notebook has at least one exercise made of three code cells (as notebook 06 does):

1. a stub the student fills in, which raises ``NotImplementedError``;
2. a check cell defining ``check_exercise_N()`` that prints "not done yet: ..." for the stub;
3. a solution cell tagged ``solution`` and ``voila-skip`` (hidden from the Voilà page), starting with
   ``# solution (hidden; run it to see the check pass)``, whose committed output is "correct!".

nbval re-executes every cell and compares these outputs, so a solution that drifts from its check fails
there; this file checks the structure statically (no kernel, milliseconds), and that what students read
carries no maintainer-facing text.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
BOOKS = ["01_lif_neuron.ipynb", "02_spike_encoding.ipynb", "03_memristor.ipynb", "04_crossbar.ipynb"]
SOLUTION_HEADER = "# solution (hidden; run it to see the check pass)"


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def _read(name: str):
    return nbformat.read(NOTEBOOKS / name, as_version=4)


@pytest.mark.parametrize("name", BOOKS)
def test_scaffolded_exercise(name):
    cells = _read(name).cells
    checks = [i for i, c in enumerate(cells) if c.cell_type == "code" and re.search(r"def check_exercise_\d+\(", c.source)]
    assert checks, f"{name}: no check_exercise_N() cell"
    for i in checks:
        number = re.search(r"def check_exercise_(\d+)\(", cells[i].source).group(1)
        stub = cells[i - 1]
        assert stub.cell_type == "code" and "raise NotImplementedError" in stub.source, \
            f"{name}: the cell before check_exercise_{number} is not a stub raising NotImplementedError"
        assert "except NotImplementedError" in cells[i].source
        assert _stdout(cells[i]).startswith("not done yet:"), f"{name}: check {number} did not report the stub"
        solution = cells[i + 1]
        tags = set(solution.metadata.get("tags", []))
        assert {"solution", "voila-skip"} <= tags, f"{name}: solution {number} is not tagged solution/voila-skip"
        assert solution.source.startswith(SOLUTION_HEADER), f"{name}: solution {number} lacks its header line"
        assert f"check_exercise_{number}()" in solution.source, f"{name}: solution {number} does not run its check"
        assert _stdout(solution).strip() == "correct!", f"{name}: solution {number} does not pass its check"


@pytest.mark.parametrize("name", BOOKS)
def test_no_developer_text_for_students(name):
    for i, cell in enumerate(_read(name).cells):
        if cell.cell_type != "markdown":
            continue
        for pattern in (r"NBVAL", r"\bnbval\b", r"the tests?\b", r"\bpytest\b", r"run the notebook live"):
            assert not re.search(pattern, cell.source), f"{name}, cell {i}: student-facing text says {pattern!r}"


@pytest.mark.parametrize("name", BOOKS)
def test_solution_cells_hidden_from_voila(name):
    for i, cell in enumerate(_read(name).cells):
        if cell.cell_type == "code" and cell.source.startswith("# solution"):
            assert {"solution", "voila-skip"} <= set(cell.metadata.get("tags", [])), f"{name}, cell {i}"
