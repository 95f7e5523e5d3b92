"""The reports: terminal text, tables, charts, the HTML page and its templates, JUnit, and writing them."""
