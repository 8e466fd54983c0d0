#!/bin/bash
# The heart of oslift in root-directory mode: check, stage, upgrader and
# restore take a release-7 root to release 8 the way rpm itself would,
# keeping the admin's configuration and the site's data.
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
pkgs=$(t_packages)
root=$tmp/root
t_make_release7_root "$root" "$pkgs"
mkdir -p "$root/etc/selinux"
printf 'SELINUX=enforcing\nSELINUXTYPE=targeted\n' >"$root/etc/selinux/config"
data_before=$(cd "$root/var/lib/site" && sha256sum data.bin notes.txt)

# check: the broken dependency of legacy blocks, and the root is untouched.
before=$(t_tree_digest "$root")
t_run "$HOST_PREP" --root "$root" check --packages "$pkgs/release8"
t_is "$T_RC" 1 "check exits 1 when something blocks"
t_match "$T_OUT" '^BLOCKER +unresolved-dependency: oldapi = 1 is needed by \(installed\) legacy-1\.0-1\.noarch' \
	"check names the installed package that breaks and what it needs"
t_match "$T_OUT" 'no-signature-check' "check warns that signatures are not enforced"
"$HOST_PREP" --root "$root" --json check --packages "$pkgs/release8" >"$tmp/check.json"
t_is "$(t_json "$tmp/check.json" '[f["id"] for f in d["findings"] if f["severity"]=="blocker"]')" \
	"['unresolved-dependency']" "check --json lists the blocker by id"
t_is "$(t_tree_digest "$root")" "$before" "check changes nothing in the root"

t_run "$HOST_PREP" --root "$root" check --packages "$pkgs/release8" --erase legacy
t_is "$T_RC" 0 "with --erase legacy nothing blocks"
t_match "$T_OUT" 'oldtool-1\.0-1\.noarch is replaced by newtool-2\.0-1\.noarch' "check reports the Obsoletes"
t_match "$T_OUT" 'kernel-core-7\.0-1\.noarch stays installed' "check lists what is kept (the old kernel)"

t_run "$HOST_PREP" --root "$root" stage --packages "$pkgs/release8"
t_is "$T_RC" 1 "stage refuses while something blocks"
t_ok "a refused stage writes nothing" test ! -e "$root/var/lib/oslift"

# --allow-erasing finds legacy by itself.
t_run "$HOST_PREP" --root "$root" check --packages "$pkgs/release8" --allow-erasing
t_is "$T_RC" 0 "--allow-erasing resolves the blocker"
t_match "$T_OUT" 'erased-broken: legacy-1\.0-1\.noarch will be erased \(oldapi = 1\)' "and says which package it erases and why"

# stage
t_run "$HOST_PREP" --root "$root" stage --packages "$pkgs/release8" --erase legacy
t_is "$T_RC" 0 "stage succeeds"
t_match "$T_OUT" '^staged 11 packages' "stage says what it staged"
t_is "$(stat -c %a "$root/var/lib/oslift")" 700 "the staging directory is root-only (0700)"
t_is "$(stat -c %a "$root/var/lib/oslift/plan")" 600 "the plan is 0600"
t_is "$(ls "$root/var/lib/oslift/packages" | wc -l)" 11 "11 packages are staged"
t_match "$(cat "$root/var/lib/oslift/plan")" '^install-only kernel-core-8\.0-1\.noarch\.rpm ' "the kernel is install-only in the plan"
t_match "$(cat "$root/var/lib/oslift/plan")" '^erase legacy-1\.0-1\.noarch$' "the plan erases legacy"
t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" staged "status.json says staged"
t_run "$HOST_PREP" --root "$root" stage --packages "$pkgs/release8" --erase legacy
t_is "$T_RC" 3 "staging twice is refused"
t_match "$T_OUT" "already staged.*host-prep cancel" "and says to cancel first"

# upgrader
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "upgrader applies the plan"
t_match "$T_OUT" '^\[ ?[0-9]+/[0-9]+ +[0-9]+%\] upgrading webapp-8\.0-1\.noarch \(from webapp-7\.0-1\.noarch\)$' \
	"one progress line per package: upgrading webapp"
t_match "$T_OUT" '^\[ ?[0-9]+/[0-9]+ +[0-9]+%\] installing newtool-2\.0-1\.noarch \(replaces oldtool-1\.0-1\.noarch\)$' \
	"progress names what an Obsoletes replaces"
t_match "$T_OUT" '^\[ ?[0-9]+/[0-9]+ +[0-9]+%\] erasing legacy-1\.0-1\.noarch$' "progress shows the erasure"
t_match "$T_OUT" '^upgrade applied in [0-9.]+ s: 11 installed, 10 erased, 1 scriptlet failures' "a final summary"
log=$(cat "$root/var/log/oslift/upgrade.log")
t_match "$log" '^\[ *[0-9]+\.[0-9]{3}\] \[ ?[0-9]+/[0-9]+ +[0-9]+%\] upgrading base-files-8\.0-1\.noarch' "upgrade.log has the progress lines with timestamps"
t_match "$log" 'scriptlet failed, exit status 7' "upgrade.log has the failing %post"

