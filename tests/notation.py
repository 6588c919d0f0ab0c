#!/usr/bin/python3
"""Notary Project (notation) signatures and configuration written by the
tests themselves, from ../shared/specs/notation.md (§2 JWS, §3 COSE,
§4 certificates and trust stores, §5 trust policy, §7 CRLs) -- not from
notation's code -- for what the real notation 1.3.2 will not sign
(a plugin-required signature, a payload naming another size) and for
the oracle set-ups the real one verifies:

- subject(): the C/ST/O subjects notation's identities need; Chain: a
  root CA and a code-signing leaf under it (or a self-signed leaf like
  `notation cert generate-test` makes), with CRL distribution points,
  an OCSP responder or a short life as keywords; crl(): a CRL of the CA.
- Verifier: a notation configuration directory (trustpolicy.json,
  truststore/x509/TYPE/NAME/) that the real `notation verify` reads as
  its HOME and ivlite reads through trustPolicyPath: the oracle and
  ivlite judge the very same files.
- jws(): a JWS envelope (flattened JSON serialization) signed with a
  chain's key, every protected member a keyword; cose(): a COSE_Sign1
  one (a small CBOR encoder); manifest(): the referrer manifest notation
  pushes around an envelope.
- TsaServer: an RFC 3161 time-stamping server over HTTP for `notation
  sign --timestamp-url`: its tokens are made by `openssl ts -reply`
  (keyless.TSA's authority); no real TSA is reachable offline.

Standard library, python3-cryptography and the openssl command; run with
Debian's /usr/bin/python3.
"""

import base64
import datetime
import hashlib
import http.server
import json
import os
import time

import keyless
import lab as labmod
import sigpki

MT_SIG = "application/vnd.cncf.notary.signature"
MT_PAYLOAD = "application/vnd.cncf.notary.payload.v1+json"
MT_JWS = "application/jose+json"
MT_COSE = "application/cose"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OID_CRL_DP = "2.5.29.31"
OID_AIA = "1.3.6.1.5.5.7.1.1"


def b64url(data):
	return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rfc3339(t):
	return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc) \
	    .strftime("%Y-%m-%dT%H:%M:%SZ")


def subject(cn, c="US", st="WA", o="ivlite", **extra):
	"""An x509.Name with C, ST, O and CN (notation's identities need the
	first three); EXTRA: more attributes by NameOID name."""
	x509, _, _, _, _, NameOID = sigpki._x509()
	attrs = [(NameOID.COUNTRY_NAME, c), (NameOID.STATE_OR_PROVINCE_NAME,
	    st), (NameOID.ORGANIZATION_NAME, o), (NameOID.COMMON_NAME, cn)]
	attrs += [(getattr(NameOID, k), v) for k, v in sorted(extra.items())]
	return x509.Name([x509.NameAttribute(k, v) for k, v in attrs if v])


def _crl_dp(urls):
	x509, _, _, _, _, _ = sigpki._x509()
	return x509.CRLDistributionPoints([x509.DistributionPoint(
	    [x509.UniformResourceIdentifier(u) for u in urls], None, None,
	    None)]).public_bytes()


def _aia_ocsp(url):
	x509, _, _, _, _, _ = sigpki._x509()
	return x509.AuthorityInformationAccess([x509.AccessDescription(
	    x509.oid.AuthorityInformationAccessOID.OCSP,
	    x509.UniformResourceIdentifier(url))]).public_bytes()


