#!/usr/bin/python3
"""GPG "simple signing" test tools for ivlite's signedBy tests.

- Gpg: a GnuPG home in the lab directory driven by the real `gpg --batch`
  (keys, subkeys, revocations, exports, signatures, faked times); its
  gpg-agent is stopped when the lab closes.
- OpenPGP packets (RFC 4880 framing, old and new headers, partial body
  lengths), written from the RFC and specs/simple-signing.md §3–§5: parse,
  build, compress (ZIP = raw DEFLATE, ZLIB), so tests can take gpg's
  messages apart and build the malformed ones gpg will not make.
- SecretKey + sign(): v3 and v4 data signatures made here from a key gpg
  exported without protection, for what GnuPG 2.2 cannot produce (v3
  signatures, signatures by a non-signing subkey, unknown critical
  subpackets, a wrong digest prefix).  A self-check in test_gpg.py has gpg
  verify what this module signs.
- payload(): the simple-signing JSON (`atomic container signature`).
- Lookaside: an HTTP server on 127.0.0.1 serving a directory of
  <base>/<repo>@sha256=<hex>/signature-N files, with per-path status
  overrides (403, 500, redirects).

Standard library plus python3-cryptography; run with Debian's
/usr/bin/python3.
"""

import base64
import hashlib
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import zlib

import lab as labmod

GPG = labmod.GPG
GPGCONF = labmod.GPGCONF
PAYLOAD_TYPE = "atomic container signature"
CREATOR = "ivlite test suite"

HASHES = {"MD5": 1, "SHA1": 2, "RIPEMD160": 3, "SHA256": 8, "SHA384": 9,
    "SHA512": 10, "SHA224": 11}
HASH_NAMES = {v: k for k, v in HASHES.items()}
COMPRESS = {"none": 0, "zip": 1, "zlib": 2, "bzip2": 3}


# --- payload ------------------------------------------------------------------

def payload(ref, digest, optional=None, ptype=PAYLOAD_TYPE, raw=False):
	"""Simple-signing payload bytes: the layout containers/image writes
	(critical: identity, image, type; optional: creator, timestamp)."""
	if optional is None:
		optional = {"creator": CREATOR, "timestamp": 1700000000}
	doc = {"critical": {"identity": {"docker-reference": ref},
	    "image": {"docker-manifest-digest": digest}, "type": ptype},
	    "optional": optional}
	if raw:
		return doc
	return json.dumps(doc, separators=(",", ":")).encode()


# --- packets -----------------------------------------------------------------

class Packet:
	"""One packet: tag, body, and how it was framed (for rebuilding)."""

	def __init__(self, tag, body, new=True, partial=False, raw=b""):
		self.tag = tag
		self.body = body
		self.new = new
		self.partial = partial
		self.raw = raw	# the packet's bytes as read

	def __repr__(self):
		return "Packet(tag=%d, %d bytes%s%s)" % (self.tag, len(self.body),
		    ", new" if self.new else ", old", ", partial" if self.partial
		    else "")


class PacketError(Exception):
	pass


def _new_len(data, i):
	"""(length, next index, partial?) of a new-format length at I."""
	o = data[i]
	if o < 192:
		return o, i + 1, False
	if o < 224:
		return ((o - 192) << 8) + data[i + 1] + 192, i + 2, False
	if o == 255:
		return int.from_bytes(data[i + 1:i + 5], "big"), i + 5, False
	return 1 << (o & 0x1F), i + 1, True


def parse(data):
	"""The packets of DATA (a list of Packet); PacketError if malformed."""
	out = []
	i = 0
	while i < len(data):
		start = i
		h = data[i]
		if not h & 0x80:
			raise PacketError("byte %d: bit 7 of the header is 0" % i)
		i += 1
		if h & 0x40:
			tag = h & 0x3F
			body = b""
			partial = False
			while True:
				n, i, part = _new_len(data, i)
				body += data[i:i + n]
				i += n
				if not part:
					break
				partial = True
			out.append(Packet(tag, body, True, partial, data[start:i]))
		else:
			tag = (h >> 2) & 0x0F
			lt = h & 3
			if lt == 3:
				n = len(data) - i
			else:
				w = (1, 2, 4)[lt]
				n = int.from_bytes(data[i:i + w], "big")
				i += w
			out.append(Packet(tag, data[i:i + n], False, False,
			    data[start:i + n]))
			i += n
		if i > len(data):
			raise PacketError("packet at %d runs past the end" % start)
	return out


