#!/usr/bin/python3
# Writes the spec of stand-in packages for a recorded package list, for
# tests/integration/pes-centos7.sh: one rpmbuild makes them all, as
# subpackages with their own epoch, version, release and architecture.
#
#   standins.py installed LIST ARCH >SPEC
#       every package of LIST ("EPOCH NAME VERSION RELEASE ARCH ..." lines,
#       as package-lists/*.txt record them) of architecture ARCH (noarch
#       or the machine's), with its own version
#   standins.py target LIST ARCH NAMES-FILE >SPEC
#       the target release: each name of NAMES-FILE, the installed ones
#       at their version with a higher release (RELEASE.1), new names at
#       8.0-1.el8 noarch (built with ARCH noarch)
# A package providing the release carries system-release(releasever):
# centos-release 7, almalinux-release 8.
import sys

mode, listfile, arch = sys.argv[1:4]
pkgs = {}
for line in open(listfile):
    f = line.split()
    if not f or f[0].startswith("#") or len(f) < 5 or f[1] == "gpg-pubkey":
        continue
    pkgs[f[1]] = (None if f[0] == "(none)" else f[0], f[2], f[3], f[4])

if mode == "installed":
    chosen = [(n, *v) for n, v in sorted(pkgs.items()) if v[3] == arch]
else:
    chosen = []
    for n in sorted(open(sys.argv[4]).read().split()):
        if n in pkgs:
            e, v, r, a = pkgs[n]
            if a == arch:
                chosen.append((n, e, v, r + ".1", a))
        elif arch == "noarch":
            chosen.append((n, None, "8.0", "1.el8", "noarch"))
releasever = {"centos-release": "7", "almalinux-release": "8"}

print("""%define _binary_payload w9.gzdio
Name:           pes-standins
Version:        1
Release:        1
Summary:        Stand-ins of a recorded package list
License:        MIT
%description
Only the subpackages are built.
%install
mkdir -p %{buildroot}/usr/share/pes-standin""")
for n, *_ in chosen:
    print(f"echo {n} >%{{buildroot}}/usr/share/pes-standin/{n}")
for n, e, v, r, a in chosen:
    print(f"\n%package -n {n}")
    if e:
        print(f"Epoch: {e}")
    print(f"Version: {v}\nRelease: {r}\nSummary: Stand-in {n}")
    if a == "noarch":
        print("BuildArch: noarch")
    if n in releasever:
        print(f"Provides: system-release(releasever) = {releasever[n]}")
    print(f"%description -n {n}\nStand-in {n}.\n%files -n {n}\n/usr/share/pes-standin/{n}")
