#!/usr/bin/python3
"""ivlite's HTTP client against a misbehaving registry (hostile.py):
redirects, header and body limits, chunked framing, digests, status codes,
stalls, truncated TLS, odd WWW-Authenticate spellings.

Each case runs tests/regfetch (or ivlite standalone) against one hostile
listener and repository name; errors must be exit 3 with exactly the
expected line, "error: HOST:PORT: " and why, built from what varies per
run (ports, paths, digests).  Cases that
wait for a timeout start together in the background (Later) and are
collected in order, so the whole module stays within a few seconds.  The
"lab: hostile …" cases check the wire bytes themselves with raw sockets.
Run through tests/integration.py.
"""

import base64
import gzip
import json
import re
import socket
import ssl
import subprocess
import time
import urllib.parse

import hostile as hmod
import lab as labmod
from integration import Fail, Skip
from integration import within
from test_registry import Later, Net, denied, lab_need, tls_of, \
    tls_refused, untrusted, vlog

TIMEOUT = 1		# -timeout for the stall cases (seconds)


def run(t):
	n = Net(t)
	nl = n.nl

	def H():
		return lab_need(nl.hostile)

	def li(name):
		return H()[name]

	def ct():
		return H().content

	def ok_line():
		c = ct()
		return "%s %s %d" % (c.digest, labmod.MT_OCI_MANIFEST,
		    len(c.manifest))

	def kw(name, **extra):
		"""regfetch/ivlite options for listener NAME (-timeout 3 unless
		given: a client that hangs costs 3 s, not 8)."""
		extra.setdefault("timeout", 3)
		lst = li(name)
		if lst.scheme == "http":
			extra.setdefault("insecure", [lst.host])
		else:
			extra.setdefault("ca_file", nl.pki().path)
		return extra

	def ref(name, repo, tag="v1", digest=None, host=None):
		r = "%s/%s" % (host or li(name).host, repo)
		if tag:
			r += ":" + tag
		if digest:
			r += "@" + digest
		return r

	def fetch(name, repo, *cmd, **extra):
		tag = extra.pop("tag", "v1")
		digest = extra.pop("digest", None)
		what = cmd[0] if cmd else "manifest"
		return n.fetch(what, ref(name, repo, tag, digest), *cmd[1:],
		    wait=6, **kw(name, **extra))

	def good(name, repo, **extra):
		return lambda: n.expect_out(fetch(name, repo, **extra),
		    [ok_line()])

	def error(name, why):
		"""The line of an error at listener NAME."""
		return "error: %s: %s" % (li(name).host, why)

	def bad(name, repo, why, code=3, **extra):
		elapsed = extra.pop("elapsed", 3.0)
		return lambda: n.expect_line(fetch(name, repo, **extra), code,
		    error(name, why() if callable(why) else why), elapsed=elapsed)

	# --- slow cases start first, in the background ------------------------
	bg = {}

	def later(key, fn):
		try:
			H()
		except Exception:
			bg[key] = None
			return
		bg[key] = Later(fn)

	def got(key):
		def f():
			if bg.get(key) is None:
				H()	# raises Skip with the reason
			return bg[key].result()
		return f

	tmo = within(TIMEOUT + 1.0)
	later("stall-plain", lambda: fetch("stall", "ok", timeout=TIMEOUT))
	later("stall-tls", lambda: n.fetch("manifest", ref("stall", "ok"),
	    ca_file=nl.pki().path, timeout=TIMEOUT))
	later("stall-ivlite", lambda: n.ivlite(ref("stall", "ok"),
	    insecure=[li("stall").host], timeout=TIMEOUT))
	later("stall-body", lambda: fetch("plain", "stall/body",
	    timeout=TIMEOUT))
	later("trickle", lambda: fetch("trickle", "ok", timeout=2))
	later("429once", lambda: fetch("plain", "status/429once/a%d"
	    % time.time_ns()))
	later("429always", lambda: fetch("plain", "status/429always",
	    timeout=3))
	later("429long", lambda: fetch("plain", "status/429long"))

	run_selftests(t, n, nl, H, li, ct)

	timed_out = "timed out (-timeout %d s)"
	t.case("hostile: server accepts and never answers (http): exit 3 "
	    "within -timeout + 1 s", lambda: n.expect_line(got(
	    "stall-plain")(), 3, error("stall", timed_out % TIMEOUT),
	    elapsed=tmo))
	t.case("hostile: server never answers the TLS handshake: exit 3 "
	    "within -timeout + 1 s", lambda: n.expect_line(got(
	    "stall-tls")(), 3, error("stall", timed_out % TIMEOUT + " (during "
	    "the TLS handshake: does the server want a client certificate? "
	    "%s/%s has none)" % (n.empty_certs, li("stall").host)),
	    elapsed=tmo))
	t.case("hostile: ivlite standalone against a stalled server: exit 3 "
	    "within -timeout + 1 s", lambda: n.expect_line(got(
	    "stall-ivlite")(), 3, error("stall", timed_out % TIMEOUT),
	    elapsed=tmo))
	t.case("hostile: headers then no body: exit 3 within -timeout + 1 s",
	    lambda: n.expect_line(got("stall-body")(), 3, error("plain",
	    timed_out % TIMEOUT), elapsed=tmo))
	t.case("hostile: server trickling 1 byte/s: exit 3 within -timeout + "
	    "1 s", lambda: n.expect_line(got("trickle")(), 3, error("trickle",
	    timed_out % 2), elapsed=within(3.0)))

	def once():
		r = got("429once")()
		n.expect_out(r, [ok_line()], elapsed=within(3.0))
		if r.elapsed < 0.9:
			raise Fail("retried after %.2f s, before Retry-After: 1"
			    % r.elapsed)
		hits = H().log("plain", "/v2/%s/manifests/v1" % r.argv[-1]
		    .split("/", 1)[1].rsplit(":", 1)[0])
		if len(hits) != 2:
			raise Fail("expected 2 manifest requests, got %d" % len(hits))
	t.case("hostile: 429 Retry-After: 1 once, then retried and fetched",
	    once)

	def always():
		r = n.expect_line(got("429always")(), 3, error("plain",
		    "rate limited (Retry-After -1)"), elapsed=within(4.0))
		hits = H().log("plain", "/v2/status/429always/")
		if not 1 <= len(hits) <= 3:
			raise Fail("expected at most 3 attempts, got %d" % len(hits))
		return r
	t.case("hostile: 429 every time: exit 3 rate limited, at most 3 "
	    "attempts", always)
	t.case("hostile: 429 Retry-After: 30 beyond the budget: exit 3 at once",
	    lambda: n.expect_line(got("429long")(), 3, error("plain",
	    "rate limited (Retry-After 30)"), elapsed=within(2.0)))

	# --- a well-behaved answer, and what ivlite sends ---------------------
	t.case("hostile: ok repository fetched (control)", good("plain", "ok"))
	t.case("hostile: ok over TLS (control)", good("tls", "ok"))

	def request_headers():
		h = H()
		start = len(h.log())
		n.expect_out(fetch("plain", "ok"), [ok_line()])
		reqs = [r for r in h.log()[start:]
		    if "/manifests/" in r["path"]]
		if len(reqs) != 1:
			raise Fail("expected one manifest request, got %r" % reqs)
		r = reqs[0]
		acc = [a.strip().split(";")[0] for a in (r["accept"] or "")
		    .split(",")]
		want = [labmod.MT_OCI_MANIFEST, labmod.MT_OCI_INDEX,
		    "application/vnd.docker.distribution.manifest.v2+json",
		    "application/vnd.docker.distribution.manifest.list.v2+json"]
		problems = []
		if [a for a in want if a not in acc]:
			problems.append("Accept %r lacks %r" % (r["accept"],
			    [a for a in want if a not in acc]))
		if any("prettyjws" in a for a in acc):
			problems.append("Accept %r offers schema1" % r["accept"])
		if r["accept-encoding"] != "identity":
			problems.append("Accept-Encoding %r" % r["accept-encoding"])
		if r["host"] != li("plain").host:
			problems.append("Host %r" % r["host"])
		if not (r["user-agent"] or "").startswith("ivlite/"):
			problems.append("User-Agent %r" % r["user-agent"])
		if r["auth"]:
			problems.append("an Authorization header to an open "
			    "registry")
		if problems:
			raise Fail("; ".join(problems))
	t.case("hostile: manifest request has Accept (OCI + Docker, no "
	    "schema1), Accept-Encoding: identity, Host, User-Agent",
	    request_headers)

	def keepalive():
		h = H()
		before = h.connections("plain")
		r = n.expect_out(fetch("plain", "ok", "image", v=True),
		    [ok_line(), "%s %d" % (ct().config_digest, len(ct().config))])
		if h.connections("plain") - before != 1:
			raise Fail("expected 1 connection for ping, manifest and "
			    "blob, got %d" % (h.connections("plain") - before))
		conns, gets = vlog(r)
		if len(conns) != 1 or len(gets) != 3:
			raise Fail("-v: %r %r" % (conns, gets))
	t.case("hostile: regfetch image keeps one connection alive (server "
	    "counts)", keepalive)

	# --- redirects ------------------------------------------------------------
	for code in (301, 302, 303, 307, 308):
		t.case("hostile redirect: %d followed" % code,
		    good("plain", "redir/%d/1" % code))
	t.case("hostile redirect: path-relative Location followed",
	    good("plain", "redir/302/3/rel"))
	t.case("hostile redirect: Location with dot segments resolved "
	    "(RFC 3986)", good("plain", "redir/303/2/dots"))
	t.case("hostile redirect: absolute Location followed",
	    good("plain", "redir/307/2/abs"))
	t.case("hostile redirect: 10 hops is within the limit",
	    good("plain", "redir/302/10"))
	t.case("hostile redirect: 11 hops is exit 3",
	    bad("plain", "redir/302/11", "manifest v1: more than MAX_REDIRECTS "
	    "(10) redirects"))
	t.case("hostile redirect: 11-hop chain never reaches hop 12",
	    lambda: _no_twelfth(H, fetch))
	t.case("hostile redirect: 302 without Location is exit 3",
	    bad("plain", "redir/nolocation", "manifest v1: HTTP 302 without "
	    "Location"))
	t.case("hostile redirect: blob through 2 hops",
	    lambda: n.expect_out(fetch("plain", "redir/307/2", "blob",
	    ct().config_digest), ["%s %d" % (ct().config_digest,
	    len(ct().config))]))

	def downgrade():
		h = H()
		start = len(h.log("plain"))
		n.expect_line(fetch("tls", "downgrade", insecure=[
		    li("plain").host], ca_file=nl.pki().path), 3, error("tls",
		    "manifest v1: redirect from https to http refused: "
		    "http://%s/hop/307/path/manifest/v1/0" % li("plain").host))
		hits = [r for r in h.log("plain")[start:] if "/hop/" in r["path"]]
		if hits:
			raise Fail("the http target was contacted: %r" % hits)
	t.case("hostile redirect: https -> http is refused (even for an "
	    "-insecure target)", downgrade)

	basic_auth = lambda: labmod.auth_json(t.lab, {li("tls-basic").host:
	    hmod.HOSTILE_USER}, name="hostile-auth.json")
	auth_file = {}

	def hauth():
		if "f" not in auth_file:
			auth_file["f"] = basic_auth()
		return auth_file["f"]

	def cross(arg, target_host):
		def f():
			h = H()
			start = len(h.log())
			n.expect_out(fetch("tls-basic", "cross/" + arg, auth=hauth()),
			    [ok_line()])
			new = h.log()[start:]
			at_b = [r for r in new if r["listener"] == "tls-b"]
			at_a = [r for r in new if r["listener"] == "tls-basic" and
			    "/manifests/" in r["path"]]
			if not at_a or not at_a[0]["auth"]:
				raise Fail("the registry request carried no "
				    "Authorization: %r" % at_a)
			if arg == "same":
				hop = [r for r in new if r["listener"] == "tls-basic"
				    and "/hop/" in r["path"]]
				if not hop or not all(r["auth"] for r in hop):
					raise Fail("same-origin hop without Authorization: "
					    "%r" % hop)
				return
			if not at_b:
				raise Fail("the second host saw no request")
			if any(r["auth"] for r in at_b):
				raise Fail("Authorization was sent to %s" % target_host())
			if at_b[0]["host"] != target_host():
				raise Fail("Host %r at the second listener, want %r"
				    % (at_b[0]["host"], target_host()))
		return f
	t.case("hostile redirect: same scheme/host/port keeps Authorization",
	    cross("same", lambda: li("tls-basic").host))
	t.case("hostile redirect: same host, other port: Authorization dropped",
	    cross("port", lambda: li("tls-b").host))
	t.case("hostile redirect: other host: Authorization dropped, TLS name "
	    "checked for localhost", cross("host", lambda: "localhost:%d"
	    % li("tls-b").port))
	t.case("hostile: tls-basic without credentials is exit 3 (denied)",
	    lambda: n.expect_line(fetch("tls-basic", "ok"), 3, denied(
	    li("tls-basic").host, "ok", "none in " + n.empty_auth)))

	# --- header limits ---------------------------------------------------------
	t.case("hostile header: 58 KiB block, 14 KiB line, 90 fields accepted",
	    good("plain", "hdr/ok"))
	t.case("hostile header: block over 64 KiB is exit 3",
	    bad("plain", "hdr/block", "response header larger than "
	    "MAX_HEADER_BYTES (65536)"))
	t.case("hostile header: line over 16 KiB is exit 3",
	    bad("plain", "hdr/line", "response header line longer than "
	    "MAX_HEADER_LINE (16384)"))
	t.case("hostile header: over 100 fields is exit 3",
	    bad("plain", "hdr/fields", "more than MAX_HEADERS (100) response "
	    "header fields"))

	# --- body limits -------------------------------------------------------------
	def max_body():
		c = ct()
		n.expect_out(fetch("plain", "body/max"), ["%s %s %d" % (
		    labmod.sha256_digest(c.max), labmod.MT_OCI_MANIFEST,
		    len(c.max))])
	t.case("hostile body: manifest of exactly 4 MiB accepted", max_body)
	over = "larger than MAX_MANIFEST_BYTES (4194304)"
	closed = "connection closed inside the response body"
	t.case("hostile body: 4 MiB + 1 with Content-Length is exit 3",
	    bad("plain", "body/big", "response of 4194305 bytes, " + over))
	t.case("hostile body: 4 MiB + 1 chunked is exit 3",
	    bad("plain", "body/bigchunked", "chunked response " + over))
	t.case("hostile body: 4 MiB + 1 until close is exit 3",
	    bad("plain", "body/bigclose", "response " + over))

	# --- chunked ------------------------------------------------------------------
	t.case("hostile chunked: extensions, upper-case hex, trailer accepted",
	    good("plain", "chunked/ok"))
	t.case("hostile chunked: 17 hex digits is exit 3",
	    bad("plain", "chunked/hex17", "invalid chunk size line"))
	t.case("hostile chunked: data without CRLF is exit 3",
	    bad("plain", "chunked/nocrlf", "chunk data not followed by CRLF"))
	t.case("hostile chunked: connection closed inside a chunk is exit 3",
	    bad("plain", "chunked/truncated", closed))
	t.case("hostile chunked: chunk size FFFFFFFFFFFF is exit 3",
	    bad("plain", "chunked/huge", "chunked response " + over))

	# --- framing -------------------------------------------------------------------
	t.case("hostile framing: Content-Length with Transfer-Encoding is "
	    "exit 3", bad("plain", "frame/clte", "response has both "
	    "Content-Length and Transfer-Encoding"))
	t.case("hostile framing: conflicting Content-Lengths is exit 3",
	    bad("plain", "frame/cl2", "invalid or conflicting Content-Length"))
	t.case("hostile framing: Content-Length list 'N, N' is exit 3",
	    bad("plain", "frame/cllist", "invalid or conflicting "
	    "Content-Length"))
	t.case("hostile framing: repeated equal Content-Length accepted",
	    good("plain", "frame/cldup"))
	t.case("hostile framing: Transfer-Encoding gzip, chunked is exit 3",
	    bad("plain", "frame/tegzip", 'Transfer-Encoding "gzip, chunked" is '
	    "not supported (only chunked)"))
	t.case("hostile framing: body until close accepted",
	    good("plain", "frame/close"))
	t.case("hostile framing: Content-Length longer than the body is exit 3",
	    bad("plain", "frame/short", closed))
	t.case("hostile framing: Content-Encoding: gzip is exit 3",
	    bad("plain", "frame/gzip", 'Content-Encoding "gzip": ivlite never '
	    "hashes encoded bytes"))
	t.case("hostile framing: bare LF line ends accepted",
	    good("plain", "frame/barelf"))
	t.case("hostile framing: 100 Continue before the answer accepted",
	    good("plain", "frame/continue"))
	t.case("hostile framing: obs-fold header line accepted",
	    good("plain", "frame/obsfold"))
	t.case("hostile framing: HTTP/1.0 answer accepted",
	    good("plain", "frame/http10"))
	t.case("hostile framing: Content-Type in capitals with a parameter "
	    "accepted", good("plain", "frame/ctparam"))
	t.case("hostile framing: body cut short over TLS is exit 3",
	    bad("tls", "trunc/body", closed))
	t.case("hostile framing: body cut short over http is exit 3",
	    bad("plain", "trunc/body", closed))

	# --- digests -------------------------------------------------------------------
	other = lambda: labmod.sha256_digest(ct().other)
	says = lambda what, got: lambda: "manifest %s: content has digest %s, " \
	    "Docker-Content-Digest says %s" % (what, got(), other())
	t.case("hostile digest: manifest bytes differ from the digest asked "
	    "for", lambda: n.expect_line(fetch("plain", "digest/body",
	    tag=None, digest=ct().digest), 3, error("plain", "manifest %s: "
	    "content has digest %s" % (ct().digest, other()))))
	t.case("hostile digest: Docker-Content-Digest disagrees (by tag)",
	    bad("plain", "digest/header", says("v1", lambda: ct().digest)))
	t.case("hostile digest: Docker-Content-Digest disagrees (by digest)",
	    lambda: n.expect_line(fetch("plain", "digest/header", tag=None,
	    digest=ct().digest), 3, error("plain", says(ct().digest,
	    lambda: ct().digest)())))
	t.case("hostile digest: ivlite standalone refuses the disagreeing tag",
	    lambda: n.expect_line(n.ivlite(ref("plain", "digest/header"),
	    **kw("plain")), 3, error("plain", says("v1", lambda:
	    ct().digest)())))
	t.case("hostile digest: blob bytes differ from the digest asked for",
	    lambda: n.expect_line(fetch("plain", "digest/blob", "blob",
	    ct().config_digest), 3, error("plain", "blob %s: content has "
	    "digest %s" % (ct().config_digest, labmod.sha256_digest(
	    b"not the blob you asked for")))))

	# --- status codes ---------------------------------------------------------------
	def five_hundred():
		h = H()
		start = len(h.log("plain"))
		n.expect_line(fetch("plain", "status/500"), 3, error("plain",
		    "manifest v1: HTTP 500"))
		hits = [r for r in h.log("plain")[start:]
		    if "status/500" in r["path"]]
		if len(hits) != 1:
			raise Fail("500 was retried: %d requests" % len(hits))
	t.case("hostile status: 500 is exit 3, not retried", five_hundred)
	t.case("hostile status: 403 DENIED is exit 3",
	    lambda: n.expect_line(fetch("plain", "status/403"), 3, denied(
	    li("plain").host, "status/403", "none in " + n.empty_auth, 403)))
	t.case("hostile status: 404 MANIFEST_UNKNOWN is exit 3",
	    bad("plain", "status/404", lambda: "no manifest %s" % ref("plain",
	    "status/404")))
	t.case("hostile status: schema1 Content-Type is exit 3",
	    bad("plain", "status/schema1", 'manifest v1: unsupported media '
	    'type "application/vnd.docker.distribution.manifest.v1+prettyjws"'))
	t.case("hostile status: ping 404 (not a v2 registry) is exit 3",
	    bad("ping404", "ok", "GET /v2/ answered HTTP 404: not a registry "
	    "API v2"))

	# --- TLS --------------------------------------------------------------------------
	t.case("hostile tls: server closing mid-handshake is exit 3",
	    lambda: n.expect_line(n.fetch("manifest", ref("tls-hangup", "ok"),
	    ca_file=nl.pki().path), 3, error("tls-hangup", "TLS handshake: "
	    "SSL - The connection indicated an EOF")))
	def tls13_only():
		if tls_of(t)[1]:
			return good("tls13", "ok")()
		return bad("tls13", "ok", "TLS handshake: " + tls_refused(t))()
	t.case("hostile tls: TLS 1.3-only server: accepted where ivlite has "
	    "TLS 1.3 (-version), else exit 3 naming the versions", tls13_only)
	# a leaf and its intermediate: the anchor is the intermediate's issuer
	t.case("hostile tls-chain: leaf + intermediate, the root as -ca-file",
	    lambda: good("tls-chain", "ok", ca_file=H().chain_root.path)())
	t.case("hostile tls-chain: the root amid the system bundle",
	    lambda: good("tls-chain", "ok", ca_file=n.bundle(
	    "bundle-chain.crt", H().chain_root.pem))())
	def twin_root():
		f = n.bundle("bundle-pl0.crt", labmod.Pki(nl.lab,
		    cn="ivlite chain root", name="chain-root-pl0",
		    key=H().chain_root.key, path_length=0).pem)
		n.expect_line(fetch("tls-chain", "ok", ca_file=f), 3, untrusted(
		    li("tls-chain").host, f, n.empty_certs))
	t.case("hostile tls-chain: the root's twin (same name and key) with "
	    "pathLenConstraint 0 is exit 3 (untrusted)", lambda: twin_root())
	t.case("hostile tls-chain: the test CA only is exit 3 (untrusted)",
	    lambda: n.expect_line(fetch("tls-chain", "ok"), 3, untrusted(
	    li("tls-chain").host, nl.pki().path, n.empty_certs)))

	# name constraints of an intermediate (or the root), on both paths
	# to the anchor: certs.d's ca.crt, and the -ca-file bundle
	def nc_opts(name, via):
		root = H().nc[name][2]
		if via == "certs.d":
			return {"certs_d": n.certs_d(key="nc-" + name, files={
			    li(name).host: {"ca.crt": root.pem}})}
		return {"ca_file": root.path}

	def nc_bad(name, via, why):
		def f():
			n.expect_line(fetch(name, "ok", **nc_opts(name, via)), 3,
			    "error: %s: TLS: certificate rejected: %s" % (li(name).host,
			    why(name)))
		t.case("hostile %s via %s: exit 3" % (name, via), f)

	def nc_good(name, via):
		t.case("hostile %s via %s: accepted" % (name, via), lambda:
		    n.expect_out(fetch(name, "ok", **nc_opts(name, via)),
		    [ok_line()]))
	inter = lambda name: '"CN=ivlite %s intermediate"' % name
	for via in ("certs.d", "ca-file"):
		nc_bad("tls-nc", via, lambda name: 'DNS name "localhost" is not '
		    "permitted by the name constraints of " + inter(name))
		nc_good("tls-nc-ok", via)
		nc_bad("tls-nc-ip", via, lambda name: 'IP address "127.0.0.1" is '
		    "not permitted by the name constraints of " + inter(name))
		nc_bad("tls-nc-root", via, lambda name: 'DNS name "localhost" is '
		    'excluded by the name constraint "localhost" of "CN=ivlite '
		    'excluding root"')
		nc_bad("tls-nc-root-crit", via, lambda name: 'DNS name "localhost" '
		    'is excluded by the name constraint "localhost" of "CN=ivlite '
		    'critically excluding root"')
	# mbedTLS 2.28 refuses a critical nameConstraints when parsing
	t.case("hostile tls-nc-crit (critical name constraints): exit 3",
	    lambda: n.expect_line(fetch("tls-nc-crit", "ok", **nc_opts(
	    "tls-nc-crit", "ca-file")), 3, "error: %s: TLS handshake: X509 - "
	    "The extension tag or value is invalid : ASN1 - ASN1 tag was of "
	    "an unexpected value" % li("tls-nc-crit").host))

	def nc_openssl():
		"""openssl verify judges the tls-nc* chains alike."""
		if labmod.missing_tools("openssl"):
			raise Skip("openssl not installed")
		rows = []
		for name, want in (("tls-nc", "permitted subtree violation"),
		    ("tls-nc-ok", ": OK"), ("tls-nc-ip", "permitted subtree "
		    "violation"), ("tls-nc-root", "excluded subtree violation"),
		    ("tls-nc-root-crit", "excluded subtree violation")):
			ca, leaf, root = H().nc[name]
			rows.append((name, root.path, ca.path if ca is not root else
			    None, leaf.cert_path, None, want))
		bad = labmod.openssl_disagrees(rows)
		if bad:
			raise Fail("; ".join(bad))
	t.case("hostile tls-nc: openssl verify agrees with the verdicts",
	    nc_openssl)

	# --- WWW-Authenticate spellings ---------------------------------------------------
	for name, (_, field, service) in sorted(hmod.CHALLENGES.items()):
		def bearer(name=name, service=service):
			h = H()
			start = len(h.log(name))
			n.expect_out(fetch(name, "app"), [ok_line()])
			new = h.log(name)[start:]
			toks = [r for r in new if r["path"].startswith("/token")]
			if len(toks) != 1:
				raise Fail("expected one token request, got %r"
				    % [r["path"] for r in new])
			q = _query(toks[0]["path"])
			want = [("scope", "repository:app:pull")]
			if service is not None:
				want.append(("service", service))
			if sorted(q) != sorted(want) or toks[0]["auth"]:
				raise Fail("token request %r (Authorization %s), want "
				    "query %r" % (toks[0]["path"], toks[0]["auth"], want))
		t.case("hostile auth: %s challenge (%s) leads to one token request"
		    % (name, field), bearer)
	t.case("hostile auth: /v2/ 200 but the manifest 401 Bearer: token "
	    "fetched", good("ping200-401", "app"))


