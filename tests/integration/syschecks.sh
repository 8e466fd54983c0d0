#!/bin/bash
# The system-level checks of host-prep check (host-prep/syscheck-*.c) in
# root-directory mode, with /proc and /sys faked through OSLIFT_PROC and
# OSLIFT_SYSFS: for each check a case that makes it fire and one that
# keeps it quiet; --accept, --accept-file and stage honouring them; check
# --json against docs/check-json.schema.json.
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
pkgs=$OSLIFT_BUILD/test-packages/syscheck-cases
"$TESTS_DIR/packages/build.sh" "$pkgs" --extra "$TESTS_DIR/packages/syscheck-cases" >/dev/null
rel8=$pkgs/release8
root=$tmp/root
t_make_release7_root "$root" "$pkgs"
P=$tmp/proc
S=$tmp/sys
schema=$TESTS_DIR/../docs/check-json.schema.json

# A plain, healthy machine: 2 GiB, running the newest kernel, root on
# sda1 behind ahci, no network names to change.
fake_machine() {
	rm -rf "$P" "$S"
	mkdir -p "$P/sys/kernel" "$P/sys/crypto" "$S/class/block" "$S/class/net" "$S/bus/pci/devices" "$S/module"
	echo "MemTotal:        2097152 kB" >"$P/meminfo"
	echo "7.5" >"$P/sys/kernel/osrelease"
	echo 0 >"$P/sys/crypto/fips_enabled"
	echo "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro" >"$P/cmdline"
	printf 'ahci 40960 2 - Live 0x0\nlibahci 40960 1 ahci, Live 0x0\n' >"$P/modules"
	printf 'rootfs / rootfs rw 0 0\n/dev/sda1 / xfs rw,relatime 0 0\nproc /proc proc rw 0 0\n' >"$P/mounts"
	disk ahci 0000:00:1f.2 sda
}
# disk DRIVER PCI NAME: a SATA disk NAME with partitions NAME1, NAME2 on
# the PCI controller PCI, bound to the module DRIVER.
disk() {
	local drv=$1 pci=$2 name=$3 dev
	dev=$S/devices/pci0000:00/$pci/ata1/host0/target0:0:0/0:0:0:0
	mkdir -p "$dev/block/$name/${name}1" "$dev/block/$name/${name}2" "$S/bus/pci/drivers/$drv" "$S/module/$drv"
	: >"$dev/block/$name/${name}1/partition"
	: >"$dev/block/$name/${name}2/partition"
	ln -sfn "$dev" "$dev/block/$name/device"
	ln -sfn "$S/bus/pci/drivers/$drv" "$S/devices/pci0000:00/$pci/driver"
	ln -sfn "$S/module/$drv" "$S/bus/pci/drivers/$drv/module"
	ln -sfn "$S/devices/pci0000:00/$pci" "$S/bus/pci/devices/$pci"
	echo "pci:v00008086d00007111sv00000000sd00000000bc01sc01i8a" >"$S/devices/pci0000:00/$pci/modalias"
	ln -sfn "$dev/block/$name" "$S/class/block/$name"
	ln -sfn "$dev/block/$name/${name}1" "$S/class/block/${name}1"
	ln -sfn "$dev/block/$name/${name}2" "$S/class/block/${name}2"
}
# dm NAME DMNAME UUID SLAVE: a device-mapper device on SLAVE.
dm() {
	mkdir -p "$S/devices/virtual/block/$1/dm" "$S/devices/virtual/block/$1/slaves"
	echo "$2" >"$S/devices/virtual/block/$1/dm/name"
	echo "$3" >"$S/devices/virtual/block/$1/dm/uuid"
	ln -sfn "$S/class/block/$4" "$S/devices/virtual/block/$1/slaves/$4"
	ln -sfn "$S/devices/virtual/block/$1" "$S/class/block/$1"
}

