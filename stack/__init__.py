"""The observability stack: the API and a real Prometheus started locally, or the Compose files."""
