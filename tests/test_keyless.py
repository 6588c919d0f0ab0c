#!/usr/bin/python3
"""sigstoreBundle keyless: trusted_root.json, Fulcio identities, Rekor v1
and v2, RFC 3161 timestamps (issue 17).

- Bundles written by the tests (tests/keyless.py) from
  ../shared/specs/sigstore-bundle.md: a test Fulcio CA with an embedded
  SCT by a test CT log, a test Rekor v1 log (SET, RFC 6962 inclusion
  proof, Rekor-style checkpoint), a test Rekor v2 log (Ed25519 C2SP
  checkpoint, hashedrekord 0.0.2 leaf), a TSA whose tokens come from
  `openssl ts`, all described by a test trusted_root.json; pushed as
  referrers to tests/ocireg.py.
- Real Sigstore data (tests/fixtures/sigstore, Apache-2.0, see README):
  a public-good Rekor v1 DSSE bundle with sigstore-go's public-good
  trusted root, a staging Rekor v2 DSSE bundle with its TSA timestamp
  and staging trusted root, and sigstore-conformance's two bundles whose
  log entry names another signature.

Every case asserts the exact exit status and reason line.  Run through
tests/integration.py.
"""

import base64
import copy
import json
import os
import subprocess
import time

import containerd
import cosign
import keyless
import lab as labmod
import ocireg
import sigpki
from integration import Fail
from test_bundle import attach
from test_sigstore import clean_env

ISS = keyless.GITHUB
WF = keyless.WORKFLOW
RE_WF = r"^https://github\.com/acme/app/\.github/workflows/release\.yml@" \
    r"refs/tags/v.*$"
FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures",
    "sigstore")


def when(t):
	return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))


class World:
	"""The test Sigstore (made on first use) and the registry."""

	def __init__(self, t):
		self.t = t
		self._made = False
		self._n = 0

	def make(self):
		if self._made:
			return self
		self.lab = self.t.lab
		self.reg = ocireg.OciRegistry(self.lab)
		self.fulcio = keyless.Fulcio()
		self.ct = self.fulcio.ct
		self.r1 = keyless.RekorV1()
		self.r2 = keyless.RekorV2()
		self.tsa = keyless.TSA()
		self._made = True
		return self

	def root(self, **kw):
		"""The trusted root of the test Sigstore (KW replaces lists:
		tlogs, cas, ctlogs, tsas)."""
		d = dict(tlogs=[self.r1.root_entry(), self.r2.root_entry()],
		    cas=[keyless.ca_entry("https://fulcio.test",
		    self.fulcio.chain_der())], ctlogs=[keyless.log_entry(
		    "https://ctfe.test", self.ct.spki, "PKIX_ECDSA_P256_SHA_256",
		    self.ct.log_id)], tsas=[keyless.ca_entry("https://tsa.test",
		    self.tsa.chain_der())])
		d.update(kw)
		return keyless.trusted_root(**d)

	def image(self):
		self._n += 1
		repo = "keyless/app-%d" % self._n
		return repo, cosign.put_image(self.reg, repo, "v1",
		    content="keyless %d" % self._n)

	def run(self, repo, d, req, root=None, opts=(), env=None):
		rp = self.lab.write("trusted_root.json", json.dumps(root or
		    self.root()) if not isinstance(root, str) else root)
		r = dict(req)
		r.setdefault("trustedRootPath", rp)
		pol = self.t.policy_file({"default": [{"type": "reject"}],
		    "transports": {"docker": {self.reg.host: [r]}}},
		    "keyless-policy.json")
		res = containerd.run_direct([self.t.ivlite, "-name",
		    self.reg.ref(repo, "v1"), "-digest", d, "-policy", pol,
		    "-insecure", self.reg.host] + list(opts), stdin=b"",
		    env=dict(clean_env(), **(env or {})))
		self.pol = pol
		return res, r

	def line(self, repo, d, req, code, detail):
		desc = "sigstoreBundle(fulcio)" if "identities" in req else \
		    "sigstoreBundle(keyPath=%s)" % req["keyPath"]
		return "%s %s@%s: scope transports.docker[\"%s\"]: %s: %s" % (
		    "accepted" if code == 0 else "rejected", self.reg.ref(repo,
		    "v1"), d, self.reg.host, desc, detail)


def ident(**kw):
	i = {"issuer": ISS, "subject": WF}
	for k, v in kw.items():
		if k in ("issuerRegExp", "issuer"):
			i.pop("issuer", None)
		if k in ("subjectRegExp", "subject"):
			i.pop("subject", None)
		i[k] = v
	return i


def keyless_req(*idents, **kw):
	r = {"type": "sigstoreBundle", "identities": list(idents) or [ident()]}
	r.update(kw)
	return r


def ok(who, evidence, idx=None):
	return "bundle v0.3 (referrers API) verified, signed by %s (issuer %s%s; " \
	    "%s)" % (who, ISS, ", identities[%d]" % idx if idx is not None else
	    "", evidence)