# hp ARGS...: host-prep --json check on the root with the fake machine;
# the document in $tmp/out, stderr in $tmp/err, the exit status in RC.
hp() {
	RC=0
	OSLIFT_PROC=$P OSLIFT_SYSFS=$S "$HOST_PREP" --root "$root" --json "$@" >"$tmp/out" 2>"$tmp/err" || RC=$?
}
check() { hp check --packages "$rel8" --erase legacy "$@"; }
# ids SEVERITY: the ids (id:subject) of the findings of that severity.
ids() {
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted("%s:%s" % (f["id"], f["subject"]) if f["subject"] else f["id"]
                      for f in d["findings"] if f["severity"] == sys.argv[2])))' "$tmp/out" "$1"
}
# fires ID[:SUBJECT] SEVERITY DESCRIPTION / quiet ID DESCRIPTION
fires() { t_match "$(ids "$2" | tr ' ' '\n')" "^$1(:|\$)" "$3"; }
quiet() {
	local all
	all=$( (ids blocker; ids warning) | tr ' ' '\n')
	if grep -Eq "^$1(:|\$)" <<<"$all"; then t_fail "$2" "fired: $(grep -E "^$1" <<<"$all" | tr '\n' ' ')"; else t_pass "$2"; fi
}

# --- without /proc and /sys: info only ---
rm -rf "$P" "$S"
check
t_is "$RC:$(ids blocker)" "0:" "no /proc, no /sys: nothing blocks"
t_is "$(ids warning)" "no-signature-check repo-file-replaced:sc-os.repo" \
	"no /proc, no /sys: only the warnings of the root and the package set"
t_match "$(ids info | tr ' ' '\n')" '^memory$' "no /proc: 'could not look' at the memory, as info"

# --- a healthy machine: quiet ---
fake_machine
check
t_is "$RC" 0 "a healthy machine: nothing blocks"
t_is "$(ids warning)" "no-signature-check repo-file-replaced:sc-os.repo" \
	"a healthy machine: only the warnings of the package set"
t_match "$(t_json "$tmp/out" '[f["title"] for f in d["findings"] if f["id"] == "storage-stack"]')" \
	"/ is on sda1 < sda" "storage-stack names the layers below /"
t_match "$(t_json "$tmp/out" '[f["title"] for f in d["findings"] if f["id"] == "release"]')" \
	"sc-release-7-1.noarch.*to sc-release-8-1.noarch" "release names the source and target release packages"
t_match "$(t_json "$tmp/out" '[f["title"] for f in d["findings"] if f["id"] == "kernel"]')" \
	"running 7.5, newest installed 7.5" "kernel names the running and the newest kernel"
for id in memory-low kernel-not-newest kernel-module-missing root-driver-missing storage-unassemblable \
	storage-encrypted storage-multipath storage-network-root network-mount network-mount-written noexec-mount \
	network-interface-names selinux-relabel selinux-policy fips-enabled secure-boot dir-symlink-conflict \
	symlink-dir architecture-mismatch third-party-package; do
	quiet "$id" "a healthy machine: $id stays quiet"
done

