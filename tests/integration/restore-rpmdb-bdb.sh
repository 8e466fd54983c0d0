#!/bin/bash
# The rpmdb back-conversion of restore: a Berkeley DB root (the real EL8
# rpmdb) is upgraded to a target whose rpm is older than 4.16, so stage
# records bdb as the target's format, the upgrader converts the database to
# sqlite (keeping the original), and restore converts it back with the
# target's own rpmdb. That rpmdb is a stand-in (tests/packages/rpmdb-cases/
# rpm.spec: Debian's rpm writes no Berkeley DB): it records how it was
# called and writes what the test asks for: a real Berkeley DB holding as
# many packages as the upgraded database, nothing, a truncated database,
# one holding a different number of packages, or it fails; or it is
# missing. Restore must accept only the first and otherwise say loudly
# that the system's rpm cannot read its database, keep both copies and
# end restored-with-problems.
. "$(dirname "$0")/../lib.sh"

bdb=$(t_fixture rpmdb-el8-bdb/Packages) || t_skip_all "the real EL8 Berkeley DB rpmdb (rpmdb-el8-bdb) is absent"
tmp=$(t_tmpdir)
pkgs=$OSLIFT_BUILD/test-packages/rpmdb-cases
"$TESTS_DIR/packages/build.sh" "$pkgs" --extra "$TESTS_DIR/packages/rpmdb-cases" >/dev/null
mkdir -p "$tmp/target"
cp "$pkgs"/release8/rpm-4.14.3-*.rpm "$tmp/target/"
orig=$(sha256sum <"$bdb")

# upgraded_root DIR MODE [STAGE-OPTION...]: the EL8 root (libuuid in a
# Berkeley DB), staged to the stand-in rpm, upgraded; the stand-in set to
# MODE with a real Berkeley DB to write.
upgraded_root() {
	local root=$1 mode=$2; shift 2
	mkdir -p "$root/var/lib/rpm" "$root/var/lib/rpmdb-standin"
	cp "$bdb" "$root/var/lib/rpm/Packages"
	cp "$bdb" "$root/var/lib/rpmdb-standin/Packages"
	echo "$mode" >"$root/var/lib/rpmdb-standin/mode"
	t_run "$HOST_PREP" --root "$root" stage --packages "$tmp/target" "$@"
	t_is "$T_RC" 0 "$mode: stage succeeds"
	t_run "$UPGRADER" --root "$root"
	t_is "$T_RC" 0 "$mode: the upgrader converts to sqlite and upgrades"
	t_ok "$mode: the rpmdb is sqlite after the upgrade" test -f "$root/var/lib/rpm/rpmdb.sqlite"
}

# The success path: libuuid erased, so the upgraded database holds one
# package (rpm 4.14.3) and the stand-in's real Berkeley DB one (libuuid).
root=$tmp/ok
upgraded_root "$root" ok --erase libuuid
t_match "$(cat "$root/var/lib/oslift/restore.conf")" '^target-backend=bdb$' \
	"ok: stage recorded bdb as the target's format (its rpm is 4.14.3, older than 4.16)"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 0 "ok: restore succeeds"
t_is "$(cat "$root/var/lib/rpmdb-standin/calls")" "--rebuilddb --define _db_backend bdb" \
	"ok: restore ran the target's rpmdb once, as 'rpmdb --rebuilddb --define \"_db_backend bdb\"'"
t_ok "ok: the sqlite database is gone from /var/lib/rpm" test ! -e "$root/var/lib/rpm/rpmdb.sqlite"
t_is "$(sha256sum <"$root/var/lib/rpm/Packages")" "$orig" "ok: /var/lib/rpm/Packages is the Berkeley DB the tool wrote"
t_is "$(t_rpm "$root" -qa --qf '%{NEVRA}\n')" "libuuid-2.32.1-42.el8_8.x86_64" "ok: Debian's rpm reads that database"
report=$root/var/log/oslift/report.json
t_is "$(t_json "$report" 'd["rpmdb_problem"]')" None "ok: report.json has no rpmdb problem"
t_match "$(t_json "$report" '"\n".join(d["restore_actions"])')" '^rpmdb converted from sqlite to bdb \(the target.s native format\), 1 packages$' \
	"ok: report.json says it converted, and how many packages"