expected="base-files-8.0-1.noarch
failing-post-8.0-1.noarch
kernel-core-7.0-1.noarch
kernel-core-8.0-1.noarch
libs-8.0-1.noarch
mover-a-8.0-1.noarch
mover-b-8.0-1.noarch
newdep-8.0-1.noarch
newtool-2.0-1.noarch
oslift-test-sh-1.35-8.x86_64
scripted-8.0-1.noarch
webapp-8.0-1.noarch"
t_is "$(t_rpm "$root" -qa --qf '%{NEVRA}\n' | sort)" "$expected" "rpm -qa shows release 8 (both kernels, no legacy, no oldtool)"
t_is "$(t_rpm "$root" -Va 2>&1)" "S.5....T.  c /etc/webapp/webapp.conf" "rpm -Va is clean but for the admin's config file"
t_match "$(cat "$root/etc/os-release")" '^VERSION_ID="8"$' "/etc/os-release says 8"
t_match "$(cat "$root/etc/webapp/webapp.conf")" '^# edited by the admin$' "the admin's edit stays"
t_ok "the new default lands as webapp.conf.rpmnew" test -f "$root/etc/webapp/webapp.conf.rpmnew"
t_is "$(t_rpm "$root" -qf /usr/share/moving/data.txt)" "mover-b-8.0-1.noarch" "a file that moved between packages survives, owned by its new package"
t_is "$(readlink "$root/usr/bin/oldtool")" "newtool" "the obsoleted tool's path belongs to newtool"
scripts=$(cat "$root/var/lib/scripted/scriptlets.log")
t_match "$scripts" '^triggerin webapp 8 ' "the trigger ran for release 8"
t_is "$(tail -n 2 <<<"$scripts" | head -n 1)" "posttrans 8 2" "%posttrans ran after every element"
t_match "$(tail -n 1 <<<"$scripts")" '^transfiletriggerin 8 [1-9][0-9]*$' \
	"then the %transfiletriggerin, over the files below /usr/share"
t_is "$(tail -n 1 <<<"$scripts")" "$(t_rpm "$root" -qa --qf '[%{FILENAMES}\n]' 2>/dev/null | grep -c '^/usr/share' | sed 's/^/transfiletriggerin 8 /')" \
	"which saw every file below /usr/share that the rpmdb lists"
t_ok "%pre/%post of 8 ran before %preun/%postun of 7" \
	awk '/^post 8/{p=NR} /^preun 7/{u=NR} END{exit !(p && u && p < u)}' <<<"$scripts"
t_is "$(cd "$root/var/lib/site" && sha256sum data.bin notes.txt)" "$data_before" "site data is byte-identical"
t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" applied "status.json says applied"

# restore (as if the new release's packages had reset the SELinux mode)
sed -i 's/^SELINUX=.*/SELINUX=permissive/' "$root/etc/selinux/config"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 0 "restore succeeds"
report=$root/var/log/oslift/report.json
t_is "$(t_json "$report" 'd["result"]')" applied "report.json: result applied"
t_match "$(t_json "$report" '"\n".join(d["scriptlet_failures"])')" '%post\(failing-post-8\.0-1\.noarch\) scriptlet failed, exit status 7' \
	"report.json names the failing scriptlet, package and exit code"
t_match "$(t_json "$report" '"\n".join(d["config_files"])')" '/etc/webapp/webapp.conf created as /etc/webapp/webapp.conf.rpmnew' \
	"report.json lists the .rpmnew"
t_is "$(t_json "$report" 'd["plan"]')" "{'upgrade': 8, 'install': 2, 'install_only': 1, 'erase': 1}" "report.json counts the plan's operations"
t_match "$(cat "$root/var/log/oslift/report.txt")" 'scriptlet failures \(1\)' "report.txt too"
t_match "$(cat "$root/etc/selinux/config")" '^SELINUX=enforcing$' "restore puts the recorded SELinux mode back"
t_ok "restore schedules a relabel (the upgrade wrote unlabelled files)" test -f "$root/.autorelabel"
t_match "$(t_json "$report" '"\n".join(d["restore_actions"])')" 'SELinux mode set back to enforcing \(was permissive\)' "report.json says so"
t_ok "restore removes the staged packages" test ! -e "$root/var/lib/oslift/packages"
t_ok "restore keeps the plan" test -f "$root/var/lib/oslift/plan"
t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" restored "status.json says restored"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 0 "restore again is harmless"
# Going back is refused unless asked for.
t_run "$HOST_PREP" --root "$root" check --packages "$pkgs/release7"
t_is "$T_RC" 1 "release 7 packages on release 8: blocked"
t_match "$T_OUT" 'BLOCKER +downgrade: webapp-7\.0-1\.noarch is older than the installed webapp' "as a downgrade, named"
t_run "$HOST_PREP" --root "$root" check --packages "$pkgs/release7" --allow-downgrade
t_ok "--allow-downgrade lifts the downgrade blockers" bash -c '! grep -q "downgrade:" <<<"$1"' _ "$T_OUT"

t_run "$HOST_PREP" --root "$root" log
t_match "$T_OUT" '^==> upgrade log .*upgrade\.log\) <==$' "host-prep log shows the upgrade log"
t_match "$T_OUT" '^result: applied in ' "and the report"
