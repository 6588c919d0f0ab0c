#!/usr/bin/python3
"""A misbehaving registry for ivlite's HTTP client tests.

Hostile runs a set of listeners on 127.0.0.1, each a raw-socket HTTP/1.1
server (TLS from the lab's test CA where the name starts with "tls"), so
that every byte on the wire is chosen here.  Apart from the misbehaviour
under test, answers are registry-shaped: GET /v2/ is 200 {}, a manifest
(tag "v1" or its digest) is an OCI manifest with Content-Type,
Content-Length and Docker-Content-Digest, its config and layer blobs are
served by digest, anything else is a 404 with a distribution error body.

The misbehaviour is chosen by the repository name on the "plain", "tls",
"tls-basic" and "tls-b" listeners (see BEHAVIOURS), or by the listener
itself (stall, trickle, tls-hangup, tls13, tls-chain (a leaf with an
intermediate), tls-nc* (an intermediate or a root with name constraints),
ping404, the bearer-* challenge variants, ping200-401).  Redirects go
through /hop/CODE/STYLE/KIND/REF/N URLs that count down to the content
(N = redirects still to come).

Every request is recorded (listener, method, path, Host, whether an
Authorization header came, Accept, Accept-Encoding) with a connection
number, so tests can count requests and connections and check that a
header was or was not sent.  Secrets are never recorded.

Standard library only (plus the lab's Pki); run with Debian's
/usr/bin/python3.
"""

import base64
import gzip
import hashlib
import json
import socket
import threading
import time

import lab as labmod

MT_MANIFEST = labmod.MT_OCI_MANIFEST
MAX_MANIFEST = 4 << 20		# ivlite's manifest cap (config.h)
HOSTILE_USER = ("hostuser", "hostpass")
TOKEN_PREFIX = "hostile-token-"

# bearer-* listeners: name -> (WWW-Authenticate header values, with {realm}
# standing for the token URL; token JSON field; the service= value the token
# request must carry, None if none)
CHALLENGES = {
	"bearer-plain": (['Bearer realm="{realm}",service="hostile",'
	    'scope="repository:app:pull"'], "token", "hostile"),
	"bearer-upper": (['BEARER REALM="{realm}", SERVICE="hostile"'],
	    "token", "hostile"),
	"bearer-escapes": (['Bearer realm="{realm}",service="ho\\st\\"ile"'],
	    "token", 'host"ile'),
	"bearer-params": (['Bearer foo="a,b=c" , realm = "{realm}" , '
	    'service = hostile, error=invalid_token, x=""'], "token",
	    "hostile"),
	"bearer-twoinline": (['Basic realm="basic-realm", Bearer '
	    'realm="{realm}",service="hostile"'], "token", "hostile"),
	"bearer-twolines": (['Basic realm="basic-realm"',
	    'Bearer realm="{realm}",service="hostile"'], "token", "hostile"),
	"bearer-noservice": (['Bearer realm="{realm}"'], "token", None),
	"bearer-accesstoken": (['Bearer realm="{realm}",service="hostile"'],
	    "access_token", "hostile"),
}

