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
    # Held while the load ran (loadtests/holds.py): when its arrivals stopped (other work took the API's core), and
    # the stage that ran it again in full; that stage names the one it ran again.
    held_from: float | None = None
    again: str | None = None
    again_of: str | None = None

    @property
    def rate(self) -> float:
        """The rate the stage is placed at: the arrivals the generator counted in its measured window (sent, and
        dropped for lack of a free user) over the window, where it declared a rate and counted them; else the rate
        it declared; else what it achieved (a stage that collapsed achieved far less than it offered, and belongs
        where it was offered). A Poisson schedule's arrivals in a 22 s window stray about 3 % from its declared
        rate, and near the knee the share over a threshold moves that much with it: placed at the declared rates,
        the knee's fit scattered up to 2.1 times more than its stages' intervals allow in quiet default runs, at
        the arrivals counted, at most 1.2 times; its median width over 31 runs of 2026-12-05 and 06, re-read, went
        from 18.3 to 15.8 % of its low end, and simulated ladders held the knee as often or more (docs/trusting-the-
        numbers.md)."""
        arrivals = (self.client.sent or 0) + (self.client.dropped or 0)
        if self.offered_rps and arrivals and self.server.window_s > 0:
            return round(arrivals / self.server.window_s, 3)
        return self.declared_rate

    @property
    def declared_rate(self) -> float:
        """The rate the profile declared for the stage, else what it achieved (a closed-model stage declares none):
        the rate a reader sees in the report's table, and the one runs of a repeat set are matched by."""
        return self.offered_rps or self.server.rps_all_traffic or 0.0

    @property
    def departed(self) -> bool:
        """Whether the stage ran on a machine of another speed than the rest of its run, or served the queue such a
        stage left (slo/verdicts/machine.py marks it), or was held while other work took the API's core."""
        m = self.machine
        return bool(m and (m.slowed or m.faster or m.after)) or self.held_from is not None

    def objective(self, name: str) -> ObjectiveResult | None:
        """The stage's row of objective `name`, None where the stage has none."""
        return next((o for o in self.objectives if o.name == name), None)
