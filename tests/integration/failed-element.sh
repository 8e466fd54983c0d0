#!/bin/bash
# Elements rpm fails are not interruptions: a release-8 %pre that exits 2
# and a payload rpm cannot unpack (a file where the root has a non-empty
# directory) leave those two packages at release 7, a release-7 %preun
# that exits 1 leaves release 7 installed beside release 8, the rest of the
# transaction is applied exactly as `rpm -U` of the same packages applies
# it, the upgrader ends in one run as applied-with-problems (exit 5),
# restore runs and the report names the packages, the scriptlet, the exit
# status and what was kept. Running the upgrader again changes nothing.
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
pkgs=$OSLIFT_BUILD/test-packages/failure-cases
"$TESTS_DIR/packages/build.sh" "$pkgs" --extra "$TESTS_DIR/packages/failure-cases" >/dev/null

# The release-8 set without the kernel, whose install-only handling plain
# `rpm -U` does not have: then `rpm -U target/*.rpm` is the plan exactly.
mkdir -p "$tmp/target"
for f in "$pkgs"/release8/*.rpm; do [[ $f == */kernel-core-* ]] || cp "$f" "$tmp/target/"; done

# fresh_root DIR: release 7 (without legacy, which release 8 breaks),
# SELinux enforcing.
fresh_root() {
	t_make_release7_root "$1" "$pkgs"
	t_rpm "$1" -e legacy
	mkdir -p "$1/etc/selinux"
	printf 'SELINUX=enforcing\nSELINUXTYPE=targeted\n' >"$1/etc/selinux/config"
}
# block_unpackable DIR: a directory where unpackable 8 has a file. check
# finds it as a blocker (dir-symlink-conflict) when it is there before
# staging; made after staging (the system changed meanwhile), it is what
# rpm meets at install time and fails the element on.
block_unpackable() {
	mkdir -p "$1/usr/share/unpackable/blocked"
	echo "site file" >"$1/usr/share/unpackable/blocked/keep"
}