# what each repository name on the behaviour listeners does (documentation;
# the code is Hostile._behave)
BEHAVIOURS = """
ok                 plain registry answers
redir/C/N[/S]      N redirects with status C; S: path (default: /hop/..),
                   rel (Location "N-1", relative to the current path),
                   dots (Location "../v1/N-1"), abs (absolute URL)
redir/nolocation   302 without Location
cross/port         307 to https://127.0.0.1:<tls-b>/…   (tls-basic only)
cross/host         307 to https://localhost:<tls-b>/…
cross/same         307 to the same scheme, host and port (absolute URL)
downgrade          307 from https to http://127.0.0.1:<plain>/…
hdr/ok             58 KiB header block, a 14 KiB line, 90 fields: fine
hdr/block          70 KiB header block (5 lines of 14 KiB)
hdr/line           one 17 KiB header line
hdr/fields         110 header fields
body/max           a manifest of exactly 4 MiB (fine)
body/big           4 MiB + 1 with Content-Length
body/bigchunked    4 MiB + 1 chunked, no length
body/bigclose      4 MiB + 1 until close, no length
chunked/ok         chunk extensions, upper-case hex, a trailer
chunked/hex17      chunk size in 17 hex digits (leading zeros)
chunked/nocrlf     data not followed by CRLF
chunked/truncated  connection closed inside a chunk
chunked/huge       chunk size FFFFFFFFFFFF, then close
frame/clte         Content-Length 10 and chunked: chunked wins (fine)
frame/cl2          two different Content-Lengths
frame/cllist       Content-Length: N, N
frame/cldup        two equal Content-Lengths (fine)
frame/tegzip       Transfer-Encoding: gzip, chunked
frame/close        no length, body ends at close (fine)
frame/short        Content-Length 100 more than sent, then close
frame/gzip         Content-Encoding: gzip
frame/barelf       LF-only line ends (fine)
frame/continue     100 Continue before the 200 (fine)
frame/obsfold      a folded header line (fine)
frame/http10       HTTP/1.0 status line with a length (fine)
frame/ctparam      Content-Type in capitals with a charset (fine)
digest/body        by digest: other bytes than asked for
digest/header      Docker-Content-Digest names other bytes
digest/blob        blobs: other bytes than asked for
status/429once/X   429 Retry-After: 1 once per path, then fine (X: any
                   name, so each case has a fresh path)
status/429long     always 429 Retry-After: 30
status/429always   always 429, no Retry-After
status/500         500
status/403         403 DENIED
status/404         404 MANIFEST_UNKNOWN
status/schema1     schema1 Content-Type
stall/body         headers, then no body
trunc/body         half the body, then the connection is cut
"""


def _j(obj):
	return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def _digest(b):
	return "sha256:" + hashlib.sha256(b).hexdigest()


class Content:
	"""The fixed image the hostile registry serves."""

	def __init__(self):
		layer, diff_id = labmod._layer("hostile registry layer")
		self.layer = layer
		self.config = _j({"architecture": "amd64", "os": "linux",
		    "rootfs": {"type": "layers", "diff_ids": [diff_id]}})
		self.manifest = self.make_manifest()
		self.digest = _digest(self.manifest)
		self.blobs = {_digest(self.config): self.config,
		    _digest(layer): layer}
		self.config_digest = _digest(self.config)
		self.layer_digest = _digest(layer)
		self.other = self.make_manifest({"other": "bytes"})
		self.max = self.make_manifest(size=MAX_MANIFEST)

	def make_manifest(self, annotations=None, size=None):
		m = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
		    "config": {"mediaType": labmod.MT_OCI_CONFIG,
		    "digest": _digest(self.config), "size": len(self.config)},
		    "layers": [{"mediaType": labmod.MT_OCI_LAYER_GZ,
		    "digest": _digest(self.layer), "size": len(self.layer)}]}
		if annotations:
			m["annotations"] = annotations
		if size is None:
			return _j(m)
		m["annotations"] = {"pad": ""}
		m["annotations"]["pad"] = "p" * (size - len(_j(m)))
		b = _j(m)
		assert len(b) == size
		return b


class Request:
	def __init__(self, method, target, version, headers):
		self.method = method
		self.target = target
		self.version = version
		self.headers = headers		# [(lower name, value)]

	def header(self, name):
		for k, v in self.headers:
			if k == name:
				return v
		return None


class Hangup(Exception):
	"""Close the connection without a (complete) answer."""


