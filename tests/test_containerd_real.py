#!/usr/bin/python3
"""The containerd contract, tested with containerd itself.

test_contract.py runs ivlite through tests/containerd.py, an emulation of
containerd's bindir image verifier, and keeps every reference and digest
shape there.  This module runs the real containerd (Debian's 2.1, from
build/tools: tests/tools) privately (containerd.Daemon: own root, state
and socket under build/containerd, CRI off) and pulls from the run's
registry with ctr, for what only the real one shows:

- the exact arguments and stdin bytes containerd passes (a recording
  verifier) on tag, by-digest and multi-arch pulls: for an index
  containerd passes the index digest, whatever --platform says;
- ivlite's verdicts through ctr: an image signed by the real cosign 3
  is pulled (containerd logs ivlite's reason), an unsigned one, one
  signed with another key and one outside every scope are blocked with
  containerd's own message carrying ivlite's reason and exit code;
- the emulation agrees with containerd on the same bin_dir: verdict and
  reason for an accepting and a rejecting ivlite, an exit 2, several
  verifiers, an empty bin_dir and a reason over 32 KiB;
- `ctr image pull --local` never runs the verifiers;
- per_verifier_timeout: a verifier that outlives it (2 s on a second
  daemon) is killed with its process group and the pull fails; ivlite's
  own default deadline (-timeout 8) ends a stalled verification with exit
  3 inside containerd's default 10 s, so the pull is blocked with
  ivlite's reason instead.

A tool that cannot be had fails every case, naming its Debian package.
Run through tests/integration.py.
"""

import os
import re
import socket
import threading
import time

import containerd
import cosign
import lab as labmod
from integration import Fail, Skip, within
from test_sigstore import OTHER_KEY, none_valid

A = {"type": "insecureAcceptAnything"}
R = {"type": "reject"}
REJECT = "scope default: reject: this scope rejects all images"
NAME = "containerd (real): "
PROBE_TIMEOUT = 2	# per_verifier_timeout of the second daemon, seconds
IVLITE_TIMEOUT = 8	# ivlite's default -timeout (config.def.h)
CTRD_TIMEOUT = 10	# containerd's default per_verifier_timeout
DEADLINE = ("ivlite's -timeout (%d s) ends a stalled verification inside "
    "containerd's default per_verifier_timeout (%d s)" % (IVLITE_TIMEOUT,
    CTRD_TIMEOUT))
BLOCKED = ("ctr: image verifier bindir blocked pull of %s with digest %s "
    "for reason: %s")
KILLED = (r"ctr: blocking pull of (\S+) with digest (\S+): image verifier "
    r"bindir returned error: failed to call verifier (\S+) \(runtime "
    r"([0-9.]+)m?s\): waiting on command to exit: signal: killed")

RECORD = """#!/bin/sh
# records what containerd passes: one argument a line, then stdin
printf '%%s\\n' "$@" >%(dir)s/argv
cat >%(dir)s/stdin
echo "recorded $#"
"""
SLOW = """#!/bin/sh
# outlives per_verifier_timeout, with a child in its process group
sleep 60 &
echo $! >%(dir)s/child
echo $$ >%(dir)s/parent
wait
"""