def new_packet(tag, body, partial_chunk=None):
	"""A new-format packet; PARTIAL_CHUNK (a power of two) splits the
	body into partial lengths of that size."""
	h = bytes([0xC0 | tag])
	if partial_chunk:
		bits = partial_chunk.bit_length() - 1
		assert 1 << bits == partial_chunk
		out = h
		rest = body
		while len(rest) > partial_chunk:
			out += bytes([224 + bits]) + rest[:partial_chunk]
			rest = rest[partial_chunk:]
		return out + _new_len_bytes(len(rest)) + rest
	return h + _new_len_bytes(len(body)) + body


def _new_len_bytes(n):
	if n < 192:
		return bytes([n])
	if n < 8384:
		n -= 192
		return bytes([(n >> 8) + 192, n & 0xFF])
	return b"\xff" + n.to_bytes(4, "big")


def old_packet(tag, body, lentype=None):
	"""An old-format packet (tags 0-15); LENTYPE 3 = indeterminate."""
	if lentype is None:
		lentype = 0 if len(body) < 256 else 1 if len(body) < 65536 else 2
	h = bytes([0x80 | (tag << 2) | lentype])
	if lentype == 3:
		return h + body
	return h + len(body).to_bytes((1, 2, 4)[lentype], "big") + body


def compress(inner, algo="zip", level=6):
	"""A compressed-data packet (gpg's framing: old format, indeterminate
	length) holding INNER compressed with ALGO (none, zip, zlib)."""
	a = COMPRESS[algo]
	if a == 1:
		c = zlib.compressobj(level, zlib.DEFLATED, -15)
		data = c.compress(inner) + c.flush()
	elif a == 2:
		data = zlib.compress(inner, level)
	elif a == 0:
		data = inner
	else:
		raise ValueError("cannot make %s here" % algo)
	return old_packet(8, bytes([a]) + data, 3)


def decompress(body):
	"""(algorithm name, inner bytes) of a compressed packet's body."""
	a = body[0]
	if a == 0:
		return "none", body[1:]
	if a == 1:
		return "zip", zlib.decompress(body[1:], -15)
	if a == 2:
		return "zlib", zlib.decompress(body[1:])
	if a == 3:
		import bz2
		return "bzip2", bz2.decompress(body[1:])
	raise PacketError("compression algorithm %d" % a)


def unwrap(msg):
	"""(compression or None, [packets]) of a signed message."""
	ps = parse(msg)
	if len(ps) == 1 and ps[0].tag == 8:
		algo, inner = decompress(ps[0].body)
		return algo, parse(inner)
	return None, ps


