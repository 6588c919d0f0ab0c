#!/usr/bin/python3
"""The real-server lab for ivlite's integration tests.

One Lab per test run owns a temporary directory and every server process
started under it; all of it goes away at exit (atexit, plus Lab.close() from
the runner's finally).  Servers bind to 127.0.0.1 on free ports and run in
their own process group, so a kill takes their children with them.

Registry is the distribution registry (Debian's docker-registry 2.8) with a
configuration written here, never /etc/docker/registry/config.yml (that one
has htpasswd auth on :5000).  The plain-HTTP, no-auth set-up is built now;
TLS, htpasswd and token set-ups plug in by overriding Registry.config()
(the configuration is a dict written as JSON, which YAML readers accept) and
Registry.scheme / Registry.probe().

Images are built without docker: oci_image() writes an OCI image layout
(image-spec v1.0: oci-layout, index.json, blobs/sha256/…) with one small
gzip'd tar layer whose single file makes the image distinct, and push()
copies it with skopeo to the registry, returning the manifest digest.

Standard library only (python3-cryptography for the key fixtures at the
end); run with Debian's /usr/bin/python3.
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


def free_port():
	"""A TCP port on 127.0.0.1 that was free a moment ago (callers retry)."""
	with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
		s.bind(("127.0.0.1", 0))
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

	def __init__(self, lab, name="registry"):
		self.lab = lab
		self.name = name
		self.root = lab.mkdir(name + "-data")
		self.port = None
		self.proc = None
		self.cfg_path = None
		self.log_path = None

	@property
	def host(self):
		"""host:port as it appears in references."""
		return "127.0.0.1:%d" % self.port

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
			self.port = free_port()
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
				if self.probe() == 200:
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
			with _http.open(self.url + "/v2/",
			    timeout=2) as r:
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
		req = urllib.request.Request("%s/v2/%s/manifests/%s" % (self.url,
		    repo, ref), method="HEAD", headers={"Accept": ACCEPT})
		with _http.open(req, timeout=5) as r:
			return r.headers["Docker-Content-Digest"]

	def get_manifest(self, repo, ref):
		"""(bytes, media type) of REPO's manifest REF."""
		req = urllib.request.Request("%s/v2/%s/manifests/%s" % (self.url,
		    repo, ref), headers={"Accept": ACCEPT})
		with _http.open(req, timeout=5) as r:
			return r.read(), r.headers.get("Content-Type")

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
	    .not_valid_after(now + datetime.timedelta(days=30))
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
