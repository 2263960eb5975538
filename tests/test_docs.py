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


# ---------------------------------------------------------------------------------------------
# Snippets of the README and the guide are executed: what a reader copies runs.
# ---------------------------------------------------------------------------------------------
import ast  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

SNIPPET_PAGES = sorted([ROOT / "README.md", *(ROOT / "docs" / "guide").glob("*.md"),
                        *[p for p in (ROOT / "docs" / "from-scipy.md", ROOT / "docs" / "from-pot.md") if p.exists()]])


def python_snippets(path: Path) -> str:
    """The page's ```python blocks, in order, as one script (a page's blocks build on each other)."""
    return "\n\n".join(re.findall(r"^```python\n(.*?)^```", path.read_text(), re.S | re.M))


@pytest.mark.parametrize("page", [p for p in SNIPPET_PAGES if python_snippets(p)],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_snippets_of_the_page_run(page, tmp_path):
    code = python_snippets(page)
    ast.parse(code)                                      # a syntax error is reported with the page's name
    script = tmp_path / (page.stem + "_snippets.py")
    script.write_text(code)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=600)
    assert out.returncode == 0, f"a snippet of {page.name} failed:\n{out.stderr[-3000:]}"


def test_every_guide_page_is_in_the_guide_toctree():
    index = (ROOT / "docs" / "guide" / "index.md").read_text()
    for page in (ROOT / "docs" / "guide").glob("*.md"):
        if page.stem != "index":
            assert f"\n{page.stem}\n" in index, f"docs/guide/{page.name} is not listed in docs/guide/index.md"


EXAMPLES = sorted((ROOT / "docs" / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_examples_open_with_a_gallery_title(script):
    """sphinx-gallery renders the module docstring: a title line underlined with '=' first."""
    doc = ast.get_docstring(ast.parse(script.read_text()), clean=False) or ""
    lines = doc.strip("\n").splitlines()
    assert len(lines) >= 2 and lines[1] and set(lines[1]) == {"="} and len(lines[1]) >= len(lines[0].strip()), \
        f"{script.name}: the docstring must start with a title underlined by '=' (sphinx-gallery)"


def test_site_tables_list_exactly_the_registered_methods():
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        import numopt_tables
    finally:
        sys.path.pop(0)
    from numopt.registry import all_specs
    page = numopt_tables.methods_page()
    listed = set(re.findall(r"^\| `([^`]+)` \|", page, re.M))
    assert listed == {s.name for s in all_specs()}
    options = numopt_tables.options_page()
    native = {s.name for s in all_specs() if s.options is not None}
    assert set(re.findall(r"^## `([^`]+)`", options, re.M)) == native
