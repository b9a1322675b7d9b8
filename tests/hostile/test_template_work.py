"""Branch templates come from Application annotations, so rendering one is bounded in work, not
only in steps and output (docs/security.md, "Bounded work"): a million turns of a loop that each
make (or compare, or measure) a string of a million characters used to hold the event loop, and so
every other Application's update, for minutes. The budget in `templates.execute` (MAX_WORK) stops
such a template early with a one-line error naming the Application; the others are written.
A number literal Python cannot hold (`0x1p9999`) used to escape as OverflowError and stop the
whole run ("internal error"); it is Go's "illegal number syntax" for that Application only.
"""

from __future__ import annotations

import pytest

from image_updater.errors import InvalidWriteBackConfig
from image_updater.writeback.git_branches import parse_git_branch
from tests.hostile.conftest import Cycle

# No `:=` (the annotation allows one ':', before the template): each turn makes its wide string anew.
WIDE = '{{range 999999}}{{with printf "%999999d" 1}}'
HOSTILE_TEMPLATES = {
    "printf-wide": '{{range 999999}}{{if printf "%999999d" 1}}{{end}}{{end}}x',
    "eq-of-wide": WIDE + "{{if eq . .}}{{end}}{{end}}{{end}}x",
    "len-of-wide": WIDE + "{{if len .}}{{end}}{{end}}{{end}}x",
    "print-of-wide": WIDE + "{{if print .}}{{end}}{{end}}{{end}}x",
    "many-arguments": "{{range 999999}}{{if print " + " ".join(["1"] * 5000) + "}}{{end}}{{end}}x",
}


@pytest.mark.parametrize("template", HOSTILE_TEMPLATES.values(), ids=HOSTILE_TEMPLATES.keys())
def test_a_branch_template_that_works_too_hard_is_stopped(template: str) -> None:
    spec = parse_git_branch(f"main:{template}", target_revision="main")

    with pytest.raises(InvalidWriteBackConfig, match="units of work in functions"):
        spec.target(changes=(), app_name="api", app_namespace="argocd")


def test_directory_mode_hostile_branch_templates_fail_their_applications_only(cycle: Cycle) -> None:
    base = {"image-list": f"api={cycle.host}/org/api", "write-back-method": "git"}
    hostile = {
        f"evil-{name}": {**base, "git-branch": f"main:{template}"}
        for name, template in HOSTILE_TEMPLATES.items()
        if name in ("printf-wide", "eq-of-wide")
    }
    apps = cycle.applications({name: ("apps/api/overlays/dev", notes) for name, notes in hostile.items()})

    result = cycle.run(apps, cycle.root / "work")

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for name in hostile:
        line = next(ln for ln in result.output.splitlines() if f"application argocd/{name}:" in ln)
        assert "units of work in functions" in line, line
    cycle.assert_good_applications_written()


def test_directory_mode_a_number_python_cannot_represent_fails_its_application_only(cycle: Cycle) -> None:
    base = {"image-list": f"api={cycle.host}/org/api", "write-back-method": "git"}
    hostile = {
        "evil-huge-hex-float": {**base, "git-branch": "main:{{ 0x1p9999 }}"},
    }
    apps = cycle.applications({name: ("apps/api/overlays/dev", notes) for name, notes in hostile.items()})

    result = cycle.run(apps, cycle.root / "work")

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    for name in hostile:
        assert any(f"application argocd/{name}:" in ln for ln in result.output.splitlines()), result.output
    cycle.assert_good_applications_written()
