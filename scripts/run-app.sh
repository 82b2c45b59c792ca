#!/usr/bin/env bash
# Start the kneeviz app. With no display, `kneeviz headless-demo` says so and renders the pfp demo
# video and a frame strip instead (printing their paths).
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  exec .venv/bin/kneeviz headless-demo "$@"
fi
exec .venv/bin/kneeviz "$@"
