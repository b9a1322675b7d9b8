"""Registry webhooks: what a provider's push notification claims, parsed and authenticated. Pure.

The payload is a hint, never trusted for a tag or digest: a valid event only names a
repository whose tags the runtime then fetches from the registry itself.

`receiving` keys every type by its `type` query value and is the one entry point (`receive`);
`secrets` holds the checks, `requests` the request model and the bounded JSON and name helpers,
and one module per provider family (`hubs`, `github`, `harbor`, `cloudevents`, `distribution`)
its `WebhookType`s. The HTTP server is runtime/webhook_server.py.
"""