root=$tmp/root
fresh_root "$root"
cp -a "$root" "$tmp/reference"
block_unpackable "$tmp/reference"
t_run "$HOST_PREP" --root "$tmp/reference" check --packages "$tmp/target"
t_is "$T_RC" 1 "check on a root with a directory where a target package has a file: blocked"
t_match "$T_OUT" 'dir-symlink-conflict.*/usr/share/unpackable/blocked' "naming the path (dir-symlink-conflict)"
t_rpm "$tmp/reference" -U "$tmp/target"/*.rpm >/dev/null 2>&1
t_match "$(t_rpm "$tmp/reference" -q failing-pre unpackable)" '^failing-pre-7\.0-1\.noarch$' \
	"reference: rpm -U keeps failing-pre 7 (its 8 %pre fails)"

t_run "$HOST_PREP" --root "$root" stage --packages "$tmp/target"
t_is "$T_RC" 0 "stage succeeds (rpm's test run sees neither failure coming)"
block_unpackable "$root"

t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 5 "one run of the upgrader: exit 5, applied with problems"
t_match "$T_OUT" 'rpm failed failing-pre-8\.0-1\.noarch: %prein\(failing-pre-8\.0-1\.noarch\) scriptlet failed, exit status 2; failing-pre-7\.0-1\.noarch stays installed' \
	"the console names the package, the scriptlet, the exit status and what stays"
t_match "$T_OUT" 'rpm failed unpackable-8\.0-1\.noarch: unpacking of archive failed on file /usr/share/unpackable/blocked' \
	"and the package rpm could not unpack"
t_match "$T_OUT" 'rpm failed failing-preun-7\.0-1\.noarch: %preun\(failing-preun-7\.0-1\.noarch\) scriptlet failed, exit status 1; failing-preun-7\.0-1\.noarch stays installed' \
	"and the erasure whose %preun failed"
t_ok "no attempt is left to resume" bash -c '! grep -q "next boot tries again" <<<"$1"' _ "$T_OUT"

qa=$(t_rpm "$root" -qa --qf '%{NEVRA}\n' | sort)
t_is "$qa" "$(t_rpm "$tmp/reference" -qa --qf '%{NEVRA}\n' | sort)" "the same packages as rpm -U of the same set"
t_match "$qa" '^failing-pre-7\.0-1\.noarch$' "failing-pre keeps release 7"
t_match "$qa" '^unpackable-7\.0-1\.noarch$' "unpackable keeps release 7"
t_match "$qa" '^webapp-8\.0-1\.noarch$' "the rest is release 8"
t_match "$qa" '^failing-preun-7\.0-1\.noarch$' "failing-preun 7 stays installed (its %preun failed)"
t_match "$qa" '^failing-preun-8\.0-1\.noarch$' "beside failing-preun 8"
t_is "$(wc -l <<<"$qa")" 15 "15 packages installed"
same=1
for d in usr etc bin var/www var/lib/scripted; do
	[[ $(t_tree_digest "$root/$d") == "$(t_tree_digest "$tmp/reference/$d")" ]] || { same=0; echo "# $d differs"; }
done
t_is "$same" 1 "every file (content, mode, owner) as rpm -U leaves it"
t_is "$(cat "$root/usr/share/unpackable/blocked/keep")" "site file" "the directory in the way is untouched"
t_is "$(t_rpm "$root" -V failing-pre 2>&1)" "" "failing-pre 7 verifies clean"
# rpm had written some of unpackable 8's files when it met the directory:
# they stay, as after rpm -U.
t_is "$(t_rpm "$root" -V unpackable 2>&1)" "$(t_rpm "$tmp/reference" -V unpackable 2>&1)" \
	"unpackable verifies as after rpm -U"

status=$root/var/lib/oslift/status.json
t_is "$(t_json "$status" 'd["state"]')" applied-with-problems "status.json: applied-with-problems"
t_is "$(t_json "$status" '(d["packages_done"], d["packages_total"])')" "(11, 13)" \
	"status.json counts the plan's 13 packages, 11 of them done (failing-pre 8 and unpackable 8 are not)"
t_match "$(t_json "$status" 'd["message"]')" 'failing-pre-8\.0-1\.noarch: %prein.*exit status 2' "status.json's message names the first one"
t_match "$(cat "$root/var/lib/oslift/outcome")" '^result applied-with-problems$' "the outcome file says applied-with-problems"
t_match "$(tail -n 1 "$root/var/lib/oslift/journal")" ' finished applied-with-problems$' "the journal ends it"
t_run "$HOST_PREP" --root "$root" status
t_match "$T_OUT" '^state: applied-with-problems ' "host-prep status says applied-with-problems"
t_match "$T_OUT" '^packages: 11 of 13 done$' "and counts the plan"

# Again: nothing is redone, nothing is written.
before=$(t_tree_digest "$root")
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 5 "a second run exits 5 again"
t_match "$T_OUT" 'applied with problems by an earlier attempt.*nothing more is done' "and says nothing more is done"
t_is "$(t_tree_digest "$root")" "$before" "and changes nothing (state, journal, packages)"

sed -i 's/^SELINUX=.*/SELINUX=permissive/' "$root/etc/selinux/config"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 0 "restore runs"
report=$root/var/log/oslift/report.json
t_is "$(t_json "$report" 'd["result"]')" applied-with-problems "report.json: result applied-with-problems"
t_is "$(t_json "$report" '[(f["package"], f["kept"]) for f in d["failed_packages"]]')" \
	"[('failing-pre-8.0-1.noarch', ['failing-pre-7.0-1.noarch']), ('unpackable-8.0-1.noarch', ['unpackable-7.0-1.noarch']), ('failing-preun-7.0-1.noarch', ['failing-preun-7.0-1.noarch'])]" \
	"report.json lists the failed packages and what each kept"
