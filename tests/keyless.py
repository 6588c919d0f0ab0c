#!/usr/bin/python3
"""Keyless Sigstore infrastructure written by the tests themselves, from
../shared/specs/sigstore-bundle.md (§5 trusted root, §8 logs and
checkpoints, §9 RFC 3161, §10 Fulcio and SCTs) -- not from sigstore-go's,
cosign's or Rekor's code.

- TSA: a time-stamping authority (root CA, leaf with the one critical
  extended key usage timeStamping) whose tokens are made by `openssl ts`
  (OpenSSL's RFC 3161 implementation, independent of ivlite), as a
  TimeStampResp or the bare token, with or without its certificate.
- CTLog: a certificate-transparency log key and the SCTs it signs over a
  precertificate (RFC 6962 §3.2).
- Fulcio: a root and intermediate (P-384) issuing 10-minute certificates
  for a CI workflow: a URI SAN (or email), the OIDC issuer as extensions
  1.3.6.1.4.1.57264.1.1 and .1.8, the claims 1.2-1.6 (raw) and 1.9-1.23
  (UTF8String) and an embedded SCT list, the precertificate being exactly
  the certificate without that extension (checked here).
- RekorV1: an ECDSA P-256 log holding entries (dsse 0.0.1 bodies) in an
  RFC 6962 tree: SETs over the canonical JSON, inclusion proofs, and
  checkpoints signed the Rekor v1 way (origin "host - tree id", key ID
  SHA-256(SPKI)[0:4]).
- RekorV2: an Ed25519 log whose leaves are hashedrekord 0.0.2 bodies
  rebuilt from the bundle, with C2SP checkpoints (origin the log's host,
  key ID SHA-256(name || 0x0A || 0x01 || key)[0:4]).
- trusted_root(): trusted_root.json for all of them; bundle(): a keyless
  bundle v0.3 of a DSSE statement with its tlogEntries and timestamps.

Standard library, python3-cryptography and the openssl command; run with
Debian's /usr/bin/python3.
"""

import base64
import calendar
import datetime
import hashlib
import json
import os
import struct
import subprocess
import tempfile
import time

import cosign
import sigpki

GITHUB = "https://token.actions.githubusercontent.com"
REPO = "https://github.com/acme/app"
WORKFLOW = REPO + "/.github/workflows/release.yml@refs/tags/v1.2.3"
OID_FULCIO = "1.3.6.1.4.1.57264.1."
OID_SCT = "1.3.6.1.4.1.11129.2.4.2"
MT_ROOT = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"

OID_TIME_STAMPING = "1.3.6.1.5.5.7.3.8"


