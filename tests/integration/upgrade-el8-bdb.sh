#!/bin/bash
# A root whose rpmdb is a real EL8 Berkeley DB: read, converted to sqlite
# (the original kept until restore), upgraded, then cleaned up by restore.
. "$(dirname "$0")/../lib.sh"

bdb=$(t_fixture rpmdb-el8-bdb/Packages) || { t_skip "EL8 Berkeley DB root" "fixture absent"; exit 0; }
tmp=$(t_tmpdir)
pkgs=$(t_packages)
root=$tmp/el8
mkdir -p "$root/var/lib/rpm"
cp "$bdb" "$root/var/lib/rpm/Packages"
orig=$(sha256sum <"$bdb")

t_run "$HOST_PREP" --root "$root" check --packages "$pkgs/release8"
t_is "$T_RC" 0 "check passes on the EL8 root"
t_match "$T_OUT" 'WARNING +rpmdb-format: the rpmdb is bdb now, the target uses sqlite' "check warns about the rpmdb format"
t_match "$T_OUT" 'libuuid-2\.32\.1-42\.el8_8\.x86_64 stays installed' "check lists the EL8 package as kept"
t_match "$T_OUT" '^WARNING +rpmdb-indexes: no Name, Providename, Basenames in the rpmdb directory$' \
	"check warns that the database (Packages only) has no index files"

t_run "$HOST_PREP" --root "$root" stage --packages "$pkgs/release8"
t_is "$T_RC" 0 "stage succeeds on the EL8 root"
# The fixture holds Packages only: librpm's bdb_ro warns for every index
# file it lacks (on CentOS 7, for the indexes rpm 4.11 never wrote); that
# goes to the debug log, not to the operator.
t_ok "stage does not warn about the index files the database lacks" bash -c '! grep -q "could not open\|Found bdb_ro" <<<"$1"' _ "$T_OUT"
t_is "$(sha256sum <"$root/var/lib/rpm/Packages")" "$orig" "staging leaves the Berkeley DB untouched"

t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "upgrader converts and upgrades"
t_match "$T_OUT" 'converting the rpmdb from Berkeley DB to sqlite' "the conversion is logged"
t_ok "nor does the upgrader's conversion" bash -c '! grep -q "could not open\|Found bdb_ro" <<<"$1"' _ "$T_OUT"
t_ok "the rpmdb is sqlite now" test -f "$root/var/lib/rpm/rpmdb.sqlite"
t_ok "the Berkeley DB is gone from /var/lib/rpm" test ! -e "$root/var/lib/rpm/Packages"
t_is "$(sha256sum <"$root/var/lib/oslift/rpmdb-backup/Packages")" "$orig" "the original Packages file is kept byte-identical"
qa=$(t_rpm "$root" -qa --qf '%{NEVRA}\n' | sort)
t_match "$qa" '^libuuid-2\.32\.1-42\.el8_8\.x86_64$' "the EL8 package is still in the rpmdb"
t_match "$qa" '^base-files-8\.0-1\.noarch$' "the release-8 packages are installed"
t_is "$(wc -l <<<"$qa")" 12 "12 packages in all"

t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 0 "restore succeeds"
t_ok "restore drops the rpmdb copy once done" test ! -e "$root/var/lib/oslift/rpmdb-backup"

# Cut short around the conversion: the next run starts it again from the
# backup and ends as the uninterrupted run did.
expected=$qa
for at in backup converted; do
	root=$tmp/el8-cut-$at
	mkdir -p "$root/var/lib/rpm"
	cp "$bdb" "$root/var/lib/rpm/Packages"
	"$HOST_PREP" --root "$root" stage --packages "$pkgs/release8" >/dev/null 2>&1
	t_run env OSLIFT_CRASH_AT=$at "$UPGRADER" --root "$root"
	t_is "$T_RC" 137 "cut after the $at step: the upgrader is gone (SIGKILL)"
	# What an interrupted rebuild may leave beside the database.
	[[ $at == backup ]] && head -c 4096 /dev/urandom >"$root/var/lib/rpm/rpmdb.sqlite"
	t_run "$UPGRADER" --root "$root"
	t_is "$T_RC" 0 "cut after the $at step: the next run finishes"
	t_match "$T_OUT" 'the conversion of the rpmdb was cut short: starting it again from' "and says it converts again"
	t_is "$(t_rpm "$root" -qa --qf '%{NEVRA}\n' | sort)" "$expected" "cut after the $at step: the same packages as the uninterrupted run"
	t_is "$(sha256sum <"$root/var/lib/oslift/rpmdb-backup/Packages")" "$orig" "and the original is still kept byte-identical"
done