class Real:
	"""The module's set-up, made on the first case that needs it: images
	on the run's registry, two cosign keys, the main daemon (containerd's
	default timeouts, bin_dir = one ivlite wrapper) and a probe daemon
	(per_verifier_timeout 2 s) whose bin_dir each case fills."""

	def __init__(self, t):
		self.t = t
		self.lab = t.lab
		self.error = None
		self.ready = False
		self.img = {}		# name -> (repo, digest[, children])
		self._probe = None
		self.stall_thread = None
		self.stall_pull = None

	def need(self, fn):
		try:
			return fn()
		except labmod.LabError as e:
			raise Fail(str(e))

	def setup(self):
		if self.error:
			raise self.error
		if self.ready:
			return self
		try:
			self._setup()
		except (Fail, Skip) as e:
			self.error = e
			raise
		except labmod.LabError as e:
			self.error = Fail(str(e))
			raise self.error
		self.ready = True
		return self

	def _setup(self):
		t = self.t
		self.reg = t.registry()
		self.host = self.reg.host
		self.cosign = labmod.Cosign(self.lab)
		labmod.tool("containerd")
		self.key, signer = self.cosign.generate_key_pair("ctrd-a")
		_, other = self.cosign.generate_key_pair("ctrd-b")
		reg, put = self.reg, lambda repo: cosign.put_image(self.reg, repo,
		    "v1", content="containerd real %s" % repo)
		for name in ("open/app", "signed/app", "signed/unsigned",
		    "signed/other", "nowhere/app", "stall/app"):
			self.img[name] = ("ctrd/" + name, put("ctrd/" + name))
		for name in ("signed/multi", "pin/index", "pin/child"):
			repo = "ctrd/" + name
			d, kids = cosign.put_index(reg, repo, "v1",
			    content="containerd real %s" % repo)
			self.img[name] = (repo, d, kids)
		for name, key in (("signed/app", signer),
		    ("signed/other", other), ("signed/multi", signer)):
			repo, d = self.img[name][:2]
			self.cosign.sign(reg, repo, d, key)
		# a lookaside server that accepts connections and never answers
		self.stall = socket.socket()
		self.stall.bind(("127.0.0.1", 0))
		self.stall.listen(64)
		self.lab.on_close(self.stall.close)
		ring, _ = labmod.gpg_keyring(self.lab)
		regd = self.lab.mkdir("ctrd-registries.d")
		with open(os.path.join(regd, "lab.yaml"), "w") as f:
			f.write("docker:\n  %s/ctrd/signed:\n    use-sigstore-"
			    "attachments: true\n  %s/ctrd/stall:\n    lookaside: "
			    "http://127.0.0.1:%d/sigs\n" % (self.host, self.host,
			    self.stall.getsockname()[1]))
		h = self.host
		self.sreq = {"type": "sigstoreSigned", "keyPath": self.key,
		    "signedIdentity": {"type": "matchRepository"}}
		self.policy = t.policy_file({"default": [R], "transports": {
		    "docker": {
		    h + "/ctrd/open": [A],
		    h + "/ctrd/signed": [self.sreq],
		    h + "/ctrd/pin/index@" + self.img["pin/index"][1]: [A],
		    h + "/ctrd/pin/child@" + self.img["pin/child"][2]["amd64"]:
		    [A],
		    h + "/ctrd/stall": [{"type": "signedBy", "keyType": "GPGKeys",
		    "keyPath": ring}]}}}, "ctrd-policy.json")
		self.opts = ["-registries-d", regd, "-insecure", self.host]
		self.bin_dir, _ = containerd.wrapper_bindir(self.lab,
		    self.t.ivlite, self.policy, self.opts)
		self.main = containerd.Daemon(self.lab, self.bin_dir,
		    name="test").start()

	def probe(self):
		"""The daemon with per_verifier_timeout PROBE_TIMEOUT."""
		self.setup()
		if self._probe is None:
			self.probe_dir = self.lab.mkdir("ctrd-probe-bin")
			self._probe = self.need(lambda: containerd.Daemon(self.lab,
			    self.probe_dir, name="probe", timeout="%ds"
			    % PROBE_TIMEOUT).start())
		return self._probe

	def use(self, **entries):
		"""Make the probe daemon's bin_dir hold exactly ENTRIES, each a
		script text or ("ivlite", policy path, opts); returns a fresh
		directory for the scripts' records."""
		self.probe()
		for f in os.listdir(self.probe_dir):
			os.unlink(os.path.join(self.probe_dir, f))
		rec = self.lab.mkdir("ctrd-record")
		for name, what in entries.items():
			if isinstance(what, tuple):
				_, w = containerd.wrapper_bindir(self.lab, self.t.ivlite,
				    what[1], what[2])
				with open(w) as f:
					what = f.read()
			p = os.path.join(self.probe_dir, name)
			with open(p, "w") as f:
				f.write(what % {"dir": rec} if "%(dir)s" in what
				    else what)
			os.chmod(p, 0o755)
		return rec

	def ref(self, name, tag="v1", digest=None):
		return self.reg.ref(self.img[name][0], tag, digest)

	def desc(self, name, digest=None):
		"""The descriptor containerd resolves for NAME (or DIGEST in it)."""
		repo = self.img[name][0]
		data, mt = self.reg.get_manifest(repo, digest or self.img[name][1])
		return containerd.descriptor(labmod.sha256_digest(data),
		    size=len(data), media_type=mt)


