#!/bin/bash
# The Debian source packages both sysroot recipes pin (sources.lock,
# libsolv.lock), without building anything.
#
#   fetch-sources.sh [--into DIR] [LOCK...]   fetch and verify every file
#                                             (default DIR: the build cache's)
#   fetch-sources.sh --check-pins [LOCK...]   ask the archive's index whether
#                                             each pin is still served with
#                                             the lock's digests; names every
#                                             one that is not, exit 1
#
# A pin that left the archive is substituted as initrd/sources.sh says;
# --check-pins reports it all the same, so a lock gone stale is noticed
# before it can no longer be substituted. Needs a deb-src apt entry
# (initrd/bootstrap-debian.sh adds one).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf '[sources %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { printf 'fetch-sources: %s\n' "$*" >&2; exit 1; }
. "$here/sources.sh"

mode=fetch
dir=${OSLIFT_CACHE:-/var/cache/oslift}/sources
while (($#)); do
	case $1 in
	--check-pins) mode=check; shift ;;
	--into) dir=${2:?--into needs a directory}; shift 2 ;;
	--*) die "unknown option $1" ;;
	*) break ;;
	esac
done
locks=("$@")
((${#locks[@]})) || locks=("$here/sources.lock" "$here/libsolv.lock")

if [[ $mode == check ]]; then
	bad=0 n=0
	for lock in "${locks[@]}"; do
		# One question to the index for the whole lock; when it fails
		# (a pin is gone), one per pin, to name which.
		pins=$(lock_entries "$lock" | awk '!seen[$1 " " $2]++ {print $1 "=" $2}')
		all=$(source_uris $pins) || all=
		while read -r pkg ver; do
			n=$((n + 1))
			if ! why=$(pin_status "$pkg" "$ver" "$lock" "$all"); then
				echo "$(basename "$lock"): $why" >&2
				bad=$((bad + 1))
			fi
		done < <(lock_entries "$lock" | awk '!seen[$1 " " $2]++ {print $1, $2}')
	done
	if ((bad)); then
		echo "fetch-sources: $bad of $n pins are not served by the archive as locked;" \
			"run initrd/refresh-lock.sh and review the change" >&2
		exit 1
	fi
	echo "fetch-sources: all $n pins are served by the archive with the locked digests"
	exit 0
fi

for lock in "${locks[@]}"; do
	sources_fetch "$lock" "$dir"
done
