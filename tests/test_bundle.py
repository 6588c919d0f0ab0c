#!/usr/bin/python3
"""sigstoreBundle: cosign 3 signatures (Sigstore bundles) with public keys
and BYO-PKI, and cosign's legacy .sig as their fallback.

- Real cosign 3.1.1 (tests/tools, lab.Cosign) signs, attests and signs
  with --certificate on the lab's docker-registry 2.8, which has no
  referrers API: cosign writes the fallback index tagged sha256-<hex>,
  whose descriptors carry the empty artifactType (the cosign bug ivlite
  must survive), and on tests/ocireg.py, which has the API (cosign then
  pushes plain referrers) and pages it.
- bundle() writes bundles from ../shared/specs/sigstore-bundle.md (§4,
  §7), signed with cosign.Key, for every malformed variant the parser
  must refuse; attach() pushes them to ocireg as referrers.
- Hostile listings from ocireg's knobs: endless Link pages, 10,000
  descriptors, an oversized or lying referrer manifest, filters applied
  unasked, an off-origin Link, missing or mismatching content.

Every case asserts the exact exit status and reason line.  A tool that
cannot be had fails the cases that need it (never a skip).  Run through
tests/integration.py.
"""

import base64
import json
import os
import re

import containerd
import cosign
import lab as labmod
import ocireg
import sigpki
from integration import Fail
from test_cosign_real import Real
from test_sigstore import clean_env

MT_BUNDLE = cosign.MT_BUNDLE
MT_BUNDLE01 = "application/vnd.dev.sigstore.bundle+json;version=0.1"
MT_EMPTY = cosign.MT_EMPTY
MT_MANIFEST = cosign.MT_OCI_MANIFEST
INTOTO = cosign.MT_INTOTO
SIGN = cosign.PT_SIGN
SLSA = "https://slsa.dev/provenance/v1"
statement, pae, bundle = cosign.statement, cosign.pae, cosign.bundle
OTHER_KEY = "signed by another key"
NOT_IMAGE = "the statement's subject is not the image (a bundle for " \
    "another digest)"


def jdump(obj):
	return json.dumps(obj, separators=(",", ":")).encode()


def b64(data):
	return base64.b64encode(data).decode()


def attach(reg, repo, subject, blob, layers=None, subject_digest=None,
    manifest=None, layer_type=MT_BUNDLE):
	"""BLOB pushed to ocireg REG as the one bundle layer (LAYER_TYPE) of
	a referrer manifest of SUBJECT (shaped as cosign 3 writes it);
	LAYERS replaces the layer list, SUBJECT_DIGEST the subject,
	MANIFEST (bytes) the whole manifest.  Returns the manifest's
	digest."""
	man, cfg = cosign.bundle_manifest(subject_digest or subject,
	    reg.put_blob(blob), len(blob), layer_type)
	reg.put_blob(cfg)
	if layers is not None:
		m = json.loads(man)
		m["layers"] = layers
		man = jdump(m)
	return reg.put(repo, manifest or man, MT_MANIFEST)


def desc(req):
	"""How ivlite names a sigstoreBundle requirement REQ."""
	for k in ("keyPath",):
		if k in req:
			return "sigstoreBundle(%s=%s)" % (k, req[k])
	if "keyPaths" in req:
		return "sigstoreBundle(keyPaths=[%s])" % ",".join(req["keyPaths"])
	for k in ("keyData", "keyDatas"):
		if k in req:
			return "sigstoreBundle(%s)" % k
	return "sigstoreBundle(pki)" if "pki" in req else \
	    "sigstoreBundle(fulcio)"


def tag_src(d):
	"""The reasons' name of the referrers tag schema of D."""
	return "referrers tag sha256-%s\u2026" % d[7:19]


API = "referrers API"


def sig_tag(d):
	return "sha256-%s.sig" % d[7:]


class State(Real):
	"""The module's state: registries, tools and keys, made on first
	use (Real's need(), cosign and key()); a tool that cannot be had is
	a failure."""

	def __init__(self, t):
		super().__init__(t)
		self._oci = None

	@property
	def oci(self):
		if self._oci is None:
			self._oci = ocireg.OciRegistry(self.lab)
		return self._oci

	def fresh_oci(self):
		"""An ocireg of its own, for knobs that would upset others."""
		return ocireg.OciRegistry(self.lab)

	def image(self, reg, name="img"):
		"""A fresh image on REG: (repo, digest)."""
		self._n += 1
		repo = "bundle/%s-%d" % (name, self._n)
		return repo, self.need(lambda: cosign.put_image(reg, repo, "v1",
		    content="bundle test %s" % repo))

	def sign(self, reg, repo, d, key="a", **kw):
		kw.setdefault("bundle", True)
		return self.need(lambda: self.cosign.sign(reg, repo, d,
		    self.key(key)[1], **kw))

	def req(self, key="a", **kw):
		r = {"type": "sigstoreBundle", "keyPath": self.key(key)[0]}
		r.update(kw)
		return r

	def run(self, reg, repo, d, req, opts=()):
		"""ivlite standalone on REG/REPO:v1 at D under {REG: [REQ]}."""
		pol = self.t.policy_file({"default": [{"type": "reject"}],
		    "transports": {"docker": {reg.host: [req]}}},
		    "bundle-policy.json")
		argv = [self.t.ivlite, "-name", reg.ref(repo, "v1"), "-digest", d,
		    "-policy", pol, "-insecure", reg.host] + list(opts)
		return containerd.run_direct(argv, stdin=b"", env=clean_env())

	def line(self, reg, repo, d, req, code, detail):
		return "%s %s@%s: scope transports.docker[\"%s\"]: %s: %s" % (
		    "accepted" if code == 0 else "rejected", reg.ref(repo, "v1"),
		    d, reg.host, desc(req), detail)

	def expect(self, reg, repo, d, req, code, detail, opts=()):
		"""Exit CODE with the verdict line ending in DETAIL (an error
		line when CODE is 2 or 3: DETAIL is then what follows "error: ")."""
		r = self.run(reg, repo, d, req, opts)
		if code in (2, 3):
			return self.t.expect(r, code, "error: " + detail)
		return self.t.expect(r, code, self.line(reg, repo, d, req, code,
		    detail))


