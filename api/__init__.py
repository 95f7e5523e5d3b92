"""The StreamFlow churn-prediction API: data, model, instrumented FastAPI app."""
