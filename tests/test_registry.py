#!/usr/bin/python3
"""ivlite's registry client against real servers: Debian's docker-registry
in plain HTTP, TLS (certs.d, -ca-file, IPv6, name checks, client
certificates), htpasswd and token set-ups, and an HTTP CONNECT proxy.

Two programs are driven: ivlite itself in standalone mode (no -digest: it
resolves the tag, then judges with a policy that accepts anything from the
registry's scope, so "accepted REF@DIGEST" proves the fetch) and
tests/regfetch (the client alone: manifest, blob, image).  Errors are
asserted by exit code and the whole line, built from what varies per run
(ports, paths, digests); a pattern only where the wording is not ivlite's
nor the lab's to fix (CLIENT_CERT_REFUSED, RESOLVER_ERRORS).

Each "lab: …" case checks a set-up on its own (Python's ssl/urllib or
skopeo against it), so a failing ivlite case is not a broken lab.
Run through tests/integration.py.
"""

import base64
import json
import os
import re
import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request

import containerd
import lab as labmod
from integration import Fail, Skip

SYSTEM_CA = "/etc/ssl/certs/ca-certificates.crt"

# --- error lines whose middle is not ivlite's to fix ------------------------

# A TLS server refusing the client's certificate (or its absence) closes
# during the handshake: depending on timing the client's next send meets
# EPIPE, its receive a reset or the end of the stream, or it reads the
# alert first.  Formats: HOST, the hint after "handshake" (re).
# With TLS 1.3 the server refuses after the handshake, which the client
# has finished: the first send or receive meets it.
CLIENT_CERT_REFUSED = (r"error: %s: ((send: Broken pipe|receive: "
    r"Connection reset by peer) \(during the TLS (handshake|send|receive)"
    r"%s\)|TLS (handshake|receive): (NET - Connection was reset by peer|SSL "
    r"- The connection indicated an EOF|the server refused \(fatal alert: "
    r"no cipher suite in common, or a client certificate it wants\)))")
# getaddrinfo's message for a name that does not resolve: glibc's or
# musl's EAI_NONAME, or EAI_AGAIN where the resolver is unreachable
RESOLVER_ERRORS = ("Name or service not known", "Name does not resolve",
    "Temporary failure in name resolution")


def untrusted(host, cafile, certsd):
	"""The line of a TLS chain no configured CA signs."""
	return "error: %s: TLS: certificate not trusted (no CA in %s or %s/%s " \
	    "signs it)" % (host, cafile, certsd, host)


def tls_of(t):
	"""(mbedTLS version, speaks TLS 1.3?) of the ivlite under test, from
	the "tls" line of its -version (regfetch is built alike)."""
	if getattr(t, "tls_of", None) is None:
		r = containerd.run_direct([t.ivlite, "-version"], timeout=10)
		m = re.search(r"^tls +mbedTLS (\d+\.\d+\.\d+), TLS 1\.2"
		    r"( and 1\.3)?$", r.stdout.decode(errors="replace"), re.M)
		if not m:
			raise Fail("%s -version names no TLS library (want a line "
			    "\"tls mbedTLS X.Y.Z, TLS 1.2[ and 1.3]\"): %r"
			    % (t.ivlite, r.stdout[:200]))
		t.tls_of = (m.group(1), bool(m.group(2)))
	return t.tls_of


def tls_refused(t):
	"""Why a server that refuses every TLS version ivlite offers (fatal
	alert protocol_version) fails, as that build says it."""
	ver, tls13 = tls_of(t)
	if tls13:
		return "the server refused TLS 1.2 and 1.3, the versions this " \
		    "ivlite speaks (fatal alert: protocol version)"
	return "the server refused TLS 1.2, the one version this ivlite " \
	    "speaks (TLS 1.3 needs it built with mbedTLS 3.6, not %s) (fatal " \
	    "alert: protocol version)" % ver


def denied(host, repo, creds, status=401):
	"""The line of a registry refusing REPO; CREDS as ivlite names them."""
	return "error: %s: access denied to %s (HTTP %d; credentials: %s)" % (
	    host, repo, status, creds)


A = {"type": "insecureAcceptAnything"}
R = {"type": "reject"}
SECRET_WORDS = ("Authorization",)
NET_ELAPSED = 3.0		# seconds for a run that should not wait
PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "ALL_PROXY")


def lab_need(fn):
	"""Call FN(); a LabError (a set-up that cannot run) becomes Skip."""
	try:
		return fn()
	except labmod.LabError as e:
		raise Skip(str(e))


def faults_bin(t):
	"""tests/ivlite-faults, the IVLITE_FAULTS build (make builds it)."""
	p = os.path.join(t.root, "tests", "ivlite-faults")
	if not os.access(p, os.X_OK):
		raise Fail("tests/ivlite-faults is not built (make "
		    "tests/ivlite-faults)")
	return p


def alloc_sweep(argv, env):
	"""ARGV (the faults build) run once counting its arena allocations,
	then once with each failing in turn: every run must end in exit 3
	"out of memory", never a verdict or a "(null)" reason; Fail names the
	runs that did not."""
	import concurrent.futures
	go = lambda extra: containerd.run_direct(argv, stdin=b"", env=dict(env,
	    **extra))
	r = go({"IVLITE_FAULT": "count"})
	m = re.search(r"alloc=(\d+)", r.stderr)
	if r.exit != 0 or not m or int(m.group(1)) < 50:
		raise Fail("count run: exit %r, %r, %r" % (r.exit, r.reason,
		    r.stderr[-300:]))
	n = int(m.group(1))

	def one(i):
		r = go({"IVLITE_FAULT": "alloc:%d" % i})
		if r.exit != 3 or "out of memory" not in r.reason or \
		    b"(null)" in r.stdout:
			return "allocation %d of %d: exit %r, %r %r" % (i, n, r.exit,
			    r.reason, r.stderr[-1500:])
		return None
	with concurrent.futures.ThreadPoolExecutor(4) as ex:
		bad = [x for x in ex.map(one, range(1, n + 1)) if x]
	if bad:
		raise Fail("%d of %d runs: %s" % (len(bad), n, "; ".join(bad)
		    [:3000]))


class Later:
	"""FN() run in a thread now; result() waits (slow cases overlap)."""

	def __init__(self, fn):
		self._v = self._e = None
		self._t = threading.Thread(target=self._run, args=(fn,),
		    daemon=True)
		self._t.start()

	def _run(self, fn):
		try:
			self._v = fn()
		except BaseException as e:	# handed to the case
			self._e = e

	def result(self):
		self._t.join()
		if self._e is not None:
			raise self._e
		return self._v


