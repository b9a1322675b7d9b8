"""Which applicationRef of an `ImageUpdater` an Application takes, as upstream 1.x decides. Pure.

An ImageUpdater selects only Applications of its own namespace. Its refs are tried from the most
to the least specific (upstream's `calculateSpecificity`, stable for equal scores); the first whose
`namePattern` (Go `filepath.Match` glob) and `labelSelectors` both match wins, and the others are
not consulted. Score: +1 000 000 for a pattern without `*?[]`; +1 per literal byte left after
removing `[...]` sets and `*`/`?`; +10 000 when a label selector is present, +100 per matchLabels
entry and per matchExpression.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import re2

from image_updater.errors import InvalidImageUpdater
from image_updater.resources.model import ApplicationRef, ImageUpdater, LabelSelector
from image_updater.selection.filters import glob_to_regexp

_SETS = re.compile(r"\[.*?]")  # upstream's stripBracketsRegex


@dataclass(frozen=True, slots=True)
class Match:
    """The ref an Application takes; `index` is its position in `spec.applicationRefs`."""

    index: int
    ref: ApplicationRef


def specificity(ref: ApplicationRef) -> int:
    """Upstream's score: higher is more specific."""
    pattern = ref.name_pattern
    score = 0 if any(c in pattern for c in "*?[]") else 1_000_000
    score += len(_SETS.sub("", pattern).replace("*", "").replace("?", "").encode())
    if ref.label_selectors is not None:
        selector = ref.label_selectors
        score += 10_000 + 100 * (len(selector.match_labels or {}) + len(selector.match_expressions or ()))
    return score


def ordered(refs: Sequence[ApplicationRef]) -> tuple[tuple[int, ApplicationRef], ...]:
    """(index, ref) from the most to the least specific; equal scores keep their order."""
    return tuple(sorted(enumerate(refs), key=lambda item: -specificity(item[1])))


def check_patterns(resource: ImageUpdater) -> None:
    """Refuse the resource when a namePattern is not a valid glob (upstream fails the whole CR)."""
    for index, ref in enumerate(resource.spec.application_refs):
        try:
            glob_to_regexp(ref.name_pattern)
        except ValueError as err:
            raise InvalidImageUpdater(
                f"imageupdater {resource.key}: spec.applicationRefs[{index}].namePattern "
                f"{ref.name_pattern!r} is not a valid glob: {err}"
            ) from None


def select(resource: ImageUpdater, *, name: str, namespace: str, labels: Mapping[str, str]) -> Match | None:
    """The ref the Application `namespace/name` takes, or None when the resource does not select it."""
    if namespace != resource.namespace:
        return None
    for index, ref in ordered(resource.spec.application_refs):
        if name_matches(ref.name_pattern, name) and labels_match(ref.label_selectors, labels):
            return Match(index=index, ref=ref)
    return None


def name_matches(pattern: str, name: str) -> bool:
    """Go `filepath.Match(pattern, name)`; an invalid pattern matches nothing."""
    try:
        return re2.fullmatch(glob_to_regexp(pattern), name) is not None
    except ValueError:
        return False


def labels_match(selector: LabelSelector | None, labels: Mapping[str, str]) -> bool:
    """Kubernetes label selector semantics; no selector, or an empty one, matches everything."""
    if selector is None:
        return True
    if any(labels.get(key) != value for key, value in (selector.match_labels or {}).items()):
        return False
    for requirement in selector.match_expressions or ():
        present, value = requirement.key in labels, labels.get(requirement.key)
        wanted = requirement.values or ()
        ok = {
            "In": present and value in wanted,
            "NotIn": not present or value not in wanted,
            "Exists": present,
            "DoesNotExist": not present,
        }.get(requirement.operator, False)
        if not ok:
            return False
    return True