class TSA:
	"""A time-stamping authority: .root (a sigpki.CA) and its leaf
	(.leaf_pem, .key).  KIND: the leaf's and root's key ("p256",
	"p384", "rsa2048").  NB/NA: the leaf's validity (Unix seconds;
	default an hour ago to a year on).  EKU, EKU_CRITICAL, CA: the
	leaf's extended key usage (OIDs), its criticality, and whether it
	says it is a CA (defects openssl may refuse to sign with: then
	stamp() fails)."""

	def __init__(self, cn="ivlite test TSA", kind="p256", nb=None, na=None,
	    eku=(OID_TIME_STAMPING,), eku_critical=True, ca=False):
		x509, _, ser, _, _, _ = sigpki._x509()
		now = int(time.time())
		self.root = sigpki.CA(cn + " root", kind=kind, nb=now - 86400 * 400,
		    na=now + 86400 * 4000)
		self.key = sigpki.Key(kind)
		nb = now - 3600 if nb is None else nb
		na = now + 365 * 86400 if na is None else na
		ext = []
		if eku is not None:
			ext.append(("2.5.29.37", _eku_der(eku), eku_critical))
		self.cert = sigpki.build(sigpki._name(cn), self.key.pub,
		    self.root.subject, self.root.key.priv, nb, na, ca=ca, eku=None,
		    hash_name=self.root.hash_name, extensions=ext,
		    aki_key=self.root.key.pub)
		self.leaf_pem = sigpki.pem(self.cert)
		self.priv_pem = self.key.priv.private_bytes(ser.Encoding.PEM,
		    ser.PrivateFormat.PKCS8, ser.NoEncryption())
		self._serial = 1

	def twin(self, **kw):
		"""PEM of another certificate for the leaf's key, issuer and
		serial number (tokens name their signer by these), with
		sigpki.build's keywords KW (eku=None, extensions=..., ca=...,
		nb=, na=): for signers openssl would refuse to sign as."""
		now = int(time.time())
		args = dict(ca=False, eku=None, hash_name=self.root.hash_name,
		    extensions=[("2.5.29.37", _eku_der((OID_TIME_STAMPING,)),
		    True)], aki_key=self.root.key.pub, serial=self.cert.serial_number)
		args.update(kw)
		nb, na = args.pop("nb", now - 3600), args.pop("na", now + 86400)
		return sigpki.pem(sigpki.build(self.cert.subject, self.key.pub,
		    self.root.subject, self.root.key.priv, nb, na, **args))

	def chain_der(self):
		"""[leaf DER, root DER]: a trusted root's certChain."""
		return [sigpki.der(self.cert), sigpki.der(self.root.cert)]

	def stamp(self, data, hash_name="sha256", certs=True, token=False,
	    digest="sha256"):
		"""A time-stamp over DATA (bytes) by `openssl ts`: a
		TimeStampResp, or the bare token (TOKEN); its imprint with
		HASH_NAME, the CMS signature with DIGEST; CERTS: the TSA's
		certificate embedded."""
		with tempfile.TemporaryDirectory() as d:
			with open(os.path.join(d, "data"), "wb") as f:
				f.write(data)
			q = ["openssl", "ts", "-query", "-data", "data", "-" + hash_name,
			    "-no_nonce", "-out", "q.tsq"]
			if certs:
				q.append("-cert")
			subprocess.run(q, cwd=d, check=True, capture_output=True)
			with open(os.path.join(d, "q.tsq"), "rb") as f:
				return self.reply(f.read(), token, digest)

	def reply(self, query, token=False, digest="sha256"):
		"""`openssl ts -reply` to the DER TimeStampReq QUERY: a
		TimeStampResp, or the bare token (TOKEN), signed with DIGEST
		(a time-stamping server's answer)."""
		with tempfile.TemporaryDirectory() as d:
			w = lambda n, b: open(os.path.join(d, n), "wb").write(b)
			w("q.tsq", query)
			w("tsa.pem", self.leaf_pem)
			w("tsa.key", self.priv_pem)
			w("serial", b"%02x\n" % self._serial)
			self._serial += 1
			w("ts.cnf", (
			    "[ tsa ]\ndefault_tsa = t\n[ t ]\ndir = %s\n"
			    "serial = %s/serial\ncrypto_device = builtin\n"
			    "signer_cert = %s/tsa.pem\nsigner_key = %s/tsa.key\n"
			    "signer_digest = %s\ndefault_policy = 1.2.3.4.1\n"
			    "digests = sha1, sha256, sha384, sha512\n"
			    "accuracy = secs:1\nordering = yes\ntsa_name = yes\n"
			    "ess_cert_id_chain = no\ness_cert_id_alg = sha256\n"
			    % (d, d, d, d, digest)).encode())
			r = ["openssl", "ts", "-reply", "-config", "ts.cnf",
			    "-queryfile", "q.tsq", "-out", "r.tsr"]
			if token:
				r.append("-token_out")
			p = subprocess.run(r, cwd=d, capture_output=True)
			if p.returncode != 0 or not os.path.exists(os.path.join(d,
			    "r.tsr")):
				raise RuntimeError("openssl ts -reply: %s" %
				    p.stderr.decode(errors="replace")[-300:])
			# its genTime, as openssl reads it, for the tests' reasons
			txt = subprocess.run(["openssl", "ts", "-reply", "-in",
			    "r.tsr", "-text"] + (["-token_in"] if token else []),
			    cwd=d, capture_output=True, text=True).stdout
			line = [x for x in txt.splitlines() if x.startswith(
			    "Time stamp: ")]
			self.last = calendar.timegm(time.strptime(line[0][12:],
			    "%b %d %H:%M:%S %Y GMT")) if line else None
			with open(os.path.join(d, "r.tsr"), "rb") as f:
				return f.read()


def _eku_der(oids):
	"""The DER of an ExtendedKeyUsage extension value listing OIDS."""
	x509, _, _, _, _, _ = sigpki._x509()
	return x509.ExtendedKeyUsage([x509.ObjectIdentifier(o) for o in
	    oids]).public_bytes()


