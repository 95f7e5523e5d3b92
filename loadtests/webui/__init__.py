"""Locust's web UI, extended inside the Locust process (`make ui` plugs these in by module name,
SLOBENCH_LOCUST_PLUGINS): the start page (the profile the running generator will send, and a profile picked in the
form checked before any load) and the live SLO tab (the current stage judged so far by the one judge of a stage).
They read the running generator (environment.slobench); the only part of loadtests/ that reads the evaluator."""