t_ok "ok: no PROBLEM in report.txt" bash -c '! grep -q PROBLEM "$1"' _ "$root/var/log/oslift/report.txt"
t_ok "ok: restore dropped the pre-upgrade copy" test ! -e "$root/var/lib/oslift/rpmdb-backup"
t_ok "ok: and its own copy of the upgraded database" test ! -e "$root/var/lib/oslift/rpmdb-upgraded"
t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" restored "ok: status.json: restored"

# fail_case NAME MODE MESSAGE-REGEX [STAGE-OPTION...]
fail_case() {
	local name=$1 mode=$2 want=$3; shift 3
	local root=$tmp/$name
	upgraded_root "$root" "$mode" "$@"
	local sqlite
	sqlite=$(sha256sum <"$root/var/lib/rpm/rpmdb.sqlite")
	t_run "$HOST_PREP" --root "$root" restore
	t_is "$T_RC" 3 "$name: restore exits 3"
	t_match "$T_OUT" "the system's rpm cannot read its database: $want" "$name: stderr says the system's rpm cannot read its database, and why"
	t_match "$T_OUT" "what to do: .*rpmdb --rebuilddb --define \"_db_backend bdb\"" "$name: and what to do"
	t_is "$(cat "$root/var/lib/rpmdb-standin/calls")" "--rebuilddb --define _db_backend bdb" "$name: the target's rpmdb was run once"
	local txt
	txt=$(cat "$root/var/log/oslift/report.txt")
	t_match "$txt" "^PROBLEM: the system's rpm cannot read its database: $want" "$name: report.txt has a PROBLEM section"
	t_match "$txt" '^  what to do: .*/var/lib/oslift/rpmdb-upgraded' "$name: naming where the upgraded database is kept"
	t_match "$(t_json "$root/var/log/oslift/report.json" 'd["rpmdb_problem"]')" "$want" "$name: report.json's rpmdb_problem"
	t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" restored-with-problems "$name: status.json: restored-with-problems"
	t_match "$(t_json "$root/var/lib/oslift/status.json" 'd["message"]')" "the system's rpm cannot read its database" \
		"$name: status.json's message says so"
	t_run "$HOST_PREP" --root "$root" status
	t_match "$T_OUT" "the system's rpm cannot read its database" "$name: host-prep status shows it"
	t_is "$(sha256sum <"$root/var/lib/oslift/rpmdb-backup/Packages")" "$orig" "$name: the pre-upgrade Berkeley DB is kept byte-identical"
	t_is "$(sha256sum <"$root/var/lib/oslift/rpmdb-upgraded/rpmdb.sqlite")" "$sqlite" "$name: and a copy of the upgraded sqlite database"
	t_match "$(rpm --root "$root" --dbpath /var/lib/oslift/rpmdb-upgraded -qa 2>/dev/null)" '^rpm-4\.14\.3-1\.standin\.x86_64$' \
		"$name: which Debian's rpm reads"
}

fail_case fail fail "the target's 'rpmdb --rebuilddb --define \"_db_backend bdb\"' failed \(exit status 1\)" --erase libuuid
t_ok "fail: the sqlite database stays in /var/lib/rpm" test -f "$tmp/fail/var/lib/rpm/rpmdb.sqlite"
fail_case nothing nothing "the target's rpmdb exited 0 but did not write a bdb database \(the rpmdb directory holds sqlite\)" --erase libuuid
t_ok "nothing: the sqlite database stays in /var/lib/rpm" test -f "$tmp/nothing/var/lib/rpm/rpmdb.sqlite"
fail_case truncated truncated "the bdb database the target's rpmdb wrote cannot be read whole: " --erase libuuid
# libuuid kept: the upgraded database holds two packages, the one written one.
fail_case short ok "the bdb database the target's rpmdb wrote holds 1 packages, the upgraded sqlite one held 2"

# The target's rpmdb tool is missing: nothing can convert, said as loudly.
root=$tmp/no-tool
upgraded_root "$root" ok --erase libuuid
rm "$root/usr/bin/rpmdb"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 3 "no tool: restore exits 3"
t_match "$T_OUT" "the system's rpm cannot read its database: the rpmdb is sqlite, but the target's rpmdb tool \(/usr/bin/rpmdb\) is not installed" \
	"no tool: stderr says so"
t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" restored-with-problems "no tool: restored-with-problems"
t_ok "no tool: the sqlite database stays, the original too" \
	test -f "$root/var/lib/rpm/rpmdb.sqlite" -a -f "$root/var/lib/oslift/rpmdb-backup/Packages"
