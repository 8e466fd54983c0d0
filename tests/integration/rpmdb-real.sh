#!/bin/bash
# The static librpm reads real rpm databases of every backend an upgrade
# meets, read-only: EL7/EL8 Berkeley DB, SUSE ndb, and sqlite.
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)

# root_with_db NAME FIXTURE-FILE: a fake root with the fixture as its rpmdb.
root_with_db() {
	local root=$tmp/$1
	mkdir -p "$root/var/lib/rpm"
	cp "$2" "$root/var/lib/rpm/"
	echo "$root"
}

if bdb=$(t_fixture rpmdb-el8-bdb/Packages); then
	root=$(root_with_db el8 "$bdb")
	before=$(t_tree_digest "$root")
	t_run "$HOST_PREP" --root "$root" inventory
	t_is "$T_RC" 0 "EL8 Berkeley DB rpmdb: inventory succeeds"
	t_match "$T_OUT" '^libuuid-2\.32\.1-42\.el8_8\.x86_64$' "EL8 Berkeley DB rpmdb lists libuuid-2.32.1-42.el8_8.x86_64"
	t_match "$T_OUT" 'backend: bdb, 1 packages' "EL8 rpmdb is recognised as bdb"
	t_is "$(t_tree_digest "$root")" "$before" "EL8 root is unchanged after reading (read-only)"
	t_is "$("$HOST_PREP" --root "$root" --json inventory)" "{\"root\":\"$root\",\"backend\":\"bdb\",\"packages\":[\"libuuid-2.32.1-42.el8_8.x86_64\"]}" "inventory --json"
else
	t_skip "EL8 Berkeley DB rpmdb" "fixture absent"
fi

if ndb=$(t_fixture rpmdb-sle15-ndb/Packages.db); then
	root=$(root_with_db sle15 "$ndb")
	before=$(sha256sum <"$root/var/lib/rpm/Packages.db")
	t_run "$HOST_PREP" --root "$root" inventory
	t_is "$T_RC" 0 "SLE 15 ndb rpmdb: inventory succeeds"
	t_match "$T_OUT" '^# rpmdb backend: ndb, [1-9][0-9]* packages' "SLE 15 rpmdb is recognised as ndb"
	t_match "$T_OUT" '^(bash|filesystem|glibc)-[0-9]' "SLE 15 rpmdb lists base packages"
	# The container image this fixture comes from ships without Index.db;
	# librpm's ndb backend rebuilds that index from Packages.db on open.
	t_is "$(sha256sum <"$root/var/lib/rpm/Packages.db")" "$before" "SLE 15 Packages.db is unchanged after reading"
else
	t_skip "SLE 15 ndb rpmdb" "fixture absent"
fi

# A sqlite rpmdb written by Debian's rpm (same librpm version).
root=$tmp/sqlite
mkdir -p "$root"
rpm --root "$root" --dbpath /var/lib/rpm --define '_db_backend sqlite' --initdb
if hello=$(t_fixture rpms/hello-2.0-1.x86_64.rpm); then
	rpm --root "$root" --dbpath /var/lib/rpm --define '_db_backend sqlite' -i --justdb --nodeps --ignorearch "$hello"
fi
t_run "$HOST_PREP" --root "$root" inventory
t_is "$T_RC" 0 "sqlite rpmdb: inventory succeeds"
t_match "$T_OUT" 'backend: sqlite' "sqlite rpmdb is recognised"
[[ -n ${hello:-} ]] && t_match "$T_OUT" '^hello-2\.0-1\.x86_64$' "sqlite rpmdb lists hello-2.0-1"

root=$tmp/empty
mkdir -p "$root"
t_run "$HOST_PREP" --root "$root" inventory
t_is "$T_RC" 3 "a root without an rpmdb fails with status 3"
t_match "$T_OUT" "no rpm database in $root" "and says there is no rpm database"

root=$tmp/corrupt
mkdir -p "$root/var/lib/rpm"
head -c 8192 /dev/urandom >"$root/var/lib/rpm/Packages"
before=$(t_tree_digest "$root")
t_run "$HOST_PREP" --root "$root" inventory
t_is "$T_RC" 3 "a corrupted rpmdb fails with status 3"
t_match "$T_OUT" "cannot be read" "and says it cannot be read"
t_is "$(t_tree_digest "$root")" "$before" "the corrupted rpmdb is left as it was"