def mpi(v):
	if isinstance(v, bytes):
		v = int.from_bytes(v, "big")
	n = v.bit_length()
	return n.to_bytes(2, "big") + v.to_bytes((n + 7) // 8, "big")


def read_mpi(data, i):
	bits = int.from_bytes(data[i:i + 2], "big")
	n = (bits + 7) // 8
	return int.from_bytes(data[i + 2:i + 2 + n], "big"), i + 2 + n


def subpacket(typ, data, critical=False):
	body = bytes([typ | (0x80 if critical else 0)]) + data
	n = len(body)
	if n < 192:
		ln = bytes([n])
	elif n < 16320:
		n -= 192
		ln = bytes([(n >> 8) + 192, n & 0xFF])
	else:
		ln = b"\xff" + n.to_bytes(4, "big")
	return ln + body


def subpackets(area):
	"""[(type, critical, data)] of a subpacket area."""
	out = []
	i = 0
	while i < len(area):
		o = area[i]
		if o < 192:
			n, i = o, i + 1
		elif o < 255:
			n, i = ((o - 192) << 8) + area[i + 1] + 192, i + 2
		else:
			n, i = int.from_bytes(area[i + 1:i + 5], "big"), i + 5
		out.append((area[i] & 0x7F, bool(area[i] & 0x80), area[i + 1:i + n]))
		i += n
	return out


class SigInfo:
	"""The fields of a signature packet body that tests look at."""

	def __init__(self, body):
		self.body = body
		self.version = body[0]
		self.hashed = []
		self.unhashed = []
		if self.version == 4:
			self.type, self.pkalgo, self.hash = body[1], body[2], body[3]
			h = int.from_bytes(body[4:6], "big")
			self.hashed = subpackets(body[6:6 + h])
			u = int.from_bytes(body[6 + h:8 + h], "big")
			self.unhashed = subpackets(body[8 + h:8 + h + u])
			self.prefix_at = 8 + h + u
			self.created = self.sub(2)
			self.expires = self.sub(3)
			kid = self.sub_raw(16)
			self.keyid = kid.hex().upper() if kid else None
		else:
			self.type = body[2]
			self.created = int.from_bytes(body[3:7], "big")
			self.keyid = body[7:15].hex().upper()
			self.pkalgo, self.hash = body[15], body[16]
			self.prefix_at = 17
			self.expires = None
		self.mpis_at = self.prefix_at + 2

	def sub_raw(self, typ):
		for t, _, d in self.hashed + self.unhashed:
			if t == typ:
				return d
		return None

	def sub(self, typ):
		d = self.sub_raw(typ)
		return int.from_bytes(d, "big") if d is not None else None


def signature_of(msg):
	"""SigInfo of the (last) signature packet of a signed message."""
	_, ps = unwrap(msg)
	sigs = [p for p in ps if p.tag == 2]
	if not sigs:
		raise PacketError("no signature packet")
	return SigInfo(sigs[-1].body)


def literal(data, fmt=b"b", name=b"", date=0):
	return bytes(fmt) + bytes([len(name)]) + name + date.to_bytes(4, "big") \
	    + data


def literal_data(body):
	n = body[1]
	return body[2 + n + 4:]


def rebuild(packets, algo=None):
	"""A message from PACKETS (their bytes as read), compressed with ALGO
	("zip", "zlib", "none") or not at all (None)."""
	inner = b"".join(p.raw for p in packets)
	return compress(inner, algo) if algo else inner


# --- keys: public key packets, fingerprints -----------------------------------

def fingerprint(pub_body):
	return hashlib.sha1(b"\x99" + len(pub_body).to_bytes(2, "big") +
	    pub_body).hexdigest().upper()


def armor(data, kind="PGP PUBLIC KEY BLOCK", crc=True, headers=()):
	"""ASCII armor of DATA (RFC 4880 §6), CRC-24 line included."""
	b = base64.b64encode(data).decode()
	lines = ["-----BEGIN %s-----" % kind] + list(headers) + [""]
	lines += [b[i:i + 64] for i in range(0, len(b), 64)]
	if crc:
		lines.append("=" + base64.b64encode(crc24(data).to_bytes(3,
		    "big")).decode())
	lines.append("-----END %s-----" % kind)
	return ("\n".join(lines) + "\n").encode()


def dearmor(data):
	"""The bytes of the first ASCII-armored block in DATA."""
	lines = data.decode().splitlines()
	i = next(i for i, ln in enumerate(lines) if ln.startswith("-----BEGIN "))
	i = lines.index("", i)
	body = []
	for ln in lines[i + 1:]:
		if ln.startswith("=") or ln.startswith("-----END "):
			break
		body.append(ln)
	return base64.b64decode("".join(body))


def crc24(data):
	c = 0xB704CE
	for b in data:
		c ^= b << 16
		for _ in range(8):
			c <<= 1
			if c & 0x1000000:
				c ^= 0x1864CFB
	return c & 0xFFFFFF


def key_hashed(pub_body):
	"""K(x) of RFC 4880 §5.2.4: how a key is hashed into a signature
	over it (0x99, two length octets, the public key packet body)."""
	return b"\x99" + len(pub_body).to_bytes(2, "big") + pub_body


# --- signing here, from a secret key gpg exported ----------------------------

class SecretKey:
	"""One (sub)key from `gpg --export-secret-keys` (unprotected): the
	public body, fingerprint, key ID and a cryptography private key."""

	def __init__(self, tag, body):
		from cryptography.hazmat.primitives.asymmetric import (ec, ed25519,
		    rsa)
		self.tag = tag
		if body[0] != 4:
			raise PacketError("key version %d" % body[0])
		self.created = int.from_bytes(body[1:5], "big")
		self.algo = body[5]
		i = 6
		if self.algo in (1, 3):
			n, i = read_mpi(body, i)
			e, i = read_mpi(body, i)
		elif self.algo in (19, 22):
			ol = body[i]
			self.oid = body[i + 1:i + 1 + ol]
			_, i = read_mpi(body, i + 1 + ol)
		else:
			raise PacketError("public-key algorithm %d" % self.algo)
		self.pub_body = body[:i]
		self.fpr = fingerprint(self.pub_body)
		self.keyid = self.fpr[-16:]
		if body[i] != 0:
			raise PacketError("secret key is protected (s2k usage %d)"
			    % body[i])
		i += 1
		if self.algo in (1, 3):
			d, i = read_mpi(body, i)
			p, i = read_mpi(body, i)
			q, i = read_mpi(body, i)
			pub = rsa.RSAPublicNumbers(e, n)
			self.key = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1),
			    d % (q - 1), rsa.rsa_crt_iqmp(p, q), pub).private_key()
		elif self.algo == 22:
			s, i = read_mpi(body, i)
			self.key = ed25519.Ed25519PrivateKey.from_private_bytes(
			    s.to_bytes(32, "big"))
		else:
			d, i = read_mpi(body, i)
			curves = {bytes.fromhex("2A8648CE3D030107"): ec.SECP256R1(),
			    bytes.fromhex("2B81040022"): ec.SECP384R1(),
			    bytes.fromhex("2B81040023"): ec.SECP521R1()}
			self.key = ec.derive_private_key(d, curves[self.oid])

	def sign_digest(self, digest, hash_name):
		"""The signature MPIs over DIGEST (bytes)."""
		from cryptography.hazmat.primitives import hashes
		from cryptography.hazmat.primitives.asymmetric import (ec, padding,
		    utils)
		h = getattr(hashes, hash_name)()
		if self.algo in (1, 3):
			return mpi(self.key.sign(digest, padding.PKCS1v15(),
			    utils.Prehashed(h)))
		if self.algo == 22:
			sig = self.key.sign(digest)
			return mpi(sig[:32]) + mpi(sig[32:])
		r, s = utils.decode_dss_signature(self.key.sign(digest,
		    ec.ECDSA(utils.Prehashed(h))))
		return mpi(r) + mpi(s)