def b64(data):
	return base64.b64encode(data).decode()


def rfc3339(t):
	return datetime.datetime.fromtimestamp(t, datetime.timezone.utc) \
	    .strftime("%Y-%m-%dT%H:%M:%SZ")


def _spki(key):
	return key.spki_der() if hasattr(key, "spki_der") else \
	    sigpki.Key.spki_der(key)


# --- certificate transparency ---------------------------------------------------

class CTLog:
	"""A CT log (ECDSA P-256): log_id = SHA-256(SPKI)."""

	def __init__(self):
		self.key = sigpki.Key("p256")
		self.spki = self.key.spki_der()
		self.log_id = hashlib.sha256(self.spki).digest()

	def sct(self, tbs, issuer_spki, ms=None, key=None, log_id=None):
		"""The v1 SCT (TLS encoding) over precertificate TBS (DER)
		issued by the key ISSUER_SPKI, at MS (Unix milliseconds)."""
		ms = int(time.time() * 1000) if ms is None else ms
		ts = struct.pack(">Q", ms)
		signed = b"\0\0" + ts + b"\0\1" + hashlib.sha256(
		    issuer_spki).digest() + struct.pack(">I", len(tbs))[1:] + tbs + \
		    b"\0\0"
		sig = (key or self.key).sign(signed)
		return b"\0" + (log_id or self.log_id) + ts + b"\0\0\x04\x03" + \
		    struct.pack(">H", len(sig)) + sig


def sct_list(scts):
	"""The SCT list extension's value: an OCTET STRING of the TLS list."""
	body = b"".join(struct.pack(">H", len(x)) + x for x in scts)
	return sigpki._der(0x04, struct.pack(">H", len(body)) + body)


# --- Fulcio ----------------------------------------------------------------------

class Fulcio:
	"""A Fulcio CA (root and intermediate, P-384) for workflow
	identities, its SCTs from CT.  ROOT_KW: sigpki.CA keywords for the
	root (validity, path length, EKU, name constraints)."""

	def __init__(self, cn="ivlite keyless fulcio", ct=None, root_kw=None):
		now = int(time.time())
		self.root = sigpki.CA(cn + " root", kind="p384", **dict(dict(nb=now -
		    400 * 86400, na=now + 4000 * 86400), **(root_kw or {})))
		self.inter = self.root.intermediate(cn + " intermediate",
		    kind="p384", nb=now - 300 * 86400, na=now + 3000 * 86400,
		    path_length=0, eku=(sigpki.OID_CODE_SIGNING,))
		self.ct = ct or CTLog()

	def chain_der(self):
		return [sigpki.der(self.inter.cert), sigpki.der(self.root.cert)]

	def leaf(self, uri=WORKFLOW, email=None, issuer=GITHUB, claims=None,
	    start=None, minutes=10, sct=True, sct_kw=None, extra=(), ca=None,
	    kind="p256", v1=True, eku=(sigpki.OID_CODE_SIGNING,)):
		"""A leaf (sigpki.Leaf) for a workflow: URI (or EMAIL) SAN, the
		OIDC ISSUER (1.8, and 1.1 when V1), CLAIMS {arc: value} (arcs
		2-6 raw, 9-23 UTF8String; default the GitHub Actions set for
		URI), valid from START (default two minutes ago) for MINUTES;
		with an SCT by the CT log unless not SCT (SCT_KW: CTLog.sct
		keywords)."""
		x509, _, _, _, _, _ = sigpki._x509()
		ca = ca or self.inter
		start = int(time.time()) - 120 if start is None else start
		if claims is None:
			claims = {9: uri, 11: "github-hosted", 12: REPO, 13: "ab" * 20,
			    14: "refs/tags/v1.2.3", 16: "https://github.com/acme",
			    20: "push", 2: "push", 6: "refs/tags/v1.2.3"} if uri else {}
		ext = []
		if issuer is not None and v1:
			ext.append((OID_FULCIO + "1", issuer.encode(), False))
		if issuer is not None:
			ext.append((OID_FULCIO + "8", sigpki.utf8string(issuer), False))
		for arc in sorted(claims):
			v = claims[arc].encode() if isinstance(claims[arc], str) else \
			    claims[arc]
			ext.append((OID_FULCIO + str(arc), v if arc < 7 else
			    sigpki._der(0x0c, v), False))
		ext += list(extra)
		k = sigpki.Key(kind)
		serial = x509.random_serial_number()
		names = ([x509.UniformResourceIdentifier(uri)] if uri else []) + \
		    ([x509.RFC822Name(email)] if email else [])
		san = ("2.5.29.17", x509.SubjectAlternativeName(names)
		    .public_bytes(), True)

		def build(more):
			return sigpki.build(sigpki._name(None), k.pub, ca.subject,
			    ca.key.priv, start, start + minutes * 60, eku=eku,
			    hash_name=ca.hash_name, extensions=[san] + ext + more,
			    aki_key=ca.key.pub, serial=serial)
		cert = build([])
		if sct:
			pre = cert.tbs_certificate_bytes
			issuer_spki = ca.key.spki_der()
			one = self.ct.sct(pre, issuer_spki, **(sct_kw or {}))
			cert = build([(OID_SCT, sct_list([one]), False)])
			if precert(sigpki.der(cert)) != pre:
				raise RuntimeError("the precertificate is not the "
				    "certificate without its SCT list")
		return sigpki.Leaf(cert, k, ca)


