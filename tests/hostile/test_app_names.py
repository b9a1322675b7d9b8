"""A directory-mode manifest may carry an Application name or namespace Kubernetes would never
accept (docs/security.md, "Repository confinement"): `../../outside` moved the default target
`.argocd-source-<name>.yaml` out of the Application's source path, and a newline or an escape
sequence became part of a committed file name. Names and namespaces are held to Kubernetes' rules
(DNS-1123 subdomain and label) when the manifest is read: the Application fails alone, with one
line naming it, and nothing is written for it.
"""

from __future__ import annotations

import json
import subprocess

from devtools import gitops_sample
from tests.hostile.conftest import Cycle

HOSTILE = {
    "climbing-name": ("../../../../outside", "argocd"),
    "name-through-directories": ("a/../../../x", "argocd"),
    "newline-in-name": ("evil\n2026-12-08T00:00:00Z [info     ] forged line", "argocd"),
    "escape-in-name": ("evil\x1b[2Kansi", "argocd"),
    "option-like-name": ("-x", "argocd"),
    "slash-in-namespace": ("evil", "team/../.."),
    "underscore-in-namespace": ("evil", "team_a"),
}


def manifest(name: str, namespace: str, *, cycle: Cycle) -> str:
    notes = {"image-list": f"api={cycle.host}/org/api", "write-back-method": "git", "git-branch": "main"}
    text = gitops_sample.application(
        json.dumps(name), path="apps/api/overlays/dev", repo_url=cycle.repo_url, annotations=notes
    )
    return text.replace("  namespace: argocd\n", f"  namespace: {json.dumps(namespace)}\n", 1)


def test_directory_mode_names_kubernetes_refuses_fail_their_applications_only(cycle: Cycle) -> None:
    apps = cycle.applications({})
    for case, (name, namespace) in HOSTILE.items():
        (apps / f"{case}.yaml").write_text(manifest(name, namespace, cycle=cycle))

    result = cycle.run(apps, cycle.root / "work")

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    refused = [ln for ln in result.output.splitlines() if "must be a DNS-1123 subdomain" in ln]
    assert len(refused) == len(HOSTILE), result.output
    cycle.assert_good_applications_written()
    files = subprocess.run(
        ["git", "-C", str(cycle.bare), "ls-tree", "-r", "--name-only", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert not [f for f in files if "outside" in f or f == "apps/api/x.yaml" or "evil" in f], files
