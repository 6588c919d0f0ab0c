#!/usr/bin/python3
"""The example deployments of SPEC.md, one block per file in policies/.

Each case runs ivlite through a containerd bin_dir wrapper pointing at the
shipped policy file, so what is tested is what an operator installs.
Run through tests/integration.py.
"""

import hashlib
import os

import containerd
from integration import Fail, Skip

D = "sha256:" + hashlib.sha256(b"ivlite deployment D").hexdigest()
# the two digests listed in policies/digest-pinning.json
PIN1 = "sha256:3c6a8ac316c21ba80cbbaab6d11b1dccab514eeef6bbc2eeedf3071753a5edf5"
PIN2 = "sha256:30b040e65c7105aecb05f42b31a50fefa6f31a43f20eaa43386276b4ea5e06a8"
REJECT = "reject: this scope rejects all images"
ACCEPT = "insecureAcceptAnything"


def scope(s):
	return 'scope transports.docker["%s"]' % s


def run(t):
	def pol(name):
		return os.path.join(t.policies, name)

	def case(policy, name, ref, digest, code, why, shown=None):
		"""NAME pulled (digest DIGEST) under POLICY gives CODE and
		"accepted|rejected SHOWN@DIGEST: WHY"."""
		shown = shown or ref
		line = "%s %s@%s: %s" % ("accepted" if code == 0 else "rejected",
		    shown, digest, why)
		if "@" in shown:
			line = "%s %s: %s" % ("accepted" if code == 0 else
			    "rejected", shown, why)
		t.case("deployment %s: %s" % (policy, name), lambda: t.expect(
		    t.containerd(pol(policy), ref, digest), code, line))

	# 1. kiOS
	k = "kios.json"
	case(k, "docker.io/library/alpine:3.20 accepted",
	    "docker.io/library/alpine:3.20", D, 0,
	    "%s: %s" % (scope("docker.io/library"), ACCEPT))
	case(k, "short name alpine accepted", "alpine", D, 0,
	    "%s: %s" % (scope("docker.io/library"), ACCEPT),
	    "docker.io/library/alpine:latest")
	case(k, "quay.io/org/app:1 rejected", "quay.io/org/app:1", D, 1,
	    "%s: %s" % (scope("quay.io"), REJECT))
	# example.com needs a GPG simple signature by the keyring below
	# (signed, unsigned and other-key pulls end to end, with a lab key,
	# registry and lookaside: test_gpg.py)
	ring = "/etc/pki/containers/example.com.gpg"

	def no_ring():
		"""Without the keyring (a test machine), an example.com pull is a
		configuration error naming it, before any network work."""
		if os.path.exists(ring):
			raise Skip("%s exists on this machine" % ring)
		t.expect(t.containerd(pol(k), "example.com/app:1", D), 2,
		    'error: %s: transports.docker["example.com"][0].keyPath: %s: '
		    "No such file or directory" % (pol(k), ring))
	t.case("deployment %s: example.com, keyring missing: exit 2" % k,
	    no_ring)
	case(k, "ghcr.io/x/y:1 rejected by default", "ghcr.io/x/y:1", D, 1,
	    "scope default: %s" % REJECT)
	case(k, "docker.io/org/app:1 rejected by default (not library)",
	    "org/app:1", D, 1, "scope default: %s" % REJECT,
	    "docker.io/org/app:1")

	def kios_judgement():
		bindir, _ = t.bindir(pol(k))
		j = containerd.verify_image(bindir, "quay.io/org/app:1",
		    containerd.descriptor(D))
		want = ("verifier ivlite rejected image (exit code 1): rejected "
		    "quay.io/org/app:1@%s: %s: %s" % (D, scope("quay.io"), REJECT))
		if j.ok or j.error or j.reason != want:
			raise Fail("expected blocked with %r, got %r" % (want, j))
		j = containerd.verify_image(bindir, "docker.io/library/alpine:3."
		    "20", containerd.descriptor(D))
		want = ("ivlite => accepted docker.io/library/alpine:3.20@%s: "
		    "%s: %s" % (D, scope("docker.io/library"), ACCEPT))
		if not j.ok or j.error or j.reason != want:
			raise Fail("expected allowed with %r, got %r" % (want, j))
	t.case("deployment kios.json: containerd judgement", kios_judgement)

	# 2. BYO-PKI per registry
	b = "byo-pki.json"
	case(b, "registry-b allowed", "registry-b.example.com/team/app:1", D,
	    0, "%s: %s" % (scope("registry-b.example.com"), ACCEPT))
	case(b, "gcr.io rejected", "gcr.io/project/app:1", D, 1,
	    "%s: %s" % (scope("gcr.io"), REJECT))
	case(b, "other registry allowed by default",
	    "docker.io/library/busybox:1.36", D, 0, "scope default: %s"
	    % ACCEPT)
	# registry-a needs a cosign signature by the private CA (signed,
	# unsigned and other-CA pulls end to end, with a lab CA and
	# registry: test_sigpki.py); here the CA file is the shipped path
	ca = "/etc/pki/containers/registry-a-ca.pem"

	def no_ca():
		"""Without the CA file (a test machine), a registry-a pull is a
		configuration error naming it, before any network work."""
		if os.path.exists(ca):
			raise Skip("%s exists on this machine" % ca)
		t.expect(t.containerd(pol(b), "registry-a.example.com/team/app:1",
		    D), 2, 'error: %s: transports.docker["registry-a.example.com"]'
		    '[0].pki.caRootsPath: %s: No such file or directory'
		    % (pol(b), ca))
	t.case("deployment %s: registry-a, CA file missing: exit 2" % b, no_ca)

	# 3. cosign public key per repository prefix (signed and unsigned
	# pulls end to end, with a lab key and registry: test_sigstore.py)
	c = "cosign-prefix.json"
	key = "/etc/pki/containers/acme-cosign.pub"

	def no_key(ref):
		"""Without the key file (a test machine), a pull under the
		prefix is a configuration error naming it, before any network
		work."""
		if os.path.exists(key):
			raise Skip("%s exists on this machine" % key)
		t.expect(t.containerd(pol(c), ref, D), 2, 'error: %s: transports.'
		    'docker["ghcr.io/acme"][0].keyPath: %s: No such file or '
		    "directory" % (pol(c), key))
	t.case("deployment %s: inside the prefix, key file missing: exit 2" % c,
	    no_key, "ghcr.io/acme/app:1")
	t.case("deployment %s: deeper inside the prefix, key file missing: "
	    "exit 2" % c, no_key, "ghcr.io/acme/team/app:2")
	case(c, "sibling ghcr.io/acmex rejected", "ghcr.io/acmex/app:1", D, 1,
	    "scope default: %s" % REJECT)
	case(c, "other org on ghcr.io rejected", "ghcr.io/other/app:1", D, 1,
	    "scope default: %s" % REJECT)
	case(c, "docker.io rejected", "alpine:3.20", D, 1,
	    "scope default: %s" % REJECT, "docker.io/library/alpine:3.20")

	# 4. digest pinning
	p = "digest-pinning.json"
	pin = lambda d: "%s: %s" % (scope("docker.io/library/alpine@" + d),
	    ACCEPT)
	case(p, "pinned digest 1 on a tag pull accepted",
	    "docker.io/library/alpine:3.20", PIN1, 0, pin(PIN1))
	case(p, "pinned digest 2 on a short-name tag pull accepted",
	    "alpine", PIN2, 0, pin(PIN2), "docker.io/library/alpine:latest")
	case(p, "pinned digest on a by-digest pull accepted",
	    "docker.io/library/alpine@" + PIN1, PIN1, 0, pin(PIN1),
	    "docker.io/library/alpine@" + PIN1)
	case(p, "other digest of the same repository rejected",
	    "docker.io/library/alpine:3.20", D, 1, "scope default: %s"
	    % REJECT)
	case(p, "pinned digest under another repository rejected",
	    "docker.io/library/busybox:1.36", PIN1, 1, "scope default: %s"
	    % REJECT)
	case(p, "other repository rejected by default",
	    "quay.io/org/app:1", D, 1, "scope default: %s" % REJECT)

	# 5. cosign 3 with a public key: Sigstore bundles (signed, unsigned,
	# other-key and annotation pulls end to end, with real cosign 3 and a
	# lab registry: test_bundle.py); ghcr.io/acme/prod also wants the
	# signature made with -a env=prod
	c3 = "cosign3-key.json"

	def no_key3(ref, sc):
		if os.path.exists(key):
			raise Skip("%s exists on this machine" % key)
		t.expect(t.containerd(pol(c3), ref, D), 2, 'error: %s: transports.'
		    'docker["%s"][0].keyPath: %s: No such file or directory'
		    % (pol(c3), sc, key))
	t.case("deployment %s: inside the prefix, key file missing: exit 2"
	    % c3, no_key3, "ghcr.io/acme/app:1", "ghcr.io/acme")
	t.case("deployment %s: ghcr.io/acme/prod, key file missing: exit 2"
	    % c3, no_key3, "ghcr.io/acme/prod/app:1", "ghcr.io/acme/prod")
	case(c3, "sibling ghcr.io/acmex rejected", "ghcr.io/acmex/app:1", D, 1,
	    "scope default: %s" % REJECT)
	case(c3, "docker.io rejected", "alpine:3.20", D, 1,
	    "scope default: %s" % REJECT, "docker.io/library/alpine:3.20")

	# 6. Bottlerocket-like hosts: the notation trust policy and the
	# digestion allowlist that Bottlerocket's settings render (signed,
	# unsigned and allowlisted pulls end to end, with the real notation
	# and these very files, paths rewritten: test_notation.py)
	for f, path in (("bottlerocket-notation.json", "/etc/containerd/"
	    "image-verifiers/notation/trustpolicy.json"),
	    ("bottlerocket-digestion.json", "/etc/containerd/image-verifiers/"
	    "digestion/trustpolicy.json")):
		def missing(f=f, path=path):
			"""No rendered policy (verification not configured):
			never an allow, as Bottlerocket's verifiers give"""
			if os.path.exists(path):
				raise Skip("%s exists on this machine" % path)
			t.expect(t.containerd(pol(f), "docker.io/library/alpine:3.20",
			    D), 2, "error: %s: No such file or directory" % path)
		t.case("deployment %s: no rendered trust policy: exit 2, not an "
		    "allow" % f, missing)
	# 5b. keyless cosign 3 from a GitHub Actions release workflow, with an
	# offline trusted_root.json (accepted, other workflow, fork, runner
	# and the rest end to end against a test Sigstore: test_keyless.py)
	gha = "cosign3-github-actions.json"
	root = "/etc/pki/containers/sigstore/trusted_root.json"

	def no_root():
		if os.path.exists(root):
			raise Skip("%s exists on this machine" % root)
		t.expect(t.containerd(pol(gha), "ghcr.io/acme/app:1", D), 2,
		    'error: %s: transports.docker["ghcr.io/acme"][0].'
		    'trustedRootPath: %s: No such file or directory' % (pol(gha),
		    root))
	t.case("deployment %s: trusted root missing: exit 2 naming it" % gha,
	    no_root)
	case(gha, "another registry rejected by default", "quay.io/acme/app:1",
	    D, 1, "scope default: %s" % REJECT)
