#!/bin/bash
# Signatures, where they are checked: check and stage --key enforce them
# (with the right key quietly, with another key as a blocker); the
# upgrader pins the bytes stage verified by their SHA-256 and refuses a
# staged package whose bytes changed afterwards, changing nothing.
# Release 8 is signed here with a throwaway key (temporary GNUPGHOME).
. "$(dirname "$0")/../lib.sh"

if ! command -v gpg >/dev/null || ! command -v rpmsign >/dev/null; then
	t_skip "stage --key with signed packages" "gpg or rpmsign not installed"
	exit 0
fi
tmp=$(t_tmpdir)
pkgs=$(t_packages)
export GNUPGHOME=$tmp/gnupg
mkdir -m 700 "$GNUPGHOME"

# make_key NAME: a signing key without passphrase; its public half in $tmp/NAME.asc
make_key() {
	gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
		--quick-gen-key "oslift $1 <$1@example.invalid>" rsa2048 sign never 2>/dev/null &&
		gpg --batch --armor --export "$1@example.invalid" >"$tmp/$1.asc"
}
make_key release || { t_fail "a throwaway signing key" "gpg --quick-gen-key failed"; exit 1; }
make_key other
mkdir "$tmp/signed"
cp "$pkgs"/release8/*.rpm "$tmp/signed/"
rpmsign --define "_dbpath $tmp/rpmdb" --define "__gpg $(command -v gpg)" --define "_gpg_name release@example.invalid" \
	--addsign "$tmp/signed"/*.rpm >/dev/null 2>&1
t_match "$(rpm --dbpath "$tmp/rpmdb" -Kv "$tmp/signed/webapp-8.0-1.noarch.rpm" 2>&1)" 'Signature, key ID [0-9a-f]+: NOKEY' \
	"the test packages carry a signature (rpm's own keyring does not know the key)"

root=$tmp/root
t_make_release7_root "$root" "$pkgs"

"$HOST_PREP" --root "$root" check --packages "$tmp/signed" --erase legacy --key "$tmp/release.asc" \
	>"$tmp/check.out" 2>"$tmp/check.err" && rc=0 || rc=$?
t_is "$rc" 0 "check --key with the signing key: nothing blocks"
t_is "$(cat "$tmp/check.err")" "" "and nothing on stderr (no NOKEY from rpm)"
t_ok "and no no-signature-check warning" bash -c '! grep -q no-signature-check "$1"' _ "$tmp/check.out"

t_run "$HOST_PREP" --root "$root" check --packages "$tmp/signed" --erase legacy --key "$tmp/other.asc"
t_is "$T_RC" 1 "check --key with another key: blocked"
t_match "$T_OUT" '^BLOCKER +package-verification: webapp-8\.0-1\.noarch\.rpm: .*Signature, key ID [0-9a-f]+: NOKEY' \
	"each package is a package-verification blocker naming the unknown key"

t_run "$HOST_PREP" --root "$root" stage --packages "$tmp/signed" --erase legacy --key "$tmp/other.asc"
t_is "$T_RC" 1 "stage --key with another key refuses"
t_ok "and stages nothing" test ! -e "$root/var/lib/oslift"

"$HOST_PREP" --root "$root" stage --packages "$tmp/signed" --erase legacy --key "$tmp/release.asc" \
	>"$tmp/stage.out" 2>"$tmp/stage.err" && rc=0 || rc=$?
t_is "$rc" 0 "stage --key with the signing key stages"
t_is "$(cat "$tmp/stage.err")" "" "quietly (no NOKEY, no warning about signatures)"
t_is "$(ls "$root/var/lib/oslift/keys" | wc -l)" 1 "the key is staged"
t_match "$(cat "$root/var/lib/oslift/plan")" '^key ' "and named in the plan"

# Bytes changed after staging, signature and all: the same package
# unsigned (digests fine, so rpm alone would install it).
staged=$root/var/lib/oslift/packages/webapp-8.0-1.noarch.rpm
cp "$staged" "$tmp/webapp.signed"
cp "$pkgs/release8/webapp-8.0-1.noarch.rpm" "$staged"
before=$(t_tree_digest "$root" ./var/lib/oslift/status.json)
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 1 "the upgrader refuses a staged package whose bytes changed"
t_match "$T_OUT" 'staged package webapp-8\.0-1\.noarch\.rpm was modified after staging \(SHA-256 [0-9a-f]{64}, plan says [0-9a-f]{64}\)' \
	"and names it, with both SHA-256s"
t_is "$(t_tree_digest "$root" ./var/lib/oslift/status.json)" "$before" "nothing in the root changed but status.json"
t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" refused "status.json: refused"

# The bytes stage verified again: applied (the refusal was about them).
cp "$tmp/webapp.signed" "$staged"
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "with the verified bytes back the upgrader applies"
t_is "$(t_rpm "$root" -q webapp)" "webapp-8.0-1.noarch" "release 8 is installed"
t_is "$(t_json "$root/var/lib/oslift/status.json" '(d["state"], d["packages_done"], d["packages_total"])')" \
	"('applied', 12, 12)" "status.json counts the plan's 12 entries (11 packages and an erasure), all done"
