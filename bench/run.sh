#!/usr/bin/env bash
# Builds the bench's pieces and runs the load against each target in turn,
# in one run, printing one table. Extra arguments go to bench/load, e.g.
#   bench/run.sh -duration 30s -text "next steps"
# BENCH_TARGETS picks rows (default: "floor echo-js mvmbot"; mvmbot-pg1 to
# mvmbot-pg8 are N replicas on PostgreSQL, with BENCH_POSTGRES set); the mvmbot row is
# skipped with a note when ./cmd/mvmbot is not in the tree yet (and, failing
# the run, when it does not build).
# BENCH_DIR keeps binaries, logs and results there instead of a temp dir.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

targets=${BENCH_TARGETS:-floor echo-js mvmbot}
if [[ -n "${BENCH_DIR:-}" ]]; then
  work=$BENCH_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/mvmbot-bench-XXXXXX")
fi
echo "bench: binaries, logs and results in $work" >&2

go build -o "$work/load" ./bench/load

args=()
broken=0
auth=mvmbot
built=""
# build_mvmbot builds ./cmd/mvmbot once, as the Dockerfile ships it: static
# (no libc mapped) and stripped. A broken build should not cost the other
# rows: report it, run the rest, and fail the run at the end.
build_mvmbot() {
  [[ -n $built ]] && return 0
  if CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/mvmbot" ./cmd/mvmbot; then
    built=1
    return 0
  fi
  echo "bench: ./cmd/mvmbot does not build; skipping the mvmbot rows" >&2
  broken=1
  return 1
}
for t in $targets; do
  case $t in
    floor)
      go build -o "$work/floor" ./bench/floor
      args+=(-target "floor=$work/floor")
      ;;
    echo-js)
      js=bench/echo-js
      # npm ci only when the lockfile changed since the last install: it
      # wipes node_modules first, which costs seconds on every run.
      if [[ ! -f $js/node_modules/.package-lock.json || $js/package-lock.json -nt $js/node_modules/.package-lock.json ]]; then
        (cd "$js" && npm ci --no-audit --no-fund --loglevel=error) >&2
      fi
      args+=(-target "echo-js=node $root/$js/index.js")
      ;;
    mvmbot)
      if [[ ! -d cmd/mvmbot ]]; then
        echo "bench: ./cmd/mvmbot is not in the tree yet; skipping the mvmbot row" >&2
        continue
      fi
      build_mvmbot && args+=(-target "mvmbot=$work/mvmbot")
      ;;
    mvmbot-pg[1-8])
      # N replicas on one PostgreSQL schema, the load spread over them.
      if [[ -z ${BENCH_POSTGRES:-} ]]; then
        echo "bench: BENCH_POSTGRES (postgres:// URL of a scratch database) is not set; skipping $t" >&2
        continue
      fi
      build_mvmbot || continue
      n=${t#mvmbot-pg}
      schema=bench_pg$n
      sep='?'
      [[ $BENCH_POSTGRES == *\?* ]] && sep='&'
      url="$BENCH_POSTGRES${sep}search_path=$schema"
      setup="psql '$BENCH_POSTGRES' -qc 'DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema'"
      # BENCH_SEED seeds the row's bbolt file, which migrate-store copies
      # into the schema (the bench's engagements, for "next steps").
      if [[ -n ${BENCH_SEED:-} ]]; then
        setup+=" && $BENCH_SEED && $work/mvmbot migrate-store --from \"\$MVMBOT_DB\" --to '$url' >/dev/null"
      fi
      args+=(-target "$t=env 'MVMBOT_STORE=$url' $work/mvmbot" -setup "$t=$setup" -replicas "$t=$n")
      auth+=",$t"
      ;;
    *)
      echo "bench: unknown target $t (want floor, echo-js or mvmbot)" >&2
      exit 2
      ;;
  esac
done

if [[ ${#args[@]} -eq 0 ]]; then
  echo "bench: no target to run" >&2
  exit 1
fi
status=0
"$work/load" -logdir "$work/logs" -json "$work/results.json" -auth "$auth" "${args[@]}" "$@" || status=$?
if [[ $broken -ne 0 && $status -eq 0 ]]; then
  status=1
fi
exit $status
