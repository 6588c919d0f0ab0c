#!/usr/bin/python3
"""Real signers: Debian's cosign 3, notation and oras (tests/tools).

test_sigstore.py writes cosign-format .sig attachments by hand
(tests/cosign.py).  Here the same kinds of cases are signed by the real
cosign 3 with --new-bundle-format=false --use-signing-config=false
--tlog-upload=false, which writes the legacy <repo>:sha256-<hex>.sig
attachment with a key and no transparency log, so:

- the hand-written format is checked against the real one byte for byte
  (manifest, config, payload, with and without -a annotations);
- ivlite judges the real signatures: cosign's repository-only identity,
  another key, two signatures, --sign-container-identity, multi-arch
  (the index, --recursive children), keyData.

The lab helpers the format issues build on (cosign 3's default bundle
output, notation signatures, oras pushes) get a smoke test each: they run
offline against the lab registry and leave what they should.

A tool that cannot be had fails every case that needs it, naming its
Debian package (never a skip).  Run through tests/integration.py.
"""

import base64
import json

import containerd
import cosign
import lab as labmod
from integration import Fail
from test_sigstore import OTHER_KEY, accepted, check_payload, clean_env, \
    desc, mismatch, none_valid, rejected, scope

MRDE = "matchRepoDigestOrExact"
MT_BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
MT_NOTATION = "application/vnd.cncf.notary.signature"


class Real:
	"""The module's state: the run's registry, the tools and keys, made
	on first use; a tool that cannot be had is a failure."""

	def __init__(self, t):
		self.t = t
		self.lab = t.lab
		self._cosign = None
		self._keys = {}
		self._regd = None
		self._n = 0

	@property
	def reg(self):
		return self.t.registry()

	@property
	def host(self):
		return self.reg.host

	def need(self, fn):
		try:
			return fn()
		except labmod.LabError as e:
			raise Fail(str(e))

	@property
	def cosign(self):
		if self._cosign is None:
			self._cosign = self.need(lambda: labmod.Cosign(self.lab))
		return self._cosign

	def key(self, name="a"):
		"""(public key path, private key path) made by cosign."""
		if name not in self._keys:
			self._keys[name] = self.need(lambda: self.cosign
			    .generate_key_pair(name))
		return self._keys[name]

	def image(self, name, index=False):
		"""A fresh image (or index) REG/real/NAME-N:v1; (repo, digest[,
		children])."""
		self._n += 1
		repo = "real/%s-%d" % (name, self._n)
		if index:
			d, kids = self.need(lambda: cosign.put_index(self.reg, repo,
			    "v1", content="real cosign %s" % repo))
			return repo, d, kids
		return repo, self.need(lambda: cosign.put_image(self.reg, repo,
		    "v1", content="real cosign %s" % repo))

	def sign(self, repo, digest, key="a", **kw):
		return self.need(lambda: self.cosign.sign(self.reg, repo, digest,
		    self.key(key)[1], **kw))

	def req(self, key="a", identity=None):
		r = {"type": "sigstoreSigned", "keyPath": self.key(key)[0]}
		if identity:
			r["signedIdentity"] = {"type": identity}
		return r

	def regd(self):
		if self._regd is None:
			self._regd = self.lab.mkdir("real-registries.d")
			with open(self._regd + "/lab.yaml", "w") as f:
				f.write("docker:\n  %s:\n    use-sigstore-attachments: "
				    "true\n" % self.host)
		return self._regd

	def ivlite(self, ref, req, digest=None):
		"""ivlite standalone on REF, policy {REG: [REQ]}; (run, req)."""
		pol = self.t.policy_file({"default": [{"type": "reject"}],
		    "transports": {"docker": {self.host: [req]}}},
		    "real-policy.json")
		argv = [self.t.ivlite, "-name", ref, "-policy", pol,
		    "-registries-d", self.regd(), "-insecure", self.host]
		if digest:
			argv += ["-digest", digest]
		return containerd.run_direct(argv, stdin=b"", env=clean_env())

	def expect(self, ref, d, req, code, why, digest=None):
		r = self.ivlite(ref, req, digest)
		if code == 0:
			line = accepted(ref, d, scope(self.host), desc(req), *why)
		else:
			line = rejected(ref, d, scope(self.host), desc(req), why)
		return self.t.expect(r, code, line)

	def attachment(self, repo, d):
		"""(manifest bytes, Content-Type) of REPO's .sig for D."""
		st, ct, body = cosign.get(self.reg, repo, "manifests/" +
		    cosign.sig_tag(d))
		if st != 200:
			raise Fail("GET %s:%s: %d %r" % (repo, cosign.sig_tag(d), st,
			    body[:200]))
		return body, ct


