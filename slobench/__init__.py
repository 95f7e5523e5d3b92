"""slobench: load-test a prediction API and judge it against its SLOs."""
