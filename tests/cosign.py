#!/usr/bin/python3
"""Cosign-format signatures written by the tests themselves.

Debian 12's skopeo and podman are built without sigstore support: they can
neither write nor verify "cosign" signatures.  This module writes them from
the format description in ../shared/specs/sigstore.md (§1 discovery, §4
payload, §6 cryptography), not from cosign's or containers/image's code:

- payload(): the signed JSON document, byte for byte as `cosign sign`
  writes it (repository-only identity, "optional":null) or as
  containers/image writes it (name:tag identity, "optional" with creator
  and timestamp); raw_payload() for deliberately broken documents.
- Key: ECDSA P-256/P-384/P-521 and RSA 2048/3072 key pairs; sign() makes
  a DER (or, on request, IEEE P1363 r||s) ECDSA signature or an RSA
  PKCS#1 v1.5 signature, always over SHA-256 unless told otherwise; the
  public key is written as PEM "PUBLIC KEY" (SPKI) or, for RSA, "RSA
  PUBLIC KEY" (PKCS#1).
- Layer: one candidate of the attachment (payload blob, media type,
  annotations), with knobs for every broken variant the tests need.
- attach(): pushes payload blobs, a config blob and the OCI image manifest
  to <repo>:sha256-<hex>.sig through the registry API (monolithic blob
  uploads, PUT manifest); a Docker schema 2 media type and a missing blob
  are options.
- statement(), bundle(): cosign 3's in-toto statement and Sigstore bundle
  (a DSSE envelope signed over PAE), from ../shared/specs/sigstore-
  bundle.md §4 and §7; attach_bundle() pushes one as a referrer the way
  cosign 3 does on a registry without the referrers API (the index
  tagged sha256-<hex>).
- put_image()/put_index(): small images pushed the same way (much faster
  than skopeo, and every test case gets its own digest).
- FakeRegistry: a registry-shaped HTTP server on 127.0.0.1 whose answers
  for a path are set by the test (5xx, 401, 429, odd 404 bodies, wrong
  Content-Type, oversized or mismatching bodies) for what a real registry
  will not do.

Standard library plus python3-cryptography (v38, Debian); run with
Debian's /usr/bin/python3.
"""

import base64
import http.server
import json
import threading
import urllib.error
import urllib.parse
import urllib.request

import lab as labmod

MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
ANN_SIGNATURE = "dev.cosignproject.cosign/signature"
PAYLOAD_TYPE = "cosign container image signature"
CREATOR = "containers/image 5.24.1"	# what podman 4.4 writes
TIMESTAMP = 1700000000


def sig_tag(digest):
	"""The attachment tag of DIGEST: sha256:abc… -> sha256-abc….sig."""
	algo, _, hexpart = digest.partition(":")
	return "%s-%s.sig" % (algo, hexpart)


def _jstr(s):
	"""A JSON string as Go's encoding/json writes it (HTML-safe)."""
	out = json.dumps(s, ensure_ascii=False)
	for a, b in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
	    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
		out = out.replace(a, b)
	return out


def payload(ref, digest, optional=None, ptype=PAYLOAD_TYPE):
	"""The payload bytes for identity REF and manifest DIGEST.

	OPTIONAL None gives "optional":null (what `cosign sign` writes, with a
	repository-only REF); a dict is written with its members sorted, as
	Go writes a map (containers/image: {"creator": …, "timestamp": N}).
	The members of "critical" come in Go's struct order, which is also
	sorted: identity, image, type.  A str OPTIONAL is written as it is
	(JSON text no encoder would write: repeated or escaped names).
	"""
	if optional is None:
		opt = "null"
	elif isinstance(optional, str):
		opt = optional
	else:
		opt = "{" + ",".join("%s:%s" % (_jstr(k), _jvalue(v))
		    for k, v in sorted(optional.items())) + "}"
	return ('{"critical":{"identity":{"docker-reference":%s},"image":'
	    '{"docker-manifest-digest":%s},"type":%s},"optional":%s}'
	    % (_jstr(ref), _jstr(digest), _jstr(ptype), opt)).encode()


def _jvalue(v):
	if isinstance(v, str):
		return _jstr(v)
	return json.dumps(v)


