#!/usr/bin/env bash
# Starts mvmbot in local mode and the Microsoft 365 Agents Playground in
# front of it, then talks to the bot through the Playground as a person
# would (scripts/pgcheck) and checks the answers. Installs the Playground
# from npm into .tools/ on first use. Exits non-zero on any failure.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
playground_version=0.2.28
bot_port=${BOT_PORT:-3978}
pg_port=${PLAYGROUND_PORT:-56150}
tools="$root/.tools/playground"
work=$(mktemp -d)
pids=()

cleanup() {
  # Each was started in a session of its own: end the whole group.
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${failed:-0}" = 1 ]; then
    echo "--- mvmbot log"; cat "$work/bot.log" || true
    echo "--- playground log"; tail -50 "$work/playground.log" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
failed=1

if [ ! -x "$tools/node_modules/.bin/agentsplayground" ]; then
  echo "installing @microsoft/m365agentsplayground@$playground_version into $tools"
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error \
    "@microsoft/m365agentsplayground@$playground_version" >/dev/null
fi

# The Playground opens a browser at start and exits when it cannot: give it
# an xdg-open that does nothing.
mkdir -p "$work/bin"
printf '#!/bin/sh\nexit 0\n' > "$work/bin/xdg-open"
chmod +x "$work/bin/xdg-open"

go build -o "$work/mvmbot" ./cmd/mvmbot
(cd "$work" && exec setsid env -u MicrosoftAppId PORT="$bot_port" MVMBOT_DB="$work/mvmbot.db" \
  MVMBOT_LOG_FORMAT=text ./mvmbot >"$work/bot.log" 2>&1) &
pids+=($!)

# The Playground also exits when its standard input ends: feed it a pipe
# that stays open for as long as the check may take.
# It writes a devTools/ log folder where it runs, so it runs in $work.
(cd "$work" && exec setsid bash -c 'sleep 600 | PATH="$1/bin:$PATH" "$2" -e "$3" -c msteams -p "$4"' _ \
  "$work" "$tools/node_modules/.bin/agentsplayground" "http://localhost:$bot_port/api/messages" "$pg_port" \
  >"$work/playground.log" 2>&1) &
pids+=($!)

# A first start after a fresh install, on a busy machine, takes a while:
# allow a minute.
wait_for() { # url what
  for _ in $(seq 1 300); do
    if curl -fsS "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "$2 did not come up at $1" >&2
  return 1
}
wait_for "http://127.0.0.1:$bot_port/readyz" mvmbot
wait_for "http://localhost:$pg_port/_debug/ping" "the Agents Playground"

go run ./scripts/pgcheck -playground "http://localhost:$pg_port"
failed=0
