#!/usr/bin/python3
"""The real-server lab for ivlite's integration tests.

One Lab per test run owns a temporary directory and every server process
started under it; all of it goes away at exit (atexit, plus Lab.close() from
the runner's finally).  Servers bind to 127.0.0.1 on free ports and run in
their own process group, so a kill takes their children with them.

Registry is the distribution registry (Debian's docker-registry 2.8) with a
configuration written here, never /etc/docker/registry/config.yml (that one
has htpasswd auth on :5000).  Registry itself is plain HTTP without auth;
TlsRegistry adds TLS (a test CA from Pki), client-certificate checks,
htpasswd or token auth, and IPv6 (the configuration is a dict written as
JSON, which YAML readers accept).  NetLab starts each network set-up of the
registry-client tests on first use: TLS registries (certs.d layout, name
checks, client certificates, htpasswd, token auth with TokenIssuer), the
CONNECT proxy here and the misbehaving server in hostile.py.

Images are built without docker: oci_image() writes an OCI image layout
(image-spec v1.0: oci-layout, index.json, blobs/sha256/…) with one small
gzip'd tar layer whose single file makes the image distinct, and push()
copies it with skopeo to the registry, returning the manifest digest.

Standard library plus python3-cryptography (keys, certificates, JWTs) and
libcrypt.so.1 through ctypes (bcrypt for htpasswd); run with Debian's
/usr/bin/python3.
"""

import atexit
import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request

# tools, each overridable from the environment (e.g. to try another build)
SKOPEO = os.environ.get("SKOPEO") or shutil.which("skopeo") or \
    "/usr/bin/skopeo"
REGISTRY_BIN = os.environ.get("DOCKER_REGISTRY") or \
    shutil.which("docker-registry") or "/usr/bin/docker-registry"
GPG = os.environ.get("GPG") or shutil.which("gpg") or "/usr/bin/gpg"
GPGCONF = shutil.which("gpgconf") or "/usr/bin/gpgconf"

MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_DESCRIPTOR = "application/vnd.oci.descriptor.v1+json"

ACCEPT = ", ".join([
	MT_OCI_MANIFEST, MT_OCI_INDEX,
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
])


# lab servers are on loopback: never send these requests through a proxy
# from the environment
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LabError(Exception):
	"""A lab set-up step failed; the message says which and why."""


def missing_tools(*names):
	"""Return the subset of tool names ("skopeo", "docker-registry") absent."""
	paths = {"skopeo": SKOPEO, "docker-registry": REGISTRY_BIN,
	    "gpg": GPG}
	return [n for n in names
	    if not os.access(paths.get(n) or shutil.which(n) or n, os.X_OK)
	    or os.path.isdir(paths.get(n) or n)]


def openssl_disagrees(rows):
	"""openssl verify on each (name, ca_file, untrusted, leaf_path, attime,
	want) row, want ": OK" or a phrase of its error: the rows where openssl
	says otherwise, as "NAME: expected …, got …" strings."""
	bad = []
	for name, ca, unt, leaf, at, want in rows:
		argv = ["openssl", "verify", "-CAfile", ca] + (["-untrusted",
		    unt] if unt else []) + (["-attime", str(at)] if at is not
		    None else []) + [leaf]
		p = subprocess.run(argv, stdout=subprocess.PIPE,
		    stderr=subprocess.STDOUT, timeout=20)
		out = p.stdout.decode(errors="replace")
		if want not in out or (want == ": OK") != (p.returncode == 0):
			bad.append("%s: expected %r, got exit %d: %s" % (name, want,
			    p.returncode, out.strip()[-200:]))
	return bad


def free_port(addr="127.0.0.1"):
	"""A TCP port on ADDR that was free a moment ago (callers retry)."""
	fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
	with socket.socket(fam, socket.SOCK_STREAM) as s:
		s.bind((addr, 0))
		return s.getsockname()[1]


def sha256_digest(data):
	return "sha256:" + hashlib.sha256(data).hexdigest()


def run(argv, timeout=60, check=True, **kw):
	"""subprocess.run with captured text output and a readable failure."""
	try:
		p = subprocess.run(argv, stdout=subprocess.PIPE,
		    stderr=subprocess.PIPE, text=True, timeout=timeout, **kw)
	except subprocess.TimeoutExpired:
		raise LabError("%s: no answer in %d s" % (" ".join(argv), timeout))
	if check and p.returncode != 0:
		raise LabError("%s: exit %d: %s" % (" ".join(argv), p.returncode,
		    p.stderr.strip()[-2000:]))
	return p


class Lab:
	"""A temporary directory and the processes started for one test run."""

	def __init__(self, prefix="ivlite-lab-"):
		self.dir = tempfile.mkdtemp(prefix=prefix)
		self._procs = []	# Popen objects, each leading its own group
		self._cleanups = []	# callables run at close, last first
		self._closed = False
		self._n = 0
		atexit.register(self.close)

	def path(self, *parts):
		return os.path.join(self.dir, *parts)

	def mkdir(self, name):
		"""A fresh directory NAME-N under the lab directory."""
		self._n += 1
		d = self.path("%s-%d" % (name, self._n))
		os.makedirs(d)
		return d

	def write(self, name, data, mode=0o644):
		"""Write text or bytes to a fresh file in the lab; return its path."""
		self._n += 1
		p = self.path("%d-%s" % (self._n, name))
		with open(p, "wb") as f:
			f.write(data.encode() if isinstance(data, str) else data)
		os.chmod(p, mode)
		return p

	def spawn(self, argv, log_name, env=None):
		"""Start argv in a new session (own process group), output to a log."""
		log = open(self.path(log_name), "ab")
		try:
			p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
			    stdout=log, stderr=subprocess.STDOUT, env=env,
			    cwd=self.dir, start_new_session=True)
		finally:
			log.close()
		self._procs.append(p)
		return p

	def kill(self, p):
		"""SIGTERM the process group of p, SIGKILL it if still there."""
		for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 3)):
			try:
				os.killpg(p.pid, sig)
			except ProcessLookupError:
				break
			try:
				p.wait(wait)
				break
			except subprocess.TimeoutExpired:
				continue
		# the leader is reaped; make sure no group member survives it
		try:
			os.killpg(p.pid, signal.SIGKILL)
		except ProcessLookupError:
			pass
		if p in self._procs:
			self._procs.remove(p)

	def on_close(self, fn):
		"""Run FN (no arguments) when the lab closes."""
		self._cleanups.append(fn)

	def close(self):
		if self._closed:
			return
		self._closed = True
		for fn in reversed(self._cleanups):
			try:
				fn()
			except Exception:
				pass
		for p in list(self._procs):
			self.kill(p)
		shutil.rmtree(self.dir, ignore_errors=True)