def cosign_payload(repo_ref, digest):
	"""What `cosign sign` writes: identity = the repository only."""
	return payload(repo_ref, digest)


def podman_payload(tagged_ref, digest, creator=CREATOR,
    timestamp=TIMESTAMP):
	"""What containers/image (podman/skopeo --sign-by-sigstore) writes."""
	return payload(tagged_ref, digest, {"creator": creator,
	    "timestamp": timestamp})


def raw_payload(obj):
	"""Any JSON value (or str/bytes as is) as payload bytes, compact."""
	if isinstance(obj, bytes):
		return obj
	if isinstance(obj, str):
		return obj.encode()
	return json.dumps(obj, separators=(",", ":")).encode()


def payload_doc(ref, digest, optional=None, ptype=PAYLOAD_TYPE):
	"""The payload as a dict, for editing into broken variants."""
	return json.loads(payload(ref, digest, optional, ptype))


# --- keys and signatures -------------------------------------------------------

def _crypto():
	try:
		from cryptography.hazmat.primitives import hashes, serialization
		from cryptography.hazmat.primitives.asymmetric import ec, rsa, \
		    padding, utils
	except ImportError:
		raise labmod.LabError("python3-cryptography is not installed")
	return hashes, serialization, ec, rsa, padding, utils


KINDS = ("p256", "p384", "p521", "rsa2048", "rsa3072", "ed25519")


class Key:
	"""A signing key pair of KIND (see KINDS), made fresh."""

	def __init__(self, kind="p256"):
		hashes, ser, ec, rsa, _, _ = _crypto()
		self.kind = kind
		if kind.startswith("p"):
			curve = {"p256": ec.SECP256R1, "p384": ec.SECP384R1,
			    "p521": ec.SECP521R1}[kind]
			self.priv = ec.generate_private_key(curve())
			self.size = (self.priv.curve.key_size + 7) // 8
		elif kind.startswith("rsa"):
			self.priv = rsa.generate_private_key(public_exponent=65537,
			    key_size=int(kind[3:]))
			self.size = self.priv.key_size // 8
		elif kind == "ed25519":
			from cryptography.hazmat.primitives.asymmetric import \
			    ed25519
			self.priv = ed25519.Ed25519PrivateKey.generate()
			self.size = 64
		else:
			raise ValueError("unknown key kind %r" % kind)
		self.pub = self.priv.public_key()

	def pem(self):
		"""PEM "PUBLIC KEY" (SubjectPublicKeyInfo)."""
		_, ser, _, _, _, _ = _crypto()
		return self.pub.public_bytes(ser.Encoding.PEM,
		    ser.PublicFormat.SubjectPublicKeyInfo)

	def pkcs1_pem(self):
		"""PEM "RSA PUBLIC KEY" (PKCS#1), RSA keys only."""
		_, ser, _, _, _, _ = _crypto()
		return self.pub.public_bytes(ser.Encoding.PEM,
		    ser.PublicFormat.PKCS1)

	def write(self, lab, name=None, pkcs1=False):
		"""Write the public key PEM into the lab; return the path."""
		return lab.write((name or "cosign-" + self.kind) + ".pub",
		    self.pkcs1_pem() if pkcs1 else self.pem())

	def key_data(self, pkcs1=False):
		"""base64 of the PEM text, as policy.json keyData wants it."""
		return base64.b64encode(self.pkcs1_pem() if pkcs1 else
		    self.pem()).decode()

	def sign(self, data, hash_name="sha256", p1363=False):
		"""Signature bytes over DATA.

		ECDSA: DER SEQUENCE{r, s} over HASH_NAME(DATA) (cosign always
		uses SHA-256), or r||s (each zero-padded to the curve size) with
		P1363.  RSA: PKCS#1 v1.5.  Ed25519: pure Ed25519.
		"""
		hashes, _, ec, rsa, padding, utils = _crypto()
		h = {"sha256": hashes.SHA256, "sha384": hashes.SHA384,
		    "sha512": hashes.SHA512}[hash_name]()
		if self.kind.startswith("p"):
			while True:
				der = self.priv.sign(data, ec.ECDSA(h))
				if not p1363:
					return der
				r, s = utils.decode_dss_signature(der)
				raw = r.to_bytes(self.size, "big") + \
				    s.to_bytes(self.size, "big")
				# r||s that happens to start like a DER SEQUENCE
				# could parse as one (§6): draw another
				if raw[0] != 0x30:
					return raw
		if self.kind.startswith("rsa"):
			return self.priv.sign(data, padding.PKCS1v15(), h)
		return self.priv.sign(data)