# --- the schema ---
validate() {
	python3 - "$schema" "$tmp/out" <<'PY'
import json, sys
# The subset of JSON Schema docs/check-json.schema.json uses: type (one or
# a list), properties, required, additionalProperties false, items, enum,
# minimum.
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
def ok(v, s, where):
    t = s.get("type")
    if t:
        ts = t if isinstance(t, list) else [t]
        good = any((isinstance(v, int) and not isinstance(v, bool)) if x == "integer"
                   else isinstance(v, TYPES[x]) and not (x != "boolean" and isinstance(v, bool)) for x in ts)
        if not good:
            raise SystemExit("%s: %r is not %s" % (where, v, t))
    if "enum" in s and v not in s["enum"]:
        raise SystemExit("%s: %r not in %s" % (where, v, s["enum"]))
    if "minimum" in s and isinstance(v, (int, float)) and v < s["minimum"]:
        raise SystemExit("%s: %r below %s" % (where, v, s["minimum"]))
    if isinstance(v, dict):
        for k in s.get("required", []):
            if k not in v:
                raise SystemExit("%s: %s missing" % (where, k))
        props = s.get("properties", {})
        for k, x in v.items():
            if k in props:
                ok(x, props[k], where + "." + k)
            elif s.get("additionalProperties", True) is False:
                raise SystemExit("%s: %s is not in the schema" % (where, k))
    if isinstance(v, list) and "items" in s:
        for i, x in enumerate(v):
            ok(x, s["items"], "%s[%d]" % (where, i))
schema = json.load(open(sys.argv[1]))
ok(json.load(open(sys.argv[2])), schema, "$")
PY
}
t_ok "check --json of a healthy machine matches docs/check-json.schema.json" validate

# --- memory ---
echo "MemTotal:         204800 kB" >"$P/meminfo"
check
fires memory-low blocker "200 MiB of RAM: memory-low blocks"
t_is "$RC" 1 "memory-low: check exits 1"
t_match "$(t_json "$tmp/out" '[f["title"] for f in d["findings"] if f["id"] == "memory-low"]')" "needs 256 MiB" \
	"memory-low says what the upgrade boot needs"
t_ok "a blocked check --json matches the schema" validate
hp check --packages "$rel8" --erase legacy --accept memory-low
t_is "$RC:$(t_json "$tmp/out" '[d["accepted"], [f["accepted"] for f in d["findings"] if f["id"] == "memory-low"]]')" \
	"0:[1, [True]]" "--accept memory-low: accepted, listed, nothing blocks"
t_ok "check --json with an accepted finding matches the schema" validate
hp check --packages "$rel8" --erase legacy --accept memory-low
RC=0; OSLIFT_PROC=$P OSLIFT_SYSFS=$S "$HOST_PREP" --root "$root" check --packages "$rel8" --erase legacy \
	--accept memory-low >"$tmp/text" 2>&1 || RC=$?
t_match "$(cat "$tmp/text")" '^ACCEPTED memory-low: ' "text: an accepted finding reads ACCEPTED"
t_match "$(cat "$tmp/text")" 'accepted: --accept memory-low$' "text: and says by what"
t_match "$(cat "$tmp/text")" '^0 blocker\(s\), .*, 1 accepted$' "text: the count of accepted findings"
fake_machine

# --- kernel ---
echo "7.0" >"$P/sys/kernel/osrelease"
check
fires kernel-not-newest:7.0 warning "running 7.0 with 7.5 installed: kernel-not-newest"
fake_machine

# A kernel whose uname -r is not its VERSION-RELEASE.ARCH, as SUSE names
# them: known as the running one, and named, by the image it ships.
kernel_titles() { t_json "$tmp/out" '[f["title"] for f in d["findings"] if f["id"] in ("kernel", "kernel-not-newest")]'; }
mkdir -p "$tmp/suse/home"
if HOME=$tmp/suse/home rpmbuild -bb --quiet --define "_topdir $tmp/suse/top" --define "_rpmdir $tmp/suse/out" \
	"$TESTS_DIR/packages/syscheck-cases/suse-kernel/kernel-default.spec" >"$tmp/suse/log" 2>&1; then
	t_rpm "$root" -i --quiet "$tmp"/suse/out/noarch/kernel-default-9.1-150500.1.1.noarch.rpm
	echo "9.1-150500.1-default" >"$P/sys/kernel/osrelease"
	check
	quiet kernel-not-newest "running kernel-default 9.1-150500.1.1 as 9.1-150500.1-default: the newest, quiet"
	t_match "$(kernel_titles)" "running 9.1-150500.1-default, newest installed 9.1-150500.1-default" \
		"the running kernel found by its image, not by its package version"
	echo "7.5" >"$P/sys/kernel/osrelease"
	check
	fires kernel-not-newest:7.5 warning "running 7.5 with kernel-default 9.1 installed: kernel-not-newest"
	t_match "$(kernel_titles)" "is not the newest installed \(9.1-150500.1-default\)" \
		"kernel-not-newest names the newest kernel as uname -r will say it"
	t_rpm "$root" -e kernel-default
	fake_machine
