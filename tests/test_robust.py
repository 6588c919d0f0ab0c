#!/usr/bin/python3
"""Robustness: every injected failure blocks, memory limits hold.

- Fault injection (tests/ivlite-faults, built with IVLITE_FAULTS): one
  full verification -- TLS registry with token auth, tag resolution,
  cosign attachment, signature check -- is run once to count its network
  steps, then once per step with that step failing (every connect, TLS
  handshake, send and receive in turn).  Each run must block: exit 3 with
  the reason naming the failed step.  The one exception is a failure on a
  kept-alive connection before any answer came, which ivlite retries once
  on a fresh connection as Go does: such a run may accept, but only with
  the -v log showing the retry and the same verdict as the clean run.
- Memory: the same verification with the arena capped (IVLITE_ARENA) from
  1 KiB upwards: exit 3 "out of memory" or the clean verdict, never
  anything else.
- Allocations: the same verification once per arena allocation, with
  that one failing (IVLITE_FAULT=alloc:N; later, smaller ones may still
  fit): exit 3 "out of memory" every time, never a rejection or an
  acceptance, never a "(null)" reason.
- valgrind memcheck of the release binary on the same verification: no
  errors, nothing lost.
- The memory ceiling: peak RSS of ivlite against hostile servers (huge
  bodies, headers, chunk streams) stays under MEM_CEILING_MIB.
- The fail-closed audit of ivlite.c (tests/README.md "Robustness"; the
  exit-code table it checks is README's "Exit codes").
Run through tests/integration.py.
"""

import concurrent.futures
import os
import re
import shutil
import subprocess

import containerd
import cosign
import lab as labmod
from integration import Fail, Skip

MEM_CEILING_MIB = 24	# tests/README.md: "peak RSS stays under 24 MiB"


