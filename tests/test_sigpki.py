#!/usr/bin/python3
"""sigstoreSigned with certificates: `pki` (BYO-PKI), `fulcio`, and
offline Rekor SET verification (`rekorPublicKey*`, also with plain keys).

Certificates, Fulcio leaves and Rekor bundles are made by tests/sigpki.py
(python3-cryptography), signatures by tests/cosign.py, pushed to the run's
plain-HTTP docker-registry in cosign's attachment layout; ivlite runs
standalone with -insecure, a fresh policy and the registries.d enabling
attachments, as in test_sigstore.py.  Each case asserts the exact exit
code and reason line:

  accepted REF@DIGEST: scope SCOPE: DESC: signature I of N verified,
      identity IDENT
  rejected REF@DIGEST: scope SCOPE: DESC: N signature(s), none valid:
      #1 WHY
  error: POLICY: PATH.FIELD: FILE: …  (exit 2, configuration)

DESC is sigstoreSigned(pki), sigstoreSigned(fulcio), or
sigstoreSigned(keyPath=…) for keys + Rekor.  WHY is asserted exactly.
Times in reasons are YYYY-MM-DD HH:MM:SS UTC: for fulcio the Rekor
integrated time (asserted exactly), for pki the current time, which is
the one part matched by a pattern (TIME_RE, within PKI_SLACK seconds of
the run).

Sections: the tools' self-checks against sigstore.md ("sigpki tool:"),
pki, fulcio, keys + Rekor, configuration errors (exit 2, also -check),
README.md's BYO-PKI OpenSSL commands end to end, and the BYO-PKI deployment
(policies/byo-pki.json) through the containerd harness.
Run through tests/integration.py.
"""

import base64
import calendar
import hashlib
import json
import os
import re
import subprocess
import threading
import time

import containerd
import cosign
import lab as labmod
import sigpki
import test_sigstore as ts
from integration import Fail, Skip

EMAIL = "signer@example.com"
HOST = "signer.example.com"
ISSUER = "https://issuer.example.com"
OTHER_KEY = "signed by another key"
NOT_TRUSTED = "chain: not trusted (no path to the configured CA)"
NOT_CODE = "chain: not for code signing (extended key usage)"
TIME_RE = r"(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC"
PKI_SLACK = 15	# seconds between building a case and ivlite's clock

NOENT = "No such file or directory"	# strerror(ENOENT), glibc and musl
WEAK = ("chain: weak signature or key, refused by the verification profile "
    "(SHA-256+, RSA 2048+, NIST curves)")
CRITICAL = ("certificate annotation: a certificate has malformed or "
    "unsupported critical extensions")
AFTER_LAST = "annotation: text after the last certificate"
NOT_ONE_PEM = "the certificate annotation is not exactly one PEM block"
V2_NOT_DER = "OIDC issuer extension (v2) is not a DER string"
LOGGED_KEY = "rekor: the logged public key is not the signer's"
LOGGED_HASH = "rekor: the logged hash is not the payload's"
LOGGED_ALGO = "rekor: the logged hash algorithm is not sha256"
LOGGED_SIG = "rekor: the logged signature is not this signature"
BUNDLE_NEEDS = ("rekor: bundle needs SignedEntryTimestamp and a Payload of "
    "body, integratedTime, logIndex and logID")


def desc(req):
	if "pki" in req:
		return "sigstoreSigned(pki)"
	if "fulcio" in req:
		return "sigstoreSigned(fulcio)"
	return ts.desc(req)


def none_valid(*whys):
	return ts.none_valid(*whys)


class At:
	"""A reason "#1 PREFIX" + "not valid at TIME: WHAT": TIME exactly
	T (Unix seconds), or, with T None, the time ivlite ran (±slack)."""

	def __init__(self, prefix, what, t=None):
		self.prefix = prefix
		self.what = what
		self.t = t

	def check(self, tail, ran=None):
		if self.t is not None:
			want = none_valid("%snot valid at %s: %s" % (self.prefix,
			    sigpki.timestr(self.t), self.what))
			if tail != want:
				raise Fail("expected reason ending %r, got %r" % (want,
				    tail))
			return
		m = re.fullmatch(re.escape("1 signature, none valid: #1 " +
		    self.prefix + "not valid at ") + TIME_RE + re.escape(": " +
		    self.what), tail)
		if not m:
			raise Fail("expected %r + TIME + %r, got %r" % (
			    "#1 " + self.prefix + "not valid at ", ": " + self.what,
			    tail))
		got = calendar.timegm(time.strptime(m.group("time"),
		    "%Y-%m-%d %H:%M:%S"))
		if ran is not None and abs(got - ran) > PKI_SLACK:
			raise Fail("time %s in the reason is not the current time "
			    "(%s)" % (m.group("time"), sigpki.timestr(ran)))


class Fx:
	"""The section's fixtures: CAs, Fulcio, Rekor, their files."""

	def __init__(self, t, s):
		self.t = t
		self.s = s
		self.lab = t.lab
		self.lock = threading.RLock()
		self._files = {}
		self.root = sigpki.CA("ivlite BYO-PKI root")
		self.inter = self.root.intermediate("ivlite BYO-PKI intermediate")
		self.other_root = sigpki.CA("ivlite other root")
		self.other_inter = self.other_root.intermediate(
		    "ivlite other intermediate")
		self.fulcio = sigpki.Fulcio()
		self.other_fulcio = sigpki.Fulcio("ivlite other fulcio")
		self.rekor = sigpki.Rekor()
		self.other_rekor = sigpki.Rekor()

	def file(self, name, data):
		"""A lab file NAME holding DATA (bytes or list of bytes), once."""
		with self.lock:
			if name not in self._files:
				if isinstance(data, (list, tuple)):
					data = b"".join(data)
				self._files[name] = self.lab.write("sigpki-" + name, data)
			return self._files[name]

	def roots(self):
		return self.file("roots.pem", self.root.pem)

	def inters(self):
		return self.file("inter.pem", self.inter.pem)

	def fulcio_ca(self):
		return self.file("fulcio-root.pem", self.fulcio.root.pem)

	def rekor_pub(self, which="rekor"):
		return self.file(which + ".pub", getattr(self, which.replace("-",
		    "_")).pem())


def lab_need(fn):
	try:
		return fn()
	except labmod.LabError as e:
		raise Skip(str(e))


def run(t):
	try:
		s = ts.Sig(t)
		fx = lab_need(lambda: Fx(t, s))
	except Skip as e:
		t.case("sigpki: fixtures", ts._raise, e)
		return
	for section in (run_tool, run_pki, run_fulcio, run_rekor, run_config,
	    run_x509, run_readme, run_deployment):
		section(t, s, fx)
		s.flush()


def signed(t, s, name, layers_fn, req_fn, code, why, pull="tag",
    prefix="sigpki"):
	"""Case NAME: a fresh image REG/sig/<name>-<n>:v1, LAYERS_FN(repo,
	digest) attached (None: no .sig), policy {REG: [REQ_FN()]}, ivlite
	pulling by tag (or by digest); expect exit CODE and "accepted|
	rejected REF@DIGEST: scope …: DESC: " + WHY, where WHY(repo, digest)
	is the exact text, or an At checking it."""
	def setup():
		repo, d = s.image(name)
		layers = layers_fn(repo, d)
		if layers is not None:
			s.attach(repo, d, layers)
		return repo, d

	def check(made):
		repo, d = made
		req = req_fn()
		pol = s.policy({s.host: [req]})
		ref = s.ref(repo) if pull == "tag" else s.ref(repo, None, d)
		ran = int(time.time())
		r = s.ivlite(ref, pol)
		w = why if isinstance(why, At) else why(repo, d)
		pre = "%s %s: %s: %s: " % ("accepted" if code == 0 else
		    "rejected", ts.shown(ref, d), ts.scope(s.host), desc(req))
		if isinstance(w, str):
			t.expect(r, code, pre + w)
			return
		t.expect(r, code, prefix=pre)
		w.check(r.reason[len(pre):], ran)
	s.later("%s: %s" % (prefix, name), setup, check)


def ok(s):
	return lambda repo, d: "signature 1 of 1 verified, identity %s" \
	    % s.ref(repo)


def nv(why):
	return lambda repo, d: none_valid(why)


def pod(s):
	"""The payload containers/image writes for the image (name:tag)."""
	return lambda repo, d: cosign.podman_payload(s.ref(repo), d)


# --- the tools against sigstore.md ---------------------------------------------

def _pairs_no_dup(pairs):
	keys = [k for k, _ in pairs]
	if len(set(keys)) != len(keys):
		raise Fail("duplicate member in %r" % keys)
	return dict(pairs)


def check_bundle(text, rekor_pem, payload, sig, pub_pem):
	"""sigstore.md §7, independently of sigpki.Rekor.bundle(): returns
	the integrated time."""
	from cryptography.hazmat.primitives import hashes, serialization as ser
	from cryptography.hazmat.primitives.asymmetric import ec
	from cryptography.exceptions import InvalidSignature
	b = json.loads(text, object_pairs_hook=_pairs_no_dup)
	if list(b) != ["SignedEntryTimestamp", "Payload"]:
		raise Fail("bundle members %r" % list(b))
	p = b["Payload"]
	# cosign's order, so that the verifier must canonicalize
	if list(p) != ["body", "integratedTime", "logIndex", "logID"]:
		raise Fail("Payload members in order %r" % list(p))
	raw = text[text.index('"Payload":') + len('"Payload":'):-1]
	canon = sigpki.jcs(p).encode()
	if raw.encode() == canon:
		raise Fail("the Payload as written is already canonical")
	if canon != ('{"body":"%s","integratedTime":%d,"logID":"%s",'
	    '"logIndex":%d}' % (p["body"], p["integratedTime"], p["logID"],
	    p["logIndex"])).encode():
		raise Fail("JCS of the Payload: %r" % canon)
	set_der = base64.b64decode(b["SignedEntryTimestamp"], validate=True)
	rk = ser.load_pem_public_key(rekor_pem)
	try:
		rk.verify(set_der, canon, ec.ECDSA(hashes.SHA256()))
	except InvalidSignature:
		raise Fail("the SET does not verify over the JCS Payload")
	try:
		rk.verify(set_der, raw.encode(), ec.ECDSA(hashes.SHA256()))
		raise Fail("the SET verifies over the non-canonical bytes")
	except InvalidSignature:
		pass
	spki = rk.public_bytes(ser.Encoding.DER,
	    ser.PublicFormat.SubjectPublicKeyInfo)
	if p["logID"] != hashlib.sha256(spki).hexdigest():
		raise Fail("logID %r is not SHA-256 of the log key's SPKI"
		    % p["logID"])
	if not isinstance(p["integratedTime"], int) or \
	    not isinstance(p["logIndex"], int):
		raise Fail("integratedTime/logIndex not integers: %r" % p)
	e = json.loads(base64.b64decode(p["body"], validate=True),
	    object_pairs_hook=_pairs_no_dup)
	if e.get("kind") != "hashedrekord" or e.get("apiVersion") != "0.0.1":
		raise Fail("entry kind/apiVersion %r" % e)
	spec = e["spec"]
	h = spec["data"]["hash"]
	if h != {"algorithm": "sha256",
	    "value": hashlib.sha256(payload).hexdigest()}:
		raise Fail("entry hash %r" % h)
	if base64.b64decode(spec["signature"]["content"]) != sig:
		raise Fail("entry signature is not the layer's signature")
	key_text = base64.b64decode(spec["signature"]["publicKey"]["content"])
	if key_text != pub_pem or key_text.count(b"-----BEGIN ") != 1 or \
	    not key_text.endswith(b"-----\n"):
		raise Fail("entry publicKey is not exactly the one PEM block %r"
		    % pub_pem[:40])
	return p["integratedTime"]


