#!/bin/bash
# librpm's configuration travels with the binaries: found beside them or
# through OSLIFT_RPM_CONFIGDIR, never taken from the host's /usr/lib/rpm.
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
mkdir -p "$tmp/root/var/lib/rpm" "$tmp/alone" "$tmp/with-config"
rpm --root "$tmp/root" --dbpath /var/lib/rpm --initdb

cp "$HOST_PREP" "$tmp/with-config/"
cp -r "$OSLIFT_BUILD/rpm" "$tmp/with-config/rpm"
t_run "$tmp/with-config/host-prep" --root "$tmp/root" inventory
t_is "$T_RC" 0 "config found in rpm/ beside the executable"

size=$(du -sk "$OSLIFT_BUILD/rpm" | cut -f1)
if ((size <= 128)); then t_pass "run-time config is ${size} KiB"; else t_fail "run-time config is ${size} KiB (> 128)"; fi

cp "$HOST_PREP" "$tmp/alone/"
t_run env OSLIFT_RPM_CONFIGDIR="$OSLIFT_BUILD/rpm" "$tmp/alone/host-prep" --root "$tmp/root" inventory
t_is "$T_RC" 0 "config found through OSLIFT_RPM_CONFIGDIR"

t_run env OSLIFT_RPM_CONFIGDIR="$tmp/nowhere" "$tmp/with-config/host-prep" --root "$tmp/root" inventory
t_is "$T_RC" 3 "a wrong OSLIFT_RPM_CONFIGDIR is an error, not silently ignored"
t_match "$T_OUT" "OSLIFT_RPM_CONFIGDIR=$tmp/nowhere has no rpmrc" "the message names the variable"

if [[ ! -e /usr/lib/oslift/rpm/rpmrc ]]; then
	t_run "$tmp/alone/host-prep" --root "$tmp/root" inventory
	t_is "$T_RC" 3 "without any config it fails (the host's /usr/lib/rpm is not used)"
	t_match "$T_OUT" "librpm's configuration \(rpmrc, macros\) was not found" "and says what is missing"
else
	t_skip "missing config" "oslift is installed on this machine"
fi

t_run env OSLIFT_RPM_CONFIGDIR="$OSLIFT_BUILD/rpm" "$UPGRADER" --root "$tmp/root"
t_match "$T_OUT" "no staged plan" "upgrader starts with the travelling config"