def verify(pub_pem, sig, data):
	"""Whether SIG verifies over DATA with the PEM public key, the way
	sigstore.md §6 says (SHA-256; ECDSA DER; RSA PKCS#1 v1.5), using
	cryptography's own implementation."""
	hashes, ser, ec, rsa, padding, _ = _crypto()
	from cryptography.exceptions import InvalidSignature
	pub = ser.load_pem_public_key(pub_pem)
	try:
		if isinstance(pub, ec.EllipticCurvePublicKey):
			pub.verify(sig, data, ec.ECDSA(hashes.SHA256()))
		elif isinstance(pub, rsa.RSAPublicKey):
			pub.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
		else:
			pub.verify(sig, data)
	except InvalidSignature:
		return False
	return True


# --- attachment layers ------------------------------------------------------------

class Layer:
	"""One layer of a .sig manifest.

	payload: the blob bytes.  key: sign the payload with it (sign_over:
	sign these bytes instead, e.g. the untampered payload; hash_name,
	p1363 as Key.sign).  signature: use these bytes as the signature.
	annotation: the annotation text as is (overrides key/signature);
	no_annotation: leave the signature annotation out.  media_type: the
	layer's media type.  annotations: more annotations.  missing: the
	blob is deleted from the registry after the manifest is pushed.
	"""

	def __init__(self, payload, key=None, signature=None, annotation=None,
	    no_annotation=False, media_type=MT_SIMPLESIGNING, annotations=None,
	    sign_over=None, hash_name="sha256", p1363=False, missing=False):
		self.payload = payload
		self.media_type = media_type
		self.missing = missing
		self.annotations = {}
		if not no_annotation:
			if annotation is None:
				if signature is None:
					if key is None:
						raise ValueError("Layer: key, signature or "
						    "annotation needed")
					signature = key.sign(payload if sign_over is None
					    else sign_over, hash_name, p1363)
				annotation = base64.b64encode(signature).decode()
			self.annotations[ANN_SIGNATURE] = annotation
		self.annotations.update(annotations or {})

	def descriptor(self):
		d = {"mediaType": self.media_type,
		    "size": len(self.payload),
		    "digest": labmod.sha256_digest(self.payload)}
		if self.annotations:
			d["annotations"] = dict(self.annotations)
		return d


# --- the registry API -----------------------------------------------------------

def _request(reg, method, url, repo, data=None, headers=None):
	"""(status, headers, body) of one request to a lab registry."""
	h = dict(reg.lab_headers(repo))
	h.update(headers or {})
	req = urllib.request.Request(url, data=data, method=method, headers=h)
	try:
		with reg.opener().open(req, timeout=10) as r:
			return r.status, r.headers, r.read()
	except urllib.error.HTTPError as e:
		return e.code, e.headers, e.read()


def put_blob(reg, repo, data):
	"""Upload DATA to REPO (POST, then a monolithic PUT); its digest."""
	d = labmod.sha256_digest(data)
	st, hd, body = _request(reg, "POST", "%s/v2/%s/blobs/uploads/"
	    % (reg.url, repo), repo, data=b"")
	if st != 202 or not hd.get("Location"):
		raise labmod.LabError("POST blob upload to %s: %d %r"
		    % (repo, st, body[:300]))
	loc = urllib.parse.urljoin(reg.url + "/", hd["Location"])
	loc += ("&" if "?" in loc else "?") + urllib.parse.urlencode(
	    {"digest": d})
	st, hd, body = _request(reg, "PUT", loc, repo, data=data,
	    headers={"Content-Type": "application/octet-stream"})
	if st != 201:
		raise labmod.LabError("PUT blob %s to %s: %d %r" % (d, repo, st,
		    body[:300]))
	return d