def ok(fmt, src, signer):
	return "%s (%s) verified, signed by %s" % (fmt, src, signer)


def none_valid(*cands):
	"""CANDS: (format, source or None, why) each."""
	n = len(cands)
	return "%d candidate%s, none valid: %s" % (n, "" if n == 1 else "s",
	    "; ".join("#%d %s%s: %s" % (i + 1, f, " (%s)" % s if s else "", w)
	    for i, (f, s, w) in enumerate(cands)))


def no_sig(d, src):
	return "no signature: no referrers (%s) and no %s attachment" % (src,
	    sig_tag(d))


def run(t):
	s = State(t)
	run_real(t, s)
	run_shipped(t, s)
	run_pki(t, s)
	run_api(t, s)
	run_crafted(t, s)
	run_hostile(t, s)
	run_config(t, s)


def run_real(t, s):
	"""Real cosign 3.1.1 on docker-registry 2.8: the fallback tag."""
	name = lambda x: "bundle, real cosign 3: " + x

	def signed(key="a", sign_key="a", code=0, why=None, sign=True, **kw):
		def f():
			repo, d = s.image(s.reg)
			if sign:
				s.sign(s.reg, repo, d, sign_key, **kw)
			req = s.req(key)
			w = why(d, req) if callable(why) else why
			s.expect(s.reg, repo, d, req, code, w)
		return f

	t.case(name("key-signed bundle accepted"), signed(why=lambda d, req:
	    ok("bundle v0.3", tag_src(d), req["keyPath"])))
	t.case(name("another key: rejected"), signed(key="b", code=1,
	    why=lambda d, req: none_valid(("bundle", tag_src(d), OTHER_KEY))))
	t.case(name("unsigned: no signature"), signed(sign=False, code=1,
	    why=lambda d, req: no_sig(d, tag_src(d))))

	def empty_artifact_type():
		"""cosign 3.1.1's fallback index names its bundle descriptor
		with the empty media type; ivlite reads the manifest instead"""
		repo, d = s.image(s.reg)
		s.sign(s.reg, repo, d)
		idx = json.loads(s.reg.get_manifest(repo, d.replace(":", "-"))[0])
		at = [m.get("artifactType") for m in idx["manifests"]]
		if at != [MT_EMPTY]:
			raise Fail("cosign %s fallback index: artifactType %r (the "
			    "case expects cosign's empty-type bug)" % (s.cosign.version,
			    at))
		req = s.req()
		s.expect(s.reg, repo, d, req, 0, ok("bundle v0.3", tag_src(d),
		    req["keyPath"]))
	t.case(name("fallback index with the empty artifactType: accepted"),
	    empty_artifact_type)

	def two_bundles():
		"""cosign keeps its fallback index sorted by digest: the index
		is rewritten with key b's bundle first"""
		repo, d = s.image(s.reg)
		tag = d.replace(":", "-")
		s.sign(s.reg, repo, d, "b")
		bad = json.loads(s.reg.get_manifest(repo, tag)[0])["manifests"]
		s.sign(s.reg, repo, d, "a")
		idx = json.loads(s.reg.get_manifest(repo, tag)[0])
		idx["manifests"] = bad + [m for m in idx["manifests"] if m not in
		    bad]
		cosign.put_manifest(s.reg, repo, tag, jdump(idx), ocireg.MT_INDEX)
		req = s.req("a")
		r = s.expect(s.reg, repo, d, req, 0, ok("bundle v0.3", tag_src(d),
		    req["keyPath"]))
		r = s.run(s.reg, repo, d, req, ["-o", "json"])
		got = json.loads(r.stdout)["requirements"][0]["candidates"]
		want = [{"source": tag_src(d), "format": "bundle", "signer": None,
		    "ok": False, "why": OTHER_KEY}, {"source": tag_src(d), "format":
		    "bundle v0.3", "signer": req["keyPath"], "ok": True, "why":
		    None}]
		if r.exit != 0 or got != want:
			raise Fail("-o json: exit %s, candidates %r, want %r"
			    % (r.exit, got, want))
	t.case(name("two bundles, another key's first: the second accepted "
	    "(-o json lists both)"), two_bundles)

	def attest(listed):
		repo, d = s.image(s.reg)
		pred = s.lab.write("predicate.json", json.dumps({"buildDefinition":
		    {"buildType": "https://ivlite.test/build"}, "runDetails":
		    {"builder": {"id": "https://ivlite.test/builder"}}}))
		s.need(lambda: s.cosign.attest(s.reg, repo, d, s.key()[1], pred,
		    "slsaprovenance1"))
		if listed:
			req = s.req(predicateTypes=[SIGN, SLSA])
			s.expect(s.reg, repo, d, req, 0, ok("bundle v0.3", tag_src(d),
			    req["keyPath"]))
		else:
			req = s.req()
			s.expect(s.reg, repo, d, req, 1, none_valid(("bundle",
			    tag_src(d), "predicateType %s not accepted" % SLSA)))
	t.case(name("cosign attest (SLSA provenance): rejected by default"),
	    lambda: attest(False))
	t.case(name("cosign attest (SLSA provenance): accepted when "
	    "predicateTypes lists it"), lambda: attest(True))

	def annotated(signed_with, wanted, code):
		repo, d = s.image(s.reg)
		s.sign(s.reg, repo, d, annotations=signed_with)
		req = s.req(**({"annotations": wanted} if wanted else {}))
		if code == 0:
			why = ok("bundle v0.3", tag_src(d), req["keyPath"])
		else:
			k, v = sorted(wanted.items())[0]
			why = none_valid(("bundle", tag_src(d), "annotation %s=%s not "
			    "on the statement's subject" % (k, v)))
		s.expect(s.reg, repo, d, req, code, why)
	t.case(name("-a env=prod, annotations env=prod: accepted"),
	    lambda: annotated({"env": "prod"}, {"env": "prod"}, 0))
	t.case(name("-a env=prod, no annotations required: accepted"),
	    lambda: annotated({"env": "prod"}, None, 0))
	t.case(name("-a env=prod, annotations env=dev: rejected"),
	    lambda: annotated({"env": "prod"}, {"env": "dev"}, 1))
	t.case(name("no -a, annotations env=prod: rejected"),
	    lambda: annotated(None, {"env": "prod"}, 1))

	def moved(keep_subject):
		"""A's bundle referrer copied under B's referrers tag: with its
		subject still A, or rewritten to B (the statement still says A)"""
		repo, a = s.image(s.reg)
		b = s.need(lambda: cosign.put_image(s.reg, repo, "other",
		    content="moved onto %s" % repo))
		s.sign(s.reg, repo, a)
		idx = json.loads(s.reg.get_manifest(repo, a.replace(":", "-"))[0])
		man = json.loads(s.reg.get_manifest(repo, idx["manifests"][0]
		    ["digest"])[0])
		if not keep_subject:
			man["subject"]["digest"] = b
		data = jdump(man)
		md = cosign.put_manifest(s.reg, repo, ocireg.digest(data), data,
		    MT_MANIFEST)
		cosign.put_manifest(s.reg, repo, b.replace(":", "-"), jdump({
		    "schemaVersion": 2, "mediaType": ocireg.MT_INDEX, "manifests":
		    [{"mediaType": MT_MANIFEST, "digest": md, "size": len(data),
		    "artifactType": MT_BUNDLE}]}), ocireg.MT_INDEX)
		why = "its manifest's subject is \"%s\", not the image" % a if \
		    keep_subject else NOT_IMAGE
		s.expect(s.reg, repo, b, s.req(), 1, none_valid(("bundle",
		    tag_src(b), why)))
	t.case(name("bundle moved onto another image: its manifest's subject "
	    "is not the image"), lambda: moved(True))
	t.case(name("bundle moved onto another image, subject rewritten: the "
	    "statement's is not"), lambda: moved(False))

	def edited(what):
		"""The DSSE envelope of a real bundle edited after signing"""
		repo, d = s.image(s.reg)
		s.sign(s.reg, repo, d)
		idx = json.loads(s.reg.get_manifest(repo, d.replace(":", "-"))[0])
		man = json.loads(s.reg.get_manifest(repo, idx["manifests"][0]
		    ["digest"])[0])
		b = json.loads(s.reg.get_blob(repo, man["layers"][0]["digest"]))
		env = b["dsseEnvelope"]
		if what == "payload":
			st = json.loads(base64.b64decode(env["payload"]))
			st["predicate"] = {"edited": True}
			env["payload"] = b64(jdump(st))
		else:
			env["payloadType"] = "application/json"
		blob = jdump(b)
		cosign.put_blob(s.reg, repo, blob)
		man["layers"][0].update(digest=ocireg.digest(blob), size=len(blob))
		data = jdump(man)
		cosign.put_manifest(s.reg, repo, ocireg.digest(data), data,
		    MT_MANIFEST)
		idx["manifests"][0].update(digest=ocireg.digest(data),
		    size=len(data))
		cosign.put_manifest(s.reg, repo, d.replace(":", "-"), jdump(idx),
		    ocireg.MT_INDEX)
		s.expect(s.reg, repo, d, s.req(), 1, none_valid(("bundle",
		    tag_src(d), OTHER_KEY)))
	t.case(name("DSSE payload edited after signing: rejected"),
	    lambda: edited("payload"))
	t.case(name("DSSE payloadType edited after signing: rejected"),
	    lambda: edited("payloadType"))

	def legacy(key, code):
		repo, d = s.image(s.reg)
		s.sign(s.reg, repo, d, bundle=False)
		req = s.req(key)
		if code == 0:
			why = "legacy .sig (%s, signature 1 of 1) verified, signed by " \
			    "%s, identity \"%s\" (reported, not required)" % (
			    sig_tag(d), req["keyPath"], s.reg.ref(repo))
		else:
			why = none_valid(("legacy .sig", None, OTHER_KEY))
		s.expect(s.reg, repo, d, req, code, why)
	t.case(name("legacy .sig only: accepted, its identity reported"),
	    lambda: legacy("a", 0))
	t.case(name("legacy .sig only, another key: rejected"),
	    lambda: legacy("b", 1))

	def both():
		"""A bundle by key a and a legacy .sig by key b: key b's policy
		tries the bundle, then the .sig"""
		repo, d = s.image(s.reg)
		s.sign(s.reg, repo, d, "a")
		s.sign(s.reg, repo, d, "b", bundle=False)
		req = s.req("b")
		s.expect(s.reg, repo, d, req, 0, "legacy .sig (%s, signature 1 of "
		    "1) verified, signed by %s, identity \"%s\" (reported, not "
		    "required)" % (sig_tag(d), req["keyPath"], s.reg.ref(repo)))
		s.expect(s.reg, repo, d, s.req("c"), 1, none_valid(("bundle",
		    tag_src(d), OTHER_KEY), ("legacy .sig", None, OTHER_KEY)))
	t.case(name("a bundle and a legacy .sig by other keys: each key finds "
	    "its own"), both)

	def shared_sig():
		"""sigstoreSigned and sigstoreBundle's fallback in one scope
		read the same .sig attachment: fetched once"""
		repo, d = s.image(s.reg)
		s.sign(s.reg, repo, d, bundle=False)
		regd = t.lab.mkdir("bundle-regd")
		with open(os.path.join(regd, "d.yaml"), "w") as f:
			f.write("default-docker:\n  use-sigstore-attachments: true\n")
		pol = t.policy_file({"default": [{"type": "reject"}], "transports":
		    {"docker": {s.reg.host: [{"type": "sigstoreSigned", "keyPath":
		    s.key("a")[0], "signedIdentity": {"type": "matchRepository"}},
		    s.req("a")]}}}, "bundle-shared.json")
		r = containerd.run_direct([t.ivlite, "-v", "-name", s.reg.ref(repo,
		    "v1"), "-digest", d, "-policy", pol, "-registries-d", regd,
		    "-insecure", s.reg.host], stdin=b"", env=clean_env())
		t.expect(r, 0, prefix="accepted ")
		gets = [u for u in re.findall(r"GET (\S+) -> \d+",
		    r.stderr) if sig_tag(d) in u]
		if len(gets) != 1:
			raise Fail("the .sig manifest fetched %d times: %s" % (
			    len(gets), gets))
	t.case(name("sigstoreSigned and sigstoreBundle in one scope: the .sig "
	    "fetched once"), shared_sig)

	def p384():
		"""cosign 3.1.1 signs a bundle with a P-384 key over SHA-384"""
		k = cosign.Key("p384")
		from cryptography.hazmat.primitives import serialization as ser
		pub, priv = s.need(lambda: s.cosign.import_key_pair(
		    k.priv.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8,
		    ser.NoEncryption()), "p384"))
		repo, d = s.image(s.reg)
		s.need(lambda: s.cosign.sign(s.reg, repo, d, priv, bundle=True))
		req = {"type": "sigstoreBundle", "keyPath": pub}
		s.expect(s.reg, repo, d, req, 0, ok("bundle v0.3", tag_src(d),
		    pub))
	t.case(name("P-384 key (cosign signs over SHA-384): accepted"), p384)

	def key_data():
		repo, d = s.image(s.reg)
		s.sign(s.reg, repo, d)
		with open(s.key()[0], "rb") as f:
			req = {"type": "sigstoreBundle", "keyDatas": [b64(f.read())]}
		s.expect(s.reg, repo, d, req, 0, ok("bundle v0.3", tag_src(d),
		    'transports.docker["%s"][0].keyDatas[0]' % s.reg.host))
	t.case(name("keyDatas: accepted"), key_data)

	def notation_only():
		"""A notation signature is a referrer, not a bundle"""
		n = s.need(lambda: labmod.Notation(s.lab))
		s.need(n.generate_test_key)
		repo, d = s.image(s.reg)
		s.need(lambda: n.sign(s.reg, repo, d))
		s.expect(s.reg, repo, d, s.req(), 1, none_valid(("referrer",
		    tag_src(d), "not a Sigstore bundle (artifactType application/"
		    "vnd.cncf.notary.signature, 1 layer, first application/"
		    "jose+json)")))
	t.case(name("real notation signature only: not a Sigstore bundle"),
	    notation_only)