class Registry:
	"""A distribution registry on 127.0.0.1, plain HTTP and no auth.

	Subclasses for TLS/htpasswd/token set-ups override config() (add
	"tls"/"auth" sections), scheme, and the skopeo flags in push_flags().
	"""

	scheme = "http"
	start_timeout = 15.0

	ready_status = 200	# GET /v2/ answer that means "up"
	bind = "127.0.0.1"	# listen address (IPv6 without brackets)

	def __init__(self, lab, name="registry", root=None):
		self.lab = lab
		self.name = name
		self.root = root or lab.mkdir(name + "-data")
		self.port = None
		self.proc = None
		self.cfg_path = None
		self.log_path = None
		self.images = {}	# "repo:tag" -> Image, see record()

	@property
	def host(self):
		"""host:port as it appears in references."""
		if ":" in self.bind:
			return "[%s]:%d" % (self.bind, self.port)
		return "%s:%d" % (self.bind, self.port)

	def opener(self):
		"""urllib opener for the lab's own requests (no proxies)."""
		return _http

	def lab_headers(self, repo):
		"""Headers that authorize the lab's own pulls and pushes of REPO."""
		return {}

	def open(self, url, repo=None, method="GET", headers=None, timeout=5):
		h = dict(self.lab_headers(repo) if repo else {})
		h.update(headers or {})
		req = urllib.request.Request(url, method=method, headers=h)
		return self.opener().open(req, timeout=timeout)

	@property
	def url(self):
		return "%s://%s" % (self.scheme, self.host)

	def config(self):
		return {
			"version": "0.1",
			"log": {"level": "warn", "accesslog": {"disabled": True}},
			"storage": {
				"filesystem": {"rootdirectory": self.root},
				"delete": {"enabled": True},
				"maintenance": {"uploadpurging": {"enabled": False}},
			},
			"http": {"addr": self.host,
			    "secret": "ivlite-lab-not-a-secret"},
		}

	def push_flags(self):
		return ["--dest-tls-verify=false", "--dest-no-creds"]

	def src_flags(self):
		return ["--tls-verify=false", "--no-creds"]

	def start(self):
		"""Start on a free port; retry a few times if the port was taken."""
		last = None
		for _ in range(3):
			self.port = free_port(self.bind)
			try:
				self._start_once()
				return self
			except LabError as e:
				last = e
		raise last

	def _start_once(self):
		self.cfg_path = self.lab.path("%s-%d.yml" % (self.name, self.port))
		with open(self.cfg_path, "w") as f:
			json.dump(self.config(), f, indent=1)
		# REGISTRY_* variables would override the file; drop them
		env = {k: v for k, v in os.environ.items()
		    if not k.startswith("REGISTRY_")}
		log = "%s-%d.log" % (self.name, self.port)
		self.log_path = self.lab.path(log)
		self.proc = self.lab.spawn([REGISTRY_BIN, "serve", self.cfg_path],
		    log, env=env)
		deadline = time.monotonic() + self.start_timeout
		why = "no answer"
		while time.monotonic() < deadline:
			if self.proc.poll() is not None:
				why = "exited with status %d" % self.proc.returncode
				break
			try:
				if self.probe() == self.ready_status:
					return
			except (OSError, urllib.error.URLError) as e:
				why = str(e)
			time.sleep(0.05)
		self.lab.kill(self.proc)
		raise LabError("%s serve %s: GET %s/v2/ failed within %.0f s "
		    "(%s); log: %s" % (REGISTRY_BIN, self.cfg_path, self.url,
		    self.start_timeout, why, self.log_tail()))

	def probe(self):
		"""HTTP status of GET /v2/ (200 when ready and anonymous)."""
		try:
			with self.open(self.url + "/v2/", timeout=2) as r:
				return r.status
		except urllib.error.HTTPError as e:
			return e.code

	def log_tail(self, n=1500):
		try:
			with open(self.log_path, "rb") as f:
				return f.read()[-n:].decode(errors="replace").strip()
		except OSError:
			return "(no log)"

	def stop(self):
		if self.proc is not None:
			self.lab.kill(self.proc)
			self.proc = None

	def ref(self, repo, tag=None, digest=None):
		"""A reference to REPO on this registry (host:port/repo[:tag][@d])."""
		r = "%s/%s" % (self.host, repo)
		if tag:
			r += ":" + tag
		if digest:
			r += "@" + digest
		return r

	def head_digest(self, repo, ref):
		"""Docker-Content-Digest of REPO's manifest REF (tag or digest)."""
		with self.open("%s/v2/%s/manifests/%s" % (self.url, repo, ref),
		    repo, "HEAD", {"Accept": ACCEPT}) as r:
			return r.headers["Docker-Content-Digest"]

	def get_manifest(self, repo, ref):
		"""(bytes, media type) of REPO's manifest REF."""
		with self.open("%s/v2/%s/manifests/%s" % (self.url, repo, ref),
		    repo, headers={"Accept": ACCEPT}) as r:
			return r.read(), r.headers.get("Content-Type")

	def get_blob(self, repo, digest):
		with self.open("%s/v2/%s/blobs/%s" % (self.url, repo, digest),
		    repo) as r:
			return r.read()

	def record(self, repo, tag, digest):
		"""Remember what REPO:TAG is (an Image) for the assertions."""
		data, mt = self.get_manifest(repo, digest)
		img = Image(repo, tag, digest, mt, data)
		self.images["%s:%s" % (repo, tag)] = img
		return img

	def push(self, layout, tag, repo, dest_tag=None, all_images=False):
		"""Copy oci:LAYOUT:TAG to REPO:DEST_TAG here; return its digest.

		The digest comes from skopeo's --digestfile and is checked against
		the registry's Docker-Content-Digest, so a silent manifest
		conversion would be caught here rather than in a test.
		"""
		dest_tag = dest_tag or tag
		dfile = self.lab.path("digest-%s" % hashlib.sha256(
		    ("%s:%s:%s" % (layout, repo, dest_tag)).encode()).hexdigest()[:16])
		argv = [SKOPEO, "--insecure-policy",
		    "--registries-conf", self.lab_registries_conf(),
		    "--tmpdir", self.lab.dir, "copy", "--quiet",
		    "--preserve-digests"] + self.push_flags()
		if all_images:
			argv.append("--all")
		argv += ["--digestfile", dfile, "oci:%s:%s" % (layout, tag),
		    "docker://%s" % self.ref(repo, dest_tag)]
		run(argv, timeout=60)
		with open(dfile) as f:
			d = f.read().strip()
		got = self.head_digest(repo, dest_tag)
		if got != d:
			raise LabError("push %s: skopeo says %s, registry says %s"
			    % (self.ref(repo, dest_tag), d, got))
		return d

	def lab_registries_conf(self):
		"""An empty registries.conf so the host's file cannot interfere."""
		p = self.lab.path("empty-registries.conf")
		if not os.path.exists(p):
			with open(p, "w") as f:
				f.write("unqualified-search-registries = []\n")
		return p

	def put_image(self, repo, tag, content=None, arch="amd64"):
		"""Build a one-layer image and push it to REPO:TAG; return digest."""
		img = oci_image(self.lab, content or "%s:%s" % (repo, tag),
		    tag=tag, arch=arch)
		return self.push(img.layout, tag, repo)

	def put_index(self, repo, tag, content=None, archs=("amd64", "arm64")):
		"""Build a multi-arch index (one manifest per arch), push it with
		all its instances; return (index digest, {arch: digest})."""
		idx = oci_index(self.lab, content or "%s:%s" % (repo, tag),
		    tag=tag, archs=archs)
		d = self.push(idx.layout, tag, repo, all_images=True)
		if d != idx.digest:
			raise LabError("index %s:%s pushed as %s, built as %s"
			    % (repo, tag, d, idx.digest))
		return d, dict(idx.instances)


class Image:
	"""What a registry holds for one tag: manifest (or index) digest, media
	type and bytes, and for a manifest its config and layer descriptors."""

	def __init__(self, repo, tag, digest, media_type, data):
		self.repo = repo
		self.tag = tag
		self.digest = digest
		self.media_type = media_type
		self.data = data
		self.size = len(data)
		m = json.loads(data)
		self.config = m.get("config")		# descriptor or None
		self.layers = m.get("layers") or []
		self.manifests = m.get("manifests") or []	# of an index

	def __repr__(self):
		return "Image(%s:%s %s %s %d)" % (self.repo, self.tag, self.digest,
		    self.media_type, self.size)


class OciLayout:
	"""An OCI image layout directory being written."""

	def __init__(self, path):
		self.layout = path
		os.makedirs(os.path.join(path, "blobs", "sha256"))
		with open(os.path.join(path, "oci-layout"), "w") as f:
			json.dump({"imageLayoutVersion": "1.0.0"}, f)
		self.refs = []		# descriptors for index.json
		self.digest = None	# digest of the (last) tagged top object
		self.instances = []	# (arch, manifest digest) of an index

	def blob(self, data, media_type, **extra):
		"""Store bytes as a blob; return its descriptor (a dict)."""
		d = sha256_digest(data)
		p = os.path.join(self.layout, "blobs", "sha256", d[7:])
		with open(p, "wb") as f:
			f.write(data)
		desc = {"mediaType": media_type, "digest": d, "size": len(data)}
		desc.update(extra)
		return desc

	def json_blob(self, obj, media_type, **extra):
		data = json.dumps(obj, separators=(",", ":"),
		    sort_keys=True).encode()
		return self.blob(data, media_type, **extra)

	def tag(self, desc, tag):
		d = dict(desc)
		d["annotations"] = {"org.opencontainers.image.ref.name": tag}
		self.refs.append(d)
		self.digest = desc["digest"]
		with open(os.path.join(self.layout, "index.json"), "w") as f:
			json.dump({"schemaVersion": 2, "manifests": self.refs}, f)


def _layer(content):
	"""(gzip'd tar bytes, diff_id) of a layer holding one file."""
	data = content.encode() if isinstance(content, str) else content
	raw = io.BytesIO()
	with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
		ti = tarfile.TarInfo("ivlite-test.txt")
		ti.size = len(data)
		ti.mode = 0o644
		ti.mtime = 0
		t.addfile(ti, io.BytesIO(data))
	tar = raw.getvalue()
	gz = io.BytesIO()
	with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
		g.write(tar)
	return gz.getvalue(), sha256_digest(tar)


def _manifest(lay, content, arch):
	layer, diff_id = _layer(content)
	ldesc = lay.blob(layer, MT_OCI_LAYER_GZ)
	cdesc = lay.json_blob({
		"architecture": arch, "os": "linux",
		"config": {"Cmd": ["/ivlite-test.txt"]},
		"rootfs": {"type": "layers", "diff_ids": [diff_id]},
	}, MT_OCI_CONFIG)
	return lay.json_blob({
		"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
		"config": cdesc, "layers": [ldesc],
	}, MT_OCI_MANIFEST)


def oci_image(lab, content, tag="latest", arch="amd64"):
	"""An OCI layout with one single-arch image tagged TAG."""
	lay = OciLayout(lab.mkdir("oci"))
	lay.tag(_manifest(lay, content, arch), tag)
	return lay


