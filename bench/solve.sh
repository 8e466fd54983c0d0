#!/bin/bash
# How long host-prep's libsolv step takes: a root with M installed
# packages (release 7) against a createrepo_c repository of N (release 8).
#   OSLIFT_BUILD=$PWD/build bench/solve.sh [--repo N] [--installed M] [--runs K]
# Defaults: N=2000, M=500, K=5. The packages (bench/solve.spec) are built
# once and cached in $OSLIFT_CACHE/solve-bench-HASH (default
# /var/cache/oslift), keyed by this script, the spec, rpmbuild, N and M.
# Prints host-prep's own account of the solve (reading the rpmdb and the
# repodata, then solving) and check's wall time for each run, and, when
# dnf is installed, dnf distro-sync --assumeno's wall time for reference.
set -euo pipefail

usage() { echo "usage: $0 [--repo N] [--installed M] [--runs K]" >&2; exit 2; }
die() { echo "solve.sh: $*" >&2; exit 1; }

n=2000 m=500 runs=5
while (($#)); do
	case $1 in
	--repo) (($# >= 2)) || usage; n=$2; shift 2 ;;
	--installed) (($# >= 2)) || usage; m=$2; shift 2 ;;
	--runs) (($# >= 2)) || usage; runs=$2; shift 2 ;;
	*) usage ;;
	esac
done
[[ $n =~ ^[0-9]+$ && $m =~ ^[0-9]+$ && $runs =~ ^[0-9]+$ ]] && ((m >= 1 && m <= n && n <= 9999 && runs >= 1)) ||
	die "want 1 <= M <= N <= 9999 and K >= 1"
: "${OSLIFT_BUILD:?set OSLIFT_BUILD to the build directory (make all first)}"
host_prep=$OSLIFT_BUILD/host-prep
[[ -x $host_prep ]] || die "$host_prep not found: run make first"
command -v rpmbuild >/dev/null && command -v createrepo_c >/dev/null ||
	die "needs rpmbuild and createrepo_c (initrd/bootstrap-debian.sh installs them)"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${OSLIFT_CACHE:-/var/cache/oslift}
key=$({
	cat "$here/solve.sh" "$here/solve.spec" "$here/../tools/rpmbuild-isolated" "$here/../tests/packages/common.macros"
	rpmbuild --version
	echo "n $n m $m"
} | sha256sum | cut -c1-16)
set_dir=$cache/solve-bench-$key

build_set() {
	local tmp rel count s
	tmp=$(mktemp -d "$cache/solve-bench.XXXXXX")
	for rel in 7 8; do
		count=$m
		((rel == 8)) && count=$n
		s=$SECONDS
		"$here/../tools/rpmbuild-isolated" "$tmp/work$rel" "$tmp/release$rel" \
			--load "$here/../tests/packages/common.macros" --define "rel $rel" --define "n $count" "$here/solve.spec" >"$tmp/build$rel.log" 2>&1 ||
			{ tail -n 20 "$tmp/build$rel.log" >&2; die "rpmbuild failed (release $rel)"; }
		echo "release $rel: $count packages built in $((SECONDS - s)) s" >&2
	done
	createrepo_c -q "$tmp/release8"
	rm -rf "${tmp:?}"/work? "${tmp:?}"/*.log
	rm -rf "$set_dir"
	mv "$tmp" "$set_dir"
}

mkdir -p "$cache"
exec 9>"$cache/.lock-solve-bench"
flock 9
[[ -f $set_dir/release8/repodata/repomd.xml ]] || build_set
exec 9>&-

tmp=$(mktemp -d /tmp/oslift-solve-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root"
s=$SECONDS
rpm --root "$root" --dbpath /var/lib/rpm -i --quiet --nodeps --noscripts --justdb "$set_dir"/release7/*.rpm \
	2> >(grep -v 'Alien\|assuming you know' >&2)
installed=$(rpm --root "$root" --dbpath /var/lib/rpm -qa 2>/dev/null | wc -l)
echo "root: $installed packages in its rpmdb ($((SECONDS - s)) s); repository: $(find "$set_dir/release8" -maxdepth 1 -name '*.rpm' | wc -l) packages"

for ((k = 1; k <= runs; k++)); do
	start=$(date +%s.%N)
	out=$("$host_prep" --root "$root" check --repo "$set_dir/release8" 2>&1) || true
	end=$(date +%s.%N)
	line=$(grep -m1 'info *solver:' <<<"$out" || true)
	[[ -n $line ]] || { echo "$out" | head -n 20 >&2; die "host-prep did not solve"; }
	printf 'run %d: %s; check in total %.2f s\n' "$k" "${line#*solver: }" "$(echo "$end - $start" | bc)"
done
grep -E '^BLOCKER' <<<"$out" | head -n 5 || true

if command -v dnf >/dev/null; then
	mkdir -p "$tmp/home"
	printf '%%_dbpath /var/lib/rpm\n' >"$tmp/home/.rpmmacros"
	start=$(date +%s.%N)
	HOME=$tmp/home dnf -q --assumeno --installroot "$root" --setopt=reposdir="$tmp/none" \
		--setopt=cachedir="$tmp/dnf-cache" --repofrompath=target,"file://$set_dir/release8" --repo target \
		--releasever 8 --nogpgcheck distro-sync >"$tmp/dnf.out" 2>&1 || true
	end=$(date +%s.%N)
	printf 'dnf distro-sync --assumeno (metadata load, solve, no download): %.2f s\n' "$(echo "$end - $start" | bc)"
fi
