#!/usr/bin/python3
"""sigstoreSigned with public keys: cosign-format signatures in a real
registry, registries.d, every signedIdentity type.

Signatures are written by tests/cosign.py (Debian's skopeo and podman
cannot write them) and pushed to the run's plain-HTTP docker-registry;
ivlite runs standalone (no -digest: it resolves the tag) with -insecure
for that registry, a fresh policy and a registries.d directory per case,
and each case asserts the exact exit code and reason line:

  accepted REF@DIGEST: scope SCOPE: DESC: signature I of N verified,
      identity IDENT
  rejected REF@DIGEST: scope SCOPE: DESC: no signature: WHY
  rejected REF@DIGEST: scope SCOPE: DESC: N signature(s), none valid:
      #1 WHY; #2 WHY
  error: …  (exit 3: registry/attachment failures; exit 2: configuration)

Errors are asserted as whole lines too, built from what varies per run
(ports, paths, digests).

Sections: the tool's own self-check against sigstore.md ("cosign tool:"),
keys and signature encodings, candidates (annotations, payloads, several
layers), signedIdentity, discovery (registries.d lookups, the .sig tag,
registry failures through a FakeRegistry), registries.d YAML, the
differential against Debian's skopeo (which discovers attachments but
refuses to verify them: "Debian-local change: sigstore disabled"), and
the cosign-prefix deployment through the containerd harness.
Run through tests/integration.py.
"""

import base64
import concurrent.futures
import json
import os
import re
import threading

import containerd
import cosign
import lab as labmod
from integration import Fail, Skip

A = {"type": "insecureAcceptAnything"}
R = {"type": "reject"}
REJECT = "reject: this scope rejects all images"
# a lookaside that holds nothing: skopeo reads simple-signing signatures
# from the lookaside of the scope too, and a missing file:// directory
# means "none there" (an unreachable https:// URL would be an error)
NO_LOOKASIDE = "file:///nonexistent/ivlite-lab/sigstore"
NOSIG_ANN = "no dev.cosignproject.cosign/signature annotation"
BAD_B64 = "signature annotation is not valid base64"
OTHER_KEY = "signed by another key"

NOENT = "No such file or directory"	# strerror(ENOENT), glibc and musl
NOT_PEM = "not a PEM public key"
# payload: optional with a member of the wrong type
OPT_TYPES = "optional: creator must be a string, timestamp an integer"


def scope(s):
	return 'scope transports.docker["%s"]' % s


def shown(ref, digest):
	return ref if "@" in ref else "%s@%s" % (ref, digest)


def accepted(ref, digest, sc, desc, i, n, ident):
	return "accepted %s: %s: %s: signature %d of %d verified, identity %s" \
	    % (shown(ref, digest), sc, desc, i, n, ident)


def rejected(ref, digest, sc, desc, why):
	return "rejected %s: %s: %s: %s" % (shown(ref, digest), sc, desc, why)


def none_valid(*whys):
	n = len(whys)
	return "%d signature%s, none valid: %s" % (n, "" if n == 1 else "s",
	    "; ".join("#%d %s" % (i + 1, w) for i, w in enumerate(whys)))


def mismatch(ident, want, typ):
	"""A signed identity that names the image's repository alone (as
	cosign's does) also says which signedIdentity takes it."""
	repo = want.split("@")[0]
	if ":" in repo.rsplit("/", 1)[-1]:
		repo = repo.rsplit(":", 1)[0]
	hint = ident == repo and typ != "exactReference"
	return "identity %s does not match %s (%s)%s" % (ident, want, typ,
	    ": cosign signs the repository; use signedIdentity "
	    "matchRepository" if hint else "")


def lab_need(fn):
	try:
		return fn()
	except labmod.LabError as e:
		raise Skip(str(e))


class Sig:
	"""The section's shared state: registry, keys, directories."""

	def __init__(self, t):
		self.t = t
		self.lab = t.lab
		self._keys = {}
		self._files = {}
		self._n = 0
		self._regd = None
		self.lock = threading.RLock()
		self.pending = []
		self.certs = t.lab.mkdir("sig-certs.d")
		self.auth = labmod.auth_json(t.lab, {}, name="sig-auth.json")
		self._fake = None

	@property
	def reg(self):
		return self.t.registry()

	@property
	def host(self):
		return self.reg.host

	def key(self, name="p256"):
		"""A key pair named NAME; its kind is NAME's first word."""
		with self.lock:
			if name not in self._keys:
				self._keys[name] = lab_need(lambda: cosign.Key(
				    name.split("-")[0]))
			return self._keys[name]

	def keyfile(self, name="p256", pkcs1=False):
		k = (name, pkcs1)
		with self.lock:
			if k not in self._files:
				self._files[k] = self.key(name).write(self.lab,
				    "cosign-%s%s" % (name, "-pkcs1" if pkcs1 else ""),
				    pkcs1)
			return self._files[k]

	def regd(self, files):
		"""A registries.d directory holding FILES {name: text}."""
		d = self.lab.mkdir("registries.d")
		for name, text in files.items():
			with open(os.path.join(d, name), "wb") as f:
				f.write(text.encode() if isinstance(text, str) else text)
		return d

	def enabled(self):
		"""registries.d enabling attachments for the whole registry."""
		if self._regd is None:
			self._regd = self.regd({"lab.yaml": "docker:\n  %s:\n    "
			    "use-sigstore-attachments: true\n" % self.host})
		return self._regd

	def image(self, name, repo_dir="sig", tag="v1"):
		"""A fresh image REG/REPO_DIR/<NAME made a path component>-<N>:TAG
		(every call a new repository and digest); (repo, digest)."""
		with self.lock:
			self._n += 1
			repo = "%s/%s-%d" % (repo_dir, slug(name), self._n)
		d = lab_need(lambda: cosign.put_image(self.reg, repo, tag,
		    content="sigstore case %d %s" % (self._n, repo)))
		return repo, d

	def ref(self, repo, tag="v1", digest=None):
		return self.reg.ref(repo, tag, digest)

	def attach(self, repo, digest, layers, **kw):
		return lab_need(lambda: cosign.attach(self.reg, repo, digest,
		    layers, **kw))

	def policy(self, scopes, default=(R,)):
		return self.t.policy_file({"default": list(default),
		    "transports": {"docker": scopes}}, "sig-policy.json")

	def req(self, key="p256", identity=None, **kw):
		"""A sigstoreSigned requirement with keyPath of KEY (or KW)."""
		r = {"type": "sigstoreSigned"}
		if kw:
			r.update(kw)
		else:
			r["keyPath"] = self.keyfile(key)
		if identity is not None:
			r["signedIdentity"] = identity
		return r

	def ivlite(self, name, policy, regd=None, digest=None, insecure=None,
	    extra=()):
		argv = [self.t.ivlite, "-name", name, "-policy", policy,
		    "-registries-d", regd or self.enabled(), "-certs-d",
		    self.certs, "-auth", self.auth, "-insecure",
		    insecure or self.host]
		if digest:
			argv += ["-digest", digest]
		return containerd.run_direct(argv + list(extra), stdin=b"",
		    env=clean_env())

	def later(self, name, setup, check):
		"""Case NAME in two steps: SETUP() (registry pushes only: it runs
		in a thread pool with the other cases' set-ups, started by
		flush()), then CHECK(SETUP's result) in order in this thread."""
		self.pending.append((name, setup, check))

	def flush(self):
		"""Run the pending cases: set-ups 8 at a time, checks in order."""
		todo = [c for c in self.pending if self.t.selected(c[0])]
		self.pending = []
		if not todo:
			return
		try:
			self.reg	# started here, not by 8 threads at once
		except Skip as e:
			for name, _, _ in todo:
				self.t.case(name, _raise, e)
			return
		with concurrent.futures.ThreadPoolExecutor(8) as ex:
			futs = [ex.submit(setup) for _, setup, _ in todo]
			for (name, _, check), fut in zip(todo, futs):
				self.t.case(name, lambda check=check, fut=fut:
				    check(fut.result()))

	def fake(self):
		if self._fake is None:
			self._fake = cosign.FakeRegistry(self.lab)
		return self._fake


def slug(name):
	return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] \
	    .strip("-") or "x"


def clean_env():
	return {k: v for k, v in os.environ.items() if k.upper() not in
	    ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "ALL_PROXY",
	    "REGISTRY_AUTH_FILE", "DOCKER_CONFIG")}


def run(t):
	s = Sig(t)
	for section in (run_tool, run_keys, run_candidates, run_identity,
	    run_multiarch, run_discovery, run_fake, run_yaml, run_precedence,
	    run_differential, run_deployment):
		section(t, s)
		s.flush()


# --- the tool itself against sigstore.md -------------------------------------

SPEC_COSIGN = ('{"critical":{"identity":{"docker-reference":"%s"},"image":'
    '{"docker-manifest-digest":"%s"},"type":"cosign container image '
    'signature"},"optional":null}')
SPEC_PODMAN = ('{"critical":{"identity":{"docker-reference":"%s"},"image":'
    '{"docker-manifest-digest":"%s"},"type":"cosign container image '
    'signature"},"optional":{"creator":"%s","timestamp":%d}}')


def _pairs_no_dup(pairs):
	keys = [k for k, _ in pairs]
	if len(set(keys)) != len(keys):
		raise Fail("duplicate member in %r" % keys)
	return dict(pairs)


def check_payload(data, ref, digest, optional):
	"""sigstore.md §4, independently of cosign.payload()."""
	doc = json.loads(data, object_pairs_hook=_pairs_no_dup)
	want = {"critical", "optional"}
	if not isinstance(doc, dict) or set(doc) != want:
		raise Fail("top level: expected members %s, got %r" % (want, doc))
	c = doc["critical"]
	if set(c) != {"type", "image", "identity"}:
		raise Fail("critical: got members %s" % sorted(c))
	if c["type"] != "cosign container image signature":
		raise Fail("critical.type %r" % c["type"])
	if set(c["image"]) != {"docker-manifest-digest"} or \
	    c["image"]["docker-manifest-digest"] != digest or \
	    not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
		raise Fail("critical.image %r" % c["image"])
	if c["identity"] != {"docker-reference": ref}:
		raise Fail("critical.identity %r" % c["identity"])
	if doc["optional"] != optional:
		raise Fail("optional %r, expected %r" % (doc["optional"],
		    optional))
	exact = SPEC_COSIGN % (ref, digest) if optional is None else \
	    SPEC_PODMAN % (ref, digest, optional["creator"],
	    optional["timestamp"])
	if data != exact.encode():
		raise Fail("payload bytes differ from sigstore.md §4's layout:\n"
		    "  got  %r\n  want %r" % (data, exact))


