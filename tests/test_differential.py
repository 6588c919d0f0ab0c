#!/usr/bin/python3
"""Differential test of scope lookup: ivlite against skopeo 1.9.x.

For each row, the same policy.json is given to both:

    skopeo --policy P --registries-conf R copy docker://REF dir:TMP
    ivlite (containerd bin_dir wrapper) -name REF -digest <real digest>

and they must agree: skopeo exit 0 <=> ivlite exit 0.  A skopeo failure
only counts as "rejected" when it says "rejected by policy"; any other
failure is a broken lab and fails the row.

Any host name works offline: registries.conf (v2) maps each logical host
(quay.io, a.b.example.com, localhost:5000, …) to a location on the lab
registry, 127.0.0.1:PORT/<host>.  containers/image evaluates the policy on
the logical reference while it pulls from the location; skopeo 1.9 opens
the source (and so needs the image there) before it evaluates the policy,
even for reject.

Each row also names the scope it expects to match and the verdict that
follows; ivlite's whole reason line is checked (scope and requirements),
and a row where skopeo itself differs from the table is reported as a
table error.

By-digest scopes (repo@sha256:…) are left out of the table: ivlite matches
them on a tag pull when -digest equals the digest, containers/image only on
by-digest pulls.  digest_difference() shows that difference explicitly.
Run through tests/integration.py.
"""

import concurrent.futures
import json

import containerd
import lab as labmod
from integration import Fail, Skip

A = {"type": "insecureAcceptAnything"}
R = {"type": "reject"}
REG = "REGISTRY"	# stands for the lab registry's own host:port


def reqs(v):
	if isinstance(v, list):
		return [reqs(x)[0] for x in v]
	return [{"A": A, "R": R}[v]]


