#!/bin/bash
# The pins of the static sysroot's sources (initrd/sources.lock,
# initrd/libsolv.lock) against Debian's archive as it is today, so that a
# pin gone stale fails here on a warm machine too, not only on a cold one;
# and the policy of initrd/sources.sh for a pin that left the archive, on
# a small real package (popt, a few hundred KiB).
. "$(dirname "$0")/../lib.sh"
tmp=$(t_tmpdir)
initrd=$TESTS_DIR/../initrd

if ! apt-get source --print-uris -qq popt >/dev/null 2>&1; then
	t_skip_all "apt has no deb-src entry or cannot reach the archive (initrd/bootstrap-debian.sh adds the entry)"
fi

t_run "$initrd/fetch-sources.sh" --check-pins
t_is "$T_RC" 0 "every pin of sources.lock and libsolv.lock is served by the archive with its digests"
t_match "$T_OUT" 'all [0-9]+ pins are served' "and the check says how many it checked"
[[ $T_RC == 0 ]] || echo "$T_OUT" | sed 's/^/# /'

# Every lock entry carries the full version, epoch included, when Debian's
# has one (apt cannot find "5.44-3" of a package whose version is 1:5.44-3).
entries=$(grep -hv '^[[:space:]]*\(#\|$\)' "$initrd/sources.lock" "$initrd/libsolv.lock" | awk '!s[$1]++ {print $1, $2}')
mapfile -t sources < <(cut -d' ' -f1 <<<"$entries")
index=$(apt-cache showsrc --only-source "${sources[@]}" 2>/dev/null |
	awk '/^Package: / {p = $2} /^Version: / {print p, $2}')
bad=
while read -r pkg ver; do
	want=$(awk -v p="$pkg" -v u="${ver#*:}" '$1 == p {v = $2; sub(/^[0-9]+:/, "", v); if (v == u) {print $2; exit}}' <<<"$index")
	[[ -n $want && $want != "$ver" ]] && bad+="$pkg $ver (the archive says $want) "
done <<<"$entries"
t_is "$bad" "" "every pin carries the archive's full version, epoch included"

popt_orig=4cd0cd2963d0c4078f65949599d97135c15ee6c09cf3a36a9a1b2753025bb06b
# fake_lock FILE VERSION ORIG-SHA: a lock pinning popt at VERSION.
fake_lock() {
	cat >"$1" <<-EOL
		# a test lock
		popt          $2   popt_1.19+dfsg.orig.tar.xz   $3
		popt          $2   popt_1.19+dfsg-${2##*-}.debian.tar.xz   0000000000000000000000000000000000000000000000000000000000000000
	EOL
}

# A pin that is not served: --check-pins names it and fails.
fake_lock "$tmp/gone.lock" "1.19+dfsg-0+gone1" "$popt_orig"
t_run "$initrd/fetch-sources.sh" --check-pins "$tmp/gone.lock"
t_is "$T_RC" 1 "a pin the archive does not serve fails the check"
t_match "$T_OUT" 'popt=1\.19\+dfsg-0\+gone1 is not in the archive' "naming the pin"
t_match "$T_OUT" 'refresh-lock\.sh' "and saying what to do"

# The same pin, fetched: the archive's revision of the same upstream
# version is taken, because its upstream tarball matches the lock.
t_run "$initrd/fetch-sources.sh" --into "$tmp/src" "$tmp/gone.lock"
t_is "$T_RC" 0 "a revision that left the archive is substituted by the current one"
t_match "$T_OUT" 'popt: substituted 1\.19\+dfsg-[0-9][^ ]* for the pinned 1\.19\+dfsg-0\+gone1 \(upstream tarball matches the lock\)' \
	"the substitution is logged"
t_ok "the upstream tarball is the pinned one" \
	sh -c "echo '$popt_orig  $tmp/src/popt_1.19+dfsg.orig.tar.xz' | sha256sum --check --quiet --strict"
versions=$(bash -c '
	set -euo pipefail
	log() { :; }; die() { echo "die: $*"; exit 1; }
	. "$1/sources.sh"
	sources_fetch "$2" "$3"
	sources_versions "$2"' _ "$initrd" "$tmp/gone.lock" "$tmp/src")
t_match "$versions" '^substituted popt 1\.19\+dfsg-0\+gone1 1\.19\+dfsg-[0-9]' \
	"VERSIONS records the substitution (from what was fetched before, without the network)"
t_match "$versions" '^popt 1\.19\+dfsg-[0-9]' "and the version really built"

# A different upstream tarball is never accepted.
fake_lock "$tmp/other.lock" "1.19+dfsg-0+gone1" "1111111111111111111111111111111111111111111111111111111111111111"
t_run "$initrd/fetch-sources.sh" --into "$tmp/src2" "$tmp/other.lock"
t_is "$T_RC" 1 "a substitute whose upstream tarball differs from the lock is refused"
t_match "$T_OUT" 'upstream tarball differs from the one .* pins; refusing to build' "with what is wrong"

# An upstream version the archive no longer has at all.
cat >"$tmp/old.lock" <<-EOL
	popt          1.16-99   popt_1.16.orig.tar.gz   $popt_orig
EOL
t_run "$initrd/fetch-sources.sh" --into "$tmp/src3" "$tmp/old.lock"
t_is "$T_RC" 1 "an upstream version gone from the archive fails the fetch"
t_match "$T_OUT" 'nor any other revision of 0:1\.16; run initrd/refresh-lock\.sh' "saying what to do"