def oci_index(lab, content, tag="latest", archs=("amd64", "arm64")):
	"""An OCI layout with an image index of one manifest per arch."""
	lay = OciLayout(lab.mkdir("oci"))
	mans = []
	for a in archs:
		m = _manifest(lay, "%s (%s)" % (content, a), a)
		m["platform"] = {"architecture": a, "os": "linux"}
		mans.append(m)
		lay.instances.append((a, m["digest"]))
	idesc = lay.json_blob({"schemaVersion": 2, "mediaType": MT_OCI_INDEX,
	    "manifests": mans}, MT_OCI_INDEX)
	lay.tag(idesc, tag)
	return lay


def registries_conf(lab, registry, hosts):
	"""A registries.conf (v2) that serves each logical host from REGISTRY.

	containers/image evaluates policy on the logical reference (quay.io/…)
	while it pulls from location 127.0.0.1:PORT/<mapped>/…, so any host name
	can be tested offline.  Returns (path, {host: location prefix}).
	"""
	lines = ['unqualified-search-registries = ["docker.io"]', ""]
	where = {}
	for h in hosts:
		loc = location(registry, h)
		where[h] = loc
		# skopeo 1.9 wants a location even when it equals the prefix
		lines += ["[[registry]]", 'prefix = "%s"' % h,
		    'location = "%s"' % loc, "insecure = true", ""]
	return lab.write("registries.conf", "\n".join(lines)), where


def location(registry, host):
	"""Where registries_conf() serves HOST from: host:port/<mapped host>,
	or the registry itself when HOST is the registry's own address."""
	if host == registry.host:
		return host
	return "%s/%s" % (registry.host, mapped_path(host))


def mapped_path(host):
	"""A repository path component standing for HOST (lowercase, no ':'
	allowed in repository names)."""
	p = host.replace(":", "-port-")
	return p if p == p.lower() else p.lower() + "-upper"


# --- key material ------------------------------------------------------------
#
# Test keys only, made fresh in the lab directory for each run.  mbedTLS 2.28
# has no Ed25519, so OpenPGP keys are RSA and sigstore keys ECDSA P-256.

def gpg_keyring(lab, uid="ivlite test <test@example.com>"):
	"""(public keyring path, GnuPG home) for a new RSA signing key.

	The home stays in the lab for signing later; the gpg-agent that gpg
	starts for it is stopped when the lab closes.
	"""
	home = lab.mkdir("gnupg")
	os.chmod(home, 0o700)
	lab.on_close(lambda: subprocess.run([GPGCONF, "--homedir", home,
	    "--kill", "all"], stdout=subprocess.DEVNULL,
	    stderr=subprocess.DEVNULL))
	run([GPG, "--homedir", home, "--batch", "--passphrase", "",
	    "--quick-gen-key", uid, "rsa2048", "sign", "never"])
	ring = lab.path(os.path.basename(home) + ".gpg")
	with open(ring, "wb") as f:
		f.write(subprocess.run([GPG, "--homedir", home, "--export"],
		    stdout=subprocess.PIPE, check=True).stdout)
	return ring, home


def _cryptography():
	try:
		from cryptography.hazmat.primitives import hashes, serialization
		from cryptography.hazmat.primitives.asymmetric import ec
		from cryptography import x509
		from cryptography.x509.oid import NameOID
	except ImportError:
		raise LabError("python3-cryptography is not installed")
	return hashes, serialization, ec, x509, NameOID


def ec_key_pair(lab, name="cosign"):
	"""(public key PEM path, private key PEM path), ECDSA P-256."""
	_, ser, ec, _, _ = _cryptography()
	k = ec.generate_private_key(ec.SECP256R1())
	priv = lab.write(name + ".key", k.private_bytes(ser.Encoding.PEM,
	    ser.PrivateFormat.PKCS8, ser.NoEncryption()), mode=0o600)
	pub = lab.write(name + ".pub", k.public_key().public_bytes(
	    ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo))
	return pub, priv


def ca_cert(lab, name="ca", cn="ivlite test CA"):
	"""(certificate PEM path, private key PEM path) of a self-signed CA."""
	import datetime
	hashes, ser, ec, x509, NameOID = _cryptography()
	k = ec.generate_private_key(ec.SECP256R1())
	subj = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
	now = datetime.datetime.now(datetime.timezone.utc)
	cert = (x509.CertificateBuilder().subject_name(subj).issuer_name(subj)
	    .public_key(k.public_key()).serial_number(x509.random_serial_number())
	    .not_valid_before(now - datetime.timedelta(days=1))
	    .not_valid_after(now + datetime.timedelta(days=365))
	    .add_extension(x509.BasicConstraints(ca=True, path_length=None),
	    critical=True)
	    .add_extension(x509.KeyUsage(digital_signature=False,
	    content_commitment=False, key_encipherment=False,
	    data_encipherment=False, key_agreement=False, key_cert_sign=True,
	    crl_sign=True, encipher_only=False, decipher_only=False),
	    critical=True)
	    .sign(k, hashes.SHA256()))
	crt = lab.write(name + ".pem", cert.public_bytes(ser.Encoding.PEM))
	key = lab.write(name + ".key", k.private_bytes(ser.Encoding.PEM,
	    ser.PrivateFormat.PKCS8, ser.NoEncryption()), mode=0o600)
	return crt, key


def serve(lab, server):
	"""SERVER (a socketserver) answering from a thread until LAB closes
	or the function returned (which stops it) is called."""
	threading.Thread(target=server.serve_forever, kwargs={"poll_interval":
	    0.1}, daemon=True).start()

	def stop():
		server.shutdown()
		server.server_close()
	lab.on_close(stop)
	return stop


# --- TLS material --------------------------------------------------------------
#
# One test CA (ECDSA P-256) per run issues every server and client certificate;
# a second CA stands for "some other CA" in negative cases.  Certificates are
# made in memory with python3-cryptography and written to the lab directory.

class Issued:
	"""A certificate and its key: PEM bytes, lab file paths, the object."""

	def __init__(self, lab, name, cert, key):
		_, ser, _, _, _ = _cryptography()
		self.cert = cert
		self.cert_pem = cert.public_bytes(ser.Encoding.PEM)
		self.key_pem = key.private_bytes(ser.Encoding.PEM,
		    ser.PrivateFormat.PKCS8, ser.NoEncryption())
		self.cert_path = lab.write(name + ".crt", self.cert_pem)
		self.key_path = lab.write(name + ".key", self.key_pem, mode=0o600)