# (reference, {scope: "A"|"R"|[…]}, default, expected scope, expected exit)
# scope None = default, "" = transports.docker[""]
TABLE = [
	# full reference with tag
	("quay.io/org/app:1", {"quay.io/org/app:1": "A", "quay.io/org/app": "R",
	    "quay.io": "R"}, "R", "quay.io/org/app:1", 0),
	("quay.io/org/app:2", {"quay.io/org/app:1": "R"}, "A", None, 0),
	("quay.io/org/app:1", {"quay.io/org/app:1": "R",
	    "quay.io/org/app": "A"}, "A", "quay.io/org/app:1", 1),
	# repository
	("quay.io/org/app:1", {"quay.io/org/app": "A", "quay.io/org": "R"},
	    "R", "quay.io/org/app", 0),
	("quay.io/org/application:1", {"quay.io/org/app": "A"}, "R", None, 1),
	("quay.io/org/app/sub:1", {"quay.io/org/app": "R", "quay.io": "A"},
	    "A", "quay.io/org/app", 1),
	# namespace prefixes
	("quay.io/org/team/app:1", {"quay.io/org": "A", "quay.io": "R"}, "R",
	    "quay.io/org", 0),
	("quay.io/org/team/app:1", {"quay.io/org/team": "R", "quay.io/org": "A"},
	    "A", "quay.io/org/team", 1),
	("quay.io/orgx/app:1", {"quay.io/org": "R"}, "A", None, 0),
	# host
	("quay.io/org/app:1", {"quay.io": "R"}, "A", "quay.io", 1),
	("example.com/app:1", {"example.co": "R", "example.com.evil": "R"}, "A",
	    None, 0),
	# host:port
	("registry.example.com:5000/app:1", {"registry.example.com:5000": "R",
	    "registry.example.com": "A"}, "A", "registry.example.com:5000", 1),
	("registry.example.com:5000/app:1", {"registry.example.com": "R"}, "A",
	    None, 0),
	("registry.example.com/app:1", {"registry.example.com:5000": "R"}, "A",
	    None, 0),
	("localhost:5000/x:1", {"localhost:5000": "R"}, "A", "localhost:5000", 1),
	("localhost:5000/x:1", {"localhost": "R"}, "A", None, 0),
	("localhost:5000/x:1", {"localhost:5000/x": "A", "localhost:5000": "R"},
	    "R", "localhost:5000/x", 0),
	(REG + "/ip/app:1", {REG: "R"}, "A", REG, 1),
	(REG + "/ip/app:1", {"127.0.0.1": "R"}, "A", None, 0),
	# containers/image also makes wildcards of an IP address's labels
	(REG + "/ip/app:1", {"*.0.0.1": "R"}, "A", "*.0.0.1", 1),
	# wildcards
	("a.b.example.com/x/y:1", {"*.example.com": "R"}, "A", "*.example.com",
	    1),
	("a.b.example.com/x/y:1", {"*.b.example.com": "A", "*.example.com": "R",
	    "*.com": "R"}, "R", "*.b.example.com", 0),
	("a.b.example.com/x/y:1", {"*.com": "R"}, "A", "*.com", 1),
	("a.b.example.com/x/y:1", {"a.b.example.com": "A", "*.b.example.com":
	    "R"}, "R", "a.b.example.com", 0),
	("a.b.example.com/x/y:1", {"*.a.b.example.com": "R"}, "A", None, 0),
	("example.com/app:1", {"*.example.com": "R"}, "A", None, 0),
	("example.com/app:1", {"*.com": "R", "*.example.com": "A"}, "A", "*.com",
	    1),
	("registry.example.com:5000/app:1", {"*.example.com": "R"}, "A",
	    "*.example.com", 1),
	("quay.io/org/app:1", {"*.io": "R", "quay.io/org": "A"}, "R",
	    "quay.io/org", 0),
	# transports.docker[""] and default
	("quay.io/org/app:1", {"": "R"}, "A", "", 1),
	("quay.io/org/app:1", {"": "R", "quay.io": "A"}, "R", "quay.io", 0),
	("quay.io/org/app:1", {"": "A", "*.io": "R"}, "A", "*.io", 1),
	("quay.io/org/app:1", {}, "A", None, 0),
	("quay.io/org/app:1", {}, "R", None, 1),
	# all requirements of the matched list must hold
	("quay.io/org/app:1", {"quay.io": ["A", "R"]}, "A", "quay.io", 1),
	("quay.io/org/app:1", {"quay.io": ["A", "A"]}, "R", "quay.io", 0),
	# docker.io short names and index.docker.io
	("alpine", {"docker.io/library/alpine": "R"}, "A",
	    "docker.io/library/alpine", 1),
	("alpine", {"docker.io/library": "A"}, "R", "docker.io/library", 0),
	("alpine", {"docker.io/library/alpine:latest": "R",
	    "docker.io/library": "A"}, "A", "docker.io/library/alpine:latest", 1),
	("alpine:3.20", {"docker.io/library/alpine:latest": "R"}, "A", None, 0),
	("alpine:3.20", {"docker.io": "R"}, "A", "docker.io", 1),
	("library/alpine:3.20", {"docker.io/library/alpine:3.20": "R"}, "A",
	    "docker.io/library/alpine:3.20", 1),
	("org/app:1", {"docker.io/org": "R", "docker.io": "A"}, "A",
	    "docker.io/org", 1),
	("org/app:1", {"docker.io/library": "R"}, "A", None, 0),
	("index.docker.io/x/y", {"docker.io/x/y": "R"}, "A", "docker.io/x/y", 1),
	("index.docker.io/x/y", {"docker.io/x/y:latest": "A", "docker.io": "R"},
	    "R", "docker.io/x/y:latest", 0),
	("docker.io/alpine:3.20", {"docker.io/library/alpine": "R"}, "A",
	    "docker.io/library/alpine", 1),
	("quay.io/org/app:1", {"docker.io": "R"}, "A", None, 0),
	# Docker allows upper case in the host (not the path); scopes compare
	# it as written
	("Q.io/a:1", {"Q.io": "R"}, "A", "Q.io", 1),
	("Q.io/a:1", {"q.io": "R", "*.io": "A"}, "R", "*.io", 0),
]

# a multi-arch index: ivlite is given the index digest, skopeo picks an
# instance; the policy decision is on the reference either way
INDEX_ROWS = [
	("quay.io/org/multi:1", {"quay.io/org/multi": "R"}, "A",
	    "quay.io/org/multi", 1),
	("quay.io/org/multi:1", {"quay.io/org/multi": "A"}, "R",
	    "quay.io/org/multi", 0),
]


