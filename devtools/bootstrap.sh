#!/usr/bin/env bash
# `make deps`: everything `make test` and `make demo` need, on a Debian 12 or Ubuntu 24.04 machine
# that has only make, python3 and git (as root, or as a user with sudo).
#
# 1. The Debian packages the tests and the demo run (docker-registry, sshd, skopeo, gpg), and
#    python3-venv when uv has to be bootstrapped: apt-get, through sudo when not root.
# 2. uv: one already installed (at least UV_VERSION), else UV_VERSION installed with pip into its own
#    venv, .tools/uv-venv. The system Python's packages are never touched (PEP 668).
# 3. .venv from uv.lock (`uv sync --frozen`).
# Each step only checks when its result is already there, so reruns install nothing and take well
# under a second. Long steps say what they do and let apt, pip and uv show their progress.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.10
UV_VENV=.tools/uv-venv

say() { printf '==> %s\n' "$*"; }
die() { printf 'make deps: %s\n' "$*" >&2; exit 1; }

# Prints the Debian packages still missing, one per line.
missing_packages() {
  command -v docker-registry >/dev/null || echo docker-registry
  [ -x /usr/sbin/sshd ] || echo openssh-server
  command -v git >/dev/null || echo git
  command -v skopeo >/dev/null || echo skopeo
  command -v gpg >/dev/null || echo gnupg
  # Debian's python3 ships venv without ensurepip; python3-venv adds it (needed only to bootstrap uv).
  find_uv >/dev/null || python3 -c 'import ensurepip' 2>/dev/null || echo python3-venv
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
  local -a packages
  read -r -a packages <<<"$(missing_packages | tr '\n' ' ')"
  [ "${#packages[@]}" -gt 0 ] || return 0
  command -v apt-get >/dev/null || die "missing ${packages[*]}, and no apt-get here: install them, then rerun"
  [ "$(id -u)" = 0 ] || command -v sudo >/dev/null \
    || die "missing Debian packages ${packages[*]}: rerun as root or with sudo installed, or have root run: apt-get update && apt-get install -y ${packages[*]}"
  say "installing Debian packages: ${packages[*]} (apt-get update, then apt-get install; about a minute)"
  as_root apt-get update -q | sed -u 's/^/    /'
  # One line per package fetched and set up, instead of a silent minute or apt's four lines a package.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}" \
    | sed -un -e 's/^Get:[0-9]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .*/    fetched \1/p' -e 's/^Setting up /    set up /p'
}

# Prints the path of a usable uv (at least UV_VERSION), or fails.
find_uv() {
  local candidate
  for candidate in "$UV_VENV/bin/uv" "$(command -v uv || true)" \
    "$(python3 -c 'import uv; print(uv.find_uv_bin())' 2>/dev/null || true)"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] && new_enough "$candidate" && { echo "$candidate"; return 0; }
  done
  return 1
}

new_enough() {
  local version
  version=$("$1" --version 2>/dev/null | awk '{print $2}') || return 1
  [ -n "$version" ] && printf '%s\n%s\n' "$UV_VERSION" "$version" | sort -V -C
}

bootstrap_uv() {
  say "installing uv $UV_VERSION into $UV_VENV (python3 -m venv, then that venv's pip)"
  rm -rf "$UV_VENV"
  python3 -m venv "$UV_VENV"
  "$UV_VENV/bin/python" -m pip install --disable-pip-version-check "uv==$UV_VERSION" | sed -u 's/^/    /'
}

sync_venv() {
  local uv=$1 venv=${UV_PROJECT_ENVIRONMENT:-.venv}
  if [ -x "$venv/bin/python" ]; then
    "$uv" sync --frozen --quiet
  else
    say "creating $venv from uv.lock (uv sync --frozen; about a minute on a fresh machine)"
    "$uv" sync --frozen
  fi
}

install_packages
uv=$(find_uv) || { bootstrap_uv && uv=$(find_uv); } || die "uv $UV_VERSION did not install into $UV_VENV"
sync_venv "$uv"