def run(t):
	r = Real(t)
	v = lambda: r.cosign.version
	name = lambda s: "real cosign 3: " + s

	def layout(annotations=None):
		repo, d = r.image("layout")
		r.sign(repo, d, annotations=annotations)
		body, ct = r.attachment(repo, d)
		m = json.loads(body)
		if len(m.get("layers") or []) != 1:
			raise Fail("cosign %s wrote %r" % (v(), m))
		ly = m["layers"][0]
		payload = r.reg.get_blob(repo, ly["digest"])
		ident = r.reg.ref(repo)
		if annotations is None:
			check_payload(payload, ident, d, None)
		want = cosign.payload(ident, d, annotations)
		if payload != want:
			raise Fail("cosign %s payload differs from tests/cosign.py's:"
			    "\n  real %r\n  ours %r" % (v(), payload, want))
		ann = ly.get("annotations") or {}
		sig = base64.b64decode(ann.get(cosign.ANN_SIGNATURE, ""))
		with open(r.key()[0], "rb") as f:
			if not cosign.verify(f.read(), sig, payload):
				raise Fail("cosign %s signature does not verify with "
				    "cryptography" % v())
		ours, cfg, mt = cosign.sig_manifest([cosign.Layer(payload,
		    signature=sig)])
		if (body, ct) != (ours, mt):
			raise Fail("cosign %s .sig manifest differs from "
			    "tests/cosign.py's:\n  real %s %r\n  ours %s %r"
			    % (v(), ct, body, mt, ours))
		if r.reg.get_blob(repo, m["config"]["digest"]) != cfg:
			raise Fail("cosign %s config blob differs from "
			    "tests/cosign.py's" % v())
	t.case(name(".sig attachment byte for byte as tests/cosign.py writes "
	    "it"), layout)
	t.case(name("-a annotations: payload optional as tests/cosign.py "
	    "writes it"), lambda: layout({"org": "acme", "build": "42"}))

	def case(label, key="a", pull="tag", identity="matchRepository",
	    code=0, why=None, **kw):
		"""An image signed by cosign with key "a" (KW: sign()'s
		options), judged with KEY and IDENTITY after a PULL by tag or
		digest; WHY(repo, digest, ref) as in Real.expect()."""
		def f():
			repo, d = r.image("signed")
			r.sign(repo, d, **kw)
			ref = r.reg.ref(repo, "v1") if pull == "tag" else \
			    r.reg.ref(repo, digest=d)
			w = why(repo, d, ref) if callable(why) else why
			r.expect(ref, d, r.req(key, identity), code, w)
		t.case(name(label), f)

	case("key signature, matchRepository: accepted", why=lambda repo, d,
	    ref: (1, 1, r.reg.ref(repo)))
	case("key signature, by-digest pull: accepted", pull="digest",
	    why=lambda repo, d, ref: (1, 1, r.reg.ref(repo)))
	case("repository-only identity under the default "
	    "matchRepoDigestOrExact: rejected", identity=None, code=1,
	    why=lambda repo, d, ref: none_valid(mismatch(r.reg.ref(repo), ref,
	    MRDE)))
	case("repository-only identity, by-digest pull, default identity: "
	    "rejected", identity=None, pull="digest", code=1,
	    why=lambda repo, d, ref: none_valid(mismatch(r.reg.ref(repo), ref,
	    MRDE)))
	case("signed by another cosign key: rejected", key="b", code=1,
	    why=none_valid(OTHER_KEY))
	case("-a annotations: accepted", annotations={"org": "acme"},
	    why=lambda repo, d, ref: (1, 1, r.reg.ref(repo)))

	def other_identity():
		repo, d = r.image("identity")
		other = r.reg.ref("real/elsewhere")
		r.sign(repo, d, identity=other)
		ref = r.reg.ref(repo, "v1")
		r.expect(ref, d, r.req(identity="matchRepository"), 1,
		    none_valid(mismatch(other, ref, "matchRepository")))
	t.case(name("--sign-container-identity of another repository: "
	    "rejected"), other_identity)

	def two(key, i):
		repo, d = r.image("two")
		r.sign(repo, d, key="a")
		r.sign(repo, d, key="b")
		ref = r.reg.ref(repo, "v1")
		r.expect(ref, d, r.req(key, "matchRepository"), 0,
		    (i, 2, r.reg.ref(repo)))
	t.case(name("signed twice (two keys, two layers): the first key "
	    "verifies signature 1 of 2"), lambda: two("a", 1))
	t.case(name("signed twice: the second key verifies signature 2 of 2"),
	    lambda: two("b", 2))

	def key_data():
		repo, d = r.image("keydata")
		r.sign(repo, d)
		with open(r.key()[0], "rb") as f:
			req = {"type": "sigstoreSigned", "keyData":
			    base64.b64encode(f.read()).decode(), "signedIdentity":
			    {"type": "matchRepository"}}
		ref = r.reg.ref(repo, "v1")
		r.expect(ref, d, req, 0, (1, 1, r.reg.ref(repo)))
	t.case(name("keyData holding cosign.pub: accepted"), key_data)

	def multi(recursive):
		repo, idx, kids = r.image("multi", index=True)
		r.sign(repo, idx, recursive=recursive)
		ref = r.reg.ref(repo, "v1")
		req = r.req(identity="matchRepository")
		r.expect(ref, idx, req, 0, (1, 1, r.reg.ref(repo)), digest=idx)
		arm = kids["arm64"]
		if recursive:
			r.expect(ref, arm, req, 0, (1, 1, r.reg.ref(repo)),
			    digest=arm)
		else:
			r.expect(ref, arm, req, 1, "no signature: no %s attachment"
			    % cosign.sig_tag(arm), digest=arm)
	t.case(name("index signed: -digest of the index accepted, of a child "
	    "not signed"), lambda: multi(False))
	t.case(name("index signed --recursive: the index and each child "
	    "accepted"), lambda: multi(True))

	run_helpers(t, r)


