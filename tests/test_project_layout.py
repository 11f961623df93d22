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


ROOT = MODELS.parent


def test_the_readme_is_short_and_in_a_newcomers_order() -> None:
    """At most 250 lines; the sections a newcomer needs, in the order they need them, and the
    Quickstart's two commands: one builds and shows the fees, one runs every test."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250
    sections = [line[3:] for line in lines if line.startswith("## ")]
    assert sections == [
        "Quickstart", "Your own data", "Reading the fee table and the reconciliation",
        "The statement", "BI tools", "Metrics", "Add your own report", "More"]
    quickstart = lines[lines.index("## Quickstart"):lines.index("## Your own data")]
    block = quickstart[quickstart.index("```sh") + 1:]
    commands = [line.split("#")[0].strip() for line in block[:block.index("```")]]
    assert commands == ["make run", "make test"]
    own_data = lines[lines.index("## Your own data"):]
    assert own_data[2] == "### Try it first"


def test_every_decision_says_where_it_is_implemented_and_which_tests_check_it() -> None:
    """Each DECISIONLOG entry names its files, which exist, and its tests, which exist: a pytest
    function in the file named, or a dbt unit test or singular data test of that name."""
    import re

    text = (ROOT / "DECISIONLOG.md").read_text(encoding="utf-8")
    entries = re.split(r"^## (?=D\d+\.)", text, flags=re.MULTILINE)[1:]
    assert len(entries) >= 40
    unit_tests = " ".join(p.read_text(encoding="utf-8") for p in MODELS.rglob("*.yml"))
    for entry in entries:
        number = entry.split(".")[0]
        implemented = re.search(r"^\*\*Implemented in:\*\*(.*?)(?=\n\n|\Z)", entry, re.S | re.M)
        checked = re.search(r"^\*\*Checked by:\*\*(.*?)(?=\n\n|\Z)", entry, re.S | re.M)
        assert implemented and checked, f"{number} lacks its Implemented in / Checked by lines"
        for path in re.findall(r"`([\w./-]+\.(?:sql|yml|py|md))`", implemented.group(1)):
            assert (ROOT / path).exists(), f"{number}: {path} does not exist"
        cited = checked.group(1)
        # "`test_a` and `test_b` in `tests/x.py`": every test name before a file is in it
        for names, path in re.findall(r"((?:(?!`tests/).)*?) in `(tests/[\w/]+\.py)`", cited,
                                      re.S):
            source = (ROOT / path).read_text(encoding="utf-8")
            for name in re.findall(r"`(test_\w+)`", names):
                assert f"def {name}(" in source, f"{number}: no {name} in {path}"
        for name in re.findall(r"unit test `(\w+)`", cited):
            assert f"- name: {name}\n" in unit_tests, f"{number}: no unit test {name}"