class Listener:
	"""One listening socket and the threads serving its connections."""

	def __init__(self, hostile, name, mode, ctx=None):
		self.h = hostile
		self.name = name
		self.mode = mode
		self.ctx = ctx
		self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		self.sock.bind(("127.0.0.1", 0))
		self.sock.listen(64)
		self.port = self.sock.getsockname()[1]
		self.accepted = 0
		self.scheme = "https" if ctx or mode == "tls-hangup" else "http"
		threading.Thread(target=self._accept, daemon=True).start()

	@property
	def host(self):
		return "127.0.0.1:%d" % self.port

	def url(self, host=None):
		return "%s://%s" % (self.scheme, host or self.host)

	def _accept(self):
		while not self.h.closed:
			try:
				c, _ = self.sock.accept()
			except OSError:
				return
			with self.h.lock:
				self.accepted += 1
				n = self.accepted
			self.h.track(c)
			threading.Thread(target=self._serve, args=(c, n),
			    daemon=True).start()

	def _serve(self, c, conn_no):
		try:
			c.settimeout(30)
			if self.mode == "stall":
				self.h.wait_closed()
				return
			if self.mode == "tls-hangup":
				c.recv(4096)		# the ClientHello
				return
			if self.ctx is not None:
				c.settimeout(10)
				c = self.ctx.wrap_socket(c, server_side=True)
				self.h.track(c)
				c.settimeout(30)
			rf = c.makefile("rb")
			while not self.h.closed:
				req = read_request(rf)
				if req is None:
					return
				self.h.record(self, req, conn_no)
				if not self.h.respond(self, c, req) or \
				    (req.header("connection") or "").lower() == "close":
					return
		except (OSError, Hangup, ValueError):
			pass
		finally:
			try:
				c.close()
			except OSError:
				pass


def read_request(rf):
	"""A Request from the buffered reader RF, or None at EOF/garbage."""
	line = rf.readline(65537)
	if not line:
		return None
	parts = line.decode("latin-1").rstrip("\r\n").split(" ")
	if len(parts) != 3:
		return None
	headers, total = [], 0
	while True:
		ln = rf.readline(65537)
		total += len(ln)
		if not ln or total > 1 << 20:
			return None
		ln = ln.decode("latin-1").rstrip("\r\n")
		if not ln:
			break
		k, _, v = ln.partition(":")
		headers.append((k.strip().lower(), v.strip()))
	r = Request(parts[0], parts[1], parts[2], headers)
	n = r.header("content-length")
	if n and n.isdigit():
		rf.read(min(int(n), 1 << 20))
	return r


def response(status, reason, headers=(), body=b"", length=True,
    eol=b"\r\n", version=b"HTTP/1.1"):
	"""Bytes of a response; headers as (name, value) pairs."""
	out = [b"%s %d %s" % (version, status, reason.encode())]
	for k, v in headers:
		out.append(("%s: %s" % (k, v)).encode("latin-1"))
	if length:
		out.append(b"Content-Length: %d" % len(body))
	return eol.join(out) + eol + eol + body


def error_body(code, message):
	return _j({"errors": [{"code": code, "message": message,
	    "detail": None}]})


def raw_get(host, port, path, ctx=None, headers=(), timeout=3.0,
    limit=16 << 20):
	"""Send one GET (Connection: close) and read until EOF, LIMIT bytes
	or TIMEOUT seconds; return (bytes, timed_out).  For the lab's own
	checks of what a listener puts on the wire."""
	s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
	try:
		if ctx is not None:
			s = ctx.wrap_socket(s, server_hostname=host.rsplit(":", 1)[0])
		req = "GET %s HTTP/1.1\r\nHost: %s\r\n" % (path, host)
		for k, v in headers:
			req += "%s: %s\r\n" % (k, v)
		s.sendall((req + "Connection: close\r\n\r\n").encode())
		out = b""
		end = time.monotonic() + timeout
		while len(out) < limit:
			left = end - time.monotonic()
			if left <= 0:
				return out, True
			s.settimeout(left)
			try:
				d = s.recv(65536)
			except socket.timeout:
				return out, True
			except OSError:
				break
			if not d:
				break
			out += d
		return out, False
	finally:
		s.close()