def run_tool(t, s):
	def layout():
		"""Push an attachment with both payload flavours and every key
		kind, fetch it back, check it field by field."""
		repo, d = s.image("tool-layout")
		ref = s.ref(repo)
		kinds = ["p256", "p384", "p521", "rsa2048", "rsa3072"]
		pays = []
		for i, k in enumerate(kinds):
			if i % 2:
				pays.append((cosign.podman_payload(ref, d),
				    s.ref(repo, "v1"), {"creator": cosign.CREATOR,
				    "timestamp": cosign.TIMESTAMP}))
			else:
				pays.append((cosign.cosign_payload(s.ref(repo, None), d),
				    s.ref(repo, None), None))
		layers = [cosign.Layer(p, key=s.key(k)) for k, (p, _, _) in
		    zip(kinds, pays)]
		s.attach(repo, d, layers)
		# §1.2: the tag, built here from the digest by hand
		tag = "sha256-%s.sig" % d.split(":", 1)[1]
		if cosign.sig_tag(d) != tag or not re.fullmatch(
		    r"sha256-[0-9a-f]{64}\.sig", tag):
			raise Fail("tag %r, expected %r" % (cosign.sig_tag(d), tag))
		st, ct, body = cosign.get(s.reg, repo, "manifests/" + tag)
		if st != 200:
			raise Fail("GET %s:%s: %d" % (repo, tag, st))
		# §1.4: OCI media type, no ambiguous members
		if ct != "application/vnd.oci.image.manifest.v1+json":
			raise Fail("Content-Type %r" % ct)
		m = json.loads(body, object_pairs_hook=_pairs_no_dup)
		if m.get("schemaVersion") != 2 or m.get("mediaType") != ct or \
		    set(m) & {"manifests", "fsLayers", "history"}:
			raise Fail("manifest %r" % m)
		if len(m["layers"]) != len(kinds):
			raise Fail("expected %d layers, got %d" % (len(kinds),
			    len(m["layers"])))
		for k, (p, ident, opt), ly in zip(kinds, pays, m["layers"]):
			# §1.5/§1.6: layer media type, blob = payload
			if ly["mediaType"] != \
			    "application/vnd.dev.cosign.simplesigning.v1+json":
				raise Fail("layer media type %r" % ly["mediaType"])
			st, _, blob = cosign.get(s.reg, repo, "blobs/" +
			    ly["digest"], "*/*")
			if st != 200 or labmod.sha256_digest(blob) != \
			    ly["digest"] or len(blob) != ly["size"] or blob != p:
				raise Fail("blob %s: %d, %d bytes" % (ly["digest"], st,
				    len(blob)))
			check_payload(blob, ident, d, opt)
			# §1 annotation table: exactly the signature annotation
			ann = ly.get("annotations") or {}
			if list(ann) != ["dev.cosignproject.cosign/signature"]:
				raise Fail("annotations %r" % ann)
			b64 = ann["dev.cosignproject.cosign/signature"]
			sig = base64.b64decode(b64, validate=True)
			if base64.b64encode(sig).decode() != b64:
				raise Fail("annotation is not canonical base64: %r"
				    % b64)
			# §6: verifies over the exact bytes, with the key file as
			# written, using cryptography's own implementation
			with open(s.keyfile(k), "rb") as f:
				pem = f.read()
			if not pem.startswith(b"-----BEGIN PUBLIC KEY-----\n"):
				raise Fail("%s key file: %r" % (k, pem[:40]))
			if not cosign.verify(pem, sig, blob):
				raise Fail("%s signature does not verify" % k)
			if cosign.verify(pem, sig, blob + b" "):
				raise Fail("%s signature verifies a changed payload" % k)
			check_encoding(k, s.key(k), sig, blob)
	t.case("cosign tool: attachment layout matches sigstore.md §1, §4, §6",
	    layout)

	def pkcs1_and_p1363():
		from cryptography.hazmat.primitives import serialization as ser
		k = s.key("rsa2048")
		with open(s.keyfile("rsa2048", pkcs1=True), "rb") as f:
			pem = f.read()
		if not pem.startswith(b"-----BEGIN RSA PUBLIC KEY-----\n"):
			raise Fail("PKCS#1 file: %r" % pem[:40])
		if ser.load_pem_public_key(pem).public_numbers() != \
		    k.pub.public_numbers():
			raise Fail("PKCS#1 file holds another key")
		e = s.key("p256")
		data = cosign.cosign_payload("x.io/a", "sha256:" + "0" * 64)
		raw = e.sign(data, p1363=True)
		if len(raw) != 64 or raw[0] == 0x30:
			raise Fail("P1363 signature of %d bytes starting %02x"
			    % (len(raw), raw[0]))
		from cryptography.hazmat.primitives.asymmetric import utils
		der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"),
		    int.from_bytes(raw[32:], "big"))
		if not cosign.verify(e.pem(), der, data):
			raise Fail("P1363 r||s does not convert to a valid DER "
			    "signature")
		if cosign.verify(e.pem(), e.sign(data, "sha384"), data):
			raise Fail("a SHA-384 ECDSA signature verifies as SHA-256")
	t.case("cosign tool: RSA PUBLIC KEY (PKCS#1) file and P1363 encoding",
	    pkcs1_and_p1363)

	def options():
		repo, d = s.image("tool-options")
		k = s.key("p256")
		p = cosign.cosign_payload(s.ref(repo, None), d)
		s.attach(repo, d, [cosign.Layer(p, key=k),
		    cosign.Layer(b"gone", key=k, missing=True),
		    cosign.Layer(b"{}", media_type="application/x-other",
		    no_annotation=True)], tag="options")
		st, ct, body = cosign.get(s.reg, repo, "manifests/options")
		ly = json.loads(body)["layers"]
		if [x["mediaType"] for x in ly] != [cosign.MT_SIMPLESIGNING] * 2 \
		    + ["application/x-other"] or "annotations" in ly[2]:
			raise Fail("layers %r" % ly)
		st, _, _ = cosign.get(s.reg, repo, "blobs/" + ly[1]["digest"],
		    "*/*")
		if st != 404:
			raise Fail("the missing blob answers %d" % st)
		s.attach(repo, d, [cosign.Layer(p, key=k)], docker=True,
		    tag="docker")
		st, ct, body = cosign.get(s.reg, repo, "manifests/docker",
		    labmod.ACCEPT)
		if ct != cosign.MT_DOCKER_MANIFEST or \
		    json.loads(body)["mediaType"] != ct:
			raise Fail("docker .sig: Content-Type %r" % ct)
	t.case("cosign tool: missing blob, other media type, Docker .sig",
	    options)

	def skopeo_finds_it():
		"""A third-party reader finds the attachment: skopeo's debug
		log counts its layers (and then refuses to verify)."""
		if labmod.missing_tools("skopeo"):
			raise Skip("skopeo not installed")
		repo, d = s.image("tool-skopeo")
		k = s.key("p256")
		p = cosign.cosign_payload(s.ref(repo, None), d)
		s.attach(repo, d, [cosign.Layer(p, key=k),
		    cosign.Layer(p, key=k)])
		pol = s.policy({s.host: [s.req(identity={"type":
		    "matchRepository"})]})
		r = skopeo(s, pol, s.enabled(), s.ref(repo), debug=True)
		want = ["Found a sigstore attachment manifest with 2 layers",
		    "Fetching sigstore attachment 2/2: " + labmod.sha256_digest(p)]
		miss = [w for w in want if w not in r.stderr]
		if miss or r.returncode == 0:
			raise Fail("expected skopeo to reject after logging %r, got "
			    "exit %d: %s" % (miss, r.returncode, r.stderr[-800:]))
	t.case("cosign tool: skopeo discovers the attachment (debug log)",
	    skopeo_finds_it)


def check_encoding(kind, key, sig, data):
	from cryptography.hazmat.primitives.asymmetric import utils
	if kind.startswith("p"):
		try:
			utils.decode_dss_signature(sig)
		except ValueError:
			raise Fail("%s signature is not DER" % kind)
		if kind == "p384" and cosign.verify(key.pem(), key.sign(data,
		    "sha384"), data):
			raise Fail("p384: SHA-384 signature accepted as SHA-256")
	elif len(sig) != key.size:
		raise Fail("%s signature of %d bytes, modulus %d" % (kind,
		    len(sig), key.size))


# --- keys and encodings ------------------------------------------------------

def signed_case(t, s, name, layers_fn, req_fn, code, why_fn, pull="tag"):
	"""Case NAME: a fresh image, the layers LAYERS_FN(repo, digest)
	attached (None: no .sig at all), policy {REG: [REQ_FN()]}, a tag or
	by-digest PULL; expect exit CODE and the reason "accepted|rejected
	REF@DIGEST: scope …: DESC: " + WHY_FN(repo, digest), exactly."""
	def setup():
		repo, d = s.image(name)
		layers = layers_fn(repo, d)
		if layers is not None:
			s.attach(repo, d, layers)
		return repo, d

	def f(made):
		repo, d = made
		req = req_fn()
		pol = s.policy({s.host: [req]})
		ref = s.ref(repo) if pull == "tag" else s.ref(repo, None, d)
		r = s.ivlite(ref, pol)
		why = why_fn(repo, d)
		line = "%s %s: %s: %s: %s" % ("accepted" if code == 0 else
		    "rejected", shown(ref, d), scope(s.host), desc(req), why)
		t.expect(r, code, line)
	s.later("sigstore: " + name, setup, f)


def desc(req):
	"""How ivlite names requirement REQ (a sigstoreSigned dict)."""
	if "keyPath" in req:
		return "sigstoreSigned(keyPath=%s)" % req["keyPath"]
	if "keyPaths" in req:
		return "sigstoreSigned(keyPaths=[%s])" % ",".join(req["keyPaths"])
	if "keyData" in req:
		return "sigstoreSigned(keyData)"
	if "keyDatas" in req:
		return "sigstoreSigned(keyDatas)"
	raise ValueError(req)


def ok(i=1, n=1, ident=None):
	"""why_fn for an accepted image (IDENT default: the tagged ref)."""
	return lambda s_repo, d: "signature %d of %d verified, identity %s" \
	    % (i, n, ident(s_repo) if callable(ident) else ident)