def run_shipped(t, s):
	"""policies/cosign3-key.json with the lab's registry and key in
	place of ghcr.io and /etc/pki: what an operator installs, signed by
	the real cosign"""
	name = lambda x: "bundle, shipped cosign3-key.json: " + x

	def f(sub, annotations, code):
		with open(t.policies + "/cosign3-key.json") as fh:
			text = fh.read()
		text = text.replace("ghcr.io/acme", s.reg.host + "/acme").replace(
		    "/etc/pki/containers/acme-cosign.pub", s.key()[0])
		pol = s.lab.write("cosign3-key.json", text)
		s._n += 1
		repo = "acme/%sapp-%d" % (sub, s._n)
		d = s.need(lambda: cosign.put_image(s.reg, repo, "v1"))
		s.sign(s.reg, repo, d, annotations=annotations)
		r = containerd.run_direct([t.ivlite, "-name", s.reg.ref(repo, "v1"),
		    "-digest", d, "-policy", pol, "-insecure", s.reg.host],
		    stdin=b"", env=clean_env())
		sc = s.reg.host + "/acme" + ("/prod" if sub else "")
		why = ok("bundle v0.3", tag_src(d), s.key()[0]) if code == 0 else \
		    none_valid(("bundle", tag_src(d), "annotation env=prod not on "
		    "the statement's subject"))
		t.expect(r, code, "%s %s@%s: scope transports.docker[\"%s\"]: "
		    "sigstoreBundle(keyPath=%s): %s" % ("accepted" if code == 0
		    else "rejected", s.reg.ref(repo, "v1"), d, sc, s.key()[0],
		    why))
	t.case(name("acme, signed: accepted"), lambda: f("", None, 0))
	t.case(name("acme/prod, signed without -a env=prod: rejected"),
	    lambda: f("prod/", None, 1))
	t.case(name("acme/prod, signed with -a env=prod: accepted"),
	    lambda: f("prod/", {"env": "prod"}, 0))


