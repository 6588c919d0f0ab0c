#!/usr/bin/python3
"""notationSigned: Notary Project signatures, with the real notation 1.3.2
as the oracle; and trustedDigests, Bottlerocket's digest allowlist.

- Real notation (tests/tools, lab.Notation) signs on the lab's
  docker-registry 2.8 (no referrers API: its signature manifest has no
  artifactType, only config mediaType application/vnd.cncf.notary.
  signature, under the referrers tag sha256-<hex>) and on tests/ocireg.py
  (--force-referrers-tag=false: the referrers API): JWS and COSE,
  --expiry, --timestamp-url against tests/notation.py's TSA server, keys
  and chains written by the tests (notation.Chain) including CRL
  distribution points served by ocireg and an OCSP-only responder.
- Each case writes a notation configuration (notation.Verifier: trust
  policy and trust stores) that ivlite reads through trustPolicyPath and
  the real `notation verify` reads as its HOME; their verdicts must agree
  (exit 0 against non-zero), and ivlite's reason line is asserted
  exactly.  Deliberate differences are cases of their own (README,
  "notation signatures").
- What notation will not sign (a plugin-required signature, a payload
  naming another size or digest, a tampered payload) is written by
  notation.jws()/cose() with the signing key and pushed to ocireg.
- Configuration faults (trust policy, stores, digest files) are exit 2.

Every case asserts the exact exit status and reason line.  A tool that
cannot be had fails the cases that need it (never a skip).  Run through
tests/integration.py.
"""

import hashlib
import json
import os
import re
import time

import containerd
import cosign
import lab as labmod
import notation as nt
import ocireg
import sigpki
from integration import Fail
from test_sigstore import clean_env

SCOPE = 'scope transports.docker["%s"]'


class State:
	"""Registries, the real notation with its signing keys, the TSA and
	the chains of the module, made on first use."""

	def __init__(self, t):
		self.t = t
		self.lab = t.lab
		self._n = 0
		self._tool = None
		self._oci = None
		self._tsa = None
		self.keys = {}
		self.memo = {}

	def need(self, fn):
		try:
			return fn()
		except labmod.LabError as e:
			raise Fail(str(e))

	@property
	def reg(self):
		return self.t.registry()

	@property
	def oci(self):
		if self._oci is None:
			self._oci = ocireg.OciRegistry(self.lab)
		return self._oci

	@property
	def tsa(self):
		if self._tsa is None:
			self._tsa = nt.TsaServer(self.lab)
		return self._tsa

	@property
	def tool(self):
		"""The real notation; its signing keys: "test" (`notation cert
		generate-test`) and those key() adds."""
		if self._tool is None:
			self._tool = self.need(lambda: labmod.Notation(self.lab))
			self.test_crt = self.need(lambda: self._tool.generate_test_key(
			    "test"))
			with open(self.test_crt, "rb") as f:
				self.test_pem = f.read()
		return self._tool

	def key(self, name, chain):
		"""CHAIN (a notation.Chain) as notation's signing key NAME."""
		n = self.tool
		if name not in self.keys:
			d = os.path.join(n.home, ".config", "notation")
			k = self.lab.write("key-%s.pem" % name, chain.key_pem())
			c = self.lab.write("chain-%s.pem" % name, chain.chain_pem())
			with open(os.path.join(d, "signingkeys.json")) as f:
				sk = json.load(f)
			sk["keys"].append({"name": name, "keyPath": k, "certPath": c})
			with open(os.path.join(d, "signingkeys.json"), "w") as f:
				json.dump(sk, f)
			self.keys[name] = chain
		return self.keys[name]

	def image(self, reg=None, name="img"):
		"""A fresh image: (registry, repo, digest, manifest size)."""
		reg = reg or self.reg
		self._n += 1
		repo = "notation/%s-%d" % (name, self._n)
		d = self.need(lambda: cosign.put_image(reg, repo, "v1",
		    content="notation test %s" % repo))
		return reg, repo, d, len(reg.get_manifest(repo, d)[0])

	def sign(self, img, key=None, fmt="jws", args=()):
		"""notation sign IMG (from image()) with KEY (default "test")."""
		reg, repo, d, _ = img
		argv = ["sign", "--signature-format", fmt, "--key", key or "test"]
		if reg.scheme == "http":
			argv.append("--insecure-registry")
		if reg is self._oci:
			argv.append("--force-referrers-tag=false")
		p = self.tool.run(argv + list(args) + [reg.ref(repo, digest=d)],
		    check=False)
		if p.returncode != 0:
			raise Fail("notation sign: %s %s" % (p.stdout, p.stderr))

	def attach(self, img, blob, media_type=nt.MT_JWS):
		"""BLOB pushed to ocireg as a notation signature referrer of IMG."""
		reg, repo, d, size = img
		man, cfg = nt.manifest({"mediaType": nt.MT_MANIFEST, "digest": d,
		    "size": size}, blob, media_type)
		reg.put_blob(cfg)
		reg.put_blob(blob)
		return reg.put(repo, man, nt.MT_MANIFEST)

	def verifier(self, statements, stores):
		self._n += 1
		return nt.Verifier(self.lab, statements, stores,
		    "verifier-%d" % self._n)

	def oracle(self, v, img):
		"""The real `notation verify` of IMG under verifier V: its exit."""
		reg, repo, d, _ = img
		p = labmod.run([self.tool.bin, "verify", "--insecure-registry",
		    reg.ref(repo, digest=d)], env=labmod.offline_env(v.home),
		    check=False, timeout=60)
		return p.returncode, (p.stdout + p.stderr).strip()

	def ivlite(self, v, img, req=None, stdin=b"", extra=()):
		reg, repo, d, _ = img
		req = req or {"type": "notationSigned", "trustPolicyPath":
		    v.policy}
		pol = self.t.policy_file({"default": [{"type": "reject"}],
		    "transports": {"docker": {reg.host: [req]}}},
		    "notation-policy.json")
		argv = [self.t.ivlite, "-name", reg.ref(repo, "v1"), "-digest", d,
		    "-policy", pol, "-insecure", reg.host] + list(extra)
		if stdin:
			argv += ["-stdin-media-type", containerd.MT_DESCRIPTOR]
		return containerd.run_direct(argv, stdin=stdin, env=clean_env())

	def line(self, img, code, detail, req="notationSigned"):
		reg, repo, d, _ = img
		return "%s %s@%s: %s: %s: %s" % ("accepted" if code == 0 else
		    "rejected", reg.ref(repo, "v1"), d, SCOPE % reg.host, req,
		    detail)

	def expect(self, v, img, code, detail, oracle=True, **kw):
		"""ivlite exits CODE with DETAIL; the real notation agrees (exit
		0 for 0, non-zero for 1); ORACLE "accepts" or "rejects": a
		deliberate difference, notation must do that; False: not run.  "{time}" in
		DETAIL stands for a time the run decides (not asserted)."""
		r = self.ivlite(v, img, **kw)
		want = "error: " + detail if code in (2, 3) else self.line(img,
		    code, detail)
		if "{time}" in want:
			a, b = want.split("{time}", 1)
			self.t.expect(r, code, regex=re.escape(a) + r"\d{4}-\d\d-"
			    r"\d\d \d\d:\d\d:\d\d UTC" + re.escape(b))
		else:
			self.t.expect(r, code, want)
		if oracle:
			rc, out = self.oracle(v, img)
			if (rc == 0) != (code == 0 if oracle is True else
			    oracle == "accepts"):
				raise Fail("notation verify %s: exit %d: %s" % (
				    "disagrees" if oracle is True else "no longer differs",
				    rc, out[-600:]))
		return r


