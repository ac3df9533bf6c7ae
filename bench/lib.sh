#!/usr/bin/env bash
# Shared by the benchmarks: a copy of an E2E program in a work dir inside the repo (so it resolves
# @pulumi/pulumi and its types), a local Pulumi backend, and helpers. Source it; it sets $work.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${PULUMI_ETCD_BIN:?run through npm run bench}
bed=${PULUMI_ETCD_BED_DIR:-/var/tmp/pulumi-etcd-bed}
mkdir -p "$repo/test/.work"
work=$(mktemp -d "$repo/test/.work/bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a - b }'; }
# pulumi's output goes to a log, shown when a step fails.
quiet() { "$@" >"$work/step.log" 2>&1 || { tail -n 40 "$work/step.log" >&2; exit 1; }; }

# use_program NAME: copies test/e2e/programs/NAME, points it at this checkout, creates stack "bench".
use_program() {
  cp -r "$repo/test/e2e/programs/$1" "$work/program"
  sed -i "s#\(\.\./\)\+bin#$repo/bin#" "$work/program/Pulumi.yaml"
  sed -i "s#\"\(\.\./\)\+dist/#\"$repo/dist/#" "$work/program/index.ts"
  export PATH="$bin:$PATH" PULUMI_HOME="$work/home" PULUMI_BACKEND_URL="file://$work/state" PULUMI_CONFIG_PASSPHRASE=bench \
    PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true NODE_PATH="$repo/node_modules"
  mkdir -p "$work/state"
  cd "$work/program" || exit 1
  pulumi stack init bench --non-interactive >/dev/null
  pulumi config set --secret sshKey <"$bed/id_ed25519"
}

# race RUNS TITLE PULUMI_LABEL FLOOR_LABEL FLOOR_FN [FLOOR_TEARDOWN_FN [AFTER_UP_FN [AFTER_DESTROY_FN]]]:
# alternates a timed `pulumi up` (then an untimed destroy) with a timed floor (then its untimed
# teardown), and prints both medians and their ratio. The optional hooks run untimed, with the run
# number as their argument: AFTER_UP_FN right after the up (its output is still in $work/step.log),
# AFTER_DESTROY_FN right after the destroy.
race() {
  local runs=$1 title=$2 plabel=$3 flabel=$4 floor=$5 teardown=${6:-true} after_up=${7:-true} after_destroy=${8:-true} r t0 p f
  : >"$work/pulumi.times"
  : >"$work/floor.times"
  for ((r = 1; r <= runs; r++)); do
    t0=$(now)
    quiet pulumi up --yes --skip-preview --non-interactive
    sub "$(now)" "$t0" >>"$work/pulumi.times"
    "$after_up" "$r"
    quiet pulumi destroy --yes --skip-preview --non-interactive
    "$after_destroy" "$r"
    t0=$(now)
    "$floor"
    sub "$(now)" "$t0" >>"$work/floor.times"
    "$teardown"
  done
  p=$(median <"$work/pulumi.times")
  f=$(median <"$work/floor.times")
  printf '%s: %d runs, pairs alternated in one run\n' "$title" "$runs"
  printf '  pulumi up (%s): median %.2f s (all: %s)\n' "$plabel" "$p" "$(paste -sd' ' "$work/pulumi.times")"
  printf '  floor (%s): median %.2f s (all: %s)\n' "$flabel" "$f" "$(paste -sd' ' "$work/floor.times")"
  awk -v p="$p" -v f="$f" 'BEGIN { printf "  ratio pulumi/floor: %.1f\n", p / f }'
}
