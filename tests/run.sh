#!/bin/bash
# The test runner of make check: runs each test file (a cmocka binary or a
# shell script printing TAP), one after the other, and judges it by its
# TAP, its exit status and its plan together, so that nothing passes by
# accident:
#   - every "not ok" is a failure, every "# SKIP" a skip (never a pass);
#   - a file that exits non-zero, ends without a plan, prints "Bail out!",
#     runs a different number of points than it planned, numbers them out
#     of order or has no point at all fails, with one failed point of its
#     own (so the totals still add up to the points counted);
#   - a file running longer than TEST_TIMEOUT seconds (default 3600) is
#     sent SIGTERM, which the shell tests report as an abort.
# After the files, the runner's own points: no test wrote under $HOME (it
# runs every file with an empty HOME of its own) and no test left a
# scratch directory behind in the TMPDIR the runner gives them (unless
# OSLIFT_KEEP_TMP=1, which keeps that TMPDIR and says where).
#
#   tests/run.sh [--log-dir DIR] FILE...
#
# Prints a line per file as it ends, the failures with their diagnostics
# and the tail of the file's stderr, every skip with its reason, and last
# the line "N passed, N failed, N skipped". Exits 1 when anything failed.
# Each file's whole output is kept in DIR/NAME.log (default
# build/test-logs). VERBOSE=1 also streams every file's output.
set -uo pipefail

