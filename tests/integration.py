#!/usr/bin/python3
"""ivlite integration tests: the containerd contract, the example policies
in policies/, a differential against skopeo's policy evaluation, the
registry client against real and hostile servers (test_registry.py,
test_hostile.py; they also drive tests/regfetch), sigstoreSigned with
cosign-format signatures written by tests/cosign.py (test_sigstore.py),
and sigstoreSigned with certificates (pki, fulcio) and Rekor bundles
written by tests/sigpki.py (test_sigpki.py), and signedBy with GPG
simple signing from lookaside storage, keys and signatures made by gpg and
skopeo (tests/simplesign.py, test_gpg.py).

usage: /usr/bin/python3 tests/integration.py [IVLITE] [-k SUBSTRING]...
    [-x SUBSTRING]...

IVLITE defaults to ./ivlite; with -k only the cases whose name holds one
of the SUBSTRINGs run, with -x none whose name holds one of those.  Each case prints "ok - NAME", or
"FAIL - NAME: expected …, got …", or "SKIP: NAME: why" when a tool or
server it needs is missing (under CI=true a skip counts as a failure).
The last line is "N passed, N failed"; the exit status is 1 on any failure.
One Lab (temporary directory, one plain registry, and the NetLab set-ups
started on first use) serves the whole run.

Standard library only; run with Debian's /usr/bin/python3.
"""

import json
import os
import re
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True	# no __pycache__ in the checkout

import containerd	# noqa: E402
import lab as labmod	# noqa: E402

MAX_ELAPSED = 2.0	# seconds; containerd would kill at 10
# a run that must end by a deadline of D seconds is allowed D * (1 + SLACK):
# a loaded machine (make test beside other builds) delays every process,
# so slack proportional to the deadline, never a tight wall-clock bound
SLACK = 1.0


def within(deadline):
	"""The wall-clock limit for a run that must end by DEADLINE s."""
	return deadline * (1 + SLACK)

# the case modules import Fail and Skip from "integration": make that name
# this very module when it runs as a script, or they would get copies
if __name__ == "__main__":
	sys.modules.setdefault("integration", sys.modules[__name__])


class Fail(Exception):
	pass


class Skip(Exception):
	pass