def run(t):
	import test_registry
	n = test_registry.Net(t)
	nl = n.nl
	state = {}

	def setup():
		if state:
			return state
		reg = test_registry.lab_need(nl.token)
		iss = reg.auth[1]
		repo = "private/robust"
		d = cosign.put_image(reg, repo, "v1", content="robustness")
		key = cosign.Key("p256")
		cosign.attach(reg, repo, d, [cosign.Layer(cosign.cosign_payload(
		    "%s/%s" % (reg.host, repo), d), key=key)])
		regd = t.lab.mkdir("robust-regd")
		with open(os.path.join(regd, "r.yaml"), "w") as f:
			f.write("docker:\n  %s:\n    use-sigstore-attachments: true\n"
			    % reg.host)
		keyfile = key.write(t.lab, "robust")
		pol = t.policy_file({"default": [{"type": "reject"}],
		    "transports": {"docker": {reg.host: [{"type": "sigstoreSigned",
		    "keyPath": keyfile, "signedIdentity":
		    {"type": "matchRepository"}}]}}}, "robust-policy.json")
		auth = labmod.auth_json(t.lab, {reg.host: (nl.USER, nl.PASSWORD)},
		    name="robust-auth.json")
		state.update(ref="%s/%s:v1" % (reg.host, repo), digest=d,
		    hosts=(reg.host, iss.host), accepted='accepted %s/%s:v1@%s: '
		    'scope transports.docker["%s"]: sigstoreSigned(keyPath=%s): '
		    "signature 1 of 1 verified, identity %s/%s" % (reg.host, repo,
		    d, reg.host, keyfile, reg.host, repo), argv=[
		    "-name", "%s/%s:v1" % (reg.host, repo), "-policy", pol,
		    "-registries-d", regd, "-certs-d", n.certs_d(reg.host,
		    iss.host), "-auth", auth, "-v"])
		return state

	def faults_bin():
		return test_registry.faults_bin(t)

	def go(binary, env=None, wait=20):
		s = setup()
		e = n.env(**(env or {}))
		return containerd.run_direct([binary] + s["argv"], stdin=b"",
		    timeout=wait, env=e)

	def clean_line():
		if "line" not in state:
			r = go(t.ivlite)
			if r.exit != 0 or r.reason != setup()["accepted"]:
				raise Fail("the clean run: want exit 0 %r, got %r %r" % (
				    setup()["accepted"], r.exit, r.reason))
			state["line"] = r.reason
		return state["line"]

	def oom_line():
		"""The one line of a run out of arena: it names ARENA_BYTES as
		compiled in (the faults build's -version)."""
		if "oom" not in state:
			r = containerd.run_direct([faults_bin(), "-version"],
			    timeout=10)
			m = re.search(r"^ARENA_BYTES +(\d+)$", r.stdout.decode(), re.M)
			if not m:
				raise Fail("no ARENA_BYTES in -version: %r" % r.stdout)
			state["oom"] = "error: out of memory: ARENA_BYTES (%s) spent" \
			    % m.group(1)
		return state["oom"]

	def counts(net=True):
		"""How many of each step the clean run does (NET: the network
		steps only)."""
		r = go(faults_bin(), {"IVLITE_FAULT": "count"})
		m = re.search(r"ivlite-fault: connect=(\d+) handshake=(\d+) "
		    r"send=(\d+) recv=(\d+) alloc=(\d+)", r.stderr)
		if r.exit != 0 or not m:
			raise Fail("count run: exit %r, %r" % (r.exit, r.stderr[-300:]))
		c = dict(zip(("connect", "handshake", "send", "recv", "alloc"),
		    map(int, m.groups())))
		if net:
			del c["alloc"]
		return c

	step = {"connect": "connect: injected fault", "handshake":
	    "TLS handshake: injected fault", "send": "send: injected fault",
	    "recv": "receive: injected fault"}

	def faults():
		c = counts()
		line = clean_line()
		if c["connect"] < 2 or c["handshake"] < 2 or c["send"] < 4:
			raise Fail("the scenario is too small to mean much: %r" % c)
		seen = 0
		for op, total in c.items():
			for i in range(1, total + 1):
				r = go(faults_bin(), {"IVLITE_FAULT": "%s:%d" % (op, i)})
				seen += 1
				if r.exit == 0:
					if "reconnecting" not in r.stderr or r.reason != line:
						raise Fail("%s #%d: accepted without a retried "
						    "connection: %r" % (op, i, r.reason))
					continue
				# the registry's or the token server's connection,
				# whichever the i-th such step belongs to
				want = ["error: %s: %s" % (h, step[op])
				    for h in setup()["hosts"]]
				if r.exit != 3 or r.reason not in want:
					raise Fail("%s #%d of %d: want exit 3 and one of %r, "
					    "got %r %r" % (op, i, total, want, r.exit,
					    r.reason))
		if seen < 10:
			raise Fail("only %d faults injected" % seen)
	t.case("robust: every network step failing in turn blocks the pull "
	    "(exit 3 naming the step)", faults)

	def arena():
		line = clean_line()
		cap, seen3 = 1024, 0
		while cap <= (32 << 20):
			r = go(faults_bin(), {"IVLITE_ARENA": str(cap)})
			if r.exit == 0:
				if r.reason != line:
					raise Fail("cap %d: accepted with %r" % (cap, r.reason))
				break
			if r.exit != 3 or r.reason != oom_line():
				raise Fail("cap %d: want exit 3 %r, got %r %r" % (cap,
				    oom_line(), r.exit, r.reason))
			seen3 += 1
			cap = cap * 3 // 2
		else:
			raise Fail("never accepted, even with 32 MiB")
		if seen3 < 5:
			raise Fail("only %d capped runs failed" % seen3)
	t.case("robust: every arena cap ends in exit 3 \"out of memory\" or "
	    "the clean verdict", arena)

	def allocs():
		c = counts(net=False)
		want = oom_line()
		if c["alloc"] < 50:
			raise Fail("only %d allocations: %r" % (c["alloc"], c))

		def one(i):
			r = go(faults_bin(), {"IVLITE_FAULT": "alloc:%d" % i})
			if r.exit != 3 or r.reason != want:
				return "allocation %d of %d: exit %r, %r" % (i,
				    c["alloc"], r.exit, r.reason)
			return None
		with concurrent.futures.ThreadPoolExecutor(4) as ex:
			bad = [x for x in ex.map(one, range(1, c["alloc"] + 1))
			    if x]
		if bad:
			raise Fail("%d of %d runs: %s" % (len(bad), c["alloc"],
			    "; ".join(bad)[:3000]))
	t.case("robust: every arena allocation failing in turn ends in exit 3 "
	    "\"out of memory\", never a rejection, an acceptance or a "
	    "\"(null)\" reason", allocs)

	def valgrind():
		if not shutil.which("valgrind"):
			raise Skip("valgrind not installed")
		s = setup()
		clean_line()
		p = subprocess.run(["valgrind", "--leak-check=full",
		    "--show-leak-kinds=definite,indirect,possible",
		    "--errors-for-leak-kinds=definite,indirect,possible",
		    "--error-exitcode=99", t.ivlite] + s["argv"],
		    stdin=subprocess.DEVNULL, capture_output=True, text=True,
		    timeout=120, env=n.env())
		if p.returncode != 0 or "ERROR SUMMARY: 0 errors" not in p.stderr:
			raise Fail("valgrind: exit %d\n%s" % (p.returncode,
			    p.stderr[-2000:]))
		if "definitely lost" in p.stderr and not re.search(
		    r"definitely lost: 0 bytes", p.stderr):
			raise Fail("valgrind reports leaks:\n%s" % p.stderr[-2000:])
	t.case("robust: valgrind memcheck of a full verification: no errors, "
	    "nothing lost", valgrind)

	def ceiling():
		if not os.access("/usr/bin/time", os.X_OK):
			raise Skip("GNU time (/usr/bin/time) not installed")
		h = test_registry.lab_need(nl.hostile)
		li = h["plain"]
		for repo in ("body/big", "body/bigchunked", "body/bigclose",
		    "hdr/block", "hdr/fields", "chunked/huge", "body/max"):
			ref = "%s/%s:v1" % (li.host, repo)
			argv = [t.ivlite, "-name", ref, "-policy", n.policy(li.host),
			    "-registries-d", n.regd, "-insecure", li.host]
			# GNU time, not wait4: a child forked from Python counts
			# the interpreter's pages in ru_maxrss
			p = subprocess.run(["/usr/bin/time", "-f", "maxrss %M"] +
			    argv, stdin=subprocess.DEVNULL, capture_output=True,
			    text=True, env=n.env(), timeout=20)
			m = re.search(r"maxrss (\d+)", p.stderr)
			if not m:
				raise Fail("no RSS from /usr/bin/time: %r" % p.stderr)
			mib = int(m.group(1)) / 1024.0
			want = 0 if repo == "body/max" else 3
			if p.returncode != want:
				raise Fail("%s: want exit %d, got %d" % (ref, want,
				    p.returncode))
			if mib > MEM_CEILING_MIB:
				raise Fail("%s: peak RSS %.1f MiB > %d MiB" % (ref, mib,
				    MEM_CEILING_MIB))
	t.case("robust: peak RSS under %d MiB whatever a server sends"
	    % MEM_CEILING_MIB, ceiling)

	audit(t)
	manpage(t)