def _tlv(d, i):
	"""(tag, header length, content length) of the DER element at D[i:]."""
	n = d[i + 1]
	h = 2
	if n & 0x80:
		k = n & 0x7f
		n = int.from_bytes(d[i + 2:i + 2 + k], "big")
		h += k
	return d[i], h, n


def precert(der):
	"""The TBSCertificate of certificate DER without its SCT list
	extension (RFC 6962 §3.2), lengths re-encoded: what the CT log
	signed."""
	_, h, n = _tlv(der, 0)
	tbs_at = h
	_, th, tn = _tlv(der, tbs_at)
	body = der[tbs_at + th:tbs_at + th + tn]
	i = 0
	parts = []
	while i < len(body):
		tag, hh, nn = _tlv(body, i)
		el = body[i:i + hh + nn]
		if tag == 0xa3:
			_, sh, sn = _tlv(el, hh)
			exts = el[hh + sh:hh + sh + sn]
			j, keep = 0, b""
			while j < len(exts):
				_, eh, en = _tlv(exts, j)
				e = exts[j:j + eh + en]
				_, oh, on = _tlv(e, eh)
				oid = e[eh + oh:eh + oh + on]
				if oid != bytes.fromhex("2b06010401d679020402"):
					keep += e
				j += eh + en
			el = sigpki._der(0xa3, sigpki._der(0x30, keep))
		parts.append(el)
		i += hh + nn
	return sigpki._der(0x30, b"".join(parts))


# --- RFC 6962 trees ---------------------------------------------------------------

def leaf_hash(data):
	return hashlib.sha256(b"\0" + data).digest()


def _node(a, b):
	return hashlib.sha256(b"\1" + a + b).digest()


def mth(leaves):
	"""The Merkle tree hash of leaf hashes LEAVES (RFC 6962 §2.1)."""
	if len(leaves) == 1:
		return leaves[0]
	k = 1
	while k * 2 < len(leaves):
		k *= 2
	return _node(mth(leaves[:k]), mth(leaves[k:]))


def path(m, leaves):
	"""The audit path of leaf M (RFC 6962 §2.1.1), leaf to root."""
	if len(leaves) == 1:
		return []
	k = 1
	while k * 2 < len(leaves):
		k *= 2
	if m < k:
		return path(m, leaves[:k]) + [mth(leaves[k:])]
	return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def note(text, lines):
	"""A signed note: TEXT (ending in a newline), a blank line, then
	the signature LINES [(name, key id bytes, signature)]."""
	return text + "\n" + "".join("\u2014 %s %s\n" % (n, b64(kid + sig))
	    for n, kid, sig in lines)


# --- Rekor ------------------------------------------------------------------------

