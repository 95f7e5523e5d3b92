"""One stage of the run as judged: its window, its figures, every objective and its status."""
from __future__ import annotations

from slo.verdicts.report.measured import (ClientFigures, ClientGap, QuantileAccuracy, Reconciliation, ServerFigures,
                                         StageLooks, StageMachine)
from slo.verdicts.report.frozen import Frozen
from slo.verdicts.report.objective import ObjectiveResult


class Window(Frozen):
    """The measured part of a stage, in wall-clock seconds."""
    start: float
    end: float
    seconds: float


class Stage(Frozen):
    """One stage of the run as judged: its window, the server's and the generators' figures, every objective, its
    status and what the checks of its figures found."""
    index: int
    name: str
    users: int | None = None
    offered_rps: float | None = None
    began: float
    window: Window
    completed: bool = True
    gated: bool = False
    refine: bool = False
    looks: StageLooks | None = None
    server: ServerFigures
    client: ClientFigures = ClientFigures()
    gap: ClientGap = ClientGap()
    objectives: list[ObjectiveResult]
    status: str
    machine: StageMachine | None = None
    accuracy: QuantileAccuracy | None = None
    reconciliation: Reconciliation = Reconciliation()
    collapsed: bool = False
    client_breaks: list[str] = []

    @property
    def rate(self) -> float:
        """The rate the stage is placed at: what it offered when the profile declares it, else what it achieved (a
        stage that collapsed achieved far less than it offered, and belongs where it was offered)."""
        return self.offered_rps or self.server.rps_all_traffic or 0.0

    @property
    def departed(self) -> bool:
        """Whether the stage ran on a machine of another speed than the rest of its run, or served the queue such a
        stage left (slo/verdicts/machine.py marks it)."""
        m = self.machine
        return bool(m and (m.slowed or m.faster or m.after))

    def objective(self, name: str) -> ObjectiveResult | None:
        """The stage's row of objective `name`, None where the stage has none."""
        return next((o for o in self.objectives if o.name == name), None)
