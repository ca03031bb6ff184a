#!/usr/bin/env bash
# System packages the project needs from Debian:
#   fonts-noto-cjk        the free CJK fallback fonts for PDFs (no tofu)
#   libharfbuzz-subset0   the HarfBuzz subsetter: without it weasyprint falls back to fontTools
#                         and a one-page Chinese PDF takes seconds instead of ~0.15 s
#   chromium              Debian's browser, driven by Playwright in the browser tests
# Installs what is missing when running as root; otherwise stops with the exact command to run.
set -euo pipefail

packages=(fonts-noto-cjk libharfbuzz-subset0 chromium)
python_bin=${PYTHON:-python3}

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for pkg in "${packages[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
        [[ $status == "install ok installed" ]] || missing+=("$pkg")
    done
    # Debian's own Python needs python3-venv for `python3 -m venv`.
    if ! "$python_bin" -c "import ensurepip, venv" >/dev/null 2>&1; then
        missing+=(python3-venv)
    fi
else
    echo "Not a Debian system: install the equivalents of ${packages[*]} yourself." >&2
    exit 0
fi

if ((${#missing[@]} == 0)); then
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    echo "Installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "Missing system packages: ${missing[*]}" >&2
    echo "Run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
