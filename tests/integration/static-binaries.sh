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