class Net:
	"""Running ivlite and tests/regfetch against the lab, and checking."""

	def __init__(self, t):
		self.t = t
		self.nl = t.netlab
		self.root = t.root
		self.regfetch = os.path.abspath(os.environ.get("REGFETCH") or
		    os.path.join(t.root, "tests", "regfetch"))
		self.empty_certs = t.lab.mkdir("certs.d-empty")
		self.empty_auth = labmod.auth_json(t.lab, {}, name="no-auth.json")
		self.regd = t.lab.mkdir("registries.d-empty")
		self._policies = {}
		self._certsd = {}

	# --- environment and options ------------------------------------

	def env(self, **over):
		"""The environment without proxy or auth-file variables, plus
		OVER (None removes)."""
		e = {k: v for k, v in os.environ.items()
		    if k.upper() not in PROXY_VARS and k not in
		    ("REGISTRY_AUTH_FILE", "SSL_CERT_FILE", "DOCKER_CONFIG")}
		for k, v in over.items():
			if v is None:
				e.pop(k, None)
			else:
				e[k] = v
		return e

	def opts(self, certs_d=None, auth=None, ca_file=None, insecure=(),
	    timeout=None, v=False):
		o = ["-certs-d", certs_d or self.empty_certs,
		    "-auth", auth or self.empty_auth]
		if ca_file:
			o += ["-ca-file", ca_file]
		for h in insecure:
			o += ["-insecure", h]
		if timeout is not None:
			o += ["-timeout", str(timeout)]
		if v:
			o.append("-v")
		return o

	def policy(self, host):
		"""A policy accepting anything from scope HOST, rejecting the
		rest."""
		if host not in self._policies:
			self._policies[host] = self.t.policy_file({"default": [R],
			    "transports": {"docker": {host: [A]}}},
			    "net-policy.json")
		return self._policies[host]

	def ivlite(self, ref, host=None, env=None, wait=10, **kw):
		"""ivlite standalone (no -digest) on REF, policy for HOST."""
		host = host or ref.split("/", 1)[0]
		argv = [self.t.ivlite, "-name", ref, "-policy", self.policy(host),
		    "-registries-d", self.regd] + self.opts(**kw)
		return containerd.run_direct(argv, stdin=b"", timeout=wait,
		    env=env or self.env())

	def fetch(self, *cmd, env=None, wait=10, **kw):
		"""tests/regfetch [options] CMD…"""
		if not os.access(self.regfetch, os.X_OK):
			raise Fail("%s is not built (make tests/regfetch)"
			    % self.regfetch)
		argv = [self.regfetch] + self.opts(**kw) + list(cmd)
		return containerd.run_direct(argv, stdin=b"", timeout=wait,
		    env=env or self.env())

	# --- certs.d and auth files ----------------------------------------

	def bundle(self, name, *pems):
		"""A -ca-file: the system bundle's certificates with PEMS among
		them (where a search for the issuer meets them mid-file)."""
		sysca = b""
		if os.path.exists(SYSTEM_CA):
			with open(SYSTEM_CA, "rb") as f:
				sysca = f.read()
		mid = sysca.find(b"-----BEGIN CERTIFICATE-----", len(sysca) // 2)
		mid = mid if mid > 0 else len(sysca)
		return self.t.lab.write(name, sysca[:mid] + b"".join(pems) +
		    sysca[mid:])

	def certs_d(self, *hosts, files=None, key=None):
		"""certs.d with the test CA as ca.crt under each of HOSTS (cached
		by key), or FILES {host: {name: bytes}} as given."""
		k = key or (hosts, None)
		if files is not None and key is None:
			return labmod.certs_d(self.t.lab, files)
		if k not in self._certsd:
			pem = self.nl.pki().pem
			ent = {h: {"ca.crt": pem} for h in hosts}
			ent.update(files or {})
			self._certsd[k] = labmod.certs_d(self.t.lab, ent)
		return self._certsd[k]

	# --- checks -------------------------------------------------------

	def _basic(self, r, elapsed):
		if r.killed or r.exit is None:
			raise Fail("killed after %.1f s (signal %s); stdout %r, "
			    "stderr %r" % (r.elapsed, r.signal, r.stdout[-300:],
			    r.stderr.strip()[-500:]))
		if r.elapsed >= elapsed:
			raise Fail("took %.2f s (limit %.1f s); exit %s, stdout %r"
			    % (r.elapsed, elapsed, r.exit, r.stdout[-300:]))

	def _show(self, r):
		return "exit %s, stdout %r%s" % (r.exit,
		    r.stdout.decode(errors="replace")[-600:],
		    ", stderr %r" % r.stderr.strip()[-600:]
		    if r.stderr.strip() else "")

	def expect_out(self, r, lines, elapsed=NET_ELAPSED):
		"""Exit 0 and exactly LINES (a list) on stdout."""
		self._basic(r, elapsed)
		want = "".join(ln + "\n" for ln in lines).encode()
		if r.exit != 0 or r.stdout != want:
			raise Fail("expected exit 0 and stdout %r, got %s"
			    % (want.decode(), self._show(r)))
		return r

	def expect_accepted(self, r, ref, digest, host=None,
	    elapsed=NET_ELAPSED):
		host = host or ref.split("/", 1)[0]
		return self.expect_out(r, ["accepted %s@%s: scope transports."
		    'docker["%s"]: insecureAcceptAnything' % (ref, digest, host)],
		    elapsed)

	def expect_match(self, r, code, pattern, elapsed=NET_ELAPSED):
		"""Exit CODE and one line matching PATTERN whole (only where the
		text is not ivlite's to fix: see CLIENT_CERT_REFUSED)."""
		self._basic(r, elapsed)
		if r.exit != code or r.stdout.count(b"\n") != 1 or \
		    not re.fullmatch(pattern, r.reason):
			raise Fail("expected exit %d and a line matching /%s/, got %s"
			    % (code, pattern, self._show(r)))
		return r

	def expect_line(self, r, code, line, elapsed=NET_ELAPSED):
		"""Exit CODE and exactly LINE on stdout."""
		self._basic(r, elapsed)
		if r.exit != code or r.stdout != (line + "\n").encode():
			raise Fail("expected exit %d and %r, got %s" % (code, line,
			    self._show(r)))
		return r

	def manifest_line(self, img):
		return "%s %s %d" % (img.digest, img.media_type, img.size)

	def no_secrets(self, r, secrets):
		"""Neither stdout nor stderr holds a secret or the word
		Authorization."""
		out = r.stdout.decode(errors="replace") + "\n" + r.stderr
		for s in list(secrets) + list(SECRET_WORDS):
			if s and s in out:
				raise Fail("output contains %r: stderr %r" % (s[:40],
				    r.stderr[-800:]))


# --- -v log ------------------------------------------------------------------

CONNECT_RE = re.compile(r"^ivlite: connect (\S+)(?: via proxy (\S+))?$")
GET_RE = re.compile(r"^ivlite: GET (\S+)( \(token\))? -> (\d+)$")


def vlog(r):
	"""(connect lines as (host, proxy), GET lines as (url, token?,
	status)) from a -v run's stderr."""
	conns, gets = [], []
	for ln in r.stderr.splitlines():
		m = CONNECT_RE.match(ln)
		if m:
			conns.append((m.group(1), m.group(2)))
		m = GET_RE.match(ln)
		if m:
			gets.append((m.group(1), bool(m.group(2)),
			    int(m.group(3))))
	return conns, gets


def ssl_get(url, ctx, headers=None, timeout=5):
	"""(status, headers, body) of a GET with CTX, no proxies."""
	op = urllib.request.build_opener(urllib.request.ProxyHandler({}),
	    urllib.request.HTTPSHandler(context=ctx))
	req = urllib.request.Request(url, headers=headers or {})
	try:
		with op.open(req, timeout=timeout) as r:
			return r.status, r.headers, r.read()
	except urllib.error.HTTPError as e:
		return e.code, e.headers, e.read()


def parse_challenge(value):
	"""{param: value} of one simple Bearer/Basic challenge (lab use)."""
	scheme, _, rest = value.partition(" ")
	d = {"scheme": scheme.lower()}
	for k, v in re.findall(r'(\w+)="([^"]*)"', rest):
		d[k.lower()] = v
	return d


def run(t):
	n = Net(t)
	nl = n.nl
	run_lab_selftests(t, n, nl)
	run_plain(t, n)
	run_tls(t, n, nl)
	run_htpasswd(t, n, nl)
	run_token(t, n, nl)
	run_proxy(t, n, nl)
	run_plain_creds(t, n, nl)


# --- lab self-tests -----------------------------------------------------------

def run_lab_selftests(t, n, nl):
	def tls_v2():
		reg = lab_need(nl.tls)
		ctx = nl.pki().client_context()
		for h in (reg.host, "localhost:%d" % reg.port):
			st, hd, body = ssl_get("https://%s/v2/" % h, ctx)
			if st != 200 or body.strip() != b"{}":
				raise Fail("GET https://%s/v2/: %d %r" % (h, st, body))
	t.case("lab: tls registry answers /v2/ with the test CA", tls_v2)

	def tls_untrusted():
		reg = lab_need(nl.tls)
		try:
			ssl_get(reg.url + "/v2/", ssl.create_default_context())
		except urllib.error.URLError as e:
			if isinstance(e.reason, ssl.SSLCertVerificationError):
				return
			raise Fail("expected a verification error, got %r" % e)
		raise Fail("the system CAs trust the lab registry")
	t.case("lab: tls registry is untrusted without the test CA",
	    tls_untrusted)

	def tls_content():
		reg = lab_need(nl.tls)
		app, multi = reg.images["app:v1"], reg.images["multi:v1"]
		if app.media_type != labmod.MT_OCI_MANIFEST or \
		    multi.media_type != labmod.MT_OCI_INDEX or \
		    len(multi.manifests) != 2:
			raise Fail("unexpected images %r %r" % (app, multi))
		data = reg.get_blob("app", app.config["digest"])
		if labmod.sha256_digest(data) != app.config["digest"]:
			raise Fail("config blob digest mismatch")
	t.case("lab: tls registry holds app:v1 and the OCI index multi:v1",
	    tls_content)

	def certsd_layout():
		reg, reg6 = lab_need(nl.tls), lab_need(nl.tls6)
		hosts = [reg.host, "localhost:%d" % reg.port, reg6.host,
		    "%s:%d" % (nl.FAKE_HOST, reg.port)]
		d = n.certs_d(*hosts, key="tls-all")
		for h in hosts:
			p = os.path.join(d, h, "ca.crt")
			with open(p, "rb") as f:
				if f.read() != nl.pki().pem:
					raise Fail("%s is not the test CA" % p)
		# skopeo reads one such directory (containers-certs.d layout)
		p = labmod.run([labmod.SKOPEO, "--insecure-policy",
		    "--registries-conf", reg.lab_registries_conf(), "inspect",
		    "--raw", "--no-creds", "--cert-dir", os.path.join(d, reg.host),
		    "docker://%s" % reg.ref("app", "v1")], check=False)
		if p.returncode != 0 or labmod.sha256_digest(
		    p.stdout.encode()) != reg.images["app:v1"].digest:
			raise Fail("skopeo inspect with certs.d/%s: exit %d %s"
			    % (reg.host, p.returncode, p.stderr.strip()[-300:]))
	t.case("lab: certs.d layout for the tls registry (skopeo reads it)",
	    certsd_layout)

	def ipv6():
		reg6 = lab_need(nl.tls6)
		st, hd, body = ssl_get("https://%s/v2/app/manifests/v1"
		    % reg6.host, nl.pki().client_context(),
		    {"Accept": labmod.ACCEPT})
		if st != 200 or labmod.sha256_digest(body) != \
		    reg6.images["app:v1"].digest:
			raise Fail("GET app:v1 over [::1]: %d" % st)
	t.case("lab: tls registry on [::1] answers with the test CA", ipv6)

	def name_checks():
		from cryptography import x509
		for kind, (args, ok) in sorted(nl.NAME_CHECKS.items()):
			reg = lab_need(lambda: nl.names(kind))
			ctx = nl.pki().client_context()
			try:
				ssl_get(reg.url + "/v2/", ctx)
				got = True
			except urllib.error.URLError as e:
				if not isinstance(e.reason,
				    ssl.SSLCertVerificationError):
					raise Fail("%s: %r" % (kind, e))
				got = False
			if got != ok:
				raise Fail("%s: Python's ssl %s 127.0.0.1" % (kind,
				    "accepts" if got else "rejects"))
			try:
				san = reg.cert.cert.extensions.get_extension_for_class(
				    x509.SubjectAlternativeName).value
			except x509.ExtensionNotFound:
				san = None
			if (san is None) != (kind == "cn-only"):
				raise Fail("%s: SAN extension %r" % (kind, san))
	t.case("lab: name-check certificates (Python's ssl agrees on each)",
	    name_checks)

	def clientcert():
		reg = lab_need(nl.clientcert)
		good = nl.pki().client_context(nl.client_cert())
		st, _, _ = ssl_get(reg.url + "/v2/", good)
		if st != 200:
			raise Fail("with the client certificate: %d" % st)
		for label, ctx in (("no", nl.pki().client_context()),
		    ("a rogue", nl.pki().client_context(nl.rogue_client_cert()))):
			try:
				st, _, _ = ssl_get(reg.url + "/v2/", ctx)
			except (urllib.error.URLError, OSError):
				continue
			raise Fail("with %s client certificate: HTTP %d" % (label,
			    st))
	t.case("lab: client-cert registry needs a certificate from its CA",
	    clientcert)

	def htpasswd():
		reg = lab_need(nl.htpasswd)
		ctx = nl.pki().client_context()
		st, hd, _ = ssl_get(reg.url + "/v2/", ctx)
		ch = parse_challenge(hd.get("WWW-Authenticate", ""))
		if st != 401 or ch.get("scheme") != "basic":
			raise Fail("anonymous /v2/: %d %r" % (st, ch))
		st, _, _ = ssl_get(reg.url + "/v2/", ctx, reg.lab_headers("app"))
		if st != 200:
			raise Fail("with credentials: %d" % st)
		bad = base64.b64encode(b"%s:wrong" % nl.USER.encode()).decode()
		st, _, _ = ssl_get(reg.url + "/v2/", ctx,
		    {"Authorization": "Basic " + bad})
		if st != 401:
			raise Fail("wrong password: %d" % st)
	t.case("lab: htpasswd registry: 401 Basic, 200 with the password",
	    htpasswd)

	def token_flow(repo, creds, want_status, want_style="token"):
		reg = lab_need(nl.token)
		iss = reg.auth[1]
		ctx = nl.pki().client_context()
		st, hd, _ = ssl_get(reg.url + "/v2/", ctx)
		ch = parse_challenge(hd.get("WWW-Authenticate", ""))
		if st != 401 or ch.get("scheme") != "bearer" or \
		    ch.get("realm") != iss.realm or \
		    ch.get("service") != iss.service:
			raise Fail("ping: %d %r" % (st, ch))
		q = {"service": ch["service"], "scope": "repository:%s:pull"
		    % repo}
		h = {}
		if creds:
			q["account"] = creds[0]
			h["Authorization"] = "Basic " + base64.b64encode(
			    ("%s:%s" % creds).encode()).decode()
		iss.reset()
		st, _, body = ssl_get(ch["realm"] + "?" +
		    urllib.parse.urlencode(q), ctx, h)
		if creds and creds[1] != nl.PASSWORD:
			if st != 401:
				raise Fail("wrong password: token server said %d" % st)
			return
		doc = json.loads(body)
		if st != 200 or want_style not in doc:
			raise Fail("token: %d %r" % (st, doc))
		log = iss.log()
		if len(log) != 1 or log[0]["auth"] != bool(creds) or \
		    ("scope", q["scope"]) not in log[0]["query"]:
			raise Fail("token server log %r" % log)
		st, hd, body = ssl_get("%s/v2/%s/manifests/v1" % (reg.url, repo),
		    ctx, {"Accept": labmod.ACCEPT,
		    "Authorization": "Bearer " + doc[want_style]})
		if st != want_status:
			raise Fail("manifest with the token: %d (want %d) %r" % (st,
			    want_status, hd.get("WWW-Authenticate")))
		if st == 401 and 'error="insufficient_scope"' not in \
		    hd.get("WWW-Authenticate", ""):
			raise Fail("401 without insufficient_scope: %r"
			    % hd.get("WWW-Authenticate"))
		if st == 200 and labmod.sha256_digest(body) != \
		    reg.images[repo + ":v1"].digest:
			raise Fail("wrong manifest")
	t.case("lab: token registry: anonymous token pulls public/app",
	    lambda: token_flow("public/app", None, 200))
	t.case("lab: token registry: anonymous token is refused private/app",
	    lambda: token_flow("private/app", None, 401))
	t.case("lab: token registry: credentialed token pulls private/app",
	    lambda: token_flow("private/app", (nl.USER, nl.PASSWORD), 200))
	t.case("lab: token issuer refuses a wrong password",
	    lambda: token_flow("private/app", (nl.USER, "wrong"), 401))
	t.case("lab: token issuer answers access_token for public/oauth",
	    lambda: token_flow("public/oauth", None, 200, "access_token"))

	def aud_array():
		reg = lab_need(nl.token)
		iss = reg.auth[1]
		ctx = nl.pki().client_context()
		for aud, want in ((iss.service, 200), ([iss.service], 401)):
			tok = iss.mint(None, [("repository", "public/app", ["pull"])],
			    aud=aud)
			st, hd, _ = ssl_get(reg.url + "/v2/public/app/manifests/v1",
			    ctx, {"Accept": labmod.ACCEPT, "Authorization":
			    "Bearer " + tok})
			ch = hd.get("WWW-Authenticate", "")
			if st != want or (want == 401 and
			    'error="invalid_token"' not in ch):
				raise Fail("aud %r: %d %r (want %d)" % (aud, st, ch, want))
	t.case("lab: docker-registry 2.8.2 takes aud as a string, refuses an "
	    "array (invalid_token)", aud_array)

	def skopeo_token():
		reg = lab_need(nl.token)
		p = labmod.run([labmod.SKOPEO, "--insecure-policy",
		    "--registries-conf", reg.lab_registries_conf(), "inspect",
		    "--raw"] + reg.src_flags() + ["docker://%s"
		    % reg.ref("private/app", "v1")], check=False)
		if p.returncode != 0 or labmod.sha256_digest(p.stdout.encode()) \
		    != reg.images["private/app:v1"].digest:
			raise Fail("skopeo inspect: exit %d %s" % (p.returncode,
			    p.stderr.strip()[-300:]))
	t.case("lab: skopeo pulls private/app from the token registry",
	    skopeo_token)

	def proxy(auth):
		reg = lab_need(nl.tls)
		px = nl.proxy(auth)
		px.reset()
		target = "%s:%d" % (nl.FAKE_HOST, reg.port)
		cases = [(None, 407 if auth else 200)]
		if auth:
			cases.append((nl.PROXY_CREDS, 200))
		for creds, want in cases:
			s = socket.create_connection(("127.0.0.1",
			    px.port), timeout=5)
			hdr = ""
			if creds:
				hdr = "Proxy-Authorization: Basic %s\r\n" % \
				    base64.b64encode(("%s:%s" % creds).encode()).decode()
			s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n"
			    % (target, target, hdr)).encode())
			head = b""
			while b"\r\n\r\n" not in head:
				d = s.recv(1)
				if not d:
					break
				head += d
			st = int(head.split(b" ")[1]) if head else 0
			if st != want:
				raise Fail("CONNECT %s: %d, want %d" % (target, st, want))
			if st == 200:
				ts = nl.pki().client_context().wrap_socket(s,
				    server_hostname=nl.FAKE_HOST)
				ts.sendall(("GET /v2/ HTTP/1.1\r\nHost: %s\r\n"
				    "Connection: close\r\n\r\n" % target).encode())
				resp = ts.recv(4096)
				ts.close()
				if not resp.startswith(b"HTTP/1.1 200"):
					raise Fail("through the tunnel: %r" % resp[:80])
			s.close()
		log = px.log()
		want = [("CONNECT", target, c[0] if c else None)
		    for c, _ in cases]
		if log != want:
			raise Fail("proxy log %r, want %r" % (log, want))
	t.case("lab: CONNECT proxy tunnels registry.ivlite.test to the tls "
	    "registry", lambda: proxy(False))
	t.case("lab: CONNECT proxy with credentials: 407, then a tunnel",
	    lambda: proxy(True))


