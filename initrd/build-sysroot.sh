#!/bin/bash
# Builds the static musl sysroot that oslift's binaries link against:
# zlib, bzip2, xz, zstd, popt, lua, sqlite, libgpg-error, libgcrypt, libmagic,
# libblkid + libmount, libcap and librpm 4.18, all static, all compiled with musl-gcc
# from the Debian 12 source packages pinned in sources.lock.
#
#   build-sysroot.sh --print-path   where the sysroot for this recipe lives
#   build-sysroot.sh                build it unless that path already exists
#
# The result is cached under $OSLIFT_CACHE (default /var/cache/oslift), in a
# directory named after a hash of this script and sources.lock, so an
# unchanged recipe is never rebuilt and a changed one never reuses a stale
# tree. (The compiler is Debian 12's and is recorded in VERSIONS.) Sources come from $OSLIFT_SOURCES when set (a directory holding
# the files named in sources.lock), else from Debian's archive.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lock="$here/sources.lock"
cache=${OSLIFT_CACHE:-/var/cache/oslift}
jobs=${JOBS:-$(nproc)}

sysroot_path() {
	local key
	key=$(cat "$lock" "$here/sources.sh" "$here/build-sysroot.sh" | sha256sum | cut -c1-16)
	echo "$cache/sysroot-$key"
}

