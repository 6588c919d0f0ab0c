#!/usr/bin/python3
"""The containerd contract: argv, stdin descriptor, exit codes, one line.

None of these cases needs a server: the policies only use
insecureAcceptAnything and reject, and -digest is always given.
Run through tests/integration.py.
"""

import glob
import hashlib
import json
import os
import re

import containerd
import lab as labmod
from integration import Fail, Skip

A = {"type": "insecureAcceptAnything"}
R = {"type": "reject"}

POLICY = {
	"default": [R],
	"transports": {"docker": {"docker.io/library": [A]}},
}

D = "sha256:" + hashlib.sha256(b"ivlite contract D").hexdigest()
D2 = "sha256:" + hashlib.sha256(b"ivlite contract D2").hexdigest()
D512 = "sha512:" + hashlib.sha512(b"ivlite contract D512").hexdigest()
BAD_DIGEST = ("invalid digest (want sha256:<64 lowercase hex>, sha384:<96 "
    "lowercase hex> or sha512:<128 lowercase hex>)")
ANY = object()
LIB = 'scope transports.docker["docker.io/library"]'
ACC = "%s: insecureAcceptAnything" % LIB
REJ = "scope default: reject: this scope rejects all images"
ALPINE = "docker.io/library/alpine:3.20"


def accepted(ref, digest=D):
	return "accepted %s@%s: %s" % (ref, digest, ACC)


def padded_descriptor(digest, total):
	"""A descriptor whose Go encoding is exactly TOTAL bytes."""
	d = containerd.descriptor(digest, annotations={"pad": ""})
	n = total - len(containerd.go_json(d))
	if n < 0:
		raise ValueError("descriptor too long for %d" % total)
	d["annotations"]["pad"] = "p" * n
	assert len(containerd.go_json(d)) == total
	return d


_keys = {}


def test_key(t, path):
	"""A lab file standing in for key file PATH, chosen by its suffix."""
	if path not in _keys:
		try:
			if path.endswith(".gpg"):
				if labmod.missing_tools("gpg"):
					raise Skip("gpg not installed")
				_keys[path] = labmod.gpg_keyring(t.lab)[0]
			elif path.endswith(".pub"):
				_keys[path] = labmod.ec_key_pair(t.lab)[0]
			elif path.endswith(".pem"):
				_keys[path] = labmod.ca_cert(t.lab)[0]
			elif path.endswith("notation/trustpolicy.json"):
				_keys[path] = t.lab.write("trustpolicy.json",
				    json.dumps({"version": "1.0", "trustPolicies": [{
				    "name": "all", "registryScopes": ["*"],
				    "signatureVerification": {"level": "skip"}}]}))
			elif path.endswith("digestion/trustpolicy.json"):
				_keys[path] = t.lab.write("digestion.json", json.dumps(
				    {"version": "1.0", "trustedDigests": [D]}))
			elif path.endswith("trusted_root.json"):
				with open(os.path.join(t.root, "tests", "fixtures",
				    "sigstore", "public-good.trusted_root.json")) as f:
					_keys[path] = t.lab.write("trusted_root.json",
					    f.read())
			else:
				raise Fail("no test key for %s (add one by suffix)"
				    % path)
		except labmod.LabError as e:
			raise Skip(str(e))
	return _keys[path]


def with_test_keys(t, policy):
	"""Copy of POLICY with every /etc/pki/containers/… and
	/etc/containerd/image-verifiers/… path replaced."""
	def walk(o):
		if isinstance(o, dict):
			return {k: walk(v) for k, v in o.items()}
		if isinstance(o, list):
			return [walk(v) for v in o]
		if isinstance(o, str) and o.startswith(("/etc/pki/containers/",
		    "/etc/containerd/image-verifiers/")):
			return test_key(t, o)
		return o
	with open(policy) as f:
		p = json.load(f)
	return t.lab.write(os.path.basename(policy), json.dumps(walk(p),
	    indent=4))