# --- plain HTTP registry -------------------------------------------------------

def run_plain(t, n):
	state = {}

	def reg():
		if "reg" not in state:
			r = t.registry()
			d = r.put_image("regclient/app", "v1",
			    content="registry client plain")
			state["img"] = r.record("regclient/app", "v1", d)
			d, _ = r.put_index("regclient/multi", "v1")
			state["idx"] = r.record("regclient/multi", "v1", d)
			state["reg"] = r
		return state["reg"]

	def img():
		reg()
		return state["img"]

	def ins(**kw):
		return dict(insecure=[reg().host], **kw)

	t.case("registry plain: ivlite resolves app:v1 (-insecure)",
	    lambda: n.expect_accepted(n.ivlite(reg().ref("regclient/app",
	    "v1"), **ins()), reg().ref("regclient/app", "v1"), img().digest))
	t.case("registry plain: ivlite on a by-digest name (no -digest)",
	    lambda: n.expect_out(n.ivlite(reg().ref("regclient/app",
	    digest=img().digest), **ins()), ["accepted %s: scope "
	    'transports.docker["%s"]: insecureAcceptAnything' % (reg().ref(
	    "regclient/app", digest=img().digest), reg().host)]))
	t.case("registry plain: regfetch manifest by tag",
	    lambda: n.expect_out(n.fetch("manifest", reg().ref("regclient/app",
	    "v1"), **ins()), [n.manifest_line(img())]))
	t.case("registry plain: regfetch manifest by digest",
	    lambda: n.expect_out(n.fetch("manifest", reg().ref("regclient/app",
	    digest=img().digest), **ins()), [n.manifest_line(img())]))
	t.case("registry plain: regfetch index prints the index media type",
	    lambda: n.expect_out(n.fetch("manifest", reg().ref(
	    "regclient/multi", "v1"), **ins()), [n.manifest_line(
	    state["idx"])]))
	t.case("registry plain: regfetch blob (config)",
	    lambda: n.expect_out(n.fetch("blob", reg().ref("regclient/app",
	    "v1"), img().config["digest"], **ins()), ["%s %d" % (
	    img().config["digest"], img().config["size"])]))
	t.case("registry plain: regfetch blob (layer)",
	    lambda: n.expect_out(n.fetch("blob", reg().ref("regclient/app",
	    "v1"), img().layers[0]["digest"], **ins()), ["%s %d" % (
	    img().layers[0]["digest"], img().layers[0]["size"])]))
	t.case("registry plain: regfetch image (manifest + config blob)",
	    lambda: n.expect_out(n.fetch("image", reg().ref("regclient/app",
	    "v1"), **ins()), [n.manifest_line(img()), "%s %d" % (
	    img().config["digest"], img().config["size"])]))
	t.case("registry plain: unknown tag is exit 3, not unsigned",
	    lambda: n.expect_line(n.fetch("manifest", reg().ref(
	    "regclient/app", "nosuchtag"), **ins()), 3, "error: %s: no "
	    "manifest %s" % (reg().host, reg().ref("regclient/app",
	    "nosuchtag"))))
	t.case("registry plain: ivlite on an unknown tag is exit 3",
	    lambda: n.expect_line(n.ivlite(reg().ref("regclient/app",
	    "nosuchtag"), **ins()), 3, "error: %s: no manifest "
	    "regclient/app:nosuchtag" % reg().host))
	t.case("registry plain: unknown repository is exit 3",
	    lambda: n.expect_line(n.fetch("manifest", reg().ref(
	    "regclient/none", "v1"), **ins()), 3, "error: %s: no manifest %s"
	    % (reg().host, reg().ref("regclient/none", "v1"))))
	missing = labmod.sha256_digest(b"no such blob")
	t.case("registry plain: unknown blob is exit 3",
	    lambda: n.expect_line(n.fetch("blob", reg().ref("regclient/app",
	    "v1"), missing, **ins()), 3, "error: %s: no blob %s" % (
	    reg().host, missing)))
	t.case("registry plain: without -insecure no silent HTTP fallback",
	    lambda: n.expect_line(n.fetch("manifest", reg().ref(
	    "regclient/app", "v1")), 3, "error: %s: TLS handshake: the server "
	    "does not speak TLS (plain HTTP needs -insecure %s)" % (reg().host,
	    reg().host)))

	def vlog_plain():
		r = n.expect_out(n.fetch("image", reg().ref("regclient/app", "v1"),
		    **ins(v=True)), [n.manifest_line(img()), "%s %d" % (
		    img().config["digest"], img().config["size"])])
		conns, gets = vlog(r)
		base = "http://%s/v2/" % reg().host
		want = [(base, False, 200),
		    (base + "regclient/app/manifests/v1", False, 200),
		    (base + "regclient/app/blobs/" + img().config["digest"],
		    False, 200)]
		if conns != [(reg().host, None)] or gets != want:
			raise Fail("expected one connect to %s and GETs %r, got %r "
			    "%r; stderr %r" % (reg().host, want, conns, gets,
			    r.stderr[-800:]))
	t.case("registry plain: -v shows one connection and three GETs",
	    vlog_plain)


