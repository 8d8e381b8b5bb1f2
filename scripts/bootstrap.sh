#!/usr/bin/env bash
# Install everything ketaclinic needs, from nothing: Python 3.12+, the locked dependencies,
# and (as root on Debian) the system packages for PDFs and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  for candidate in python3.12 python3.13 \
      "$HOME/.pyenv/versions/3.12."*/bin/python /root/.pyenv/versions/3.12.*/bin/python \
      "$HOME/.pyenv/versions/3.13."*/bin/python /usr/local/bin/python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.12 python3.12-venv >/dev/null 2>&1 \
      && command -v python3.12 && return 0
  fi
  echo "ketaclinic needs Python 3.12 or newer (Django 6 requires it); none was found." >&2
  return 1
}

system_packages() {
  # Debian's Chromium for the browser tests (never a downloaded browser), Pango for WeasyPrint,
  # poppler-utils to look at PDFs, the PostgreSQL client for backups.
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
  command -v pg_dump >/dev/null 2>&1 || missing+=(postgresql-client)
  ldconfig -p 2>/dev/null | grep -q libpango-1.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
  fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "Installing system packages: ${missing[*]}"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      echo "Please install: ${missing[*]} (Debian package names)" >&2
    fi
  fi
}

PYTHON=$(find_python)
system_packages
if [ ! -x .tools/bin/uv ]; then
  "$PYTHON" -m venv .tools
  .tools/bin/pip install --quiet --disable-pip-version-check uv==0.13.8
fi
export UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=.venv
.tools/bin/uv sync --frozen --quiet --python "$PYTHON"