# Scopes of the transports ivlite does not judge: containers/image (v5.23,
# skopeo 1.9.3) refuses the whole policy over one its transport calls
# invalid, and ivlite must refuse (exit 2) exactly the same policies.
# (transport, scope, loads): LOADS is what skopeo does with
# {transport: {scope: [insecureAcceptAnything]}}: True when it loads the
# policy, else the reason ivlite gives for refusing it.
H64 = "a" * 64
ABS = "not an absolute path"
CLEAN = 'not a clean path (no "//", ".", ".." or trailing "/")'
DEFAULT_ONLY = 'only the default scope "" is valid'
SCOPE_ROWS = [
	("dir", "/a/b", True),
	("dir", "rel/path", ABS),
	("dir", "/", '"/" is not a scope: the default scope is ""'),
	("dir", "/a/b/", CLEAN),
	("dir", "/a//b", CLEAN),
	("oci", "/a/./b", CLEAN),
	("oci", "/a/b:img", True),
	("oci-archive", "/a/../b", CLEAN),
	("oci-archive", "x.tar", ABS),
	("sif", "/x.sif", True),
	("sif", "rel", ABS),
	("docker-archive", "/x", DEFAULT_ONLY),
	("docker-archive", "", True),
	("tarball", "/x", DEFAULT_ONLY),
	("docker-daemon", "sha256:" + H64, "a digest (an image ID) cannot be "
	    "a scope"),
	("docker-daemon", "busybox:latest", True),
	("containers-storage", "foo", "expected [GRAPHROOT] or "
	    "[DRIVER@GRAPHROOT] first"),
	("containers-storage", "[/var/lib/containers/storage]busybox", True),
	("containers-storage", "[overlay@rel]busybox", "the graph root is not "
	    "an absolute path"),
	("containers-storage", "[/s]busybox@sha256:" + H64, True),
	("containers-storage", "[/s]busybox@" + H64, True),
	("containers-storage", "[/s]busybox@zz", 'the part after "@" is '
	    "neither a digest nor an image ID"),
	("containers-storage", "[/s]x@%s@sha256:%s" % (H64, H64), "the part "
	    'after the first "@" is not a digest'),
	# a stub in default builds: any scope
	("ostree", "not/absolute", True),
	# unknown transports are not checked
	("bogus", "rel/../path//", True),
]

# ivlite checks "atomic" scopes as containers/image's default build does;
# Debian's skopeo is built without the atomic (OpenShift) transport and
# takes any scope there (README, deliberate differences)
ATOMIC_CASE = "differential: policy scope transports.atomic[\"a/b/c/d\"] " \
    "refused as by containers/image, which Debian's skopeo lacks " \
    "(documented difference)"


def scope_name_case(transport, scope, loads):
	return "differential: policy scope transports.%s[%s] %s by both" % (
	    transport, json.dumps(scope), "accepted" if loads is True else
	    "refused")


def skopeo_loads(lab, policy):
	"""(loaded, stderr): whether skopeo accepts policy.json POLICY.  Its
	copy loads the policy before it opens the (missing) source."""
	src = lab.path("no-such-image")
	p = labmod.run([labmod.SKOPEO, "--policy", policy, "--tmpdir", lab.dir,
	    "copy", "--quiet", "dir:" + src, "dir:" + lab.mkdir("skopeo-out")],
	    timeout=60, check=False)
	err = p.stderr.strip()
	if "Error loading trust policy" in err:
		return False, err
	if p.returncode != 0 and src in err:
		return True, err
	raise Fail("skopeo failed for another reason (exit %d): %s"
	    % (p.returncode, err[-600:]))


def scope_policy(lab, transport, scope):
	return lab.write("scope.json", json.dumps({"default": [R],
	    "transports": {transport: {scope: [A]}}}))


def scope_case(t, transport, scope, loads):
	if labmod.missing_tools("skopeo"):
		raise Skip("skopeo not installed")
	why, loads = loads, loads is True
	pol = scope_policy(t.lab, transport, scope)
	sk, err = skopeo_loads(t.lab, pol)
	if sk != loads:
		raise Fail("TABLE ERROR: skopeo %s the policy: %s" % (
		    "loads" if sk else "refuses", err[-300:]))
	# logrus quotes the message: Unknown key \"SCOPE\"
	if not sk and 'Unknown key \\"%s\\"' % scope not in err:
		raise Fail("skopeo refused it for another reason: %s"
		    % err[-300:])
	r = t.direct(["-check", "-policy", pol, "-registries-d",
	    t.lab.path("no-registries.d")])
	if loads:
		t.expect(r, 0, "ok: %s: 2 scopes; %s: 0 scopes" % (pol,
		    t.lab.path("no-registries.d")))
	else:
		t.expect(r, 2, "error: %s: transports.%s[%s]: %s" % (pol,
		    transport, json.dumps(scope), why))


def atomic_difference(t):
	if labmod.missing_tools("skopeo"):
		raise Skip("skopeo not installed")
	bad = scope_policy(t.lab, "atomic", "a/b/c/d")
	good = scope_policy(t.lab, "atomic", "quay.io/ns/stream:tag")
	for pol in (bad, good):
		sk, err = skopeo_loads(t.lab, pol)
		if not sk:
			raise Fail("expected Debian's skopeo to take any atomic "
			    "scope, got: %s" % err[-300:])
	t.expect(t.direct(["-check", "-policy", good, "-registries-d",
	    t.lab.path("no-registries.d")]), 0, "ok: %s: 2 scopes; %s: 0 scopes"
	    % (good, t.lab.path("no-registries.d")))
	t.expect(t.direct(["-check", "-policy", bad, "-registries-d",
	    t.lab.path("no-registries.d")]), 2, line='error: %s: '
	    'transports.atomic["a/b/c/d"]: expected HOST[/NAMESPACE[/STREAM'
	    '[:TAG]]]' % bad)