# --- TLS registries -------------------------------------------------------------

def run_tls(t, n, nl):
	def reg():
		return lab_need(nl.tls)

	def app():
		return reg().images["app:v1"]

	def ref(host=None, repo="app", tag="v1", digest=None):
		r = "%s/%s" % (host or reg().host, repo)
		if tag:
			r += ":" + tag
		if digest:
			r += "@" + digest
		return r

	def cd(*hosts):
		return n.certs_d(*hosts)

	t.case("registry tls: accepted via certs.d/127.0.0.1:PORT/ca.crt",
	    lambda: n.expect_accepted(n.ivlite(ref(), certs_d=cd(reg().host)),
	    ref(), app().digest))
	lh = lambda: "localhost:%d" % reg().port
	t.case("registry tls: accepted as localhost:PORT via "
	    "certs.d/localhost:PORT", lambda: n.expect_accepted(n.ivlite(
	    ref(lh()), certs_d=cd(lh())), ref(lh()), app().digest))
	t.case("registry tls: accepted via -ca-file", lambda:
	    n.expect_accepted(n.ivlite(ref(), ca_file=nl.pki().path), ref(),
	    app().digest))

	def version():
		"""The registry (Go) speaks TLS 1.2 and 1.3: ivlite takes 1.3
		where its mbedTLS has it (-version), else 1.2, with AES-GCM."""
		r = n.expect_accepted(n.ivlite(ref(), ca_file=nl.pki().path,
		    v=True), ref(), app().digest)
		want = "ivlite: tls %s: %s" % (reg().host, "TLSv1.3 "
		    "TLS1-3-AES-128-GCM-SHA256" if tls_of(t)[1] else "TLSv1.2 "
		    "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256")
		got = [ln for ln in r.stderr.splitlines() if
		    ln.startswith("ivlite: tls %s: TLSv" % reg().host)]
		if got != [want]:
			raise Fail("want %r in the -v log, got %r" % (want, got))
	t.case("registry tls: TLS 1.3 where ivlite has it, else TLS 1.2",
	    version)

	def same_subject():
		"""A CA named exactly as the test CA, with another key."""
		return nl._once("same-subject-pki", lambda: labmod.Pki(nl.lab,
		    name="same-subject-ca"))

	t.case("registry tls: accepted via -ca-file: the test CA amid the "
	    "system bundle", lambda: n.expect_accepted(n.ivlite(ref(),
	    ca_file=n.bundle("bundle-test.crt", nl.pki().pem)), ref(),
	    app().digest))
	t.case("registry tls: accepted via -ca-file: a CA of the same subject "
	    "and another key first, then the test CA", lambda:
	    n.expect_accepted(n.ivlite(ref(), ca_file=n.bundle("bundle-two.crt",
	    same_subject().pem, nl.pki().pem)), ref(), app().digest))
	t.case("registry tls: certs.d's CA verifies: a -ca-file that does not "
	    "exist is never read", lambda: n.expect_accepted(n.ivlite(ref(),
	    certs_d=cd(reg().host), ca_file=nl.lab.path("no-such-bundle.crt")),
	    ref(), app().digest))
	t.case("registry tls: no certs.d CA, a -ca-file that does not exist is "
	    "exit 2 naming it", lambda: n.expect_line(n.ivlite(ref(),
	    ca_file=nl.lab.path("no-such-bundle.crt")), 2, "error: %s: TLS: CA "
	    "bundle %s: No such file or directory (during the TLS handshake)"
	    % (reg().host, nl.lab.path("no-such-bundle.crt"))))

	def same_only():
		f = n.bundle("bundle-same.crt", same_subject().pem)
		n.expect_line(n.ivlite(ref(), ca_file=f), 3, untrusted(reg().host,
		    f, n.empty_certs))
	t.case("registry tls: -ca-file with only a CA of the same subject and "
	    "another key is exit 3", same_only)

	def nodelay():
		"""Nagle held mbedTLS's handshake flight for the server's delayed
		ACK (40 ms a TLS run): every socket sets TCP_NODELAY."""
		if labmod.missing_tools("strace"):
			raise Skip("strace not installed")
		log = nl.lab.path("strace-nodelay.txt")
		argv = ["strace", "-f", "-qq", "-e", "trace=socket,setsockopt",
		    "-o", log, t.ivlite, "-name", ref(), "-policy",
		    n.policy(reg().host), "-registries-d", n.regd] + n.opts(
		    certs_d=cd(reg().host))
		n.expect_accepted(containerd.run_direct(argv, stdin=b"",
		    timeout=20, env=n.env()), ref(), app().digest, elapsed=20)
		with open(log) as f:
			text = f.read()
		tcp = len(re.findall(r"socket\(AF_INET6?, SOCK_STREAM", text))
		nd = len(re.findall(r"TCP_NODELAY, \[1\]", text))
		if tcp != 1 or nd != 1:
			raise Fail("expected 1 TCP socket with TCP_NODELAY, got %d "
			    "sockets, %d TCP_NODELAY: %s" % (tcp, nd, text[-800:]))
	t.case("registry tls: the socket sets TCP_NODELAY (strace)", nodelay)
	t.case("registry tls: regfetch manifest by tag",
	    lambda: n.expect_out(n.fetch("manifest", ref(),
	    certs_d=cd(reg().host)), [n.manifest_line(app())]))
	t.case("registry tls: regfetch manifest by digest",
	    lambda: n.expect_out(n.fetch("manifest", ref(tag=None,
	    digest=app().digest), certs_d=cd(reg().host)),
	    [n.manifest_line(app())]))
	t.case("registry tls: regfetch OCI index by tag",
	    lambda: n.expect_out(n.fetch("manifest", ref(repo="multi"),
	    certs_d=cd(reg().host)), [n.manifest_line(
	    reg().images["multi:v1"])]))
	t.case("registry tls: regfetch an index's instance by digest",
	    lambda: n.expect_out(n.fetch("manifest", ref(repo="multi",
	    tag=None, digest=reg().images["multi:v1"].manifests[1]["digest"]),
	    certs_d=cd(reg().host)), ["%s %s %d" % (reg().images[
	    "multi:v1"].manifests[1]["digest"], labmod.MT_OCI_MANIFEST,
	    reg().images["multi:v1"].manifests[1]["size"])]))
	t.case("registry tls: ivlite resolves the index multi:v1",
	    lambda: n.expect_accepted(n.ivlite(ref(repo="multi"),
	    certs_d=cd(reg().host)), ref(repo="multi"),
	    reg().images["multi:v1"].digest))
	t.case("registry tls: regfetch image round trip",
	    lambda: n.expect_out(n.fetch("image", ref(),
	    certs_d=cd(reg().host)), [n.manifest_line(app()), "%s %d" % (
	    app().config["digest"], app().config["size"])]))

	# trust failures
	def not_anchored(certs_d):
		"""regfetch with CERTS_D and the system bundle: untrusted."""
		n.expect_line(n.fetch("manifest", ref(), certs_d=certs_d), 3,
		    untrusted(reg().host, SYSTEM_CA, certs_d))
	t.case("registry tls: no CA anywhere is exit 3 (untrusted)",
	    lambda: not_anchored(n.empty_certs))
	t.case("registry tls: -ca-file of another CA is exit 3",
	    lambda: n.expect_line(n.ivlite(ref(), ca_file=nl.other_pki()
	    .path), 3, untrusted(reg().host, nl.other_pki().path,
	    n.empty_certs)))
	t.case("registry tls: certs.d for another port does not apply",
	    lambda: not_anchored(cd("127.0.0.1:%d" % (reg().port + 1 if
	    reg().port < 65535 else 1))))
	t.case("registry tls: certs.d/127.0.0.1 (no port) does not apply to "
	    "127.0.0.1:PORT", lambda: not_anchored(cd("127.0.0.1")))
	t.case("registry tls: certs.d for localhost:PORT does not apply to "
	    "127.0.0.1:PORT", lambda: not_anchored(cd(lh())))
	t.case("registry tls: certs.d CA named ca.pem is not a CA (*.crt only)",
	    lambda: not_anchored(n.certs_d(key="pem", files={reg().host: {
	    "ca.pem": nl.pki().pem}})))
	# a "TRUSTED CERTIFICATE" (OpenSSL's, with its uses) is not read
	def trusted():
		return lab_need(lambda: labmod.trusted_certificate(nl.pki().pem,
		    "serverAuth"))

	def certs_d_trusted():
		d = n.certs_d(key="trusted", files={reg().host: {"ca.crt":
		    trusted()}})
		n.expect_line(n.fetch("manifest", ref(), certs_d=d), 2,
		    "error: %s: holds no CERTIFICATE block" % os.path.join(d,
		    reg().host, "ca.crt"))
	t.case("registry tls: certs.d ca.crt of a TRUSTED CERTIFICATE only is "
	    "exit 2", certs_d_trusted)
	t.case("registry tls: certs.d ca.crt of a TRUSTED CERTIFICATE (test "
	    "CA) and another CA's CERTIFICATE is exit 3", lambda:
	    not_anchored(n.certs_d(key="trusted-other", files={reg().host: {
	    "ca.crt": trusted() + nl.other_pki().pem}})))

	def ca_file_trusted():
		f = nl.lab.write("bundle-trusted.crt", trusted())
		n.expect_line(n.ivlite(ref(), ca_file=f), 2, "error: %s: TLS: CA "
		    "bundle %s holds no CERTIFICATE block (during the TLS "
		    "handshake)" % (reg().host, f))
	t.case("registry tls: -ca-file of a TRUSTED CERTIFICATE only is exit 2",
	    ca_file_trusted)
	t.case("registry tls: certs.d with two *.crt (other CA, test CA)",
	    lambda: n.expect_out(n.fetch("manifest", ref(),
	    certs_d=n.certs_d(key="two", files={reg().host: {
	    "a-other.crt": nl.other_pki().pem, "b-test.crt": nl.pki().pem}})),
	    [n.manifest_line(app())]))
	# docker-registry is Go's net/http: plain HTTP to its TLS port gets
	# "400 Bad Request" and "Client sent an HTTP request to an HTTPS
	# server."; ivlite names the fix
	tls_400 = ("error: %s: GET /v2/ answered HTTP 400: not a registry API "
	    "v2: this registry speaks TLS; drop -insecure")

	def raw_400():
		import socket
		h, p = reg().host.rsplit(":", 1)
		with socket.create_connection((h, int(p)), timeout=5) as c:
			c.sendall(b"GET /v2/ HTTP/1.1\r\nHost: %s\r\n\r\n"
			    % reg().host.encode())
			got = b""
			while True:
				b = c.recv(4096)
				if not b:
					break
				got += b
		want = (b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP "
		    b"request to an HTTPS server.\n")
		if got != want:
			raise Fail("docker-registry answered %r, expected %r"
			    % (got, want))
	t.case("registry tls: what docker-registry answers plain HTTP", raw_400)
	t.case("registry tls: -insecure on a TLS registry fails (HTTP to an "
	    "HTTPS port)", lambda: n.expect_line(n.fetch("manifest", ref(),
	    insecure=[reg().host]), 3, tls_400 % reg().host))
	t.case("registry tls: ivlite -insecure on a TLS registry: drop "
	    "-insecure", lambda: n.expect_line(n.ivlite(ref(),
	    insecure=[reg().host]), 3, tls_400 % reg().host))

	# IPv6
	def reg6():
		return lab_need(nl.tls6)
	t.case("registry tls: [::1]:PORT accepted via certs.d/[::1]:PORT",
	    lambda: n.expect_accepted(n.ivlite(ref(reg6().host),
	    certs_d=cd(reg6().host)), ref(reg6().host), app().digest))
	t.case("registry tls: regfetch image over IPv6",
	    lambda: n.expect_out(n.fetch("image", ref(reg6().host),
	    certs_d=cd(reg6().host)), [n.manifest_line(app()), "%s %d" % (
	    app().config["digest"], app().config["size"])]))
	t.case("registry tls: [::1]:PORT without its certs.d is untrusted",
	    lambda: n.expect_line(n.fetch("manifest", ref(reg6().host),
	    certs_d=cd(reg().host)), 3, untrusted(reg6().host, SYSTEM_CA,
	    cd(reg().host))))

	# name checks: the SANs ivlite lists for each rejected kind
	sans = {"ip-other": "IP:127.0.0.2", "cn-only": "none",
	    "dns-ip": "DNS:127.0.0.1"}
	for kind, (_, ok) in sorted(nl.NAME_CHECKS.items()):
		def name_case(kind=kind, ok=ok):
			r = lab_need(lambda: nl.names(kind))
			res = n.fetch("manifest", ref(r.host), certs_d=cd(r.host))
			if ok:
				return n.expect_out(res, [n.manifest_line(app())])
			return n.expect_line(res, 3, "error: %s: TLS: certificate for "
			    "127.0.0.1 does not cover that name (SANs: %s)" % (r.host,
			    sans[kind]))
		t.case("registry tls name check: %s certificate %s for "
		    "127.0.0.1:PORT" % (kind, "accepted" if ok else "rejected"),
		    name_case)

	def ip_cert_by_name():
		r = lab_need(lambda: nl.names("ip-only"))
		h = "localhost:%d" % r.port
		n.expect_line(n.fetch("manifest", ref(h), certs_d=cd(h)), 3,
		    "error: %s: TLS: certificate for localhost does not cover that "
		    "name (SANs: IP:127.0.0.1)" % h)
	t.case("registry tls name check: IP-only certificate rejected for "
	    "localhost:PORT", ip_cert_by_name)
	t.case("registry tls name check: ivlite accepts the IP-only "
	    "certificate", lambda: n.expect_accepted(n.ivlite(ref(
	    lab_need(lambda: nl.names("ip-only")).host), certs_d=cd(
	    nl.names("ip-only").host)), ref(nl.names("ip-only").host),
	    app().digest))

	# certificate rules that hold whatever the mbedTLS (its own defaults
	# differ: 2.28's profile takes SHA-224 signatures, 3.6's does not)
	weak_why = {
		"sha1": "certificate rejected: weak signature or key, refused "
		    "by the verification profile (SHA-256+, RSA 2048+, NIST "
		    "curves)",
		"client-eku": "certificate not for a TLS server (key usage or "
		    "extended key usage)",
	}
	weak_why["sha224"] = weak_why["rsa1024"] = weak_why["sha1"]
	for kind in sorted(nl.WEAK_CERTS):
		def weak_case(kind=kind):
			r = lab_need(lambda: nl.weak(kind))
			n.expect_line(n.fetch("manifest", ref(r.host),
			    ca_file=nl.pki().path), 3, "error: %s: TLS: %s"
			    % (r.host, weak_why[kind]))
		t.case("registry tls weak: %s certificate rejected" % kind,
		    weak_case)

	# client certificates
	def cc():
		return lab_need(nl.clientcert)

	def cc_dir(label, with_cert=True, with_key=True, rogue=False):
		c = nl.rogue_client_cert() if rogue else nl.client_cert()
		files = {"ca.crt": nl.pki().pem}
		if with_cert:
			files["client.cert"] = c.cert_pem
		if with_key:
			files["client.key"] = c.key_pem
		return n.certs_d(key="cc-" + label, files={cc().host: files})
	t.case("registry clientcas: certs.d client.cert + client.key accepted",
	    lambda: n.expect_accepted(n.ivlite(ref(cc().host),
	    certs_d=cc_dir("pair")), ref(cc().host), app().digest))
	t.case("registry clientcas: regfetch image with the client pair",
	    lambda: n.expect_out(n.fetch("image", ref(cc().host),
	    certs_d=cc_dir("pair")), [n.manifest_line(app()), "%s %d" % (
	    app().config["digest"], app().config["size"])]))
	t.case("registry clientcas: no client pair is exit 3 (handshake)",
	    lambda: n.expect_match(n.fetch("manifest", ref(cc().host),
	    certs_d=cc_dir("none", False, False)), 3, CLIENT_CERT_REFUSED % (
	    re.escape(cc().host), re.escape(": does the server want a client "
	    "certificate? %s/%s has none" % (cc_dir("none", False, False),
	    cc().host)))))
	t.case("registry clientcas: client certificate from another CA is "
	    "exit 3", lambda: n.expect_match(n.fetch("manifest", ref(cc().host),
	    certs_d=cc_dir("rogue", rogue=True)), 3, CLIENT_CERT_REFUSED % (
	    re.escape(cc().host), "")))

	def unpaired(label, have, lack, run):
		d = os.path.join(cc_dir(label, with_cert=have == "cert",
		    with_key=have == "key"), cc().host)
		n.expect_line(run(ref(cc().host), certs_d=os.path.dirname(d)), 2,
		    "error: %s/client.%s has no matching %s/client.%s" % (d, have,
		    d, lack))
	t.case("registry clientcas: .cert without .key is exit 2",
	    lambda: unpaired("nokey", "cert", "key", lambda *a, **k:
	    n.fetch("manifest", *a, **k)))
	t.case("registry clientcas: ivlite with .cert without .key is exit 2",
	    lambda: unpaired("nokey", "cert", "key", n.ivlite))
	t.case("registry clientcas: .key without .cert is exit 2",
	    lambda: unpaired("nocert", "key", "cert", lambda *a, **k:
	    n.fetch("manifest", *a, **k)))


