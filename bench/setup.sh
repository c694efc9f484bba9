#!/usr/bin/env bash
# Creates bench/.venv and installs nbrun (editable, from the repo root) plus the peer trackers
# that the logging-overhead benchmark compares against: wandb (offline), trackio, mlflow (async
# logging), and psutil for CPU/RSS accounting. Idempotent: a stamp file records the hash of this
# script and of the repo's pyproject.toml, and the install step is skipped while both are unchanged.
# Quiet on success; any failing step aborts with a non-zero exit status.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"

# Peer versions are pinned so that RESULTS.md can be reproduced; bump them deliberately.
peers=(
  "wandb==0.31.0"
  "trackio==0.43.0"
  "mlflow==3.17.2"
  "psutil==7.2.2"
  "moviepy==2.2.1" # wandb.Video encodes raw frames with it (media_log.py)
)

if [[ ! -x "$venv/bin/python" ]]; then
  "$python" -m venv "$venv"
fi

stamp="$venv/.bench-setup-stamp"
want="$(cat "$here/setup.sh" "$root/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

# pip's own output (including harmless index warnings) goes to a log that is shown only on failure.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  -e "$root" "${peers[@]}" >"$log" 2>&1; then
  cat "$log" >&2
  echo "bench/setup.sh: pip install failed" >&2
  exit 1
fi
"$venv/bin/python" -c "import nbrun, wandb, trackio, mlflow, psutil" >/dev/null
echo "$want" >"$stamp"

# The backend benchmarks (online_ingest.py, chart_query.py) run nbrun's own server, on SQLite and
# on PostgreSQL, so nbrun's server and postgres extras go in too; media_log.py needs its media
# extra (imageio, imageio-ffmpeg, plotly). MLflow's tracking server (`mlflow server`: uvicorn,
# FastAPI, Flask, alembic) already comes with the full `mlflow` package pinned above. A failure
# here removes the stamp, so that the next call tries the whole install.
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  -e "$root[server,postgres,media]" >"$log" 2>&1; then
  rm -f "$stamp"
  cat "$log" >&2
  echo "bench/setup.sh: pip install of nbrun[server,postgres,media] failed" >&2
  exit 1
fi
if ! "$venv/bin/python" -c "import fastapi, uvicorn, sqlalchemy, psycopg, numpy, mlflow.server" \
  >/dev/null || ! "$venv/bin/python" -c "import imageio, imageio_ffmpeg, plotly, moviepy" \
  >/dev/null; then
  rm -f "$stamp"
  echo "bench/setup.sh: the server or media packages do not import" >&2
  exit 1
fi