def pulled(p, daemon, ref, digest):
	"""Fail unless pull P completed and DAEMON holds REF at DIGEST."""
	if p.exit != 0:
		raise Fail("expected ctr image pull %s to complete, got %r"
		    % (ref, p))
	got = daemon.images().get(ref)
	if got != digest:
		raise Fail("expected containerd to hold %s at %s, got %r" % (ref,
		    digest, got))


def blocked(p, ref, digest, reason):
	"""Fail unless pull P failed with containerd's message for REASON."""
	want = BLOCKED % (ref, digest, reason)
	if p.exit != 1 or p.message != want:
		raise Fail("expected ctr to exit 1 with\n  %s\ngot exit %s:\n  %s"
		    % (want, p.exit, p.message or p.stderr.strip()[-600:]))


def allowed_reason(daemon, name, digest):
	"""The reason containerd logged for allowing the pull of NAME."""
	for e in reversed(daemon.verifier_log(digest)):
		if e.get("msg") == "Image verifier allowed pull" and \
		    e.get("name") == name:
			return e.get("reason")
	raise Fail("containerd logged no allowed pull of %s (%s): %s" % (name,
	    digest, daemon.log_tail(800)))


def emulated(r, bin_dir, name, desc):
	"""What tests/containerd.py decides on BIN_DIR: ("allowed", reason)
	or ("blocked", reason) or ("error", message)."""
	j = containerd.verify_image(bin_dir, name, desc,
	    timeout=PROBE_TIMEOUT if bin_dir == getattr(r, "probe_dir", None)
	    else containerd.DEFAULT_TIMEOUT)
	if j.error:
		return "error", j.error
	return ("allowed" if j.ok else "blocked"), j.reason


def same_as_emulation(r, daemon, bin_dir, name, desc, p):
	"""Fail unless the emulation decides pull P the same way."""
	kind, why = emulated(r, bin_dir, name, desc)
	d = desc["digest"]
	if kind == "allowed":
		if p.exit != 0 or allowed_reason(daemon, name, d) != why:
			raise Fail("the emulation allows %s with %r; containerd: "
			    "exit %s, reason %r" % (name, why, p.exit,
			    allowed_reason(daemon, name, d) if p.exit == 0 else
			    p.message))
	elif kind == "blocked":
		blocked(p, name, d, why)
	else:
		raise Fail("the emulation fails %s: %s; containerd: %r" % (name,
		    why, p))