class Chain:
	"""A signing identity: a code-signing leaf (.leaf), its key (.key,
	a sigpki.Key) and the root above it (.root, None when the leaf is
	self-signed as `notation cert generate-test` makes it).  KIND: the
	leaf's key ("p256", "p384", "rsa2048"…); CRL: URLs for the leaf's
	CRL distribution points; OCSP: an OCSP responder URL; NB/NA: the
	leaf's validity (Unix seconds)."""

	def __init__(self, cn, kind="p256", selfsigned=False, crl=(),
	    ocsp=None, nb=None, na=None, o="ivlite"):
		now = int(time.time())
		self.key = sigpki.Key(kind)
		self.subject = subject(cn, o=o)
		self.root = None
		ext = []
		if crl:
			ext.append((OID_CRL_DP, _crl_dp(crl), False))
		if ocsp:
			ext.append((OID_AIA, _aia_ocsp(ocsp), False))
		nb = now - 3600 if nb is None else nb
		na = now + 30 * 86400 if na is None else na
		if selfsigned:
			self.leaf = sigpki.build(self.subject, self.key.pub,
			    self.subject, self.key.priv, nb, na, extensions=ext)
		else:
			self.root = RootCA(cn + " root")
			self.leaf = sigpki.build(self.subject, self.key.pub,
			    self.root.subject, self.root.key.priv, nb, na,
			    extensions=ext, aki_key=self.root.key.pub)
		self.certs = [self.leaf] + ([self.root.cert] if self.root else [])

	@property
	def anchor_pem(self):
		"""What a trust store holds for it: the root, or the leaf."""
		return sigpki.pem((self.root.cert if self.root else self.leaf))

	def chain_pem(self):
		return b"".join(sigpki.pem(c) for c in self.certs)

	def chain_der(self):
		return [sigpki.der(c) for c in self.certs]

	def key_pem(self):
		_, _, ser, _, _, _ = sigpki._x509()
		return self.key.priv.private_bytes(ser.Encoding.PEM,
		    ser.PrivateFormat.PKCS8, ser.NoEncryption())

	@property
	def alg(self):
		return {"p256": "ES256", "p384": "ES384", "p521": "ES512",
		    "rsa2048": "PS256", "rsa3072": "PS384", "rsa4096": "PS512"}[
		    self.key.kind]

	def sign(self, data, salt=None):
		"""JWS/COSE signature bytes over DATA: r||s, or RSASSA-PSS."""
		_, hashes, _, ec, _, _ = sigpki._x509()
		from cryptography.hazmat.primitives.asymmetric import padding, \
		    utils
		h = {"6": hashes.SHA256, "4": hashes.SHA384, "2": hashes.SHA512}[
		    self.alg[-1]]()
		if self.alg[0] == "P":
			return self.key.priv.sign(data, padding.PSS(
			    padding.MGF1(h), salt if salt is not None else h.digest_size),
			    h)
		r, s = utils.decode_dss_signature(self.key.priv.sign(data,
		    ec.ECDSA(h)))
		n = (self.key.priv.curve.key_size + 7) // 8
		return r.to_bytes(n, "big") + s.to_bytes(n, "big")


class RootCA:
	"""A self-signed root CA with a C/ST/O subject (ECDSA P-256)."""

	def __init__(self, cn):
		now = int(time.time())
		self.key = sigpki.Key("p256")
		self.subject = subject(cn)
		self.cert = sigpki.build(self.subject, self.key.pub, self.subject,
		    self.key.priv, now - 86400, now + 400 * 86400, ca=True)


def crl(ca, revoked=(), next_update=3600, reason=None, critical_ext=None):
	"""A DER CRL signed by CA (a RootCA or Chain.root) listing the serial
	numbers REVOKED; NEXT_UPDATE seconds from now (None: absent)."""
	x509, hashes, ser, _, _, _ = sigpki._x509()
	now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
	b = x509.CertificateRevocationListBuilder().issuer_name(ca.subject) \
	    .last_update(now - datetime.timedelta(seconds=60))
	if next_update is not None:
		b = b.next_update(now + datetime.timedelta(seconds=next_update))
	for s in revoked:
		e = x509.RevokedCertificateBuilder().serial_number(s) \
		    .revocation_date(now - datetime.timedelta(seconds=30))
		if reason:
			e = e.add_extension(x509.CRLReason(reason), critical=False)
		b = b.add_revoked_certificate(e.build())
	if critical_ext:
		b = b.add_extension(x509.UnrecognizedExtension(
		    x509.ObjectIdentifier(critical_ext), b"\x05\x00"), critical=True)
	return b.sign(ca.key.priv, hashes.SHA256()).public_bytes(
	    ser.Encoding.DER)


class Verifier:
	"""A notation configuration for verification: HOME/.config/notation
	with trustpolicy.json (STATEMENTS, each a dict as notation reads it)
	and trust stores STORES {"ca:NAME": [PEM bytes, …]} under
	truststore/x509.  .policy is the file ivlite's trustPolicyPath names;
	the real notation reads the same directory as its HOME."""

	def __init__(self, lab, statements, stores, name="verifier"):
		self.home = lab.mkdir("notation-" + name)
		self.dir = os.path.join(self.home, ".config", "notation")
		for store, pems in stores.items():
			typ, nm = store.split(":", 1)
			d = os.path.join(self.dir, "truststore", "x509", typ, nm)
			os.makedirs(d, exist_ok=True)
			for i, p in enumerate(pems):
				with open(os.path.join(d, "cert%d.pem" % i), "wb") as f:
					f.write(p)
		self.policy = os.path.join(self.dir, "trustpolicy.json")
		os.makedirs(self.dir, exist_ok=True)
		with open(self.policy, "w") as f:
			json.dump({"version": "1.0", "trustPolicies": statements}, f,
			    indent=1)


