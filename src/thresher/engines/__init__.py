"""Engines run the pipeline over sources: `local` (a process pool) and, later, `ray`."""