MAX_SECTION_LINES = 800	# STYLE.md: a section past ~800 lines is split


def c_code(src):
	"""src with comments and string and character literals blanked,
	lines kept."""
	def blank(m):
		return re.sub(r"[^\n]", " ", m.group())
	return re.sub(r"/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])+'",
	    blank, src, flags=re.S)


def sections(src):
	"""[(number, title, first line, last line)], lines from 0: section 1
	is the text before the first banner "/* == 2. ..."."""
	out, first = [], 0
	for i, l in enumerate(src.split("\n")):
		m = re.match(r"/\* == (\d+)\. (.*?)[ =]*(?:\*/)?$", l)
		if m:
			out.append([int(m.group(1)), m.group(2), i])
	secs = [(1, "head", 0, (out[0][2] if out else src.count("\n")) - 1)]
	for k, (n, title, start) in enumerate(out):
		end = out[k + 1][2] - 1 if k + 1 < len(out) else \
		    src.count("\n") - 1
		secs.append((n, title, start, end))
	return secs


def section_at(secs, line):
	"""the number of the section line (from 0) is in"""
	for n, title, first, last in secs:
		if first <= line <= last:
			return n
	return secs[-1][0]


def audit(t):
	"""Static checks of ivlite.c that no path accepts but judge()."""
	with open(os.path.join(t.root, "ivlite.c")) as f:
		src = f.read()

	def one_acceptance():
		# every ExitAccept of the code (comments blanked, lines kept)
		# is a comparison, the enum, the one assignment in judge(), or
		# -audit's exit status in exit_status()
		code = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ",
		    m.group()), src, flags=re.S)
		start = code.index("\njudge(Run *run")
		end = code.index("\n}\n", start)
		body = code[start:end]
		audited = code.index("\nexit_status(int code)\n{\n\treturn "
		    "auditing ? ExitAccept : code;\n}\n")
		sets, bad = 0, []
		for m in re.finditer(r"\bExitAccept\b", code):
			line = code.count("\n", 0, m.start()) + 1
			before = code[:m.start()].rstrip()
			if before.endswith(("==", "!=")) or \
			    before.endswith("enum {"):
				continue
			if start < m.start() < end and \
			    before.endswith("v->exit =") and \
			    code.startswith(";", m.end()):
				sets += 1
				continue
			if audited < m.start() < audited + 60:
				continue
			bad.append("ivlite.c:%d: %s" % (line, code[
			    code.rindex("\n", 0, m.start()) + 1:code.index("\n",
			    m.start())].strip()))
		if bad:
			raise Fail("ExitAccept outside judge()'s one acceptance: %s"
			    % "; ".join(bad))
		if sets != 1:
			raise Fail("judge() sets ExitAccept %d times, want once"
			    % sets)
		if not re.search(r"v->exit = ExitReject;", body):
			raise Fail("judge() does not start from a rejection")
	t.case("audit: the verdict becomes ExitAccept in one place, judge(), "
	    "which starts from ExitReject", one_acceptance)

	def audit_mode():
		# -audit allows a pull in one place: exit_status(), whose flag
		# main() sets from the option once; everything judges as usual
		sets = re.findall(r"\bauditing\s*=[^=][^;]*;", c_code(src))
		if sets != ["auditing = o.audit;"]:
			raise Fail("auditing is set %r, want once, from -audit"
			    % sets)
		m = src[src.index("\nmain(int argc"):]
		m = m[:m.index("\n}\n")]
		if not m.rstrip().endswith("return exit_status(code);"):
			raise Fail("main does not end in return exit_status(code)")
		for name in ("judge(", "judge_req(", "main_image("):
			body = src[src.index("\n" + name):]
			body = body[:body.index("\n}\n")]
			if re.search(r"\bauditing\b|->audit\b|exit_status\(",
			    body):
				raise Fail("%s) looks at -audit" % name)
	t.case("audit: -audit changes only the exit status (exit_status(), "
	    "set once from the option), never the judgement", audit_mode)

	def reasons():
		# a reason (a detail, a *why, a list of them) is built with
		# ar_reason, never NULL; ar_printf, NULL when the arena is
		# spent, only where the caller fails on NULL or gives a text
		bad = re.findall(r"(?:->detail|\*why|\blist)\s*=\s*ar_printf\(|"
		    r"return ar_printf\(\w+, NULL\b", src)
		if bad:
			raise Fail("reasons built with ar_printf (NULL when "
			    "the arena is spent): %d, e.g. %r" % (len(bad),
			    bad[0]))
	t.case("audit: reasons are built with ar_reason, which is never NULL",
	    reasons)

	def no_fail_accepts():
		bad = re.findall(r"fail\([^,]+,\s*(ExitAccept|0)\s*,", src)
		if bad:
			raise Fail("fail() called with an accepting code: %r" % bad)
	t.case("audit: no error is raised with exit status 0", no_fail_accepts)

	def main_exit():
		m = src[src.index("\nmain_image(Run *run"):]
		if "code = e->code ? e->code : judged ? v.exit : ExitUndecided;" \
		    not in m[:m.index("\n}\n")]:
			raise Fail("main_image's exit status is not taken from the "
			    "error or the verdict")
		m = src[src.index("\nmain(int argc"):]
		zero = re.findall(r"return[^;]*\b0;", m[:m.index("\n}\n")])
		if len(zero) != 2:
			raise Fail("main returns 0 directly in %d places, want 2 "
			    "(-version/-h and -check)" % len(zero))
	t.case("audit: main_image's status is the error's or the verdict's; "
	    "only -version/-h and -check return 0 directly", main_exit)

	code = c_code(src)
	secs = sections(src)

	def layout():
		nums = [n for n, title, first, last in secs]
		if nums != list(range(1, len(secs) + 1)):
			raise Fail("sections are numbered %r" % nums)
		big = ["%d. %s: %d lines" % (n, title, last - first + 1)
		    for n, title, first, last in secs if last - first + 1 >
		    MAX_SECTION_LINES]
		if big:
			raise Fail("over %d lines (split it in place): %s" % (
			    MAX_SECTION_LINES, "; ".join(big)))
	t.case("audit: ivlite.c's sections (/* == N. ...) are numbered in "
	    "order, none over %d lines" % MAX_SECTION_LINES, layout)

	def downward():
		lines = code.split("\n")
		defs = {}
		for m in re.finditer(r"^(\w+)\([^;{]*\)\n\{", code, re.M):
			line = code.count("\n", 0, m.start())
			defs[m.group(1)] = (section_at(secs, line), line)
		decls = [n for n, title, first, last in secs
		    if title.startswith("Function declarations")]
		if len(decls) != 1:
			raise Fail("no one section of function declarations")
		d = secs[decls[0] - 1]
		declared = set(re.findall(r"^static[^;(]*?\b(\w+)\(",
		    "\n".join(lines[d[2]:d[3] + 1]), re.M))
		bad, early = [], set()
		intype = False
		for i, l in enumerate(lines):
			here = section_at(secs, i)
			# type definitions name members, not functions
			if re.match(r"(typedef|struct|union|enum)\b", l) and \
			    not l.rstrip().endswith(";"):
				intype = True
			if intype or here == d[0] or l.startswith("#include"):
				intype = intype and not l.startswith("}")
				continue
			for m in re.finditer(r"(?<![\w.])(?<!->)([A-Za-z_]\w*)", l):
				g = m.group(1)
				if g not in defs or defs[g][1] == i:
					continue
				if defs[g][0] > here:
					early.add(g)
					if g not in declared:
						bad.append("ivlite.c:%d: section %d uses %s() "
						    "of section %d" % (i + 1, here, g,
						    defs[g][0]))
		if bad:
			raise Fail("calls to a later section not declared in "
			    "section %d: %s" % (d[0], "; ".join(bad)))
		stale = declared - early
		if stale:
			raise Fail("section %d declares what no section above its "
			    "definition uses: %s" % (d[0], ", ".join(sorted(stale))))
	t.case("audit: a section calls only the sections above it, but for "
	    "what section 3 declares", downward)

	def no_hooks():
		bad = ["ivlite.c:%d" % (src.count("\n", 0, m.start()) + 1)
		    for m in re.finditer(r"\biv_", src)]
		if bad:
			raise Fail("iv_ in ivlite.c (test hooks live in "
			    "tests/hooks.c): %s" % ", ".join(bad))
	t.case("audit: no iv_ test hook in ivlite.c (tests/hooks.c has them)",
	    no_hooks)

	def mbedtls_confined():
		lines = code.split("\n")
		raw = src.split("\n")
		compat = [i for i, l in enumerate(raw) if l.startswith(
		    "/* mbedTLS 2.28 (Debian 12) and 3.x")]
		end = [i for i, l in enumerate(raw) if l.startswith(
		    "/* config.h holds")]
		if len(compat) != 1 or len(end) != 1 or end[0] < compat[0]:
			raise Fail("no compatibility block in section 1")
		bad = []
		for i, l in enumerate(lines):
			n = section_at(secs, i)
			title = secs[n - 1][1]
			ok = compat[0] <= i < end[0] or (n > 1 and re.search(
			    r"crypto|name constraints|ed25519|TLS", title, re.I))
			for m in re.finditer(r"\b(mbedtls_\w+|MBEDTLS_\w+)", l):
				if not ok or (m.group(1) == "MBEDTLS_VERSION_NUMBER"
				    and not compat[0] <= i < end[0]):
					bad.append("ivlite.c:%d: %s (section %d)" % (i + 1,
					    m.group(1), n))
		if bad:
			raise Fail("mbedTLS outside the crypto and TLS sections "
			    "and the compatibility block: %s" % "; ".join(bad[:20]))
	t.case("audit: mbedTLS only in the crypto and TLS sections, version "
	    "checks only in the compatibility block", mbedtls_confined)

	def hash_answers():
		# a hash call (sha_raw, sha256_ret, mbedtls_md_update…)
		# that is a statement of its own (after ; { } else, an if's
		# line, a (void)) drops its answer, and so does the left of a
		# comma expression
		call = r"(?:sha_raw|sha(?:256|512)_ret|mbedtls_(?:sha\d+|md)" \
		    r"(?:_(?!init\b|free\b)\w+)?)\s*\("
		bad = ["ivlite.c:%d" % (code.count("\n", 0, m.end()) + 1)
		    for m in re.finditer(r"(?:[;{}]|\belse|\)[ \t]*\n|\(void\))"
		    r"\s*" + call + r"|\(\s*" + call + r"[^;]*\)\s*,", code)]
		if bad:
			raise Fail("a hash call whose answer is not checked: %s"
			    % ", ".join(bad))
	t.case("audit: every mbedTLS hash call's answer is checked",
	    hash_answers)

	def static_archive():
		# tests/static in a copy of the checkout, on two made-up mbedTLS
		# trees of one module each (the link then fails, the archive
		# is made before it): after the second, the archive holds the
		# second tree's module alone
		if not shutil.which("musl-gcc"):
			raise Skip("musl-gcc not installed (musl-tools)")
		top = t.lab.mkdir("static-archive")
		os.makedirs(os.path.join(top, "tests"))
		for f in ("tests/static", "tests/mbedtls-source", "ivlite.c",
		    "config.def.h", "mbedtls-config.h"):
			shutil.copy(os.path.join(t.root, f), os.path.join(top, f))
		out = []
		for mod in ("first", "second"):
			src = os.path.join(top, "mbedtls-" + mod)
			os.makedirs(os.path.join(src, "include", "mbedtls"))
			os.makedirs(os.path.join(src, "library"))
			open(os.path.join(src, "include", "mbedtls", "ssl.h"),
			    "w").close()
			with open(os.path.join(src, "library", mod + ".c"), "w") as f:
				f.write("int ivlite_%s;\n" % mod)
			env = dict(os.environ, MBEDTLS_SRC=src)
			p = subprocess.run([os.path.join(top, "tests", "static")],
			    env=env, capture_output=True, text=True, timeout=60)
			ar = subprocess.run(["ar", "t", os.path.join(top, "build",
			    "static", "libmbedtls-ivlite.a")], capture_output=True,
			    text=True)
			out.append(ar.stdout.split())
			if p.returncode == 0 or ar.returncode != 0:
				raise Fail("tests/static on a made-up tree: exit %d, ar "
				    "t: %r %r" % (p.returncode, ar.stdout, ar.stderr))
		if out != [["first.o"], ["second.o"]]:
			raise Fail("archive members after each build: %r (want "
			    "[['first.o'], ['second.o']])" % out)
	t.case("audit: tests/static makes its archive anew each build",
	    static_archive)

	def readme_table():
		with open(os.path.join(t.root, "README.md")) as f:
			readme = f.read()
		sec = readme[readme.index("\n## Exit codes\n"):]
		sec = sec[:sec.find("\n## ", 1) % len(sec)]
		rows = re.findall(r"^\| (\d) \|", sec, re.M)
		if sorted(set(rows)) != ["0", "1", "2", "3"]:
			raise Fail("README's exit table lists %r" % sorted(set(rows)))
		for code in ("ExitConfig", "ExitUndecided"):
			if not re.search(r"fail\([^,]+,\s*%s" % code, src):
				raise Fail("%s is never raised" % code)
	t.case("audit: README's exit-code table covers exit 0-3", readme_table)