# --- htpasswd ------------------------------------------------------------------------

def run_htpasswd(t, n, nl):
	def reg():
		return lab_need(nl.htpasswd)

	def img(repo="app"):
		return reg().images[repo + ":v1"]

	def cd():
		return n.certs_d(reg().host)

	good = lambda: (nl.USER, nl.PASSWORD)
	bad = lambda: (nl.USER, "wrong-password")
	files = {}

	def auth(label, entries):
		if label not in files:
			files[label] = labmod.auth_json(t.lab, entries(),
			    name="auth-%s.json" % label)
		return files[label]

	host_key = lambda: auth("host", lambda: {reg().host: good()})
	t.case("registry htpasswd: auth.json host key: ivlite accepted",
	    lambda: n.expect_accepted(n.ivlite(reg().ref("app", "v1"),
	    certs_d=cd(), auth=host_key()), reg().ref("app", "v1"),
	    img().digest))
	t.case("registry htpasswd: auth.json host key: regfetch image",
	    lambda: n.expect_out(n.fetch("image", reg().ref("app", "v1"),
	    certs_d=cd(), auth=host_key()), [n.manifest_line(img()),
	    "%s %d" % (img().config["digest"], img().config["size"])]))
	ns_wins = lambda: auth("ns-wins", lambda: {reg().host: bad(),
	    reg().host + "/ns": good()})
	t.case("registry htpasswd: namespace key host:port/ns wins over the "
	    "host key", lambda: n.expect_accepted(n.ivlite(reg().ref("ns/app",
	    "v1"), certs_d=cd(), auth=ns_wins()), reg().ref("ns/app", "v1"),
	    img("ns/app").digest))
	keyed = lambda f, key: '%s, key "%s"' % (f, key)
	t.case("registry htpasswd: namespace key does not serve another repo",
	    lambda: n.expect_line(n.fetch("manifest", reg().ref("app", "v1"),
	    certs_d=cd(), auth=ns_wins()), 3, denied(reg().host, "app",
	    keyed(ns_wins(), reg().host))))
	ns_bad = lambda: auth("ns-bad", lambda: {reg().host: good(),
	    reg().host + "/ns": bad()})
	t.case("registry htpasswd: a wrong namespace key is not skipped for "
	    "the host key", lambda: n.expect_line(n.fetch("manifest",
	    reg().ref("ns/app", "v1"), certs_d=cd(), auth=ns_bad()), 3,
	    denied(reg().host, "ns/app", keyed(ns_bad(), reg().host + "/ns"))))
	repo_key = lambda: auth("repo", lambda: {reg().host: bad(),
	    reg().host + "/ns/app": good()})
	t.case("registry htpasswd: repository key host:port/ns/app",
	    lambda: n.expect_out(n.fetch("manifest", reg().ref("ns/app", "v1"),
	    certs_d=cd(), auth=repo_key()), [n.manifest_line(img("ns/app"))]))
	v1_key = lambda: auth("v1", lambda: {"https://%s/v1/" % reg().host:
	    good()})
	t.case("registry htpasswd: https://host:port/v1/ key",
	    lambda: n.expect_accepted(n.ivlite(reg().ref("app", "v1"),
	    certs_d=cd(), auth=v1_key()), reg().ref("app", "v1"),
	    img().digest))
	wrong = lambda: auth("wrong", lambda: {reg().host: bad()})
	t.case("registry htpasswd: wrong password is exit 3 naming the file",
	    lambda: n.expect_line(n.fetch("manifest", reg().ref("app", "v1"),
	    certs_d=cd(), auth=wrong()), 3, denied(reg().host, "app",
	    keyed(wrong(), reg().host))))
	t.case("registry htpasswd: ivlite with a wrong password is exit 3",
	    lambda: n.expect_line(n.ivlite(reg().ref("app", "v1"),
	    certs_d=cd(), auth=wrong()), 3, denied(reg().host, "app",
	    keyed(wrong(), reg().host))))
	other = lambda: auth("other", lambda: {"127.0.0.1:1": good()})
	t.case("registry htpasswd: no entry for the host is exit 3",
	    lambda: n.expect_line(n.fetch("manifest", reg().ref("app", "v1"),
	    certs_d=cd(), auth=other()), 3, denied(reg().host, "app",
	    "none in " + other())))
	t.case("registry htpasswd: empty auth file is exit 3 (denied)",
	    lambda: n.expect_line(n.fetch("manifest", reg().ref("app", "v1"),
	    certs_d=cd()), 3, denied(reg().host, "app", "none in " +
	    n.empty_auth)))

	# configuration errors: exit 2 naming the file; WHY(path, host)
	def cfg_case(label, make, why):
		def f():
			path = make()
			r = n.fetch("manifest", reg().ref("app", "v1"), certs_d=cd(),
			    auth=path)
			n.expect_line(r, 2, "error: " + why(path, reg().host))
		t.case("registry htpasswd: %s is exit 2" % label, f)
	cfg_case("an auth file that is a directory (unreadable)",
	    lambda: t.lab.mkdir("auth-dir"), lambda path, host: path +
	    ": not a regular file")
	cfg_case("an auth file that is not JSON",
	    lambda: t.lab.write("auth-broken.json", '{"auths": {'),
	    lambda path, host: path + ": line 1: JSON ends too early")
	cfg_case("invalid base64 in auth",
	    lambda: labmod.auth_json(t.lab, {reg().host: {"auth":
	    "!!not base64!!"}}, name="auth-b64.json"), lambda path, host:
	    '%s: auths["%s"].auth: not valid base64' % (path, host))
	cfg_case("a credHelpers entry for the host",
	    lambda: labmod.auth_json(t.lab, {}, {"credHelpers": {reg().host:
	    "secretservice"}}, name="auth-helper.json"), lambda path, host:
	    'credential helper "secretservice" configured for %s in %s is not '
	    "supported; add an auths entry" % (host, path))

	def no_secrets():
		r = n.expect_out(n.fetch("image", reg().ref("app", "v1"),
		    certs_d=cd(), auth=host_key(), v=True),
		    [n.manifest_line(img()), "%s %d" % (img().config["digest"],
		    img().config["size"])])
		b64 = base64.b64encode(("%s:%s" % good()).encode()).decode()
		n.no_secrets(r, [nl.PASSWORD, b64])
		conns, gets = vlog(r)
		if [c for c in conns if c[0] == reg().host] != \
		    [(reg().host, None)]:
			raise Fail("expected one connection to %s, got %r"
			    % (reg().host, conns))
	t.case("registry htpasswd: -v shows no password, no Authorization, "
	    "one connection", no_secrets)


