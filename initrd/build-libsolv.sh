#!/bin/bash
# Builds the libsolv layer that host-prep links on top of the static sysroot:
# expat (rpm-md XML), json-c (Leapp's package evolution data, --pes),
# libyaml (EL 8 module metadata, modules.yaml) and libsolv + libsolvext (rpmdb through the sysroot's
# librpm, rpm headers, repodata, complex dependencies, gzip/xz/zstd/bzip2
# metadata), static, compiled with musl-gcc from the Debian 12 source
# packages pinned in libsolv.lock. The upgrader never links it.
#
#   build-libsolv.sh --print-path   where the layer for this recipe lives
#   build-libsolv.sh                build it unless that path already exists
#
# A layer of its own rather than more steps in build-sysroot.sh: the base
# sysroot's cache key (and its 10-minute rebuild) stays untouched. This
# layer is keyed by this script, libsolv.lock and the base sysroot's path
# (which is itself the hash of the base recipe), so a new base rebuilds it.
# OSLIFT_CACHE and OSLIFT_SOURCES work as for build-sysroot.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lock="$here/libsolv.lock"
cache=${OSLIFT_CACHE:-/var/cache/oslift}
jobs=${JOBS:-$(nproc)}
SYSROOT=$("$here/build-sysroot.sh" --print-path)

layer_path() {
	local key
	key=$({ cat "$lock" "$here/sources.sh" "$here/build-libsolv.sh"; echo "$SYSROOT"; } | sha256sum | cut -c1-16)
	echo "$cache/libsolv-$key"
}

