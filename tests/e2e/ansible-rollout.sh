#!/bin/bash
# ansible/rollout.yml against three QEMU guests reached over SSH on
# forwarded loopback ports, in batches of one:
#
#   pilot   installs oslift (from a make install DESTDIR tree), checks,
#           stages with a health check (oslift_verify: the site answers),
#           reboots into the upgrade and comes back restored and verified
#   canary  its /srv/release8 holds a corrupted package: stage refuses, the
#           host fails, and with max_fail_percentage 0 the rollout stops
#   rest    the last batch: checked in play 1, never staged
#
# The guests get sshd and Python (for Ansible's modules) from Debian .debs
# installed into the test's private copy of the base rootfs (the cached
# rootfs is not changed; the .debs are cached in $OSLIFT_CACHE). -no-reboot
# makes every guest reboot end QEMU, so each guest runs in a loop that
# starts QEMU again on the same image until the test says stop; that is how
# the pilot's reboots (into the upgrade, then into the new system) look to
# Ansible like a server rebooting. Judged from ansible-playbook's output
# and from the disks (debugfs) afterwards.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tools/e2e-lib.sh
source "$TESTS_DIR/e2e/tools/e2e-lib.sh"

e2e_require "ansible rollout"
for tool in ansible-playbook ssh ssh-keygen apt-get dpkg; do
	if ! command -v $tool >/dev/null; then
		t_skip "ansible rollout" "$tool not found (initrd/bootstrap-debian.sh)"
		exit 0
	fi
done

tmp=$(t_tmpdir)
hosts=(pilot canary rest)
start=$SECONDS

# --------------------------------------------------- guests, stopped at exit
declare -A port
stop_guests() {
	local h pid
	touch "$tmp/stop"
	for h in "${hosts[@]}"; do
		pid=$(cat "$tmp/$h.pid" 2>/dev/null || true)
		[[ -z $pid ]] || kill "$pid" 2>/dev/null || true
	done
}
trap 'rc=$?; stop_guests; (exit $rc); _e2e_exit' EXIT

# run_guest NAME: boots NAME's image again whenever QEMU exits (the guest
# rebooted) until $tmp/stop exists. Serial log of boot N: NAME.serial.N
# (QEMU truncates the file it is given).
run_guest() {
	local h=$1 n=0
	while [[ ! -e $tmp/stop ]]; do
		n=$((n + 1))
		echo "$n" >"$tmp/$h.boots"
		"$E2E_TOOLS/qemu.sh" "$tmp/$h.img" "$tmp/$h.serial.$n" --mem 512 --timeout 2400 \
			--ssh-port "${port[$h]}" 2>>"$tmp/$h.qemu" &
		echo $! >"$tmp/$h.pid"
		wait $! || true
	done
}

# ssh_guest NAME COMMAND: runs COMMAND in the guest as root.
ssh_guest() {
	ssh -i "$tmp/id" -p "${port[$1]}" -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=60 root@127.0.0.1 "$2"
}

# ------------------------------------------------------------ the guest root
root=$tmp/root
e2e_new_root "$root"
# sshd and a Python for Ansible, from Debian's archive: what apt would add
# to the root's dpkg database, downloaded into a cache on the host and
# installed in apt's order (pre-dependencies) with the guest's dpkg.
want=(openssh-server python3-minimal libpython3.11-stdlib)
debs=${OSLIFT_CACHE:-/var/cache/oslift}/e2e-ansible-debs
mkdir -p "$debs/partial"
apt_root=(apt-get -q -o Dir::State::status="$root/var/lib/dpkg/status"
	-o Dir::Cache::archives="$debs" -o Debug::NoLocking=1 -o APT::Install-Recommends=false)
(flock 9; "${apt_root[@]}" -y -qq --download-only install "${want[@]}" >"$tmp/apt.log" 2>&1) 9>"$debs.lock" ||
	{ t_fail "guest packages downloaded" "$(tail -20 "$tmp/apt.log")"; exit 1; }
files=()
while read -r name version; do
	f=$(ls "$debs/${name}_${version//:/%3a}_"*.deb 2>/dev/null | head -1)
	[[ -n $f ]] || { t_fail "guest packages downloaded" "no .deb for $name $version in $debs"; exit 1; }
	cp "$f" "$root/var/tmp/"
	files+=("/var/tmp/$(basename "$f")")