def run_pki(t, s):
	"""BYO-PKI: cosign sign --certificate --certificate-chain (a bundle
	v0.3 holds the leaf only; intermediates come from the policy)."""
	name = lambda x: "bundle, real cosign 3, pki: " + x
	made = {}

	def setup():
		if made:
			return made
		from cryptography.hazmat.primitives import serialization as ser
		root = sigpki.CA("ivlite bundle root")
		inter = root.intermediate("ivlite bundle intermediate")
		leaf = inter.leaf(emails=("signer@example.com",),
		    key_name="p256-bundle-pki")
		k = sigpki.key("p256-bundle-pki")
		_, priv = s.need(lambda: s.cosign.import_key_pair(
		    k.priv.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8,
		    ser.NoEncryption()), "pki"))
		repo, d = s.image(s.reg, "pki")
		s.need(lambda: s.cosign.sign(s.reg, repo, d, priv, bundle=True,
		    certificate=s.lab.write("leaf.pem", leaf.pem),
		    chain=s.lab.write("chain.pem", leaf.chain_text())))
		made.update(repo=repo, d=d, root=s.lab.write("root.pem",
		    root.pem), inter=s.lab.write("inter.pem", inter.pem),
		    other=s.lab.write("other.pem", sigpki.CA("ivlite other CA")
		    .pem))
		return made

	def case(label, code, why, roots="root", inter=True,
	    email="signer@example.com"):
		def f():
			m = setup()
			pki = {"caRootsPath": m[roots], "subjectEmail": email}
			if inter:
				pki["caIntermediatesPath"] = m["inter"]
			req = {"type": "sigstoreBundle", "pki": pki}
			w = ok("bundle v0.3", tag_src(m["d"]), "certificate for "
			    "signer@example.com") if code == 0 else none_valid((
			    "bundle", tag_src(m["d"]), why))
			s.expect(s.reg, m["repo"], m["d"], req, code, w)
		t.case(name(label), f)

	case("accepted", 0, None)
	case("another CA: rejected", 1, "pki: chain: not trusted (no path to "
	    "the configured CA)", roots="other")
	case("intermediate not configured: rejected", 1, "pki: chain: not "
	    "trusted (no path to the configured CA)", inter=False)
	case("another subject: rejected", 1, "pki: certificate for "
	    "signer@example.com, expected other@example.com",
	    email="other@example.com")

	def keys_vs_cert():
		m = setup()
		s.expect(s.reg, m["repo"], m["d"], s.req(), 1, none_valid((
		    "bundle", tag_src(m["d"]), "the bundle holds a certificate: "
		    "this requirement trusts keys")))
	t.case(name("a certificate bundle under keys: rejected"), keys_vs_cert)

	def pki_vs_key():
		m = setup()
		repo, d = s.image(s.reg)
		s.sign(s.reg, repo, d)
		req = {"type": "sigstoreBundle", "pki": {"caRootsPath": m["root"],
		    "subjectEmail": "signer@example.com"}}
		s.expect(s.reg, repo, d, req, 1, none_valid(("bundle", tag_src(d),
		    "the bundle names a public key: pki needs a certificate")))
	t.case(name("a key bundle under pki: rejected"), pki_vs_key)