log() { printf '[libsolv %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { printf 'build-libsolv: %s\n' "$*" >&2; exit 1; }

if [[ ${1:-} == --print-path ]]; then
	layer_path
	exit 0
fi

LAYER=$(layer_path)
if [[ -f $LAYER/.complete ]]; then
	log "up to date: $LAYER"
	exit 0
fi

[[ -f $SYSROOT/.complete ]] || die "the base sysroot $SYSROOT is not built: run initrd/build-sysroot.sh first"
command -v musl-gcc >/dev/null || die "musl-gcc not found: run initrd/bootstrap-debian.sh (as root) first"
command -v cmake >/dev/null || die "cmake not found: run initrd/bootstrap-debian.sh (as root) first"

mkdir -p "$cache"
exec 9>"$cache/.lock-libsolv"
flock 9
[[ -f $LAYER/.complete ]] && { log "built meanwhile: $LAYER"; exit 0; }

# ---------------------------------------------------------------- sources
# Fetched and verified as build-sysroot.sh does it, against libsolv.lock.
srcdir=${OSLIFT_SOURCES:-$cache/sources}
mkdir -p "$srcdir"

# lock_entries, sources_fetch, sources_unpack: shared with the other recipe.
. "$here/sources.sh"
fetch_and_verify() { sources_fetch "$lock" "$srcdir"; }
# unpack PKG [PATCH-TO-SKIP...]: the upstream tarball, then the Debian patch
# series except the named patches, in $work/PKG.
unpack() {
	local pkg=$1
	shift
	sources_unpack "$lock" "$srcdir" "$pkg" "$work/$pkg" "$@"
}

# ------------------------------------------------------------- environment
work=$(mktemp -d "$cache/build-libsolv.XXXXXX")
stage="$LAYER.partial"
rm -rf "$stage"
mkdir -p "$stage"/{include,lib}

export CC=musl-gcc
export CFLAGS="-O2 -g0 -fPIE -ffunction-sections -fdata-sections -idirafter $SYSROOT/kernel-headers"
# Static and musl only: find libraries and headers in the layer and the
# base sysroot, never in the build host's /usr.
cmake_common=(
	-DCMAKE_BUILD_TYPE=Release
	-DCMAKE_C_COMPILER=musl-gcc
	-DCMAKE_C_FLAGS="$CFLAGS"
	-DCMAKE_INSTALL_PREFIX="$stage"
	-DCMAKE_FIND_ROOT_PATH="$stage;$SYSROOT"
	-DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY
	-DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY
	-DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=ONLY
	-DCMAKE_FIND_LIBRARY_SUFFIXES=.a
)

fetch_and_verify

# ---------------------------------------------------------------- recipes
build_expat() {
	# The orig tarball is upstream's git tree: the library is in expat/.
	unpack expat
	mkdir -p "$work/expat-build"
	cd "$work/expat-build"
	cmake -S "$work/expat/expat" "${cmake_common[@]}" -DEXPAT_SHARED_LIBS=OFF \
		-DEXPAT_BUILD_TOOLS=OFF -DEXPAT_BUILD_EXAMPLES=OFF -DEXPAT_BUILD_TESTS=OFF \
		-DEXPAT_BUILD_DOCS=OFF -DEXPAT_BUILD_FUZZERS=OFF -DEXPAT_BUILD_PKGCONFIG=OFF \
		>/dev/null
	# Debian's CVE patches test "#if XML_DTD == 1", as autotools defines
	# it; cmake's config header defines it empty.
	sed -i 's/^#define XML_DTD$/#define XML_DTD 1/' expat_config.h
	grep -qx '#define XML_DTD 1' expat_config.h || die "expat: XML_DTD not defined as 1"
	make -s -j"$jobs" expat
	install -m644 libexpat.a "$stage/lib/"
	install -m644 "$work/expat/expat/lib/expat.h" "$work/expat/expat/lib/expat_external.h" "$stage/include/"
}

build_jsonc() {
	# Debian's 0002 (doxygen) is for the docs, which are not built.
	unpack json-c 0002-doxygen.patch
	mkdir -p "$work/json-c-build"
	cd "$work/json-c-build"
	cmake -S "$work/json-c" "${cmake_common[@]}" -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON \
		-DBUILD_TESTING=OFF -DDISABLE_WERROR=ON -DDISABLE_THREAD_LOCAL_STORAGE=OFF \
		-DENABLE_RDRAND=OFF -DENABLE_THREADING=OFF -DBUILD_APPS=OFF -DDISABLE_EXTRA_LIBS=ON \
		-DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_INCLUDEDIR=include >/dev/null
	# Its own install: the public headers (json.h is generated) in
	# include/json-c/, the library, cmake and pkg-config files beside it.
	make -s -j"$jobs" install >/dev/null
	[[ -f $stage/lib/libjson-c.a && -f $stage/include/json-c/json.h ]] || die "json-c: library or headers not installed"
}

build_yaml() {
	# Debian's package has no patch series; upstream's CMake build makes
	# the static library (yaml) and nothing else when testing is off.
	unpack libyaml
	mkdir -p "$work/libyaml-build"
	cd "$work/libyaml-build"
	cmake -S "$work/libyaml" "${cmake_common[@]}" -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF \
		>/dev/null
	make -s -j"$jobs" yaml
	install -m644 libyaml.a "$stage/lib/"
	install -m644 "$work/libyaml/include/yaml.h" "$stage/include/"
}

build_libsolv() {
	# 0002 and 0003 teach libsolv Debian's rpmdb in $HOME; our rpmdbs are
	# EL systems' own, in the root's /var/lib/rpm.
	unpack libsolv 0002-repo_rpmdb-handle-dbpath-in-homedir.patch \
		0003-rpmdb2solve.c-add-homedir-functionality.patch
	mkdir -p "$work/libsolv-build"
	cd "$work/libsolv-build"
	# The library probes cannot link a static librpm without its private
	# dependencies; librpm 4.18 has rpmdbFStat and no header-blob iterator.
	# musl's qsort_r takes glibc's arguments, but libsolv assumes BSD's
	# order for any libc but glibc (and crashes): use its bundled sort.
	cmake -S "$work/libsolv" "${cmake_common[@]}" -DENABLE_STATIC=ON -DDISABLE_SHARED=ON \
		-DENABLE_RPMDB=ON -DENABLE_RPMPKG=ON -DENABLE_RPMDB_LIBRPM=ON -DENABLE_RPMPKG_LIBRPM=ON \
		-DENABLE_RPMDB_BYRPMHEADER=ON -DENABLE_RPMMD=ON -DENABLE_COMPLEX_DEPS=ON \
		-DENABLE_LZMA_COMPRESSION=ON -DENABLE_ZSTD_COMPRESSION=ON -DENABLE_BZIP2_COMPRESSION=ON \
		-DWITH_LIBXML2=OFF -DENABLE_PERL=OFF -DENABLE_PYTHON=OFF -DENABLE_RUBY=OFF -DENABLE_TCL=OFF \
		-DHAVE_RPMDBFSTAT=1 -DHAVE_RPMDBNEXTITERATORHEADERBLOB=0 -DHAVE_QSORT_R=0 -DHAVE___QSORT_R=0 \
		-DRPM_INCLUDE_DIR="$SYSROOT/include" \
		-DEXPAT_INCLUDE_DIR="$stage/include" -DEXPAT_LIBRARY="$stage/lib/libexpat.a" \
		>/dev/null
	make -s -j"$jobs" libsolv libsolvext
	install -m644 src/libsolv.a ext/libsolvext.a "$stage/lib/"
	mkdir -p "$stage/include/solv"
	install -m644 "$work/libsolv"/src/*.h "$work/libsolv"/ext/*.h src/solvversion.h "$stage/include/solv/"
	# What was enabled, for VERSIONS and a look when a feature is missing.
	grep -h '^#define LIBSOLV' src/solvversion.h >"$work/features"
}

t0=$SECONDS
for step in expat jsonc yaml libsolv; do
	s=$SECONDS
	# A background job, not "if ! build_x": see build-sysroot.sh.
	build_$step >"$work/$step.log" 2>&1 &
	if ! wait $!; then
		tail -n 40 "$work/$step.log" >&2
		die "building $step failed: full log $work/$step.log (work tree kept)"
	fi
	log "$step built in $((SECONDS - s)) s"
done

{
	sources_versions "$lock"
	echo "base $SYSROOT"
	cat "$work/features"
	dpkg-query -W -f 'toolchain:${Package} ${Version}\n' musl-dev gcc-12 cmake
} >"$stage/VERSIONS"
rm -rf "$LAYER"
touch "$stage/.complete"
mv "$stage" "$LAYER"
rm -rf "$work"
log "libsolv layer ready in $((SECONDS - t0)) s: $LAYER"