def normalize(ref, reg_host):
	"""(host, path, tag or None, digest or None) the Docker way."""
	ref = ref.replace(REG, reg_host)
	digest = None
	if "@" in ref:
		ref, digest = ref.split("@", 1)
	tag = None
	last = ref.rsplit("/", 1)[-1]
	if ":" in last:
		ref, tag = ref.rsplit(":", 1)
	first, _, rest = ref.partition("/")
	if rest and ("." in first or ":" in first or first == "localhost"):
		host, path = first, rest
	else:
		host, path = "docker.io", ref
	if host == "index.docker.io":
		host = "docker.io"
	if host == "docker.io" and "/" not in path:
		path = "library/" + path
	if tag is None and digest is None:
		tag = "latest"
	return host, path, tag, digest


def shown(host, path, tag, digest):
	s = "%s/%s" % (host, path)
	return s + ("@" + digest if digest else ":" + tag)


def scope_name(s, reg_host):
	if s is None:
		return "default"
	return 'transports.docker["%s"]' % s.replace(REG, reg_host)


def row_name(i, row):
	"""Case name of row I; REGISTRY stays a placeholder so names do not
	change with the port."""
	ref, scopes, default, _, _ = row
	short = lambda v: "+".join(v) if isinstance(v, list) else v
	parts = ["%s=%s" % (s or '""', short(v)) for s, v in scopes.items()]
	parts.append("default=%s" % default)
	return "differential %02d: %s under {%s}" % (i + 1, ref,
	    ", ".join(parts))


DIGEST_CASE = "differential: digest scope on a tag pull (documented " \
    "difference)"


def run(t):
	for transport, scope, loads in SCOPE_ROWS:
		t.case(scope_name_case(transport, scope, loads), scope_case, t,
		    transport, scope, loads)
	t.case(ATOMIC_CASE, atomic_difference, t)
	rows = [(r, False) for r in TABLE] + [(r, True) for r in INDEX_ROWS]
	names = [row_name(i, r) for i, (r, _) in enumerate(rows)]
	if not any(t.selected(n) for n in names + [DIGEST_CASE]):
		return
	try:
		reg = t.registry()
	except Exception as e:
		# report the same skip on every row that needs the lab
		for n in names + [DIGEST_CASE]:
			t.case(n, _raise, e)
		return
	lab = t.lab
	hosts = set()
	images = {}	# (host, path, tag) -> digest
	for (ref, _, _, _, _), index in rows:
		host, path, tag, _ = normalize(ref, reg.host)
		hosts.add(host)
		key = (host, path, tag)
		if key in images:
			continue
		repo = labmod.location(reg, host)[len(reg.host) + 1:]
		repo = (repo + "/" if repo else "") + path
		if index:
			images[key] = reg.put_index(repo, tag,
			    content=shown(host, path, tag, None))[0]
		else:
			images[key] = reg.put_image(repo, tag,
			    content=shown(host, path, tag, None))
	rconf, _ = labmod.registries_conf(lab, reg, sorted(hosts))

	jobs = []
	for i, ((ref, scopes, default, exp_scope, exp_exit), index) in \
	    enumerate(rows):
		if not t.selected(names[i]):
			continue
		pol = {"default": reqs(default)}
		if scopes:
			pol["transports"] = {"docker": {s.replace(REG, reg.host):
			    reqs(v) for s, v in scopes.items()}}
		ppath = lab.write("diff-%02d.json" % (i + 1), json.dumps(pol,
		    indent=1))
		host, path, tag, _ = normalize(ref, reg.host)
		jobs.append((names[i], ref.replace(REG, reg.host), ppath,
		    images[(host, path, tag)], shown(host, path, tag, None),
		    scope_name(exp_scope, reg.host), exp_exit, default if
		    exp_scope is None else scopes[exp_scope]))

	with concurrent.futures.ThreadPoolExecutor(8) as ex:
		sk = list(ex.map(lambda j: skopeo(lab, rconf, j[2], j[1]), jobs))

	for (name, ref, ppath, digest, norm, sname, exp_exit, got), s in \
	    zip(jobs, sk):
		t.case(name, compare, t, ref, ppath, digest, norm, sname,
		    exp_exit, got, s)

	t.case(DIGEST_CASE, digest_difference, t, reg, rconf)


