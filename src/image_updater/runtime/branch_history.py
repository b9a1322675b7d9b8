"""Directory-mode promotion: what a source Application's write branch holds, and since when.

The source Application is read as its annotations configure it (an ImageUpdater resource does
not configure promotion sources yet): its write-back repository, branch and target, with its own
credentials, exactly as its own write would use them. The image is the source's image of the
same repository. A branch named by a template (`main:image-updater-{{.SHA256}}`) has no one
place to read; its base is read instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from image_updater import annotations as app_annotations
from image_updater import applications, refs
from image_updater.annotations import AppTrust, ImageSettings
from image_updater.changes import Change
from image_updater.errors import ConfigError
from image_updater.runtime.promotion import History
from image_updater.runtime.writing import PendingApp, WriteBack
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_since import value_since


def history(*, writer: WriteBack, git: GitWriter, trust: AppTrust) -> History:
    """The `History` a directory-mode cycle reads promotion sources with."""

    async def since(manifest: Mapping[str, Any], image: ImageSettings) -> tuple[str | None, datetime | None]:
        app = applications.from_manifest(manifest)
        if not app_annotations.is_managed(app.annotations):
            raise ConfigError("it has no image-updater annotations, so no write branch to read")
        settings = app_annotations.parse(app.annotations, app=app.key, namespace=app.namespace, trust=trust)
        if settings.write_back_method == "argocd":
            raise ConfigError("it uses write-back-method argocd; in directory mode promote from a git one")
        mine = next((i for i in settings.images if refs.same_image(i.spec.image, image.spec.image)), None)
        if mine is None:
            raise ConfigError(f"it does not configure image {image.spec.image.name}")
        change = Change(alias=mine.spec.alias, old=mine.spec.image, new=mine.spec.image)
        repo_url, branch, auth, target = await writer.write_location(
            PendingApp(app=app, settings=settings, changes=((mine, change),))
        )
        templated = "{{" in (settings.git_branch or "")
        name = branch.base if templated or not branch.write else branch.write
        if name in ("", "HEAD"):
            raise ConfigError("its write branch is the remote's default; name it with git-branch")
        tag, when = await value_since(
            git, repo_url=repo_url, branch=name, auth=auth, target=target, image=target.images[0]
        )
        return (tag.partition("@")[0] if tag else None), when

    return since
