#!/usr/bin/python3
"""Writes the seed corpora of tests/fuzz/corpus/<target>/ from the test
fixtures and a few hand-written samples.  Run from the top of the
checkout; the output is committed, so this only needs rerunning when the
seeds should change."""

import base64
import json
import os
import shutil
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
sys.path.insert(0, os.path.join(TOP, "tests"))
sys.dont_write_bytecode = True

import simplesign	# noqa: E402

OUT = os.path.join(TOP, "tests", "fuzz", "corpus")
D = "sha256:" + "ab" * 32


def put(target, name, data):
	d = os.path.join(OUT, target)
	os.makedirs(d, exist_ok=True)
	with open(os.path.join(d, name), "wb") as f:
		f.write(data.encode() if isinstance(data, str) else data)


def fixture(*p):
	with open(os.path.join(TOP, "tests", "fixtures", *p), "rb") as f:
		return f.read()


def nc_chain():
	"""A leaf with every SAN form name constraints check, then the CA
	that issued it, which has permitted and excluded subtrees of each."""
	import tempfile
	with tempfile.TemporaryDirectory() as d:
		run = lambda *a: subprocess.run(a, cwd=d, capture_output=True,
		    check=True).stdout
		run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
		    "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
		    "-out", "ca.pem", "-subj", "/CN=fuzz nc", "-days", "1",
		    "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
		    "nameConstraints=permitted;email:.b.c,permitted;email:a@b.c,"
		    "permitted;DNS:example.com,permitted;IP:192.0.2.0/255.255.255.0,"
		    "permitted;URI:.example.com,excluded;DNS:x.example.com,"
		    "excluded;IP:2001:db8::/ffff:ffff::,excluded;email:e.b.c")
		run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
		    "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key",
		    "-out", "leaf.csr", "-subj", "/CN=fuzz leaf")
		with open(os.path.join(d, "ext"), "w") as f:
			f.write("subjectAltName=email:a@b.c,DNS:a.example.com,"
			    "IP:192.0.2.1,URI:https://u@a.example.com:1/p\n")
		run("openssl", "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem",
		    "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile",
		    "ext", "-out", "leaf.pem")
		with open(os.path.join(d, "leaf.pem"), "rb") as f:
			leaf = f.read()
		with open(os.path.join(d, "ca.pem"), "rb") as f:
			return leaf + f.read()


def bundle_seeds():
	"""bundle: Sigstore bundles (and in-toto statements) shaped as cosign
	3 writes them; referrers: referrers pages, fallback indexes,
	referrer manifests and Link values"""
	bt = "application/vnd.dev.sigstore.bundle.v0.3+json"
	st = {"_type": "https://in-toto.io/Statement/v1", "subject": [{"digest":
	    {"sha256": D[7:]}, "annotations": {"env": "prod"}}],
	    "predicateType": "https://sigstore.dev/cosign/sign/v1",
	    "predicate": {}}
	b64 = lambda b: base64.b64encode(b).decode()
	env = lambda s: {"payload": b64(json.dumps(s).encode()),
	    "payloadType": "application/vnd.in-toto+json", "signatures":
	    [{"sig": b64(b"0E\x02\x21" + b"\x01" * 66)}]}
	put("bundle", "cosign", json.dumps({"mediaType": bt,
	    "verificationMaterial": {"publicKey": {"hint": "aGk="}},
	    "dsseEnvelope": env(st)}))
	put("bundle", "v01-chain", json.dumps({"mediaType":
	    "application/vnd.dev.sigstore.bundle+json;version=0.1",
	    "verificationMaterial": {"x509CertificateChain": {"certificates":
	    [{"rawBytes": "MIIB"}, {"rawBytes": "MIIC"}]}, "tlogEntries": [{}],
	    "timestampVerificationData": {"rfc3161Timestamps": []}},
	    "dsseEnvelope": env(dict(st, _type="https://in-toto.io/Statement/"
	    "v0.1", predicateType="https://slsa.dev/provenance/v1"))}))
	put("bundle", "message", json.dumps({"mediaType": bt,
	    "verificationMaterial": {"certificate": {"rawBytes": "MIIB"}},
	    "messageSignature": {"messageDigest": {"algorithm": "SHA2_256",
	    "digest": b64(b"x" * 32)}, "signature": "MEUC"}}))
	put("bundle", "statement", json.dumps(st))
	man = {"schemaVersion": 2, "mediaType":
	    "application/vnd.oci.image.manifest.v1+json", "artifactType": bt,
	    "config": {"mediaType": "application/vnd.oci.empty.v1+json",
	    "size": 2, "digest": D}, "layers": [{"mediaType": bt, "size": 600,
	    "digest": D}], "subject": {"mediaType":
	    "application/vnd.oci.image.manifest.v1+json", "size": 400,
	    "digest": D}}
	put("referrers", "manifest", json.dumps(man))
	put("referrers", "index", json.dumps({"schemaVersion": 2, "mediaType":
	    "application/vnd.oci.image.index.v1+json", "manifests": [{
	    "mediaType": man["mediaType"], "digest": D, "size": 877,
	    "artifactType": "application/vnd.oci.empty.v1+json"}, {
	    "mediaType": man["mediaType"], "digest": "sha256:" + "cd" * 32,
	    "size": 1, "annotations": {"a": "b"}}]}))
	put("referrers", "empty", '{"schemaVersion":2,"manifests":null}')
	put("referrers", "link", '</v2/a/referrers/%s?n=1>; rel="next", '
	    '<https://r.io/v2/b>; rel=next, <x>; rel=prev' % D)


