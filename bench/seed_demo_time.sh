#!/usr/bin/env bash
# Time seed_demo for N patients on a fresh SQLite file and a fresh PostgreSQL database.
# Usage: bash bench/seed_demo_time.sh [N]   (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
work=$(mktemp -d)
echo "== SQLite, $N patients =="
export DATABASE_URL="sqlite:///$work/bench.sqlite3"
.venv/bin/python manage.py migrate -v0
/usr/bin/time -f "wall %e s, max RSS %M KB" .venv/bin/python manage.py seed_demo --patients "$N" --seed 1 > "$work/seed.log"
head -n 1 "$work/seed.log"
.venv/bin/python manage.py verify_audit
echo "== PostgreSQL, $N patients =="
psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS ketaclinic_bench" -c "CREATE DATABASE ketaclinic_bench"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/ketaclinic_bench"
.venv/bin/python manage.py migrate -v0
/usr/bin/time -f "wall %e s, max RSS %M KB" .venv/bin/python manage.py seed_demo --patients "$N" --seed 1 > "$work/seed.log"
head -n 1 "$work/seed.log"
.venv/bin/python manage.py verify_audit
rm -rf "$work"