def src_tag(d):
	return "referrers tag sha256-%s\u2026" % d[7:19]


API = "referrers API"


def ok(stmt, fmt, src, signer, level="strict", logged=None):
	return 'statement "%s" (%s): notation %s signature (%s) verified, ' \
	    "signed by %s%s" % (stmt, level, fmt, src, signer, "; logged: " +
	    logged if logged else "")


def bad(stmt, cands, level="strict"):
	"""CANDS: (format, manifest digest, why) each."""
	n = len(cands)
	return 'statement "%s" (%s): %d signature%s, none valid: %s' % (stmt,
	    level, n, "" if n == 1 else "s", "; ".join("#%d notation %s "
	    "%s\u2026: %s" % (i + 1, f, d[:19], w) for i, (f, d, w) in
	    enumerate(cands)))


TEST_DN = "C=US, ST=WA, L=Seattle, O=Notary, CN=test"


def dn(cn, o="ivlite"):
	return "C=US, ST=WA, O=%s, CN=%s" % (o, cn)


def sigs(s, img):
	"""The digests of IMG's notation signature manifests, in listing
	order."""
	reg, repo, d, _ = img
	return [m for m, man in labmod.referrers(reg, repo, d) if
	    (man.get("artifactType") or man["config"]["mediaType"]) ==
	    nt.MT_SIG]


def run(t):
	s = State(t)
	run_bottlerocket(t, s)
	run_real(t, s)
	run_levels(t, s)
	run_stamps(t, s)
	run_revocation(t, s)
	run_crafted(t, s)
	run_allocs(t, s)
	run_config(t, s)
	run_digests(t, s)


def shipped(t, name, path):
	"""policies/NAME with its /etc path replaced by PATH"""
	with open(os.path.join(t.policies, name)) as f:
		text = f.read()
	return t.lab.write("shipped-" + name, text.replace(json.loads(text)[
	    "default"][0].get("trustPolicyPath") or json.loads(text)[
	    "default"][0]["path"], path))


def run_bottlerocket(t, s):
	"""The shipped Bottlerocket-like policies, run the way containerd
	runs ivlite (bin_dir wrapper, descriptor on stdin)"""
	name = lambda x: "notation, Bottlerocket-like host: " + x

	def notation(signed):
		def f():
			img = s.image()
			if signed:
				s.sign(img)
			v = s.verifier([nt.statement(name="bottlerocket")],
			    {"ca:s": [s.test_pem]})
			pol = shipped(t, "bottlerocket-notation.json", v.policy)
			reg, repo, d, size = img
			r = t.containerd(pol, reg.ref(repo, "v1"), d,
			    desc=containerd.descriptor(d, size), opts=["-insecure",
			    reg.host])
			t.expect(r, 0 if signed else 1, "%s %s@%s: scope default: "
			    "notationSigned: %s" % ("accepted" if signed else
			    "rejected", reg.ref(repo, "v1"), d, ok("bottlerocket",
			    "JWS", src_tag(d), TEST_DN) if signed else
			    'statement "bottlerocket" (strict): no notation signature '
			    "(%s)" % src_tag(d)))
		return f
	t.case(name("bottlerocket-notation.json, signed: accepted"),
	    notation(True))
	t.case(name("bottlerocket-notation.json, unsigned: rejected"),
	    notation(False))

	def digestion(listed):
		def f():
			d = "sha256:" + hashlib.sha256(b"bottlerocket").hexdigest()
			other = "sha256:" + hashlib.sha256(b"other").hexdigest()
			dig = t.lab.write("digestion.json", json.dumps({"version":
			    "1.0", "trustedDigests": [d]}))
			pol = shipped(t, "bottlerocket-digestion.json", dig)
			want = d if listed else other
			r = t.containerd(pol, "docker.io/library/alpine:3.20", want)
			t.expect(r, 0 if listed else 1, "%s docker.io/library/alpine:"
			    "3.20@%s: scope default: trustedDigests: %s" % ("accepted"
			    if listed else "rejected", want, "digest in allowlist " +
			    dig if listed else "digest not in allowlist"))
		return f
	t.case(name("bottlerocket-digestion.json, listed: accepted"),
	    digestion(True))
	t.case(name("bottlerocket-digestion.json, not listed: rejected"),
	    digestion(False))