def bad(why):
	return "1 candidate, none valid: #1 bundle (referrers API): " + why


def countsig(t):
	"""tests/countsig.c built in the lab, if t.ivlite links libmbedcrypto
	dynamically (else None)."""
	ldd = subprocess.run(["ldd", t.ivlite], stdout=subprocess.PIPE,
	    stderr=subprocess.DEVNULL).stdout
	if b"libmbedcrypto" not in ldd:
		return None
	so = t.lab.path("countsig.so")
	if not os.path.exists(so):
		subprocess.run(["cc", "-std=c99", "-O2", "-shared", "-fPIC", "-o",
		    so, os.path.join(os.path.dirname(os.path.abspath(__file__)),
		    "countsig.c"), "-ldl"], check=True)
	return so


def run(t):
	w = World(t)
	name = lambda x: "keyless: " + x

	def case(label, build, code, detail, req=None, root=None):
		"""BUILD(w, repo, d) -> bundle bytes (and optionally a root);
		DETAIL: the requirement's reason, or a function of (repo, d, the
		evidence text the build returned)."""
		def f():
			w.make()
			repo, d = w.image()
			out = build(w, repo, d)
			blob, rt, ev = (out + (None, None))[:3] if isinstance(out,
			    tuple) else (out, None, None)
			attach(w.reg, repo, d, blob)
			r, req2 = w.run(repo, d, req or keyless_req(), rt or root)
			det = detail(ev) if callable(detail) else detail
			if code == 2:
				t.expect(r, 2, "error: " + det)
			else:
				t.expect(r, code, w.line(repo, d, req2, code, det))
		t.case(name(label), f)

	def v1(w, repo, d, leaf=None, body_kw=None, entry_kw=None, t_=None,
	    stamps=False, sig=None, st=None, log_pem=None, log_st=None):
		"""A bundle of a Rekor v1 entry (SET and proof) for D, and its
		evidence as the reason names it ("ev") and its time ("t"); the
		entry logs SIG, LOG_PEM and LOG_ST instead when given."""
		leaf = leaf or w.fulcio.leaf()
		st = st or cosign.statement(d)
		s = leaf.key.sign(cosign.pae(cosign.MT_INTOTO, st))
		t0 = int(time.time()) - 60 if t_ is None else t_
		body = keyless.dsse_body(log_st or st, sig or s, log_pem or leaf.pem,
		    **(body_kw or {}))
		e = w.r1.entry(body, time_=t0, **(entry_kw or {}))
		ts = [w.tsa.stamp(s)] if stamps else []
		ev = "Rekor v1 https://rekor.test (index %s, SET time %s)" % (
		    e["logIndex"], when(t0)) if e.get("inclusionPromise") else \
		    "Rekor v1 https://rekor.test (index %s, inclusion proof)" % \
		    e["logIndex"]
		if stamps:
			ev += ", timestamp by https://tsa.test at " + when(w.tsa.last)
		return keyless.bundle(st, leaf, [e], ts, sig=s), None, {"ev": ev,
		    "t": t0}

	def v2(w, repo, d, leaf=None, stamps=True, ck=None, edit=None,
	    entry_sig=None):
		leaf = leaf or w.fulcio.leaf()
		st = cosign.statement(d)
		s = leaf.key.sign(cosign.pae(cosign.MT_INTOTO, st))
		raw = w.r2.body(cosign.pae(cosign.MT_INTOTO, st), entry_sig or s,
		    sigpki.der(leaf.cert))
		e = w.r2.entry(raw, edit=edit, **(ck or {}))
		tok = w.tsa.stamp(s) if stamps else None
		ev = "Rekor v2 https://log2026-1.rekor.test (index %s, inclusion " \
		    "proof)" % e["logIndex"]
		if tok:
			ev += ", timestamp by https://tsa.test at " + when(w.tsa.last)
		return keyless.bundle(st, leaf, [e], [tok] if tok else [], sig=s), \
		    None, {"ev": ev}

	def tsa_only(w, repo, d, root=None, leaf=None):
		leaf = leaf or w.fulcio.leaf()
		st = cosign.statement(d)
		s = leaf.key.sign(cosign.pae(cosign.MT_INTOTO, st))
		b = keyless.bundle(st, leaf, [], [w.tsa.stamp(s)], sig=s)
		return b, root, {"ev": "timestamp by https://tsa.test at " +
		    when(w.tsa.last), "t": w.tsa.last}

	# --- accepted ------------------------------------------------------
	case("exact issuer and subject, Rekor v1 SET and proof: accepted", v1,
	    0, lambda i: ok(WF, i["ev"]))
	case("subjectRegExp (anchored by ivlite): accepted", v1, 0,
	    lambda i: ok(WF, i["ev"]), req=keyless_req(ident(subjectRegExp=RE_WF)))
	case("issuerRegExp and claims: accepted", v1, 0, lambda i: ok(WF, i["ev"]),
	    req=keyless_req(ident(issuerRegExp="https://token\\.actions\\."
	    "githubusercontent\\.com", claims={"sourceRepositoryURI":
	    keyless.REPO, "sourceRepositoryRef": "refs/tags/v1.2.3",
	    "runnerEnvironment": "github-hosted"})))
	case("the first of two identities matches: accepted", v1, 0,
	    lambda i: ok(WF, i["ev"], 0), req=keyless_req(ident(), ident(
	    subject="https://github.com/other/x")))
	case("the second of two identities matches: accepted", v1, 0,
	    lambda i: ok(WF, i["ev"], 1), req=keyless_req(ident(subject="https://"
	    "github.com/other/x"), ident()))
	case("Rekor v1 proof without SET, and a timestamp: accepted",
	    lambda w, r, d: v1(w, r, d, entry_kw={"set_": False},
	    stamps=True), 0, lambda i: ok(WF, i["ev"]))

	def intoto(w, repo, d):
		return v1(w, repo, d, body_kw={"kind": "intoto"})
	case("Rekor v1 intoto 0.0.2 entry: accepted", intoto, 0,
	    lambda i: ok(WF, i["ev"]))

	case("a TSA-only bundle: accepted", tsa_only, 0, lambda i: ok(WF,
	    i["ev"]))
	case("a Rekor v2 bundle with a timestamp: accepted", v2, 0,
	    lambda i: ok(WF, i["ev"]))

	def email(w, repo, d):
		return v1(w, repo, d, leaf=w.fulcio.leaf(uri=None,
		    email="dev@example.com", issuer="https://accounts.google.com"))
	case("an email identity (Google): accepted", email, 0,
	    lambda i: ok("dev@example.com", i["ev"]).replace(ISS,
	    "https://accounts.google.com"), req=keyless_req({"issuer":
	    "https://accounts.google.com", "subject": "dev@example.com"}))

	# --- identities ------------------------------------------------------
	case("a subjectRegExp that matches only a substring: rejected", v1, 1,
	    bad("subject %s does not match subjectRegExp github\\.com/acme/"
	    % WF), req=keyless_req(ident(subjectRegExp="github\\.com/acme/")))
	case("a release.yml regexp against ci.yml: rejected (the closest "
	    "miss)", lambda w, r, d: v1(w, r, d, leaf=w.fulcio.leaf(
	    uri=keyless.REPO + "/.github/workflows/ci.yml@refs/heads/main")), 1,
	    bad("subject https://github.com/acme/app/.github/workflows/ci.yml@"
	    "refs/heads/main does not match subjectRegExp " + RE_WF),
	    req=keyless_req(ident(subjectRegExp=RE_WF)))
	case("wrong issuer: rejected", v1, 1, bad("issuer %s is not "
	    "https://gitlab.com" % ISS), req=keyless_req(ident(
	    issuer="https://gitlab.com")))
	case("claim mismatch: rejected", v1, 1, bad("claim sourceRepositoryRef "
	    "refs/tags/v1.2.3 is not refs/heads/main"), req=keyless_req(ident(
	    claims={"sourceRepositoryRef": "refs/heads/main"})))
	case("claim absent: rejected", v1, 1, bad("claim deploymentEnvironment "
	    "is absent"), req=keyless_req(ident(claims={"deploymentEnvironment":
	    "prod"})))
	case("two identities, neither: the closest is named", v1, 1,
	    bad("identities[1] (closest): claim sourceRepositoryRef "
	    "refs/tags/v1.2.3 is not refs/heads/main"), req=keyless_req(
	    ident(issuer="https://gitlab.com"), ident(claims={
	    "sourceRepositoryRef": "refs/heads/main"})))

	def ctl(w, repo, d):
		return v1(w, repo, d, leaf=w.fulcio.leaf(uri=WF + "\n"))
	case("a subject with a control byte matches nothing", ctl, 1,
	    bad("subject %s\\x0a holds a control byte: it matches nothing" % WF),
	    req=keyless_req(ident(subjectRegExp=".*")))

	# --- time -----------------------------------------------------------
	def expired(w, repo, d):
		start = int(time.time()) - 3600
		return v1(w, repo, d, leaf=w.fulcio.leaf(start=start),
		    t_=start + 11 * 60)
	case("certificate expired at the logged time: rejected", expired, 1,
	    lambda i: bad("rekor: logged at %s, outside the certificate's "
	    "validity" % when(i["t"])))

	def late_tsa(w, repo, d):
		return tsa_only(w, repo, d, w.root(tsas=[keyless.ca_entry(
		    "https://tsa.test", w.tsa.chain_der(), start=int(time.time()) -
		    86400, end=int(time.time()) - 3600)]))
	case("a timestamp outside the TSA's validity: rejected", late_tsa, 1,
	    lambda i: bad("timestamp at %s, when TSA https://tsa.test was not "
	    "valid" % when(i["t"])))

	def tsa_leaf_expired(w, repo, d):
		start = int(time.time()) - 3600
		return tsa_only(w, repo, d, leaf=w.fulcio.leaf(start=start))
	case("a timestamp after the certificate expired: rejected",
	    tsa_leaf_expired, 1, lambda i: bad("fulcio: at %s: not valid at %s: "
	    "expired" % (when(i["t"]), when(i["t"]))))

	def set_ok_tsa_late(w, repo, d):
		"""two proven times, one path: the SET's inside the
		certificate's ten minutes, the timestamp's after them"""
		start = int(time.time()) - 1800
		out = v1(w, repo, d, leaf=w.fulcio.leaf(start=start), t_=start +
		    60, stamps=True)
		out[2]["t"] = w.tsa.last
		return out
	case("a SET inside the validity, a timestamp after it: rejected",
	    set_ok_tsa_late, 1, lambda i: bad("fulcio: at %s: not valid at %s: "
	    "expired" % (when(i["t"]), when(i["t"]))))

	def tsa_leaf_future(w, repo, d):
		return tsa_only(w, repo, d, leaf=w.fulcio.leaf(start=int(
		    time.time()) + 600))
	case("a timestamp before the certificate is valid: rejected",
	    tsa_leaf_future, 1, lambda i: bad("fulcio: at %s: not valid at %s: "
	    "not yet valid" % (when(i["t"]), when(i["t"]))))

	def log_invalid(w, repo, d):
		out = v1(w, repo, d)
		t0 = out[2]["t"]
		return out[0], w.root(tlogs=[w.r1.root_entry(start=t0 - 86400,
		    end=t0 - 3600)]), out[2]
	case("a log not valid at that time: rejected", log_invalid, 1,
	    lambda i: bad("rekor: logged at %s, when log https://rekor.test was "
	    "not valid" % when(i["t"])))
	case("a Rekor v2 bundle without a timestamp: no time, rejected",
	    lambda w, r, d: v2(w, r, d, stamps=False), 1, bad("no verified "
	    "time: keyless needs a Rekor v1 SET or an RFC 3161 timestamp"))

	# --- the log entry -------------------------------------------------
	def other_sig(w, repo, d):
		leaf = w.fulcio.leaf()
		other = leaf.key.sign(b"another payload")
		return v1(w, repo, d, leaf=leaf, sig=other)
	case("a log entry for another signature: rejected", other_sig, 1,
	    bad("rekor: the logged signature is not this signature"))

	case("a log entry for another certificate: rejected", lambda w, r, d:
	    v1(w, r, d, log_pem=w.fulcio.leaf().pem), 1, bad("rekor: the "
	    "logged certificate is not the bundle's"))
	case("a log entry for another payload: rejected", lambda w, r, d:
	    v1(w, r, d, log_st=cosign.statement("sha256:" + "ab" * 32)), 1,
	    bad("rekor: the logged payload hash is not this payload's"))

	def broken_proof(w, repo, d):
		def edit(item):
			p = item["inclusionProof"]
			p["hashes"][0] = base64.b64encode(b"\x01" * 32).decode()
		return v1(w, repo, d, entry_kw={"edit": edit})
	case("a broken inclusion proof: rejected", broken_proof, 1,
	    bad("rekor: the inclusion proof does not lead to the checkpoint's "
	    "root"))

	def unknown_ck(w, repo, d):
		stranger = sigpki.Key("p256")

		def edit(item):
			p = item["inclusionProof"]
			p["checkpoint"]["envelope"] = w.r1.checkpoint(int(p["treeSize"]),
			    base64.b64decode(p["rootHash"]), key=stranger)
		return v1(w, repo, d, entry_kw={"edit": edit})
	case("a Rekor v1 checkpoint by an unknown key: rejected", unknown_ck, 1,
	    bad("checkpoint: not signed by the log"))

	def unknown_ck2(w, repo, d):
		from cryptography.hazmat.primitives.asymmetric import ed25519
		return v2(w, repo, d, ck={"priv": ed25519.Ed25519PrivateKey
		    .generate(), "name": "stranger.test"})
	case("a Rekor v2 checkpoint by an unknown key: rejected", unknown_ck2, 1,
	    bad("checkpoint: not signed by the log"))

	def forged_ck2(w, repo, d):
		from cryptography.hazmat.primitives.asymmetric import ed25519
		return v2(w, repo, d, ck={"priv": ed25519.Ed25519PrivateKey
		    .generate()})
	case("a Rekor v2 checkpoint with the log's name and key ID, signed by "
	    "another key: rejected", forged_ck2, 1, bad("checkpoint: the log's "
	    "signature does not verify"))

	def witnessed(w, repo, d):
		return v2(w, repo, d, ck={"cosig": [("witness.test", b"\1\2\3\4",
		    b"\0" * 64)]})
	case("a Rekor v2 checkpoint with a witness cosignature: accepted",
	    witnessed, 0, lambda i: ok(WF, i["ev"]))

	def v2_other_sig(w, repo, d):
		leaf = w.fulcio.leaf()
		return v2(w, repo, d, leaf=leaf, entry_sig=leaf.key.sign(b"x"))
	case("a Rekor v2 entry for another signature: rejected", v2_other_sig,
	    1, bad("rekor v2: the logged entry is not this signature, key and "
	    "payload"))

	def bad_set(w, repo, d):
		return v1(w, repo, d, entry_kw={"set_key": sigpki.Key("p256")})
	case("a SET by another key: rejected", bad_set, 1, bad("rekor: the SET "
	    "does not verify with the log's key"))

	def unlisted(w, repo, d):
		out = v1(w, repo, d)
		return out[0], w.root(tlogs=[w.r2.root_entry()])
	case("an entry of a log the trusted root does not list, nothing else: "
	    "rejected", unlisted, 1, bad("rekor: an entry of a log the trusted "
	    "root does not list"))

	# --- the certificate -----------------------------------------------
	def foreign_ca(w, repo, d):
		return v1(w, repo, d, leaf=keyless.Fulcio(ct=w.ct).leaf())
	case("a certificate from another CA: rejected", foreign_ca, 1,
	    lambda i: bad("fulcio: at %s: not trusted (no path to the "
	    "configured CA)" % when(i["t"])))

	def no_sct(w, repo, d):
		return v1(w, repo, d, leaf=w.fulcio.leaf(sct=False))
	case("a certificate without SCT: rejected", no_sct, 1,
	    bad("fulcio: no embedded SCT"))

	def foreign_sct(w, repo, d):
		return v1(w, repo, d, leaf=keyless.Fulcio(ct=keyless.CTLog()).leaf(
		    ca=w.fulcio.inter))
	case("an SCT by a CT log the root does not list: rejected",
	    foreign_sct, 1, bad("fulcio: no SCT by a CT log of the trusted root"))

	def no_ctlogs(w, repo, d):
		out = v1(w, repo, d, leaf=w.fulcio.leaf(sct=False))
		return out[0], w.root(ctlogs=[]), out[2]
	case("no ctlogs in the root: no SCT needed, accepted", no_ctlogs, 0,
	    lambda i: ok(WF, i["ev"]))

	# --- the trusted root's chain: the file is the anchor ------------------
	# The path ends at the listed CA that issued the leaf; the root listed
	# above it still adds its validity, path length, EKU and name
	# constraints (only its signature on the CA is left to -check).
	def fulcio_root(root_kw=None, impostor=False):
		def build(w, repo, d):
			f = keyless.Fulcio(ct=w.ct, root_kw=root_kw)
			chain = f.chain_der()
			if impostor:	# the root's name, another key
				chain[1] = sigpki.der(sigpki.CA("ivlite keyless fulcio "
				    "root", kind="p384").cert)
			out = v1(w, repo, d, leaf=f.leaf())
			return out[0], w.root(cas=[keyless.ca_entry(
			    "https://fulcio.test", chain)]), out[2]
		return build
	case("the root listed above the CA expired at the logged time: "
	    "rejected", fulcio_root({"na": int(time.time()) - 3600}), 1,
	    lambda i: bad("fulcio: at %s: not valid at %s: expired" % (
	    when(i["t"]), when(i["t"]))))
	case("the root's path length 0 over the listed CA: rejected",
	    fulcio_root({"path_length": 0}), 1, lambda i: bad("fulcio: at %s: "
	    "not trusted (no path to the configured CA)" % when(i["t"])))
	case("the root's extended key usage without code signing: rejected",
	    fulcio_root({"eku": (sigpki.OID_SERVER_AUTH,)}), 1, lambda i: bad(
	    "fulcio: at %s: not for code signing (extended key usage)" %
	    when(i["t"])))
	case("the root's name constraints exclude the workflow: rejected",
	    fulcio_root({"nc": ((), [("uri", "github.com")])}), 1, lambda i: bad(
	    "fulcio: at %s: URI \"%s\" is excluded by the name constraint "
	    "\"github.com\" of \"CN=ivlite keyless fulcio root\"" % (when(i["t"]),
	    WF)))
	case("a CA not signed by the root listed after it: the file is the "
	    "anchor, accepted", fulcio_root(impostor=True), 0, lambda i: ok(WF,
	    i["ev"]))

	# --- what a verification costs ----------------------------------------
	# tests/countsig.c counts the ECDSA checks of a dynamic ivlite (the
	# Ed25519 of Rekor v2 checkpoints is ivlite's own, not counted): the
	# DSSE signature, the leaf by the CA the trusted root lists (not the
	# listed chain again: the file is the trust anchor), the SCT, the SET,
	# the checkpoint, the TSA's signature and its certificate by the TSA's
	# listed CA; each once, however many times the evidence proves.
	so = countsig(t)

	def counted(label, build, want):
		def f():
			w.make()
			repo, d = w.image()
			attach(w.reg, repo, d, build(w, repo, d)[0])
			out = w.lab.path("countsig.out")
			r, _ = w.run(repo, d, keyless_req(), env={"LD_PRELOAD": so,
			    "COUNTSIG_OUT": out})
			t.expect(r, 0)
			with open(out) as f:
				n = f.read().strip()
			if n != str(want):
				raise Fail("%d ECDSA checks expected, ivlite made %s" % (
				    want, n))
		if so:	# a dynamic build: the static ones have no PLT to count on
			t.case(name("ECDSA checks: " + label), f)
	counted("Rekor v1 SET and proof (make bench's case): 5", v1, 5)
	counted("Rekor v1 SET and proof, and a timestamp (two times): 7",
	    lambda w, r, d: v1(w, r, d, stamps=True), 7)
	counted("a TSA-only bundle: 5", tsa_only, 5)
	counted("Rekor v2 and a timestamp: 5", v2, 5)

	# --- keys with a trusted root ----------------------------------------
	def keyed(with_entry):
		def build(w, repo, d):
			k = cosign.Key("p256")
			w.key_path = k.write(w.lab, "keyless-key")
			st = cosign.statement(d)
			s = k.sign(cosign.pae(cosign.MT_INTOTO, st))
			ents = [w.r1.entry(keyless.dsse_body(st, s, k.pem()))] if \
			    with_entry else []
			vm = {"publicKey": {"hint": "x"}}
			if ents:
				vm["tlogEntries"] = ents
			b = json.dumps({"mediaType": cosign.MT_BUNDLE,
			    "verificationMaterial": vm, "dsseEnvelope": {"payload":
			    keyless.b64(st), "payloadType": cosign.MT_INTOTO,
			    "signatures": [{"sig": keyless.b64(s)}]}}).encode()
			ev = "Rekor v1 https://rekor.test (index %s, SET time %s)" % (
			    ents[0]["logIndex"], when(int(ents[0]["integratedTime"]))) \
			    if ents else None
			return b, None, {"ev": ev}
		return build

	def keyed_case(label, with_entry, code, detail):
		def f():
			w.make()
			repo, d = w.image()
			blob, _, ev = keyed(with_entry)(w, repo, d)
			attach(w.reg, repo, d, blob)
			req = {"type": "sigstoreBundle", "keyPath": w.key_path}
			r, req2 = w.run(repo, d, req)
			t.expect(r, code, w.line(repo, d, req2, code, detail(ev, req)))
		t.case(name(label), f)
	keyed_case("keyPath with trustedRootPath, a logged signature: accepted",
	    True, 0, lambda i, req: "bundle v0.3 (referrers API) verified, "
	    "signed by %s (%s)" % (req["keyPath"], i["ev"]))
	keyed_case("keyPath with trustedRootPath, no log entry: rejected",
	    False, 1, lambda i, req: bad("no transparency-log entry and no "
	    "timestamp"))

	# --- trusted_root.json ----------------------------------------------
	def root_err(label, edit, why):
		def f():
			w.make()
			repo, d = w.image()
			rt = w.root()
			text = edit(rt) if edit else None
			r, req = w.run(repo, d, keyless_req(), text if isinstance(text,
			    str) else rt)
			t.expect(r, 2, "error: %s: transports.docker[\"%s\"][0]."
			    "trustedRootPath: %s: %s" % (w.pol, w.reg.host,
			    req["trustedRootPath"], why))
		t.case(name("trusted_root.json: " + label), f)

	def no_start(rt):
		del rt["tlogs"][0]["publicKey"]["validFor"]["start"]
	root_err("a tlog's validFor without start: exit 2 with its path",
	    no_start, "tlogs[0].publicKey.validFor: needs a start, and start and "
	    "end must be RFC 3339 times (…Z)")

	def media(rt):
		rt["mediaType"] = "application/json"
	root_err("another mediaType: exit 2", media, "mediaType: not a trusted "
	    "root (application/vnd.dev.sigstore.trustedroot+json;version=0.1 or "
	    "…trustedroot.v0.1+json, v0.2)")

	def unknown(rt):
		rt["certificateAuthorities"][0]["certChain"]["x"] = 1
	root_err("an unknown field: exit 2 with its path", unknown,
	    "certificateAuthorities[0]: unknown field \"x\"")

	def wrong_details(rt):
		rt["tlogs"][1]["publicKey"]["keyDetails"] = \
		    "PKIX_ECDSA_P256_SHA_256"
	root_err("a key that is not what keyDetails says: exit 2",
	    wrong_details, "tlogs[1]: needs a baseUrl, hashAlgorithm SHA2_256, a "
	    "logId.keyId of 32 bytes and a publicKey that is what its keyDetails "
	    "says: ECDSA P-256/384/521, RSA PKCS#1 v1.5 (2048 bits or more) or "
	    "Ed25519")

	def no_cas(rt):
		rt["certificateAuthorities"] = []
	root_err("no certificateAuthorities for keyless: exit 2", no_cas,
	    "lists no certificateAuthorities (keyless trusts Fulcio's)")

	def root_first(rt):
		c = rt["certificateAuthorities"][0]["certChain"]["certificates"]
		c.reverse()
	root_err("a certChain with the root first: exit 2", root_first,
	    "certificateAuthorities[0].certChain.certificates[0] is not named "
	    "as issued by certificates[1], or that is no CA: list each "
	    "certificate before its issuer, the root last")

	def not_json(rt):
		return "{"
	root_err("not JSON: exit 2", not_json, "line 1: JSON ends too early")

	# --- real Sigstore data ------------------------------------------------
	def real(label, bundle_file, root_file, code, detail):
		def f():
			w.make()
			with open(os.path.join(FIX, bundle_file), "rb") as fh:
				blob = fh.read()
			b = json.loads(blob)
			st = json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
			d = "sha256:" + st["subject"][0]["digest"]["sha256"]
			w._n += 1
			repo = "keyless/real-%d" % w._n
			attach(w.reg, repo, d, blob)
			req = {"type": "sigstoreBundle", "trustedRootPath":
			    os.path.join(FIX, root_file), "predicateTypes":
			    [st["predicateType"]], "identities": [{"issuer": ISS,
			    "subject": "https://github.com/sigstore-conformance/"
			    "extremely-dangerous-public-oidc-beacon/.github/workflows/"
			    "extremely-dangerous-oidc-beacon.yml@refs/heads/main"}]}
			r, req2 = w.run(repo, d, req)
			t.expect(r, code, w.line(repo, d, req2, code, detail))
		t.case(name("real Sigstore data: " + label), f)
	beacon = "https://github.com/sigstore-conformance/extremely-dangerous-" \
	    "public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-" \
	    "beacon.yml@refs/heads/main"
	real("public-good Rekor v1 bundle, public-good trusted root: accepted",
	    "rekor1-dsse.sigstore.json", "public-good.trusted_root.json", 0,
	    ok(beacon, "Rekor v1 https://rekor.sigstore.dev (index 155690850, "
	    "SET time 2024-12-16 18:42:56 UTC)"))
	real("staging Rekor v2 bundle with its timestamp: accepted",
	    "rekor2-dsse.sigstore.json", "staging.trusted_root.json", 0,
	    ok(beacon, "Rekor v2 https://log2025-alpha3.rekor.sigstage.dev "
	    "(index 4026478, inclusion proof), timestamp by "
	    "https://timestamp.sigstage.dev/api/v1/timestamp at 2026-05-13 "
	    "19:23:33 UTC"))
	real("public-good Rekor v1 entry of another signature: rejected",
	    "rekor1-mismatch-sig.sigstore.json", "public-good.trusted_root.json",
	    1, bad("rekor: the logged signature is not this signature"))
	real("staging Rekor v2 entry of another signature: rejected",
	    "rekor2-mismatch-sig.sigstore.json", "staging.trusted_root.json", 1,
	    bad("rekor v2: the logged entry is not this signature, key and "
	    "payload"))
	real("public-good bundle under the staging root: rejected",
	    "rekor1-dsse.sigstore.json", "staging.trusted_root.json", 1,
	    bad("rekor: an entry of a log the trusted root does not list"))

	# --- policies/cosign3-github-actions.json ----------------------------
	def shipped(label, leaf_kw, code, why):
		"""the shipped policy with the lab registry for ghcr.io and the
		test trusted root for /etc/pki/containers/sigstore"""
		def f():
			w.make()
			with open(os.path.join(t.policies,
			    "cosign3-github-actions.json")) as fh:
				text = fh.read()
			rp = w.lab.write("trusted_root.json", json.dumps(w.root()))
			pol = w.lab.write("cosign3-github-actions.json", text.replace(
			    "ghcr.io/acme", w.reg.host + "/acme").replace(
			    "/etc/pki/containers/sigstore/trusted_root.json", rp))
			w._n += 1
			repo = "acme/app-%d" % w._n
			d = cosign.put_image(w.reg, repo, "v1", content=repo)
			leaf = w.fulcio.leaf(**leaf_kw)
			blob, _, info = v1(w, repo, d, leaf=leaf)
			attach(w.reg, repo, d, blob)
			r = containerd.run_direct([t.ivlite, "-name", w.reg.ref(repo,
			    "v1"), "-digest", d, "-policy", pol, "-insecure",
			    w.reg.host], stdin=b"", env=clean_env())
			subj = leaf_kw.get("uri", WF)
			det = ok(subj, info["ev"]) if code == 0 else bad(why % subj)
			t.expect(r, code, "%s %s@%s: scope transports.docker[\"%s/acme\"]"
			    ": sigstoreBundle(fulcio): %s" % ("accepted" if code == 0 else
			    "rejected", w.reg.ref(repo, "v1"), d, w.reg.host, det))
		t.case(name("shipped cosign3-github-actions.json: " + label), f)
	gre = r"^https://github\.com/acme/[^/]+/\.github/workflows/release\.yml" \
	    r"@refs/tags/v[0-9]+\.[0-9]+\.[0-9]+$"
	shipped("release.yml at a tag: accepted", {}, 0, None)
	shipped("ci.yml on main: rejected", {"uri": keyless.REPO +
	    "/.github/workflows/ci.yml@refs/heads/main"}, 1, "subject %s does "
	    "not match subjectRegExp " + gre)
	shipped("release.yml at a tag of a fork: rejected", {"uri":
	    "https://github.com/mallory/app/.github/workflows/release.yml@refs/"
	    "tags/v1.2.3"}, 1, "subject %s does not match subjectRegExp " + gre)
	shipped("a source repository of another owner: rejected "
	    "(sourceRepositoryOwnerURI)", {"claims": {9: WF, 11:
	    "github-hosted", 16: "https://github.com/mallory"}}, 1, "claim "
	    "sourceRepositoryOwnerURI https://github.com/mallory is not "
	    "https://github.com/acme" + "%.0s")
	shipped("a self-hosted runner: rejected", {"claims": {9: WF, 11:
	    "self-hosted", 16: "https://github.com/acme"}}, 1, "claim "
	    "runnerEnvironment self-hosted is not github-hosted" + "%.0s")

	# --- the verdict cache -------------------------------------------------
	def cache():
		"""the trusted root is part of the cache key: the same bytes hit,
		other bytes (a reformatted file) verify again"""
		import re
		import test_registry
		w.make()
		repo, d = w.image()
		blob, _, info = v1(w, repo, d)
		attach(w.reg, repo, d, blob)
		rp = w.lab.write("cache-trusted_root.json", json.dumps(w.root()))
		req = dict(keyless_req(), trustedRootPath=rp)
		pol = t.policy_file({"default": [{"type": "reject"}], "transports":
		    {"docker": {w.reg.host: [req]}}}, "keyless-cache.json")
		env = dict(clean_env(), IVLITE_CACHE_DIR=os.path.join(
		    w.lab.mkdir("keyless-cache"), "v"), IVLITE_CACHE_SECONDS="3600")
		argv = [test_registry.faults_bin(t), "-name", w.reg.ref(repo, "v1"),
		    "-digest", d, "-policy", pol, "-insecure", w.reg.host]
		line = w.line(repo, d, req, 0, ok(WF, info["ev"]))
		cached = re.escape(line) + r" \(cached: verified [0-9: -]+ UTC\)"
		go = lambda: containerd.run_direct(argv, stdin=b"", env=env)
		t.expect(go(), 0, line)
		t.expect(go(), 0, regex=cached)
		with open(rp, "w") as f:
			f.write(json.dumps(w.root(), indent=1))
		t.expect(go(), 0, line)
		t.expect(go(), 0, regex=cached)
	t.case(name("the verdict cache keys on the trusted root's bytes"), cache)

	# --- -check ----------------------------------------------------------
	def check():
		w.make()
		rp = w.lab.write("trusted_root.json", json.dumps(w.root()))
		pol = t.policy_file({"default": [dict(keyless_req(),
		    trustedRootPath=rp)]}, "keyless-check.json")
		regd = w.lab.mkdir("regd")
		r = t.direct(["-check", "-policy", pol, "-registries-d", regd])
		t.expect(r, 0, "ok: %s: 1 scope; %s: 0 scopes" % (pol, regd))
	t.case(name("-check: the trusted root read, ok, no warning"), check)

	def check_impostor():
		w.make()
		f = keyless.Fulcio(ct=w.ct)
		chain = [f.chain_der()[0], sigpki.der(sigpki.CA("ivlite keyless "
		    "fulcio root", kind="p384").cert)]
		rp = w.lab.write("trusted_root.json", json.dumps(w.root(cas=[
		    keyless.ca_entry("https://fulcio.test", chain)])))
		pol = t.policy_file({"default": [dict(keyless_req(),
		    trustedRootPath=rp)]}, "keyless-check.json")
		regd = w.lab.mkdir("regd")
		r = t.direct(["-check", "-policy", pol, "-registries-d", regd])
		want = "warning: %s: certificateAuthorities[0].certChain." \
		    "certificates[0] is not signed by certificates[1] (runs " \
		    "trust the chain as listed: fix the file)\nok: %s: 1 scope; " \
		    "%s: 0 scopes\n" % (rp, pol, regd)
		t.expect(r, 0, one_line=False)
		if r.stdout.decode() != want:
			raise Fail("expected %r, got %r" % (want, r.stdout.decode()))
	t.case(name("-check: a CA not signed by the root listed after it: "
	    "warned"), check_impostor)