# --- token auth -------------------------------------------------------------------------

def run_token(t, n, nl):
	def reg():
		return lab_need(nl.token)

	def iss():
		return reg().auth[1]

	def img(repo):
		return reg().images[repo + ":v1"]

	def cd():
		return n.certs_d(reg().host, iss().host)

	files = {}

	def auth(label, creds):
		if label not in files:
			files[label] = labmod.auth_json(t.lab, {reg().host: creds},
			    name="token-auth-%s.json" % label)
		return files[label]

	good = lambda: auth("good", (nl.USER, nl.PASSWORD))
	bad = lambda: auth("bad", (nl.USER, "wrong-password"))

	def pulled(repo, creds, how="ivlite", account=None):
		"""REPO:v1 fetched; the token server saw exactly one GET /token
		with service, scope and account as expected."""
		iss().reset()
		ref = reg().ref(repo, "v1")
		kw = dict(certs_d=cd(), auth=creds() if creds else None)
		if how == "ivlite":
			n.expect_accepted(n.ivlite(ref, **kw), ref, img(repo).digest)
		else:
			n.expect_out(n.fetch("manifest", ref, **kw),
			    [n.manifest_line(img(repo))])
		log = iss().log()
		if len(log) != 1:
			raise Fail("expected one token request, got %r" % log)
		q = log[0]["query"]
		want = [("scope", "repository:%s:pull" % repo),
		    ("service", iss().service)]
		got = sorted((k, v) for k, v in q if k in ("scope", "service"))
		acc = [v for k, v in q if k == "account"]
		if log[0]["method"] != "GET" or log[0]["path"] != "/token" or \
		    got != want or acc != ([account] if account else []) or \
		    log[0]["auth"] != bool(creds) or \
		    log[0]["user"] != (nl.USER if creds else None):
			raise Fail("token request %r; want GET /token with %r, "
			    "account %r, Authorization %s" % (log[0], want, account,
			    "Basic" if creds else "absent"))

	t.case("registry token: anonymous token for public/app (ivlite)",
	    lambda: pulled("public/app", None))
	t.case("registry token: anonymous token for public/app (regfetch)",
	    lambda: pulled("public/app", None, "regfetch"))
	t.case("registry token: credentialed token for private/app, "
	    "account= sent", lambda: pulled("private/app", good, "ivlite",
	    nl.USER))
	t.case("registry token: access_token answer (public/oauth)",
	    lambda: pulled("public/oauth", None))
	refused = lambda: "error: %s: token server %s refused: invalid " \
	    "username or password" % (reg().host, urllib.parse.urlsplit(
	    iss().realm).hostname)
	t.case("registry token: private/app without credentials is exit 3",
	    lambda: n.expect_line(n.fetch("manifest", reg().ref("private/app",
	    "v1"), certs_d=cd()), 3, denied(reg().host, "private/app",
	    "none in " + n.empty_auth)))
	t.case("registry token: private/app, token server refuses a wrong "
	    "password", lambda: n.expect_line(n.fetch("manifest",
	    reg().ref("private/app", "v1"), certs_d=cd(), auth=bad()), 3,
	    refused()))
	def identity_token(good_token):
		"""An identitytoken in the auth file selects the OAuth2
		refresh-token POST (containers/image's flow); no GET /token."""
		iss().refresh["idtok-" + nl.USER] = nl.USER
		f = labmod.auth_json(t.lab, {reg().host: {"auth": base64.b64encode(
		    ("%s:%s" % (nl.USER, "unused")).encode()).decode(),
		    "identitytoken": "idtok-" + (nl.USER if good_token else
		    "nobody")}}, name="token-idtok-%s.json" % good_token)
		iss().reset()
		ref = reg().ref("private/app", "v1")
		r = n.fetch("manifest", ref, certs_d=cd(), auth=f, v=True)
		if good_token:
			n.expect_out(r, [n.manifest_line(img("private/app"))])
		else:
			n.expect_line(r, 3, refused())
		n.no_secrets(r, ["idtok-" + nl.USER, "idtok-nobody"])
		log = iss().log()
		want = [("client_id", "ivlite"), ("grant_type", "refresh_token"),
		    ("scope", "repository:private/app:pull"),
		    ("service", iss().service)]
		if len(log) != 1 or log[0]["method"] != "POST" or \
		    sorted(log[0]["query"]) != want or log[0]["auth"]:
			raise Fail("expected one POST /token with %r and no "
			    "Authorization, got %r" % (want, log))
	t.case("registry token: identitytoken uses the refresh-token POST",
	    lambda: identity_token(True))
	t.case("registry token: a refused identitytoken is exit 3",
	    lambda: identity_token(False))
	def refused_token():
		iss().reset()
		r = n.fetch("manifest", reg().ref("public/badaud", "v1"),
		    certs_d=cd())
		n.expect_line(r, 3, denied(reg().host, "public/badaud", "none in "
		    + n.empty_auth))
		if not 1 <= len(iss().log()) <= 2:
			raise Fail("expected one token request and at most one "
			    "refetch, got %d" % len(iss().log()))
	t.case("registry token: a token the registry refuses (invalid_token): "
	    "exit 3 after at most one refetch", refused_token)
	t.case("registry token: regfetch image of private/app",
	    lambda: n.expect_out(n.fetch("image", reg().ref("private/app",
	    "v1"), certs_d=cd(), auth=good()), [n.manifest_line(
	    img("private/app")), "%s %d" % (img("private/app").config[
	    "digest"], img("private/app").config["size"])]))

	def secrets_and_roundtrips():
		iss().reset()
		before = len(iss().issued)
		r = n.expect_out(n.fetch("image", reg().ref("private/app", "v1"),
		    certs_d=cd(), auth=good(), v=True), [n.manifest_line(
		    img("private/app")), "%s %d" % (img("private/app").config[
		    "digest"], img("private/app").config["size"])])
		tokens = iss().issued[before:]
		if not tokens:
			raise Fail("no token was issued")
		b64 = base64.b64encode(("%s:%s" % (nl.USER, nl.PASSWORD))
		    .encode()).decode()
		n.no_secrets(r, [nl.PASSWORD, b64] + tokens +
		    [tk.split(".")[2] for tk in tokens])
		return r

	t.case("registry token: -v of a credentialed fetch holds no password, "
	    "token or Authorization", secrets_and_roundtrips)

	def roundtrips():
		r = secrets_and_roundtrips()
		conns, gets = vlog(r)
		to_reg = [c for c in conns if c[0] == reg().host]
		to_tok = [c for c in conns if c[0] == iss().host]
		if len(to_reg) != 1 or len(to_tok) != 1 or len(conns) != 2:
			raise Fail("expected one connection to %s and one to %s, got "
			    "%r" % (reg().host, iss().host, conns))
		base = "https://%s/v2/" % reg().host
		d = img("private/app").config["digest"]
		want = [(base, False, 401), (iss().realm, True, 200),
		    (base + "private/app/manifests/v1", False, 200),
		    (base + "private/app/blobs/" + d, False, 200)]
		if gets != want:
			raise Fail("expected exactly these GETs %r, got %r" % (want,
			    gets))
		if len(iss().log()) != 1:
			raise Fail("token server got %d requests" % len(iss().log()))
	t.case("registry token: regfetch image opens one registry connection, "
	    "four GETs (ping, token, manifest, blob)", roundtrips)