def secret_keys(data):
	"""SecretKey objects of an export: [primary, subkeys…]."""
	return [SecretKey(p.tag, p.body) for p in parse(data) if p.tag in (5, 7)]


def sign_body(key, data, version=4, sigtype=0, hash_name="SHA256",
    created=None, expires=None, hashed=None, unhashed=None, prefix=None,
    issuer_fpr=True, creation=True, corrupt=False):
	"""A signature packet body by KEY over literal DATA.

	v4: hashed subpackets creation time (unless CREATION is False),
	issuer fingerprint (unless ISSUER_FPR is False), signature expiry
	(EXPIRES seconds) and HASHED (raw subpacket bytes); unhashed: issuer
	key ID and UNHASHED.  PREFIX overrides the two digest-prefix octets;
	CORRUPT flips a bit of the last MPI octet.
	"""
	created = int(time.time()) if created is None else created
	h = hashlib.new(hash_name.lower())
	text = data
	if sigtype == 1:
		text = re.sub(rb"(?<!\r)\n", b"\r\n", data)
	h.update(text)
	kid = bytes.fromhex(key.keyid)
	if version == 4:
		hs = b""
		if issuer_fpr:
			hs += subpacket(33, b"\x04" + bytes.fromhex(key.fpr))
		if creation:
			hs += subpacket(2, created.to_bytes(4, "big"))
		if expires is not None:
			hs += subpacket(3, expires.to_bytes(4, "big"), critical=True)
		hs += hashed or b""
		us = subpacket(16, kid) + (unhashed or b"")
		head = bytes([4, sigtype, key.algo, HASHES[hash_name]]) + \
		    len(hs).to_bytes(2, "big") + hs
		h.update(head + b"\x04\xff" + len(head).to_bytes(4, "big"))
		body = head + len(us).to_bytes(2, "big") + us
	else:
		h.update(bytes([sigtype]) + created.to_bytes(4, "big"))
		body = bytes([version, 5, sigtype]) + created.to_bytes(4, "big") \
		    + kid + bytes([key.algo, HASHES[hash_name]])
	digest = h.digest()
	mp = key.sign_digest(digest, hash_name)
	if corrupt:
		mp = mp[:-1] + bytes([mp[-1] ^ 0x01])
	return body + (prefix if prefix is not None else digest[:2]) + mp


