#!/bin/bash
# A damaged rpmdb is never read as a smaller one: a read error, or fewer
# packages read than the database says it holds, makes inventory fail and
# check/stage block, and nothing is written. Reading stays read-only for
# every backend (ndb's Index.db included).
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
pkgs=$(t_packages)

root_with_db() {
	local root=$tmp/$1
	mkdir -p "$root/var/lib/rpm"
	cp "$2" "$root/var/lib/rpm/"
	chmod u+w "$root/var/lib/rpm/"*
	echo "$root"
}

# blocked DESC ROOT REGEX: inventory fails, check and stage block naming
# the damage, and the root is unchanged.
blocked() {
	local desc=$1 root=$2 regex=$3 before
	before=$(t_tree_digest "$root")
	t_run "$HOST_PREP" --root "$root" inventory
	t_is "$T_RC" 3 "$desc: inventory fails"
	t_match "$T_OUT" "error: the bdb rpmdb in $root is damaged: $regex.*rpm --rebuilddb" "$desc: inventory says why"
	t_run "$HOST_PREP" --root "$root" check --packages "$pkgs/release8"
	t_is "$T_RC" 1 "$desc: check blocks"
	t_match "$T_OUT" "BLOCKER +rpmdb-incomplete: the bdb rpm database in $root is damaged: $regex" \
		"$desc: check names the damage"
	t_run "$HOST_PREP" --root "$root" stage --packages "$pkgs/release8" --no-boot
	t_is "$T_RC" 1 "$desc: stage blocks"
	t_match "$T_OUT" "BLOCKER +rpmdb-incomplete" "$desc: stage names the damage"
	t_is "$(t_tree_digest "$root")" "$before" "$desc: the root is unchanged"
}

if bdb=$(t_fixture rpmdb-el8-bdb/Packages); then
	# Cut after its metadata page: bdb_ro reports a read error and goes on
	# with none of the packages.
	root=$tmp/el8-truncated; mkdir -p "$root/var/lib/rpm"
	head -c 8192 "$bdb" >"$root/var/lib/rpm/Packages"
	blocked "truncated Berkeley DB" "$root" "librpm reported [0-9]+ error\(s\) while reading it \(.*Packages.*\); 0 packages were read"

	# Whole pages, but the hash says it holds more keys than can be read.
	root=$(root_with_db el8-count "$bdb")
	printf '\x05\x00\x00\x00' | dd of="$root/var/lib/rpm/Packages" bs=1 seek=88 conv=notrunc status=none
	blocked "Berkeley DB short of its key count" "$root" "it says it holds 4 packages, but 1 could be read"

	root=$(root_with_db el8 "$bdb")
	before=$(t_tree_digest "$root")
	t_run "$HOST_PREP" --root "$root" inventory
	t_is "$T_RC" 0 "the whole EL8 Berkeley DB still reads"
	t_match "$T_OUT" 'backend: bdb, 1 packages' "with its one package"
	t_is "$(t_tree_digest "$root")" "$before" "and stays unchanged"
else
	t_skip "damaged Berkeley DB" "fixture absent"
fi

if ndb=$(t_fixture rpmdb-sle15-ndb/Packages.db); then
	root=$(root_with_db sle15 "$ndb")
	before=$(t_tree_digest "$root")
	t_run "$HOST_PREP" --root "$root" inventory
	t_is "$T_RC" 0 "SLE 15 ndb: inventory succeeds"
	t_match "$T_OUT" '^# rpmdb backend: ndb, 35 packages' "all 35 packages (as many as Packages.db's slots)"
	t_ok "inventory leaves no Index.db behind" test ! -e "$root/var/lib/rpm/Index.db"
	t_run "$HOST_PREP" --root "$root" check --packages "$pkgs/release8"
	t_ok "nor does check" test ! -e "$root/var/lib/rpm/Index.db"
	t_is "$(t_tree_digest "$root")" "$before" "the ndb root is unchanged"
else
	t_skip "ndb read-only" "fixture absent"
fi

found=
for db in "${SHARED_FIXTURES:-/nonexistent}"/rpmdb-more/*/rpmdb.sqlite; do
	[[ -f $db ]] || continue
	found=1
	name=$(basename "$(dirname "$db")")
	root=$(root_with_db "$name" "$db")
	# These databases are in WAL mode: every sqlite reader, librpm's
	# included, creates the (empty) write-ahead log beside them.
	before=$(t_tree_digest "$root" ./var/lib/rpm/rpmdb.sqlite-wal)
	want=$(sqlite3 "$db" 'SELECT count(*) FROM Packages' 2>/dev/null || echo '[0-9]+')
	t_run "$HOST_PREP" --root "$root" inventory
	t_is "$T_RC" 0 "$name sqlite: inventory succeeds"
	t_match "$T_OUT" "^# rpmdb backend: sqlite, $want packages" "$name: as many packages as its Packages table"
	t_is "$(t_tree_digest "$root" ./var/lib/rpm/rpmdb.sqlite-wal)" "$before" "$name: the root is unchanged (but for sqlite's empty -wal)"
done
[[ -n $found ]] || t_skip "real sqlite rpmdbs" "fixture absent"
