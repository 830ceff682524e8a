#!/usr/bin/env bash
# Renders every card mvmbot can send in Microsoft's adaptivecards renderer
# with Teams' host config, at 360, 500 and 726 px, and fails on what a person
# would trip over (see check.js). Pictures land in OUT_DIR (default
# scripts/cardcheck/out, gitignored) as NAME-WIDTH.png.
# Needs Debian's chromium and fonts-liberation2, and npm.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(realpath -m "${1:-scripts/cardcheck/out}")
rm -rf "$out"
mkdir -p "$out/cards"
MVMBOT_CARDS_OUT="$out/cards" go test ./cards/ ./bot/ -run '^TestWriteEveryCard$' -count=1 >/dev/null
if [ ! -d scripts/cardcheck/node_modules ]; then
  (cd scripts/cardcheck && npm ci --no-audit --no-fund --loglevel=error)
fi
node scripts/cardcheck/check.js "$out/cards" "$out"
