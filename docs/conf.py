"""Sphinx configuration of numopt's documentation site.

Build (from the repository root, after ``pip install -e '.[docs]'``)::

    sphinx-build -W --keep-going -b html docs build/site

Sources are the Markdown pages of ``docs/`` (MyST), the gallery rendered by sphinx-gallery
from ``docs/examples/*.py`` (executed at build time at their small default size), the API
reference from the numpydoc docstrings, and the tables that ``_ext/numopt_tables.py`` generates
from the registry at build time (methods, capabilities, options).
"""
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("MPLBACKEND", "Agg")

import numopt  # noqa: E402

project = "numopt"
author = "the numopt developers"
copyright = "2026, the numopt developers"
release = version = getattr(numopt, "__version__", "0")

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "numopt_tables",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "examples/*", "methods.md", "sg_execution_times.rst", "bench-sample/records.jsonl",
                    "benchmarks/*.txt", "**/records.jsonl", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5", "auto_examples/*.json"]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]    # pages written for GitHub start at heading level 2 in places

autosummary_generate = True
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()

intersphinx_mapping = {}      # no network at build time

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",   # every example is executed (each asserts its own claim)
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "plot_gallery": os.environ.get("NUMOPT_GALLERY", "True"),
    "matplotlib_animations": False,
    "write_computation_times": False,
}

html_theme = "pydata_sphinx_theme"
html_title = "numopt"
html_theme_options = {"show_toc_level": 2, "navigation_with_keys": False}
html_static_path = []
