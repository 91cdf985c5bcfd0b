#!/usr/bin/env bash
# Build Vigil's Debian package with cargo-deb (metadata: [package.metadata.deb] in
# Cargo.toml), and optionally prove it installs and runs.
#
#   scripts/package-deb.sh                  release build -> target/debian/vigil_<version>_<arch>.deb
#   scripts/package-deb.sh --ci             package the dev build `cargo test` already made
#                                           (no second build; fast compression)
#   scripts/package-deb.sh --check-install  also: apt-get install the .deb, check the man page
#                                           renders and the completions load, run the installed
#                                           `vigil --version`, `vigil --help` and `vigil doctor`,
#                                           then apt-get remove it and check nothing is left
#
# Installs cargo-deb (pinned version) into ~/.cargo/bin when it is missing. Checks the
# .desktop file, the AppStream metainfo and the Flatpak manifest's YAML when their
# validators are installed (scripts/deps.sh installs them); --check-install needs them.
# --check-install needs root or sudo, like scripts/deps.sh. It replaces an installed
# vigil package and removes it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DEB_VERSION=3.8.0
APP_ID=io.github.vigil_vms.Vigil

CI_MODE=0
CHECK_INSTALL=0
for arg in "$@"; do
  case "$arg" in
    --ci) CI_MODE=1 ;;
    --check-install) CHECK_INSTALL=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "package-deb: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf 'package-deb: %s\n' "$*"; }
installed=0
die() {
  printf 'package-deb: ERROR: %s\n' "$*" >&2
  [ "$installed" -eq 0 ] || printf 'package-deb: the package stays installed for a look; remove it with: apt-get remove vigil\n' >&2
  exit 1
}
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root for '$*' but sudo is not installed; re-run as root"
  fi
}
export PATH="$HOME/.cargo/bin:$PATH"
started=$SECONDS
step_started=$SECONDS
step_done() { say "$1 ($((SECONDS - step_started)) s)"; step_started=$SECONDS; }

# --- 1. cargo-deb ------------------------------------------------------------------
have=$(cargo deb --version 2>/dev/null || true)
if [ "$have" != "cargo-deb $CARGO_DEB_VERSION" ]; then
  say "installing cargo-deb $CARGO_DEB_VERSION (found: ${have:-none})"
  # A debug build of the tool compiles in half the time and packages as fast: the
  # work is stripping (binutils) and xz compression (C code, optimised either way).
  cargo install cargo-deb --version "$CARGO_DEB_VERSION" --locked --debug --quiet
  step_done "cargo-deb installed"
fi

# --- 2. desktop entry and metainfo ---------------------------------------------------
validate() {
  local tool=$1; shift
  if command -v "$tool" >/dev/null 2>&1; then
    "$tool" "$@"
  elif [ "$CHECK_INSTALL" -eq 1 ]; then
    die "$tool not found: run scripts/deps.sh (packages desktop-file-utils, appstream)"
  else
    say "skipping $tool (not installed)"
  fi
}
validate desktop-file-validate "packaging/$APP_ID.desktop"
validate appstreamcli validate --no-net --pedantic --no-color "packaging/$APP_ID.metainfo.xml" >/dev/null
# The Flatpak manifest cannot be built here (no Flathub); check what can be checked.
if python3 -c 'import yaml' 2>/dev/null; then
  python3 - "packaging/$APP_ID.yml" "$APP_ID" <<'PY'
import os, sys, yaml
path, app_id = sys.argv[1], sys.argv[2]
m = yaml.safe_load(open(path))
assert m["id"] == app_id, f"{path}: id is {m.get('id')}, not {app_id}"
for key in ("runtime", "runtime-version", "sdk", "command", "finish-args", "modules"):
    assert key in m, f"{path}: no {key}"
assert not any(a.startswith("--filesystem=home") or a == "--filesystem=host" for a in m["finish-args"]), \
    f"{path}: asks for the whole home or host file system"
PY
elif [ "$CHECK_INSTALL" -eq 1 ]; then
  die "python3-yaml not found: run scripts/deps.sh"
fi
step_done "desktop entry, metainfo and Flatpak manifest are valid"

# --- 3. the .deb -------------------------------------------------------------------
rm -f target/debian/vigil_*.deb
if [ "$CI_MODE" -eq 1 ]; then
  # The test run built target/debug/vigil with the dev profile (and the dev-dependency
  # feature set); a plain `cargo build` would rebuild it, so package it as it is.
  [ -x target/debug/vigil ] || die "target/debug/vigil is missing: run cargo test --all-targets first"
  bin=target/debug/vigil
else
  cargo build --release --locked --bin vigil
  bin=target/release/vigil
