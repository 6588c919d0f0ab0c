#!/usr/bin/python3
"""Keyless Sigstore infrastructure written by the tests themselves, from
../shared/specs/sigstore-bundle.md (§5 trusted root, §8 logs and
checkpoints, §9 RFC 3161, §10 Fulcio and SCTs) -- not from sigstore-go's,
cosign's or Rekor's code.

- TSA: a time-stamping authority (root CA, leaf with the one critical
  extended key usage timeStamping) whose tokens are made by `openssl ts`
  (OpenSSL's RFC 3161 implementation, independent of ivlite), as a
  TimeStampResp or the bare token, with or without its certificate.

Standard library, python3-cryptography and the openssl command; run with
Debian's /usr/bin/python3.
"""

import os
import subprocess
import tempfile
import time

import sigpki

OID_TIME_STAMPING = "1.3.6.1.5.5.7.3.8"


class TSA:
	"""A time-stamping authority: .root (a sigpki.CA) and its leaf
	(.leaf_pem, .key).  KIND: the leaf's and root's key ("p256",
	"p384", "rsa2048").  NB/NA: the leaf's validity (Unix seconds;
	default an hour ago to 30 days on).  EKU, EKU_CRITICAL, CA: the
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
		na = now + 30 * 86400 if na is None else na
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
			with open(os.path.join(d, "r.tsr"), "rb") as f:
				return f.read()


def _eku_der(oids):
	"""The DER of an ExtendedKeyUsage extension value listing OIDS."""
	x509, _, _, _, _, _ = sigpki._x509()
	return x509.ExtendedKeyUsage([x509.ObjectIdentifier(o) for o in
	    oids]).public_bytes()