class Runner:
	"""Holds the run's state and the assertion helpers cases use."""

	def __init__(self, ivlite, patterns=(), excludes=()):
		self.ivlite = os.path.abspath(ivlite)
		self.excludes = list(excludes)
		self.root = os.path.dirname(HERE)
		self.policies = os.path.join(self.root, "policies")
		self.patterns = list(patterns)
		self.ci = os.environ.get("CI") == "true"
		self.passed = 0
		self.failed = 0
		self.skipped = 0
		self._lab = None
		self._netlab = None
		self._registry = None
		self._registry_error = None
		self._bindirs = {}

	# --- shared resources -------------------------------------------

	@property
	def lab(self):
		if self._lab is None:
			self._lab = labmod.Lab()
		return self._lab

	@property
	def netlab(self):
		"""TLS, auth, proxy and hostile set-ups, each started on first
		use (lab.NetLab)."""
		if self._netlab is None:
			self._netlab = labmod.NetLab(self.lab)
		return self._netlab

	def registry(self):
		"""The run's one registry, started on first use (or Skip)."""
		if self._registry is not None:
			return self._registry
		if self._registry_error:
			raise Skip(self._registry_error)
		miss = labmod.missing_tools("docker-registry", "skopeo")
		if miss:
			self._registry_error = "%s not installed" % ", ".join(miss)
			raise Skip(self._registry_error)
		try:
			self._registry = labmod.Registry(self.lab).start()
		except labmod.LabError as e:
			self._registry_error = "registry did not start: %s" % e
			raise Skip(self._registry_error)
		return self._registry

	def close(self):
		if self._lab is not None:
			self._lab.close()

	def policy_file(self, policy, name="policy.json"):
		"""Path of a policy: a file name as is, or a dict written out."""
		if isinstance(policy, str):
			return policy
		return self.lab.write(name, json.dumps(policy, indent=1))

	def bindir(self, policy, opts=()):
		"""containerd bin_dir with a wrapper for POLICY (cached)."""
		path = self.policy_file(policy)
		key = (path, tuple(opts))
		if key not in self._bindirs:
			self._bindirs[key] = containerd.wrapper_bindir(self.lab,
			    self.ivlite, path, opts)
		return self._bindirs[key]

	# --- running ivlite ---------------------------------------------

	def containerd(self, policy, name, digest, desc="auto", stdin=None,
	    opts=()):
		"""Run ivlite through a bin_dir wrapper exactly as containerd.

		desc "auto": a manifest descriptor for DIGEST; a dict: that
		descriptor; None: write STDIN (bytes, b"" = close at once).
		"""
		_, wrapper = self.bindir(policy, opts)
		if desc == "auto":
			desc = containerd.descriptor(digest)
		return containerd.run_verifier(wrapper, name, digest,
		    desc=desc, stdin=stdin)

	def direct(self, args, stdin=b""):
		"""Run the ivlite binary itself with ARGS."""
		return containerd.run_direct([self.ivlite] + list(args),
		    stdin=stdin)

	# --- assertions -------------------------------------------------

	def expect(self, r, code, line=None, regex=None, prefix=None,
	    one_line=True):
		"""Check exit code and the reason of result R.

		line: the exact reason, the rule; regex: re.fullmatch on it, only
		for a part the text is not ivlite's to fix (tests/README.md, "What
		a case asserts"); prefix: its start, for a caller that checks the
		rest itself.  Also: not killed, fast, and one line on stdout.
		"""
		if r.killed or r.exit is None:
			raise Fail("expected exit %d, got killed after %.1f s "
			    "(signal %s); stderr: %s" % (code, r.elapsed,
			    r.signal, r.stderr.strip()[-300:]))
		problems = []
		if r.exit != code:
			problems.append("exit %d" % code)
		if line is not None and r.reason != line:
			problems.append("reason %r" % line)
		if regex is not None and not re.fullmatch(regex, r.reason):
			problems.append("reason matching /%s/" % regex)
		if prefix is not None and not r.reason.startswith(prefix):
			problems.append("reason starting %r" % prefix)
		if one_line and not (r.stdout.endswith(b"\n")
		    and r.stdout.count(b"\n") == 1):
			problems.append("exactly one line on stdout")
		if r.elapsed >= MAX_ELAPSED:
			problems.append("elapsed < %.1f s" % MAX_ELAPSED)
		if problems:
			raise Fail("expected %s, got exit %s, elapsed %.2f s, "
			    "stdout %r%s" % (", ".join(problems), r.exit,
			    r.elapsed, r.stdout.decode(errors="replace")[:600],
			    ", stderr %r" % r.stderr.strip()[-300:]
			    if r.stderr.strip() else ""))
		return r

	# --- cases ------------------------------------------------------

	def selected(self, name):
		"""Whether case NAME runs (the -k and -x filters)."""
		return (not self.patterns or any(p in name for p in
		    self.patterns)) and not any(x in name for x in self.excludes)

	def case(self, name, fn, *args):
		if not self.selected(name):
			return
		try:
			fn(*args)
		except Skip as e:
			print("SKIP: %s: %s" % (name, e), flush=True)
			if self.ci:
				print("FAIL - %s: skipped under CI=true" % name,
				    flush=True)
				self.failed += 1
			else:
				self.skipped += 1
			return
		except Fail as e:
			print("FAIL - %s: %s" % (name, e), flush=True)
			self.failed += 1
			return
		except Exception:
			tb = traceback.format_exc().strip().replace("\n", "\n# ")
			print("FAIL - %s: test crashed:\n# %s" % (name, tb),
			    flush=True)
			self.failed += 1
			return
		print("ok - %s" % name, flush=True)
		self.passed += 1


def main(argv):
	ivlite = "./ivlite"
	patterns, excludes = [], []
	rest = list(argv[1:])
	while rest:
		a = rest.pop(0)
		if a == "-k" and rest:
			patterns.append(rest.pop(0))
		elif a == "-x" and rest:
			excludes.append(rest.pop(0))
		elif a.startswith("-"):
			sys.stderr.write("usage: %s [IVLITE] [-k SUBSTRING]... "
			    "[-x SUBSTRING]...\n" % argv[0])
			return 2
		else:
			ivlite = a
	t = Runner(ivlite, patterns, excludes)
	t0 = time.monotonic()
	try:
		if not os.access(t.ivlite, os.X_OK):
			print("FAIL - ivlite binary: %s is not an executable file"
			    % t.ivlite)
			t.failed += 1
		else:
			import test_bundle
			import test_cache
			import test_config
			import test_containerd_real
			import test_contract
			import test_cosign_real
			import test_deployments
			import test_differential
			import test_gpg
			import test_notation
			import test_hostile
			import test_keyless
			import test_registry
			import test_robust
			import test_rollout
			import test_sigpki
			import test_sigstore
			for mod in (test_contract, test_config, test_containerd_real,
			    test_deployments, test_differential, test_registry,
			    test_hostile, test_sigstore, test_cosign_real,
			    test_bundle, test_keyless, test_notation, test_sigpki,
			    test_gpg, test_cache, test_rollout, test_robust):
				mod.run(t)
	finally:
		t.close()
	if t.skipped:
		print("# %d skipped" % t.skipped)
	print("# %.1f s" % (time.monotonic() - t0))
	print("%d passed, %d failed" % (t.passed, t.failed))
	return 1 if t.failed else 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