else
	t_skip "kernel-not-newest with SUSE's kernel names" "rpmbuild failed: $(tail -1 "$tmp/suse/log")"
fi

# --- kernel modules ---
printf 'floppy 69632 0 - Live 0x0\nahci 40960 2 - Live 0x0\nata_generic 16384 0 - Live 0x0\n' >"$P/modules"
disk pata_acpi 0000:00:01.1 sdb
check
fires kernel-module-missing:floppy warning "floppy loaded, not in the target kernel: kernel-module-missing"
fires kernel-module-missing:pata_acpi warning "pata_acpi bound to a device (sysfs), not in the target: kernel-module-missing"
quiet kernel-module-missing:ahci "ahci is in the target kernel: not reported"
quiet kernel-module-missing:ata_generic "ata_generic is built into the target kernel (modules.builtin): not reported"
t_match "$(t_json "$tmp/out" '[f["details"] for f in d["findings"] if f["subject"] == "pata_acpi"]')" \
	"drives 0000:00:01.1 \(pci, modalias pci:v00008086d00007111" "kernel-module-missing says which device the module drives"
sed -i 's|/dev/sda1 /|/dev/sdb1 /|' "$P/mounts"
check
fires root-driver-missing:pata_acpi blocker "the root disk's driver is missing from the target: root-driver-missing"
hp check --packages "$rel8" --erase legacy --accept root-driver-missing
t_is "$RC" 2 "--accept root-driver-missing is refused (exit 2)"
t_match "$(cat "$tmp/err")" "root-driver-missing cannot be accepted .*unbootable" "the refusal says why"
fake_machine

# --- storage ---
dm dm-0 vg-root LVM-abcdef sda2
sed -i 's|^/dev/sda1 / |/dev/mapper/vg-root / |' "$P/mounts"
check
fires storage-unassemblable:/ blocker "root on LVM without lvm in the root: storage-unassemblable"
t_match "$(t_json "$tmp/out" '[f["title"] for f in d["findings"] if f["id"] == "storage-stack"]')" \
	"dm-0 \(LVM\) < sda2 < sda" "storage-stack: LVM on a partition"
mkdir -p "$root/usr/sbin" && : >"$root/usr/sbin/lvm"
check
quiet storage-unassemblable "root on LVM with lvm installed: quiet"
dm dm-1 luks-1234 CRYPT-LUKS2-1234-luks sda2
ln -sfn "$S/class/block/dm-1" "$S/devices/virtual/block/dm-0/slaves/dm-1"
rm "$S/devices/virtual/block/dm-0/slaves/sda2"
: >"$root/usr/sbin/cryptsetup"
check
fires storage-encrypted:/ warning "root on LVM on LUKS: storage-encrypted"
dm dm-2 mpatha mpath-3600 sda
sed -i 's|^/dev/mapper/vg-root / |/dev/mapper/mpatha / |' "$P/mounts"
: >"$root/usr/sbin/multipath"
check
fires storage-multipath:/ warning "root on multipath: storage-multipath"
quiet storage-encrypted "root on multipath alone: storage-encrypted quiet"
fake_machine
iscsi=$S/devices/platform/host3/session1/target3:0:0/3:0:0:0
mkdir -p "$iscsi/block/sdc/sdc1" && : >"$iscsi/block/sdc/sdc1/partition"
ln -sfn "$iscsi" "$iscsi/block/sdc/device"
ln -sfn "$iscsi/block/sdc" "$S/class/block/sdc"
ln -sfn "$iscsi/block/sdc/sdc1" "$S/class/block/sdc1"
sed -i 's|^/dev/sda1 / |/dev/sdc1 / |' "$P/mounts"
: >"$root/usr/sbin/iscsiadm"
check
fires storage-network-root:/ blocker "root on iSCSI: storage-network-root"
hp check --packages "$rel8" --erase legacy --accept storage-network-root:/
t_is "$RC" 0 "--accept storage-network-root:/ accepts it"
rm -f "$root/usr/sbin/lvm" "$root/usr/sbin/cryptsetup" "$root/usr/sbin/multipath" "$root/usr/sbin/iscsiadm"
fake_machine