def run_keys(t, s):
	tagged = lambda repo: s.ref(repo)
	pod = lambda repo, d: cosign.podman_payload(s.ref(repo), d)

	def one(key="p256", **kw):
		return lambda repo, d: [cosign.Layer(pod(repo, d), key=s.key(key),
		    **kw)]

	accept = lambda: ok(1, 1, tagged)
	for kind in ("p256", "p384", "p521", "rsa2048", "rsa3072"):
		signed_case(t, s, "%s key accepted" % kind, one(kind),
		    lambda kind=kind: s.req(kind), 0, accept())
	signed_case(t, s, "RSA PUBLIC KEY (PKCS#1) file accepted",
	    one("rsa2048"), lambda: {"type": "sigstoreSigned",
	    "keyPath": s.keyfile("rsa2048", pkcs1=True)}, 0, accept())
	signed_case(t, s, "ECDSA signature as P1363 r||s accepted",
	    one("p256", p1363=True), lambda: s.req("p256"), 0, accept())
	signed_case(t, s, "P-384 signature in P1363 form accepted",
	    one("p384", p1363=True), lambda: s.req("p384"), 0, accept())
	bad1 = lambda: lambda repo, d: none_valid(OTHER_KEY)
	signed_case(t, s, "wrong key rejected", one("p256-other"),
	    lambda: s.req("p256"), 1, bad1())
	signed_case(t, s, "RSA key, ECDSA signature rejected", one("p256"),
	    lambda: s.req("rsa2048"), 1, bad1())
	signed_case(t, s, "P-384 key, SHA-384 signature rejected",
	    one("p384", hash_name="sha384"), lambda: s.req("p384"), 1, bad1())
	signed_case(t, s, "RSA key, SHA-512 signature rejected",
	    one("rsa2048", hash_name="sha512"), lambda: s.req("rsa2048"), 1,
	    bad1())

	def corrupt(repo, d):
		p = pod(repo, d)
		sig = bytearray(s.key("p256").sign(p))
		sig[-3] ^= 0x01
		return [cosign.Layer(p, signature=bytes(sig))]
	signed_case(t, s, "corrupted signature rejected", corrupt,
	    lambda: s.req("p256"), 1, bad1())

	def doubled(repo, d):
		p = pod(repo, d)
		sig = s.key("p256").sign(p)
		return [cosign.Layer(p, signature=sig + sig)]
	signed_case(t, s, "doubled DER signature rejected", doubled,
	    lambda: s.req("p256"), 1, bad1())

	def trailing(repo, d):
		p = pod(repo, d)
		return [cosign.Layer(p, signature=s.key("p256").sign(p) + b"\0")]
	signed_case(t, s, "DER signature with a trailing byte rejected",
	    trailing, lambda: s.req("p256"), 1, bad1())
	signed_case(t, s, "empty signature rejected",
	    lambda repo, d: [cosign.Layer(pod(repo, d), annotation="")],
	    lambda: s.req("p256"), 1, bad1())

	def tampered(repo, d):
		p = pod(repo, d)
		return [cosign.Layer(p.replace(b":v1\"", b":v2\""), key=s.key(),
		    sign_over=p)]
	signed_case(t, s, "tampered payload rejected", tampered,
	    lambda: s.req("p256"), 1, bad1())

	def rsa_short(repo, d):
		p = pod(repo, d)
		return [cosign.Layer(p, signature=s.key("rsa2048").sign(p)[1:])]
	signed_case(t, s, "RSA signature shorter than the modulus rejected",
	    rsa_short, lambda: s.req("rsa2048"), 1, bad1())

	paths = lambda *ks: {"type": "sigstoreSigned",
	    "keyPaths": [s.keyfile(k) for k in ks]}
	datas = lambda *ks: {"type": "sigstoreSigned",
	    "keyDatas": [s.key(k).key_data() for k in ks]}
	signed_case(t, s, "keyPaths: the second key verifies", one("p256"),
	    lambda: paths("p256-other", "p256"), 0, accept())
	signed_case(t, s, "keyPaths: ECDSA and RSA keys, RSA signature",
	    one("rsa3072"), lambda: paths("p384", "rsa3072"), 0, accept())
	signed_case(t, s, "keyPaths: neither key verifies", one("p256"),
	    lambda: paths("p256-other", "p384"), 1, bad1())
	signed_case(t, s, "keyData accepted", one("p384"),
	    lambda: {"type": "sigstoreSigned", "keyData":
	    s.key("p384").key_data()}, 0, accept())
	signed_case(t, s, "keyData of another key rejected", one("p384"),
	    lambda: {"type": "sigstoreSigned", "keyData":
	    s.key("p256").key_data()}, 1, bad1())
	signed_case(t, s, "keyData holding an RSA PUBLIC KEY accepted",
	    one("rsa2048"), lambda: {"type": "sigstoreSigned", "keyData":
	    s.key("rsa2048").key_data(pkcs1=True)}, 0, accept())
	signed_case(t, s, "keyDatas: the second key verifies", one("p256"),
	    lambda: datas("rsa2048", "p256"), 0, accept())
	signed_case(t, s, "keyDatas: no key verifies", one("p256"),
	    lambda: datas("rsa2048", "p256-other"), 1, bad1())

	def pem_with_text(repo, d):
		return one("p256")(repo, d)

	def key_with_text():
		# only the first PEM block counts; text around it is ignored
		p = s.lab.write("cosign-text.pub", b"comment line\n" +
		    s.key("p256").pem() + s.key("p256-other").pem() + b"trailer\n")
		return {"type": "sigstoreSigned", "keyPath": p}
	signed_case(t, s, "key file: text around the first PEM block ignored",
	    pem_with_text, key_with_text, 0, accept())

	def second_block_only():
		p = s.lab.write("cosign-second.pub", s.key("p256-other").pem() +
		    s.key("p256").pem())
		return {"type": "sigstoreSigned", "keyPath": p}
	signed_case(t, s, "key file: a second PEM block is not used",
	    one("p256"), second_block_only, 1, bad1())

	# configuration errors: exit 2, before any network work (sigstore.md
	# §13.15): a containerd run (-digest) for a repository that does not
	# exist (fetching its .sig would say "no signature"), and -check
	never = labmod.sha256_digest(b"never fetched")

	def config_case(name, make_req, why, field="keyPath"):
		def f():
			req, fname = make_req()
			pol = s.policy({s.host: [req]})
			line = 'error: %s: transports.docker["%s"][0].%s: %s%s' % (
			    pol, s.host, field, fname + ": " if fname else "", why)
			for r in (s.ivlite(s.ref("sig/never-fetched"), pol,
			    digest=never), t.direct(["-check", "-policy", pol,
			    "-registries-d", s.enabled()])):
				t.expect(r, 2, line)
		t.case("sigstore config: " + name, f)

	def standalone_order():
		missing = os.path.join(s.lab.dir, "no-such-key.pub")
		pol = s.policy({s.host: [{"type": "sigstoreSigned",
		    "keyPath": missing}]})
		r = s.ivlite(s.ref("sig/never-pushed"), pol)
		t.expect(r, 2, 'error: %s: transports.docker["%s"][0].keyPath: '
		    '%s: %s' % (pol, s.host, missing, NOENT))
	t.case("sigstore config: standalone: a key error comes before "
	    "resolving the tag", standalone_order)

	missing = os.path.join(s.lab.dir, "no-such-key.pub")
	config_case("missing keyPath file", lambda: ({"type": "sigstoreSigned",
	    "keyPath": missing}, missing), NOENT)

	def keyfile_case(name, data):
		def make():
			p = s.lab.write("bad-key.pub", data)
			return {"type": "sigstoreSigned", "keyPath": p}, p
		config_case(name, make, NOT_PEM)
	keyfile_case("keyPath file is not PEM", b"not a key at all\n")
	keyfile_case("keyPath file is a GPG keyring", b"\x99\x01\x0d\x04" +
	    b"\0" * 64)
	keyfile_case("keyPath file is an empty file", b"")

	def private_pem():
		from cryptography.hazmat.primitives import serialization as ser
		return s.key("p256").priv.private_bytes(ser.Encoding.PEM,
		    ser.PrivateFormat.PKCS8, ser.NoEncryption())
	config_case("keyPath file is a PRIVATE KEY", lambda: (lambda p: (
	    {"type": "sigstoreSigned", "keyPath": p}, p))(s.lab.write(
	    "private.pub", private_pem())), NOT_PEM)

	def cert_pem():
		with open(lab_need(lambda: labmod.ca_cert(s.lab)[0]), "rb") as f:
			return f.read()
	config_case("keyPath file is a CERTIFICATE", lambda: (lambda p: (
	    {"type": "sigstoreSigned", "keyPath": p}, p))(s.lab.write(
	    "cert.pub", cert_pem())), NOT_PEM)

	def broken_pem():
		pem = s.key("p256").pem().replace(b"A", b"!", 3)
		p = s.lab.write("broken.pub", pem)
		return {"type": "sigstoreSigned", "keyPath": p}, p
	config_case("keyPath PEM with broken base64", broken_pem, NOT_PEM)
	config_case("keyPaths: one missing file is an error even if another "
	    "key would do", lambda: ({"type": "sigstoreSigned", "keyPaths":
	    [s.keyfile("p256"), missing]}, missing), NOENT,
	    field="keyPaths[1]")
	config_case("keyData that is not a PEM key", lambda: ({"type":
	    "sigstoreSigned", "keyData": base64.b64encode(b"not a key")
	    .decode()}, None), NOT_PEM, field="keyData")


# --- candidates: annotations, payloads, several layers -----------------------

