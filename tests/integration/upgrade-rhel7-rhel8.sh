#!/bin/bash
# Real Red Hat-signed packages, RHEL 7.6 to RHEL 8.5
# (../shared/fixtures/real/el): the 18 RHEL 7 packages (the SELinux
# userspace, libcgroup, policycoreutils, audit, ...) are installed into a
# root with Debian's rpm beside a stand-in for the rest of the system
# (tests/packages/el-cases/el-os-standin.spec: glibc, perl, python,
# systemd, a busybox shell, groupadd); then the 72 RHEL 8 packages and
# libcgroup 0.41-19.el8 (older than RHEL 7's 0.41-20) are staged with Red
# Hat's key enforced and applied by the upgrader, and the result is
# compared with `rpm -U` of the same set on an identical root: the
# installed set, and every path's type, mode, owner, group, link target
# and content.
#
# The reference is `rpm -e` of the packages stage erases (the RHEL 8 set
# breaks them) and then `rpm -U --oldpackage` of the set: two transactions
# where the upgrader runs one. On both roots an admin has edited a
# %config(noreplace) file (.rpmnew) and removed the group cgred from
# /etc/group by hand but not from /etc/gshadow, so libcgroup 8's %pre
# (getent ... || groupadd -r cgred) fails with groupadd's exit status 9,
# as it would on such a system; p11-kit-trust's %post finds no
# update-alternatives (exit status 127). A second, small root takes the
# libcgroup downgrade alone.
. "$(dirname "$0")/../lib.sh"

el=$(t_fixture el) || t_skip_all "the real RHEL packages (el/ in ../shared/fixtures/real) are absent"
for f in rhel7 rhel8 rhel8-more/libcgroup-0.41-19.el8.x86_64.rpm keys/RPM-GPG-KEY-redhat8-release keys/RPM-GPG-KEY-CentOS-7; do
	[[ -e $el/$f ]] || t_skip_all "el/$f is missing from the fixtures"