fi
# Man pages and shell completions from the binary's own clap definition (the paths
# are the assets of [package.metadata.deb] in Cargo.toml).
gen=target/generated
rm -rf "$gen"
mkdir -p "$gen/completions"
"$bin" generate man --out "$gen/man" >/dev/null
gzip -9n "$gen"/man/*.1
"$bin" generate completions --shell bash >"$gen/completions/vigil.bash"
"$bin" generate completions --shell zsh >"$gen/completions/_vigil"
"$bin" generate completions --shell fish >"$gen/completions/vigil.fish"
step_done "generated $(ls "$gen/man" | wc -l) man pages and bash/zsh/fish completions"
if [ "$CI_MODE" -eq 1 ]; then
  # (--quiet hides cargo-deb's warning that the dev profile is meant for debugging.)
  cargo deb --profile dev --no-build --fast --quiet >/dev/null
else
  cargo deb --locked --no-build >/dev/null
fi
debs=(target/debian/vigil_*.deb)
[ -f "${debs[0]}" ] || die "cargo deb made no package in target/debian"
deb=${debs[0]}
step_done "built $deb ($(du -h "$deb" | cut -f1))"

[ "$CHECK_INSTALL" -eq 1 ] || { say "done in $((SECONDS - started)) s"; exit 0; }

# --- 4. install, run, remove ---------------------------------------------------------
apt_env=(env DEBIAN_FRONTEND=noninteractive)
if dpkg-query -W -f='${Status}' vigil 2>/dev/null | grep -q "install ok installed"; then
  say "note: a vigil package is installed already; it is replaced, then removed"
fi
as_root "${apt_env[@]}" apt-get install -y -q --reinstall --no-install-recommends "./$deb" >/dev/null
installed=1
step_done "installed with apt-get"

[ -x /usr/bin/vigil ] || die "/usr/bin/vigil is not there after installing"
files=$(dpkg-query -L vigil)
for f in /usr/bin/vigil "/usr/share/applications/$APP_ID.desktop" \
  "/usr/share/metainfo/$APP_ID.metainfo.xml" \
  "/usr/share/icons/hicolor/scalable/apps/$APP_ID.svg" \
  "/usr/share/icons/hicolor/256x256/apps/$APP_ID.png" \
  /usr/share/vigil/demo/lobby.mp4 /usr/share/doc/vigil/copyright \
  /usr/share/man/man1/vigil.1.gz /usr/share/man/man1/vigil-doctor.1.gz \
  /usr/share/bash-completion/completions/vigil /usr/share/zsh/vendor-completions/_vigil \
  /usr/share/fish/vendor_completions.d/vigil.fish; do
  grep -qx "$f" <<<"$files" || die "the package lacks $f"
  # (a dpkg path-exclude, as in slim container images, would list it but not install it)
  [ -f "$f" ] || die "$f is in the package but not on disk (dpkg path-exclude in /etc/dpkg/dpkg.cfg.d?)"
done

# The man page renders, and the completions load (bash) or parse (zsh, fish).
command -v man >/dev/null 2>&1 || die "man not found: run scripts/deps.sh (package man-db)"
MANPAGER=cat MANWIDTH=100 man -l /usr/share/man/man1/vigil.1.gz 2>&1 | grep -q "^EXIT STATUS" \
  || die "man -l /usr/share/man/man1/vigil.1.gz does not render an EXIT STATUS section"
MANPAGER=cat MANWIDTH=100 man -l /usr/share/man/man1/vigil.1.gz 2>&1 | grep -q "VIGIL_CONFIG_DIR" \
  || die "the man page lacks its ENVIRONMENT section"
bash -c 'source /usr/share/bash-completion/completions/vigil && complete -p vigil' >/dev/null \
  || die "the bash completion does not load"
for shell in zsh fish; do
  command -v "$shell" >/dev/null 2>&1 || die "$shell not found: run scripts/deps.sh"
done
zsh -n /usr/share/zsh/vendor-completions/_vigil || die "the zsh completion does not parse"
fish --no-execute /usr/share/fish/vendor_completions.d/vigil.fish \
  || die "the fish completion does not parse"
step_done "man page renders; bash completion loads; zsh and fish completions parse"

# Run from a neutral folder, with no override pointing back into the source tree.
out=$(cd / && env -u VIGIL_DEMO_DIR /usr/bin/vigil --version)
[ "$out" = "vigil $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)" ] \
  || die "vigil --version said '$out'"
(cd / && /usr/bin/vigil --help | grep -q "doctor") || die "vigil --help does not list doctor"
say "/usr/bin/vigil --version: $out"
set +e
doctor=$(cd / && env -u VIGIL_DEMO_DIR /usr/bin/vigil doctor 2>/dev/null)
code=$?
set -e
printf '%s\n' "$doctor" | sed 's/^/    /'
[ "$code" -eq 0 ] || die "vigil doctor exited $code (see its advice above)"
grep -q "in /usr/share/vigil/demo" <<<"$doctor" \
  || die "the installed vigil did not find its demo clips in /usr/share/vigil/demo"
step_done "installed vigil runs; doctor is happy"

as_root "${apt_env[@]}" apt-get remove -y -q vigil >/dev/null
installed=0
left=()
while IFS= read -r f; do
  if [ -e "$f" ] && [ ! -d "$f" ]; then left+=("$f"); fi
done <<<"$files"
[ -d /usr/share/vigil ] && left+=(/usr/share/vigil)
[ "${#left[@]}" -eq 0 ] || die "left behind after removal: ${left[*]}"
step_done "removed; nothing left behind"
say "done in $((SECONDS - started)) s"
