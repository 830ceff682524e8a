#!/usr/bin/env bash
# Walks one engagement through the Microsoft 365 Agents Playground as each
# of its four people in turn: the partner sets it up and gives the roles,
# the MST records the workshops, the customer submits the questionnaire,
# the MVM validates it, runs the pilot and closes. The Playground acts as
# one user at a time, so the bot runs once (one database, one group chat)
# and the Playground is started again for each step with the config of
# that step's person (scripts/playground-as.sh, CONFIG_ONLY=1); scripts/
# pgcheck -walk STEP talks to it. BOT_PORT and PLAYGROUND_PORT choose the
# ports. Exits non-zero on any failure.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
bot_port=${BOT_PORT:-3978}
pg_port=${PLAYGROUND_PORT:-56150}
tools="$root/.tools/playground"
work=$(mktemp -d)
bot_pid=""
pg_pid=""

stop_playground() {
  if [ -n "$pg_pid" ]; then kill -- "-$pg_pid" 2>/dev/null || true; wait "$pg_pid" 2>/dev/null || true; fi
  pg_pid=""
}
cleanup() {
  stop_playground
  if [ -n "$bot_pid" ]; then kill -- "-$bot_pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  if [ "${failed:-0}" = 1 ]; then
    echo "--- mvmbot log"; tail -80 "$work/bot.log" || true
    echo "--- playground log"; tail -30 "$work/playground.log" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
failed=1

# The Playground, into .tools/ on first use (as the smoke check does).
if [ ! -x "$tools/node_modules/.bin/agentsplayground" ]; then
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error @microsoft/m365agentsplayground@0.2.28 >/dev/null
fi
mkdir -p "$work/bin"
printf '#!/bin/sh\nexit 0\n' >"$work/bin/xdg-open"
chmod +x "$work/bin/xdg-open"

wait_for() { # url what
  for _ in $(seq 1 300); do
    if curl -fsS "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "$2 did not come up at $1" >&2
  return 1
}

go build -o "$work/mvmbot" ./cmd/mvmbot
go build -o "$work/pgcheck" ./scripts/pgcheck
(cd "$work" && exec setsid env -u MicrosoftAppId PORT="$bot_port" MVMBOT_DB="$work/mvmbot.db" \
  MVMBOT_LOG_FORMAT=text ./mvmbot >"$work/bot.log" 2>&1) &
bot_pid=$!
wait_for "http://127.0.0.1:$bot_port/readyz" mvmbot

start=$SECONDS
while read -r step role; do
  t0=$SECONDS
  config=$(PLAYGROUND_PORT=$pg_port CONFIG_ONLY=1 bash scripts/playground-as.sh "$role")
  # The Playground reads the config in the folder it starts in, exits when
  # it cannot open a browser or when its standard input ends.
  (cd "$(dirname "$config")" && exec setsid bash -c 'sleep 900 | PATH="$1/bin:$PATH" "$2" -e "$3" -c msteams -p "$4"' _ \
    "$work" "$tools/node_modules/.bin/agentsplayground" "http://localhost:$bot_port/api/messages" "$pg_port" \
    >"$work/playground.log" 2>&1) &
  pg_pid=$!
  wait_for "http://localhost:$pg_port/_debug/ping" "the Agents Playground"
  echo "== $step, as the $role"
  "$work/pgcheck" -playground "http://localhost:$pg_port" -walk "$step"
  stop_playground
  echo "   ($((SECONDS - t0)) s)"
done < <("$work/pgcheck" -steps)
echo "walk by each role passed in $((SECONDS - start)) s"
failed=0