def tsa_seeds():
	"""tsa: the RFC 3161 fixtures of tests/unit.c (openssl ts)"""
	for f in ("resp.tsr", "token.tst", "sha384.tsr", "rsa.tsr",
	    "sha1.tsr"):
		put("tsa", f, fixture("tsa", f))


def notation_seeds():
	"""notation envelopes (a trusted-looking chain, JWS and COSE, with
	expiry, a plugin and a time stamp), a CRL of the fixtures' TSA root's
	shape, trust policies"""
	import notation as nt
	c = nt.Chain("fuzz")
	pl = nt.payload(D, 512)
	put("jws", "notation", nt.jws(c, pl))
	put("jws", "expiry-plugin", nt.jws(c, pl, nt.protected(c, expiry=2e9,
	    extra={"io.cncf.notary.verificationPlugin": "p"}, crit_extra=[
	    "io.cncf.notary.verificationPlugin"])))
	put("jws", "authority", nt.jws(c, pl, nt.protected(c,
	    scheme="notary.x509.signingAuthority")))
	put("cose", "notation", nt.cose(c, pl))
	put("cose", "expiry", nt.cose(c, pl, expiry=2e9, extra={"x": [1, {
	    "y": b"z"}]}, crit_extra=["x"]))
	put("cose", "crl", nt.crl(c.root, [12345, c.leaf.serial_number]))
	for i, st in enumerate(([nt.statement()], [nt.statement("a",
	    scopes=["r.io/a", "r.io:5000/b/c"], level="permissive",
	    stores=["ca:x", "tsa:t"], identities=["x509.subject: C=US, ST=WA, "
	    "O=a\\, b, CN=\\ c\\ ", "x509.subject: C=US, S=WA, O=b"],
	    override={"revocation": "skip", "expiry": "log"},
	    verify_timestamp="afterCertExpiry"), nt.statement("b", level="skip",
	    stores=(), identities=())])):
		put("trustpolicy", "p%d" % i, json.dumps({"version": "1.0",
		    "trustPolicies": st}))
def keyless_seeds():
	"""trustroot: real trusted roots; checkpoint: real Rekor v1 and v2
	checkpoints; regex: identity regexps, a NUL, a subject
	(tests/fixtures/sigstore)"""
	put("trustroot", "public-good", fixture("sigstore",
	    "public-good.trusted_root.json"))
	put("trustroot", "staging", fixture("sigstore",
	    "staging.trusted_root.json"))
	for f, n in (("rekor1-dsse", "rekor-v1"), ("rekor2-dsse",
	    "rekor-v2-staging")):
		b = json.loads(fixture("sigstore", f + ".sigstore.json"))
		put("checkpoint", n, b["verificationMaterial"]["tlogEntries"][0]
		    ["inclusionProof"]["checkpoint"]["envelope"])
	for i, (p, s) in enumerate([("^https://github\\.com/acme/[^/]+/\\.github/"
	    "workflows/release\\.yml@refs/tags/v[0-9]+(\\.[0-9]+){2}$",
	    "https://github.com/acme/app/.github/workflows/release.yml@refs/"
	    "tags/v1.2.3"), ("(a|b)*c{2,5}[[:alnum:]_-]?", "abacc_"),
	    ("x{0}|y?|(z+)*", "zz")]):
		put("regex", "r%d" % i, p.encode() + b"\0" + s.encode())