class Pki:
	"""A test CA and the certificates it issues.

	issue() makes a leaf: DNS and IP SANs as given (no SAN extension at all
	when both are empty and san=False), subject CN as given, serverAuth or
	clientAuth EKU, ECDSA P-256 or RSA key (RSA_BITS), signed with DIGEST
	(a name in cryptography's hashes).  With PARENT the CA is an
	intermediate that PARENT signs, and servers send it after the leaf;
	KEY reuses a key (a root's twin), PATH_LENGTH constrains the path,
	NC (see name_constraints()) adds a nameConstraints extension,
	critical when NC_CRITICAL.
	"""

	def __init__(self, lab, cn="ivlite test CA", name="ca", parent=None,
	    key=None, path_length=None, nc=None, nc_critical=False):
		import datetime
		hashes, ser, ec, x509, NameOID = _cryptography()
		self.lab = lab
		self._dt = datetime
		self.key = key or ec.generate_private_key(ec.SECP256R1())
		self.subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
		    cn)])
		now = datetime.datetime.now(datetime.timezone.utc)
		b = (x509.CertificateBuilder().subject_name(self.subject)
		    .issuer_name(parent.subject if parent else self.subject)
		    .public_key(self.key.public_key())
		    .serial_number(x509.random_serial_number())
		    .not_valid_before(now - datetime.timedelta(days=1))
		    .not_valid_after(now + datetime.timedelta(days=30))
		    .add_extension(x509.BasicConstraints(ca=True,
		    path_length=path_length), critical=True)
		    .add_extension(_key_usage(x509, ca=True), critical=True)
		    .add_extension(x509.SubjectKeyIdentifier.from_public_key(
		    self.key.public_key()), critical=False))
		if nc is not None:
			b = b.add_extension(name_constraints(*nc), critical=nc_critical)
		self.cert = b.sign(parent.key if parent else self.key,
		    hashes.SHA256())
		self.pem = self.cert.public_bytes(ser.Encoding.PEM)
		self.path = lab.write(name + ".crt", self.pem)
		self.chain = self.pem if parent else b""

	def issue(self, name, dns=(), ips=(), cn=None, client=False,
	    rsa=False, rsa_bits=2048, digest="SHA256"):
		import ipaddress
		hashes, ser, ec, x509, NameOID = _cryptography()
		from cryptography.hazmat.primitives.asymmetric import rsa as rsam
		from cryptography.x509.oid import ExtendedKeyUsageOID as EKU
		dt = self._dt
		if rsa:
			key = rsam.generate_private_key(public_exponent=65537,
			    key_size=rsa_bits)
		else:
			key = ec.generate_private_key(ec.SECP256R1())
		subj = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]
		    if cn else [x509.NameAttribute(NameOID.ORGANIZATION_NAME,
		    "ivlite lab " + name)])
		now = dt.datetime.now(dt.timezone.utc)
		b = (x509.CertificateBuilder().subject_name(subj)
		    .issuer_name(self.subject).public_key(key.public_key())
		    .serial_number(x509.random_serial_number())
		    .not_valid_before(now - dt.timedelta(days=1))
		    .not_valid_after(now + dt.timedelta(days=30))
		    .add_extension(x509.BasicConstraints(ca=False,
		    path_length=None), critical=True)
		    .add_extension(_key_usage(x509, ca=False, rsa=rsa),
		    critical=True)
		    .add_extension(x509.ExtendedKeyUsage([EKU.CLIENT_AUTH
		    if client else EKU.SERVER_AUTH]), critical=False)
		    .add_extension(x509.AuthorityKeyIdentifier
		    .from_issuer_public_key(self.key.public_key()),
		    critical=False))
		names = [x509.DNSName(d) for d in dns] + \
		    [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
		if names:
			b = b.add_extension(x509.SubjectAlternativeName(names),
			    critical=False)
		import warnings
		with warnings.catch_warnings():	# SHA-1, on purpose
			warnings.simplefilter("ignore")
			cert = b.sign(self.key, getattr(hashes, digest)())
		return Issued(self.lab, name, cert, key)

	def client_context(self, client=None):
		"""An ssl client context trusting only this CA (name checks on)."""
		import ssl
		ctx = ssl.create_default_context(cafile=self.path)
		if client is not None:
			ctx.load_cert_chain(client.cert_path, client.key_path)
		return ctx

	def server_context(self, leaf, minimum=None):
		import ssl
		ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
		path = leaf.cert_path
		if self.chain:
			path = self.lab.write(os.path.basename(path) + "-chain.crt",
			    leaf.cert_pem + self.chain)
		ctx.load_cert_chain(path, leaf.key_path)
		if minimum is not None:
			ctx.minimum_version = minimum
		return ctx


def name_constraints(permitted=(), excluded=()):
	"""An x509.NameConstraints of (FORM, VALUE) pairs: FORM "email",
	"dns", "uri", "ip" (a network, "192.0.2.0/24") or "dn" (a CN), VALUE
	as RFC 5280 writes it (".example.com": subdomains only)."""
	import ipaddress
	_, _, _, x509, NameOID = _cryptography()

	def name(form, value):
		if form == "ip":
			return x509.IPAddress(ipaddress.ip_network(value))
		if form == "dn":
			return x509.DirectoryName(x509.Name([x509.NameAttribute(
			    NameOID.COMMON_NAME, value)]))
		cls = {"email": x509.RFC822Name, "dns": x509.DNSName,
		    "uri": x509.UniformResourceIdentifier}[form]
		return cls._init_without_validation(value)
	return x509.NameConstraints([name(*p) for p in permitted] or None,
	    [name(*p) for p in excluded] or None)


def trusted_certificate(cert_pem, reject=None):
	"""CERT_PEM as OpenSSL writes a "TRUSTED CERTIFICATE" (with REJECT,
	an extended key usage it must not be trusted for), by openssl x509."""
	if missing_tools("openssl"):
		raise LabError("openssl is not installed")
	p = subprocess.run(["openssl", "x509", "-trustout"] + (["-addreject",
	    reject] if reject else []), input=cert_pem, stdout=subprocess.PIPE,
	    stderr=subprocess.PIPE, timeout=20)
	if p.returncode or not p.stdout.startswith(
	    b"-----BEGIN TRUSTED CERTIFICATE-----\n"):
		raise LabError("openssl x509 -trustout: exit %d: %s" % (
		    p.returncode, p.stderr.decode(errors="replace")[-200:]))
	return p.stdout


def _key_usage(x509, ca, rsa=False):
	return x509.KeyUsage(digital_signature=not ca, content_commitment=False,
	    key_encipherment=rsa and not ca, data_encipherment=False,
	    key_agreement=False, key_cert_sign=ca, crl_sign=ca,
	    encipher_only=False, decipher_only=False)


def certs_d(lab, entries, name="certs.d"):
	"""A containers-certs.d(5) tree: {"host:port": {"ca.crt": bytes}}."""
	d = lab.mkdir(name)
	for host, files in entries.items():
		os.makedirs(os.path.join(d, host), exist_ok=True)
		for fname, data in files.items():
			with open(os.path.join(d, host, fname), "wb") as f:
				f.write(data)
	return d


def auth_json(lab, auths, extra=None, name="auth.json"):
	"""A containers-auth.json(5) file.  AUTHS maps a key to (user,
	password), or to a dict written as is; EXTRA adds top-level fields."""
	import base64
	doc = {"auths": {}}
	for k, v in auths.items():
		if isinstance(v, tuple):
			v = {"auth": base64.b64encode(("%s:%s" % v).encode())
			    .decode()}
		doc["auths"][k] = v
	doc.update(extra or {})
	return lab.write(name, json.dumps(doc, indent=1), mode=0o600)


def bcrypt_hash(password):
	"""A bcrypt ($2b$, cost 4: fast for the registry) hash of PASSWORD.

	libxcrypt (libcrypt.so.1, always on Debian) through ctypes, so this
	works on Pythons without the crypt module (3.13); else htpasswd -B.
	"""
	import ctypes
	try:
		lib = ctypes.CDLL("libcrypt.so.1")
		lib.crypt_gensalt.restype = ctypes.c_char_p
		lib.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong,
		    ctypes.c_char_p, ctypes.c_int]
		lib.crypt.restype = ctypes.c_char_p
		lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
		salt = lib.crypt_gensalt(b"$2b$", 4, None, 0)
		h = lib.crypt(password.encode(), salt) if salt else None
		if h and h.startswith(b"$2b$04$"):
			return h.decode()
	except (OSError, AttributeError):
		pass
	htpasswd = shutil.which("htpasswd")
	if htpasswd:
		p = run([htpasswd, "-nbB", "-C", "4", "u", password])
		return p.stdout.strip().split(":", 1)[1]
	raise LabError("no bcrypt: neither libcrypt.so.1 nor htpasswd "
	    "(apache2-utils)")


# --- TLS, auth and IPv6 registries ------------------------------------------

class TlsRegistry(Registry):
	"""A distribution registry over TLS with a certificate from a Pki.

	clientcas: a Pki whose CA the registry requires client certificates
	from (the lab itself and skopeo then present `client`).  auth:
	("htpasswd", FILE) or ("token", TokenIssuer).  creds: (user, password)
	skopeo pushes with.  bind: "::1" for IPv6.  check_name: whether the
	lab's own requests check the certificate name (off for the
	deliberately misnamed ones; None: they check nothing, for the
	certificates OpenSSL refuses as weak).
	"""

	scheme = "https"

	def __init__(self, lab, pki, cert, name="tls", root=None,
	    bind="127.0.0.1", clientcas=None, client=None, auth=None,
	    creds=None, check_name=True):
		Registry.__init__(self, lab, name, root)
		self.pki = pki
		self.cert = cert
		self.bind = bind
		self.clientcas = clientcas
		self.client = client
		self.auth = auth
		self.creds = creds
		self.check_name = check_name
		self.ready_status = 401 if auth else 200
		self._opener = None
		self._certdir = None

	def config(self):
		c = Registry.config(self)
		tls = {"certificate": self.cert.cert_path,
		    "key": self.cert.key_path}
		if self.clientcas is not None:
			tls["clientcas"] = [self.clientcas.path]
		c["http"]["tls"] = tls
		if self.auth and self.auth[0] == "htpasswd":
			c["auth"] = {"htpasswd": {"realm": "ivlite-lab",
			    "path": self.auth[1]}}
		elif self.auth and self.auth[0] == "token":
			tok = self.auth[1]
			c["auth"] = {"token": {"realm": tok.realm,
			    "service": tok.service, "issuer": tok.issuer,
			    "rootcertbundle": tok.bundle_path}}
		return c

	def context(self):
		import ssl
		ctx = self.pki.client_context(self.client)
		ctx.check_hostname = bool(self.check_name)
		if self.check_name is None:
			ctx.verify_mode = ssl.CERT_NONE
		return ctx

	def opener(self):
		if self._opener is None:
			self._opener = urllib.request.build_opener(
			    urllib.request.ProxyHandler({}),
			    urllib.request.HTTPSHandler(context=self.context()))
		return self._opener

	def lab_headers(self, repo):
		import base64
		if self.auth and self.auth[0] == "htpasswd":
			return {"Authorization": "Basic " + base64.b64encode(
			    ("%s:%s" % self.creds).encode()).decode()}
		if self.auth and self.auth[0] == "token":
			return {"Authorization": "Bearer " + self.auth[1].mint(
			    self.creds[0], [("repository", repo, ["pull", "push"])])}
		return {}

	def skopeo_certdir(self):
		"""A directory for skopeo --dest-cert-dir: the CA, and the client
		pair when the registry wants one."""
		if self._certdir is None:
			d = self.lab.mkdir("skopeo-certs")
			shutil.copy(self.pki.path, os.path.join(d, "ca.crt"))
			if self.client is not None:
				shutil.copy(self.client.cert_path,
				    os.path.join(d, "client.cert"))
				shutil.copy(self.client.key_path,
				    os.path.join(d, "client.key"))
			self._certdir = d
		return self._certdir

	def push_flags(self):
		f = ["--dest-cert-dir", self.skopeo_certdir()]
		if self.creds:
			return f + ["--dest-creds", "%s:%s" % self.creds]
		return f + ["--dest-no-creds"]

	def src_flags(self):
		f = ["--cert-dir", self.skopeo_certdir()]
		if self.creds:
			return f + ["--creds", "%s:%s" % self.creds]
		return f + ["--no-creds"]


