#!/bin/bash
# stage --key reads each package file once: the bytes it hashes, verifies
# and stages are those of that one open, so a package swapped afterwards
# (another user's rename in a directory they can write) is not what gets
# staged, nor what was verified.
. "$(dirname "$0")/../lib.sh"

command -v strace >/dev/null || { t_skip "stage opens each package once" "no strace"; exit 0; }
command -v gpg >/dev/null && command -v rpmsign >/dev/null ||
	{ t_skip "stage opens each package once" "no gpg or rpmsign to sign test packages"; exit 0; }

tmp=$(t_tmpdir)
pkgs=$(t_packages)
base=$tmp/base
t_make_release7_root "$base" "$pkgs"

# A throwaway signing key, and release 8 signed with it.
export GNUPGHOME=$tmp/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'oslift test <test@invalid>' rsa2048 sign never 2>/dev/null
gpg --batch --armor --export 'oslift test' >"$tmp/key.asc"
mkdir "$tmp/signed"
cp "$pkgs"/release8/*.rpm "$tmp/signed/"
rpmsign --define '_gpg_name oslift test' --define "__gpg $(command -v gpg)" --addsign "$tmp"/signed/*.rpm </dev/null >/dev/null 2>&1
victim=$tmp/signed/webapp-8.0-1.noarch.rpm
signed_sha=$(sha256sum <"$victim" | cut -d' ' -f1)
# The same package unsigned, ready to be renamed over the signed one.
cp "$pkgs/release8/webapp-8.0-1.noarch.rpm" "$tmp/signed/.unsigned"

root=$tmp/r-once; cp -a "$base" "$root"
strace -f -qq -o "$tmp/trace" -e trace=open,openat,openat2 \
	"$HOST_PREP" --root "$root" stage --packages "$tmp/signed" --key "$tmp/key.asc" --erase legacy >"$tmp/out" 2>&1
t_is "$?" 0 "stage --key succeeds on the signed release 8"
opens=
for f in "$tmp"/signed/*.rpm; do
	opens+="$(basename "$f") $(grep -cF "\"$f\"" "$tmp/trace")"$'\n'
done
t_is "$(grep -v ' 1$' <<<"$opens")" "" "stage opens each package file exactly once"
t_is "$(grep -cF "\"$tmp/key.asc\"" "$tmp/trace")" 1 "and the key file once"
t_is "$(cat "$root/var/lib/oslift/keys/key-1.asc")" "$(cat "$tmp/key.asc")" "the staged key is the one given"
t_is "$(sha256sum <"$root/var/lib/oslift/packages/webapp-8.0-1.noarch.rpm" | cut -d' ' -f1)" "$signed_sha" \
	"the staged file is the signed package"
t_ok "no spool directory is left behind" bash -c '! compgen -G "$1/var/lib/.oslift-stage-*"' _ "$root"

# check, which writes nothing, reads each one through a single open too.
root=$tmp/r-check; cp -a "$base" "$root"; before=$(t_tree_digest "$root")
strace -f -qq -o "$tmp/trace-check" -e trace=open,openat,openat2 \
	"$HOST_PREP" --root "$root" check --packages "$tmp/signed" --key "$tmp/key.asc" --erase legacy >"$tmp/out" 2>&1
t_is "$?" 0 "check --key passes"
opens=
for f in "$tmp"/signed/*.rpm; do
	opens+="$(basename "$f") $(grep -cF "\"$f\"" "$tmp/trace-check")"$'\n'
done
t_is "$(grep -v ' 1$' <<<"$opens")" "" "check opens each package file exactly once"
t_is "$(t_tree_digest "$root")" "$before" "check leaves the root unchanged"

# Swapped between stage's open and its reads: strace holds the open of the
# signed file for two seconds, and meanwhile the unsigned package is renamed
# over it. What stage read, verified and staged is the signed file.
root=$tmp/r-swap; cp -a "$base" "$root"
(sleep 1; mv "$tmp/signed/.unsigned" "$victim") &
strace -f -qq -o /dev/null -P "$victim" -e trace=openat -e inject=openat:delay_exit=2000000 \
	"$HOST_PREP" --root "$root" stage --packages "$tmp/signed" --key "$tmp/key.asc" --erase legacy >"$tmp/out" 2>&1
rc=$?
wait
t_is "$(sha256sum <"$victim" | cut -d' ' -f1)" "$(sha256sum <"$pkgs/release8/webapp-8.0-1.noarch.rpm" | cut -d' ' -f1)" \
	"the input was swapped for the unsigned package during stage"
t_is "$rc" 0 "stage succeeds with what it opened"
t_is "$(sha256sum <"$root/var/lib/oslift/packages/webapp-8.0-1.noarch.rpm" | cut -d' ' -f1)" "$signed_sha" \
	"the staged file is the signed package it verified, not the one swapped in"
t_match "$(cat "$root/var/lib/oslift/plan")" "webapp-8\.0-1\.noarch\.rpm [0-9]+ $signed_sha " \
	"the plan pins the signed package's digest"

t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "the upgrader checks the signatures again with the staged key and applies the plan"
t_match "$(t_rpm "$root" -q webapp)" '^webapp-8\.0-1\.noarch$' "webapp 8 is installed"

# Now the unsigned package is what the directory holds: refused, and
# nothing written.
root=$tmp/r-unsigned; cp -a "$base" "$root"; before=$(t_tree_digest "$root")
t_run "$HOST_PREP" --root "$root" stage --packages "$tmp/signed" --key "$tmp/key.asc" --erase legacy
t_is "$T_RC" 1 "the unsigned package is refused"
t_match "$T_OUT" 'BLOCKER +package-verification: webapp-8\.0-1\.noarch\.rpm' "and named"
t_is "$(t_tree_digest "$root")" "$before" "the refused stage leaves the root unchanged"

# A package directory others can write gets a warning.
chmod 0777 "$tmp/signed"
root=$tmp/r-writable; cp -a "$base" "$root"; before=$(t_tree_digest "$root")
t_run "$HOST_PREP" --root "$root" check --packages "$tmp/signed" --key "$tmp/key.asc" --erase legacy
t_match "$T_OUT" "WARNING +package-dir-writable: --packages $tmp/signed is writable by everyone" \
	"a world-writable --packages directory is warned about"
t_is "$(t_tree_digest "$root")" "$before" "check leaves the root unchanged"
chmod 0755 "$tmp/signed"
t_run "$HOST_PREP" --root "$root" check --packages "$pkgs/release8" --erase legacy
t_ok "a root-only directory is not" bash -c '! grep -q package-dir-writable <<<"$1"' _ "$T_OUT"