def man_render(page, width=80):
	"""man-db's rendering of PAGE (groff, as a user reads it) at WIDTH
	columns in UTF-8: (stdout, stderr), with groff's warnings on."""
	env = dict(os.environ, MANWIDTH=str(width), LC_ALL="C.UTF-8",
	    MAN_KEEP_FORMATTING="", MANPAGER="cat", PAGER="cat")
	p = subprocess.run(["man", "--warnings", "-l", page],
	    capture_output=True, text=True, env=env, timeout=60)
	if p.returncode:
		raise Fail("man -l %s: exit %d: %s" % (page, p.returncode,
		    p.stderr.strip()[-600:]))
	return re.sub(r".\x08", "", p.stdout), p.stderr


def nested_quotes(text):
	"""Each place where a quote opens inside one of the same kind:
	‘a ‘b’ c’ is what .Ql/.Dq followed by another macro on
	the same line render to."""
	bad = []
	for op, cl in (("\u2018", "\u2019"), ("\u201c", "\u201d")):
		depth, start = 0, 0
		for i, c in enumerate(text):
			if c == op:
				if depth:
					bad.append(text[start:i + 40].replace("\n", " "))
				depth, start = depth + 1, i
			elif c == cl and depth:
				depth -= 1
	return bad


def manpage(t):
	"""ivlite.1 as a user reads it: mandoc's linter, man(1) through
	groff, the footer's version, every option of ivlite.c."""
	page = os.path.join(t.root, "ivlite.1")
	with open(page) as f:
		mdoc = f.read()
	with open(os.path.join(t.root, "config.mk")) as f:
		version = re.search(r"^VERSION = (\S+)$", f.read(), re.M).group(1)

	def lint():
		# level warning: the style messages mandoc adds are about this
		# machine (which pages mandoc.db and man(1) know) and about
		# words that end in ':' or ';' inside .Ql (ivlite's own output,
		# rendered inside the quotes as meant), not about the page
		if labmod.missing_tools("mandoc"):
			raise Skip("mandoc not installed (Debian package mandoc)")
		p = subprocess.run(["mandoc", "-Tlint", "-W", "warning", page],
		    capture_output=True, text=True, timeout=60)
		out = (p.stdout + p.stderr).strip()
		if p.returncode or out:
			raise Fail("mandoc -Tlint -W warning: exit %d: %s" % (
			    p.returncode, out[:1500]))
	t.case("audit: ivlite.1: mandoc -Tlint -W warning says nothing", lint)

	def rendered():
		if labmod.missing_tools("man"):
			raise Skip("man not installed (Debian package man-db)")
		text, err = man_render(page)
		bad = []
		if err.strip():
			bad.append("man --warnings -l ivlite.1 (80 columns): %s"
			    % err.strip()[:1000])
		nest = nested_quotes(text)
		if nest:
			bad.append("quotes nested in the rendered page: %s"
			    % " | ".join(nest[:6]))
		foot = [l for l in text.split("\n") if l.strip()][-1].split()
		if foot[:2] != ["ivlite", version] or \
		    foot[-2:] != ["ivlite", version]:
			bad.append("footer %r: want ivlite %s (config.mk) at both "
			    "ends" % (" ".join(foot), version))
		if bad:
			raise Fail("; ".join(bad))
	t.case("audit: ivlite.1: man -l renders it without warnings, nested "
	    "quotes, footer ivlite " + version, rendered)

	def options():
		with open(os.path.join(t.root, "ivlite.c")) as f:
			src = f.read()
		names = []
		for table in ("optnames", "flagnames"):
			m = re.search(r"static const char \*%s\[\] = \{(.*?)\};"
			    % table, src, re.S)
			if not m:
				raise Fail("ivlite.c: no %s[] table" % table)
			names += re.findall(r'"([^"]+)"', c_strip(m.group(1)))
		sect = lambda name: mdoc[mdoc.index("\n.Sh %s\n" % name):][1:]
		syn = sect("SYNOPSIS")
		syn = set(re.findall(r"\bFl (\S+)", syn[:syn.index("\n.Sh ")]))
		opt = sect("OPTIONS")
		opt = opt[:opt.index("\n.Sh ")]
		items = set(re.findall(r"\bFl (\S+)", "\n".join(
		    l for l in opt.split("\n") if l.startswith(".It "))))
		miss = ["-%s (SYNOPSIS)" % n for n in names if n not in syn] + \
		    ["-%s (OPTIONS)" % n for n in names if n not in items]
		if miss:
			raise Fail("ivlite.1 does not list %s" % ", ".join(miss))
	t.case("audit: ivlite.1: SYNOPSIS and OPTIONS list every option of "
	    "ivlite.c", options)

	def limits():
		with open(os.path.join(t.root, "config.def.h")) as f:
			names = re.findall(r"^#define ([A-Z0-9_]+)", f.read(), re.M)
		items = set(re.findall(r"\b[A-Z][A-Z0-9_]+\b", "\n".join(l for l
		    in mdoc.split("\n") if l.startswith(".It Dv "))))
		miss = [n for n in names if n not in items]
		if miss:
			raise Fail("ivlite.1 has no .It Dv entry for %s" % ", ".join(
			    miss))
	t.case("audit: ivlite.1: every setting of config.def.h has an entry",
	    limits)


def c_strip(text):
	"""text without C comments"""
	return re.sub(r"/\*.*?\*/", "", text, flags=re.S)
