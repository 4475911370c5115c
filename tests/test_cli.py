"""The dispatcher's contract for every command: one stderr line and an exit code, never a traceback."""

from __future__ import annotations

import argparse

import pytest

from agent.cli import run
from tools.errors import InputError


def _command(error: BaseException):
    def func(args):
        raise error

    return argparse.Namespace(func=func)


def test_input_error_is_one_line_and_exit_2(capsys):
    assert run(_command(InputError("bad plan", path="plan.txt", line=3))) == 2
    assert capsys.readouterr().err == "plan.txt:3: bad plan\n"


def test_an_internal_error_is_one_line_and_exit_2(capsys, monkeypatch):
    monkeypatch.delenv("LMAGENT_DEBUG", raising=False)
    assert run(_command(ZeroDivisionError("division by zero"))) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("lmagent: internal error: ZeroDivisionError: division by zero")


def test_lmagent_debug_shows_the_traceback(monkeypatch):
    monkeypatch.setenv("LMAGENT_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        run(_command(ZeroDivisionError("division by zero")))


def test_command_result_is_the_exit_code():
    assert run(argparse.Namespace(func=lambda args: 1)) == 1
    assert run(argparse.Namespace(func=lambda args: None)) == 0
