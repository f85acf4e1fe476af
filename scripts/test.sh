#!/usr/bin/env bash
# The whole test suite: setup (idempotent), lint, then every test file under node's test
# runner. Tests that need RabbitMQ, nginx or Chromium start and stop their own instances.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "[test] lint and format check (biome)"
npx --no-install biome check .

export MEDIASPREAD_LOG_LEVEL="${MEDIASPREAD_LOG_LEVEL:-warn}"
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
if [[ $# -gt 0 ]]; then
  # Optional filter: only test files whose path contains one of the arguments.
  selected=()
  for f in "${files[@]}"; do for pat in "$@"; do [[ "$f" == *"$pat"* ]] && selected+=("$f") && break; done; done
  files=("${selected[@]}")
fi
echo "[test] running ${#files[@]} test files"
exec node --test --test-concurrency=2 --test-timeout=300000 "${files[@]}"
