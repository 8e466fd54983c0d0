#!/bin/bash
# The rpm database or rpm's transaction lock held by another process: the
# programs say who holds it, wait at most OSLIFT_LOCK_WAIT seconds, then
# refuse with nothing changed; no hang, and no transaction that fails
# after the upgrader has begun writing.
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
pkgs=$(t_packages)
base=$tmp/base
t_make_release7_root "$base" "$pkgs"
"$HOST_PREP" --root "$base" stage --packages "$pkgs/release8" --erase legacy >/dev/null 2>&1 ||
	t_fail "stage the base root"
export OSLIFT_LOCK_WAIT=2

copy() {
	rm -rf "${tmp:?}/$1"
	cp -a "$base" "$tmp/$1"
	echo "$tmp/$1"
}

# hold_sqlite DB SECONDS: another process holds the sqlite database
# exclusively; its PID in $holder once it does.
hold_sqlite() {
	rm -f "$tmp/holder.out"
	python3 - "$1" "$2" >"$tmp/holder.out" 2>&1 <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA locking_mode=EXCLUSIVE")
c.execute("BEGIN EXCLUSIVE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
PY
	holder=$!
	for ((i = 0; i < 500; i++)); do grep -qs held "$tmp/holder.out" && return; sleep 0.01; done
}

# hold_lock FILE SECONDS: a POSIX write lock on FILE, as rpm takes it.
hold_lock() {
	rm -f "$tmp/holder.out"
	python3 - "$1" "$2" >"$tmp/holder.out" 2>&1 <<'PY' &
import fcntl, sys, time
f = open(sys.argv[1], "r+")
fcntl.lockf(f, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
PY
	holder=$!
	for ((i = 0; i < 500; i++)); do grep -qs held "$tmp/holder.out" && return; sleep 0.01; done
}

# The sqlite rpmdb held exclusively.
root=$(copy sqlite-held)
hold_sqlite "$root/var/lib/rpm/rpmdb.sqlite" 60
before=$(t_tree_digest "$root" ./var/lib/oslift/status.json)
t_run timeout 60 "$HOST_PREP" --root "$root" check --packages "$pkgs/release8" --erase legacy
t_is "$T_RC" 3 "sqlite rpmdb held: check could not look (exit 3), no hang"
t_match "$T_OUT" "waiting for the rpm database $root/var/lib/rpm/rpmdb.sqlite, held by PID $holder, python3" \
	"sqlite rpmdb held: check says who holds it"
t_match "$T_OUT" "still held by PID $holder, python3 after 2 s; try again when it has finished" \
	"sqlite rpmdb held: check says what to do"
t_run timeout 60 "$HOST_PREP" --root "$root" inventory
t_is "$T_RC" 3 "sqlite rpmdb held: inventory fails (exit 3), no hang"
t_match "$T_OUT" "still held by PID $holder, python3 after 2 s; try again when it has finished" \
	"sqlite rpmdb held: inventory says who holds it"
t_run timeout 60 "$UPGRADER" --root "$root"
t_is "$T_RC" 1 "sqlite rpmdb held: the upgrader refuses (exit 1), no hang"
t_match "$T_OUT" "the rpm database .* is still held by PID $holder" "sqlite rpmdb held: the upgrader says who holds it"
t_match "$T_OUT" "nothing was changed in $root" "sqlite rpmdb held: and that nothing changed"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
t_is "$(t_tree_digest "$root" ./var/lib/oslift/status.json)" "$before" "sqlite rpmdb held: the root is unchanged"
t_run "$HOST_PREP" --root "$root" cancel
t_is "$T_RC" 0 "sqlite rpmdb held: cancel works after the refusal"

# rpm's transaction lock held: refused in the checks, before the first
# write, so no attempt is used and cancel still works.
root=$(copy rpmlock-held)
hold_lock "$root/var/lib/rpm/.rpm.lock" 60
before=$(t_tree_digest "$root" ./var/lib/oslift/status.json)
t_run timeout 60 "$UPGRADER" --root "$root"
t_is "$T_RC" 1 "rpm lock held: the upgrader refuses (exit 1)"
t_match "$T_OUT" "waiting for rpm's transaction lock $root/var/lib/rpm/.rpm.lock, held by PID $holder, python3" \
	"rpm lock held: says who holds it"
t_match "$T_OUT" "nothing was changed in $root" "rpm lock held: and that nothing changed"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
t_is "$(t_tree_digest "$root" ./var/lib/oslift/status.json)" "$before" "rpm lock held: the root is unchanged"
t_ok "rpm lock held: no journal, no attempt used" test ! -e "$root/var/lib/oslift/journal"
t_run "$HOST_PREP" --root "$root" cancel
t_is "$T_RC" 0 "rpm lock held: cancel works after the refusal"

# Let go of within the wait: the upgrader goes on.
root=$(copy rpmlock-brief)
hold_lock "$root/var/lib/rpm/.rpm.lock" 1
t_run env OSLIFT_LOCK_WAIT=20 timeout 120 "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "rpm lock let go of within the wait: the upgrade applies"
t_match "$T_OUT" "waiting for rpm's transaction lock" "rpm lock let go of within the wait: after saying so"
wait "$holder" 2>/dev/null
