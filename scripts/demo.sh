#!/usr/bin/env bash
# Runs Vigil on its built-in demo site, from a fresh Debian 12 / Ubuntu machine:
# installs what is missing (scripts/deps.sh), builds in release mode, starts the app.
# Extra arguments go to vigil, e.g. `scripts/demo.sh --layout 3x3`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
[ -f assets/demo/lobby.mp4 ] || bash scripts/make-demo-clips.sh
exec cargo run --release --locked -- --demo "$@"