# --- proxies ----------------------------------------------------------------------------

def run_proxy(t, n, nl):
	def reg():
		return lab_need(nl.tls)

	def fake():
		return "%s:%d" % (nl.FAKE_HOST, reg().port)

	def app():
		return reg().images["app:v1"]

	def cd():
		return n.certs_d(reg().host, fake(), "localhost:%d" % reg().port,
		    key="proxy")

	def via(env_fn, ref_fn, proxied, auth=False, ok=True, user=None,
	    line=None):
		def f():
			px = lab_need(lambda: nl.proxy(auth))
			px.reset()
			ref = ref_fn() + "/app:v1"
			r = n.ivlite(ref, certs_d=cd(), env=n.env(**env_fn(px)),
			    v=True, timeout=3, wait=6)
			if ok:
				n.expect_accepted(r, ref, app().digest)
			elif line is None:	# direct to an unresolvable name
				n.expect_match(r, 3, re.escape("error: %s: cannot resolve "
				    "%s: " % (ref_fn(), nl.FAKE_HOST)) + "(%s)" % "|".join(
				    RESOLVER_ERRORS))
			else:
				n.expect_line(r, 3, line(px, ref_fn()))
			log = px.log()
			want = [("CONNECT", ref_fn(), user)] if proxied else []
			if [x for x in log if x[0] == "CONNECT"][:1] != want[:1] or \
			    (not proxied and log):
				raise Fail("proxy log %r, want %r" % (log, want))
			conns, _ = vlog(r)
			if ok and proxied and (ref_fn(), px.host) not in conns:
				raise Fail("no 'connect %s via proxy %s' in %r"
				    % (ref_fn(), px.host, conns))
		return f

	t.case("proxy: HTTPS_PROXY tunnels registry.ivlite.test via CONNECT",
	    via(lambda px: {"HTTPS_PROXY": px.url()}, fake, True))
	t.case("proxy: https_proxy (lower case) is honoured",
	    via(lambda px: {"https_proxy": px.url()}, fake, True))
	t.case("proxy: HTTP_PROXY alone does not apply to https",
	    via(lambda px: {"HTTP_PROXY": px.url()}, fake, False, ok=False))
	t.case("proxy: loopback 127.0.0.1 is never proxied",
	    via(lambda px: {"HTTPS_PROXY": px.url()}, lambda: reg().host,
	    False))
	t.case("proxy: localhost is never proxied",
	    via(lambda px: {"HTTPS_PROXY": px.url()},
	    lambda: "localhost:%d" % reg().port, False))
	for np in ("ivlite.test", ".ivlite.test", nl.FAKE_HOST, "*",
	    "example.com, ivlite.test"):
		t.case("proxy: NO_PROXY=%s bypasses the proxy" % np,
		    via(lambda px, np=np: {"HTTPS_PROXY": px.url(),
		    "NO_PROXY": np}, fake, False, ok=False))
	t.case("proxy: NO_PROXY=other.test still proxies",
	    via(lambda px: {"HTTPS_PROXY": px.url(), "NO_PROXY":
	    "other.test,registry.ivlite.testx"}, fake, True))
	t.case("proxy: credentials from the proxy URL (Proxy-Authorization)",
	    via(lambda px: {"HTTPS_PROXY": px.url(nl.PROXY_CREDS)}, fake, True,
	    auth=True, user=nl.PROXY_CREDS[0]))
	t.case("proxy: proxy wanting credentials, none given: exit 3 (407)",
	    via(lambda px: {"HTTPS_PROXY": px.url()}, fake, True, auth=True,
	    ok=False, line=lambda px, host: "error: proxy %s refused CONNECT %s "
	    "(HTTP 407)" % (px.host, host)))

	def proxy_secret():
		px = lab_need(lambda: nl.proxy(True))
		ref = fake() + "/app:v1"
		r = n.ivlite(ref, certs_d=cd(), env=n.env(HTTPS_PROXY=px.url(
		    nl.PROXY_CREDS)), v=True)
		n.expect_accepted(r, ref, app().digest)
		n.no_secrets(r, [nl.PROXY_CREDS[1], base64.b64encode(
		    ("%s:%s" % nl.PROXY_CREDS).encode()).decode()])
	t.case("proxy: -v does not show the proxy password", proxy_secret)

	def http_proxy():
		plain = t.registry()
		px = lab_need(nl.proxy)
		px.reset()
		if "regclient/app:v1" not in plain.images:
			d = plain.put_image("regclient/app", "v1",
			    content="registry client plain")
			plain.record("regclient/app", "v1", d)
		h = "%s:%d" % (nl.FAKE_HOST, plain.port)
		ref = h + "/regclient/app:v1"
		r = n.ivlite(ref, insecure=[h], env=n.env(HTTP_PROXY=px.url()))
		n.expect_accepted(r, ref, plain.images["regclient/app:v1"].digest)
		log = px.log()
		if not log or log[0][:2] != ("GET", "http://%s/v2/" % h):
			raise Fail("proxy log %r, want absolute-form GETs" % log)
	t.case("proxy: HTTP_PROXY for a plain-HTTP (-insecure) registry",
	    http_proxy)

	def injecting(delay):
		"""A proxy that answers CONNECT with 200 and then a forged 401
		whose Bearer realm is a recording HTTPS token server the test CA
		vouches for (as an attacker's own certificate would be): with
		credentials in auth.json, nothing may reach that realm."""
		def f():
			reg()
			realm = labmod.Recorder(t.lab, ctx=nl.recorder_ctx())
			forged = ("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: "
			    "Bearer realm=\"%s/token\",service=\"forged\"\r\n"
			    "Content-Type: application/json\r\nContent-Length: 2"
			    "\r\n\r\n{}" % realm.url()).encode()
			px = labmod.ConnectProxy(t.lab, after_connect=forged,
			    delay=delay)
			auth = labmod.auth_json(t.lab, {fake(): (nl.USER,
			    nl.PASSWORD)}, name="proxy-inject-%s.json" % delay)
			ref = fake() + "/app:v1"
			r = n.ivlite(ref, certs_d=cd(), auth=auth, env=n.env(
			    HTTPS_PROXY=px.url()), timeout=3, wait=6)
			if realm.log():
				raise Fail("the forged realm got requests: %r; ivlite: "
				    "%r" % (realm.log(), r.reason))
			if delay:	# the bytes meet the TLS handshake
				t.expect(r, 3, "error: %s: TLS handshake: the server "
				    "does not speak TLS (plain HTTP needs -insecure %s)"
				    % (fake(), fake()))
			else:
				t.expect(r, 3, "error: proxy %s sent data after its "
				    "CONNECT reply for %s" % (px.host, fake()))
			if [x[:2] for x in px.log()] != [("CONNECT", fake())]:
				raise Fail("proxy log %r" % px.log())
			n.no_secrets(r, [nl.PASSWORD])
		return f
	t.case("proxy: bytes after the 200 to CONNECT (a forged 401 with its "
	    "own realm) are exit 3; the realm gets nothing", injecting(0))
	t.case("proxy: bytes sent after the 200 to CONNECT, later, meet the "
	    "TLS handshake: exit 3; the realm gets nothing", injecting(0.3))


