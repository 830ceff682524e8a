#!/usr/bin/env bash
# Measures what the domain costs the endpoint: the mvmbot row loaded with
# "hello" (the one-line hint, no store read, no playbook) and with
# "next steps" on the seeded engagements (bench/seed), in interleaved rounds
# on the same binaries. Rounds are short (2s warmup + 5s each by default)
# and many, so that a slow spell of a shared host falls on both sides of a
# round; the median of the round ratios is the figure. The issue holds
# next-steps throughput to at least 0.80 of hello's.
#   bench/compare.sh                          # 11 rounds
#   ROUNDS=21 bench/compare.sh -duration 10s  # later flags win
# Extra arguments go to bench/load. BENCH_DIR keeps everything, as for run.sh.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rounds=${ROUNDS:-11}
work=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/mvmbot-compare-XXXXXX")}
mkdir -p "$work"
go build -o "$work/seed" ./bench/seed

# field NAME FILE prints the mvmbot row's NAME from run.sh's results.json.
field() {
  awk -v f="\"$2\":" '/"target": "mvmbot"/ {on=1} on && $1 == f {gsub(/,/, "", $2); print $2; exit}' "$1"
}

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

: >"$work/hello.rps"
: >"$work/next.rps"
: >"$work/ratio"
printf '%6s %12s %12s %8s %14s %14s\n' round "hello req/s" "next req/s" ratio "hello cpu ms" "next cpu ms"
declare -A rps cpu
for ((i = 1; i <= rounds; i++)); do
  for side in hello next; do
    text=hello
    [[ $side == next ]] && text="next steps"
    BENCH_DIR=$work BENCH_TARGETS=mvmbot bench/run.sh -warmup 2s -duration 5s -text "$text" -setup "mvmbot=$work/seed" "$@" >"$work/$side.out" 2>"$work/$side.err" || {
      cat "$work/$side.out" "$work/$side.err" >&2
      exit 1
    }
    rps[$side]=$(field "$work/results.json" throughput_rps)
    ok=$(field "$work/results.json" ok)
    cpu[$side]=$(awk -v c="$(field "$work/results.json" target_cpu_s)" -v n="$ok" 'BEGIN {printf "%.3f", c*1000/n}')
    echo "${rps[$side]}" >>"$work/$side.rps"
  done
  ratio=$(awk -v a="${rps[next]}" -v b="${rps[hello]}" 'BEGIN {printf "%.2f", a/b}')
  echo "$ratio" >>"$work/ratio"
  printf '%6d %12s %12s %8s %14s %14s\n' "$i" "${rps[hello]}" "${rps[next]}" "$ratio" "${cpu[hello]}" "${cpu[next]}"
done
h=$(median <"$work/hello.rps")
n=$(median <"$work/next.rps")
printf '%6s %12s %12s %8s   (median of the round ratios; ratio of the medians %s)\n' median "$h" "$n" \
  "$(median <"$work/ratio")" "$(awk -v a="$n" -v b="$h" 'BEGIN {printf "%.2f", a/b}')"
awk -v r="$(median <"$work/ratio")" 'BEGIN {printf "goal: next steps at least 0.80x hello'"'"'s throughput: %s\n", (r >= 0.80 ? "met" : "NOT met")}'