def delete_blob(reg, repo, digest):
	st, _, body = _request(reg, "DELETE", "%s/v2/%s/blobs/%s"
	    % (reg.url, repo, digest), repo)
	if st != 202:
		raise labmod.LabError("DELETE blob %s in %s: %d %r" % (digest,
		    repo, st, body[:300]))


def put_manifest(reg, repo, ref, data, media_type):
	"""PUT a manifest (bytes) as REPO:REF; return its digest."""
	st, hd, body = _request(reg, "PUT", "%s/v2/%s/manifests/%s"
	    % (reg.url, repo, ref), repo, data=data,
	    headers={"Content-Type": media_type})
	if st != 201:
		raise labmod.LabError("PUT manifest %s:%s: %d %r" % (repo, ref,
		    st, body[:300]))
	d = labmod.sha256_digest(data)
	if hd.get("Docker-Content-Digest") not in (None, d):
		raise labmod.LabError("PUT manifest %s:%s: registry says %s, "
		    "pushed %s" % (repo, ref, hd.get("Docker-Content-Digest"), d))
	return d


def _compact(obj):
	return json.dumps(obj, separators=(",", ":")).encode()


def put_image(reg, repo, tag, content=None, arch="amd64"):
	"""A one-layer OCI image pushed as REPO:TAG; return its digest."""
	return put_manifest(reg, repo, tag, *_image(reg, repo,
	    content or "%s:%s" % (repo, tag), arch))


def _image(reg, repo, content, arch):
	layer, diff_id = labmod._layer(content)
	ld = {"mediaType": labmod.MT_OCI_LAYER_GZ, "size": len(layer),
	    "digest": put_blob(reg, repo, layer)}
	cfg = _compact({"architecture": arch, "os": "linux",
	    "config": {"Cmd": ["/ivlite-test.txt"]},
	    "rootfs": {"type": "layers", "diff_ids": [diff_id]}})
	cd = {"mediaType": MT_OCI_CONFIG, "size": len(cfg),
	    "digest": put_blob(reg, repo, cfg)}
	return _compact({"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
	    "config": cd, "layers": [ld]}), MT_OCI_MANIFEST


def put_index(reg, repo, tag, content=None, archs=("amd64", "arm64")):
	"""An OCI index of one image per arch as REPO:TAG; return
	(index digest, {arch: manifest digest})."""
	mans, kids = [], {}
	for a in archs:
		data, mt = _image(reg, repo, "%s (%s)" % (content or "%s:%s"
		    % (repo, tag), a), a)
		d = put_manifest(reg, repo, labmod.sha256_digest(data), data, mt)
		kids[a] = d
		mans.append({"mediaType": mt, "size": len(data), "digest": d,
		    "platform": {"architecture": a, "os": "linux"}})
	idx = _compact({"schemaVersion": 2, "mediaType": MT_OCI_INDEX,
	    "manifests": mans})
	return put_manifest(reg, repo, tag, idx, MT_OCI_INDEX), kids


def sig_manifest(layers, docker=False):
	"""(manifest bytes, config bytes, media type) of an attachment of
	LAYERS, laid out as cosign writes them (tests/test_cosign_real.py
	compares the two byte for byte)."""
	cfg = _compact({"architecture": "", "created": "0001-01-01T00:00:00Z",
	    "history": [{"created": "0001-01-01T00:00:00Z"}], "os": "",
	    "rootfs": {"type": "layers", "diff_ids": [
	    labmod.sha256_digest(ly.payload) for ly in layers]},
	    "config": {}})
	mt = MT_DOCKER_MANIFEST if docker else MT_OCI_MANIFEST
	cdesc = {"mediaType": MT_DOCKER_CONFIG if docker else MT_OCI_CONFIG,
	    "size": len(cfg), "digest": labmod.sha256_digest(cfg)}
	man = _compact({"schemaVersion": 2, "mediaType": mt, "config": cdesc,
	    "layers": [ly.descriptor() for ly in layers]})
	return man, cfg, mt