# --- a token issuer for distribution's auth.token ------------------------------

def libtrust_kid(public_key):
	"""docker/libtrust key id: SHA-256 of the DER SubjectPublicKeyInfo,
	first 240 bits, base32 without padding, 12 groups of 4 joined by ':'."""
	import base64
	_, ser, _, _, _ = _cryptography()
	der = public_key.public_bytes(ser.Encoding.DER,
	    ser.PublicFormat.SubjectPublicKeyInfo)
	b = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode()
	return ":".join(b[i:i + 4] for i in range(0, 48, 4))


def _b64url(data):
	import base64
	return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenIssuer:
	"""An HTTPS token server for distribution's `auth: token`.

	GET /token?service=…&scope=repository:NAME:ACTIONS[&account=…]: with
	Basic credentials that match `users`, every requested action is granted;
	without credentials, pull on repositories under "public/" only; wrong
	credentials get 401.  Tokens are RS256 JWTs addressed by `kid` (the
	libtrust id of the key in the root certificate bundle), `aud` the
	service as a JSON string, `exp` a year ahead.  The answer is
	{"token": …}, or {"access_token": …} when a scope's repository name
	contains "oauth" (or style is "access_token").  A repository name
	containing "badaud" gets `aud` as a JSON array, which distribution
	2.8.2 rejects (invalid_token): a token the registry never accepts.

	Every request is appended to `requests` as a dict: method, path, query
	(list of (name, value)), auth (an Authorization header was present),
	user (its Basic user name; the password is never kept).  `issued` keeps
	the tokens handed out, so tests can look for them in logs.
	"""

	def __init__(self, lab, pki, users, service="ivlite-lab-registry",
	    issuer="ivlite-lab-issuer", style="token"):
		import datetime
		import threading
		from cryptography.hazmat.primitives.asymmetric import rsa
		hashes, ser, _, x509, NameOID = _cryptography()
		self.lab = lab
		self.users = dict(users)
		self.refresh = {}	# identity (refresh) token -> user
		self.service = service
		self.issuer = issuer
		self.style = style
		self.requests = []
		self.issued = []
		self.lock = threading.Lock()
		self.key = rsa.generate_private_key(public_exponent=65537,
		    key_size=2048)
		self.kid = libtrust_kid(self.key.public_key())
		subj = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
		    "ivlite lab token signer")])
		now = datetime.datetime.now(datetime.timezone.utc)
		bundle = (x509.CertificateBuilder().subject_name(subj)
		    .issuer_name(subj).public_key(self.key.public_key())
		    .serial_number(x509.random_serial_number())
		    .not_valid_before(now - datetime.timedelta(days=1))
		    .not_valid_after(now + datetime.timedelta(days=30))
		    .sign(self.key, hashes.SHA256()))
		self.bundle_path = lab.write("token-bundle.crt",
		    bundle.public_bytes(ser.Encoding.PEM))
		self.leaf = pki.issue("token-server", dns=["localhost"],
		    ips=["127.0.0.1"])
		self.ctx = pki.server_context(self.leaf)
		self.server = _tls_http_server(self.ctx, self._handler())
		self.port = self.server.server_address[1]
		self.close = serve(lab, self.server)

	@property
	def host(self):
		return "127.0.0.1:%d" % self.port

	@property
	def realm(self):
		return "https://%s/token" % self.host

	def mint(self, account, access, aud=None, exp=None):
		"""A signed token: ACCESS is [(type, name, [actions])]."""
		import secrets
		hashes, _, _, _, _ = _cryptography()
		from cryptography.hazmat.primitives.asymmetric import padding
		now = int(time.time())
		claims = {"iss": self.issuer, "sub": account or "",
		    "aud": self.service if aud is None else aud,
		    "exp": now + 365 * 86400 if exp is None else exp,
		    "nbf": now - 10, "iat": now, "jti": secrets.token_hex(8),
		    "access": [{"type": t, "name": n, "actions": list(a)}
		    for t, n, a in access]}
		head = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
		signing = "%s.%s" % (_b64url(json.dumps(head).encode()),
		    _b64url(json.dumps(claims).encode()))
		sig = self.key.sign(signing.encode(), padding.PKCS1v15(),
		    hashes.SHA256())
		tok = "%s.%s" % (signing, _b64url(sig))
		with self.lock:
			self.issued.append(tok)
		return tok

	def reset(self):
		with self.lock:
			del self.requests[:]

	def log(self):
		with self.lock:
			return list(self.requests)

	def _handler(self):
		import base64
		import http.server
		import urllib.parse
		issuer = self

		class H(http.server.BaseHTTPRequestHandler):
			protocol_version = "HTTP/1.1"

			def log_message(self, *a):
				pass

			def answer(self, code, obj):
				body = json.dumps(obj).encode()
				self.send_response(code)
				self.send_header("Content-Type", "application/json")
				self.send_header("Content-Length", str(len(body)))
				self.end_headers()
				self.wfile.write(body)

			def do_POST(self):
				# the OAuth2 refresh-token grant (identity tokens)
				n = int(self.headers.get("Content-Length") or 0)
				form = urllib.parse.parse_qsl(self.rfile.read(
				    min(n, 1 << 20)).decode(), keep_blank_values=True)
				f = dict(form)
				user = issuer.refresh.get(f.get("refresh_token"))
				self.record(user, [(k, v) for k, v in form
				    if k != "refresh_token"])
				if f.get("grant_type") != "refresh_token" or not user:
					return self.answer(401, {"errors": [{"code":
					    "UNAUTHORIZED", "message":
					    "invalid refresh token"}]})
				self.grant(form, user, True)

			def record(self, user, query=None):
				u = urllib.parse.urlsplit(self.path)
				if query is None:
					query = urllib.parse.parse_qsl(u.query,
					    keep_blank_values=True)
				with issuer.lock:
					issuer.requests.append({"method": self.command,
					    "path": u.path, "query": query,
					    "auth": "Authorization" in self.headers,
					    "user": user})

			def do_GET(self):
				u = urllib.parse.urlsplit(self.path)
				q = urllib.parse.parse_qsl(u.query,
				    keep_blank_values=True)
				user = ok = None
				a = self.headers.get("Authorization") or ""
				if a[:6].lower() == "basic ":
					try:
						user, _, pw = base64.b64decode(
						    a[6:].strip()).decode().partition(":")
					except ValueError:
						user, pw = "?", None
					ok = issuer.users.get(user) == pw
				self.record(user)
				if u.path != "/token":
					return self.answer(404, {"errors": [{"code":
					    "NOT_FOUND"}]})
				if ok is False or (a and user is None):
					return self.answer(401, {"errors": [{"code":
					    "UNAUTHORIZED", "message":
					    "invalid username or password"}]})
				self.grant(q, user, ok)

			def grant(self, q, user, ok):
				access, style, aud = [], issuer.style, None
				for k, v in q:
					if k != "scope":
						continue
					typ, _, rest = v.partition(":")
					name, _, acts = rest.rpartition(":")
					if "oauth" in name:
						style = "access_token"
					if "badaud" in name:
						aud = [issuer.service]
					acts = [x for x in acts.split(",") if x]
					if not ok:
						acts = [x for x in acts if x == "pull"
						    and name.startswith("public/")]
					if acts:
						access.append((typ, name, acts))
				tok = issuer.mint(user if ok else None, access, aud)
				self.answer(200, {style: tok, "expires_in": 300,
				    "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
				    time.gmtime())})
		return H


def _tls_http_server(ctx, handler, addr="127.0.0.1"):
	"""A threading http.server on ADDR:0 doing TLS in each connection's
	thread (a stalled handshake must not block the others)."""
	import http.server

	class S(http.server.ThreadingHTTPServer):
		daemon_threads = True

		def finish_request(self, request, client_address):
			request.settimeout(10)
			try:
				request = ctx.wrap_socket(request, server_side=True)
			except OSError:
				return
			http.server.ThreadingHTTPServer.finish_request(self,
			    request, client_address)

	return S((addr, 0), handler)


# --- an HTTP proxy ---------------------------------------------------------------