def run_api(t, s):
	"""Real cosign 3.1.1 against a registry with the referrers API."""
	name = lambda x: "bundle, referrers API: " + x

	def direct():
		o = s.oci
		repo, d = s.image(o)
		s.sign(o, repo, d)
		if (o.tags.get((repo, d.replace(":", "-")))):
			raise Fail("cosign wrote the fallback tag on a registry with "
			    "the referrers API")
		req = s.req()
		s.expect(o, repo, d, req, 0, ok("bundle v0.3", API,
		    req["keyPath"]))
	t.case(name("cosign pushes a plain referrer: accepted"), direct)

	def paged():
		o = s.fresh_oci()
		o.page = 1
		repo, d = s.image(o)
		s.sign(o, repo, d, "b")
		s.sign(o, repo, d, "c")
		s.sign(o, repo, d, "a")
		req = s.req("a")
		del o.requests[:]
		s.expect(o, repo, d, req, 0, ok("bundle v0.3", API,
		    req["keyPath"]))
		pages = [p for m, p in o.requests if "/referrers/" in p]
		if len(pages) != 3:
			raise Fail("expected 3 referrers pages fetched, got %r" % pages)
		s.expect(o, repo, d, s.req("d"), 1, none_valid(*[("bundle", API,
		    OTHER_KEY)] * 3))
	t.case(name("three bundles, one per page (Link rel=next): all read"),
	    paged)

	def fallbacks(status, body, ctype):
		"""A registry answering the referrers path with STATUS: the tag
		schema is used (here: the fallback index cosign wrote)"""
		o = s.fresh_oci()
		o.referrers = False
		repo, d = s.image(o)
		s.sign(o, repo, d)
		o.set("/v2/%s/referrers/%s" % (repo, d), status, body, ctype)
		req = s.req()
		s.expect(o, repo, d, req, 0, ok("bundle v0.3", tag_src(d),
		    req["keyPath"]))
	for st, body, ct in ((404, b"404 page not found\n", "text/plain"),
	    (404, b'{"errors":[{"code":"UNSUPPORTED"}]}', "application/json"),
	    (400, b"", "text/plain"), (406, b"", "text/plain"),
	    (200, b"<html></html>", "text/html")):
		t.case(name("HTTP %d %s: the tag schema instead" % (st, ct)),
		    lambda st=st, body=body, ct=ct: fallbacks(st, body, ct))

	def single_manifest():
		"""The tag holding the bundle manifest itself, not an index"""
		o = s.fresh_oci()
		o.referrers = False
		repo, d = s.image(o)
		k = cosign.Key("p256")
		md = attach(o, repo, d, bundle(statement(d), k))
		o.tags[(repo, d.replace(":", "-"))] = md
		req = {"type": "sigstoreBundle", "keyPath": k.write(s.lab)}
		s.expect(o, repo, d, req, 0, ok("bundle v0.3", tag_src(d),
		    req["keyPath"]))
	t.case(name("the tag holding one manifest: that referrer"),
	    single_manifest)