# --- fstab ---
cp "$root/etc/fstab" "$tmp/fstab.orig" 2>/dev/null || : >"$tmp/fstab.orig"
printf 'srv:/export /mnt/share nfs defaults 0 0\n' >>"$root/etc/fstab"
check
fires network-mount:/mnt/share warning "an nfs mount in fstab: network-mount"
quiet network-mount-written "nothing installed below it: network-mount-written quiet"
printf 'srv:/opt /opt/sc-share nfs4 defaults 0 0\n' >>"$root/etc/fstab"
check
fires network-mount-written:/opt/sc-share blocker "a target package installs below an nfs4 mount: network-mount-written"
cp "$tmp/fstab.orig" "$root/etc/fstab"
printf '/dev/sdb1 /usr xfs defaults,noexec 0 0\n/dev/sdb2 /var xfs noexec,nodev 0 0\n/dev/sdb3 /srv xfs noexec 0 0\n' \
	>>"$root/etc/fstab"
check
fires noexec-mount:/usr blocker "noexec on /usr: noexec-mount blocks"
fires noexec-mount:/var warning "noexec on /var: noexec-mount warns"
quiet noexec-mount:/srv "noexec on /srv: quiet"
printf 'noexec-mount:/usr   # scriptlets checked by hand\n\n# the rest\nnoexec-mount\n' >"$tmp/accepted"
hp check --packages "$rel8" --erase legacy --accept-file "$tmp/accepted"
t_is "$RC:$(t_json "$tmp/out" 'd["accepted"]')" "0:2" "--accept-file with comments accepts both"
printf 'noexec-mount\nroot-driver-missing:sda\n' >"$tmp/bad-accept"
hp check --packages "$rel8" --accept-file "$tmp/bad-accept"
t_is "$RC" 2 "--accept-file naming an unacceptable blocker is refused"
t_match "$(cat "$tmp/err")" "bad-accept:2: 'root-driver-missing:sda'" "the refusal names the file and line"
hp check --packages "$rel8" --accept-file "$tmp/missing-file"
t_is "$RC" 2 "--accept-file of a missing file: usage error"
t_match "$(cat "$tmp/err")" "missing-file: cannot open" "and it says so"
hp check --packages "$rel8" --accept 'Bad Id'
t_is "$RC" 2 "--accept 'Bad Id': usage error"
t_match "$(cat "$tmp/err")" "expected ID or ID:SUBJECT" "and says what it expects"
cp "$tmp/fstab.orig" "$root/etc/fstab"

# --- network interface names ---
mkdir -p "$S/class/net/eth0/device" "$S/class/net/ens3/device" "$S/class/net/eth9"
check
fires network-interface-names:eth0 warning "eth0 without net.ifnames=0: network-interface-names"
quiet network-interface-names:ens3 "ens3 keeps its name: quiet"
quiet network-interface-names:eth9 "a virtual eth9 (no device): quiet"
echo "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro net.ifnames=0" >"$P/cmdline"
check
quiet network-interface-names "net.ifnames=0 on the command line: quiet"
fake_machine

