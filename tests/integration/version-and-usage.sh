#!/bin/bash
# --version reports the libraries carried inside; bad command lines get a
# message naming the problem and exit status 2.
. "$(dirname "$0")/../lib.sh"

sysroot_version() { awk -v p="$1" '$1 == p {print $2}' "${OSLIFT_SYSROOT:?}/VERSIONS"; }
rpm_v=$(sysroot_version rpm | sed 's/+.*//')
ul_v=$(sysroot_version util-linux | sed 's/-.*//')

for bin in "$UPGRADER" "$HOST_PREP"; do
	name=$(basename "$bin")
	t_run "$bin" --version
	t_is "$T_RC" 0 "$name --version exits 0"
	t_match "$T_OUT" "^$name [0-9]+\.[0-9]+\.[0-9]+ \(oslift\)$" "$name --version names itself"
	t_match "$T_OUT" "^librpm ${rpm_v//./\\.}$" "$name carries librpm $rpm_v"
	t_match "$T_OUT" "^libblkid ${ul_v//./\\.} " "$name carries libblkid $ul_v"
	t_match "$T_OUT" "^libmount ${ul_v//./\\.}$" "$name carries libmount $ul_v"

	t_run "$bin" --help
	t_is "$T_RC" 0 "$name --help exits 0"
	t_match "$T_OUT" '^Usage: ' "$name --help shows usage"

	t_run "$bin" --no-such-option
	t_is "$T_RC" 2 "$name rejects an unknown option with status 2"
	t_match "$T_OUT" "unrecognized option.*no-such-option" "$name names the unknown option"

	command=()
	if [[ $name == host-prep ]]; then command=(inventory); fi
	t_run "$bin" --root relative/dir "${command[@]}"
	t_is "$T_RC" 2 "$name rejects a relative --root"
	t_match "$T_OUT" "relative/dir" "$name names the bad --root"
done

t_run "$HOST_PREP"
t_is "$T_RC" 2 "host-prep without a command exits 2"
t_match "$T_OUT" "no command given" "host-prep says no command was given"
t_run "$HOST_PREP" frobnicate
t_is "$T_RC" 2 "host-prep rejects an unknown command"
t_match "$T_OUT" "unknown command 'frobnicate'" "host-prep names the unknown command"
t_run "$HOST_PREP" --root /nonexistent inventory
t_is "$T_RC" 2 "host-prep rejects a --root that does not exist"

# The global options after the command, as operators type them.
empty=$(t_tmpdir)/empty-root
mkdir -p "$empty"
t_run "$HOST_PREP" --json --root "$empty" status
before=$T_OUT before_rc=$T_RC
t_run "$HOST_PREP" status --json --root "$empty"
t_is "$T_RC:$T_OUT" "$before_rc:$before" "host-prep status --json --root DIR answers as host-prep --json --root DIR status"
t_match "$T_OUT" '^\{' "and prints JSON"
t_run "$HOST_PREP" --root "$empty" status --root="$empty" -q
t_is "$T_RC" "$before_rc" "--root=DIR and -q after the command"
t_run "$HOST_PREP" status --root
t_is "$T_RC" 2 "a --root after the command without its directory is a usage error"
t_match "$T_OUT" '--root needs a directory' "and says so"
