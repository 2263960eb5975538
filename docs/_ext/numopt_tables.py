"""Sphinx extension: pages generated from numopt's registry at build time.

On ``builder-inited`` it writes ``docs/_generated/``:

* ``methods.md``: every registered method (the same table as ``numopt methods --markdown``);
* ``capabilities.md``: the decision table "which method handles my problem", from each
  method's declared ``supports`` (problem structure) and ``requires`` (oracles);
* ``options.md``: every option of every native method, its default and what ``tol`` sets.

So the site can never list a method that is not registered, or miss one that is.
"""
from __future__ import annotations

from pathlib import Path

#: problem structures in the order a reader meets them, with a plain-words description
STRUCTURE_WORDS = {
    "": "smooth, unconstrained",
    "bounds": "bound constraints `lb <= x <= ub`",
    "eq_constraints": "equality constraints `c(x) = 0`",
    "ineq_constraints": "inequality constraints",
    "nonsmooth": "smooth + nonsmooth term with a prox (lasso, TV, indicators)",
    "consensus": "N coupled subproblems sharing variables (consensus)",
    "federated_wls": "federated weighted least squares",
    "convex_relu": "two-layer ReLU network training (convex reformulation)",
    "entropic_ot": "entropic optimal transport",
    "monotone_inclusion": "monotone inclusion / saddle point `0 in F(u) + G(u)`",
    "bilevel": "bilevel problem `min_x f(x, y*(x))`",
    "lower_constraints": "bilevel with a constrained lower level",
    "dag": "DAG structure learning (NOTEARS score)",
    "network": "Lipschitz bound of a neural network",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def methods_page() -> str:
    from numopt.registry import method_table
    return ("# All methods\n\nGenerated from the registry at build time "
            "(also printed by `numopt methods`).\n\n" + method_table() + "\n")


def capabilities_page() -> str:
    from numopt.registry import all_specs, methods
    specs = sorted(all_specs(), key=lambda s: (s.auto_rank is None, s.auto_rank or 0, s.family, s.name))
    lines = ["# Choosing a method: what each method can handle", "",
             "Generated from the registry at build time: each method declares the problem structure it "
             "handles (`supports`) and the oracles it needs (`requires`); `numopt.methods(problem=p)` "
             "applies the same test to your problem object. Methods are listed in the order "
             "`method=None` would try them (automatic choice first, then the others).", ""]
    known = list(STRUCTURE_WORDS)
    extra = sorted({x for s in specs for x in s.supports} - set(known))
    for key in known + extra:
        if key == "":       # exactly what the registry's own test accepts for a plain objective
            import numpy as np
            from numopt.problems import Objective
            plain = Objective(lambda x: float(x @ x), np.zeros(2), jac=lambda x: 2 * x)
            ok = set(methods(problem=plain))
            chosen = [s for s in specs if s.name in ok]
        else:
            chosen = [s for s in specs if key in s.supports]
        if not chosen:
            continue
        lines += [f"## {STRUCTURE_WORDS.get(key, key)}", "", "| method | family | needs | auto | work unit | summary |",
                  "|---|---|---|---|---|---|"]
        for s in chosen:
            lines.append(f"| `{s.name}` | {s.family} | {', '.join(sorted(s.requires)) or '-'} | "
                         f"{'yes' if s.auto_rank is not None else '-'} | {s.work_unit} | {_cell(s.summary)} |")
        lines.append("")
    return "\n".join(lines)


def options_page() -> str:
    import dataclasses
    from numopt.registry import all_specs
    lines = ["# Options of every method", "",
             "Generated from the options dataclasses at build time (`numopt.show_options(method)` prints "
             "the same). Unknown option names raise a `ValueError` listing these. scipy's methods take "
             "scipy's options (see `scipy.optimize.show_options`).", ""]
    for s in sorted(all_specs(), key=lambda s: (s.family, s.name)):
        if s.options is None:
            continue
        lines += [f"## `{s.name}`", "", _cell(s.summary), ""]
        if s.tol_options:
            lines += [f"`tol=` sets: {', '.join(f'`{t}`' for t in s.tol_options)}", ""]
        lines += ["| option | default | meaning |", "|---|---|---|"]
        for f in dataclasses.fields(s.options):
            default = f.default if f.default is not dataclasses.MISSING else (
                f.default_factory() if f.default_factory is not dataclasses.MISSING else "")
            lines.append(f"| `{f.name}` | `{_cell(repr(default))}` | {_cell(f.metadata.get('doc', ''))} |")
        lines.append("")
    return "\n".join(lines)


def write_pages(app=None, outdir: Path | None = None) -> list[Path]:
    out = Path(outdir) if outdir else Path(__file__).resolve().parents[1] / "_generated"
    out.mkdir(exist_ok=True)
    written = []
    for name, make in (("methods.md", methods_page), ("capabilities.md", capabilities_page),
                       ("options.md", options_page)):
        p = out / name
        text = make()
        if not p.exists() or p.read_text() != text:      # unchanged pages keep their mtime
            p.write_text(text)
        written.append(p)
    return written


def setup(app):
    app.connect("builder-inited", lambda app: write_pages(app))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
