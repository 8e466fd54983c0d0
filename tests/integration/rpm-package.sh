#!/bin/bash
# oslift's own RPM (make rpm, oslift.spec): installed into a scratch root
# with rpm, every file is where it belongs with its mode and owner, rpm -V
# is clean, the installed programs run there and find their librpm
# configuration, and erasing the package leaves nothing of it. The package
# is for EL 7 and later: nothing in it needs a newer rpm than EL 7's.
. "$(dirname "$0")/../lib.sh"

top=$(cd "$TESTS_DIR/.." && pwd)
tmp=$(t_tmpdir)
version=$(sed -n 's/^VERSION := //p' "$top/Makefile")
pkg=${OSLIFT_RPM:-$OSLIFT_BUILD/oslift-$version-1.x86_64.rpm}

# The package of the programs under test: make builds it when it is
# missing or older than what goes into it (quick when it is not).
if [[ -z ${OSLIFT_RPM:-} && $OSLIFT_BUILD == "$top/build" ]]; then
	t_run env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top" rpm
	t_is "$T_RC" 0 "make rpm succeeds"
	[[ $T_RC == 0 ]] || echo "$T_OUT" | sed 's/^/# /' >&2
fi
if [[ ! -f $pkg ]]; then
	t_fail "the package $pkg exists" "make rpm builds it (OSLIFT_RPM=FILE to test another)"
	exit
fi

# The package itself.
# --dbpath: Debian's rpm would create ~/.rpmdb for a bare query.
q() { rpm -qp --dbpath "$tmp/rpmdb" "$pkg" "$@" 2>/dev/null; }
t_is "$(q --qf '%{NAME} %{VERSION} %{RELEASE} %{ARCH} %{LICENSE}')" "oslift $version 1 x86_64 GPL-2.0-or-later" \
	"name, version (the Makefile's), release, arch and licence"
t_is "$(q --qf '%{PAYLOADCOMPRESSOR}')" xz "xz payload: EL 7's rpm 4.11 reads it (not zstd)"
rpmlib=$(q --requires | grep '^rpmlib(' | sed 's/ .*//' | sort | tr '\n' ' ')
t_is "$rpmlib" "rpmlib(CompressedFileNames) rpmlib(FileDigests) rpmlib(PayloadFilesHavePrefix) rpmlib(PayloadIsXz) " \
	"only rpmlib features EL 7's rpm has"
t_is "$(q --requires | grep -v '^rpmlib(' | sort | tr '\n' ' ')" "/bin/bash /bin/sh dracut " \
	"requires dracut, and the shells of the dracut module's scripts"
t_match "$(q --qf '%{DESCRIPTION}')" 'static upgrader' "has a description"

# Every file, directory and link of the package: type, mode, owner, group.
# (Man pages compressed, as EL has them.)
expected="d 755 root root /usr/lib/dracut/modules.d/90oslift
f 755 root root /usr/lib/dracut/modules.d/90oslift/module-setup.sh
f 644 root root /usr/lib/dracut/modules.d/90oslift/oslift-upgrade.service
f 755 root root /usr/lib/dracut/modules.d/90oslift/oslift-upgrade.sh
d 755 root root /usr/lib/oslift
d 755 root root /usr/lib/oslift/rpm
f 644 root root /usr/lib/oslift/rpm/macros
d 755 root root /usr/lib/oslift/rpm/platform
d 755 root root /usr/lib/oslift/rpm/platform/x86_64-linux
f 644 root root /usr/lib/oslift/rpm/platform/x86_64-linux/macros
f 644 root root /usr/lib/oslift/rpm/rpmrc
f 755 root root /usr/lib/oslift/upgrader
f 644 root root /usr/lib/systemd/system/oslift-restore.service
f 644 root root /usr/lib/systemd/system/oslift-verify.service
f 755 root root /usr/sbin/host-prep
d 755 root root /usr/share/bash-completion
d 755 root root /usr/share/bash-completion/completions
f 644 root root /usr/share/bash-completion/completions/host-prep
d 755 root root /usr/share/doc/oslift
f 644 root root /usr/share/doc/oslift/README.md
f 644 root root /usr/share/doc/oslift/plan-format.md
f 644 root root /usr/share/doc/oslift/serial-dump.md
d 755 root root /usr/share/licenses/oslift
f 644 root root /usr/share/licenses/oslift/COPYING
f 644 root root /usr/share/man/man5/oslift-plan.5.gz
f 644 root root /usr/share/man/man8/host-prep.8.gz
f 644 root root /usr/share/man/man8/upgrader.8.gz
d 755 root root /usr/share/oslift
f 644 root root /usr/share/oslift/package-map.example
d 755 root root /var/log/oslift"
perm_octal() { # "f rwxr-xr-x root root PATH" -> "f 755 root root PATH"
	local t p u g f o i
	while read -r t p u g f; do
		o=0
		for ((i = 0; i < 9; i++)); do
			o=$((o * 2))
			[[ ${p:i:1} == - ]] || o=$((o + 1))
		done
		printf '%s %o %s %s %s\n' "$t" "$o" "$u" "$g" "$f"
	done
}
listing=$(q --qf '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILENAMES}\n]' |
	sed 's/^-/f/; s/^\(.\)/\1 /' | perm_octal | LC_ALL=C sort -k5)
