#!/usr/bin/env bash
# Install the system packages Vigil needs to build, test and run its demo on a fresh
# Debian 12 / Ubuntu machine, and make sure a Rust toolchain exists. Idempotent: when
# everything is present it does no apt work at all (and takes well under a second).
#
# Run as root, or as a user with sudo (apt steps are run through sudo; the Rust check
# runs as the calling user, so ~/.cargo is the caller's).
#
#   scripts/deps.sh            install what is missing
#   scripts/deps.sh --check    only report what is missing; exit 1 if anything is
set -euo pipefail

PACKAGES=(
  # build: bindgen (ffmpeg-sys) needs clang/libclang; ffmpeg headers and libraries
  pkg-config clang libclang-dev
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
  # build: the ONVIF client's HTTPS goes through the system OpenSSL (openssl-sys, native-tls)
  libssl-dev
  # media tools: reference clips, ffprobe checks
  ffmpeg
  # evidence bundles: the documented signature check (docs/evidence.md)
  openssl
  # test camera peer: tests/support/rtsp_server.py (GStreamer RTSP server via python3-gi)
  python3-gi gir1.2-gst-rtsp-server-1.0
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools
  # headless GUI tests: software Vulkan/GL, X server, screenshots
  mesa-vulkan-drivers libvulkan1 xvfb x11-apps imagemagick
  # window-system libraries loaded at run time (winit / wgpu)
  libxkbcommon-x11-0 libx11-xcb1 libxcursor1 libxrandr2 libxi6 libgl1 libegl1
  libwayland-client0 libwayland-cursor0 libwayland-egl1 libxkbcommon0
  # test harness helpers
  xauth procps iproute2
  # the zero-egress test (tests/zero_egress.rs): a packet capture in a network namespace
  tcpdump
  # the OS keyring for real in tests (crates/secrets/tests/real_keyring.rs): a private
  # D-Bus session (dbus-run-session) with GNOME Keyring's Secret Service in it
  dbus gnome-keyring
  # packaging (scripts/package-deb.sh): dpkg-shlibdeps for the .deb's dependencies,
  # validators for the desktop entry, AppStream metainfo and Flatpak manifest
  dpkg-dev desktop-file-utils appstream python3-yaml
  # the man pages and shell completions: `man -l` renders them, zsh/fish check the
  # generated completion scripts' syntax (tests/cli.rs, scripts/package-deb.sh)
  man-db zsh fish
)

CHECK_ONLY=0
case "${1:-}" in
  "") ;;
  --check) CHECK_ONLY=1 ;;
  -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
  *) echo "deps: unknown argument: $1 (try --help)" >&2; exit 2 ;;
esac

say() { printf 'deps: %s\n' "$*"; }

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "deps: this script supports Debian/Ubuntu (dpkg + apt-get) only" >&2
  exit 1
fi

# Privilege for apt: nothing if root, else sudo (checked only when apt work is needed).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "deps: need root for '$*' but sudo is not installed; re-run as root" >&2
    exit 1
  fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    say "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    apt_updated=1
  fi
  say "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "$@"
}

# --- 1. system packages ---------------------------------------------------------
missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [ "$status" != "install ok installed" ]; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  say "system packages: all ${#PACKAGES[@]} installed"
elif [ "$CHECK_ONLY" -eq 1 ]; then
  say "system packages missing: ${missing[*]}"
else
  say "system packages missing (${#missing[@]}): ${missing[*]}"
  apt_install "${missing[@]}"
  say "system packages: installed ${#missing[@]}"
fi

# --- 2. Rust toolchain ------------------------------------------------------------
have_cargo() {
  command -v cargo >/dev/null 2>&1 || [ -x "${HOME:-/nonexistent}/.cargo/bin/cargo" ]
}

rust_missing=0
if have_cargo; then
  say "rust: cargo found ($(command -v cargo || echo "$HOME/.cargo/bin/cargo"))"
elif [ "$CHECK_ONLY" -eq 1 ]; then
  say "rust: cargo not found"
  rust_missing=1
else
  say "rust: cargo not found"
  rustup_status=$(dpkg-query -W -f='${Status}' rustup 2>/dev/null || true)
  if [ "$rustup_status" != "install ok installed" ]; then
    # Debian 13+/Ubuntu 24.04+ package rustup; Debian 12 does not.
    rustup_candidate() {
      apt-cache policy rustup 2>/dev/null | awk '/Candidate:/ && $2 != "(none)" {print $2}'
    }
    if [ -z "$(rustup_candidate)" ] && [ "$apt_updated" -eq 0 ]; then
      say "apt-get update (looking for the rustup package)"
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
      apt_updated=1
    fi
    if [ -n "$(rustup_candidate)" ]; then
      apt_install rustup
    else
      cat >&2 <<'EOF'
deps: ERROR: no Rust toolchain (cargo) and this distribution has no 'rustup' package.
deps: Install rustup yourself (as the user who builds Vigil), then re-run this script:
deps:   see https://rustup.rs  (download rustup-init, verify it, run: rustup-init -y)
deps:   then: source "$HOME/.cargo/env"
EOF
      exit 1
    fi
  fi
  # The Debian/Ubuntu rustup package installs rustup (and cargo/rustc proxies) but no
  # toolchain; fetch the stable one for the calling user.
  if ! rustup default >/dev/null 2>&1; then
    say "rust: rustup default stable"
    rustup default stable
  fi
  if have_cargo; then
    say "rust: cargo ready"
  else
    echo "deps: ERROR: rustup is installed but cargo is still not on PATH" >&2
    echo "deps: add \$HOME/.cargo/bin (or /usr/lib/rustup/bin) to PATH and re-run" >&2
    exit 1
  fi
fi

if [ "$CHECK_ONLY" -eq 1 ] && { [ "${#missing[@]}" -gt 0 ] || [ "$rust_missing" -eq 1 ]; }; then
  exit 1
fi
say "done"
