#!/bin/bash
# Bad input gets a message naming the problem and what to do, and leaves
# the root exactly as it was: every case hashes the whole tree before and
# after (rpmdb included).
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
pkgs=$(t_packages)
base=$tmp/base
t_make_release7_root "$base" "$pkgs"

# A fresh staged copy of the release-7 root for each case.
staged_root() {
	local root=$tmp/$1
	rm -rf "$root"
	cp -a "$base" "$root"
	"$HOST_PREP" --root "$root" stage --packages "$pkgs/release8" --erase legacy >/dev/null ||
		echo "staging $root failed" >&2
	echo "$root"
}

# refused DESCRIPTION ROOT MESSAGE-REGEX: the upgrader refuses (exit 1)
# and the root is byte-for-byte what it was, but for status.json, which
# says why for 'host-prep status'.
refused() {
	local desc=$1 root=$2 regex=$3 before status=./var/lib/oslift/status.json
	before=$(t_tree_digest "$root" "$status")
	t_run "$UPGRADER" --root "$root"
	if ((T_RC != 1)); then
		t_fail "$desc: upgrader refuses (exit 1)" "exit $T_RC: $T_OUT"
		return
	fi
	t_match "$T_OUT" "$regex" "$desc: the message says why"
	t_match "$T_OUT" "nothing was changed in $root" "$desc: and that nothing changed"
	t_is "$(t_tree_digest "$root" "$status")" "$before" "$desc: the root is unchanged"
	if [[ -f $root/$status ]]; then
		t_run "$HOST_PREP" --root "$root" status
		t_match "$T_OUT" "state: refused" "$desc: host-prep status says refused"
		t_match "$T_OUT" "message: refused, nothing was changed: .*${regex:0:20}" "$desc: and why"
	fi
}

