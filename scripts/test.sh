#!/usr/bin/env bash
# Install everything, check lint and types, and run the whole test suite.
# DATABASE_URL picks the database (SQLite by default; CI also runs it on PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy ketaclinic
.venv/bin/python manage.py makemigrations --check --dry-run -v0
exec .venv/bin/python -m pytest "$@"