done < <("${apt_root[@]}" -s install "${want[@]}" | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1 \2/p')
guest_dpkg() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive dpkg "$@"; }
# dpkg -i does not order by Pre-Depends (python3-minimal needs
# python3.11-minimal configured first): a second run takes what the first
# one could not install.
if guest_dpkg -i "${files[@]}" >"$tmp/dpkg.log" 2>&1 ||
	{ mapfile -t again < <(sed -n '/^Errors were encountered/,$s/^ \(\/var\/tmp\/.*\.deb\)$/\1/p' "$tmp/dpkg.log")
	  guest_dpkg -i "${again[@]}" >>"$tmp/dpkg.log" 2>&1; }; then
	t_pass "sshd and python3 installed into the guest root (${#files[@]} .debs)"
else
	t_fail "sshd and python3 installed into the guest root" "$(tail -20 "$tmp/dpkg.log")"
	exit 1
fi
rm -f "$root"/var/tmp/*.deb
ssh-keygen -q -t ed25519 -N '' -f "$tmp/id"
install -d -m700 "$root/root/.ssh"
install -m600 "$tmp/id.pub" "$root/root/.ssh/authorized_keys"

# The demo site's release 7, its release 8 in /srv/release8; oslift itself
# is what the role installs, from this tree on the controller.
site=$(e2e_packages)
e2e_install_release7 "$root" "$site"
mkdir -p "$root/srv/release8"
cp "$site"/release8/*.rpm "$root/srv/release8/"
make -s -C "$TESTS_DIR/.." install DESTDIR="$tmp/destdir" >/dev/null

"$E2E_TOOLS/make-image.sh" "$root" "$tmp/pilot.img" 1024 2>"$tmp/image.err"
rm -rf "$root"
for h in canary rest; do cp --sparse=always "$tmp/pilot.img" "$tmp/$h.img"; done
e2e_image_edit "$tmp/canary.img" /srv/release8/website-8.0-1.noarch.rpm '$s/$/x/'
t_pass "three guest images ($((SECONDS - start)) s)"

# ------------------------------------------------------------- boot them all
for h in "${hosts[@]}"; do
	port[$h]=$(e2e_free_port)
	run_guest "$h" &
	sleep 1 # distinct ports: e2e_free_port only sees listening ones
done
t=$SECONDS
for h in "${hosts[@]}"; do
	up=0
	while ((SECONDS - t < 900)); do
		ssh_guest "$h" true 2>/dev/null && { up=1; break; }
		sleep 3
	done
	if ((up)); then t_pass "$h: sshd answers ($((SECONDS - t)) s after the start)"; else
		t_fail "$h: sshd answers" "$(tail -n 20 "$tmp/$h.serial.1")"
		exit 1
	fi
done

# ------------------------------------------------------------------ rollout
cat >"$tmp/inventory" <<EOF
[oslift]
pilot ansible_port=${port[pilot]}
canary ansible_port=${port[canary]}
rest ansible_port=${port[rest]}

[oslift:vars]
ansible_host=127.0.0.1
ansible_user=root
ansible_ssh_private_key_file=$tmp/id
ansible_python_interpreter=/usr/bin/python3
ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'
EOF
# The pilot's health check (host_vars beside the inventory).
mkdir -p "$tmp/host_vars"
cat >"$tmp/host_vars/pilot.yml" <<'EOF'
oslift_verify: busybox wget -q -O /dev/null http://127.0.0.1/
oslift_verify_timeout: 120
EOF
t=$SECONDS
rc=0
ANSIBLE_PIPELINING=1 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_RETRY_FILES_ENABLED=0 \
	ANSIBLE_HOME=$tmp/ansible-home ANSIBLE_LOCAL_TEMP=$tmp/ansible-tmp ANSIBLE_SSH_CONTROL_PATH_DIR=$tmp/cp ANSIBLE_TIMEOUT=60 \
	ansible-playbook -i "$tmp/inventory" "$TESTS_DIR/../ansible/rollout.yml" \
	-e oslift_become=false -e oslift_install_method=destdir -e "oslift_destdir=$tmp/destdir" \
	-e oslift_packages=/srv/release8 -e "oslift_report_dir=$tmp/reports" \
	-e oslift_reboot_timeout=1800 >"$tmp/ansible.out" 2>&1 || rc=$?
out=$(cat "$tmp/ansible.out")
say_recap=$(sed -n '/^PLAY RECAP/,$p' <<<"$out")
printf '# %s\n' "rollout took $((SECONDS - t)) s" "$say_recap"
t_isnt_zero() { if [[ $1 != 0 ]]; then t_pass "$2"; else t_fail "$2" "exit status 0"; fi; }
t_isnt_zero "$rc" "ansible-playbook fails (exit $rc)"
recap() { grep -E "^$1 +:" <<<"$say_recap" || true; }
t_match "$(recap pilot)" 'unreachable=0 +failed=0' "recap: the pilot did not fail"
t_match "$(recap canary)" 'failed=1' "recap: the canary failed"
t_match "$(recap rest)" 'failed=0' "recap: the last batch did not fail"
upgrade_play=$(sed -n '/^PLAY \[Upgrade in batches\]/,$p' <<<"$out" | sed '/^PLAY RECAP/,$d')
t_match "$upgrade_play" '^ok: \[pilot\]' "the pilot ran in the upgrade play"
t_is "$(grep -c '\[rest\]' <<<"$upgrade_play" || true)" 0 "the last batch never ran a task of the upgrade play"
t_match "$upgrade_play" 'NO MORE HOSTS LEFT' "ansible stopped the play after the canary's batch"
t_match "$out" 'host-prep stage did not stage' "the canary's failure is shown"
t_match "$out" 'rollout stops here' "and stops the rollout"
for f in pilot.check.json canary.check.json rest.check.json pilot.stage.json pilot.status.json pilot.log.json canary.stage.json; do
	[[ -s $tmp/reports/$f ]] && t_pass "report $f on the controller" || t_fail "report $f on the controller"
done
[[ -f $tmp/reports/rest.stage.json ]] && t_fail "no stage report for the last batch" || t_pass "no stage report for the last batch"
t_match "$(cat "$tmp/reports/pilot.status.json" 2>/dev/null)" '"state": "restored"' "the pilot's status.json said restored"
t_match "$(cat "$tmp/reports/pilot.status.json" 2>/dev/null)" '"message": "restored and verified: ' \
	"the role waited for the pilot's health check to pass"
t_match "$(cat "$tmp/reports/canary.check.json" 2>/dev/null)" '"blockers": [1-9]' "the canary's check found blockers"

# ------------------------------------------------ stop the guests, the disks
touch "$tmp/stop"
for h in "${hosts[@]}"; do ssh_guest "$h" 'sync; systemctl --no-block poweroff' 2>/dev/null || true; done
for h in "${hosts[@]}"; do
	t=$SECONDS
	while kill -0 "$(cat "$tmp/$h.pid")" 2>/dev/null && ((SECONDS - t < 120)); do sleep 1; done
done
stop_guests
wait 2>/dev/null || true

t_is "$(e2e_debugfs_cat "$tmp/pilot.img" /etc/oslift-release || true)" 8 "pilot: release 8 on its disk"
t_match "$(e2e_debugfs_cat "$tmp/pilot.img" /var/lib/oslift/status.json || true)" '"state": "restored"' "pilot: status.json restored"
t_is "$(e2e_debugfs_cat "$tmp/pilot.img" /var/lib/oslift/plan | grep '^verify ' || true)" \
	"verify 120 busybox%20wget%20-q%20-O%20/dev/null%20http://127.0.0.1/" \
	"pilot: oslift_verify and oslift_verify_timeout reached host-prep stage (the plan's verify line)"
t_is "$(e2e_debugfs_cat "$tmp/canary.img" /etc/oslift-release || true)" 7 "canary: still release 7"
t_is "$(e2e_debugfs_cat "$tmp/canary.img" /var/lib/oslift/plan >/dev/null 2>&1 && echo staged || echo 'not staged')" \
	"not staged" "canary: stage left no plan"
t_is "$(e2e_debugfs_cat "$tmp/rest.img" /etc/oslift-release || true)" 7 "rest: still release 7"
t_is "$(e2e_debugfs_cat "$tmp/rest.img" /usr/sbin/host-prep >/dev/null 2>&1 && echo yes || echo no)" yes \
	"rest: oslift was installed (play 1)"
for f in /var/lib/oslift/plan /var/lib/oslift/status.json; do
	t_is "$(e2e_debugfs_cat "$tmp/rest.img" $f >/dev/null 2>&1 && echo present || echo absent)" absent \
		"rest: never staged ($f absent)"
done
t_is "$(e2e_debugfs_cat "$tmp/rest.img" /boot/grub/grubenv | grep -c '^next_entry=.' || true)" 0 "rest: no one-time boot armed"
t_is "$(cat "$tmp/rest.boots")" 1 "rest: booted once"
t_match "$(tr -d '\r' <"$tmp/pilot.serial.2" 2>/dev/null)" 'upgrade applied in [0-9.]+ s' \
	"pilot: its second boot was the upgrade boot (serial log)"
echo "# total $((SECONDS - start)) s"