def run_crafted(t, s):
	"""Bundles written here, as referrers on ocireg: format rules."""
	name = lambda x: "bundle, format: " + x
	k = cosign.Key("p256")
	made = {}

	def keyfile():
		if "pub" not in made:
			made["pub"] = k.write(s.lab, "crafted")
		return made["pub"]

	def case(label, make, code, why, req=None):
		"""MAKE(digest) -> bundle bytes (or (bytes, attach kwargs))"""
		def f():
			o = s.oci
			repo, d = s.image(o, "crafted")
			got = make(d)
			blob, kw = got if isinstance(got, tuple) else (got, {})
			attach(o, repo, d, blob, **kw)
			r = req or {"type": "sigstoreBundle", "keyPath": keyfile()}
			w = why(d) if callable(why) else why
			if code == 0:
				w = ok(w, API, r["keyPath"])
			elif code == 1 and not w.startswith("no signature"):
				w = none_valid(("bundle", API, w))
			s.expect(o, repo, d, r, code, w)
		t.case(name(label), f)

	case("as cosign writes it: accepted", lambda d: bundle(statement(d), k),
	    0, "bundle v0.3")
	case("v0.1 media types, Statement v0.1 with a name: accepted",
	    lambda d: (bundle(statement(d, stype="https://in-toto.io/Statement/"
	    "v0.1", subjects=[{"name": "x", "digest": {"sha256": d[7:]}}]), k,
	    media=MT_BUNDLE01), {"layer_type": MT_BUNDLE01}), 0, "bundle v0.1")
	case("two subjects, the second the image: accepted", lambda d: bundle(
	    statement(d, subjects=[{"digest": {"sha256": "ab" * 32, "sha512":
	    "CD" * 64}}, {"digest": {"sha256": d[7:]}}]), k), 0, "bundle v0.3")
	case("duplicate top-level member", lambda d: bundle(statement(d), k)
	    .replace(b'{"mediaType"', b'{"mediaType":"x","mediaType"', 1), 1,
	    "bundle: an object: duplicate key \"mediaType\"")
	case("duplicate member in the signed statement", lambda d: bundle(
	    statement(d).replace(b'{"sha256"', b'{"sha256":"00","sha256"', 1),
	    k), 1, "statement: an object: duplicate key \"sha256\"")
	case("unknown member", lambda d: bundle(statement(d), k, extra=1), 1,
	    "bundle: top level: unknown field \"extra\"")
	case("proto field name (verification_material)", lambda d: bundle(
	    statement(d), k).replace(b"verificationMaterial",
	    b"verification_material"), 1, "bundle: top level: unknown field "
	    "\"verification_material\"")
	case("unknown member in the signed statement", lambda d: bundle(
	    statement(d, extra=1), k), 1, "statement: top level: unknown field "
	    "\"extra\"")
	case("media type v0.4", lambda d: bundle(statement(d), k, media=
	    "application/vnd.dev.sigstore.bundle.v0.4+json"), 1, "bundle: "
	    "mediaType \"application/vnd.dev.sigstore.bundle.v0.4+json\" is not "
	    "a Sigstore bundle v0.1 to v0.3")
	case("messageSignature", lambda d: jdump({"mediaType": MT_BUNDLE,
	    "verificationMaterial": {"publicKey": {"hint": "h"}},
	    "messageSignature": {"messageDigest": {"algorithm": "SHA2_256",
	    "digest": b64(b"x" * 32)}, "signature": b64(b"s")}}), 1, "bundle: a "
	    "messageSignature signs a blob, not an image (cosign refuses it "
	    "too)")
	case("two DSSE signatures", lambda d: bundle(statement(d), k, sigs=[
	    {"sig": b64(k.sign(pae(INTOTO, statement(d))))}] * 2), 1, "bundle: "
	    "the DSSE envelope needs a payloadType and exactly one signature")
	case("no DSSE signature", lambda d: bundle(statement(d), k, sigs=[]),
	    1, "bundle: the DSSE envelope needs a payloadType and exactly one "
	    "signature")
	case("two kinds of verification material", lambda d: bundle(
	    statement(d), k, material={"publicKey": {"hint": "h"},
	    "certificate": {"rawBytes": b64(b"x")}}), 1, "bundle: "
	    "verificationMaterial needs exactly one of publicKey, "
	    "x509CertificateChain and certificate")
	case("v0.3 with x509CertificateChain", lambda d: bundle(statement(d), k,
	    material={"x509CertificateChain": {"certificates": [{"rawBytes":
	    b64(b"x")}]}}), 1, "bundle: v0.3 with an x509CertificateChain (v0.3 "
	    "has certificate)")
	case("payload not base64", lambda d: bundle(statement(d), k).replace(
	    b'"payload":"', b'"payload":"*', 1), 1, "bundle: DSSE payload or "
	    "sig missing or not base64")
	case("payloadType not in-toto, signed as such", lambda d: bundle(
	    statement(d), k, ptype="application/json"), 1, "payloadType "
	    "\"application/json\", not an in-toto statement")
	case("statement _type unknown", lambda d: bundle(statement(d,
	    stype="https://example.com/Statement"), k), 1, "statement: _type "
	    "\"https://example.com/Statement\" is not an in-toto Statement v1 "
	    "or v0.1")
	case("subject digest of another image", lambda d: bundle(statement(
	    "sha256:" + "ab" * 32), k), 1, NOT_IMAGE)
	case("subject digest in upper case (cosign compares lowercase)",
	    lambda d: bundle(statement("sha256:" + d[7:].upper()), k), 1,
	    NOT_IMAGE)
	case("subject digest not hex", lambda d: bundle(statement(d, subjects=[
	    {"digest": {"sha256": d[7:], "sha1": "xyz"}}]), k), 1, "statement: "
	    "a subject digest that is not hex")
	case("1025 subjects (MAX_SUBJECTS)", lambda d: bundle(statement(d,
	    subjects=[{"digest": {"sha256": d[7:]}}] * 1025), k), 1,
	    "statement: want 1 to MAX_SUBJECTS subjects")
	case("predicateType of an attestation", lambda d: bundle(statement(d,
	    ptype=SLSA), k), 1, "predicateType %s not accepted" % SLSA)
	case("two layers", lambda d: (bundle(statement(d), k), {"layers": [
	    {"mediaType": MT_BUNDLE, "size": 2, "digest": ocireg.digest(b"{}")}]
	    * 2}), 1, "2 layers, first %s: a bundle manifest has one, of a "
	    "bundle v0.1 to v0.3 type" % MT_BUNDLE)
	case("layer over MAX_BUNDLE_BYTES", lambda d: (bundle(statement(d), k),
	    {"layers": [{"mediaType": MT_BUNDLE, "size": 2 << 20, "digest":
	    ocireg.digest(b"{}")}]}), 1, "its layer has no valid digest, no size "
	    "or more than MAX_BUNDLE_BYTES (1048576)")
	case("bundle signed by another key", lambda d: bundle(statement(d),
	    cosign.Key("p256")), 1, OTHER_KEY)

	def rsa():
		o = s.oci
		rk = cosign.Key("rsa2048")
		repo, d = s.image(o, "crafted")
		attach(o, repo, d, bundle(statement(d), rk))
		req = {"type": "sigstoreBundle", "keyPath": rk.write(s.lab, "rsa")}
		s.expect(o, repo, d, req, 0, ok("bundle v0.3", API, req["keyPath"]))
	t.case(name("RSA 2048 key (PKCS#1 v1.5, SHA-256): accepted"), rsa)

	def subject_absent():
		"""Listed (ocireg.extra), but the manifest names no subject"""
		o = s.fresh_oci()
		repo, d = s.image(o, "crafted")
		m = jdump({"schemaVersion": 2, "mediaType": MT_MANIFEST, "config":
		    {"mediaType": MT_EMPTY, "size": 2, "digest": ocireg.digest(
		    b"{}")}, "layers": []})
		md = o.put(repo, m, MT_MANIFEST)
		o.extra = [{"mediaType": MT_MANIFEST, "digest": md, "size":
		    len(m)}]
		s.expect(o, repo, d, s.req(), 1, none_valid(("referrer", API,
		    "its manifest has no subject")))
	t.case(name("a listed manifest without subject: no candidate"),
	    subject_absent)