log() { printf '[sysroot %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { printf 'build-sysroot: %s\n' "$*" >&2; exit 1; }

if [[ ${1:-} == --print-path ]]; then
	sysroot_path
	exit 0
fi

SYSROOT=$(sysroot_path)
if [[ -f $SYSROOT/.complete ]]; then
	log "up to date: $SYSROOT"
	exit 0
fi

command -v musl-gcc >/dev/null || die "musl-gcc not found: run initrd/bootstrap-debian.sh (as root) first"
command -v tclsh >/dev/null || die "tclsh not found (sqlite's build needs it): run initrd/bootstrap-debian.sh"

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
[[ -f $SYSROOT/.complete ]] && { log "built meanwhile: $SYSROOT"; exit 0; }

# ---------------------------------------------------------------- sources
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
work=$(mktemp -d "$cache/build.XXXXXX")
stage="$SYSROOT.partial"
rm -rf "$stage"
mkdir -p "$stage"/{include,lib/pkgconfig,kernel-headers}
# The work tree is kept when a step fails, for inspection.

# musl-gcc's -nostdinc hides <linux/*.h>; give it a private copy of the
# kernel UAPI headers (never all of /usr/include, which would mix in glibc).
for d in linux asm-generic mtd scsi; do
	[[ -d /usr/include/$d ]] && cp -a "/usr/include/$d" "$stage/kernel-headers/"
done
cp -a /usr/include/x86_64-linux-gnu/asm "$stage/kernel-headers/asm"

export CC=musl-gcc
export CFLAGS="-O2 -g0 -fPIE -ffunction-sections -fdata-sections -idirafter $stage/kernel-headers"
export CPPFLAGS="-I$stage/include"
export LDFLAGS="-static -L$stage/lib"
export PKG_CONFIG_LIBDIR="$stage/lib/pkgconfig"
export PKG_CONFIG_PATH=
export PKG_CONFIG="pkg-config --static"
# Everything is built for the machine it runs on, with the plain GNU triplet:
# a -musl triplet makes rpm install platform/x86_64-linux-musl and leaves
# %_arch and %_os undefined, and libgpg-error has no lock object for it.
triplet=(--build=x86_64-pc-linux-gnu --host=x86_64-pc-linux-gnu)
static=(--prefix="$stage" --disable-shared --enable-static)

fetch_and_verify

# ---------------------------------------------------------------- recipes
build_zlib() {
	unpack zlib
	cd "$work/zlib"
	./configure --static --prefix="$stage" >/dev/null
	make -s -j"$jobs" libz.a && make -s install >/dev/null
}

build_bzip2() {
	unpack bzip2
	cd "$work/bzip2"
	make -s -j"$jobs" CC="$CC" CFLAGS="$CFLAGS -D_FILE_OFFSET_BITS=64" libbz2.a
	install -m644 libbz2.a "$stage/lib/" && install -m644 bzlib.h "$stage/include/"
}

build_xz() {
	unpack xz-utils
	cd "$work/xz-utils"
	./configure -q "${triplet[@]}" "${static[@]}" --disable-nls --disable-doc --disable-scripts \
		--disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo --disable-lzma-links
	make -s -j"$jobs" && make -s install >/dev/null
}

build_zstd() {
	unpack libzstd
	cd "$work/libzstd/lib"
	make -s -j"$jobs" libzstd.a ZSTD_LEGACY_SUPPORT=0
	make -s install-static install-includes install-pc PREFIX="$stage" ZSTD_LEGACY_SUPPORT=0 >/dev/null
}

build_popt() {
	unpack popt
	cd "$work/popt"
	./configure -q "${triplet[@]}" "${static[@]}" --disable-nls
	make -s -j"$jobs" -C src && make -s -C src install >/dev/null
	install -m644 popt.pc "$stage/lib/pkgconfig/"
}

build_lua() {
	# 0001 replaces upstream's Makefile with a libtool one and 0002 points
	# luaconf.h at Debian's multiarch module paths; neither applies here.
	unpack lua5.4 0001-build-system.patch 0002-lua-modules-paths.patch
	cd "$work/lua5.4/src"
	make -s -j"$jobs" CC="$CC" MYCFLAGS="$CFLAGS -DLUA_USE_LINUX" liblua.a
	install -m644 liblua.a "$stage/lib/"
	install -m644 lua.h luaconf.h lualib.h lauxlib.h lua.hpp "$stage/include/"
	cat >"$stage/lib/pkgconfig/lua.pc" <<-EOF
		Name: Lua
		Description: Lua 5.4 (static, musl)
		Version: 5.4.4
		Libs: -L$stage/lib -llua -lm
		Cflags: -I$stage/include
	EOF
}

build_sqlite() {
	unpack sqlite3
	cd "$work/sqlite3"
	./configure -q "${triplet[@]}" "${static[@]}" --disable-tcl --disable-readline \
		--disable-editline --disable-load-extension --enable-threadsafe
	make -s -j"$jobs" libsqlite3.la
	make -s lib_install >/dev/null
	install -m644 sqlite3.h "$stage/include/" && install -m644 sqlite3.pc "$stage/lib/pkgconfig/"
}

build_gpg_error() {
	unpack libgpg-error
	cd "$work/libgpg-error"
	./configure -q "${triplet[@]}" "${static[@]}" --disable-nls --disable-doc \
		--disable-tests --disable-languages
	make -s -j"$jobs" && make -s install >/dev/null
}

build_gcrypt() {
	unpack libgcrypt20
	cd "$work/libgcrypt20"
	./configure -q "${triplet[@]}" "${static[@]}" --disable-doc --disable-jent-support \
		--with-libgpg-error-prefix="$stage"
	local d
	for d in compat mpi cipher random; do make -s -j"$jobs" -C $d; done
	make -s -j"$jobs" -C src libgcrypt.la
	make -s -C src install-libLTLIBRARIES install-nodist_includeHEADERS install-pkgconfigDATA >/dev/null
}

build_magic() {
	unpack file
	cd "$work/file"
	./configure -q "${triplet[@]}" "${static[@]}" --disable-zlib --disable-bzlib \
		--disable-xzlib --disable-zstdlib --disable-lzlib --disable-libseccomp
	make -s -C src magic.h # generated; a bare library target skips it
	make -s -j"$jobs" -C src libmagic.la
	make -s -C src install-libLTLIBRARIES install-nodist_includeHEADERS >/dev/null
	install -m644 libmagic.pc "$stage/lib/pkgconfig/"
}

build_util_linux() {
	unpack util-linux
	cd "$work/util-linux"
	./configure -q "${triplet[@]}" "${static[@]}" --disable-all-programs \
		--enable-libblkid --enable-libmount --disable-nls --without-python \
		--without-systemd --without-udev --without-selinux --without-audit \
		--without-ncurses --without-ncursesw --without-tinfo --without-readline \
		--without-libz --without-cap-ng --without-btrfs --without-econf \
		--disable-makeinstall-chown --disable-makeinstall-setuid
	make -s -j"$jobs" libblkid.la libmount.la
	make -s install-usrlib_execLTLIBRARIES install-pkgconfigDATA \
		install-nodist_blkidincHEADERS install-nodist_mountincHEADERS >/dev/null
}

build_libcap() {
	# librpm sets the file capabilities of %caps files with it (and
	# provides rpmlib(FileCaps) only then: EL packages such as iputils
	# need that). Only the library: no shared object, Go or gperf.
	unpack libcap2
	cd "$work/libcap2"
	make -s -C libcap CC="$CC" BUILD_CC=gcc SHARED=no GOLANG=no USE_GPERF=no libcap.a
	install -m644 libcap/libcap.a "$stage/lib/"
	install -D -m644 libcap/include/sys/capability.h "$stage/include/sys/capability.h"
}

build_rpm() {
	# Debian's integration patches give rpm Debian's paths (%_initddir,
	# rpmdb in $HOME, lua's library name) and a --force-debian nag; our
	# target is an EL system, so take upstream rpm plus the one patch EL's
	# own rpm carries (the rpmlib(X-CheckUnifiedSystemdir) provide).
	unpack rpm installplatform-verbose.patch rpmdb-in-home.patch debian-disable-rpm.patch \
		fix-directories.patch tempfile.patch autogen-cleanup.patch lua-libname.patch \
		usr-bin.patch python-rpm-packaging.patch
	cd "$work/rpm"
	# rpm.pc does not list the private dependencies a static link needs.
	./configure -q "${triplet[@]}" --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
		--disable-shared --enable-static --with-crypto=libgcrypt --enable-sqlite=yes \
		--enable-ndb --enable-bdb-ro --enable-zstd=yes --enable-libelf=no --disable-nls \
		--disable-plugins --disable-python --disable-openmp --without-audit \
		--without-selinux --with-cap --without-acl --without-archive --without-imaevm \
		--without-fsverity --with-readline=no --disable-inhibit-plugin \
		LIBS="-lgcrypt -lgpg-error -lsqlite3 -lzstd -llzma -lbz2 -lz -lcap -lm"
	make -s -j"$jobs" -C misc libmisc.la
	make -s -j"$jobs" -C rpmio librpmio.la
	make -s -j"$jobs" -C lib librpm.la
	make -s -j"$jobs" rpmrc macros platform
	make -s -C rpmio install-usrlibLTLIBRARIES DESTDIR="$work/rpm-root" >/dev/null
	make -s -C lib install-usrlibLTLIBRARIES DESTDIR="$work/rpm-root" >/dev/null
	make -s install-pkgconfigDATA install-pkgincludeHEADERS install-rpmconfigDATA \
		install-data-local DESTDIR="$work/rpm-root" >/dev/null
	cp -a "$work/rpm-root/usr/lib/"*.a "$stage/lib/"
	cp -a "$work/rpm-root/usr/include/rpm" "$stage/include/"
	# librpm's run-time configuration travels with our binaries.
	local cfg="$stage/rpm-config"
	mkdir -p "$cfg/platform/x86_64-linux"
	install -m644 "$work/rpm-root/usr/lib/rpm/rpmrc" "$work/rpm-root/usr/lib/rpm/macros" "$cfg/"
	install -m644 "$work/rpm-root/usr/lib/rpm/platform/x86_64-linux/macros" "$cfg/platform/x86_64-linux/"
	sed -e "s|^prefix=.*|prefix=$stage|" -e "s|^Libs:.*|Libs: -L$stage/lib -lrpm -lrpmio|" \
		-e "s|^Libs.private:.*|Libs.private: -lpopt -llua -lmagic -lgcrypt -lgpg-error -lsqlite3 -lzstd -llzma -lbz2 -lz -lcap -lm -lpthread|" \
		"$work/rpm-root/usr/lib/pkgconfig/rpm.pc" >"$stage/lib/pkgconfig/rpm.pc"
}

t0=$SECONDS
for step in zlib bzip2 xz zstd popt lua sqlite gpg_error gcrypt magic util_linux libcap rpm; do
	s=$SECONDS
	# A background job, not "if ! build_x": bash ignores set -e inside a
	# function called from a condition, and a failed command must stop.
	build_$step >"$work/$step.log" 2>&1 &
	if ! wait $!; then
		tail -n 40 "$work/$step.log" >&2
		die "building $step failed: full log $work/$step.log (work tree kept)"
	fi
	log "$step built in $((SECONDS - s)) s"
done

{
	sources_versions "$lock"
	dpkg-query -W -f 'toolchain:${Package} ${Version}\n' musl-dev gcc-12 linux-libc-dev
} >"$stage/VERSIONS"
# The tree was built in $stage; its pkg-config files must name where it lives.
sed -i "s|$stage|$SYSROOT|g" "$stage"/lib/pkgconfig/*.pc
rm -f "$stage"/lib/*.la
rm -rf "$SYSROOT"
touch "$stage/.complete"
mv "$stage" "$SYSROOT"
rm -rf "$work"
log "sysroot ready in $((SECONDS - t0)) s: $SYSROOT"