class ConnectProxy:
	"""An HTTP proxy on 127.0.0.1 for HTTPS_PROXY/HTTP_PROXY tests.

	CONNECT host:port opens a tunnel; absolute-form requests
	(GET http://host:port/path) are forwarded with Connection: close.
	Names under `fake_domain` resolve to 127.0.0.1 here (the client never
	resolves them itself when it uses the proxy), so a non-loopback name
	can reach a lab server.  With creds=(user, password) every request needs
	Proxy-Authorization: Basic, else 407.  `requests` records (method,
	target, user or None) of each request; the password is never kept.

	A misbehaving proxy: after_connect=BYTES are sent after the 200 to a
	CONNECT, before the tunnel's first byte: in the same write as the 200
	(delay=0), or DELAY seconds later as a write of their own.
	"""

	fake_domain = ".ivlite.test"

	def __init__(self, lab, creds=None, after_connect=b"", delay=0):
		import threading
		self.lab = lab
		self.creds = creds
		self.after_connect = after_connect
		self.delay = delay
		self.requests = []
		self.lock = threading.Lock()
		self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		self.sock.bind(("127.0.0.1", 0))
		self.sock.listen(64)
		self.port = self.sock.getsockname()[1]
		self.conns = []
		self.closed = False
		threading.Thread(target=self._accept, daemon=True).start()
		lab.on_close(self.close)

	@property
	def host(self):
		return "127.0.0.1:%d" % self.port

	def url(self, creds=None):
		if creds:
			return "http://%s:%s@%s" % (creds[0], creds[1], self.host)
		return "http://%s" % self.host

	def log(self):
		with self.lock:
			return list(self.requests)

	def reset(self):
		with self.lock:
			del self.requests[:]

	def close(self):
		self.closed = True
		for s in [self.sock] + self.conns:
			try:
				s.close()
			except OSError:
				pass

	def _accept(self):
		import threading
		while not self.closed:
			try:
				c, _ = self.sock.accept()
			except OSError:
				return
			self.conns.append(c)
			threading.Thread(target=self._serve, args=(c,),
			    daemon=True).start()

	def _resolve(self, host):
		h = host.strip("[]")
		if h.endswith(self.fake_domain) or h == "localhost":
			return "127.0.0.1"
		return h

	def _serve(self, c):
		import base64
		c.settimeout(15)
		try:
			head = b""
			while b"\r\n\r\n" not in head and len(head) < 65536:
				d = c.recv(4096)
				if not d:
					return
				head += d
			head, _, rest = head.partition(b"\r\n\r\n")
			lines = head.decode("latin-1").split("\r\n")
			method, target, _ = (lines[0].split(" ") + ["", ""])[:3]
			hdrs = {}
			for ln in lines[1:]:
				k, _, v = ln.partition(":")
				hdrs[k.strip().lower()] = v.strip()
			user = pw = None
			pa = hdrs.get("proxy-authorization", "")
			if pa[:6].lower() == "basic ":
				try:
					user, _, pw = base64.b64decode(pa[6:]).decode() \
					    .partition(":")
				except ValueError:
					user, pw = "?", None
			with self.lock:
				self.requests.append((method, target, user))
			if self.creds and (user, pw) != tuple(self.creds):
				c.sendall(b"HTTP/1.1 407 Proxy Authentication Required"
				    b"\r\nProxy-Authenticate: Basic realm=\"lab\"\r\n"
				    b"Content-Length: 0\r\nConnection: close\r\n\r\n")
				return
			if method == "CONNECT":
				host, _, port = target.rpartition(":")
				try:
					up = socket.create_connection((self._resolve(host),
					    int(port)), timeout=5)
				except (OSError, ValueError):
					c.sendall(b"HTTP/1.1 502 Bad Gateway\r\n"
					    b"Content-Length: 0\r\n\r\n")
					return
				ok = b"HTTP/1.1 200 Connection established\r\n\r\n"
				if self.after_connect and self.delay:
					c.sendall(ok)
					time.sleep(self.delay)
					c.sendall(self.after_connect)
				else:
					c.sendall(ok + self.after_connect)
				if rest:
					up.sendall(rest)
				self._pipe(c, up)
				return
			import urllib.parse
			u = urllib.parse.urlsplit(target)
			if u.scheme != "http" or not u.hostname:
				c.sendall(b"HTTP/1.1 400 Bad Request\r\n"
				    b"Content-Length: 0\r\nConnection: close\r\n\r\n")
				return
			up = socket.create_connection((self._resolve(u.hostname),
			    u.port or 80), timeout=5)
			out = ["%s %s HTTP/1.1" % (method, (u.path or "/") +
			    ("?" + u.query if u.query else ""))]
			out += ["%s: %s" % (ln.partition(":")[0],
			    ln.partition(":")[2].strip()) for ln in lines[1:]
			    if ln.partition(":")[0].strip().lower() not in
			    ("proxy-authorization", "connection",
			    "proxy-connection")]
			out.append("Connection: close")
			up.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1")
			    + rest)
			while True:
				d = up.recv(65536)
				if not d:
					break
				c.sendall(d)
			up.close()
		except OSError:
			pass
		finally:
			try:
				c.close()
			except OSError:
				pass

	def _pipe(self, a, b):
		import selectors
		sel = selectors.DefaultSelector()
		sel.register(a, selectors.EVENT_READ, b)
		sel.register(b, selectors.EVENT_READ, a)
		a.settimeout(None)
		b.settimeout(None)
		try:
			while not self.closed:
				ev = sel.select(15)
				if not ev:
					return
				for key, _ in ev:
					d = key.fileobj.recv(65536)
					if not d:
						return
					key.data.sendall(d)
		except OSError:
			pass
		finally:
			sel.close()
			b.close()


# --- a recording registry and token endpoint ---------------------------

class Recorder:
	"""A registry-shaped HTTP server on 127.0.0.1 (HTTPS with ctx) that
	records every request, for tests asserting where credentials went.

	GET /v2/ answers 401 with `challenge` (a WWW-Authenticate value; None:
	never) to a request without Authorization, else 200 {}; GET or POST
	/token answers 200 {"token": TOKEN} (each token is kept in `tokens`);
	anything else 404 MANIFEST_UNKNOWN.  `log()` gives one dict per
	request: method, path (without the query), host (the Host header),
	auth (the Authorization scheme in lower case, or None), fields (the
	names of query and form fields).  Values are never kept.
	"""

	def __init__(self, lab, challenge=None, ctx=None):
		import http.server
		import secrets
		import threading
		import urllib.parse
		self.challenge = challenge
		self.tokens = []
		self.requests = []
		self.lock = threading.Lock()
		rec = self

		class H(http.server.BaseHTTPRequestHandler):
			protocol_version = "HTTP/1.1"

			def log_message(self, *a):
				pass

			def answer(self, code, obj, hdrs=()):
				body = json.dumps(obj).encode()
				self.send_response(code)
				for k, v in hdrs:
					self.send_header(k, v)
				self.send_header("Content-Type", "application/json")
				self.send_header("Content-Length", str(len(body)))
				self.end_headers()
				self.wfile.write(body)

			def serve(self, form=""):
				u = urllib.parse.urlsplit(self.path)
				a = self.headers.get("Authorization")
				fields = [k for k, _ in urllib.parse.parse_qsl(u.query +
				    "&" + form, keep_blank_values=True)]
				with rec.lock:
					rec.requests.append({"method": self.command,
					    "path": u.path, "host": self.headers.get("Host"),
					    "auth": a.split(" ", 1)[0].lower() if a else None,
					    "fields": fields})
				if u.path == "/token":
					tok = "recorder-token-" + secrets.token_hex(16)
					with rec.lock:
						rec.tokens.append(tok)
					return self.answer(200, {"token": tok})
				if u.path == "/v2/":
					if rec.challenge and not a:
						return self.answer(401, {"errors": [{"code":
						    "UNAUTHORIZED"}]}, [("WWW-Authenticate",
						    rec.challenge)])
					return self.answer(200, {})
				self.answer(404, {"errors": [{"code": "MANIFEST_UNKNOWN"}]})

			def do_GET(self):
				self.serve()

			def do_POST(self):
				n = int(self.headers.get("Content-Length") or 0)
				self.serve(self.rfile.read(min(n, 1 << 20)).decode(
				    "latin-1"))

		if ctx:
			self.server = _tls_http_server(ctx, H)
		else:
			self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
			    H)
			self.server.daemon_threads = True
		self.port = self.server.server_address[1]
		self.scheme = "https" if ctx else "http"
		self.close = serve(lab, self.server)

	@property
	def host(self):
		return "127.0.0.1:%d" % self.port

	def url(self, host=None):
		"""SCHEME://HOST (127.0.0.1:PORT unless another name is given)."""
		return "%s://%s" % (self.scheme, host or self.host)

	def log(self):
		with self.lock:
			return list(self.requests)


# --- the network set-ups, each started once on first use -------------------------

