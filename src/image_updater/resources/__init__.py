"""The v1 API: `ImageUpdater` resources (upstream 1.x's CRD) → per-Application `AppSettings`. Pure.

`model` is the resource and its validation rules (devtools/render_crd.py generates the CRD from
it), `validation` turns a manifest into a checked model or a one-line error, `matching` decides
which applicationRef an Application takes, `merging` turns that ref into the `AppSettings` the rest
of the pipeline already consumes from annotations, and `assigning` decides, per Application,
between resources and annotations (both generations in one process) and reports conflicts, and
`status` computes a resource's status from what a cycle did for the Applications it selects.
"""