def run_tool(t, s, fx):
	from cryptography import x509
	from cryptography.x509.oid import ExtendedKeyUsageOID as EKU

	def jcs_rfc8785():
		# RFC 8785 §3.2.3 (sorting) and §3.2.2 (values)
		sorted_keys = {"\u20ac": "Euro Sign", "\r": "Carriage Return",
		    "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One",
		    "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control",
		    "\u00f6": "Latin Small Letter O With Diaeresis"}
		got = [k for k in json.loads(sigpki.jcs(sorted_keys),
		    object_pairs_hook=lambda p: [k for k, _ in p])]
		want = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600",
		    "\ufb33"]
		if got != want:
			raise Fail("JCS member order %r, expected %r" % (got, want))
		v = json.loads('{"numbers": [333333333.33333329, 1E30, 4.50, '
		    '2e-3, 0.000000000000000000000000001], "string": "\\u20ac$'
		    '\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", '
		    '"literals": [null, true, false]}')
		want = ('{"literals":[null,true,false],"numbers":[333333333.3333333,'
		    '1e+30,4.5,0.002,1e-27],"string":"\u20ac$\\u000f\\nA\'B\\"'
		    '\\\\\\\\\\"/"}')
		if sigpki.jcs(v) != want:
			raise Fail("JCS of RFC 8785's example:\n  got  %r\n  want %r"
			    % (sigpki.jcs(v), want))
		for n, w in ((0, "0"), (-0.0, "0"), (1700000000, "1700000000"),
		    (2 ** 53, "9007199254740992"), (1e21, "1e+21"),
		    (1e20, "100000000000000000000"), (1e-7, "1e-7"),
		    (1e-6, "0.000001"), (-1.5, "-1.5")):
			if sigpki.jcs(n) != w:
				raise Fail("JCS(%r) = %r, expected %r" % (n, sigpki.jcs(n),
				    w))
	t.case("sigpki tool: JCS matches RFC 8785's examples", jcs_rfc8785)

	def set_bundle():
		leaf = fx.fulcio.leaf(v1=ISSUER, v2=ISSUER)
		p = cosign.cosign_payload("x.example/a", "sha256:" + "1" * 64)
		sig = leaf.sign(p)
		text = fx.rekor.bundle(p, sig, leaf.pem, 1700000123)
		if check_bundle(text, fx.rekor.pem(), p, sig, leaf.pem) != \
		    1700000123:
			raise Fail("integrated time")
		k = sigpki.key("p256-set")
		ksig = k.sign(p)
		check_bundle(fx.rekor.bundle(p, ksig, k.pem()), fx.rekor.pem(), p,
		    ksig, k.pem())
		# and a SET by another key does not verify with the log's key
		try:
			check_bundle(fx.rekor.bundle(p, sig, leaf.pem, set_key=
			    fx.other_rekor.key), fx.rekor.pem(), p, sig, leaf.pem)
		except Fail as e:
			if "does not verify" not in str(e):
				raise
		else:
			raise Fail("a SET by another key verifies")
	t.case("sigpki tool: Rekor SET over the JCS Payload, logID, "
	    "hashedrekord body (sigstore.md §7)", set_bundle)

	def certificates():
		leaf = fx.inter.leaf(emails=[EMAIL, "b@example.com"], dns=[HOST],
		    ips=["192.0.2.7"])
		chain = leaf.chain_text()
		blocks = re.findall(r"-----BEGIN CERTIFICATE-----\n.*?"
		    r"-----END CERTIFICATE-----\n", chain, re.S)
		if "".join(blocks) != chain or len(blocks) != 2:
			raise Fail("chain annotation is not 2 PEM blocks: %r"
			    % chain[:80])
		certs = [x509.load_pem_x509_certificate(b.encode())
		    for b in blocks]
		# intermediates first, root last; each issued by the next
		if certs[0].subject != fx.inter.subject or \
		    certs[1].subject != certs[1].issuer or \
		    certs[1].subject != fx.root.subject:
			raise Fail("chain order: %r" % [c.subject for c in certs])
		for child, parent in ((leaf.cert, certs[0]), (certs[0], certs[1]),
		    (certs[1], certs[1])):
			if child.issuer != parent.subject:
				raise Fail("issuer %r, expected %r" % (child.issuer,
				    parent.subject))
			parent.public_key().verify(child.signature,
			    child.tbs_certificate_bytes, _sigalg(child))
		san = leaf.cert.extensions.get_extension_for_class(
		    x509.SubjectAlternativeName).value
		if san.get_values_for_type(x509.RFC822Name) != [EMAIL,
		    "b@example.com"] or san.get_values_for_type(x509.DNSName) \
		    != [HOST] or [str(i) for i in san.get_values_for_type(
		    x509.IPAddress)] != ["192.0.2.7"]:
			raise Fail("SANs %r" % san)
		eku = leaf.cert.extensions.get_extension_for_class(
		    x509.ExtendedKeyUsage).value
		if list(eku) != [EKU.CODE_SIGNING]:
			raise Fail("EKU %r" % eku)
		for c in certs:
			bc = c.extensions.get_extension_for_class(
			    x509.BasicConstraints)
			if not bc.value.ca or not bc.critical:
				raise Fail("CA without critical basicConstraints CA")
		# the variants the cases rely on
		now = time.time()
		expired = fx.inter.leaf(emails=[EMAIL], nb=int(now) - 86400 * 10,
		    na=int(now) - 86400)
		future = fx.inter.leaf(emails=[EMAIL], nb=int(now) + 86400)
		if not (sigpki.not_after(expired.cert) < now <
		    sigpki.not_before(future.cert)):
			raise Fail("expired/not yet valid windows")
		sha1 = fx.inter.leaf(emails=[EMAIL], hash_name="sha1")
		if sha1.cert.signature_algorithm_oid.dotted_string != \
		    "1.2.840.10045.4.1":
			raise Fail("SHA-1 leaf signed with %s"
			    % sha1.cert.signature_algorithm_oid)
		weak = fx.inter.leaf(emails=[EMAIL], key_name="rsa1024-leaf")
		if weak.cert.public_key().key_size != 1024:
			raise Fail("RSA-1024 leaf has %d bits"
			    % weak.cert.public_key().key_size)
		crit = fx.inter.leaf(emails=[EMAIL], extensions=[("1.3.6.1.4.1."
		    "99999.1", b"\x05\x00", True)])
		ext = crit.cert.extensions.get_extension_for_oid(
		    x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"))
		if not ext.critical:
			raise Fail("unknown extension not critical")
		cn = fx.inter.leaf(cn=HOST)
		try:
			cn.cert.extensions.get_extension_for_class(
			    x509.SubjectAlternativeName)
			raise Fail("CN-only leaf has a SAN")
		except x509.ExtensionNotFound:
			pass
		server = fx.inter.leaf(emails=[EMAIL], eku=[sigpki.OID_SERVER_AUTH])
		if list(server.cert.extensions.get_extension_for_class(
		    x509.ExtendedKeyUsage).value) != [EKU.SERVER_AUTH]:
			raise Fail("serverAuth leaf EKU")
		# a signature by the leaf key verifies with the certificate
		p = b"payload"
		if not cosign.verify(sigpki.pem_public(leaf.cert), leaf.sign(p), p):
			raise Fail("the leaf's signature does not verify with its "
			    "certificate")
	t.case("sigpki tool: certificates, SANs, EKU, chain order, variants",
	    certificates)

	def fulcio_ext():
		def ext(leaf, oid):
			try:
				e = leaf.cert.extensions.get_extension_for_oid(
				    x509.ObjectIdentifier(oid))
			except x509.ExtensionNotFound:
				return None
			return e.value.value
		leaf = fx.fulcio.leaf(v1=ISSUER, v2=ISSUER)
		if ext(leaf, sigpki.OID_ISSUER_V1) != ISSUER.encode():
			raise Fail("v1 issuer value %r, expected the raw URL bytes"
			    % ext(leaf, sigpki.OID_ISSUER_V1))
		v2 = ext(leaf, sigpki.OID_ISSUER_V2)
		if v2 != b"\x0c" + bytes([len(ISSUER)]) + ISSUER.encode():
			raise Fail("v2 issuer value %r, expected a DER UTF8String"
			    % v2)
		if sigpki.not_after(leaf.cert) - sigpki.not_before(leaf.cert) != \
		    600:
			raise Fail("Fulcio leaf does not live 10 minutes")
		if len(leaf.cert.subject) != 0:
			raise Fail("Fulcio leaf subject %r, expected empty"
			    % leaf.cert.subject)
		san = leaf.cert.extensions.get_extension_for_class(
		    x509.SubjectAlternativeName)
		if not san.critical or san.value.get_values_for_type(
		    x509.RFC822Name) != [EMAIL]:
			raise Fail("Fulcio SAN %r" % san)
		if ext(fx.fulcio.leaf(v1=ISSUER), sigpki.OID_ISSUER_V2) is not \
		    None or ext(fx.fulcio.leaf(v2=ISSUER), sigpki.OID_ISSUER_V1) \
		    is not None:
			raise Fail("v1-only/v2-only leaves carry the other one")
		tr = fx.fulcio.leaf(v2_raw=sigpki.utf8string(ISSUER) + b"\0")
		if ext(tr, sigpki.OID_ISSUER_V2)[-1:] != b"\0":
			raise Fail("trailing byte lost")
		dup = dup_issuer(fx, ISSUER, ISSUER)
		oids = _ext_oids(dup.pem)
		if oids.count(sigpki.OID_ISSUER_V2) != 2:
			raise Fail("duplicated v2 extension: %r" % oids)
		# issued by the intermediate, which chains to the root
		if leaf.cert.issuer != fx.fulcio.inter.subject or \
		    leaf.chain != [fx.fulcio.inter.pem, fx.fulcio.root.pem]:
			raise Fail("Fulcio chain")
	t.case("sigpki tool: Fulcio issuer extensions v1 (raw) and v2 (DER "
	    "UTF8String), 10-minute leaves", fulcio_ext)

	def openssl_judges():
		"""An independent verifier (openssl verify) agrees with the
		fixtures' intent: chains, validity now and at T."""
		if labmod.missing_tools("openssl"):
			raise Skip("openssl not installed")
		now = int(time.time())
		f = lambda name, data: fx.file("ossl-" + name, data)
		root, inter = fx.roots(), fx.inters()
		ful_root = fx.fulcio_ca()
		ful_inter = f("fulcio-inter.pem", fx.fulcio.inter.pem)
		start = now - 3600
		rows = [
		    ("good leaf", fx.inter.leaf(emails=[EMAIL]), root, inter, None,
		     ": OK"),
		    ("expired leaf", fx.inter.leaf(emails=[EMAIL], nb=now - 864000,
		     na=now - 86400), root, inter, None, "certificate has expired"),
		    ("future leaf", fx.inter.leaf(emails=[EMAIL], nb=now + 86400),
		     root, inter, None, "certificate is not yet valid"),
		    ("other CA", fx.other_inter.leaf(emails=[EMAIL]), root,
		     f("other-inter.pem", fx.other_inter.pem), None,
		     "unable to get local issuer certificate"),
		    ("missing intermediate", fx.inter.leaf(emails=[EMAIL]), root,
		     None, None, "unable to get local issuer certificate"),
		    ("fulcio at T", fx.fulcio.leaf(v1=ISSUER, start=start),
		     ful_root, ful_inter, start + 60, ": OK"),
		    # (OpenSSL counts T = notAfter as expired; Go, and the
		    # spec, do not: that row is ivlite's alone)
		    ("fulcio at T = notBefore", fx.fulcio.leaf(v1=ISSUER,
		     start=start), ful_root, ful_inter, start, ": OK"),
		    ("fulcio at T = notAfter - 1", fx.fulcio.leaf(v1=ISSUER,
		     start=start), ful_root, ful_inter, start + 599, ": OK"),
		    ("fulcio at notBefore - 1", fx.fulcio.leaf(v1=ISSUER,
		     start=start), ful_root, ful_inter, start - 1,
		     "certificate is not yet valid"),
		    ("fulcio at notAfter + 1", fx.fulcio.leaf(v1=ISSUER,
		     start=start), ful_root, ful_inter, start + 601,
		     "certificate has expired"),
		    ("fulcio now", fx.fulcio.leaf(v1=ISSUER, start=start),
		     ful_root, ful_inter, None, "certificate has expired"),
		]
		bad = labmod.openssl_disagrees([(name, ca, unt, f("leaf-%d.pem" %
		    i, leaf.pem), at, want) for i, (name, leaf, ca, unt, at, want)
		    in enumerate(rows)])
		if bad:
			raise Fail("; ".join(bad))
	t.case("sigpki tool: openssl verify agrees with the certificate "
	    "fixtures (now and -attime T)", openssl_judges)

	def layout():
		repo, d = s.image("sigpki-tool-layout")
		leaf = fx.inter.leaf(emails=[EMAIL])
		p = pod(s)(repo, d)
		ly = sigpki.layer(p, leaf, cert=leaf.pem, chain=leaf.chain_text(),
		    rekor=fx.rekor, integrated_time=1700000000)
		s.attach(repo, d, [ly])
		st, _, body = cosign.get(s.reg, repo, "manifests/" +
		    cosign.sig_tag(d))
		if st != 200:
			raise Fail("GET .sig: %d" % st)
		ann = json.loads(body)["layers"][0]["annotations"]
		want = {cosign.ANN_SIGNATURE, sigpki.ANN_CERT, sigpki.ANN_CHAIN,
		    sigpki.ANN_BUNDLE}
		if set(ann) != want:
			raise Fail("annotations %s, expected %s" % (sorted(ann),
			    sorted(want)))
		if ann[sigpki.ANN_CERT].encode() != leaf.pem or \
		    ann[sigpki.ANN_CHAIN] != leaf.chain_text():
			raise Fail("certificate/chain annotation text")
		sig = base64.b64decode(ann[cosign.ANN_SIGNATURE])
		if not cosign.verify(sigpki.pem_public(leaf.cert), sig, p):
			raise Fail("signature does not verify with the certificate")
		check_bundle(ann[sigpki.ANN_BUNDLE], fx.rekor.pem(), p, sig,
		    leaf.pem)
	t.case("sigpki tool: attachment layer with certificate, chain and "
	    "bundle annotations", layout)


def _sigalg(cert):
	from cryptography.hazmat.primitives.asymmetric import ec
	return ec.ECDSA(cert.signature_hash_algorithm)


def _ext_oids(pem_bytes):
	"""Extension OIDs of a certificate, by walking its DER (the parser
	of cryptography refuses duplicates)."""
	d = base64.b64decode(b"".join(pem_bytes.strip().split(b"\n")[1:-1]))
	_, cert = sigpki._der_take(d, 0)
	tbs, _ = sigpki._der_split(cert)
	_, tbs = sigpki._der_take(tbs, 0)
	rest = tbs
	oids = []
	while rest:
		el, rest = sigpki._der_split(rest)
		if el[0] == 0xa3:	# [3] extensions
			_, exts = sigpki._der_take(el, 0)
			_, exts = sigpki._der_take(exts, 0)
			while exts:
				e, exts = sigpki._der_split(exts)
				_, ec = sigpki._der_take(e, 0)
				oid, _ = sigpki._der_split(ec)
				oids.append(_oid_str(oid[2:]))
	return oids


def _oid_str(b):
	out, v = [], 0
	for c in b:
		v = (v << 7) | (c & 0x7f)
		if not c & 0x80:
			out.append(v)
			v = 0
	first = [0, 1, 2][min(out[0] // 40, 2)]
	return ".".join(str(x) for x in [first, out[0] - 40 * first] + out[1:])


class _PemLeaf:
	"""A Leaf-like object for certificates made by resign()."""

	def __init__(self, pem_bytes, k, ca):
		self.pem = pem_bytes
		self.key = k
		self.ca = ca
		self.chain = ca.chain_pems()

	def chain_text(self):
		return b"".join(self.chain).decode()

	def sign(self, data):
		return self.key.sign(data)


def dup_issuer(fx, a, b, start=None):
	"""A Fulcio leaf with the v2 issuer extension twice (A, then B):
	made with a placeholder OID of the same length, then renamed and
	signed again."""
	ph = "1.3.6.1.4.1.57264.1.9"
	leaf = fx.fulcio.leaf(v2=a, start=start, extensions=[(ph,
	    sigpki.utf8string(b), False)])
	tbs = leaf.cert.tbs_certificate_bytes
	enc = lambda last: bytes([0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01,
	    0x83, 0xbf, 0x30, 0x01, last])
	if tbs.count(enc(9)) != 1:
		raise Fail("placeholder OID not found once in the TBS")
	tbs = tbs.replace(enc(9), enc(8))
	return _PemLeaf(sigpki.resign(leaf.cert, fx.fulcio.inter.key.priv, tbs,
	    "sha384"), leaf.key, fx.fulcio.inter)


# --- pki -------------------------------------------------------------------------

def pki_req(fx, email=EMAIL, host=None, roots=None, inter=None, ident=None,
    roots_data=None, inter_data=None):
	p = {}
	if roots_data is not None:
		p["caRootsData"] = base64.b64encode(roots_data).decode()
	else:
		p["caRootsPath"] = roots or fx.roots()
	if inter_data is not None:
		p["caIntermediatesData"] = base64.b64encode(inter_data).decode()
	elif inter:
		p["caIntermediatesPath"] = inter
	if email is not None:
		p["subjectEmail"] = email
	if host is not None:
		p["subjectHostname"] = host
	r = {"type": "sigstoreSigned", "pki": p}
	if ident is not None:
		r["signedIdentity"] = ident
	return r


def run_pki(t, s, fx):
	P = pod(s)
	now = int(time.time())

	def leaf_layers(make_leaf, chain="auto", cert="auto", payload=None,
	    signer=None, more=None):
		"""layers_fn: one layer signed by the leaf MAKE_LEAF() makes
		(or SIGNER), certificate annotation CERT ("auto": the leaf's
		PEM, None: left out), chain CHAIN ("auto": the leaf's chain)."""
		def f(repo, d):
			leaf = make_leaf()
			p = (payload or P)(repo, d)
			return [sigpki.layer(p, signer or leaf,
			    cert=leaf.pem if cert == "auto" else cert,
			    chain=leaf.chain_text() if chain == "auto" else chain,
			    more=more)]
		return f

	def case(name, make_leaf, req, code, why, **kw):
		signed(t, s, "pki " + name, leaf_layers(make_leaf, **{k: v for
		    k, v in kw.items() if k in ("chain", "cert", "payload",
		    "signer", "more")}), req, code, why, pull=kw.get("pull",
		    "tag"), prefix="sigpki")

	OK = ok(s)
	email_leaf = lambda: fx.inter.leaf(emails=[EMAIL])
	R = lambda **kw: lambda: pki_req(fx, **kw)

	# email, chain sources
	case("email, intermediate from the chain annotation", email_leaf,
	    R(), 0, OK)
	case("email, intermediate from caIntermediatesPath, no chain "
	    "annotation", email_leaf, R(inter=fx.inters()), 0, OK, chain=None)
	case("email, intermediate in both", email_leaf, R(inter=fx.inters()),
	    0, OK)
	case("email, caRootsData and caIntermediatesData", email_leaf,
	    lambda: pki_req(fx, roots_data=fx.root.pem,
	    inter_data=fx.inter.pem), 0, OK, chain=None)
	case("leaf issued by the root itself, no chain annotation",
	    lambda: fx.root.leaf(emails=[EMAIL]), R(), 0, OK, chain=None)
	case("intermediate missing (no chain annotation, none configured)",
	    email_leaf, R(), 1, nv("pki: " + NOT_TRUSTED), chain=None)
	case("chain annotation of the intermediate only contributes nothing",
	    email_leaf, R(), 1, nv("pki: " + NOT_TRUSTED),
	    chain=fx.inter.pem.decode())
	case("chain annotation root first (wrong order): not trusted",
	    email_leaf, R(), 1, nv("pki: " + NOT_TRUSTED),
	    chain=(fx.root.pem + fx.inter.pem).decode())
	case("leaf from another CA (with its own chain)", lambda:
	    fx.other_inter.leaf(emails=[EMAIL]), R(), 1,
	    nv("pki: " + NOT_TRUSTED))
	case("caRootsPath with several roots and other PEM blocks",
	    email_leaf, lambda: pki_req(fx, roots=fx.file("roots-mixed.pem",
	    [b"junk before\n", sigpki.key("p256-mixed").pem(), _private_pem(),
	    fx.other_root.pem, fx.root.pem, b"junk after\n"])), 0, OK)
	case("an intermediate listed in caRootsPath is a trust anchor",
	    email_leaf, lambda: pki_req(fx, roots=fx.inters()), 0, OK,
	    chain=None)
	case("another CA's root in caRootsPath: not trusted", email_leaf,
	    lambda: pki_req(fx, roots=fx.file("other-root.pem",
	    fx.other_root.pem)), 1, nv("pki: " + NOT_TRUSTED))
	case("the other CA's chain annotation does not help", email_leaf,
	    R(), 1, nv("pki: " + NOT_TRUSTED), chain=(fx.other_inter.pem +
	    fx.other_root.pem).decode())

	# identities: email
	two = lambda: fx.inter.leaf(emails=["first@example.com", EMAIL])
	case("email: the second of two email SANs matches", two, R(), 0, OK)
	case("email: none of two matches", two, R(email="third@example.com"),
	    1, nv("pki: certificate for first@example.com, signer@example.com, "
	    "expected third@example.com"))
	case("email: case-sensitive", email_leaf, R(email="Signer@example.com"),
	    1, nv("pki: certificate for signer@example.com, expected "
	    "Signer@example.com"))
	case("email: other address", email_leaf, R(email="other@example.com"),
	    1, nv("pki: certificate for signer@example.com, expected "
	    "other@example.com"))
	case("email: leaf with only a DNS SAN", lambda: fx.inter.leaf(
	    dns=[HOST]), R(), 1, nv("pki: certificate for no email, expected "
	    "signer@example.com"))
	case("email: CN-only leaf (CN is the email)", lambda: fx.inter.leaf(
	    cn=EMAIL), R(), 1, nv("pki: certificate for no email, expected "
	    "signer@example.com"))

	# identities: hostname
	dns_leaf = lambda: fx.inter.leaf(dns=[HOST, "alt.example.org"])
	H = lambda host: R(email=None, host=host)
	case("hostname: DNS SAN", dns_leaf, H(HOST), 0, OK)
	case("hostname: second DNS SAN", dns_leaf, H("alt.example.org"), 0, OK)
	case("hostname: ASCII case-insensitive", dns_leaf,
	    H("Signer.EXAMPLE.com"), 0, OK)
	case("hostname: trailing dot ignored", dns_leaf, H(HOST + "."), 0, OK)
	case("hostname: other host", dns_leaf, H("other.example.com"), 1,
	    nv("pki: certificate for signer.example.com, alt.example.org, "
	    "expected other.example.com"))
	case("hostname: parent domain does not match", dns_leaf,
	    H("example.com"), 1, nv("pki: certificate for signer.example.com, "
	    "alt.example.org, expected example.com"))
	wild = lambda: fx.inter.leaf(dns=["*.example.com"])
	case("hostname: wildcard SAN matches one label", wild,
	    H("build.example.com"), 0, OK)
	case("hostname: wildcard SAN does not match two labels", wild,
	    H("a.build.example.com"), 1, nv("pki: certificate for "
	    "*.example.com, expected a.build.example.com"))
	case("hostname: wildcard SAN does not match the bare domain", wild,
	    H("example.com"), 1, nv("pki: certificate for *.example.com, "
	    "expected example.com"))
	case("hostname: a wildcard in the policy is not a pattern", dns_leaf,
	    H("*.example.com"), 1, nv("pki: certificate for signer.example.com, "
	    "alt.example.org, expected *.example.com"))
	case("hostname: CN only, never used", lambda: fx.inter.leaf(cn=HOST),
	    H(HOST), 1, nv("pki: certificate for no host name, expected "
	    "signer.example.com"))
	ip_leaf = lambda: fx.inter.leaf(ips=["192.0.2.7", "2001:db8::7"],
	    dns=["192.0.2.8"])
	case("hostname: IPv4 SAN", ip_leaf, H("192.0.2.7"), 0, OK)
	case("hostname: IPv4 in brackets", ip_leaf, H("[192.0.2.7]"), 0, OK)
	case("hostname: IPv6 SAN", ip_leaf, H("2001:db8::7"), 0, OK)
	case("hostname: IPv6 SAN, other spelling", ip_leaf,
	    H("[2001:0db8:0:0::7]"), 0, OK)
	# SANs listed in the certificate's order (here DNS, then IPs)
	ips = "192.0.2.8, 192.0.2.7, 2001:db8::7"
	case("hostname: other IP", ip_leaf, H("192.0.2.9"), 1,
	    nv("pki: certificate for %s, expected 192.0.2.9" % ips))
	case("hostname: an IP literal is not matched against dNSName SANs",
	    ip_leaf, H("192.0.2.8"), 1,
	    nv("pki: certificate for %s, expected 192.0.2.8" % ips))

	# both
	both = lambda: fx.inter.leaf(emails=[EMAIL], dns=[HOST])
	case("email and hostname both match", both, R(host=HOST), 0, OK)
	case("email matches, hostname does not", both, R(host="x.example.com"),
	    1, nv("pki: certificate for signer.example.com, expected "
	    "x.example.com"))
	case("hostname matches, email does not", both,
	    R(email="x@example.com", host=HOST), 1, nv("pki: certificate for "
	    "signer@example.com, expected x@example.com"))

	# validity (now) and path validation
	case("leaf expired", lambda: fx.inter.leaf(emails=[EMAIL],
	    nb=now - 10 * 86400, na=now - 86400), R(), 1,
	    lambda repo, d: At("pki: chain: ", "expired"))
	case("leaf not yet valid", lambda: fx.inter.leaf(emails=[EMAIL],
	    nb=now + 86400), R(), 1,
	    lambda repo, d: At("pki: chain: ", "not yet valid"))
	old_inter = fx.root.intermediate("ivlite expired intermediate",
	    nb=now - 20 * 86400, na=now - 3600)
	case("intermediate expired", lambda: old_inter.leaf(emails=[EMAIL],
	    nb=now - 2 * 86400, na=now + 86400), R(), 1,
	    lambda repo, d: At("pki: chain: ", "expired"))
	case("leaf without the code-signing EKU (serverAuth only)",
	    lambda: fx.inter.leaf(emails=[EMAIL],
	    eku=[sigpki.OID_SERVER_AUTH]), R(), 1, nv("pki: " + NOT_CODE))
	srv_inter = fx.root.intermediate("ivlite TLS-only intermediate",
	    eku=[sigpki.OID_SERVER_AUTH])
	case("intermediate with a serverAuth-only EKU", lambda: srv_inter.leaf(
	    emails=[EMAIL]), R(), 1, nv("pki: " + NOT_CODE))
	case("leaf with anyExtendedKeyUsage", lambda: fx.inter.leaf(
	    emails=[EMAIL], eku=[sigpki.OID_ANY_EKU]), R(), 0, OK)
	case("leaf without an EKU extension", lambda: fx.inter.leaf(
	    emails=[EMAIL], eku=None), R(), 0, OK)
	case("leaf signed with SHA-1: weak", lambda: fx.inter.leaf(
	    emails=[EMAIL], hash_name="sha1"), R(), 1, nv("pki: " + WEAK))
	case("RSA-1024 leaf key: weak", lambda: fx.inter.leaf(emails=[EMAIL],
	    key_name="rsa1024-leaf"), R(), 1, nv("pki: " + WEAK))
	case("secp256k1 leaf key (not a NIST curve): weak", lambda:
	    fx.inter.leaf(emails=[EMAIL], key_name="k256-leaf"), R(), 1,
	    nv("pki: " + WEAK))
	case("RSA-2048 leaf key accepted", lambda: fx.inter.leaf(
	    emails=[EMAIL], key_name="rsa2048-leaf"), R(), 0, OK)
	case("P-384 leaf key accepted", lambda: fx.inter.leaf(
	    emails=[EMAIL], key_name="p384-leaf"), R(), 0, OK)
	rsa_root = sigpki.CA("ivlite RSA root", kind="rsa2048")
	case("RSA-2048 root, ECDSA leaf accepted", lambda: rsa_root.leaf(
	    emails=[EMAIL]), lambda: pki_req(fx, roots=fx.file("rsa-root.pem",
	    rsa_root.pem)), 0, OK)
	case("unknown critical extension refused", lambda: fx.inter.leaf(
	    emails=[EMAIL], extensions=[("1.3.6.1.4.1.99999.1", b"\x05\x00",
	    True)]), R(), 1, nv("pki: " + CRITICAL))
	case("unknown non-critical extension ignored", lambda: fx.inter.leaf(
	    emails=[EMAIL], extensions=[("1.3.6.1.4.1.99999.1", b"\x05\x00",
	    False)]), R(), 0, OK)

	# annotations and the payload signature
	case("no certificate annotation", email_leaf, R(), 1,
	    nv("pki: no dev.sigstore.cosign/certificate annotation"), cert=None)
	case("certificate annotation with two certificates", email_leaf, R(),
	    1, nv("pki: certificate annotation: not exactly one certificate"),
	    cert=(fx.inter.leaf(emails=[EMAIL]).pem + fx.inter.pem).decode())
	case("certificate annotation that is not PEM", email_leaf, R(), 1,
	    nv("pki: certificate " + AFTER_LAST), cert="not a certificate")
	case("chain annotation with text after the last block", email_leaf,
	    R(), 1, nv("pki: chain " + AFTER_LAST),
	    chain=(fx.inter.pem + fx.root.pem).decode() + "garbage\n")
	case("chain annotation with a broken certificate", email_leaf, R(), 1,
	    nv("pki: chain annotation: malformed PEM"),
	    chain=fx.inter.pem.decode().replace("A", "B", 5) +
	    fx.root.pem.decode())
	case("payload signed by another key than the leaf's", email_leaf, R(),
	    1, nv(OTHER_KEY), signer=sigpki.key("p256-other-signer"))

	def tampered(repo, d):
		leaf = email_leaf()
		p = P(repo, d)
		return [sigpki.layer(p.replace(b":v1\"", b":v2\""), leaf,
		    cert=leaf.pem, chain=leaf.chain_text(), sign_over=p)]
	signed(t, s, "pki tampered payload", tampered, R(), 1, nv(OTHER_KEY))
	other = "sha256:" + "ab" * 32
	case("payload for another digest", email_leaf, R(), 1,
	    lambda repo, d: none_valid("payload names %s, expected %s"
	    % (other, d)), payload=lambda repo, d: cosign.podman_payload(
	    s.ref(repo), other))
	cos = lambda repo, d: cosign.cosign_payload(s.ref(repo, None), d)
	case("cosign's repository-only identity, default signedIdentity",
	    email_leaf, R(), 1, lambda repo, d: none_valid(ts.mismatch(
	    s.ref(repo, None), s.ref(repo), "matchRepoDigestOrExact")),
	    payload=cos)
	case("cosign's repository-only identity, matchRepository",
	    email_leaf, R(ident={"type": "matchRepository"}), 0,
	    lambda repo, d: "signature 1 of 1 verified, identity %s"
	    % s.ref(repo, None), payload=cos)

	def two_layers(repo, d):
		bad = fx.other_inter.leaf(emails=[EMAIL])
		good = email_leaf()
		p = P(repo, d)
		return [sigpki.layer(p, bad, cert=bad.pem, chain=bad.chain_text()),
		    sigpki.layer(p, good, cert=good.pem, chain=good.chain_text())]
	signed(t, s, "pki two signatures: another CA's, then ours", two_layers,
	    R(), 0, lambda repo, d: "signature 2 of 2 verified, identity %s"
	    % s.ref(repo))

	def two_bad(repo, d):
		a = fx.other_inter.leaf(emails=[EMAIL])
		b = fx.inter.leaf(emails=["x@example.com"])
		p = P(repo, d)
		return [sigpki.layer(p, a, cert=a.pem, chain=a.chain_text()),
		    sigpki.layer(p, b, cert=b.pem, chain=b.chain_text())]
	signed(t, s, "pki two signatures, none valid: both reasons", two_bad,
	    R(), 1, lambda repo, d: none_valid("pki: " + NOT_TRUSTED,
	    "pki: certificate for x@example.com, expected signer@example.com"))


def _private_pem():
	from cryptography.hazmat.primitives import serialization as ser
	return sigpki.key("p256-mixed").priv.private_bytes(ser.Encoding.PEM,
	    ser.PrivateFormat.PKCS8, ser.NoEncryption())


# --- fulcio ----------------------------------------------------------------------

def fulcio_req(fx, issuer=ISSUER, email=EMAIL, ca=None, rekor=None,
    rekor_field="rekorPublicKeyPath", ident=None):
	r = {"type": "sigstoreSigned", "fulcio": {"caPath": ca or fx.fulcio_ca(),
	    "oidcIssuer": issuer, "subjectEmail": email}}
	r[rekor_field] = rekor if rekor is not None else fx.rekor_pub()
	if ident is not None:
		r["signedIdentity"] = ident
	return r


def run_fulcio(t, s, fx):
	P = pod(s)
	now = int(time.time())
	start = now - 3600	# the default leaf: expired now
	T = start + 60

	def layers(make_leaf, T=T, cert="auto", cert_tail=b"", chain="auto",
	    bundle="auto", payload=None, signer=None, bundle_kw=None,
	    logged=None):
		"""One layer by the leaf MAKE_LEAF() makes (or SIGNER), its
		certificate annotation (CERT None: left out; + CERT_TAIL), chain
		("auto": the leaf's), a bundle (None: left out) logging at T the
		leaf's certificate (or LOGGED(leaf), PEM bytes)."""
		def f(repo, d):
			leaf = make_leaf()
			p = (payload or P)(repo, d)
			c = None if cert is None else leaf.pem + cert_tail
			return [sigpki.layer(p, signer or leaf, cert=c,
			    chain=leaf.chain_text() if chain == "auto" else chain,
			    rekor=fx.rekor if bundle == "auto" else None,
			    integrated_time=T, bundle_kw=bundle_kw,
			    rekor_pub=logged(leaf) if logged else leaf.pem)]
		return f

	def case(name, make_leaf, req, code, why, **kw):
		signed(t, s, "fulcio " + name, layers(make_leaf, **kw), req, code,
		    why, prefix="sigpki")

	OK = ok(s)
	R = lambda **kw: lambda: fulcio_req(fx, **kw)
	v1 = lambda: fx.fulcio.leaf(v1=ISSUER)
	both = lambda: fx.fulcio.leaf(v1=ISSUER, v2=ISSUER)

	case("issuer v1 only (raw URL)", v1, R(), 0, OK)
	case("issuer v2 only (DER UTF8String)", lambda: fx.fulcio.leaf(
	    v2=ISSUER), R(), 0, OK)
	case("issuer v1 and v2 equal", both, R(), 0, OK)
	case("issuer v1 and v2 different", lambda: fx.fulcio.leaf(v1=ISSUER,
	    v2="https://other.example.com"), R(), 1,
	    nv("fulcio: two different OIDC issuers"))
	case("issuer v2 with trailing bytes", lambda: fx.fulcio.leaf(
	    v2_raw=sigpki.utf8string(ISSUER) + b"\0"), R(), 1,
	    nv("fulcio: " + V2_NOT_DER))
	case("issuer v2 not a DER string (raw URL bytes)", lambda:
	    fx.fulcio.leaf(v2_raw=ISSUER.encode()), R(), 1,
	    nv("fulcio: " + V2_NOT_DER))
	case("issuer v2 duplicated", lambda: dup_issuer(fx, ISSUER, ISSUER,
	    start=start), R(), 1, nv("fulcio: the OIDC issuer extension "
	    "appears twice"))
	case("issuer v2 as an IA5String (another DER string type)", lambda:
	    fx.fulcio.leaf(v2_raw=b"\x16" + bytes([len(ISSUER)]) +
	    ISSUER.encode()), R(), 0, OK)
	case("no issuer extension", lambda: fx.fulcio.leaf(), R(), 1,
	    nv("fulcio: no OIDC issuer extension"))
	case("issuer mismatch", both, R(issuer="https://accounts.example.com"),
	    1, nv("fulcio: issuer https://issuer.example.com, expected "
	    "https://accounts.example.com"))
	case("issuer mismatch: a trailing slash matters", v1,
	    R(issuer=ISSUER + "/"), 1, nv("fulcio: issuer https://issuer."
	    "example.com, expected https://issuer.example.com/"))
	case("email mismatch", both, R(email="other@example.com"), 1,
	    nv("fulcio: certificate for signer@example.com, expected "
	    "other@example.com"))
	case("no email SAN (a URI SAN only)", lambda: fx.fulcio.leaf(
	    v1=ISSUER, email=None, uris=["https://github.com/acme/app/.github/"
	    "workflows/release.yml@refs/heads/main"]), R(), 1,
	    nv("fulcio: certificate for no email, expected signer@example.com"))

	# the integrated time T against the leaf's 10 minutes
	sl = lambda: fx.fulcio.leaf(v1=ISSUER, start=start)
	case("T inside the leaf's validity, leaf expired now", sl, R(), 0, OK)
	case("T = notBefore (inclusive)", sl, R(), 0, OK, T=start)
	case("T = notAfter (inclusive)", sl, R(), 0, OK, T=start + 600)
	case("T one second before notBefore", sl, R(), 1,
	    lambda repo, d: At("fulcio: chain: ", "not yet valid", start - 1),
	    T=start - 1)
	case("T one second after notAfter", sl, R(), 1,
	    lambda repo, d: At("fulcio: chain: ", "expired", start + 601),
	    T=start + 601)
	case("leaf valid now, T inside", lambda: fx.fulcio.leaf(v1=ISSUER,
	    start=now - 60), R(), 0, OK, T=now - 30)
	early = fx.fulcio.inter.cert.not_valid_before
	e0 = sigpki.unix(early) - 3600
	case("leaf valid at T, intermediate not yet valid at T", lambda:
	    fx.fulcio.leaf(v1=ISSUER, start=e0), R(), 1,
	    lambda repo, d: At("fulcio: chain: ", "not yet valid", e0 + 60),
	    T=e0 + 60)

	# chain, EKU, CA
	case("no chain annotation, intermediate unknown", v1, R(), 1,
	    nv("fulcio: " + NOT_TRUSTED), chain=None)
	case("no chain annotation, caPath holds root and intermediate", v1,
	    R(ca=fx.file("fulcio-both.pem", [fx.fulcio.inter.pem,
	    fx.fulcio.root.pem])), 0, OK, chain=None)
	case("leaf from another Fulcio", lambda: fx.other_fulcio.leaf(
	    v1=ISSUER), R(), 1, nv("fulcio: " + NOT_TRUSTED))
	case("leaf without the code-signing EKU", lambda: fx.fulcio.leaf(
	    v1=ISSUER, eku=[sigpki.OID_SERVER_AUTH]), R(), 1,
	    nv("fulcio: " + NOT_CODE))
	case("unknown critical extension refused", lambda: fx.fulcio.leaf(
	    v1=ISSUER, extensions=[("1.3.6.1.4.1.99999.2", b"\x05\x00",
	    True)]), R(), 1, nv("fulcio: " + CRITICAL))

	# annotations
	case("no certificate annotation", v1, R(), 1,
	    nv("fulcio: no dev.sigstore.cosign/certificate annotation"),
	    cert=None)
	case("certificate annotation with two certificates", v1, R(), 1,
	    nv("fulcio: " + NOT_ONE_PEM), cert_tail=fx.fulcio.inter.pem)
	case("chain annotation with text after the last block", v1, R(), 1,
	    nv("fulcio: chain " + AFTER_LAST), chain=(fx.fulcio.inter.pem
	    + fx.fulcio.root.pem).decode() + "garbage\n")
	case("no bundle annotation", v1, R(), 1,
	    nv("fulcio: no dev.sigstore.cosign/bundle annotation"),
	    bundle=None)
	case("certificate annotation with text after the PEM block", v1, R(),
	    1, nv("fulcio: " + NOT_ONE_PEM), cert_tail=b"junk\n")

	# the SET and the logged entry
	case("SET by another Rekor key", v1, R(), 1,
	    nv("rekor: SET signature not by any configured key"),
	    bundle_kw={"set_key": fx.other_rekor.key})
	case("second of two Rekor keys (rekorPublicKeyPaths)", v1, lambda:
	    fulcio_req(fx, rekor=[fx.rekor_pub("other-rekor"), fx.rekor_pub()],
	    rekor_field="rekorPublicKeyPaths"), 0, OK)
	case("rekorPublicKeyData", v1, lambda: fulcio_req(fx,
	    rekor=base64.b64encode(fx.rekor.pem()).decode(),
	    rekor_field="rekorPublicKeyData"), 0, OK)
	case("entry logs another certificate", v1, R(), 1, nv(LOGGED_KEY),
	    logged=lambda leaf: fx.fulcio.leaf(v1=ISSUER).pem)
	case("entry logs the leaf's public key, not the certificate", v1, R(),
	    1, nv(LOGGED_KEY),
	    logged=lambda leaf: leaf.key.pem())

	def tampered(repo, d):
		leaf = v1()
		p = P(repo, d)
		sig = leaf.sign(p)
		q = p.replace(b":v1\"", b":v2\"")
		ly = sigpki.layer(p, leaf, signature=sig, cert=leaf.pem,
		    chain=leaf.chain_text(), rekor=fx.rekor, integrated_time=T)
		ly.payload = q	# the bundle logged the original's hash
		return [ly]
	signed(t, s, "fulcio tampered payload: the logged hash differs",
	    tampered, R(), 1, nv(LOGGED_HASH))
	case("payload signed by another key than the leaf's", v1, R(), 1,
	    nv(OTHER_KEY), signer=sigpki.key("p256-other-signer"))
	case("cosign's repository-only identity with matchRepository", v1,
	    R(ident={"type": "matchRepository"}), 0, lambda repo, d:
	    "signature 1 of 1 verified, identity %s" % s.ref(repo, None),
	    payload=lambda repo, d: cosign.cosign_payload(s.ref(repo, None),
	    d))


# --- keys + Rekor --------------------------------------------------------------------

def run_rekor(t, s, fx):
	P = pod(s)
	K = "p256-rekor-signer"

	def req(keys=(K,), rekor=None, field="rekorPublicKeyPath"):
		r = {"type": "sigstoreSigned"}
		if len(keys) == 1:
			r["keyPath"] = s.keyfile(keys[0])
		else:
			r["keyPaths"] = [s.keyfile(k) for k in keys]
		r[field] = rekor if rekor is not None else fx.rekor_pub()
		return r

	def layers(bundle_kw=None, bundle="auto", payload=None, signer=K,
	    rekor_pub=None, T=None, more=None, signature=None):
		def f(repo, d):
			p = (payload or P)(repo, d)
			k = s.key(signer)
			return [sigpki.layer(p, k, rekor=fx.rekor if bundle == "auto"
			    else None, bundle=None if bundle in ("auto", None) else
			    bundle, bundle_kw=bundle_kw, integrated_time=T,
			    rekor_pub=rekor_pub if rekor_pub is not None else
			    s.key(K).pem(), more=more, signature=signature)]
		return f

	def case(name, req_fn, code, why, **kw):
		signed(t, s, "keys+rekor " + name, layers(**kw), req_fn, code, why,
		    prefix="sigpki")

	OK = ok(s)
	R = lambda **kw: lambda: req(**kw)
	ph = lambda why: nv("rekor: " + why)
	e = lambda **kw: {"entry_kw": kw}
	nb = nv("rekor: SET signature not by any configured key")

	case("accepted", R(), 0, OK)
	case("integrated time in the future is not checked", R(), 0, OK,
	    T=int(time.time()) + 10 * 365 * 86400)
	case("RSA signing key", lambda: req(keys=("rsa2048-rekor",)), 0, OK,
	    signer="rsa2048-rekor", rekor_pub=_lazy_pem(s, "rsa2048-rekor"))
	case("keyPaths: the second key is the logged one", lambda: req(keys=(
	    "p256-other", K)), 0, OK)
	case("no bundle annotation", R(), 1,
	    nv("rekor: no dev.sigstore.cosign/bundle annotation"), bundle=None)
	case("SET by another key", R(), 1, nb,
	    bundle_kw={"set_key": fx.other_rekor.key})
	case("SET over the Payload as written (not canonical)", R(), 1, nb,
	    bundle_kw={"sign_received": True})
	case("integratedTime changed after signing", R(), 1, nb,
	    bundle_kw={"edit_after": lambda m: m[1].__setitem__(1,
	    m[1][1] + 1)})
	case("body changed after signing", R(), 1, nb,
	    bundle_kw={"edit_after": lambda m: m[0].__setitem__(1,
	    base64.b64encode(base64.b64decode(m[0][1]) + b" ").decode())})
	case("second of two Rekor keys", lambda: req(rekor=[
	    fx.rekor_pub("other-rekor"), fx.rekor_pub()],
	    field="rekorPublicKeyPaths"), 0, OK)
	case("Rekor key given as data", lambda: req(rekor=base64.b64encode(
	    fx.rekor.pem()).decode(), field="rekorPublicKeyData"), 0, OK)

	# the bundle's shape
	case("bundle is not JSON", R(), 1, ph("bundle: line 1, column 5: "
	    "invalid JSON"),
	    bundle="not json")
	case("bundle with an extra member", R(), 1, ph('bundle: top level: '
	    'unknown field "rekorBundle"'),
	    bundle_kw={"extra": {"rekorBundle": 1}})
	case("bundle without SignedEntryTimestamp", R(), 1, nv(BUNDLE_NEEDS),
	    bundle_kw={"drop": ["SignedEntryTimestamp"]})
	case("bundle without Payload", R(), 1, ph("bundle: Payload is "
	    "missing"), bundle_kw={"drop": ["Payload"]})
	case("SignedEntryTimestamp not base64", R(), 1, ph("SignedEntryTimestamp "
	    "is not valid base64"), bundle_kw={"set_b64": "%%%"})
	case("Payload with an extra (signed) member", R(), 1,
	    ph('bundle: Payload: unknown field "extra"'), bundle_kw={
	    "edit_members": lambda m: m.append(["extra", 1])})
	case("Payload with a duplicated member", R(), 1, ph('bundle: Payload: '
	    'duplicate field "logIndex"'), bundle_kw={"edit_members":
	    lambda m: m.append(["logIndex", 7])})
	case("Payload without logID", R(), 1, nv(BUNDLE_NEEDS),
	    bundle_kw={"edit_members": lambda m: m.pop()})
	case("integratedTime is a string", R(), 1, ph("bundle: "
	    "Payload.integratedTime: expected a number, boolean or null, got a "
	    "string"), bundle_kw={"edit_members": lambda m: m[1].__setitem__(1,
	    str(m[1][1]))})
	case("integratedTime is fractional", R(), 1, nv(BUNDLE_NEEDS),
	    bundle_kw={"edit_members": lambda m: m[1].__setitem__(1,
	    m[1][1] + 0.5)})

	# the logged entry
	not_kind = ph("entry kind is not hashedrekord")
	not_api = ph("entry apiVersion is not 0.0.1")
	case("kind rekord", R(), 1, not_kind, bundle_kw=e(kind="rekord"))
	case("kind intoto", R(), 1, not_kind, bundle_kw=e(kind="intoto"))
	case("apiVersion 0.0.2", R(), 1, not_api, bundle_kw=e(api="0.0.2"))
	case("apiVersion missing", R(), 1, not_api, bundle_kw=e(api=None))
	case("hash algorithm sha512", R(), 1, nv(LOGGED_ALGO),
	    bundle_kw=e(hash_algo="sha512"))
	case("hash value of another payload", R(), 1, nv(LOGGED_HASH),
	    bundle_kw=e(hash_value=hashlib.sha256(b"other").hexdigest()))
	case("hash value with odd length", R(), 1, nv(LOGGED_HASH),
	    bundle_kw=e(hash_value=hashlib.sha256(b"x").hexdigest()[:-1]))
	case("hash value not hex", R(), 1, nv(LOGGED_HASH),
	    bundle_kw=e(hash_value="zz" * 32))
	case("signature content is another signature", R(), 1,
	    nv(LOGGED_SIG), bundle_kw={"entry_kw": {"edit": _other_sig}})
	case("signature content missing", R(), 1, nv(LOGGED_SIG),
	    bundle_kw={"entry_kw": {"edit": lambda x:
	    x["spec"]["signature"].pop("content")}})
	case("publicKey is another key", R(), 1, nv(LOGGED_KEY),
	    rekor_pub=_lazy_pem(s, "p256-other"))
	case("publicKey with two PEM blocks", R(), 1, nv(LOGGED_KEY),
	    rekor_pub=_lazy_pem(s, K, twice=True))
	case("publicKey with text after the PEM block", R(), 1,
	    nv(LOGGED_KEY), rekor_pub=_lazy_pem(s, K, tail=b"junk\n"))
	case("publicKey missing", R(), 1, nv(LOGGED_KEY),
	    bundle_kw={"entry_kw": {"edit": lambda x:
	    x["spec"]["signature"].pop("publicKey")}})
	case("spec missing", R(), 1, nv(LOGGED_SIG),
	    bundle_kw={"entry_kw": {"edit": lambda x: x.pop("spec")}})
	case("spec.data null", R(), 1, nv(LOGGED_ALGO),
	    bundle_kw={"entry_kw": {"edit": lambda x:
	    x["spec"].__setitem__("data", None)}})
	case("spec.data.hash missing", R(), 1, nv(LOGGED_ALGO),
	    bundle_kw={"entry_kw": {"edit": lambda x:
	    x["spec"]["data"].pop("hash")}})
	case("spec.signature null", R(), 1, nv(LOGGED_SIG),
	    bundle_kw={"entry_kw": {"edit": lambda x:
	    x["spec"].__setitem__("signature", None)}})
	case("publicKey PEM label differs, same DER: accepted", R(), 0, OK,
	    rekor_pub=_lazy_pem(s, K, label=b"ECDSA PUBLIC KEY"))
	case("unknown members in the entry ignored", R(), 0, OK,
	    bundle_kw={"entry_kw": {"edit": lambda x:
	    x["spec"].__setitem__("future", {"x": 1})}})

	# the payload after the SET check
	def tampered(repo, d):
		p = P(repo, d)
		q = p.replace(b":v1\"", b":v2\"")
		k = s.key(K)
		sig = k.sign(p)
		return [sigpki.layer(q, k, signature=sig, rekor=fx.rekor,
		    rekor_pub=k.pem(), bundle_kw={"entry_kw": {"hash_value":
		    hashlib.sha256(q).hexdigest()}})]
	signed(t, s, "keys+rekor tampered payload (entry names its hash)",
	    tampered, R(), 1, nv(OTHER_KEY))


def _lazy_pem(s, name, twice=False, tail=b"", label=None):
	"""The PEM of key NAME, edited."""
	k = s.key(name)
	pem = k.pem()
	if label:
		pem = pem.replace(b"PUBLIC KEY", label)
	if twice:
		pem = pem + pem
	return pem + tail


def _other_sig(x):
	x["spec"]["signature"]["content"] = base64.b64encode(
	    sigpki.key("p256-sig-other").sign(b"something else")).decode()


# --- configuration errors ----------------------------------------------------------

def run_config(t, s, fx):
	never = labmod.sha256_digest(b"sigpki never fetched")

	def cfg(name, make_req, field, fname_fn, why):
		def f():
			req = make_req()
			fname = fname_fn()
			pol = s.policy({s.host: [req]})
			line = 'error: %s: transports.docker["%s"][0].%s: %s: %s' % (
			    pol, s.host, field, fname, why)
			for r in (s.ivlite(s.ref("sig/never-fetched"), pol,
			    digest=never), t.direct(["-check", "-policy", pol,
			    "-registries-d", s.enabled()])):
				t.expect(r, 2, line)
		t.case("sigpki config: " + name, f)

	unparsable = "no certificate in it parses"
	not_ecdsa = "a Rekor key must be ECDSA"

	missing = os.path.join(s.lab.dir, "no-such-ca.pem")
	cfg("caRootsPath missing", lambda: pki_req(fx, roots=missing),
	    "pki.caRootsPath", lambda: missing, NOENT)
	nocert = fx.file("no-cert.pem", [sigpki.key("p256-nocert").pem(),
	    b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n"
	    b"-----END CERTIFICATE-----\n"])
	cfg("caRootsPath without a certificate", lambda: pki_req(fx,
	    roots=nocert), "pki.caRootsPath", lambda: nocert, unparsable)
	empty = fx.file("empty.pem", b"")
	cfg("caRootsPath empty file", lambda: pki_req(fx, roots=empty),
	    "pki.caRootsPath", lambda: empty, "holds no CERTIFICATE block")
	cfg("caIntermediatesPath missing", lambda: pki_req(fx, inter=missing),
	    "pki.caIntermediatesPath", lambda: missing, NOENT)
	cfg("fulcio caPath missing", lambda: fulcio_req(fx, ca=missing),
	    "fulcio.caPath", lambda: missing, NOENT)
	cfg("fulcio caPath without a certificate", lambda: fulcio_req(fx,
	    ca=nocert), "fulcio.caPath", lambda: nocert, unparsable)
	rsa = lambda: fx.file("rekor-rsa.pub", sigpki.key("rsa2048-rekorcfg")
	    .pem())
	cfg("Rekor key is RSA (fulcio)", lambda: fulcio_req(fx, rekor=rsa()),
	    "rekorPublicKeyPath", rsa, not_ecdsa)
	cfg("Rekor key is RSA (keys)", lambda: {"type": "sigstoreSigned",
	    "keyPath": s.keyfile("p256"), "rekorPublicKeyPath": rsa()},
	    "rekorPublicKeyPath", rsa, not_ecdsa)
	cfg("Rekor key file missing", lambda: {"type": "sigstoreSigned",
	    "keyPath": s.keyfile("p256"), "rekorPublicKeyPath": missing},
	    "rekorPublicKeyPath", lambda: missing, NOENT)

	def check_ok():
		pol = s.policy({s.host: [pki_req(fx, inter=fx.inters())],
		    "%s/f" % s.host: [fulcio_req(fx)], "%s/k" % s.host: [{
		    "type": "sigstoreSigned", "keyPath": s.keyfile("p256"),
		    "rekorPublicKeyPath": fx.rekor_pub()}]})
		t.expect(t.direct(["-check", "-policy", pol, "-registries-d",
		    s.enabled()]), 0, "ok: %s: 4 scopes; %s: 1 scope" % (pol,
		    s.enabled()))
	t.case("sigpki config: -check accepts pki, fulcio, keys + Rekor",
	    check_ok)


# --- X.509 rules: name constraints, CA files, identities, Rekor time, keys ------------------

def nc_not(form, name, ca):
	"""The reason of a name outside CA's permitted subtrees."""
	return '%s "%s" is not permitted by the name constraints of "CN=%s"' \
	    % (form, name, ca.cn)


def nc_excl(form, name, constraint, ca):
	return '%s "%s" is excluded by the name constraint "%s" of "CN=%s"' \
	    % (form, name, constraint, ca.cn)


def trusted_pem(cert_pem, reject=None):
	return lab_need(lambda: labmod.trusted_certificate(cert_pem, reject))


def run_x509(t, s, fx):
	P = pod(s)
	OK = ok(s)
	now = int(time.time())
	R = lambda **kw: lambda: pki_req(fx, **kw)
	H = lambda host, **kw: R(email=None, host=host, **kw)

	def case(name, make_leaf, req, code, why, chain="auto"):
		def layers(repo, d):
			leaf = make_leaf()
			return [sigpki.layer(P(repo, d), leaf, cert=leaf.pem,
			    chain=leaf.chain_text() if chain == "auto" else chain)]
		signed(t, s, "x509 " + name, layers, req, code, why)

	def fcase(name, make_leaf, req, code, why, T=None):
		"""A Fulcio leaf, logged by Rekor at T (default: a minute
		after the leaf's notBefore)."""
		def layers(repo, d):
			leaf = make_leaf()
			at = sigpki.not_before(leaf.cert) + 60 if T is None else T
			return [sigpki.layer(P(repo, d), leaf, cert=leaf.pem,
			    chain=leaf.chain_text(), rekor=fx.rekor, integrated_time=at,
			    rekor_pub=leaf.pem)]
		signed(t, s, "x509 " + name, layers, req, code, why)

	# item 3: name constraints (RFC 5280 4.2.1.10, with Go's matching)
	ca = lambda cn, permitted=(), excluded=(), **kw: \
	    fx.root.intermediate(cn, nc=(permitted, excluded), **kw)
	team_a = ca("ivlite team-a CA", [("email", "team-a.example")])
	sub_a = ca("ivlite team-a subdomains CA", [("email", ".team-a.example")])
	box = ca("ivlite release mailbox CA", [("email",
	    "release@team-a.example")])
	dns_ca = ca("ivlite example.com CA", [("dns", "example.com")])
	ip_ca = ca("ivlite 192.0.2.0/24 CA", [("ip", "192.0.2.0/24")])
	dn_ca = ca("ivlite directoryName CA", [("dn", "ivlite")])
	crit = ca("ivlite critical team-a CA", [("email", "team-a.example")],
	    nc_critical=True)
	empty = fx.root.intermediate("ivlite empty constraints CA",
	    nc=b"\x30\x00")
	excl_root = sigpki.CA("ivlite excluding root", nc=((), [("dns",
	    "evil.example"), ("email", "evil.example")]))
	under = excl_root.intermediate("ivlite intermediate of the excluding "
	    "root")
	excl_roots = lambda: fx.file("excl-root.pem", excl_root.pem)
	E = lambda email, **kw: R(email=email, **kw)
	B = "release@team-b.example"

	case("nc: sub-CA for email team-a.example signs release@team-b.example",
	    lambda: team_a.leaf(emails=[B]), E(B), 1, nv("pki: chain: " +
	    nc_not("email address", B, team_a)))
	case("nc: sub-CA for email team-a.example signs release@team-a.example",
	    lambda: team_a.leaf(emails=["release@team-a.example"]),
	    E("release@team-a.example"), 0, OK)
	case("nc: email team-a.example covers its subdomains (Go)",
	    lambda: team_a.leaf(emails=["release@ci.team-a.example"]),
	    E("release@ci.team-a.example"), 0, OK)
	case("nc: every email SAN is checked, not only subjectEmail",
	    lambda: team_a.leaf(emails=["release@team-a.example", B]),
	    E("release@team-a.example"), 1, nv("pki: chain: " +
	    nc_not("email address", B, team_a)))
	case("nc: email .team-a.example: the domain itself is outside",
	    lambda: sub_a.leaf(emails=["release@team-a.example"]),
	    E("release@team-a.example"), 1, nv("pki: chain: " +
	    nc_not("email address", "release@team-a.example", sub_a)))
	case("nc: email .team-a.example: a subdomain is inside",
	    lambda: sub_a.leaf(emails=["release@ci.team-a.example"]),
	    E("release@ci.team-a.example"), 0, OK)
	case("nc: mailbox constraint: that mailbox (domain in capitals)",
	    lambda: box.leaf(emails=["release@TEAM-A.example"]),
	    E("release@TEAM-A.example"), 0, OK)
	case("nc: mailbox constraint: another mailbox of the domain",
	    lambda: box.leaf(emails=["other@team-a.example"]),
	    E("other@team-a.example"), 1, nv("pki: chain: " +
	    nc_not("email address", "other@team-a.example", box)))
	case("nc: DNS example.com: a subdomain", lambda: dns_ca.leaf(
	    dns=["build.Example.COM"]), H("build.example.com"), 0, OK)
	case("nc: DNS example.com: only on a label boundary", lambda:
	    dns_ca.leaf(dns=["build.notexample.com"]),
	    H("build.notexample.com"), 1, nv("pki: chain: " +
	    nc_not("DNS name", "build.notexample.com", dns_ca)))
	case("nc: DNS constraints leave email SANs alone", lambda:
	    dns_ca.leaf(emails=[EMAIL]), R(), 0, OK)
	case("nc: root's excluded DNS subtree, leaf under its intermediate",
	    lambda: under.leaf(dns=["build.evil.example"]),
	    H("build.evil.example", roots=excl_roots()), 1, nv("pki: chain: " +
	    nc_excl("DNS name", "build.evil.example", "evil.example",
	    excl_root)))
	case("nc: root's excluded email subtree", lambda: under.leaf(
	    emails=["x@evil.example"]), lambda: pki_req(fx, email="x@evil.example",
	    roots=excl_roots()), 1, nv("pki: chain: " + nc_excl("email address",
	    "x@evil.example", "evil.example", excl_root)))
	case("nc: root's excluded subtree, a name outside it", lambda:
	    under.leaf(dns=["build.good.example"], emails=[EMAIL]),
	    lambda: pki_req(fx, roots=excl_roots()), 0, OK)
	case("nc: IP 192.0.2.0/24: an address inside", lambda: ip_ca.leaf(
	    ips=["192.0.2.7"]), H("192.0.2.7"), 0, OK)
	case("nc: IP 192.0.2.0/24: an address outside", lambda: ip_ca.leaf(
	    ips=["198.51.100.7"]), H("198.51.100.7"), 1, nv("pki: chain: " +
	    nc_not("IP address", "198.51.100.7", ip_ca)))
	case("nc: IP 192.0.2.0/24: an IPv6 address is outside", lambda:
	    ip_ca.leaf(ips=["2001:db8::7"]), H("2001:db8::7"), 1,
	    nv("pki: chain: " + nc_not("IP address", "2001:db8::7", ip_ca)))
	case("nc: a directoryName constraint is not enforced: rejected",
	    lambda: dn_ca.leaf(emails=[EMAIL]), R(), 1, nv('pki: chain: the '
	    'name constraints of "CN=ivlite directoryName CA" include '
	    'directoryName, which ivlite does not enforce'))
	case("nc: an empty nameConstraints extension is malformed", lambda:
	    empty.leaf(emails=[EMAIL]), R(), 1, nv('pki: chain: the name '
	    'constraints of "CN=ivlite empty constraints CA" are malformed'))
	many = ca("ivlite 500 DNS constraints CA", [("dns", "n%d.example" % i)
	    for i in range(499)] + [("dns", "last.example")])
	case("nc: comparisons are bounded by MAX_NC_CHECKS", lambda:
	    many.leaf(dns=["a%d.last.example" % i for i in range(501)]),
	    H("a0.last.example"), 1, nv("pki: chain: name constraints: more "
	    "than MAX_NC_CHECKS (250000) comparisons"))
	case("nc: 500 constraints, 499 names: within MAX_NC_CHECKS", lambda:
	    many.leaf(dns=["a%d.last.example" % i for i in range(499)]),
	    H("a0.last.example"), 0, OK)
	# critical, as RFC 5280 has CAs mark them: mbedTLS's parser would
	# refuse the extension; ivlite lets it through and enforces it
	case("nc: critical name constraints: a permitted email, accepted",
	    lambda: crit.leaf(emails=["release@team-a.example"]),
	    E("release@team-a.example"), 0, OK)
	case("nc: critical name constraints: another email, rejected",
	    lambda: crit.leaf(emails=[B]), E(B), 1, nv("pki: chain: " +
	    nc_not("email address", B, crit)))

	# fulcio: the same rules; URI SANs of CI identities
	wf = "https://github.com/acme/app/.github/workflows/release.yml@refs/" \
	    "heads/main"
	ful_ca = lambda cn, permitted: fx.fulcio.root.intermediate(cn,
	    kind="p384", path_length=0, eku=(sigpki.OID_CODE_SIGNING,),
	    nc=(permitted, ()))
	ful_uri = ful_ca("ivlite fulcio github.com CA", [("uri", "github.com")])
	ful_mail = ful_ca("ivlite fulcio example.org CA", [("email",
	    "example.org")])
	F = lambda **kw: lambda: fulcio_req(fx, **kw)
	fcase("nc fulcio: URI github.com: a workflow URI on github.com",
	    lambda: fx.fulcio.leaf(v1=ISSUER, ca=ful_uri, uris=[wf]), F(), 0, OK)
	fcase("nc fulcio: URI github.com: a workflow URI elsewhere",
	    lambda: fx.fulcio.leaf(v1=ISSUER, ca=ful_uri,
	    uris=["https://gitlab.example/acme/app"]), F(), 1, nv("fulcio: "
	    "chain: " + nc_not("URI", "https://gitlab.example/acme/app",
	    ful_uri)))
	fcase("nc fulcio: URI github.com: a URI without a host cannot be "
	    "checked", lambda: fx.fulcio.leaf(v1=ISSUER, ca=ful_uri,
	    uris=["urn:ivlite:x"]), F(), 1, nv('fulcio: chain: cannot check '
	    'URI "urn:ivlite:x" against the name constraints of "CN=ivlite '
	    'fulcio github.com CA"'))
	fcase("nc fulcio: email example.org: signer@example.com is outside",
	    lambda: fx.fulcio.leaf(v1=ISSUER, ca=ful_mail), F(), 1,
	    nv("fulcio: chain: " + nc_not("email address", EMAIL, ful_mail)))

	def openssl_agrees():
		"""openssl verify judges the same chains alike."""
		if labmod.missing_tools("openssl"):
			raise Skip("openssl not installed")
		f = lambda name, data: fx.file("nc-" + name, data)
		root = fx.roots()
		rows = [
		    ("team-b under team-a", team_a.leaf(emails=[B]), root, team_a,
		     "permitted subtree violation"),
		    ("team-a under team-a", team_a.leaf(emails=[
		     "release@team-a.example"]), root, team_a, ": OK"),
		    ("label boundary", dns_ca.leaf(dns=["build.notexample.com"]),
		     root, dns_ca, "permitted subtree violation"),
		    ("subdomain", dns_ca.leaf(dns=["build.example.com"]), root,
		     dns_ca, ": OK"),
		    ("IP outside", ip_ca.leaf(ips=["198.51.100.7"]), root, ip_ca,
		     "permitted subtree violation"),
		    ("IP inside", ip_ca.leaf(ips=["192.0.2.7"]), root, ip_ca,
		     ": OK"),
		    ("excluded by the root", under.leaf(dns=["build.evil.example"]),
		     excl_roots(), under, "excluded subtree violation"),
		    ("outside the root's exclusion", under.leaf(
		     dns=["build.good.example"]), excl_roots(), under, ": OK"),
		]
		bad = labmod.openssl_disagrees([(name, ca_file, f("inter-%d.pem" %
		    i, inter.pem), f("leaf-%d.pem" % i, leaf.pem), None, want) for
		    i, (name, leaf, ca_file, inter, want) in enumerate(rows)])
		if bad:
			raise Fail("; ".join(bad))
	t.case("sigpki x509 nc: openssl verify agrees with the name-constraint "
	    "verdicts", openssl_agrees)

	# item 7: the OIDC issuer whole; identities with NUL bytes
	fcase("fulcio issuer v1 with a NUL and more after the policy's URL",
	    lambda: fx.fulcio.leaf(v1=ISSUER + "\0.evil.example"), F(), 1,
	    nv("fulcio: the OIDC issuer extension holds a NUL byte"))
	fcase("fulcio issuer v2 with a NUL and more after the policy's URL",
	    lambda: fx.fulcio.leaf(v2_raw=sigpki.utf8string(ISSUER +
	    "\0.evil.example")), F(), 1,
	    nv("fulcio: the OIDC issuer extension holds a NUL byte"))
	case("email SAN with a NUL after the policy's address",
	    lambda: fx.inter.leaf(emails=[EMAIL + "\0.evil.example"]), R(), 1,
	    nv("pki: certificate for signer@example.com\\x00.evil.example, "
	    "expected signer@example.com"))

	# item 14: a SAN with a trailing dot matches nothing (Go trims the
	# policy's value, not the SAN)
	case("hostname: a DNS SAN with a trailing dot matches nothing",
	    lambda: fx.inter.leaf(dns=["build.example.com."]),
	    H("build.example.com"), 1, nv("pki: certificate for "
	    "build.example.com., expected build.example.com"))
	case("hostname: a wildcard SAN with a trailing dot matches nothing",
	    lambda: fx.inter.leaf(dns=["*.example.com."]),
	    H("build.example.com"), 1, nv("pki: certificate for "
	    "*.example.com., expected build.example.com"))
	case("hostname: the policy's trailing dot still ignored", lambda:
	    fx.inter.leaf(dns=["build.example.com"]), H("build.example.com."),
	    0, OK)

	# item 9: a Rekor time before 1970 is no time at all
	K = "p256-rekor-signer"

	def keys_layers(T):
		def f(repo, d):
			k = s.key(K)
			return [sigpki.layer(P(repo, d), k, rekor=fx.rekor,
			    integrated_time=T, rekor_pub=k.pem())]
		return f
	signed(t, s, "x509 keys+rekor integratedTime -1", keys_layers(-1),
	    lambda: {"type": "sigstoreSigned", "keyPath": s.keyfile(K),
	    "rekorPublicKeyPath": fx.rekor_pub()}, 1,
	    nv("rekor: integratedTime -1 is before 1970"))
	fcase("fulcio integratedTime -1, leaf valid now", lambda:
	    fx.fulcio.leaf(v1=ISSUER, start=now - 60), F(), 1,
	    nv("rekor: integratedTime -1 is before 1970"), T=-1)
	fcase("fulcio integratedTime 0, leaf valid now", lambda:
	    fx.fulcio.leaf(v1=ISSUER, start=now - 60), F(), 1, At("fulcio: "
	    "chain: ", "not yet valid", 0), T=0)

	# item 8: CA files: CERTIFICATE blocks only
	trusted_root = lambda: fx.file("trusted-root.pem", trusted_pem(
	    fx.root.pem, "codeSigning"))
	case("caRootsPath: a TRUSTED CERTIFICATE block is not a root",
	    lambda: fx.inter.leaf(emails=[EMAIL]), lambda: pki_req(fx,
	    roots=fx.file("trusted-and-other.pem", [trusted_pem(fx.root.pem,
	    "codeSigning"), fx.other_root.pem])), 1, nv("pki: " + NOT_TRUSTED))
	never = labmod.sha256_digest(b"sigpki x509 never fetched")

	def cfg(name, make_req, field, fname_fn, tail):
		def f():
			req = make_req()
			pol = s.policy({s.host: [req]})
			fname = fname_fn()
			line = 'error: %s: transports.docker["%s"][0].%s: %s%s' % (pol,
			    s.host, field, fname + ": " if fname else "", tail)
			for r in (s.ivlite(s.ref("sig/never-fetched"), pol,
			    digest=never), t.direct(["-check", "-policy", pol,
			    "-registries-d", s.enabled()])):
				t.expect(r, 2, line)
		t.case("sigpki x509 config: " + name, f)
	none = "holds no CERTIFICATE block"
	cfg("caRootsPath of a TRUSTED CERTIFICATE only", lambda: pki_req(fx,
	    roots=trusted_root()), "pki.caRootsPath", trusted_root, none)
	cfg("caIntermediatesPath of a TRUSTED CERTIFICATE only", lambda:
	    pki_req(fx, inter=fx.file("trusted-inter.pem", trusted_pem(
	    fx.inter.pem))), "pki.caIntermediatesPath",
	    lambda: fx.file("trusted-inter.pem", b""), none)
	other_labels = lambda: fx.file("other-labels.pem", [
	    fx.root.pem.replace(b"CERTIFICATE", b"X509 CERTIFICATE"),
	    sigpki.key("p256-mixed").pem()])
	cfg("fulcio caPath of other labels only", lambda: fulcio_req(fx,
	    ca=other_labels()), "fulcio.caPath", other_labels, none)
	cfg("caRootsData of a TRUSTED CERTIFICATE only", lambda: pki_req(fx,
	    roots_data=trusted_pem(fx.root.pem)), "pki.caRootsData",
	    lambda: None, none)

	# item 11: MIN_RSA_BITS for sigstoreSigned keys
	for bits in (1024, 512):
		cfg("keyPath RSA-%d: fewer bits than MIN_RSA_BITS" % bits,
		    lambda bits=bits: {"type": "sigstoreSigned", "keyPath":
		    s.keyfile("rsa%d" % bits)}, "keyPath", lambda bits=bits:
		    s.keyfile("rsa%d" % bits), "RSA key of %d bits, fewer than "
		    "MIN_RSA_BITS (2048)" % bits)
	cfg("keyData RSA-1024: fewer bits than MIN_RSA_BITS", lambda: {"type":
	    "sigstoreSigned", "keyData": base64.b64encode(s.key("rsa1024")
	    .pem()).decode()}, "keyData", lambda: None, "RSA key of 1024 "
	    "bits, fewer than MIN_RSA_BITS (2048)")


# --- README.md's BYO-PKI section, its commands run ----------------------------------------------

def md_blocks(path, lang):
	with open(path) as f:
		text = f.read()
	return re.findall(r"```%s\n(.*?)```" % lang, text, re.S)


def run_readme(t, s, fx):
	md = os.path.join(t.root, "README.md")
	state = {}

	def made():
		if "dir" in state:
			return state
		if labmod.missing_tools("openssl"):
			raise Skip("openssl not installed")
		sh = [b for b in md_blocks(md, "sh") if "openssl " in b]
		if len(sh) != 1:
			raise Fail("%s: expected one sh block of openssl commands, "
			    "found %d" % (md, len(sh)))
		d = s.lab.mkdir("byo-pki-readme")
		p = subprocess.run(["sh", "-e", "-c", sh[0]], cwd=d,
		    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
		if p.returncode:
			raise Fail("the OpenSSL commands of %s fail (exit %d): %s" % (
			    md, p.returncode, p.stdout.decode(errors="replace")[-800:]))
		state["dir"] = d
		return state

	def read(name):
		with open(os.path.join(made()["dir"], name), "rb") as f:
			return f.read()

	def commands():
		from cryptography import x509
		from cryptography.x509.oid import ExtendedKeyUsageOID as EKU
		made()
		leaf = x509.load_pem_x509_certificate(read("signer.pem"))
		san = leaf.extensions.get_extension_for_class(
		    x509.SubjectAlternativeName).value
		if san.get_values_for_type(x509.RFC822Name) != [EMAIL]:
			raise Fail("signer.pem SAN %r" % san)
		if EKU.CODE_SIGNING not in leaf.extensions.get_extension_for_class(
		    x509.ExtendedKeyUsage).value:
			raise Fail("signer.pem without codeSigning")
		chain = read("chain.pem")
		if chain != read("intermediate.pem") + read("root.pem"):
			raise Fail("chain.pem is not intermediate then root")
	t.case("sigpki README BYO-PKI: the OpenSSL commands make a code-signing "
	    "certificate for signer@example.com", commands)

	def policy_from_md():
		js = md_blocks(md, "json")
		if len(js) != 1:
			raise Fail("%s: expected one json block" % md)
		pol = json.loads(js[0])
		scopes = pol["transports"]["docker"]
		req = scopes.pop("registry-a.example.com")
		req[0]["pki"]["caRootsPath"] = os.path.join(made()["dir"],
		    "root.pem")
		scopes[s.host] = req
		return s.lab.write("byo-pki-readme-policy.json", json.dumps(pol))

	def regd_from_md():
		ys = md_blocks(md, "yaml")
		if len(ys) != 1:
			raise Fail("%s: expected one yaml block" % md)
		return s.regd({"registry-a.yaml": ys[0].replace(
		    "registry-a.example.com", s.host)})

	def sign_with(cert_name, chain_name=None, key_name="signer.key"):
		"""layers_fn: what `cosign sign --key KEY --certificate CERT
		--certificate-chain CHAIN` pushes (repository-only identity)."""
		def f(repo, d):
			from cryptography.hazmat.primitives import hashes, \
			    serialization as ser
			from cryptography.hazmat.primitives.asymmetric import ec
			priv = ser.load_pem_private_key(read(key_name), None)
			p = cosign.cosign_payload(s.ref(repo, None), d)
			sig = priv.sign(p, ec.ECDSA(hashes.SHA256()))
			return [sigpki.layer(p, None, signature=sig,
			    cert=read(cert_name),
			    chain=read(chain_name) if chain_name else None)]
		return f

	def readme_case(name, layers_fn, code, why, ident=True):
		def setup():
			repo, d = s.image("readme " + name)
			s.attach(repo, d, layers_fn(repo, d))
			return repo, d

		def check(m):
			repo, d = m
			pol = policy_from_md()
			r = s.ivlite(s.ref(repo), pol, regd=regd_from_md())
			pre = "%s %s: %s: sigstoreSigned(pki): " % ("accepted" if
			    code == 0 else "rejected", ts.shown(s.ref(repo), d),
			    ts.scope(s.host))
			t.expect(r, code, pre + why(repo, d))
		s.later("sigpki README BYO-PKI: " + name, lambda: (made(), setup())[1],
		    check)

	def same_policy():
		js = md_blocks(md, "json")
		with open(os.path.join(t.policies, "byo-pki.json")) as f:
			shipped = json.load(f)
		if len(js) != 1 or json.loads(js[0]) != shipped:
			raise Fail("the policy in %s differs from policies/byo-pki.json"
			    % md)
	t.case("sigpki README BYO-PKI: its policy.json is policies/byo-pki.json",
	    same_policy)

	readme_case("cosign-style signature with signer.pem and chain.pem "
	    "accepted", sign_with("signer.pem", "chain.pem"), 0,
	    lambda repo, d: "signature 1 of 1 verified, identity %s"
	    % s.ref(repo, None))

	def foreign(repo, d):
		leaf = fx.other_inter.leaf(emails=[EMAIL])
		p = cosign.cosign_payload(s.ref(repo, None), d)
		return [sigpki.layer(p, leaf, cert=leaf.pem,
		    chain=leaf.chain_text())]
	readme_case("a certificate from another CA rejected", foreign, 1,
	    lambda repo, d: none_valid("pki: " + NOT_TRUSTED))
	readme_case("signer.pem without chain.pem: not trusted",
	    sign_with("signer.pem"), 1,
	    lambda repo, d: none_valid("pki: " + NOT_TRUSTED))


# --- the BYO-PKI deployment through the containerd harness ---------------------------

def run_deployment(t, s, fx):
	state = {}

	def setup():
		with fx.lock:
			if "bindir" in state:
				return state
			path = os.path.join(t.policies, "byo-pki.json")
			with open(path) as f:
				text = f.read()
			pol = json.loads(text)
			scopes = pol["transports"]["docker"]
			want = ["registry-a.example.com", "registry-b.example.com",
			    "gcr.io"]
			if sorted(scopes) != sorted(want):
				raise Fail("policies/byo-pki.json: expected the scopes %s, "
				    "got %s" % (want, list(scopes)))
			port = s.host.rsplit(":", 1)[1]
			b_host = "localhost:%s" % port
			ca = fx.file("registry-a-ca.pem", fx.root.pem)
			text = text.replace("/etc/pki/containers/registry-a-ca.pem", ca) \
			    .replace('"registry-a.example.com"', '"%s"' % s.host) \
			    .replace('"registry-b.example.com"', '"%s"' % b_host)
			p = s.lab.write("byo-pki.json", text)
			bindir, _ = containerd.wrapper_bindir(s.lab, t.ivlite, p,
			    ["-registries-d", s.enabled(), "-insecure", s.host,
			    "-certs-d", s.certs, "-auth", s.auth], name="ivlite-byo")
			ident = (json.loads(text)["transports"]["docker"][s.host][0]
			    .get("signedIdentity") or {}).get("type")
			state.update(bindir=bindir, b_host=b_host, ident=ident)
			return state

	sc = lambda h: ts.scope(h)
	D = "sigstoreSigned(pki)"

	def pull_a(name, make_layers, code, why):
		"""An image on registry A (the lab registry), signed as
		MAKE_LAYERS(repo, digest, identity style) says."""
		def f():
			st = setup()
			repo, d = s.image("byo " + name, "team")
			if make_layers is not None:
				s.attach(repo, d, make_layers(repo, d, st))
			ref = s.ref(repo)
			j = containerd.verify_image(st["bindir"], ref,
			    containerd.descriptor(d))
			if not j.results:
				raise Fail("no verifier ran: %r" % j)
			r = j.results[0][1]
			line = "%s %s@%s: %s: %s: %s" % ("accepted" if code == 0 else
			    "rejected", ref, d, sc(s.host), D, why(repo, d, st))
			t.expect(r, code, line)
			if j.ok != (code == 0) or j.error:
				raise Fail("containerd: expected %s, got %r" % ("allowed"
				    if code == 0 else "blocked", j))
		t.case("deployment byo-pki.json (lab CA and registry): registry A "
		    + name, f)

	def ident_ref(repo, st):
		"""What the signer signs: cosign's repository-only identity when
		the policy accepts it, else containers/image's name:tag."""
		return s.ref(repo, None) if st["ident"] in ("matchRepository",) \
		    else s.ref(repo)

	def by(leaf_fn, email=EMAIL):
		def f(repo, d, st):
			leaf = leaf_fn()
			p = cosign.payload(ident_ref(repo, st), d)
			return [sigpki.layer(p, leaf, cert=leaf.pem,
			    chain=leaf.chain_text())]
		return f

	pull_a("signed by the private CA accepted", by(lambda: fx.inter.leaf(
	    emails=[EMAIL])), 0, lambda repo, d, st: "signature 1 of 1 "
	    "verified, identity %s" % ident_ref(repo, st))
	pull_a("unsigned rejected", None, 1, lambda repo, d, st: "no "
	    "signature: no %s attachment" % cosign.sig_tag(d))
	pull_a("signed by another CA rejected", by(lambda: fx.other_inter.leaf(
	    emails=[EMAIL])), 1, lambda repo, d, st: none_valid("pki: " +
	    NOT_TRUSTED))
	pull_a("signed by the private CA for another email rejected",
	    by(lambda: fx.inter.leaf(emails=["mallory@example.com"])), 1,
	    lambda repo, d, st: none_valid("pki: certificate for "
	    "mallory@example.com, expected signer@example.com"))

	def other(name, ref_fn, code, why_fn, shown_fn=None):
		def f():
			st = setup()
			ref = ref_fn(st)
			d = labmod.sha256_digest(("byo " + name).encode())
			j = containerd.verify_image(st["bindir"], ref,
			    containerd.descriptor(d))
			r = j.results[0][1] if j.results else None
			if r is None:
				raise Fail("no verifier ran: %r" % j)
			t.expect(r, code, "%s %s@%s: %s" % ("accepted" if code == 0
			    else "rejected", (shown_fn or ref_fn)(st), d, why_fn(st)))
			if j.ok != (code == 0) or j.error:
				raise Fail("containerd: %r" % j)
		t.case("deployment byo-pki.json (lab CA and registry): " + name, f)

	other("registry B accepted without verification",
	    lambda st: "%s/team/app:1" % st["b_host"], 0,
	    lambda st: "%s: insecureAcceptAnything" % sc(st["b_host"]))
	other("gcr.io rejected", lambda st: "gcr.io/project/app:1", 1,
	    lambda st: "%s: reject: this scope rejects all images"
	    % sc("gcr.io"))
	other("anything else accepted by default",
	    lambda st: "docker.io/library/busybox:1.36", 0,
	    lambda st: "scope default: insecureAcceptAnything")
