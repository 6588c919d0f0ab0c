#!/usr/bin/python3
"""A small OCI registry with the referrers API, for sigstoreBundle tests.

Debian 12's docker-registry (distribution 2.8) predates OCI distribution
1.1: it has no GET /v2/<name>/referrers/<digest>, so cosign 3 falls back
to the referrers tag schema there (the index tagged sha256-<hex>).  The
referrers API path of ivlite needs a registry that has the API, and
hostile variants of it no real registry produces on request: endless
Link pages, pages of thousands of descriptors, a filter applied that was
not asked for.  OciRegistry is that registry, in memory, from the
distribution-spec text (spec.md: pull, push, "Listing Referrers",
"Pushing Manifests with Subject"), not from any registry's code:

- pull: GET/HEAD /v2/, manifests by tag or digest, blobs;
- push, as go-containerregistry (cosign) and tests/cosign.py do it:
  POST /v2/<name>/blobs/uploads/ (a monolithic ?digest= too), PATCH,
  PUT ?digest=; PUT manifests by tag or digest, answered with
  OCI-Subject when the manifest has a subject, so cosign 3 attaches
  bundles as referrers (no fallback tag);
- GET /v2/<name>/referrers/<digest>: an OCI index of the descriptors of
  every manifest whose subject is <digest> (mediaType, digest, size,
  artifactType: the manifest's own, else its config's, as the spec
  says), PAGE entries per page with Link: <…?page=N>; rel="next", the
  artifactType filter applied and said so with OCI-Filters-Applied.

Knobs for hostile cases (attributes, set by the test): page (entries per
page, 0: one page), endless (every page links to another), extra (raw
descriptors appended to every listing), filters (OCI-Filters-Applied
sent although nothing was asked), referrers (False: 404 like a registry
without the API), and set(path, status, body, content_type, headers)
to fix the answer for one path.  `requests` lists (method, path).

Standard library only; binds 127.0.0.1.
"""

import hashlib
import http.server
import json
import re
import socket
import threading
import urllib.parse

import lab as labmod

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def digest(data):
	return "sha256:" + hashlib.sha256(data).hexdigest()


def _err(code, msg):
	return json.dumps({"errors": [{"code": code, "message": msg}]}).encode()