log_dir=build/test-logs
if [[ ${1:-} == --log-dir ]]; then log_dir=$2; shift 2; fi
(($#)) || { echo "usage: tests/run.sh [--log-dir DIR] FILE..." >&2; exit 2; }
mkdir -p "$log_dir"
log_dir=$(cd "$log_dir" && pwd)
timeout_s=${TEST_TIMEOUT:-3600}

total_pass=0 total_fail=0 total_skip=0
failures=() skips=()
is_tty=0
[[ -t 1 && -z ${NO_COLOR:-} ]] && is_tty=1
paint() { if ((is_tty)); then printf '\033[%sm%s\033[0m' "$1" "$2"; else printf '%s' "$2"; fi; }

# The HOME every test gets, empty, and a TMPDIR of this run's own, so that
# what the tests leave behind is told apart from other users of /tmp.
test_home=$(mktemp -d "${TMPDIR:-/tmp}/oslift-home.XXXXXX")
test_tmp=$(mktemp -d "${TMPDIR:-/tmp}/oslift-run.XXXXXX")
export TMPDIR=$test_tmp

# judge TAPFILE EXIT-STATUS: counts and verdict lines of one file.
# Prints "P F S" on its first line, then lines "fail\tTEXT" and
# "skip\tTEXT", and diagnostics of failed points as "diag\tTEXT".
judge() {
	awk -v rc="$2" '
	/^ok [0-9]+/ || /^not ok [0-9]+/ {
		ok = ($1 == "ok")
		num = ok ? $2 : $3
		points++
		if (num + 0 != points) order_bad = 1
		desc = $0
		sub(/^(not )?ok [0-9]+/, "", desc); sub(/^ *-? */, "", desc)
		skip = match(desc, /# [Ss][Kk][Ii][Pp]/)
		if (ok && skip) {
			s++
			reason = substr(desc, RSTART + 6); d = substr(desc, 1, RSTART - 1)
			sub(/[ \t]+$/, "", d); sub(/^[ \t]+/, "", reason)
			print "skip\t" d ": " (reason == "" ? "(no reason given)" : reason) > "/dev/stderr"
		} else if (ok) {
			p++
		} else {
			f++; in_fail = 1
			print "fail\tnot ok " num " - " desc > "/dev/stderr"
			next
		}
		in_fail = 0
		next
	}
	/^#/ && in_fail { print "diag\t" $0 > "/dev/stderr"; next }
	/^[0-9]+\.\.[0-9]+/ {
		if (planned != "") dup_plan = 1
		split($1, a, /\.\./); planned = a[2] + 0
		plan_text = $0
		in_fail = 0
		next
	}
	/^Bail out!/ { bailed = $0; next }
	{ in_fail = 0 }
	END {
		extra = ""
		if (bailed != "") extra = bailed
		else if (planned == "" && points == 0) extra = "no test point and no plan: the file ended before reporting anything"
		else if (planned == "") extra = "no plan: the file ended early after " points " points"
		else if (dup_plan) extra = "more than one plan"
		else if (planned != points) extra = "planned " planned " points, ran " points
		else if (points == 0) extra = "no test point (" plan_text "): a file must assert something or skip with a reason"
		else if (order_bad) extra = "test points numbered out of order"
		else if (rc != 0 && f == 0) extra = "exited with status " rc " although no point failed"
		if (extra != "") { f++; print "fail\t(runner) " extra > "/dev/stderr" }
		printf "%d %d %d\n", p, f, s
	}' "$1"
}

run_one() {
	local file=$1 name log rc start secs counts p f s verdict line
	name=${file#./}
	log="$log_dir/$(tr '/' '_' <<<"$name").log"
	start=$SECONDS
	printf '%s ' "$name"
	if [[ -n ${VERBOSE:-} ]]; then
		echo
		HOME=$test_home timeout -s TERM -k 60 "$timeout_s" "$file" 2> >(tee "$log.err" >&2) | tee "$log"
		rc=${PIPESTATUS[0]}
	else
		HOME=$test_home timeout -s TERM -k 60 "$timeout_s" "$file" >"$log" 2>"$log.err" </dev/null
		rc=$?
	fi
	secs=$((SECONDS - start))
	counts=$(judge "$log" "$rc" 2>"$log.verdict")
	read -r p f s <<<"$counts"
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
	verdict="$p passed"
	((f)) && verdict+=", $f failed"
	((s)) && verdict+=", $s skipped"
	if ((f)); then
		echo "$(paint '1;31' FAILED): $verdict (${secs} s)"
		while IFS=$'\t' read -r kind line; do
			case $kind in
			fail) echo "    $line"; failures+=("$name: $line") ;;
			diag) echo "      $line" ;;
			esac
		done <"$log.verdict"
		if [[ -s $log.err ]]; then
			echo "    stderr (last lines of $log.err):"
			tail -n 15 "$log.err" | sed 's/^/      | /'
		fi
	else
		echo "$(paint 32 ok): $verdict (${secs} s)"
	fi
	while IFS=$'\t' read -r kind line; do
		[[ $kind == skip ]] || continue
		echo "    skipped: $line"
		skips+=("$name: $line")
	done <"$log.verdict"
}

for file in "$@"; do
	if [[ ! -x $file ]]; then
		echo "$file $(paint '1;31' FAILED): not an executable file"
		total_fail=$((total_fail + 1)); failures+=("$file: not an executable file")
		continue
	fi
	run_one "$file"
done

# The runner's own points.
runner_point() {
	if [[ -z $2 ]]; then
		total_pass=$((total_pass + 1))
		echo "(runner) $1: $(paint 32 ok)"
	else
		total_fail=$((total_fail + 1))
		echo "(runner) $1: $(paint '1;31' FAILED)"
		printf '    %s\n' "$2"
		failures+=("(runner) $1: $2")
	fi
}
left=$(cd "$test_home" && find . -mindepth 1 -maxdepth 3 | head -n 20)
what=
[[ -z $left ]] || what="written under the HOME the tests ran with: $(tr '\n' ' ' <<<"$left")"
runner_point "no test wrote under HOME" "$what"
rm -rf "$test_home"
if [[ ${OSLIFT_KEEP_TMP:-0} != 1 ]]; then
	new=$(find "$test_tmp" -mindepth 1 -maxdepth 1 -name 'oslift-test.*' -printf '%f\n' 2>/dev/null | sort)
	what=
	[[ -z $new ]] || what="left in TMPDIR: $(tr '\n' ' ' <<<"$new")"
	runner_point "no scratch directory left behind" "$what"
	rm -rf "$test_tmp"
else
	echo "(runner) OSLIFT_KEEP_TMP=1: the tests' scratch directories are in $test_tmp"
fi

if ((${#skips[@]})); then
	echo
	echo "Skipped (${#skips[@]}):"
	printf '  %s\n' "${skips[@]}"
fi
if ((${#failures[@]})); then
	echo
	echo "Failed (${#failures[@]}):"
	printf '  %s\n' "${failures[@]}"
fi
echo
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
((total_fail == 0))