def attach(reg, repo, digest, layers, docker=False, tag=None):
	"""Push the sigstore attachment of REPO@DIGEST: every layer's
	payload blob, a config blob and the manifest, tagged
	sha256-<hex>.sig (or TAG).  docker: use the Docker schema 2 media
	types instead of OCI's (an error for containers/image).  Layers with
	missing=True have their blob deleted afterwards.  Returns the
	manifest bytes.

	The config is shaped like cosign's (an image config whose diff_ids
	are the payload digests); verifiers never read it.
	"""
	for ly in layers:
		put_blob(reg, repo, ly.payload)
	man, cfg, mt = sig_manifest(layers, docker)
	put_blob(reg, repo, cfg)
	put_manifest(reg, repo, tag or sig_tag(digest), man, mt)
	for ly in layers:
		if ly.missing:
			delete_blob(reg, repo, labmod.sha256_digest(ly.payload))
	return man


# --- cosign 3: Sigstore bundles (../shared/specs/sigstore-bundle.md §4, §7) ------

MT_BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
MT_EMPTY = "application/vnd.oci.empty.v1+json"
MT_INTOTO = "application/vnd.in-toto+json"
PT_SIGN = "https://sigstore.dev/cosign/sign/v1"
ST_V1 = "https://in-toto.io/Statement/v1"


def statement(digest, ptype=PT_SIGN, annotations=None, stype=ST_V1,
    subjects=None, **extra):
	"""The in-toto statement `cosign sign` writes for DIGEST (bytes):
	one subject, its -a ANNOTATIONS, an empty predicate; SUBJECTS
	replaces the subject list, EXTRA adds top-level members."""
	sub = {"digest": {"sha256": digest.split(":", 1)[1]}}
	if annotations:
		sub["annotations"] = annotations
	st = {"_type": stype, "subject": [sub] if subjects is None else
	    subjects, "predicateType": ptype, "predicate": {}}
	st.update(extra)
	return _compact(st)


def pae(ptype, payload):
	"""DSSE's pre-authentication encoding (§7.1)."""
	return b"DSSEv1 %d %s %d " % (len(ptype), ptype.encode(),
	    len(payload)) + payload


def bundle(payload, key, ptype=MT_INTOTO, media=MT_BUNDLE, material=None,
    signed=None, sigs=None, **extra):
	"""A bundle (bytes) of a DSSE envelope of PAYLOAD (bytes) and PTYPE,
	signed by KEY (a Key) over PAE(PTYPE, SIGNED or PAYLOAD); MATERIAL:
	verificationMaterial (default a public-key hint, as cosign writes
	for keys); SIGS: the signatures list as is; EXTRA: more members."""
	b64 = lambda b: base64.b64encode(b).decode()
	sig = key.sign(pae(ptype, payload if signed is None else signed),
	    {"p384": "sha384", "p521": "sha512"}.get(key.kind, "sha256"))
	b = {"mediaType": media, "verificationMaterial": material or
	    {"publicKey": {"hint": "ivlite-test"}}, "dsseEnvelope": {
	    "payload": b64(payload), "payloadType": ptype, "signatures":
	    [{"sig": b64(sig)}] if sigs is None else sigs}}
	b.update(extra)
	return _compact(b)


def bundle_manifest(subject, blob_digest, blob_size, layer_type=MT_BUNDLE):
	"""(manifest bytes, config bytes) of a bundle referrer of SUBJECT,
	laid out as cosign 3 writes it (sigstore-bundle.md §2.3)."""
	cfg = b"{}"
	return _compact({"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
	    "artifactType": MT_BUNDLE, "config": {"mediaType": MT_EMPTY,
	    "size": 2, "digest": labmod.sha256_digest(cfg)}, "layers": [
	    {"mediaType": layer_type, "size": blob_size, "digest":
	    blob_digest}], "subject": {"mediaType": MT_OCI_MANIFEST, "size":
	    100, "digest": subject}}), cfg


def attach_bundle(reg, repo, digest, blob):
	"""Push BLOB (a bundle) as a referrer of REPO@DIGEST on a registry
	without the referrers API (docker-registry 2.8): the blob, the
	config, the referrer manifest and the index tagged sha256-<hex>
	(replacing any); returns the referrer manifest's digest."""
	man, cfg = bundle_manifest(digest, put_blob(reg, repo, blob), len(blob))
	put_blob(reg, repo, cfg)
	md = put_manifest(reg, repo, labmod.sha256_digest(man), man,
	    MT_OCI_MANIFEST)
	put_manifest(reg, repo, digest.replace(":", "-", 1), _compact({
	    "schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": [{
	    "mediaType": MT_OCI_MANIFEST, "digest": md, "size": len(man),
	    "artifactType": MT_BUNDLE}]}), MT_OCI_INDEX)
	return md