class OciRegistry:
	"""The registry (duck-typed like lab.Registry for the lab helpers:
	host, url, scheme, ref(), get_manifest(), get_blob(), lab_headers(),
	opener())."""

	scheme = "http"

	def __init__(self, lab):
		self._opener = labmod._http
		self.lab = lab
		self.blobs = {}		# digest -> bytes
		self.manifests = {}	# (repo, digest) -> (bytes, media type)
		self.tags = {}		# (repo, tag) -> digest
		self.uploads = {}	# upload id -> bytearray
		self.routes = {}	# path -> (status, body, content type, headers)
		self.requests = []
		self.page = 0
		self.endless = False
		self.extra = []
		self.filters = False
		self.referrers = True
		self.lock = threading.Lock()
		reg = self

		class H(http.server.BaseHTTPRequestHandler):
			protocol_version = "HTTP/1.1"

			def setup(self):
				# headers and body go out in two writes: without this,
				# Nagle's algorithm holds the body for the client's
				# delayed ACK (40 ms a request)
				super().setup()
				self.connection.setsockopt(socket.IPPROTO_TCP,
				    socket.TCP_NODELAY, 1)

			def log_message(self, *a):
				pass

			def body(self):
				n = int(self.headers.get("Content-Length") or 0)
				return self.rfile.read(n) if n else b""

			def answer(self, st, body=b"", ct="application/json",
			    hdrs=None, head=False):
				self.send_response(st)
				if ct:
					self.send_header("Content-Type", ct)
				self.send_header("Content-Length", str(len(body)))
				self.send_header("Docker-Distribution-Api-Version",
				    "registry/2.0")
				for k, v in (hdrs or {}).items():
					self.send_header(k, v)
				self.end_headers()
				if not head:
					self.wfile.write(body)

			def route(self, head=False):
				u = urllib.parse.urlsplit(self.path)
				with reg.lock:
					reg.requests.append((self.command, u.path))
					fixed = reg.routes.get(u.path)
				if fixed:
					st, body, ct, hd = fixed
					return self.answer(st, body, ct, hd, head)
				try:
					st, body, ct, hd = reg.handle(self.command, u.path,
					    urllib.parse.parse_qs(u.query), self)
				except Exception as e:	# a bug here shows as a 500
					st, body, ct, hd = 500, _err("UNKNOWN", repr(e)), \
					    "application/json", {}
				self.answer(st, body, ct, hd, head)

			def do_GET(self):
				self.route()

			def do_HEAD(self):
				self.route(head=True)

			def do_POST(self):
				self.route()

			def do_PUT(self):
				self.route()

			def do_PATCH(self):
				self.route()

		class S(http.server.ThreadingHTTPServer):
			daemon_threads = True

			def handle_error(self, request, client_address):
				pass

		self.server = S(("127.0.0.1", 0), H)
		self.port = self.server.server_address[1]
		self.close = labmod.serve(lab, self.server)

	# --- what lab helpers expect of a registry ------------------------

	@property
	def host(self):
		return "127.0.0.1:%d" % self.port

	@property
	def url(self):
		return "http://" + self.host

	def opener(self):
		return self._opener

	def lab_headers(self, repo):
		return {}

	def ref(self, repo, tag=None, digest=None):
		r = "%s/%s" % (self.host, repo)
		return r + (":" + tag if tag else "") + ("@" + digest if digest
		    else "")

	def get_manifest(self, repo, ref):
		with self.lock:
			d = self.tags.get((repo, ref), ref)
			return self.manifests[(repo, d)]

	def get_blob(self, repo, d):
		return self.blobs[d]

	def set(self, path, status, body=b"", content_type="application/json",
	    headers=None):
		with self.lock:
			self.routes[path] = (status, body, content_type,
			    dict(headers or {}))

	def put(self, repo, data, media_type, tag=None):
		"""Store a manifest (bytes) directly; its digest."""
		d = digest(data)
		with self.lock:
			self.manifests[(repo, d)] = (data, media_type)
			if tag:
				self.tags[(repo, tag)] = d
		return d

	def put_blob(self, data):
		d = digest(data)
		with self.lock:
			self.blobs[d] = bytes(data)
		return d

	# --- the API -------------------------------------------------------

	def handle(self, method, path, q, h):
		if path in ("/v2", "/v2/"):
			return 200, b"{}", "application/json", {}
		m = re.fullmatch(r"/v2/(.+)/(manifests|blobs|referrers)/([^/]+)",
		    path)
		up = re.fullmatch(r"/v2/(.+)/blobs/uploads/([^/]*)", path)
		if up:
			return self.upload(method, up.group(1), up.group(2), q, h)
		if not m:
			return 404, _err("NOT_FOUND", "no route"), \
			    "application/json", {}
		repo, kind, ref = m.groups()
		if kind == "referrers":
			if not self.referrers:
				return 404, b"404 page not found\n", "text/plain", {}
			return self.list_referrers(repo, ref, q)
		if kind == "blobs":
			with self.lock:
				b = self.blobs.get(ref)
			if b is None:
				return 404, _err("BLOB_UNKNOWN", "blob unknown"), \
				    "application/json", {}
			return 200, b, "application/octet-stream", \
			    {"Docker-Content-Digest": ref}
		if method == "PUT":
			data = h.body()
			mt = (h.headers.get("Content-Type") or MT_MANIFEST)
			d = self.put(repo, data, mt, None if ref.startswith(
			    "sha256:") else ref)
			hd = {"Location": "/v2/%s/manifests/%s" % (repo, d),
			    "Docker-Content-Digest": d}
			sub = (json.loads(data).get("subject") or {}).get("digest")
			if sub and self.referrers:
				hd["OCI-Subject"] = sub
			return 201, b"", None, hd
		with self.lock:
			d = self.tags.get((repo, ref), ref)
			got = self.manifests.get((repo, d))
		if got is None:
			return 404, _err("MANIFEST_UNKNOWN", "manifest unknown"), \
			    "application/json", {}
		return 200, got[0], got[1], {"Docker-Content-Digest": d}

	def upload(self, method, repo, uid, q, h):
		data = h.body()
		with self.lock:
			if method == "POST":
				if "digest" in q:	# monolithic
					self.blobs[q["digest"][0]] = data
					return 201, b"", None, {"Docker-Content-Digest":
					    q["digest"][0]}
				uid = "u%d" % len(self.uploads)
				self.uploads[uid] = bytearray(data)
			elif uid not in self.uploads:
				return 404, _err("BLOB_UPLOAD_UNKNOWN", "no upload"), \
				    "application/json", {}
			else:
				self.uploads[uid] += data
			loc = "/v2/%s/blobs/uploads/%s" % (repo, uid)
			if method != "PUT":
				return 202, b"", None, {"Location": loc, "Range":
				    "0-%d" % max(len(self.uploads[uid]) - 1, 0)}
			blob = bytes(self.uploads.pop(uid))
			d = q.get("digest", [""])[0]
			if digest(blob) != d:
				return 400, _err("DIGEST_INVALID", "digest"), \
				    "application/json", {}
			self.blobs[d] = blob
		return 201, b"", None, {"Docker-Content-Digest": d,
		    "Location": "/v2/%s/blobs/%s" % (repo, d)}

	def descriptors(self, repo, subject):
		"""The referrers of SUBJECT in REPO, as the API lists them."""
		out = []
		with self.lock:
			items = sorted((k[1], v) for k, v in self.manifests.items()
			    if k[0] == repo)
		for d, (data, mt) in items:
			try:
				m = json.loads(data)
			except ValueError:
				continue
			if not isinstance(m, dict) or (m.get("subject") or {}).get(
			    "digest") != subject:
				continue
			desc = {"mediaType": m.get("mediaType", mt), "digest": d,
			    "size": len(data), "artifactType": m.get("artifactType")
			    or (m.get("config") or {}).get("mediaType")}
			if m.get("annotations"):
				desc["annotations"] = m["annotations"]
			out.append(desc)
		return out + list(self.extra)

	def list_referrers(self, repo, subject, q):
		descs = self.descriptors(repo, subject)
		hd = {}
		want = q.get("artifactType", [None])[0]
		if want:
			descs = [d for d in descs if d.get("artifactType") == want]
		if want or self.filters:
			hd["OCI-Filters-Applied"] = "artifactType"
		page = int(q.get("page", ["0"])[0])
		if self.page:
			last = (len(descs) + self.page - 1) // self.page - 1
			descs = descs[page * self.page:(page + 1) * self.page]
			if page < last or self.endless:
				hd["Link"] = '</v2/%s/referrers/%s?page=%d>; rel="next"' \
				    % (repo, subject, page + 1)
		idx = json.dumps({"schemaVersion": 2, "mediaType": MT_INDEX,
		    "manifests": descs}, separators=(",", ":")).encode()
		return 200, idx, MT_INDEX, hd
