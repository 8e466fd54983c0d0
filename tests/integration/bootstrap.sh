#!/bin/bash
# initrd/bootstrap-debian.sh as a fresh machine meets it, without touching
# this one: dpkg-query, apt-get and apt-cache are stand-ins on PATH that
# report packages missing and record what they were asked, and the apt
# configuration is a copy (OSLIFT_APT_ETC).
. "$(dirname "$0")/../lib.sh"
tmp=$(t_tmpdir)
boot=$TESTS_DIR/../initrd/bootstrap-debian.sh
stub=$tmp/bin
mkdir -p "$stub" "$tmp/apt/sources.list.d"

# dpkg-query: "installed" for the names in $tmp/installed, nothing for the
# rest, and exit 1 when any name is unknown (as dpkg-query does).
cat >"$stub/dpkg-query" <<'EOS'
#!/bin/bash
rc=0
for p in "${@:3}"; do
	if grep -qxF "$p" "$STUB_DIR/installed" 2>/dev/null; then
		echo "$p install ok installed"
	else
		echo "dpkg-query: no packages found matching $p" >&2
		rc=1
	fi
done
exit $rc
EOS
# apt-get records its arguments ("install" installs nothing); apt-cache
# knows every package but the ones in $tmp/unknown.
cat >"$stub/apt-get" <<'EOS'
#!/bin/bash
echo "$*" >>"$STUB_DIR/apt-get.calls"
[[ $* == *install* ]] && echo "Setting up cpio (2.13+dfsg-7.1) ..."
exit 0
EOS
cat >"$stub/apt-cache" <<'EOS'
#!/bin/bash
if grep -qxF "$2" "$STUB_DIR/unknown" 2>/dev/null; then echo "  Candidate: (none)"; else echo "  Candidate: 1.0"; fi
EOS
chmod +x "$stub"/*
cat >"$tmp/apt/sources.list.d/debian.sources" <<'EOS'
Types: deb
URIs: http://archive.invalid/debian
Suites: bookworm
Components: main
EOS
run() { t_run env PATH="$stub:$PATH" STUB_DIR="$tmp" OSLIFT_APT_ETC="$tmp/apt" "$boot" "$@"; }

# A fresh machine: nothing installed, no deb-src entry.
run --print-missing
t_is "$T_RC" 0 "--print-missing does not die on dpkg-query's exit status"
all=$T_OUT
for p in musl-tools cpio python3 rpm qemu-system-x86 createrepo-c dnf zypper debootstrap libcmocka-dev deb-src; do
	t_match "$all" "^$p\$" "a fresh machine is missing $p"
done
t_ok "--print-missing changes nothing" test ! -e "$tmp/apt/sources.list.d/oslift-deb-src.sources" -a ! -e "$tmp/apt-get.calls"
n=$(grep -cv '^deb-src$' <<<"$all")

# Most packages installed: only the others are named.
grep -v '^\(cpio\|zypper\|deb-src\)$' <<<"$all" >"$tmp/installed"
run --print-missing
t_is "$(tr '\n' ' ' <<<"$T_OUT")" "cpio zypper deb-src " "with the rest installed, only cpio, zypper and the deb-src entry are missing"

# Installing: the deb-src entry from the machine's own source, then one
# apt-get install of exactly the missing packages; apt leaves them missing
# here, and the bootstrap says so, naming them.
run
t_is "$T_RC" 1 "the bootstrap fails when apt did not install what it asked for"
t_match "$(cat "$tmp/apt/sources.list.d/oslift-deb-src.sources")" '^Types: deb-src$' "it adds a deb-src entry"
t_match "$(cat "$tmp/apt/sources.list.d/oslift-deb-src.sources")" '^URIs: http://archive\.invalid/debian$' \
	"for the archive the machine's own sources name"
t_match "$(cat "$tmp/apt-get.calls")" '^install -y -q --no-install-recommends cpio zypper$' \
	"apt-get install is asked for exactly the missing packages"
t_match "$T_OUT" 'installing 2 packages: cpio zypper' "with a line saying what it installs"
t_match "$T_OUT" 'Setting up cpio' "and apt's progress, one line per package"
t_match "$T_OUT" 'apt-get could not install: cpio zypper' "and names what is still missing"

# A package apt does not know: named before anything is installed.
rm -f "$tmp/apt-get.calls"
echo zypper >"$tmp/unknown"
run
t_is "$T_RC" 1 "a package no apt source has fails the bootstrap"
t_match "$T_OUT" 'not available from the configured apt sources: zypper' "naming it"
t_is "$(grep -c '^install' "$tmp/apt-get.calls" 2>/dev/null || true)" 0 "before asking apt to install anything"

# Everything present: quiet, nothing asked.
grep -v '^deb-src$' <<<"$all" >"$tmp/installed"
rm -f "$tmp/apt-get.calls"
run
t_is "$T_RC:$T_OUT" "0:" "with everything installed the bootstrap is silent"
t_ok "and asks apt nothing" test ! -e "$tmp/apt-get.calls"
t_match "$n" '^[0-9]+$' "($n packages in the list)"
