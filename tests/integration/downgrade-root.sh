#!/bin/bash
# A downgrade is blocked unless the operator allows it; once allowed and
# staged, the upgrader applies it (the plan holds only approved ones).
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
pkgs=$(t_packages)
root=$tmp/root
mkdir -p "$root" "$tmp/seven"
t_rpm "$root" -i --quiet "$pkgs"/release8/*.rpm 2>/dev/null
cp "$pkgs"/release7/webapp-*.rpm "$tmp/seven/"

t_run "$HOST_PREP" --root "$root" stage --packages "$tmp/seven"
t_is "$T_RC" 1 "stage blocks a downgrade"
t_match "$T_OUT" 'BLOCKER +downgrade: webapp-7\.0-1\.noarch is older than the installed webapp' "and names it"
t_run "$HOST_PREP" --root "$root" stage --packages "$tmp/seven" --allow-downgrade
t_is "$T_RC" 0 "with --allow-downgrade stage stages it"
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "the upgrader applies the approved downgrade"
t_is "$(t_rpm "$root" -q webapp)" "webapp-7.0-1.noarch" "webapp is at release 7"
