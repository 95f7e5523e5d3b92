"""A run's folder: what each of its files is called, in one place (runfolder.names)."""