t_is "$listing" "$expected" "the package holds exactly these files, modes and owners"
t_is "$(q --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' | grep -v '^ ' | LC_ALL=C sort -k2 | tr '\n' ';')" \
	"d /usr/share/doc/oslift/README.md;d /usr/share/doc/oslift/plan-format.md;d /usr/share/doc/oslift/serial-dump.md;l /usr/share/licenses/oslift/COPYING;d /usr/share/man/man5/oslift-plan.5.gz;d /usr/share/man/man8/host-prep.8.gz;d /usr/share/man/man8/upgrader.8.gz;" \
	"the documents and man pages are %doc, the licence %license, nothing is %config"

# Installed into a scratch root, as on a system.
root=$tmp/root
mkdir -p "$root"
t_run t_rpm "$root" -i --nodeps "$pkg"
t_is "$T_RC" 0 "rpm -i installs it into a scratch root"
t_is "$(t_rpm "$root" -q oslift)" "oslift-$version-1.x86_64" "rpm -q knows it"
on_disk=$(while read -r _ _ _ _ f; do
	stat -c "%F %a %U %G $f" "$root$f"
done <<<"$expected" | sed 's/^directory /d /; s/^regular file /f /')
t_is "$on_disk" "$expected" "every file is installed with its mode and owner"
t_run t_rpm "$root" -V --nodeps oslift
t_is "$T_RC:$T_OUT" "0:" "rpm -V is clean"

# The installed programs run there, and find librpm's configuration in
# /usr/lib/oslift/rpm (host-prep is not beside it).
t_run chroot "$root" /usr/sbin/host-prep --version
t_match "$T_OUT" "^host-prep ${version//./\\.} \(oslift\)$" "the installed host-prep runs (--version)"
t_run chroot "$root" /usr/lib/oslift/upgrader --version
t_match "$T_OUT" "^upgrader ${version//./\\.} \(oslift\)$" "the installed upgrader runs (--version)"
t_run env -u OSLIFT_RPM_CONFIGDIR chroot "$root" /usr/sbin/host-prep inventory
t_is "$T_RC" 0 "the installed host-prep reads the rpmdb with the installed librpm configuration"
t_match "$T_OUT" "^oslift-${version//./\\.}-1\.x86_64$" "and lists the oslift package itself"
t_run env MANWIDTH=80 man --warnings=w -l "$root/usr/share/man/man8/host-prep.8.gz"
t_match "$T_OUT" '^ +host-prep +- check, stage and finish' "the installed man page renders"
t_ok "the installed completion is valid bash" bash -n "$root/usr/share/bash-completion/completions/host-prep"

# What make install puts in DESTDIR is what the package has.
t_run env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top" install DESTDIR="$tmp/destdir" PREFIX=/usr
t_is "$T_RC" 0 "make install DESTDIR=... succeeds"
from_make=$(cd "$tmp/destdir" && find . -mindepth 1 \( -type f -o -type l \) -printf '/%P\n' | sed 's/\.[58]$/&.gz/' |
	LC_ALL=C sort)
from_rpm=$(grep '^f' <<<"$expected" | awk '{print $5}' | grep -v '^/usr/share/\(doc\|licenses\)/' | LC_ALL=C sort)
t_is "$from_make" "$from_rpm" "make install installs the package's files (less the documents)"

# Erased, nothing of it is left but directories other packages own on a
# real system (filesystem, dracut, systemd).
t_run t_rpm "$root" -e oslift
t_is "$T_RC" 0 "rpm -e erases it"
left=$(cd "$root" && find . -mindepth 1 ! -path './var/lib/rpm*' -printf '%y /%P\n' | LC_ALL=C sort | tr '\n' ';')
t_is "$left" "d /usr;d /usr/lib;d /usr/lib/dracut;d /usr/lib/dracut/modules.d;d /usr/lib/systemd;d /usr/lib/systemd/system;d /usr/sbin;d /usr/share;d /usr/share/doc;d /usr/share/licenses;d /usr/share/man;d /usr/share/man/man5;d /usr/share/man/man8;d /var;d /var/lib;d /var/log;" \
	"rpm -e leaves nothing of the package"
