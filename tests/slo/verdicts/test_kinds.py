"""Objective kinds as classes: every kind an SLO file can declare has its one judging class."""
import typing

from slo.file.model import Objective
from slo.verdicts.kinds import KINDS


def test_every_kind_an_slo_file_can_declare_is_judged_by_one_class():
    declared = set(typing.get_args(typing.get_args(Objective)[0]))
    assert declared == set(KINDS), declared ^ set(KINDS)