def run_hostile(t, s):
	"""Registries that misbehave: every answer bounded and named."""
	name = lambda x: "bundle, hostile: " + x

	def setup(**knobs):
		o = s.fresh_oci()
		repo, d = s.image(o, "hostile")
		for k, v in knobs.items():
			setattr(o, k, v)
		return o, repo, d

	def endless():
		o, repo, d = setup(page=1, endless=True)
		s.expect(o, repo, d, s.req(), 3, "%s: referrers: more than "
		    "MAX_REFERRER_PAGES (8) pages" % o.host)
	t.case(name("endless Link rel=next pages"), endless)

	def many(n):
		fake = [{"mediaType": MT_MANIFEST, "digest": "sha256:%064x" % i,
		    "size": 500} for i in range(n)]
		o, repo, d = setup(extra=fake)
		body = o.list_referrers(repo, d, {})[1]
		if n > 64 and len(body) > 131072:
			why = "%s: response of %d bytes, larger than "\
			    "MAX_REFERRER_BYTES (131072)" % (o.host, len(body))
		else:
			why = "%s: referrers: more than MAX_REFERRERS (64) referrers" \
			    % o.host
		s.expect(o, repo, d, s.req(), 3, why)
	t.case(name("a referrers page of 10,000 descriptors"),
	    lambda: many(10000))
	t.case(name("65 referrers (MAX_REFERRERS)"), lambda: many(65))

	def big_manifest(lie):
		"""A referrer manifest over MAX_REFERRER_BYTES: said so by its
		descriptor (no candidate), or hidden behind a small size (the
		read stops at the limit: an error)"""
		o, repo, d = setup()
		data = jdump({"schemaVersion": 2, "mediaType": MT_MANIFEST,
		    "subject": {"digest": d}, "padding": "x" * (300 << 10)})
		md = ocireg.digest(data)
		o.set("/v2/%s/manifests/%s" % (repo, md), 200, data, MT_MANIFEST)
		o.extra = [{"mediaType": MT_MANIFEST, "digest": md, "size": 500 if
		    lie else len(data)}]
		if lie:
			s.expect(o, repo, d, s.req(), 3, "%s: response of %d bytes, "
			    "larger than MAX_REFERRER_BYTES (131072)" % (o.host,
			    len(data)))
		else:
			s.expect(o, repo, d, s.req(), 1, none_valid(("referrer", API,
			    "its manifest has %d bytes, more than MAX_REFERRER_BYTES "
			    "(131072)" % len(data))))
	t.case(name("a referrer manifest far over the cap"),
	    lambda: big_manifest(False))
	t.case(name("a referrer manifest far over the cap, listed as small"),
	    lambda: big_manifest(True))

	def mismatch():
		o, repo, d = setup()
		k = cosign.Key("p256")
		md = attach(o, repo, d, bundle(statement(d), k))
		data, mt = o.manifests[(repo, md)]
		other = data.replace(b'"schemaVersion":2', b'"schemaVersion":3')
		o.set("/v2/%s/manifests/%s" % (repo, md), 200, other, mt)
		s.expect(o, repo, d, s.req(), 3, "%s: referrer %s: content of %d "
		    "bytes has digest %s, listed as %d bytes" % (o.host, md,
		    len(other), ocireg.digest(other), len(data)))
	t.case(name("a referrer manifest that is not what was listed"),
	    mismatch)

	def missing_blob():
		o, repo, d = setup()
		k = cosign.Key("p256")
		blob = bundle(statement(d), k)
		md = attach(o, repo, d, blob)
		del o.blobs[ocireg.digest(blob)]
		s.expect(o, repo, d, {"type": "sigstoreBundle", "keyPath":
		    k.write(s.lab)}, 3, "%s: bundle %s of referrer %s is missing"
		    % (o.host, ocireg.digest(blob), md))
	t.case(name("the bundle blob missing"), missing_blob)

	def filters():
		o, repo, d = setup(filters=True)
		s.expect(o, repo, d, s.req(), 3, "%s: referrers: filters applied "
		    "that ivlite did not ask for (OCI-Filters-Applied: "
		    "\"artifactType\")" % o.host)
	t.case(name("OCI-Filters-Applied without a filter asked"), filters)

	def off_origin():
		o, repo, d = setup()
		o.set("/v2/%s/referrers/%s" % (repo, d), 200, jdump({
		    "schemaVersion": 2, "mediaType": ocireg.MT_INDEX, "manifests":
		    []}), ocireg.MT_INDEX, {"Link": '<http://127.0.0.1:9/v2/x/'
		    'referrers/y>; rel="next"'})
		s.expect(o, repo, d, s.req(), 3, "%s: referrers: Link rel=\"next\" "
		    "leaves the registry's /v2/ API: \"http://127.0.0.1:9/v2/x/"
		    "referrers/y\"" % o.host)
	t.case(name("a Link rel=next to another origin"), off_origin)

	def answer(status, body, code, why):
		o, repo, d = setup()
		o.set("/v2/%s/referrers/%s" % (repo, d), status, body,
		    "application/json")
		s.expect(o, repo, d, s.req(), code, why(o, repo, d))
	t.case(name("referrers 404 NAME_UNKNOWN"), lambda: answer(404,
	    b'{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not '
	    b'known"}]}', 3, lambda o, repo, d: "%s: referrers: repository %s "
	    "unknown (NAME_UNKNOWN)" % (o.host, repo)))
	t.case(name("referrers HTTP 500"), lambda: answer(500, b"", 3,
	    lambda o, repo, d: "%s: referrers: HTTP 500" % o.host))

	def no_size():
		o, repo, d = setup()
		o.set("/v2/%s/referrers/%s" % (repo, d), 200, jdump({
		    "schemaVersion": 2, "mediaType": ocireg.MT_INDEX, "manifests": [
		    {"mediaType": MT_MANIFEST, "digest": "sha256:" + "0" * 64}]}),
		    ocireg.MT_INDEX)
		s.expect(o, repo, d, s.req(), 3, "%s: referrers: manifests[0]: a "
		    "descriptor needs a valid digest and size" % o.host)
	t.case(name("a referrers descriptor without size"), no_size)

	def tag_odd_404():
		o, repo, d = setup(referrers=False)
		o.set("/v2/%s/manifests/%s" % (repo, d.replace(":", "-")), 404,
		    b'{"errors":[{"code":"NAME_UNKNOWN"}]}', "application/json")
		s.expect(o, repo, d, s.req(), 3, "%s: sha256-%s: HTTP 404 that is "
		    "not \"manifest unknown\"" % (o.host, d[7:]))
	t.case(name("the referrers tag 404 with NAME_UNKNOWN"), tag_odd_404)


