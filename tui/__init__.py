"""jobtop: a terminal dashboard for asynchronous conversion jobs."""

__version__ = "0.1.0"
