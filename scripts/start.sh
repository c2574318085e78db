#!/usr/bin/env bash
# Start the server: `npm start` (embedded defaults, config/default.yaml) or
# `npm start -- --config FILE`. Installs missing packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
if [ ! -f dist/main.js ] || [ -n "$(find src -newer dist/main.js -name '*.ts' -print -quit)" ]; then
  npx tsc -p tsconfig.build.json
fi
exec node --enable-source-maps dist/main.js "$@"
