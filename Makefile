# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree build of vfio_user.ko plus the project's test targets.
#
#   make [KDIR=...]        build the module (W=1 for extra warnings)
#   make install           install into /lib/modules/<release>/updates
#   make deps              install build and test dependencies (apt)
#   make check             everything: builds, KUnit, server tests, fuzz
#                          smoke, VM tests; last line "N passed, N failed"
#   make demo              boot a VM and show the bridge at work
#   make kunit | vm-test | check-build | fuzz | bench
#   make vm-6.12 | vm-7.x  a VM test subset on Debian's 6.12 / 7.x kernels
#   make pkg               build the Debian packages, install, boot, purge
#   make check-matrix      the whole VM suite on Debian 6.1, 6.12 and 7.x
#   make deb               build the Debian packages (../vfio-user*.deb)
#   make check-debug       the VM tests on a KASAN/lockdep/kmemleak kernel
#   make qemu-backports    QEMU 10 for t-51 into .build/ (check, vm-test do it)
#
# KDIR defaults to the running kernel's build directory, else the
# headers of Debian's linux-headers-amd64 metapackage, else the newest
# installed /usr/src/linux-headers-*-amd64 (scripts/kdir.sh).

ifeq ($(origin KDIR),undefined)
KDIR := $(shell $(CURDIR)/scripts/kdir.sh)
endif

CONFTEST_H	:= drivers/vfio_user/vub_conftest.h
CONFTEST_STAMP	:= drivers/vfio_user/.vub_conftest.stamp
KBUILD_ARGS	:= -C $(KDIR) M=$(CURDIR)

all: modules

modules: conftest
	$(MAKE) $(KBUILD_ARGS) modules

# Regenerate the probe header when KDIR or a probe changes.
conftest:
	@test -n "$(KDIR)" || { echo "KDIR not set and no headers found" >&2; exit 1; }
	@if [ ! -e $(CONFTEST_H) ] || \
	    [ "$$(cat $(CONFTEST_STAMP) 2>/dev/null)" != "$(KDIR)" ] || \
	    [ -n "$$(find conftest scripts/conftest.sh -newer $(CONFTEST_H))" ]; then \
		echo "  CONFTEST $(KDIR)"; \
		scripts/conftest.sh $(KDIR) $(CONFTEST_H) && \
		echo "$(KDIR)" > $(CONFTEST_STAMP); \
	fi

install: modules
	$(MAKE) $(KBUILD_ARGS) INSTALL_MOD_DIR=updates modules_install
	depmod -a $$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' \
		$(KDIR)/include/generated/utsrelease.h)

clean:
	$(MAKE) $(KBUILD_ARGS) clean
	rm -f $(CONFTEST_H) $(CONFTEST_STAMP)
	rm -rf .build
	-$(MAKE) -C tools clean

deps:
	scripts/deps.sh

tools:
	$(MAKE) -C tools

check: deps
	tools/check.sh

check-build kunit vm-test fuzz-smoke server-test vm-6.12 vm-7.x pkg: deps
	tools/check.sh $@

check-matrix: deps
	VUB_MATRIX=full tools/check.sh check-build vm-test vm-6.12 vm-7.x

deb:
	dpkg-buildpackage -b -us -uc

# The VM tests on the KASAN/lockdep/kmemleak kernel (tools/vm/debug-kernel.sh).
check-debug: deps
	tools/check.sh vm-debug

# QEMU >= 8.1 for t-51-qemu-migration: bookworm-backports' QEMU unpacked
# into .build/, the system's QEMU untouched.  Without it t-51 is skipped.
qemu-backports: deps
	-tools/vm/qemu-backports.sh

check vm-test check-debug check-matrix: qemu-backports

demo: deps
	tools/demo.sh

bench: deps
	tools/bench/run.sh

fuzz: deps
	$(MAKE) -C tools/fuzz fuzz FUZZ_TIME=$(or $(FUZZ_TIME),600)

.PHONY: all modules conftest install clean deps tools check check-build \
	kunit vm-test fuzz-smoke server-test check-debug demo bench fuzz \
	qemu-backports vm-6.12 vm-7.x pkg check-matrix deb