def run_helpers(t, r):
	"""The helpers the format issues use, each against the lab registry."""
	v = lambda: r.cosign.version
	def bundle():
		repo, d = r.image("bundle")
		r.sign(repo, d, bundle=True)
		found = [m for _, m in r.need(lambda: labmod.referrers(r.reg,
		    repo, d)) if m.get("artifactType") == MT_BUNDLE]
		if len(found) != 1 or [ly.get("mediaType") for ly in
		    found[0].get("layers") or []] != [MT_BUNDLE] or \
		    found[0].get("subject", {}).get("digest") != d:
			raise Fail("cosign %s: expected one %s referrer of %s with "
			    "one bundle layer, got %r" % (v(), MT_BUNDLE, d, found))
		b = json.loads(r.reg.get_blob(repo, found[0]["layers"][0]
		    ["digest"]))
		if b.get("mediaType") != MT_BUNDLE or "dsseEnvelope" not in b:
			raise Fail("cosign %s bundle: %r" % (v(), b))
		st, _, _ = cosign.get(r.reg, repo, "manifests/" +
		    cosign.sig_tag(d))
		if st != 404:
			raise Fail("the bundle format also wrote a .sig (%d)" % st)
	t.case("real cosign 3: default (bundle) format: a Sigstore bundle "
	    "referrer, offline", bundle)

	def notation():
		n = r.need(lambda: labmod.Notation(r.lab))
		crt = r.need(n.generate_test_key)
		with open(crt, "rb") as f:
			if not f.read().startswith(b"-----BEGIN CERTIFICATE-----"):
				raise Fail("notation test certificate %s" % crt)
		repo, d = r.image("notation")
		r.need(lambda: n.sign(r.reg, repo, d))
		# an image manifest's artifact type is its config's media type
		# when it has no artifactType (image-spec 1.1)
		got = [(m.get("artifactType") or m["config"]["mediaType"],
		    [ly["mediaType"] for ly in m["layers"]]) for _, m in
		    r.need(lambda: labmod.referrers(r.reg, repo, d))]
		if got != [(MT_NOTATION, ["application/jose+json"])]:
			raise Fail("notation %s: expected one %s referrer of %s "
			    "holding a JWS envelope, got %r" % (n.version,
			    MT_NOTATION, d, got))
	t.case("real notation: sign with a test key, offline", notation)

	def oras():
		o = r.need(lambda: labmod.Oras(r.lab))
		d = r.need(lambda: o.push(r.reg, "real/oras", "v1",
		    {"hello.txt": (b"hello\n", "text/plain")},
		    artifact_type="application/vnd.ivlite.test"))
		if r.reg.head_digest("real/oras", "v1") != d:
			raise Fail("oras %s push: registry disagrees on %s"
			    % (o.version, d))
		a = r.need(lambda: o.attach(r.reg, "real/oras", d,
		    {"note.txt": (b"note\n", "text/plain")},
		    "application/vnd.ivlite.note"))
		man, _ = r.reg.get_manifest("real/oras", a)
		if json.loads(man).get("subject", {}).get("digest") != d:
			raise Fail("oras %s attach: no subject %s in %r"
			    % (o.version, d, man[:300]))
	t.case("real oras: push an artifact and attach a referrer", oras)