def run(t):
	P = t.policy_file(POLICY, "contract-policy.json")
	c = lambda name, **kw: t.containerd(P, name, kw.pop("digest", D), **kw)

	# --- stdin descriptor ----------------------------------------------
	t.case("contract: descriptor digest matches -digest",
	    lambda: t.expect(c(ALPINE), 0, accepted(ALPINE)))
	t.case("contract: descriptor rejected by default scope",
	    lambda: t.expect(c("quay.io/org/app:1"), 1,
	    "rejected quay.io/org/app:1@%s: %s" % (D, REJ)))
	t.case("contract: descriptor digest differs from -digest",
	    lambda: t.expect(c(ALPINE, desc=containerd.descriptor(D2)), 2,
	    "error: stdin descriptor: digest %s differs from -digest %s"
	    % (D2, D)))
	t.case("contract: descriptor of an index, extra fields",
	    lambda: t.expect(c(ALPINE, desc=containerd.descriptor(D,
	    size=1234, media_type="application/vnd.oci.image.index.v1+json",
	    annotations={"org.opencontainers.image.ref.name": "3.20",
	    "x": "<&>\u2028é"}, urls=["https://example.com/blob"],
	    platform={"architecture": "amd64", "os": "linux"},
	    artifactType="application/vnd.example+type")), 0,
	    accepted(ALPINE)))
	t.case("contract: descriptor with unknown fields",
	    lambda: t.expect(c(ALPINE, desc=None, stdin=(
	    '{"mediaType":"application/vnd.oci.image.manifest.v1+json",'
	    '"digest":"%s","size":7,"futureField":{"a":[1,2,{}]}}\n'
	    % D).encode()), 0, accepted(ALPINE)))
	t.case("contract: empty stdin (pipe closed, nothing written)",
	    lambda: t.expect(c(ALPINE, desc=None, stdin=b""), 0,
	    accepted(ALPINE)))
	t.case("contract: stdin is /dev/null",
	    lambda: t.expect(c(ALPINE, desc=None, stdin="devnull"), 0,
	    accepted(ALPINE)))
	t.case("contract: stdin not open at all (fd 0 closed)",
	    lambda: t.expect(c(ALPINE, desc=None, stdin="closed"), 0,
	    accepted(ALPINE)))
	t.case("contract: descriptor of exactly 65536 bytes accepted",
	    lambda: t.expect(c(ALPINE, desc=padded_descriptor(D, 65536)), 0,
	    accepted(ALPINE)))
	t.case("contract: descriptor of 65537 bytes refused",
	    lambda: t.expect(c(ALPINE, desc=padded_descriptor(D, 65537)), 2,
	    "error: stdin descriptor: larger than 65536 bytes"))
	t.case("contract: huge descriptor (10 MiB) refused, no hang",
	    lambda: t.expect(c(ALPINE, desc=padded_descriptor(D, 10 << 20)),
	    2, "error: stdin descriptor: larger than 65536 bytes"))
	t.case("contract: huge stdin (10 MiB of spaces) refused, no hang",
	    lambda: t.expect(c(ALPINE, desc=None, stdin=b" " * (10 << 20)),
	    2, "error: stdin descriptor: larger than 65536 bytes"))
	t.case("contract: malformed descriptor JSON",
	    lambda: t.expect(c(ALPINE, desc=None,
	    stdin=b'{"digest":"' + D.encode()), 2,
	    "error: stdin descriptor: line 1: JSON ends too early"))
	t.case("contract: descriptor without digest field",
	    lambda: t.expect(c(ALPINE, desc=None,
	    stdin=b'{"mediaType":"application/vnd.oci.image.manifest.v1'
	    b'+json","size":3}\n'), 2, "error: stdin descriptor: no digest"))
	t.case("contract: descriptor digest of wrong type",
	    lambda: t.expect(c(ALPINE, desc=None,
	    stdin=b'{"digest":42}\n'), 2,
	    "error: stdin descriptor: digest: expected a string"))
	t.case("contract: sha512 digest", lambda: t.expect(
	    c(ALPINE, digest=D512, desc=containerd.descriptor(D512)), 0,
	    accepted(ALPINE, D512)))

	# --- argv ------------------------------------------------------------
	base = ["-policy", P, "-name", ALPINE]
	t.case("contract: unknown flag", lambda: t.expect(
	    t.direct(base + ["-digest", D, "-foo"]), 2,
	    'error: unknown option "-foo"'))
	for opt, a, b in [("-timeout", "5", "6"), ("-name", "alpine", "busybox"),
	    ("-digest", D, D2), ("-policy", "/a", "/b")]:
		t.case("contract: %s given twice" % opt, lambda opt=opt, a=a, b=b:
		    t.expect(t.direct([opt, a, opt, b]), 2,
		    "error: %s given twice" % opt))
	t.case("contract: -insecure repeatable", lambda: t.expect(t.direct(
	    base + ["-digest", D, "-insecure", "a.io", "-insecure",
	    "b.io:5000"]), 0, accepted(ALPINE)))
	t.case("contract: -insecure bad host", lambda: t.expect(t.direct(
	    base + ["-digest", D, "-insecure", "http://a.io"]), 2,
	    'error: -insecure "http://a.io": want HOST[:PORT]'))
	t.case("contract: unexpected argument", lambda: t.expect(t.direct(
	    base + ["-digest", D, "extra"]), 2,
	    'error: unexpected argument "extra"'))
	t.case("contract: unknown flag first", lambda: t.expect(
	    t.direct(["-foo"] + base + ["-digest", D]), 2,
	    'error: unknown option "-foo"'))
	for bad in ["sha256:abc", "sha256:" + D[7:].upper(),
	    "md5:d41d8cd98f00b204e9800998ecf8427e", "sha512:" + D[7:],
	    "sha256:" + D[7:] + "0", "sha256:" + D[7:-1] + "g",
	    D[7:], "sha256:"]:
		t.case("contract: malformed -digest %r" % bad[:24],
		    lambda bad=bad: t.expect(t.direct(base + ["-digest", bad]),
		    2, 'error: -digest "%s": %s' % (bad, BAD_DIGEST)))
	t.case("contract: empty -digest", lambda: t.expect(
	    t.direct(base + ["-digest", ""]), 2, "error: -digest: empty value"))
	t.case("contract: -digest without a value", lambda: t.expect(
	    t.direct(base + ["-digest"]), 2,
	    'error: option "-digest" needs a value'))
	t.case("contract: -name without a value", lambda: t.expect(
	    t.direct(["-policy", P, "-digest", D, "-name"]), 2,
	    'error: option "-name" needs a value'))
	t.case("contract: no -name", lambda: t.expect(
	    t.direct(["-policy", P, "-digest", D]), 2,
	    "error: -name is required (see ivlite -h)"))
	t.case("contract: stray argument", lambda: t.expect(
	    t.direct(base + ["-digest", D, "extra"]), 2,
	    'error: unexpected argument "extra"'))
	t.case("contract: invalid reference", lambda: t.expect(
	    t.direct(["-policy", P, "-digest", D, "-name", "Docker.io/UPPER"]),
	    2, 'error: invalid reference "Docker.io/UPPER": repository name '
	    "must be lowercase"))

	# --- reference normalization (the REF in the reason) ------------------
	for name, ref in [
	    ("alpine", "docker.io/library/alpine:latest"),
	    ("alpine:3.20", "docker.io/library/alpine:3.20"),
	    ("library/alpine", "docker.io/library/alpine:latest"),
	    ("docker.io/alpine", "docker.io/library/alpine:latest"),
	    ("index.docker.io/library/alpine:1",
	     "docker.io/library/alpine:1"),
	]:
		t.case("contract: %s normalizes to %s" % (name, ref),
		    lambda name=name, ref=ref: t.expect(c(name), 0,
		    accepted(ref)))
	for name, ref in [
	    ("org/app:1", "docker.io/org/app:1"),
	    ("index.docker.io/x/y", "docker.io/x/y:latest"),
	    ("localhost:5000/x", "localhost:5000/x:latest"),
	    ("127.0.0.1:5000/app:v1", "127.0.0.1:5000/app:v1"),
	]:
		t.case("contract: %s normalizes to %s" % (name, ref),
		    lambda name=name, ref=ref: t.expect(c(name), 1,
		    "rejected %s@%s: %s" % (ref, D, REJ)))
	t.case("contract: by-digest name does not repeat the digest",
	    lambda: t.expect(c("alpine@" + D), 0,
	    "accepted docker.io/library/alpine@%s: %s" % (D, ACC)))
	t.case("contract: by-digest name rejected",
	    lambda: t.expect(c("ghcr.io/org/app@" + D), 1,
	    "rejected ghcr.io/org/app@%s: %s" % (D, REJ)))

	# keys are loaded before any network work: a missing one is exit 2
	for req, field in [
	    ({"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k.gpg"},
	     "keyPath: /k.gpg"),
	    ({"type": "signedBy", "keyType": "GPGKeys", "keyPaths":
	     ["/nonexistent/a.gpg"]}, "keyPaths[0]: /nonexistent/a.gpg"),
	    ({"type": "sigstoreSigned", "keyPath": "/nonexistent/p"},
	     "keyPath: /nonexistent/p"),
	    ({"type": "sigstoreSigned", "keyPaths": ["/nonexistent/a", "/b"]},
	     "keyPaths[0]: /nonexistent/a"),
	    ({"type": "sigstoreSigned", "pki": {"caRootsPath": "/nonexistent/c",
	     "subjectEmail": "a@example.com"}}, "pki.caRootsPath: /nonexistent/c"),
	]:
		pol = t.policy_file({"default": [R], "transports": {"docker": {
		    "quay.io": [req]}}}, "req-policy.json")
		t.case("contract: missing key file for %s" % field,
		    lambda pol=pol, field=field: t.expect(t.containerd(pol,
		    "quay.io/org/app:1", D), 2, 'error: %s: transports.docker'
		    '["quay.io"][0].%s: No such file or directory' % (pol,
		    field)))

	# --- -o json ----------------------------------------------------------
	def check_json(name, code, verdict, scope, reqs, digest=D,
	    desc="auto"):
		r = t.containerd(P, name, digest, desc=desc, opts=["-o", "json"])
		t.expect(r, code)
		try:
			o = json.loads(r.stdout)
		except ValueError as e:
			raise Fail("expected one JSON object, got %r (%s)"
			    % (r.stdout[:300], e))
		if not isinstance(o, dict):
			raise Fail("expected a JSON object, got %r" % o)
		want = {"verdict", "exit", "reference", "digest", "scope",
		    "requirements", "reason"}
		if set(o) != want:
			raise Fail("expected fields %s, got %s" % (sorted(want),
			    sorted(o)))
		got = (o["verdict"], o["exit"], o["digest"], o["scope"],
		    [(q.get("type"), q.get("ok")) for q in o["requirements"]])
		exp = (verdict, code, digest, scope, reqs)
		if scope is ANY:	# the scope may or may not be known yet
			got, exp = got[:3], exp[:3]
		if got != exp:
			raise Fail("expected %r, got %r" % (exp, got))
		for q in o["requirements"]:
			if not isinstance(q, dict) or \
			    not isinstance(q.get("type"), str) or \
			    not isinstance(q.get("ok"), bool) or \
			    not isinstance(q.get("detail"), str):
				raise Fail("expected requirement {type, ok, detail}, "
				    "got %r" % q)
		if not isinstance(o["reason"], str) or \
		    not o["reason"].startswith(verdict if code < 2 else "error"):
			raise Fail("expected reason text line, got %r"
			    % o["reason"])
		return o

	def json_accepted():
		o = check_json(ALPINE, 0, "accepted", 'transports.docker'
		    '["docker.io/library"]', [("insecureAcceptAnything", True)])
		if o["reference"] != ALPINE or o["reason"] != accepted(ALPINE) \
		    or o["requirements"][0]["ok"] is not True:
			raise Fail("expected reference %r and reason %r, got %r"
			    % (ALPINE, accepted(ALPINE), o))

	def json_rejected():
		o = check_json("quay.io/org/app:1", 1, "rejected", "default",
		    [("reject", False)])
		line = "rejected quay.io/org/app:1@%s: %s" % (D, REJ)
		if o["reason"] != line:
			raise Fail("expected reason %r, got %r" % (line,
			    o["reason"]))

	def json_error():
		o = check_json(ALPINE, 2, "error", ANY, ANY,
		    desc=containerd.descriptor(D2))
		line = "error: stdin descriptor: digest %s differs from -digest " \
		    "%s" % (D2, D)
		if o["reason"] != line:
			raise Fail("expected reason %r, got %r" % (line, o["reason"]))

	def json_escaping():
		# a reference is plain ASCII; make sure the output still
		# survives a strict parser with a by-digest reference
		check_json("alpine@" + D, 0, "accepted", 'transports.docker'
		    '["docker.io/library"]', [("insecureAcceptAnything", True)])

	def json_requirement_fields():
		o = check_json("quay.io/org/app:1", 1, "rejected", "default",
		    [("reject", False)])
		for q in o["requirements"]:
			if set(q) != {"type", "requirement", "ok", "detail"}:
				raise Fail("expected requirement fields exactly "
				    "type, requirement, ok, detail, got %r" % q)
			if q["requirement"] != "reject":
				raise Fail("expected requirement 'reject', got %r"
				    % q["requirement"])

	t.case("contract: -o json accepted", json_accepted)
	t.case("contract: -o json requirement fields", json_requirement_fields)
	t.case("contract: -o json rejected", json_rejected)
	t.case("contract: -o json error", json_error)
	t.case("contract: -o json by-digest", json_escaping)
	t.case("contract: -o bogus", lambda: t.expect(t.direct(base + [
	    "-digest", D, "-o", "yaml"]), 2,
	    'error: -o "yaml": want text or json'))

	# --- -version, -check -------------------------------------------------
	def version():
		r = t.direct(["-version"])
		t.expect(r, 0, one_line=False)
		if not r.reason:
			raise Fail("expected version text on stdout, got nothing")
	t.case("contract: -version", version)

	# The shipped policies name key files under /etc/pki/containers (and
	# trust policies under /etc/containerd/image-verifiers), which a test
	# machine does not have and -check opens; each is checked
	# as a copy whose paths point at fresh test keys of the same kind.
	# (the scopes: each policy's plus its default; a registries.d that
	# lets every signature be found, not the machine's: without it -check
	# warns, tests/test_config.py)
	def check_shipped(f, regd=None, nregd=1):
		copy = with_test_keys(t, f)
		if not regd:
			regd = t.lab.mkdir("registries.d-default")
			with open(os.path.join(regd, "default.yaml"), "w") as fh:
				fh.write("default-docker:\n  lookaside: https://sigs."
				    "example.com\n  use-sigstore-attachments: true\n")
		with open(f) as fh:
			pol = json.load(fh)
		n = 1 + sum(len(v) for v in pol.get("transports", {}).values())
		t.expect(t.direct(["-check", "-policy", copy, "-registries-d",
		    regd]), 0, "ok: %s: %d scope%s; %s: %d scope%s" % (copy, n,
		    "" if n == 1 else "s", regd, nregd, "" if nregd == 1 else "s"))
	for f in sorted(glob.glob(os.path.join(t.policies, "*.json"))):
		t.case("contract: -check %s (key paths -> test keys)"
		    % os.path.relpath(f, t.root), lambda f=f: check_shipped(f))
	# policies/registries.d: the example registries.d installed with the
	# policies, which every policy above is checked with too
	regd_example = os.path.join(t.policies, "registries.d")

	for f in sorted(glob.glob(os.path.join(t.policies, "*.json"))):
		t.case("contract: -check %s with policies/registries.d"
		    % os.path.relpath(f, t.root),
		    lambda f=f: check_shipped(f, regd_example, 3))

	def skopeo_regd(d):
		"""skopeo's error for an image on a closed port, having read
		registries.d D first (containers/image reads it before any
		connection)"""
		if labmod.missing_tools("skopeo"):
			raise Skip("skopeo not installed")
		p = labmod.run([labmod.SKOPEO, "--registries.d", d, "inspect",
		    "--raw", "--tls-verify=false", "docker://127.0.0.1:9/x:1"],
		    timeout=60, check=False, env={"HOME": t.lab.dir,
		    "PATH": os.environ.get("PATH", "/usr/bin:/bin")})
		return p.returncode, p.stderr.strip()

	def skopeo_example():
		broken = t.lab.mkdir("registries.d-broken")
		with open(os.path.join(regd_example, "example.yaml")) as fh, \
		    open(os.path.join(broken, "example.yaml"), "w") as out:
			out.write(fh.read().replace("use-sigstore-attachments: true",
			    "use-sigstore-attachments: [true", 1))
		rc, err = skopeo_regd(broken)
		if rc != 1 or "parsing %s/example.yaml" % broken not in err:
			raise Fail("skopeo on a broken copy: exit %d, %r (want it "
			    "to name the file: the probe must read registries.d)"
			    % (rc, err[-400:]))
		rc, err = skopeo_regd(regd_example)
		if rc != 1 or "pinging container registry 127.0.0.1:9" not in err \
		    or "parsing " + regd_example in err:
			raise Fail("skopeo --registries.d %s: exit %d, %r (want it "
			    "past registries.d, failing to connect)" % (regd_example,
			    rc, err[-400:]))
	t.case("contract: skopeo reads policies/registries.d (and names a "
	    "broken copy)", skopeo_example)

	def installed():
		d = t.lab.mkdir("install")
		p = labmod.run(["make", "-s", "-C", t.root, "install",
		    "DESTDIR=" + d, "PREFIX=/usr"], timeout=300, check=False)
		if p.returncode:
			raise Fail("make install: exit %d: %s" % (p.returncode,
			    (p.stdout + p.stderr)[-600:]))
		with open(os.path.join(regd_example, "example.yaml")) as fh, \
		    open(os.path.join(d, "usr/share/ivlite/registries.d/"
		    "example.yaml")) as got:
			if fh.read() != got.read():
				raise Fail("installed registries.d/example.yaml differs")
		with open(os.path.join(t.root, "config.mk")) as fh:
			v = re.search(r"^VERSION = (\S+)$", fh.read(), re.M).group(1)
		with open(os.path.join(d, "usr/share/man/man1/ivlite.1")) as fh:
			os_line = [l for l in fh if l.startswith(".Os")]
		if os_line != [".Os ivlite %s\n" % v]:
			raise Fail("installed ivlite.1: %r, want .Os ivlite %s"
			    % (os_line, v))
	t.case("contract: make install DESTDIR: policies/registries.d and "
	    "ivlite.1 with config.mk's version", installed)
	def stale_config():
		"""A config.h copied before config.def.h gained limits: make names
		what it lacks, instead of ivlite.c's #error on a limit that reads
		as 0; a complete one is left as it is"""
		import shutil
		d = t.lab.mkdir("stale-config")
		for f in ("Makefile", "config.mk", "config.def.h", "ivlite.c"):
			shutil.copy(os.path.join(t.root, f), d)
		with open(os.path.join(d, "config.def.h")) as fh:
			full = fh.read()
		old = "".join(l for l in full.splitlines(True) if not
		    l.startswith(("#define MAX_CRLS ", "#define CHECK_EXPIRY_DAYS ",
		    "static const char *logpath ")))
		with open(os.path.join(d, "config.h"), "w") as fh:
			fh.write(old)
		os.utime(os.path.join(d, "config.h"), (1, 1))
		p = labmod.run(["make", "-s", "-C", d, "ivlite"], timeout=120,
		    check=False)
		want = ("config.h lacks logpath MAX_CRLS CHECK_EXPIRY_DAYS: copy "
		    "them from config.def.h, or remove config.h to start anew")
		if p.returncode != 2 or want not in p.stdout + p.stderr or \
		    os.path.exists(os.path.join(d, "ivlite")):
			raise Fail("make ivlite: exit %d, %r; want exit 2 and %r" % (
			    p.returncode, (p.stdout + p.stderr)[-600:], want))
		with open(os.path.join(d, "config.h"), "w") as fh:
			fh.write(full + "/* mine */\n")
		os.utime(os.path.join(d, "config.h"), (1, 1))
		p = labmod.run(["make", "-s", "-C", d, "config.h"], timeout=60,
		    check=False)
		with open(os.path.join(d, "config.h")) as fh:
			kept = fh.read() == full + "/* mine */\n"
		if p.returncode or not kept:
			raise Fail("make config.h on a complete one: exit %d, %r, kept "
			    "%s" % (p.returncode, (p.stdout + p.stderr)[-600:], kept))
	t.case("contract: make with a config.h older than config.def.h names "
	    "what it lacks", stale_config)
	# on a machine without the keys, -check names the first missing one
	kios = os.path.join(t.policies, "kios.json")
	t.case("contract: -check names a missing key file", lambda: t.expect(
	    t.direct(["-check", "-policy", kios]), 2, 'error: %s: '
	    'transports.docker["example.com"][0].keyPath: '
	    '/etc/pki/containers/example.com.gpg: No such file or directory'
	    % kios) if not os.path.exists("/etc/pki/containers/example.com.gpg")
	    else None)
	def policies_present():
		names = sorted(os.path.basename(f) for f in
		    glob.glob(os.path.join(t.policies, "*.json")))
		want = ["byo-pki.json", "cosign-prefix.json", "cosign3-key.json",
		    "cosign3-github-actions.json", "digest-pinning.json",
		    "kios.json"]
		if not set(want) <= set(names):
			raise Fail("expected %s in %s, got %s" % (want, t.policies,
			    names))
	t.case("contract: policies/ has the six deployment files",
	    policies_present)

	typo = t.policy_file({"default": [R], "transports": {"docker": {
	    "quay.io": [{"type": "sigstoreSigned", "keyPth": "/p"}]}}},
	    "typo.json")
	t.case("contract: -check unknown field", lambda: t.expect(
	    t.direct(["-check", "-policy", typo]), 2,
	    'error: %s: transports.docker["quay.io"][0]: unknown field '
	    '"keyPth"' % typo))
	t.case("contract: broken policy in a containerd run", lambda: t.expect(
	    t.containerd(typo, ALPINE, D), 2, 'error: %s: transports.docker'
	    '["quay.io"][0]: unknown field "keyPth"' % typo))
	empty = "the list of requirements must not be empty"
	for label, text, why in [
	    ("missing default", '{"transports": {"docker": {}}}',
	     '"default" is missing'),
	    ("empty requirement list", '{"default": []}', "default: " + empty),
	    ("empty scope list", '{"default": [{"type": "reject"}], '
	     '"transports": {"docker": {"quay.io": []}}}',
	     'transports.docker["quay.io"]: ' + empty),
	    ("duplicate key", '{"default": [{"type": "reject"}], '
	     '"default": [{"type": "reject"}]}',
	     'top level: duplicate field "default"'),
	    ("duplicate scope", '{"default": [{"type": "reject"}], '
	     '"transports": {"docker": {"quay.io": [{"type": "reject"}], '
	     '"quay.io": [{"type": "reject"}]}}}',
	     'transports.docker: duplicate key "quay.io"'),
	    ("unknown type", '{"default": [{"type": "acceptEverything"}]}',
	     'default[0].type: unknown requirement type "acceptEverything"'),
	    ("wrong type", '{"default": {"type": "reject"}}',
	     "top level.default: expected an array, got an object"),
	    ("trailing garbage", '{"default": [{"type": "reject"}]} x',
	     "line 1, column 35: invalid JSON"),
	    ("not JSON", 'default: reject', "line 1, column 1: invalid JSON"),
	    ("empty file", '', "line 1: JSON ends too early"),
	]:
		f = t.lab.write("broken.json", text)
		t.case("contract: -check broken policy (%s)" % label,
		    lambda f=f, why=why: t.expect(t.direct(["-check", "-policy",
		    f]), 2, "error: %s: %s" % (f, why)))
	missing = os.path.join(t.lab.dir, "no-such-policy.json")
	t.case("contract: -check missing policy file", lambda: t.expect(
	    t.direct(["-check", "-policy", missing]), 2,
	    "error: %s: No such file or directory" % missing))