# check/stage refuse a corrupted package before anything is written.
if bad=$(t_fixture rpms/hello-2.0-1.x86_64-corrupted.rpm); then
	mkdir -p "$tmp/corrupt"
	cp "$pkgs"/release8/*.rpm "$bad" "$tmp/corrupt/"
	root=$tmp/r-corrupt; cp -a "$base" "$root"; before=$(t_tree_digest "$root")
	t_run "$HOST_PREP" --root "$root" stage --packages "$tmp/corrupt" --erase legacy
	t_is "$T_RC" 1 "corrupted package: stage is blocked"
	t_match "$T_OUT" 'package-verification: hello-2\.0-1\.x86_64-corrupted\.rpm: Payload SHA256 digest: BAD' \
		"corrupted package: named, with rpm's reason"
	t_is "$(t_tree_digest "$root")" "$before" "corrupted package: the root is unchanged"
else
	t_skip "corrupted package" "fixture absent"
fi

# A package signed by a key that is not the one enforced.
if subkey=$(t_fixture rpms/hello-2.0-1.x86_64-signed-with-subkey.rpm); then
	key=$(t_fixture keys/rpm.org-rsa-2048-test.pub)
	signed=$(t_fixture rpms/hello-2.0-1.x86_64-signed.rpm)
	mkdir -p "$tmp/unknown-key" "$tmp/known-key"
	cp "$subkey" "$tmp/unknown-key/"
	cp "$signed" "$tmp/known-key/"
	root=$tmp/r-key; cp -a "$base" "$root"; before=$(t_tree_digest "$root")
	t_run "$HOST_PREP" --root "$root" check --packages "$tmp/unknown-key" --key "$key"
	t_is "$T_RC" 1 "unknown signing key: check is blocked"
	t_match "$T_OUT" 'package-verification: hello-2\.0-1\.x86_64-signed-with-subkey\.rpm: .*key ID 15217ee0: NOKEY' \
		"unknown signing key: named with the key ID"
	# hello needs libc, which this root lacks: only verification matters here.
	t_run "$HOST_PREP" --root "$root" check --packages "$tmp/known-key" --key "$key"
	t_ok "a package signed by the given key passes verification" \
		bash -c '! grep -q package-verification <<<"$1"' _ "$T_OUT"
	t_run "$HOST_PREP" --root "$root" check --packages "$tmp/known-key"
	t_match "$T_OUT" 'no-signature-check' "without --key signatures are not enforced, and check says so"
	t_is "$(t_tree_digest "$root")" "$before" "key checks change nothing"
else
	t_skip "signature enforcement" "fixture absent"
fi

# A file conflict: mover-b 8 takes data.txt over from mover-a, but without
# mover-a 8 in the set the installed mover-a 7 keeps owning it.
mkdir -p "$tmp/conflict"
cp "$pkgs"/release8/mover-b-*.rpm "$tmp/conflict/"
root=$tmp/r-conflict; cp -a "$base" "$root"; before=$(t_tree_digest "$root")
t_run "$HOST_PREP" --root "$root" check --packages "$tmp/conflict"
t_is "$T_RC" 1 "file conflict: check is blocked"
t_match "$T_OUT" 'BLOCKER +file-conflict: file /usr/share/moving/data\.txt from install of mover-b-8\.0-1\.noarch conflicts with file from package mover-a-7\.0-1\.noarch' \
	"file conflict: names the file and both packages"
t_is "$(t_tree_digest "$root")" "$before" "file conflict: the root is unchanged"

# An rpmdb librpm cannot read is a blocker, not a crash.
root=$tmp/r-baddb; cp -a "$base" "$root"
rm -f "$root"/var/lib/rpm/rpmdb.sqlite*
head -c 65536 /dev/urandom >"$root/var/lib/rpm/rpmdb.sqlite"
before=$(t_tree_digest "$root")
t_run "$HOST_PREP" --root "$root" check --packages "$pkgs/release8"
t_is "$T_RC" 1 "unreadable rpmdb: check is blocked"
t_match "$T_OUT" 'BLOCKER +rpmdb-unreadable: the sqlite rpm database in .* cannot be read' "unreadable rpmdb: said so"
t_is "$(t_tree_digest "$root")" "$before" "unreadable rpmdb: the root is unchanged"

root=$(staged_root tampered)
pkg=$(ls "$root/var/lib/oslift/packages" | head -n 1)
printf 'x' >>"$root/var/lib/oslift/packages/$pkg"
refused "package tampered after staging" "$root" "staged package $pkg was modified after staging .*run 'host-prep stage' again"

root=$(staged_root missing)
rm "$root/var/lib/oslift/packages/webapp-8.0-1.noarch.rpm"
refused "missing staged file" "$root" "staged package webapp-8\.0-1\.noarch\.rpm is missing"

root=$(staged_root stale)
t_rpm "$root" -e --quiet legacy
refused "stale plan (the system changed since staging)" "$root" "installed packages changed since the plan was staged.*run 'host-prep stage' again"

root=$(staged_root traversal)
sed -i 's/ webapp-8\.0-1\.noarch\.rpm / ..\/..\/..\/etc\/evil.rpm /' "$root/var/lib/oslift/plan"
t_reseal_plan "$root/var/lib/oslift/plan"
refused "plan with a path-traversal name" "$root" 'is not a plain file name'

root=$(staged_root truncated)
plan=$root/var/lib/oslift/plan
head -c $(($(stat -c %s "$plan") / 2)) "$plan" >"$plan.cut" && mv "$plan.cut" "$plan"
refused "truncated plan" "$root" "the plan .* cannot be used: .*(truncated|end)"

root=$(staged_root unresolved)
sed -i '/^erase legacy/d' "$root/var/lib/oslift/plan"
t_reseal_plan "$root/var/lib/oslift/plan"
refused "unresolved dependency" "$root" 'oldapi = 1 is needed by \(installed\) legacy-1\.0-1\.noarch'

root=$tmp/nothing; cp -a "$base" "$root"
refused "nothing staged" "$root" "no staged plan in $root/var/lib/oslift; run 'host-prep stage' first"

# cancel takes a staged root back to where it was.
root=$tmp/cancel; cp -a "$base" "$root"; before=$(t_tree_digest "$root")
"$HOST_PREP" --root "$root" stage --packages "$pkgs/release8" --erase legacy >/dev/null
t_run "$HOST_PREP" --root "$root" cancel
t_is "$T_RC" 0 "cancel succeeds"
t_is "$(t_tree_digest "$root")" "$before" "after cancel the root is as it was before stage"
t_run "$HOST_PREP" --root "$root" cancel
t_is "$T_RC" 0 "cancel is idempotent"
