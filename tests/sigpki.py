#!/usr/bin/python3
"""Certificate-based cosign signatures written by the tests themselves:
BYO-PKI certificates, a fake Fulcio CA and a fake Rekor (its signed entry
timestamps), from ../shared/specs/sigstore.md §1, §3, §7, §8, §9 — not from
cosign's, sigstore's or containers/image's code.

- CA: a certificate authority (a root, or an intermediate under another
  CA).  leaf() issues end-entity certificates with rfc822Name, dNSName,
  iPAddress and URI SANs and the codeSigning EKU by default; every knob
  the negative cases need is a keyword (validity window, EKU, key kind
  incl. RSA-1024 and secp256k1, SHA-1 signature, no SAN, extra and
  critical extensions, Fulcio OIDC issuer extensions).  Certificates are
  python3-cryptography objects; .pem is their PEM text.
- Fulcio: a root and an intermediate like the real Fulcio (ECDSA P-384,
  SHA-384); its leaves live 10 minutes, have an empty subject, a critical
  email SAN, and the OIDC issuer as extension 1.3.6.1.4.1.57264.1.1 (v1:
  the extension value *is* the URL bytes) and/or 1.3.6.1.4.1.57264.1.8
  (v2: a DER UTF8String), or deliberately broken forms of them.
- Rekor: an ECDSA P-256 log key; bundle() writes the cosign "RekorBundle"
  annotation value: {"SignedEntryTimestamp", "Payload": {"body",
  "integratedTime", "logIndex", "logID"}} with the Payload members in
  cosign's (non-canonical) order and the SET computed over the RFC 8785
  canonical form; entry() is the hashedrekord 0.0.1 body.  Every §13
  item 11-12 defect is a keyword.
- jcs(): an independent, general RFC 8785 serializer used by the
  self-checks to verify what Rekor.bundle() signed.
- annotations(): the dev.sigstore.cosign/{certificate,chain,bundle}
  layer annotations; layer(): a cosign.Layer carrying them.

Standard library plus python3-cryptography (v38, Debian); run with
Debian's /usr/bin/python3.
"""

import base64
import datetime
import hashlib
import ipaddress
import json
import threading
import time
import warnings

import cosign
import lab as labmod

ANN_CERT = "dev.sigstore.cosign/certificate"
ANN_CHAIN = "dev.sigstore.cosign/chain"
ANN_BUNDLE = "dev.sigstore.cosign/bundle"
OID_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"
OID_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"
OID_CODE_SIGNING = "1.3.6.1.5.5.7.3.3"
OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
OID_ANY_EKU = "2.5.29.37.0"
OID_NAME_CONSTRAINTS = "2.5.29.30"
FULCIO_MINUTES = 10
UTC = datetime.timezone.utc


def _x509():
	try:
		from cryptography import x509
		from cryptography.hazmat.primitives import hashes, serialization
		from cryptography.hazmat.primitives.asymmetric import ec, rsa
		from cryptography.x509.oid import NameOID
	except ImportError:
		raise labmod.LabError("python3-cryptography is not installed")
	return x509, hashes, serialization, ec, rsa, NameOID


def utc(t):
	"""A datetime (UTC) from Unix seconds T."""
	return datetime.datetime.fromtimestamp(int(t), UTC)


def unix(dt):
	"""Unix seconds of an aware or naive-UTC datetime."""
	if dt.tzinfo is None:
		dt = dt.replace(tzinfo=UTC)
	return int(dt.timestamp())


def timestr(t):
	"""How reasons print a time: YYYY-MM-DD HH:MM:SS UTC."""
	return utc(t).strftime("%Y-%m-%d %H:%M:%S UTC")


def not_before(cert):
	return unix(cert.not_valid_before)


def not_after(cert):
	return unix(cert.not_valid_after)


def pem(cert):
	_, _, ser, _, _, _ = _x509()
	return cert.public_bytes(ser.Encoding.PEM)


def pem_public(cert):
	"""The PEM "PUBLIC KEY" of CERT's subject key."""
	_, _, ser, _, _, _ = _x509()
	return cert.public_key().public_bytes(ser.Encoding.PEM,
	    ser.PublicFormat.SubjectPublicKeyInfo)


