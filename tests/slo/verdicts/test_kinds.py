"""Objective kinds as classes: every kind an SLO file can declare has its one judging class."""
import typing
from types import SimpleNamespace

import pytest

from slo.file.model import Objective
from slo.verdicts.kinds import KIND_NAMED, KINDS, kind_of


def test_every_kind_an_slo_file_can_declare_is_judged_by_one_class():
    declared = set(typing.get_args(typing.get_args(Objective)[0]))
    assert declared == set(KINDS), declared ^ set(KINDS)


def test_every_kind_is_found_by_the_name_its_report_rows_carry():
    assert {type(k) for k in KIND_NAMED.values()} == {type(k) for k in KINDS.values()}
    assert all(kind_of(SimpleNamespace(kind=name)) is kind for name, kind in KIND_NAMED.items())


def _row(kind: str, quantile: float | None = None) -> SimpleNamespace:
    return SimpleNamespace(kind=kind, quantile=quantile)


@pytest.mark.parametrize("row, asked, answer", [
    (_row("latency_quantile", 0.99), lambda k, r: k.is_tail(r), True),
    (_row("latency_quantile", 0.5), lambda k, r: k.is_tail(r), False),
    (_row("latency_mean"), lambda k, r: k.averages, True),
    (_row("latency_quantile", 0.5), lambda k, r: k.rises_with_load, True),
    (_row("error_ratio"), lambda k, r: k.rises_with_load, False),
    (_row("latency_mean"), lambda k, r: k.pooled, "mean"),
    (_row("error_ratio"), lambda k, r: k.pooled, "share"),
    (_row("availability"), lambda k, r: k.pooled, None),
    (_row("answers"), lambda k, r: k.shown_live, False),
    (_row("throughput"), lambda k, r: k.shown_live, True),
    (_row("throughput"), lambda k, r: k.keeps_up, True),
], ids=["p99 is a tail a mean can hide", "p50 is not", "the mean is an average that can hide one",
        "a quantile's share over its threshold rises with the load (the knee's curve)", "the error ratio's is not fitted",
        "a repeat set pools means by their blocks", "and an error ratio's counts", "but not availability's census",
        "the live tab has no answers (checked after the run)", "but has the throughput so far",
        "a throughput failure says the API did not keep up"])
def test_what_reads_a_reports_rows_asks_their_kind(row, asked, answer):
    assert asked(kind_of(row), row) == answer