class NetLab:
	"""Lazily started servers for the registry-client tests.

	Each method starts its set-up on the first call and returns the same
	object afterwards; a set-up that failed raises the same LabError again
	(callers turn it into a Skip).  Names and passwords are fixed here so
	tests and auth files agree.
	"""

	USER = "ivuser"
	PASSWORD = "pw:with-colon+%&"		# a ':' goes after the first
	PROXY_CREDS = ("proxyuser", "proxy-pw")
	FAKE_HOST = "registry" + ConnectProxy.fake_domain

	def __init__(self, lab):
		self.lab = lab
		self._cache = {}

	def _once(self, key, make):
		if key not in self._cache:
			try:
				self._cache[key] = make()
			except LabError as e:
				self._cache[key] = e
			except Exception as e:	# a bug in a set-up: say where
				self._cache[key] = LabError("%s set-up: %s: %s" % (key,
				    type(e).__name__, e))
		v = self._cache[key]
		if isinstance(v, LabError):
			raise v
		return v

	def need(self, *tools):
		miss = missing_tools(*tools)
		if miss:
			raise LabError("%s not installed" % ", ".join(miss))

	def pki(self):
		return self._once("pki", lambda: Pki(self.lab))

	def other_pki(self):
		"""A CA nothing is issued from that a server would use."""
		return self._once("other-pki", lambda: Pki(self.lab,
		    "ivlite other CA", "other-ca"))

	def client_pki(self):
		"""The CA the client-certificate registry trusts for clients."""
		return self._once("client-pki", lambda: Pki(self.lab,
		    "ivlite client CA", "client-ca"))

	def _push_standard(self, reg, repos=("app",)):
		for repo in repos:
			d = reg.put_image(repo, "v1", content="%s %s" % (reg.name,
			    repo))
			reg.record(repo, "v1", d)
		return reg

	def tls(self):
		"""HTTPS registry: SANs localhost, registry.ivlite.test,
		127.0.0.1, ::1; holds app:v1 and the OCI index multi:v1."""
		def make():
			self.need("docker-registry", "skopeo")
			pki = self.pki()
			cert = pki.issue("tls-registry", dns=["localhost",
			    self.FAKE_HOST], ips=["127.0.0.1", "::1"])
			reg = TlsRegistry(self.lab, pki, cert, "tls").start()
			self._push_standard(reg)
			d, _ = reg.put_index("multi", "v1")
			reg.record("multi", "v1", d)
			return reg
		return self._once("tls", make)

	def _same_storage(self, key, cert, **kw):
		def make():
			main = self.tls()
			reg = TlsRegistry(self.lab, self.pki(), cert(), key,
			    root=main.root, **kw).start()
			reg.images = main.images
			return reg
		return self._once(key, make)

	def tls6(self):
		"""The TLS registry's storage and certificate on [::1]:PORT."""
		return self._same_storage("tls6", lambda: self.tls().cert,
		    bind="::1")

	NAME_CHECKS = {
		# kind: (issue() arguments, accepted for 127.0.0.1?)
		"ip-only": ({"ips": ["127.0.0.1"]}, True),
		"ip-other": ({"ips": ["127.0.0.2"]}, False),
		"cn-only": ({"cn": "127.0.0.1"}, False),
		"dns-ip": ({"dns": ["127.0.0.1"]}, False),
	}

	def names(self, kind):
		"""A registry (TLS storage) whose certificate is NAME_CHECKS[kind]."""
		args = self.NAME_CHECKS[kind][0]
		return self._same_storage("names-" + kind,
		    lambda: self.pki().issue("names-" + kind, **args),
		    check_name=False)

	# certificates every ivlite build refuses for a TLS server, whatever
	# its mbedTLS's own defaults (2.28's take SHA-224, 3.6's do not)
	WEAK_CERTS = {
		"sha1": {"digest": "SHA1"},
		"sha224": {"digest": "SHA224"},
		"rsa1024": {"rsa": True, "rsa_bits": 1024},
		"client-eku": {"client": True},
	}

	def weak(self, kind):
		"""A registry (TLS storage) whose certificate, for localhost and
		127.0.0.1, is WEAK_CERTS[kind]."""
		return self._same_storage("weak-" + kind, lambda: self.pki().issue(
		    "weak-" + kind, dns=["localhost"], ips=["127.0.0.1"],
		    **self.WEAK_CERTS[kind]), check_name=None)

	def clientcert(self):
		"""TLS storage; clientcas = client_pki(); the lab presents
		client_cert()."""
		return self._same_storage("clientcert", lambda: self.pki().issue(
		    "clientcert-registry", dns=["localhost"], ips=["127.0.0.1"]),
		    clientcas=self.client_pki(), client=self.client_cert())

	def client_cert(self):
		return self._once("client-cert", lambda: self.client_pki().issue(
		    "client", cn="ivlite lab client", client=True))

	def rogue_client_cert(self):
		"""A client certificate from a CA the registry does not trust."""
		return self._once("rogue-client", lambda: self.other_pki().issue(
		    "rogue-client", cn="ivlite rogue client", client=True))

	def htpasswd(self):
		"""HTTPS (RSA certificate) + htpasswd; app:v1 and ns/app:v1,
		pushed with USER/PASSWORD."""
		def make():
			self.need("docker-registry", "skopeo")
			pki = self.pki()
			f = self.lab.write("htpasswd", "%s:%s\n" % (self.USER,
			    bcrypt_hash(self.PASSWORD)))
			cert = pki.issue("htpasswd-registry", dns=["localhost"],
			    ips=["127.0.0.1"], rsa=True)
			reg = TlsRegistry(self.lab, pki, cert, "htpasswd",
			    auth=("htpasswd", f), creds=(self.USER,
			    self.PASSWORD)).start()
			return self._push_standard(reg, ("app", "ns/app"))
		return self._once("htpasswd", make)

	def token(self):
		"""HTTPS + auth.token backed by a TokenIssuer (reg.auth[1]);
		public/app:v1 (anonymous pull), private/app:v1 (USER only),
		public/oauth:v1 (answered with access_token)."""
		def make():
			self.need("docker-registry", "skopeo")
			pki = self.pki()
			iss = TokenIssuer(self.lab, pki, {self.USER: self.PASSWORD})
			cert = pki.issue("token-registry", dns=["localhost"],
			    ips=["127.0.0.1"])
			reg = TlsRegistry(self.lab, pki, cert, "token",
			    auth=("token", iss), creds=(self.USER,
			    self.PASSWORD)).start()
			self._push_standard(reg, ("public/app", "private/app",
			    "public/oauth"))
			iss.reset()
			return reg
		return self._once("token", make)

	def hostile(self):
		import hostile
		return self._once("hostile", lambda: hostile.Hostile(self.lab,
		    self.pki()))

	def proxy(self, auth=False):
		return self._once("proxy-auth" if auth else "proxy",
		    lambda: ConnectProxy(self.lab, self.PROXY_CREDS if auth
		    else None))

	def recorder_ctx(self):
		"""A server context for Recorders: the test CA's certificate for
		localhost and 127.0.0.1."""
		return self._once("recorder-ctx", lambda: self.pki().server_context(
		    self.pki().issue("recorder", dns=["localhost"],
		    ips=["127.0.0.1"])))


# --- the real tools: containerd, cosign, notation, oras ---------------------------
#
# Debian unstable's builds, fetched once per checkout by tests/tools into
# build/tools (never installed: see that script).  Each helper runs its tool
# offline: a private HOME in the lab, and HTTP(S)_PROXY pointing at a closed
# port on 127.0.0.1 with loopback exempt, so any attempt to reach Rekor, a
# TUF mirror or Fulcio fails at once instead of leaving the machine.

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS_DIR = os.path.join(TOP, "build", "tools")
TOOLS_BIN = os.path.join(TOOLS_DIR, "usr", "bin")
# the Debian package each tool comes from
TOOL_PACKAGES = {"containerd": "containerd", "ctr": "containerd",
    "cosign": "cosign", "notation": "notation", "oras": "oras"}
_tool_errors = {}


def tool(name):
	"""Path of the real tool NAME (containerd, ctr, cosign, notation,
	oras) in build/tools, running tests/tools the first time.

	Raises LabError naming the Debian package when it cannot be had;
	callers turn that into a failure, never a skip.
	"""
	pkg = TOOL_PACKAGES[name]
	path = os.path.join(TOOLS_BIN, name)
	if pkg in _tool_errors:
		raise LabError(_tool_errors[pkg])
	if not os.access(path, os.X_OK) or tool_version(pkg) is None:
		p = subprocess.run([os.path.join(TOP, "tests", "tools"), pkg],
		    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
		if p.returncode != 0 or not os.access(path, os.X_OK):
			_tool_errors[pkg] = ("Debian package %s (%s) could not be had "
			    "from unstable: %s" % (pkg, name, " / ".join(
			    p.stdout.strip().splitlines()[-3:])))
			raise LabError(_tool_errors[pkg])
	return path


def tool_version(pkg):
	"""The Debian version of PKG in build/tools, or None."""
	try:
		with open(os.path.join(TOOLS_DIR, pkg + ".version")) as f:
			return f.read().strip() or None
	except OSError:
		return None


def offline_env(home, **extra):
	"""An environment for a real tool: HOME (and XDG dirs) under HOME,
	every proxy variable replaced by a dead loopback port (loopback
	exempt), nothing else from the caller's registry configuration."""
	env = {k: v for k, v in os.environ.items() if k.upper() not in
	    ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
	    "DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "XDG_CONFIG_HOME",
	    "XDG_CACHE_HOME", "TUF_ROOT", "SIGSTORE_ROOT_FILE")}
	dead = "http://127.0.0.1:9"	# discard: nothing listens there
	env.update({"HOME": home, "XDG_CONFIG_HOME": os.path.join(home,
	    ".config"), "XDG_CACHE_HOME": os.path.join(home, ".cache"),
	    "DOCKER_CONFIG": os.path.join(home, ".docker"),
	    "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "http_proxy": dead,
	    "https_proxy": dead, "NO_PROXY": "127.0.0.1,localhost,::1",
	    "no_proxy": "127.0.0.1,localhost,::1"})
	env.update(extra)
	return env


