"""The live progress line: what it says, and how it prints on a terminal and elsewhere."""
import io

import pytest

from loadtests.windows import StageWindow
from loadtests.progress import live_line
from slobench import cli

W = StageWindow(index=1, name="s2-1000rps", users=100, offered_rps=1000, start_s=20, end_s=40, measure_from_s=23)


def test_the_line_says_where_the_run_is_and_how_it_goes():
    assert live_line(W, 6, 32.4, 100, 998.2, 4.2, 0) == (
        "[slobench] live stage 2/6 s2-1000rps: 12 s of 20 s (8 s left), 100 users, 998 req/s, client p95 4 ms, failures 0")


def test_a_held_stage_says_it_is_held_and_for_how_long():
    held = StageWindow(1, "s2-1000rps", 100, 1000, 20, 55, 23, held_from_s=30)
    assert live_line(held, 7, 42.4, 1, 310.0, 900.0, 0) == (
        "[slobench] live stage 2/7 s2-1000rps: held for 12 s (other work took the API's core), 310 req/s served of the "
        "queue it left")


@pytest.mark.parametrize("tty, expected", [
    (True, "\rlive stage 2/6 a\033[K\r\033[Kdone\n"),
    (False, "[slobench] live stage 2/6 a\ndone\n"),
], ids=["a terminal rewrites the line in place", "a log gets plain lines"])
def test_the_line_rewrites_itself_only_on_a_terminal(monkeypatch, tty, expected):
    out = io.StringIO()
    out.isatty = lambda: tty
    monkeypatch.setattr(cli.sys, "stdout", out)
    cli._say("[slobench] live stage 2/6 a")
    cli._say("done")
    assert out.getvalue() == expected
