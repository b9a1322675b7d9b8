"""Runtime: builds clients from settings, runs checks and cycles, supervises tasks.

The only layer that both creates I/O clients and maps errors to outcomes.
"""
