#!/usr/bin/env bash
# Set up everything and serve the demo on http://127.0.0.1:8000 (SQLite, Buena Park demo data).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export DJANGO_SETTINGS_MODULE=ketaclinic.settings
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python manage.py seed_demo --patients "${DEMO_PATIENTS:-500}" --seed 1 --if-empty
# The background worker sends questionnaire reminders and escalates unacknowledged risk alerts.
.venv/bin/python manage.py db_worker --no-startup-delay > var/worker.log 2>&1 &
worker=$!
# The sealer links new audit entries into the chain every 5 seconds; requests never seal.
.venv/bin/python manage.py seal_audit --every 5 > var/sealer.log 2>&1 &
sealer=$!
trap 'kill "$worker" "$sealer" 2>/dev/null' EXIT
.venv/bin/python manage.py enqueue_measure_jobs > /dev/null
echo "Serving ketaclinic on http://127.0.0.1:8000 (Ctrl-C stops it; the task worker logs to var/worker.log)."
.venv/bin/python manage.py runserver 127.0.0.1:8000 --noreload