def run_real(t, s):
	name = lambda x: "notation, real notation: " + x

	def strict(fmt, reg=None):
		def f():
			img = s.image(reg() if reg else None)
			s.sign(img, fmt=fmt)
			v = s.verifier([nt.statement()], {"ca:s": [s.test_pem]})
			src = API if reg else src_tag(img[2])
			s.expect(v, img, 0, ok("s", fmt.upper(), src, TEST_DN))
		return f
	t.case(name("strict, JWS, test key: accepted"), strict("jws"))
	t.case(name("strict, COSE, test key: accepted"), strict("cose"))
	t.case(name("strict, JWS on ocireg (referrers API): accepted"),
	    strict("jws", lambda: s.oci))
	t.case(name("strict, COSE on ocireg (referrers API): accepted"),
	    strict("cose", lambda: s.oci))

	def chain(kind, fmt):
		def f():
			c = s.key("ca-" + kind, nt.Chain("ca " + kind, kind=kind))
			img = s.image()
			s.sign(img, "ca-" + kind, fmt)
			v = s.verifier([nt.statement(identities=["x509.subject: "
			    "C=US, ST=WA, O=ivlite, CN=ca %s" % kind])],
			    {"ca:s": [c.anchor_pem]})
			s.expect(v, img, 0, ok("s", fmt.upper(), src_tag(img[2]),
			    dn("ca " + kind)))
		return f
	t.case(name("CA-issued P-256 leaf, x509.subject identity: accepted"),
	    chain("p256", "jws"))
	t.case(name("CA-issued P-384 leaf, COSE: accepted"), chain("p384",
	    "cose"))
	t.case(name("CA-issued RSA-3072 leaf (PS384): accepted"),
	    chain("rsa3072", "jws"))

	def unsigned():
		img = s.image()
		v = s.verifier([nt.statement()], {"ca:s": [s.test_pem]})
		s.expect(v, img, 1, 'statement "s" (strict): no notation '
		    "signature (%s)" % src_tag(img[2]))
	t.case(name("unsigned: rejected"), unsigned)

	def wrong_store():
		c = nt.Chain("other", selfsigned=True)
		img = s.image()
		s.sign(img)
		v = s.verifier([nt.statement()], {"ca:s": [c.anchor_pem]})
		s.expect(v, img, 1, bad("s", [("JWS", sigs(s, img)[0],
		    "authenticity: no certificate of the chain is in the "
		    "statement's ca trust stores")]))
	t.case(name("another certificate in the trust store: rejected"),
	    wrong_store)

	def identity(ids, code, why=None):
		def f():
			img = s.image()
			s.sign(img)
			v = s.verifier([nt.statement(identities=ids)],
			    {"ca:s": [s.test_pem]})
			s.expect(v, img, code, ok("s", "JWS", src_tag(img[2]),
			    TEST_DN) if code == 0 else bad("s", [("JWS",
			    sigs(s, img)[0], why)]))
		return f
	t.case(name("identity x509.subject C=US, ST=WA, O=Notary: accepted "
	    "(a subset)"), identity(["x509.subject: C=US, ST=WA, O=Notary"], 0))
	t.case(name("identity x509.subject O=Other: rejected"), identity([
	    "x509.subject: C=US, ST=WA, O=Other"], 1, "authenticity: the "
	    "signing certificate's subject %s: it matches no trusted identity"
	    % TEST_DN))
	t.case(name("identities: an ARN only (a plugin's): rejected"),
	    identity(["arn:aws:signer:us-west-2:123456789012:/signing-"
	    "profiles/p"], 1, "authenticity: the signing certificate's "
	    "subject %s: the statement has no x509.subject trusted identity "
	    "(the others need a plugin)" % TEST_DN))

	def no_statement():
		img = s.image()
		s.sign(img)
		v = s.verifier([nt.statement(scopes=[img[0].host + "/other/repo"])],
		    {"ca:s": [s.test_pem]})
		s.expect(v, img, 1, "trust policy %s has no statement for %s/%s "
		    '(registryScopes) and none for "*"' % (v.policy, img[0].host,
		    img[1]))
	t.case(name("no applicable statement: rejected"), no_statement)

	def exact_scope():
		"""the statement naming the repository wins over "*" """
		img = s.image()
		s.sign(img)
		v = s.verifier([nt.statement("any", stores=["ca:other"]),
		    nt.statement("mine", scopes=[img[0].host + "/" + img[1]])],
		    {"ca:s": [s.test_pem], "ca:other": [nt.Chain("x",
		    selfsigned=True).anchor_pem]})
		s.expect(v, img, 0, ok("mine", "JWS", src_tag(img[2]), TEST_DN))
	t.case(name("the statement naming the repository, not \"*\": "
	    "accepted"), exact_scope)

	def skip():
		img = s.image()
		v = s.verifier([nt.statement(level="skip", stores=(),
		    identities=())], {})
		s.expect(v, img, 0, 'statement "s" (skip): signatures not '
		    "verified")
	t.case(name("level skip, unsigned: accepted without verification"),
	    skip)

	def second_valid():
		"""two signatures, another key's first: the second holds"""
		img = s.image()
		s.key("other", nt.Chain("other", selfsigned=True))
		s.sign(img, "other")
		s.sign(img)
		v = s.verifier([nt.statement()], {"ca:s": [s.test_pem]})
		got = sigs(s, img)
		r = s.ivlite(v, img)
		want = [s.line(img, 0, ok("s", "JWS", src_tag(img[2]), TEST_DN))]
		if r.reason not in want or r.exit != 0:
			raise Fail("got %d %r, want %r" % (r.exit, r.reason, want))
		if len(got) != 2:
			raise Fail("want 2 signatures, got %r" % got)
		if s.oracle(v, img)[0] != 0:
			raise Fail("notation verify disagrees")
	t.case(name("two signatures, one by an untrusted key: accepted"),
	    second_valid)