def _registry_flags(reg, plain, tls):
	"""PLAIN for a plain-HTTP registry, TLS(ca path) for a TLS one."""
	if reg.scheme == "http":
		return list(plain)
	pki = getattr(reg, "pki", None)
	return tls(pki.path) if pki is not None else []


class _Tool:
	"""A real tool NAME (see tool()) with a private HOME in the lab."""

	name = None

	def __init__(self, lab):
		self.lab = lab
		self.bin = tool(self.name)
		self.home = lab.mkdir(self.name + "-home")
		self.version = tool_version(TOOL_PACKAGES[self.name])

	def env(self):
		return offline_env(self.home)

	def run(self, args, timeout=60, cwd=None, **kw):
		return run([self.bin] + list(args), timeout=timeout,
		    env=self.env(), cwd=cwd or self.home, **kw)


class Cosign(_Tool):
	"""The real cosign 3 (Debian's), with keys, never keyless.

	sign() writes what `cosign sign --key` writes with no transparency
	log and no signing config: by default the legacy sigstore attachment
	<repo>:sha256-<hex>.sig (--new-bundle-format=false); bundle=True
	gives cosign 3's default output, a Sigstore bundle attached as an OCI
	1.1 referrer (the tag sha256-<hex> on registries without the
	referrers API).  Nothing reaches the network but the lab registry.
	"""

	name = "cosign"
	PASSWORD = ""	# keys are encrypted with an empty password

	def env(self):
		return offline_env(self.home, COSIGN_PASSWORD=self.PASSWORD,
		    COSIGN_YES="true", TUF_ROOT=os.path.join(self.home,
		    ".sigstore", "root"))

	def generate_key_pair(self, name="cosign"):
		"""(public key path, private key path): `cosign
		generate-key-pair` (ECDSA P-256, the private key encrypted)."""
		d = self.lab.mkdir("cosign-" + name)
		prefix = os.path.join(d, name)
		self.run(["generate-key-pair", "--output-key-prefix", prefix])
		return prefix + ".pub", prefix + ".key"

	def import_key_pair(self, private_pem, name="imported"):
		"""(public key path, private key path) for PRIVATE_PEM (an
		unencrypted PKCS#8 PEM private key, e.g. P-384 or RSA, which
		generate-key-pair does not make): `cosign import-key-pair`."""
		d = self.lab.mkdir("cosign-" + name)
		src = os.path.join(d, "private.pem")
		with open(src, "wb") as f:
			f.write(private_pem)
		prefix = os.path.join(d, name)
		self.run(["import-key-pair", "--key", src, "--output-key-prefix",
		    prefix])
		return prefix + ".pub", prefix + ".key"

	def _flags(self, reg, bundle):
		argv = ["--use-signing-config=false", "--tlog-upload=false", "-y",
		    "--new-bundle-format=%s" % ("true" if bundle else "false")]
		return argv + _registry_flags(reg, ["--allow-http-registry",
		    "--allow-insecure-registry"], lambda ca:
		    ["--registry-cacert", ca])

	def sign(self, reg, repo, digest, key, bundle=False, annotations=None,
	    identity=None, recursive=False, certificate=None, chain=None):
		"""cosign sign --key KEY REG/REPO@DIGEST; returns the process.

		annotations: {k: v} for -a (they land in the payload's
		"optional", or a bundle statement's subject annotations);
		identity: --sign-container-identity (the payload's
		docker-reference instead of REG/REPO); certificate, chain:
		--certificate and --certificate-chain (PEM files; BYO-PKI:
		a bundle then holds the certificate, not the chain)."""
		argv = ["sign", "--key", key] + self._flags(reg, bundle)
		for k, v in sorted((annotations or {}).items()):
			argv += ["-a", "%s=%s" % (k, v)]
		if identity:
			argv += ["--sign-container-identity", identity]
		if recursive:
			argv.append("--recursive")
		if certificate:
			argv += ["--certificate", certificate]
		if chain:
			argv += ["--certificate-chain", chain]
		return self.run(argv + [reg.ref(repo, digest=digest)])

	def attest(self, reg, repo, digest, key, predicate, ptype):
		"""cosign attest --key KEY --predicate PREDICATE (a file)
		--type PTYPE (e.g. slsaprovenance1) of REG/REPO@DIGEST: an
		in-toto statement (_type v0.1) in a Sigstore bundle referrer,
		as cosign 3 writes attestations by default."""
		return self.run(["attest", "--key", key, "--predicate", predicate,
		    "--type", ptype] + self._flags(reg, True) +
		    [reg.ref(repo, digest=digest)])


class Notation(_Tool):
	"""The real notation (Debian's) with a self-signed test key made by
	`notation cert generate-test`; plain-HTTP lab registries only."""

	name = "notation"

	def generate_test_key(self, name="ivlite-test"):
		"""A test key and certificate NAME, made the default signing
		key; returns the certificate path (PEM)."""
		self.run(["cert", "generate-test", "--default", name])
		return os.path.join(self.home, ".config", "notation",
		    "localkeys", name + ".crt")

	def sign(self, reg, repo, digest, key=None, fmt="jws"):
		"""notation sign (FMT jws or cose) of REG/REPO@DIGEST; the
		signature is pushed as a referrer (the tag sha256-<hex> on
		registries without the referrers API)."""
		argv = ["sign", "--signature-format", fmt]
		if key:
			argv += ["--key", key]
		if reg.scheme == "http":
			argv.append("--insecure-registry")
		return self.run(argv + [reg.ref(repo, digest=digest)])


class Oras(_Tool):
	"""The real oras (Debian's): push artifacts and attach referrers."""

	name = "oras"

	def _files(self, files):
		"""FILES {name: (bytes, media type)} written into a fresh
		directory; returns (directory, ["name:media type", …])."""
		d = self.lab.mkdir("oras-files")
		args = []
		for name, (data, mt) in sorted(files.items()):
			with open(os.path.join(d, name), "wb") as f:
				f.write(data)
			args.append("%s:%s" % (name, mt))
		return d, args

	def _flags(self, reg, artifact_type, annotations):
		argv = _registry_flags(reg, ["--plain-http"], lambda ca:
		    ["--ca-file", ca])
		if artifact_type:
			argv += ["--artifact-type", artifact_type]
		for k, v in sorted((annotations or {}).items()):
			argv += ["--annotation", "%s=%s" % (k, v)]
		return argv + ["--format", "json"]

	def push(self, reg, repo, tag, files, artifact_type=None,
	    annotations=None):
		"""oras push REG/REPO:TAG of FILES; returns the manifest digest."""
		d, args = self._files(files)
		p = self.run(["push"] + self._flags(reg, artifact_type,
		    annotations) + [reg.ref(repo, tag)] + args, cwd=d)
		return json.loads(p.stdout)["digest"]

	def attach(self, reg, repo, digest, files, artifact_type,
	    annotations=None):
		"""oras attach: FILES as a referrer of REG/REPO@DIGEST; returns
		the referrer manifest's digest."""
		d, args = self._files(files)
		p = self.run(["attach"] + self._flags(reg, artifact_type,
		    annotations) + [reg.ref(repo, digest=digest)] + args, cwd=d)
		return json.loads(p.stdout)["digest"]


def referrers(reg, repo, digest):
	"""[(manifest digest, manifest dict)] of REPO's referrers of DIGEST:
	the referrers API where the registry has it, else the fallback tag
	sha256-<hex> (an OCI index) that cosign 3, notation and oras write
	on registries without it (docker-registry 2.8)."""
	for path in ("referrers/" + digest, "manifests/" +
	    digest.replace(":", "-", 1)):
		try:
			with reg.open("%s/v2/%s/%s" % (reg.url, repo, path), repo,
			    headers={"Accept": MT_OCI_INDEX}) as r:
				idx = json.loads(r.read())
		except urllib.error.HTTPError as e:
			if e.code == 404:
				continue
			raise
		out = []
		for m in idx.get("manifests") or []:
			data, _ = reg.get_manifest(repo, m["digest"])
			out.append((m["digest"], json.loads(data)))
		return out
	return []
