#!/usr/bin/python3
"""Run a verifier the way containerd 2.x's bindir image verifier does,
and containerd itself.

Behaviour reproduced (containerd pkg/imageverifier/bindir, the
"io.containerd.image-verifier.v1.bindir" plugin):

- VerifyImage lists bin_dir (sorted by name); a missing directory or an
  empty one allows the pull; at most max_verifiers entries are run, in
  order; the first non-zero exit blocks the pull.
- Each verifier runs as BIN -name REF -digest DIGEST -stdin-media-type
  application/vnd.oci.descriptor.v1+json, nothing else, in a new process
  group (Setpgid).
- stdin is a pipe; the parent writes the OCI descriptor as Go's
  json.Encoder does (compact, HTML-safe escapes, then "\\n") from a separate
  goroutine, then closes it; a broken pipe is only logged.
- stdout is read up to 1<<15 bytes, whitespace-trimmed, and one more byte
  is peeked: if there was one, "(stdout truncated)" is appended (no space).
  The rest is drained.  stderr is read up to 1<<15 bytes (logged at debug).
- After per_verifier_timeout (default 10 s) the whole group gets SIGKILL
  and pipe I/O stops at the same deadline.  A verifier that exited gives
  its exit code; one that died from a signal is an error (the pull fails
  with "failed to call verifier", neither allowed nor blocked).

To point ivlite at test files, wrapper_bindir() writes a bin_dir holding a
#!/bin/sh wrapper "exec IVLITE -policy FILE [opts] \\"$@\\"", which is how an
operator configures non-default paths.

Daemon runs containerd itself (Debian unstable's build in build/tools,
fetched by tests/tools) privately, and Pull is what `ctr image pull`
against it did: tests/test_containerd_real.py checks this emulation
against the real thing, and make demo ends with it.

Standard library only; run with Debian's /usr/bin/python3.
"""

import json
import os
import selectors
import shlex
import shutil
import signal
import subprocess
import threading
import time

OUTPUT_LIMIT = 1 << 15
DEFAULT_TIMEOUT = 10.0
MT_DESCRIPTOR = "application/vnd.oci.descriptor.v1+json"


class Result:
	"""The outcome of one verifier run.

	exit: the exit status, or None if the process was killed (by the
	timeout or any signal); reason: stdout as containerd reports it;
	stderr: what containerd would log; elapsed: seconds; stdout: the raw
	bytes read (up to the limit); killed: the timeout fired; signal: the
	signal that ended it, if any; stdin_error: the writer's error, if any.
	"""

	def __init__(self):
		self.exit = None
		self.reason = ""
		self.stdout = b""
		self.stderr = ""
		self.elapsed = 0.0
		self.killed = False
		self.signal = None
		self.stdin_error = None
		self.argv = []

	@property
	def verdict(self):
		"""containerd's view: "allowed", "blocked" or "error"."""
		if self.exit is None:
			return "error"
		return "allowed" if self.exit == 0 else "blocked"

	def __repr__(self):
		return ("Result(exit=%r, reason=%r, stderr=%r, elapsed=%.2f%s)"
		    % (self.exit, self.reason, self.stderr[-500:], self.elapsed,
		    ", killed" if self.killed else ""))


def go_json(obj):
	"""Bytes of obj as Go's json.Encoder.Encode writes them.

	Compact separators, UTF-8 kept as is, and the HTML-safe escapes Go
	applies by default (<, >, & and U+2028/U+2029), then a newline.
	Key order is the caller's: pass the fields in ocispec.Descriptor order
	(mediaType, digest, size, urls, annotations, data, platform,
	artifactType) to match containerd exactly.  Go sorts map keys, so
	nested maps (annotations) are sorted here.
	"""
	def sort_maps(o, top):
		if isinstance(o, dict):
			items = o.items() if top else sorted(o.items())
			return {k: sort_maps(v, False) for k, v in items}
		if isinstance(o, list):
			return [sort_maps(v, False) for v in o]
		return o
	s = json.dumps(sort_maps(obj, True), separators=(",", ":"),
	    ensure_ascii=False)
	for c, e in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
	    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
		s = s.replace(c, e)
	return (s + "\n").encode()