def run_levels(t, s):
	"""--expiry 2s, then verified after it passed, per level"""
	name = lambda x: "notation, expired signature: " + x

	def expired(fmt):
		key = "expired-" + fmt
		if key not in s.memo:
			img = s.image()
			s.sign(img, fmt=fmt, args=["--expiry", "2s"])
			s.memo[key] = (img, time.time() + 2.2)
		img, when = s.memo[key]
		while time.time() < when:
			time.sleep(0.1)
		return img

	def level(lv, code, fmt="jws", override=None):
		def f():
			img = expired(fmt)
			v = s.verifier([nt.statement(level=lv, override=override)],
			    {"ca:s": [s.test_pem]})
			r = s.ivlite(v, img)
			why = "expiry: the signature expired at " + \
			    r.reason.rsplit("expired at ", 1)[-1].split(";")[0]
			if code == 0:
				detail = ok("s", fmt.upper(), src_tag(img[2]), TEST_DN,
				    level=lv, logged=why)
			else:
				detail = bad("s", [(fmt.upper(), sigs(s, img)[0], why)],
				    level=lv)
			s.expect(v, img, code, detail)
		return f
	t.case(name("strict: rejected"), level("strict", 1))
	t.case(name("strict, COSE: rejected"), level("strict", 1, "cose"))
	t.case(name("permissive: accepted, the expiry logged"),
	    level("permissive", 0))
	t.case(name("audit: accepted, the expiry logged"), level("audit", 0))
	t.case(name("strict with override expiry log: accepted, logged"),
	    level("strict", 0, override={"expiry": "log"}))

	def not_yet():
		img = s.image()
		s.sign(img, args=["--expiry", "1h"])
		v = s.verifier([nt.statement()], {"ca:s": [s.test_pem]})
		s.expect(v, img, 0, ok("s", "JWS", src_tag(img[2]), TEST_DN))
	t.case(name("--expiry 1h, not expired: accepted"), not_yet)

	def audit_untrusted():
		"""audit logs authenticity too: an untrusted signer passes"""
		img = s.image()
		s.sign(img)
		v = s.verifier([nt.statement(level="audit")], {"ca:s": [nt.Chain(
		    "x", selfsigned=True).anchor_pem]})
		s.expect(v, img, 0, ok("s", "JWS", src_tag(img[2]), TEST_DN,
		    level="audit", logged="authenticity: no certificate of the "
		    "chain is in the statement's ca trust stores"))
	t.case("notation, level audit, untrusted signer: accepted, "
	    "authenticity logged", audit_untrusted)


def run_stamps(t, s):
	"""RFC 3161: a leaf that expires seconds after signing, time-stamped
	by tests/notation.py's TSA server"""
	name = lambda x: "notation, time stamp: " + x

	def stamped():
		if "stamped" not in s.memo:
			now = int(time.time())
			c = s.key("short", nt.Chain("short", na=now + 4))
			img = s.image()
			s.sign(img, "short", args=["--timestamp-url", s.tsa.url,
			    "--timestamp-root-cert", s.tsa.root_path])
			s.memo["stamped"] = (img, c, now + 5.2)
		img, c, when = s.memo["stamped"]
		while time.time() < when:
			time.sleep(0.1)
		return img, c

	def case(vt, tsa, code, why=None):
		def f():
			img, c = stamped()
			stores = {"ca:s": [c.anchor_pem]}
			if tsa:
				stores["tsa:t"] = [s.tsa.root_pem]
			v = s.verifier([nt.statement(stores=list(stores),
			    verify_timestamp=vt)], stores)
			s.expect(v, img, code, ok("s", "JWS", src_tag(img[2]),
			    dn("short")) if code == 0 else bad("s", [("JWS",
			    sigs(s, img)[0], why)]))
		return f
	t.case(name("leaf expired, afterCertExpiry, tsa store: accepted"),
	    case("afterCertExpiry", True, 0))
	t.case(name("leaf expired, verifyTimestamp always: accepted"),
	    case(None, True, 0))
	t.case(name("leaf expired, no tsa store: rejected"), case(None, False,
	    1, "authenticTimestamp: certificate %s is not valid at {time}" %
	    dn("short")))

	def no_token():
		"""a tsa store but a signature without a time stamp"""
		img = s.image()
		s.sign(img)
		stores = {"ca:s": [s.test_pem], "tsa:t": [s.tsa.root_pem]}
		v = s.verifier([nt.statement(stores=list(stores))], stores)
		s.expect(v, img, 1, bad("s", [("JWS", sigs(s, img)[0],
		    "authenticTimestamp: no time stamp, though the statement names "
		    "a tsa trust store")]))
	t.case(name("tsa store, signature without a time stamp: rejected"),
	    no_token)

	def no_token_after():
		img = s.image()
		s.sign(img)
		stores = {"ca:s": [s.test_pem], "tsa:t": [s.tsa.root_pem]}
		v = s.verifier([nt.statement(stores=list(stores),
		    verify_timestamp="afterCertExpiry")], stores)
		s.expect(v, img, 0, ok("s", "JWS", src_tag(img[2]), TEST_DN))
	t.case(name("afterCertExpiry, leaf valid, no time stamp: accepted"),
	    no_token_after)

	def other_tsa():
		img, c = stamped()
		stores = {"ca:s": [c.anchor_pem], "tsa:t": [nt.sigpki.pem(
		    nt.RootCA("other tsa").cert)]}
		v = s.verifier([nt.statement(stores=list(stores))], stores)
		r = s.ivlite(v, img)
		if r.exit != 1 or "authenticTimestamp: the time stamp: its " \
		    "signer's certificate: not trusted" not in r.reason:
			raise Fail("got %d %r" % (r.exit, r.reason))
		if s.oracle(v, img)[0] == 0:
			raise Fail("notation verify accepted")
	t.case(name("time stamp by a TSA outside the tsa store: rejected"),
	    other_tsa)


