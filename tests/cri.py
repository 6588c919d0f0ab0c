#!/usr/bin/python3
"""A CRI client for one call, ImageService.PullImage, the way the kubelet
makes it: gRPC over HTTP/2 (cleartext, prior knowledge) on containerd's
unix socket.  Standard library only: no crictl or grpcio on the test
machine, so this speaks just enough HTTP/2 (RFC 9113) and HPACK (RFC
7541) to send one request and wait for the end of its answer.

The request headers go out as HPACK literals without Huffman coding
(RFC 7541 §6.2.2); the answer is read only to its end: grpc-go
Huffman-codes its header names, so what happened is read where it is
exact, in containerd's log and image list.
"""

import socket
import struct

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST, SETTINGS, PING, GOAWAY, WINDOW = 0, 1, 3, 4, 6, 7, 8
END_STREAM, END_HEADERS, ACK = 1, 4, 1


def _int(n, prefix, first=0):
	"""HPACK integer N with a PREFIX-bit prefix (RFC 7541 §5.1)."""
	top = (1 << prefix) - 1
	if n < top:
		return bytes([first | n])
	out, n = [first | top], n - top
	while n >= 128:
		out.append(n % 128 + 128)
		n //= 128
	return bytes(out + [n])


def _literal(name, value):
	"""A literal header field without indexing, new name (§6.2.2)."""
	name, value = name.encode(), value.encode()
	return b"\x00" + _int(len(name), 7) + name + _int(len(value), 7) + value


def _frame(kind, flags, stream, payload=b""):
	return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
	    struct.pack(">I", stream) + payload


def _pb_bytes(field, data):
	"""A length-delimited protobuf field."""
	n, v = len(data), b""
	while n >= 128:
		v += bytes([n % 128 + 128])
		n //= 128
	return bytes([field << 3 | 2]) + v + bytes([n]) + data


def pull_image(address, image, timeout=60):
	"""runtime.v1.ImageService/PullImage of IMAGE on the CRI socket
	ADDRESS, to the end of the answer: "answered" (the stream ended),
	"reset" (RST_STREAM or GOAWAY) or "closed"."""
	req = _pb_bytes(1, _pb_bytes(1, image.encode()))	# image.image
	msg = b"\x00" + struct.pack(">I", len(req)) + req
	hdr = b"".join(_literal(n, v) for n, v in (
	    (":method", "POST"), (":scheme", "http"),
	    (":path", "/runtime.v1.ImageService/PullImage"),
	    (":authority", "localhost"), ("content-type", "application/grpc"),
	    ("te", "trailers"), ("grpc-timeout", "%dS" % timeout)))
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.settimeout(timeout + 5)
	try:
		s.connect(address)
		s.sendall(PREFACE + _frame(SETTINGS, 0, 0) +
		    _frame(WINDOW, 0, 0, struct.pack(">I", 1 << 24)) +
		    _frame(HEADERS, END_HEADERS, 1, hdr) +
		    _frame(DATA, END_STREAM, 1, msg))
		buf = b""
		while True:
			while len(buf) < 9 or len(buf) < 9 + \
			    struct.unpack(">I", b"\0" + buf[:3])[0]:
				got = s.recv(65536)
				if not got:
					return "closed"
				buf += got
			n = struct.unpack(">I", b"\0" + buf[:3])[0]
			kind, flags = buf[3], buf[4]
			stream = struct.unpack(">I", buf[5:9])[0] & 0x7fffffff
			body, buf = buf[9:9 + n], buf[9 + n:]
			if kind == SETTINGS and not flags & ACK:
				s.sendall(_frame(SETTINGS, ACK, 0))
			elif kind == PING and not flags & ACK:
				s.sendall(_frame(PING, ACK, 0, body))
			elif kind in (HEADERS, DATA) and stream == 1 and \
			    flags & END_STREAM:
				return "answered"
			elif kind in (RST, GOAWAY):
				return "reset"
	finally:
		s.close()
