"""Command line: parses flags, calls `asyncio.run` on the runtime, maps errors to exit codes."""