def descriptor(digest, size=512, media_type=None, annotations=None,
    **extra):
	"""An OCI descriptor dict in ocispec.Descriptor field order."""
	d = {"mediaType": media_type or
	    "application/vnd.oci.image.manifest.v1+json",
	    "digest": digest, "size": size}
	for k in ("urls", "annotations", "data", "platform", "artifactType"):
		if k == "annotations" and annotations:
			d[k] = annotations
		elif k in extra:
			d[k] = extra.pop(k)
	d.update(extra)
	return d


def _writer(fd, data, deadline, res):
	"""Write DATA to the pipe FD until done, deadline or broken pipe."""
	try:
		os.set_blocking(fd, False)
		sel = selectors.DefaultSelector()
		sel.register(fd, selectors.EVENT_WRITE)
		off = 0
		while off < len(data):
			left = deadline - time.monotonic()
			if left <= 0:
				res.stdin_error = "deadline exceeded"
				break
			if not sel.select(left):
				continue
			try:
				off += os.write(fd, data[off:off + 65536])
			except BlockingIOError:
				continue
		sel.close()
	except BrokenPipeError:
		res.stdin_error = "broken pipe"
	except OSError as e:
		res.stdin_error = str(e)
	finally:
		try:
			os.close(fd)
		except OSError:
			pass


def _run(argv, stdin, timeout, res, env=None):
	"""Core of a containerd-style run.

	stdin: bytes written asynchronously to a pipe; b"" or None: the pipe
	is closed at once with nothing written; "devnull": /dev/null;
	"closed": the child starts with file descriptor 0 not open at all.
	"""
	res.argv = list(argv)
	in_r = in_w = None
	if stdin == "devnull":
		child_in = subprocess.DEVNULL
	elif stdin == "closed":
		child_in = subprocess.DEVNULL
		argv = ["/bin/sh", "-c", 'exec "$@" 0<&-', "sh"] + list(argv)
	else:
		in_r, in_w = os.pipe()
		child_in = in_r
	out_r, out_w = os.pipe()
	err_r, err_w = os.pipe()
	t0 = time.monotonic()
	deadline = t0 + timeout
	try:
		p = subprocess.Popen(argv, stdin=child_in, stdout=out_w,
		    stderr=err_w, process_group=0, env=env, close_fds=True)
	except OSError as e:
		for fd in (in_r, in_w, out_r, out_w, err_r, err_w):
			if fd is not None:
				os.close(fd)
		raise RuntimeError("cannot start %s: %s" % (argv[0], e))
	# the child ends belong to the child now
	for fd in (in_r, out_w, err_w):
		if fd is not None:
			os.close(fd)

	killer = threading.Timer(timeout, _kill_group, (p, res))
	killer.daemon = True
	killer.start()

	writer = None
	if in_w is not None:
		if stdin is None or stdin == b"":
			os.close(in_w)	# "stdin closed immediately"
		else:
			writer = threading.Thread(target=_writer,
			    args=(in_w, stdin, deadline, res), daemon=True)
			writer.start()

	out, err, more = _read_outputs(out_r, err_r, deadline)
	try:
		p.wait(max(0.0, deadline - time.monotonic()) + 1.0)
	except subprocess.TimeoutExpired:
		_kill_group(p, res)
		p.wait()
	killer.cancel()
	res.elapsed = time.monotonic() - t0
	if writer is not None:
		writer.join(1.0)
	if p.returncode < 0:
		res.signal = -p.returncode
		res.exit = None
	else:
		res.exit = p.returncode
	res.stdout = out
	reason = out.decode("utf-8", errors="replace").strip()
	if more:
		reason += "(stdout truncated)"
	res.reason = reason
	res.stderr = err.decode("utf-8", errors="replace")
	return res


def _kill_group(p, res):
	if p.returncode is not None:
		return
	res.killed = True
	try:
		os.killpg(p.pid, signal.SIGKILL)
	except ProcessLookupError:
		pass


