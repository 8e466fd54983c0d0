#!/bin/bash
# Installs the e2e boot driver into a guest root directory:
#   boot-driver/install.sh ROOT
# /usr/local/sbin/e2e-boot-driver + its unit (enabled), /usr/local/sbin/
# e2e-wait-go, the /cgi-bin/go CGI of the demo site (/var/www/site/cgi-bin/go,
# owned by no package), and an empty /root/e2e/queue/.
set -euo pipefail
root=${1:?usage: install.sh ROOT}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

install -D -m755 "$here/e2e-boot-driver" "$root/usr/local/sbin/e2e-boot-driver"
install -D -m755 "$here/e2e-wait-go" "$root/usr/local/sbin/e2e-wait-go"
install -D -m644 "$here/e2e-boot-driver.service" "$root/etc/systemd/system/e2e-boot-driver.service"
# What systemctl enable would do, without running anything in the root.
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sfn ../e2e-boot-driver.service "$root/etc/systemd/system/multi-user.target.wants/e2e-boot-driver.service"
install -D -m755 "$here/go.cgi" "$root/var/www/site/cgi-bin/go"
install -d -m700 "$root/root/e2e" "$root/root/e2e/queue"