def get(reg, repo, path, accept=MT_OCI_MANIFEST):
	"""(status, Content-Type, body) of GET /v2/REPO/PATH."""
	st, hd, body = _request(reg, "GET", "%s/v2/%s/%s" % (reg.url, repo,
	    path), repo, headers={"Accept": accept})
	return st, (hd.get("Content-Type") or "").split(";")[0].strip(), body


# --- a registry whose answers the test chooses -------------------------------------

class FakeRegistry:
	"""A registry-shaped plain-HTTP server on 127.0.0.1.

	GET /v2/ answers 200 {}; set(path, status, body, content_type,
	headers) fixes the answer for a path (e.g. "/v2/app/manifests/
	sha256-….sig"); anything else is 404 MANIFEST_UNKNOWN / BLOB_UNKNOWN.
	`requests` lists (method, path).  Body length is always sent as
	Content-Length.
	"""

	def __init__(self, lab):
		self.routes = {}
		self.requests = []
		self.lock = threading.Lock()
		fake = self

		class H(http.server.BaseHTTPRequestHandler):
			protocol_version = "HTTP/1.1"

			def log_message(self, *a):
				pass

			def do_HEAD(self):
				self.do_GET(head=True)

			def do_GET(self, head=False):
				path = urllib.parse.urlsplit(self.path).path
				with fake.lock:
					fake.requests.append((self.command, path))
					ans = fake.routes.get(path)
				if path in ("/v2", "/v2/"):
					ans = (200, b"{}", "application/json", {})
				if ans is None:
					code = "BLOB_UNKNOWN" if "/blobs/" in path else \
					    "MANIFEST_UNKNOWN"
					ans = (404, _compact({"errors": [{"code": code,
					    "message": code.lower().replace("_", " "),
					    "detail": None}]}), "application/json", {})
				st, body, ct, extra = ans
				self.send_response(st)
				if ct:
					self.send_header("Content-Type", ct)
				self.send_header("Content-Length", str(len(body)))
				self.send_header("Docker-Distribution-Api-Version",
				    "registry/2.0")
				for k, v in extra.items():
					self.send_header(k, v)
				self.end_headers()
				if not head:
					self.wfile.write(body)

		class S(http.server.ThreadingHTTPServer):
			daemon_threads = True

			def handle_error(self, request, client_address):
				pass	# a client hanging up early is not news

		self.server = S(("127.0.0.1", 0), H)
		self.port = self.server.server_address[1]
		self.close = labmod.serve(lab, self.server)

	@property
	def host(self):
		return "127.0.0.1:%d" % self.port

	def set(self, path, status, body=b"", content_type="application/json",
	    headers=None):
		with self.lock:
			self.routes[path] = (status, body, content_type,
			    dict(headers or {}))

	def serve_attachment(self, repo, digest, layers, media_type=None,
	    blob_override=None):
		"""Serve the .sig manifest for REPO@DIGEST and its blobs.

		media_type: the Content-Type (default OCI); blob_override:
		{payload digest: bytes served instead}."""
		man = _compact({"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
		    "config": {"mediaType": MT_OCI_CONFIG, "size": 2,
		    "digest": labmod.sha256_digest(b"{}")},
		    "layers": [ly.descriptor() for ly in layers]})
		self.set("/v2/%s/manifests/%s" % (repo, sig_tag(digest)), 200,
		    man, MT_OCI_MANIFEST if media_type is None else media_type,
		    {"Docker-Content-Digest": labmod.sha256_digest(man)})
		for ly in layers:
			d = labmod.sha256_digest(ly.payload)
			self.set("/v2/%s/blobs/%s" % (repo, d), 200,
			    (blob_override or {}).get(d, ly.payload),
			    "application/octet-stream")
		return man