def run_revocation(t, s):
	"""CRLs served by ocireg, the leaf's distribution point naming them;
	an OCSP responder nobody answers"""
	name = lambda x: "notation, revocation: " + x

	def crl_chain(label, revoke, **kw):
		url = "%s/crl/%s.crl" % (s.oci.url, label)
		c = s.key("crl-" + label, nt.Chain("crl " + label, crl=[url]))
		s.oci.set("/crl/%s.crl" % label, 200, nt.crl(c.root,
		    [c.leaf.serial_number] if revoke else [], **kw),
		    "application/pkix-crl")
		return c, url

	def case(label, revoke, code, why=None, override=None, **kw):
		def f():
			c, url = crl_chain(label, revoke, **kw)
			img = s.image()
			s.sign(img, "crl-" + label)
			v = s.verifier([nt.statement(override=override)],
			    {"ca:s": [c.anchor_pem]})
			w = why and why % {"dn": dn("crl " + label), "url": url}
			if code == 0:
				detail = ok("s", "JWS", src_tag(img[2]), dn("crl " +
				    label), logged=w)
			else:
				detail = bad("s", [("JWS", sigs(s, img)[0], w)])
			s.expect(v, img, code, detail)
		return f
	t.case(name("leaf on its CA's CRL: rejected"), case("revoked", True, 1,
	    "revocation: certificate %(dn)s is revoked: revoked (CRL %(url)s)"))
	t.case(name("CRL without the leaf: accepted"), case("good", False, 0))
	t.case(name("leaf revoked, override revocation log: accepted, logged"),
	    case("logged", True, 0, "revocation: certificate %(dn)s is "
	    "revoked: revoked (CRL %(url)s)", override={"revocation": "log"}))
	t.case(name("leaf revoked, override revocation skip: accepted"),
	    case("skipped", True, 0, override={"revocation": "skip"}))
	t.case(name("certificateHold: revoked"), case("hold", True, 1,
	    "revocation: certificate %(dn)s is revoked: revoked (CRL %(url)s)",
	    reason=nt.sigpki._x509()[0].ReasonFlags.certificate_hold))
	t.case(name("expired CRL: status unknown, rejected"), case("stale",
	    False, 1, "revocation: certificate %(dn)s has no known revocation "
	    "status: it expired at {time} (nextUpdate) (CRL %(url)s)",
	    next_update=-60))

	def missing():
		url = "%s/crl/missing.crl" % s.oci.url
		c = s.key("crl-missing", nt.Chain("crl missing", crl=[url]))
		img = s.image()
		s.sign(img, "crl-missing")
		v = s.verifier([nt.statement()], {"ca:s": [c.anchor_pem]})
		s.expect(v, img, 1, bad("s", [("JWS", sigs(s, img)[0],
		    "revocation: certificate %s has no known revocation status: "
		    "HTTP 404 (CRL %s)" % (dn("crl missing"), url))]))
	t.case(name("CRL URL answers 404: status unknown, rejected"), missing)

	def ocsp(override, code):
		def f():
			c = s.key("ocsp", nt.Chain("ocsp", ocsp="http://127.0.0.1:9/"))
			img = s.image()
			s.sign(img, "ocsp")
			v = s.verifier([nt.statement(override=override)],
			    {"ca:s": [c.anchor_pem]})
			why = "revocation: certificate %s has no known revocation " \
			    "status: it names only an OCSP responder, and ivlite does " \
			    "not implement OCSP" % dn("ocsp")
			s.expect(v, img, code, ok("s", "JWS", src_tag(img[2]),
			    dn("ocsp"), logged=why if override and override[
			    "revocation"] == "log" else None) if code == 0 else
			    bad("s", [("JWS", sigs(s, img)[0], why)]))
		return f
	t.case(name("OCSP only (unreachable): unknown, rejected"), ocsp(None,
	    1))
	t.case(name("OCSP only, override revocation log: accepted, logged"),
	    ocsp({"revocation": "log"}, 0))


