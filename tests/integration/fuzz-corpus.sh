#!/bin/bash
# Every committed fuzzing input (tests/fuzz/corpus/NAME/: the seeds and the
# inputs that once crashed a parser) goes through its harness again, built
# without libFuzzer under ASan and UBSan (make fuzz-replay, part of make
# check): a parser fix that comes undone fails here, not only under make
# fuzz. One test per harness in tests/fuzz/.
. "$(dirname "$0")/../lib.sh"

fuzz=$TESTS_DIR/fuzz
# As the sanitizers run under make check; a leak is a failure too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for src in "$fuzz"/fuzz-*.c; do
	name=$(basename "$src" .c)
	name=${name#fuzz-}
	bin=$OSLIFT_BUILD/fuzz/replay/fuzz-$name
	inputs=()
	[[ -d $fuzz/corpus/$name ]] && mapfile -t inputs < <(find "$fuzz/corpus/$name" -type f | LC_ALL=C sort)
	if [[ ! -x $bin ]]; then
		t_fail "$name: replay harness built" "no $bin: add $name to FUZZ_HARNESSES in the Makefile"
	elif ((${#inputs[@]} == 0)); then
		t_fail "$name: has a corpus" "no files in tests/fuzz/corpus/$name/: commit at least one seed"
	else
		t_run "$bin" "${inputs[@]}"
		if ((T_RC == 0)); then
			t_pass "$name: ${#inputs[@]} corpus inputs replay cleanly"
		else
			t_fail "$name: ${#inputs[@]} corpus inputs replay cleanly" "exit status $T_RC; the end of its output:" \
				"$(tail -n 40 <<<"$T_OUT")"
		fi
	fi
done