def statement(name="s", scopes=("*",), level="strict", stores=("ca:s",),
    identities=("*",), override=None, verify_timestamp=None):
	"""One trust policy statement (a dict as notation writes it)."""
	sv = {"level": level}
	if override:
		sv["override"] = override
	if verify_timestamp:
		sv["verifyTimestamp"] = verify_timestamp
	st = {"name": name, "registryScopes": list(scopes),
	    "signatureVerification": sv}
	if stores:
		st["trustStores"] = list(stores)
	if identities:
		st["trustedIdentities"] = list(identities)
	return st


def payload(digest, size, media_type=MT_MANIFEST):
	return {"targetArtifact": {"mediaType": media_type, "digest": digest,
	    "size": size}}


def protected(chain, signed=None, expiry=None, scheme="notary.x509",
    extra=None, crit_extra=(), cty=MT_PAYLOAD, alg=None):
	"""The protected members as notation writes them (JWS names); EXTRA:
	more members, CRIT_EXTRA: more crit entries."""
	signed = int(time.time()) - 5 if signed is None else signed
	h = {"alg": alg or chain.alg, "cty": cty,
	    "io.cncf.notary.signingScheme": scheme}
	crit = ["io.cncf.notary.signingScheme"]
	if scheme == "notary.x509":
		h["io.cncf.notary.signingTime"] = rfc3339(signed)
	else:
		h["io.cncf.notary.authenticSigningTime"] = rfc3339(signed)
		crit.append("io.cncf.notary.authenticSigningTime")
	if expiry is not None:
		h["io.cncf.notary.expiry"] = rfc3339(expiry)
		crit.append("io.cncf.notary.expiry")
	h.update(extra or {})
	h["crit"] = crit + list(crit_extra)
	return h


def jws(chain, body, header=None, x5c=None, tamper=None):
	"""A JWS envelope (bytes) over BODY (a payload dict or bytes) with the
	protected members HEADER (protected()'s by default); X5C: the DER
	chain (chain's by default); TAMPER: new payload bytes after signing."""
	header = header or protected(chain)
	p = b64url(json.dumps(header).encode())
	pl = b64url(body if isinstance(body, bytes) else
	    json.dumps(body).encode())
	sig = chain.sign(("%s.%s" % (p, pl)).encode())
	if tamper is not None:
		pl = b64url(tamper)
	return json.dumps({"payload": pl, "protected": p, "header": {
	    "x5c": [base64.b64encode(d).decode() for d in
	    (x5c or chain.chain_der())],
	    "io.cncf.notary.signingAgent": "ivlite-tests/1"},
	    "signature": b64url(sig)}).encode()


# --- a small CBOR encoder (RFC 8949), for COSE_Sign1 -----------------------------

def _cbor_head(major, n):
	if n < 24:
		return bytes([major << 5 | n])
	for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
		if n < 1 << (8 * size):
			return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
	raise ValueError("too large")


class Tag:
	def __init__(self, tag, value):
		self.tag, self.value = tag, value


def cbor(v):
	if isinstance(v, bool) or v is None:
		raise ValueError("not used by COSE here")
	if isinstance(v, int):
		return _cbor_head(0, v) if v >= 0 else _cbor_head(1, -1 - v)
	if isinstance(v, bytes):
		return _cbor_head(2, len(v)) + v
	if isinstance(v, str):
		b = v.encode()
		return _cbor_head(3, len(b)) + b
	if isinstance(v, list):
		return _cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
	if isinstance(v, dict):
		return _cbor_head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x
		    in v.items())
	if isinstance(v, Tag):
		return _cbor_head(6, v.tag) + cbor(v.value)
	raise ValueError(repr(v))


COSE_ALG = {"ES256": -7, "ES384": -35, "ES512": -36, "PS256": -37,
    "PS384": -38, "PS512": -39}


