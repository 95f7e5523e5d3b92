"""The SLO file: its typed model, one reader per format a team may already have, and the loader that picks."""