def run_candidates(t, s):
	pod = lambda repo, d: cosign.podman_payload(s.ref(repo), d)
	key = lambda: s.key("p256")
	req = lambda: s.req("p256")
	acc = lambda i, n: ok(i, n, lambda repo: s.ref(repo))

	def nv(*whys):
		return lambda repo, d: none_valid(*whys)

	signed_case(t, s, "missing signature annotation",
	    lambda repo, d: [cosign.Layer(pod(repo, d), no_annotation=True)],
	    req, 1, nv(NOSIG_ANN))
	signed_case(t, s, "signature annotation under the certificate's "
	    "prefix only", lambda repo, d: [cosign.Layer(pod(repo, d),
	    no_annotation=True, annotations={"dev.sigstore.cosign/signature":
	    base64.b64encode(key().sign(pod(repo, d))).decode()})], req, 1,
	    nv(NOSIG_ANN))
	for label, mangle in [
	    ("a space inside", lambda b: b[:8] + " " + b[8:]),
	    ("missing padding", lambda b: b.rstrip("=")),
	    ("extra padding", lambda b: b + "=="),
	    ("URL-safe alphabet", lambda b: b.replace("+", "-").replace("/",
	     "_")),
	    ("truncated", lambda b: b[:-5]),
	]:
		def layers(repo, d, mangle=mangle, label=label):
			p = pod(repo, d)
			sig = key().sign(p)
			b64 = base64.b64encode(sig).decode()
			# make sure the mangling changes something
			while mangle(b64) == b64 or (label == "URL-safe alphabet" and
			    "+" not in b64 and "/" not in b64) or (label ==
			    "missing padding" and not b64.endswith("=")):
				sig = key().sign(p)
				b64 = base64.b64encode(sig).decode()
			return [cosign.Layer(p, annotation=mangle(b64))]
		signed_case(t, s, "signature annotation: %s" % label, layers, req,
		    1, nv(BAD_B64))

	def wrapped(repo, d):
		p = pod(repo, d)
		b64 = base64.b64encode(s.key("rsa3072").sign(p)).decode()
		return [cosign.Layer(p, annotation="\n".join(b64[i:i + 76]
		    for i in range(0, len(b64), 76)) + "\r\n")]
	signed_case(t, s, "signature base64 wrapped at 76 columns accepted",
	    wrapped, lambda: s.req("rsa3072"), 0, acc(1, 1))

	# payloads: validly signed, invalid content
	def signed_payload(make):
		return lambda repo, d: [cosign.Layer(make(repo, d), key=key())]

	def edit(fn):
		def make(repo, d):
			doc = cosign.payload_doc(s.ref(repo), d, {"creator": "x",
			    "timestamp": 1})
			fn(doc)
			return cosign.raw_payload(doc)
		return make

	def payload_case(name, make, why):
		"""WHY: the text after "#1 payload: ", or WHY(digest)."""
		signed_case(t, s, "payload: " + name, signed_payload(make), req,
		    1, lambda repo, d: none_valid("payload: " + (why(d)
		    if callable(why) else why)))

	need_both = "critical and optional are required"
	need_three = "critical needs type, image and identity"
	need_names = ("critical.image needs docker-manifest-digest, "
	    "critical.identity docker-reference")
	not_str = "expected a string, got a number, boolean or null"
	bad_digest = lambda bad: lambda d: 'docker-manifest-digest "%s" is ' \
	    "not a valid digest" % bad(d)
	payload_case("not JSON", lambda repo, d: b"this is not JSON",
	    "line 1, column 6: invalid JSON")
	payload_case("empty object", lambda repo, d: b"{}", need_both)
	payload_case("JSON array", lambda repo, d: b"[]",
	    "top level: expected an object, got an array")
	payload_case("trailing data after the object", lambda repo, d:
	    pod(repo, d) + b" {}", "line 1: text after the JSON value")
	payload_case("missing optional", edit(lambda o: o.pop("optional")),
	    need_both)
	payload_case("missing critical", edit(lambda o: o.pop("critical")),
	    need_both)
	payload_case("missing critical.type", edit(lambda o:
	    o["critical"].pop("type")), need_three)
	payload_case("missing critical.image", edit(lambda o:
	    o["critical"].pop("image")), need_three)
	payload_case("missing critical.identity", edit(lambda o:
	    o["critical"].pop("identity")), need_three)
	payload_case("missing docker-manifest-digest", edit(lambda o:
	    o["critical"]["image"].pop("docker-manifest-digest")), need_names)
	payload_case("missing docker-reference", edit(lambda o:
	    o["critical"]["identity"].pop("docker-reference")), need_names)
	payload_case("extra top-level member", edit(lambda o:
	    o.update(surprise=1)), 'top level: unknown field "surprise"')
	payload_case("extra member in critical", edit(lambda o:
	    o["critical"].update(surprise=1)),
	    'critical: unknown field "surprise"')
	payload_case("extra member in image", edit(lambda o:
	    o["critical"]["image"].update(surprise="x")),
	    'critical.image: unknown field "surprise"')
	payload_case("extra member in identity", edit(lambda o:
	    o["critical"]["identity"].update(surprise="x")),
	    'critical.identity: unknown field "surprise"')
	payload_case("duplicate member", lambda repo, d: pod(repo, d).replace(
	    b'{"critical":', b'{"optional":null,"critical":', 1),
	    'top level: duplicate field "optional"')
	payload_case("critical.type is a number", edit(lambda o:
	    o["critical"].update(type=1)), "critical.type: " + not_str)
	payload_case("docker-reference is a number", edit(lambda o:
	    o["critical"]["identity"].update({"docker-reference": 5})),
	    "critical.identity.docker-reference: " + not_str)
	payload_case("identity is a string", edit(lambda o:
	    o["critical"].update(identity="x")),
	    "critical.identity: expected an object, got a string")
	payload_case("optional is a string", edit(lambda o:
	    o.update(optional="x")), "optional must be null or an object")
	payload_case("optional.creator is a number", edit(lambda o:
	    o["optional"].update(creator=5)), OPT_TYPES)
	payload_case("optional.timestamp is fractional", edit(lambda o:
	    o["optional"].update(timestamp=0.5)), OPT_TYPES)
	payload_case("optional.timestamp is a string", edit(lambda o:
	    o["optional"].update(timestamp="1")), OPT_TYPES)
	payload_case("digest with uppercase hex", edit(lambda o:
	    o["critical"]["image"].update({"docker-manifest-digest":
	    o["critical"]["image"]["docker-manifest-digest"].upper()
	    .replace("SHA256", "sha256")})), bad_digest(lambda d: "sha256:" +
	    d[len("sha256:"):].upper()))
	payload_case("digest too short", edit(lambda o:
	    o["critical"]["image"].update({"docker-manifest-digest":
	    o["critical"]["image"]["docker-manifest-digest"][:-1]})),
	    bad_digest(lambda d: d[:-1]))
	payload_case("digest with a path", edit(lambda o:
	    o["critical"]["image"].update({"docker-manifest-digest":
	    "sha256:../../" + "a" * 58})), bad_digest(lambda d:
	    "sha256:../../" + "a" * 58))

	# optional as containers/image decodes it: names unescaped, no repeats
	# (Go's decoder alone would take the last), then creator a string and
	# timestamp an integer; other members ignored
	def opt_raw(text):
		return lambda repo, d: cosign.payload(s.ref(repo), d, text)
	for name, text, why in [
	    ("a repeated creator", r'{"creator":"a","creator":"b",'
	     r'"timestamp":1}', 'optional: duplicate key "creator"'),
	    ("a repeated unknown member", r'{"creator":"a","x":1,"x":2}',
	     'optional: duplicate key "x"'),
	    ("a repeat spelled with escapes", r'{"creator":"a",'
	     r'"cr\u0065ator":"a"}', 'optional: duplicate key "creator"'),
	    ("a repeat inside an unknown member", r'{"creator":"a","future":'
	     r'{"x":1,"x":2}}', 'optional: duplicate key "x"'),
	    ("an escaped creator that is a number", r'{"cr\u0065ator":5,'
	     r'"timestamp":1}', OPT_TYPES),
	    ("an escaped timestamp that is a string", r'{"creator":"a",'
	     r'"t\u0069mestamp":"1"}', OPT_TYPES),
	    ("an escaped timestamp that is fractional",
	     r'{"\u0074imestamp":0.5}', OPT_TYPES),
	    # Go's int64 conversion cannot give it back (in C, undefined)
	    ("a timestamp out of int64's range", r'{"timestamp":1e300}',
	     OPT_TYPES),
	    # Go's decoder leaves a string alone on null; ivlite rejects it
	    ("a null creator", r'{"creator":null,"timestamp":1}', OPT_TYPES),
	]:
		signed_case(t, s, "payload: optional with %s rejected" % name,
		    signed_payload(opt_raw(text)), req, 1, lambda repo, d,
		    why=why: none_valid("payload: " + why))
	signed_case(t, s, "payload: optional with an escaped creator that is a "
	    "string accepted", signed_payload(opt_raw(r'{"cr\u0065ator":"x",'
	    r'"t\u0069mestamp":1e3}')), req, 0, acc(1, 1))

	def opt_extra(repo, d):
		return cosign.payload(s.ref(repo), d, {"creator": "me",
		    "timestamp": 5, "future": {"x": [1]}})
	signed_case(t, s, "payload: unknown members in optional ignored",
	    signed_payload(opt_extra), req, 0, acc(1, 1))
	signed_case(t, s, "payload: optional {} accepted", signed_payload(
	    lambda repo, d: cosign.payload(s.ref(repo), d, {})), req, 0,
	    acc(1, 1))

	signed_case(t, s, "payload: GPG payload type rejected",
	    signed_payload(lambda repo, d: cosign.payload(s.ref(repo), d,
	    ptype="atomic container signature")), req, 1,
	    nv('payload type "atomic container signature", expected '
	    '"cosign container image signature"'))
	other = "sha256:" + "ab" * 32
	signed_case(t, s, "payload for another digest",
	    signed_payload(lambda repo, d: cosign.podman_payload(s.ref(repo),
	    other)), req, 1, lambda repo, d: none_valid(
	    "payload names %s, expected %s" % (other, d)))
	sha512 = "sha512:" + "cd" * 64
	signed_case(t, s, "payload naming a sha512 digest",
	    signed_payload(lambda repo, d: cosign.podman_payload(s.ref(repo),
	    sha512)), req, 1, lambda repo, d: none_valid(
	    "payload names %s, expected %s" % (sha512, d)))

	def digest_before_identity(repo, d):
		return cosign.podman_payload(s.ref("sig/elsewhere"), other)
	signed_case(t, s, "payload: the digest is checked before the identity",
	    signed_payload(digest_before_identity), req, 1,
	    lambda repo, d: none_valid("payload names %s, expected %s"
	    % (other, d)))

	# several layers
	good = lambda repo, d, k="p256": cosign.Layer(pod(repo, d), key=s.key(k))
	signed_case(t, s, "two signatures: first by another key, second good",
	    lambda repo, d: [good(repo, d, "p256-other"), good(repo, d)], req,
	    0, acc(2, 2))
	signed_case(t, s, "two signatures: first good",
	    lambda repo, d: [good(repo, d), good(repo, d, "p256-other")], req,
	    0, acc(1, 2))
	signed_case(t, s, "three signatures: missing annotation, bad base64, "
	    "good", lambda repo, d: [cosign.Layer(pod(repo, d),
	    no_annotation=True), cosign.Layer(pod(repo, d), annotation="@@"),
	    good(repo, d)], req, 0, acc(3, 3))
	signed_case(t, s, "two signatures, none valid: both reasons listed",
	    lambda repo, d: [good(repo, d, "p256-other"),
	    cosign.Layer(pod(repo, d), no_annotation=True)], req, 1,
	    nv(OTHER_KEY, NOSIG_ANN))
	signed_case(t, s, "three signatures, none valid: key, payload "
	    "digest, identity", lambda repo, d: [good(repo, d, "rsa2048"),
	    cosign.Layer(cosign.podman_payload(s.ref(repo), other), key=key()),
	    cosign.Layer(cosign.podman_payload(s.ref("sig/other"), d),
	    key=key())], req, 1, lambda repo, d: none_valid(OTHER_KEY,
	    "payload names %s, expected %s" % (other, d),
	    mismatch(s.ref("sig/other"), s.ref(repo),
	    "matchRepoDigestOrExact")))
	signed_case(t, s, "non-signature layer before the signature ignored",
	    lambda repo, d: [cosign.Layer(b'{"x":1}', media_type=
	    "application/vnd.example.other+json", no_annotation=True),
	    good(repo, d)], req, 0, acc(1, 1))
	signed_case(t, s, "non-signature layer with a valid signature "
	    "annotation ignored", lambda repo, d: [cosign.Layer(pod(repo, d),
	    key=key(), media_type="application/json"), good(repo, d,
	    "p256-other")], req, 1, nv(OTHER_KEY))
	signed_case(t, s, "only non-signature layers: no signature",
	    lambda repo, d: [cosign.Layer(b"a", media_type="text/plain",
	    no_annotation=True), cosign.Layer(pod(repo, d), key=key(),
	    media_type="application/vnd.dev.cosign.simplesigning.v2+json")],
	    req, 1, lambda repo, d: "no signature: the attachment has no "
	    "signature layers (2 other layers)")
	signed_case(t, s, "attachment without layers: no signature",
	    lambda repo, d: [], req, 1, lambda repo, d: "no signature: the "
	    "attachment has no signature layers (0 other layers)")
	signed_case(t, s, "no .sig tag: no signature", lambda repo, d: None,
	    req, 1, lambda repo, d: "no signature: no %s attachment"
	    % cosign.sig_tag(d))

	# exit 3: the attachment cannot be read; WHY follows "error: HOST:
	# sha256-HEX.sig: "
	def error_case(name, layers_fn, why, **kw):
		def setup():
			repo, d = s.image(name)
			s.attach(repo, d, layers_fn(repo, d), **kw)
			return repo, d

		def f(made):
			r = s.ivlite(s.ref(made[0]), s.policy({s.host: [req()]}))
			t.expect(r, 3, "error: %s: %s: %s" % (s.host,
			    cosign.sig_tag(made[1]), why))
		s.later("sigstore: " + name, setup, f)

	error_case(".sig manifest with the Docker media type is an error",
	    lambda repo, d: [good(repo, d)], "media type %s, expected an OCI "
	    "image manifest" % cosign.MT_DOCKER_MANIFEST, docker=True)
	error_case("signature layer whose blob is missing is an error",
	    lambda repo, d: [good(repo, d), cosign.Layer(b"gone", key=key(),
	    missing=True)], "blob %s is missing" % labmod.sha256_digest(
	    b"gone"))
	error_case("missing blob of a non-signature layer is an error too",
	    lambda repo, d: [good(repo, d), cosign.Layer(b"gone too",
	    media_type="text/plain", no_annotation=True, missing=True)],
	    "blob %s is missing" % labmod.sha256_digest(b"gone too"))


# --- signedIdentity ----------------------------------------------------------