def run_crafted(t, s):
	"""Envelopes notation will not sign, made with a trusted key"""
	name = lambda x: "notation, crafted: " + x

	def crafted(blob_fn, code, why, mt=nt.MT_JWS, oracle=True):
		def f():
			c = s.key("craft", nt.Chain("craft"))
			img = s.image(s.oci)
			m = s.attach(img, blob_fn(c, img), mt)
			v = s.verifier([nt.statement()], {"ca:s": [c.anchor_pem]})
			w = why(img) if callable(why) else why
			s.expect(v, img, code, ok("s", "JWS" if mt == nt.MT_JWS else
			    "COSE", API, dn("craft")) if code == 0 else bad("s", [(
			    "JWS" if mt == nt.MT_JWS else "COSE", m, w)]),
			    oracle=oracle)
		return f
	pl = lambda img, **kw: nt.payload(img[2], img[3], **kw)
	t.case(name("JWS as notation writes it: accepted"), crafted(
	    lambda c, img: nt.jws(c, pl(img)), 0, None))
	t.case(name("COSE as notation writes it: accepted"), crafted(
	    lambda c, img: nt.cose(c, pl(img)), 0, None, nt.MT_COSE))
	t.case(name("tampered payload: rejected"), crafted(
	    lambda c, img: nt.jws(c, pl(img), tamper=json.dumps(nt.payload(
	    img[2], img[3] + 1)).encode()), 1, "integrity: the signature does "
	    "not verify with the signing certificate's key"))
	other = "sha256:" + hashlib.sha256(b"another image").hexdigest()
	t.case(name("payload for another digest: rejected"), crafted(
	    lambda c, img: nt.jws(c, nt.payload(other, img[3])), 1,
	    lambda img: 'content descriptor mismatch: the signature is for '
	    '"%s", "%s" of %d bytes; the image is %s, %s of %d bytes' % (
	    other, nt.MT_MANIFEST, img[3], img[2], nt.MT_MANIFEST, img[3])))
	t.case(name("payload size off by one: rejected"), crafted(
	    lambda c, img: nt.jws(c, nt.payload(img[2], img[3] + 1)), 1,
	    lambda img: 'content descriptor mismatch: the signature is for '
	    '"%s", "%s" of %d bytes; the image is %s, %s of %d bytes' % (
	    img[2], nt.MT_MANIFEST, img[3] + 1, img[2], nt.MT_MANIFEST,
	    img[3])))
	t.case(name("payload media type an index: rejected"), crafted(
	    lambda c, img: nt.jws(c, nt.payload(img[2], img[3],
	    "application/vnd.oci.image.index.v1+json")), 1,
	    lambda img: 'content descriptor mismatch: the signature is for '
	    '"%s", "%s" of %d bytes; the image is %s, %s of %d bytes' % (
	    img[2], "application/vnd.oci.image.index.v1+json", img[3], img[2],
	    nt.MT_MANIFEST, img[3])))
	plugin = "com.amazonaws.signer.notation.plugin"
	t.case(name("a verification plugin is required (AWS Signer): "
	    "rejected"), crafted(lambda c, img: nt.jws(c, pl(img),
	    nt.protected(c, extra={"io.cncf.notary.verificationPlugin": plugin,
	    "com.amazonaws.signer.signingJob": "arn:aws:signer:job"},
	    crit_extra=["io.cncf.notary.verificationPlugin",
	    "com.amazonaws.signer.signingJob"])), 1, "it needs the verification "
	    'plugin "%s" (io.cncf.notary.verificationPlugin), which ivlite does '
	    "not run" % plugin))
	t.case(name("COSE naming a verification plugin: rejected"), crafted(
	    lambda c, img: nt.cose(c, pl(img), extra={
	    "io.cncf.notary.verificationPlugin": plugin}, crit_extra=[
	    "io.cncf.notary.verificationPlugin"]), 1, "it needs the "
	    'verification plugin "%s" (io.cncf.notary.verificationPlugin), '
	    "which ivlite does not run" % plugin, nt.MT_COSE))
	t.case(name("signingAuthority scheme against a ca store: rejected"),
	    crafted(lambda c, img: nt.jws(c, pl(img), nt.protected(c,
	    scheme="notary.x509.signingAuthority")), 1, "authenticity: the "
	    "statement names no signingAuthority trust store"))
	t.case(name("alg ES384 for a P-256 key: rejected"), crafted(
	    lambda c, img: nt.jws(c, pl(img), nt.protected(c, alg="ES384")), 1,
	    "integrity: alg is not the one notation derives from the signing "
	    "certificate's key"))
	t.case(name("expiry before the signing time: rejected"), crafted(
	    lambda c, img: nt.jws(c, pl(img), nt.protected(c, expiry=time.time()
	    - 60)), 1, "integrity: expiry is not after the signing time"))
	t.case(name("expiry not marked critical: rejected"), crafted(
	    lambda c, img: nt.jws(c, pl(img), dict(nt.protected(c), **{
	    "io.cncf.notary.expiry": nt.rfc3339(time.time() + 3600)})), 1,
	    "integrity: crit must name io.cncf.notary.expiry"))
	t.case(name("cty not notation's payload type: rejected"), crafted(
	    lambda c, img: nt.jws(c, pl(img), nt.protected(c, cty="text/plain")),
	    1, "integrity: cty is not application/vnd.cncf.notary.payload.v1"
	    "+json"))
	t.case(name("an unknown critical member (deliberate: notation ignores "
	    "it without a plugin): rejected"), crafted(lambda c, img: nt.jws(c,
	    pl(img), nt.protected(c, extra={"com.example.policy": "x"},
	    crit_extra=["com.example.policy"])), 1, 'critical member '
	    '"com.example.policy" is not one ivlite implements',
	    oracle="accepts"))

	def stdin_size():
		"""containerd's descriptor says another size than the signed one"""
		c = s.key("craft", nt.Chain("craft"))
		img = s.image(s.oci)
		m = s.attach(img, nt.jws(c, pl(img)))
		v = s.verifier([nt.statement()], {"ca:s": [c.anchor_pem]})
		desc = json.dumps(containerd.descriptor(img[2], img[3] + 7)).encode()
		r = s.ivlite(v, img, stdin=desc + b"\n")
		s.t.expect(r, 1, s.line(img, 1, bad("s", [("JWS", m,
		    'content descriptor mismatch: the signature is for "%s", "%s" '
		    "of %d bytes; the image is %s, %s of %d bytes" % (img[2],
		    nt.MT_MANIFEST, img[3], img[2], nt.MT_MANIFEST, img[3] + 7))])))
		r = s.ivlite(v, img, stdin=json.dumps(containerd.descriptor(img[2],
		    img[3])).encode() + b"\n")
		s.t.expect(r, 0, s.line(img, 0, ok("s", "JWS", API, dn("craft"))))
	t.case(name("the stdin descriptor's size decides (containerd): "
	    "another size rejected, the right one accepted"), stdin_size)


def run_allocs(t, s):
	"""Every arena allocation failing in turn, over a verification that
	tries an untrusted signature, then a time-stamped COSE one whose leaf
	has a CRL: exit 3 "out of memory", never a verdict
	(tests/ivlite-faults)"""
	def allocs():
		import test_registry
		faults = test_registry.faults_bin(s.t)
		url = "%s/crl/allocs.crl" % s.oci.url
		c = s.key("crl-allocs", nt.Chain("crl allocs", crl=[url]))
		s.oci.set("/crl/allocs.crl", 200, nt.crl(c.root, [7]),
		    "application/pkix-crl")
		s.key("other", nt.Chain("other", selfsigned=True))
		img = s.image()
		s.sign(img, "other")
		s.sign(img, "crl-allocs", "cose", args=["--timestamp-url",
		    s.tsa.url, "--timestamp-root-cert", s.tsa.root_path])
		v = s.verifier([nt.statement(level="permissive", stores=["ca:s",
		    "tsa:t"])], {"ca:s": [c.anchor_pem], "tsa:t": [s.tsa.root_pem]})
		reg, repo, d, _ = img
		pol = s.t.policy_file({"default": [{"type": "notationSigned",
		    "trustPolicyPath": v.policy}]}, "notation-allocs.json")
		argv = [faults, "-name", reg.ref(repo, "v1"), "-digest", d,
		    "-policy", pol, "-insecure", reg.host]
		test_registry.alloc_sweep(argv, clean_env())
	t.case("notation, robustness: every arena allocation failing in turn: "
	    "exit 3", allocs)