def ops_body(sigtype, hash_name, algo, keyid, last=1):
	return bytes([3, sigtype, HASHES[hash_name], algo]) + \
	    bytes.fromhex(keyid) + bytes([last])


def signed_message(key, data, algo="zip", sig=None, **kw):
	"""OPS + literal + signature (gpg's layout), compressed with ALGO
	(None: no compressed packet).  SIG: a prepared signature body."""
	sig = sig or sign_body(key, data, **kw)
	si = SigInfo(sig)
	inner = old_packet(4, ops_body(si.type, HASH_NAMES[si.hash], si.pkalgo,
	    si.keyid)) + new_packet(11, literal(data)) + old_packet(2, sig)
	return compress(inner, algo) if algo else inner


# --- GnuPG -------------------------------------------------------------------

class Key:
	"""A key in a Gpg home: primary fingerprint, key ID, and the
	subkeys' fingerprints by usage letter."""

	def __init__(self, name, fpr, created, expires=None):
		self.name = name
		self.fpr = fpr
		self.keyid = fpr[-16:]
		self.created = created
		self.expires = expires	# absolute Unix time or None
		self.subkeys = {}	# usage letter ("s", "a") -> fingerprint

	def __repr__(self):
		return "Key(%s %s)" % (self.name, self.fpr)