def der(cert):
	_, _, ser, _, _, _ = _x509()
	return cert.public_bytes(ser.Encoding.DER)


# --- keys ------------------------------------------------------------------------

class Key(cosign.Key):
	"""cosign.Key plus the kinds only certificates need: rsa1024 (too
	weak), k256 (secp256k1, not a NIST curve)."""

	def __init__(self, kind="p256"):
		if kind == "k256":
			_, _, _, ec, _, _ = _x509()
			self.kind = "p256k1"	# ECDSA for cosign.Key.sign()
			self.priv = ec.generate_private_key(ec.SECP256K1())
			self.size = 32
			self.pub = self.priv.public_key()
		else:
			super().__init__(kind)

	def spki_der(self):
		_, _, ser, _, _, _ = _x509()
		return self.pub.public_bytes(ser.Encoding.DER,
		    ser.PublicFormat.SubjectPublicKeyInfo)


_pool = {}
_pool_lock = threading.Lock()


def key(name="p256"):
	"""A key named NAME (cached for the run); its kind is NAME's first
	"-" word: "p256", "rsa2048-leaf", "k256", …"""
	with _pool_lock:
		k = _pool.get(name)
	if k is None:
		k = Key(name.split("-")[0])
		with _pool_lock:
			k = _pool.setdefault(name, k)
	return k


# --- certificates ----------------------------------------------------------------

def _name(cn):
	x509, _, _, _, _, NameOID = _x509()
	if cn is None:
		return x509.Name([])
	return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _hash(name):
	_, hashes, _, _, _, _ = _x509()
	return {"sha1": hashes.SHA1, "sha256": hashes.SHA256,
	    "sha384": hashes.SHA384, "sha512": hashes.SHA512}[name]()


def build(subject, pub, issuer_name, issuer_key, nb, na, ca=False,
    path_length=None, emails=(), dns=(), ips=(), uris=(), san_critical=False,
    eku=(OID_CODE_SIGNING,), key_usage="default", hash_name="sha256",
    extensions=(), aki_key=None, serial=None, nc=None, nc_critical=False):
	"""One certificate.  NB/NA: Unix seconds.  EKU: OIDs (None: no EKU
	extension).  KEY_USAGE: "default" (CA: keyCertSign+cRLSign, leaf:
	digitalSignature), None (absent).  EXTENSIONS: (oid, value bytes,
	critical) written as is.  An empty SAN list means no SAN extension.
	NC: (permitted, excluded) for lab.name_constraints(), or bytes (the
	extension value as is); critical when NC_CRITICAL."""
	x509, _, _, _, _, _ = _x509()
	b = (x509.CertificateBuilder().subject_name(subject)
	    .issuer_name(issuer_name).public_key(pub)
	    .serial_number(serial or x509.random_serial_number())
	    .not_valid_before(utc(nb).replace(tzinfo=None))
	    .not_valid_after(utc(na).replace(tzinfo=None))
	    .add_extension(x509.BasicConstraints(ca=ca,
	    path_length=path_length if ca else None), critical=True))
	if key_usage == "default":
		b = b.add_extension(x509.KeyUsage(digital_signature=not ca,
		    content_commitment=False, key_encipherment=False,
		    data_encipherment=False, key_agreement=False,
		    key_cert_sign=ca, crl_sign=ca, encipher_only=False,
		    decipher_only=False), critical=True)
	if eku is not None:
		b = b.add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(o)
		    for o in eku]), critical=False)
	b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(pub),
	    critical=False)
	if aki_key is not None:
		b = b.add_extension(x509.AuthorityKeyIdentifier
		    .from_issuer_public_key(aki_key), critical=False)
	names = [x509.RFC822Name(e) for e in emails] + \
	    [x509.DNSName(d) for d in dns] + \
	    [x509.IPAddress(ipaddress.ip_address(i)) for i in ips] + \
	    [x509.UniformResourceIdentifier(u) for u in uris]
	if names:
		b = b.add_extension(x509.SubjectAlternativeName(names),
		    critical=san_critical)
	if isinstance(nc, bytes):
		b = b.add_extension(x509.UnrecognizedExtension(
		    x509.ObjectIdentifier(OID_NAME_CONSTRAINTS), nc),
		    critical=nc_critical)
	elif nc is not None:
		b = b.add_extension(labmod.name_constraints(*nc),
		    critical=nc_critical)
	for oid, value, critical in extensions:
		b = b.add_extension(x509.UnrecognizedExtension(
		    x509.ObjectIdentifier(oid), value), critical=critical)
	with warnings.catch_warnings():
		warnings.simplefilter("ignore")	# SHA-1 is deprecated: we know
		return b.sign(issuer_key, _hash(hash_name))