# --- SELinux ---
mkdir -p "$root/etc/selinux"
printf 'SELINUX=enforcing\nSELINUXTYPE=targeted\n' >"$root/etc/selinux/config"
check
fires selinux-relabel:enforcing warning "SELinux enforcing: selinux-relabel"
quiet selinux-policy "the targeted policy: selinux-policy quiet"
printf 'SELINUX=permissive\nSELINUXTYPE="custom"\n' >"$root/etc/selinux/config"
mkdir -p "$S/fs/selinux" && echo 1 >"$S/fs/selinux/enforce"
check
fires selinux-relabel:enforcing warning "live enforce=1 overrides the config: enforcing"
fires selinux-policy:custom warning "a custom policy: selinux-policy"
printf 'SELINUX=disabled\n' >"$root/etc/selinux/config"
rm -rf "$S/fs/selinux"
check
quiet selinux-relabel "SELinux disabled: quiet"
rm -rf "$root/etc/selinux"

# --- FIPS ---
echo 1 >"$P/sys/crypto/fips_enabled"
check
fires fips-enabled blocker "fips_enabled 1: fips-enabled"
t_is "$(t_json "$tmp/out" '[f["acceptable"] for f in d["findings"] if f["id"] == "fips-enabled"]')" "[True]" \
	"fips-enabled is an acceptable blocker"
t_is "$(t_json "$tmp/out" '[f["acceptable"] for f in d["findings"] if f["id"] == "unresolved-dependency"]')" "[]" \
	"(no transaction blockers here)"
fake_machine

# --- Secure Boot ---
mkdir -p "$S/firmware/efi/efivars"
sb=$S/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c
printf '\x06\x00\x00\x00\x01' >"$sb"
check
fires secure-boot warning "SecureBoot efivar 1: secure-boot"
printf '\x06\x00\x00\x00\x00' >"$sb"
check
quiet secure-boot "SecureBoot efivar 0: quiet"
fake_machine

# --- third-party packages ---
check
quiet third-party-package "no key to go by: not sorted (info)"
t_match "$(t_json "$tmp/out" '[f["title"] for f in d["findings"] if f["id"] == "third-party-package"]')" \
	"could not tell" "third-party-package: says it could not tell"
keys=$(t_fixture leapp-data/oamg-leapp-repository/gpg-signatures.rhel.json)
signed=$(t_fixture el/rhel7/libsepol-2.5-10.el7.x86_64.rpm)
if [[ -n $keys && -n $signed && -f $signed ]]; then
	cp -a "$root" "$tmp/root-signed"
	t_rpm "$tmp/root-signed" -i --justdb --nodeps --nosignature "$signed" 2>/dev/null
	t_is "$(t_rpm "$tmp/root-signed" -q libsepol)" libsepol-2.5-10.el7.x86_64 "the Red Hat-signed libsepol is in the rpmdb"
	saved=$root root=$tmp/root-signed
	check --source-keys "$keys"
	fires third-party-package:kernel warning "an unsigned kernel the target keeps: third-party-package"
	quiet third-party-package:libsepol "libsepol signed by Red Hat (Leapp's gpg-signatures.rhel.json): quiet"
	t_match "$(ids info | tr ' ' '\n')" '^third-party-package:webapp$' \
		"a third-party package the target replaces: info"
	# --source-keys is repeatable: the ids of every file count.
	printf '# the rpm.org test key, say\n4344591e1964c5fc\n' >"$tmp/other-keys"
	check --source-keys "$tmp/other-keys" --source-keys "$keys"
	quiet third-party-package:libsepol "--source-keys twice: libsepol, signed by a key of the second file, quiet"
	fires third-party-package:kernel warning "--source-keys twice: the unsigned kernel still fires"
	printf '{"keys": ["199e2f91fd431d51"]}\n' >"$tmp/bad-keys.json"
	check --source-keys "$tmp/bad-keys.json"
	t_is "$RC" 3 "--source-keys JSON without Leapp's \"keys\" object: it fails"
	t_match "$(cat "$tmp/err")" 'source-keys .*bad-keys\.json: a JSON file without a "keys" object' \
		"naming the file and what is wrong"
	root=$saved
	rm -rf "$tmp/root-signed"
