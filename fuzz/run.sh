#!/usr/bin/env bash
# Runs berth's fuzz targets (docs/fuzzing.md). Used by `make fuzz` (CI smoke)
# and `make fuzz-long`.
#
#   fuzz/run.sh [-s SECONDS] [-b BUILD_DIR] [TARGET...]
#
# For each target (all by default):
#  1. replay: every seed in fuzz/corpus/<target>/ and every saved crash in
#     fuzz/regressions/<target>/ runs once. A regression listed in
#     fuzz/regressions/OPEN is a reported, not yet fixed bug: it is expected
#     to fail, and is announced when it starts to pass.
#  2. fuzz for SECONDS (default 20) from the seeds plus the working corpus in
#     BUILD_DIR/fuzz-work/corpus/<target>/ (kept between runs, so long runs
#     build on each other). A crash, leak, timeout or broken invariant
#     leaves its input in BUILD_DIR/fuzz-work/artifacts/<target>/.
# The per-input timeout (60 s) only catches hangs and exponential blow-ups:
# inputs run in microseconds, so a busy machine never comes near it.
# Exits non-zero when any target crashed or any regression not in OPEN
# failed. One line per target goes to BUILD_DIR/fuzz-work/summary.txt.
set -uo pipefail

cd "$(dirname "$0")/.."
seconds=20
build=build-fuzz
while getopts "s:b:" opt; do
  case $opt in
    s) seconds=$OPTARG ;;
    b) build=$OPTARG ;;
    *) echo "usage: $0 [-s SECONDS] [-b BUILD_DIR] [TARGET...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(manifest reference sigv4 ecr_input http_request lifecycle_policy iam_policy)
fi

# abort_on_error turns every sanitizer report (UBSan lives in a runtime of
# its own under g++) into SIGABRT, which libFuzzer records as a crash.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}

max_len() {
  case $1 in
    manifest|ecr_input|sigv4) echo 16384 ;;
    *) echo 8192 ;;
  esac
}

work=$build/fuzz-work
mkdir -p "$work"
summary=$work/summary.txt
: > "$summary"
failed=()

# Reported, not yet fixed findings: their ids, for run.sh and the targets.
BERTH_FUZZ_OPEN=""
if [[ -f fuzz/regressions/OPEN ]]; then
  BERTH_FUZZ_OPEN=$(grep -v '^#' fuzz/regressions/OPEN | awk 'NF {print $1}' | tr '\n' ' ')
fi
export BERTH_FUZZ_OPEN
is_open() { [[ " $BERTH_FUZZ_OPEN " == *" $1 "* ]]; }

for t in "${targets[@]}"; do
  bin=$build/fuzz/${t}_fuzzer
  if [[ ! -x $bin ]]; then
    echo "fuzz: $bin not built (cmake --build $build --target berth_fuzzers)" >&2
    failed+=("$t:missing")
    continue
  fi
  corpus=$work/corpus/$t
  artifacts=$work/artifacts/$t
  log=$work/$t.log
  mkdir -p "$corpus" "$artifacts"

  # 1. replay seeds and saved crashes
  seeds=(fuzz/corpus/"$t"/*)
  if ! "$bin" -timeout=60 "${seeds[@]}" > "$work/$t.replay.log" 2>&1; then
    echo "fuzz: $t: a seed crashes; see $work/$t.replay.log" >&2
    tail -30 "$work/$t.replay.log" >&2
    failed+=("$t:seed")
  fi
  for r in fuzz/regressions/"$t"/*; do
    [[ -f $r ]] || continue
    id=$t/$(basename "$r")
    # The input's own id is left out, so the target does not skip it.
    others=" $BERTH_FUZZ_OPEN "
    others=${others// $id / }
    if BERTH_FUZZ_OPEN=$others "$bin" -timeout=60 "$r" > "$work/regression.log" 2>&1; then
      if is_open "$id"; then echo "fuzz: $id passes now: remove it from fuzz/regressions/OPEN"; fi
    elif is_open "$id"; then
      echo "fuzz: $id still fails (known, reported; see fuzz/regressions/OPEN)"
    else
      echo "fuzz: regression $id fails again:" >&2
      tail -30 "$work/regression.log" >&2
      failed+=("$id")
    fi
  done

  # 2. fuzz
  dict=()
  [[ -f fuzz/dict/$t.dict ]] && dict=(-dict="fuzz/dict/$t.dict")
  start=$SECONDS
  "$bin" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 -max_len="$(max_len "$t")" \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" \
    "$corpus" "fuzz/corpus/$t" > "$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  units=$(find "$corpus" -type f | wc -l)
  line=$(printf '%-13s %4ss  %10s execs  ft %6s  corpus %5s  %s' "$t" $((SECONDS - start)) \
    "${execs:-?}" "${ft:-?}" "$units" "$([[ $rc == 0 ]] && echo ok || echo CRASH)")
  echo "fuzz: $line"
  echo "$line" >> "$summary"
  grep -h "FUZZ known open finding" "$log" | sort -u | sed "s/^/fuzz: $t: /"
  if [[ $rc != 0 ]]; then
    echo "fuzz: $t crashed (exit $rc); input saved in $artifacts/:" >&2
    grep -E "ERROR|FUZZ_CHECK|SUMMARY|Test unit written|^    #[0-9]+ " "$log" | head -40 >&2
    failed+=("$t")
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (logs in $work/)" >&2
  exit 1
fi
echo "fuzz: all targets clean (summary in $summary)"