t_match "$(t_json "$report" 'd["failed_packages"][0]["reason"]')" '^%prein\(failing-pre-8\.0-1\.noarch\) scriptlet failed, exit status 2$' \
	"with rpm's reason: the scriptlet and its exit status"
txt=$(cat "$root/var/log/oslift/report.txt")
t_match "$txt" '^result: applied-with-problems' "report.txt says applied-with-problems"
t_match "$txt" '^  failing-pre-8\.0-1\.noarch: %prein\(failing-pre-8\.0-1\.noarch\) scriptlet failed, exit status 2$' "report.txt names the package and why"
t_match "$txt" '^    kept: failing-pre-7\.0-1\.noarch$' "and what was kept"
t_match "$txt" 'what to do: ' "and what to do"
t_match "$(cat "$root/etc/selinux/config")" '^SELINUX=enforcing$' "restore put the SELinux mode back"
t_ok "restore removed the staged packages" test ! -e "$root/var/lib/oslift/packages"
t_is "$(t_json "$status" 'd["state"]')" restored-with-problems "status.json: restored-with-problems"
t_run "$UPGRADER" --root "$root"
t_is "$(t_json "$status" 'd["state"]')" restored-with-problems "an upgrader run after restore keeps the state"

# Cut short after the failures: the next run finishes as one run does.
root=$tmp/cut
fresh_root "$root"
"$HOST_PREP" --root "$root" stage --packages "$tmp/target" >/dev/null 2>&1
block_unpackable "$root"
: >"$tmp/cut.log"
setsid "$UPGRADER" --root "$root" --checkpoint-every 4 >"$tmp/cut.log" 2>&1 &
pid=$!
for ((i = 0; i < 3000; i++)); do
	kill -0 "$pid" 2>/dev/null || break
	grep -qE '^\[ *14/' "$tmp/cut.log" && break
	sleep 0.01
done
kill -9 -- "-$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if grep -q "applied with problems in" "$tmp/cut.log"; then
	t_skip "cut after the failed elements" "the upgrade finished before the cut"
else
	t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" applying "cut: status.json says applying"
	t_run "$UPGRADER" --root "$root"
	t_is "$T_RC" 5 "cut: the next run ends applied with problems (exit 5)"
	t_is "$(t_rpm "$root" -qa --qf '%{NEVRA}\n' | sort)" "$qa" "cut: the same packages as the uninterrupted run"
	t_is "$(t_json "$root/var/lib/oslift/status.json" '(d["state"], d["packages_done"], d["packages_total"])')" \
		"('applied-with-problems', 11, 13)" "cut: status.json counts the plan, not the resumed transaction"
fi

# A Berkeley DB root (EL8): restore after the problems still drops the
# pre-upgrade copy of the rpmdb, as after a clean upgrade.
if bdb=$(t_fixture rpmdb-el8-bdb/Packages); then
	root=$tmp/el8
	mkdir -p "$root/var/lib/rpm"
	cp "$bdb" "$root/var/lib/rpm/Packages"
	"$HOST_PREP" --root "$root" stage --packages "$tmp/target" >/dev/null 2>&1
	t_run "$UPGRADER" --root "$root"
	t_is "$T_RC" 5 "EL8 root: applied with problems (failing-pre's %pre fails)"
	t_ok "EL8 root: the rpmdb is sqlite now, the original kept" test -f "$root/var/lib/oslift/rpmdb-backup/Packages"
	t_ok "EL8 root: failing-pre is not installed" bash -c '! rpm --root "$1" --dbpath /var/lib/rpm -q failing-pre' _ "$root"
	t_run "$HOST_PREP" --root "$root" restore
	t_is "$T_RC" 0 "EL8 root: restore runs"
	t_ok "EL8 root: restore dropped the copy of the Berkeley DB" test ! -e "$root/var/lib/oslift/rpmdb-backup"
	t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" restored-with-problems "EL8 root: restored-with-problems"
else
	t_skip "EL8 Berkeley DB root with a failing %pre" "fixture absent"
fi