def cose(chain, body, expiry=None, signed=None, extra=None, crit_extra=()):
	"""A COSE_Sign1_Tagged envelope (bytes) over BODY, as notation writes
	one: times as tag 1, x5chain (33) in the unprotected header."""
	signed = int(time.time()) - 5 if signed is None else signed
	prot = {1: COSE_ALG[chain.alg], 3: MT_PAYLOAD,
	    "io.cncf.notary.signingScheme": "notary.x509",
	    "io.cncf.notary.signingTime": Tag(1, signed)}
	crit = ["io.cncf.notary.signingScheme"]
	if expiry is not None:
		prot["io.cncf.notary.expiry"] = Tag(1, int(expiry))
		crit.append("io.cncf.notary.expiry")
	prot.update(extra or {})
	prot[2] = crit + list(crit_extra)
	pb = cbor(prot)
	pl = body if isinstance(body, bytes) else json.dumps(body).encode()
	sig = chain.sign(cbor(["Signature1", pb, b"", pl]))
	return cbor(Tag(18, [pb, {33: chain.chain_der(),
	    "io.cncf.notary.signingAgent": "ivlite-tests/1"}, pl, sig]))


def manifest(subject_desc, blob, media_type=MT_JWS):
	"""(manifest bytes, config bytes) of a notation signature referrer
	around envelope BLOB, as notation 1.3 pushes it on a registry
	without the referrers API (no artifactType, config mediaType
	application/vnd.cncf.notary.signature)."""
	cfg = b"{}"
	m = {"schemaVersion": 2, "mediaType": MT_MANIFEST, "config": {
	    "mediaType": MT_SIG, "digest": "sha256:" + hashlib.sha256(cfg)
	    .hexdigest(), "size": len(cfg)}, "layers": [{"mediaType": media_type,
	    "digest": "sha256:" + hashlib.sha256(blob).hexdigest(),
	    "size": len(blob)}], "subject": subject_desc}
	return json.dumps(m, separators=(",", ":")).encode(), cfg


# --- a time-stamping server over HTTP --------------------------------------------

class TsaServer:
	"""RFC 3161 over HTTP (POST application/timestamp-query) on
	127.0.0.1, answered by `openssl ts -reply` as keyless.TSA's
	authority.  .url, .root_pem."""

	def __init__(self, lab):
		self.tsa = keyless.TSA("ivlite notation TSA")
		self.root_pem = self.tsa.root.pem
		self.root_path = lab.write("tsa-root.pem", self.root_pem)
		tsa = self.tsa

		class H(http.server.BaseHTTPRequestHandler):
			protocol_version = "HTTP/1.1"

			def log_message(self, *a):
				pass

			def do_POST(self):
				n = int(self.headers.get("Content-Length") or 0)
				try:
					body, st = tsa.reply(self.rfile.read(n)), 200
				except RuntimeError as e:
					body, st = str(e).encode(), 500
				self.send_response(st)
				self.send_header("Content-Type",
				    "application/timestamp-reply")
				self.send_header("Content-Length", str(len(body)))
				self.end_headers()
				self.wfile.write(body)

		self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
		self.server.daemon_threads = True
		self.url = "http://127.0.0.1:%d/" % self.server.server_address[1]
		self.close = labmod.serve(lab, self.server)


def attach_tag(reg, repo, subject_desc, blob, media_type=MT_JWS):
	"""Push envelope BLOB as a notation signature of SUBJECT_DESC on a
	registry without the referrers API (docker-registry 2.8), as notation
	does: blobs, manifest, and the index tagged sha256-<hex> (replacing
	any); returns the signature manifest's digest."""
	import cosign
	man, cfg = manifest(subject_desc, blob, media_type)
	cosign.put_blob(reg, repo, cfg)
	cosign.put_blob(reg, repo, blob)
	md = cosign.put_manifest(reg, repo, labmod.sha256_digest(man), man,
	    MT_MANIFEST)
	cosign.put_manifest(reg, repo, subject_desc["digest"].replace(":", "-",
	    1), json.dumps({"schemaVersion": 2, "mediaType":
	    "application/vnd.oci.image.index.v1+json", "manifests": [{
	    "mediaType": MT_MANIFEST, "digest": md, "size": len(man),
	    "artifactType": MT_SIG}]}).encode(),
	    "application/vnd.oci.image.index.v1+json")
	return md