class Leaf:
	"""An issued end-entity certificate: .cert, .pem, .key (a Key that
	signs payloads), .ca (the issuer), .chain (the PEM texts of the
	issuer's chain: intermediates first, root last)."""

	def __init__(self, cert, k, ca):
		self.cert = cert
		self.pem = pem(cert)
		self.key = k
		self.ca = ca
		self.chain = ca.chain_pems()

	def chain_text(self):
		"""The chain annotation cosign writes: intermediates, root last."""
		return b"".join(self.chain).decode()

	def sign(self, data):
		return self.key.sign(data)


class CA:
	"""A certificate authority: a self-signed root, or an intermediate
	issued by PARENT.  Valid from one day ago for a year unless NB/NA
	(Unix seconds) say otherwise (-check warns of CAs that expire
	within 30 days).  NC, NC_CRITICAL: name constraints
	(see build())."""

	def __init__(self, cn, parent=None, kind="p256", hash_name=None,
	    nb=None, na=None, path_length=None, eku=None, key_usage="default",
	    nc=None, nc_critical=False):
		now = int(time.time())
		self.cn = cn
		self.parent = parent
		self.key = Key(kind)
		self.hash_name = hash_name or ("sha384" if kind == "p384" else
		    "sha256")
		self.subject = _name(cn)
		nb = now - 86400 if nb is None else nb
		na = now + 365 * 86400 if na is None else na
		if parent is None:
			self.cert = build(self.subject, self.key.pub, self.subject,
			    self.key.priv, nb, na, ca=True, path_length=path_length,
			    eku=eku, key_usage=key_usage, hash_name=self.hash_name,
			    nc=nc, nc_critical=nc_critical)
		else:
			self.cert = build(self.subject, self.key.pub, parent.subject,
			    parent.key.priv, nb, na, ca=True, path_length=path_length,
			    eku=eku, key_usage=key_usage,
			    hash_name=parent.hash_name, aki_key=parent.key.pub,
			    nc=nc, nc_critical=nc_critical)
		self.pem = pem(self.cert)

	@property
	def root(self):
		return self if self.parent is None else self.parent.root

	def chain_pems(self):
		"""This CA and its ancestors, nearest first (root last)."""
		out, c = [], self
		while c is not None:
			out.append(c.pem)
			c = c.parent
		return out

	def intermediate(self, cn, **kw):
		return CA(cn, parent=self, **kw)

	def leaf(self, emails=(), dns=(), ips=(), uris=(), cn="ivlite signer",
	    kind="p256", key_name=None, nb=None, na=None, lifetime=None,
	    eku=(OID_CODE_SIGNING,), key_usage="default", hash_name=None,
	    extensions=(), san_critical=False):
		"""A leaf for KEY_NAME's key (default: a fresh key of KIND).
		NB default: one hour ago; NA default: NB + LIFETIME (default 30
		days)."""
		k = key(key_name) if key_name else Key(kind)
		now = int(time.time())
		nb = now - 3600 if nb is None else nb
		na = nb + (lifetime or 30 * 86400) if na is None else na
		cert = build(_name(cn), k.pub, self.subject, self.key.priv, nb, na,
		    emails=emails, dns=dns, ips=ips, uris=uris, eku=eku,
		    key_usage=key_usage, hash_name=hash_name or self.hash_name,
		    extensions=extensions, aki_key=self.key.pub,
		    san_critical=san_critical)
		return Leaf(cert, k, self)


