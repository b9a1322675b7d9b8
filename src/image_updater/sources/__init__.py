"""Where Applications and Secrets come from: the cluster or directories."""
