#!/bin/bash
# A plan of more than 100 packages (release 7 + 120 fillers) applies.
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
pkgs=$(t_packages fillers 120)
root=$tmp/root
t_make_release7_root "$root" "$pkgs"
t_is "$(t_rpm "$root" -qa | wc -l)" 131 "release 7 with fillers: 131 packages"

t_run "$HOST_PREP" --root "$root" stage --packages "$pkgs/release8" --erase legacy
t_is "$T_RC" 0 "stage of 131 packages succeeds"
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "upgrader applies the 131-package plan"
t_match "$T_OUT" '^\[ *[0-9]+/2[0-9][0-9] +100%\]' "progress reaches 100%"
t_is "$(t_rpm "$root" -qa 'filler-*' --qf '%{VERSION}\n' | sort -u)" "8.0" "every filler is at 8.0"
t_is "$(t_rpm "$root" -Va 2>&1)" "S.5....T.  c /etc/webapp/webapp.conf" "rpm -Va is clean but for the admin's config"