def run_identity(t, s):
	"""Each row: image REG/<dir>/<name>:v1; payload identity IDENT (a
	function of the image's repository ref REPO, without tag, and its
	digest D); pull by tag or digest; expect acceptance or a mismatch
	against WANT (a function of REPO, D)."""
	MRDE = "matchRepoDigestOrExact"
	H = lambda: s.host
	rows = [
	    # (name, signedIdentity, pull, ident(R, D), accepted?, want(R, D))
	    ("default: name:tag identity, tag pull", None, "tag",
	     lambda R, D: R + ":v1", True, None),
	    ("default: cosign repository-only identity rejected", None, "tag",
	     lambda R, D: R, False, lambda R, D: (R + ":v1", MRDE)),
	    ("default: other tag rejected", None, "tag",
	     lambda R, D: R + ":v2", False, lambda R, D: (R + ":v1", MRDE)),
	    ("default: identity by digest, tag pull rejected", None, "tag",
	     lambda R, D: R + "@" + D, False, lambda R, D: (R + ":v1", MRDE)),
	    ("default: name:tag identity, by-digest pull accepted", None,
	     "digest", lambda R, D: R + ":v1", True, None),
	    ("default: name:othertag identity, by-digest pull accepted", None,
	     "digest", lambda R, D: R + ":whatever", True, None),
	    ("default: repository-only identity, by-digest pull rejected",
	     None, "digest", lambda R, D: R, False,
	     lambda R, D: (R + "@" + D, MRDE)),
	    ("default: signature for another repository rejected", None,
	     "tag", lambda R, D: R + "-other:v1", False,
	     lambda R, D: (R + ":v1", MRDE)),
	    ("default: another repository, by-digest pull rejected", None,
	     "digest", lambda R, D: R + "-other:v1", False,
	     lambda R, D: (R + "@" + D, MRDE)),
	    ("explicit matchRepoDigestOrExact same as default",
	     {"type": MRDE}, "tag", lambda R, D: R + ":v1", True, None),
	    ("matchExact: same name:tag accepted", {"type": "matchExact"},
	     "tag", lambda R, D: R + ":v1", True, None),
	    ("matchExact: other tag rejected", {"type": "matchExact"}, "tag",
	     lambda R, D: R + ":v2", False,
	     lambda R, D: (R + ":v1", "matchExact")),
	    ("matchExact: repository-only identity rejected",
	     {"type": "matchExact"}, "tag", lambda R, D: R, False,
	     lambda R, D: (R + ":v1", "matchExact")),
	    ("matchExact: by-digest pull, identity by digest accepted",
	     {"type": "matchExact"}, "digest", lambda R, D: R + "@" + D, True,
	     None),
	    ("matchExact: by-digest pull, name:tag identity rejected",
	     {"type": "matchExact"}, "digest", lambda R, D: R + ":v1", False,
	     lambda R, D: (R + "@" + D, "matchExact")),
	    ("matchRepository: cosign repository-only identity accepted",
	     {"type": "matchRepository"}, "tag", lambda R, D: R, True, None),
	    ("matchRepository: other tag accepted",
	     {"type": "matchRepository"}, "tag", lambda R, D: R + ":v7", True,
	     None),
	    ("matchRepository: by-digest pull accepted",
	     {"type": "matchRepository"}, "digest", lambda R, D: R, True,
	     None),
	    ("matchRepository: other repository rejected",
	     {"type": "matchRepository"}, "tag", lambda R, D: R + "-other",
	     False, lambda R, D: (R + ":v1", "matchRepository")),
	    ("matchRepository: parent namespace rejected",
	     {"type": "matchRepository"}, "tag",
	     lambda R, D: R.rsplit("/", 1)[0], False,
	     lambda R, D: (R + ":v1", "matchRepository")),
	]
	# configured references (exactReference, exactRepository) need the
	# registry's host: built lazily through H()
	rows += [
	    ("exactReference: the configured reference accepted",
	     lambda: {"type": "exactReference", "dockerReference":
	     "%s/sig/canonical:signed" % H()}, "tag",
	     lambda R, D: "%s/sig/canonical:signed" % H(), True, None),
	    ("exactReference: the image's own name:tag rejected",
	     lambda: {"type": "exactReference", "dockerReference":
	     "%s/sig/canonical:signed" % H()}, "tag", lambda R, D: R + ":v1",
	     False, lambda R, D: ("%s/sig/canonical:signed" % H(),
	     "exactReference")),
	    ("exactReference: repository-only identity rejected",
	     lambda: {"type": "exactReference", "dockerReference":
	     "%s/sig/canonical:signed" % H()}, "tag",
	     lambda R, D: "%s/sig/canonical" % H(), False,
	     lambda R, D: ("%s/sig/canonical:signed" % H(),
	     "exactReference")),
	    ("exactRepository: repository-only identity accepted",
	     lambda: {"type": "exactRepository", "dockerRepository":
	     "%s/sig/canonical" % H()}, "tag",
	     lambda R, D: "%s/sig/canonical" % H(), True, None),
	    ("exactRepository: any tag of it accepted",
	     lambda: {"type": "exactRepository", "dockerRepository":
	     "%s/sig/canonical" % H()}, "digest",
	     lambda R, D: "%s/sig/canonical:x9" % H(), True, None),
	    ("exactRepository: the image's own repository rejected",
	     lambda: {"type": "exactRepository", "dockerRepository":
	     "%s/sig/canonical" % H()}, "tag", lambda R, D: R + ":v1", False,
	     lambda R, D: ("%s/sig/canonical" % H(), "exactRepository")),
	]
	for i, (name, ident_cfg, pull, ident, good, want) in enumerate(rows):
		s.later("sigstore identity: " + name, *identity_case(t, s,
		    "id%02d" % i, "sig", ident_cfg, pull, ident, good, want))

	def invalid_identity():
		"""An identity that is not a valid reference never matches: the
		reason says so instead of "does not match"."""
		repo, d = s.image("id-invalid")
		bad = s.ref(repo, None) + "/UPPER"
		s.attach(repo, d, [cosign.Layer(cosign.payload(bad, d),
		    key=s.key("p256"))])
		req = s.req("p256", identity={"type": "matchRepository"})
		r = s.ivlite(s.ref(repo), s.policy({s.host: [req]}))
		t.expect(r, 1, rejected(s.ref(repo), d, scope(s.host), desc(req),
		    none_valid('identity "%s" is not a valid reference' % bad)))
	t.case("sigstore identity: matchRepository: invalid identity "
	    "(uppercase path) rejected", invalid_identity)

	# remapIdentity: the image lives in REG/mirror/…, signatures name
	# REG/sig/…
	remap = lambda prefix: lambda: {"type": "remapIdentity",
	    "prefix": prefix % H(), "signedPrefix": "%s/sig" % H()}
	sig_name = lambda R, D: R.replace("/mirror/", "/sig/") + ":v1"
	rrows = [
	    ("remapIdentity: prefix applies, signed name accepted",
	     remap("%s/mirror"), "tag", sig_name, True, None),
	    ("remapIdentity: prefix applies, the mirror's name rejected",
	     remap("%s/mirror"), "tag", lambda R, D: R + ":v1", False,
	     lambda R, D: (sig_name(R, D), "remapIdentity")),
	    ("remapIdentity: prefix applies, by-digest pull accepted",
	     remap("%s/mirror"), "digest", sig_name, True, None),
	    ("remapIdentity: prefix applies, repository-only identity "
	     "rejected", remap("%s/mirror"), "tag",
	     lambda R, D: R.replace("/mirror/", "/sig/"), False,
	     lambda R, D: (sig_name(R, D), "remapIdentity")),
	    ("remapIdentity: prefix does not apply, image name used",
	     remap("%s/elsewhere"), "tag", lambda R, D: R + ":v1", True, None),
	    ("remapIdentity: prefix does not apply, signed name rejected",
	     remap("%s/elsewhere"), "tag", sig_name, False,
	     lambda R, D: (R + ":v1", "remapIdentity")),
	    ("remapIdentity: prefix must end at a path boundary",
	     remap("%s/mirr"), "tag", sig_name, False,
	     lambda R, D: (R + ":v1", "remapIdentity")),
	]
	for i, (name, ident_cfg, pull, ident, good, want) in enumerate(rrows):
		s.later("sigstore identity: " + name, *identity_case(t, s,
		    "rm%02d" % i, "mirror", ident_cfg, pull, ident, good, want))
	s.flush()


def identity_case(t, s, name, repo_dir, ident_cfg, pull, ident, good,
    want):
	def setup():
		repo, d = s.image(name, repo_dir)
		s.attach(repo, d, [cosign.Layer(cosign.payload(ident(s.ref(repo,
		    None), d), d, {"creator": cosign.CREATOR,
		    "timestamp": cosign.TIMESTAMP}), key=s.key("p256"))])
		return repo, d
	return setup, lambda made: identity_check(t, s, made, ident_cfg,
	    pull, ident, good, want)


def identity_check(t, s, made, ident_cfg, pull, ident, good, want):
	repo, d = made
	R = s.ref(repo, None)
	payload_ref = ident(R, d)
	cfg = ident_cfg() if callable(ident_cfg) else ident_cfg
	req = s.req("p256", identity=cfg)
	pol = s.policy({s.host: [req]})
	ref = s.ref(repo) if pull == "tag" else s.ref(repo, None, d)
	r = s.ivlite(ref, pol)
	if good:
		t.expect(r, 0, accepted(ref, d, scope(s.host), desc(req), 1, 1,
		    payload_ref))
	else:
		y, typ = want(R, d)
		t.expect(r, 1, rejected(ref, d, scope(s.host), desc(req),
		    none_valid(mismatch(payload_ref, y, typ))))


# --- multi-arch: the signature covers the index digest only ------------------------

def run_multiarch(t, s):
	state = {}

	def setup():
		if "idx" not in state:
			n = s._n = s._n + 1
			repo = "sig/multi-%d" % n
			idx, kids = lab_need(lambda: cosign.put_index(s.reg, repo, "v1",
			    content="sigstore multi %d" % n))
			layer = cosign.Layer(cosign.podman_payload(s.ref(repo), idx),
			    key=s.key("p256"))
			s.attach(repo, idx, [layer])
			state.update(repo=repo, idx=idx, kids=kids, layer=layer,
			    req=s.req("p256"))
			state["pol"] = s.policy({s.host: [state["req"]]})
		return state

	def index_tag_pull():
		st = setup()
		ref = s.ref(st["repo"])
		r = s.ivlite(ref, st["pol"])
		t.expect(r, 0, accepted(ref, st["idx"], scope(s.host),
		    desc(st["req"]), 1, 1, ref))
	t.case("sigstore multi-arch: index signed, tag pull resolves to the "
	    "index: accepted", index_tag_pull)

	def index_digest():
		st = setup()
		ref = s.ref(st["repo"])
		r = s.ivlite(ref, st["pol"], digest=st["idx"])
		t.expect(r, 0, accepted(ref, st["idx"], scope(s.host),
		    desc(st["req"]), 1, 1, ref))
	t.case("sigstore multi-arch: -digest of the index (what containerd "
	    "passes): accepted", index_digest)

	def child_unsigned():
		st = setup()
		ref, arm = s.ref(st["repo"]), st["kids"]["arm64"]
		r = s.ivlite(ref, st["pol"], digest=arm)
		t.expect(r, 1, rejected(ref, arm, scope(s.host), desc(st["req"]),
		    "no signature: no %s attachment" % cosign.sig_tag(arm)))
	t.case("sigstore multi-arch: -digest of the arm64 manifest: its own "
	    ".sig does not exist", child_unsigned)

	def child_copied():
		st = setup()
		ref, amd = s.ref(st["repo"]), st["kids"]["amd64"]
		s.attach(st["repo"], amd, [st["layer"]])
		r = s.ivlite(ref, st["pol"], digest=amd)
		t.expect(r, 1, rejected(ref, amd, scope(s.host), desc(st["req"]),
		    none_valid("payload names %s, expected %s" % (st["idx"],
		    amd))))
	t.case("sigstore multi-arch: the index's signature copied to a child's "
	    ".sig does not cover the child", child_copied)


# --- discovery: registries.d lookups -----------------------------------------