def _raise(e):
	raise e


class SkopeoResult:
	def __init__(self, exit, verdict, stderr):
		self.exit = exit
		self.verdict = verdict	# "accepted", "rejected" or None
		self.stderr = stderr


def skopeo(lab, rconf, policy, ref):
	out = lab.mkdir("skopeo-out")
	p = labmod.run([labmod.SKOPEO, "--policy", policy, "--registries-conf",
	    rconf, "--tmpdir", lab.dir, "copy", "--quiet", "--src-no-creds",
	    "docker://" + ref, "dir:" + out], timeout=60, check=False)
	err = p.stderr.strip()
	if p.returncode == 0:
		v = "accepted"
	elif "rejected by policy" in err:
		v = "rejected"
	else:
		v = None
	return SkopeoResult(p.returncode, v, err)


def judged(letters, code):
	"""What ivlite says of the matched scope's requirements LETTERS ("A",
	"R" or a list): every one when accepted, the first failing one when
	rejected."""
	if code == 0:
		return "; ".join("insecureAcceptAnything" for _ in reqs(letters))
	return "reject: this scope rejects all images"


def compare(t, ref, ppath, digest, norm, sname, exp_exit, letters, s):
	if s.verdict is None:
		raise Fail("skopeo failed for a reason other than policy "
		    "(exit %d): %s" % (s.exit, s.stderr[-600:]))
	_, wrapper = t.bindir(ppath)
	r = containerd.run_verifier(wrapper, ref, digest,
	    desc=containerd.descriptor(digest))
	if r.exit is None or r.exit not in (0, 1) or \
	    (r.exit == 0) != (s.verdict == "accepted"):
		raise Fail("DISAGREEMENT: skopeo %s (exit %d%s), ivlite exit %s: "
		    "%r%s" % (s.verdict, s.exit, ": " + s.stderr[-300:]
		    if s.exit else "", r.exit, r.reason,
		    ", stderr %r" % r.stderr.strip()[-300:]
		    if r.stderr.strip() else ""))
	want = "%s %s@%s: scope %s: %s" % ("accepted" if r.exit == 0 else
	    "rejected", norm, digest, sname, judged(letters, r.exit))
	if r.reason != want:
		raise Fail("agrees with skopeo (%s) but expected reason %r, got "
		    "%r" % (s.verdict, want, r.reason))
	if r.elapsed >= 2.0:
		raise Fail("expected elapsed < 2 s, got %.2f s" % r.elapsed)
	if (s.exit == 0) != (exp_exit == 0):
		raise Fail("TABLE ERROR: ivlite and skopeo agree (%s) but the "
		    "table expects exit %d" % (s.verdict, exp_exit))


def digest_difference(t, reg, rconf):
	"""A repo@DIGEST scope on a tag pull: skopeo rejects (it only meets
	digest scopes on by-digest pulls), ivlite accepts because -digest
	equals DIGEST (SPEC.md, a deliberate difference).  On the by-digest
	pull both accept."""
	lab = t.lab
	repo = "%s/org/pinned" % labmod.mapped_path("quay.io")
	d = reg.put_image(repo, "1", content="pinned image")
	pol = lab.write("pin.json", json.dumps({"default": [R], "transports":
	    {"docker": {"quay.io/org/pinned@" + d: [A]}}}))
	_, wrapper = t.bindir(pol)
	results = []
	for ref, want_sk, want_iv, line in [
	    ("quay.io/org/pinned:1", "rejected", 0, "accepted quay.io/org/"
	     "pinned:1@%s: scope transports.docker[\"quay.io/org/pinned@%s\"]: "
	     "insecureAcceptAnything" % (d, d)),
	    ("quay.io/org/pinned@" + d, "accepted", 0, "accepted quay.io/org/"
	     "pinned@%s: scope transports.docker[\"quay.io/org/pinned@%s\"]: "
	     "insecureAcceptAnything" % (d, d)),
	]:
		s = skopeo(lab, rconf, pol, ref)
		r = containerd.run_verifier(wrapper, ref, d,
		    desc=containerd.descriptor(d))
		if s.verdict != want_sk:
			raise Fail("expected skopeo %s on %s, got exit %d: %s"
			    % (want_sk, ref, s.exit, s.stderr[-300:]))
		if r.exit != want_iv or r.reason != line:
			raise Fail("expected ivlite exit %d %r on %s, got exit %s "
			    "%r" % (want_iv, line, ref, r.exit, r.reason))
		results.append(s.verdict)
	return results
