"""The simulator: a real HTTP server speaking the four providers' job APIs.

Import `tui.sim.server.SimServer` to run it in-process, or `tui.sim.cli.main` for the
`jobtop sim` command. Nothing here imports Textual.
"""