def run_discovery(t, s):
	def regd_case(name, files_fn, enabled, repo_dir="sig", missing_dir=False):
		def setup():
			repo, d = s.image("rd-" + name, repo_dir)
			p = cosign.podman_payload(s.ref(repo), d)
			s.attach(repo, d, [cosign.Layer(p, key=s.key("p256"))])
			return repo, d

		def f(made):
			repo, d = made
			if missing_dir:
				regd = os.path.join(s.lab.dir, "no-such-registries.d")
			else:
				regd = s.regd(files_fn(repo))
			req = s.req("p256")
			r = s.ivlite(s.ref(repo), s.policy({s.host: [req]}), regd=regd)
			if enabled:
				line = accepted(s.ref(repo), d, scope(s.host), desc(req),
				    1, 1, s.ref(repo))
			else:
				line = rejected(s.ref(repo), d, scope(s.host), desc(req),
				    "no signature: sigstore attachments are not enabled "
				    "for this image in %s" % regd)
			t.expect(r, 0 if enabled else 1, line)
		s.later("sigstore registries.d: " + name, setup, f)

	for name, files, en in registries_d_rows(s):
		regd_case(name, files, en)
	regd_case("directory does not exist: not enabled", None, False,
	    missing_dir=True)
	s.flush()


def yaml_on(scope_key, value="true", key="use-sigstore-attachments"):
	return "docker:\n  %s:\n    %s: %s\n" % (scope_key, key, value)


def registries_d_rows(s):
	"""(name, files(repo) -> {file: text}, enabled?): shared by the
	ivlite cases and the skopeo differential."""
	H = lambda: s.host
	return [
	    ("empty directory: not enabled", lambda repo: {}, False),
	    ("enabled for the registry host:port", lambda repo:
	     {"a.yaml": yaml_on(H())}, True),
	    ("enabled for the repository", lambda repo:
	     {"a.yaml": yaml_on("%s/%s" % (H(), repo))}, True),
	    ("enabled for the namespace", lambda repo:
	     {"a.yaml": yaml_on("%s/%s" % (H(), repo.split("/")[0]))}, True),
	    ("enabled for the full name:tag", lambda repo:
	     {"a.yaml": yaml_on("%s/%s:v1" % (H(), repo))}, True),
	    ("enabled only for another repository: not enabled", lambda repo:
	     {"a.yaml": yaml_on("%s/%s-other" % (H(), repo))}, False),
	    ("enabled only for another tag: not enabled", lambda repo:
	     {"a.yaml": yaml_on("%s/%s:v2" % (H(), repo))}, False),
	    ("enabled only for another registry: not enabled", lambda repo:
	     {"a.yaml": yaml_on("quay.io")}, False),
	    ("127.0.0.1 without the port does not apply", lambda repo:
	     {"a.yaml": yaml_on("127.0.0.1")}, False),
	    ("wildcard *.0.0.1 applies to 127.0.0.1:PORT", lambda repo:
	     {"a.yaml": yaml_on("'*.0.0.1'")}, True),
	    ("default-docker enables it", lambda repo:
	     {"a.yaml": "default-docker:\n  use-sigstore-attachments: true\n"},
	     True),
	    ("default-docker on, the host turns it off", lambda repo:
	     {"a.yaml": "default-docker:\n  use-sigstore-attachments: true\n"
	     + yaml_on(H(), "false")}, False),
	    ("host on, repository off: the repository wins", lambda repo:
	     {"a.yaml": "docker:\n  %s:\n    use-sigstore-attachments: true\n"
	     "  %s/%s:\n    use-sigstore-attachments: false\n"
	     % (H(), H(), repo)}, False),
	    ("host off, repository on: the repository wins", lambda repo:
	     {"a.yaml": "docker:\n  %s:\n    use-sigstore-attachments: false\n"
	     "  %s/%s:\n    use-sigstore-attachments: true\n"
	     % (H(), H(), repo)}, True),
	    ("repository section with only lookaside does not hide the host's "
	     "setting", lambda repo:
	     {"a.yaml": "docker:\n  %s:\n    use-sigstore-attachments: true\n"
	     "  %s/%s:\n    lookaside: %s\n"
	     % (H(), H(), repo, NO_LOOKASIDE)}, True),
	    ("scopes spread over two files", lambda repo:
	     {"a.yaml": yaml_on("quay.io"), "b.yaml": yaml_on(H())}, True),
	    ("a .yml file is not read", lambda repo:
	     {"a.yml": yaml_on(H())}, False),
	    ("use-sigstore-attachments: false", lambda repo:
	     {"a.yaml": yaml_on(H(), "false")}, False),
	    ("True and quoted key", lambda repo:
	     {"a.yaml": yaml_on('"%s"' % H(), "True")}, True),
	    ("real-world files (comments, null default-docker, odd indents, "
	     "sigstore alias, lookaside-staging)", lambda repo:
	     real_world_files(H()), True),
	]


def real_world_files(host):
	"""A registries.d as found on real machines, the lab's registry
	enabled in one of them."""
	return {
	    # containers-common's default.yaml: comments, default-docker null
	    "default.yaml": """# This is a default registries.d configuration file.  You may
# add to this file or create additional files in registries.d/.
#
# lookaside: for reading/writing simple signing signatures
# lookaside-staging: for writing simple signing signatures, preferred over lookaside
#
# lookaside and lookaside-staging take a value of the following:
#   lookaside:  {schema}://location
#
# For reading signatures, schema may be http, https, or file.
# For writing signatures, schema may only be file.

# The default locations are built-in, for both reading and writing:
# /var/lib/containers/sigstore for root, or
# ~/.local/share/containers/sigstore for non-root users.
default-docker:
#  lookaside: https://…
#  lookaside-staging: file:///var/lib/containers/sigstore

# The 'docker' indicator here is the start of the configuration
# for docker registries.
#
# docker:
#
#   privateregistry.com:
#    lookaside: https://privateregistry.com/sigstore/
#    lookaside-staging: /mnt/nfs/privateregistry/sigstore
""",
	    # Red Hat style: 5 and 9 spaces
	    "registry.access.redhat.com.yaml": """docker:
     registry.access.redhat.com:
         lookaside: https://access.redhat.com/webassets/docker/content/sigstore
""",
	    "registry.redhat.io.yaml": """docker:
     registry.redhat.io:
         sigstore: https://registry.redhat.io/containers/sigstore
""",
	    # a build script's printf: 2/4 spaces, quoted key with a port,
	    # the deprecated alias, staging ignored, comments after values
	    "lab.yaml": """---
docker:
  "%s":   # the lab registry
    sigstore: %s   # deprecated alias
    lookaside-staging: file:///var/tmp/staging
    use-sigstore-attachments: true
  'registry.test.example.com:8888':
    lookaside: "https://h:8889/x"
    use-sigstore-attachments: false
""" % (host, NO_LOOKASIDE),
	    "four.yaml": "docker:\n    quay.io/org:\n        "
	    "use-sigstore-attachments: TRUE\n    ghcr.io:\n        "
	    "lookaside: 'https://ghcr.example/it''s'\n",
	    "empty.yaml": "{}\n",
	    "comments-only.yaml": "# nothing here\n\n",
	    "crlf.yaml": "docker:\r\n  example.com:\r\n    "
	    "use-sigstore-attachments: false\r\n",
	    "ignored.yml": "this: is: not: yaml: &a [\n",
	    "README": "not read\n",
	}


# --- discovery through a registry whose answers we choose --------------------

def run_fake(t, s):
	def fake_case(name, setup, code, line):
		"""SETUP(fake, repo, digest, key) arranges the answers; ivlite
		runs with -digest on FAKE/REPO:v1 and prints LINE(ref, digest,
		scope, desc)."""
		def f():
			fk = s.fake()
			repo = "fk/" + slug(name)
			d = labmod.sha256_digest(("fake image %s" % repo).encode())
			k = s.key("p256")
			setup(fk, repo, d, k)
			regd = s.regd({"f.yaml": yaml_on(fk.host)})
			req = s.req("p256")
			pol = s.policy({fk.host: [req]})
			ref = "%s/%s:v1" % (fk.host, repo)
			r = s.ivlite(ref, pol, regd=regd, digest=d,
			    insecure=fk.host)
			t.expect(r, code, line(ref, d, scope(fk.host), desc(req)))
		t.case("sigstore discovery: " + name, f)

	def error(fmt, arg=None):
		"""LINE of an error: "error: FAKE: " + FMT, where "%(tag)s" is
		the .sig tag and ARG(ref, digest) gives "%(arg)s"."""
		return lambda ref, d, sc, ds: "error: %s: " % ref.split("/", 1)[0] \
		    + fmt % {"tag": cosign.sig_tag(d), "arg": arg(ref, d) if arg
		    else ""}

	def pl(fk, repo, d, k):
		return cosign.podman_payload("%s/%s:v1" % (fk.host, repo), d)

	def signed(ct=None, override=None):
		def setup(fk, repo, d, k):
			p = pl(fk, repo, d, k)
			fk.serve_attachment(repo, d, [cosign.Layer(p, key=k)],
			    media_type=ct, blob_override={labmod.sha256_digest(p):
			    override} if override is not None else None)
		return setup

	acc = lambda ref, d, sc, ds: accepted(ref, d, sc, ds, 1, 1, ref)
	fake_case("fake registry: signed image accepted", signed(), 0, acc)
	fake_case("Content-Type with parameters accepted",
	    signed(cosign.MT_OCI_MANIFEST + "; charset=utf-8"), 0, acc)
	fake_case("Content-Type application/json is an error",
	    signed("application/json"), 3, error('manifest %(tag)s: '
	    'unsupported media type "application/json"'))
	fake_case("Content-Type of an OCI index is an error",
	    signed(cosign.MT_OCI_INDEX), 3, error("%(tag)s: media type " +
	    cosign.MT_OCI_INDEX + ", expected an OCI image manifest"))
	fake_case("no Content-Type is an error", signed(""), 3,
	    error('manifest %(tag)s: unsupported media type ""'))
	fake_case("payload blob that does not match its digest is an error",
	    signed(override=b'{"critical":{}}'), 3, error("blob %(arg)s: "
	    "content has digest " + labmod.sha256_digest(b'{"critical":{}}'),
	    lambda ref, d: labmod.sha256_digest(cosign.podman_payload(ref,
	    d))))

	def manifest_with(extra):
		def setup(fk, repo, d, k):
			p = pl(fk, repo, d, k)
			ly = cosign.Layer(p, key=k)
			man = json.loads(fk.serve_attachment(repo, d, [ly]))
			man.update(extra)
			fk.set("/v2/%s/manifests/%s" % (repo, cosign.sig_tag(d)), 200,
			    json.dumps(man).encode(), cosign.MT_OCI_MANIFEST)
		return setup
	fake_case("attachment manifest with a manifests member is an error",
	    manifest_with({"manifests": []}), 3, error("%(tag)s: not an image "
	    "manifest"))

	big_body = b'{"schemaVersion":2,"layers":[],"pad":"' + \
	    b"x" * (4 << 20) + b'"}'

	def big(fk, repo, d, k):
		fk.set("/v2/%s/manifests/%s" % (repo, cosign.sig_tag(d)), 200,
		    big_body, cosign.MT_OCI_MANIFEST)
	fake_case("attachment manifest over 4 MiB is an error", big, 3,
	    error("response of %d bytes, larger than MAX_MANIFEST_BYTES "
	    "(4194304)" % len(big_body)))

	def status(code, body, headers=None, ct="application/json"):
		def setup(fk, repo, d, k):
			fk.set("/v2/%s/manifests/%s" % (repo, cosign.sig_tag(d)), code,
			    body, ct, headers)
		return setup

	err = lambda code, msg: json.dumps({"errors": [{"code": code,
	    "message": msg}]}).encode()
	nosig = lambda ref, d, sc, ds: rejected(ref, d, sc, ds,
	    "no signature: no %s attachment" % cosign.sig_tag(d))
	fake_case("404 MANIFEST_UNKNOWN: no signature",
	    status(404, err("MANIFEST_UNKNOWN", "manifest unknown")), 1,
	    nosig)
	fake_case("404 with a non-JSON body: no signature",
	    status(404, b"404 page not found\n", ct="text/plain"), 1,
	    nosig)
	fake_case("404 with an empty body: no signature", status(404, b""), 1,
	    nosig)
	fake_case("404 UNKNOWN 'Not Found': no signature",
	    status(404, err("UNKNOWN", "Not Found")), 1, nosig)
	fake_case("404 UNKNOWN 'repository NOT FOUND': no signature",
	    status(404, err("UNKNOWN", "repository NOT FOUND here")), 1,
	    nosig)
	fake_case("404 NAME_UNKNOWN is an error, not unsigned",
	    status(404, err("NAME_UNKNOWN", "repository name not known")), 3,
	    error('%(tag)s: HTTP 404 that is not "manifest unknown"'))
	fake_case("500 is an error, not unsigned",
	    status(500, err("UNKNOWN", "boom")), 3,
	    error("manifest %(tag)s: HTTP 500"))
	fake_case("401 without a challenge is an error",
	    status(401, err("UNAUTHORIZED", "authentication required")), 3,
	    error("access denied to %(arg)s (HTTP 401; credentials: none in " +
	    s.auth + ")", lambda ref, d: ref.split("/", 1)[1].rsplit(":",
	    1)[0]))
	fake_case("429 (Retry-After beyond the budget) is an error",
	    status(429, err("TOOMANYREQUESTS", "slow down"),
	    {"Retry-After": "30"}), 3, error("rate limited (Retry-After 30)"))

	def closed_port():
		port = labmod.free_port()
		host = "127.0.0.1:%d" % port
		d = labmod.sha256_digest(b"closed port image")
		req = s.req("p256")
		r = s.ivlite("%s/app:v1" % host, s.policy({host: [req]}),
		    regd=s.regd({"c.yaml": yaml_on(host)}), digest=d,
		    insecure=host)
		t.expect(r, 3, "error: %s: connect: Connection refused" % host)
	t.case("sigstore discovery: registry not listening is exit 3",
	    closed_port)

	def not_enabled_no_network():
		port = labmod.free_port()
		host = "127.0.0.1:%d" % port
		d = labmod.sha256_digest(b"closed port image 2")
		req = s.req("p256")
		regd = s.regd({})
		r = s.ivlite("%s/app:v1" % host, s.policy({host: [req]}),
		    regd=regd, digest=d, insecure=host)
		t.expect(r, 1, rejected("%s/app:v1" % host, d, scope(host),
		    desc(req), "no signature: sigstore attachments are not "
		    "enabled for this image in %s" % regd))
	t.case("sigstore discovery: attachments disabled: no network needed",
	    not_enabled_no_network)


