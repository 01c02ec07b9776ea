"""Runnable lessons: `python -m demos` runs them all, `python -m demos.NAME --help` one."""
