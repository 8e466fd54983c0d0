#!/bin/bash
# The Ansible role's stage step (ansible/roles/oslift/tasks/args.yml and
# stage.yml, which upgrade.yml runs), played by ansible-playbook on this
# machine (connection local) against a release-7 root armed as a BIOS
# GRUB system (host-prep --root DIR stage --boot-initramfs): the role's
# health-check variables oslift_verify and oslift_verify_timeout reach
# host-prep stage, whose plan holds the check; wrong values stop the play
# before anything is staged. The reboots and the rollout are
# tests/e2e/ansible-rollout.sh's.
. "$(dirname "$0")/../lib.sh"

for tool in ansible-playbook grub-editenv; do
	command -v $tool >/dev/null || t_skip_all "$tool is not installed (ansible-core, grub-common)"
done
tmp=$(t_tmpdir)
pkgs=$(t_packages)
repo=$TESTS_DIR/..
image=/boot/oslift-upgrade-7.0.img

# armed_root ROOT: release 7 with GRUB's files as a BIOS system has them
# and an upgrade initramfs for its kernel (kernel-core 7.0).
armed_root() {
	t_make_release7_root "$1" "$pkgs"
	mkdir -p "$1/boot/grub2"
	echo "upgrade initramfs" >"$1$image"
	cat >"$1/boot/grub2/grub.cfg" <<-'EOF'
	if [ -s $prefix/grubenv ]; then
	  load_env
	fi
	if [ "${next_entry}" ] ; then
	   set default="${next_entry}"
	   set next_entry=
	   save_env next_entry
	else
	   set default="${saved_entry}"
	fi
	menuentry 'release 7 (7.0)' {
		linux /boot/vmlinuz-7.0 root=LABEL=root ro
	}
	### BEGIN /etc/grub.d/41_custom ###
	if [ -f  ${config_directory}/custom.cfg ]; then
	  source ${config_directory}/custom.cfg
	elif [ -z "${config_directory}" -a -f  $prefix/custom.cfg ]; then
	  source $prefix/custom.cfg;
	fi
	### END /etc/grub.d/41_custom ###
	EOF
	grub-editenv "$1/boot/grub2/grubenv" create
}

# play ROOT EXTRA-VARS-JSON: the role's args and stage tasks on localhost
# for ROOT; output in T_OUT, exit status in T_RC. Ansible's own files go
# below the scratch directory, not HOME; the root's kernel command line
# is $tmp/proc's (OSLIFT_PROC), as the modules inherit the environment.
play() {
	local root=$1 vars=$2
	cat >"$tmp/play.yml" <<-'EOF'
	- hosts: localhost
	  connection: local
	  gather_facts: false
	  tasks:
	    - ansible.builtin.include_role:
	        name: oslift
	        tasks_from: args
	    - ansible.builtin.include_role:
	        name: oslift
	        tasks_from: stage
	EOF
	python3 -c 'import json, sys; d = json.loads(sys.argv[1]); d.update(json.loads(sys.argv[2])); print(json.dumps(d))' \
		"{\"oslift_packages\": \"$pkgs/release8\", \"oslift_report_dir\": \"$tmp/reports\",
		  \"oslift_extra_args\": [\"--root\", \"$root\", \"--erase\", \"legacy\", \"--boot-initramfs\", \"$image\"],
		  \"ansible_python_interpreter\": \"/usr/bin/python3\"}" "$vars" >"$tmp/vars.json"
	mkdir -p "$tmp/home" "$tmp/reports" "$tmp/proc"
	echo 'BOOT_IMAGE=/boot/vmlinuz-7.0 root=LABEL=root ro console=ttyS0' >"$tmp/proc/cmdline"
	t_run env HOME="$tmp/home" ANSIBLE_HOME="$tmp/home/.ansible" ANSIBLE_LOCAL_TEMP="$tmp/home/tmp" \
		ANSIBLE_REMOTE_TEMP="$tmp/home/remote-tmp" ANSIBLE_ROLES_PATH="$repo/ansible/roles" \
		ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
		OSLIFT_PROC="$tmp/proc" OSLIFT_SYSFS="$tmp/nosys" PATH="$(dirname "$HOST_PREP"):$PATH" \
		ansible-playbook -i localhost, "$tmp/play.yml" -e "@$tmp/vars.json"
}

# t_failed MESSAGE: the last play failed (T_RC not 0).
t_failed() { if [[ $T_RC != 0 ]]; then t_pass "$1"; else t_fail "$1" "exit status 0"; fi; }

check='busybox wget -q -O /dev/null http://127.0.0.1/health.html'
root=$tmp/root
armed_root "$root"
play "$root" "{\"oslift_verify\": \"$check\", \"oslift_verify_timeout\": 45}"
[[ $T_RC == 0 ]] || echo "$T_OUT" | tail -n 30 | sed 's/^/# /'
t_is "$T_RC" 0 "the role's stage step stages the root"
t_is "$(grep '^verify ' "$root/var/lib/oslift/plan")" "verify 45 busybox%20wget%20-q%20-O%20/dev/null%20http://127.0.0.1/health.html" \
	"oslift_verify and oslift_verify_timeout reach host-prep stage: the plan's verify line"
t_match "$(cat "$tmp/reports/localhost.stage.json" 2>/dev/null)" '"boot_armed": *true' \
	"the stage report on the controller says the boot is armed"
t_match "$(grub-editenv "$root/boot/grub2/grubenv" list)" '^next_entry=oslift-upgrade$' "and the root's grubenv selects the upgrade boot"

root=$tmp/root-default
armed_root "$root"
play "$root" "{\"oslift_verify\": \"$check\"}"
t_is "$T_RC" 0 "without oslift_verify_timeout"
t_match "$(grep '^verify ' "$root/var/lib/oslift/plan")" '^verify 300 busybox%20wget' "the check gets host-prep's default time (300 s)"

root=$tmp/root-none
armed_root "$root"
play "$root" '{}'
t_is "$T_RC" 0 "without oslift_verify"
t_is "$(grep -c '^verify ' "$root/var/lib/oslift/plan")" 0 "the plan has no check"

for bad in '{"oslift_verify": "true", "oslift_verify_timeout": "5 min"}' '{"oslift_verify_timeout": 60}'; do
	root=$tmp/root-bad
	rm -rf "$root"
	armed_root "$root"
	play "$root" "$bad"
	t_failed "the play fails for $bad"
	t_match "$T_OUT" 'oslift_verify_timeout is .*: give whole seconds \(1 to 86400\), and oslift_verify, the check they are for' \
		"naming the variable and what to give"
	t_ok "before anything is staged" test ! -e "$root/var/lib/oslift/plan"
done
root=$tmp/root-bad
rm -rf "$root"
armed_root "$root"
play "$root" '{"oslift_verify": "true", "oslift_verify_timeout": 90000}'
t_failed "a timeout beyond host-prep's range fails the host"
t_match "$T_OUT" 'host-prep stage did not stage .*--verify-timeout 90000: give whole seconds from 1 to 86400' \
	"with host-prep's message"
t_ok "and nothing is staged" test ! -e "$root/var/lib/oslift/plan"