def _read_outputs(out_r, err_r, deadline):
	"""Read stdout and stderr until EOF or deadline.

	Keeps OUTPUT_LIMIT bytes of each; reports whether stdout had more
	(containerd's one-byte peek).  Everything past the limits is drained
	and dropped, as containerd does.
	"""
	bufs = {out_r: bytearray(), err_r: bytearray()}
	more = False
	sel = selectors.DefaultSelector()
	for fd in bufs:
		os.set_blocking(fd, False)
		sel.register(fd, selectors.EVENT_READ)
	try:
		while sel.get_map():
			left = deadline - time.monotonic()
			if left <= 0:
				break
			for key, _ in sel.select(left):
				fd = key.fd
				try:
					chunk = os.read(fd, 65536)
				except BlockingIOError:
					continue
				if not chunk:
					sel.unregister(fd)
					continue
				b = bufs[fd]
				room = OUTPUT_LIMIT - len(b)
				if room > 0:
					b += chunk[:room]
				if len(chunk) > room and fd == out_r:
					more = True
	finally:
		sel.close()
		os.close(out_r)
		os.close(err_r)
	return bytes(bufs[out_r]), bytes(bufs[err_r]), more


def run_verifier(binpath, name, digest, desc=None, stdin=None,
    timeout=DEFAULT_TIMEOUT, env=None):
	"""Run one verifier binary exactly as containerd's runVerifier does.

	desc: a descriptor dict written with go_json(); or stdin: raw bytes
	written instead (b"" or None with desc None: stdin closed at once).
	"""
	if desc is not None and stdin is not None:
		raise ValueError("give desc or stdin, not both")
	data = go_json(desc) if desc is not None else stdin
	argv = [binpath, "-name", name, "-digest", digest,
	    "-stdin-media-type", MT_DESCRIPTOR]
	return _run(argv, data, timeout, Result(), env=env)


def run_direct(argv, stdin=b"", timeout=DEFAULT_TIMEOUT, env=None):
	"""Run any argv (e.g. ivlite with bad usage) under the same rules.

	stdin: bytes to write, b""/None to close at once, "devnull" or
	"closed" (see _run).
	"""
	return _run(list(argv), stdin, timeout, Result(), env=env)


class Judgement:
	def __init__(self, ok, reason, results, error=None):
		self.ok = ok
		self.reason = reason
		self.results = results	# [(bin name, Result)]
		self.error = error	# set when containerd would fail the call

	def __repr__(self):
		return "Judgement(ok=%r, reason=%r, error=%r)" % (self.ok,
		    self.reason, self.error)


def verify_image(bin_dir, name, desc, max_verifiers=10,
    timeout=DEFAULT_TIMEOUT, env=None):
	"""containerd's VerifyImage over a whole bin_dir."""
	try:
		entries = sorted(os.listdir(bin_dir))
	except FileNotFoundError:
		return Judgement(True, "image verifier directory %s does not "
		    "exist" % bin_dir, [])
	if not entries:
		return Judgement(True, "no image verifier binaries found in %s"
		    % bin_dir, [])
	results = []
	parts = []
	for i, b in enumerate(entries):
		if max_verifiers >= 0 and i + 1 > max_verifiers:
			break
		r = run_verifier(os.path.join(bin_dir, b), name,
		    desc["digest"], desc=desc, timeout=timeout, env=env)
		results.append((b, r))
		if r.exit is None:
			return Judgement(False, "", results, error="failed to "
			    "call verifier %s (runtime %.3fs): waiting on command "
			    "to exit: signal: killed" % (b, r.elapsed))
		if r.exit != 0:
			return Judgement(False, "verifier %s rejected image (exit "
			    "code %d): %s" % (b, r.exit, r.reason), results)
		parts.append("%s => %s" % (b, r.reason))
	return Judgement(True, ", ".join(parts), results)


def wrapper_bindir(lab, ivlite, policy, opts=(), name="ivlite"):
	"""A fresh bin_dir holding one wrapper that runs IVLITE with POLICY.

	Returns (bin_dir, wrapper path).
	"""
	d = lab.mkdir("bindir")
	w = os.path.join(d, name)
	args = " ".join(shlex.quote(a) for a in
	    [os.path.abspath(ivlite), "-policy", policy] + list(opts))
	with open(w, "w") as f:
		f.write("#!/bin/sh\nexec %s \"$@\"\n" % args)
	os.chmod(w, 0o755)
	return d, w


# --- containerd itself ----------------------------------------------------------