def resign(cert, issuer_key, tbs, hash_name="sha256"):
	"""CERT with its TBSCertificate replaced by the DER bytes TBS,
	signed again by ISSUER_KEY: for certificates the builder refuses
	to make (e.g. a duplicated extension).  Returns PEM bytes."""
	x509, _, _, ec, rsa, _ = _x509()
	from cryptography.hazmat.primitives.asymmetric import padding
	h = _hash(hash_name)
	if isinstance(issuer_key, ec.EllipticCurvePrivateKey):
		sig = issuer_key.sign(tbs, ec.ECDSA(h))
	else:
		sig = issuer_key.sign(tbs, padding.PKCS1v15(), h)
	d = der(cert)
	# Certificate ::= SEQUENCE { tbs, signatureAlgorithm, BIT STRING }
	_, body = _der_take(d, 0)
	_, rest = _der_split(body)
	alg, _ = _der_split(rest)
	out = _der(0x30, tbs + alg + _der(0x03, b"\0" + sig))
	return (b"-----BEGIN CERTIFICATE-----\n" + b"\n".join(
	    base64.b64encode(out)[i:i + 64] for i in range(0,
	    len(base64.b64encode(out)), 64)) + b"\n-----END CERTIFICATE-----\n")


def _der_len(n):
	if n < 0x80:
		return bytes([n])
	b = n.to_bytes((n.bit_length() + 7) // 8, "big")
	return bytes([0x80 | len(b)]) + b


def _der(tag, content):
	return bytes([tag]) + _der_len(len(content)) + content


def _der_take(d, i):
	"""(tag, content) of the element at D[i:] (whole of D)."""
	tag = d[i]
	n = d[i + 1]
	j = i + 2
	if n & 0x80:
		k = n & 0x7f
		n = int.from_bytes(d[j:j + k], "big")
		j += k
	return tag, d[j:j + n]


def _der_split(d):
	"""(first element with header, the rest) of concatenated DER D."""
	n = d[1]
	j = 2
	if n & 0x80:
		k = n & 0x7f
		n = int.from_bytes(d[j:j + k], "big")
		j += k
	return d[:j + n], d[j + n:]


def utf8string(s):
	"""DER UTF8String of S (the v2 issuer extension's value)."""
	return _der(0x0c, s.encode())


# --- Fulcio ------------------------------------------------------------------------

class Fulcio:
	"""A fake Fulcio: root and intermediate (P-384, SHA-384), leaves of
	10 minutes for an email, with the OIDC issuer extensions.

	leaf(email, v1=URL, v2=URL): either, both or neither; v2_raw: the
	v2 extension value bytes as is (broken encodings); start: notBefore
	(Unix seconds, default one hour ago: such a leaf is expired now,
	as every real Fulcio leaf soon is)."""

	def __init__(self, cn="ivlite fake fulcio"):
		now = int(time.time())
		self.root = CA(cn + " root", kind="p384", nb=now - 10 * 86400,
		    na=now + 365 * 86400)
		self.inter = self.root.intermediate(cn + " intermediate",
		    kind="p384", nb=now - 9 * 86400, na=now + 300 * 86400,
		    path_length=0, eku=(OID_CODE_SIGNING,))

	def leaf(self, email="signer@example.com", v1=None, v2=None, v2_raw=None,
	    start=None, minutes=FULCIO_MINUTES, eku=(OID_CODE_SIGNING,),
	    emails=None, uris=(), extensions=(), ca=None, kind="p256"):
		ext = []
		if v1 is not None:
			ext.append((OID_ISSUER_V1, v1.encode(), False))
		if v2 is not None or v2_raw is not None:
			ext.append((OID_ISSUER_V2, v2_raw if v2_raw is not None else
			    utf8string(v2), False))
		start = int(time.time()) - 3600 if start is None else start
		emails = ([email] if email else []) if emails is None else emails
		return (ca or self.inter).leaf(emails=emails, uris=uris, cn=None,
		    kind=kind, nb=start, na=start + minutes * 60, eku=eku,
		    extensions=ext + list(extensions), san_critical=True)


# --- Rekor -------------------------------------------------------------------------

def entry(payload, sig, pub_pem, kind="hashedrekord", api="0.0.1",
    hash_algo="sha256", hash_value=None, edit=None):
	"""The hashedrekord 0.0.1 entry (a dict) binding SIG (bytes) over
	PAYLOAD made with the key or certificate PUB_PEM (bytes, written as
	base64 of the PEM text).  EDIT(entry) may change it further."""
	e = {"apiVersion": api, "kind": kind, "spec": {
	    "data": {"hash": {"algorithm": hash_algo,
	    "value": hash_value if hash_value is not None else
	    hashlib.sha256(payload).hexdigest()}},
	    "signature": {"content": base64.b64encode(sig).decode(),
	    "publicKey": {"content": base64.b64encode(pub_pem).decode()}}}}
	if api is None:
		del e["apiVersion"]
	if edit:
		edit(e)
	return e


def _canon_flat(pairs):
	"""JCS of a flat object of strings and integers (what the Rekor
	Payload is): members sorted by UTF-16 code units."""
	items = sorted(pairs, key=lambda kv: kv[0].encode("utf-16-be"))
	return ("{" + ",".join("%s:%s" % (json.dumps(k, ensure_ascii=False),
	    json.dumps(v, ensure_ascii=False)) for k, v in items) +
	    "}").encode()


class Rekor:
	"""A fake Rekor log: its key (ECDSA P-256), logID, SET bundles."""

	def __init__(self, kind="p256"):
		self.key = Key(kind)
		self.log_id = hashlib.sha256(self.key.spki_der()).hexdigest()
		self._index = 1000
		self._lock = threading.Lock()

	def pem(self):
		return self.key.pem()

	def next_index(self):
		with self._lock:
			self._index += 1
			return self._index

	def bundle(self, payload, sig, pub_pem, integrated_time=None,
	    log_index=None, body=None, entry_kw=None, set_key=None,
	    sign_received=False, members=None, edit_members=None, extra=None,
	    drop=None, set_b64=None, sign_as=None, edit_after=None):
		"""The dev.sigstore.cosign/bundle annotation text.

		The entry is entry(PAYLOAD, SIG, PUB_PEM, **ENTRY_KW) unless BODY
		(bytes, the decoded body) is given.  Payload members are written
		body, integratedTime, logIndex, logID (cosign's order);
		EDIT_MEMBERS(list of [name, value]) may change them; MEMBERS
		(list of (name, JSON text)) replaces them entirely.  The SET is
		ECDSA/SHA-256 (DER) by SET_KEY (default the log's key) over the
		canonical Payload (or, SIGN_AS, over these pairs' canonical form;
		or, SIGN_RECEIVED, over the bytes as written).  EXTRA: more
		top-level members {name: value}; DROP: top-level member names
		left out; SET_B64: the SignedEntryTimestamp text as is;
		EDIT_AFTER(list of [name, value]): changes made to the Payload
		members after the SET was computed."""
		if body is None:
			body = json.dumps(entry(payload, sig, pub_pem,
			    **(entry_kw or {})), separators=(",", ":")).encode()
		t = int(time.time()) if integrated_time is None else \
		    integrated_time
		pairs = [["body", base64.b64encode(body).decode()],
		    ["integratedTime", t],
		    ["logIndex", self.next_index() if log_index is None else
		    log_index],
		    ["logID", self.log_id]]
		if edit_members:
			edit_members(pairs)
		if members is not None:
			text = "{" + ",".join("%s:%s" % (json.dumps(k), v)
			    for k, v in members) + "}"
			canon = _canon_flat([(k, json.loads(v)) for k, v in
			    dict(members).items()])
		else:
			text = "{" + ",".join("%s:%s" % (json.dumps(k),
			    json.dumps(v)) for k, v in pairs) + "}"
			canon = _canon_flat([tuple(p) for p in pairs])
		if sign_as is not None:
			canon = _canon_flat(sign_as)
		signed = text.encode() if sign_received else canon
		if set_b64 is None:
			set_b64 = base64.b64encode((set_key or self.key).sign(
			    signed)).decode()
		if edit_after:
			edit_after(pairs)
			text = "{" + ",".join("%s:%s" % (json.dumps(k),
			    json.dumps(v)) for k, v in pairs) + "}"
		top = [("SignedEntryTimestamp", json.dumps(set_b64)),
		    ("Payload", text)]
		top += [(k, json.dumps(v)) for k, v in (extra or {}).items()]
		top = [(k, v) for k, v in top if k not in (drop or ())]
		return "{" + ",".join("%s:%s" % (json.dumps(k), v)
		    for k, v in top) + "}"


# --- annotations -------------------------------------------------------------------

def annotations(cert=None, chain=None, bundle=None):
	"""The certificate-related layer annotations (texts or bytes; None:
	left out)."""
	out = {}
	for k, v in ((ANN_CERT, cert), (ANN_CHAIN, chain), (ANN_BUNDLE,
	    bundle)):
		if v is not None:
			out[k] = v.decode() if isinstance(v, bytes) else v
	return out


def layer(payload, signer, cert=None, chain=None, rekor=None,
    rekor_pub=None, integrated_time=None, bundle_kw=None, bundle=None,
    signature=None, sign_over=None, more=None):
	"""A cosign.Layer: PAYLOAD signed by SIGNER (a Key or Leaf; or
	SIGNATURE bytes), with the certificate CERT and CHAIN (PEM texts or
	bytes) and, with REKOR, a bundle logging the signature with the key
	or certificate REKOR_PUB (default CERT, else SIGNER's public key)."""
	k = signer.key if isinstance(signer, Leaf) else signer
	if signature is None:
		signature = k.sign(payload if sign_over is None else sign_over)
	if rekor is not None and bundle is None:
		pub = rekor_pub
		if pub is None:
			pub = cert if cert is not None else k.pem()
		if isinstance(pub, str):
			pub = pub.encode()
		bundle = rekor.bundle(payload, signature, pub, integrated_time,
		    **(bundle_kw or {}))
	ann = annotations(cert, chain, bundle)
	ann.update(more or {})
	return cosign.Layer(payload, signature=signature, annotations=ann)


# --- RFC 8785 (JCS), independently of Rekor.bundle() ---------------------------------

def jcs(v):
	"""RFC 8785 canonical JSON text of the Python value V (dict, list,
	str, int, float, bool, None)."""
	if v is None:
		return "null"
	if v is True:
		return "true"
	if v is False:
		return "false"
	if isinstance(v, str):
		return _jcs_string(v)
	if isinstance(v, (int, float)):
		return _jcs_number(v)
	if isinstance(v, list):
		return "[" + ",".join(jcs(x) for x in v) + "]"
	if isinstance(v, dict):
		keys = sorted(v, key=_utf16_units)
		return "{" + ",".join(_jcs_string(k) + ":" + jcs(v[k])
		    for k in keys) + "}"
	raise TypeError("jcs: %r" % (v,))


def _utf16_units(s):
	units = []
	for ch in s:
		c = ord(ch)
		if c >= 0x10000:
			c -= 0x10000
			units += [0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff)]
		else:
			units.append(c)
	return units


