#!/bin/bash
# Generates the benchmark's release-upgrade package set with rpmbuild:
#   generate.sh [OUTDIR [N]] [--size small|default]
# -> OUTDIR/old/*.rpm (release 1) and OUTDIR/new/*.rpm (release 2):
# N packages bench-0001..N (default: 60 for small, 500 for default) split
# into three payload-compression groups (zstd, xz, gzip), bench-release
# (/etc/os-release) and oslift-test-sh (static busybox as /bin/sh, from
# tests/packages/specs).  See bench/README.md for the size mix.
# Cached: when OUTDIR holds a set built from the same inputs (these
# scripts, the specs, busybox, rpmbuild, N, size), nothing is rebuilt.
# Without OUTDIR the set lives outside the clone, keyed by that stamp, in
# ${OSLIFT_CACHE:-/var/cache/oslift}/bench-packages-STAMP (so a fresh clone
# or a second worktree reuses it; 'make clean' does not throw it away).
# Messages go to stderr; the last line on stdout is OUTDIR.
set -euo pipefail

usage() { echo "usage: $0 [OUTDIR [N]] [--size small|default]" >&2; exit 2; }
die() { echo "generate.sh: $*" >&2; exit 1; }

out='' n='' size=small
while (($#)); do
	case $1 in
	--size) (($# >= 2)) || usage; size=$2; shift 2 ;;
	--size=*) size=${1#*=}; shift ;;
	-*) usage ;;
	*) if [[ -z $out ]]; then out=$1; elif [[ -z $n ]]; then n=$1; else usage; fi; shift ;;
	esac
done
case $size in small) : "${n:=60}" ;; default) : "${n:=500}" ;; *) die "--size wants small or default" ;; esac
[[ $n =~ ^[0-9]+$ ]] && ((n >= 1 && n <= 9999)) || die "N wants 1..9999, not '$n'"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tests_pkgs=$here/../tests/packages
rpmbuild=$here/../tools/rpmbuild-isolated # isolated, reproducible
busybox=${BUSYBOX:-/bin/busybox}
command -v rpmbuild >/dev/null || die "rpmbuild not found (Debian package rpm)"
file -L "$busybox" | grep -q 'statically linked' || die "$busybox is not a static busybox (busybox-static)"

stamp=$({
	cat "$here/generate.sh" "$here/bench.spec" "$here/gen-tree.py" "$rpmbuild" \
		"$tests_pkgs/common.macros" "$tests_pkgs/specs/oslift-test-sh.spec" "$busybox"
	rpmbuild --version
	echo "n $n size $size"
} | sha256sum | cut -d' ' -f1)
if [[ -z $out ]]; then
	cache=${OSLIFT_CACHE:-/var/cache/oslift}
	out=$cache/bench-packages-${stamp:0:16}
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
# Two benches (worktrees) asking for the same set: one builds, the other
# waits and then finds it up to date.
exec 9>"$out/.lock"
flock 9
if [[ -f $out/.stamp && $(<"$out/.stamp") == "$stamp" ]]; then
	echo "bench packages: up to date in $out" >&2
	echo "$out"
	exit 0
fi

start=$SECONDS
tmp=$(mktemp -d "$out/.build.XXXXXX") # same filesystem: the final mv is a rename
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out/old" "$tmp/out/new"

build() { # SPEC REL DIR [--define ...]...
	local spec=$1 rel=$2 dir=$3 job; shift 3
	job=$(basename "$spec" .spec)-$rel-$*
	job=${job//[^A-Za-z0-9.-]/_}
	"$rpmbuild" "$tmp/work/$job" "$tmp/out/$dir" --load "$tests_pkgs/common.macros" \
		--define "rel $rel" \
		--define "busybox $busybox" \
		"$@" "$spec" >"$tmp/$job.log" 2>&1 || { echo "generate.sh: rpmbuild failed: $job" >&2; tail -30 "$tmp/$job.log" >&2; return 1; }
}

# Payload compression per group, as the distributions use them: xz 2
# (EL8), gzip 9 (EL7 and older), and zstd for Fedora and EL9, which use
# level 19.  The bench uses zstd level 3: what an install pays for is
# decompression, and zstd decompresses level 3 and level 19 at the same
# speed (measured on this set's blobs and text: 0.04-0.1 s for 20-28 MB
# either way), while level 19 compresses this set's text at ~0.8 MB/s on
# one core (26 s for 21 MB; level 3: 0.3 s) and made the default preset
# take over 9 minutes to build on 2 CPUs.  The price: zstd payloads are
# ~6 % larger (text: 10.1 MB instead of 9.5 MB; random blobs: the same).
declare -A comp=([z]=w3.zstdio [x]=w2.xzdio [g]=w9.gzdio)
pids=()
for rel in 1 2; do
	dir=$([[ $rel == 1 ]] && echo old || echo new)
	for grp in z x g; do
		build "$here/bench.spec" "$rel" "$dir" --define "grp $grp" --define "comp ${comp[$grp]}" \
			--define "n $n" --define "size $size" --define "gentree $here/gen-tree.py" &
		pids+=($!)
	done
	build "$tests_pkgs/specs/oslift-test-sh.spec" "$rel" "$dir" &
	pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
((failed == 0)) || exit 1

rm -f "$out/.stamp"
rm -rf "$out/old" "$out/new"
mv "$tmp/out/old" "$tmp/out/new" "$out/"
echo "$stamp" >"$out/.stamp"
for d in old new; do
	printf 'bench packages: %s: %d rpms, %s, %d files\n' "$d" "$(ls "$out/$d" | wc -l)" \
		"$(du -sh "$out/$d" | cut -f1)" "$(rpm -qpl "$out/$d"/*.rpm 2>/dev/null | wc -l)"
done >&2
echo "bench packages: built in $((SECONDS - start))s in $out" >&2
echo "$out"
