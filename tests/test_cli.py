"""The numopt command line."""
import subprocess
import sys

from numopt.cli import main


def test_methods_and_show_options(capsys):
    assert main(["methods"]) == 0
    out = capsys.readouterr().out
    assert "prox-grad" in out and "l-bfgs-b" in out
    assert main(["methods", "--family", "proximal"]) == 0
    assert capsys.readouterr().out.startswith("prox-grad")
    assert main(["show-options", "fista"]) == 0
    assert "gtol" in capsys.readouterr().out


def test_errors_are_reported_not_raised(capsys):
    assert main(["show-options", "no-such-method"]) == 2
    assert "unknown method 'no-such-method'" in capsys.readouterr().err


def test_help_of_every_command():
    for args in ([], ["methods"], ["show-options"]):
        out = subprocess.run([sys.executable, "-m", "numopt", *args, "--help"], capture_output=True, text=True)
        assert out.returncode == 0 and "usage: numopt" in out.stdout
