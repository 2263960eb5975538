"""The ``numopt`` command line: ``numopt methods``, ``numopt show-options METHOD``, ``numopt bench``."""
from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _cmd_methods(args) -> int:
    from . import registry
    if args.markdown:
        sys.stdout.write(registry.method_table() + "\n")
        return 0
    specs = {s.name: s for s in registry.all_specs()}
    for name in registry.methods(family=args.family):
        s = specs[name]
        alias = f" (aliases: {', '.join(s.aliases)})" if s.aliases else ""
        sys.stdout.write(f"{name:<16} {s.family:<12} {s.summary}{alias}\n")
    return 0


def _cmd_show_options(args) -> int:
    from . import registry
    registry.show_options(args.method)
    return 0


def _add_bench(sub) -> None:
    """The benchmark runner registers its own sub-command when it is installed."""
    try:
        from .bench.cli import add_parser
    except ImportError:
        return
    add_parser(sub)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="numopt", description="numopt: numerical optimization solvers behind one scipy-like facade.",
        epilog="Run 'numopt COMMAND --help' for the options of a command.")
    parser.add_argument("--version", action="version", version=f"numopt {__import__('numopt').__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("methods", help="list the registered methods",
                       description="List the registered methods (numopt's own and scipy's pass-through).")
    p.add_argument("--family", help="only the methods of this family (e.g. proximal, scipy)")
    p.add_argument("--markdown", action="store_true", help="print the docs' Markdown table")
    p.set_defaults(func=_cmd_methods)
    p = sub.add_parser("show-options", help="show the options of a method",
                       description="Show the documented options of METHOD, their defaults and what tol sets.")
    p.add_argument("method", help="a method name, e.g. prox-grad or L-BFGS-B")
    p.set_defaults(func=_cmd_show_options)
    _add_bench(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError) as exc:
        sys.stderr.write(f"numopt: error: {exc}\n")
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
