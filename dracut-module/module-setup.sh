#!/bin/bash
# dracut module "oslift": carries the static upgrader and librpm's run-time
# configuration into the upgrade initramfs. Only included on request
# (host-prep stage builds the upgrade image with --add oslift).

check() {
	# Never pulled into ordinary initramfs images.
	return 255
}

depends() {
	return 0
}

install() {
	# The upgrader is static: no library resolution needed.
	inst_simple /usr/lib/oslift/upgrader /usr/lib/oslift/upgrader
	inst_simple /usr/lib/oslift/rpm/rpmrc /usr/lib/oslift/rpm/rpmrc
	inst_simple /usr/lib/oslift/rpm/macros /usr/lib/oslift/rpm/macros
	inst_simple /usr/lib/oslift/rpm/platform/x86_64-linux/macros \
		/usr/lib/oslift/rpm/platform/x86_64-linux/macros
}
