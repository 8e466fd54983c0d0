#!/bin/bash
# Builds the e2e demo package sets with the build host's rpmbuild:
#   build.sh OUTDIR
# -> OUTDIR/release7/*.rpm and OUTDIR/release8/*.rpm (website, base-release,
# debian-sh; see ../README.md). The same scheme as tests/packages/build.sh,
# whose common.macros it loads (small, plain, reproducible packages): each
# specs/*.spec names its releases in its first line and is built once per
# release with --define 'rel 7' or 'rel 8'. Up to date output is left alone;
# otherwise both sets are rebuilt and replace the old ones whole.
# Prints one summary line; on failure, the failing build's log.
set -euo pipefail

die() { echo "build.sh: $*" >&2; exit 1; }
(($# == 1)) && [[ $1 != -* ]] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
macros=$here/../../packages/common.macros
rpmbuild=$here/../../../tools/rpmbuild-isolated
command -v rpmbuild >/dev/null || die "rpmbuild not found (Debian package rpm)"
[[ -f $macros ]] || die "$macros not found"

mkdir -p "$1"
out=$(cd "$1" && pwd)
exec 9>"$out/.lock"
flock 9 # concurrent callers of the same OUTDIR wait for one another

stamp=$({ cat "$here/build.sh" "$rpmbuild" "$macros" "$here"/specs/*.spec; rpmbuild --version; } | sha256sum | cut -d' ' -f1)
if [[ -f $out/.stamp && $(<"$out/.stamp") == "$stamp" ]] &&
	compgen -G "$out/release7/*.rpm" >/dev/null && compgen -G "$out/release8/*.rpm" >/dev/null; then
	echo "e2e packages: up to date in $out"
	exit 0
fi

start=$SECONDS
tmp=$(mktemp -d -t oslift-e2e-pkgbuild.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out/release7" "$tmp/out/release8"

for spec in "$here"/specs/*.spec; do
	rels=$(sed -n -E '1s/^# releases:(( [78])+)$/\1/p' "$spec")
	[[ -n $rels ]] || die "$spec: first line must be '# releases: 7 8' (or 7, or 8)"
	for rel in $rels; do
		job=$(basename "$spec" .spec)-$rel
		# isolated and reproducible: rpmbuild-isolated
		"$rpmbuild" "$tmp/work/$job" "$tmp/out/release$rel" --load "$macros" \
			--define "rel $rel" "$spec" >"$tmp/$job.log" 2>&1 ||
			{ echo "build.sh: rpmbuild failed for $job:" >&2; sed 's/^/  /' "$tmp/$job.log" >&2; exit 1; }
		if [[ -s $tmp/$job.log ]]; then # warnings may be spec mistakes
			echo "build.sh: rpmbuild said for $job:" >&2
			sed 's/^/  /' "$tmp/$job.log" >&2
		fi
	done
done

rm -f "$out/.stamp"
for rel in 7 8; do
	rm -rf "$out/release$rel"
	mv "$tmp/out/release$rel" "$out/release$rel"
done
echo "$stamp" >"$out/.stamp"
echo "e2e packages: $(ls "$out/release7" | wc -l) in release7, $(ls "$out/release8" | wc -l) in release8, built in $((SECONDS - start))s in $out"
