#!/usr/bin/env bash
# Install the front-end's packages from the npm registry (lockfile as committed) and build the
# dashboard into nbrun/server/static. Needs Node.js and jlpm (from the jupyterlab package).
set -euo pipefail
cd "$(dirname "$0")"
JLPM="${JLPM:-jlpm}"
# build:prod calls jlpm and jupyter-builder by name: find them beside the given jlpm (a venv).
if [ "$JLPM" != jlpm ]; then
    PATH="$(cd "$(dirname "$JLPM")" && pwd):$PATH"
    export PATH
fi
"$JLPM" install --immutable
"$JLPM" build:prod
