"""Registry webhooks: what a provider's push notification claims, parsed and authenticated. Pure.

The payload is a hint, never trusted for a tag or digest: a valid event only names a
repository whose tags the runtime then fetches from the registry itself.
"""