# --- credentials over plain HTTP (registry-client.md §5) ------------------

def run_plain_creds(t, n, nl):
	"""Credentials, and tokens obtained with them, go over plain HTTP only
	to loopback: the name localhost, 127.0.0.0/8 and ::1 as IP literals
	(and their IPv4-mapped form).  Other names reach the lab's Recorders
	through the HTTP proxy (loopback is never proxied, other names are),
	so every refusal is checked against a server that would have seen
	the secret, and every allowed case against the request it got."""
	fake = labmod.ConnectProxy.fake_domain
	files = []
	b64 = base64.b64encode(("%s:%s" % (nl.USER, nl.PASSWORD)).encode()) \
	    .decode()
	idtok = "idtok-plain-secret"

	def creds(host, idtoken=False):
		v = (nl.USER, nl.PASSWORD)
		if idtoken:
			v = {"auth": b64, "identitytoken": idtok}
		files.append(labmod.auth_json(t.lab, {host: v},
		    name="plain-auth-%d.json" % len(files)))
		return files[-1]

	def rec(challenge=None, tls=False):
		return labmod.Recorder(t.lab, challenge, nl.recorder_ctx() if tls
		    else None)

	def bearer(realm):
		return 'Bearer realm="%s/token",service="recorder"' % realm

	def go(host, auth=None, insecure=(), tls=False):
		"""regfetch manifest HOST/app:v1 (-insecure HOST unless tls, and
		INSECURE), HTTP_PROXY set; (result, proxy log)."""
		px = lab_need(nl.proxy)
		px.reset()
		r = n.fetch("manifest", host + "/app:v1", auth=auth,
		    insecure=([] if tls else [host]) + list(insecure),
		    ca_file=nl.pki().path,
		    env=n.env(HTTP_PROXY=px.url()), timeout=3, wait=6)
		return r, px.log()

	def seen(server):
		return [(x["method"], x["path"], x["auth"]) for x in server.log()]

	def want(server, reqs, host=None, r=None):
		got = seen(server)
		if got != reqs:
			raise Fail("%s got %r, want %r%s" % (server.host, got, reqs,
			    "; ivlite: %r" % r.reason if r else ""))
		if host and [x["host"] for x in server.log()] != [host] * len(reqs):
			raise Fail("Host headers %r, want %s" % (server.log(), host))

	def secrets(r, *servers):
		n.no_secrets(r, [nl.PASSWORD, b64, idtok] + [tk for s in servers
		    for tk in s.tokens])

	def not_sent(host, auth):
		return ("error: %s: credentials (%s, key \"%s\"), and tokens obtained "
		    "with them, are not sent over plain HTTP to a host that is not "
		    "loopback" % (host, auth, host))

	ping = [("GET", "/v2/", None)]

	def registry_not_loopback(name, challenge, idtoken=False):
		"""A plain-HTTP registry under a name that is not loopback:
		neither Basic nor a token obtained with the credentials goes
		there, and no token is asked for."""
		def f():
			realm = rec(tls=True)
			reg = rec(challenge(realm.url()))
			host = "%s%s:%d" % (name, fake, reg.port)
			auth = creds(host, idtoken)
			r, plog = go(host, auth)
			want(realm, [], r=r)
			want(reg, ping, host, r)
			t.expect(r, 3, not_sent(host, auth))
			if [x[:2] for x in plog] != [("GET", "http://%s/v2/" % host)]:
				raise Fail("proxy log %r: %s was not proxied" % (plog,
				    host))
			secrets(r, realm)
		return f
	t.case("plain credentials: no bearer token is fetched with the password "
	    "for a plain-HTTP registry that is not loopback",
	    registry_not_loopback("registry", bearer))
	t.case("plain credentials: no bearer token is fetched with an identity "
	    "token (POST) for a plain-HTTP registry that is not loopback",
	    registry_not_loopback("registry", bearer, True))
	t.case("plain credentials: no Basic credentials to a plain-HTTP "
	    "registry that is not loopback", registry_not_loopback("registry",
	    lambda realm: 'Basic realm="recorder"'))
	t.case("plain credentials: 127.attacker.ivlite.test is not loopback "
	    "(Basic)", registry_not_loopback("127.attacker",
	    lambda realm: 'Basic realm="recorder"'))
	t.case("plain credentials: 127.attacker.ivlite.test is not loopback "
	    "(bearer token)", registry_not_loopback("127.attacker", bearer))

	def anonymous():
		reg = rec()
		host = "registry%s:%d" % (fake, reg.port)
		reg.challenge = bearer("http://" + host)
		r, _ = go(host)
		t.expect(r, 3, "error: %s: no manifest %s/app:v1" % (host, host))
		want(reg, ping + [("GET", "/token", None), ("GET",
		    "/v2/app/manifests/v1", "bearer")], host)
	t.case("plain credentials: an anonymous token does go over plain HTTP "
	    "to a registry that is not loopback", anonymous)

	def realm_not_loopback(name, idtoken):
		"""A loopback registry whose realm is plain HTTP under a name
		that is not loopback (and -insecure, so only the loopback rule
		stands in the way)."""
		def f():
			realm = rec()
			rhost = "%s%s:%d" % (name, fake, realm.port)
			reg = rec(bearer("http://" + rhost))
			auth = creds(reg.host, idtoken)
			r, plog = go(reg.host, auth, insecure=[rhost])
			want(realm, [], r=r)
			want(reg, ping, r=r)
			t.expect(r, 3, "error: %s: token realm http://%s/token is "
			    "plain HTTP to a host that is not loopback: credentials "
			    "(%s, key \"%s\") are not sent there" % (reg.host, rhost, auth,
			    reg.host))
			secrets(r, realm)
		return f
	for name in ("realm", "127.attacker"):
		for idt in (False, True):
			t.case("plain credentials: no %s to the plain-HTTP realm "
			    "%s%s (not loopback)" % ("identity token (POST)" if idt
			    else "password (GET)", name, fake),
			    realm_not_loopback(name, idt))

	def realm_loopback(idtoken, insecure):
		"""A loopback realm in plain HTTP gets the password or identity
		token, -insecure or not (registry-client.md §3.3: loopback is as
		good as -insecure for a realm)."""
		def f():
			realm = rec()
			rhost = "localhost:%d" % realm.port
			reg = rec(bearer("http://" + rhost))
			auth = creds(reg.host, idtoken)
			r, _ = go(reg.host, auth, insecure=[rhost] if insecure else [])
			t.expect(r, 3, "error: %s: no manifest %s/app:v1"
			    % (reg.host, reg.host))
			want(realm, [("POST" if idtoken else "GET", "/token",
			    None if idtoken else "basic")], r=r)
			want(reg, ping + [("GET", "/v2/app/manifests/v1",
			    "bearer")], r=r)
			secrets(r, realm)
		return f
	for idt in (False, True):
		w = "identity token (POST)" if idt else "password (GET)"
		t.case("plain credentials: a plain-HTTP localhost realm without "
		    "-insecure gets the %s" % w, realm_loopback(idt, False))
		t.case("plain credentials: a plain-HTTP localhost realm with "
		    "-insecure gets the %s" % w, realm_loopback(idt, True))

	def realm_samehost():
		"""A plain-HTTP registry under -insecure with its realm on the
		same host, another port not listed: the anonymous token request
		goes there."""
		realm = rec()
		reg = rec()
		host = "registry%s:%d" % (fake, reg.port)
		rhost = "registry%s:%d" % (fake, realm.port)
		reg.challenge = bearer("http://" + rhost)
		r, _ = go(host)
		t.expect(r, 3, "error: %s: no manifest %s/app:v1" % (host, host))
		want(realm, [("GET", "/token", None)], rhost, r)
		want(reg, ping + [("GET", "/v2/app/manifests/v1", "bearer")], host,
		    r)
	t.case("token realm: plain HTTP on the host of a plain-HTTP -insecure "
	    "registry (another port) is allowed", realm_samehost)

	def realm_elsewhere(tls):
		"""A realm in plain HTTP on another host that is neither loopback
		nor -insecure: refused before any request, and the reason names
		the registry first."""
		def f():
			realm = rec()
			rhost = "realm%s:%d" % (fake, realm.port)
			reg = rec(bearer("http://" + rhost), tls)
			r, plog = go(reg.host, tls=tls)
			want(realm, [], r=r)
			t.expect(r, 3, "error: %s: token realm http://%s/token is "
			    "plain HTTP, allowed only on loopback, -insecure hosts "
			    "and the host of a plain-HTTP -insecure registry"
			    % (reg.host, rhost))
			if plog:
				raise Fail("proxy log %r" % plog)
		return f
	t.case("token realm: plain HTTP on another host, neither loopback nor "
	    "-insecure, is refused naming the registry (plain-HTTP registry)",
	    realm_elsewhere(False))
	t.case("token realm: plain HTTP on another host, neither loopback nor "
	    "-insecure, is refused naming the registry (TLS registry)",
	    realm_elsewhere(True))

	def realm_unparsed():
		"""A realm ivlite cannot take (user information): the reason
		names the registry, then the realm."""
		reg = rec()
		reg.challenge = bearer("http://user@" + reg.host)
		r, _ = go(reg.host)
		t.expect(r, 3, "error: %s: token realm: URL \"http://user@%s/"
		    "token\": user information is not accepted" % (reg.host,
		    reg.host))
		want(reg, ping, r=r)
	t.case("token realm: a realm URL that does not parse is refused naming "
	    "the registry", realm_unparsed)

	def mapped():
		reg = rec('Basic realm="recorder"')
		host = "[::ffff:7f00:1]:%d" % reg.port
		r, plog = go(host, creds(host))
		if plog:
			raise Fail("proxy log %r: loopback was proxied; ivlite: %r"
			    % (plog, r.reason))
		want(reg, ping + [("GET", "/v2/app/manifests/v1", "basic")], host,
		    r)
		t.expect(r, 3, "error: %s: no manifest %s/app:v1" % (host, host))
		secrets(r)
	t.case("plain credentials: [::ffff:7f00:1] (IPv4-mapped 127.0.0.1) is "
	    "loopback: Basic sent, not proxied", mapped)
