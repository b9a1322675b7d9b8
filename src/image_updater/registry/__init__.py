"""OCI Distribution v2 client: auth, tags, manifests, configs, rate limits, metadata cache."""