class Gpg:
	"""A GnuPG home in the lab and the keys made in it."""

	def __init__(self, lab):
		self.lab = lab
		self.home = lab.mkdir("gnupg")
		os.chmod(self.home, 0o700)
		self.lock = threading.Lock()
		self.keys = {}
		lab.on_close(self.close)
		with open(os.path.join(self.home, "gpg-agent.conf"), "w") as f:
			f.write("allow-loopback-pinentry\n")

	def close(self):
		subprocess.run([GPGCONF, "--homedir", self.home, "--kill", "all"],
		    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
		    timeout=10)

	def env(self):
		env = {k: v for k, v in os.environ.items() if not
		    k.startswith("GPG")}
		env["GNUPGHOME"] = self.home
		return env

	def run(self, args, data=None, faked=None, check=True):
		"""gpg --batch … ARGS with DATA on stdin; stdout bytes."""
		argv = [GPG, "--homedir", self.home, "--batch", "--no-tty",
		    "--pinentry-mode", "loopback", "--passphrase", ""]
		if faked is not None:
			argv += ["--faked-system-time", "%d!" % faked]
		argv += list(args)
		with self.lock:
			p = subprocess.run(argv, input=data or b"",
			    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
			    env=self.env(), timeout=60)
		if check and p.returncode != 0:
			raise labmod.LabError("%s: exit %d: %s" % (" ".join(argv),
			    p.returncode, p.stderr.decode(errors="replace")[-1500:]))
		return p.stdout

	def colons(self, what):
		return self.run(["--with-colons", "--fixed-list-mode",
		    "--list-keys", what]).decode()

	def gen(self, name, algo, usage="sign", expire="never", faked=None):
		"""A new primary key; NAME becomes its user ID's name."""
		uid = "ivlite %s <%s@ivlite.test>" % (name, name)
		self.run(["--quick-gen-key", uid, algo, usage, expire],
		    faked=faked)
		lines = [ln.split(":") for ln in self.colons("=" + uid)
		    .splitlines()]
		fpr = next(f[9] for f in lines if f[0] == "fpr")
		pub = next(f for f in lines if f[0] == "pub")
		k = Key(name, fpr, int(pub[5]), int(pub[6]) if pub[6] else None)
		self.keys[name] = k
		return k

	def add_subkey(self, key, algo="ed25519", usage="sign", faked=None):
		before = set(self._subkeys(key))
		self.run(["--quick-add-key", key.fpr, algo, usage, "never"],
		    faked=faked)
		new = [f for f in self._subkeys(key) if f not in before]
		key.subkeys[usage[0]] = new[0]
		return new[0]

	def _subkeys(self, key):
		out = []
		sub = False
		for ln in self.colons(key.fpr).splitlines():
			f = ln.split(":")
			if f[0] == "sub":
				sub = True
			elif f[0] == "fpr" and sub:
				out.append(f[9])
				sub = False
			elif f[0] == "pub":
				sub = False
		return out

	def _edit(self, key, commands):
		"""--edit-key with answers from --command-fd."""
		self.run(["--command-fd", "0", "--status-fd", "2", "--edit-key",
		    key.fpr], data=("\n".join(commands) + "\n").encode())

	def revoke_subkey(self, key, subfpr):
		idx = self._subkeys(key).index(subfpr) + 1
		# key N, revkey, sure?, reason 1 (compromised), text, end, ok?
		self._edit(key, ["key %d" % idx, "revkey", "y", "1",
		    "ivlite test: subkey revoked", "", "y", "save"])
		if ":r:" not in [ln for ln in self.colons(key.fpr).splitlines()
		    if ln.startswith("sub:")][idx - 1][:6]:
			raise labmod.LabError("subkey %s of %s not revoked"
			    % (subfpr, key.fpr))

	def revoke_key(self, key):
		self._edit(key, ["revkey", "y", "1", "ivlite test: key revoked", "",
		    "y", "save"])
		if not self.colons(key.fpr).startswith("pub:r:") and \
		    "\npub:r:" not in self.colons(key.fpr):
			raise labmod.LabError("key %s not revoked" % key.fpr)

	def revocation_certificate(self, key):
		"""The revocation certificate gpg wrote for KEY when it made it
		(openpgp-revocs.d/FPR.rev), ready to import: the leading ":"
		that guards its armor removed."""
		with open(os.path.join(self.home, "openpgp-revocs.d", key.fpr +
		    ".rev"), "rb") as f:
			return f.read().replace(b":-----BEGIN", b"-----BEGIN", 1)

	def set_expire(self, key, expire, faked=None):
		"""gpg --quick-set-expire: a new self-signature giving KEY's
		primary the expiry EXPIRE ("1d", "0" for never)."""
		self.run(["--quick-set-expire", key.fpr, expire], faked=faked)
		pub = next(ln.split(":") for ln in self.colons(key.fpr)
		    .splitlines() if ln.startswith("pub:"))
		key.expires = int(pub[6]) if pub[6] else None

	def export(self, *keys, armored=False):
		return self.run((["--armor"] if armored else []) + ["--export"] +
		    [k.fpr for k in keys])

	def export_secret(self, key):
		return self.run(["--export-secret-keys", key.fpr])

	def secret(self, key):
		"""SecretKey objects: [primary, subkeys…] of KEY."""
		return secret_keys(self.export_secret(key))

	def sign(self, data, key, compress=None, digest=None, faked=None,
	    sig_expire=None, extra=(), signer=None):
		"""`gpg --sign` of DATA (stdin, like gpgme) by KEY, or by the
		exact (sub)key SIGNER (a fingerprint) when given."""
		args = ["-u", (signer + "!") if signer else key.fpr]
		if compress:
			args += ["--compress-algo", compress]
		if digest:
			args += ["--digest-algo", digest]
		if sig_expire:
			args += ["--default-sig-expire", sig_expire]
		args += list(extra) + ["--sign"]
		if "--clearsign" in extra or "--clear-sign" in extra or \
		    "--detach-sign" in extra:
			args.remove("--sign")
		return self.run(args, data, faked=faked)

	def verify(self, msg, keyring):
		"""gpg's own verdict on MSG against KEYRING bytes, in a scratch
		home: (exit code, status lines)."""
		home = self.lab.mkdir("gnupg-verify")
		os.chmod(home, 0o700)
		try:
			ring = os.path.join(home, "ring.gpg")
			with open(ring, "wb") as f:
				f.write(keyring)
			sig = os.path.join(home, "msg")
			with open(sig, "wb") as f:
				f.write(msg)
			p = subprocess.run([GPG, "--homedir", home, "--batch",
			    "--no-default-keyring", "--keyring", ring, "--status-fd",
			    "1", "--verify", sig], stdout=subprocess.PIPE,
			    stderr=subprocess.PIPE, env=self.env(), timeout=30)
			return p.returncode, p.stdout.decode(errors="replace")
		finally:
			subprocess.run([GPGCONF, "--homedir", home, "--kill", "all"],
			    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
			shutil.rmtree(home, ignore_errors=True)


def utc(t):
	return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))