def run_config(t, s):
	"""The trust policy and stores are configuration: exit 2"""
	name = lambda x: "notation, configuration: " + x

	def conf(statements, stores, why, edit=None):
		def f():
			img = s.image(s.oci)
			v = s.verifier(statements, stores)
			if edit:
				edit(v)
			r = s.ivlite(v, img)
			w = why(v) if callable(why) else why
			s.t.expect(r, 2, "error: " + w)
		return f
	good = {"ca:s": [nt.Chain("c", selfsigned=True).anchor_pem]}
	t.case(name("version 2.0"), conf([nt.statement()], good, lambda v:
	    "%s: version: want \"1.0\"" % v.policy, lambda v: rewrite(v,
	    version="2.0")))
	t.case(name("no statement"), conf([], good, lambda v: "%s: "
	    "trustPolicies: at least one statement is required" % v.policy))
	t.case(name("the trust policy file is missing"), conf([nt.statement()],
	    good, lambda v: "%s: No such file or directory" % v.policy,
	    lambda v: os.unlink(v.policy)))
	t.case(name("the trust policy file is empty"), conf([nt.statement()],
	    good, lambda v: "%s: line 1: JSON ends too early" % v.policy,
	    lambda v: open(v.policy, "w").close()))
	t.case(name("an unknown member (deliberate: notation ignores it)"),
	    conf([dict(nt.statement(), extra=1)], good, lambda v: "%s: "
	    'trustPolicies[0]: unknown field "extra"' % v.policy))
	t.case(name("override integrity"), conf([nt.statement(override={
	    "integrity": "log"})], good, lambda v: "%s: trustPolicies[0]."
	    "signatureVerification.override: integrity: want authenticity, "
	    "authenticTimestamp, expiry or revocation (integrity is always "
	    "enforced)" % v.policy))
	t.case(name("override expiry skip"), conf([nt.statement(override={
	    "expiry": "skip"})], good, lambda v: "%s: trustPolicies[0]."
	    "signatureVerification.override: expiry: want enforce or log (or "
	    "skip, for revocation)" % v.policy))
	t.case(name("level skip with trust stores"), conf([nt.statement(
	    level="skip")], good, lambda v: "%s: trustPolicies[0]: trustStores "
	    "and trustedIdentities are not allowed with level skip" % v.policy))
	t.case(name("overlapping identities"), conf([nt.statement(identities=[
	    "x509.subject: C=US, ST=WA, O=a", "x509.subject: C=US, ST=WA, O=a, "
	    "CN=b"])], good, lambda v: "%s: trustPolicies[0].trustedIdentities"
	    "[1]: it overlaps another x509.subject" % v.policy))
	t.case(name("identity without O"), conf([nt.statement(identities=[
	    "x509.subject: C=US, ST=WA, CN=b"])], good, lambda v: "%s: "
	    "trustPolicies[0].trustedIdentities[0]: C, ST (or S) and O are "
	    "required" % v.policy))
	t.case(name("identity with a multi-valued RDN"), conf([nt.statement(
	    identities=["x509.subject: C=US+ST=WA, O=a"])], good, lambda v:
	    "%s: trustPolicies[0].trustedIdentities[0]: multi-valued RDNs are "
	    "not supported" % v.policy))
	t.case(name("a scope in two statements"), conf([nt.statement("a",
	    scopes=["r.io/x"]), nt.statement("b", scopes=["r.io/x"])], good,
	    lambda v: "%s: trustPolicies[1].registryScopes: r.io/x is in "
	    "another statement" % v.policy))
	t.case(name("a scope with a tag"), conf([nt.statement(scopes=[
	    "r.io/x:1"])], good, lambda v: "%s: trustPolicies[0].registryScopes: "
	    "r.io/x:1 is not HOST[:PORT]/REPOSITORY, or \"*\" alone" % v.policy))
	t.case(name("a trust store that does not exist"), conf([nt.statement(
	    stores=["ca:none"])], good, lambda v: "trust store %s/truststore/"
	    "x509/ca/none: No such file or directory" % v.dir))
	t.case(name("a trust store type that does not exist"), conf([
	    nt.statement(stores=["x509:s"])], good, lambda v: "%s: "
	    "trustPolicies[0].trustStores: x509:s is not ca:NAME, "
	    "signingAuthority:NAME or tsa:NAME" % v.policy))

	def junk(v):
		with open(os.path.join(v.dir, "truststore/x509/ca/s/junk.pem"),
		    "w") as f:
			f.write("not a certificate\n")
	t.case(name("a trust store file that is not a certificate"), conf([
	    nt.statement()], good, lambda v: "trust store %s/truststore/x509/"
	    "ca/s/junk.pem: neither PEM nor DER certificates" % v.dir, junk))

	def crit_nc(v):	# notation's chains do not apply name constraints
		with open(os.path.join(v.dir, "truststore/x509/ca/s/nc.pem"),
		    "wb") as f:
			f.write(sigpki.CA("ivlite nc CA", nc=([("dns",
			    "example.com")], ()), nc_critical=True).pem)
	t.case(name("a trust store CA with critical name constraints"), conf([
	    nt.statement()], good, lambda v: "trust store %s/truststore/x509/"
	    "ca/s/nc.pem: a certificate has malformed or unsupported critical "
	    "extensions" % v.dir, crit_nc))

	def link(v):
		os.symlink(os.path.join(v.dir, "truststore/x509/ca/s/cert0.pem"),
		    os.path.join(v.dir, "truststore/x509/ca/s/link.pem"))
	t.case(name("a symbolic link in a trust store (as notation)"), conf([
	    nt.statement()], good, lambda v: "trust store %s/truststore/x509/"
	    "ca/s/link.pem: not a regular file (links and directories are "
	    "refused)" % v.dir, link))

	def empty(v):
		os.unlink(os.path.join(v.dir, "truststore/x509/ca/s/cert0.pem"))
	t.case(name("an empty trust store"), conf([nt.statement()], good,
	    lambda v: "trust store %s/truststore/x509/ca/s: no certificate in "
	    "it" % v.dir, empty))
	leaf = nt.Chain("tsa leaf")
	t.case(name("a tsa store holding a certificate that is no root"), conf(
	    [nt.statement(stores=["ca:s", "tsa:t"])], dict(good, **{"tsa:t": [
	    nt.sigpki.pem(leaf.leaf)]}), lambda v: "trust store %s/truststore/"
	    "x509/tsa/t/cert0.pem: a certificate is not a self-signed root CA"
	    % v.dir))

	def check():
		img = s.image(s.oci)
		v = s.verifier([nt.statement(stores=["ca:s", "ca:none"])], good)
		pol = s.t.policy_file({"default": [{"type": "notationSigned",
		    "trustPolicyPath": v.policy}]}, "notation-check.json")
		r = containerd.run_direct([s.t.ivlite, "-check", "-policy", pol])
		s.t.expect(r, 2, "error: trust store %s/truststore/x509/ca/none: "
		    "No such file or directory" % v.dir)
	t.case(name("-check loads every trust store"), check)

	def store_dir():
		"""trustStoreDir elsewhere than beside the policy"""
		img = s.image()
		s.sign(img)
		v = s.verifier([nt.statement()], {"ca:s": [s.test_pem]})
		moved = s.lab.mkdir("moved-stores")
		os.rename(os.path.join(v.dir, "truststore"), os.path.join(moved,
		    "truststore"))
		s.expect(v, img, 0, ok("s", "JWS", src_tag(img[2]), TEST_DN),
		    oracle=False, req={"type": "notationSigned", "trustPolicyPath":
		    v.policy, "trustStoreDir": os.path.join(moved, "truststore",
		    "x509")})
	t.case(name("trustStoreDir elsewhere: accepted"), store_dir)