def run_config(t, s):
	"""Policy-level behaviour that needs the binary: -check and keyless."""
	name = lambda x: "bundle, config: " + x

	def keyless_no_network():
		"""the trusted root is read before any network work: a broken
		one is exit 2, standalone and under -check"""
		tr = s.lab.write("trusted_root.json", "{}")
		req = {"type": "sigstoreBundle", "trustedRootPath": tr,
		    "identities": [{"issuer": "https://token.actions."
		    "githubusercontent.com", "subjectRegExp": "^https://github.com/"
		    "acme/"}]}
		pol = s.t.policy_file({"default": [req]}, "keyless.json")
		why = "error: %s: default[0].trustedRootPath: %s: mediaType: not a " \
		    "trusted root (application/vnd.dev.sigstore.trustedroot+json;" \
		    "version=0.1 or \u2026trustedroot.v0.1+json, v0.2)" % (pol, tr)
		d = "sha256:" + "cd" * 32
		r = s.t.direct(["-name", "127.0.0.1:9/acme/app:1", "-digest", d,
		    "-policy", pol, "-insecure", "127.0.0.1:9"])
		s.t.expect(r, 2, why)
		r = s.t.direct(["-check", "-policy", pol, "-registries-d",
		    s.lab.mkdir("regd")])
		s.t.expect(r, 2, why)
	t.case(name("keyless: a broken trusted root is exit 2 before any "
	    "network, and under -check"), keyless_no_network)

	def check_missing_root():
		req = {"type": "sigstoreBundle", "keyPath": s.key()[0],
		    "trustedRootPath": "/nonexistent/trusted_root.json"}
		pol = s.t.policy_file({"default": [req]}, "root-missing.json")
		r = s.t.direct(["-check", "-policy", pol, "-registries-d",
		    s.lab.mkdir("regd")])
		s.t.expect(r, 2, "error: %s: default[0].trustedRootPath: "
		    "/nonexistent/trusted_root.json: No such file or directory"
		    % pol)
	t.case(name("-check: trustedRootPath unreadable: exit 2"),
	    check_missing_root)

	def allocs():
		"""A bundle by another key, then a legacy .sig that holds: every
		arena allocation failing in turn ends in exit 3 "out of memory",
		never a verdict (tests/ivlite-faults, as test_robust.py)"""
		import test_registry
		faults = test_registry.faults_bin(s.t)
		repo, d = s.image(s.reg)
		s.sign(s.reg, repo, d, "b")
		s.sign(s.reg, repo, d, "a", bundle=False)
		req = s.req("a")
		pol = s.t.policy_file({"default": [req]}, "bundle-allocs.json")
		argv = [faults, "-name", s.reg.ref(repo, "v1"), "-digest", d,
		    "-policy", pol, "-insecure", s.reg.host]
		test_registry.alloc_sweep(argv, clean_env())
	t.case(name("every arena allocation failing in turn: exit 3"), allocs)

	def skopeo_refuses():
		"""why sigstoreBundle lives at ivlite's own policy path"""
		import test_differential
		if labmod.missing_tools("skopeo"):
			raise Fail("skopeo is not installed (make deps)")
		ok_, err = test_differential.skopeo_loads(s.lab, s.t.policy_file(
		    {"default": [s.req()]}, "for-skopeo.json"))
		if ok_ or 'Unknown policy requirement type \\"sigstoreBundle' \
		    not in err:
			raise Fail("expected skopeo to refuse the policy naming "
			    "sigstoreBundle, got loaded=%s: %s" % (ok_, err[-300:]))
	t.case(name("containers/image (skopeo) refuses a policy naming it"),
	    skopeo_refuses)

	def check_ok():
		pol = s.t.policy_file({"default": [s.req()]}, "bundle-ok.json")
		regd = s.lab.mkdir("regd")
		r = s.t.direct(["-check", "-policy", pol, "-registries-d", regd])
		s.t.expect(r, 0, "ok: %s: 1 scope; %s: 0 scopes" % (pol, regd))
	t.case(name("-check: keys loaded, ok"), check_ok)
