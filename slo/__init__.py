"""SLOs: declared in YAML, parsed into typed models, evaluated per load stage from Prometheus."""
