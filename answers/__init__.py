"""The model's side of a load run: every answer the generator received, recomputed with the served model."""
