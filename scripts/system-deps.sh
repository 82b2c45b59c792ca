#!/usr/bin/env bash
# Make sure the Debian/Ubuntu libraries Qt6, VTK and Xvfb need are present.
# Installs what is missing with apt-get (as root, or through sudo); otherwise prints the
# one apt-get line to run and stops with exit code 1.
set -euo pipefail
pkgs=(xvfb xauth libgl1 libegl1 libgl1-mesa-dri libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
      libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-randr0 libxcb-shape0
      libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0 libxcb-shm0 libxrender1 libxi6 libsm6 libice6
      libfontconfig1 libdbus-1-3 libglib2.0-0)
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "kneeviz: not a Debian/Ubuntu system; install Qt6/VTK/Xvfb system libraries yourself." >&2
  exit 0
fi
missing=()
for p in "${pkgs[@]}"; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$st" == *"ok installed"* ]] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
line="apt-get update && apt-get install -y ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "kneeviz: installing system libraries: ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  echo "kneeviz: installing system libraries with sudo: ${missing[*]}"
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
else
  echo "kneeviz: these system libraries are missing; run this once as root, then retry:" >&2
  echo "  sudo sh -c '$line'" >&2
  exit 1
fi