def run(t):
	r = Real(t)
	case = lambda name, fn: t.case(NAME + name, lambda: fn(r.setup()))

	def start_stall():
		"""The 8-second case runs in the background from the start."""
		def go():
			r.stall_pull = r.main.pull(r.ref("stall/app"))
		try:
			r.setup()
		except (Fail, Skip):
			return
		r.stall_thread = threading.Thread(target=go, daemon=True)
		r.stall_thread.start()
	if t.selected(NAME + DEADLINE):
		start_stall()

	# --- arguments and stdin ------------------------------------------------
	def argv_stdin(r, name, ref, judged, **kw):
		rec = r.use(record=RECORD)
		p = r.probe().pull(ref, **kw)
		if p.exit != 0:
			raise Fail("pull with a recording verifier failed: %r" % p)
		with open(os.path.join(rec, "argv")) as f:
			argv = f.read().splitlines()
		with open(os.path.join(rec, "stdin"), "rb") as f:
			stdin = f.read()
		want = ["-name", ref, "-digest", judged, "-stdin-media-type",
		    containerd.MT_DESCRIPTOR]
		if argv != want:
			raise Fail("expected arguments %r, got %r" % (want, argv))
		exp = containerd.go_json(r.desc(name, judged))
		if stdin != exp:
			raise Fail("expected stdin %r (tests/containerd.py's "
			    "go_json), got %r" % (exp, stdin))
	case("tag pull: -name REF:TAG, -digest, descriptor on stdin",
	    lambda r: argv_stdin(r, "open/app", r.ref("open/app"),
	    r.img["open/app"][1]))
	case("by-digest pull: -name REPO@DIGEST", lambda r: argv_stdin(r,
	    "open/app", r.ref("open/app", None, r.img["open/app"][1]),
	    r.img["open/app"][1]))
	case("tag and digest pull: -name REPO:TAG@DIGEST", lambda r:
	    argv_stdin(r, "open/app", r.ref("open/app", "v1",
	    r.img["open/app"][1]), r.img["open/app"][1]))
	case("multi-arch pull: the index digest and descriptor", lambda r:
	    argv_stdin(r, "pin/index", r.ref("pin/index"),
	    r.img["pin/index"][1]))
	case("multi-arch pull --platform linux/arm64: still the index",
	    lambda r: argv_stdin(r, "pin/child", r.ref("pin/child"),
	    r.img["pin/child"][1], platform="linux/arm64"))
	case("multi-arch pull --all-platforms: the index", lambda r:
	    argv_stdin(r, "signed/multi", r.ref("signed/multi"),
	    r.img["signed/multi"][1], all_platforms=True))

	def local(r):
		rec = r.use(record=RECORD)
		ref = r.ref("signed/unsigned")
		p = r.probe().pull(ref, local=True)
		pulled(p, r.probe(), ref, r.img["signed/unsigned"][1])
		if os.path.exists(os.path.join(rec, "argv")):
			raise Fail("ctr image pull --local ran the verifier")
		if r.probe().verifier_log(r.img["signed/unsigned"][1]):
			raise Fail("containerd verified a --local pull: %r"
			    % r.probe().verifier_log(r.img["signed/unsigned"][1]))
	case("ctr image pull --local runs no verifier (not covered)", local)

	# --- ivlite's verdicts through ctr ----------------------------------------
	def signed(r, name="signed/app", digest=None, by_digest=False):
		repo, d = r.img[name][:2]
		ref = r.ref(name, None, d) if by_digest else r.ref(name)
		p = r.main.pull(ref)
		pulled(p, r.main, ref, d)
		why = allowed_reason(r.main, ref, d)
		want = ("ivlite => accepted %s: scope transports.docker[\"%s/ctrd/"
		    "signed\"]: sigstoreSigned(keyPath=%s): signature 1 of 1 "
		    "verified, identity %s" % (ref if by_digest else ref + "@" + d,
		    r.host, r.key, r.reg.ref(repo)))
		if why != want:
			raise Fail("expected containerd to log the reason\n  %s\ngot"
			    "\n  %s" % (want, why))
		same_as_emulation(r, r.main, r.bin_dir, ref, r.desc(name), p)
	case("signed by cosign 3: pulled, ivlite's reason in containerd's "
	    "log", signed)
	case("signed by cosign 3, by-digest pull: pulled", lambda r: signed(r,
	    by_digest=True))
	case("signed multi-arch index: pulled, the index judged",
	    lambda r: signed(r, "signed/multi"))

	def rejected(r, name, why, scope):
		d = r.img[name][1]
		ref = r.ref(name)
		p = r.main.pull(ref)
		blocked(p, ref, d, "verifier ivlite rejected image (exit code 1): "
		    "rejected %s@%s: %s" % (ref, d, why if scope is None else
		    "scope transports.docker[\"%s\"]: %s" % (scope, why)))
		if ref in r.main.images():
			raise Fail("containerd holds the blocked image %s" % ref)
		same_as_emulation(r, r.main, r.bin_dir, ref, r.desc(name), p)
	sdesc = lambda r: "sigstoreSigned(keyPath=%s)" % r.key
	case("unsigned: blocked with containerd's message and ivlite's reason",
	    lambda r: rejected(r, "signed/unsigned", "%s: no signature: no %s "
	    "attachment" % (sdesc(r), cosign.sig_tag(r.img["signed/unsigned"]
	    [1])), r.host + "/ctrd/signed"))
	case("signed by another key: blocked", lambda r: rejected(r,
	    "signed/other", "%s: %s" % (sdesc(r), none_valid(OTHER_KEY)),
	    r.host + "/ctrd/signed"))
	case("outside every scope: blocked by the default", lambda r:
	    rejected(r, "nowhere/app", REJECT, None))
	case("multi-arch, the index digest pinned: pulled", lambda r:
	    pulled(r.main.pull(r.ref("pin/index")), r.main, r.ref("pin/index"),
	    r.img["pin/index"][1]))
	case("multi-arch, only the amd64 manifest pinned: blocked (containerd "
	    "passes the index)", lambda r: rejected(r, "pin/child", REJECT,
	    None))

	# --- the emulation against containerd, same bin_dir ------------------------
	def agree(r, entries, name="signed/unsigned", code=None):
		r.use(**entries)
		ref = r.ref(name)
		p = r.probe().pull(ref)
		same_as_emulation(r, r.probe(), r.probe_dir, ref, r.desc(name), p)
		if code is not None and "(exit code %d)" % code not in p.message:
			raise Fail("expected exit code %d in %r" % (code, p.message))
		return p
	iv = lambda r: ("ivlite", r.policy, r.opts)
	case("emulation agrees: empty bin_dir allows", lambda r: agree(r, {}))
	case("emulation agrees: two verifiers, the second rejects",
	    lambda r: agree(r, {"a-first": "#!/bin/sh\necho fine\n",
	    "b-ivlite": iv(r)}, code=1))
	case("emulation agrees: two verifiers, both accept",
	    lambda r: agree(r, {"a-first": "#!/bin/sh\necho fine\n",
	    "b-ivlite": iv(r)}, name="open/app"))
	case("emulation agrees: ivlite with a missing policy, exit 2",
	    lambda r: agree(r, {"ivlite": ("ivlite", os.path.join(
	    r.lab.dir, "no-such-policy.json"), [])}, code=2))
	def loud(r):
		p = agree(r, {"loud": "#!/bin/sh\nyes 'a reason' | head -c "
		    "40000\nexit 1\n"}, code=1)
		why = p.message.split("(exit code 1): ", 1)[-1]
		want = ("a reason\n" * 5000)[:containerd.OUTPUT_LIMIT].strip() \
		    + "(stdout truncated)"
		if why != want:
			raise Fail("expected the first 32 KiB of the reason, trimmed, "
			    "then \"(stdout truncated)\", got %d bytes ending %r"
			    % (len(why), why[-40:]))
	case("emulation agrees: a 40 KiB reason is cut at 32 KiB", loud)

	# --- deadlines --------------------------------------------------------------
	def killed(r):
		rec = r.use(slow=SLOW)
		ref = r.ref("open/app")
		p = r.probe().pull(ref)
		m = re.fullmatch(KILLED, p.message)	# the runtime varies
		if p.exit != 1 or not m or m.group(1, 2, 3) != (ref,
		    r.img["open/app"][1], "slow"):
			raise Fail("expected the pull to fail with containerd's "
			    "kill message, got %r" % p)
		# the kill, plus a second for ctr and the resolve, with slack
		limit = within(PROBE_TIMEOUT + 1)
		if p.elapsed >= limit:
			raise Fail("the pull took %.1f s (per_verifier_timeout %d s, "
			    "limit %.1f s)" % (p.elapsed, PROBE_TIMEOUT, limit))
		time.sleep(0.2)
		for who in ("parent", "child"):
			with open(os.path.join(rec, who)) as f:
				pid = int(f.read())
			try:
				os.kill(pid, 0)
				with open("/proc/%d/cmdline" % pid, "rb") as f:
					alive = b"sleep" in f.read() or who == "parent"
			except (ProcessLookupError, FileNotFoundError):
				alive = False
			if alive:
				raise Fail("the verifier's %s (pid %d) survived the "
				    "kill" % (who, pid))
	case("a verifier outliving per_verifier_timeout (2 s) is killed with "
	    "its group and the pull fails", killed)

	def deadline(r):
		if r.stall_thread is None:
			start_stall()
		r.stall_thread.join(CTRD_TIMEOUT * 3)
		p = r.stall_pull
		ref, d = r.ref("stall/app"), r.img["stall/app"][1]
		if p is None:
			raise Fail("the stalled pull did not finish")
		want = BLOCKED % (ref, d, "verifier ivlite rejected image (exit "
		    "code 3): error: 127.0.0.1:%d: timed out (-timeout %d s)"
		    % (r.stall.getsockname()[1], IVLITE_TIMEOUT))
		if p.exit != 1 or p.message != want:
			raise Fail("expected ivlite's own exit 3 (its -timeout) to "
			    "block the pull:\n  %s\ngot %r" % (want, p))
		# ivlite stopped at its own deadline, before containerd's kill
		if p.elapsed < IVLITE_TIMEOUT * 0.9:
			raise Fail("blocked after %.1f s, before ivlite's -timeout "
			    "%d s: the lookaside did not stall" % (p.elapsed,
			    IVLITE_TIMEOUT))
	case(DEADLINE, deadline)