def rewrite(v, **top):
	with open(v.policy) as f:
		doc = json.load(f)
	doc.update(top)
	with open(v.policy, "w") as f:
		json.dump(doc, f)


def run_digests(t, s):
	"""trustedDigests: inline, or Bottlerocket's digestion file"""
	name = lambda x: "trustedDigests: " + x
	d1 = "sha256:" + hashlib.sha256(b"pinned 1").hexdigest()
	d2 = "sha256:" + hashlib.sha256(b"pinned 2").hexdigest()

	def run1(req, digest, code, why):
		def f():
			pol = t.policy_file({"default": [req]}, "digests.json")
			r = t.containerd(pol, "r.io/app:1", digest)
			line = "%s r.io/app:1@%s: scope default: trustedDigests: %s" % (
			    "accepted" if code == 0 else "rejected", digest, why)
			t.expect(r, code, "error: " + why.replace("POLICY", pol) if
			    code == 2 else line)
		return f

	def file(body):
		return s.lab.write("digestion-%d.json" % abs(hash(body)), body)
	t.case(name("inline, listed: accepted"), run1({"type": "trustedDigests",
	    "digests": [d1, d2]}, d2, 0, "digest in allowlist"))
	t.case(name("inline, not listed: rejected"), run1({"type":
	    "trustedDigests", "digests": [d1]}, d2, 1, "digest not in allowlist"))
	f1 = file(json.dumps({"version": "1.0", "trustedDigests": [d1],
	    "comment": "unknown members are ignored"}))
	t.case(name("Bottlerocket's file, listed: accepted"), run1({"type":
	    "trustedDigests", "path": f1}, d1, 0, "digest in allowlist " + f1))
	t.case(name("Bottlerocket's file, not listed: rejected"), run1({"type":
	    "trustedDigests", "path": f1}, d2, 1, "digest not in allowlist"))
	f2 = file(json.dumps({"trustedDigests": [d2]}))
	t.case(name("no version (1.0 by default): accepted"), run1({"type":
	    "trustedDigests", "path": f2}, d2, 0, "digest in allowlist " + f2))
	f3 = file(json.dumps({"version": "2.0", "trustedDigests": [d2]}))
	t.case(name("version 2.0: error"), run1({"type": "trustedDigests",
	    "path": f3}, d2, 2, '%s: version: want "1.0"' % f3))
	f4 = file(json.dumps({"version": "1.0"}))
	t.case(name("no trustedDigests: error"), run1({"type": "trustedDigests",
	    "path": f4}, d2, 2, "%s: trustedDigests: an array is required" % f4))
	f5 = file(json.dumps({"version": "1.0", "trustedDigests": []}))
	t.case(name("an empty list never allows (Bottlerocket's does): error"),
	    run1({"type": "trustedDigests", "path": f5}, d2, 2, "%s: "
	    "trustedDigests: empty: it would allow no image" % f5))
	f6 = s.lab.path("digestion-missing.json")
	t.case(name("a missing file never allows (Bottlerocket's does): "
	    "error"), run1({"type": "trustedDigests", "path": f6}, d2, 2,
	    "%s: No such file or directory" % f6))
	t.case(name("an invalid inline digest: error"), run1({"type":
	    "trustedDigests", "digests": ["sha256:abc"]}, d2, 2, "POLICY: "
	    'default[0].digests[0]: sha256:abc is not a digest'))
	t.case(name("digests and path together: error"), run1({"type":
	    "trustedDigests", "digests": [d1], "path": f1}, d2, 2,
	    "POLICY: default[0]: exactly one of digests and path must be "
	    "given"))
