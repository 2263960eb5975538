"""Documentation derived from the registry stays in step with it."""
from pathlib import Path

from numopt.registry import method_table

ROOT = Path(__file__).resolve().parents[1]


def test_method_table_in_docs_is_current():
    text = (ROOT / "docs" / "methods.md").read_text()
    assert method_table() in text, "docs/methods.md is stale: regenerate with `numopt methods --markdown`"


def test_readme_opens_with_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    cmds = [ln for ln in lines[:6] if ln.startswith("python3 -m venv")]
    assert len(cmds) == 2
    assert cmds[0].endswith("numopt bench") and "pytest" in cmds[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert cmds[1].split("&& ", 2)[2] in ci, "CI must run the README's test command"
