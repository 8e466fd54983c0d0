#!/bin/bash
# make fuzz: runs each harness under libFuzzer for a bounded time and
# prints a table; fails when any of them crashed, leaked or hung.
#
#   run.sh FUZZDIR SECONDS JOBS NAME...
#
# FUZZDIR is build/fuzz: the harnesses in bin/, the corpus each run grows
# in corpus/NAME/ (the committed seeds in tests/fuzz/corpus/NAME/ are read,
# never written), libFuzzer's output in logs/NAME.log, crashing inputs in
# artifacts/NAME/. JOBS harnesses run at a time.
set -uo pipefail

dir=$1 seconds=$2 jobs=$3
shift 3
src=$(cd "$(dirname "$0")" && pwd)

[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: FUZZ_SECONDS must be a positive number" >&2; exit 2; }
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: FUZZ_JOBS must be a positive number" >&2; exit 2; }

# One harness: its output in the log, its wall time and exit status beside.
run_one() {
	local name=$1 start rc
	local corpus=$dir/corpus/$name artifacts=$dir/artifacts/$name log=$dir/logs/$name.log
	local -a flags=(
		-max_total_time="$seconds"
		-print_final_stats=1
		-use_value_profile=1
		# A hang is a bug too: no parser needs seconds for one input.
		-timeout=25
		-artifact_prefix="$artifacts/"
	)

	mkdir -p "$corpus" "$artifacts"
	# What this run found is what is newer than this (earlier runs' finds
	# stay where they are until someone deals with them).
	touch "$dir/logs/$name.started"
	start=$(date +%s)
	"$dir/bin/fuzz-$name" "${flags[@]}" "$corpus" "$src/corpus/$name" >"$log" 2>&1
	rc=$?
	echo "$(($(date +%s) - start)) $rc" >"$dir/logs/$name.result"
}

# The last value libFuzzer printed for a final statistic, "?" without one.
stat() {
	local v
	v=$(sed -n "s/^stat::$2: *//p" "$dir/logs/$1.log" | tail -n1)
	echo "${v:-?}"
}

mkdir -p "$dir/logs"
echo "fuzz: $# harnesses, ${seconds}s each, $jobs at a time; logs in $dir/logs/"
for name in "$@"; do
	rm -f "$dir/logs/$name.result"
	while (($(jobs -rp | wc -l) >= jobs)); do
		wait -n
	done
	echo "  FUZZ     $name"
	run_one "$name" &
done
wait

failed=0
printf '\n%-16s %8s %12s %9s %7s %7s  %s\n' harness seconds execs execs/s new corpus result
for name in "$@"; do
	read -r took rc <"$dir/logs/$name.result" || { took='?' rc='?'; }
	found=$(find "$dir/artifacts/$name" -maxdepth 1 -type f ! -name 'slow-unit-*' \
		-newer "$dir/logs/$name.started" 2>/dev/null | sort)
	if [[ $rc == 0 && -z $found ]]; then
		result=ok
	else
		failed=1
		result="FAILED (exit $rc)${found:+: $(echo $found)}"
	fi
	printf '%-16s %8s %12s %9s %7s %7s  %s\n' "$name" "$took" "$(stat "$name" number_of_executed_units)" \
		"$(stat "$name" average_exec_per_sec)" "$(stat "$name" new_units_added)" \
		"$(find "$dir/corpus/$name" -type f | wc -l)" "$result"
done
if ((failed)); then
	cat <<-EOT

	A harness failed: its log names the input (artifacts/). Reproduce with
	  $dir/bin/fuzz-NAME FILE
	fix the parser, and add the input to tests/fuzz/corpus/NAME/ so that
	make check replays it (tests/fuzz/README.md).
	EOT
fi
exit $failed
