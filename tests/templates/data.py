"""Template data shaped as upstream's: structs (dataclasses) with a `map[string]string` of labels."""

from __future__ import annotations

from dataclasses import dataclass

from image_updater.templates import StringMap


@dataclass(frozen=True, slots=True)
class Change:
    Image: str
    OldTag: str
    NewTag: str
    Labels: StringMap


@dataclass(frozen=True, slots=True)
class Commit:
    AppName: str
    AppChanges: tuple[Change, ...]


@dataclass(frozen=True, slots=True)
class Image:
    Name: str
    Alias: str
    OldTag: str
    NewTag: str


@dataclass(frozen=True, slots=True)
class Branch:
    Images: tuple[Image, ...]
    SHA256: str
    AppName: str
    AppNamespace: str


SOURCE = "org.opencontainers.image.source"
COMMIT = Commit(
    AppName="guestbook",
    AppChanges=(
        Change("org/web", "1.0.0", "1.1.0", StringMap({"team": "web", SOURCE: "https://github.com/org/web"})),
        Change("org/api", "2.0.0", "2.0.1", StringMap({})),
    ),
)
BRANCH = Branch(
    Images=(Image("org/web", "web", "1.0.0", "1.1.0"), Image("org/api", "", "2.0.0", "2.0.1")),
    SHA256="ab12cd",
    AppName="guestbook",
    AppNamespace="argocd",
)