def dsse_body(payload, sig, cert_pem, kind="dsse"):
	"""The Rekor v1 body logging a DSSE envelope of PAYLOAD signed SIG by
	the certificate or key CERT_PEM: dsse 0.0.1, or intoto 0.0.2."""
	ph = {"algorithm": "sha256", "value": hashlib.sha256(payload)
	    .hexdigest()}
	if kind == "dsse":
		spec = {"envelopeHash": {"algorithm": "sha256", "value": "00" * 32},
		    "payloadHash": ph, "signatures": [{"signature": b64(sig),
		    "verifier": b64(cert_pem)}]}
		return {"apiVersion": "0.0.1", "kind": "dsse", "spec": spec}
	spec = {"content": {"envelope": {"payloadType": cosign.MT_INTOTO,
	    "signatures": [{"sig": b64(b64(sig).encode()), "publicKey":
	    b64(cert_pem)}]}, "hash": {"algorithm": "sha256", "value": "00" *
	    32}, "payloadHash": ph}}
	return {"apiVersion": "0.0.2", "kind": "intoto", "spec": spec}


class RekorV1:
	"""A Rekor v1 log: ECDSA P-256, entries in one tree (index in the
	tree = global index - OFFSET, as on the sharded public log)."""

	OFFSET = 5000

	def __init__(self, url="https://rekor.test", kind="p256"):
		self.url = url
		self.key = sigpki.Key(kind)
		self.spki = self.key.spki_der()
		self.log_id = hashlib.sha256(self.spki).digest()
		self.origin = "%s - 1193050959916656506" % url.split("//")[1]
		self.leaves = [leaf_hash(b"ivlite first entry")]

	def checkpoint(self, size, root, key=None, extra_lines=()):
		text = "%s\n%d\n%s\n" % (self.origin, size, b64(root))
		k = key or self.key
		kid = hashlib.sha256(k.spki_der()).digest()[:4]
		return note(text, [(self.origin.split(" ")[0], kid,
		    k.sign(text.encode()))] + list(extra_lines))

	def entry(self, body, time_=None, set_=True, proof=True, set_key=None,
	    kind=None, edit=None):
		"""The tlogEntries item logging BODY (a dict; EDIT(item) may
		change the item after signing) at TIME_."""
		raw = json.dumps(body, separators=(",", ":"),
		    sort_keys=True).encode()
		self.leaves.append(leaf_hash(raw))
		idx = len(self.leaves) - 1
		t = int(time.time()) if time_ is None else time_
		item = {"logIndex": str(idx + self.OFFSET), "logId": {"keyId":
		    b64(self.log_id)}, "kindVersion": {"kind": kind or body["kind"],
		    "version": body["apiVersion"]}, "integratedTime": str(t),
		    "canonicalizedBody": b64(raw)}
		if set_:
			canon = json.dumps({"body": b64(raw), "integratedTime": t,
			    "logID": self.log_id.hex(), "logIndex": idx + self.OFFSET},
			    separators=(",", ":"), sort_keys=True).encode()
			item["inclusionPromise"] = {"signedEntryTimestamp": b64(
			    (set_key or self.key).sign(canon))}
		if proof:
			size = len(self.leaves)
			root = mth(self.leaves)
			item["inclusionProof"] = {"logIndex": str(idx), "rootHash":
			    b64(root), "treeSize": str(size), "hashes": [b64(h) for h
			    in path(idx, self.leaves)], "checkpoint": {"envelope":
			    self.checkpoint(size, root)}}
		if edit:
			edit(item)
		return item

	def root_entry(self, start=None, end=None):
		return log_entry(self.url, self.spki, "PKIX_ECDSA_P256_SHA_256",
		    self.log_id, start, end)


def log_entry(url, spki, details, log_id, start=None, end=None):
	"""A trusted root's tlogs[]/ctlogs[] item."""
	vf = {"start": rfc3339(start if start is not None else
	    int(time.time()) - 400 * 86400)}
	if end is not None:
		vf["end"] = rfc3339(end)
	return {"baseUrl": url, "hashAlgorithm": "SHA2_256", "publicKey": {
	    "rawBytes": b64(spki), "keyDetails": details, "validFor": vf},
	    "logId": {"keyId": b64(log_id)}}


