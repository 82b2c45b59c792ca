#!/usr/bin/env bash
# Start the kneeviz app. With no display, say so and fall back to what can be done headless.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "kneeviz: no display found (DISPLAY is not set): the window cannot open here."
  echo "kneeviz: on a desktop, run 'make run' there; here you can try: xvfb-run -a .venv/bin/kneeviz $*"
  exec .venv/bin/kneeviz headless-demo "$@"
fi
exec .venv/bin/kneeviz "$@"
