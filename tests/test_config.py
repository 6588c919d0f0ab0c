#!/usr/bin/python3
"""Configuration that explains itself (issue 20, items 1 and 2): -check
warns about what loads but cannot work, all at once, -check -strict makes
that exit 2, -o json carries the warnings; messages that name the fix.

No server: real gpg and python3-cryptography make the key material.
Run through tests/integration.py.
"""

import json
import os
import subprocess
import time

import lab as labmod
import sigpki
import simplesign as ss
from integration import Fail

R = {"type": "reject"}
A = {"type": "insecureAcceptAnything"}
NOTE = "note: "		# marks the notes among expected warnings


class Keys:
	"""Key material made once per run, on first use."""

	def __init__(self, t):
		self.t = t
		self._pub = self._ring = None

	def pub(self):
		if not self._pub:
			self._pub, _ = labmod.ec_key_pair(self.t.lab, "cfg-cosign")
		return self._pub

	def ring(self):
		if not self._ring:
			self._ring = labmod.gpg_keyring(self.t.lab)
		return self._ring[0]


def regd(t, name, files):
	d = t.lab.mkdir(name)
	for f, text in files.items():
		with open(os.path.join(d, f), "w") as fh:
			fh.write(text)
	return d


def run(t):
	k = Keys(t)

	def policy(scopes, name):
		return t.policy_file({"default": [R], "transports": {"docker":
		    scopes}}, name)

	def warnings_setup():
		pol = policy({
		    "quay.io/org": [{"type": "sigstoreSigned", "keyPath":
			k.pub()}],
		    "example.com": [{"type": "signedBy", "keyType": "GPGKeys",
			"keyPath": k.ring()}],
		    "index.docker.io/library": [A],
		    "docker.io/alpine": [R]}, "cfg-warn.json")
		d = regd(t, "cfg-regd-warn", {
		    "a.yaml": "docker:\n  quay.io/other:\n"
		    "    use-sigstore-attachment: true\n",
		    "b.yml": "docker: {}\n"})
		ws = [
		    "%s/b.yml: ignored: registries.d reads only files ending in "
		    ".yaml" % d,
		    '%s/a.yaml:3: unknown key "use-sigstore-attachment" is '
		    'ignored; did you mean "use-sigstore-attachments"?' % d,
		    '%s: transports.docker["index.docker.io/library"]: never '
		    'matches: scopes are fully expanded names; did you mean '
		    '"docker.io/library"?' % pol,
		    NOTE + '%s: transports.docker["docker.io/alpine"]: matches '
		    'repositories under the alpine namespace only '
		    '("docker.io/alpine/\u2026"); the official image alpine is '
		    '"docker.io/library/alpine"' % pol,
		    '%s: transports.docker["quay.io/org"][0]: sigstoreSigned can '
		    'find no signature: no file in %s sets '
		    'use-sigstore-attachments: true for "quay.io/org"' % (pol, d),
		    '%s: transports.docker["example.com"][0]: signedBy would read '
		    'signatures from file:///var/lib/containers/sigstore: set '
		    'lookaside for "example.com" in %s' % (pol, d),
		]
		return pol, d, ws

	def lines(ws):
		return ["note: " + w[len(NOTE):] if w.startswith(NOTE) else
		    "warning: " + w for w in ws]

	def all_warnings():
		pol, d, ws = warnings_setup()
		t.expect(t.direct(["-check", "-policy", pol, "-registries-d", d]),
		    0, "\n".join(lines(ws) + [
		    "ok: %s: 5 scopes; %s: 1 scope" % (pol, d)]), one_line=False)
	t.case("cfgcheck: -check reports every warning, then ok", all_warnings)

	def strict():
		pol, d, ws = warnings_setup()
		t.expect(t.direct(["-check", "-strict", "-policy", pol,
		    "-registries-d", d]), 2, "\n".join(lines(ws) + ["error: "
		    "-check -strict: 5 warnings"]), one_line=False)
	t.case("cfgcheck: -check -strict: warnings are exit 2", strict)

	def strict_clean():
		pol = policy({"docker.io/library": [A]}, "cfg-clean.json")
		d = regd(t, "cfg-regd-clean", {})
		t.expect(t.direct(["-check", "-strict", "-policy", pol,
		    "-registries-d", d]), 0, "ok: %s: 2 scopes; %s: 0 scopes"
		    % (pol, d))
	t.case("cfgcheck: -check -strict without warnings is ok", strict_clean)

	def strict_namespace():
		"""docker.io/bitnami is a namespace scope someone may mean: a
		note, which -strict does not count"""
		pol = policy({"docker.io/bitnami": [A]}, "cfg-bitnami.json")
		d = regd(t, "cfg-regd-bitnami", {})
		t.expect(t.direct(["-check", "-strict", "-policy", pol,
		    "-registries-d", d]), 0, 'note: %s: transports.docker['
		    '"docker.io/bitnami"]: matches repositories under the bitnami '
		    'namespace only ("docker.io/bitnami/\u2026"); the official '
		    'image bitnami is "docker.io/library/bitnami"\nok: %s: 2 '
		    'scopes; %s: 0 scopes' % (pol, pol, d), one_line=False)
	t.case("cfgcheck: -check -strict: a docker.io namespace is a note",
	    strict_namespace)

	t.case("cfgcheck: -strict needs -check", lambda: t.expect(t.direct([
	    "-strict", "-name", "alpine"]), 2, "error: -strict: only with "
	    "-check"))

	def as_json(strict_):
		pol, d, ws = warnings_setup()
		r = t.direct(["-check", "-o", "json", "-policy", pol,
		    "-registries-d", d] + (["-strict"] if strict_ else []))
		t.expect(r, 2 if strict_ else 0, one_line=True)
		o = json.loads(r.reason)
		want = {"verdict": "error" if strict_ else "ok",
		    "exit": 2 if strict_ else 0, "reason":
		    "error: -check -strict: 5 warnings" if strict_ else
		    "ok: %s: 5 scopes; %s: 1 scope" % (pol, d), "warnings":
		    [w for w in ws if not w.startswith(NOTE)], "notes":
		    [w[len(NOTE):] for w in ws if w.startswith(NOTE)]}
		if o != want:
			raise Fail("expected %r, got %r" % (want, o))
	t.case("cfgcheck: -check -o json carries the warnings",
	    lambda: as_json(False))
	t.case("cfgcheck: -check -strict -o json", lambda: as_json(True))

	def covered():
		"""registries.d settings above, at or below a scope cover it; a
		more specific false does not"""
		pub = k.pub()
		sg = [{"type": "sigstoreSigned", "keyPath": pub}]
		pol = policy({"quay.io": sg, "ghcr.io/org/app": sg,
		    "*.example.com": sg, "reg.example.net/team": sg,
		    "example.com": [{"type": "signedBy", "keyType": "GPGKeys",
			"keyPath": k.ring()}]}, "cfg-covered.json")
		d = regd(t, "cfg-regd-covered", {"r.yaml":
		    "docker:\n"
		    "  quay.io/org/app:\n    use-sigstore-attachments: true\n"
		    "  ghcr.io:\n    use-sigstore-attachments: true\n"
		    "  ghcr.io/org/app:\n    use-sigstore-attachments: false\n"
		    "  a.example.com:\n    use-sigstore-attachments: true\n"
		    "  '*.net':\n    use-sigstore-attachments: true\n"
		    "  example.com:\n    lookaside: https://sigs.example.com\n"})
		t.expect(t.direct(["-check", "-policy", pol, "-registries-d", d]),
		    0, '\n'.join([
		    'warning: %s: transports.docker["ghcr.io/org/app"][0]: '
		    'sigstoreSigned can find no signature: no file in %s sets '
		    'use-sigstore-attachments: true for "ghcr.io/org/app"'
		    % (pol, d),
		    "ok: %s: 6 scopes; %s: 6 scopes" % (pol, d)]),
		    one_line=False)
	t.case("cfgcheck: -check: registries.d above, at or below a scope "
	    "covers it", covered)

	def default_scope():
		pol = t.policy_file({"default": [{"type": "sigstoreSigned",
		    "keyPath": k.pub()}]}, "cfg-default.json")
		d = regd(t, "cfg-regd-default", {})
		t.expect(t.direct(["-check", "-policy", pol, "-registries-d", d]),
		    0, "warning: %s: default[0]: sigstoreSigned can find no "
		    "signature: no file in %s sets use-sigstore-attachments: true "
		    "for default-docker\nok: %s: 1 scope; %s: 0 scopes"
		    % (pol, d, pol, d), one_line=False)
		on = regd(t, "cfg-regd-default-on", {"d.yaml": "default-docker:\n"
		    "  use-sigstore-attachments: true\n"})
		t.expect(t.direct(["-check", "-policy", pol, "-registries-d",
		    on]), 0, "ok: %s: 1 scope; %s: 1 scope" % (pol, on))
	t.case("cfgcheck: -check: the default scope and default-docker",
	    default_scope)

	def relative():
		rel = os.path.relpath(k.pub())
		pol = t.policy_file({"default": [{"type": "sigstoreSigned",
		    "keyPath": rel}]}, "cfg-relative.json")
		d = regd(t, "cfg-regd-relative", {"d.yaml": "default-docker:\n"
		    "  use-sigstore-attachments: true\n"})
		t.expect(t.direct(["-check", "-policy", pol, "-registries-d", d]),
		    0, "warning: %s: default[0].keyPath: %s is relative to the "
		    "working directory, and containerd's is not yours: give an "
		    "absolute path\nok: %s: 1 scope; %s: 1 scope" % (pol, rel, pol,
		    d), one_line=False)
	t.case("cfgcheck: -check: a relative key path", relative)

	def unknown_top():
		pol = policy({}, "cfg-top.json")
		d = regd(t, "cfg-regd-top", {"t.yaml": "dockr:\n  quay.io:\n"
		    "    lookaside: https://x\nmirrors: 1\n"})
		t.expect(t.direct(["-check", "-policy", pol, "-registries-d", d]),
		    0, 'warning: %s/t.yaml:1: unknown key "dockr" is ignored; did '
		    'you mean "docker"?\nwarning: %s/t.yaml:4: unknown key '
		    '"mirrors" is ignored\nok: %s: 1 scope; %s: 0 scopes'
		    % (d, d, pol, d), one_line=False)
	t.case("cfgcheck: -check: unknown top-level registries.d keys",
	    unknown_top)


	# --- messages that carry the fix (issue 20, item 2) ------------------

	def help_():
		r = t.direct(["-h"])
		t.expect(r, 0, one_line=False)
		last = r.reason.splitlines()[-1]
		want = ("see man ivlite (ivlite.1) for every option, the policy "
		    "and registries.d")
		if last != want:
			raise Fail("expected the last line %r, got %r" % (want, last))
		if "-check [-strict]" not in r.reason:
			raise Fail("expected -check [-strict] in %r" % r.reason)
	t.case("cfgcheck: ivlite -h points to the man page", help_)

	t.case("cfgcheck: -digest names every digest it takes", lambda:
	    t.expect(t.direct(["-name", "alpine", "-digest", "sha1:00"]), 2,
	    'error: -digest "sha1:00": invalid digest (want sha256:<64 '
	    'lowercase hex>, sha384:<96 lowercase hex> or sha512:<128 '
	    'lowercase hex>)'))

	def pem_keydata():
		with open(k.pub()) as f:
			pem = f.read()
		pol = t.policy_file({"default": [{"type": "sigstoreSigned",
		    "keyData": pem}]}, "cfg-pem-keydata.json")
		t.expect(t.direct(["-check", "-policy", pol]), 2,
		    "error: %s: default[0].keyData: not valid base64: keyData is "
		    "base64 of the PEM file, not its text" % pol)
	t.case("cfgcheck: PEM text in keyData", pem_keydata)

	def builtin_lookaside():
		pol = t.policy_file({"default": [R], "transports": {"docker": {
		    "127.0.0.1:9": [{"type": "signedBy", "keyType": "GPGKeys",
			"keyPath": k.ring()}]}}}, "cfg-builtin.json")
		d = regd(t, "cfg-regd-builtin", {})
		dig = labmod.sha256_digest(b"cfgcheck builtin lookaside")
		t.expect(t.direct(["-name", "127.0.0.1:9/app:1", "-digest", dig,
		    "-policy", pol, "-registries-d", d]), 1,
		    'rejected 127.0.0.1:9/app:1@%s: scope transports.docker'
		    '["127.0.0.1:9"]: signedBy(keyPath=%s): no signature: none '
		    'at file:///var/lib/containers/sigstore: set lookaside for '
		    '127.0.0.1:9 in registries.d' % (dig, k.ring()))
	t.case("cfgcheck: signatures looked up at the built-in lookaside",
	    builtin_lookaside)

	def auth_missing():
		pol = t.policy_file({"default": [A]}, "cfg-auth.json")
		missing = os.path.join(t.lab.dir, "no-such-auth.json")
		t.expect(t.direct(["-name", "127.0.0.1:9/app:1", "-policy", pol,
		    "-auth", missing, "-insecure", "127.0.0.1:9"]), 2,
		    'error: -auth "%s": No such file or directory' % missing)
	t.case("cfgcheck: a missing -auth file is exit 2 before any network",
	    auth_missing)

	def json_hint(label, text, where, why):
		def f():
			pol = t.lab.write("cfg-json.json", text)
			t.expect(t.direct(["-check", "-policy", pol]), 2,
			    "error: %s: %s: invalid JSON: %s" % (pol, where, why))
		t.case("cfgcheck: policy JSON with " + label, f)
	json_hint("a comment", '{\n  // reject all\n  "default": '
	    '[{"type": "reject"}]\n}\n', "line 2, column 3",
	    "JSON allows no comments")
	json_hint("a missing comma", '{"default": [{"type": "reject"} '
	    '{"type": "reject"}]}\n', "line 1, column 33", "missing comma")
	json_hint("a missing comma between members", '{\n  "default": '
	    '[{"type": "reject"}]\n  "transports": {}\n}\n',
	    "line 3, column 3", "missing comma")
	json_hint("a missing comma between nested members", '{"default": '
	    '[{"type": "reject"}],\n "transports": {"docker": {"a": [A] '
	    '"b": [A]}}}\n'.replace("A", json.dumps(A)), "line 2, column 70",
	    "missing comma")

	def json_where(label, text, where):
		def f():
			pol = t.lab.write("cfg-json.json", text)
			t.expect(t.direct(["-check", "-policy", pol]), 2,
			    "error: %s: %s: invalid JSON" % (pol, where))
		t.case("cfgcheck: policy JSON, line and column: " + label, f)
	json_where("a bare word", '{"default":\n   [x]}\n', "line 2, column 5")
	json_where("a stray brace", '{"default": [{"type": "reject"}]}}\n',
	    "line 1, column 34")

	# --- -check: key and certificate material (issue 20, item 1) ---------

	def utc(t):
		return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))

	def gpg_keys():
		"""One ring: a good key, an RSA key below MIN_RSA_BITS, an
		expired key, a revoked one (its revocation certificate
		imported), one whose signing subkey expired."""
		g = ss.Gpg(t.lab)
		past = int(time.time()) - 10 * 86400
		good = g.gen("cfg-good", "ed25519")
		small = g.gen("cfg-small", "rsa1024")
		old = g.gen("cfg-old", "ed25519", "sign", "1d", faked=past)
		rev = g.gen("cfg-rev", "ed25519")
		g.run(["--import"], data=g.revocation_certificate(rev))
		sub = g.gen("cfg-sub", "ed25519", "cert", faked=past)
		g.run(["--quick-add-key", sub.fpr, "ed25519", "sign", "1d"],
		    faked=past)
		subfpr = g._subkeys(sub)[0]
		ring = t.lab.write("cfg-lapsed.gpg", b"".join(g.export(x) for x in
		    (good, small, old, rev, sub)))
		smallring = t.lab.write("cfg-small.gpg", g.export(small))
		return ring, smallring, [
		    "key %s: RSA of 1024 bits is below MIN_RSA_BITS (2048): "
		    "skipped" % small.fpr,
		    "key %s expired at %s" % (old.fpr, utc(past + 86400)),
		    "key %s is revoked" % rev.fpr,
		    "subkey %s of %s expired at %s" % (subfpr, sub.fpr,
		    utc(past + 86400))], small.fpr

	def lapsed():
		ring, _, ws, _ = gpg_keys()
		pol = policy({"example.com": [{"type": "signedBy", "keyType":
		    "GPGKeys", "keyPath": ring}]}, "cfg-lapsed.json")
		d = regd(t, "cfg-regd-lapsed", {"l.yaml": "docker:\n"
		    "  example.com:\n    lookaside: https://sigs.example.com\n"})
		at = '%s: transports.docker["example.com"][0].keyPath: %s: ' % (
		    pol, ring)
		t.expect(t.direct(["-check", "-policy", pol, "-registries-d", d]),
		    0, "\n".join(["warning: " + at + w for w in ws] + ["ok: %s: "
		    "2 scopes; %s: 1 scope" % (pol, d)]), one_line=False)
	t.case("cfgcheck: -check: expired, revoked and too small OpenPGP keys",
	    lapsed)

	def all_small():
		_, ring, _, fpr = gpg_keys()
		pol = t.policy_file({"default": [{"type": "signedBy", "keyType":
		    "GPGKeys", "keyPath": ring}]}, "cfg-small.json")
		t.expect(t.direct(["-check", "-policy", pol]), 2,
		    "error: %s: default[0].keyPath: %s: no usable public key "
		    "(1 RSA key below MIN_RSA_BITS (2048) skipped)" % (pol, ring))
	t.case("cfgcheck: -check: a keyring of only too small RSA keys",
	    all_small)

	def ca_pem(cn, nb, na):
		"""A self-signed CA certificate (PEM, DER) valid from NB to NA
		(Unix times)."""
		import datetime
		hashes, ser, ec, x509, NameOID = labmod._cryptography()
		key = ec.generate_private_key(ec.SECP256R1())
		subj = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
		utc_ = datetime.timezone.utc
		c = (x509.CertificateBuilder().subject_name(subj).issuer_name(subj)
		    .public_key(key.public_key())
		    .serial_number(x509.random_serial_number())
		    .not_valid_before(datetime.datetime.fromtimestamp(nb, utc_))
		    .not_valid_after(datetime.datetime.fromtimestamp(na, utc_))
		    .add_extension(x509.BasicConstraints(ca=True, path_length=None),
		    critical=True).sign(key, hashes.SHA256()))
		return c.public_bytes(ser.Encoding.PEM), c.public_bytes(
		    ser.Encoding.DER)

	def dated_cas():
		"""Four CAs: fine, expired, expiring in 10 days, not yet valid;
		and the warnings each earns (after WHERE)."""
		now = int(time.time())
		day = 86400
		cas = [ca_pem("cfg fine CA", now - day, now + 400 * day),
		    ca_pem("cfg expired CA", now - 40 * day, now - day),
		    ca_pem("cfg soon CA", now - day, now + 10 * day),
		    ca_pem("cfg future CA", now + 5 * day, now + 400 * day)]
		ws = ['certificate "CN=cfg expired CA" expired at %s'
		    % utc(now - day),
		    'certificate "CN=cfg soon CA" expires at %s, within 30 days'
		    % utc(now + 10 * day),
		    'certificate "CN=cfg future CA" is not valid before %s'
		    % utc(now + 5 * day)]
		return cas, ws

	def dated_pki():
		cas, ws = dated_cas()
		roots = t.lab.write("cfg-roots.pem", b"".join(c[0] for c in cas))
		pol = t.policy_file({"default": [{"type": "sigstoreSigned", "pki":
		    {"caRootsPath": roots, "subjectEmail": "a@example.com"}}]},
		    "cfg-dated-pki.json")
		d = regd(t, "cfg-regd-dated", {"d.yaml": "default-docker:\n"
		    "  use-sigstore-attachments: true\n"})
		t.expect(t.direct(["-check", "-policy", pol, "-registries-d", d]),
		    0, "\n".join(["warning: %s: default[0].pki.caRootsPath: %s: %s"
		    % (pol, roots, w) for w in ws] + ["ok: %s: 1 scope; %s: 1 "
		    "scope" % (pol, d)]), one_line=False)
	t.case("cfgcheck: -check: pki CA certificates expired, expiring or "
	    "not yet valid", dated_pki)

	def dated_notation():
		import notation
		cas, ws = dated_cas()
		v = notation.Verifier(t.lab, [notation.statement()], {"ca:s":
		    [b"".join(c[0] for c in cas)]}, name="cfg-dated")
		pol = t.policy_file({"default": [{"type": "notationSigned",
		    "trustPolicyPath": v.policy}]}, "cfg-dated-ntn.json")
		d = os.path.join(v.dir, "truststore", "x509", "ca", "s")
		t.expect(t.direct(["-check", "-policy", pol]), 0, "\n".join(
		    ["warning: trust store %s/cert0.pem: %s" % (d, w) for w in
		    ws] + ["ok: %s: 1 scope; "
		    "/etc/containers/registries.d: 0 scopes" % pol]),
		    one_line=False)
	t.case("cfgcheck: -check: notation trust store certificates expired, "
	    "expiring or not yet valid", dated_notation)

	def dated_certsd():
		"""certs.d is read as runs read it: its CAs and client
		certificate dated, a .cert without its .key exit 2."""
		cas, ws = dated_cas()
		cd = t.lab.mkdir("cfg-certs.d")
		host = os.path.join(cd, "registry.example:5000")
		os.makedirs(host)
		with open(os.path.join(host, "ca.crt"), "wb") as f:
			f.write(b"".join(c[0] for c in cas))
		os.makedirs(os.path.join(cd, "empty.example"))
		pol = t.policy_file({"default": [{"type": "reject"}]},
		    "cfg-certsd.json")
		d = regd(t, "cfg-regd-certsd", {})
		args = ["-check", "-policy", pol, "-registries-d", d, "-certs-d",
		    cd]
		t.expect(t.direct(args), 0, "\n".join(["warning: %s: %s" % (host,
		    w) for w in ws] + ["ok: %s: 1 scope; %s: 0 scopes" % (pol, d)]),
		    one_line=False)
		with open(os.path.join(host, "ca.crt"), "wb") as f:
			f.write(cas[0][0])
		subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
		    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "5",
		    "-subj", "/CN=cfg client", "-keyout", os.path.join(host,
		    "client.key"), "-out", os.path.join(host, "client.cert")],
		    check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
		with open(os.path.join(host, "client.cert"), "rb") as f:
			end = sigpki.not_after(sigpki._x509()[0]
			    .load_pem_x509_certificate(f.read()))
		t.expect(t.direct(args), 0, "warning: %s (client certificate): "
		    "certificate \"CN=cfg client\" expires at %s, within 30 days"
		    "\nok: %s: 1 scope; %s: 0 scopes" % (host, utc(end), pol, d),
		    one_line=False)
		os.remove(os.path.join(host, "client.key"))
		t.expect(t.direct(args), 2, "error: %s/client.cert has no "
		    "matching %s/client.key" % (host, host))
	t.case("cfgcheck: -check: certs.d CAs expired, expiring or not yet "
	    "valid; a client certificate without its key", dated_certsd)

	def dated_root():
		import keyless
		cas, ws = dated_cas()
		now = int(time.time())
		entries = [keyless.ca_entry("https://ca%d.test" % i, [c[1]],
		    start=now - 50 * 86400) for i, c in enumerate(cas)]
		# a CA whose validFor is over is history: not warned about
		entries.append(keyless.ca_entry("https://old.test", [cas[2][1]],
		    start=now - 50 * 86400, end=now - 2 * 86400))
		root = t.lab.write("cfg-trusted_root.json", json.dumps(
		    keyless.trusted_root(cas=entries)))
		pol = t.policy_file({"default": [{"type": "sigstoreBundle",
		    "trustedRootPath": root, "identities": [{"issuer":
		    "https://issuer.test", "subject": "s"}]}]},
		    "cfg-dated-root.json")
		# an expired one too: a trusted root keeps certificates for the
		# signatures made while they were valid (GitHub's TSA, expired
		# 2024, is still listed without an end)
		t.expect(t.direct(["-check", "-policy", pol]), 0, "\n".join(
		    ["warning: %s: certificateAuthorities[%d]: %s" % (root, i + 2,
		    w) for i, w in enumerate(ws[1:])] + ["ok: %s: 1 scope; "
		    "/etc/containers/registries.d: 0 scopes" % pol]),
		    one_line=False)
	t.case("cfgcheck: -check: trusted_root.json certificate authorities "
	    "expiring or not yet valid (expired ones are history)", dated_root)

	# --- relative paths of the extension types (issue 20, item 1) -------

	def rel_warning(pol, at, path):
		return ("warning: %s: %s: %s is relative to the working directory, "
		    "and containerd's is not yours: give an absolute path"
		    % (pol, at, path))

	def relative_ext():
		import keyless
		import notation
		now = int(time.time())
		fine = ca_pem("cfg rel CA", now - 86400, now + 400 * 86400)
		v = notation.Verifier(t.lab, [notation.statement()], {"ca:s":
		    [fine[0]]}, name="cfg-rel")
		root = t.lab.write("cfg-rel-root.json", json.dumps(
		    keyless.trusted_root(cas=[keyless.ca_entry("https://ca.test",
		    [fine[1]], start=now - 86400)])))
		digs = t.lab.write("cfg-rel-digests.json", json.dumps({"version":
		    "1.0", "trustedDigests": [labmod.sha256_digest(b"rel")]}))
		rp, rr, rd, rs = (os.path.relpath(x) for x in (v.policy, root,
		    digs, os.path.join(v.dir, "truststore", "x509")))
		pol = policy({
		    "a.example.com": [{"type": "notationSigned",
			"trustPolicyPath": rp}],
		    "b.example.com": [{"type": "sigstoreBundle",
			"trustedRootPath": rr, "identities": [{"issuer":
			"https://issuer.test", "subject": "s"}]}],
		    "c.example.com": [{"type": "trustedDigests", "path": rd}],
		    "d.example.com": [{"type": "notationSigned",
			"trustPolicyPath": v.policy, "trustStoreDir": rs}]},
		    "cfg-rel-ext.json")
		t.expect(t.direct(["-check", "-policy", pol]), 0, "\n".join([
		    rel_warning(pol, 'transports.docker["a.example.com"][0]'
		    '.trustPolicyPath', rp),
		    rel_warning(pol, 'transports.docker["b.example.com"][0]'
		    '.trustedRootPath', rr),
		    rel_warning(pol, 'transports.docker["c.example.com"][0].path',
		    rd),
		    rel_warning(pol, 'transports.docker["d.example.com"][0]'
		    '.trustStoreDir', rs),
		    "ok: %s: 5 scopes; /etc/containers/registries.d: 0 scopes"
		    % pol]), one_line=False)
	t.case("cfgcheck: -check: relative trustPolicyPath, trustedRootPath "
	    "and trustedDigests path", relative_ext)

	# --- -insecure and a 400 (issue 20, item 2) --------------------------

	def plain_400():
		"""A plain-HTTP server's own 400 is no sign of TLS: no hint (the
		TLS case: tests/test_registry.py, docker-registry itself)"""
		import http.server
		import threading

		class H(http.server.BaseHTTPRequestHandler):
			def do_GET(self):
				self.send_response(400)
				self.send_header("Content-Length", "12")
				self.end_headers()
				self.wfile.write(b"Bad Request\n")

			def log_message(self, *a):
				pass
		srv = http.server.HTTPServer(("127.0.0.1", 0), H)
		threading.Thread(target=srv.serve_forever, daemon=True).start()
		t.lab.on_close(srv.shutdown)
		host = "127.0.0.1:%d" % srv.server_address[1]
		pol = t.policy_file({"default": [A]}, "cfg-400.json")
		t.expect(t.direct(["-name", host + "/app:1", "-policy", pol,
		    "-insecure", host]), 3, "error: %s: GET /v2/ answered HTTP "
		    "400: not a registry API v2" % host)
	t.case("cfgcheck: -insecure and a plain server's 400: no TLS hint",
	    plain_400)
