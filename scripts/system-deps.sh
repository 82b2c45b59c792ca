#!/usr/bin/env bash
# Make sure the Debian/Ubuntu libraries Qt6, VTK and Xvfb need are present.
# Installs what is missing with apt-get (as root, or through sudo); otherwise prints the
# one apt-get line to run and stops with exit code 1.
# Optional packages (the take-home tests read the report with poppler's pdftotext and open the
# page in a real Chromium; without them those tests skip with the reason) are installed the same
# way when possible, and only noted when not.
set -euo pipefail
pkgs=(xvfb xauth libgl1 libegl1 libgl1-mesa-dri libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
      libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-randr0 libxcb-shape0
      libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0 libxcb-shm0 libxrender1 libxi6 libsm6 libice6
      libfontconfig1 libdbus-1-3 libglib2.0-0)
optional=(poppler-utils chromium fonts-dejavu-core)
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "kneeviz: not a Debian/Ubuntu system; install Qt6/VTK/Xvfb system libraries yourself." >&2
  exit 0
fi
missing_of() {
  local out=() st
  for p in "$@"; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$st" == *"ok installed"* ]] || out+=("$p")
  done
  echo "${out[@]:-}"
}
read -r -a missing <<< "$(missing_of "${pkgs[@]}")"
read -r -a missing_optional <<< "$(missing_of "${optional[@]}")"
[ ${#missing[@]} -eq 0 ] && [ ${#missing_optional[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  apt=(apt-get)
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  apt=(sudo apt-get)
else
  apt=()
fi
if [ ${#apt[@]} -gt 0 ]; then
  "${apt[@]}" update -qq || true
  if [ ${#missing[@]} -gt 0 ]; then
    echo "kneeviz: installing system libraries: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq "${missing[@]}"
  fi
  if [ ${#missing_optional[@]} -gt 0 ]; then
    echo "kneeviz: installing the take-home tests' tools: ${missing_optional[*]}"
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq "${missing_optional[@]}" ||
      echo "kneeviz: could not install ${missing_optional[*]}: the tests that need them skip" >&2
  fi
  exit 0
fi
if [ ${#missing_optional[@]} -gt 0 ]; then
  echo "kneeviz: optional, for the take-home tests (they skip without):" \
       "sudo apt-get install ${missing_optional[*]}" >&2
fi
[ ${#missing[@]} -eq 0 ] && exit 0
line="apt-get update && apt-get install -y ${missing[*]}"
echo "kneeviz: these system libraries are missing; run this once as root, then retry:" >&2
echo "  sudo sh -c '$line'" >&2
exit 1