done
tmp=$(t_tmpdir)
pkgs=$OSLIFT_BUILD/test-packages/el-cases
"$TESTS_DIR/packages/build.sh" "$pkgs" --extra "$TESTS_DIR/packages/el-cases" >/dev/null
standin=$pkgs/release7/el-os-standin-1.0-1.x86_64.rpm
redhat_key=$el/keys/RPM-GPG-KEY-redhat8-release
mkdir -p "$tmp/target"
cp "$el"/rhel8/*.rpm "$el/rhel8-more/libcgroup-0.41-19.el8.x86_64.rpm" "$tmp/target/"
t_is "$(ls "$el"/rhel7/*.rpm | wc -l) $(ls "$tmp/target" | wc -l)" "18 73" "18 RHEL 7 packages, 73 RHEL 8 ones"
# The packages the RHEL 8 set breaks (they need libselinux, libsemanage
# 2.5 exactly, or one of those): erased by stage --allow-erasing, by
# rpm -e in the reference.
broken="libselinux-python libselinux-utils libsemanage-python policycoreutils policycoreutils-python"

# A root with /dev/null (scriptlets write to it), the stand-in and the
# RHEL 7 set installed by Debian's rpm in one transaction.
rhel7_root() {
	local root=$1; shift
	mkdir -p "$root/dev"
	mknod -m 666 "$root/dev/null" c 1 3 2>/dev/null || : >"$root/dev/null"
	t_rpm "$root" -i --quiet "$standin" "$@" >"$root.install.log" 2>&1
}

# One line per path below DIR but rpm's and oslift's own state (and
# /var/log itself, which the upgrader's log creates): type, mode, owner,
# group (numeric), link target, SHA-256 of a file's content.
tree_lines() {
	(cd "$1" && find . \( -path ./var/lib/rpm -o -path ./var/lib/oslift -o -path ./var/log/oslift -o -path ./dev \) -prune \
		-o ! -path ./var/log -printf '%p %y %m %U %G %l\n' | LC_ALL=C sort |
		while read -r p y m u g l; do
			if [[ $y == f ]]; then echo "$p $y $m $u $g $(sha256sum <"$p" | cut -d' ' -f1)"; else echo "$p $y $m $u $g $l"; fi
		done)
}
nevras() { t_rpm "$1" -qa --qf '%{NEVRA}\n' | LC_ALL=C sort; }
# The scriptlet failures rpm reported, one "%TYPE(NEVRA) ... exit status N" each.
script_failures() { cat "$@" | grep -oE '%[a-z]+\([^)]+\) scriptlet failed, exit status [0-9]+' | LC_ALL=C sort -u; }
# gid NAME in root DIR's /etc/group
gid_of() { awk -F: -v n="$2" '$1 == n { print $3 }' "$1/etc/group"; }

root=$tmp/root
rhel7_root "$root" "$el"/rhel7/*.rpm
t_is "$?" 0 "Debian's rpm installs the RHEL 7 set and the stand-in"
t_is "$(nevras "$root" | wc -l)" 19 "19 packages installed"
t_match "$(cat "$root/etc/group")" '^cgred:x:999:$' "libcgroup 7's %pre added the group cgred with the stand-in's groupadd"
# What an admin did: a %config(noreplace) file edited, the group cgred
# removed from /etc/group by hand (not from /etc/gshadow).
t_ok "no trigger on pcre fired yet (pcre is not installed)" test ! -e "$root/var/log/selinuxenabled.calls"
echo "# edited by the admin" >>"$root/etc/selinux/semanage.conf"
sed -i '/^cgred:/d' "$root/etc/group"
ref=$tmp/reference
cp -a "$root" "$ref"

# Signatures: another distribution's key refuses every package, naming
# the key that did sign it, and changes nothing; without --key, a warning.
before=$(t_tree_digest "$root")
t_run "$HOST_PREP" --root "$root" stage --packages "$tmp/target" --key "$el/keys/RPM-GPG-KEY-CentOS-7" \
	--allow-downgrade --allow-erasing
t_is "$T_RC" 1 "stage with the CentOS 7 key refuses"
t_match "$T_OUT" '^BLOCKER +package-verification: openssl-libs-1\.1\.1k-5\.el8_5\.x86_64\.rpm: .*key ID fd431d51: NOKEY' \
	"naming Red Hat's key id fd431d51 as unknown"
t_is "$(grep -c '^BLOCKER *package-verification' <<<"$T_OUT")" 73 "for each of the 73 packages"
t_is "$(t_tree_digest "$root")" "$before" "and the root is unchanged"
t_run "$HOST_PREP" --root "$root" check --packages "$tmp/target" --allow-downgrade --allow-erasing
t_is "$T_RC" 0 "check without --key passes"
t_match "$T_OUT" '^WARNING +no-signature-check: ' "with a warning that signatures are not enforced"
t_run "$HOST_PREP" --root "$root" check --packages "$tmp/target" --key "$redhat_key" --allow-erasing
t_is "$T_RC" 1 "check without --allow-downgrade is blocked"
t_match "$T_OUT" '^BLOCKER +downgrade: libcgroup-0\.41-19\.el8\.x86_64 is older than the installed libcgroup' "by the libcgroup downgrade"
t_is "$(t_tree_digest "$root")" "$before" "check writes nothing"

t_run "$HOST_PREP" --root "$root" stage --packages "$tmp/target" --key "$redhat_key" --allow-downgrade --allow-erasing
t_is "$T_RC" 0 "stage with Red Hat's key, --allow-downgrade and --allow-erasing"
t_ok "without a no-signature-check warning" bash -c '! grep -q no-signature-check <<<"$1"' _ "$T_OUT"
erased=$(sed -n 's/^erase \(.*\)-[^-]*-[^-]*$/\1/p' "$root/var/lib/oslift/plan" | LC_ALL=C sort | tr '\n' ' ')
t_is "$erased" "$broken " "the plan erases the 5 packages the RHEL 8 set breaks"

t_run "$UPGRADER" --root "$root"
echo "$T_OUT" >"$tmp/upgrader.log"
t_is "$T_RC" 5 "the upgrader ends applied with problems (exit 5)"
t_match "$T_OUT" 'rpm failed libcgroup-0\.41-19\.el8\.x86_64: %prein\(libcgroup-0\.41-19\.el8\.x86_64\) scriptlet failed, exit status 9; libcgroup-0\.41-20\.el7\.x86_64 stays installed' \
	"naming libcgroup 8, its %pre, the exit status and what stays"
status=$root/var/lib/oslift/status.json
t_is "$(t_json "$status" '(d["state"], d["packages_done"], d["packages_total"])')" "('applied-with-problems', 77, 78)" \
	"status.json: applied-with-problems, 77 of the plan's 78 elements (73 packages, 5 erasures) done"

# The reference: the same packages, rpm -e then rpm -U.
# shellcheck disable=SC2086
t_rpm "$ref" -e $broken >"$tmp/ref-erase.log" 2>&1
t_is "$?" 0 "reference: rpm -e of the broken packages"
t_rpm "$ref" -U --oldpackage "$tmp/target"/*.rpm >"$tmp/ref-upgrade.log" 2>&1 && rc=0 || rc=$?
t_ok "reference: rpm -U --oldpackage reports the failed element (exit status $rc)" test "$rc" -ne 0

t_is "$(nevras "$root")" "$(nevras "$ref")" "the installed set is the same as after rpm -U"
tree_lines "$root" >"$tmp/tree.oslift"
tree_lines "$ref" >"$tmp/tree.rpm"
if cmp -s "$tmp/tree.oslift" "$tmp/tree.rpm"; then
	t_pass "every path's type, mode, owner, group, link target and content as after rpm -U ($(wc -l <"$tmp/tree.rpm") paths)"
else
	t_fail "every path's type, mode, owner, group, link target and content as after rpm -U" \
		"$(diff "$tmp/tree.rpm" "$tmp/tree.oslift" | head -20)"
fi
t_is "$(script_failures "$tmp/upgrader.log")" "$(script_failures "$tmp/ref-erase.log" "$tmp/ref-upgrade.log")" \
	"the same scriptlets failed, with the same exit status"
echo "# paths compared: $(wc -l <"$tmp/tree.rpm")"

# Feature by feature, on both roots.
for r in "$root" "$ref"; do
	w=$([[ $r == "$root" ]] && echo oslift || echo "rpm -U")
	t_is "$(t_rpm "$r" -q libselinux libsemanage libsepol)" \
		"$(printf '%s\n' libselinux-2.9-5.el8.x86_64 libsemanage-2.9-6.el8.x86_64 libsepol-2.9-3.el8.x86_64)" \
		"$w: upgraded to RHEL 8's libselinux, libsemanage, libsepol"
	t_is "$(t_rpm "$r" -q --qf '%{EPOCH}:%{VERSION}-%{RELEASE}\n' openssl-libs)" "1:1.1.1k-5.el8_5" "$w: openssl-libs with its Epoch 1"
	t_ok "$w: the broken packages are erased" bash -c '! rpm --root "$1" --dbpath /var/lib/rpm -q libselinux-utils policycoreutils 2>/dev/null' _ "$r"
	t_is "$(t_rpm "$r" -q audit setools-libs)" "$(printf '%s\n' audit-2.8.4-4.el7.x86_64 setools-libs-3.3.8-4.el7.x86_64)" \
		"$w: what nothing replaces and nothing breaks stays"
	t_is "$(t_rpm "$r" -q libcgroup)" "libcgroup-0.41-20.el7.x86_64" "$w: libcgroup 7 stays (the %pre of 8 failed)"
	t_ok "$w: the edited semanage.conf is kept, RHEL 8's beside it as .rpmnew" \
		bash -c 'grep -q "edited by the admin" "$1/etc/selinux/semanage.conf" && test -f "$1/etc/selinux/semanage.conf.rpmnew"' _ "$r"
	t_match "$(cat "$r/etc/group")" '^ssh_keys:x:[0-9]+:$' "$w: openssh's %pre added the group ssh_keys"
	t_is "$(stat -c '%g %a' "$r/usr/libexec/openssh/ssh-keysign")" "$(gid_of "$r" ssh_keys) 2555" "$w: ssh-keysign is setgid ssh_keys"
	t_is "$(stat -c '%g %a' "$r/usr/libexec/utempter/utempter")" "$(gid_of "$r" utmp) 2711" "$w: utempter is setgid utmp"
	t_match "$(cat "$r/etc/group")" '^utempter:x:35:$' "$w: libutempter's %pre added the group utempter (gid 35)"
	t_is "$(cat "$r/etc/crypto-policies/config" 2>&1)" DEFAULT "$w: crypto-policies' lua %post wrote its config"
	t_ok "$w: and linked its back-ends" test -L "$r/etc/crypto-policies/back-ends/openssl.config"
	t_is "$(cat "$r/var/log/selinuxenabled.calls" 2>&1)" "selinuxenabled " \
		"$w: selinux-policy's %triggerin on pcre fired once (RHEL 8 brings pcre)"
done
t_match "$(cat "$tmp/upgrader.log")" '%post\(p11-kit-trust-0\.23\.22-1\.el8\.x86_64\) scriptlet failed, exit status 127' \
	"the upgrader reports p11-kit-trust's failed %post"
t_ok "no ldconfig scriptlet failed" bash -c '! grep -q ldconfig "$1"' _ "$tmp/upgrader.log"

t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 0 "restore runs"
txt=$(cat "$root/var/log/oslift/report.txt")
t_match "$txt" '^  libcgroup-0\.41-19\.el8\.x86_64: %prein\(libcgroup-0\.41-19\.el8\.x86_64\) scriptlet failed, exit status 9$' \
	"the report names libcgroup 8 and its %pre"
t_match "$txt" '^    kept: libcgroup-0\.41-20\.el7\.x86_64$' "and what was kept"
t_match "$txt" '^  /etc/selinux/semanage\.conf' "and the configuration file kept"
t_is "$(t_json "$status" 'd["state"]')" restored-with-problems "status.json: restored-with-problems"

# The downgrade alone: libcgroup 0.41-20.el7 to 0.41-19.el8, the group in place.
root=$tmp/downgrade
rhel7_root "$root" "$el/rhel7/libcgroup-0.41-20.el7.x86_64.rpm"
cp -a "$root" "$tmp/downgrade-ref"
mkdir -p "$tmp/downgrade-target"
cp "$el/rhel8-more/libcgroup-0.41-19.el8.x86_64.rpm" "$tmp/downgrade-target/"
t_run "$HOST_PREP" --root "$root" stage --packages "$tmp/downgrade-target" --key "$redhat_key" --allow-downgrade
t_is "$T_RC" 0 "downgrade: stage with --allow-downgrade"
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "downgrade: applied"
t_rpm "$tmp/downgrade-ref" -U --oldpackage "$tmp/downgrade-target"/*.rpm >/dev/null 2>&1 || :
t_is "$(t_rpm "$root" -q libcgroup)" "libcgroup-0.41-19.el8.x86_64" "downgrade: libcgroup is 0.41-19.el8"
t_is "$(nevras "$root")" "$(nevras "$tmp/downgrade-ref")" "downgrade: the installed set is the same as after rpm -U --oldpackage"
t_is "$(tree_lines "$root" | sha256sum)" "$(tree_lines "$tmp/downgrade-ref" | sha256sum)" "downgrade: and every path"