_SHORT = {0x08: "\\b", 0x09: "\\t", 0x0a: "\\n", 0x0c: "\\f", 0x0d: "\\r",
    0x22: '\\"', 0x5c: "\\\\"}


def _jcs_string(s):
	out = ['"']
	for ch in s:
		c = ord(ch)
		if c in _SHORT:
			out.append(_SHORT[c])
		elif c < 0x20:
			out.append("\\u%04x" % c)
		else:
			out.append(ch)
	out.append('"')
	return "".join(out)


def _jcs_number(x):
	"""ECMAScript Number::toString of X (shortest round-trip digits)."""
	import decimal
	import math
	if isinstance(x, int) and not isinstance(x, bool):
		if abs(x) > 2 ** 53:
			raise ValueError("jcs: integer %d is not exact in IEEE 754"
			    % x)
		x = float(x)
	if math.isnan(x) or math.isinf(x):
		raise ValueError("jcs: %r" % x)
	if x == 0:
		return "0"
	if x < 0:
		return "-" + _jcs_number(-x)
	t = decimal.Decimal(repr(x)).normalize().as_tuple()
	digits = "".join(str(d) for d in t.digits)
	k = len(digits)
	n = t.exponent + k	# value = 0.digits * 10^n
	if k <= n <= 21:
		return digits + "0" * (n - k)
	if 0 < n <= 21:
		return digits[:n] + "." + digits[n:]
	if -6 < n <= 0:
		return "0." + "0" * (-n) + digits
	e = n - 1
	sign = "+" if e >= 0 else "-"
	mant = digits if k == 1 else digits[0] + "." + digits[1:]
	return "%se%s%d" % (mant, sign, abs(e))