class RekorV2:
	"""A Rekor v2 log (rekor-tiles): Ed25519 checkpoints, origin the
	host of its URL."""

	def __init__(self, url="https://log2026-1.rekor.test"):
		from cryptography.hazmat.primitives.asymmetric import ed25519
		from cryptography.hazmat.primitives import serialization as ser
		self.url = url
		self.name = url.split("//")[1]
		self.priv = ed25519.Ed25519PrivateKey.generate()
		self.pub = self.priv.public_key().public_bytes(ser.Encoding.Raw,
		    ser.PublicFormat.Raw)
		self.spki = bytes.fromhex("302a300506032b6570032100") + self.pub
		self.log_id = hashlib.sha256(self.name.encode() + b"\n\x01" +
		    self.pub).digest()
		self.leaves = [leaf_hash(b"ivlite first v2 entry")]

	def body(self, pae_bytes, sig, cert_der, key_details=
	    "PKIX_ECDSA_P256_SHA_256"):
		"""The hashedrekord 0.0.2 body (canonical JSON bytes)."""
		v = {"apiVersion": "0.0.2", "kind": "hashedrekord", "spec": {
		    "hashedRekordV002": {"data": {"algorithm": "SHA2_256", "digest":
		    b64(hashlib.sha256(pae_bytes).digest())}, "signature": {
		    "content": b64(sig), "verifier": {"keyDetails": key_details,
		    "x509Certificate": {"rawBytes": b64(cert_der)}}}}}}
		return json.dumps(v, separators=(",", ":"), sort_keys=True).encode()

	def checkpoint(self, size, root, priv=None, name=None, cosig=()):
		text = "%s\n%d\n%s\n" % (self.name, size, b64(root))
		kid = self.log_id[:4] if name is None else hashlib.sha256(
		    name.encode() + b"\n\x01" + self.pub).digest()[:4]
		return note(text, list(cosig) + [(name or self.name, kid,
		    (priv or self.priv).sign(text.encode()))])

	def entry(self, raw, proof=True, edit=None, **ck):
		self.leaves.append(leaf_hash(raw))
		idx = len(self.leaves) - 1
		item = {"logIndex": str(idx), "logId": {"keyId": b64(self.log_id)},
		    "kindVersion": {"kind": "hashedrekord", "version": "0.0.2"},
		    "canonicalizedBody": b64(raw)}
		if proof:
			size, root = len(self.leaves), mth(self.leaves)
			item["inclusionProof"] = {"logIndex": str(idx), "rootHash":
			    b64(root), "treeSize": str(size), "hashes": [b64(h) for h
			    in path(idx, self.leaves)], "checkpoint": {"envelope":
			    self.checkpoint(size, root, **ck)}}
		if edit:
			edit(item)
		return item

	def root_entry(self, start=None, end=None):
		return log_entry(self.url, self.spki, "PKIX_ED25519", self.log_id,
		    start, end)


def ca_entry(uri, chain_der, start=None, end=None):
	"""A trusted root's certificateAuthorities[]/timestampAuthorities[]
	item (chain: leaf or intermediates first, root last)."""
	c = {"subject": {"organization": "ivlite", "commonName": uri}, "uri":
	    uri, "certChain": {"certificates": [{"rawBytes": b64(d)} for d in
	    chain_der]}}
	if start is not None or end is not None:
		c["validFor"] = {"start": rfc3339(start or 0)}
		if end is not None:
			c["validFor"]["end"] = rfc3339(end)
	return c


def trusted_root(tlogs=(), cas=(), ctlogs=(), tsas=(), media=MT_ROOT):
	return {"mediaType": media, "tlogs": list(tlogs),
	    "certificateAuthorities": list(cas), "ctlogs": list(ctlogs),
	    "timestampAuthorities": list(tsas)}


def bundle(statement, leaf, tlog=(), stamps=(), sig=None, media=None,
    cert_der=None):
	"""A keyless bundle v0.3 (bytes): STATEMENT (bytes) in a DSSE
	envelope signed by LEAF (sigpki.Leaf; or SIG as is), its certificate
	(or CERT_DER), the tlogEntries TLOG and RFC 3161 STAMPS."""
	sig = sig if sig is not None else leaf.key.sign(cosign.pae(
	    cosign.MT_INTOTO, statement))
	vm = {"certificate": {"rawBytes": b64(cert_der or
	    sigpki.der(leaf.cert))}}
	if tlog:
		vm["tlogEntries"] = list(tlog)
	if stamps:
		vm["timestampVerificationData"] = {"rfc3161Timestamps": [
		    {"signedTimestamp": b64(x)} for x in stamps]}
	return json.dumps({"mediaType": media or cosign.MT_BUNDLE,
	    "verificationMaterial": vm, "dsseEnvelope": {"payload":
	    b64(statement), "payloadType": cosign.MT_INTOTO, "signatures":
	    [{"sig": b64(sig)}]}}, separators=(",", ":")).encode()
