"""Every file a run folder holds, named once. Each package writes or reads its files by these names; none spells a
file name of the run folder itself.

In the order data flows: what the load ran, what the API and Prometheus recorded, what the harness measured,
then the verdicts and reports."""

# Load (loadtests/): the profile the generator ran, its stage timeline, its figures and its own record of answers.
PROFILE = "profile.json"
STAGES = "stages.json"
CLIENT_STATS = "client_stats.json"
SENT_PREDICTIONS = "sent_predictions.db"
SENT_COUNTS = "sent_predictions.json"   # how many answers were kept, how many carried the outputs
LOCUST_LOG = "locust.log"
ENDED = "ended.json"          # how the load ended: Locust's exit code, an interrupt (written by the pipeline)
LOCUST_DONE = "locust_done.json"   # the generator wrote its figures: the web UI's runner judges the run then
# Locust's own files: its CSV files (the --csv prefix it is given, and the names it derives from it) and HTML report.
LOCUST_CSV_PREFIX = "locust"
LOCUST_STATS = "locust_stats.csv"
LOCUST_FAILURES = "locust_failures.csv"
LOCUST_STATS_HISTORY = "locust_stats_history.csv"
LOCUST_REPORT = "locust_report.html"
REFINE_DIR = "refine"         # the refinement's steps, one Locust run each (slobench/refine.py)
LOOKS = "looks.json"          # a step's looks before its end: when, what each decided, where it ended
STAGE_ENDS = "stage_ends.json"   # the profile's stages a look decided while the load ran (harness -> generator)
HOLDS = "holds.json"          # the profile's stages held while other work took the API's core (harness -> generator)
LADDER_LOOKS = "ladder_looks.json"   # the looks at the profile's stages declared with them, as LOOKS is a step's

# The API and Prometheus: the API's recording of every prediction, Prometheus's answers kept raw.
PREDICTIONS = "predictions.db"
PROMETHEUS_RAW = "prometheus_raw.json"

# The drift check (drift/): Evidently's reports on the recorded inputs and on the served outputs, each one .html and
# one .json beside it.
DRIFT_FEATURES = "drift_features"
DRIFT_PREDICTIONS = "drift_predictions"

# The harness: what ran where, and what it sampled of the API's cores each second.
MANIFEST = "manifest.json"
MACHINE = "machine.json"

# Verdicts and reports (slo/reports/, slo/verdicts/repeats.py).
SLO_REPORT = "slo_report.json"
SLO_REPORT_MD = "slo_report.md"
REPORT_HTML = "report.html"
JUNIT = "junit.xml"
REPEAT_REPORT = "repeat_report.json"
REPEAT_REPORT_MD = "repeat_report.md"
