#!/usr/bin/env bash
# Starts the whole server on one machine with embedded defaults (no RabbitMQ, no MongoDB):
# installs what is missing, builds, then runs the all-in-one launcher. Extra arguments go to
# the launcher, e.g. `npm start -- --config my.toml`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node dist/launcher/cli.js all-in-one "$@"
