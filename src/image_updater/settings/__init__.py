"""Settings: nested frozen dataclasses built once from flags, env and config files. Pure.

Clients are never stored here; the runtime builds them from settings and passes them down.
"""