class Pull:
	"""One `ctr image pull`: exit status, output, seconds."""

	def __init__(self, argv, code, out, err, elapsed):
		self.argv = argv
		self.exit = code
		self.stdout = out
		self.stderr = err
		self.elapsed = elapsed

	@property
	def message(self):
		"""ctr's error message: stderr from its last line starting
		"ctr: " (a reason may span lines), trimmed; or ""."""
		err = "\n" + self.stderr
		i = err.rfind("\nctr: ")
		return err[i + 1:].strip() if i >= 0 else ""

	def __repr__(self):
		return "Pull(exit=%r, %.2f s, stderr=%r)" % (self.exit,
		    self.elapsed, self.stderr.strip()[-600:])


def _die_with_parent():
	"""In the child before exec: SIGTERM when the thread that started it
	dies (prctl PR_SET_PDEATHSIG), so a test run killed before its clean-up
	leaves no containerd behind.  Start daemons from the main thread."""
	import ctypes
	try:
		ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
	except (OSError, AttributeError):
		pass


class Daemon:
	"""A private containerd 2.x (the real binary, lab.tool("containerd")).

	Root, state, gRPC/ttrpc/debug sockets and the opt directory all live
	under one directory in build/containerd/ (so nothing under /var/lib,
	/run or /opt is touched, and parallel runs do not meet); the CRI and
	NRI plugins are off, so no Kubernetes machinery starts.  The bindir
	image verifier looks at BIN_DIR on every pull: tests change what is
	in it between pulls.  per_verifier_timeout and max_verifiers are
	written only when given, so containerd's own defaults are what the
	rest of the time is tested (a subclass may write another config(),
	and set bindir_required to start without the bindir verifier, as
	tests/test_rollout.py does).  pull() runs ctr against it; pulls go
	through the transfer service (ctr's default in 2.x, where verifiers
	run) unless local=True.  The snapshotter is overlayfs when containerd
	reports it usable here, else native.  stop() (or the lab closing)
	ends it and removes the directory.
	"""

	bindir_required = True

	def __init__(self, lab, bin_dir, name="test", timeout=None,
	    max_verifiers=None, log_level="debug"):
		import lab as labmod
		self.lab = lab
		self.labmod = labmod
		self.bin = labmod.tool("containerd")
		self.ctr = labmod.tool("ctr")
		self.version = labmod.tool_version("containerd")
		self.bin_dir = bin_dir
		self.timeout = timeout
		self.max_verifiers = max_verifiers
		self.log_level = log_level
		base = os.path.join(labmod.TOP, "build", "containerd")
		self.dir = os.path.join(base, "%s-%d-%d" % (name, os.getpid(),
		    id(self) % 100000))
		# a unix socket path must fit in sun_path (108 bytes)
		if len(self.dir) > 80:
			self.dir = lab.mkdir("containerd-" + name)
		self.address = os.path.join(self.dir, "containerd.sock")
		self.config_path = os.path.join(self.dir, "config.toml")
		self.log_path = os.path.join(self.dir, "containerd.log")
		self.proc = None
		self.snapshotter = None

	def config(self):
		"""The config.toml text (version 3)."""
		d = self.dir
		v = ['version = 3', 'root = "%s/root"' % d,
		    'state = "%s/state"' % d,
		    'disabled_plugins = ["io.containerd.grpc.v1.cri", '
		    '"io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime", '
		    '"io.containerd.podsandbox.controller.v1.podsandbox", '
		    '"io.containerd.nri.v1.nri"]', '',
		    '[grpc]', '  address = "%s"' % self.address, '',
		    '[ttrpc]', '  address = "%s.ttrpc"' % self.address, '',
		    '[debug]', '  address = "%s/debug.sock"' % d,
		    '  level = "%s"' % self.log_level, '',
		    '[plugins."io.containerd.internal.v1.opt"]',
		    '  path = "%s/opt"' % d, '',
		    '[plugins."io.containerd.image-verifier.v1.bindir"]',
		    '  bin_dir = "%s"' % self.bin_dir]
		if self.max_verifiers is not None:
			v.append('  max_verifiers = %d' % self.max_verifiers)
		if self.timeout is not None:
			v.append('  per_verifier_timeout = "%s"' % self.timeout)
		return "\n".join(v) + "\n"

	def start(self):
		LabError = self.labmod.LabError
		base = os.path.join(self.labmod.TOP, "build", "containerd")
		# what runs killed before their clean-up left (NAME-PID-N)
		for old in os.listdir(base) if os.path.isdir(base) else ():
			pid = old.split("-")[-2:-1]
			if pid and pid[0].isdigit() and \
			    not os.path.exists("/proc/" + pid[0]):
				shutil.rmtree(os.path.join(base, old),
				    ignore_errors=True)
		shutil.rmtree(self.dir, ignore_errors=True)
		os.makedirs(self.dir, mode=0o700)
		with open(self.config_path, "w") as f:
			f.write(self.config())
		log = open(self.log_path, "ab")
		try:
			self.proc = subprocess.Popen([self.bin, "--config",
			    self.config_path], stdin=subprocess.DEVNULL, stdout=log,
			    stderr=subprocess.STDOUT, cwd=self.dir,
			    start_new_session=True, preexec_fn=_die_with_parent)
		finally:
			log.close()
		self.lab.on_close(self.stop)
		deadline = time.monotonic() + 20
		while True:
			if self.proc.poll() is not None:
				raise LabError("containerd %s exited with status %d: %s"
				    % (self.version, self.proc.returncode,
				    self.log_tail()))
			p = self.run_ctr(["version"], check=False, timeout=5)
			if p.returncode == 0:
				break
			if time.monotonic() > deadline:
				self.stop()
				raise LabError("containerd did not answer on %s in 20 s:"
				    " %s" % (self.address, self.log_tail()))
			time.sleep(0.05)
		plugins = self.run_ctr(["plugins", "ls"]).stdout
		self.snapshotter = "native"
		for ln in plugins.splitlines():
			f = ln.split()
			if f[:2] == ["io.containerd.snapshotter.v1", "overlayfs"] \
			    and f[-1] == "ok":
				self.snapshotter = "overlayfs"
		if self.bindir_required and not any(ln.split()[:2] ==
		    ["io.containerd.image-verifier.v1", "bindir"] and
		    ln.split()[-1] == "ok" for ln in plugins.splitlines()):
			self.stop()
			raise LabError("containerd: the bindir image verifier plugin "
			    "is not loaded: %s" % plugins)
		return self

	def run_ctr(self, args, check=True, timeout=60):
		return self.labmod.run([self.ctr, "--address", self.address]
		    + list(args), check=check, timeout=timeout,
		    env=self.labmod.offline_env(self.dir))

	def pull(self, ref, plain_http=True, local=False, platform=None,
	    all_platforms=False, timeout=90):
		"""ctr image pull REF; a Pull (never raises on exit status)."""
		argv = [self.ctr, "--address", self.address, "image", "pull",
		    "--snapshotter", self.snapshotter]
		if plain_http:
			argv.append("--plain-http")
		if local:
			argv.append("--local")
		if platform:
			argv += ["--platform", platform]
		if all_platforms:
			argv.append("--all-platforms")
		argv.append(ref)
		t0 = time.monotonic()
		p = self.labmod.run(argv, check=False, timeout=timeout,
		    env=self.labmod.offline_env(self.dir))
		return Pull(argv, p.returncode, p.stdout, p.stderr,
		    time.monotonic() - t0)

	def images(self):
		"""{reference: digest} of the images containerd holds."""
		out = self.run_ctr(["image", "ls"]).stdout.splitlines()
		return {f[0]: f[2] for f in (ln.split() for ln in out[1:])
		    if len(f) >= 3}

	def log(self):
		try:
			with open(self.log_path, "rb") as f:
				return f.read().decode(errors="replace")
		except OSError:
			return ""

	def log_tail(self, n=1500):
		return self.log()[-n:].strip() or "(no log)"

	def verifier_log(self, digest):
		"""containerd's log entries about verifying DIGEST, as dicts
		(msg, name, reason, …) parsed from its logfmt lines."""
		import shlex
		out = []
		for ln in self.log().splitlines():
			if digest not in ln or "erif" not in ln:
				continue
			try:
				kv = dict(w.split("=", 1) for w in shlex.split(ln)
				    if "=" in w)
			except ValueError:
				continue
			out.append(kv)
		return out

	def stop(self):
		if self.proc is not None:
			self.lab.kill(self.proc)
			self.proc = None
			shutil.rmtree(self.dir, ignore_errors=True)
