"""The SLO report of a run as typed, frozen models: built once by the evaluator (slo/verdicts/evaluate.py), written as
slo_report.json, and read by attribute: from a stage's row on, by the machine's marks, the capacity and the knee's
fit, the verdict and the refinement's steering; read back, by the reports, the history, a baseline comparison and a
repeat set.

The JSON holds each model's fields as they were given (`exclude_unset`): a field of one kind of objective appears
only on that kind's rows, and a report read back writes the same JSON. Every part of a stage is a model, and of the
run its capacity, serving, counts, replicas, family policy, the comparison with a baseline, its completeness, the
workers' clocks, the answers' check, the run over time, what ran where (its manifest) and the drift check of its
served traffic. A change of what the JSON holds bumps SCHEMA_VERSION, and
the golden report (tests/slo/golden/slo_report.json) shows it.

One module per part, in the order a report is read: run_report.py (the report, the run, the version), stage_row.py
(a stage), objective.py (an objective's row and its interval), measured.py (what else a stage measured), capacity.py
(the run's capacity and the knee's fits), comparison.py (against a baseline, and the family policy), series.py (the
run over time), manifest.py (what ran where), drift.py (the drift check), frozen.py (their base). A repeat set's report,
built from its runs' reports, is repeat_set.py."""
from slo.verdicts.report.capacity import AtTypicalSpeed, AtUsualSpeed, Capacity, KneeFit, KneeShare
from slo.verdicts.report.comparison import (BaselineComparison, CapacityChange, FamilyRecord, FamilySummary,
                                            FigureChange, MachineChange, RelativeChange)
from slo.verdicts.report.drift import AucFigure, DriftCheck, Performance
from slo.verdicts.report.manifest import ApiPlacement, GitState, HostInfo, ProcessPlace, RunManifest
from slo.verdicts.report.measured import (ClientFigures, ClientGap, QuantileAccuracy, Reconciliation, ReplicaSummary,
                                         ServerFigures, StageLooks, StageMachine)
from slo.verdicts.report.objective import Confidence, ObjectiveResult
from slo.verdicts.report.run_report import (SCHEMA_VERSION, AnswersCheck, Completeness, PredictedSaturation, Report,
                                            ReportError, RunInfo, Serving, WorkerClocks)
from slo.verdicts.report.series import ClientSeries, RunSeries, ServerSeries
from slo.verdicts.report.stage_row import Stage, Window

__all__ = ["SCHEMA_VERSION", "AnswersCheck", "ApiPlacement", "AucFigure", "AtTypicalSpeed", "AtUsualSpeed",
           "BaselineComparison", "Capacity", "CapacityChange", "ClientFigures", "ClientGap", "ClientSeries", "Completeness", "Confidence",
           "DriftCheck", "FamilyRecord", "FamilySummary", "FigureChange", "GitState", "HostInfo", "KneeFit", "KneeShare",
           "MachineChange", "ObjectiveResult", "Performance", "PredictedSaturation", "ProcessPlace", "QuantileAccuracy",
           "Reconciliation", "RelativeChange", "ReplicaSummary", "Report", "ReportError", "RunInfo", "RunManifest",
           "RunSeries", "ServerFigures", "ServerSeries", "Serving", "Stage", "StageLooks", "StageMachine", "Window",
           "WorkerClocks"]
