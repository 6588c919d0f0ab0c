# ivlite - container image signature verifier for containerd
# See LICENSE file for copyright and license details.
.POSIX:

include config.mk

SRC = ivlite.c
HDR = config.h config.mk
TESTPKGS = libmbedtls-dev libjsmn-dev skopeo docker-registry gnupg python3 \
	python3-cryptography clang libclang-rt-14-dev valgrind time musl-tools \
	dpkg-dev curl strace runc mandoc man-db
DEMOPKGS = libmbedtls-dev libjsmn-dev skopeo docker-registry gnupg python3 \
	python3-cryptography runc
FUZZ_SECONDS = 60

all: ivlite

# config.h is yours once copied; when config.def.h gains a setting, the
# build names what your copy lacks instead of failing on it
config.h: config.def.h
	@if [ ! -f $@ ]; then cp config.def.h $@; exit 0; fi; missing=; \
	for m in $$(sed -n 's/^#define \([A-Z0-9_]*\).*/\1/p; s/^static const char \*\([a-z]*\).*/\1/p' config.def.h); do \
		grep -Eq "^(#define $$m[[:space:]]|static const char \*$$m[[:space:]=\[])" $@ || missing="$$missing $$m"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "config.h lacks$$missing: copy them from config.def.h, or remove config.h to start anew"; exit 2; \
	fi; touch $@

ivlite: $(SRC) $(HDR)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(SRC) $(LIBS)

# ivlite-static: musl, mbedTLS 3.6 LTS from source (Debian 13's source
# package, else MBEDTLS_SRC=DIR) trimmed by mbedtls-config.h, within
# STATIC_BUDGET
static: ivlite-static

ivlite-static: $(SRC) $(HDR) mbedtls-config.h tests/static tests/mbedtls-source
	tests/deps musl-tools libjsmn-dev
	VERSION=$(VERSION) tests/static
	@size=$$(wc -c < ivlite-static); echo "ivlite-static: $$size bytes (budget $(STATIC_BUDGET) bytes)"; \
	    [ "$$size" -le $(STATIC_BUDGET) ] || { echo "ivlite-static: over STATIC_BUDGET"; exit 1; }

# the test programs call ivlite.c through tests/hooks.c (ivlite.h), which
# includes it without main(); under ASan and UBSan
HOOKS = tests/hooks.c ivlite.h $(SRC) $(HDR)
tests/unit: tests/unit.c $(HOOKS)
	$(CC) $(CPPFLAGS) -DIVLITE_NO_MAIN -I. -std=c99 $(WARN) -Wno-unused-function $(SANFLAGS) -o $@ tests/unit.c tests/hooks.c $(LIBS)

tests/regfetch: tests/regfetch.c $(HOOKS)
	$(CC) $(CPPFLAGS) -DIVLITE_NO_MAIN -I. -std=c99 $(WARN) -Wno-unused-function $(SANFLAGS) -o $@ tests/regfetch.c tests/hooks.c $(LIBS)

# fault injection (tests only, never installed): IVLITE_FAULT, IVLITE_ARENA
tests/ivlite-faults: $(SRC) $(HDR)
	$(CC) $(CPPFLAGS) -DIVLITE_FAULTS $(CFLAGS) $(SANFLAGS) -o $@ $(SRC) $(LIBS)

# ivlite, tests/unit and tests/regfetch against mbedTLS 3.6 LTS (Debian 13's
# source package, built into build/mbedtls3-VARIANT): the test matrix's
# second library; MBEDTLS3=debian (Debian 13's configuration) or psa (with
# MBEDTLS_USE_PSA_CRYPTO, deprecated API removed)
MBEDTLS3 = debian
mbedtls3:
	tests/deps dpkg-dev python3
	CC="$(CC)" CPPFLAGS="$(CPPFLAGS)" CFLAGS="$(CFLAGS)" WARN="$(WARN)" \
	    SANFLAGS="$(SANFLAGS)" tests/mbedtls3 $(MBEDTLS3)

# installs build and test dependencies that are missing (Debian, as root)
deps:
	tests/deps $(TESTPKGS)

# containerd, cosign, notation and oras from Debian unstable, downloaded
# into build/tools (never installed); tests needing one that could not be
# had fail naming it, the rest still run
tools:
	tests/tools

# the static build runs inside tests/run: its failure fails the run
# without stopping the other suites
test: deps
	-tests/tools
	$(MAKE) ivlite tests/unit tests/regfetch tests/ivlite-faults
	tests/run

# every fuzz target for FUZZ_SECONDS each (make test runs 2 s of each)
fuzz:
	tests/deps clang libclang-rt-14-dev libmbedtls-dev libjsmn-dev
	tests/fuzz/run $(FUZZ_SECONDS)

# medians against skopeo and the raw round trips (BENCH_RUNS=N)
bench: deps
	$(MAKE) ivlite ivlite-static
	tests/bench

demo:
	tests/deps $(DEMOPKGS)
	-tests/tools
	$(MAKE) ivlite
	tests/demo

# ivlite.1's footer (.Os) names config.mk's VERSION in the tree too, so
# man -l ivlite.1 shows it (tests/test_robust.py keeps the two equal); the
# installed page gets $(VERSION), whatever it was set to
install: ivlite
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 \
	    $(DESTDIR)$(POLICYDIR)/registries.d
	cp -f ivlite $(DESTDIR)$(PREFIX)/bin
	chmod 755 $(DESTDIR)$(PREFIX)/bin/ivlite
	sed "s/^\.Os ivlite .*/.Os ivlite $(VERSION)/" < ivlite.1 > $(DESTDIR)$(MANPREFIX)/man1/ivlite.1
	chmod 644 $(DESTDIR)$(MANPREFIX)/man1/ivlite.1
	cp -f policies/*.json $(DESTDIR)$(POLICYDIR)
	chmod 644 $(DESTDIR)$(POLICYDIR)/*.json
	cp -f policies/registries.d/*.yaml $(DESTDIR)$(POLICYDIR)/registries.d
	chmod 644 $(DESTDIR)$(POLICYDIR)/registries.d/*.yaml

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/ivlite $(DESTDIR)$(MANPREFIX)/man1/ivlite.1
	rm -rf $(DESTDIR)$(POLICYDIR)

clean:
	rm -f ivlite ivlite-static tests/unit tests/regfetch tests/ivlite-faults
	rm -rf build

.PHONY: all static mbedtls3 deps tools test fuzz bench demo install uninstall clean