def _query(path):
	return urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query,
	    keep_blank_values=True)


def _no_twelfth(H, fetch):
	h = H()
	start = len(h.log("plain"))
	fetch("plain", "redir/308/11")
	hops = [r for r in h.log("plain")[start:]
	    if "/redir/308/11/" in r["path"] or "/hop/308/" in r["path"]]
	if len(hops) > 11:
		raise Fail("%d requests for an 11-redirect chain (want at most "
		    "11: the original and 10 hops)" % len(hops))


# --- lab self-tests of the hostile server ------------------------------------------

def run_selftests(t, n, nl, H, li, ct):
	def raw(name, path, **kw):
		lst = li(name)
		ctx = nl.pki().client_context() if lst.scheme == "https" \
		    else None
		return hmod.raw_get(lst.host, lst.port, path, ctx=ctx, **kw)

	def head_body(data):
		h, _, b = data.partition(b"\r\n\r\n")
		return h, b

	def serves():
		c = ct()
		for name in ("plain", "tls"):
			data, _ = raw(name, "/v2/")
			if not data.startswith(b"HTTP/1.1 200") or \
			    not data.endswith(b"{}"):
				raise Fail("%s /v2/: %r" % (name, data[:100]))
			data, _ = raw(name, "/v2/ok/manifests/v1")
			h, b = head_body(data)
			if labmod.sha256_digest(b) != c.digest or \
			    b"Docker-Content-Digest: " + c.digest.encode() not in h:
				raise Fail("%s manifest: %r" % (name, h))
			data, _ = raw(name, "/v2/ok/blobs/" + c.config_digest)
			if head_body(data)[1] != c.config:
				raise Fail("%s config blob" % name)
	t.case("lab: hostile serves /v2/, the manifest and its blobs "
	    "(http and TLS with the test CA)", serves)

	def redirect_chain(repo, want_hops):
		def f():
			path = "/v2/%s/manifests/v1" % repo
			hops = 0
			while True:
				data, _ = raw("plain", path)
				st = int(data.split(b" ", 2)[1])
				if st not in (301, 302, 303, 307, 308):
					break
				loc = re.search(rb"\r\nLocation: ([^\r]*)", data)
				path = urllib.parse.urlsplit(urllib.parse.urljoin(
				    "http://%s%s" % (li("plain").host, path),
				    loc.group(1).decode())).path
				hops += 1
			if hops != want_hops or st != 200:
				raise Fail("%s: %d hops, then %d" % (repo, hops, st))
		return f
	t.case("lab: hostile redir/302/11 is 11 redirects, then the manifest",
	    redirect_chain("redir/302/11", 11))
	t.case("lab: hostile redir/302/3/rel resolves to the manifest",
	    redirect_chain("redir/302/3/rel", 3))
	t.case("lab: hostile redir/303/2/dots resolves to the manifest",
	    redirect_chain("redir/303/2/dots", 2))

	def wire(path, check, what, name="plain"):
		def f():
			data, timed_out = raw(name, path)
			h, b = head_body(data)
			if not check(data, h, b):
				raise Fail("%s: not %s: %r…" % (path, what, data[:200]))
		return f
	man = "/v2/%s/manifests/v1"
	lines = lambda h: h.split(b"\r\n")
	t.case("lab: hostile hdr/block sends a header block over 64 KiB with "
	    "no line over 16 KiB", wire(man % "hdr/block", lambda d, h, b:
	    len(h) > 65536 and max(map(len, lines(h))) < 16384 and
	    len(lines(h)) < 100, "that"))
	t.case("lab: hostile hdr/ok stays under every header limit",
	    wire(man % "hdr/ok", lambda d, h, b: len(h) < 65536 - 1024 and
	    max(map(len, lines(h))) < 16384 - 1024 and
	    len(lines(h)) - 1 <= 95, "that"))
	t.case("lab: hostile hdr/line sends a 17 KiB line",
	    wire(man % "hdr/line", lambda d, h, b:
	    max(map(len, lines(h))) > 16384 and len(h) < 65536, "that"))
	t.case("lab: hostile hdr/fields sends over 100 fields",
	    wire(man % "hdr/fields", lambda d, h, b:
	    len(lines(h)) - 1 > 100 and len(h) < 16384, "that"))
	t.case("lab: hostile body/max is a 4 MiB OCI manifest",
	    wire(man % "body/max", lambda d, h, b: len(b) == 4 << 20 and
	    b'"mediaType":"application/vnd.oci.image.manifest.v1+json"' in b,
	    "that"))
	t.case("lab: hostile chunked/hex17 has a 17-digit size line",
	    wire(man % "chunked/hex17", lambda d, h, b:
	    re.match(rb"[0-9a-f]{17}\r\n", b) is not None, "that"))
	t.case("lab: hostile chunked/ok decodes to the manifest",
	    wire(man % "chunked/ok", lambda d, h, b:
	    _dechunk(b) == ct().manifest, "that"))
	t.case("lab: hostile frame/clte sends both framings",
	    wire(man % "frame/clte", lambda d, h, b:
	    b"Content-Length: 10" in h and b"Transfer-Encoding: chunked" in h
	    and _dechunk(b) == ct().manifest, "that"))
	t.case("lab: hostile digest/header names other bytes",
	    wire(man % "digest/header", lambda d, h, b:
	    labmod.sha256_digest(b) == ct().digest and
	    ct().digest.encode() not in h, "that"))
	t.case("lab: hostile frame/gzip is gzip'd manifest",
	    wire(man % "frame/gzip", lambda d, h, b:
	    gzip.decompress(b) == ct().manifest, "that"))
	t.case("lab: hostile trunc/body over TLS ends early",
	    wire(man % "trunc/body", lambda d, h, b: 0 < len(b) <
	    len(ct().manifest), "that", name="tls"))

	def stall():
		data, timed_out = raw("stall", "/v2/", timeout=0.5)
		if data or not timed_out:
			raise Fail("stall answered %r" % data[:80])
	t.case("lab: hostile stall listener never answers", stall)

	def trickle():
		s = socket.create_connection(("127.0.0.1", li("trickle").port),
		    timeout=3)
		s.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")
		t0 = time.monotonic()
		a = s.recv(100)
		b = s.recv(100)
		dt = time.monotonic() - t0
		s.close()
		if (a, b) != (b"H", b"T") or dt < 0.8:
			raise Fail("trickle: %r %r after %.2f s" % (a, b, dt))
	t.case("lab: hostile trickle listener sends 1 byte/s", trickle)

	def hangup():
		try:
			raw("tls-hangup", "/v2/")
		except (ssl.SSLError, OSError):
			return
		raise Fail("TLS handshake with tls-hangup succeeded")
	t.case("lab: hostile tls-hangup drops the TLS handshake", hangup)

	def tls13():
		ctx = nl.pki().client_context()
		ctx.maximum_version = ssl.TLSVersion.TLSv1_2
		lst = li("tls13")
		try:
			hmod.raw_get(lst.host, lst.port, "/v2/", ctx=ctx)
		except (ssl.SSLError, OSError):
			data, _ = raw("tls13", "/v2/")
			if data.startswith(b"HTTP/1.1 200"):
				return
			raise Fail("TLS 1.3 client: %r" % data[:80])
		raise Fail("a TLS 1.2 client got through")
	t.case("lab: hostile tls13 listener speaks TLS 1.3 only", tls13)

	def challenges():
		for name, (vals, field, _) in sorted(hmod.CHALLENGES.items()):
			data, _ = raw(name, "/v2/")
			got = re.findall(rb"\r\nWWW-Authenticate: ([^\r]*)", data)
			realm = "http://%s/token" % li(name).host
			want = [v.replace("{realm}", realm).encode() for v in vals]
			if not data.startswith(b"HTTP/1.1 401") or got != want:
				raise Fail("%s: %r, want %r" % (name, got, want))
			data, _ = raw(name, "/token?scope=repository:app:pull")
			tok = json.loads(head_body(data)[1])[field]
			data, _ = raw(name, "/v2/app/manifests/v1", headers=[
			    ("Authorization", "Bearer " + tok)])
			if not data.startswith(b"HTTP/1.1 200"):
				raise Fail("%s: with the token: %r" % (name, data[:80]))
	t.case("lab: hostile bearer listeners challenge as listed and honour "
	    "their tokens", challenges)

	def cross():
		data, _ = raw("tls-basic", "/v2/cross/port/manifests/v1")
		if not data.startswith(b"HTTP/1.1 401"):
			raise Fail("tls-basic without credentials: %r" % data[:80])
		a = "Basic " + base64.b64encode(("%s:%s" % hmod.HOSTILE_USER)
		    .encode()).decode()
		data, _ = raw("tls-basic", "/v2/cross/port/manifests/v1",
		    headers=[("Authorization", a)])
		loc = re.search(rb"\r\nLocation: ([^\r]*)", data)
		want = "https://%s/hop/" % li("tls-b").host
		if not data.startswith(b"HTTP/1.1 307") or not loc or \
		    not loc.group(1).decode().startswith(want):
			raise Fail("cross/port: %r" % data[:200])
	t.case("lab: hostile tls-basic wants Basic and redirects cross/port "
	    "to tls-b", cross)


def _dechunk(b):
	out = b""
	while True:
		line, _, b = b.partition(b"\r\n")
		size = int(line.split(b";")[0], 16)
		if size == 0:
			return out
		out += b[:size]
		b = b[size + 2:]
