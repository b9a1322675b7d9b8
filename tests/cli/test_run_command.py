"""`image-updater run` flag defaults that depend on where it runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from image_updater.cli import run_command


def test_controller_namespace_defaults_to_the_pods(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    namespace_file = tmp_path / "namespace"
    namespace_file.write_text("tools\n")
    monkeypatch.setattr(run_command, "SERVICE_ACCOUNT_NAMESPACE", namespace_file)
    assert run_command._pod_namespace() == "tools"
    monkeypatch.setattr(run_command, "SERVICE_ACCOUNT_NAMESPACE", tmp_path / "absent")
    assert run_command._pod_namespace() == "argocd"
