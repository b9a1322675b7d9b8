"""The v1 API: `ImageUpdater` resources (upstream 1.x's CRD) → per-Application `AppSettings`. Pure.

`model` is the resource and its validation rules (the CRD is generated from it, see `schema`),
`validation` turns a manifest into a checked model or a one-line error, `matching` decides which
applicationRef an Application takes, `merging` turns that ref into the `AppSettings` the rest of
the pipeline already consumes from annotations.
"""
