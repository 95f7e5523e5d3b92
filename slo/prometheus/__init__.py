"""Talking to Prometheus: the PromQL slobench builds, collecting a run's answers, finding the scrape interval and the target's job, and the recording and alerting rules."""