else
	for d in "third-party-package with Leapp's gpg-signatures" "--source-keys twice: libsepol, signed by a key of the second file, quiet" \
		"--source-keys twice: the unsigned kernel still fires" "--source-keys JSON without Leapp's \"keys\" object: it fails" \
		"naming the file and what is wrong"; do
		t_skip "$d" "no shared fixtures"
	done
fi
hp check --packages "$rel8" --source-keys "$tmp/nothing"
t_is "$RC" 2 "--source-keys of a missing file: usage error"

# --- repositories ---
check
fires repo-file-replaced:sc-os.repo warning "an enabled .repo file the target replaces: repo-file-replaced"
sed -i 's/enabled=1/enabled=0/' "$root/etc/yum.repos.d/sc-os.repo"
check
quiet repo-file-replaced "the same file disabled: quiet"
sed -i 's/enabled=0/enabled=1/' "$root/etc/yum.repos.d/sc-os.repo"

# --- directory versus symlink ---
mkdir -p "$root/opt/sc-link" "$root/usr/share/sc-layout"
ln -s ../usr/share/sc-layout "$root/opt/sc-dir"
check
fires dir-symlink-conflict:/opt/sc-link blocker "a directory the target makes a symlink: dir-symlink-conflict"
fires symlink-dir:/opt/sc-dir warning "a symlink the target makes a directory: symlink-dir"
hp check --packages "$rel8" --erase legacy --accept dir-symlink-conflict:/opt/sc-link
t_is "$RC" 2 "--accept dir-symlink-conflict is refused"
rm -rf "$root/opt/sc-link" "$root/opt/sc-dir" "$root/usr/share/sc-layout"
check
quiet dir-symlink-conflict "the paths absent: quiet"

# --- architecture ---
mkdir -p "$tmp/foreign/home" "$tmp/foreign8"
if HOME=$tmp/foreign/home rpmbuild -bb --quiet --nodeps --target aarch64 --define "_topdir $tmp/foreign/top" \
	--define "_rpmdir $tmp/foreign/out" "$TESTS_DIR/packages/syscheck-cases/foreign/sc-foreign.spec" \
	>"$tmp/foreign/log" 2>&1; then
	cp "$rel8"/*.rpm "$tmp/foreign"/out/aarch64/*.rpm "$tmp/foreign8/"
	hp check --packages "$tmp/foreign8" --erase legacy
	fires architecture-mismatch:sc-foreign blocker "an aarch64 package for an x86_64 system: architecture-mismatch"
	quiet architecture-mismatch:oslift-test-sh "x86_64 and noarch packages: quiet"
else
	t_skip "architecture-mismatch" "rpmbuild --target aarch64 failed: $(tail -1 "$tmp/foreign/log")"
fi

# --- stage honours --accept ---
echo 1 >"$P/sys/crypto/fips_enabled"
hp stage --packages "$rel8" --erase legacy --no-boot
t_is "$RC:$(t_json "$tmp/out" 'd["staged"]')" "1:False" "stage: fips-enabled blocks staging"
t_ok "a blocked stage left nothing behind" test ! -e "$root/var/lib/oslift/plan"
hp stage --packages "$rel8" --erase legacy --no-boot --accept fips-enabled
t_is "$RC:$(t_json "$tmp/out" '[d["staged"], d["accepted"]]')" "0:[True, 1]" "stage --accept fips-enabled stages"
"$HOST_PREP" --root "$root" cancel >/dev/null 2>&1
hp check --packages "$rel8" --erase legacy --accept no-such-finding
t_match "$(ids info | tr ' ' '\n')" '^accept-unused:no-such-finding$' "an --accept that matches nothing is reported"
