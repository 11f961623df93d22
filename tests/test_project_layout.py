"""The project's files are laid out so that an analyst's addition lands where it should."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

MODELS = Path(__file__).resolve().parent.parent / "models"
# models/semantic/ holds the semantic layer (semantic models, metrics) beside its one model.
MODEL_FILES = sorted(p for p in MODELS.rglob("_*__models.yml") if p.parent.name != "semantic")


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.parent.name)
def test_a_model_entry_appended_to_a_models_yml_is_a_model(path: Path) -> None:
    """An entry appended at the end of a folder's `_<folder>__models.yml`, as the README's
    "add your own report" says, becomes a model: the file holds models only, and unit tests
    live in `_<folder>__unit_tests.yml` beside it."""
    text = path.read_text(encoding="utf-8")
    assert set(yaml.safe_load(text)) == {"version", "models"}
    appended = yaml.safe_load(
        text.rstrip("\n") + "\n  - name: rpt_my_report\n    description: mine\n"
    )
    assert appended["models"][-1] == {"name": "rpt_my_report", "description": "mine"}


def test_unit_tests_live_in_their_own_files() -> None:
    unit_test_files = sorted(MODELS.rglob("_*__unit_tests.yml"))
    assert unit_test_files, "no _<folder>__unit_tests.yml found"
    for path in unit_test_files:
        assert set(yaml.safe_load(path.read_text(encoding="utf-8"))) == {"version", "unit_tests"}
        assert path.with_name(path.name.replace("__unit_tests", "__models")).exists()
