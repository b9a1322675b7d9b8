"""Developer tools shared by tests, benchmarks and `make demo`: local registry and git servers,
an image pusher. Not part of the shipped package."""
