#!/bin/bash
# Both programs are fully static and the upgrader fits the initramfs budget.
. "$(dirname "$0")/../lib.sh"

for bin in "$UPGRADER" "$HOST_PREP"; do
	name=$(basename "$bin")
	t_match "$(file -L "$bin")" 'statically linked' "$name: file(1) says statically linked"
	t_run ldd "$bin"
	t_match "$T_OUT" 'not a dynamic executable' "$name: ldd says not a dynamic executable"
done

tmp=$(t_tmpdir)
strip -o "$tmp/upgrader" "$UPGRADER"
size=$(stat -c %s "$tmp/upgrader")
if ((size <= 5 * 1024 * 1024)); then
	t_pass "stripped upgrader is $size bytes (<= 5 MiB)"
else
	t_fail "stripped upgrader is $size bytes (> 5 MiB)"
fi

# libsolv is host-prep's alone: the upgrader applies a plan, it never solves.
t_ok "host-prep links libsolv" bash -c 'nm "$1" | grep -qw solver_solve' _ "$HOST_PREP"
t_ok "the upgrader does not" bash -c '! nm "$1" | grep -qw -e solver_solve -e pool_create -e XML_ParserCreate' _ "$UPGRADER"