def chunked(body, size=4096, ext=b"", upper=False, trailer=b""):
	out = b""
	for i in range(0, len(body), size):
		part = body[i:i + size]
		n = (b"%X" if upper else b"%x") % len(part)
		out += n + ext + b"\r\n" + part + b"\r\n"
	return out + b"0\r\n" + trailer + b"\r\n"


class Hostile:
	"""All hostile listeners of one lab (see the module comment)."""

	PLAIN = ("plain", "stall", "trickle", "ping404", "ping200-401")
	TLS = ("tls", "tls-basic", "tls-b", "tls13")

	def __init__(self, lab, pki):
		import ssl
		self.lab = lab
		self.pki = pki
		self.lock = threading.Lock()
		self.closed = False
		self._closed_ev = threading.Event()
		self._socks = []
		self.requests = []
		self.counters = {}
		self.tokens = set()
		self.content = Content()
		self.leaf = pki.issue("hostile", dns=["localhost"],
		    ips=["127.0.0.1"])
		ctx = pki.server_context(self.leaf)
		ctx13 = pki.server_context(self.leaf,
		    minimum=ssl.TLSVersion.TLSv1_3)
		self.listeners = {}
		for name in self.PLAIN:
			self._add(name, name)
		for name in self.TLS:
			self._add(name, name, ctx13 if name == "tls13" else ctx)
		self._add("tls-hangup", "tls-hangup")
		# tls-chain sends its leaf with an intermediate of chain_root
		self.chain_root = labmod.Pki(lab, cn="ivlite chain root",
		    name="chain-root")
		inter = labmod.Pki(lab, cn="ivlite chain intermediate",
		    name="chain-inter", parent=self.chain_root)
		self._add("tls-chain", "tls-chain", inter.server_context(
		    inter.issue("hostile-chain", dns=["localhost"],
		    ips=["127.0.0.1"])))
		# tls-nc*: the same root, an intermediate with name constraints
		# (permitted, excluded; critical for tls-nc-crit); tls-nc-root: a
		# root of its own that excludes localhost issues the leaf
		self.nc = {}
		for name, nc, crit in (
		    ("tls-nc", ([("dns", "example.com")], ()), False),
		    ("tls-nc-ok", ([("dns", "localhost"), ("ip", "127.0.0.0/8")],
		    ()), False),
		    ("tls-nc-ip", ([("dns", "localhost"), ("ip", "10.0.0.0/8")],
		    ()), False),
		    ("tls-nc-crit", ([("dns", "localhost"), ("ip",
		    "127.0.0.0/8")], ()), True)):
			ca = labmod.Pki(lab, cn="ivlite %s intermediate" % name,
			    name=name + "-inter", parent=self.chain_root, nc=nc,
			    nc_critical=crit)
			self._nc_add(name, ca, self.chain_root)
		self.nc_root = labmod.Pki(lab, cn="ivlite excluding root",
		    name="nc-root", nc=((), [("dns", "localhost")]))
		self._nc_add("tls-nc-root", self.nc_root, self.nc_root)
		# tls-nc-root-crit: the same, the extension critical (RFC 5280)
		crit_root = labmod.Pki(lab, cn="ivlite critically excluding root",
		    name="nc-root-crit", nc=((), [("dns", "localhost")]),
		    nc_critical=True)
		self._nc_add("tls-nc-root-crit", crit_root, crit_root)
		for name in CHALLENGES:
			self._add(name, "bearer")
		lab.on_close(self.close)

	def _nc_add(self, name, ca, root):
		"""Listener NAME serving a leaf for localhost and 127.0.0.1
		issued by CA (under ROOT); self.nc[NAME] is (CA, leaf, ROOT)."""
		leaf = ca.issue(name, dns=["localhost"], ips=["127.0.0.1"])
		self.nc[name] = (ca, leaf, root)
		self._add(name, "tls-chain", ca.server_context(leaf))

	def _add(self, name, mode, ctx=None):
		li = Listener(self, name, mode, ctx)
		self.listeners[name] = li
		self.track(li.sock)

	def __getitem__(self, name):
		return self.listeners[name]

	def track(self, s):
		with self.lock:
			self._socks.append(s)

	def wait_closed(self):
		self._closed_ev.wait()

	def close(self):
		self.closed = True
		self._closed_ev.set()
		with self.lock:
			socks = list(self._socks)
		for s in socks:
			try:
				s.close()
			except OSError:
				pass

	# --- the request log ------------------------------------------------

	def record(self, li, req, conn_no):
		auth = req.header("authorization")
		with self.lock:
			self.requests.append({"listener": li.name, "conn": conn_no,
			    "method": req.method, "path": req.target,
			    "host": req.header("host"), "auth": auth is not None,
			    "accept": req.header("accept"),
			    "accept-encoding": req.header("accept-encoding"),
			    "user-agent": req.header("user-agent")})

	def log(self, listener=None, path=None):
		"""Recorded requests, optionally of one listener and with PATH
		contained in the request target."""
		with self.lock:
			return [r for r in self.requests
			    if (listener is None or r["listener"] == listener)
			    and (path is None or path in r["path"])]

	def connections(self, listener):
		return self.listeners[listener].accepted

	# --- answers ----------------------------------------------------------

	def respond(self, li, c, req):
		"""Write the answer to REQ on C; False: close the connection."""
		path = req.target.split("?", 1)[0]
		mode = li.mode
		if mode == "trickle":
			data = response(200, "OK", [("Content-Type",
			    "application/json")], b"{}")
			for b in data:
				if self.closed:
					raise Hangup()
				c.sendall(bytes([b]))
				time.sleep(1)
			return True
		if mode == "bearer" or mode == "ping200-401":
			if path == "/token":
				return self._token(li, c, req)
			if not self._bearer_ok(req) and (path != "/v2/" or
			    mode == "bearer"):
				return self._challenge(li, c, req, path)
		if mode == "tls-basic" and not self._basic_ok(req):
			c.sendall(response(401, "Unauthorized", [
			    ("WWW-Authenticate", 'Basic realm="hostile"'),
			    ("Content-Type", "application/json")],
			    error_body("UNAUTHORIZED", "authentication required")))
			return True
		if path == "/v2/" or path == "/v2":
			if mode == "ping404":
				c.sendall(response(404, "Not Found", [("Content-Type",
				    "text/plain; charset=utf-8")],
				    b"404 page not found\n"))
				return True
			c.sendall(response(200, "OK", [("Content-Type",
			    "application/json"), ("Docker-Distribution-Api-Version",
			    "registry/2.0")], b"{}"))
			return True
		if path.startswith("/hop/"):
			return self._hop(li, c, req, path)
		kind = repo = ref = None
		for k, sep in (("manifest", "/manifests/"), ("blob", "/blobs/")):
			if path.startswith("/v2/") and sep in path:
				repo, _, ref = path[4:].rpartition(sep)
				kind = k
				break
		if kind is None:
			c.sendall(response(404, "Not Found", [("Content-Type",
			    "text/plain; charset=utf-8")], b"404 page not found\n"))
			return True
		return self._behave(li, c, req, repo, kind, ref)

	def _basic_ok(self, req):
		a = req.header("authorization") or ""
		want = base64.b64encode(("%s:%s" % HOSTILE_USER).encode()).decode()
		return a == "Basic " + want

	def _bearer_ok(self, req):
		a = req.header("authorization") or ""
		return a.startswith("Bearer ") and a[7:] in self.tokens

	def _challenge(self, li, c, req, path):
		realm = "%s/token" % li.url()
		if li.name in CHALLENGES:
			vals = CHALLENGES[li.name][0]
		else:
			vals = ['Bearer realm="{realm}",service="hostile"']
		hdrs = [("WWW-Authenticate", v.replace("{realm}", realm))
		    for v in vals]
		hdrs.append(("Content-Type", "application/json"))
		c.sendall(response(401, "Unauthorized", hdrs,
		    error_body("UNAUTHORIZED", "authentication required")))
		return True

	def _token(self, li, c, req):
		import secrets
		tok = TOKEN_PREFIX + secrets.token_hex(16)
		with self.lock:
			self.tokens.add(tok)
		field = CHALLENGES[li.name][1] if li.name in CHALLENGES \
		    else "token"
		c.sendall(response(200, "OK", [("Content-Type",
		    "application/json")], _j({field: tok})))
		return True

	def _count(self, li, path):
		with self.lock:
			k = (li.name, path)
			self.counters[k] = self.counters.get(k, 0) + 1
			return self.counters[k]

	def _hop_url(self, code, style, n, kind, ref):
		return "/hop/%s/%s/%s/%s/%d" % (code, style, kind, ref, n)

	def _redirect(self, c, code, location):
		c.sendall(response(int(code), "Redirect", [("Location",
		    location), ("Content-Type", "text/html")], b"<a>moved</a>"))
		return True

	def _hop(self, li, c, req, path):
		# /hop/CODE/STYLE/KIND/REF/N
		p = path.split("/")
		if len(p) != 7 or not p[6].isdigit():
			c.sendall(response(404, "Not Found", [("Content-Type",
			    "text/plain")], b"no such hop (dot segments?)\n"))
			return True
		_, _, code, style, kind, ref, n = p
		n = int(n)
		if n <= 0:
			return self._serve_content(c, req, kind, ref)
		nxt = self._hop_url(code, style, n - 1, kind, ref)
		if style == "rel":
			nxt = "%d" % (n - 1)
		elif style == "dots":
			nxt = "../%s/%d" % (ref, n - 1)
		elif style == "abs":
			nxt = li.url() + nxt
		return self._redirect(c, code, nxt)

	def _serve_content(self, c, req, kind, ref, dcd=True, ctype=None,
	    body=None, extra=()):
		"""The normal answer for a manifest or blob REF."""
		ct = self.content
		if kind == "manifest":
			if body is None and ref not in ("v1", ct.digest):
				c.sendall(response(404, "Not Found", [("Content-Type",
				    "application/json")], error_body(
				    "MANIFEST_UNKNOWN", "manifest unknown")))
				return True
			body = ct.manifest if body is None else body
			hdrs = [("Content-Type", ctype or MT_MANIFEST)]
		else:
			if body is None and ref not in ct.blobs:
				c.sendall(response(404, "Not Found", [("Content-Type",
				    "application/json")], error_body("BLOB_UNKNOWN",
				    "blob unknown to registry")))
				return True
			body = ct.blobs[ref] if body is None else body
			hdrs = [("Content-Type", "application/octet-stream")]
		if dcd:
			hdrs.append(("Docker-Content-Digest", _digest(body)))
		hdrs += list(extra)
		c.sendall(response(200, "OK", hdrs, body))
		return True

	def _behave(self, li, c, req, repo, kind, ref):
		ct = self.content
		parts = repo.split("/")
		top = parts[0]
		arg = parts[1] if len(parts) > 1 else ""
		body = ct.manifest if kind == "manifest" else \
		    ct.blobs.get(ref, b"")
		mhdr = [("Content-Type", MT_MANIFEST if kind == "manifest"
		    else "application/octet-stream")]

		if top == "redir":
			if arg == "nolocation":
				c.sendall(response(302, "Found", [], b""))
				return True
			code, n = arg, int(parts[2])
			style = parts[3] if len(parts) > 3 else "path"
			nxt = self._hop_url(code, style, n - 1, kind, ref)
			if style == "abs":
				nxt = li.url() + nxt
			return self._redirect(c, code, nxt)
		if top == "cross":
			b = self.listeners["tls-b"]
			nxt = self._hop_url(307, "path", 0, kind, ref)
			if arg == "port":
				loc = b.url() + nxt
			elif arg == "host":
				loc = b.url("localhost:%d" % b.port) + nxt
			else:
				loc = li.url() + nxt
			return self._redirect(c, 307, loc)
		if top == "downgrade":
			p = self.listeners["plain"]
			return self._redirect(c, 307, p.url() + self._hop_url(307,
			    "path", 0, kind, ref))
		if top == "hdr":
			big = "h" * (14 << 10)
			if arg == "ok":
				extra = [("X-Big-%d" % i, big) for i in range(4)] + \
				    [("X-Field-%d" % i, "v") for i in range(80)]
			elif arg == "block":
				extra = [("X-Big-%d" % i, big) for i in range(5)]
			elif arg == "line":
				extra = [("X-Long", "l" * (17 << 10))]
			else:
				extra = [("X-Field-%d" % i, "v") for i in range(110)]
			return self._serve_content(c, req, kind, ref, extra=extra)
		if top == "body" and kind == "manifest":
			if arg == "max":
				return self._serve_content(c, req, kind, ref,
				    body=ct.max)
			big = b" " * (MAX_MANIFEST + 1)
			if arg == "big":
				c.sendall(response(200, "OK", mhdr, big))
				return True
			if arg == "bigchunked":
				c.sendall(response(200, "OK", mhdr + [
				    ("Transfer-Encoding", "chunked")], chunked(big,
				    65536), length=False))
				return True
			c.sendall(response(200, "OK", mhdr + [("Connection",
			    "close")], big, length=False))
			return False
		if top == "chunked":
			hdrs = mhdr + [("Transfer-Encoding", "chunked"),
			    ("Docker-Content-Digest", _digest(body))]
			head = response(200, "OK", hdrs, length=False)
			if arg == "ok":
				c.sendall(head + chunked(body, 100, b";ext=1;q=\"a\"",
				    upper=True, trailer=b"X-Trailer: done\r\n"))
				return True
			if arg == "hex17":
				c.sendall(head + b"%017x\r\n" % len(body) + body +
				    b"\r\n0\r\n\r\n")
				return True
			if arg == "nocrlf":
				c.sendall(head + b"%x\r\n" % 10 + body[:10] + b"XX" +
				    b"%x\r\n" % (len(body) - 10) + body[10:] +
				    b"\r\n0\r\n\r\n")
				return True
			if arg == "truncated":
				c.sendall(head + b"%x\r\n" % len(body) +
				    body[:len(body) // 2])
				raise Hangup()
			c.sendall(head + b"FFFFFFFFFFFF\r\n" + body)
			raise Hangup()
		if top == "frame":
			return self._frame(c, req, kind, ref, arg, body, mhdr)
		if top == "digest":
			if arg == "body" and kind == "manifest" and ref == ct.digest:
				return self._serve_content(c, req, kind, ref,
				    body=ct.other)
			if arg == "header":
				return self._serve_content(c, req, kind, ref,
				    dcd=False, extra=[("Docker-Content-Digest",
				    _digest(ct.other))])
			if arg == "blob" and kind == "blob":
				return self._serve_content(c, req, kind, ref,
				    body=b"not the blob you asked for")
			return self._serve_content(c, req, kind, ref)
		if top == "status":
			return self._status(li, c, req, kind, ref, arg)
		if top == "stall":
			c.sendall(response(200, "OK", mhdr, b"", length=False)[:-2]
			    + b"Content-Length: %d\r\n\r\n" % len(body))
			self.wait_closed()
			raise Hangup()
		if top == "trunc":
			c.sendall(response(200, "OK", mhdr, body)[:-(len(body) // 2)])
			raise Hangup()
		return self._serve_content(c, req, kind, ref)

	def _frame(self, c, req, kind, ref, arg, body, mhdr):
		dcd = [("Docker-Content-Digest", _digest(body))]
		if arg == "clte":
			c.sendall(response(200, "OK", mhdr + dcd + [
			    ("Content-Length", "10"), ("Transfer-Encoding",
			    "chunked")], chunked(body, 64), length=False))
			return True
		if arg in ("cl2", "cllist", "cldup"):
			n = len(body)
			cl = {"cl2": [("Content-Length", str(n)),
			    ("Content-Length", str(n + 1))],
			    "cllist": [("Content-Length", "%d, %d" % (n, n))],
			    "cldup": [("Content-Length", str(n)),
			    ("Content-Length", str(n))]}[arg]
			c.sendall(response(200, "OK", mhdr + dcd + cl, body,
			    length=False))
			return arg == "cldup"
		if arg == "tegzip":
			c.sendall(response(200, "OK", mhdr + dcd + [
			    ("Transfer-Encoding", "gzip, chunked")],
			    chunked(gzip.compress(body, mtime=0)), length=False))
			return False
		if arg == "close":
			c.sendall(response(200, "OK", mhdr + dcd + [("Connection",
			    "close")], body, length=False))
			return False
		if arg == "short":
			c.sendall(response(200, "OK", mhdr + dcd + [
			    ("Content-Length", str(len(body) + 100))], body,
			    length=False))
			raise Hangup()
		if arg == "gzip":
			c.sendall(response(200, "OK", mhdr + dcd + [
			    ("Content-Encoding", "gzip")],
			    gzip.compress(body, mtime=0)))
			return True
		if arg == "barelf":
			c.sendall(response(200, "OK", mhdr + dcd, body, eol=b"\n"))
			return True
		if arg == "continue":
			c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n" +
			    response(200, "OK", mhdr + dcd, body))
			return True
		if arg == "obsfold":
			c.sendall(response(200, "OK", [("X-Folded", "first\r\n"
			    "  second")] + mhdr + dcd, body))
			return True
		if arg == "http10":
			c.sendall(response(200, "OK", mhdr + dcd, body,
			    version=b"HTTP/1.0"))
			return False
		if arg == "ctparam":
			ctype = mhdr[0][1].upper() if kind == "manifest" else \
			    mhdr[0][1]
			c.sendall(response(200, "OK", [("Content-Type", ctype +
			    "; charset=utf-8")] + dcd, body))
			return True
		return self._serve_content(c, req, kind, ref)

	def _status(self, li, c, req, kind, ref, arg):
		path = req.target
		ebody = lambda code, msg: error_body(code, msg)
		jct = [("Content-Type", "application/json")]
		if arg == "429once" and self._count(li, path) > 1:
			return self._serve_content(c, req, kind, ref)
		if arg in ("429once", "429long", "429always"):
			ra = {"429once": [("Retry-After", "1")],
			    "429long": [("Retry-After", "30")],
			    "429always": []}[arg]
			c.sendall(response(429, "Too Many Requests", jct + ra,
			    ebody("TOOMANYREQUESTS", "slow down")))
			return True
		if arg == "500":
			c.sendall(response(500, "Internal Server Error", jct,
			    ebody("UNKNOWN", "lab failure")))
			return True
		if arg == "403":
			c.sendall(response(403, "Forbidden", jct,
			    ebody("DENIED", "requested access to the resource is "
			    "denied")))
			return True
		if arg == "404":
			c.sendall(response(404, "Not Found", jct,
			    ebody("MANIFEST_UNKNOWN", "manifest unknown")))
			return True
		if arg == "schema1" and kind == "manifest":
			return self._serve_content(c, req, kind, ref, ctype=
			    "application/vnd.docker.distribution.manifest.v1"
			    "+prettyjws")
		return self._serve_content(c, req, kind, ref)
