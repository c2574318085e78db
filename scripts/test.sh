#!/usr/bin/env bash
# Run every test: `npm test`. Installs missing packages first (npm, rtpengine, sipp).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --test
npx tsc -p tsconfig.json --noEmit
npx tsc -p tsconfig.build.json
npx vitest run "$@"
