#!/bin/bash
# The test harness itself (tests/lib.sh and tests/run.sh), on tiny test
# files in tests/harness/ that pass, fail, skip and abort in every way a
# real test can: each must end up counted as what it is, never as a pass.
. "$(dirname "$0")/../lib.sh"
tmp=$(t_tmpdir)
cases=$TESTS_DIR/harness

t_run env -u OSLIFT_KEEP_TMP -u VERBOSE TMPDIR="$tmp" "$TESTS_DIR/run.sh" --log-dir "$tmp/logs" "$cases"/*.sh
out=$T_OUT
t_is "$T_RC" 1 "the runner exits 1 when a file failed"

# verdict FILE WANT: the runner's line for tests/harness/FILE.
verdict() {
	local line
	line=$(grep -E "/harness/$1\.sh " <<<"$out" | head -n 1)
	t_match "$line" "$2" "$1.sh: ${3:-$2}"
}
verdict pass ' ok: 2 passed \(' "two passes"
verdict fail 'FAILED: 1 passed, 1 failed' "a failed point fails the file"
verdict skip ' ok: 1 passed, 1 skipped' "a skip is counted apart from the passes"
verdict skip-all ' ok: 0 passed, 1 skipped' "a whole-file skip is one skipped point"
verdict abort-set-e 'FAILED: 1 passed, 1 failed' "set -e abort fails"
verdict abort-set-u 'FAILED: 1 passed, 1 failed' "set -u abort fails"
verdict abort-exit 'FAILED: 1 passed, 1 failed' "exit 1 fails"
verdict abort-signal 'FAILED: 1 passed, 1 failed' "a signal fails"
verdict no-assertion 'FAILED: 0 passed, 1 failed' "no assertion fails"
verdict raw-empty-plan 'FAILED: 0 passed, 1 failed' "an empty plan (1..0) fails"
verdict raw-short-plan 'FAILED: 1 passed, 1 failed' "fewer points than planned fails"
verdict raw-exit-status 'FAILED: 1 passed, 1 failed' "a non-zero exit after passing points fails"
verdict scratch ' ok: 1 passed' "the scratch directory"

t_match "$out" 'line 6: sizes=\$\(grep .no such line. /dev/null \| tr a b\) \(exit status 1\)' \
	"the set -e abort names the line and the command"
t_match "$out" 'no_such_variable: unbound variable' "the set -u abort shows the shell's message from stderr"
t_match "$out" 'killed by SIGTERM' "the signal is named"
t_match "$out" 'skipped: needs a fixture: fixture absent' "a skip is printed with its reason"
t_match "$out" 'skipped: skip-all.sh: nothing to test on this machine' "a whole-file skip is printed with its reason"
t_match "$out" 'got:  got' "a failure's diagnostics are shown"
t_is "$(tail -n 1 <<<"$out")" "13 passed, 9 failed, 2 skipped" \
	"the summary line counts every point (11 points passed in the files and the runner's own 2)"
t_is "$(find "$tmp" -mindepth 1 -maxdepth 1 -name "oslift-*" -printf "%f " )" "" "the runner removed its HOME and TMPDIR, and the cases their scratch directories"

# The runner's own checks fail when a test writes under HOME or leaves a
# scratch directory behind.
mkdir -p "$tmp/bad"
cat >"$tmp/bad/home.sh" <<'EOS'
#!/bin/bash
. "$TESTS_DIR/lib.sh"
touch "$HOME/.rpmdb"
OSLIFT_KEEP_TMP=1
t_pass "wrote under HOME, kept its scratch directory"
EOS
chmod +x "$tmp/bad/home.sh"
t_run env -u OSLIFT_KEEP_TMP -u VERBOSE TMPDIR="$tmp" TESTS_DIR="$TESTS_DIR" "$TESTS_DIR/run.sh" --log-dir "$tmp/logs2" "$tmp/bad/home.sh"
t_is "$T_RC" 1 "a test that writes under HOME fails the run"
t_match "$T_OUT" 'no test wrote under HOME: FAILED' "the HOME check names it"
t_match "$T_OUT" '\./\.rpmdb' "with what was written"
t_match "$T_OUT" 'no scratch directory left behind: FAILED' "the scratch directory check names it"
t_is "$(tail -n 1 <<<"$T_OUT")" "1 passed, 2 failed, 0 skipped" "and the summary counts both"