# --- lookaside ---------------------------------------------------------------

def sig_dir(base, repo, digest):
	"""Where signature-N of REPO@DIGEST lives under BASE (a directory)."""
	alg, hexd = digest.split(":", 1)
	return os.path.join(base, "%s@%s=%s" % (repo, alg, hexd))


def put_signatures(base, repo, digest, blobs):
	"""Write BLOBS as signature-1…N; a None blob leaves a gap."""
	d = sig_dir(base, repo, digest)
	os.makedirs(d, exist_ok=True)
	for i, b in enumerate(blobs):
		if b is not None:
			with open(os.path.join(d, "signature-%d" % (i + 1)), "wb") as f:
				f.write(b)
	return d


class Lookaside:
	"""A lookaside web server on 127.0.0.1 serving ROOT.

	GET /P answers the file ROOT/P (percent-decoded; 404 if missing), or
	what set(P, …) arranged: a status with a body and headers.  Every
	request path is recorded in `requests`, the raw target in `targets`.
	A base directory NAME with queries[NAME] = Q is storage behind a
	signed URL: a request under /NAME/ whose query is not exactly Q gets
	403.
	"""

	def __init__(self, lab):
		self.lab = lab
		self.root = lab.mkdir("lookaside")
		self.overrides = {}
		self.queries = {}
		self.requests = []
		self.targets = []
		self.lock = threading.Lock()
		srv = self

		class H(http.server.BaseHTTPRequestHandler):
			protocol_version = "HTTP/1.1"

			def log_message(self, *a):
				pass

			def setup(self):
				http.server.BaseHTTPRequestHandler.setup(self)
				# headers and body go out as two writes: without this,
				# Nagle + the client's delayed ACK cost 40 ms a request
				self.request.setsockopt(socket.IPPROTO_TCP,
				    socket.TCP_NODELAY, 1)

			def do_GET(self):
				u = urllib.parse.urlsplit(self.path)
				path = urllib.parse.unquote(u.path)
				with srv.lock:
					srv.requests.append(path)
					srv.targets.append(self.path)
					o = srv.overrides.get(path)
					q = srv.queries.get(path.lstrip("/").split("/")[0])
				if q is not None and u.query != q:
					return self.answer(403, b"<Error>AccessDenied: "
					    b"signature query missing</Error>",
					    {"Content-Type": "application/xml"})
				if o is not None:
					code, body, headers = o
					return self.answer(code, body, headers)
				f = os.path.normpath(os.path.join(srv.root,
				    path.lstrip("/")))
				if not f.startswith(srv.root + os.sep) or \
				    not os.path.isfile(f):
					return self.answer(404, b"404 page not found\n",
					    {"Content-Type": "text/plain"})
				with open(f, "rb") as fh:
					self.answer(200, fh.read())

			def answer(self, code, body, headers=None):
				self.send_response(code)
				h = {"Content-Type": "application/octet-stream"}
				h.update(headers or {})
				for k, v in h.items():
					self.send_header(k, v)
				self.send_header("Content-Length", str(len(body)))
				self.end_headers()
				self.wfile.write(body)

		self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
		self.server.daemon_threads = True
		self.port = self.server.server_address[1]
		self.close = labmod.serve(lab, self.server)

	def base(self, name):
		"""A fresh directory ROOT/NAME: (its path, its http:// URL)."""
		d = os.path.join(self.root, name)
		os.makedirs(d, exist_ok=True)
		return d, "http://127.0.0.1:%d/%s" % (self.port, name)

	def set(self, path, code, body=b"", headers=None):
		with self.lock:
			self.overrides[path] = (code, body, headers or {})

	def url_path(self, name, repo, digest, n):
		alg, hexd = digest.split(":", 1)
		return "/%s/%s@%s=%s/signature-%d" % (name, repo, alg, hexd, n)

	def seen(self, prefix):
		with self.lock:
			return [p for p in self.requests if p.startswith(prefix)]
