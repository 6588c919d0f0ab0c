#!/usr/bin/python3
"""The verdict cache (README "Verdict cache"), off in config.def.h.

tests/ivlite-faults takes cachedir and CACHE_SECONDS from IVLITE_CACHE_DIR
and IVLITE_CACHE_SECONDS.  Image "cache/one" on the run's registry is
cosign-signed with key A; once it has been accepted and kept, its
attachment is replaced by one signed with key B, so that from then on a
verification over the network rejects it while a fresh entry still
accepts it: every case knows which of the two answered.  Image
"cache/two" stays well signed, for the cases that need a new acceptance.
Run through tests/integration.py.
"""

import json
import os
import re
import stat
import time

import containerd
import cosign
from integration import Fail, Skip

SECS = "3600"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
CACHED = re.compile(r" \(cached: verified \d{4}-\d\d-\d\d \d\d:\d\d:\d\d "
    r"UTC\)$")


def run(t):
	import test_registry
	n = test_registry.Net(t)
	state = {}

	def setup():
		if state:
			return state
		reg = t.registry()
		ka, kb = cosign.Key("p256"), cosign.Key("p256")
		imgs = {}
		for repo in ("cache/one", "cache/two"):
			d = cosign.put_image(reg, repo, "v1", content=repo)
			cosign.attach(reg, repo, d, [cosign.Layer(
			    cosign.cosign_payload("%s/%s" % (reg.host, repo), d),
			    key=ka)])
			imgs[repo] = d
		regd = t.lab.mkdir("cache-regd")
		with open(os.path.join(regd, "r.yaml"), "w") as f:
			f.write("docker:\n  %s:\n    use-sigstore-attachments: true\n"
			    % reg.host)
		keyfile = ka.write(t.lab, "cache-a")
		with open(keyfile, "rb") as f:
			pem_a = f.read()
		pol = {"default": [{"type": "reject"}], "transports": {"docker": {
		    "%s/cache" % reg.host: [{"type": "sigstoreSigned", "keyPath":
		    keyfile, "signedIdentity": {"type": "matchRepository"}}]}}}
		state.update(reg=reg, kb=kb, imgs=imgs, regd=regd, keyfile=keyfile,
		    pem_a=pem_a, pol=pol, policy=t.policy_file(pol,
		    "cache-policy.json"), dir=os.path.join(t.lab.mkdir("cache"),
		    "verdicts"))
		return state

	def go(repo="cache/one", secs=SECS, cdir=None, name=None, extra=(),
	    policy=None):
		s = setup()
		argv = [test_registry.faults_bin(t), "-name", name or "%s/%s:v1" % (
		    s["reg"].host, repo), "-digest", s["imgs"][repo], "-policy",
		    policy or s["policy"], "-registries-d", s["regd"], "-insecure",
		    s["reg"].host, "-v"] + list(extra)
		env = n.env(IVLITE_CACHE_DIR=cdir or s["dir"],
		    IVLITE_CACHE_SECONDS=secs)
		return containerd.run_direct(argv, stdin=b"", timeout=20, env=env)

	def entries(d=None):
		d = d or setup()["dir"]
		return sorted(x for x in os.listdir(d) if HEX64.match(x)) \
		    if os.path.isdir(d) else []

	def expect(r, code, want, cached=False, net=None):
		"""Exit CODE, stdout the one line WANT, marked cached (the time of
		the verification, which varies, after it) or not; NET: whether
		the -v log shows a connection."""
		line = r.reason
		ok = r.exit == code and CACHED.sub("", line) == want and \
		    bool(CACHED.search(line)) == cached and \
		    r.stdout.count(b"\n") == 1
		if net is not None and ("ivlite: connect " in r.stderr) != net:
			ok = False
		if not ok:
			raise Fail("want exit %d, %r%s%s; got exit %d %r, stderr "
			    "%r" % (code, want, " (cached)" if cached else "",
			    "" if net is None else " with%s network" % (
			    "" if net else "out"), r.exit, line, r.stderr[-600:]))
		return r

	def judged(verdict, ref, repo, why):
		s = setup()
		shown = ref if "@" in ref else "%s@%s" % (ref, s["imgs"][repo])
		return '%s %s: scope transports.docker["%s/cache"]: ' \
		    "sigstoreSigned(keyPath=%s): %s" % (verdict, shown,
		    s["reg"].host, s["keyfile"], why)

	def accepted(repo="cache/one"):
		ref = "%s/%s" % (setup()["reg"].host, repo)
		return judged("accepted", ref + ":v1", repo, "signature 1 of 1 "
		    "verified, identity " + ref)

	def rejected(repo="cache/one", ref=None):
		"""After resign(): key B's signature on cache/one."""
		return judged("rejected", ref or "%s/%s:v1" % (setup()["reg"].host,
		    repo), repo, "1 signature, none valid: #1 signed by another "
		    "key")

	def off():
		r = containerd.run_direct([t.ivlite, "-version"], timeout=10)
		if not re.search(r"^CACHE_SECONDS +0$", r.stdout.decode(), re.M):
			raise Fail("the release build's CACHE_SECONDS is not 0: %r"
			    % r.stdout)
		d = os.path.join(t.lab.mkdir("cache-off"), "verdicts")
		expect(go(secs=None, cdir=d), 0, accepted(), net=True)
		if os.path.exists(d):
			raise Fail("CACHE_SECONDS 0 made %s" % d)
	t.case("cache: off by default (CACHE_SECONDS 0): nothing is kept", off)

	def kept():
		expect(go(), 0, accepted(), net=True)
		d, es = setup()["dir"], entries()
		if len(es) != 1:
			raise Fail("want 1 entry, got %r" % os.listdir(d))
		dm = stat.S_IMODE(os.stat(d).st_mode)
		fm = stat.S_IMODE(os.stat(os.path.join(d, es[0])).st_mode)
		with open(os.path.join(d, es[0])) as f:
			text = f.read()
		m = re.match(r"ivlite-cache 1 (\d+) (\d+)\n(accepted .*)\n$", text)
		if dm != 0o700 or fm != 0o600 or not m or \
		    int(m.group(2)) - int(m.group(1)) != int(SECS):
			raise Fail("dir mode %o, entry mode %o, entry %r" % (dm, fm,
			    text))
		state["entry"] = es[0]
		state["text"] = text
		state["line"] = m.group(3)
	t.case("cache: an acceptance is kept (directory 0700, one entry 0600 "
	    "with its line and CACHE_SECONDS)", kept)

	def hit():
		r = expect(go(), 0, accepted(), cached=True, net=False)
		if CACHED.sub("", r.reason) != state["line"]:
			raise Fail("cached line %r, kept %r" % (r.reason,
			    state["line"]))
	t.case("cache: the same pull is accepted from the entry, without the "
	    "network", hit)

	def resign():
		s = setup()
		repo = "cache/one"
		cosign.attach(s["reg"], repo, s["imgs"][repo], [cosign.Layer(
		    cosign.cosign_payload("%s/%s" % (s["reg"].host, repo),
		    s["imgs"][repo]), key=s["kb"])])
		d = os.path.join(t.lab.mkdir("cache-other"), "verdicts")
		expect(go(cdir=d), 1, rejected(), net=True)
		if entries(d):
			raise Fail("a rejection was kept: %r" % entries(d))
	t.case("cache: signature replaced by key B's: verified again it is "
	    "rejected, and rejections are not kept", resign)
	t.case("cache: ... but the fresh entry still accepts it (the revocation "
	    "latency README names)", lambda: expect(go(), 0, accepted(),
	    cached=True, net=False))

	def key_changed():
		s = setup()
		with open(s["keyfile"], "wb") as f:
			f.write(cosign.Key("p256").pem())
		try:
			expect(go(), 1, rejected(), net=True)
		finally:
			with open(s["keyfile"], "wb") as f:
				f.write(s["pem_a"])
		expect(go(), 0, accepted(), cached=True, net=False)
	t.case("cache: other bytes in the key file (same path) miss; the old "
	    "bytes hit again", key_changed)

	def policy_changed():
		pol = t.policy_file(dict(setup()["pol"], default=[{"type": "reject"},
		    {"type": "reject"}]), "cache-policy2.json")
		expect(go(policy=pol), 1, rejected(), net=True)
	t.case("cache: another policy.json misses", policy_changed)
	by_digest = lambda: "%s/cache/one@%s" % (setup()["reg"].host,
	    setup()["imgs"]["cache/one"])
	t.case("cache: the same digest by another name misses", lambda: expect(
	    go(name=by_digest()), 1, rejected(ref=by_digest()), net=True))

	def as_json():
		s = setup()
		d = s["imgs"]["cache/one"]
		req = "sigstoreSigned(keyPath=%s)" % s["keyfile"]
		why = "1 signature, none valid: #1 signed by another key"
		expect(go(extra=["-o", "json"]), 1, json.dumps({"verdict":
		    "rejected", "exit": 1, "reference": "%s/cache/one:v1"
		    % s["reg"].host, "digest": d, "scope": 'transports.docker'
		    '["%s/cache"]' % s["reg"].host, "requirements": [{"type":
		    "sigstoreSigned", "requirement": req, "ok": False, "detail":
		    why}], "reason": rejected()}, separators=(",", ":")),
		    net=True)
	t.case("cache: -o json is never served from the cache", as_json)

	def forged(mode=0o600, link=False, body=None, secs=SECS):
		s = setup()
		p = os.path.join(s["dir"], s["entry"])
		os.unlink(p)
		try:
			if link:
				src = t.lab.write("cache-elsewhere", s["text"], mode=0o600)
				os.symlink(src, p)
			else:
				with open(p, "w") as f:
					f.write(body or s["text"])
				os.chmod(p, mode)
			return expect(go(secs=secs), 1, rejected(), net=True)
		finally:
			if os.path.lexists(p):
				os.unlink(p)
			with open(p, "w") as f:
				f.write(s["text"])
			os.chmod(p, 0o600)
	t.case("cache: an entry others may read is ignored",
	    lambda: forged(mode=0o644))
	t.case("cache: an entry that is a symbolic link is ignored",
	    lambda: forged(link=True))
	t.case("cache: an entry kept for longer than CACHE_SECONDS allows now "
	    "is ignored", lambda: forged(secs="60"))
	t.case("cache: an expired entry is ignored", lambda: forged(body=re.sub(
	    r"^ivlite-cache 1 \d+ \d+", "ivlite-cache 1 %d %d" % (
	    time.time() - 7200, time.time() - 3600), setup()["text"])))
	t.case("cache: an entry with a second line is ignored", lambda: forged(
	    body=setup()["text"] + "accepted too\n"))

	def open_dir():
		d = setup()["dir"]
		os.chmod(d, 0o755)
		try:
			r = expect(go(), 1, rejected(), net=True)
			if "verdict cache %s not used" % d not in r.stderr:
				raise Fail("no word of the unused cache: %r" % r.stderr)
			r = expect(go("cache/two"), 0, accepted("cache/two"), net=True)
			if len(entries()) != 1:
				raise Fail("kept in an open directory: %r" % entries())
		finally:
			os.chmod(d, 0o700)
	t.case("cache: a directory others may enter is not used (stderr says "
	    "so)", open_dir)

	def foreign(what):
		if os.geteuid() != 0:
			raise Skip("chown needs root")
		s = setup()
		p = s["dir"] if what == "dir" else os.path.join(s["dir"],
		    s["entry"])
		os.chown(p, 65534, -1)
		try:
			r = expect(go(), 1, rejected(), net=True)
			if what == "dir" and "verdict cache %s not used" % s["dir"] \
			    not in r.stderr:
				raise Fail("no word of the unused cache: %r" % r.stderr)
		finally:
			os.chown(p, 0, -1)
		expect(go(), 0, accepted(), cached=True, net=False)
	t.case("cache: an entry of another user is ignored",
	    lambda: foreign("entry"))
	t.case("cache: a directory of another user is not used",
	    lambda: foreign("dir"))

	def expiry():
		before = entries()
		expect(go("cache/two", secs="1"), 0, accepted("cache/two"),
		    net=True)
		time.sleep(1.2)
		expect(go("cache/two", secs="1"), 0, accepted("cache/two"),
		    net=True)
		after = entries()
		if len(before) != 1 or len(after) != 1 or after == before:
			raise Fail("want only cache/two's new entry left, got %r "
			    "(before: %r)" % (after, before))
	t.case("cache: after CACHE_SECONDS the entry is verified again; a new "
	    "entry clears the stale ones", expiry)

	def full():
		d = os.path.join(t.lab.mkdir("cache-full"), "verdicts")
		os.mkdir(d, 0o700)
		now = int(time.time())
		for i in range(1024):	# MAX_CACHE_ENTRIES in config.def.h
			p = os.path.join(d, "%064x" % i)
			with open(p, "w") as f:
				f.write("ivlite-cache 1 %d %d\naccepted x\n" % (now,
				    now + 3600))
			os.chmod(p, 0o600)
		r = expect(go("cache/two", cdir=d), 0, accepted("cache/two"),
		    net=True)
		if len(entries(d)) != 1024 or "full (MAX_CACHE_ENTRIES)" not in \
		    r.stderr:
			raise Fail("%d entries, stderr %r" % (len(entries(d)),
			    r.stderr[-400:]))
	t.case("cache: with MAX_CACHE_ENTRIES fresh entries nothing more is "
	    "kept", full)