# --- registries.d YAML -------------------------------------------------------

def run_yaml(t, s):
	def bad_case(name, text, line, why):
		"""Exit 2 and "error: FILE:LINE: WHY"."""
		def f():
			regd = s.regd({"bad.yaml": text % {"h": s.host}})
			path = os.path.join(regd, "bad.yaml")
			repo, d = s.image("yaml-" + name)
			req = s.req("p256")
			pol = s.policy({s.host: [req]})
			for r in (s.ivlite(s.ref(repo), pol, regd=regd),
			    t.direct(["-check", "-policy", pol, "-registries-d",
			    regd])):
				t.expect(r, 2, "error: %s:%d: %s" % (path, line,
				    why % {"h": s.host}))
		t.case("sigstore registries.d YAML: %s is exit 2 naming FILE:%d"
		    % (name, line), f)

	value = "unsupported YAML value"
	unsupported = ("unsupported YAML (sequences, anchors, aliases, tags, "
	    "block scalars and complex keys are not accepted)")
	bad_case("an anchor", "docker:\n  %(h)s: &a\n    "
	    "use-sigstore-attachments: true\n", 2, value)
	bad_case("an alias", "default-docker:\n  lookaside: x\ndocker:\n  "
	    "%(h)s: *a\n", 4, value)
	bad_case("a block scalar", "docker:\n  %(h)s:\n    lookaside: |\n"
	    "      https://x\n", 3, value)
	bad_case("a folded scalar", "docker:\n  %(h)s:\n    lookaside: >\n"
	    "      https://x\n", 3, value)
	bad_case("a sequence", "docker:\n  - %(h)s\n", 2, unsupported)
	bad_case("a tag", "docker:\n  %(h)s: !!map\n    "
	    "use-sigstore-attachments: true\n", 2, value)
	# a second document is not read, as by yaml.v3 (test_gpg's
	# SPELLINGS); a mapping after "---" on its line is refused, as there
	bad_case("a block mapping on the --- line", "--- docker: {}\n", 1,
	    "unsupported YAML (a block mapping on the --- line)")
	bad_case("a tab in the indentation", "docker:\n\t%(h)s:\n\t\t"
	    "use-sigstore-attachments: true\n", 2, "tab in indentation")
	bad_case("a mapping under sigstore:", "docker:\n  %(h)s:\n    "
	    "sigstore:\n      x: y\n", 3, "sigstore: expected a URL")
	bad_case("a duplicate key in one mapping", "docker:\n  %(h)s:\n    "
	    "use-sigstore-attachments: true\n  %(h)s:\n    "
	    "use-sigstore-attachments: false\n", 4, 'duplicate key "%(h)s"')
	bad_case("a non-boolean use-sigstore-attachments", "docker:\n  %(h)s:\n"
	    "    use-sigstore-attachments: maybe\n", 3,
	    "use-sigstore-attachments: expected true or false")

	def dup_files(name, a, b, line, what):
		"""Exit 2 and "error: B:LINE: WHAT is also defined in A"."""
		def f():
			regd = s.regd({"a.yaml": a % {"h": s.host},
			    "b.yaml": b % {"h": s.host}})
			pa, pb = (os.path.join(regd, x) for x in ("a.yaml", "b.yaml"))
			repo, d = s.image("yaml-dup-" + name)
			req = s.req("p256")
			pol = s.policy({s.host: [req]})
			want = "error: %s:%d: %s is also defined in %s" % (pb, line,
			    what % {"h": s.host}, pa)
			t.expect(s.ivlite(s.ref(repo), pol, regd=regd), 2, want)
			t.expect(t.direct(["-check", "-policy", pol, "-registries-d",
			    regd]), 2, want)
		t.case("sigstore registries.d YAML: %s is exit 2 naming both files"
		    % name, f)

	dup_files("the same scope in two files", yaml_on("%(h)s"),
	    yaml_on("%(h)s", "false"), 2, '"%(h)s"')
	dup_files("the same scope in two files, same value", yaml_on("%(h)s"),
	    yaml_on("%(h)s"), 2, '"%(h)s"')
	dup_files("default-docker in two files",
	    "default-docker:\n  use-sigstore-attachments: true\n",
	    "default-docker:\n  lookaside: https://x.example/s\n", 1,
	    "default-docker")

	def check_ok():
		regd = s.regd(real_world_files(s.host))
		pol = s.policy({s.host: [s.req("p256")]})
		# what containers/image skips, -check names
		t.expect(t.direct(["-check", "-policy", pol, "-registries-d",
		    regd]), 0, "".join("warning: %s/%s: ignored: registries.d "
		    "reads only files ending in .yaml\n" % (regd, f) for f in
		    ("README", "ignored.yml")) + "ok: %s: 2 scopes; %s: 7 scopes"
		    % (pol, regd), one_line=False)
	t.case("sigstore registries.d YAML: -check accepts the real-world "
	    "files", check_ok)

	def check_empty():
		pol = s.policy({s.host: [s.req("p256")]})
		regd = s.regd({})
		# valid, but no signature can be found (tests/test_config.py)
		t.expect(t.direct(["-check", "-policy", pol, "-registries-d",
		    regd]), 0, 'warning: %s: transports.docker["%s"][0]: '
		    "sigstoreSigned can find no signature: no file in %s sets "
		    'use-sigstore-attachments: true for "%s"\n'
		    "ok: %s: 2 scopes; %s: 0 scopes" % (pol, s.host, regd, s.host,
		    pol, regd), one_line=False)
	t.case("sigstore registries.d YAML: -check accepts an empty directory",
	    check_empty)

	def check_bad_url():
		regd = s.regd({"u.yaml": "docker:\n  quay.io:\n    lookaside: "
		    ":emptyscheme\n"})
		path = os.path.join(regd, "u.yaml")
		pol = s.policy({s.host: [s.req("p256")]})
		t.expect(t.direct(["-check", "-policy", pol, "-registries-d",
		    regd]), 2, 'error: %s:2: lookaside ":emptyscheme": want an '
		    "http://, https:// or file:/// URL" % path)
	t.case("sigstore registries.d YAML: -check reports an unparsable "
	    "lookaside URL", check_bad_url)


# --- scope precedence --------------------------------------------------------

def run_precedence(t, s):
	def prec_case(name, scopes_fn, signed, code, why_fn, default=(R,)):
		def setup():
			repo, d = s.image("prec-" + name)
			if signed:
				s.attach(repo, d, [cosign.Layer(cosign.podman_payload(
				    s.ref(repo), d), key=s.key("p256"))])
			return repo, d

		def f(made):
			repo, d = made
			scopes, sc = scopes_fn(repo)
			pol = s.policy(scopes, default)
			r = s.ivlite(s.ref(repo), pol)
			pre = "%s %s: %s: " % ("accepted" if code == 0 else
			    "rejected", shown(s.ref(repo), d), scope(sc))
			t.expect(r, code, pre + why_fn(repo, d))
		s.later("sigstore precedence: " + name, setup, f)

	H = lambda: s.host
	sgn = lambda: s.req("p256")
	okw = lambda repo, d: "%s: signature 1 of 1 verified, identity %s" \
	    % (desc(sgn()), s.ref(repo))
	prec_case("repository sigstore scope beats host reject",
	    lambda repo: ({H(): [R], "%s/%s" % (H(), repo): [sgn()]},
	    "%s/%s" % (H(), repo)), True, 0, okw)
	prec_case("repository reject beats namespace sigstore scope",
	    lambda repo: ({"%s/sig" % H(): [sgn()], "%s/%s" % (H(), repo): [R]},
	    "%s/%s" % (H(), repo)), True, 1, lambda repo, d: REJECT)
	prec_case("name:tag sigstore scope beats repository reject",
	    lambda repo: ({"%s/%s" % (H(), repo): [R], "%s/%s:v1" % (H(), repo):
	    [sgn()]}, "%s/%s:v1" % (H(), repo)), True, 0, okw)
	prec_case("sigstore scope beats insecureAcceptAnything default, "
	    "unsigned rejected", lambda repo: ({"%s/sig" % H(): [sgn()]},
	    "%s/sig" % H()), False, 1, lambda repo, d: "%s: no signature: no "
	    "%s attachment" % (desc(sgn()), cosign.sig_tag(d)), default=(A,))
	prec_case("insecureAcceptAnything repository beats sigstore host, "
	    "unsigned accepted", lambda repo: ({H(): [sgn()], "%s/%s" % (H(),
	    repo): [A]}, "%s/%s" % (H(), repo)), False, 0,
	    lambda repo, d: "insecureAcceptAnything")
	# several requirements: a rejection names the failing one alone, an
	# acceptance every one, joined by "; "
	prec_case("sigstore and reject in one scope: all must hold",
	    lambda repo: ({H(): [sgn(), R]}, H()), True, 1,
	    lambda repo, d: REJECT)
	prec_case("valid signature, second sigstoreSigned with another key "
	    "fails", lambda repo: ({H(): [sgn(), s.req("p384")]}, H()), True, 1,
	    lambda repo, d: "%s: %s" % (desc(s.req("p384")),
	    none_valid(OTHER_KEY)))
	prec_case("two sigstore requirements, both satisfied",
	    lambda repo: ({H(): [sgn(), s.req("p256", identity={"type":
	    "matchRepository"})]}, H()), True, 0, lambda repo, d: "%s; %s" % (
	    okw(repo, d), okw(repo, d)))


