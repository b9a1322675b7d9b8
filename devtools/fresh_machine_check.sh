#!/usr/bin/env bash
# The fresh-machine check: does the Quick start work on a stock machine?
#
# Builds a minimal root filesystem with only make, python3, git and ca-certificates
# (`mmdebstrap --variant=minbase`), clones this repository's HEAD into it and runs `make demo` and
# `make test` there in a chroot, as root (default) or, with --user, as an unprivileged user who has
# sudo (then sudo is installed too). It checks what is committed, not the working tree.
#
#   devtools/fresh_machine_check.sh [--suite bookworm|noble] [--user] [--root DIR]
#
# Needs root and mmdebstrap on the host (installed with apt-get when missing). The machine's way to
# the package archives and PyPI is copied in: apt sources and Acquire options, pip and uv
# configuration, local CA certificates, DNS, and the proxy/index environment variables. The
# root filesystem (default /var/tmp/fresh-root-SUITE) is rebuilt on every run and kept afterwards
# for a look; the uv and pip caches inside it start empty, so every wheel comes from the index.
# Limits: `noble` needs archive.ubuntu.com; Debian has no Ubuntu keyring, so its archive is
# fetched without signature checks (a throwaway test root, never a machine to keep).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

SUITE=bookworm
AS_USER=no
ROOT_DIR=
while [ $# -gt 0 ]; do
  case $1 in
    --suite) SUITE=$2; shift 2 ;;
    --user) AS_USER=yes; shift ;;
    --root) ROOT_DIR=$2; shift 2 ;;
    *) echo "usage: $0 [--suite bookworm|noble] [--user] [--root DIR]" >&2; exit 2 ;;
  esac
done
case $SUITE in bookworm | noble) ;; *) echo "unknown suite '$SUITE' (bookworm or noble)" >&2; exit 2 ;; esac
R=${ROOT_DIR:-/var/tmp/fresh-root-$SUITE}
MOUNTS=(proc sys dev dev/pts dev/shm)
FORWARDED_ENV=(http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY
  UV_INDEX_URL UV_DEFAULT_INDEX UV_EXTRA_INDEX_URL UV_INDEX UV_NATIVE_TLS SSL_CERT_FILE
  PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST PIP_CERT)

say() { printf '\n=== %s (%ss)\n' "$*" "$SECONDS"; }
die() { printf 'fresh-machine check: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap, mounts and chroot)"
[ -n "$R" ] && [ "$R" != / ] || die "refusing root filesystem directory '$R'"

unmount_all() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    if mountpoint -q "$R/${MOUNTS[i]}"; then umount "$R/${MOUNTS[i]}"; fi
  done
}

# apt sources for mmdebstrap: this machine's for Debian, the Ubuntu archive for noble.
sources_args() {
  case $SUITE in
    bookworm) ls /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
      | xargs -r grep -l -E 'debian(-security)?( |/|$)' ;;
    noble) echo "deb [trusted=yes] http://archive.ubuntu.com/ubuntu noble main universe"
      echo "deb [trusted=yes] http://archive.ubuntu.com/ubuntu noble-updates main universe" ;;
  esac
}

build_root() {
  local -a include=(make python3 git ca-certificates) aptopts=()
  [ "$AS_USER" = no ] || include+=(sudo)
  # Ubuntu's minbase lacks apt, which every Ubuntu machine has.
  [ "$SUITE" = bookworm ] || include+=(apt ubuntu-keyring)
  local f
  for f in /etc/apt/apt.conf.d/*; do
    if grep -q 'Acquire::' "$f"; then aptopts+=("--aptopt=$f"); fi
  done
  mapfile -t sources < <(sources_args)
  [ "${#sources[@]}" -gt 0 ] || die "no Debian apt source found in /etc/apt"
  say "building a minimal $SUITE root filesystem in $R: ${include[*]}"
  mmdebstrap --variant=minbase --include="$(IFS=,; echo "${include[*]}")" "${aptopts[@]}" \
    "$SUITE" "$R" "${sources[@]}"
}

# What this machine uses to reach the archives and PyPI, copied into the root filesystem.
copy_network_config() {
  cp /etc/resolv.conf /etc/hosts "$R/etc/"
  local f
  for f in /etc/pip.conf /etc/uv/uv.toml; do
    if [ -f "$f" ]; then mkdir -p "$R$(dirname "$f")" && cp "$f" "$R$f"; fi
  done
  if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
    cp -r /usr/local/share/ca-certificates/. "$R/usr/local/share/ca-certificates/"
    chroot "$R" update-ca-certificates >/dev/null 2>&1
  fi
}

# Runs a shell command in the root filesystem, as root or as the sudo user, with a clean environment.
in_root() {
  local -a env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "TERM=${TERM:-dumb}")
  local name
  for name in "${FORWARDED_ENV[@]}"; do
    if [ -n "${!name:-}" ]; then env+=("$name=${!name}"); fi
  done
  if [ "$AS_USER" = yes ]; then
    chroot "$R" runuser -u dev -- env -i "${env[@]}" HOME=/home/dev USER=dev bash -c "$1"
  else
    chroot "$R" env -i "${env[@]}" HOME=/root USER=root bash -c "$1"
  fi
}

clone_repo() {
  local home=/root
  if [ "$AS_USER" = yes ]; then
    home=/home/dev
    chroot "$R" useradd --create-home --shell /bin/bash dev
    echo 'dev ALL=(ALL) NOPASSWD: ALL' >"$R/etc/sudoers.d/dev"
  fi
  say "cloning $(git -C "$REPO" rev-parse --short HEAD) into $R$home/image-updater"
  git clone -q --no-hardlinks "$REPO" "$R$home/image-updater"
  git -C "$R$home/image-updater" checkout -q --detach "$(git -C "$REPO" rev-parse HEAD)"
  if [ "$AS_USER" = yes ]; then chroot "$R" chown -R dev:dev "$home/image-updater"; fi
}

command -v mmdebstrap >/dev/null || { apt-get update -q && apt-get install -y -q mmdebstrap; }
unmount_all
if [ -e "$R" ]; then
  ! grep -q " $R/" /proc/mounts || die "something is still mounted under $R; unmount it first"
  rm -rf "$R"
fi
build_root
copy_network_config
trap unmount_all EXIT
for m in "${MOUNTS[@]}"; do mount --bind "/$m" "$R/$m"; done
clone_repo
for target in demo test; do
  say "make $target (as $([ "$AS_USER" = yes ] && echo 'dev, with sudo' || echo root))"
  in_root "cd ~/image-updater && make $target" || die "make $target failed on a fresh $SUITE after ${SECONDS}s"
done
say "rerun of make deps (must install nothing)"
in_root "cd ~/image-updater && make deps"
say "PASS: make demo and make test on a fresh $SUITE"