def main():
	shutil.rmtree(OUT, ignore_errors=True)
	bundle_seeds()
	tsa_seeds()
	notation_seeds()
	keyless_seeds()
	for i, r in enumerate(["alpine", "docker.io/library/alpine:3.20",
	    "127.0.0.1:5000/a/b:v1", "[::1]:5000/app@" + D, "q.io/x:1@" + D,
	    "*.example.com", "index.docker.io/x/y"]):
		put("ref", "r%d" % i, r)
	for f in sorted(os.listdir(os.path.join(TOP, "policies"))):
		with open(os.path.join(TOP, "policies", f)) as fh:
			put("policy", f, fh.read())
	put("policy", "remap", json.dumps({"default": [{"type": "reject"}],
	    "transports": {"docker": {"q.io": [{"type": "sigstoreSigned",
	    "keyDatas": ["aGk="], "rekorPublicKeyPath": "/r",
	    "signedIdentity": {"type": "remapIdentity", "prefix": "q.io",
	    "signedPrefix": "r.io/a"}}]}}}))
	put("regd", "redhat", "docker:\n     registry.redhat.io:\n         "
	    "lookaside: https://r/containers/sigstore\n         "
	    "use-sigstore-attachments: true\n")
	put("regd", "common", "# comment\ndefault-docker:\n#  lookaside: x\n"
	    "docker:\n  \"q.io:5000\": {lookaside: 'file:///x', "
	    "use-sigstore-attachments: on}\n  q.io:5000/a: {}\n...\n")
	put("regd", "json", json.dumps({"docker": {"q.io:5000": {"lookaside":
	    "https://q/sig/", "use-sigstore-attachments": True},
	    "q.io:5000/a": {"lookaside": None, "x": {"y": {}}}},
	    "default-docker": {"sigstore": "file:///s"}}, indent="\t")
	    .replace("\n", "\r\n"))
	put("regd", "flow", "--- # d\ndocker: {\n  'q.io:5000': {lookaside: "
	    "https://q/it's,  # c\n    \"use-sigstore-attachments\": true},\n"
	    "  q.io:5000/a: {},\n}\ndefault-docker:\n  {lookaside: file:///d}\n")
	put("auth", "auths", json.dumps({"auths": {"q.io/a": {"auth":
	    base64.b64encode(b"u:p:w").decode(), "identitytoken": "t"},
	    "https://q.io/v1/": {"auth": "dTpw"}}, "credHelpers": {"x.io":
	    "ecr"}}))
	put("http", "cl", "HTTP/1.1 200 OK\r\nContent-Type: application/json"
	    "\r\nContent-Length: 2\r\nDocker-Content-Digest: %s\r\n\r\n{}" % D)
	put("http", "chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n3;x=y\r\nabc\r\n0\r\nTrailer: 1\r\n\r\n")
	put("http", "auth", "HTTP/1.0 401 Unauthorized\nWWW-Authenticate: "
	    "Bearer realm=\"https://a/t\",service=\"s\"\nwww-authenticate: "
	    "Basic realm=x\n folded\nConnection: close\n\n")
	put("http", "redirect", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 307 "
	    "Temporary\r\nLocation: ../b/./c?x=1\r\nContent-Length: 0\r\n\r\n")
	put("wwwauth", "bearer", "Bearer realm=\"https://auth.docker.io/token\""
	    ",service=\"registry.docker.io\",scope=\"repository:library/a:pull"
	    "\",error=\"insufficient_scope\"")
	put("wwwauth", "mixed", "Basic realm=\"b\", BEARER REALM = "
	    "\"https://a/t\\\"x\" , Negotiate abc==")
	ref = "q.io/a:1"
	put("payload", "cosign", '{"critical":{"identity":{"docker-reference":'
	    '"%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign '
	    'container image signature"},"optional":null}' % (ref, D))
	put("payload", "atomic", fixture("gpg", "payload.json"))
	put("manifest", "sig", json.dumps({"schemaVersion": 2, "mediaType":
	    "application/vnd.oci.image.manifest.v1+json", "config": {},
	    "layers": [{"mediaType":
	    "application/vnd.dev.cosign.simplesigning.v1+json", "digest": D,
	    "size": 2, "annotations": {"dev.cosignproject.cosign/signature":
	    "MEUCIQ==", "dev.sigstore.cosign/bundle": "{}"}}]}))
	pem = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
	    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
	    "/dev/null", "-subj", "/CN=fuzz", "-days", "1", "-addext",
	    "subjectAltName=email:a@b.c,DNS:*.example.com,IP:::1",
	    "-addext", "1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:https://i"],
	    capture_output=True, check=True).stdout
	put("pem", "cert", pem)
	put("pem", "chain", pem + pem)
	put("pem", "nc-chain", nc_chain())
	for f in ("s.zip", "s.zlib", "s.none"):
		put("pgp", f, fixture("gpg", f))
	put("pgp", "key", fixture("gpg", "key.bin"))
	# keyring: key blobs split at "\n%%\n", merged (the key gpg revoked
	# and its revocation certificate, tests/fixtures/gpg/rk.*)
	sep = b"\n%%\n"
	key, rev = fixture("gpg", "rk.bin"), fixture("gpg", "rk.rev")
	put("keyring", "key-rev", key + sep + rev)
	put("keyring", "rev-key", rev + sep + key)
	put("keyring", "one-blob", key + rev)
	put("keyring", "armored", simplesign.armor(key) + sep +
	    simplesign.armor(rev))
	put("keyring", "revoked-other", fixture("gpg", "rk-revoked.bin") + sep
	    + fixture("gpg", "key.bin") + sep + key)
	for f in sorted(os.listdir(os.path.join(TOP, "tests", "fixtures",
	    "inflate"))):
		if f != "bomb.bin":
			put("inflate", f, fixture("inflate", f))
	entry = base64.b64encode(json.dumps({"apiVersion": "0.0.1", "kind":
	    "hashedrekord", "spec": {"data": {"hash": {"algorithm": "sha256",
	    "value": "ab" * 32}}, "signature": {"content": "MEUC",
	    "publicKey": {"content": base64.b64encode(pem).decode()}}}})
	    .encode()).decode()
	put("rekor", "bundle", json.dumps({"SignedEntryTimestamp": "MEUCIQ==",
	    "Payload": {"body": entry, "integratedTime": 1700000000,
	    "logIndex": 1, "logID": "ab" * 32}}))
	put("json", "nested", '{"a":[1,-2.5e3,true,null,"\\u00e9\\ud83d\\ude00"'
	    ',{"b":{}}]}')
	put("toml", "v3", 'version = 3\ndisabled_plugins = ["io.containerd.nri.v1'
	    '.nri"]\nimports = ["conf.d/*.toml"]\n\n[plugins."io.containerd.'
	    'image-verifier.v1.bindir"]\n  bin_dir = "/opt/b"  # c\n  '
	    'max_verifiers = 0x0a\n  per_verifier_timeout = "1m30.5s"\n[plugins.'
	    "'io.containerd.cri.v1.images']\n  use_local_image_pull = true\n  "
	    'max_concurrent_downloads = 1_000\n  [plugins.\'io.containerd.cri.'
	    'v1.images\'.registry.mirrors."docker.io"]\n    endpoint = [\n    '
	    '  "https://a", # one\n      \'https://b\',\n    ]\n[[plugins.'
	    '"io.containerd.transfer.v1.local".unpack_config]]\n  platform = '
	    '"linux/amd64"\n  x = { a = 1, b.c = [true, false], "d e" = {} }\n')
	put("toml", "values", 'a = 1979-05-27 07:32:00Z\nb = [1.5, -inf, nan]\n'
	    'c = """\nline \\\n   joined\\u00e9"""\nd = \'\'\'\nraw \\n\'\'\'\n'
	    'e = "\\t\\"\\\\"\n"f.g" . h = 0o17\ni = -0b1\n[[x]]\n[[x]]\ny = 1\n')
	return 0


if __name__ == "__main__":
	sys.exit(main())