# --- differential: Debian's skopeo -------------------------------------------

def skopeo(s, policy, regd, ref, debug=False):
	out = s.lab.mkdir("skopeo-sig-out")
	argv = [labmod.SKOPEO] + (["--debug"] if debug else []) + [
	    "--policy", policy, "--registries.d", regd, "--registries-conf",
	    s.reg.lab_registries_conf(), "--tmpdir", s.lab.dir, "copy",
	    "--quiet", "--src-tls-verify=false", "--src-no-creds",
	    "docker://" + ref, "dir:" + out]
	return labmod.run(argv, timeout=60, check=False)


SKOPEO_DISABLED = "Debian-local change: sigstore disabled"
SKOPEO_NOSIG = "A signature was required, but no signature exists"


def skopeo_class(p):
	"""What skopeo's answer says: accepted, rejected-unsigned (no
	signature found), found (signatures found, verification refused),
	rejected (policy), error."""
	err = p.stderr
	if p.returncode == 0:
		return "accepted"
	if SKOPEO_DISABLED in err:
		return "found"
	if SKOPEO_NOSIG in err:
		return "unsigned"
	if "is rejected by policy" in err:
		return "rejected"
	return "error"


def ivlite_class(r):
	"""The same classes from ivlite's answer."""
	if r.exit == 0:
		return "accepted" if "insecureAcceptAnything" in r.reason or \
		    "verified" not in r.reason else "found"
	if r.exit == 1:
		if "none valid" in r.reason:
			return "found"
		if ": no signature: " in r.reason:
			return "unsigned"
		return "rejected"
	return "error"


def run_differential(t, s):
	"""Debian's skopeo 1.9.3 reads registries.d and fetches the
	attachment and its blobs like containers/image, but every candidate
	is refused ("Debian-local change: sigstore disabled"); with no
	candidates it says "A signature was required, but no signature
	exists".  So verdicts cannot be compared on verification, but
	discovery can: for each row both must agree whether signatures were
	found (ivlite: accepted/none valid; skopeo: sigstore disabled), none
	exist (both: no signature), the scope decided without signatures
	(accept/reject), or the attachment could not be read (error)."""
	rows = []	# (name, make() -> (policy, regd, ref), expected class)
	H = lambda: s.host

	def signed_image(name, **kw):
		repo, d = s.image("df-" + name)
		p = cosign.podman_payload(s.ref(repo), d)
		layers = kw.get("layers") or [cosign.Layer(p, key=s.key("p256"))]
		s.attach(repo, d, layers, docker=kw.get("docker", False))
		return repo, d

	for i, (name, files, en) in enumerate(registries_d_rows(s)):
		def make(files=files, i=i):
			repo, _ = signed_image("rd%02d" % i)
			return (s.policy({H(): [s.req("p256")]}), s.regd(files(repo)),
			    s.ref(repo))
		rows.append(("registries.d: " + name, make,
		    "found" if en else "unsigned"))

	def unsigned_make():
		repo, _ = s.image("df-unsigned")
		return s.policy({H(): [s.req("p256")]}), s.enabled(), s.ref(repo)
	rows.append(("unsigned image, attachments enabled", unsigned_make,
	    "unsigned"))

	def only_other_layers():
		repo, _ = signed_image("other-layers", layers=[cosign.Layer(b"x",
		    media_type="text/plain", no_annotation=True)])
		return s.policy({H(): [s.req("p256")]}), s.enabled(), s.ref(repo)
	rows.append(("attachment with only non-signature layers",
	    only_other_layers, "unsigned"))

	def missing_blob():
		repo, _ = signed_image("missing-blob", layers=[cosign.Layer(b"gone",
		    key=s.key("p256"), missing=True)])
		return s.policy({H(): [s.req("p256")]}), s.enabled(), s.ref(repo)
	rows.append(("signature blob missing", missing_blob, "error"))

	def docker_sig():
		repo, _ = signed_image("docker-mt", docker=True)
		return s.policy({H(): [s.req("p256")]}), s.enabled(), s.ref(repo)
	rows.append(("Docker media type .sig", docker_sig, "error"))

	def dup_scope():
		repo, _ = signed_image("dup")
		return (s.policy({H(): [s.req("p256")]}), s.regd({
		    "a.yaml": yaml_on(H()), "b.yaml": yaml_on(H())}), s.ref(repo))
	rows.append(("registries.d: one scope in two files", dup_scope,
	    "error"))

	def prec(name, scopes_fn, signed, default, want):
		def make():
			repo, _ = signed_image("pr-" + name) if signed else \
			    s.image("df-pr-" + name)
			return (s.policy(scopes_fn(repo), default), s.enabled(),
			    s.ref(repo))
		rows.append(("precedence: " + name, make, want))
	sgn = lambda: s.req("p256")
	prec("repository reject beats host sigstore", lambda repo:
	    {H(): [sgn()], "%s/%s" % (H(), repo): [R]}, True, [A], "rejected")
	prec("repository accept beats host sigstore (unsigned)", lambda repo:
	    {H(): [sgn()], "%s/%s" % (H(), repo): [A]}, False, [R], "accepted")
	prec("host sigstore beats accept default (unsigned)", lambda repo:
	    {H(): [sgn()]}, False, [A], "unsigned")
	prec("namespace sigstore beats host reject (signed)", lambda repo:
	    {H(): [R], "%s/sig" % H(): [sgn()]}, True, [R], "found")
	prec("sigstore elsewhere, default reject", lambda repo:
	    {"quay.io": [sgn()]}, True, [R], "rejected")
	prec("sigstore elsewhere, default accept", lambda repo:
	    {"quay.io": [sgn()]}, False, [A], "accepted")
	prec("tag reject beats repository sigstore", lambda repo:
	    {"%s/%s" % (H(), repo): [sgn()], "%s/%s:v1" % (H(), repo): [R]},
	    True, [A], "rejected")

	names = ["sigstore differential: " + n for n, _, _ in rows]
	if not any(t.selected(n) for n in names):
		return
	if labmod.missing_tools("skopeo"):
		for n in names:
			t.case(n, _raise, Skip("skopeo not installed"))
		return
	made = {}
	for n, (name, make, want) in zip(names, rows):
		if t.selected(n):
			try:
				made[n] = make()
			except Exception as e:	# reported by the case
				made[n] = e
	jobs = [(n, v) for n, v in made.items() if not isinstance(v,
	    Exception)]
	with concurrent.futures.ThreadPoolExecutor(8) as ex:
		sk = dict(zip([n for n, _ in jobs], ex.map(
		    lambda j: skopeo(s, *j[1]), jobs)))
	for n, (name, make, want) in zip(names, rows):
		if n not in made:
			continue
		t.case(n, diff_compare, t, s, made[n], sk.get(n), want)


def _raise(e):
	raise e


def diff_compare(t, s, made, sk, want):
	if isinstance(made, Exception):
		raise made
	pol, regd, ref = made
	r = s.ivlite(ref, pol, regd=regd)
	ic, sc = ivlite_class(r), skopeo_class(sk)
	if ic != sc:
		raise Fail("DISAGREEMENT: skopeo %s (exit %d: %s), ivlite %s "
		    "(exit %s: %r)" % (sc, sk.returncode, sk.stderr.strip()[-300:],
		    ic, r.exit, r.reason))
	if sc != want:
		raise Fail("TABLE ERROR: ivlite and skopeo agree (%s) but the "
		    "table expects %s; skopeo: %s" % (sc, want,
		    sk.stderr.strip()[-300:]))
	if r.exit == 3 and not r.reason.startswith("error: "):
		raise Fail("exit 3 without an error line: %r" % r.reason)


# --- the cosign-prefix deployment through the containerd harness -------------

def deployment_policy(s):
	"""policies/cosign-prefix.json with its key replaced by a lab key and
	ghcr.io by the lab registry (signatures are fetched from there)."""
	with open(os.path.join(s.t.policies, "cosign-prefix.json")) as f:
		text = f.read()
	pol = json.loads(text)
	scopes = pol["transports"]["docker"]
	if list(scopes) != ["ghcr.io/acme"]:
		raise Fail("policies/cosign-prefix.json: expected the one scope "
		    "ghcr.io/acme, got %s" % list(scopes))
	key = s.keyfile("p256-acme")
	text = text.replace("/etc/pki/containers/acme-cosign.pub", key) \
	    .replace('"ghcr.io/acme"', '"%s/acme"' % s.host)
	return s.lab.write("cosign-prefix.json", text), key


def run_deployment(t, s):
	state = {}

	def setup():
		if "bindir" not in state:
			pol, key = deployment_policy(s)
			bindir, _ = containerd.wrapper_bindir(s.lab, t.ivlite, pol,
			    ["-registries-d", s.enabled(), "-insecure", s.host,
			    "-certs-d", s.certs, "-auth", s.auth])
			state.update(bindir=bindir, key=key, pol=pol)
		return state

	def pull(repo_dir, name, signer, code, why_fn, ident=None):
		"""SIGNER: the key that signs (cosign's repository-only
		identity, or IDENT(repo)), None: unsigned."""
		def f():
			st = setup()
			repo, d = s.image(name, repo_dir)
			if signer:
				s.attach(repo, d, [cosign.Layer(cosign.cosign_payload(
				    ident(repo) if ident else s.ref(repo, None), d),
				    key=s.key(signer))])
			ref = s.ref(repo)
			j = containerd.verify_image(st["bindir"], ref,
			    containerd.descriptor(d))
			if not j.results:
				raise Fail("no verifier ran: %r" % j)
			r = j.results[0][1]
			line = "%s %s@%s: %s" % ("accepted" if code == 0 else
			    "rejected", ref, d, why_fn(repo, d, st["key"]))
			t.expect(r, code, line)
			if j.ok != (code == 0) or j.error:
				raise Fail("containerd: expected %s, got %r" % (
				    "allowed" if code == 0 else "blocked", j))
		t.case("deployment cosign-prefix.json: " + (
		    "%s/%s" % (repo_dir, name)) + " " + ("accepted" if code == 0
		    else "rejected"), f)

	sc = lambda: scope("%s/acme" % s.host)
	dsc = lambda key: "sigstoreSigned(keyPath=%s)" % key
	pull("acme", "app", "p256-acme", 0, lambda repo, d, key:
	    "%s: %s: signature 1 of 1 verified, identity %s" % (sc(), dsc(key),
	    s.ref(repo, None)))
	pull("acme/team", "app", "p256-acme", 0, lambda repo, d, key:
	    "%s: %s: signature 1 of 1 verified, identity %s" % (sc(), dsc(key),
	    s.ref(repo, None)))
	pull("acme", "unsigned", None, 1, lambda repo, d, key:
	    "%s: %s: no signature: no %s attachment" % (sc(), dsc(key),
	    cosign.sig_tag(d)))
	pull("acme", "otherkey", "p256-other", 1, lambda repo, d, key:
	    "%s: %s: %s" % (sc(), dsc(key), none_valid(OTHER_KEY)))
	pull("acme", "otherrepo", "p256-acme", 1, lambda repo, d, key:
	    "%s: %s: %s" % (sc(), dsc(key), none_valid(mismatch(
	    s.ref("acme/elsewhere", None), s.ref(repo), "matchRepository"))),
	    ident=lambda repo: s.ref("acme/elsewhere", None))
	pull("acmex", "app", "p256-acme", 1, lambda repo, d, key:
	    "scope default: " + REJECT)
	pull("other", "app", "p256-acme", 1, lambda repo, d, key:
	    "scope default: " + REJECT)
