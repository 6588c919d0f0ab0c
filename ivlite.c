/* ivlite - container image signature verifier for containerd's bindir.
 *
 * containerd 2.x runs, for every image it pulls,
 *
 *	ivlite -name REF -digest DIGEST -stdin-media-type MEDIATYPE
 *
 * with the OCI descriptor of DIGEST on stdin.  ivlite judges the image by
 * the rules of containers-policy.json(5), the file Podman and CRI-O read,
 * prints one line saying why, and exits 0 to allow the pull or non-zero to
 * block it (1 rejected, 2 bad usage or configuration, 3 undecided).
 *
 * Data flows options -> policy.json -> reference -> scope -> requirements
 * -> verdict -> one line on stdout.  Every input has a limit from
 * config.h, all memory comes from one arena, and the first error wins and
 * becomes the reason.  Nothing accepts but the end of judge(), and only
 * when every requirement of the matched scope held.
 *
 * The file is built bottom-up in numbered sections (grep '^/\* == '): each
 * calls only those above it, but for the few functions section 3 declares.
 * A requirement type (a signature format) is a section and a row of
 * reqtypes[].  Start reading at main().
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/asn1.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

/* mbedTLS 2.28 (Debian 12) and 3.x (3.1 to 3.6 LTS, Debian 13): what
 * differs between them, here alone (a port changes this block, the crypto
 * and TLS sections, nothing else) */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define sha256_ret	mbedtls_sha256
#define sha512_ret	mbedtls_sha512
#define pk_parse_key(pk, key, n, rng, rngctx) \
	mbedtls_pk_parse_key((pk), (key), (n), NULL, 0, (rng), (rngctx))
/* what a server that does not speak TLS (plain HTTP) makes the handshake
 * fail with, besides MBEDTLS_ERR_SSL_INVALID_RECORD: 3.x has no error
 * for a ServerHello alone (DECODE_ERROR is any message) */
#define TLS_ERR_NOT_TLS	MBEDTLS_ERR_SSL_INVALID_RECORD
#define TLS_ERR_BAD_CERT	MBEDTLS_ERR_SSL_BAD_CERTIFICATE
#else
#define sha256_ret	mbedtls_sha256_ret
#define sha512_ret	mbedtls_sha512_ret
#define pk_parse_key(pk, key, n, rng, rngctx) \
	mbedtls_pk_parse_key((pk), (key), (n), NULL, 0)
#define TLS_ERR_NOT_TLS	MBEDTLS_ERR_SSL_BAD_HS_SERVER_HELLO
#define TLS_ERR_BAD_CERT	MBEDTLS_ERR_SSL_BAD_HS_CERTIFICATE
#endif
#if MBEDTLS_VERSION_NUMBER >= 0x03020000
#define tls_conf_min_12(conf) \
	mbedtls_ssl_conf_min_tls_version((conf), MBEDTLS_SSL_VERSION_TLS1_2)
#else
#define tls_conf_min_12(conf) \
	mbedtls_ssl_conf_min_version((conf), MBEDTLS_SSL_MAJOR_VERSION_3, \
	    MBEDTLS_SSL_MINOR_VERSION_3)
#endif
#if MBEDTLS_VERSION_NUMBER >= 0x03010000	/* TLS groups by IANA number */
typedef uint16_t TlsGroup;
#define TLS_GROUP(name)	MBEDTLS_SSL_IANA_TLS_GROUP_ ## name
#define tls_conf_groups	mbedtls_ssl_conf_groups
#else
typedef mbedtls_ecp_group_id TlsGroup;
#define TLS_GROUP(name)	MBEDTLS_ECP_DP_ ## name
#define tls_conf_groups	mbedtls_ssl_conf_curves
#endif
/* TLS 1.3 (3.x's MBEDTLS_SSL_PROTO_TLS1_3; 2.28's was experimental): its
 * cipher suites join the TLS 1.2 ones; a server may send NewSessionTicket
 * at any time, which 3.0 to 3.5 report from mbedtls_ssl_read() */
#ifdef MBEDTLS_SSL_PROTO_TLS1_3
#define TLS13_SUITES	MBEDTLS_TLS1_3_AES_128_GCM_SHA256, \
	MBEDTLS_TLS1_3_AES_256_GCM_SHA384, \
	MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
#define TLS_VERSIONS	"TLS 1.2 and 1.3"
#define TLS_REFUSED	"TLS 1.2 and 1.3, the versions this ivlite speaks"
#else
#define TLS13_SUITES
#define TLS_VERSIONS	"TLS 1.2"
#define TLS_REFUSED	"TLS 1.2, the one version this ivlite speaks " \
	"(TLS 1.3 needs it built with mbedTLS 3.6, not " \
	MBEDTLS_VERSION_STRING ")"
#endif
#ifdef MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET
#define TLS_ERR_TICKET	MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET
#else
#define TLS_ERR_TICKET	MBEDTLS_ERR_SSL_WANT_READ	/* read again */
#endif
/* PSA crypto, which TLS 1.3 always uses and a MBEDTLS_USE_PSA_CRYPTO
 * build uses for every signature and certificate too: psa_crypto_init()
 * must have run before (cry_init) */
#if defined(MBEDTLS_USE_PSA_CRYPTO) || defined(MBEDTLS_SSL_PROTO_TLS1_3)
#include <psa/crypto.h>
#define psa_start()	(psa_crypto_init() == PSA_SUCCESS ? 0 : -1)
#else
#define psa_start()	0
#endif
#ifdef MBEDTLS_USE_PSA_CRYPTO
#define PSA_KEYS	1
#else
#define PSA_KEYS	0
#endif
#ifndef MBEDTLS_PRIVATE	/* mbedTLS 3 hides struct members behind it */
#define MBEDTLS_PRIVATE(m) m
#endif

/* config.h holds only paths and limits, so it comes before the types that
 * size their arrays with it */
#include "config.h"

#ifndef VERSION
#define VERSION "unknown"
#endif

#define LEN(a)		(sizeof(a) / sizeof((a)[0]))
enum { FaultConnect, FaultHandshake, FaultSend, FaultRecv, FaultAlloc };
#define REF_NAME_MAX	255	/* distribution/reference NameTotalLengthMax */
#define REF_TAG_MAX	128
#define DIGEST_MAX	(7 + 128)	/* "sha512:" and 128 hex digits */
#define QUOTE_SIZE	(4 * MAX_QUOTE + 8)	/* quote()d text */
#define HOST_MAX	REF_NAME_MAX	/* a registry host as written */
#define AUTH_SIZE	(HOST_MAX + 16)	/* host:port and NUL */
#define NOMEM		"out of memory: ARENA_BYTES spent"	/* a reason, never NULL */

/* == 2. Types ============================================================
 * The types that cross sections; each section defines its own.  Exit
 * statuses double as error classes: an Err carries the status main()
 * will exit with. */

enum { ExitAccept, ExitReject, ExitConfig, ExitUndecided };

enum {				/* signedIdentity types; the first is the default */
	IdMatchRepoDigestOrExact, IdMatchExact, IdMatchRepository,
	IdExactReference, IdExactRepository, IdRemap,
	IdNone			/* no signedIdentity: reported, not checked */
};

enum { SrcKeys, SrcFulcio, SrcPKI };	/* where sigstoreSigned trusts from */

typedef struct {
	int code;		/* exit status of the first failure; 0: none yet */
	char msg[MAX_REASON];
} Err;

typedef struct {
	unsigned char *base;
	size_t used, cap;
	int spent;		/* an allocation failed: no acceptance */
} Arena;

typedef struct {
	char *p;		/* NUL-terminated, n bytes */
	size_t n;
} Str;

typedef struct {		/* a ceiling from config.h, and its name */
	size_t max;
	const char *name;	/* NULL: a longer HTTP body is cut, no error */
} Limit;
#define LIMIT_INIT(x)	{ (size_t)(x), #x }
#define LIMIT(x)	((Limit){ (size_t)(x), #x })	/* #x: no expansion */

typedef struct {
	const char *file;	/* names the document in errors */
	const char *s;		/* the text; tokens index into it */
	jsmntok_t *t;
	int nt;
	int code;		/* exit status for errors in this document */
} Json;

typedef struct {
	const char *key;
	jsmntype_t type;	/* JSMN_STRING…; JSMN_UNDEFINED: any */
} Field;

typedef struct {
	char name[REF_NAME_MAX + 1];	/* domain "/" path, normalized */
	size_t domlen;			/* name[0..domlen) is the domain */
	char tag[REF_TAG_MAX + 1];	/* "" when none */
	char digest[DIGEST_MAX + 1];	/* "" when none */
	int deftag;			/* tag is the implied "latest" */
} Ref;

typedef struct {		/* a key, keyring or CA set: a file or inline */
	const char *path;	/* NULL for inline data */
	const unsigned char *data;
	size_t len;
	const char *at;		/* policy path of the field, for messages */
} Blob;

typedef struct {
	int type;		/* IdMatchRepoDigestOrExact… */
	Ref ref;		/* exactReference, exactRepository */
	const char *prefix, *signedprefix;	/* remapIdentity */
} Ident;

typedef struct {
	int type;		/* its row in reqtypes[] */
	const char *at;		/* policy path: transports.docker["x"][0] */
	const char *desc;	/* how reasons name it: signedBy(keyPath=/k) */
	int keytype;		/* signedBy: KeyGPG… */
	int src;		/* sigstoreSigned: SrcKeys… */
	const char *keyfield;	/* which of keyPath, keyPaths… gave keys */
	Blob *keys;
	int nkeys;
	Blob *rekor;		/* rekorPublicKey* */
	int nrekor;
	Blob ca, inter;		/* fulcio CA; pki roots and intermediates */
	Blob trust;		/* sigstoreBundle's trustedRootPath */
	const char *issuer, *email, *hostname;
	Ident id;		/* signedIdentity, baseLayerIdentity */
	const void *own;	/* its type's own members (its load), or NULL */
} Req;

typedef struct {
	const char *transport;	/* NULL for "default" */
	const char *key;	/* the scope as written */
	const char *at;		/* how reasons name it: transports.docker["x"] */
	Req *req;
	int nreq;
} Scope;

typedef struct {
	const char *file;
	Scope *scope;		/* [0] is "default", then every transport's */
	int nscope;
} Policy;

typedef struct Run Run;

typedef struct {		/* one signature candidate, for -o json */
	const char *source;	/* "referrers API", "legacy .sig"… */
	const char *format;	/* "bundle v0.3", "legacy .sig", "referrer" */
	const char *signer;	/* the key or certificate that verified */
	const char *why;	/* NULL: valid */
} Found;

typedef struct {		/* one requirement's outcome, for -o json */
	const char *desc;
	int ok;
	const char *detail;
	const Found *found;	/* its candidates, when its type lists them */
	int nfound;
} Result;

/* A requirement type: its row in reqtypes[] is the only dispatch on
 * Req.type (policy loading, -check, judgement, -o json, the cache). */
typedef struct {
	const char *name;	/* "type" in policy.json */
	const Field *fields;	/* its members, "type" included (FIELDS) */
	int nfields;
	/* the members (value tokens v[] by fields, -1 absent) into r, after
	 * json_fields checked them: configuration errors; NULL: none */
	int (*load)(const Json *j, const int *v, Req *r, Arena *a, Err *e);
	/* loads what q trusts (keys, CAs) and drops it again, so that a bad
	 * key file is a configuration error before any network work (-check,
	 * a run without -digest); NULL: nothing */
	int (*trust)(Run *run, const Req *q, Err *e);
	/* judges q for the run's image: res->ok and a reason in res->detail
	 * (never NULL); -1 only with e set (network, configuration) */
	int (*check)(Run *run, const Req *q, Result *res, Err *e);
	int sig;		/* needs a signature: the cache may keep it */
	/* -check's warning about q in policy file policyfile, or NULL;
	 * NULL: none */
	const char *(*warn)(const Req *q, const char *policyfile);
} ReqType;

/* a field table and its length, which pol_req's v[REQ_FIELDS] holds */
#define REQ_FIELDS	16
#define FIELDS(f)	(f), (int)(LEN(f) + 0 * sizeof(char[LEN(f) <= \
			    REQ_FIELDS ? 1 : -1]))

typedef struct {
	int exit;		/* ExitAccept only when every requirement held */
	const Scope *scope;
	const char *kept;	/* a verdict-cache hit: the line it kept */
	Result res[MAX_REQS];
} Verdict;

typedef struct {
	const char *policy, *regd, *certsd, *cafile, *mediatype;
	const char *name, *digest;
	const char *dtype;	/* the stdin descriptor's mediaType, or NULL */
	long long dsize;	/* and its size, -1: none */
	const char *auth[LEN(authfiles)];	/* NULL-terminated */
	const char *insecure[MAX_INSECURE + 1];	/* NULL-terminated */
	const char *log, *ctrdconfig;	/* -log, -containerd-config */
	int timeout, json, check, strict, version, help;
	int audit, batch, doctor;
	unsigned seen;		/* single-valued options given, by bit */
	long long deadline;	/* CLOCK_MONOTONIC, milliseconds */
} Opts;

/* == 3. Function declarations =========================================== */

/* Called above their definitions: policy loading finds requirement types
 * in the table that follows the formats' sections; -batch judges each
 * image as main() does. */
static const ReqType *reqtype(int type);
static int main_image(Run *run, const Policy *p, const Str *pol, Opts *o,
    Err *e);

/* == 4. Configuration checks and globals ================================ */

#if MAX_REASON >= 32768
#error "MAX_REASON: containerd reads at most 32 KiB of stdout"
#endif
#if MAX_POLICY_BYTES >= INT_MAX || MAX_DESCRIPTOR_BYTES >= INT_MAX
#error "JSON documents must stay under INT_MAX: jsmn offsets are int"
#endif
#if MAX_REQS < 1 || MAX_KEYS < 1 || MAX_QUOTE < 8
#error "limits too small"
#endif
#if CONN_BUF < MAX_HEADER_LINE || CONN_BUF < 4200
#error "CONN_BUF must hold a header line and a chunk size line"
#endif
#if TIMEOUT_SECS < 1 || TIMEOUT_SECS > MAX_TIMEOUT_SECS
#error "TIMEOUT_SECS out of range"
#endif
#if MAX_REFERRERS < 1 || MAX_REFERRER_PAGES < 1 || MAX_SUBJECTS < 1
#error "MAX_REFERRERS, MAX_REFERRER_PAGES and MAX_SUBJECTS must be 1 or more"
#endif
#if MAX_CHAIN_CERTS < 1 || MAX_CRLS < 1 || MAX_CBOR_DEPTH < 2 || \
    MAX_ENVELOPE_BYTES >= INT_MAX
#error "notation limits out of range"
#endif
#if MAX_TLOG_ENTRIES < 1 || MAX_TIMESTAMPS < 1 || MAX_PROOF_HASHES < 1 || \
    MAX_NOTE_SIGS < 1 || MAX_ROOT_ENTRIES < 1 || MAX_REGEX_STATES < 16
#error "the keyless limits must be 1 or more (MAX_REGEX_STATES 16)"
#endif
#if MAX_ROOT_ENTRIES > 1024 || MAX_REGEX_STATES > 16384
#error "MAX_ROOT_ENTRIES and MAX_REGEX_STATES size arrays on the stack"
#endif
#if CACHE_SECONDS < 0 || MAX_CACHE_ENTRIES < 1
#error "CACHE_SECONDS must be 0 (no cache) or more, MAX_CACHE_ENTRIES 1 or more"
#endif
#if MAX_LOG_BYTES < 1 || MAX_BATCH_LINES < 1 || MAX_BATCH_LINE < 256 || \
    MAX_TOML_BYTES >= INT_MAX || MAX_TOML_KEYS < 16 || MAX_TOML_DEPTH < 2 || \
    MAX_TOML_FILES < 1 || MAX_BINDIR_FILES < 1
#error "verdict log, -batch or -doctor limits out of range"
#endif

/* what -version prints: every limit, from the macros themselves */
static const Limit limits[] = {
	LIMIT_INIT(TIMEOUT_SECS),
	LIMIT_INIT(MAX_TIMEOUT_SECS),
	LIMIT_INIT(ARENA_BYTES),
	LIMIT_INIT(MAX_REASON),
	LIMIT_INIT(MAX_QUOTE),
	LIMIT_INIT(MAX_POLICY_BYTES),
	LIMIT_INIT(MAX_KEY_BYTES),
	LIMIT_INIT(MAX_DESCRIPTOR_BYTES),
	LIMIT_INIT(MAX_JSON_TOKENS),
	LIMIT_INIT(MAX_JSON_DEPTH),
	LIMIT_INIT(MAX_SCOPES),
	LIMIT_INIT(MAX_REQS),
	LIMIT_INIT(MAX_KEYS),
	LIMIT_INIT(MAX_ARG_BYTES),
	LIMIT_INIT(MAX_INSECURE),
	LIMIT_INIT(MAX_AUTH_BYTES),
	LIMIT_INIT(MAX_CERTSD_FILES),
	LIMIT_INIT(MAX_CA_BYTES),
	LIMIT_INIT(MAX_HEADER_BYTES),
	LIMIT_INIT(MAX_HEADER_LINE),
	LIMIT_INIT(MAX_HEADERS),
	LIMIT_INIT(MAX_REDIRECTS),
	LIMIT_INIT(MAX_MANIFEST_BYTES),
	LIMIT_INIT(MAX_BLOB_BYTES),
	LIMIT_INIT(MAX_TOKEN_BYTES),
	LIMIT_INIT(MAX_ERROR_BYTES),
	LIMIT_INIT(MAX_CONNS),
	LIMIT_INIT(MAX_TRUST),
	LIMIT_INIT(CONN_BUF),
	LIMIT_INIT(MAX_REGD_FILES),
	LIMIT_INIT(MAX_REGD_BYTES),
	LIMIT_INIT(MAX_REGD_SCOPES),
	LIMIT_INIT(MAX_WARNINGS),
	LIMIT_INIT(MAX_SIGS),
	LIMIT_INIT(MAX_REFERRERS),
	LIMIT_INIT(MAX_REFERRER_PAGES),
	LIMIT_INIT(MAX_REFERRER_BYTES),
	LIMIT_INIT(MAX_BUNDLE_BYTES),
	LIMIT_INIT(MAX_SUBJECTS),
	LIMIT_INIT(MAX_ENVELOPE_BYTES),
	LIMIT_INIT(MAX_CHAIN_CERTS),
	LIMIT_INIT(MAX_CBOR_DEPTH),
	LIMIT_INIT(MAX_STORE_FILES),
	LIMIT_INIT(MAX_CRL_BYTES),
	LIMIT_INIT(MAX_CRLS),
	LIMIT_INIT(MAX_TLOG_ENTRIES),
	LIMIT_INIT(MAX_TIMESTAMPS),
	LIMIT_INIT(MAX_PROOF_HASHES),
	LIMIT_INIT(MAX_NOTE_SIGS),
	LIMIT_INIT(MAX_ROOT_ENTRIES),
	LIMIT_INIT(MAX_REGEX_STATES),
	LIMIT_INIT(MAX_LOOKASIDE),
	LIMIT_INIT(MAX_INFLATE_BYTES),
	LIMIT_INIT(MAX_PGP_KEYS),
	LIMIT_INIT(MAX_PGP_SIGS),
	LIMIT_INIT(MIN_RSA_BITS),
	LIMIT_INIT(CHECK_EXPIRY_DAYS),
	LIMIT_INIT(MAX_NC_CHECKS),
	LIMIT_INIT(CACHE_SECONDS),
	LIMIT_INIT(MAX_CACHE_ENTRIES),
	LIMIT_INIT(AUDIT),
	LIMIT_INIT(MAX_LOG_BYTES),
	LIMIT_INIT(MAX_BATCH_LINES),
	LIMIT_INIT(MAX_BATCH_LINE),
	LIMIT_INIT(MAX_TOML_BYTES),
	LIMIT_INIT(MAX_TOML_KEYS),
	LIMIT_INIT(MAX_TOML_DEPTH),
	LIMIT_INIT(MAX_TOML_FILES),
	LIMIT_INIT(MAX_BINDIR_FILES),
};

static int verbose;		/* -v: log steps to stderr */
static long cachesecs = CACHE_SECONDS;	/* tests/ivlite-faults: from env */

/* == 5. Errors and log ===================================================
 * fail() records only the first cause (later ones are consequences) and
 * returns -1 so callers can `return fail(…)`.  A message longer than the
 * reason line ends in "…", never silently cut.  With e NULL the caller
 * wants no message: it says what failed itself (a *why, a fallback text),
 * and an arena that ran out stays marked spent (ar_alloc). */

static int
fail(Err *e, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!e || e->code)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		snprintf(e->msg, sizeof(e->msg), "(unprintable error)");
	else if ((size_t)n >= sizeof(e->msg))
		memcpy(e->msg + sizeof(e->msg) - 4, "\xe2\x80\xa6", 4);
	return -1;
}

static void
logv(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	fputs("ivlite: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int auditing;		/* -audit: verdicts reported, every pull allowed */

/* The exit status of verdict code: code, or under -audit an allowed pull
 * whatever the verdict.  Besides judge(), the one source of ExitAccept
 * (tests/test_robust.py audits both). */
static int
exit_status(int code)
{
	return auditing ? ExitAccept : code;
}

/* s as a JSON string (null for NULL) after the text in buf, n bytes; -1
 * when it does not fit, buf unchanged */
static int
jstr_cat(char *buf, size_t n, const char *s)
{
	size_t k = strlen(buf), start = k;
	unsigned char c;

	if (k + 5 > n)
		return -1;
	if (!s) {
		memcpy(buf + k, "null", 5);
		return 0;
	}
	for (buf[k++] = '"'; *s && k + 8 < n; s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[k++] = '\\';
			buf[k++] = (char)c;
		} else if (c < 0x20) {
			k += (size_t)snprintf(buf + k, 7, "\\u%04x", c);
		} else {
			buf[k++] = (char)c;
		}
	}
	if (*s) {
		buf[start] = '\0';
		return -1;
	}
	buf[k++] = '"';
	buf[k] = '\0';
	return 0;
}

/* An error line, "error: [LABEL: ]MSG", under -audit "audit: would
 * block[ LABEL]: MSG".  label names the image where the line stands
 * alone (-audit, -batch: containerd adds no name), else "".  A line
 * longer than n ends in "…". */
static void
err_line(char *buf, size_t n, const char *label, const char *msg)
{
	int r = auditing ? snprintf(buf, n, "audit: would block%s%s: %s",
	    *label ? " " : "", label, msg) : snprintf(buf, n, "error: %s%s%s",
	    label, *label ? ": " : "", msg);

	if (r < 0 || (size_t)r >= n)
		memcpy(buf + n - 4, "\xe2\x80\xa6", 4);
}

/* The watchdog: main() arms alarm() for -timeout + 1 s (-batch: for each
 * image).  Waits that poll fail cleanly at the deadline; this covers what
 * cannot be interrupted (getaddrinfo) by printing the line prepared for
 * the current step, and appending it to the verdict log if there is one. */
static char wdline[2 * MAX_REASON], wdlog[4 * MAX_REASON], wdhead[4096];
static char wdlabel[QUOTE_SIZE + DIGEST_MAX + 8];
static size_t wdlen, wdloglen;
static int wdjson, wdsecs, wdfd = -1;
static long long wdat;		/* when it goes off (time(), seconds) */

static void
watchdog_step(const char *what)
{
	char msg[512], text[sizeof(wdlabel) + sizeof(msg) + 32];

	snprintf(msg, sizeof(msg), "%.256s: timed out (-timeout %d s)", what,
	    wdsecs);
	err_line(text, sizeof(text), wdlabel, msg);
	wdline[0] = '\0';
	if (wdjson)
		snprintf(wdline, sizeof(wdline), "{\"verdict\":\"error\","
		    "\"exit\":%d,%s\"reference\":null,\"digest\":null,\"scope\":"
		    "null,\"requirements\":[],\"reason\":",
		    exit_status(ExitUndecided), auditing ? "\"audit\":true," : "");
	if (!wdjson || jstr_cat(wdline, sizeof(wdline) - 2, text) < 0)
		snprintf(wdline, sizeof(wdline), "%s", text);	/* cannot be */
	strcat(wdline, *wdline == '{' ? "}\n" : "\n");
	wdlen = strlen(wdline);
	snprintf(wdlog, sizeof(wdlog), "%s", wdhead);
	wdloglen = wdfd >= 0 && jstr_cat(wdlog, sizeof(wdlog) - 2, text) == 0 ?
	    strlen(strcat(wdlog, "}\n")) : 0;
}

static void
watchdog(int sig)
{
	ssize_t r;

	(void)sig;
	r = write(1, wdline, wdlen);
	if (wdloglen)
		r = write(wdfd, wdlog, wdloglen);
	(void)r;
	_exit(exit_status(ExitUndecided));
}

/* -timeout + 1 s from now, the line in -o json if json */
static void
watchdog_arm(int json, int secs)
{
	wdjson = json;
	wdsecs = secs;
	wdat = (long long)time(NULL) + secs + 1;
	watchdog_step("verification");
	signal(SIGALRM, watchdog);
	alarm((unsigned)secs + 1);
}

/* The image the watchdog's line names (label, as err_line) and the
 * verdict log's line for it up to its reason (head, for log fd; -1: no
 * log) */
static void
watchdog_image(const char *label, int fd, const char *head)
{
	snprintf(wdlabel, sizeof(wdlabel), "%s", label);
	snprintf(wdhead, sizeof(wdhead), "%s", head);
	wdfd = fd;
	watchdog_step("verification");
}

#ifdef IVLITE_FAULTS
/* Test builds only (tests/ivlite-faults): IVLITE_FAULT=OP:N makes the Nth
 * OP (connect, handshake, send, recv, alloc: an arena allocation) fail;
 * IVLITE_FAULT=count prints how many of each a run did.  IVLITE_ARENA=BYTES
 * caps the arena. */
static const char *fault_ops[] = {
	"connect", "handshake", "send", "recv", "alloc"
};
static int fault_count[LEN(fault_ops)];

static void
fault_report(void)
{
	fprintf(stderr, "ivlite-fault: connect=%d handshake=%d send=%d "
	    "recv=%d alloc=%d\n", fault_count[0], fault_count[1],
	    fault_count[2], fault_count[3], fault_count[4]);
}

static int
fault(int op)
{
	static int init, want = -1;
	static long nth;
	const char *s = getenv("IVLITE_FAULT");
	size_t i;

	if (!init) {
		init = 1;
		if (s && !strcmp(s, "count"))
			atexit(fault_report);
		for (i = 0; s && i < LEN(fault_ops); i++)
			if (!strncmp(s, fault_ops[i], strlen(fault_ops[i])) &&
			    s[strlen(fault_ops[i])] == ':') {
				want = (int)i;
				nth = strtol(s + strlen(fault_ops[i]) + 1, NULL, 10);
			}
	}
	return ++fault_count[op] == nth && op == want;
}

/* the arena cap and verdict cache the test build takes from the
 * environment */
static void
fault_env(Arena *a)
{
	if (getenv("IVLITE_ARENA"))
		a->cap = (size_t)strtoul(getenv("IVLITE_ARENA"), NULL, 10);
	if (getenv("IVLITE_CACHE_DIR")) {
		cachedir = getenv("IVLITE_CACHE_DIR");
		cachesecs = getenv("IVLITE_CACHE_SECONDS") ?
		    strtol(getenv("IVLITE_CACHE_SECONDS"), NULL, 10) : 0;
	}
}
#else
#define fault(op) 0
#define fault_env(a) ((void)(a))
#endif

/* == 6. Memory, text, digests ============================================
 * One arena per run, never freed piecemeal: running out is an error that
 * names ARENA_BYTES.  Text from outside is quoted with ar_quote().  Base64,
 * hex and digests (SHA-2 through the compatibility names of section 1). */

static int ar_spent(Err *e);

static void *
ar_alloc(Arena *a, size_t n, Err *e)
{
	size_t off = (a->used + 15) & ~(size_t)15;

	if (off > a->cap || n > a->cap - off || fault(FaultAlloc)) {
		a->spent = 1;	/* even when e is NULL */
		ar_spent(e);
		return NULL;
	}
	a->used = off + n;
	return a->base + off;
}

static int
ar_spent(Err *e)
{
	return fail(e, ExitUndecided, "out of memory: ARENA_BYTES (%ld) spent",
	    (long)ARENA_BYTES);
}

/* NULL only with e set: for what a caller cannot do without */
static char *
ar_vprintf(Arena *a, Err *e, const char *fmt, va_list ap)
{
	va_list aq;
	char *p;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0) {
		fail(e, ExitUndecided, "cannot format a message");
		return NULL;
	}
	if (!(p = ar_alloc(a, (size_t)n + 1, e)))
		return NULL;
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

static char *
ar_printf(Arena *a, Err *e, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = ar_vprintf(a, e, fmt, ap);
	va_end(ap);
	return p;
}

/* Reason text (a requirement's detail, a signature's *why): never NULL.
 * Out of memory it is a fixed text and e records why (first cause wins),
 * so a caller about to accept checks e, never the text. */
static const char *
ar_reason(Arena *a, Err *e, const char *fmt, ...)
{
	va_list ap;
	const char *p;

	va_start(ap, fmt);
	p = ar_vprintf(a, e, fmt, ap);
	va_end(ap);
	return p ? p : NOMEM;
}

/* -check's warnings, in the order found: what loads but will not work
 * as meant; and notes, for what may be meant (-strict counts only the
 * warnings).  Only -check collects them (warns.a set); a run ignores
 * them. */
static struct {
	Arena *a;
	const char *w[MAX_WARNINGS];
	char note[MAX_WARNINGS];
	int n, nnote;		/* found, shown or not */
} warns;

static void
warn_add(int note, const char *fmt, va_list ap)
{
	const char *p;

	if (!warns.a)
		return;
	p = ar_vprintf(warns.a, NULL, fmt, ap);
	if (warns.n < MAX_WARNINGS) {
		warns.w[warns.n] = p ? p : NOMEM;
		warns.note[warns.n] = (char)note;
	}
	warns.n++;
	warns.nnote += note;
}

static void
warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	warn_add(0, fmt, ap);
	va_end(ap);
}

static void
note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	warn_add(1, fmt, ap);
	va_end(ap);
}

/* text with backslashes and non-printable bytes as \xNN (and in quotes,
 * themselves escaped, when q), cut after MAX_QUOTE bytes with "…": safe
 * inside the one-line reason.  dst holds QUOTE_SIZE bytes. */
static char *
quote_as(char *dst, const char *s, size_t n, int q)
{
	size_t i, m = n < MAX_QUOTE ? n : MAX_QUOTE;
	char *p = dst;

	if (q)
		*p++ = '"';
	for (i = 0; i < m; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || (q && c == '"') || c == '\\') {
			snprintf(p, 5, "\\x%02x", c);
			p += 4;
		} else {
			*p++ = (char)c;
		}
	}
	if (m < n) {
		memcpy(p, "\xe2\x80\xa6", 3);
		p += 3;
	}
	if (q)
		*p++ = '"';
	*p = '\0';
	return dst;
}

static char *
quote(char *dst, const char *s, size_t n)
{
	return quote_as(dst, s, n, 1);
}

static char *
ar_quote(Arena *a, const char *s, size_t n, Err *e)
{
	char *p = ar_alloc(a, QUOTE_SIZE, e);

	return p ? quote(p, s, n) : "(no memory)";
}

/* untrusted text without quotes, e.g. a URL from a certificate */
static char *
ar_esc(Arena *a, const char *s, Err *e)
{
	char *p = ar_alloc(a, QUOTE_SIZE, e);

	return p ? quote_as(p, s, strlen(s), 0) : "(no memory)";
}

static int
str_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* standard base64 with padding (RFC 4648 §4), as Go's encoding/json
 * writes []byte; line breaks are skipped.  NUL-terminates out. */
static int
b64_decode(Arena *a, const char *s, size_t n, Str *out)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static signed char val[256];	/* the system CA bundle is 200 KB */
	unsigned long acc = 0;
	size_t i, o = 0, got = 0, pad = 0;
	int c;
	char *p;

	if (val[0] == 0) {
		memset(val, -1, sizeof(val));
		for (i = 0; i < 64; i++)
			val[(unsigned char)al[i]] = (signed char)i;
	}
	if (!(p = ar_alloc(a, n / 4 * 3 + 4, NULL)))
		return -1;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '\r' || c == '\n')
			continue;
		if (c == '=')
			pad++;
		else if (pad || val[c] < 0)
			return -1;
		acc = acc << 6 | (unsigned long)(c == '=' ? 0 : val[c]);
		if ((++got & 3) == 0) {
			if (pad > 2)
				return -1;
			p[o] = (char)(acc >> 16);
			p[o + 1] = (char)(acc >> 8);
			p[o + 2] = (char)acc;
			o += 3 - pad;
			acc = 0;
		}
	}
	if (got & 3)
		return -1;
	p[o] = '\0';
	out->p = p;
	out->n = o;
	return 0;
}

/* standard base64 of n bytes into out (4 * ((n + 2) / 3) + 1 bytes) */
static void
b64_encode(const char *s, size_t n, char *out)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	unsigned long v;
	size_t i;

	for (i = 0; i < n; i += 3, out += 4) {
		v = (unsigned long)p[i] << 16 | (i + 1 < n ? (unsigned long)
		    p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		out[0] = al[v >> 18 & 63];
		out[1] = al[v >> 12 & 63];
		out[2] = i + 1 < n ? al[v >> 6 & 63] : '=';
		out[3] = i + 2 < n ? al[v & 63] : '=';
	}
	*out = '\0';
}

/* n bytes as 2n hex digits and a NUL */
static void
hex_str(const unsigned char *p, size_t n, char *out, int upper)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, upper ? "%02X" : "%02x", p[i]);
}

/* does hex text s (either case) spell the n bytes h? */
static int
hex_same(const char *s, const unsigned char *h, size_t n)
{
	size_t i;
	unsigned v;

	if (strlen(s) != 2 * n || strspn(s, "0123456789abcdefABCDEF") != 2 * n)
		return 0;
	for (i = 0; i < n; i++) {
		sscanf(s + 2 * i, "%2x", &v);
		if (v != h[i])
			return 0;
	}
	return 1;
}

/* algorithm:hex as go-digest validates it: sha256, sha384 or sha512 with
 * exactly their length of lowercase hex */
static int
dig_valid(const char *s, size_t n)
{
	static const struct {
		const char *alg;
		size_t hex;
	} algs[] = { { "sha256:", 64 }, { "sha384:", 96 }, { "sha512:", 128 } };
	size_t i, k;

	for (k = 0; k < LEN(algs); k++) {
		if (n != 7 + algs[k].hex || memcmp(s, algs[k].alg, 7))
			continue;
		for (i = 7; i < n; i++)
			if (!strchr("0123456789abcdef", s[i]) || !s[i])
				return 0;
		return 1;
	}
	return 0;
}

/* SHA-256, -384 or -512 (bits) of data into out: its length, or 0 if
 * the hash failed (mbedTLS 3 may answer an error, a hardware one) */
static size_t
sha_raw(int bits, const void *data, size_t n, unsigned char *out)
{
	int r = bits == 256 ? sha256_ret(data, n, out, 0) :
	    sha512_ret(data, n, out, bits == 384);

	return r == 0 ? (size_t)bits / 8 : 0;
}

/* "alg:hex" of data, with the algorithm of the digest want names; a
 * hash that failed gives "alg:(hash failed)", equal to no digest */
static void
dig_sum(const char *want, const void *data, size_t n, char *out)
{
	int bits = !strncmp(want, "sha512:", 7) ? 512 :
	    !strncmp(want, "sha384:", 7) ? 384 : 256;
	unsigned char h[64];
	size_t len = sha_raw(bits, data, n, h);

	snprintf(out, 8, "sha%d:", bits);
	if (len)
		hex_str(h, len, out + 7, 0);
	else
		strcpy(out + 7, "(hash failed)");
}

/* "YYYY-MM-DD HH:MM:SS UTC" of a Unix time, in the arena */
static const char *
when_utc(long long t, Arena *a)
{
	char buf[40];
	time_t tt = (time_t)t;
	struct tm tm;

	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC",
	    gmtime_r(&tt, &tm));
	return ar_reason(a, NULL, "%s", buf);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* == 7. Files and stdin ==================================================
 * Whole-file reads with a ceiling set before the first byte.  Only regular
 * files: a FIFO or device named as a key must not hang or feed us. */

static int
file_read(Arena *a, const char *path, size_t max, Str *out, Err *e)
{
	struct stat st;
	ssize_t r;
	char *p;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return fail(e, ExitConfig, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(e, ExitConfig, "%s: not a regular file", path);
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > max) {
		close(fd);
		return fail(e, ExitConfig, "%s: larger than %zu bytes", path,
		    max);
	}
	if (!(p = ar_alloc(a, max + 1, e))) {
		close(fd);
		return -1;
	}
	out->p = p;
	out->n = 0;
	/* read to EOF, not to st_size: the file may grow, the limit holds */
	while ((r = read(fd, p + out->n, max + 1 - out->n)) > 0)
		if ((out->n += (size_t)r) > max)
			break;
	close(fd);
	if (r < 0)
		return fail(e, ExitConfig, "%s: %s", path, strerror(errno));
	if (out->n > max)
		return fail(e, ExitConfig, "%s: larger than %zu bytes", path,
		    max);
	a->used -= max - out->n;	/* give back the unused tail */
	p[out->n] = '\0';
	return 0;
}

/* containerd writes the descriptor and closes the pipe; an early close or
 * nothing at all is fine, a terminal is not read */
static int
file_stdin(Arena *a, size_t max, long long deadline, Str *out, Err *e)
{
	struct pollfd pfd = { 0, POLLIN, 0 };
	long long left;
	ssize_t r;
	char *p;

	out->n = 0;
	if (!(p = ar_alloc(a, max + 1, e)))
		return -1;
	out->p = p;
	p[0] = '\0';
	if (isatty(0))
		return 0;
	for (;;) {
		if ((left = deadline - now_ms()) <= 0)
			return fail(e, ExitUndecided,
			    "stdin descriptor: not complete before the deadline");
		if (poll(&pfd, 1, (int)(left < INT_MAX ? left : INT_MAX)) < 0) {
			if (errno == EINTR)
				continue;
			return fail(e, ExitUndecided, "stdin: %s",
			    strerror(errno));
		}
		if ((r = read(0, p + out->n, max + 1 - out->n)) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == EBADF)	/* closed by our parent */
				break;
			return fail(e, ExitUndecided, "stdin: %s",
			    strerror(errno));
		}
		if (r == 0)
			break;
		if ((out->n += (size_t)r) > max)
			return fail(e, ExitConfig,
			    "stdin descriptor: larger than %zu bytes", max);
	}
	p[out->n] = '\0';
	return 0;
}

/* == 8. JSON over jsmn ===================================================
 * jsmn finds the tokens; json_check() then proves the whole text is one
 * RFC 8259 value: separators between tokens, literals and numbers byte by
 * byte, escapes and UTF-8 in strings, a depth limit.  Lookups walk one
 * object's own members; strings are unescaped into the arena. */

static int json_check(const Json *j, int i, int depth, Err *e);
static int json_number(const unsigned char *p, size_t len);
static size_t json_digits(const unsigned char *p, size_t k, size_t len);
static int json_gap(const Json *j, size_t from, size_t to, int sep, Err *e);
static int json_bad(const Json *j, size_t off, const char *why, Err *e);
static int json_skip(const Json *j, int i);
static int json_line(const Json *j, size_t off);
static const char *json_typename(jsmntype_t type);
static size_t utf8_len(const unsigned char *p, size_t n);

static int
json_parse(Json *j, Arena *a, const char *file, const char *s, size_t n,
    int code, Err *e)
{
	jsmn_parser jp;
	int c;

	j->file = file;
	j->s = s;
	j->code = code;
	j->t = NULL;
	j->nt = 0;
	if (n > INT_MAX)
		return fail(e, code, "%s: too large for JSON", file);
	jsmn_init(&jp);
	c = jsmn_parse(&jp, s, n, NULL, 0);
	if (c > MAX_JSON_TOKENS)
		return fail(e, code, "%s: more than MAX_JSON_TOKENS (%d) JSON "
		    "tokens", file, MAX_JSON_TOKENS);
	if (c > 0) {
		if (!(j->t = ar_alloc(a, (size_t)c * sizeof(*j->t), e)))
			return -1;
		jsmn_init(&jp);
		c = jsmn_parse(&jp, s, n, j->t, (unsigned)c);
	}
	if (c == JSMN_ERROR_PART || c == 0)
		return fail(e, code, "%s: line %d: JSON ends too early", file,
		    json_line(j, n));
	if (c < 0)
		return json_bad(j, jp.pos, NULL, e);
	j->nt = c;
	if (json_gap(j, 0, (size_t)j->t[0].start - (j->t[0].type ==
	    JSMN_STRING), 0, e) < 0 || (c = json_check(j, 0, 0, e)) < 0)
		return -1;
	if (c != j->nt || json_gap(j, (size_t)j->t[0].end + (j->t[0].type ==
	    JSMN_STRING), n, 0, e) < 0)
		return fail(e, code, "%s: line %d: text after the JSON value",
		    file, json_line(j, (size_t)j->t[0].end));
	return 0;
}

/* validates the value at token i; returns the token after it */
static int
json_check(const Json *j, int i, int depth, Err *e)
{
	const jsmntok_t *t = &j->t[i];
	const unsigned char *p = (const unsigned char *)j->s + t->start;
	size_t pos, len = (size_t)(t->end - t->start), k, m;
	int n, next = i + 1, isobj = t->type == JSMN_OBJECT;

	if (depth > MAX_JSON_DEPTH)
		return fail(e, j->code, "%s: line %d: nested deeper than "
		    "MAX_JSON_DEPTH (%d)", j->file, json_line(j, pos =
		    (size_t)t->start), MAX_JSON_DEPTH);
	switch (t->type) {
	case JSMN_OBJECT:
	case JSMN_ARRAY:
		pos = (size_t)t->start + 1;
		for (n = 0; n < t->size; n++) {
			const jsmntok_t *c = &j->t[next];

			if (json_gap(j, pos, (size_t)c->start -
			    (c->type == JSMN_STRING), n ? ',' : 0, e) < 0)
				return -1;
			/* jsmn hangs a member that follows without a comma
			 * on the key before: the comma is missing after that
			 * key's value */
			if (isobj && c->type == JSMN_STRING && c->size > 1) {
				c = &j->t[json_skip(j, next + 1)];
				return json_bad(j, (size_t)c->start - (c->type ==
				    JSMN_STRING), "missing comma", e);
			}
			if (isobj && (c->type != JSMN_STRING || c->size != 1))
				return fail(e, j->code, "%s: line %d: object "
				    "key must be a string", j->file,
				    json_line(j, (size_t)c->start));
			if (isobj) {
				if (json_check(j, next, depth + 1, e) < 0)
					return -1;
				pos = (size_t)c->end + 1;
				c = &j->t[++next];
				if (json_gap(j, pos, (size_t)c->start -
				    (c->type == JSMN_STRING), ':', e) < 0)
					return -1;
			}
			if ((next = json_check(j, next, depth + 1, e)) < 0)
				return -1;
			pos = (size_t)c->end + (c->type == JSMN_STRING);
		}
		if (json_gap(j, pos, (size_t)t->end - 1, 0, e) < 0)
			return -1;
		return next;
	case JSMN_STRING:
		for (k = 0; k < len; k += m) {
			m = 1;
			if (p[k] < 0x20)
				break;
			if (p[k] == '\\')
				m = p[k + 1] == 'u' ? 6 : 2;	/* jsmn checked */
			else if (p[k] >= 0x80 && !(m = utf8_len(p + k,
			    len - k)))
				break;
		}
		if (k < len)
			return fail(e, j->code, "%s: line %d: control byte or "
			    "invalid UTF-8 in a string", j->file,
			    json_line(j, (size_t)t->start + k));
		return next;
	default:
		if ((len == 4 && !memcmp(p, "true", 4)) || (len == 5 &&
		    !memcmp(p, "false", 5)) || (len == 4 && !memcmp(p,
		    "null", 4)))
			return next;
		if (!json_number(p, len))
			return json_bad(j, (size_t)t->start, "not a number, "
			    "true, false or null", e);
		return next;
	}
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
json_number(const unsigned char *p, size_t len)
{
	size_t k = len && p[0] == '-', m;

	if (k < len && p[k] == '0')
		k++;
	else if (k < len && p[k] >= '1' && p[k] <= '9')
		k = json_digits(p, k, len);
	else
		return 0;
	if (k < len && p[k] == '.' && (m = json_digits(p, k + 1, len)) ==
	    k + 1)
		return 0;
	else if (k < len && p[k] == '.')
		k = m;
	if (k < len && (p[k] == 'e' || p[k] == 'E')) {
		k += (k + 1 < len && (p[k + 1] == '+' || p[k + 1] == '-')) ? 2 : 1;
		if ((m = json_digits(p, k, len)) == k)
			return 0;
		k = m;
	}
	return k == len;
}

static size_t
json_digits(const unsigned char *p, size_t k, size_t len)
{
	while (k < len && p[k] >= '0' && p[k] <= '9')
		k++;
	return k;
}

/* between tokens: blanks, and the separator sep (if not 0) exactly once */
static int
json_gap(const Json *j, size_t from, size_t to, int sep, Err *e)
{
	size_t i = from;

	for (; i < to && strchr(" \t\r\n", j->s[i]) && j->s[i]; i++)
		;
	if (sep && i < to && j->s[i] == sep)
		for (i++; i < to && strchr(" \t\r\n", j->s[i]) && j->s[i]; i++)
			;
	else if (sep && i == to)
		return json_bad(j, to, sep == ',' ? "missing comma" :
		    "missing colon", e);
	else if (sep)
		i = to + 1;
	if (i == to)
		return 0;
	return json_bad(j, i < to ? i : from, NULL, e);
}

/* "invalid JSON" at byte off; where the cause is plain (a comment, a
 * missing comma) it is said, with the column to look at */
static int
json_bad(const Json *j, size_t off, const char *why, Err *e)
{
	size_t c = off;

	if (!why && (j->s[off] == '/' || j->s[off] == '#'))
		why = "JSON allows no comments";
	while (c > 0 && j->s[c - 1] != '\n')
		c--;
	return fail(e, j->code, "%s: line %d, column %zu: invalid JSON%s%s",
	    j->file, json_line(j, off), off - c + 1, why ? ": " : "", why ?
	    why : "");
}

static int
json_line(const Json *j, size_t off)
{
	size_t i;
	int line = 1;

	for (i = 0; i < off && j->s[i]; i++)
		line += j->s[i] == '\n';
	return line;
}

/* the token after the subtree rooted at i */
static int
json_skip(const Json *j, int i)
{
	int left = 1;

	for (; left > 0; i++)
		left += j->t[i].size - 1;
	return i;
}

/* does string token i hold exactly s (compared escaped: keys we look for
 * have no escapes, and a key spelled with escapes is then unknown) */
static int
json_eq(const Json *j, int i, const char *s)
{
	size_t n = (size_t)(j->t[i].end - j->t[i].start);

	return j->t[i].type == JSMN_STRING && strlen(s) == n &&
	    !memcmp(j->s + j->t[i].start, s, n);
}

static int
json_null(const Json *j, int i)
{
	return j->t[i].type == JSMN_PRIMITIVE && j->t[i].end - j->t[i].start ==
	    4 && !memcmp(j->s + j->t[i].start, "null", 4);
}

/* the value of obj's member named s[0..n) (as written), or -1 */
static int
json_getn(const Json *j, int obj, const char *s, size_t n)
{
	int i, k;

	if (j->t[obj].type != JSMN_OBJECT)
		return -1;
	for (i = obj + 1, k = 0; k < j->t[obj].size; k++) {
		if ((size_t)(j->t[i].end - j->t[i].start) == n &&
		    !memcmp(j->s + j->t[i].start, s, n))
			return i + 1;
		i = json_skip(j, i + 1);
	}
	return -1;
}

static int
json_get(const Json *j, int obj, const char *key)
{
	return json_getn(j, obj, key, strlen(key));
}

/* code point u (no surrogate) as UTF-8 at q; returns its end */
static char *
json_utf8(char *q, unsigned long u)
{
	if (u < 0x80) {
		*q++ = (char)u;
	} else if (u < 0x800) {
		*q++ = (char)(0xc0 | u >> 6);
		*q++ = (char)(0x80 | (u & 0x3f));
	} else if (u < 0x10000) {
		*q++ = (char)(0xe0 | u >> 12);
		*q++ = (char)(0x80 | (u >> 6 & 0x3f));
		*q++ = (char)(0x80 | (u & 0x3f));
	} else {
		*q++ = (char)(0xf0 | u >> 18);
		*q++ = (char)(0x80 | (u >> 12 & 0x3f));
		*q++ = (char)(0x80 | (u >> 6 & 0x3f));
		*q++ = (char)(0x80 | (u & 0x3f));
	}
	return q;
}

/* the unescaped string at token i, NUL-terminated; a NUL inside is an error */
static char *
json_str(const Json *j, int i, Arena *a, Err *e)
{
	const char *s = j->s + j->t[i].start;
	size_t k, n = (size_t)(j->t[i].end - j->t[i].start);
	unsigned long u, lo;
	char *out, *q;

	if (!(out = q = ar_alloc(a, n + 1, e)))
		return NULL;
	for (k = 0; k < n; k++) {
		if (s[k] != '\\') {
			*q++ = s[k];
			continue;
		}
		switch (s[++k]) {
		case 'b': *q++ = '\b'; continue;
		case 'f': *q++ = '\f'; continue;
		case 'n': *q++ = '\n'; continue;
		case 'r': *q++ = '\r'; continue;
		case 't': *q++ = '\t'; continue;
		case 'u': break;
		default: *q++ = s[k]; continue;
		}
		u = strtoul((char[5]){ s[k + 1], s[k + 2], s[k + 3], s[k + 4],
		    0 }, NULL, 16);
		k += 4;
		if (u >= 0xd800 && u < 0xdc00 && k + 6 < n && s[k + 1] ==
		    '\\' && s[k + 2] == 'u') {
			lo = strtoul((char[5]){ s[k + 3], s[k + 4], s[k + 5],
			    s[k + 6], 0 }, NULL, 16);
			if (lo >= 0xdc00 && lo < 0xe000) {
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (lo - 0xdc00);
				k += 6;
			}
		}
		if (u == 0 || (u >= 0xd800 && u < 0xe000)) {
			fail(e, j->code, "%s: line %d: NUL or lone surrogate "
			    "in a string", j->file, json_line(j,
			    (size_t)j->t[i].start + k));
			return NULL;
		}
		q = json_utf8(q, u);
	}
	*q = '\0';
	if (strlen(out) != (size_t)(q - out)) {
		fail(e, j->code, "%s: line %d: NUL in a string", j->file,
		    json_line(j, (size_t)j->t[i].start));
		return NULL;
	}
	return out;
}

/* Is member key i of object obj a repeat of an earlier key?  Compared
 * unescaped, as Go's decoder sees them; only keys with a backslash need
 * unescaping, and that scratch memory is given back. */
static int
json_dupkey(const Json *j, int obj, int i, const char *at, Arena *a, Err *e)
{
	const char *ki = j->s + j->t[i].start, *kk, *ui = NULL, *uk;
	size_t n = (size_t)(j->t[i].end - j->t[i].start), m, mark = a->used;
	int k, same;

	for (k = obj + 1; k < i; k = json_skip(j, k + 1)) {
		kk = j->s + j->t[k].start;
		m = (size_t)(j->t[k].end - j->t[k].start);
		if (!memchr(ki, '\\', n) && !memchr(kk, '\\', m)) {
			same = m == n && !memcmp(kk, ki, n);
		} else {
			if ((!ui && !(ui = json_str(j, i, a, e))) ||
			    !(uk = json_str(j, k, a, e)))
				return -1;
			same = !strcmp(ui, uk);
		}
		if (same) {
			a->used = mark;
			return fail(e, j->code, "%s: %s: duplicate key %s",
			    j->file, at, ar_quote(a, ki, n, e));
		}
	}
	a->used = mark;
	return 0;
}

/* Checks the members of object obj against the nf fields f (a NULL key
 * is a slot the table leaves unused): unknown and repeated keys and wrong
 * types are errors.  v[k] gets the value token of f[k], or -1 when absent. */
static int
json_fields(const Json *j, int obj, const char *at, const Field *f, int nf,
    int *v, Arena *a, Err *e)
{
	int i, k, n;

	if (obj < 0)
		return fail(e, j->code, "%s: %s is missing", j->file, at);
	if (j->t[obj].type != JSMN_OBJECT)
		return fail(e, j->code, "%s: %s: expected an object, got %s",
		    j->file, at, json_typename(j->t[obj].type));
	for (k = 0; k < nf; k++)
		v[k] = -1;
	for (i = obj + 1, n = 0; n < j->t[obj].size; n++) {
		for (k = 0; k < nf && (!f[k].key || !json_eq(j, i, f[k].key));
		    k++)
			;
		if (k == nf)
			return fail(e, j->code, "%s: %s: unknown field %s",
			    j->file, at, ar_quote(a, j->s + j->t[i].start,
			    (size_t)(j->t[i].end - j->t[i].start), e));
		if (v[k] >= 0)
			return fail(e, j->code, "%s: %s: duplicate field "
			    "\"%s\"", j->file, at, f[k].key);
		v[k] = i + 1;
		if (f[k].type != JSMN_UNDEFINED &&
		    j->t[i + 1].type != f[k].type)
			return fail(e, j->code, "%s: %s.%s: expected %s, got "
			    "%s", j->file, at, f[k].key,
			    json_typename(f[k].type),
			    json_typename(j->t[i + 1].type));
		i = json_skip(j, i + 1);
	}
	return 0;
}

static const char *
json_typename(jsmntype_t type)
{
	switch (type) {
	case JSMN_OBJECT: return "an object";
	case JSMN_ARRAY: return "an array";
	case JSMN_STRING: return "a string";
	default: return "a number, boolean or null";
	}
}

/* length of the valid UTF-8 sequence at p (RFC 3629), 0 if invalid */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned long v;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	len = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	v = p[0] & (0x7fu >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3fu);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 ||
	    v > 0x10ffff)) || (v >= 0xd800 && v < 0xe000))
		return 0;
	return len;
}

/* == 9. Image references =================================================
 * The grammar of distribution/reference: [domain/]path[:tag][@digest],
 * with docker.io, library/ and :latest filled in as Docker does, and
 * bracketed IPv6 domains as current distribution/reference accepts. */

static const char *ref_domain(const char *s);
static const char *ref_path(const char *s);
static const char *ref_component(const char *s);

static int
ref_parse(Ref *r, const char *s, Err *e)
{
	const char *dom = "docker.io", *rem = s, *slash = strchr(s, '/');
	const char *p, *end;
	size_t dl = 9, i, n;
	char q[QUOTE_SIZE];

	memset(r, 0, sizeof(*r));
	quote(q, s, strlen(s));
	for (i = 0; s[i] && strchr("0123456789abcdef", s[i]); i++)
		;
	if (i == 64 && !s[i])
		return fail(e, ExitConfig, "invalid reference %s: a "
		    "64-character hexadecimal string is an image ID, not a "
		    "name", q);
	/* the first component is a domain only if it looks like one */
	if (slash && (memchr(s, '.', (size_t)(slash - s)) || memchr(s, ':',
	    (size_t)(slash - s)) || (slash - s == 9 && !memcmp(s,
	    "localhost", 9)))) {
		dom = s;
		dl = (size_t)(slash - s);
		rem = slash + 1;
		if (dl == 15 && !memcmp(s, "index.docker.io", 15))
			dom = "docker.io", dl = 9;
		if ((end = ref_domain(s)) != slash)
			return fail(e, ExitConfig, "invalid reference %s: "
			    "invalid domain", q);
	}
	for (p = rem; *p && *p != ':' && *p != '@'; p++)
		if (*p >= 'A' && *p <= 'Z')
			return fail(e, ExitConfig, "invalid reference %s: "
			    "repository name must be lowercase", q);
	if (!(end = ref_path(rem)))
		return fail(e, ExitConfig, "invalid reference %s: "
		    "invalid repository name", q);
	n = (size_t)(end - rem);
	if (dl + 1 + n + (dl == 9 && !memcmp(dom, "docker.io", 9) &&
	    !memchr(rem, '/', n) ? 8 : 0) > REF_NAME_MAX)
		return fail(e, ExitConfig, "invalid reference %s: "
		    "repository name longer than %d bytes", q,
		    REF_NAME_MAX);
	memcpy(r->name, dom, dl);
	r->domlen = dl;
	i = dl;
	r->name[i++] = '/';
	if (dl == 9 && !memcmp(dom, "docker.io", 9) && !memchr(rem, '/', n)) {
		memcpy(r->name + i, "library/", 8);
		i += 8;
	}
	memcpy(r->name + i, rem, n);
	r->name[i + n] = '\0';
	p = end;
	if (*p == ':') {
		for (n = 1; isalnum((unsigned char)p[n]) || p[n] == '_' ||
		    (n > 1 && (p[n] == '.' || p[n] == '-')); n++)
			;
		if (n == 1 || n > REF_TAG_MAX + 1 || (p[n] && p[n] != '@'))
			return fail(e, ExitConfig, "invalid reference %s: "
			    "invalid tag", q);
		memcpy(r->tag, p + 1, n - 1);
		p += n;
	}
	if (*p == '@') {
		n = strlen(++p);
		if (!dig_valid(p, n))
			return fail(e, ExitConfig, "invalid reference %s: "
			    "invalid digest", q);
		memcpy(r->digest, p, n + 1);
		p += n;
	}
	if (*p)
		return fail(e, ExitConfig, "invalid reference %s: "
		    "invalid reference format", q);
	if (!r->tag[0] && !r->digest[0]) {
		strcpy(r->tag, "latest");
		r->deftag = 1;
	}
	return 0;
}

/* end of the domain at s: (component(.component)* | [ipv6]) (:port)? */
static const char *
ref_domain(const char *s)
{
	const char *p = s;

	if (*p == '[') {
		for (p++; isxdigit((unsigned char)*p) || *p == ':'; p++)
			;
		if (p == s + 1 || *p++ != ']')
			return s;
	} else {
		for (;;) {
			if (!isalnum((unsigned char)*p))
				return s;
			while (isalnum((unsigned char)*p) || *p == '-')
				p++;
			if (p[-1] == '-')
				return s;
			if (*p != '.')
				break;
			p++;
		}
	}
	if (*p == ':' && isdigit((unsigned char)p[1]))
		for (p++; isdigit((unsigned char)*p); p++)
			;
	return p;
}

/* end of the path component(/component)* at s, NULL if none */
static const char *
ref_path(const char *s)
{
	const char *p = s;

	while ((p = ref_component(p)) && *p == '/')
		p++;
	return p;
}

/* [a-z0-9]+ joined by ".", "_", "__" or runs of "-"; NULL if none at s */
static const char *
ref_component(const char *s)
{
	const char *p = s, *q;

	for (;;) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return p == s ? NULL : p;
		while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			p++;
		q = p;
		if (*q == '.')
			q++;
		else if (*q == '_')
			q += 1 + (q[1] == '_');
		else
			while (*q == '-')
				q++;
		if (q == p || !((*q >= 'a' && *q <= 'z') || (*q >= '0' &&
		    *q <= '9')))
			return p;
		p = q;
	}
}

/* name[:tag][@digest] */
static void
ref_string(const Ref *r, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s%s", r->name, r->tag[0] ? ":" : "", r->tag,
	    r->digest[0] ? "@" : "", r->digest);
}

/* The scope keys reference r falls under, most specific first, in
 * containers/image's order (identity, repository, namespaces, host, then
 * *.domain wildcards of the host cut at its first colon), with ivlite's
 * addition: name@DIGEST for the digest containerd resolved, before the
 * tag, so that digest pinning works for tag pulls.  Each key goes to f
 * until f returns nonzero; that value is returned, else 0. */
static int
ref_scopes(const Ref *r, const char *digest,
    int (*f)(void *ctx, const char *key, size_t n), void *ctx)
{
	char buf[REF_NAME_MAX + DIGEST_MAX + REF_TAG_MAX + 8];
	const char *dot, *d;
	size_t n, host;
	int k, v;

	for (k = 0; k < 3; k++) {
		d = k == 0 ? digest : k == 1 ? r->digest : NULL;
		if (k == 2 && r->tag[0])
			snprintf(buf, sizeof(buf), "%s:%s", r->name, r->tag);
		else if (k < 2 && d && *d && (k == 1 || strcmp(d, r->digest)))
			snprintf(buf, sizeof(buf), "%s@%s", r->name, d);
		else
			continue;
		if ((v = f(ctx, buf, strlen(buf))))
			return v;
	}
	for (n = strlen(r->name);; n--) {
		if ((v = f(ctx, r->name, n)))
			return v;
		while (n > 0 && r->name[n - 1] != '/')
			n--;
		if (n == 0)
			break;
	}
	for (host = 0; host < r->domlen && r->name[host] != ':'; host++)
		;
	for (dot = memchr(r->name, '.', host); dot; dot = memchr(dot + 1, '.',
	    host - (size_t)(dot + 1 - r->name))) {
		snprintf(buf, sizeof(buf), "*.%.*s", (int)(host - (size_t)(dot
		    + 1 - r->name)), dot + 1);
		if ((v = f(ctx, buf, strlen(buf))))
			return v;
	}
	return 0;
}

/* == 10. policy.json =====================================================
 * containers-policy.json(5), parsed as strictly as containers/image does
 * and a little more: unknown or repeated fields, wrong types, empty lists
 * and conflicting key sources are errors with the JSON path.  Key files
 * are only named here; -check reads them, judgement loads what it needs.
 * A requirement's own members are its type's (reqtypes[], its load). */

struct PolMatch {		/* pol_scope's search */
	const Policy *p;
	const Scope *sc;
};

static const char *idnames[] = {	/* by IdMatchRepoDigestOrExact… */
	"matchRepoDigestOrExact", "matchExact", "matchRepository",
	"exactReference", "exactRepository", "remapIdentity"
};

/* signedIdentity's members, by its type (v[1], v[2]: its values) */
static const Field typeonly[] = { { "type", JSMN_STRING } };
static const Field exactreffields[] = {
	{ "type",              JSMN_STRING },
	{ "dockerReference",   JSMN_STRING }
};
static const Field exactrepofields[] = {
	{ "type",              JSMN_STRING },
	{ "dockerRepository",  JSMN_STRING }
};
static const Field remapfields[] = {
	{ "type",              JSMN_STRING },
	{ "prefix",            JSMN_STRING },
	{ "signedPrefix",      JSMN_STRING }
};

static int pol_scopes(const Json *j, int obj, const char *transport,
    const char *at, Policy *p, Arena *a, Err *e);
static const char *pol_other(const char *transport, const char *key);
static const char *pol_path(const char *s);
static const char *pol_storage(const char *s);
static int pol_reqs(const Json *j, int arr, Scope *sc, Arena *a, Err *e);
static int pol_req(const Json *j, int obj, Req *r, Arena *a, Err *e);
static int pol_blob(const Json *j, int i, int isdata, const char *at,
    Blob *b, Arena *a, Err *e);
static int pol_blobs(const Json *j, int arr, int isdata, const char *at,
    Blob **out, int *n, Arena *a, Err *e);
static int pol_ident(const Json *j, int obj, const char *at, Ident *id,
    Arena *a, Err *e);
static int pol_remap_prefix(const char *s);
static const char *pol_desc(const Req *r, Arena *a, Err *e);
static int pol_match(void *ctx, const char *key, size_t n);
static const Scope *pol_find(const Policy *p, const char *key, size_t n);

static int
pol_load(Policy *p, Arena *a, const char *file, const char *s, size_t n,
    Err *e)
{
	static const Field top[] = {
		{ "default",    JSMN_ARRAY },
		{ "transports", JSMN_OBJECT }
	};
	int v[2], i, k, total = 1;
	char *name, *at;
	Json j;

	memset(p, 0, sizeof(*p));
	p->file = file;
	if (json_parse(&j, a, file, s, n, ExitConfig, e) < 0 ||
	    json_fields(&j, 0, "top level", top, LEN(top), v, a, e) < 0)
		return -1;
	if (v[0] < 0)
		return fail(e, ExitConfig, "%s: \"default\" is missing", file);
	/* one array of scopes: "default", then each transport's in order */
	for (i = v[1] + 1, k = 0; v[1] >= 0 && k < j.t[v[1]].size; k++) {
		if (j.t[i + 1].type != JSMN_OBJECT)
			return fail(e, ExitConfig, "%s: transports[%s]: "
			    "expected an object of scopes", file, ar_quote(a,
			    j.s + j.t[i].start, (size_t)(j.t[i].end -
			    j.t[i].start), e));
		if ((total += j.t[i + 1].size) > MAX_SCOPES)
			return fail(e, ExitConfig, "%s: more than MAX_SCOPES "
			    "(%d) scopes", file, MAX_SCOPES);
		i = json_skip(&j, i + 1);
	}
	if (!(p->scope = ar_alloc(a, (size_t)total * sizeof(Scope), e)))
		return -1;
	p->scope[0].key = "";
	p->scope[0].at = "default";
	if (pol_reqs(&j, v[0], &p->scope[0], a, e) < 0)
		return -1;
	p->nscope = 1;
	for (i = v[1] + 1, k = 0; v[1] >= 0 && k < j.t[v[1]].size; k++) {
		if (json_dupkey(&j, v[1], i, "transports", a, e) < 0 ||
		    !(name = json_str(&j, i, a, e)) ||
		    !(at = ar_printf(a, e, "transports.%s", name)))
			return -1;
		if (pol_scopes(&j, i + 1, name, at, p, a, e) < 0)
			return -1;
		i = json_skip(&j, i + 1);
	}
	return 0;
}

/* the scopes object of one transport, appended to p->scope */
static int
pol_scopes(const Json *j, int obj, const char *transport, const char *at,
    Policy *p, Arena *a, Err *e)
{
	const char *why;
	Scope *sc;
	int i, k;

	for (i = obj + 1, k = 0; k < j->t[obj].size; k++) {
		sc = &p->scope[p->nscope++];
		sc->transport = transport;
		if (json_dupkey(j, obj, i, at, a, e) < 0 ||
		    !(sc->key = json_str(j, i, a, e)) ||
		    !(sc->at = ar_printf(a, e, "%s[%s]", at, ar_quote(a,
		    sc->key, strlen(sc->key), e))))
			return -1;
		if ((why = pol_other(transport, sc->key)))
			return fail(e, ExitConfig, "%s: %s: %s", j->file,
			    sc->at, why);
		if (pol_reqs(j, i + 1, sc, a, e) < 0)
			return -1;
		i = json_skip(j, i + 1);
	}
	return 0;
}

/* Why key is not a scope of transport, or NULL.  ivlite judges docker
 * only, but containers/image refuses a whole policy over one scope its
 * transport calls invalid (ValidatePolicyConfigurationScope, v5.23, the
 * transports of its default build), so ivlite refuses the same policies.
 * "" is every transport's default; docker, transports it does not know
 * and stubs (ostree) take any scope. */
static const char *
pol_other(const char *transport, const char *key)
{
	enum { OthPath, OthNone, OthDaemon, OthStorage, OthAtomic };
	static const struct {
		const char *name;
		int kind;
	} others[] = {
		{ "dir",                OthPath },
		{ "oci",                OthPath },
		{ "oci-archive",        OthPath },
		{ "sif",                OthPath },
		{ "docker-archive",     OthNone },
		{ "tarball",            OthNone },
		{ "docker-daemon",      OthDaemon },
		{ "containers-storage", OthStorage },
		{ "atomic",             OthAtomic },
	};
	const char *p = key;
	size_t i;

	for (i = 0; i < LEN(others) && strcmp(transport, others[i].name); i++)
		;
	if (!*key || i == LEN(others))
		return NULL;
	switch (others[i].kind) {
	case OthPath:
		return pol_path(key);
	case OthNone:
		return "only the default scope \"\" is valid";
	case OthDaemon:	/* image IDs cannot be namespaced */
		return dig_valid(key, strlen(key)) ? "a digest (an image ID) "
		    "cannot be a scope" : NULL;
	case OthStorage:
		return pol_storage(key);
	default:	/* OpenShift: host[/namespace[/stream[:tag]]] */
		p += strcspn(p, "/");
		if (*p && *(p += 1 + strcspn(p + 1, ":/")) == '/') {
			p += 1 + strcspn(p + 1, ":/");
			if (*p == ':')
				p += 1 + strcspn(p + 1, ":/");
		}
		return *p ? "expected HOST[/NAMESPACE[/STREAM[:TAG]]]" : NULL;
	}
}

/* an absolute path other than "/" that Go's filepath.Clean leaves alone */
static const char *
pol_path(const char *s)
{
	size_t n;

	if (*s != '/')
		return "not an absolute path";
	if (!s[1])
		return "\"/\" is not a scope: the default scope is \"\"";
	do {
		n = strcspn(++s, "/");
		if (!n || (n == 1 && *s == '.') || (n == 2 && !strncmp(s, "..",
		    2)))
			return "not a clean path (no \"//\", \".\", \"..\" or "
			    "trailing \"/\")";
	} while (*(s += n));
	return NULL;
}

/* containers-storage: [GRAPHROOT] or [DRIVER@GRAPHROOT], then optionally
 * NAME[:TAG] and @ID, @DIGEST or @DIGEST@ID (an ID: 64 lowercase hex) */
static const char *
pol_storage(const char *s)
{
	const char *end = strchr(s, ']'), *at, *f, *g;
	size_t n;
	int id, dig;

	if (*s != '[' || !end || end == s + 1 || s[1] == '@' ||
	    ((at = memchr(s, '@', (size_t)(end - s))) && at + 1 == end))
		return "expected [GRAPHROOT] or [DRIVER@GRAPHROOT] first";
	if ((at ? at[1] : s[1]) != '/')
		return "the graph root is not an absolute path";
	if (!(f = strchr(end, '@')))
		return NULL;
	g = strchr(++f, '@');
	n = g ? (size_t)(g - f) : strlen(f);
	id = n == 64 && strspn(f, "0123456789abcdef") >= 64;
	dig = dig_valid(f, n);
	if (!g)
		return id || dig ? NULL : "the part after \"@\" is neither a "
		    "digest nor an image ID";
	if (!dig)
		return "the part after the first \"@\" is not a digest";
	g++;
	return strlen(g) == 64 && strspn(g, "0123456789abcdef") == 64 ? NULL :
	    "the part after the second \"@\" is not an image ID";
}

static int
pol_reqs(const Json *j, int arr, Scope *sc, Arena *a, Err *e)
{
	int i, k, n = j->t[arr].size;

	if (j->t[arr].type != JSMN_ARRAY)
		return fail(e, ExitConfig, "%s: %s: expected an array of "
		    "requirements, got %s", j->file, sc->at,
		    json_typename(j->t[arr].type));
	if (n == 0)
		return fail(e, ExitConfig, "%s: %s: the list of requirements "
		    "must not be empty", j->file, sc->at);
	if (n > MAX_REQS)
		return fail(e, ExitConfig, "%s: %s: more than MAX_REQS (%d) "
		    "requirements", j->file, sc->at, MAX_REQS);
	if (!(sc->req = ar_alloc(a, (size_t)n * sizeof(Req), e)))
		return -1;
	memset(sc->req, 0, (size_t)n * sizeof(Req));
	sc->nreq = n;
	for (i = arr + 1, k = 0; k < n; k++, i = json_skip(j, i)) {
		if (!(sc->req[k].at = ar_printf(a, e, "%s[%d]", sc->at, k)) ||
		    pol_req(j, i, &sc->req[k], a, e) < 0)
			return -1;
	}
	return 0;
}

/* The "type" member of object obj, a string: its token.  Checked before
 * the other members, because it decides which are allowed. */
static int
pol_type(const Json *j, int obj, const char *at, Err *e)
{
	int i, k;

	if (j->t[obj].type != JSMN_OBJECT)
		return fail(e, ExitConfig, "%s: %s: expected an object, got %s",
		    j->file, at, json_typename(j->t[obj].type));
	for (i = obj + 1, k = 0; k < j->t[obj].size; k++) {
		if (json_eq(j, i, "type"))
			break;
		i = json_skip(j, i + 1);
	}
	if (k == j->t[obj].size)
		return fail(e, ExitConfig, "%s: %s: \"type\" is missing",
		    j->file, at);
	if (j->t[++i].type != JSMN_STRING)
		return fail(e, ExitConfig, "%s: %s.type: expected a string, "
		    "got %s", j->file, at, json_typename(j->t[i].type));
	return i;
}

/* a "type" (token i) that names nothing ivlite knows */
static int
pol_unknown(const Json *j, int i, const char *at, const char *what,
    Arena *a, Err *e)
{
	return fail(e, ExitConfig, "%s: %s.type: unknown %s %s", j->file, at,
	    what, ar_quote(a, j->s + j->t[i].start, (size_t)(j->t[i].end -
	    j->t[i].start), e));
}

/* a requirement, by the row of reqtypes[] its type names */
static int
pol_req(const Json *j, int obj, Req *r, Arena *a, Err *e)
{
	const ReqType *t;
	int v[REQ_FIELDS], i;

	if ((i = pol_type(j, obj, r->at, e)) < 0)
		return -1;
	for (r->type = 0; (t = reqtype(r->type)) && !json_eq(j, i, t->name);
	    r->type++)
		;
	if (!t)
		return pol_unknown(j, i, r->at, "requirement type", a, e);
	if (json_fields(j, obj, r->at, t->fields, t->nfields, v, a, e) < 0 ||
	    (t->load && t->load(j, v, r, a, e) < 0))
		return -1;
	return (r->desc = pol_desc(r, a, e)) ? 0 : -1;
}

/* the signedIdentity of r (token i; -1: absent, the default) */
static int
pol_signed(const Json *j, int i, Req *r, Arena *a, Err *e)
{
	const char *at;

	if (i < 0)
		return 0;
	if (!(at = ar_printf(a, e, "%s.signedIdentity", r->at)))
		return -1;
	return pol_ident(j, i, at, &r->id, a, e);
}

/* the one key source present among the n fields f[0..n) (keyPath,
 * keyPaths, keyData[, keyDatas] in that order, or their rekor twins), whose
 * value tokens are v[0..n), as a Blob list */
static int
pol_keys(const Json *j, const int *v, const Field *f, int n, Req *r,
    Blob **out, int *nout, Arena *a, Err *e)
{
	const char *at;
	int k;

	for (k = 0; k < n && v[k] < 0; k++)
		;
	if (!(at = ar_printf(a, e, "%s.%s", r->at, f[k].key)))
		return -1;
	if (out == &r->keys)
		r->keyfield = f[k].key;
	if (k == 1 || k == 3)
		return pol_blobs(j, v[k], k == 3, at, out, nout, a, e);
	if (!(*out = ar_alloc(a, sizeof(Blob), e)))
		return -1;
	*nout = 1;
	return pol_blob(j, v[k], k == 2, at, *out, a, e);
}

/* a Blob from member i named key of the object at `at` */
static int
pol_field(const Json *j, int i, int isdata, const char *at, const char *key,
    Blob *b, Arena *a, Err *e)
{
	const char *fat = ar_printf(a, e, "%s.%s", at, key);

	return fat ? pol_blob(j, i, isdata, fat, b, a, e) : -1;
}

/* an optional non-empty string member (i < 0: absent, *out stays NULL) */
static int
pol_text(const Json *j, int i, const char *at, const char *key,
    const char **out, Arena *a, Err *e)
{
	if (i < 0)
		return 0;
	if (!(*out = json_str(j, i, a, e)))
		return -1;
	if (!**out)
		return fail(e, ExitConfig, "%s: %s.%s: must not be empty",
		    j->file, at, key);
	return 0;
}

/* Strings: an array's (obj 0), or an object's members as key, value,
 * key, value… (obj 1, *n pairs); 1 to MAX_KEYS of them, array entries
 * and keys not empty */
static int
pol_strings(const Json *j, int i, const char *at, int obj,
    const char ***out, int *n, Arena *a, Err *e)
{
	const char **o;
	int k, t;

	if ((*n = j->t[i].size) == 0 || *n > MAX_KEYS)
		return fail(e, ExitConfig, "%s: %s: want 1 to MAX_KEYS (%d) "
		    "entries", j->file, at, MAX_KEYS);
	if (!(*out = o = ar_alloc(a, (size_t)(2 * *n) * sizeof(*o), e)))
		return -1;
	for (t = i + 1, k = 0; k < *n; k++, t = json_skip(j, t + obj)) {
		if (obj && (json_dupkey(j, i, t, at, a, e) < 0 ||
		    !(o[2 * k] = json_str(j, t, a, e))))
			return -1;
		if (j->t[t + obj].type != JSMN_STRING)
			return fail(e, ExitConfig, "%s: %s[%d]: expected a "
			    "string, got %s", j->file, at, k,
			    json_typename(j->t[t + obj].type));
		if (!(o[obj ? 2 * k + 1 : k] = json_str(j, t + obj, a, e)))
			return -1;
		if (!*o[obj ? 2 * k : k])
			return fail(e, ExitConfig, "%s: %s[%d]: must not be "
			    "empty", j->file, at, k);
	}
	return 0;
}

/* a path (non-empty) or inline data (base64, as Go encodes []byte) */
static int
pol_blob(const Json *j, int i, int isdata, const char *at, Blob *b,
    Arena *a, Err *e)
{
	const char *s;
	Str d;

	memset(b, 0, sizeof(*b));
	b->at = at;
	if (j->t[i].type != JSMN_STRING)
		return fail(e, ExitConfig, "%s: %s: expected a string, got %s",
		    j->file, at, json_typename(j->t[i].type));
	if (!(s = json_str(j, i, a, e)))
		return -1;
	if (!*s)
		return fail(e, ExitConfig, "%s: %s: must not be empty",
		    j->file, at);
	if (!isdata) {
		b->path = s;
		return 0;
	}
	if (b64_decode(a, s, strlen(s), &d) < 0)
		return fail(e, ExitConfig, "%s: %s: not valid base64%s", j->file,
		    at, strncmp(s, "-----BEGIN", 10) ? "" : ": keyData is base64 "
		    "of the PEM file, not its text");
	b->data = (const unsigned char *)d.p;
	b->len = d.n;
	return 0;
}

static int
pol_blobs(const Json *j, int arr, int isdata, const char *at, Blob **out,
    int *n, Arena *a, Err *e)
{
	const char *eat;
	int i, k;

	*n = j->t[arr].size;
	if (*n == 0)
		return fail(e, ExitConfig, "%s: %s: must not be empty",
		    j->file, at);
	if (*n > MAX_KEYS)
		return fail(e, ExitConfig, "%s: %s: more than MAX_KEYS (%d) "
		    "entries", j->file, at, MAX_KEYS);
	if (!(*out = ar_alloc(a, (size_t)*n * sizeof(Blob), e)))
		return -1;
	for (i = arr + 1, k = 0; k < *n; k++, i = json_skip(j, i))
		if (!(eat = ar_printf(a, e, "%s[%d]", at, k)) ||
		    pol_blob(j, i, isdata, eat, &(*out)[k], a, e) < 0)
			return -1;
	return 0;
}

static int
pol_ident(const Json *j, int obj, const char *at, Ident *id, Arena *a,
    Err *e)
{
	static const struct {
		const Field *f;
		int n;
	} tables[] = {		/* by IdMatchRepoDigestOrExact… */
		{ FIELDS(typeonly) }, { FIELDS(typeonly) },
		{ FIELDS(typeonly) }, { FIELDS(exactreffields) },
		{ FIELDS(exactrepofields) }, { FIELDS(remapfields) }
	};
	Err sub = { 0, "" };
	int v[3], i;
	char *s, *t;

	if ((i = pol_type(j, obj, at, e)) < 0)
		return -1;
	for (id->type = 0; id->type < (int)LEN(idnames) && !json_eq(j, i,
	    idnames[id->type]); id->type++)
		;
	if (id->type == (int)LEN(idnames))
		return pol_unknown(j, i, at, "signedIdentity type", a, e);
	if (json_fields(j, obj, at, tables[id->type].f, tables[id->type].n, v,
	    a, e) < 0)
		return -1;
	switch (id->type) {
	case IdExactReference:
	case IdExactRepository:
		if (v[1] < 0)
			return fail(e, ExitConfig, "%s: %s: \"%s\" is missing",
			    j->file, at, tables[id->type].f[1].key);
		if (!(s = json_str(j, v[1], a, e)))
			return -1;
		if (ref_parse(&id->ref, s, &sub) < 0)
			return fail(e, ExitConfig, "%s: %s.%s: %s", j->file,
			    at, tables[id->type].f[1].key, sub.msg);
		if (id->type == IdExactReference && id->ref.deftag)
			return fail(e, ExitConfig, "%s: %s.dockerReference: "
			    "%s has neither a tag nor a digest", j->file, at,
			    ar_quote(a, s, strlen(s), e));
		break;
	case IdRemap:
		if (v[1] < 0 || v[2] < 0)
			return fail(e, ExitConfig, "%s: %s: \"prefix\" and "
			    "\"signedPrefix\" must both be given", j->file,
			    at);
		if (!(s = json_str(j, v[1], a, e)) ||
		    !(t = json_str(j, v[2], a, e)))
			return -1;
		if (!pol_remap_prefix(s) || !pol_remap_prefix(t))
			return fail(e, ExitConfig, "%s: %s.%s: %s is not a "
			    "host[:port] or host[:port]/path prefix", j->file,
			    at, pol_remap_prefix(s) ? "signedPrefix" :
			    "prefix", ar_quote(a, pol_remap_prefix(s) ? t : s,
			    strlen(pol_remap_prefix(s) ? t : s), e));
		id->prefix = s;
		id->signedprefix = t;
		break;
	}
	return 0;
}

/* remapIdentity prefixes, as containers/image validates them: a domain,
 * or a domain followed by a repository path */
static int
pol_remap_prefix(const char *s)
{
	const char *p = ref_domain(s);

	if (p == s)
		return 0;
	if (!*p)
		return 1;
	return *p == '/' && (p = ref_path(p + 1)) && !*p;
}

/* "signedBy(keyPath=/k.gpg)": how reasons name a requirement */
static const char *
pol_desc(const Req *r, Arena *a, Err *e)
{
	static const char *srcs[] = { "", "fulcio", "pki" };
	const char *t = reqtype(r->type)->name, *f = r->keyfield;
	char *s;
	int i;

	if (!f && r->src == SrcKeys)
		return t;	/* no keys: insecureAcceptAnything… */
	if (r->src != SrcKeys)
		return ar_printf(a, e, "%s(%s)", t, srcs[r->src]);
	if (!strcmp(f, "keyData") || !strcmp(f, "keyDatas"))
		return ar_printf(a, e, "%s(%s)", t, f);
	if (!strcmp(f, "keyPath"))
		return ar_printf(a, e, "%s(keyPath=%s)", t, r->keys[0].path);
	s = ar_printf(a, e, "%s(keyPaths=[%s", t, r->keys[0].path);
	for (i = 1; s && i < r->nkeys; i++)
		s = ar_printf(a, e, "%s,%s", s, r->keys[i].path);
	return s ? ar_printf(a, e, "%s])", s) : NULL;
}

/* the scope of reference r: the most specific docker scope, else the
 * transport's "", else "default" */
static const Scope *
pol_scope(const Policy *p, const Ref *r, const char *digest)
{
	struct PolMatch m;

	m.p = p;
	m.sc = NULL;
	if (ref_scopes(r, digest, pol_match, &m))
		return m.sc;
	return (m.sc = pol_find(p, "", 0)) ? m.sc : &p->scope[0];
}

static int
pol_match(void *ctx, const char *key, size_t n)
{
	struct PolMatch *m = ctx;

	return (m->sc = pol_find(m->p, key, n)) != NULL;
}

static const Scope *
pol_find(const Policy *p, const char *key, size_t n)
{
	int i;

	for (i = 1; i < p->nscope; i++)
		if (!strcmp(p->scope[i].transport, "docker") &&
		    strlen(p->scope[i].key) == n &&
		    !memcmp(p->scope[i].key, key, n))
			return &p->scope[i];
	return NULL;
}

/* Why a docker scope can never match, or NULL if it can: containers/image
 * compares scopes with fully expanded names, so "alpine" or
 * "index.docker.io/x" are accepted by Podman and silently useless.  -check
 * warns; the policy stays valid, as it is for Podman.  *isnote: what is
 * said may be what is meant ("docker.io/bitnami"): a note, not a warning. */
static const char *
pol_lint(const char *key, int *isnote, Arena *a, Err *e)
{
	char s[REF_NAME_MAX + REF_TAG_MAX + DIGEST_MAX + 4];
	size_t n = strcspn(key, "/");
	Err sub = { 0, "" };
	Ref r;
	int domainlike = memchr(key, '.', n) || memchr(key, ':', n) ||
	    (n == 9 && !memcmp(key, "localhost", 9));

	*isnote = 0;
	if (!*key)
		return NULL;
	if (!strncmp(key, "*.", 2))
		return key[2] && key[2] != '[' && !*ref_domain(key + 2) &&
		    !strchr(key, ':') ? NULL : "never matches: a wildcard is "
		    "\"*.\" and a domain, without port";
	if (domainlike && !key[n] && !*ref_domain(key) && strcmp(key,
	    "index.docker.io"))
		return NULL;	/* a host[:port] */
	if (!strncmp(key, "index.docker.io", 15) && (!key[15] || (key[15] ==
	    '/' && !strpbrk(key + 16, "/:@"))))
		return ar_reason(a, e, "never matches: scopes are fully expanded "
		    "names; did you mean \"docker.io%s\"?", key + 15);
	if (ref_parse(&r, key, &sub) < 0)
		return ar_reason(a, e, "never matches: %s", sub.msg);
	snprintf(s, sizeof(s), "%s%s%s%s%s", r.name, r.tag[0] && !r.deftag ?
	    ":" : "", r.deftag ? "" : r.tag, r.digest[0] ? "@" : "",
	    r.digest);
	if (domainlike && key[n] && !strcmp(s, key))
		return NULL;	/* a name, namespace or reference */
	/* a namespace (Docker Hub organisations are), or the official
	 * image meant: both readings named */
	*isnote = 1;
	if (!strncmp(key, "docker.io/", 10) && !strpbrk(key + 10, "/:@"))
		return strcmp(key, "docker.io/library") ? ar_reason(a, e,
		    "matches repositories under the %s namespace only "
		    "(\"%s/…\"); the official image %s is \"%s\"", key + 10,
		    key, key + 10, s) : NULL;
	*isnote = 0;
	return ar_reason(a, e, "never matches: scopes are fully expanded "
	    "names; did you mean \"%s\"?", domainlike ? s : r.name);
}

/* -check's warning for a relative path: containerd runs ivlite */
#define POL_RELATIVE	"is relative to the working directory, and " \
	"containerd's is not yours: give an absolute path"

/* Every key and CA file of the policy (or of scope only) must be
 * readable: -check; with each, the verdict cache's key takes in each path
 * and its bytes (each(ctx, path, bytes)). */
static int
pol_files(const Policy *p, const Scope *only,
    void (*each)(void *ctx, const char *path, const Str *s), void *ctx,
    Arena *a, Err *e)
{
	const Req *r;
	const Blob *b[5];
	size_t mark = a->used;
	int i, k, m, n;
	Err sub = { 0, "" };
	Str s;

	for (i = 0; i < p->nscope; i++) {
		if (only && only != &p->scope[i])
			continue;
		for (k = 0; k < p->scope[i].nreq; k++) {
			r = &p->scope[i].req[k];
			b[0] = r->keys, b[1] = r->rekor;
			b[2] = &r->ca, b[3] = &r->inter, b[4] = &r->trust;
			for (m = 0; m < 5; m++) {
				int cnt = m == 0 ? r->nkeys : m == 1 ?
				    r->nrekor : 1;

				for (n = 0; n < cnt; n++) {
					if (!b[m] || !b[m][n].path)
						continue;
					if (b[m][n].path[0] != '/')
						warn("%s: %s: %s " POL_RELATIVE,
						    p->file, b[m][n].at,
						    b[m][n].path);
					if (file_read(a, b[m][n].path,
					    MAX_KEY_BYTES, &s, &sub) < 0)
						return fail(e, ExitConfig,
						    "%s: %s: %s", p->file,
						    b[m][n].at, sub.msg);
					if (each)
						each(ctx, b[m][n].path, &s);
					a->used = mark;
				}
			}
		}
	}
	return 0;
}

/* == 11. YAML subset (registries.d) ======================================
 * The YAML that registries.d files use, in the spellings containers/image
 * reads (yaml.v3; YAML to JSON over yaml.v2 in skopeo 1.9, the tests'
 * reference): block mappings, plain and quoted scalars, comments, "---",
 * CRLF, and flow mappings, nested and across lines, so JSON too (YAML 1.2
 * is a superset of it; Nix's toJSON and Ansible's to_json write
 * registries.d that way), parsed into a small tree.  Anything else is
 * "unsupported YAML" with FILE:LINE, never a guess at what containers/image
 * would have read. */

#define YAML_DEPTH 8		/* mappings in mappings; registries.d has 3 */

enum { YNull, YScalar, YMap };	/* YAML node types */

typedef struct Ynode {		/* a mapping, or one of its entries */
	const char *key;
	const char *val;	/* YScalar only */
	int type, line, quoted;
	struct Ynode *child, *next;
} Ynode;

typedef struct {		/* a flow mapping's cursor, across lines */
	char *p;		/* in the current line */
	char *next;		/* the text after it, or NULL */
	int line;
	const char *file;
} Yflow;

/* the line at *next, NUL-terminated, without its comment and trailing
 * blanks (a CR included); NULL after the last.  '#' starts a comment
 * after a blank, outside quoted scalars, which start a line or follow
 * one of "{[,:" (it's # c is "it's"). */
static char *
yaml_line(char **next, int *line)
{
	char *l = *next, *c;
	int q = 0, prev = 0;

	if (!l)
		return NULL;
	++*line;
	if ((*next = strchr(l, '\n')))
		*(*next)++ = '\0';
	for (c = l; *c; c++) {
		if (q && *c == '\\' && q == '"' && c[1])
			c++;
		else if (q && *c == q && q == '\'' && c[1] == '\'')
			c++;
		else if (q && *c == q)
			q = 0;
		else if (!q && (*c == '"' || *c == '\'') && (!prev ||
		    strchr("{[,:", prev)))
			q = *c;
		else if (!q && *c == '#' && (c == l || c[-1] == ' ' ||
		    c[-1] == '\t'))
			break;
		if (*c != ' ' && *c != '\t')
			prev = *c;
	}
	*c = '\0';
	while (c > l && (c[-1] == ' ' || c[-1] == '\t' || c[-1] == '\r'))
		*--c = '\0';
	return l;
}

/* the plain scalar p..end, trimmed; *isnull for empty, ~ and null */
static char *
yaml_plain(const char *p, const char *end, int *isnull, Arena *a, Err *e)
{
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*isnull = end == p || (end - p == 1 && *p == '~') || (end - p == 4 &&
	    (!strncmp(p, "null", 4) || !strncmp(p, "Null", 4) ||
	    !strncmp(p, "NULL", 4)));
	return ar_printf(a, e, "%.*s", (int)(end - p), p);
}

/* one scalar at *pp: quoted (on this line), unquoted into the arena, or
 * plain to the end of the line */
static char *
yaml_scalar(const char **pp, int *isnull, const char *file, int line,
    Arena *a, Err *e)
{
	const char *p = *pp, *end;
	char *out, *q;
	unsigned long u;
	int n;

	*isnull = 0;
	if (*p == '"' || *p == '\'') {
		if (!(out = q = ar_alloc(a, strlen(p) + 1, e)))
			return NULL;
		for (end = p + 1; *end; end++) {
			if (*p == '\'' && *end == '\'' && end[1] == '\'')
				*q++ = *end++;
			else if (*end == *p)
				break;
			else if (*p == '"' && *end == '\\') {
				switch (*++end) {
				case 'n': *q++ = '\n'; break;
				case 't': *q++ = '\t'; break;
				case '\\': case '"': case '/': *q++ = *end; break;
				case 'x': case 'u':
					n = *end == 'x' ? 2 : 4;
					if (strspn(end + 1, "0123456789abcdefABCDEF")
					    < (size_t)n)
						goto bad;
					u = strtoul((char[5]){ end[1], end[2],
					    n > 2 ? end[3] : 0, n > 2 ? end[4] :
					    0, 0 }, NULL, 16);
					if (u == 0 || (u >= 0xd800 &&
					    u < 0xe000))
						goto bad;	/* as yaml.v3 */
					q = json_utf8(q, u);
					end += n;
					break;
				default:
					goto bad;
				}
			} else
				*q++ = *end;
		}
		if (*end != *p)
			return fail(e, ExitConfig, "%s:%d: unterminated quoted "
			    "string (quoted strings across lines are not "
			    "accepted)", file, line), NULL;
		*q = '\0';
		*pp = end + 1;
		return out;
	}
	*pp = p + strlen(p);
	return yaml_plain(p, *pp, isnull, a, e);
bad:
	return fail(e, ExitConfig, "%s:%d: unsupported escape in a "
	    "double-quoted string", file, line), NULL;
}

/* a new node under parent, refusing a key already there */
static Ynode *
yaml_add(Ynode *parent, const char *key, int line, const char *file,
    Arena *a, Err *e)
{
	Ynode *y, **tail;

	for (tail = &parent->child; *tail; tail = &(*tail)->next)
		if (!strcmp((*tail)->key, key))
			return fail(e, ExitConfig, "%s:%d: duplicate key %s",
			    file, line, ar_quote(a, key, strlen(key), e)), NULL;
	if (!(y = ar_alloc(a, sizeof(*y), e)))
		return NULL;
	memset(y, 0, sizeof(*y));
	y->key = key;
	y->line = line;
	y->type = YNull;
	*tail = y;
	return y;
}

/* Does p start something other than a scalar or a mapping entry (a
 * sequence, anchor, alias, tag, block scalar, directive, complex key)? */
static int
yaml_indicator(const char *p)
{
	return strchr("[]{}&*!|>%@`,#", *p) || (strchr("-?:", *p) && (!p[1] ||
	    strchr(" \t,[]{}", p[1])));
}

/* past blanks and line ends (comments are gone); 0 at the end of text */
static int
yaml_ws(Yflow *f)
{
	for (;;) {
		f->p += strspn(f->p, " \t");
		if (*f->p || !f->next)
			return *f->p != '\0';
		f->p = yaml_line(&f->next, &f->line);
	}
}

/* one scalar of a flow mapping at f->p: quoted, or plain up to a flow
 * indicator or a ": " */
static char *
yaml_flowscalar(Yflow *f, int *isnull, Arena *a, Err *e)
{
	const char *p = f->p;
	char *s;

	if (*p == '"' || *p == '\'') {
		s = yaml_scalar(&p, isnull, f->file, f->line, a, e);
	} else {
		while (*p && !strchr(",[]{}", *p) && !(*p == ':' && (!p[1] ||
		    strchr(" \t,[]{}", p[1]))))
			p++;
		s = yaml_plain(f->p, p, isnull, a, e);
	}
	f->p += p - f->p;
	return s;
}

/* The flow mapping at f->p ("{"), maybe across lines, into y: entries
 * "key: value", the value a scalar or a flow mapping; f->p ends past its
 * "}".  A plain scalar does not continue on the next line: yaml.v3 would
 * fold it, we refuse it. */
static int
yaml_flow(Ynode *y, Yflow *f, int depth, Arena *a, Err *e)
{
	const char *key;
	int isnull;
	Ynode *c;

	if (depth >= YAML_DEPTH)
		return fail(e, ExitConfig, "%s:%d: mappings nested deeper than "
		    "%d", f->file, f->line, YAML_DEPTH);
	y->type = YMap;
	for (f->p++;; f->p++) {
		if (!yaml_ws(f))
			goto open;
		if (*f->p == '}')
			break;
		if (yaml_indicator(f->p) || !(key = yaml_flowscalar(f, &isnull,
		    a, e)))
			goto bad;
		f->p += strspn(f->p, " \t");
		if (*f->p++ != ':' || isnull)
			goto bad;	/* "{a}", "{a, b: c}": no value */
		if (!(c = yaml_add(y, key, f->line, f->file, a, e)))
			return -1;
		if (!yaml_ws(f))
			goto open;
		if (*f->p == '{') {
			if (yaml_flow(c, f, depth + 1, a, e) < 0)
				return -1;
		} else if (*f->p != ',' && *f->p != '}') {
			c->quoted = *f->p == '"' || *f->p == '\'';
			if (yaml_indicator(f->p) || !(c->val = yaml_flowscalar(f,
			    &isnull, a, e)))
				goto bad;
			c->type = isnull ? YNull : YScalar;
			if (isnull)
				c->val = NULL;
		}
		if (!yaml_ws(f))
			goto open;
		if (*f->p == '}')
			break;
		if (*f->p != ',')
			goto bad;
	}
	f->p++;
	return 0;
open:
	return fail(e, ExitConfig, "%s:%d: flow mapping not closed by \"}\"",
	    f->file, f->line);
bad:
	return e->code ? -1 : fail(e, ExitConfig, "%s:%d: unsupported YAML "
	    "(flow mapping): entries are \"key: value\", values one-line "
	    "scalars or {} mappings", f->file, f->line);
}

/* the flow mapping at p, in line f->line, as y's value; nothing may
 * follow it on the line where it ends */
static int
yaml_flowvalue(Ynode *y, Yflow *f, char *p, int depth, Arena *a, Err *e)
{
	f->p = p;
	if (yaml_flow(y, f, depth, a, e) < 0)
		return -1;
	if (f->p[strspn(f->p, " \t")])
		return fail(e, ExitConfig, "%s:%d: text after a flow mapping",
		    f->file, f->line);
	return 0;
}

/* the whole file into a tree under root */
static int
yaml_parse(Ynode *root, char *s, const char *file, Arena *a, Err *e)
{
	struct { int indent; Ynode *map; } st[YAML_DEPTH];
	int depth = 0, line = 1, indent, isnull, done = 0, begun = 0, doc;
	char *l, *p, *c;
	const char *key, *v;
	Ynode *y, *last = NULL;
	Yflow f;

	memset(root, 0, sizeof(*root));
	root->type = YMap;
	st[0].indent = -1;	/* set by the first key */
	st[0].map = root;
	if (!strncmp(s, "\xef\xbb\xbf", 3))
		s += 3;
	for (c = s; *c; c++)	/* yaml.v3 ends a line at a lone CR too */
		if (*c == '\n')
			line++;
		else if (*c == '\r' && c[1] != '\n')
			return fail(e, ExitConfig, "%s:%d: CR not followed by "
			    "LF", file, line);
	f.next = s;
	f.line = 0;
	f.file = file;
	while ((l = yaml_line(&f.next, &f.line))) {
		line = f.line;
		indent = (int)strspn(l, " ");
		p = l + indent;
		if (!*p)
			continue;
		if (*p == '\t')
			return fail(e, ExitConfig, "%s:%d: tab in indentation",
			    file, line);
		doc = !indent && !strncmp(p, "---", 3) && (!p[3] ||
		    p[3] == ' ' || p[3] == '\t');
		if ((!indent && !strcmp(p, "...")) || (doc && begun))
			break;	/* the first document is read, as by yaml.v3 */
		if (done)
			return fail(e, ExitConfig, "%s:%d: text after the flow "
			    "mapping that is the document", file, line);
		begun = 1;
		if (doc) {
			p += 3 + strspn(p + 3, " \t");
			if (!*p)
				continue;
			if (*p != '{')
				return fail(e, ExitConfig, "%s:%d: unsupported "
				    "YAML (a block mapping on the --- line)",
				    file, line);
		}
		y = st[0].indent < 0 ? root : last;
		if (*p == '{' && (y == root || (y && y->type == YNull &&
		    !y->val)) && indent > st[depth].indent) {
			/* the document, or the value of the key above */
			done = y == root;
			if (yaml_flowvalue(y, &f, p, depth + 1, a, e) < 0)
				return -1;
			continue;
		}
		if (yaml_indicator(p))
			return fail(e, ExitConfig, "%s:%d: unsupported YAML "
			    "(sequences, anchors, aliases, tags, block scalars "
			    "and complex keys are not accepted)", file, line);
		/* key: up to ": " or a colon ending the line */
		if (*p == '"' || *p == '\'') {
			if (!(key = yaml_scalar((const char **)&p, &isnull,
			    file, line, a, e)))
				return -1;
			if (*p != ':')
				goto nokey;
			p++;
		} else {
			for (c = p; *c && !(*c == ':' && (!c[1] || c[1] ==
			    ' ' || c[1] == '\t')); c++)
				;
			if (!*c || c == p)
				goto nokey;
			if (!(key = yaml_plain(p, c, &isnull, a, e)))
				return -1;	/* "a :" is "a" */
			p = c + 1;
		}
		if (*p && *p != ' ' && *p != '\t')
			goto nokey;
		p += strspn(p, " \t");
		if (st[0].indent < 0) {
			st[0].indent = indent;	/* the first key */
		} else if (indent > st[depth].indent) {
			/* a mapping under the key just read, which had no
			 * value */
			if (!last || last->type != YNull || last->val ||
			    depth + 1 == (int)LEN(st))
				return fail(e, ExitConfig, "%s:%d: unexpected "
				    "indentation", file, line);
			last->type = YMap;
			st[++depth].map = last;
			st[depth].indent = indent;
		} else {
			while (depth > 0 && indent < st[depth].indent)
				depth--;
			if (indent != st[depth].indent)
				return fail(e, ExitConfig, "%s:%d: inconsistent "
				    "indentation", file, line);
		}
		if (!(y = yaml_add(st[depth].map, key, line, file, a, e)))
			return -1;
		last = y;
		if (*p == '{') {
			if (yaml_flowvalue(y, &f, p, depth + 1, a, e) < 0)
				return -1;
			continue;
		}
		/* "a: b: c" and "a: b:" are mappings yaml.v3 refuses */
		if ((*p && yaml_indicator(p)) || (*p != '"' && *p != '\'' &&
		    (strstr(p, ": ") || strstr(p, ":\t") || (*p &&
		    p[strlen(p) - 1] == ':'))))
			return fail(e, ExitConfig, "%s:%d: unsupported YAML "
			    "value", file, line);
		v = p;
		y->quoted = *p == '"' || *p == '\'';
		if (!(y->val = yaml_scalar(&v, &isnull, file, line, a, e)))
			return -1;
		if (*v)
			return fail(e, ExitConfig, "%s:%d: text after a quoted "
			    "value", file, line);
		y->type = isnull ? YNull : YScalar;
		if (isnull)
			y->val = NULL;
	}
	return 0;
nokey:
	return fail(e, ExitConfig, "%s:%d: unsupported YAML (expected "
	    "\"key: value\"; multi-line scalars are not accepted)", file,
	    line);
}

static int
yaml_bool(const char *s)
{
	static const char *yes[] = { "true", "True", "TRUE", "y", "Y", "yes",
	    "Yes", "YES", "on", "On", "ON" };
	static const char *no[] = { "false", "False", "FALSE", "n", "N", "no",
	    "No", "NO", "off", "Off", "OFF" };
	size_t i;

	for (i = 0; s && i < LEN(yes); i++)
		if (!strcmp(s, yes[i]))
			return 1;
	for (i = 0; s && i < LEN(no); i++)
		if (!strcmp(s, no[i]))
			return 0;
	return -1;
}

/* == 12. certs.d, auth.json, registries.d ================================
 * Per-registry TLS material (containers-certs.d(5)), credentials
 * (containers-auth.json(5), docker's config.json) and signature locations
 * (containers-registries.d(5)).  Credentials are secrets: no Err, log line
 * or output ever holds one; messages name the file and the key only. */

typedef struct {		/* certs.d/HOST[:PORT]/ */
	const char *crt[MAX_CERTSD_FILES];	/* *.crt: extra CAs */
	int ncrt;
	const char *cert, *key;			/* the client pair, or NULL */
} CertsD;

typedef struct {		/* secrets: never in an Err, a log or output */
	const char *user, *pass;
	const char *idtoken;	/* OAuth2 refresh token ("identitytoken") */
	const char *src;	/* "FILE, key K", or NULL: no credentials */
} Creds;

typedef struct {		/* one scope of registries.d */
	const char *key;	/* docker scope; NULL: default-docker */
	const char *lookaside;	/* lookaside, else sigstore; NULL: unset */
	const char *alias;	/* sigstore (deprecated lookaside) */
	int attach;		/* use-sigstore-attachments; -1: unset */
	const char *file;
	int line;
} RegdScope;

typedef struct {
	const char *dir;
	RegdScope *s;		/* MAX_REGD_SCOPES */
	int n;
} Regd;

#define REGD_LOOKASIDE	"file:///var/lib/containers/sigstore"	/* unset */

struct RegdMatch {		/* regd_find's search */
	const Regd *g;
	const RegdScope *lookaside, *attach;
};

static int auth_doc(const char *text, size_t tn, const char *file,
    const char *name, size_t hl, Creds *c, Arena *a, Err *e);
static int regd_file(Regd *g, char *text, const char *file, Arena *a,
    Err *e);

/* DIR/AUTHORITY/: *.crt are CAs added to the system ones, NAME.cert with
 * NAME.key the client pair; a missing directory is no extra material */
static int
cert_dir(Arena *a, const char *dir, const char *authority, CertsD *c,
    Err *e)
{
	char *names[MAX_CERTSD_FILES], *path, *k;
	struct dirent *d;
	size_t len;
	DIR *dp;
	int i, m, n = 0;

	memset(c, 0, sizeof(*c));
	if (!(path = ar_printf(a, e, "%s/%s", dir, authority)))
		return -1;
	if (!(dp = opendir(path)))
		return errno == ENOENT || errno == ENOTDIR ? 0 : fail(e,
		    ExitConfig, "%s: %s", path, strerror(errno));
	while ((d = readdir(dp))) {
		len = strlen(d->d_name);
		if (!(len > 4 && !strcmp(d->d_name + len - 4, ".crt")) &&
		    !(len > 5 && !strcmp(d->d_name + len - 5, ".cert")) &&
		    !(len > 4 && !strcmp(d->d_name + len - 4, ".key")))
			continue;
		if (n == MAX_CERTSD_FILES) {
			closedir(dp);
			return fail(e, ExitConfig, "%s: more than "
			    "MAX_CERTSD_FILES (%d) certificate files", path,
			    MAX_CERTSD_FILES);
		}
		if (!(names[n++] = ar_printf(a, e, "%s/%s", path,
		    d->d_name))) {
			closedir(dp);
			return -1;
		}
	}
	closedir(dp);
	qsort(names, (size_t)n, sizeof(names[0]), str_cmp);
	for (i = 0; i < n; i++) {
		len = strlen(names[i]);
		if (!strcmp(names[i] + len - 4, ".crt")) {
			c->crt[c->ncrt++] = names[i];
			continue;
		}
		/* a .cert needs its .key and a .key its .cert */
		k = ar_printf(a, e, "%.*s%s", (int)(len - (names[i][len - 1] ==
		    'y' ? 4 : 5)), names[i], names[i][len - 1] == 'y' ?
		    ".cert" : ".key");
		if (!k)
			return -1;
		for (m = 0; m < n && strcmp(names[m], k); m++)
			;
		if (m == n)
			return fail(e, ExitConfig, "%s has no matching %s",
			    names[i], k);
		if (names[i][len - 1] == 't' && !c->cert) {
			c->cert = names[i];
			c->key = k;
		} else if (names[i][len - 1] == 't') {
			logv("%s: only the first client pair is used", names[i]);
		}
	}
	return 0;
}

/* "user:password" of an auths entry; 1 if usable, 0 if empty (containers/
 * image then goes on with the next file) */
static int
auth_entry(const Json *j, int obj, const char *file, const char *key,
    Creds *c, Arena *a, Err *e)
{
	int v = json_get(j, obj, "auth"), t = json_get(j, obj, "identitytoken");
	const char *s, *colon;
	Str d;

	if (j->t[obj].type != JSMN_OBJECT || v < 0)
		return 0;
	if (j->t[v].type != JSMN_STRING || !(s = json_str(j, v, a, e)))
		return e->code ? -1 : fail(e, ExitConfig, "%s: auths[%s].auth:"
		    " expected a string", file, key);
	if (b64_decode(a, s, strlen(s), &d) < 0)
		return fail(e, ExitConfig, "%s: auths[%s].auth: not valid "
		    "base64", file, key);
	if (!d.n || !(colon = memchr(d.p, ':', d.n)))
		return 0;
	c->user = d.p;
	d.p[colon - d.p] = '\0';
	c->pass = colon + 1;
	/* docker pads some passwords with NULs; they are not part of it */
	while (*c->pass == '\0' && c->pass < d.p + d.n)
		c->pass++;
	c->idtoken = NULL;
	if (t >= 0 && j->t[t].type == JSMN_STRING && !(c->idtoken =
	    json_str(j, t, a, e)))
		return -1;
	if (c->idtoken && !*c->idtoken)
		c->idtoken = NULL;
	return (c->src = ar_printf(a, e, "%s, key %s", file, key)) ? 1 : -1;
}

/* the host part of an auth key as containers/image normalizes it */
static size_t
auth_norm(const char *k, const char **out)
{
	size_t n;

	if (!strncmp(k, "http://", 7) || !strncmp(k, "https://", 8)) {
		k += k[4] == 's' ? 8 : 7;
		n = strcspn(k, "/");
	} else {
		n = strlen(k);
	}
	if ((n == 9 && !memcmp(k, "docker.io", 9)) || (n == 20 &&
	    !memcmp(k, "registry-1.docker.io", 20)))
		k = "index.docker.io", n = 15;
	*out = k;
	return n;
}

/* Credentials for NAME (host/path, host as in the reference) from the
 * files in order: the first file holding a usable entry wins.  No
 * credentials is not an error. */
static int
auth_find(Arena *a, const char *const *files, const char *name, size_t hl,
    Creds *c, Err *e)
{
	const char *file;
	int f, r;
	Str s;

	memset(c, 0, sizeof(*c));
	for (f = 0; (file = files[f]); f++) {
		if (access(file, F_OK) < 0 && errno == ENOENT)
			continue;
		if (file_read(a, file, MAX_AUTH_BYTES, &s, e) < 0 ||
		    (r = auth_doc(s.p, s.n, file, name, hl, c, a, e)) < 0)
			return -1;
		if (r)
			return 0;
		logv("%s: no usable credentials for %.*s", file, (int)hl,
		    name);
	}
	return 0;
}

/* One auth file's text: credHelpers[host] (refused), then the keys
 * host/a/b/c … host, then keys equal to the host once normalized.  1 with
 * usable credentials in c, 0 none here. */
static int
auth_doc(const char *text, size_t tn, const char *file, const char *name,
    size_t hl, Creds *c, Arena *a, Err *e)
{
	const char *nk, *nh;
	size_t n, nl, hn;
	int au, ch, i, k;
	char *key;
	Json j;

	if (!(key = ar_printf(a, e, "%.*s", (int)hl, name)))
		return -1;
	hn = auth_norm(key, &nh);
	if (json_parse(&j, a, file, text, tn, ExitConfig, e) < 0)
		return -1;
	if (j.t[0].type != JSMN_OBJECT)
		return fail(e, ExitConfig, "%s: expected a JSON object", file);
	au = json_get(&j, 0, "auths");
	ch = json_get(&j, 0, "credHelpers");
	if (ch >= 0 && j.t[ch].type == JSMN_OBJECT && (k = json_getn(&j, ch,
	    name, hl)) >= 0)
		return fail(e, ExitConfig, "credential helper %s configured for "
		    "%.*s in %s is not supported; add an auths entry",
		    ar_quote(a, j.s + j.t[k].start, (size_t)(j.t[k].end -
		    j.t[k].start), e), (int)hl, name, file);
	if (au < 0 || j.t[au].type != JSMN_OBJECT)
		return 0;
	for (n = strlen(name); n >= hl; n--) {	/* most specific first */
		if (n != hl && name[n] != '\0' && name[n] != '/')
			continue;
		if ((k = json_getn(&j, au, name, n)) >= 0)
			return auth_entry(&j, k, file, ar_quote(a, name, n, e), c,
			    a, e);
	}
	for (i = au + 1, k = 0; k < j.t[au].size; k++, i = json_skip(&j,
	    i + 1)) {
		if (!(key = json_str(&j, i, a, e)))
			return -1;
		nl = auth_norm(key, &nk);
		if (nl == hn && !memcmp(nk, nh, hn))
			return auth_entry(&j, i + 1, file, ar_quote(a, key,
			    strlen(key), e), c, a, e);
	}
	return 0;
}

/* containers/image decodes registries.d through encoding/json, which
 * matches field names in any case: "Lookaside" is its lookaside, never a
 * key to ignore */
static int
regd_case(const Ynode *c, const char *const *known, const char *file,
    Err *e)
{
	for (; *known; known++)
		if (!strcasecmp(c->key, *known) && strcmp(c->key, *known))
			return fail(e, ExitConfig, "%s:%d: %s: containers/image "
			    "reads it as %s; write %s", file, c->line, c->key,
			    *known, *known);
	return 0;
}

/* Is a within two edits (insert, delete, replace) of b?  For "did you
 * mean": keys are short, longer ones are never near. */
static int
near(const char *a, const char *b)
{
	size_t i, j, m = strlen(a), n = strlen(b);
	unsigned char d[2][33];

	if (m > 32 || n > 32)
		return 0;
	for (j = 0; j <= n; j++)
		d[0][j] = (unsigned char)j;
	for (i = 1; i <= m; i++) {
		d[i & 1][0] = (unsigned char)i;
		for (j = 1; j <= n; j++) {
			int x = d[(i - 1) & 1][j - 1] + (a[i - 1] != b[j - 1]),
			    y = d[(i - 1) & 1][j] + 1, z = d[i & 1][j - 1] + 1;

			d[i & 1][j] = (unsigned char)(x < y ? (x < z ? x : z) :
			    (y < z ? y : z));
		}
	}
	return d[m & 1][n] <= 2;
}

/* -check's warning for a key containers/image ignores, naming the one of
 * known (NULL-terminated) it may have meant */
static void
regd_unknown(const char *file, const Ynode *y, const char *const *known)
{
	char q[QUOTE_SIZE];

	while (*known && !near(y->key, *known))
		known++;
	warn("%s:%d: unknown key %s is ignored%s%s%s", file, y->line,
	    quote(q, y->key, strlen(y->key)), *known ? "; did you mean \"" :
	    "", *known ? *known : "", *known ? "\"?" : "");
}

static const char *const topkeys[] = { "docker", "default-docker", NULL };
static const char *const sectionkeys[] = { "lookaside", "sigstore",
    "lookaside-staging", "sigstore-staging", "use-sigstore-attachments",
    NULL };

/* one section (lookaside, sigstore, use-sigstore-attachments…) */
static int
regd_section(RegdScope *s, const Ynode *y, const char *file, Err *e)
{
	static const char *const known[] = { "lookaside", "sigstore",
	    "lookaside-staging", "sigstore-staging",
	    "use-sigstore-attachments", NULL };
	const Ynode *c;

	s->attach = -1;
	s->file = file;
	s->line = y->line;
	if (y->type == YScalar)
		return fail(e, ExitConfig, "%s:%d: %s: expected a mapping",
		    file, y->line, y->key);
	for (c = y->child; c; c = c->next) {
		if (regd_case(c, known, file, e) < 0)
			return -1;
		if (!strcmp(c->key, "use-sigstore-attachments")) {
			/* null leaves it unset; a quoted "true" is a string,
			 * which containers/image refuses for a bool */
			if (c->type != YNull && (c->type == YMap || c->quoted ||
			    (s->attach = yaml_bool(c->val)) < 0))
				return fail(e, ExitConfig, "%s:%d: "
				    "use-sigstore-attachments: expected true or "
				    "false%s", file, c->line, c->quoted ?
				    ", unquoted" : "");
			continue;
		}
		if (strcmp(c->key, "lookaside") && strcmp(c->key, "sigstore") &&
		    strcmp(c->key, "lookaside-staging") &&
		    strcmp(c->key, "sigstore-staging")) {
			regd_unknown(file, c, sectionkeys);
			continue;	/* unknown keys are ignored, as upstream */
		}
		if (c->type == YMap)
			return fail(e, ExitConfig, "%s:%d: %s: expected a URL",
			    file, c->line, c->key);
		if (c->val && !strcmp(c->key, "lookaside"))
			s->lookaside = c->val;
		else if (c->val && !strcmp(c->key, "sigstore") && !s->alias)
			s->alias = c->val;
	}
	if (!s->lookaside)
		s->lookaside = s->alias;
	return 0;
}

/* a registries.d scope, refusing one another file already defined */
static RegdScope *
regd_add(Regd *g, const char *key, const char *file, int line, Arena *a,
    Err *e)
{
	RegdScope *s;
	int i;

	for (i = 0; i < g->n; i++)
		if ((!key && !g->s[i].key) || (key && g->s[i].key &&
		    !strcmp(key, g->s[i].key)))
			return fail(e, ExitConfig, "%s:%d: %s is also defined "
			    "in %s", file, line, key ? ar_quote(a, key,
			    strlen(key), e) : "default-docker", g->s[i].file),
			    NULL;
	if (g->n == MAX_REGD_SCOPES)
		return fail(e, ExitConfig, "%s: more than MAX_REGD_SCOPES (%d) "
		    "scopes in registries.d", file, MAX_REGD_SCOPES), NULL;
	s = &g->s[g->n++];
	memset(s, 0, sizeof(*s));
	s->key = key;
	return s;
}

/* every *.yaml of dir, in name order; a missing directory is empty */
static int
regd_load(Regd *g, Arena *a, const char *dir, Err *e)
{
	char *names[MAX_REGD_FILES], *skip[MAX_REGD_FILES];
	struct dirent *d;
	size_t len;
	DIR *dp;
	int i, n = 0, nskip = 0;
	Str f;

	g->n = 0;
	g->dir = dir;
	if (!g->s && !(g->s = ar_alloc(a, MAX_REGD_SCOPES * sizeof(*g->s), e)))
		return -1;
	if (!(dp = opendir(dir)))
		return errno == ENOENT ? 0 : fail(e, ExitConfig, "%s: %s", dir,
		    strerror(errno));
	while ((d = readdir(dp))) {
		len = strlen(d->d_name);
		if (len < 6 || strcmp(d->d_name + len - 5, ".yaml")) {
			if (warns.a && nskip < MAX_REGD_FILES &&
			    strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
				skip[nskip++] = ar_printf(warns.a, NULL,
				    "%s/%s", dir, d->d_name);
			continue;
		}
		if (n == MAX_REGD_FILES || !(names[n++] = ar_printf(a, e,
		    "%s/%s", dir, d->d_name))) {
			closedir(dp);
			return e->code ? -1 : fail(e, ExitConfig, "%s: more than "
			    "MAX_REGD_FILES (%d) files", dir, MAX_REGD_FILES);
		}
	}
	closedir(dp);
	qsort(skip, (size_t)nskip, sizeof(skip[0]), str_cmp);
	for (i = 0; i < nskip; i++)	/* -check only */
		warn("%s: ignored: registries.d reads only files ending in "
		    ".yaml", skip[i] ? skip[i] : NOMEM);
	qsort(names, (size_t)n, sizeof(names[0]), str_cmp);
	for (i = 0; i < n; i++) {
		if (file_read(a, names[i], MAX_REGD_BYTES, &f, e) < 0)
			return -1;
		if (strlen(f.p) != f.n)	/* yaml.v3 refuses it too */
			return fail(e, ExitConfig, "%s: a NUL byte", names[i]);
		if (regd_file(g, f.p, names[i], a, e) < 0)
			return -1;
	}
	return 0;
}

/* one registries.d file's text (modified in place) merged into g */
static int
regd_file(Regd *g, char *text, const char *file, Arena *a, Err *e)
{
	static const char *const known[] = { "docker", "default-docker",
	    NULL };
	const Ynode *t, *c;
	RegdScope *s;
	Ynode root;

	if (yaml_parse(&root, text, file, a, e) < 0)
		return -1;
	for (t = root.child; t; t = t->next) {
		if (regd_case(t, known, file, e) < 0)
			return -1;
		if (!strcmp(t->key, "default-docker") && t->type != YNull) {
			if (!(s = regd_add(g, NULL, file, t->line, a, e)) ||
			    regd_section(s, t, file, e) < 0)
				return -1;
		} else if (!strcmp(t->key, "docker") && t->type == YScalar) {
			return fail(e, ExitConfig, "%s:%d: docker: expected a "
			    "mapping of scopes", file, t->line);
		} else if (!strcmp(t->key, "docker")) {
			for (c = t->child; c; c = c->next)
				if (!(s = regd_add(g, c->key, file, c->line, a,
				    e)) || regd_section(s, c, file, e) < 0)
					return -1;
		} else if (strcmp(t->key, "default-docker")) {
			regd_unknown(file, t, topkeys);
		}
	}
	return 0;
}

/* the lookaside URL: http, https or file, as containers/image reads them */
static int
regd_url(const RegdScope *s, Err *e)
{
	const char *u = s->lookaside;

	char q[QUOTE_SIZE];

	if (!u || !strncmp(u, "https://", 8) || !strncmp(u, "http://", 7) ||
	    !strncmp(u, "file:///", 8))
		return 0;
	return fail(e, ExitConfig, "%s:%d: lookaside %s: want an http://, "
	    "https:// or file:/// URL", s->file, s->line, quote(q, u,
	    strlen(u)));
}

static int
regd_match(void *ctx, const char *key, size_t n)
{
	struct RegdMatch *m = ctx;
	int i;

	for (i = 0; i < m->g->n; i++) {
		const RegdScope *s = &m->g->s[i];

		if (!s->key || strlen(s->key) != n || memcmp(s->key, key, n))
			continue;
		if (!m->lookaside && s->lookaside)
			m->lookaside = s;
		if (!m->attach && s->attach >= 0)
			m->attach = s;
	}
	return 0;	/* each setting from its own most specific scope */
}

/* What registries.d says for reference r: per setting, the most specific
 * scope that sets it, then default-docker (containers/image's rule) */
static int
regd_find(const Regd *g, const Ref *r, const char *digest,
    const char **lookaside, int *attach, Err *e)
{
	struct RegdMatch m;
	int i;

	memset(&m, 0, sizeof(m));
	m.g = g;
	ref_scopes(r, digest, regd_match, &m);
	for (i = 0; i < g->n; i++) {
		if (g->s[i].key)
			continue;
		if (!m.lookaside && g->s[i].lookaside)
			m.lookaside = &g->s[i];
		if (!m.attach && g->s[i].attach >= 0)
			m.attach = &g->s[i];
	}
	*attach = m.attach ? m.attach->attach : 0;
	*lookaside = m.lookaside ? m.lookaside->lookaside : REGD_LOOKASIDE;
	return m.lookaside ? regd_url(m.lookaside, e) : 0;
}

/* == 13. Crypto over mbedTLS =============================================
 * Public keys from PEM and signatures over SHA-256, as cosign makes them:
 * ECDSA (DER, or IEEE P1363 r||s when not DER) and RSA PKCS#1 v1.5; raw
 * keys and checks for OpenPGP; hashes; PEM and certificates.  Every
 * non-zero mbedTLS answer is a failure, trailing bytes included.  Only
 * the crypto sections (this one, name constraints, Ed25519) and TLS trust
 * call mbedTLS; the others use Pk, Cert, Md and these functions. */

typedef mbedtls_pk_context Pk;	/* a public key (cry_key_*) */
typedef mbedtls_x509_crt Cert;	/* certificates, each the ->next of one */

typedef struct {		/* a public key from the policy */
	Pk pk;
	int ready;
	const char *name;	/* how reasons name it: its path or field */
} Key;

/* hash types (md_begin, cry_check) */
enum { MdNone, MdSha1, MdSha224, MdSha256, MdSha384, MdSha512 };

typedef struct {		/* a hash fed in pieces */
	mbedtls_md_context_t ctx;
	size_t size;
	int ok;
} Md;

static const char *memmem_pem(const char *s, size_t n);

/* Starts PSA crypto once, before any key, certificate or TLS work that
 * goes through it: TLS 1.3 always (tls), keys and certificates too in a
 * MBEDTLS_USE_PSA_CRYPTO build, which otherwise verifies nothing.  0, or
 * -1 if it cannot start (no entropy, no memory). */
static int
cry_init(int tls)
{
	static int started;

	if (!started && (tls || PSA_KEYS))
		started = psa_start() == 0;
	return started || !(tls || PSA_KEYS) ? 0 : -1;
}

/* the first PEM block of b: a PUBLIC KEY (SPKI) or RSA PUBLIC KEY, RSA
 * of MIN_RSA_BITS or more or ECDSA on a NIST curve; anything else is a
 * configuration error */
static int
cry_key(Key *k, const Blob *b, int ecdsa, const char *file, Arena *a,
    Err *e)
{
	const char *s, *beg, *end = NULL, *lab, *where;
	Err sub = { 0, "" };
	size_t mark = a->used, n;
	char *pem = NULL, endl[64];
	Str f;
	int r;

	mbedtls_pk_init(&k->pk);
	k->ready = 1;
	k->name = b->path ? b->path : b->at;
	if (!(where = b->path ? ar_printf(a, e, "%s: %s: %s", file, b->at,
	    b->path) : ar_printf(a, e, "%s: %s", file, b->at)))
		return -1;
	mark = a->used;
	if (cry_init(0) < 0)
		return fail(e, ExitUndecided, "%s: cannot start PSA crypto",
		    where);
	if (b->path && file_read(a, b->path, MAX_KEY_BYTES, &f, &sub) < 0)
		return fail(e, ExitConfig, "%s: %s: %s", file, b->at, sub.msg);
	s = b->path ? f.p : (const char *)b->data;
	n = b->path ? f.n : b->len;
	beg = memmem_pem(s, n);
	lab = beg ? beg + 11 : "";
	if (beg && (!strncmp(lab, "PUBLIC KEY-----", 15) ||
	    !strncmp(lab, "RSA PUBLIC KEY-----", 19))) {
		snprintf(endl, sizeof(endl), "-----END %.*s-----",
		    (int)strcspn(lab, "-"), lab);
		end = strstr(beg, endl);
	}
	if (end && !(pem = ar_printf(a, e, "%.*s\n", (int)(end +
	    strlen(endl) - beg), beg)))
		return -1;
	r = pem ? mbedtls_pk_parse_public_key(&k->pk,
	    (const unsigned char *)pem, strlen(pem) + 1) : -1;
	a->used = mark;
	if (r == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG)
		return fail(e, ExitConfig, "%s: unsupported key algorithm (RSA "
		    "and ECDSA P-224/256/384/521 are; Ed25519 is not)", where);
	if (r != 0)
		return fail(e, ExitConfig, "%s: not a PEM public key", where);
	if (ecdsa && mbedtls_pk_get_type(&k->pk) != MBEDTLS_PK_ECKEY)
		return fail(e, ExitConfig, "%s: a Rekor key must be ECDSA",
		    where);
	if (mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_RSA &&
	    mbedtls_pk_get_bitlen(&k->pk) < MIN_RSA_BITS)
		return fail(e, ExitConfig, "%s: RSA key of %zu bits, fewer than "
		    "MIN_RSA_BITS (%d)", where, mbedtls_pk_get_bitlen(&k->pk),
		    MIN_RSA_BITS);
	if (mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_RSA)
		return 0;
	if (mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_ECKEY)
		switch (mbedtls_pk_ec(k->pk)->MBEDTLS_PRIVATE(grp).id) {
		case MBEDTLS_ECP_DP_SECP224R1:
		case MBEDTLS_ECP_DP_SECP256R1:
		case MBEDTLS_ECP_DP_SECP384R1:
		case MBEDTLS_ECP_DP_SECP521R1:
			return 0;
		default:
			break;
		}
	return fail(e, ExitConfig, "%s: unsupported key type (RSA and ECDSA "
	    "on NIST curves are)", where);
}

/* the first "-----BEGIN " in s[0..n), or NULL */
static const char *
memmem_pem(const char *s, size_t n)
{
	const char *p;

	for (p = s; (p = memchr(p, '-', n - (size_t)(p - s))); p++)
		if ((size_t)(s + n - p) >= 11 && !memcmp(p, "-----BEGIN ", 11))
			return p;
	return NULL;
}

static void
cry_key_free(Key *k)
{
	if (k->ready)
		mbedtls_pk_free(&k->pk);
	k->ready = 0;
}

static void
cry_pk_init(Pk *pk)
{
	mbedtls_pk_init(pk);
}

static void
cry_pk_free(Pk *pk)
{
	mbedtls_pk_free(pk);
}

/* An RSA public key (modulus n, exponent e, big-endian) into pk, which
 * holds no key yet.  0, or -1 if it is not one. */
static int
cry_key_rsa(Pk *pk, const unsigned char *n, size_t nl,
    const unsigned char *e, size_t el)
{
	return cry_init(0) < 0 || mbedtls_pk_setup(pk,
	    mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) != 0 || mbedtls_rsa_import_raw(mbedtls_pk_rsa(*pk),
	    n, nl, NULL, 0, NULL, 0, NULL, 0, e, el) != 0 ||
	    mbedtls_rsa_complete(mbedtls_pk_rsa(*pk)) != 0 ? -1 : 0;
}

/* An ECDSA public key into pk (which holds no key yet): the curve by the
 * DER contents of its OID (NIST P-256, P-384, P-521 and brainpool, as
 * OpenPGP names them), the point q (SEC 1).  0, or -1. */
static int
cry_key_ec(Pk *pk, const unsigned char *oid, size_t ol,
    const unsigned char *q, size_t ql)
{
	static const struct {
		unsigned char oid[10], len;
		mbedtls_ecp_group_id id;
	} curves[] = {
		{ { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 }, 8,
		    MBEDTLS_ECP_DP_SECP256R1 },
		{ { 0x2b, 0x81, 0x04, 0x00, 0x22 }, 5, MBEDTLS_ECP_DP_SECP384R1 },
		{ { 0x2b, 0x81, 0x04, 0x00, 0x23 }, 5, MBEDTLS_ECP_DP_SECP521R1 },
		{ { 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07 }, 9,
		    MBEDTLS_ECP_DP_BP256R1 },
		{ { 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0b }, 9,
		    MBEDTLS_ECP_DP_BP384R1 },
		{ { 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0d }, 9,
		    MBEDTLS_ECP_DP_BP512R1 },
	};
	mbedtls_ecp_keypair *ec;
	size_t i;

	for (i = 0; i < LEN(curves) && (curves[i].len != ol ||
	    memcmp(curves[i].oid, oid, ol)); i++)
		;
	if (i == LEN(curves) || cry_init(0) < 0 || mbedtls_pk_setup(pk,
	    mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0)
		return -1;
	ec = mbedtls_pk_ec(*pk);
	return mbedtls_ecp_group_load(&ec->MBEDTLS_PRIVATE(grp),
	    curves[i].id) != 0 || mbedtls_ecp_point_read_binary(
	    &ec->MBEDTLS_PRIVATE(grp), &ec->MBEDTLS_PRIVATE(Q), q, ql) != 0 ||
	    mbedtls_ecp_check_pubkey(&ec->MBEDTLS_PRIVATE(grp),
	    &ec->MBEDTLS_PRIVATE(Q)) != 0 ? -1 : 0;
}

/* pk as a SubjectPublicKeyInfo, DER, at the end of buf: its length, or 0
 * or less if it does not fit */
static int
cry_key_der(Pk *pk, unsigned char *buf, size_t size)
{
	return mbedtls_pk_write_pubkey_der(pk, buf, size);
}

/* bytes of an RSA modulus (a signature's length) */
static size_t
cry_key_len(const Pk *pk)
{
	return mbedtls_pk_get_len(pk);
}

static size_t
cry_key_bits(const Pk *pk)
{
	return mbedtls_pk_get_bitlen(pk);
}

/* Is ret an mbedTLS error for memory it could not get, which decides
 * nothing about a signature? */
static int
cry_nomem(int ret)
{
	int lo = -ret & 0x7f, hi = -ret & 0x7f80;

	return ret < 0 && (lo == -MBEDTLS_ERR_MPI_ALLOC_FAILED || lo ==
	    -MBEDTLS_ERR_ASN1_ALLOC_FAILED || hi == -MBEDTLS_ERR_ECP_ALLOC_FAILED ||
	    hi == -MBEDTLS_ERR_PK_ALLOC_FAILED || hi ==
	    -MBEDTLS_ERR_MD_ALLOC_FAILED);
}

/* mbedTLS's hash types, by MdNone… */
static const mbedtls_md_type_t cry_md[] = {
	MBEDTLS_MD_NONE, MBEDTLS_MD_SHA1, MBEDTLS_MD_SHA224, MBEDTLS_MD_SHA256,
	MBEDTLS_MD_SHA384, MBEDTLS_MD_SHA512
};

/* Does sig (RSA PKCS#1 v1.5, or ECDSA in DER) verify hash h, made with
 * md (MdNone: as it is, for ECDSA), with pk?  0 if so, -1 if not, -2 if
 * it could not be checked (out of memory). */
static int
cry_check(const Pk *pk, int md, const unsigned char *h, size_t hn,
    const unsigned char *sig, size_t sl)
{
	int ret;

	if (!hn || cry_init(0) < 0)	/* a keyless run has loaded no key */
		return -2;
	ret = mbedtls_pk_verify((Pk *)pk, cry_md[md], h, hn, sig, sl);
	return ret == 0 ? 0 : cry_nomem(ret) ? -2 : -1;
}

/* one positive, minimally encoded DER INTEGER at *p */
static int
cry_der_int(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *q = *p;
	size_t n;

	if (end - q < 3 || q[0] != 0x02 || (n = q[1]) == 0 || n > 0x7f ||
	    (size_t)(end - q - 2) < n || (q[2] & 0x80) || (n > 1 && q[2] ==
	    0 && !(q[3] & 0x80)))
		return 0;
	*p = q + 2 + n;
	return 1;
}

/* is s exactly DER SEQUENCE { INTEGER r, INTEGER s }? */
static int
cry_der_sig(const unsigned char *s, size_t n)
{
	const unsigned char *p = s + 2, *end = s + n;
	size_t len;

	if (n < 2 || s[0] != 0x30)
		return 0;
	len = s[1];
	if (len == 0x81 && n > 2 && s[2] >= 0x80) {
		len = s[2];
		p = s + 3;
	} else if (len & 0x80) {
		return 0;
	}
	return (size_t)(end - p) == len && cry_der_int(&p, end) &&
	    cry_der_int(&p, end) && p == end;
}

/* r||s (two halves, big-endian) as DER into der; its length */
static size_t
cry_p1363(const unsigned char *s, size_t n, unsigned char *der)
{
	size_t half = n / 2, k, len = 0, i, body;
	unsigned char ints[2][70];
	size_t il[2];

	for (k = 0; k < 2; k++) {
		const unsigned char *v = s + k * half;
		size_t m = half;

		while (m > 1 && *v == 0)
			v++, m--;
		il[k] = 0;
		ints[k][il[k]++] = 0x02;
		ints[k][il[k]++] = (unsigned char)(m + (*v >= 0x80));
		if (*v >= 0x80)
			ints[k][il[k]++] = 0;
		memcpy(ints[k] + il[k], v, m);
		il[k] += m;
	}
	body = il[0] + il[1];
	der[len++] = 0x30;
	if (body >= 0x80)
		der[len++] = 0x81;
	der[len++] = (unsigned char)body;
	for (k = 0; k < 2; k++)
		for (i = 0; i < il[k]; i++)
			der[len++] = ints[k][i];
	return len;
}

/* does sig verify over msg with pk (SHA-256, cosign's rule)?  0 if so.
 * ECDSA signatures are DER, or r||s when not DER unless deronly. */
static int
cry_verify(Pk *pk, const void *msg, size_t n,
    const unsigned char *sig, size_t sl, int deronly)
{
	unsigned char h[32], der[160];

	if (sha_raw(256, msg, n, h) != sizeof(h) || cry_init(0) < 0)
		return -1;
	if (mbedtls_pk_get_type(pk) == MBEDTLS_PK_RSA)
		return sl == mbedtls_pk_get_len(pk) && mbedtls_pk_verify(pk,
		    MBEDTLS_MD_SHA256, h, sizeof(h), sig, sl) == 0 ? 0 : -1;
	if (cry_der_sig(sig, sl))
		return mbedtls_pk_verify(pk, MBEDTLS_MD_SHA256, h, sizeof(h),
		    sig, sl) == 0 ? 0 : -1;
	if (deronly || sl < 2 || sl > 132 || sl % 2)
		return -1;
	sl = cry_p1363(sig, sl, der);
	return mbedtls_pk_verify(pk, MBEDTLS_MD_SHA256, h, sizeof(h), der,
	    sl) == 0 ? 0 : -1;
}

/* Does sig verify over msg with pk, as sigstore-go checks a bundle's?
 * ECDSA (DER only) over the hash of its curve (P-384: SHA-384, P-521:
 * SHA-512), then over SHA-256, which cosign signs with whatever the curve;
 * RSA PKCS#1 v1.5 over SHA-256.  0 if so. */
static int
cry_verify_curve(Pk *pk, const void *msg, size_t n,
    const unsigned char *sig, size_t sl)
{
	unsigned char h[64];
	size_t bits = cry_key_bits(pk);
	int md = bits == 384 ? MdSha384 : bits == 521 ? MdSha512 : MdNone;

	if (md != MdNone && mbedtls_pk_get_type(pk) == MBEDTLS_PK_ECKEY &&
	    cry_der_sig(sig, sl) && cry_check(pk, md, h, sha_raw(md ==
	    MdSha384 ? 384 : 512, msg, n, h), sig, sl) == 0)
		return 0;
	return cry_verify(pk, msg, n, sig, sl, 1);
}

/* A hash over several pieces, of type MdSha256… */
static int
md_begin(Md *h, int type)
{
	const mbedtls_md_info_t *info = mbedtls_md_info_from_type(cry_md[type]);

	mbedtls_md_init(&h->ctx);
	h->size = info ? mbedtls_md_get_size(info) : 0;
	h->ok = info && mbedtls_md_setup(&h->ctx, info, 0) == 0 &&
	    mbedtls_md_starts(&h->ctx) == 0;
	return h->ok ? 0 : -1;
}

static void
md_add(Md *h, const void *p, size_t n)
{
	if (h->ok && n && mbedtls_md_update(&h->ctx, p, n) != 0)
		h->ok = 0;
}

/* the digest into out (64 bytes); its length, 0 on failure */
static size_t
md_end(Md *h, unsigned char *out)
{
	size_t n = h->ok ? h->size : 0;

	if (h->ok && mbedtls_md_finish(&h->ctx, out) != 0)
		n = 0;
	mbedtls_md_free(&h->ctx);
	return n;
}

/* bytes that held a secret: gone, whatever the optimizer thinks */
static void
cry_wipe(void *p, size_t n)
{
	mbedtls_platform_zeroize(p, n);
}

/* The next PEM block in s[*pos..n) labelled label (NULL: any label;
 * blocks of other labels are passed over): its base64 body decoded into
 * *der.  1 found, 0 none left (*pos at the first byte after the last
 * block), -1 malformed.  Text before a BEGIN line is skipped. */
static int
cry_pem(const char *s, size_t n, size_t *pos, const char *label, Arena *a,
    Str *der)
{
	const char *beg, *body, *end, *p;
	char endl[80];
	size_t lab;

	do {
		if (!(beg = memmem_pem(s + *pos, n - *pos)))
			return 0;
		lab = strcspn(beg + 11, "-\n");
		if (lab > 60 || (strncmp(beg + 11 + lab, "-----\n", 6) &&
		    strncmp(beg + 11 + lab, "-----\r\n", 7)))
			return -1;
		body = beg + 11 + lab + 5;
		snprintf(endl, sizeof(endl), "-----END %.*s-----", (int)lab,
		    beg + 11);
		if (!(end = strstr(body, endl)) || (size_t)(end - s) > n)
			return -1;
		*pos = (size_t)(end - s) + strlen(endl);
	} while (label && (strlen(label) != lab || memcmp(beg + 11, label,
	    lab)));
	for (p = body; p < end; p++)
		if (*p == ':')
			return -1;	/* PEM headers: not a plain block */
	return b64_decode(a, body, (size_t)(end - body), der) < 0 ? -1 : 1;
}

/* exactly one PEM block, and after its END line at most a line break */
static int
cry_pem_one(const char *s, size_t n, Arena *a, Str *der)
{
	size_t pos = 0;

	if (cry_pem(s, n, &pos, NULL, a, der) != 1)
		return 0;
	if (pos < n && s[pos] == '\r')
		pos++;
	if (pos < n && s[pos] == '\n')
		pos++;
	return pos == n;
}

static void
cry_cert_init(Cert *c)
{
	mbedtls_x509_crt_init(c);
}

static void
cry_cert_free(Cert *c)
{
	mbedtls_x509_crt_free(c);
}

/* the public key of the first certificate of c */
static Pk *
cry_cert_key(Cert *c)
{
	return &c->pk;
}

/* mbedTLS's parser refuses a critical extension it does not know, and
 * RFC 5280 has CAs mark name constraints critical: those pass, as
 * cry_path enforces them on every path it sees (notation's chains do not
 * apply them, so cry_store and the notation readers refuse them) */
static int
cry_ext_cb(void *ctx, mbedtls_x509_crt const *c, mbedtls_x509_buf const *oid,
    int critical, const unsigned char *p, const unsigned char *end)
{
	(void)ctx, (void)c, (void)p, (void)end;
	return !critical || (oid->len == 3 && !memcmp(oid->p, "\x55\x1d\x1e",
	    3)) ? 0 : MBEDTLS_ERR_X509_INVALID_EXTENSIONS;
}

/* a certificate from DER, appended to c: 0 or mbedTLS's error */
static int
cry_cert_parse(Cert *c, const unsigned char *der, size_t n)
{
	return mbedtls_x509_crt_parse_der_with_ext_cb(c, der, n, 1, cry_ext_cb,
	    NULL);
}

/* Appends the certificates of from (all, or all but the last) to chain.
 * 0, or -1 if one did not parse again (out of memory). */
static int
cry_append(Cert *chain, const Cert *from, int butlast)
{
	const Cert *x;
	int r = 0;

	for (x = from; x && x->raw.p && (!butlast || (x->next &&
	    x->next->raw.p)); x = x->next)
		if (cry_cert_parse(chain, x->raw.p, x->raw.len) != 0)
			r = -1;
	return r;
}

/* Certificates from PEM text into chain: its blocks, or with only its
 * CERTIFICATE blocks (as Go's AppendCertsFromPEM reads CA files: OpenSSL's
 * TRUSTED CERTIFICATE carries uses it would drop).  strict: every block
 * read must be a certificate and only blanks may follow the last (chain
 * annotations, intermediates); else blocks that do not parse are skipped
 * (roots).  The count parsed, or -1 with why; with 0, why says why. */
static int
cry_certs(const char *s, size_t n, int only, mbedtls_x509_crt *chain,
    int strict, Arena *a, const char **why)
{
	size_t pos = 0, mark = a->used;
	int r, count = 0, blocks = 0;
	Str der;

	if (cry_init(0) < 0) {
		*why = "cannot start PSA crypto";
		return -1;
	}
	while ((r = cry_pem(s, n, &pos, only ? "CERTIFICATE" : NULL, a,
	    &der)) != 0) {
		if (r > 0) {
			blocks++;
			r = cry_cert_parse(chain, (const unsigned char *)der.p,
			    der.n);
		} else {
			r = -2;
		}
		if (r != 0 && r != 1) {
			if (strict) {
				*why = r == -2 ? "malformed PEM" : (-r & 0xff80) ==
				    -MBEDTLS_ERR_X509_INVALID_EXTENSIONS ?
				    "a certificate has malformed or unsupported "
				    "critical extensions" : "a certificate does "
				    "not parse";
				return -1;
			}
			if (r == -2)
				break;
		} else {
			count++;
		}
		a->used = mark;
	}
	a->used = mark;
	if (strict && strspn(s + pos, " \t\r\n") != n - pos) {
		*why = "text after the last certificate";
		return -1;
	}
	if (!count)
		*why = blocks ? "no certificate in it parses" : only ?
		    "holds no CERTIFICATE block" : "holds no PEM block";
	return count;
}

/* a configured CA set (caPath, caRootsData…) into chain, its CERTIFICATE
 * blocks only: 0 certificates is a configuration error */
static int
cry_cas(const Blob *b, mbedtls_x509_crt *chain, int strict, const char *file,
    Arena *a, Err *e)
{
	const char *why = "";
	size_t mark = a->used;
	Err sub = { 0, "" };
	Str f;
	int n;

	f.p = (char *)b->data;
	f.n = b->len;
	if (b->path && file_read(a, b->path, MAX_KEY_BYTES, &f, &sub) < 0)
		return fail(e, ExitConfig, "%s: %s: %s", file, b->at, sub.msg);
	n = cry_certs(f.p, f.n, 1, chain, strict, a, &why);
	a->used = mark;
	if (n <= 0)
		return fail(e, ExitConfig, "%s: %s%s%s: %s", file, b->at,
		    b->path ? ": " : "", b->path ? b->path : "", why);
	return 0;
}

/* seconds since 1970 of an X.509 time (UTC, proleptic Gregorian) */
static long long
cry_time(const mbedtls_x509_time *t)
{
	static const int cum[] = {
		0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334
	};
	long long y = t->year, d;

	d = (y - 1970) * 365 + ((y - 1) / 4 - 492) - ((y - 1) / 100 - 19) +
	    ((y - 1) / 400 - 4);
	d += cum[(t->mon - 1) % 12] + t->day - 1;
	if (t->mon > 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0))
		d++;
	return d * 86400 + t->hour * 3600LL + t->min * 60LL + t->sec;
}

/* the leaf's subject alternative names of one tag (0x81 email, 0x82 DNS,
 * 0x87 IP) joined by ", ", escaped (a NUL or a line break shows) */
static char *
cry_sans(const mbedtls_x509_crt *c, int tag, Arena *a)
{
	const mbedtls_x509_sequence *s;
	char ip[INET6_ADDRSTRLEN], q[QUOTE_SIZE], *out = "";

	for (s = &c->subject_alt_names; s && s->buf.p; s = s->next) {
		if (s->buf.tag != (MBEDTLS_ASN1_CONTEXT_SPECIFIC | tag))
			continue;
		if (tag == 7 && (s->buf.len == 4 || s->buf.len == 16))
			out = ar_printf(a, NULL, "%s%s%s", out, *out ? ", " :
			    "", inet_ntop(s->buf.len == 4 ? AF_INET : AF_INET6,
			    s->buf.p, ip, sizeof(ip)));
		else if (tag != 7)
			out = ar_printf(a, NULL, "%s%s%s", out, *out ? ", " :
			    "", quote_as(q, (const char *)s->buf.p, s->buf.len,
			    0));
		if (!out)
			return "";
	}
	return out;
}

/* how reasons name the signer of certificate c: by its emails, else
 * its host names */
static const char *
cry_subject(const Cert *c, Arena *a)
{
	const char *w = cry_sans(c, 1, a);

	return ar_reason(a, NULL, "certificate for %s", *w ? w :
	    *(w = cry_sans(c, 2, a)) ? w : "no email or host name");
}

/* Is want among the SANs?  Emails exactly; host names without case, and
 * a leading "*" label matching one label; a trailing dot is dropped from
 * want, not from a SAN, which then matches nothing (Go's VerifyHostname);
 * IP literals (also in brackets) against iPAddress SANs, byte for byte. */
static int
cry_san_has(const mbedtls_x509_crt *c, int tag, const char *want)
{
	const mbedtls_x509_sequence *s;
	unsigned char ip[16];
	char h[HOST_MAX + 1];
	size_t n = strlen(want), l, ipn = 0;
	const char *v, *dot;

	if (tag == 2) {
		l = n > 2 && *want == '[' ? 1 : 0;
		snprintf(h, sizeof(h), "%.*s", (int)(n - 2 * l), want + l);
		if (inet_pton(AF_INET, h, ip) == 1)
			ipn = 4;
		else if (inet_pton(AF_INET6, h, ip) == 1)
			ipn = 16;
		if (ipn)
			tag = 7;
		else if (n && want[n - 1] == '.')
			n--;
	}
	for (s = &c->subject_alt_names; s && s->buf.p; s = s->next) {
		if (s->buf.tag != (MBEDTLS_ASN1_CONTEXT_SPECIFIC | tag))
			continue;
		v = (const char *)s->buf.p;
		l = s->buf.len;
		if (tag == 7 && l == ipn && !memcmp(v, ip, ipn))
			return 1;
		if (tag == 1 && l == n && !memcmp(v, want, n))
			return 1;
		if (tag != 2)
			continue;
		if (l == n && !strncasecmp(v, want, n))
			return 1;
		/* "*.example.com": one label, the rest equal */
		if (l > 2 && v[0] == '*' && v[1] == '.' && (dot = memchr(want,
		    '.', n)) && dot > want && (size_t)(want + n - dot) == l - 1 &&
		    !strncasecmp(dot, v + 1, l - 1))
			return 1;
	}
	return 0;
}

/* Extension oid of c, from its raw extensions (mbedTLS keeps only those
 * it knows): 1 and its value (the OCTET STRING's content) in *v, *vn; 0
 * absent; 2 present more than once; -1 malformed. */
static int
cry_ext(const mbedtls_x509_crt *c, const unsigned char *oid, size_t on,
    const unsigned char **v, size_t *vn)
{
	unsigned char *p = c->v3_ext.p, *end, *ext;
	size_t len, olen, vlen;
	int found = 0, same;

	if (!p)		/* no extensions (a v1 certificate) */
		return 0;
	end = p + c->v3_ext.len;
	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED |
	    MBEDTLS_ASN1_SEQUENCE) != 0)
		return -1;
	end = p + len;
	while (p < end) {
		if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED |
		    MBEDTLS_ASN1_SEQUENCE) != 0)
			return -1;
		ext = p + len;
		if (mbedtls_asn1_get_tag(&p, ext, &olen, MBEDTLS_ASN1_OID) != 0)
			return -1;
		same = olen == on && !memcmp(p, oid, on);
		p += olen;
		if (p < ext && *p == MBEDTLS_ASN1_BOOLEAN && mbedtls_asn1_get_tag(
		    &p, ext, &len, MBEDTLS_ASN1_BOOLEAN) == 0)
			p += len;
		if (mbedtls_asn1_get_tag(&p, ext, &vlen,
		    MBEDTLS_ASN1_OCTET_STRING) != 0 || p + vlen != ext)
			return -1;
		if (same && !found++) {
			*v = p;
			*vn = vlen;
		}
		p = ext;
	}
	return found > 1 ? 2 : found;
}

/* The OIDC issuer of a Fulcio certificate: extension 1.3.6.1.4.1.57264.1.1
 * (the raw URL) and/or .1.8 (a DER string); both must agree.  NULL with
 * why if absent, doubled, malformed or holding a NUL (C strings would
 * compare only what comes before it). */
static char *
cry_issuer(const mbedtls_x509_crt *c, Arena *a, const char **why)
{
	static const unsigned char oid[2][10] = {
		{ 0x2b, 6, 1, 4, 1, 0x83, 0xbf, 0x30, 1, 1 },
		{ 0x2b, 6, 1, 4, 1, 0x83, 0xbf, 0x30, 1, 8 }
	};
	const unsigned char *v[2], *q;
	char *got[2] = { NULL, NULL };
	size_t vn[2], slen;
	int r[2], k;

	for (k = 0; k < 2; k++)
		if ((r[k] = cry_ext(c, oid[k], sizeof(oid[k]), &v[k],
		    &vn[k])) < 0) {
			*why = "fulcio: malformed certificate extensions";
			return NULL;
		}
	if (r[0] > 1 || r[1] > 1) {
		*why = "fulcio: the OIDC issuer extension appears twice";
		return NULL;
	}
	if (r[1] && (q = v[1], vn[1] < 2 || (*q != MBEDTLS_ASN1_UTF8_STRING &&
	    *q != MBEDTLS_ASN1_PRINTABLE_STRING && *q !=
	    MBEDTLS_ASN1_IA5_STRING) || (q++, mbedtls_asn1_get_len(
	    (unsigned char **)&q, v[1] + vn[1], &slen) != 0) || q + slen !=
	    v[1] + vn[1])) {
		*why = "fulcio: OIDC issuer extension (v2) is not a DER string";
		return NULL;
	}
	if (r[1]) {
		v[1] = q;
		vn[1] = slen;
	}
	for (k = 0; k < 2; k++) {
		if (!r[k])
			continue;
		if (memchr(v[k], 0, vn[k])) {
			*why = "fulcio: the OIDC issuer extension holds a NUL byte";
			return NULL;
		}
		if (!(got[k] = ar_printf(a, NULL, "%.*s", (int)vn[k], v[k]))) {
			*why = "fulcio: out of memory: ARENA_BYTES spent";
			return NULL;
		}
	}
	if (got[0] && got[1] && strcmp(got[0], got[1])) {
		*why = "fulcio: two different OIDC issuers";
		return NULL;
	}
	if (got[0] || got[1])
		return got[0] ? got[0] : got[1];
	*why = "fulcio: no OIDC issuer extension";
	return NULL;
}

/* == 14. Name constraints and certification paths ========================
 * Path validation over mbedTLS with what it lacks: validity at a given
 * time (the Rekor time), code signing, and RFC 5280 name constraints. */

typedef struct {		/* a certification path, as mbedTLS's verify
				 * callbacks meet it (cry_path) */
	const mbedtls_x509_crt *c[MBEDTLS_X509_MAX_VERIFY_CHAIN_SIZE];
	int n;			/* c[0] the leaf, c[n - 1] the anchor or
				 * the last certificate listed above it */
	long long t;		/* cry_chain's time */
	long long *win;		/* or: the window all are valid in */
	int eku;		/* what every certificate must allow: Eku* */
	const mbedtls_x509_crt *listed;	/* CryListed: the anchors */
	char why[3 * QUOTE_SIZE + 100];	/* a name-constraint violation */
} Path;

/* -check: a warning (after the prefix fmt: where they are configured)
 * for each certificate of the list from x on that has expired (unless
 * past: it serves what was signed before, as in a trusted root), is not
 * yet valid, or expires within CHECK_EXPIRY_DAYS: a trust anchor that
 * lapses fails every pull it is for. */
static void
cry_dates(const Cert *x, int past, const char *fmt, ...)
{
	long long now = (long long)time(NULL), from, to;
	char dn[256], q[QUOTE_SIZE];
	const char *at;
	va_list ap;

	if (!warns.a)
		return;
	va_start(ap, fmt);
	at = ar_vprintf(warns.a, NULL, fmt, ap);
	va_end(ap);
	for (; x && x->raw.p; x = x->next) {
		from = cry_time(&x->valid_from);
		to = cry_time(&x->valid_to);
		if (mbedtls_x509_dn_gets(dn, sizeof(dn), &x->subject) < 0)
			strcpy(dn, "?");
		quote(q, dn, strlen(dn));
		if (to < now && !past)
			warn("%s: certificate %s expired at %s", at ? at : NOMEM,
			    q, when_utc(to, warns.a));
		else if (to < now)
			;
		else if (from > now)
			warn("%s: certificate %s is not valid before %s", at ?
			    at : NOMEM, q, when_utc(from, warns.a));
		else if (to - now < CHECK_EXPIRY_DAYS * 86400LL)
			warn("%s: certificate %s expires at %s, within %d days",
			    at ? at : NOMEM, q, when_utc(to, warns.a),
			    CHECK_EXPIRY_DAYS);
	}
}

/* where what is appended to list c next will start */
static const Cert *
cry_after(const Cert *c)
{
	const Cert *t = c;

	for (; c && c->raw.p; c = c->next)
		t = c->next;
	return t;
}

/* cry_chain's purposes, and CryListed: the anchors are a trusted root's
 * certChain, each certificate issued by the next (tr_auth checks names,
 * CA flags and key usage; -check the signatures), the root last.  The
 * file is the trust anchor, so the path ends at the listed certificate
 * that issued the one below it, and the certificates listed above that
 * add their validity, path length, extended key usage and name
 * constraints, not another signature check each. */
enum { EkuCodeSigning, EkuTimeStamping, CryListed = 4 };

/* may by sign certificates or CRLs (ku), as Go's CheckSignatureFrom
 * asks: a CA (basic constraints, which a v3 certificate must carry)
 * whose key usage, if it has one, allows ku? */
static int
cry_may_sign(const Cert *by, int ku)
{
	int kub = (int)by->MBEDTLS_PRIVATE(key_usage);

	return ((by->MBEDTLS_PRIVATE(ext_types) &
	    MBEDTLS_X509_EXT_BASIC_CONSTRAINTS) ? by->MBEDTLS_PRIVATE(
	    ca_istrue) : by->version < 3) && (!kub || (kub & ku));
}

/* Is c signed by by's key over SHA-256 or more (and, with ca, may by
 * sign certificates)?  0 if so. */
static int
cry_signed(const Cert *c, const Cert *by, int ca)
{
	int md = c->MBEDTLS_PRIVATE(sig_md);
	unsigned char h[64];
	size_t hn;

	if ((ca && !cry_may_sign(by, MBEDTLS_X509_KU_KEY_CERT_SIGN)) ||
	    (md != MBEDTLS_MD_SHA256 && md != MBEDTLS_MD_SHA384 &&
	    md != MBEDTLS_MD_SHA512))
		return -1;
	if (!(hn = sha_raw(md == MBEDTLS_MD_SHA256 ? 256 : md ==
	    MBEDTLS_MD_SHA384 ? 384 : 512, c->tbs.p, c->tbs.len, h)) ||
	    cry_init(0) < 0)
		return -1;
	return mbedtls_pk_verify_ext(c->MBEDTLS_PRIVATE(sig_pk),
	    c->MBEDTLS_PRIVATE(sig_opts), (Pk *)&by->pk, (mbedtls_md_type_t)md,
	    h, hn, c->MBEDTLS_PRIVATE(sig).p, c->MBEDTLS_PRIVATE(sig).len) == 0 ?
	    0 : -1;
}

/* is c's issuer name (bytes) by's subject name? */
static int
cry_named(const Cert *c, const Cert *by)
{
	return c->issuer_raw.len == by->subject_raw.len &&
	    !memcmp(c->issuer_raw.p, by->subject_raw.p, c->issuer_raw.len);
}

/* may by have issued c: c's issuer by name, a CA that signs certificates? */
static int
cry_issued(const Cert *c, const Cert *by)
{
	return cry_named(c, by) && cry_may_sign(by,
	    MBEDTLS_X509_KU_KEY_CERT_SIGN);
}

/* Name constraints (RFC 5280 4.2.1.10), which mbedTLS (2.28, 3.6) does
 * not enforce: it refuses a critical nameConstraints extension when
 * parsing and skips a non-critical one.  Go's verifier, and so
 * containers/image,
 * applies them on every CA of the path, critical or not; ivlite does the
 * same with Go's rules, on the rfc822Name, dNSName, URI and iPAddress SANs
 * of every certificate below the CA (Go: of the leaf).  A name must fall
 * in no excluded subtree of its form, and in a permitted one if the CA
 * permits any of that form.  A domain (DNS, URI host, email domain)
 * matches on a label boundary, without ASCII case, a leading "." meaning
 * subdomains only; an email constraint with "@" is one mailbox; an IP
 * constraint is an address and mask.  Go ignores the other forms
 * (directoryName…) in a non-critical extension; ivlite cannot enforce
 * them and rejects the path instead. */

/* a domain as Go's domainToReverseLabels takes it: labels of bytes 33 to
 * 126, none empty (so no leading or trailing dot); "" is one */
static int
cry_nc_labels(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < 33 || s[i] > 126 || (s[i] == '.' && (i == 0 ||
		    i == n - 1 || s[i - 1] == '.')))
			return 0;
	return 1;
}

/* is domain d (valid labels) within constraint c (checked)? */
static int
cry_nc_domain(const unsigned char *d, size_t dn, const unsigned char *c,
    size_t cn)
{
	int sub = cn && *c == '.';

	if (!cn)
		return 1;	/* "" matches everything (Go follows NSS) */
	c += sub;
	cn -= (size_t)sub;
	if (!cn)
		return dn > 0;
	if (dn < cn || strncasecmp((const char *)d + dn - cn,
	    (const char *)c, cn))
		return 0;
	return dn == cn ? !sub : d[dn - cn - 1] == '.';
}

/* rfc822Name s as local@domain, *at the "@": an RFC 2821 dot-atom local
 * part (Go also reads quoted ones; ivlite cannot check those) */
static int
cry_nc_mailbox(const unsigned char *s, size_t n, size_t *at)
{
	size_t i;

	for (i = 0; i < n && s[i] != '@'; i++)
		if (!(isalnum(s[i]) || (s[i] && strchr(".!#$%&'*+-/=?^_`{|}~",
		    s[i]))) || (s[i] == '.' && (i == 0 || s[i - 1] == '.')))
			return -1;
	if (i == 0 || i == n || s[i - 1] == '.' || !cry_nc_labels(s + i + 1,
	    n - i - 1))
		return -1;
	*at = i;
	return 0;
}

/* the host of URI s, as Go's url.Parse finds it: scheme "://" [userinfo
 * "@"] host [":" port]; -1 if there is none, or it is an IP address or
 * not plain labels (Go: such a URI cannot be checked) */
static int
cry_nc_urihost(const unsigned char *s, size_t n, const unsigned char **h,
    size_t *hn)
{
	unsigned char ip[16];
	char buf[16];
	size_t i, a, e, c;

	for (i = 0; i < n && (isalpha(s[i]) || (i && (isdigit(s[i]) ||
	    s[i] == '+' || s[i] == '-' || s[i] == '.'))); i++)
		;
	if (i == 0 || n - i < 3 || memcmp(s + i, "://", 3))
		return -1;
	for (a = e = i + 3; e < n && s[e] != '/' && s[e] != '?' &&
	    s[e] != '#'; e++)
		if (s[e] == '@')
			a = e + 1;	/* after the userinfo */
	for (c = a; c < e && s[c] != ':'; c++)
		;
	for (i = c + 1; i < e; i++)
		if (!isdigit(s[i]))
			return -1;	/* a port is digits */
	*h = s + a;
	*hn = c - a;
	if (!*hn || s[a] == '[' || memchr(*h, '%', *hn))
		return -1;	/* none, IPv6, or escaped (Go decodes) */
	if (*hn < sizeof(buf)) {
		memcpy(buf, *h, *hn);
		buf[*hn] = '\0';
		if (inet_pton(AF_INET, buf, ip) == 1)
			return -1;
	}
	return cry_nc_labels(*h, *hn) ? 0 : -1;
}

/* is m ones, then zeros? */
static int
cry_nc_mask(const unsigned char *m, size_t n)
{
	size_t i;
	unsigned inv;

	for (i = 0; i < n && m[i] == 0xff; i++)
		;
	if (i == n)
		return 1;
	inv = ~(unsigned)m[i] & 0xffu;
	if (inv & (inv + 1))
		return 0;
	while (++i < n)
		if (m[i])
			return 0;
	return 1;
}

/* SAN nm of form f as the constraints check it: the domain *dom, *dn (a
 * URI's host when uri, else the URI; the part after *at of an email); -1
 * if it cannot be checked.  Go parses emails, DNS names and IPs for a CA
 * with any constraint, a URI's host for URI constraints. */
static int
cry_nc_name(int f, const unsigned char *nm, size_t nn, int uri, size_t *at,
    const unsigned char **dom, size_t *dn)
{
	*at = 0;
	*dom = nm;
	*dn = nn;
	if (f == 1) {
		if (cry_nc_mailbox(nm, nn, at) < 0)
			return -1;
		*dom = nm + *at + 1;
		*dn = nn - *at - 1;
		return 0;
	}
	if (f == 2)
		return cry_nc_labels(nm, nn) ? 0 : -1;
	if (f == 6)
		return uri ? cry_nc_urihost(nm, nn, dom, dn) : 0;
	return nn == 4 || nn == 16 ? 0 : -1;
}

/* is c a constraint of form f as Go parses one? */
static int
cry_nc_valid(int f, const unsigned char *c, size_t cn)
{
	unsigned char ip[16];
	char buf[48];
	size_t at, dot = cn && *c == '.';

	if (f == 7)
		return (cn == 8 || cn == 32) && cry_nc_mask(c + cn / 2, cn / 2);
	if (f == 1 && memchr(c, '@', cn))
		return cry_nc_mailbox(c, cn, &at) == 0;
	if (f == 6 && cn < sizeof(buf)) {
		memcpy(buf, c, cn);
		buf[cn] = '\0';
		if (inet_pton(AF_INET, buf, ip) == 1 || inet_pton(AF_INET6, buf,
		    ip) == 1)
			return 0;
	}
	return cry_nc_labels(c + dot, cn - dot);
}

/* Is SAN nm of form f within constraint c of that form?  dom: the domain
 * it is checked by (the host of a URI, the part after at of an email). */
static int
cry_nc_match(int f, const unsigned char *nm, size_t nn, size_t at,
    const unsigned char *dom, size_t dn, const unsigned char *c, size_t cn)
{
	size_t i, cat = 0;

	if (f == 7) {
		if (cn != 2 * nn)
			return 0;	/* IPv4 against IPv6 */
		for (i = 0; i < nn; i++)
			if ((nm[i] ^ c[i]) & c[nn + i])
				return 0;
		return 1;
	}
	if (f == 1 && memchr(c, '@', cn)) {
		if (cry_nc_mailbox(c, cn, &cat) < 0)
			return 0;
		return at == cat && !memcmp(nm, c, at) && dn == cn - cat - 1 &&
		    !strncasecmp((const char *)dom, (const char *)c + cat + 1,
		    dn);
	}
	return cry_nc_domain(dom, dn, c, cn);
}

/* a name (or, cons, a constraint) of form f quoted into out, QUOTE_SIZE */
static char *
cry_nc_show(int f, int cons, const unsigned char *s, size_t n, char *out)
{
	char ip[INET6_ADDRSTRLEN + 8];
	size_t h = cons ? n / 2 : n, i;
	unsigned bits = 0, m;

	if (f != 7 || (h != 4 && h != 16) || (cons && n % 2))
		return quote(out, (const char *)s, n);
	inet_ntop(h == 4 ? AF_INET : AF_INET6, s, ip, sizeof(ip));
	for (i = h; cons && i < n; i++)
		for (m = s[i]; m; m &= m - 1)
			bits++;
	if (cons)
		snprintf(ip + strlen(ip), 8, "/%u", bits);
	return quote(out, ip, strlen(ip));
}

/* NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees
 * OPTIONAL, excludedSubtrees [1] … }: each list's bounds (NULL: absent);
 * -1 if malformed, or empty (RFC 5280: one must be there, SIZE 1..MAX) */
static int
cry_nc_split(const unsigned char *v, size_t vn, const unsigned char *t[2],
    const unsigned char *te[2])
{
	unsigned char *p = (unsigned char *)v, *end = p + vn;
	size_t len;
	int i, tag;

	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED |
	    MBEDTLS_ASN1_SEQUENCE) != 0 || p + len != end)
		return -1;
	for (i = 0; i < 2; i++) {
		t[i] = te[i] = NULL;
		tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | i;
		if (p == end || *p != tag)
			continue;
		if (mbedtls_asn1_get_tag(&p, end, &len, tag) != 0 || !len)
			return -1;
		t[i] = p;
		te[i] = p += len;
	}
	return p == end && (t[0] || t[1]) ? 0 : -1;
}

/* The next GeneralSubtree at *q (before end): its base's tag and value.
 * 1, 0 at the end, -1 malformed (minimum and maximum, which RFC 5280
 * forbids, included). */
static int
cry_nc_next(const unsigned char **q, const unsigned char *end, int *tag,
    const unsigned char **v, size_t *vn)
{
	unsigned char *p = (unsigned char *)*q, *sub;
	size_t len;

	if (p == end)
		return 0;
	if (mbedtls_asn1_get_tag(&p, (unsigned char *)end, &len,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0 || len < 2)
		return -1;
	sub = p + len;
	*tag = *p++;
	if (mbedtls_asn1_get_len(&p, sub, vn) != 0 || p + *vn != sub)
		return -1;
	*v = p;
	*q = sub;
	return 1;
}

/* 0 if every certificate of p below a CA with name constraints keeps to
 * them, else -1 with p->why.  Bounded by MAX_NC_CHECKS comparisons. */
static int
cry_nc(Path *p)
{
	static const unsigned char oid[] = { 0x55, 0x1d, 0x1e };
	static const char *const form[] = {
		"otherName", "email address", "DNS name", "x400Address",
		"directoryName", "ediPartyName", "URI", "IP address",
		"registeredID"
	};
	const mbedtls_x509_sequence *s;
	const unsigned char *v, *q, *c, *t[2], *te[2], *nm, *dom;
	char who[256], qw[QUOTE_SIZE], qn[QUOTE_SIZE], qc[QUOTE_SIZE];
	size_t vn, cn, nn, dn, at;
	long checks = 0;
	int k, j, i, r, tag, f, has[9], any, in;

	for (k = 1; k < p->n; k++) {
		if (!(r = cry_ext(p->c[k], oid, sizeof(oid), &v, &vn)))
			continue;
		if (mbedtls_x509_dn_gets(who, sizeof(who), &p->c[k]->subject)
		    < 0)
			snprintf(who, sizeof(who), "(a long name)");
		quote(qw, who, strlen(who));
		if (r != 1 || cry_nc_split(v, vn, t, te) < 0)
			goto malformed;
		memset(has, 0, sizeof(has));
		for (i = 0; i < 2; i++) {
			for (q = t[i]; (r = cry_nc_next(&q, te[i], &tag, &c,
			    &cn)) > 0; has[f]++) {
				f = tag & 0x1f;
				if ((tag & 0xc0) != MBEDTLS_ASN1_CONTEXT_SPECIFIC ||
				    f > 8)
					goto malformed;
				if (f != 1 && f != 2 && f != 6 && f != 7) {
					snprintf(p->why, sizeof(p->why), "the name "
					    "constraints of %s include %s, which ivlite "
					    "does not enforce", qw, form[f]);
					return -1;
				}
				if ((tag & MBEDTLS_ASN1_CONSTRUCTED) ||
				    !cry_nc_valid(f, c, cn))
					goto malformed;
			}
			if (r < 0)
				goto malformed;
		}
		for (j = 0; j < k; j++)
			for (s = &p->c[j]->subject_alt_names; s && s->buf.p;
			    s = s->next) {
				f = s->buf.tag ^ MBEDTLS_ASN1_CONTEXT_SPECIFIC;
				if (f != 1 && f != 2 && f != 6 && f != 7)
					continue;	/* otherName…: Go too */
				nm = s->buf.p;
				nn = s->buf.len;
				if (cry_nc_name(f, nm, nn, has[6] > 0, &at, &dom,
				    &dn) < 0) {
					snprintf(p->why, sizeof(p->why), "cannot check %s "
					    "%s against the name constraints of %s",
					    form[f], cry_nc_show(f, 0, nm, nn, qn), qw);
					return -1;
				}
				/* excluded first, then permitted */
				for (i = 1; i >= 0; i--) {
					for (any = in = 0, q = t[i]; !in && cry_nc_next(&q,
					    te[i], &tag, &c, &cn) > 0;) {
						if ((tag & 0x1f) != f)
							continue;
						if (++checks > MAX_NC_CHECKS) {
							snprintf(p->why, sizeof(p->why), "name "
							    "constraints: more than MAX_NC_CHECKS "
							    "(%d) comparisons", MAX_NC_CHECKS);
							return -1;
						}
						any = 1;
						in = cry_nc_match(f, nm, nn, at, dom, dn, c,
						    cn);
					}
					if (i == 1 && in) {
						snprintf(p->why, sizeof(p->why), "%s %s is "
						    "excluded by the name constraint %s of %s",
						    form[f], cry_nc_show(f, 0, nm, nn, qn),
						    cry_nc_show(f, 1, c, cn, qc), qw);
						return -1;
					}
					if (i == 0 && any && !in) {
						snprintf(p->why, sizeof(p->why), "%s %s is not "
						    "permitted by the name constraints of %s",
						    form[f], cry_nc_show(f, 0, nm, nn, qn), qw);
						return -1;
					}
				}
			}
	}
	return 0;
malformed:
	snprintf(p->why, sizeof(p->why), "the name constraints of %s are "
	    "malformed", qw);
	return -1;
}

/* mbedTLS's verify callback, or part of one: records crt at depth (the
 * calls go from the top down) and at the leaf, the last, checks the name
 * constraints of the path: MBEDTLS_X509_BADCERT_OTHER and p->why */
static int
cry_path(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	Path *p = ctx;

	if (depth < 0 || depth >= (int)LEN(p->c)) {
		snprintf(p->why, sizeof(p->why), "a path of more than %d "
		    "certificates", (int)LEN(p->c));
		*flags |= MBEDTLS_X509_BADCERT_OTHER;
		return 0;
	}
	p->c[depth] = crt;
	if (depth >= p->n)
		p->n = depth + 1;
	if (depth == 0 && cry_nc(p) < 0)
		*flags |= MBEDTLS_X509_BADCERT_OTHER;
	return 0;
}

/* Certificates, for signatures and TLS alike: no MD5/SHA-1/SHA-224, RSA
 * of 2048 bits and more, NIST curves (mbedTLS's default profile differs
 * by version: 2.28's takes SHA-224 and every curve) */
#define CRY_WEAK	"weak signature or key, refused by the verification " \
	"profile (SHA-256+, RSA 2048+, NIST curves)"
static const mbedtls_x509_crt_profile cry_profile = {
	MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA256) |
	    MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA384) |
	    MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA512),
	MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_RSA) |
	    MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECDSA) |
	    MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECKEY),
	MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP256R1) |
	    MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP384R1) |
	    MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP521R1),
	2048
};

/* what c, at depth in p, adds to flags: its validity at p's time (or
 * its narrowing of p's window), the purpose, and the path length it
 * allows (which mbedTLS does not check on an anchor) */
static void
cry_step(Path *p, const Cert *c, int depth, uint32_t *flags)
{
	const char *eku = p->eku == EkuCodeSigning ? MBEDTLS_OID_CODE_SIGNING :
	    MBEDTLS_OID_TIME_STAMPING;
	long long from = cry_time(&c->valid_from), to = cry_time(&c->valid_to);
	int pathlen = c->MBEDTLS_PRIVATE(max_pathlen);	/* +1; 0: none */

	if (p->win) {
		p->win[0] = from > p->win[0] ? from : p->win[0];
		p->win[1] = to < p->win[1] ? to : p->win[1];
	} else if (p->t < from)
		*flags |= MBEDTLS_X509_BADCERT_FUTURE;
	else if (p->t > to)
		*flags |= MBEDTLS_X509_BADCERT_EXPIRED;
	if (mbedtls_x509_crt_check_extended_key_usage(c, eku, strlen(eku))
	    != 0)
		*flags |= MBEDTLS_X509_BADCERT_EXT_KEY_USAGE;
	if (depth > 0 && pathlen > 0 && pathlen < depth)
		*flags |= MBEDTLS_X509_BADCERT_NOT_TRUSTED;
}

/* called for each certificate of the chain, from the anchor down:
 * validity at a given time instead of now (Fulcio certificates live ten
 * minutes; what counts is the Rekor time), the purpose for every
 * certificate that limits EKU, with CryListed what the certificates
 * listed above the anchor add, then the name constraints (cry_path) */
static int
cry_chain_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	Path *p = ctx;
	const Cert *x = p->listed;
	int d = depth;

	*flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED |
	    MBEDTLS_X509_BADCERT_FUTURE);
	cry_step(p, crt, depth, flags);
	if (x && !p->n) {
		while (x && x != crt)
			x = x->next;
		while (x && (x = x->next) && x->raw.p) {
			if (++d >= (int)LEN(p->c))	/* too long */
				return cry_path(ctx, crt, d, flags);
			p->c[d] = x;
			p->n = d + 1;
			cry_step(p, x, d, flags);
		}
	}
	return cry_path(ctx, crt, depth, flags);
}

/* Path validation of chain (leaf first, then intermediates) up to roots,
 * at time t (-1: now), for purpose how (Eku*, | CryListed).  With win,
 * no time is checked: win gets the window in which every certificate of
 * the path is valid (empty if from > until).  0, or -1 with why. */
static int
cry_chain(mbedtls_x509_crt *chain, mbedtls_x509_crt *roots, long long t,
    long long win[2], int how, Arena *a, const char **why)
{
	const char *when;
	uint32_t f = 0;
	Path p;

	p.n = 0;
	p.t = t >= 0 ? t : (long long)time(NULL);
	p.win = win;
	p.eku = how & ~CryListed;
	p.listed = (how & CryListed) ? roots : NULL;
	p.why[0] = '\0';
	if (win) {
		win[0] = LLONG_MIN;
		win[1] = LLONG_MAX;
	}
	when = when_utc(p.t, a);
	if (cry_init(0) < 0) {
		*why = "cannot start PSA crypto";
		return -1;
	}
	if (mbedtls_x509_crt_verify_with_profile(chain, roots, NULL,
	    &cry_profile, NULL, &f, cry_chain_cb, &p) == 0 && f == 0)
		return 0;
	if (f & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		*why = "not trusted (no path to the configured CA)";
	else if (f & MBEDTLS_X509_BADCERT_EXPIRED)
		*why = ar_reason(a, NULL, "not valid at %s: expired", when);
	else if (f & MBEDTLS_X509_BADCERT_FUTURE)
		*why = ar_reason(a, NULL, "not valid at %s: not yet valid",
		    when);
	else if (f & MBEDTLS_X509_BADCERT_EXT_KEY_USAGE)
		*why = p.eku == EkuCodeSigning ? "not for code signing (extended "
		    "key usage)" : "not for time stamping (extended key usage)";
	else if (f & (MBEDTLS_X509_BADCERT_BAD_MD | MBEDTLS_X509_BADCERT_BAD_PK
	    | MBEDTLS_X509_BADCERT_BAD_KEY))
		*why = CRY_WEAK;
	else if (f & MBEDTLS_X509_BADCERT_OTHER)
		*why = ar_reason(a, NULL, "%s", p.why);
	else	/* mbedTLS's texts for the rest: not in ivlite-static */
		*why = f ? ar_reason(a, NULL, "rejected (mbedTLS verification "
		    "flags 0x%x)", (unsigned)f) : "rejected";
	return -1;
}

/* == 15. Ed25519 (RFC 8032) ==============================================
 * Verification (RFC 8032 §5.1.7).  Field elements mod p = 2^255 - 19 are
 * eight 32-bit limbs, kept below 2^256 and reduced by folding with 2^256 =
 * 38 (mod p); points are extended coordinates on -x^2 + y^2 = 1 + d x^2 y^2
 * with the unified addition formula.  Not constant time, which checking a
 * public signature does not need. */

typedef uint32_t Fe[8];		/* an integer mod 2^255 - 19, in limbs */

typedef struct {		/* a point in extended coordinates */
	Fe x, y, z, t;
} EdPt;

static const unsigned char ed_d2[32] = {	/* 2d */
	0x59, 0xf1, 0xb2, 0x26, 0x94, 0x9b, 0xd6, 0xeb, 0x56, 0xb1, 0x83,
	0x82, 0x9a, 0x14, 0xe0, 0x00, 0x30, 0xd1, 0xf3, 0xee, 0xf2, 0x80,
	0x8e, 0x19, 0xe7, 0xfc, 0xdf, 0x56, 0xdc, 0xd9, 0x06, 0x24
}, ed_dd[32] = {				/* d = -121665/121666 */
	0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41,
	0x41, 0x4d, 0x0a, 0x70, 0x00, 0x98, 0xe8, 0x79, 0x77, 0x79, 0x40,
	0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52
}, ed_i[32] = {					/* sqrt(-1) */
	0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f,
	0xad, 0x06, 0x18, 0x43, 0x2f, 0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00,
	0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b
}, ed_base[32] = {				/* B: y = 4/5, x even */
	0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66
};

/* adds c * 2^256 = c * 38 into r */
static void
fe_fold(Fe r, uint64_t c)
{
	int i;

	while (c) {
		c *= 38;
		for (i = 0; i < 8 && c; i++) {
			c += r[i];
			r[i] = (uint32_t)c;
			c >>= 32;
		}
	}
}

static void
fe_add(Fe r, const Fe a, const Fe b)
{
	uint64_t c = 0;
	int i;

	for (i = 0; i < 8; i++) {
		c += (uint64_t)a[i] + b[i];
		r[i] = (uint32_t)c;
		c >>= 32;
	}
	fe_fold(r, c);
}

/* a - b: a borrow out of 2^256 means 2^256 too much, so 38 less */
static void
fe_sub(Fe r, const Fe a, const Fe b)
{
	int64_t c = 0;
	int i, again;

	for (i = 0; i < 8; i++) {
		c += (int64_t)a[i] - b[i];
		r[i] = (uint32_t)c;
		c = c < 0 ? -1 : 0;
	}
	for (again = c != 0; again;) {
		c = -38;
		for (i = 0; i < 8; i++) {
			c += r[i];
			r[i] = (uint32_t)c;
			c = c < 0 ? -1 : 0;
		}
		again = c != 0;
	}
}

static void
fe_mul(Fe r, const Fe a, const Fe b)
{
	uint32_t t[16] = { 0 };
	uint64_t c;
	int i, j;

	for (i = 0; i < 8; i++) {
		for (c = 0, j = 0; j < 8; j++) {
			c += t[i + j] + (uint64_t)a[i] * b[j];
			t[i + j] = (uint32_t)c;
			c >>= 32;
		}
		t[i + 8] = (uint32_t)c;
	}
	for (c = 0, i = 0; i < 8; i++) {
		c += t[i] + (uint64_t)t[i + 8] * 38;
		r[i] = (uint32_t)c;
		c >>= 32;
	}
	fe_fold(r, c);
}

/* fully reduced, as 32 little-endian bytes */
static void
fe_bytes(unsigned char s[32], const Fe a)
{
	static const Fe p = { 0xffffffed, 0xffffffff, 0xffffffff, 0xffffffff,
	    0xffffffff, 0xffffffff, 0xffffffff, 0x7fffffff };
	Fe r;
	int i, k;

	memcpy(r, a, sizeof(r));
	for (k = 0; k < 2; k++) {	/* r < 2^256 < 3p */
		for (i = 7; i > 0 && r[i] == p[i]; i--)
			;
		if (r[i] >= p[i])
			fe_sub(r, r, p);
	}
	for (i = 0; i < 32; i++)
		s[i] = (unsigned char)(r[i / 4] >> (8 * (i % 4)));
}

static void
fe_load(Fe r, const unsigned char s[32])
{
	int i;

	memset(r, 0, sizeof(Fe));
	for (i = 0; i < 32; i++)
		r[i / 4] |= (uint32_t)s[i] << (8 * (i % 4));
}

static int
fe_eq(const Fe a, const Fe b)
{
	unsigned char x[32], y[32];

	fe_bytes(x, a);
	fe_bytes(y, b);
	return !memcmp(x, y, 32);
}

/* a^e, e little-endian bytes */
static void
fe_pow(Fe r, const Fe a, const unsigned char e[32])
{
	Fe t;
	int i;

	memset(t, 0, sizeof(t));
	t[0] = 1;
	for (i = 255; i >= 0; i--) {
		fe_mul(t, t, t);
		if (e[i / 8] >> (i % 8) & 1)
			fe_mul(t, t, a);
	}
	memcpy(r, t, sizeof(t));
}

/* r = p + q (r may be p or q) */
static void
ed_add(EdPt *r, const EdPt *p, const EdPt *q)
{
	Fe a, b, c, d, e, f, g, h, t;

	fe_sub(a, p->y, p->x);
	fe_sub(t, q->y, q->x);
	fe_mul(a, a, t);
	fe_add(b, p->y, p->x);
	fe_add(t, q->y, q->x);
	fe_mul(b, b, t);
	fe_load(t, ed_d2);
	fe_mul(c, p->t, q->t);
	fe_mul(c, c, t);
	fe_mul(d, p->z, q->z);
	fe_add(d, d, d);
	fe_sub(e, b, a);
	fe_sub(f, d, c);
	fe_add(g, d, c);
	fe_add(h, b, a);
	fe_mul(r->x, e, f);
	fe_mul(r->y, g, h);
	fe_mul(r->t, e, h);
	fe_mul(r->z, f, g);
}

/* r = [k]p, k 32 little-endian bytes */
static void
ed_smul(EdPt *r, const unsigned char k[32], const EdPt *p)
{
	int i;

	memset(r, 0, sizeof(*r));
	r->y[0] = r->z[0] = 1;
	for (i = 255; i >= 0; i--) {
		ed_add(r, r, r);
		if (k[i / 8] >> (i % 8) & 1)
			ed_add(r, r, p);
	}
}

/* the point encoded in s (RFC 8032 §5.1.3); -1 if it is none */
static int
ed_decode(EdPt *pt, const unsigned char s[32])
{
	static const unsigned char e[32] = {	/* (p - 5) / 8 */
		0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0x0f
	};
	unsigned char b[32], y[32];
	Fe u, v, w, t, one = { 1 };
	int sign = s[31] >> 7;

	memcpy(b, s, 32);
	b[31] &= 0x7f;
	fe_load(pt->y, b);
	fe_bytes(y, pt->y);
	if (memcmp(y, b, 32))
		return -1;	/* y >= p */
	/* x = u v^3 (u v^7)^((p-5)/8), u = y^2 - 1, v = d y^2 + 1 */
	fe_mul(w, pt->y, pt->y);
	fe_sub(u, w, one);
	fe_load(t, ed_dd);
	fe_mul(v, w, t);
	fe_add(v, v, one);
	fe_mul(w, v, v);
	fe_mul(w, w, v);		/* v^3 */
	fe_mul(t, w, w);
	fe_mul(t, t, v);		/* v^7 */
	fe_mul(t, t, u);
	fe_pow(t, t, e);
	fe_mul(pt->x, u, w);
	fe_mul(pt->x, pt->x, t);
	/* v x^2 is u (x is right) or -u (x sqrt(-1) is) */
	fe_mul(w, pt->x, pt->x);
	fe_mul(w, w, v);
	if (!fe_eq(w, u)) {
		fe_add(w, w, u);
		memset(t, 0, sizeof(t));
		if (!fe_eq(w, t))
			return -1;
		fe_load(t, ed_i);
		fe_mul(pt->x, pt->x, t);
	}
	fe_bytes(b, pt->x);
	if ((b[0] & 1) != sign) {
		memset(t, 0, sizeof(t));
		if (fe_eq(pt->x, t))
			return -1;	/* x = 0 with the sign bit set */
		fe_sub(pt->x, t, pt->x);
	}
	memset(pt->z, 0, sizeof(Fe));
	pt->z[0] = 1;
	fe_mul(pt->t, pt->x, pt->y);
	return 0;
}

/* 0 if sig is a valid Ed25519 signature of m by the public key pub */
static int
ed25519_verify(const unsigned char pub[32], const void *m, size_t n,
    const unsigned char sig[64])
{
	unsigned char h[64], k[32];
	mbedtls_mpi s, l;
	EdPt a, r, b, p1, p2;
	Fe x1, x2;
	Md md;
	int ok;

	/* S < L, and k = SHA-512(R || A || M) mod L, with mbedTLS bignums */
	mbedtls_mpi_init(&s);
	mbedtls_mpi_init(&l);
	ok = mbedtls_mpi_read_string(&l, 16, "1000000000000000000000000000000"
	    "014def9dea2f79cd65812631a5cf5d3ed") == 0 &&
	    mbedtls_mpi_read_binary_le(&s, sig + 32, 32) == 0 &&
	    mbedtls_mpi_cmp_mpi(&s, &l) < 0 && md_begin(&md, MdSha512) == 0;
	if (ok) {
		md_add(&md, sig, 32);
		md_add(&md, pub, 32);
		md_add(&md, m, n);
		ok = md_end(&md, h) == 64 && mbedtls_mpi_read_binary_le(&s, h,
		    64) == 0 && mbedtls_mpi_mod_mpi(&s, &s, &l) == 0 &&
		    mbedtls_mpi_write_binary_le(&s, k, 32) == 0;
	}
	mbedtls_mpi_free(&s);
	mbedtls_mpi_free(&l);
	if (!ok || ed_decode(&a, pub) < 0 || ed_decode(&r, sig) < 0 ||
	    ed_decode(&b, ed_base) < 0)
		return -1;
	/* [S]B = R + [k]A, compared projectively */
	ed_smul(&p1, sig + 32, &b);
	ed_smul(&p2, k, &a);
	ed_add(&p2, &p2, &r);
	fe_mul(x1, p1.x, p2.z);
	fe_mul(x2, p2.x, p1.z);
	if (!fe_eq(x1, x2))
		return -1;
	fe_mul(x1, p1.y, p2.z);
	fe_mul(x2, p2.y, p1.z);
	return fe_eq(x1, x2) ? 0 : -1;
}

/* == 16. URLs and proxies ================================================
 * Absolute http(s) URLs, relative references (RFC 3986), which hosts are
 * loopback, and Go's rules for the proxy environment variables. */

typedef struct {
	int tls;			/* https */
	char host[HOST_MAX + 1];	/* as written; IPv6 in brackets */
	char port[8];			/* digits, "" for the default */
	const char *path;		/* origin-form, with the query */
} Url;

/* absolute http(s) URL; the path keeps its query, the fragment goes */
static int
url_parse(Url *u, const char *s, Arena *a, Err *e)
{
	const char *p, *h, *end;
	size_t n;
	long port;

	memset(u, 0, sizeof(*u));
	for (p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return fail(e, ExitUndecided, "URL %s: control byte, "
			    "space or non-ASCII", ar_quote(a, s, strlen(s), e));
	if (!strncmp(s, "https://", 8))
		u->tls = 1, h = s + 8;
	else if (!strncmp(s, "http://", 7))
		h = s + 7;
	else
		return fail(e, ExitUndecided, "URL %s: not http or https",
		    ar_quote(a, s, strlen(s), e));
	n = strcspn(h, "/?#");
	if (memchr(h, '@', n))
		return fail(e, ExitUndecided, "URL %s: user information is "
		    "not accepted", ar_quote(a, s, strlen(s), e));
	if (*h == '[') {
		end = memchr(h, ']', n);
		p = end ? end + 1 : h + n;
	} else {
		for (p = h; p < h + n && *p != ':'; p++)
			;
		end = p;
	}
	if (!end || end == h || (size_t)(p - h) > HOST_MAX || ref_domain(h) <
	    p)
		return fail(e, ExitUndecided, "URL %s: invalid host",
		    ar_quote(a, s, strlen(s), e));
	memcpy(u->host, h, (size_t)(p - h));
	if (*p == ':' && p + 1 < h + n) {
		port = strtol(p + 1, (char **)&end, 10);
		if (end != h + n || port < 1 || port > 65535 || !isdigit(
		    (unsigned char)p[1]) || (size_t)(end - p - 1) >= sizeof(
		    u->port))
			return fail(e, ExitUndecided, "URL %s: invalid port",
			    ar_quote(a, s, strlen(s), e));
		memcpy(u->port, p + 1, (size_t)(end - p - 1));
	} else if (p != h + n && !(*p == ':' && p + 1 == h + n)) {
		return fail(e, ExitUndecided, "URL %s: invalid host",
		    ar_quote(a, s, strlen(s), e));
	}
	p = h + n;
	n = strcspn(p, "#");
	if (!(u->path = ar_printf(a, e, "%s%.*s", *p == '/' ? "" : "/",
	    (int)n, p)))
		return -1;
	return 0;
}

/* RFC 3986 §5.2.4: removes "." and ".." segments from the path at p
 * (which starts with "/"), in place, leaving the query alone */
static void
url_dots(char *p)
{
	char *r = p, *w = p, *end = p + strcspn(p, "?"), *s, *t;
	size_t n;

	while (r < end) {
		s = r + 1;
		t = s + strcspn(s, "/?");
		if (t > end)
			t = end;
		n = (size_t)(t - s);
		if (n == 2 && s[0] == '.' && s[1] == '.')
			while (w > p && *--w != '/')
				;
		else if (!(n == 1 && *s == '.')) {
			memmove(w, r, (size_t)(t - r));
			w += t - r;
		}
		if (t == end && n && n <= 2 && !memcmp(s, "..", n))
			*w++ = '/';	/* "a/.." ends in a directory */
		r = t;
	}
	if (w == p)
		*w++ = '/';
	memmove(w, end, strlen(end) + 1);
}

/* Location against the URL it came from (RFC 3986 §5.2) */
static char *
url_resolve(const Url *base, const char *loc, Arena *a, Err *e)
{
	const char *slash, *sch = base->tls ? "https" : "http";
	char *u, *p;

	if (!strncmp(loc, "https://", 8) || !strncmp(loc, "http://", 7))
		u = ar_printf(a, e, "%s", loc);
	else if (!strncmp(loc, "//", 2))
		u = ar_printf(a, e, "%s:%s", sch, loc);
	else if (*loc == '/')
		u = ar_printf(a, e, "%s://%s%s%s%s", sch, base->host,
		    *base->port ? ":" : "", base->port, loc);
	else if (*loc == '?')
		u = ar_printf(a, e, "%s://%s%s%s%.*s%s", sch, base->host,
		    *base->port ? ":" : "", base->port,
		    (int)strcspn(base->path, "?"), base->path, loc);
	else {
		slash = strrchr(base->path, '/');
		u = ar_printf(a, e, "%s://%s%s%s%.*s%s", sch, base->host,
		    *base->port ? ":" : "", base->port,
		    (int)(slash - base->path + 1), base->path, loc);
	}
	if (!u)
		return NULL;
	p = strstr(u, "://") + 3;
	p += strcspn(p, "/?#");
	if (*p == '/')
		url_dots(p);
	return u;
}

/* host[:port] as written */
static const char *
url_authority(const Url *u, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s", u->host, *u->port ? ":" : "", u->port);
	return buf;
}

/* Is host (as in a URL, IPv6 in brackets) loopback?  The name localhost,
 * and 127.0.0.0/8 or ::1 as IP literals, IPv4-mapped ones included:
 * nothing else by its spelling (127.attacker.example resolves wherever its
 * owner likes).  Credentials go over plain HTTP only to these, and they
 * never go through a proxy (registry-client.md §5). */
static int
url_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char h[HOST_MAX + 1];
	size_t n = strlen(host);

	if (!strcmp(host, "localhost"))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (n < 3 || *host != '[' || host[n - 1] != ']' || n - 2 >= sizeof(h))
		return 0;
	memcpy(h, host + 1, n - 2);
	h[n - 2] = '\0';
	if (inet_pton(AF_INET6, h, &a6) != 1)
		return 0;
	return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) &&
	    a6.s6_addr[12] == 127);
}

/* Go's proxy rules: HTTPS_PROXY for https, HTTP_PROXY for http, upper
 * case first; NO_PROXY "*", names (with subdomains; ".x" subdomains only)
 * and hosts with port; loopback never goes through a proxy. */
static const char *
net_proxy(const Url *u)
{
	const char *p, *np, *t;
	char auth[AUTH_SIZE];
	size_t n, hl = strlen(u->host);

	if (url_loopback(u->host))
		return NULL;
	if (!(p = getenv(u->tls ? "HTTPS_PROXY" : "HTTP_PROXY")) || !*p)
		p = getenv(u->tls ? "https_proxy" : "http_proxy");
	if (!p || !*p)
		return NULL;
	if (!(np = getenv("NO_PROXY")) || !*np)
		np = getenv("no_proxy");
	url_authority(u, auth, sizeof(auth));
	for (t = np; t && *t; t += n + (t[n] == ',')) {
		n = strcspn(t, ",");
		while (n && *t == ' ')
			t++, n--;
		while (n && t[n - 1] == ' ')
			n--;
		if ((n == 1 && *t == '*') || (n == strlen(auth) && !memcmp(t,
		    auth, n)))
			return NULL;
		if (!n || memchr(t, ':', n) || *t == '[')
			continue;
		if (*t == '.' && hl > n && !memcmp(u->host + hl - n, t, n))
			return NULL;
		if (*t != '.' && (hl == n || (hl > n && u->host[hl - n - 1] ==
		    '.')) && !memcmp(u->host + hl - n, t, n))
			return NULL;
	}
	return p;
}

/* == 17. Sockets and TLS trust ===========================================
 * Connections bounded by the run's deadline; TLS is mbedTLS with our own
 * name rules: an IP literal must be an iPAddress SAN, a name a dNSName SAN,
 * never the CN.  The trust of a registry: the CA bundle, certs.d, its
 * client pair. */

enum { SockAgain = -2, SockReset = -3 };	/* sock_io() */

typedef struct Net Net;

typedef struct {		/* TLS trust of one registry */
	char name[AUTH_SIZE];	/* its host[:port] */
	const char *cafile, *certsd;	/* for messages */
	Net *net;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca, cert;
	mbedtls_pk_context key;
	int ready;
} Trust;

typedef struct {		/* one connection; buf last (see conn_get) */
	Net *net;
	Trust *trust;
	int fd;			/* -1: free */
	int tls, ip, eof, keep, reused, absolute;
	int vtop, vbundle;	/* tls_verify met the top; it needs the bundle */
	char origin[3 * AUTH_SIZE];	/* what it may be reused for */
	char host[HOST_MAX + 1];
	char name[AUTH_SIZE];	/* host[:port], for messages */
	char sans[512];		/* the leaf's SANs, for messages */
	Path path;		/* the chain verified, for name constraints */
	const char *proxyauth;	/* plain-HTTP proxy credentials */
	size_t got;		/* bytes received so far */
	Err ioerr;		/* what the mbedTLS callbacks met */
	mbedtls_ssl_context ssl;
	size_t pos, len;	/* unread input is buf[pos..len) */
	unsigned char buf[CONN_BUF];
} Conn;

struct Net {			/* all network state of a run */
	Arena *a;
	long long deadline;
	int timeout;
	const char *const *insecure;	/* plain-HTTP host[:port] */
	const char *certsd, *cafile;
	const char *const *auth;	/* auth files, in search order */
	Trust trust[MAX_TRUST];
	int ntrust;
	Conn conn[MAX_CONNS];
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	int rng;
	int plainok;		/* plain HTTP allowed: lookaside signatures */
	char hdr[MAX_HEADER_BYTES + 1];	/* one response header block */
};

static void conn_close(Conn *c);
static int tls_fail(Conn *c, int ret, const char *step, Err *e);
static int trust_ca(Trust *t, Arena *a, const char *path, Err *e);
static int trust_bundle(Conn *c, mbedtls_x509_crt *leaf, uint32_t *flags);
static int trust_pair(Trust *t, Arena *a, const char *cert,
    const char *key, Err *e);
static void trust_free(Trust *t);

static void
net_init(Net *n, Arena *a, const Opts *o)
{
	int i;

	n->a = a;
	n->deadline = o->deadline;
	n->timeout = o->timeout;
	n->insecure = o->insecure;
	n->certsd = o->certsd;
	n->cafile = o->cafile;
	n->auth = o->auth;
	n->ntrust = 0;
	n->rng = 0;
	for (i = 0; i < MAX_CONNS; i++)
		n->conn[i].fd = -1;
}

static void
net_free(Net *n)
{
	int i;

	for (i = 0; i < MAX_CONNS; i++)
		conn_close(&n->conn[i]);
	for (i = 0; i < n->ntrust; i++)
		trust_free(&n->trust[i]);
	if (n->rng) {
		mbedtls_ctr_drbg_free(&n->drbg);
		mbedtls_entropy_free(&n->entropy);
	}
}

/* Waits for fd to be ready for ev before the deadline; what names the wait
 * in the error.  Timeouts and errors are ExitUndecided. */
static int
net_wait(Net *n, int fd, short ev, const char *what, Err *e)
{
	struct pollfd p;
	long long left;
	int r;

	p.fd = fd;
	p.events = ev;
	for (;;) {
		if ((left = n->deadline - now_ms()) <= 0)
			return fail(e, ExitUndecided, "%s: timed out (-timeout "
			    "%d s)", what, n->timeout);
		r = poll(&p, 1, (int)(left < INT_MAX ? left : INT_MAX));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return fail(e, ExitUndecided, "%s: poll: %s", what,
			    strerror(errno));
	}
}

/* TCP to host:port: every address in turn, each with a fair share of the
 * time left.  getaddrinfo cannot be interrupted; main's watchdog covers it */
static int
net_connect(Net *n, const char *host, const char *port, const char *what,
    Err *e)
{
	struct addrinfo hints, *res, *ai;
	char h[HOST_MAX + 1];
	socklen_t sl = sizeof(int);
	int fd = -1, r, err = 0, left = 0, one = 1;
	long long end = n->deadline;
	size_t len = strlen(host);

	if (*host == '[')
		snprintf(h, sizeof(h), "%.*s", (int)(len - 2), host + 1);
	else
		snprintf(h, sizeof(h), "%s", host);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = *host == '[' ? AI_NUMERICHOST : 0;
	watchdog_step(what);
	if ((r = getaddrinfo(h, port, &hints, &res)) != 0)
		return fail(e, ExitUndecided, "%s: cannot resolve %s: %s",
		    what, h, gai_strerror(r));
	for (ai = res; ai; ai = ai->ai_next)
		left++;
	for (ai = res; ai; ai = ai->ai_next, left--) {
		n->deadline = now_ms() + (end - now_ms()) / left;
		if (n->deadline > end)
			n->deadline = end;
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		/* no Nagle: mbedTLS writes a handshake flight as several
		 * records, and the server's delayed ACK held the second one
		 * back 40 ms (requests go out in one write anyway) */
		if (fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
		    fcntl(fd, F_SETFL, O_NONBLOCK) < 0 || setsockopt(fd,
		    IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
			err = errno;
			if (fd >= 0)
				close(fd);
			fd = -1;
			continue;
		}
		if (fault(FaultConnect)) {
			close(fd);
			fd = -1;
			err = ECONNREFUSED;
			fail(e, ExitUndecided, "%s: connect: injected fault",
			    what);
			break;
		}
		if ((connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && net_wait(n, fd, POLLOUT, what,
		    e) == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
		    &sl) == 0 && err == 0)))
			break;
		if (!err)
			err = errno;
		close(fd);
		fd = -1;
		if (e->code && ai->ai_next) {	/* our share ran out */
			e->code = 0;
			err = ETIMEDOUT;
		}
	}
	n->deadline = end;
	freeaddrinfo(res);
	if (fd < 0)
		return fail(e, ExitUndecided, "%s: connect: %s", what,
		    strerror(err ? err : ETIMEDOUT));	/* fault: first wins */
	return fd;
}

/* One send (out) or receive on c's socket, waiting no longer than the
 * deadline: the bytes moved, 0 at the end of input, SockAgain, SockReset
 * (a receive), or -1 with e set.  Plain HTTP and mbedTLS's I/O callbacks
 * both come here. */
static ssize_t
sock_io(Conn *c, int out, void *buf, size_t len, Err *e)
{
	ssize_t r;

	if (net_wait(c->net, c->fd, out ? POLLOUT : POLLIN, c->name, e) < 0)
		return -1;
	r = out ? send(c->fd, buf, len, MSG_NOSIGNAL) : recv(c->fd, buf, len,
	    0);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return SockAgain;
	if (r < 0 && !out && errno == ECONNRESET)
		return SockReset;
	if (r < 0)
		return fail(e, ExitUndecided, "%s: %s: %s", c->name, out ?
		    "send" : "receive", strerror(errno));
	return r;
}

static int
conn_send(Conn *c, const void *buf, size_t len, Err *e)
{
	const unsigned char *p = buf;
	ssize_t r;
	int t;

	if (fault(FaultSend))
		return fail(e, ExitUndecided, "%s: send: injected fault",
		    c->name);
	while (len > 0) {
		if (c->tls) {
			t = mbedtls_ssl_write(&c->ssl, p, len);
			if (t == MBEDTLS_ERR_SSL_WANT_READ ||
			    t == MBEDTLS_ERR_SSL_WANT_WRITE ||
			    t == TLS_ERR_TICKET)
				continue;
			if (t < 0)
				return tls_fail(c, t, "send", e);
			r = t;
		} else if ((r = sock_io(c, 1, (void *)p, len, e)) ==
		    SockAgain)
			continue;
		else if (r < 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* more bytes into c->buf; 0 on EOF (c->eof set), -1 on error */
static int
conn_fill(Conn *c, Err *e)
{
	ssize_t r;
	int t;

	if (c->pos > 0) {
		memmove(c->buf, c->buf + c->pos, c->len - c->pos);
		c->len -= c->pos;
		c->pos = 0;
	}
	if (c->len == sizeof(c->buf))	/* callers bound lines below this */
		return fail(e, ExitUndecided, "%s: input buffer full",
		    c->name);
	if (fault(FaultRecv))
		return fail(e, ExitUndecided, "%s: receive: injected fault",
		    c->name);
	for (;;) {
		if (c->tls) {
			t = mbedtls_ssl_read(&c->ssl, c->buf + c->len,
			    sizeof(c->buf) - c->len);
			/* a TLS 1.3 NewSessionTicket: ivlite resumes no
			 * session, the ticket is dropped */
			if (t == MBEDTLS_ERR_SSL_WANT_READ ||
			    t == MBEDTLS_ERR_SSL_WANT_WRITE ||
			    t == TLS_ERR_TICKET)
				continue;
			if (t == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || t == 0 ||
			    t == MBEDTLS_ERR_NET_CONN_RESET)
				r = 0;
			else if (t < 0)
				return tls_fail(c, t, "receive", e);
			else
				r = t;
		} else if ((r = sock_io(c, 0, c->buf + c->len,
		    sizeof(c->buf) - c->len, e)) == SockAgain)
			continue;
		else if (r == SockReset)
			r = 0;
		else if (r < 0)
			return -1;
		if (r == 0) {
			c->eof = 1;
			return 0;
		}
		c->len += (size_t)r;
		c->got += (size_t)r;
		return 1;
	}
}

static void
conn_close(Conn *c)
{
	if (c->fd < 0)
		return;
	if (c->tls) {
		mbedtls_ssl_close_notify(&c->ssl);
		mbedtls_ssl_free(&c->ssl);
	}
	close(c->fd);
	c->fd = -1;
}

/* mbedTLS I/O callbacks: our sockets, our deadline; what failed is in
 * c->ioerr for tls_fail */
static int
tls_send(void *ctx, const unsigned char *buf, size_t len)
{
	Conn *c = ctx;
	ssize_t r = sock_io(c, 1, (void *)buf, len, &c->ioerr);

	return r == SockAgain ? MBEDTLS_ERR_SSL_WANT_WRITE : r < 0 ?
	    MBEDTLS_ERR_NET_SEND_FAILED : (int)r;
}

static int
tls_recv(void *ctx, unsigned char *buf, size_t len)
{
	Conn *c = ctx;
	ssize_t r = sock_io(c, 0, buf, len, &c->ioerr);

	return r == SockAgain ? MBEDTLS_ERR_SSL_WANT_READ : r == SockReset ?
	    MBEDTLS_ERR_NET_CONN_RESET : r < 0 ? MBEDTLS_ERR_NET_RECV_FAILED :
	    (int)r;
}

/* Runs at each certificate of the chain, from the top down.  mbedTLS
 * knows only the certs.d anchors: a chain they do not anchor arrives with
 * NOT_TRUSTED at its top, and the leaf's call has the whole chain verified
 * again against the CA bundle (trust_bundle).  The flag is taken off the
 * top only because that later verification's flags join the leaf's.
 * The name constraints of the path verified (cry_path, in trust_bundle's
 * verification when that is the one).  At the leaf, Go's name rules,
 * which mbedTLS lacks (2.28, 3.6): an IP literal matches only iPAddress
 * SANs (byte for byte), a name never falls back to the subject CN. */
static int
tls_verify(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	Conn *c = ctx;
	const mbedtls_x509_sequence *s;
	unsigned char ip[16];
	char h[HOST_MAX + 1], q[QUOTE_SIZE];
	size_t len, n = 0;
	int fam, match = 0;

	if (!c->vtop) {
		c->vtop = 1;
		c->vbundle = (*flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) != 0;
		*flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_NOT_TRUSTED;
	}
	if (depth != 0 || !c->vbundle)
		cry_path(&c->path, crt, depth, flags);
	if (depth != 0)
		return 0;
	if (c->vbundle && trust_bundle(c, crt, flags) < 0)
		return MBEDTLS_ERR_X509_FATAL_ERROR;
	c->sans[0] = '\0';
	for (s = &crt->subject_alt_names; s && s->buf.p; s = s->next) {
		char a[INET6_ADDRSTRLEN] = "?";

		len = strlen(c->sans);
		if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2))
			snprintf(c->sans + len, sizeof(c->sans) - len,
			    "%sDNS:%s", len ? ", " : "", quote_as(q,
			    (const char *)s->buf.p, s->buf.len, 0));
		if (s->buf.tag != (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7))
			continue;
		if (s->buf.len == 4 || s->buf.len == 16)
			inet_ntop(s->buf.len == 4 ? AF_INET : AF_INET6,
			    s->buf.p, a, sizeof(a));
		snprintf(c->sans + len, sizeof(c->sans) - len, "%sIP:%s",
		    len ? ", " : "", a);
	}
	if (!(crt->MBEDTLS_PRIVATE(ext_types) &
	    MBEDTLS_X509_EXT_SUBJECT_ALT_NAME)) {
		*flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
		return 0;
	}
	if (!c->ip)
		return 0;
	len = strlen(c->host);
	if (*c->host == '[')
		snprintf(h, sizeof(h), "%.*s", (int)(len - 2), c->host + 1);
	else
		snprintf(h, sizeof(h), "%s", c->host);
	fam = strchr(h, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fam, h, ip) == 1)
		n = fam == AF_INET ? 4 : 16;
	for (s = &crt->subject_alt_names; n && s && s->buf.p; s = s->next)
		if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) &&
		    s->buf.len == n && !memcmp(s->buf.p, ip, n))
			match = 1;
	if (!match)
		*flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
	return 0;
}

/* an mbedTLS failure as one precise sentence */
static int
tls_fail(Conn *c, int ret, const char *step, Err *e)
{
	char buf[200];
	uint32_t f;

	/* a server that wants a client certificate refuses in the
	 * handshake, or with TLS 1.3 after it, at the first send or receive */
	if (c->ioerr.code == ExitUndecided && !c->trust->cert.raw.p &&
	    (!strcmp(step, "handshake") || (c->got == 0 &&
	    !strcmp(mbedtls_ssl_get_version(&c->ssl), "TLSv1.3"))))
		return fail(e, c->ioerr.code, "%s (during the TLS %s: does the "
		    "server want a client certificate? %s/%s has none)",
		    c->ioerr.msg, step, c->trust->certsd, c->trust->name);
	if (c->ioerr.code)
		return fail(e, c->ioerr.code, "%s (during the TLS %s)",
		    c->ioerr.msg, step);
	/* a certificate for another use fails as a bad certificate */
	if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED ||
	    ret == TLS_ERR_BAD_CERT) {
		f = mbedtls_ssl_get_verify_result(&c->ssl);
		if (f & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
			return fail(e, ExitUndecided, "%s: TLS: certificate "
			    "not trusted (no CA in %s or %s/%s signs it)",
			    c->name, c->trust->cafile, c->trust->certsd,
			    c->trust->name);
		if (f & MBEDTLS_X509_BADCERT_OTHER)
			return fail(e, ExitUndecided, "%s: TLS: certificate "
			    "rejected: %s", c->name, c->path.why);
		if (f & MBEDTLS_X509_BADCERT_CN_MISMATCH)
			return fail(e, ExitUndecided, "%s: TLS: certificate "
			    "for %s does not cover that name (SANs: %s)",
			    c->name, c->host, *c->sans ? c->sans : "none");
		if (f & MBEDTLS_X509_BADCERT_EXPIRED)
			return fail(e, ExitUndecided, "%s: TLS: certificate "
			    "expired", c->name);
		if (f & MBEDTLS_X509_BADCERT_FUTURE)
			return fail(e, ExitUndecided, "%s: TLS: certificate "
			    "not yet valid", c->name);
		if (f & (MBEDTLS_X509_BADCERT_BAD_MD |
		    MBEDTLS_X509_BADCERT_BAD_PK | MBEDTLS_X509_BADCERT_BAD_KEY))
			return fail(e, ExitUndecided, "%s: TLS: certificate "
			    "rejected: " CRY_WEAK, c->name);
		if (f & (MBEDTLS_X509_BADCERT_KEY_USAGE |
		    MBEDTLS_X509_BADCERT_EXT_KEY_USAGE))
			return fail(e, ExitUndecided, "%s: TLS: certificate not "
			    "for a TLS server (key usage or extended key usage)",
			    c->name);
		return fail(e, ExitUndecided, "%s: TLS: certificate "
		    "rejected (mbedTLS verification flags 0x%x)", c->name,
		    (unsigned)f);
	}
	/* the alert's description is the second byte of the message */
	if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE &&
	    c->ssl.MBEDTLS_PRIVATE(in_msg)[1] ==
	    MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION)
		return fail(e, ExitUndecided, "%s: TLS %s: the server refused "
		    TLS_REFUSED " (fatal alert: protocol version)", c->name,
		    step);
	if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
		return fail(e, ExitUndecided, "%s: TLS %s: the server refused "
		    "(fatal alert: no cipher suite in common, or a client "
		    "certificate it wants)", c->name, step);
	if (ret == MBEDTLS_ERR_SSL_INVALID_RECORD || ret == TLS_ERR_NOT_TLS)
		return fail(e, ExitUndecided, "%s: TLS %s: the server does not "
		    "speak TLS (plain HTTP needs -insecure %s)", c->name, step,
		    c->name);
#ifdef MBEDTLS_ERROR_C
	mbedtls_strerror(ret, buf, sizeof(buf));
#else
	snprintf(buf, sizeof(buf), "mbedTLS error -0x%04x", -ret);
#endif
	return fail(e, ExitUndecided, "%s: TLS %s: %s", c->name, step, buf);
}

/* the TLS library and versions of this build (-version) */
static const char *
tls_lib(void)
{
	return "mbedTLS " MBEDTLS_VERSION_STRING ", " TLS_VERSIONS;
}

/* The trust for one registry: CA file (the system bundle unless -ca-file)
 * plus certs.d/AUTHORITY/ *.crt, and its client pair.  Token realms and
 * redirects of that registry are checked against the same anchors. */
static Trust *
trust_get(Net *n, const char *authority, Err *e)
{
	static const int suites[] = {
		MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		TLS13_SUITES
		0
	};
	/* NIST curves only: servers prefer X25519 when offered, and
	 * mbedTLS's X25519 costs three times its P-256 (the handshake a
	 * quarter more); every TLS server has P-256 */
	static const TlsGroup groups[] = {
		TLS_GROUP(SECP256R1), TLS_GROUP(SECP384R1),
		TLS_GROUP(SECP521R1), TLS_GROUP(NONE)
	};
	CertsD cd;
	Trust *t;
	int i, r;

	for (i = 0; i < n->ntrust; i++)
		if (!strcmp(n->trust[i].name, authority))
			return &n->trust[i];
	if (n->ntrust == MAX_TRUST) {
		fail(e, ExitUndecided, "more than MAX_TRUST (%d) registries",
		    MAX_TRUST);
		return NULL;
	}
	if (cry_init(1) < 0) {
		fail(e, ExitUndecided, "TLS: cannot start PSA crypto");
		return NULL;
	}
	if (!n->rng) {
		mbedtls_entropy_init(&n->entropy);
		mbedtls_ctr_drbg_init(&n->drbg);
		n->rng = 1;
		if ((r = mbedtls_ctr_drbg_seed(&n->drbg, mbedtls_entropy_func,
		    &n->entropy, (const unsigned char *)"ivlite", 6)) != 0) {
			fail(e, ExitUndecided, "TLS: cannot seed the random "
			    "generator (-0x%04x)", -r);
			return NULL;
		}
	}
	t = &n->trust[n->ntrust++];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", authority);
	t->cafile = n->cafile;
	t->certsd = n->certsd;
	t->net = n;
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_x509_crt_init(&t->ca);
	mbedtls_x509_crt_init(&t->cert);
	mbedtls_pk_init(&t->key);
	t->ready = 1;
	if (cert_dir(n->a, n->certsd, authority, &cd, e) < 0)
		return NULL;
	for (i = 0; i < cd.ncrt; i++)
		if (trust_ca(t, n->a, cd.crt[i], e) < 0)
			return NULL;
	if (cd.cert && trust_pair(t, n->a, cd.cert, cd.key, e) < 0)
		return NULL;
	if (mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT) != 0 ||
	    (cd.cert && mbedtls_ssl_conf_own_cert(&t->conf, &t->cert,
	    &t->key) != 0)) {
		fail(e, ExitUndecided, "TLS: cannot set up mbedTLS");
		return NULL;
	}
	mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	/* certs.d's anchors, maybe none: the bundle comes in tls_verify */
	mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
	mbedtls_ssl_conf_cert_profile(&t->conf, &cry_profile);
	mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &n->drbg);
	mbedtls_ssl_conf_ciphersuites(&t->conf, suites);
	tls_conf_groups(&t->conf, groups);
	tls_conf_min_12(&t->conf);
	logv("trust for %s: %s%s%d certs.d file%s%s", authority, n->cafile,
	    cd.ncrt ? " and " : ", ", cd.ncrt, cd.ncrt == 1 ? "" : "s",
	    cd.cert ? ", client certificate" : "");
	return t;
}

/* Adds the PEM certificates of path to t's anchors.  Our own base64:
 * mbedTLS's constant-time decoder spends 4 ms on the system bundle, for
 * certificates that are public. */
static int
trust_ca(Trust *t, Arena *a, const char *path, Err *e)
{
	size_t mark = a->used;
	const char *why = "";
	Str s;
	int r;

	if (file_read(a, path, MAX_CA_BYTES, &s, e) < 0)
		return -1;
	r = cry_certs(s.p, s.n, 1, &t->ca, 0, a, &why);
	a->used = mark;
	if (r <= 0)
		return fail(e, ExitConfig, "%s: %s", path, why);
	return 0;
}

/* the raw subject (tag and length included) of DER certificate p */
static int
trust_subject(const unsigned char *p, size_t n, Str *subj)
{
	const unsigned char *end = p + n, *q;
	size_t len;
	int i;

	if (mbedtls_asn1_get_tag((unsigned char **)&p, end, &len,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0 ||
	    mbedtls_asn1_get_tag((unsigned char **)&p, end, &len,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
		return -1;
	end = p + len;
	/* [0] version (optional), serial, signature, issuer, validity */
	for (i = p < end && *p == 0xa0 ? 0 : 1; i < 5; i++) {
		q = p + 1;
		if (p >= end || mbedtls_asn1_get_len((unsigned char **)&q, end,
		    &len) != 0)
			return -1;
		p = q + len;
	}
	q = p;
	if (mbedtls_asn1_get_tag((unsigned char **)&q, end, &len,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
		return -1;
	subj->p = (char *)p;
	subj->n = (size_t)(q - p) + len;
	return 0;
}

/* The chain of leaf verified against the bundle's anchors: of its
 * CERTIFICATE blocks (Go's AppendCertsFromPEM), only the certificates
 * whose subject is the issuer of one in the chain, byte for byte (as Go's
 * CertPool matches), are parsed, not all 140.  Its flags join *flags; -1
 * (in c->ioerr) if the bundle cannot be read or holds no such block. */
static int
trust_bundle(Conn *c, mbedtls_x509_crt *leaf, uint32_t *flags)
{
	Trust *t = c->trust;
	Arena *a = t->net->a;
	size_t mark = a->used, pos = 0, text;
	const mbedtls_x509_crt *k;
	mbedtls_x509_crt anchors;
	uint32_t f = 0;
	Err sub = { 0, "" };
	Str s, der, subj;
	int n = 0, blocks = 0;

	if (file_read(a, t->cafile, MAX_CA_BYTES, &s, &sub) < 0)
		return fail(&c->ioerr, sub.code, "%s: TLS: CA bundle %s",
		    c->name, sub.msg);
	mbedtls_x509_crt_init(&anchors);
	text = a->used;
	while (cry_pem(s.p, s.n, &pos, "CERTIFICATE", a, &der) > 0) {
		blocks++;
		if (trust_subject((unsigned char *)der.p, der.n, &subj) < 0)
			subj.n = 0;
		for (k = leaf; k && subj.n; k = k->next)
			if (subj.n == k->issuer_raw.len && !memcmp(subj.p,
			    k->issuer_raw.p, subj.n)) {
				if (cry_cert_parse(&anchors, (unsigned char *)
				    der.p, der.n) == 0)
					n++;
				else
					logv("%s: a certificate for an issuer "
					    "does not parse", t->cafile);
				break;
			}
		a->used = text;
	}
	a->used = mark;
	if (!blocks) {
		mbedtls_x509_crt_free(&anchors);
		return fail(&c->ioerr, ExitConfig, "%s: TLS: CA bundle %s holds "
		    "no CERTIFICATE block", c->name, t->cafile);
	}
	logv("tls %s: %d certificate%s of %s for the chain's issuers", c->name,
	    n, n == 1 ? "" : "s", t->cafile);
	/* host names: the leaf's own pass checks them; name constraints of
	 * this path: cry_path */
	c->path.n = 0;
	if (mbedtls_x509_crt_verify_with_profile(leaf, n ? &anchors : NULL,
	    NULL, &cry_profile, NULL, &f, cry_path,
	    &c->path) != 0 && !f)
		f |= MBEDTLS_X509_BADCERT_NOT_TRUSTED;
	*flags |= f;
	mbedtls_x509_crt_free(&anchors);
	return 0;
}

/* the client certificate (with its chain) and its unencrypted key */
static int
trust_pair(Trust *t, Arena *a, const char *cert, const char *key, Err *e)
{
	size_t mark = a->used;
	Str c, k;
	int r;

	if (file_read(a, cert, MAX_KEY_BYTES, &c, e) < 0 ||
	    file_read(a, key, MAX_KEY_BYTES, &k, e) < 0)
		return -1;
	r = mbedtls_x509_crt_parse(&t->cert, (const unsigned char *)c.p,
	    c.n + 1) != 0 || pk_parse_key(&t->key, (const unsigned char *)k.p,
	    k.n + 1, mbedtls_ctr_drbg_random, &t->net->drbg) != 0;
	cry_wipe(k.p, k.n);
	a->used = mark;
	if (r)
		return fail(e, ExitConfig, "%s, %s: not a PEM certificate and "
		    "an unencrypted key", cert, key);
	return 0;
}

static void
trust_free(Trust *t)
{
	if (!t->ready)
		return;
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_x509_crt_free(&t->ca);
	mbedtls_x509_crt_free(&t->cert);
	mbedtls_pk_free(&t->key);
	t->ready = 0;
}

/* -check: each registry's directory of certs.d loaded as a run loads it
 * (a .cert without its .key, a file that does not parse: exit 2), its
 * CAs and client certificate dated (cry_dates); 0 or -1 */
static int
trust_check(Net *n, Err *e)
{
	size_t mark = n->a->used;	/* each directory from the same start */
	struct dirent *d;
	Trust *t;
	DIR *dp;
	int r = 0;

	if (!(dp = opendir(n->certsd)))
		return errno == ENOENT || errno == ENOTDIR ? 0 : fail(e,
		    ExitConfig, "%s: %s", n->certsd, strerror(errno));
	while (!r && (d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		if (!(t = trust_get(n, d->d_name, e))) {
			r = -1;
			continue;
		}
		cry_dates(&t->ca, 0, "%s/%s", n->certsd, d->d_name);
		cry_dates(&t->cert, 0, "%s/%s (client certificate)", n->certsd,
		    d->d_name);
		trust_free(t);
		n->ntrust--;	/* t was the last: MAX_TRUST bounds a run */
		n->a->used = mark;
	}
	closedir(dp);
	return r;
}

/* TLS on the connected c, to c->host, with c->trust: the handshake
 * verified (tls_verify).  0, or -1 with c closed. */
static int
tls_start(Conn *c, Err *e)
{
	int r;

	mbedtls_ssl_init(&c->ssl);
	c->tls = 1;
	if ((r = mbedtls_ssl_setup(&c->ssl, &c->trust->conf)) != 0 ||
	    (r = mbedtls_ssl_set_hostname(&c->ssl, c->ip ? NULL : c->host))
	    != 0) {
		conn_close(c);
		return fail(e, ExitUndecided, "%s: TLS setup (-0x%04x)",
		    c->name, -r);
	}
	mbedtls_ssl_set_verify(&c->ssl, tls_verify, c);
	mbedtls_ssl_set_bio(&c->ssl, c, tls_send, tls_recv, NULL);
	watchdog_step(c->name);
	if (fault(FaultHandshake)) {
		conn_close(c);
		return fail(e, ExitUndecided, "%s: TLS handshake: injected "
		    "fault", c->name);
	}
	while ((r = mbedtls_ssl_handshake(&c->ssl)) != 0)
		if (r != MBEDTLS_ERR_SSL_WANT_READ &&
		    r != MBEDTLS_ERR_SSL_WANT_WRITE && r != TLS_ERR_TICKET) {
			tls_fail(c, r, "handshake", e);
			conn_close(c);
			return -1;
		}
	logv("tls %s: %s %s", c->name, mbedtls_ssl_get_version(&c->ssl),
	    mbedtls_ssl_get_ciphersuite(&c->ssl));
	return 0;
}

/* == 18. HTTP/1.1 ========================================================
 * A small HTTP/1.1 client: one request in flight per connection, one kept
 * connection per origin (or a proxy tunnel), every header and body
 * bounded, every wait bounded by the run's deadline, plain HTTP only where
 * it is allowed. */

typedef struct {		/* one HTTP request (http_get, http_once) */
	const char *method;	/* NULL: GET */
	const char *url;	/* http_get's; its redirects are followed */
	Trust *trust;		/* the registry's, or NULL: the host's own */
	const char *accept;	/* an Accept value, or NULL */
	const char *authz;	/* an Authorization value (a secret), or NULL */
	const char *authfor;	/* the origin authz goes to, and no other */
	const char *ctype, *body;	/* a POST's Content-Type and body */
	Limit lim;		/* of a 2xx response's body */
	const char *what;	/* for errors; "+what": no path logged */
	const char *plainfor;	/* HOST[:PORT] vetted for plain HTTP, or NULL */
} HttpReq;

typedef struct {
	int status, http10, close, chunked;
	long long clen;			/* Content-Length, -1: none */
	long retry;			/* Retry-After seconds, -1: none */
	Str body;
	char ctype[128];		/* media type, lower case */
	char digest[DIGEST_MAX + 1];	/* Docker-Content-Digest */
	char *location;
	char *challenge;		/* every WWW-Authenticate, joined */
	char *link;			/* every Link, joined (referrers) */
	char *filters;			/* OCI-Filters-Applied */
	const char *url;		/* after redirects */
} Resp;

static int http_value(Conn *c, Resp *r, const char *line, Arena *a,
    Err *e);
static int http_line(Conn *c, char *buf, size_t n, Err *e);

static int
url_insecure(const Net *n, const Url *u)
{
	char auth[AUTH_SIZE];
	int i;

	url_authority(u, auth, sizeof(auth));
	for (i = 0; n->insecure[i]; i++)
		if (!strcmp(n->insecure[i], auth))
			return 1;
	return 0;
}

/* Plain HTTP goes only to -insecure hosts, and to lookaside storage
 * (plainok: its signatures prove themselves).  from: who sent us there
 * (a redirect), else NULL; the query (a token request's account name)
 * stays out of the message. */
static int
url_plain(const Net *n, const Url *u, const char *from, const char *what,
    Err *e)
{
	char auth[AUTH_SIZE];

	if (u->tls || url_insecure(n, u) || n->plainok)
		return 0;
	url_authority(u, auth, sizeof(auth));
	return fail(e, ExitUndecided, "%s: %s: http://%s%.*s is plain HTTP, "
	    "allowed only for -insecure hosts", from ? from : auth, what, auth,
	    (int)strcspn(u->path, "?"), u->path);
}

/* case-insensitive: does header line h start with name ":"? value after */
static const char *
http_field(const char *h, const char *name)
{
	size_t n = strlen(name);

	if (strncasecmp(h, name, n) || h[n] != ':')
		return NULL;
	for (h += n + 1; *h == ' ' || *h == '\t'; h++)
		;
	return h;
}

/* The status line and headers.  The block is bounded (MAX_HEADER_BYTES,
 * MAX_HEADER_LINE, MAX_HEADERS); obs-folds become spaces. */
static int
http_head(Conn *c, Resp *r, Arena *a, Err *e)
{
	char *blk, *line, *v, *end;
	size_t len = 0, n;
	int nf = 0, interim = 0;
	unsigned char *nl;

	memset(r, 0, sizeof(*r));
	r->retry = -1;
	r->clen = -1;
	blk = c->net->hdr;
again:
	len = 0;
	for (;;) {		/* one line at a time into blk */
		while (!(nl = memchr(c->buf + c->pos, '\n', c->len - c->pos))) {
			if (c->len - c->pos >= MAX_HEADER_LINE)
				return fail(e, ExitUndecided, "%s: response "
				    "header line longer than MAX_HEADER_LINE "
				    "(%d)", c->name, MAX_HEADER_LINE);
			if (conn_fill(c, e) < 0)
				return -1;
			if (c->eof)
				return fail(e, ExitUndecided, "%s: connection "
				    "closed %s", c->name, len ? "inside the "
				    "response header" : "before a response");
		}
		n = (size_t)(nl - (c->buf + c->pos)) + 1;
		if (n > MAX_HEADER_LINE)
			return fail(e, ExitUndecided, "%s: response header "
			    "line longer than MAX_HEADER_LINE (%d)", c->name,
			    MAX_HEADER_LINE);
		if (len + n > MAX_HEADER_BYTES)
			return fail(e, ExitUndecided, "%s: response header "
			    "larger than MAX_HEADER_BYTES (%d)", c->name,
			    MAX_HEADER_BYTES);
		if (++nf > MAX_HEADERS + 1)
			return fail(e, ExitUndecided, "%s: more than "
			    "MAX_HEADERS (%d) response header fields", c->name,
			    MAX_HEADERS);
		memcpy(blk + len, c->buf + c->pos, n);
		c->pos += n;
		len += n;
		if (n == 1 || (n == 2 && blk[len - 2] == '\r'))
			break;
	}
	blk[len] = '\0';
	/* CR only before LF; no NUL; fold continuation lines */
	if (memchr(blk, '\0', len))
		return fail(e, ExitUndecided, "%s: NUL in the response header",
		    c->name);
	for (v = blk; (v = strchr(v, '\r')); v++)
		if (v[1] != '\n')
			return fail(e, ExitUndecided, "%s: bare CR in the "
			    "response header", c->name);
	for (v = blk; (v = strchr(v, '\n')); v++)
		if (v[1] == ' ' || v[1] == '\t')
			*v = ' ', v[-1] = v[-1] == '\r' ? ' ' : v[-1];
	line = strtok_r(blk, "\r\n", &end);
	if (!line || (strncmp(line, "HTTP/1.1 ", 9) && strncmp(line,
	    "HTTP/1.0 ", 9)) || !isdigit((unsigned char)line[9]) ||
	    !isdigit((unsigned char)line[10]) ||
	    !isdigit((unsigned char)line[11]) || (line[12] && line[12] != ' '))
		return fail(e, ExitUndecided, "%s: not an HTTP/1.x response",
		    c->name);
	r->http10 = line[7] == '0';
	r->status = atoi(line + 9);
	if (r->status >= 100 && r->status < 200 && r->status != 101) {
		if (++interim > 5)
			return fail(e, ExitUndecided, "%s: too many interim "
			    "responses", c->name);
		nf = 0;
		goto again;
	}
	if (r->status < 200)
		return fail(e, ExitUndecided, "%s: unexpected HTTP %d",
		    c->name, r->status);
	while ((line = strtok_r(NULL, "\r\n", &end))) {
		if (!strchr(line, ':') || strcspn(line, " \t") < strcspn(line,
		    ":"))
			return fail(e, ExitUndecided, "%s: malformed response "
			    "header line", c->name);
		if (http_value(c, r, line, a, e) < 0)
			return -1;
	}
	if (r->chunked && r->clen >= 0)
		return fail(e, ExitUndecided, "%s: response has both "
		    "Content-Length and Transfer-Encoding", c->name);
	return 0;
}

/* one header field into r: only those ivlite acts on */
static int
http_value(Conn *c, Resp *r, const char *line, Arena *a, Err *e)
{
	const char *v;
	char *end;
	long long l;
	size_t n;

	if ((v = http_field(line, "Content-Length"))) {
		if (!*v || strspn(v, "0123456789") != strlen(v) ||
		    strlen(v) > 15 || ((l = strtoll(v, &end, 10)), r->clen >= 0
		    && l != r->clen))
			return fail(e, ExitUndecided, "%s: invalid or "
			    "conflicting Content-Length", c->name);
		r->clen = l;
	} else if ((v = http_field(line, "Transfer-Encoding"))) {
		if (strcasecmp(v, "chunked") || r->chunked)
			return fail(e, ExitUndecided, "%s: Transfer-Encoding "
			    "%s is not supported (only chunked)", c->name,
			    ar_quote(a, v, strlen(v), e));
		r->chunked = 1;
	} else if ((v = http_field(line, "Content-Encoding"))) {
		if (strcasecmp(v, "identity"))
			return fail(e, ExitUndecided, "%s: Content-Encoding "
			    "%s: ivlite never hashes encoded bytes", c->name,
			    ar_quote(a, v, strlen(v), e));
	} else if ((v = http_field(line, "Connection"))) {
		for (; *v; v += n + (v[n] == ','), v += strspn(v, " \t"))
			if ((n = strcspn(v, ", \t")) == 5 &&
			    !strncasecmp(v, "close", 5))
				r->close = 1;
			else if (!n)
				n = strcspn(v, ",");
	} else if ((v = http_field(line, "Content-Type"))) {
		n = strcspn(v, "; \t");
		if (n >= sizeof(r->ctype))
			n = sizeof(r->ctype) - 1;
		memcpy(r->ctype, v, n);
		r->ctype[n] = '\0';
		for (end = r->ctype; *end; end++)
			*end = (char)tolower((unsigned char)*end);
	} else if ((v = http_field(line, "Docker-Content-Digest"))) {
		if (strlen(v) < sizeof(r->digest))
			strcpy(r->digest, v);
	} else if ((v = http_field(line, "Location"))) {
		if (r->location)
			return fail(e, ExitUndecided, "%s: two Location "
			    "headers", c->name);
		if (!(r->location = ar_printf(a, e, "%s", v)))
			return -1;
	} else if ((v = http_field(line, "WWW-Authenticate"))) {
		if (!(r->challenge = ar_printf(a, e, "%s%s%s", r->challenge ?
		    r->challenge : "", r->challenge ? ", " : "", v)))
			return -1;
	} else if ((v = http_field(line, "Link"))) {
		if (!(r->link = ar_printf(a, e, "%s%s%s", r->link ? r->link :
		    "", r->link ? ", " : "", v)))
			return -1;
	} else if ((v = http_field(line, "OCI-Filters-Applied"))) {
		if (!(r->filters = ar_printf(a, e, "%s", v)))
			return -1;
	} else if ((v = http_field(line, "Retry-After"))) {
		r->retry = strspn(v, "0123456789") == strlen(v) && *v &&
		    strlen(v) < 6 ? atol(v) : 1;
	}
	return 0;
}

/* The body into the arena, at most lim.max bytes (else an error naming
 * lim), framed by Content-Length, chunks or the end of the connection.
 * Without a name (error and redirect bodies, read only to keep the
 * connection) a longer body is cut and the connection dropped. */
static int
http_body(Conn *c, Resp *r, int head, Limit lim, Arena *a, Err *e)
{
	const char *limit = lim.name;
	size_t max = lim.max;
	char *p, sz[4100];
	size_t want, n, k;
	unsigned long long cs;
	int last = 0;

	r->body.n = 0;
	r->body.p = "";
	c->keep = !r->http10 && !r->close;
	if (head || r->status == 204 || r->status == 304)
		return 0;
	if (!r->chunked && r->clen < 0)
		c->keep = 0;	/* delimited by close */
	if (r->clen > (long long)max && !limit) {
		c->keep = 0;
		return 0;
	}
	if (r->clen > (long long)max)
		return fail(e, ExitUndecided, "%s: response of %lld bytes, "
		    "larger than %s (%zu)", c->name, r->clen, limit, max);
	if (!(p = ar_alloc(a, max + 1, e)))
		return -1;
	r->body.p = p;
	for (;;) {
		if (r->chunked) {	/* size line, data, CRLF */
			if (http_line(c, sz, sizeof(sz), e) < 0)
				return -1;
			n = strspn(sz, "0123456789abcdefABCDEF");
			if (n == 0 || n > 16 || (sz[n] && !strchr("; \t",
			    sz[n])))
				return fail(e, ExitUndecided, "%s: invalid "
				    "chunk size line", c->name);
			cs = strtoull(sz, NULL, 16);
			if (cs == 0) {
				last = 1;
				want = 0;
			} else if (cs > max - r->body.n && !limit) {
				c->keep = 0;
				break;
			} else if (cs > max - r->body.n) {
				return fail(e, ExitUndecided, "%s: chunked "
				    "response larger than %s (%zu)", c->name,
				    limit, max);
			} else {
				want = (size_t)cs;
			}
		} else {
			want = r->clen >= 0 ? (size_t)r->clen : max + 1 -
			    r->body.n;
			last = 1;
		}
		while (want > 0) {
			if (c->pos == c->len) {
				if (conn_fill(c, e) < 0)
					return -1;
				if (c->eof && r->clen < 0 && !r->chunked)
					break;
				if (c->eof)
					return fail(e, ExitUndecided, "%s: "
					    "connection closed inside the "
					    "response body", c->name);
			}
			k = c->len - c->pos < want ? c->len - c->pos : want;
			memcpy(p + r->body.n, c->buf + c->pos, k);
			c->pos += k;
			r->body.n += k;
			want -= k;
			if (r->body.n > max && !limit) {
				r->body.n = max;
				c->keep = 0;
				break;
			}
			if (r->body.n > max)
				return fail(e, ExitUndecided, "%s: response "
				    "larger than %s (%zu)", c->name, limit,
				    max);
		}
		if (!c->keep && !limit)
			break;
		if (r->chunked && !last && (http_line(c, sz, sizeof(sz), e) < 0
		    || *sz))
			return e->code ? -1 : fail(e, ExitUndecided, "%s: "
			    "chunk data not followed by CRLF", c->name);
		if (last)
			break;
	}
	/* trailer fields after the last chunk: read and dropped, bounded */
	for (k = 0; r->chunked && (c->keep || limit); k++) {
		if (k > MAX_HEADERS)
			return fail(e, ExitUndecided, "%s: more than "
			    "MAX_HEADERS (%d) trailer fields", c->name,
			    MAX_HEADERS);
		if (http_line(c, sz, sizeof(sz), e) < 0)
			return -1;
		if (!*sz)
			break;
	}
	p[r->body.n] = '\0';
	a->used -= max - r->body.n;	/* the unused tail goes back */
	return 0;
}

/* one CRLF- or LF-ended line (without its end) of at most n-1 bytes */
static int
http_line(Conn *c, char *buf, size_t n, Err *e)
{
	unsigned char *nl;
	size_t k;

	while (!(nl = memchr(c->buf + c->pos, '\n', c->len - c->pos))) {
		if (c->len - c->pos >= n)
			return fail(e, ExitUndecided, "%s: chunk framing line "
			    "too long", c->name);
		if (conn_fill(c, e) < 0)
			return -1;
		if (c->eof)
			return fail(e, ExitUndecided, "%s: connection closed "
			    "inside a chunked response", c->name);
	}
	k = (size_t)(nl - (c->buf + c->pos));
	if (k >= n)
		return fail(e, ExitUndecided, "%s: chunk framing line too long",
		    c->name);
	memcpy(buf, c->buf + c->pos, k);
	c->pos += k + 1;
	if (k && buf[k - 1] == '\r')
		k--;
	buf[k] = '\0';
	return 0;
}

/* proxy URL http://[user:pass@]host[:port][/]: CONNECT for https, the
 * request in absolute form for http */
static int
proxy_connect(Net *n, Conn *c, const Url *u, const char *proxy,
    const char *port, Err *e)
{
	char auth[AUTH_SIZE], *req, *cred = NULL;
	const char *at, *h = proxy;
	Url pu;
	Resp r;

	if (!strncmp(h, "http://", 7))
		h += 7;
	else if (strstr(h, "://"))
		return fail(e, ExitConfig, "proxy %s: only http:// proxies "
		    "are supported", ar_quote(n->a, proxy, strcspn(proxy,
		    "@"), e));
	if ((at = strchr(h, '@')) && at < h + strcspn(h, "/")) {
		if (!(cred = ar_alloc(n->a, (size_t)(at - h) / 3 * 4 + 8, e)))
			return -1;
		b64_encode(h, (size_t)(at - h), cred);
		h = at + 1;
	}
	if (url_parse(&pu, ar_printf(n->a, e, "http://%s", h), n->a, e) < 0)
		return fail(e, ExitConfig, "proxy URL in the environment is "
		    "not http://[user:password@]host[:port]");
	url_authority(&pu, auth, sizeof(auth));
	logv("connect %s via proxy %s", c->name, auth);
	if ((c->fd = net_connect(n, pu.host, *pu.port ? pu.port : "80", auth,
	    e)) < 0)
		return -1;
	snprintf(c->origin + strlen(c->origin), sizeof(c->origin) -
	    strlen(c->origin), " via %s", auth);
	if (!u->tls) {
		c->absolute = 1;
		c->proxyauth = cred;
		return 0;
	}
	req = ar_printf(n->a, e, "CONNECT %s:%s HTTP/1.1\r\nHost: %s:%s\r\n"
	    "%s%s%s\r\n", u->host, port, u->host, port, cred ?
	    "Proxy-Authorization: Basic " : "", cred ? cred : "", cred ?
	    "\r\n" : "");
	if (!req || conn_send(c, req, strlen(req), e) < 0 ||
	    http_head(c, &r, n->a, e) < 0)
		goto bad;
	cry_wipe(req, strlen(req));
	if (r.status != 200) {
		fail(e, ExitUndecided, "proxy %s refused CONNECT %s:%s (HTTP "
		    "%d)", auth, u->host, port, r.status);
		goto bad;
	}
	/* The tunnel starts after the reply (RFC 9110 §9.3.6): a byte
	 * already here came from the proxy, yet TLS and http_head would take
	 * it for the origin's protected answer (a forged 401 naming the
	 * proxy's own token realm, say).  TLS starts from an empty buffer. */
	if (c->pos != c->len) {
		fail(e, ExitUndecided, "proxy %s sent data after its CONNECT "
		    "reply for %s:%s", auth, u->host, port);
		goto bad;
	}
	c->pos = c->len = 0;
	return 0;
bad:
	if (req)
		cry_wipe(req, strlen(req));
	close(c->fd);
	c->fd = -1;
	return -1;
}

/* A connection to u's origin: the kept one, or a new one (through the
 * proxy if the environment names one), with TLS as t says. */
static Conn *
conn_get(Net *n, const Url *u, Trust *t, Err *e)
{
	char origin[2 * AUTH_SIZE + 16], auth[AUTH_SIZE];
	const char *proxy = net_proxy(u), *port = *u->port ? u->port :
	    u->tls ? "443" : "80";
	Conn *c = NULL;
	int i;

	/* a connection verified for one registry's trust serves only it */
	snprintf(origin, sizeof(origin), "%s://%s%s%s", u->tls ? "https" :
	    "http", url_authority(u, auth, sizeof(auth)), t ? " for " : "",
	    t ? t->name : "");
	for (i = 0; i < MAX_CONNS; i++)
		if (n->conn[i].fd >= 0 && !strcmp(n->conn[i].origin, origin)) {
			n->conn[i].reused = 1;
			return &n->conn[i];
		}
	for (i = 0; i < MAX_CONNS && n->conn[i].fd >= 0; i++)
		;
	if (i == MAX_CONNS)
		conn_close(&n->conn[i = 0]);	/* the oldest kept one */
	c = &n->conn[i];
	memset(c, 0, offsetof(Conn, buf));
	c->fd = -1;
	c->net = n;
	c->trust = t;
	snprintf(c->origin, sizeof(c->origin), "%s", origin);
	snprintf(c->host, sizeof(c->host), "%s", u->host);
	snprintf(c->name, sizeof(c->name), "%s", auth);
	c->ip = *u->host == '[' || strspn(u->host, "0123456789.") ==
	    strlen(u->host);
	if (proxy) {
		if (proxy_connect(n, c, u, proxy, port, e) < 0)
			return NULL;
	} else {
		logv("connect %s", auth);
		if ((c->fd = net_connect(n, u->host, port, c->name, e)) < 0)
			return NULL;
	}
	return !u->tls || tls_start(c, e) == 0 ? c : NULL;
}

/* One request and its response.  A kept connection the server closed
 * meanwhile is retried once on a new one, as Go does for GET.  q->authz
 * goes only to the origin q->authfor (http_get). */
static int
http_once(Net *n, const HttpReq *q, const Url *u, Resp *r, Err *e)
{
	static const Limit errbody = { MAX_ERROR_BYTES, NULL };
	const char *method = q->method ? q->method : "GET";
	char auth[AUTH_SIZE], origin[AUTH_SIZE + 16], clen[48], *req;
	Trust *t = q->trust;
	Conn *c;
	size_t got;
	int tries, az;

	url_authority(u, auth, sizeof(auth));
	snprintf(origin, sizeof(origin), "%s://%s", u->tls ? "https" : "http",
	    auth);
	az = q->authz && !strcmp(origin, q->authfor);
	snprintf(clen, sizeof(clen), "Content-Length: %zu\r\n", q->body ?
	    strlen(q->body) : 0);
	if (u->tls && !t && !(t = trust_get(n, auth, e)))
		return -1;
	for (tries = 0; tries < 2; tries++) {
		if (!(c = conn_get(n, u, t, e)))
			return -1;
		req = ar_printf(n->a, e, "%s %s%s%s HTTP/1.1\r\nHost: %s\r\n"
		    "User-Agent: ivlite/%s\r\nAccept-Encoding: identity\r\n"
		    "%s%s%s%s%s%s%s%s%s%s%s%s%s\r\n%s", method, c->absolute ?
		    (u->tls ? "https://" : "http://") : "", c->absolute ? auth :
		    "", u->path, auth, VERSION,
		    q->accept ? "Accept: " : "", q->accept ? q->accept : "",
		    q->accept ? "\r\n" : "",
		    az ? "Authorization: " : "", az ? q->authz : "",
		    az ? "\r\n" : "",
		    q->ctype ? "Content-Type: " : "", q->ctype ? q->ctype : "",
		    q->ctype ? "\r\n" : "",
		    c->proxyauth ? "Proxy-Authorization: Basic " : "",
		    c->proxyauth ? c->proxyauth : "", c->proxyauth ? "\r\n" :
		    "", q->body ? clen : "", q->body ? q->body : "");
		if (!req)
			return -1;
		got = c->got;
		if (conn_send(c, req, strlen(req), e) == 0 && http_head(c, r,
		    n->a, e) == 0)
			break;
		cry_wipe(req, strlen(req));
		/* stale kept connection: nothing at all came back */
		if (!c->reused || c->got != got || !strcmp(method, "POST")) {
			conn_close(c);
			return -1;
		}
		logv("%s: kept connection was closed, reconnecting", c->name);
		conn_close(c);
		e->code = 0;
	}
	cry_wipe(req, strlen(req));
	if (http_body(c, r, !strcmp(method, "HEAD"), r->status / 100 == 2 ?
	    q->lim : errbody, n->a, e) < 0) {
		conn_close(c);
		return -1;
	}
	if (!c->keep)
		conn_close(c);
	return 0;
}

/* GET q->url, following redirects (MAX_REDIRECTS).  q->authz, a header
 * value for the origin q->authfor, is sent there only: never to another
 * scheme, host or port (presigned storage URLs need none, and must not
 * see it). */
static int
http_get(Net *n, const HttpReq *q, Resp *r, Err *e)
{
	char auth[AUTH_SIZE], from[AUTH_SIZE];
	const char *w = q->what + (*q->what == '+'), *url = q->url;
	int hops, wastls = 0, quiet = *q->what == '+';
	Url u;

	from[0] = '\0';
	for (hops = 0;; hops++) {
		if (url_parse(&u, url, n->a, e) < 0)
			return -1;
		if (hops && wastls && !u.tls)
			return fail(e, ExitUndecided, "%s: %s: redirect from "
			    "https to http refused: %s", from, w, url);
		url_authority(&u, auth, sizeof(auth));
		if ((!q->plainfor || strcmp(auth, q->plainfor)) && url_plain(n,
		    &u, hops ? from : NULL, w, e) < 0)
			return -1;
		if (http_once(n, q, &u, r, e) < 0)
			return -1;
		wastls = u.tls;
		/* a what starting with "+" keeps the path (a query with an
		 * account name) out of the log */
		logv("GET %s://%s%.*s%s%s%s -> %d", u.tls ? "https" : "http",
		    auth, (int)(quiet ? strcspn(u.path, "?") : strlen(u.path)),
		    u.path, quiet ? " (" : "", quiet ? w : "", quiet ? ")" : "",
		    r->status);
		if (r->status != 301 && r->status != 302 && r->status != 303 &&
		    r->status != 307 && r->status != 308)
			break;
		if (!r->location)
			return fail(e, ExitUndecided, "%s: %s: HTTP %d without "
			    "Location", auth, w, r->status);
		if (hops == MAX_REDIRECTS)
			return fail(e, ExitUndecided, "%s: %s: more than "
			    "MAX_REDIRECTS (%d) redirects", auth, w,
			    MAX_REDIRECTS);
		if (!(url = url_resolve(&u, r->location, n->a, e)))
			return -1;
		snprintf(from, sizeof(from), "%s", auth);
	}
	r->url = url;
	return 0;
}

/* == 19. Registry client =================================================
 * The Docker Registry HTTP API v2 as containers/image speaks it: ping,
 * WWW-Authenticate challenges, anonymous or credentialed bearer tokens,
 * basic auth, manifests and blobs checked against their digests; an
 * image's referrers (OCI 1.1).  Tokens and passwords live only in
 * Reg.authz and request buffers, which are wiped after use. */

enum { AuthNone, AuthBasic, AuthBearer, AuthOther };	/* challenges */

typedef struct {		/* one registry repository */
	Net *net;
	Trust *trust;		/* NULL: plain HTTP (-insecure) */
	char host[AUTH_SIZE];	/* as in the reference: docker.io */
	char base[AUTH_SIZE + 8];	/* https://registry-1.docker.io */
	const char *origin;	/* where Authorization may go */
	char repo[REF_NAME_MAX + 1];
	int pinged, scheme;	/* scheme: AuthNone… */
	char *realm, *service, *scope, *error;
	char *authz;		/* Authorization value: a secret */
	Creds creds;
	char sigtag[DIGEST_MAX + 8];	/* sha256-<hex>.sig */
} Reg;

static const char *reg_origin(const Url *u, Arena *a, Err *e);

/* RFC 7235 challenges, all of them, over every WWW-Authenticate line
 * (joined by ", "): the first Bearer, else the first Basic, is kept */
static int
reg_challenge(Reg *g, const char *s, Arena *a, Err *e)
{
	char *name, *val, *d, **slot;
	const char *p = s, *t;
	int scheme, best = AuthNone, take;
	size_t n;

	while (*p) {
		p += strspn(p, " \t,");
		if (!*p)
			break;
		if (!(n = strcspn(p, " \t,="))) {
			p++;	/* a stray "=": not a challenge */
			continue;
		}
		scheme = n == 6 && !strncasecmp(p, "bearer", 6) ? AuthBearer :
		    n == 5 && !strncasecmp(p, "basic", 5) ? AuthBasic :
		    AuthOther;
		take = scheme != AuthOther && (best == AuthNone ||
		    (best == AuthBasic && scheme == AuthBearer));
		if (take) {
			best = scheme;
			g->realm = g->service = g->scope = g->error = NULL;
		}
		p += n;
		for (;;) {	/* auth-params of this challenge */
			p += strspn(p, " \t");
			t = p + strcspn(p, " \t,=");
			t += strspn(t, " \t");
			if (*t != '=' || t == p)
				break;	/* a new challenge starts at p */
			if (!(name = ar_printf(a, e, "%.*s", (int)strcspn(p,
			    " \t="), p)))
				return -1;
			p = t + 1 + strspn(t + 1, " \t");
			if (*p == '"') {
				if (!(val = d = ar_alloc(a, strlen(p), e)))
					return -1;
				for (p++; *p && *p != '"'; p++)
					*d++ = *p == '\\' && p[1] ? *++p : *p;
				*d = '\0';
				if (*p++ != '"')
					return fail(e, ExitUndecided, "%s: "
					    "unterminated quoted value in "
					    "WWW-Authenticate", g->host);
			} else {
				n = strcspn(p, " \t,");
				if (!(val = ar_printf(a, e, "%.*s", (int)n, p)))
					return -1;
				p += n;
			}
			slot = !strcasecmp(name, "realm") ? &g->realm :
			    !strcasecmp(name, "service") ? &g->service :
			    !strcasecmp(name, "scope") ? &g->scope :
			    !strcasecmp(name, "error") ? &g->error : NULL;
			if (slot && take && !*slot)
				*slot = val;
			p += strspn(p, " \t");
			if (*p == ',')
				p++;
		}
	}
	g->scheme = best;
	if (best == AuthBearer && (!g->realm || (strncmp(g->realm,
	    "https://", 8) && strncmp(g->realm, "http://", 7))))
		return fail(e, ExitUndecided, "%s: Bearer challenge without an "
		    "http(s) realm", g->host);
	return 0;
}

/* application/x-www-form-urlencoded value */
static char *
reg_query(Arena *a, const char *s, Err *e)
{
	char *out, *q;

	if (!(out = q = ar_alloc(a, 3 * strlen(s) + 1, e)))
		return NULL;
	for (; *s; s++)
		if (isalnum((unsigned char)*s) || strchr("-._~", *s))
			*q++ = *s;
		else
			q += sprintf(q, "%%%02X", (unsigned char)*s);
	*q = '\0';
	return out;
}

/* A bearer token for repository:REPO:pull (and the challenge's scope if
 * it names another): GET with basic credentials, or the OAuth2 refresh
 * POST for an identity token (containers/image's choice). */
static int
reg_token(Reg *g, Err *e)
{
	Arena *a = g->net->a;
	char *scope, *url, *form = NULL, *basic = NULL, *q;
	char rauth[AUTH_SIZE], rq[QUOTE_SIZE];
	const char *tok, *origin = NULL;
	HttpReq hq = { .lim = LIMIT_INIT(MAX_TOKEN_BYTES) };
	Err pe = { 0, "" };
	Url ru, bu;
	Resp r;
	Json j;
	int k;

	scope = ar_printf(a, e, "repository:%s:pull", g->repo);
	if (!scope || url_parse(&bu, g->base, a, e) < 0)
		return -1;
	if (url_parse(&ru, g->realm, a, &pe) < 0)	/* the server's */
		return a->spent ? ar_spent(e) : fail(e, pe.code, "%s: token "
		    "realm: %s", g->host, pe.msg);
	/* §3.3: a plain-HTTP realm on loopback, an -insecure host or the
	 * host of a plain-HTTP -insecure registry (its challenge came in
	 * plain text anyway); credentials to one only on loopback */
	if (!ru.tls && !url_loopback(ru.host) && !url_insecure(g->net, &ru) &&
	    (g->trust || strcasecmp(ru.host, bu.host)))
		return fail(e, ExitUndecided, "%s: token realm %s is plain "
		    "HTTP, allowed only on loopback, -insecure hosts and the "
		    "host of a plain-HTTP -insecure registry", g->host,
		    quote_as(rq, g->realm, strlen(g->realm), 0));
	if (g->creds.src && !ru.tls && !url_loopback(ru.host))
		return fail(e, ExitUndecided, "%s: token realm %s is plain "
		    "HTTP to a host that is not loopback: credentials (%s) are "
		    "not sent there", g->host, g->realm, g->creds.src);
	q = strchr(g->realm, '?') ? "&" : "?";
	if (g->creds.idtoken) {
		form = ar_printf(a, e, "grant_type=refresh_token&refresh_token="
		    "%s&client_id=ivlite&service=%s&scope=%s",
		    reg_query(a, g->creds.idtoken, e), reg_query(a, g->service ?
		    g->service : "", e), reg_query(a, scope, e));
		url = g->realm;
	} else {
		url = ar_printf(a, e, "%s%s%s%s%sscope=%s%s%s", g->realm, q,
		    g->service ? "service=" : "", g->service ?
		    reg_query(a, g->service, e) : "", g->service ? "&" : "",
		    reg_query(a, scope, e), g->creds.src ? "&account=" : "",
		    g->creds.src ? reg_query(a, g->creds.user, e) : "");
		if (g->creds.src && (basic = ar_alloc(a, (strlen(g->creds.user)
		    + strlen(g->creds.pass) + 1) / 3 * 4 + 16, e))) {
			strcpy(basic, "Basic ");
			q = ar_printf(a, e, "%s:%s", g->creds.user,
			    g->creds.pass);
			if (q) {
				b64_encode(q, strlen(q), basic + 6);
				cry_wipe(q, strlen(q));
			}
		}
	}
	if (!url || (g->creds.idtoken && !form) || (basic && !(origin =
	    reg_origin(&ru, a, e))) || e->code)
		return -1;
	hq.trust = g->trust;
	hq.plainfor = ru.tls ? NULL : url_authority(&ru, rauth, sizeof(rauth));
	if (form) {
		hq.method = "POST";
		hq.ctype = "application/x-www-form-urlencoded";
		hq.body = form;
		if (http_once(g->net, &hq, &ru, &r, e) < 0) {
			cry_wipe(form, strlen(form));
			return -1;
		}
		cry_wipe(form, strlen(form));
		logv("POST %s://%s%s%s (token) -> %d", ru.tls ? "https" :
		    "http", ru.host, *ru.port ? ":" : "", ru.port, r.status);
	} else {
		hq.url = url;
		hq.authz = basic;
		hq.authfor = origin;
		hq.what = "+token";
		k = http_get(g->net, &hq, &r, e);
		if (basic)
			cry_wipe(basic, strlen(basic));
		if (k < 0)
			return -1;
	}
	if (r.status == 401 || r.status == 403)
		return fail(e, ExitUndecided, "%s: token server %s refused: %s",
		    g->host, ru.host, g->creds.src ? "invalid username or "
		    "password" : "anonymous access denied");
	if (r.status != 200)
		return fail(e, ExitUndecided, "%s: token server %s answered "
		    "HTTP %d", g->host, ru.host, r.status);
	if (json_parse(&j, a, "token response", r.body.p, r.body.n,
	    ExitUndecided, e) < 0 || j.t[0].type != JSMN_OBJECT)
		return e->code ? -1 : fail(e, ExitUndecided, "%s: token "
		    "response is not a JSON object", g->host);
	if ((k = json_get(&j, 0, "token")) < 0 || j.t[k].end == j.t[k].start)
		k = json_get(&j, 0, "access_token");
	if (k < 0 || j.t[k].type != JSMN_STRING || !(tok = json_str(&j, k, a,
	    e)) || !*tok || strspn(tok, "!\"#$%&'()*+,-./0123456789:;<=>?@"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~")
	    != strlen(tok))
		return e->code ? -1 : fail(e, ExitUndecided, "%s: token "
		    "response has no usable token", g->host);
	g->authz = ar_printf(a, e, "Bearer %s", tok);
	cry_wipe(r.body.p, r.body.n);
	return g->authz ? 0 : -1;
}

/* the auth files searched, for "credentials: none in …" */
static const char *
reg_files(Net *n)
{
	static char buf[1024];
	size_t len;
	int i;

	buf[0] = '\0';
	for (i = 0; n->auth[i]; i++) {
		len = strlen(buf);
		snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? ", " : "",
		    n->auth[i]);
	}
	return buf;
}

static const char *
reg_origin(const Url *u, Arena *a, Err *e)
{
	return ar_printf(a, e, "%s://%s%s%s", u->tls ? "https" : "http",
	    u->host, *u->port ? ":" : "", u->port);
}

/* Opens the registry of r: endpoint (docker.io's is registry-1.docker.io),
 * plain HTTP only for -insecure hosts, TLS trust, credentials. */
static int
reg_open(Reg *g, Net *n, const Ref *r, Err *e)
{
	const char *api;
	Url u;

	memset(g, 0, sizeof(*g));
	g->net = n;
	snprintf(g->host, sizeof(g->host), "%.*s", (int)r->domlen, r->name);
	snprintf(g->repo, sizeof(g->repo), "%s", r->name + r->domlen + 1);
	api = strcmp(g->host, "docker.io") ? g->host : "registry-1.docker.io";
	snprintf(g->base, sizeof(g->base), "https://%s", api);
	if (url_parse(&u, g->base, n->a, e) < 0)
		return -1;
	if (url_insecure(n, &u)) {
		snprintf(g->base, sizeof(g->base), "http://%s", api);
		g->origin = g->base;
	} else {
		g->origin = g->base;
		if (!(g->trust = trust_get(n, g->host, e)))
			return -1;
	}
	return auth_find(n->a, n->auth, r->name, r->domlen, &g->creds, e);
}

#define GO_TLS_400	"Client sent an HTTP request to an HTTPS server."

/* GET base+path with the registry's authentication; returns with the
 * response of any status but 401/403 (final: access denied), 429 (retried
 * while the budget allows) and 5xx (errors) */
static int
reg_get(Reg *g, const char *path, const char *accept, Limit lim,
    const char *what, Resp *r, Err *e)
{
	Arena *a = g->net->a;
	HttpReq q = { .lim = LIMIT_INIT(MAX_ERROR_BYTES), .what = "ping" };
	char *url, *up;
	int tries, fresh = 0;
	Url u;

	q.trust = g->trust;
	if (!g->pinged) {
		if (!(q.url = ar_printf(a, e, "%s/v2/", g->base)) ||
		    http_get(g->net, &q, r, e) < 0)
			return -1;
		if (r->status == 401 && r->challenge && reg_challenge(g,
		    r->challenge, a, e) < 0)
			return -1;
		/* Go's TLS server (docker-registry's) answers plain HTTP
		 * with this 400: -insecure was given for a TLS registry */
		if (r->status != 200 && r->status != 401)
			return fail(e, ExitUndecided, "%s: GET /v2/ answered "
			    "HTTP %d: not a registry API v2%s", g->host,
			    r->status, !g->trust && r->status == 400 &&
			    r->body.n >= sizeof(GO_TLS_400) - 1 &&
			    !memcmp(r->body.p, GO_TLS_400, sizeof(GO_TLS_400) -
			    1) ? ": this registry speaks TLS; drop -insecure" :
			    "");
		g->pinged = 1;
	}
	if (!(url = ar_printf(a, e, "%s%s", g->base, path)) ||
	    url_parse(&u, url, a, e) < 0)
		return -1;
	for (tries = 0;; tries++) {
		/* §5: credentials, and tokens obtained with them, go over
		 * plain HTTP only to loopback; no token is fetched for a
		 * registry it could not be sent to */
		if (g->creds.src && g->scheme != AuthNone && !u.tls &&
		    !url_loopback(u.host))
			return fail(e, ExitUndecided, "%s: credentials (%s), "
			    "and tokens obtained with them, are not sent over "
			    "plain HTTP to a host that is not loopback",
			    g->host, g->creds.src);
		if (g->scheme == AuthBearer && !g->authz) {
			if (reg_token(g, e) < 0)
				return -1;
			fresh = 1;
		}
		if (g->scheme == AuthBasic && !g->authz && g->creds.src) {
			if (!(g->authz = ar_alloc(a, (strlen(g->creds.user) +
			    strlen(g->creds.pass) + 1) / 3 * 4 + 16, e)) ||
			    !(up = ar_printf(a, e, "%s:%s", g->creds.user,
			    g->creds.pass)))
				return -1;
			strcpy(g->authz, "Basic ");
			b64_encode(up, strlen(up), g->authz + 6);
			cry_wipe(up, strlen(up));
		}
		q.url = url;
		q.accept = accept;
		q.authz = g->authz;
		q.authfor = g->origin;
		q.lim = lim;
		q.what = what;
		if (http_get(g->net, &q, r, e) < 0)
			return -1;
		if (r->status == 401 && !fresh && r->challenge) {
			/* a challenge we had not met, or a stale token */
			g->authz = NULL;
			if (reg_challenge(g, r->challenge, a, e) < 0)
				return -1;
			if (g->scheme == AuthBearer || (g->scheme ==
			    AuthBasic && g->creds.src && tries == 0)) {
				fresh = 1;
				continue;
			}
		}
		if (r->status == 401 || r->status == 403)
			return fail(e, ExitUndecided, "%s: access denied to %s "
			    "(HTTP %d; credentials: %s%s)", g->host, g->repo,
			    r->status, g->creds.src ? g->creds.src : "none in ",
			    g->creds.src ? "" : reg_files(g->net));
		if (r->status == 429 && tries < 2 && now_ms() + (r->retry < 0 ?
		    1 : r->retry) * 1000LL < g->net->deadline) {
			logv("%s: rate limited, retrying in %ld s", g->host,
			    r->retry < 0 ? 1L : r->retry);
			poll(NULL, 0, (int)(r->retry < 0 ? 1 : r->retry) *
			    1000);
			continue;
		}
		if (r->status == 429)
			return fail(e, ExitUndecided, "%s: rate limited "
			    "(Retry-After %ld)", g->host, r->retry);
		if (r->status >= 500)
			return fail(e, ExitUndecided, "%s: %s: HTTP %d",
			    g->host, what, r->status);
		return 0;
	}
}

/* A manifest or index by tag or digest, checked: the bytes hash to the
 * digest asked for (or, by tag, to Docker-Content-Digest when given).
 * digest gets the manifest's digest.  404 is returned, not failed. */
static int
reg_manifest(Reg *g, const char *ref, Resp *r, char *digest, Err *e)
{
	static const char *types[] = {
		"application/vnd.oci.image.manifest.v1+json",
		"application/vnd.oci.image.index.v1+json",
		"application/vnd.docker.distribution.manifest.v2+json",
		"application/vnd.docker.distribution.manifest.list.v2+json"
	};
	char *path, what[REF_NAME_MAX + DIGEST_MAX + 16];
	size_t k;

	snprintf(what, sizeof(what), "manifest %s", ref);
	if (!(path = ar_printf(g->net->a, e, "/v2/%s/manifests/%s", g->repo,
	    ref)) || reg_get(g, path, "application/vnd.oci.image.manifest.v1+"
	    "json, application/vnd.oci.image.index.v1+json, application/vnd."
	    "docker.distribution.manifest.v2+json, application/vnd.docker."
	    "distribution.manifest.list.v2+json", LIMIT(MAX_MANIFEST_BYTES),
	    what, r, e) < 0)
		return -1;
	if (r->status == 404)
		return 0;
	if (r->status != 200)
		return fail(e, ExitUndecided, "%s: %s: HTTP %d", g->host, what,
		    r->status);
	for (k = 0; k < LEN(types) && strcmp(r->ctype, types[k]); k++)
		;
	if (k == LEN(types))
		return fail(e, ExitUndecided, "%s: %s: unsupported media type "
		    "%s", g->host, what, ar_quote(g->net->a, r->ctype,
		    strlen(r->ctype), e));
	dig_sum(strchr(ref, ':') ? ref : "sha256:", r->body.p, r->body.n,
	    digest);
	if (strchr(ref, ':') && strcmp(digest, ref))
		return fail(e, ExitUndecided, "%s: %s: content has digest %s",
		    g->host, what, digest);
	if (*r->digest && !strncmp(r->digest, digest, 7) &&
	    strcmp(r->digest, digest))
		return fail(e, ExitUndecided, "%s: %s: content has digest %s, "
		    "Docker-Content-Digest says %s", g->host, what, digest,
		    r->digest);
	return 0;
}

/* a blob, checked against its digest; 404 is returned, not failed */
static int
reg_blob(Reg *g, const char *digest, Limit lim, Resp *r, Err *e)
{
	char *path, what[DIGEST_MAX + 8], got[DIGEST_MAX + 1];

	snprintf(what, sizeof(what), "blob %s", digest);
	if (!(path = ar_printf(g->net->a, e, "/v2/%s/blobs/%s", g->repo,
	    digest)) || reg_get(g, path, NULL, lim, what, r, e) < 0)
		return -1;
	if (r->status == 404)
		return 0;
	if (r->status != 200)
		return fail(e, ExitUndecided, "%s: %s: HTTP %d", g->host, what,
		    r->status);
	dig_sum(digest, r->body.p, r->body.n, got);
	if (strcmp(got, digest))
		return fail(e, ExitUndecided, "%s: %s: content has digest %s",
		    g->host, what, got);
	return 0;
}

/* standalone use: the digest the registry gives r's tag */
static int
reg_resolve(Reg *g, const Ref *r, char *digest, Err *e)
{
	Resp resp;

	if (reg_manifest(g, r->tag, &resp, digest, e) < 0)
		return -1;
	if (resp.status == 404)
		return fail(e, ExitUndecided, "%s: no manifest %s:%s", g->host,
		    g->repo, r->tag);
	logv("%s:%s is %s", r->name, r->tag, digest);
	return 0;
}

/* -- Referrers (OCI distribution-spec 1.1, "Listing Referrers" and the
 * "Referrers Tag Schema"): the manifests whose subject is an image.  The
 * list comes from GET /v2/<name>/referrers/<digest> and every Link
 * rel="next" page (MAX_REFERRER_PAGES), or, on a registry without that
 * API, from the index tagged <alg>-<hex>; a tag holding one manifest is
 * that one referrer.  A listing is only pointers: its artifactType and
 * annotations are never read (cosign 3.1.1 writes the empty type there);
 * reg_referrer fetches each manifest by digest and reads its own. */

#define OCI_INDEX	"application/vnd.oci.image.index.v1+json"
#define OCI_MANIFEST	"application/vnd.oci.image.manifest.v1+json"

typedef struct {		/* one referrer of the image (reg_referrer) */
	const char *digest;	/* of its manifest, as listed */
	long long size;		/* as listed; -1: the tag's own manifest */
	int fetched;		/* the fields below are the manifest's own */
	Str body;		/* the manifest, untrusted */
	const char *mediatype, *atype, *cfgtype;	/* and artifactType,
				 * config.mediaType; "" when absent */
	int nlayers;
	const char *laytype, *laydigest;	/* its first layer */
	long long laysize;
	const char *why;	/* why it cannot be a signature, or NULL */
} Referrer;

typedef struct {		/* the image's referrers, listed once */
	int state;		/* 1 once listed */
	int api;		/* by the referrers API, else by the tag */
	char tag[DIGEST_MAX + 8];	/* the tag schema's: sha256-<hex> */
	Referrer *r;
	int n;
} Referrers;

/* the first error code of a registry error document, or NULL; a 404
 * with none, MANIFEST_UNKNOWN or UNKNOWN "… not found" is "no such
 * manifest" (*absent) */
static const char *
reg_errcode(const Resp *r, Arena *a, int *absent)
{
	const char *code = NULL;
	char *msg = NULL, *l;
	int err, c, m;
	Json j;

	if (json_parse(&j, a, "error", r->body.p, r->body.n, ExitUndecided,
	    NULL) == 0 && j.t[0].type == JSMN_OBJECT && (err = json_get(&j, 0,
	    "errors")) >= 0 && j.t[err].type == JSMN_ARRAY && j.t[err].size &&
	    (c = json_get(&j, err + 1, "code")) >= 0 && (code = json_str(&j,
	    c, a, NULL)) && (m = json_get(&j, err + 1, "message")) >= 0 &&
	    (msg = json_str(&j, m, a, NULL)))
		for (l = msg; *l; l++)
			*l = (char)tolower((unsigned char)*l);
	*absent = !code || !strcmp(code, "MANIFEST_UNKNOWN") || (!strcmp(code,
	    "UNKNOWN") && msg && strstr(msg, "not found"));
	return code;
}

/* a JSON member as a string, "" when absent or not a string */
static const char *
reg_member(const Json *j, int obj, const char *key, Arena *a, Err *e)
{
	int k = obj >= 0 ? json_get(j, obj, key) : -1;
	const char *s;

	if (k < 0 || j->t[k].type != JSMN_STRING || !(s = json_str(j, k, a,
	    e)))
		return "";
	return s;
}

/* The descriptors of an OCI index (a referrers page, the tag's index)
 * added to rs: a valid digest and a size each, a digest listed twice
 * once, MAX_REFERRERS in all.  Untrusted: any fault is an error. */
static int
reg_refs_index(Referrers *rs, const char *where, const char *text,
    size_t n, Arena *a, Err *e)
{
	const char *d, *p;
	int m, i, k, z, q;
	Referrer *r;
	Json j;

	if (json_parse(&j, a, where, text, n, ExitUndecided, e) < 0)
		return -1;
	if (j.t[0].type != JSMN_OBJECT || (m = json_get(&j, 0, "manifests")) <
	    0 || (j.t[m].type != JSMN_ARRAY && !json_null(&j, m)))
		return fail(e, ExitUndecided, "%s: not an OCI image index",
		    where);
	if (!rs->r && !(rs->r = ar_alloc(a, MAX_REFERRERS * sizeof(*rs->r),
	    e)))
		return -1;
	for (i = m + 1, k = 0; k < j.t[m].size; k++, i = json_skip(&j, i)) {
		d = reg_member(&j, i, "digest", a, e);
		z = j.t[i].type == JSMN_OBJECT ? json_get(&j, i, "size") : -1;
		p = z < 0 ? "" : j.s + j.t[z].start;
		if (!dig_valid(d, strlen(d)) || z < 0 || j.t[z].type !=
		    JSMN_PRIMITIVE || j.t[z].end - j.t[z].start > 15 ||
		    strspn(p, "0123456789") != (size_t)(j.t[z].end -
		    j.t[z].start))
			return e->code ? -1 : fail(e, ExitUndecided, "%s: "
			    "manifests[%d]: a descriptor needs a valid digest "
			    "and size", where, k);
		for (q = 0; q < rs->n && strcmp(rs->r[q].digest, d); q++)
			;
		if (q < rs->n)
			continue;
		if (rs->n == MAX_REFERRERS)
			return fail(e, ExitUndecided, "%s: more than "
			    "MAX_REFERRERS (%d) referrers", where,
			    MAX_REFERRERS);
		r = &rs->r[rs->n++];
		memset(r, 0, sizeof(*r));
		r->digest = d;
		r->size = strtoll(p, NULL, 10);
	}
	return 0;
}

/* The path of the Link rel="next" (RFC 8288) in the joined Link values
 * s, "" if there is none; it must stay on the registry's origin */
static const char *
reg_next(const Reg *g, const char *s, Err *e)
{
	const char *p, *q, *v, *end;
	size_t bl = strlen(g->base), n;

	for (p = s; p && (p = strchr(p, '<')); p = end) {
		if (!(q = strchr(p, '>')))
			break;
		end = q + strcspn(q, ",");
		for (v = q + 1; v < end; v += n) {
			v += strspn(v, "; \t");
			n = strcspn(v, ";,");
			if (n >= 4 && !strncasecmp(v, "rel=", 4) && ((n == 8 &&
			    !strncasecmp(v + 4, "next", 4)) || (n == 10 &&
			    !strncasecmp(v + 4, "\"next\"", 6))))
				break;
		}
		if (v >= end)
			continue;
		if (!strncmp(p + 1, g->base, bl) && p[1 + bl] == '/')
			p += bl;
		if (strncmp(p + 1, "/v2/", 4))
			return fail(e, ExitUndecided, "%s: referrers: Link "
			    "rel=\"next\" leaves the registry's /v2/ API: %s",
			    g->host, ar_quote(g->net->a, p + 1, (size_t)(q -
			    p - 1), e)), NULL;
		return ar_printf(g->net->a, e, "%.*s", (int)(q - p - 1), p + 1);
	}
	return "";
}

/* What referrer manifest r->body says of itself: its media type,
 * artifactType, config.mediaType and layers; r->why when it cannot be
 * a referrer of subject (another media type, no or another subject) */
static int
reg_classify(Referrer *r, const char *ctype, const char *subject, Arena *a,
    Err *e)
{
	Err sub = { 0, "" };
	const char *sd;
	int c, l, s;
	Json j;

	r->fetched = 1;
	r->mediatype = r->atype = r->cfgtype = r->laytype = r->laydigest = "";
	r->laysize = -1;
	if (json_parse(&j, a, "manifest", r->body.p, r->body.n, ExitReject,
	    &sub) < 0 || j.t[0].type != JSMN_OBJECT) {
		r->why = ar_reason(a, e, "%s", sub.code ? sub.msg :
		    "manifest: not a JSON object");
		return e->code ? -1 : 0;
	}
	r->mediatype = reg_member(&j, 0, "mediaType", a, e);
	r->mediatype = *r->mediatype ? r->mediatype : ctype;
	r->atype = reg_member(&j, 0, "artifactType", a, e);
	c = json_get(&j, 0, "config");
	r->cfgtype = reg_member(&j, c, "mediaType", a, e);
	if ((l = json_get(&j, 0, "layers")) >= 0 && j.t[l].type == JSMN_ARRAY &&
	    (r->nlayers = j.t[l].size) > 0) {
		r->laytype = reg_member(&j, l + 1, "mediaType", a, e);
		r->laydigest = reg_member(&j, l + 1, "digest", a, e);
		if ((c = j.t[l + 1].type == JSMN_OBJECT ? json_get(&j, l + 1,
		    "size") : -1) >= 0 && j.t[c].type == JSMN_PRIMITIVE &&
		    j.t[c].end - j.t[c].start <= 15 && strspn(j.s +
		    j.t[c].start, "0123456789") == (size_t)(j.t[c].end -
		    j.t[c].start))
			r->laysize = strtoll(j.s + j.t[c].start, NULL, 10);
	}
	s = json_get(&j, 0, "subject");
	sd = reg_member(&j, s, "digest", a, e);
	if (strcmp(r->mediatype, OCI_MANIFEST))
		r->why = ar_reason(a, e, "a manifest of type %s, not an OCI "
		    "image manifest", ar_quote(a, r->mediatype,
		    strlen(r->mediatype), e));
	else if (!*sd)
		r->why = "its manifest has no subject";
	else if (strcmp(sd, subject))
		r->why = ar_reason(a, e, "its manifest's subject is %s, not "
		    "the image", ar_quote(a, sd, strlen(sd), e));
	return e->code ? -1 : 0;
}

/* The referrers of the image digest, listed once into rs: the API's
 * pages, else the tag schema's index or manifest, else none */
static int
reg_referrers(Reg *g, const char *digest, Referrers *rs, Err *e)
{
	char *path, *where, got[DIGEST_MAX + 1];
	Arena *a = g->net->a;
	const char *code;
	int page, absent;
	Resp r;

	if (rs->state)
		return 0;
	rs->state = 1;
	snprintf(rs->tag, sizeof(rs->tag), "%.*s-%.64s", (int)strcspn(digest,
	    ":"), digest, strchr(digest, ':') + 1);
	if (!(path = ar_printf(a, e, "/v2/%s/referrers/%s", g->repo, digest)) ||
	    !(where = ar_printf(a, e, "%s: referrers", g->host)))
		return -1;
	for (page = 0;; page++) {
		if (reg_get(g, path, OCI_INDEX, LIMIT(MAX_REFERRER_BYTES),
		    "referrers", &r, e) < 0)
			return -1;
		if (!page && (r.status != 200 || strcmp(r.ctype, OCI_INDEX)))
			break;
		if (r.status != 200 || strcmp(r.ctype, OCI_INDEX))
			return fail(e, ExitUndecided, "%s: referrers page %d: "
			    "HTTP %d, %s", g->host, page + 1, r.status,
			    ar_quote(a, r.ctype, strlen(r.ctype), e));
		/* none were asked for: a filtered list may lack signatures */
		if (r.filters)
			return fail(e, ExitUndecided, "%s: referrers: filters "
			    "applied that ivlite did not ask for "
			    "(OCI-Filters-Applied: %s)", g->host, ar_quote(a,
			    r.filters, strlen(r.filters), e));
		rs->api = 1;
		if (reg_refs_index(rs, where, r.body.p, r.body.n, a, e) <
		    0 || !(path = (char *)reg_next(g, r.link ? r.link : "", e)))
			return -1;
		if (!*path)
			break;
		if (page + 1 == MAX_REFERRER_PAGES)
			return fail(e, ExitUndecided, "%s: referrers: more "
			    "than MAX_REFERRER_PAGES (%d) pages", g->host,
			    MAX_REFERRER_PAGES);
	}
	if (rs->api) {
		logv("%s: referrers API: %d referrer%s", g->host, rs->n,
		    rs->n == 1 ? "" : "s");
		return 0;
	}
	/* No referrers API: 404 (distribution-spec), and as
	 * go-containerregistry also 400, 406 or a 200 that is no index.  A
	 * 404 naming the repository unknown is no such answer. */
	code = reg_errcode(&r, a, &absent);
	if (r.status == 404 && code && !strcmp(code, "NAME_UNKNOWN"))
		return fail(e, ExitUndecided, "%s: referrers: repository %s "
		    "unknown (NAME_UNKNOWN)", g->host, g->repo);
	if (r.status != 404 && r.status != 400 && r.status != 406 &&
	    r.status != 200)
		return fail(e, ExitUndecided, "%s: referrers: HTTP %d", g->host,
		    r.status);
	logv("%s: no referrers API (HTTP %d %s), tag %s", g->host, r.status,
	    r.ctype, rs->tag);
	if (reg_manifest(g, rs->tag, &r, got, e) < 0)
		return -1;
	if (r.status == 404) {
		if (reg_errcode(&r, a, &absent), !absent)
			return fail(e, ExitUndecided, "%s: %s: HTTP 404 that "
			    "is not \"manifest unknown\"", g->host, rs->tag);
		return 0;
	}
	if (!strcmp(r.ctype, OCI_INDEX))
		return (where = ar_printf(a, e, "%s: %s", g->host, rs->tag)) ?
		    reg_refs_index(rs, where, r.body.p, r.body.n, a, e) : -1;
	/* one manifest at the tag: the one referrer, already fetched */
	if (!(rs->r = ar_alloc(a, sizeof(*rs->r), e)) ||
	    !(rs->r->digest = ar_printf(a, e, "%s", got)))
		return -1;
	rs->n = 1;
	rs->r->size = -1;
	rs->r->body = r.body;
	return reg_classify(rs->r, r.ctype, digest, a, e);
}

/* Referrer r's manifest, by its digest and size as listed (at most
 * MAX_REFERRER_BYTES: a larger one is no candidate), read by
 * reg_classify.  A manifest that is missing or not what was listed is
 * a registry fault: an error. */
static int
reg_referrer(Reg *g, Referrer *r, const char *subject, Err *e)
{
	char *path, what[DIGEST_MAX + 16], got[DIGEST_MAX + 1];
	Arena *a = g->net->a;
	Resp resp;

	if (r->fetched)
		return 0;
	r->fetched = 1;
	r->mediatype = r->atype = r->cfgtype = r->laytype = r->laydigest = "";
	if (r->size > MAX_REFERRER_BYTES) {
		r->why = ar_reason(a, e, "its manifest has %lld bytes, more "
		    "than MAX_REFERRER_BYTES (%d)", r->size,
		    MAX_REFERRER_BYTES);
		return e->code ? -1 : 0;
	}
	snprintf(what, sizeof(what), "referrer %s", r->digest);
	if (!(path = ar_printf(a, e, "/v2/%s/manifests/%s", g->repo,
	    r->digest)) || reg_get(g, path, OCI_MANIFEST ", " OCI_INDEX ", "
	    "application/vnd.docker.distribution.manifest.v2+json",
	    LIMIT(MAX_REFERRER_BYTES), what, &resp, e) < 0)
		return -1;
	if (resp.status != 200)
		return fail(e, ExitUndecided, "%s: %s: HTTP %d", g->host, what,
		    resp.status);
	dig_sum(r->digest, resp.body.p, resp.body.n, got);
	if (strcmp(got, r->digest) || (long long)resp.body.n != r->size)
		return fail(e, ExitUndecided, "%s: %s: content of %zu bytes "
		    "has digest %s, listed as %lld bytes", g->host, what,
		    resp.body.n, got, r->size);
	r->body = resp.body;
	return reg_classify(r, resp.ctype, subject, a, e);
}

/* == 20. Runs ============================================================
 * What one verification gathers as it goes: registries.d and the
 * registry, each set up when first needed, and the state each requirement
 * type keeps for the run. */

typedef struct RunState RunState;

struct Run {			/* what one verification has gathered */
	Arena *a;
	Net *net;
	const char *policyfile, *regdir;
	const Ref *ref;
	const char *digest;
	const char *dtype;	/* the stdin descriptor's mediaType, or NULL */
	long long dsize;	/* its size, -1: unknown */
	Regd regd;
	int regdok;		/* regd loaded */
	Reg reg;
	int regok;		/* reg opened */
	RunState *state;	/* the requirement types' (run_state) */
};

struct RunState {		/* one requirement type's, for the run */
	int type;
	void *data;
	RunState *next;
};

/* a run for image r (main parses it later) under the options o */
static void
run_init(Run *run, Arena *a, Net *net, const Opts *o, const Ref *r)
{
	memset(run, 0, sizeof(*run));
	run->a = a;
	run->net = net;
	run->policyfile = o->policy;
	run->regdir = o->regd;
	run->ref = r;
	run->dsize = -1;
}

/* registries.d and the registry, each set up once, when first needed:
 * a broken registries.d only stops images that need it */
static int
run_regd(Run *run, Err *e)
{
	if (!run->regdok && regd_load(&run->regd, run->a, run->regdir, e) < 0)
		return -1;
	run->regdok = 1;
	return 0;
}

static Reg *
run_reg(Run *run, Err *e)
{
	if (!run->regok && reg_open(&run->reg, run->net, run->ref, e) < 0)
		return NULL;
	run->regok = 1;
	return &run->reg;
}

/* The state requirement type type keeps for the run (the signatures,
 * fetched once for all its requirements): size bytes, zeroed on first
 * use.  NULL with e set when the arena is spent. */
static void *
run_state(Run *run, int type, size_t size, Err *e)
{
	RunState *s;

	for (s = run->state; s; s = s->next)
		if (s->type == type)
			return s->data;
	if (!(s = ar_alloc(run->a, sizeof(*s), e)) ||
	    !(s->data = ar_alloc(run->a, size, e)))
		return NULL;
	memset(s->data, 0, size);
	s->type = type;
	s->next = run->state;
	run->state = s;
	return s->data;
}

/* == 21. Signed payloads and identities ==================================
 * The JSON a signature covers, in cosign and simple signing alike, read
 * only after the signature over its exact bytes verified: it must name
 * the image's digest and an identity signedIdentity accepts
 * (containers/image's rules).  Any format whose payload names a digest
 * uses pay_judge(). */

#define SST_TYPE	"cosign container image signature"
#define SS_TYPE		"atomic container signature"

/* is token i a JSON number of integral value (1, 1.0, 1e3; not 0.5)? */
static int
pay_integral(const Json *j, int i)
{
	char buf[40], *end;
	size_t n = (size_t)(j->t[i].end - j->t[i].start);
	double v;

	if (j->t[i].type != JSMN_PRIMITIVE || n >= sizeof(buf) ||
	    strchr("tfn", j->s[j->t[i].start]))
		return 0;
	memcpy(buf, j->s + j->t[i].start, n);
	buf[n] = '\0';
	v = strtod(buf, &end);
	/* containers/image: float64 to int64 and back; out of int64's
	 * range it never comes back (and the C cast is undefined) */
	return !*end && v >= -9223372036854775808.0 &&
	    v < 9223372036854775808.0 && v == (double)(long long)v;
}

/* Is a name repeated among the members of object obj, compared unescaped
 * as Go's decoder sees them?  Sorted rather than pairwise (json_dupkey):
 * a payload may hold tens of thousands of members. */
static int
pay_dups(const Json *j, int obj, const char *at, Arena *a, Err *e)
{
	int i, k, n = j->t[obj].size;
	char **name;

	if (n < 2)
		return 0;
	if (!(name = ar_alloc(a, (size_t)n * sizeof(*name), e)))
		return -1;
	for (i = obj + 1, k = 0; k < n; k++, i = json_skip(j, i + 1))
		if (!(name[k] = json_str(j, i, a, e)))
			return -1;
	qsort(name, (size_t)n, sizeof(*name), str_cmp);
	for (k = 1; k < n; k++)
		if (!strcmp(name[k - 1], name[k]))
			return fail(e, j->code, "%s: %s: duplicate key %s",
			    j->file, at, ar_quote(a, name[k], strlen(name[k]),
			    e));
	return 0;
}

/* The payload, strictly (sigstore.md §4, simple-signing.md §9), after its
 * signature verified:
 * digest and reference out, or why not in *why */
static int
pay_read(const Str *p, Arena *a, const char *want, const char **digest,
    const char **ref, const char **why)
{
	static const Field top[] = {
		{ "critical", JSMN_OBJECT }, { "optional", JSMN_UNDEFINED }
	}, crit[] = {
		{ "type", JSMN_STRING }, { "image", JSMN_OBJECT },
		{ "identity", JSMN_OBJECT }
	}, image[] = {
		{ "docker-manifest-digest", JSMN_STRING }
	}, ident[] = {
		{ "docker-reference", JSMN_STRING }
	};
	Err sub = { 0, "" };
	int v[3], w[3], x[1], y[1], i, k, o, t, end;
	const char *type, *name;
	Json j;

	*why = NULL;
	if (json_parse(&j, a, "payload", p->p, p->n, ExitReject, &sub) < 0 ||
	    json_fields(&j, 0, "top level", top, LEN(top), v, a, &sub) < 0)
		goto bad;
	if (v[0] < 0 || v[1] < 0) {
		fail(&sub, ExitReject, "payload: critical and optional are "
		    "required");
		goto bad;
	}
	if (json_fields(&j, v[0], "critical", crit, LEN(crit), w, a, &sub) < 0)
		goto bad;
	if (w[0] < 0 || w[1] < 0 || w[2] < 0) {
		fail(&sub, ExitReject, "payload: critical needs type, image "
		    "and identity");
		goto bad;
	}
	if (json_fields(&j, w[1], "critical.image", image, LEN(image), x, a,
	    &sub) < 0 || json_fields(&j, w[2], "critical.identity", ident,
	    LEN(ident), y, a, &sub) < 0)
		goto bad;
	if (x[0] < 0 || y[0] < 0) {
		fail(&sub, ExitReject, "payload: critical.image needs "
		    "docker-manifest-digest, critical.identity "
		    "docker-reference");
		goto bad;
	}
	o = v[1];
	if (j.t[o].type == JSMN_OBJECT) {
		/* as containers/image decodes it: no name twice in any object
		 * (Go's decoder alone would take the last), names unescaped,
		 * creator a string, timestamp an integer, the rest ignored */
		for (t = o, end = json_skip(&j, o); t < end; t++)
			if (j.t[t].type == JSMN_OBJECT && pay_dups(&j, t,
			    "optional", a, &sub) < 0)
				goto bad;
		for (i = o + 1, k = 0; k < j.t[o].size; k++, i = json_skip(&j,
		    i + 1)) {
			if (!(name = json_str(&j, i, a, &sub)))
				goto bad;
			if ((!strcmp(name, "creator") && j.t[i + 1].type !=
			    JSMN_STRING) || (!strcmp(name, "timestamp") &&
			    !pay_integral(&j, i + 1))) {
				fail(&sub, ExitReject, "payload: optional: "
				    "creator must be a string, timestamp an "
				    "integer");
				goto bad;
			}
		}
	} else if (!json_null(&j, o) || strcmp(want, SST_TYPE)) {
		fail(&sub, ExitReject, "payload: optional must be %san object",
		    strcmp(want, SST_TYPE) ? "" : "null or ");
		goto bad;
	}
	if (!(type = json_str(&j, w[0], a, &sub)) || !(*digest = json_str(&j,
	    x[0], a, &sub)) || !(*ref = json_str(&j, y[0], a, &sub)))
		goto bad;
	if (strcmp(type, want)) {
		*why = ar_reason(a, &sub, "payload type %s, expected \"%s\"",
		    ar_quote(a, type, strlen(type), &sub), want);
		return 0;
	}
	if (!dig_valid(*digest, strlen(*digest))) {
		*why = ar_reason(a, &sub, "payload: docker-manifest-digest %s "
		    "is not a valid digest", ar_quote(a, *digest,
		    strlen(*digest), &sub));
		return 0;
	}
	return 1;
bad:
	*why = ar_reason(a, &sub, "%s", sub.msg);
	return 0;
}

/* The signed reference s against the image by signedIdentity (sigstore.md
 * §10, containers/image's rules).  The image reference has its default
 * :latest and, for name:tag@digest, only its tag (the digest is bound by
 * -digest already); s gets no default tag. */
static int
ident_match(const Ident *id, const Ref *img, const char *s, Arena *a,
    const char **why)
{
	char is[REF_NAME_MAX + REF_TAG_MAX + DIGEST_MAX + 4], ss[sizeof(is)];
	char remapped[sizeof(is) + AUTH_SIZE];
	const char *want = is, *p;
	size_t pl;
	Ref i = *img, sr, rr;
	int ok;

	if (i.tag[0])
		i.digest[0] = '\0';
	ref_string(&i, is, sizeof(is));
	if (ref_parse(&sr, s, NULL) < 0) {
		*why = ar_reason(a, NULL, "identity %s is not a valid "
		    "reference", ar_quote(a, s, strlen(s), NULL));
		return 0;
	}
	if (sr.deftag)
		sr.tag[0] = '\0';	/* name only */
	ref_string(&sr, ss, sizeof(ss));
	switch (id->type) {
	case IdMatchExact:
		ok = !sr.deftag && !strcmp(is, ss);
		break;
	case IdRemap:
		pl = strlen(id->prefix);
		if (!strncmp(i.name, id->prefix, pl) && (!i.name[pl] ||
		    i.name[pl] == '/')) {
			p = strstr(is, id->prefix);
			snprintf(remapped, sizeof(remapped), "%.*s%s%s",
			    (int)(p - is), is, id->signedprefix, p + pl);
			/* the result must already be canonical */
			if (ref_parse(&rr, remapped, NULL) < 0) {
				*why = ar_reason(a, NULL, "image reference %s "
				    "remapped to %s, which is not a canonical "
				    "reference", is, ar_quote(a, remapped,
				    strlen(remapped), NULL));
				return 0;
			}
			ref_string(&rr, is, sizeof(is));
			if (strcmp(is, remapped)) {
				*why = ar_reason(a, NULL, "image reference "
				    "remapped to %s, which is not canonical "
				    "(%s)", remapped, is);
				return 0;
			}
			i = rr;
		}
		/* fall through */
	case IdMatchRepoDigestOrExact:
		ok = !sr.deftag && (i.tag[0] ? !strcmp(is, ss) :
		    !strcmp(i.name, sr.name));
		break;
	case IdMatchRepository:
		ok = !strcmp(i.name, sr.name);
		break;
	case IdExactReference:
		ref_string(&id->ref, is, sizeof(is));
		ok = !sr.deftag && !strcmp(is, ss);
		break;
	default:	/* IdExactRepository */
		want = id->ref.name;
		ok = !strcmp(id->ref.name, sr.name);
		break;
	}
	/* cosign's payloads name the repository alone: the usual mistake */
	if (!ok)
		*why = ar_reason(a, NULL, "identity %s does not match %s (%s)%s",
		    s, want, idnames[id->type], sr.deftag && !strcmp(i.name,
		    sr.name) && id->type != IdExactReference ? ": cosign signs "
		    "the repository; use signedIdentity matchRepository" : "");
	return ok;
}

/* Signature i (from 0) of n did not hold, for why: the requirement's
 * detail names every one tried so far, in *list */
static void
pay_tried(Result *res, Arena *a, Err *e, int i, int n, const char *why,
    const char **list)
{
	*list = ar_reason(a, e, "%s%s#%d %s", *list, i ? "; " : "", i + 1,
	    why);
	res->detail = ar_reason(a, e, "%d signature%s, none valid: %s", n,
	    n == 1 ? "" : "s", *list);
}

/* The payload of a verified signature: its digest must be the image's,
 * its identity accepted by signedIdentity (IdNone: any, reported).  1
 * with *why "identity X". */
static int
pay_judge(Run *run, const Req *q, const Str *p, const char *type,
    const char *digest, const char **why)
{
	Err sub = { 0, "" };
	const char *d, *ref;

	if (!pay_read(p, run->a, type, &d, &ref, why))
		return 0;
	if (strcmp(d, digest)) {
		*why = ar_reason(run->a, &sub, "payload names %s, expected %s",
		    d, digest);	/* d passed dig_valid */
		return 0;
	}
	/* quoted when only reported: nothing parsed it */
	if (q->id.type == IdNone)
		ref = ar_quote(run->a, ref, strlen(ref), &sub);
	else if (!ident_match(&q->id, run->ref, ref, run->a, why))
		return 0;
	*why = ar_reason(run->a, &sub, "identity %s", ref);
	return !sub.code;
}

/* == 22. sigstoreSigned: cosign attachments, Fulcio, Rekor ===============
 * cosign's layout, as containers/image reads it: the manifest tagged
 * sha256-<hex>.sig in the image's repository, one layer per signature,
 * the signature in an annotation, a certificate and Rekor bundle beside it.
 * Everything fetched is untrusted until the signature over the exact
 * payload bytes has verified; only then is the payload parsed. */

#define SST_SIG		"dev.cosignproject.cosign/signature"
#define SST_LAYER	"application/vnd.dev.cosign.simplesigning.v1+json"

typedef struct {		/* what a sigstoreSigned requirement trusts */
	Key keys[MAX_KEYS];
	int nkeys;
	Key rekor[MAX_KEYS];
	int nrekor;
	Cert roots, inter;	/* fulcio/pki CAs, intermediates */
} Signer;

typedef struct {		/* one layer of a sigstore attachment */
	const char *mediatype, *digest;
	Str payload;		/* the blob: signed bytes, untrusted */
	const char *sig, *cert, *chain, *bundle;	/* annotations */
} Cand;

typedef struct {		/* the image's sigstore signatures */
	int state;		/* 1 once registries.d was asked */
	int fetched;		/* 1 once the attachment was looked for */
	int enabled;		/* registries.d use-sigstore-attachments */
	int found;		/* the .sig attachment exists */
	Cand *c;		/* layers, signature layers first */
	int nlayers, n, other;	/* all, signature, other layers */
	char digest[DIGEST_MAX + 1];	/* the sha256 digest they must name */
} Sigs;

/* run_state's key for the image's Sigs: sigstoreSigned and
 * sigstoreBundle's legacy fallback read the one .sig attachment */
enum { StateSigs = -1 };

static int sst_attached(Run *run, Sigs *s, Err *e);
static int sst_entry(const Str *b, const Cand *c, const Str *sig,
    const unsigned char *want, size_t wn, Arena *a, const char **why);

enum {
	SgType, SgKeyPath, SgKeyPaths, SgKeyData, SgKeyDatas, SgFulcio, SgPKI,
	SgRekorPath, SgRekorPaths, SgRekorData, SgRekorDatas, SgIdent
};
static const Field sgfields[] = {
	/* key                         type */
	[SgType] =       { "type",                JSMN_STRING },
	[SgKeyPath] =    { "keyPath",             JSMN_STRING },
	[SgKeyPaths] =   { "keyPaths",            JSMN_ARRAY },
	[SgKeyData] =    { "keyData",             JSMN_STRING },
	[SgKeyDatas] =   { "keyDatas",            JSMN_ARRAY },
	[SgFulcio] =     { "fulcio",              JSMN_OBJECT },
	[SgPKI] =        { "pki",                 JSMN_OBJECT },
	[SgRekorPath] =  { "rekorPublicKeyPath",  JSMN_STRING },
	[SgRekorPaths] = { "rekorPublicKeyPaths", JSMN_ARRAY },
	[SgRekorData] =  { "rekorPublicKeyData",  JSMN_STRING },
	[SgRekorDatas] = { "rekorPublicKeyDatas", JSMN_ARRAY },
	[SgIdent] =      { "signedIdentity",      JSMN_OBJECT },
};

/* fulcio and pki share a shape: a CA as path or data, identities */
enum { CaPath, CaData, CaInterPath, CaInterData, CaEmail, CaHost, CaIssuer,
	CaFields };
static const Field fulciofields[CaFields] = {	/* no intermediates */
	[CaPath] =       { "caPath",              JSMN_STRING },
	[CaData] =       { "caData",              JSMN_STRING },
	[CaEmail] =      { "subjectEmail",        JSMN_STRING },
	[CaIssuer] =     { "oidcIssuer",          JSMN_STRING },
};
static const Field pkifields[CaFields] = {	/* no OIDC issuer */
	[CaPath] =       { "caRootsPath",         JSMN_STRING },
	[CaData] =       { "caRootsData",         JSMN_STRING },
	[CaInterPath] =  { "caIntermediatesPath", JSMN_STRING },
	[CaInterData] =  { "caIntermediatesData", JSMN_STRING },
	[CaEmail] =      { "subjectEmail",        JSMN_STRING },
	[CaHost] =       { "subjectHostname",     JSMN_STRING },
};

/* sigstoreSigned's members: one key source (keys, fulcio or pki), Rekor
 * keys as the source needs them, signedIdentity */
static int
sst_load(const Json *j, const int *v, Req *r, Arena *a, Err *e)
{
	int nsrc, nrekor, w[CaFields];
	const Field *f;
	const char *at;

	nsrc = (v[SgKeyPath] >= 0) + (v[SgKeyPaths] >= 0) +
	    (v[SgKeyData] >= 0) + (v[SgKeyDatas] >= 0) +
	    (v[SgFulcio] >= 0) + (v[SgPKI] >= 0);
	nrekor = (v[SgRekorPath] >= 0) + (v[SgRekorPaths] >= 0) +
	    (v[SgRekorData] >= 0) + (v[SgRekorDatas] >= 0);
	if (nsrc != 1)
		return fail(e, ExitConfig, "%s: %s: exactly one of keyPath, "
		    "keyPaths, keyData, keyDatas, fulcio and pki must be "
		    "given", j->file, r->at);
	if (nrekor > 1)
		return fail(e, ExitConfig, "%s: %s: at most one of "
		    "rekorPublicKeyPath, rekorPublicKeyPaths, "
		    "rekorPublicKeyData and rekorPublicKeyDatas may be given",
		    j->file, r->at);
	if (v[SgFulcio] >= 0 && !nrekor)
		return fail(e, ExitConfig, "%s: %s: fulcio needs one of "
		    "rekorPublicKeyPath, rekorPublicKeyPaths, "
		    "rekorPublicKeyData or rekorPublicKeyDatas", j->file,
		    r->at);
	if (v[SgPKI] >= 0 && nrekor)
		return fail(e, ExitConfig, "%s: %s: rekorPublicKey* cannot be "
		    "used with pki", j->file, r->at);
	if (nrekor && pol_keys(j, v + SgRekorPath, sgfields + SgRekorPath, 4,
	    r, &r->rekor, &r->nrekor, a, e) < 0)
		return -1;
	if (v[SgFulcio] < 0 && v[SgPKI] < 0) {
		r->src = SrcKeys;
		if (pol_keys(j, v + SgKeyPath, sgfields + SgKeyPath, 4, r,
		    &r->keys, &r->nkeys, a, e) < 0)
			return -1;
		return pol_signed(j, v[SgIdent], r, a, e);
	}
	r->src = v[SgFulcio] >= 0 ? SrcFulcio : SrcPKI;
	f = r->src == SrcFulcio ? fulciofields : pkifields;
	if (!(at = ar_printf(a, e, "%s.%s", r->at, r->src == SrcFulcio ?
	    "fulcio" : "pki")) || json_fields(j, v[r->src == SrcFulcio ?
	    SgFulcio : SgPKI], at, f, CaFields, w, a, e) < 0)
		return -1;
	if ((w[CaPath] >= 0) + (w[CaData] >= 0) != 1)
		return fail(e, ExitConfig, "%s: %s: exactly one of %s and %s "
		    "must be given", j->file, at, f[CaPath].key,
		    f[CaData].key);
	if (w[CaInterPath] >= 0 && w[CaInterData] >= 0)
		return fail(e, ExitConfig, "%s: %s: at most one of %s and %s "
		    "may be given", j->file, at, f[CaInterPath].key,
		    f[CaInterData].key);
	if (pol_field(j, w[CaPath] >= 0 ? w[CaPath] : w[CaData], w[CaData] >=
	    0, at, f[w[CaPath] >= 0 ? CaPath : CaData].key, &r->ca, a, e) < 0)
		return -1;
	if ((w[CaInterPath] >= 0 || w[CaInterData] >= 0) && pol_field(j,
	    w[CaInterPath] >= 0 ? w[CaInterPath] : w[CaInterData],
	    w[CaInterData] >= 0, at, f[w[CaInterPath] >= 0 ? CaInterPath :
	    CaInterData].key, &r->inter, a, e) < 0)
		return -1;
	if (pol_text(j, w[CaEmail], at, "subjectEmail", &r->email, a, e) < 0 ||
	    pol_text(j, w[CaHost], at, "subjectHostname", &r->hostname, a,
	    e) < 0 ||
	    pol_text(j, w[CaIssuer], at, "oidcIssuer", &r->issuer, a, e) < 0)
		return -1;
	if (r->src == SrcFulcio && (!r->issuer || !r->email))
		return fail(e, ExitConfig, "%s: %s: oidcIssuer and "
		    "subjectEmail must both be given", j->file, at);
	if (r->src == SrcPKI && !r->email && !r->hostname)
		return fail(e, ExitConfig, "%s: %s: at least one of "
		    "subjectEmail and subjectHostname must be given", j->file,
		    at);
	return pol_signed(j, v[SgIdent], r, a, e);
}

/* Is a 404 "no such manifest"?  Any other 404 (NAME_UNKNOWN…) is an
 * error: missing signatures must not be confused with a broken registry.
 * (reg_errcode says which, for the referrers tag too.) */
static int
sst_absent(const Resp *r, Arena *a)
{
	int absent;

	reg_errcode(r, a, &absent);
	return absent;
}

/* one layer of the attachment: digest, mediaType and annotations */
static int
sst_layer(const char *where, const Json *j, int lay, Cand *c, Arena *a,
    Err *e)
{
	const char *key, **slot;
	int v, an, i, k;

	memset(c, 0, sizeof(*c));
	if (j->t[lay].type != JSMN_OBJECT || (v = json_get(j, lay,
	    "digest")) < 0 || j->t[v].type != JSMN_STRING || !(c->digest =
	    json_str(j, v, a, e)) || !dig_valid(c->digest, strlen(c->digest)))
		return e->code ? -1 : fail(e, ExitUndecided, "%s: a layer "
		    "without a valid digest", where);
	if ((v = json_get(j, lay, "mediaType")) >= 0 && (j->t[v].type !=
	    JSMN_STRING || !(c->mediatype = json_str(j, v, a, e))))
		return e->code ? -1 : fail(e, ExitUndecided, "%s: layer "
		    "mediaType is not a string", where);
	if ((an = json_get(j, lay, "annotations")) >= 0 &&
	    j->t[an].type != JSMN_OBJECT && !json_null(j, an))
		return fail(e, ExitUndecided, "%s: layer annotations are not an "
		    "object", where);
	for (i = an + 1, k = 0; an >= 0 && j->t[an].type == JSMN_OBJECT &&
	    k < j->t[an].size; k++, i = json_skip(j, i + 1)) {
		if (j->t[i + 1].type != JSMN_STRING)
			return fail(e, ExitUndecided, "%s: annotation values "
			    "must be strings", where);
		if (!(key = json_str(j, i, a, e)))
			return -1;
		slot = !strcmp(key, SST_SIG) ? &c->sig :
		    !strcmp(key, "dev.sigstore.cosign/certificate") ? &c->cert :
		    !strcmp(key, "dev.sigstore.cosign/chain") ? &c->chain :
		    !strcmp(key, "dev.sigstore.cosign/bundle") ? &c->bundle :
		    NULL;
		if (slot && !(*slot = json_str(j, i + 1, a, e)))
			return -1;
	}
	return 0;
}

/* The attachment manifest (untrusted): an OCI image manifest whose layers
 * go into s->c, signature layers counted in s->n, others in s->other */
static int
sst_manifest(Sigs *s, const char *where, const char *text, size_t n,
    Arena *a, Err *e)
{
	int lay, i, k, nl;
	Json j;

	if (json_parse(&j, a, where, text, n, ExitUndecided, e) < 0)
		return -1;
	if (j.t[0].type != JSMN_OBJECT || json_get(&j, 0, "manifests") >= 0 ||
	    json_get(&j, 0, "fsLayers") >= 0 || json_get(&j, 0, "history") >= 0)
		return fail(e, ExitUndecided, "%s: not an image manifest", where);
	if ((lay = json_get(&j, 0, "layers")) >= 0 && j.t[lay].type !=
	    JSMN_ARRAY)
		return fail(e, ExitUndecided, "%s: layers is not an array",
		    where);
	nl = lay < 0 ? 0 : j.t[lay].size;
	if (nl > MAX_SIGS)
		return fail(e, ExitUndecided, "%s: more than MAX_SIGS (%d) "
		    "layers", where, MAX_SIGS);
	if (nl && !(s->c = ar_alloc(a, (size_t)nl * sizeof(Cand), e)))
		return -1;
	for (i = lay + 1, k = 0; k < nl; k++, i = json_skip(&j, i)) {
		if (sst_layer(where, &j, i, &s->c[k], a, e) < 0)
			return -1;
		if (s->c[k].mediatype && !strcmp(s->c[k].mediatype, SST_LAYER))
			s->n++;
		else
			s->other++;
	}
	s->nlayers = nl;
	return 0;
}

/* The signatures of the image, fetched once per run: none when
 * registries.d does not enable attachments for it or the .sig tag does
 * not exist; an error for anything else that goes wrong. */
static int
sst_fetch(Run *run, Sigs *s, Err *e)
{
	const char *look;

	if (s->state)
		return 0;
	if (run_regd(run, e) < 0 || regd_find(&run->regd, run->ref,
	    run->digest, &look, &s->enabled, e) < 0)
		return -1;
	s->state = 1;
	logv("registries.d: sigstore attachments %s", s->enabled ? "enabled" :
	    "not enabled");
	return s->enabled ? sst_attached(run, s, e) : 0;
}

/* The .sig attachment, looked for once whatever registries.d says (for
 * sigstoreBundle's legacy fallback too) */
static int
sst_attached(Run *run, Sigs *s, Err *e)
{
	Arena *a = run->a;
	char d256[DIGEST_MAX + 1], where[AUTH_SIZE + DIGEST_MAX + 16];
	int i, k;
	Resp r;
	Reg *g;

	if (s->fetched)
		return 0;
	s->fetched = 1;
	if (!(g = run_reg(run, e)))
		return -1;
	/* the tag derives from the image's SHA-256 digest */
	if (strncmp(run->digest, "sha256:", 7)) {
		if (reg_manifest(g, run->digest, &r, d256, e) < 0)
			return -1;
		if (r.status == 404)
			return fail(e, ExitUndecided, "%s: manifest %s not "
			    "found", g->host, run->digest);
		dig_sum("sha256:", r.body.p, r.body.n, d256);
	} else {
		snprintf(d256, sizeof(d256), "%s", run->digest);
	}
	snprintf(s->digest, sizeof(s->digest), "%s", d256);
	snprintf(g->sigtag, sizeof(g->sigtag), "sha256-%s.sig", d256 + 7);
	if (reg_manifest(g, g->sigtag, &r, d256, e) < 0)
		return -1;
	if (r.status == 404 && sst_absent(&r, a)) {
		logv("%s: no %s", g->host, g->sigtag);
		return 0;
	}
	if (r.status == 404)
		return fail(e, ExitUndecided, "%s: %s: HTTP 404 that is not "
		    "\"manifest unknown\"", g->host, g->sigtag);
	if (strcmp(r.ctype, OCI_MANIFEST))
		return fail(e, ExitUndecided, "%s: %s: media type %s, expected "
		    "an OCI image manifest", g->host, g->sigtag, r.ctype);
	s->found = 1;
	snprintf(where, sizeof(where), "%s: %s", g->host, g->sigtag);
	if (sst_manifest(s, where, r.body.p, r.body.n, a, e) < 0)
		return -1;
	/* every layer's blob, signature or not, must be there and whole;
	 * signature layers then go first */
	for (i = 0, k = 0; i < s->nlayers; i++) {
		if (reg_blob(g, s->c[i].digest, LIMIT(MAX_BLOB_BYTES), &r,
		    e) < 0)
			return -1;
		if (r.status == 404)
			return fail(e, ExitUndecided, "%s: blob %s is missing",
			    where, s->c[i].digest);
		s->c[i].payload = r.body;
		if (s->c[i].mediatype && !strcmp(s->c[i].mediatype, SST_LAYER))
			s->c[k++] = s->c[i];
	}
	logv("%s: %s: %d signature%s, %d other layer%s", g->host, g->sigtag,
	    s->n, s->n == 1 ? "" : "s", s->other, s->other == 1 ? "" : "s");
	return 0;
}

/* RFC 8785 string: only '"', '\' and control bytes escaped, minimally */
static char *
sst_jcs_str(const char *s, Arena *a, Err *e)
{
	char *out, *q;

	if (!(out = q = ar_alloc(a, 6 * strlen(s) + 3, e)))
		return NULL;
	*q++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			q += sprintf(q, "\\%c", c);
		else if (c >= 0x20)
			*q++ = (char)c;
		else if (c == '\b' || c == '\t' || c == '\n' || c == '\f' ||
		    c == '\r')
			q += sprintf(q, "\\%c", "btnfr"[strchr("\b\t\n\f\r",
			    c) - "\b\t\n\f\r"]);
		else
			q += sprintf(q, "\\u%04x", c);
	}
	*q++ = '"';
	*q = '\0';
	return out;
}

/* a JSON integer of at most 15 digits (exact as a double, as JCS needs) */
static int
sst_int(const Json *j, int i, long long *v)
{
	const char *s = j->s + j->t[i].start;
	size_t n = (size_t)(j->t[i].end - j->t[i].start), d = *s == '-';

	if (j->t[i].type != JSMN_PRIMITIVE || n <= d || n - d > 15 ||
	    strspn(s + d, "0123456789") != n - d)
		return 0;
	*v = strtoll(s, NULL, 10);
	return 1;
}

/* the token at a path of member names (NULL-terminated) under obj
 * (lenient: other members ignored), or -1 */
static int
sst_tok(const Json *j, int obj, const char *const *path)
{
	for (; *path && obj >= 0; path++)
		obj = j->t[obj].type == JSMN_OBJECT ? json_get(j, obj, *path) :
		    -1;
	return obj;
}

/* The value at a path of member names under obj (sst_tok), a string,
 * base64-decoded when dec; NULL if absent. */
static char *
sst_at(const Json *j, int obj, const char *const *path, int dec, Arena *a,
    size_t *n)
{
	char *s;
	Str d;

	obj = sst_tok(j, obj, path);
	if (obj < 0 || j->t[obj].type != JSMN_STRING || !(s = json_str(j, obj,
	    a, NULL)))
		return NULL;
	*n = strlen(s);
	if (!dec)
		return s;
	if (b64_decode(a, s, *n, &d) < 0)
		return NULL;
	*n = d.n;
	return d.p;
}

/* The Rekor SET of a signature (sigstore.md §7): the bundle annotation's
 * signed entry timestamp must verify with a Rekor key over the canonical
 * JSON of its Payload, and the logged hashedrekord entry must bind this
 * signature, this payload's hash and key, the PKIX DER or certificate DER
 * want.  1 and the integrated time in *t, or 0 and why. */
static int
sst_rekor(Signer *sg, const Cand *c, const Str *sig,
    const unsigned char *want, size_t wn, Arena *a, long long *t,
    const char **why)
{
	static const Field bundle[] = {
		{ "SignedEntryTimestamp", JSMN_STRING },
		{ "Payload", JSMN_OBJECT }
	}, payload[] = {
		{ "body", JSMN_STRING }, { "integratedTime", JSMN_PRIMITIVE },
		{ "logIndex", JSMN_PRIMITIVE }, { "logID", JSMN_STRING }
	};
	Err sub = { 0, "" };
	const char *body, *logid, *s;
	char *canon;
	long long idx;
	int v[2], w[4], k;
	Str set, b;
	Json j;

	if (!c->bundle) {
		*why = "rekor: no dev.sigstore.cosign/bundle annotation";
		return 0;
	}
	if (json_parse(&j, a, "rekor: bundle", c->bundle, strlen(c->bundle),
	    ExitReject, &sub) < 0 || json_fields(&j, 0, "top level", bundle,
	    LEN(bundle), v, a, &sub) < 0 || json_fields(&j, v[1], "Payload",
	    payload, LEN(payload), w, a, &sub) < 0)
		goto bad;
	if (v[0] < 0 || v[1] < 0 || w[0] < 0 || w[1] < 0 || w[2] < 0 || w[3] <
	    0 || !sst_int(&j, w[1], t) || !sst_int(&j, w[2], &idx)) {
		*why = "rekor: bundle needs SignedEntryTimestamp and a Payload "
		    "of body, integratedTime, logIndex and logID";
		return 0;
	}
	if (!(s = json_str(&j, v[0], a, &sub)) || b64_decode(a, s, strlen(s),
	    &set) < 0) {
		*why = "rekor: SignedEntryTimestamp is not valid base64";
		return 0;
	}
	/* the signed bytes are rebuilt, never taken as received */
	if (!(body = json_str(&j, w[0], a, &sub)) || !(logid = json_str(&j,
	    w[3], a, &sub)) || !(canon = ar_printf(a, &sub, "{\"body\":%s,"
	    "\"integratedTime\":%lld,\"logID\":%s,\"logIndex\":%lld}",
	    sst_jcs_str(body, a, &sub), *t, sst_jcs_str(logid, a, &sub), idx)))
		goto bad;
	for (k = 0; k < sg->nrekor; k++)
		if (cry_verify(&sg->rekor[k].pk, canon, strlen(canon),
		    (const unsigned char *)set.p, set.n, 1) == 0)
			break;
	if (k == sg->nrekor) {
		*why = "rekor: SET signature not by any configured key";
		return 0;
	}
	/* a time before 1970 is none: certificates would be checked now */
	if (*t < 0) {
		*why = ar_reason(a, &sub, "rekor: integratedTime %lld is before "
		    "1970", *t);
		return 0;
	}
	if (b64_decode(a, body, strlen(body), &b) < 0) {
		*why = "rekor: the logged entry is not base64";
		return 0;
	}
	return sst_entry(&b, c, sig, want, wn, a, why);
bad:
	*why = ar_reason(a, &sub, "%s", sub.msg);
	return 0;
}

/* The logged entry (a hashedrekord 0.0.1, read leniently as Rekor
 * writes it) must bind this signature, this payload's SHA-256 and the
 * signer's key or certificate (DER want) */
static int
sst_entry(const Str *b, const Cand *c, const Str *sig,
    const unsigned char *want, size_t wn, Arena *a, const char **why)
{
	static const char *kind[] = { "kind", NULL },
	    *apiv[] = { "apiVersion", NULL },
	    *content[] = { "spec", "signature", "content", NULL },
	    *pubkey[] = { "spec", "signature", "publicKey", "content", NULL },
	    *alg[] = { "spec", "data", "hash", "algorithm", NULL },
	    *val[] = { "spec", "data", "hash", "value", NULL };
	unsigned char h[32];
	const char *s;
	char *pem;
	size_t n;
	Str der;
	Json r;

	if (json_parse(&r, a, "rekor: entry", b->p, b->n, ExitReject, NULL) <
	    0 || r.t[0].type != JSMN_OBJECT) {
		*why = "rekor: the logged entry is not JSON";
		return 0;
	}
	if (!(s = sst_at(&r, 0, kind, 0, a, &n)) || strcmp(s, "hashedrekord"))
		*why = "rekor: entry kind is not hashedrekord";
	else if (!(s = sst_at(&r, 0, apiv, 0, a, &n)) || strcmp(s, "0.0.1"))
		*why = "rekor: entry apiVersion is not 0.0.1";
	else if (!(s = sst_at(&r, 0, content, 1, a, &n)) || n != sig->n ||
	    !n || memcmp(s, sig->p, n))
		*why = "rekor: the logged signature is not this signature";
	else if (!(pem = sst_at(&r, 0, pubkey, 1, a, &n)) || !cry_pem_one(pem,
	    n, a, &der) || der.n != wn || memcmp(der.p, want, wn))
		*why = "rekor: the logged public key is not the signer's";
	else if (!(s = sst_at(&r, 0, alg, 0, a, &n)) || strcmp(s, "sha256"))
		*why = "rekor: the logged hash algorithm is not sha256";
	else if (!(s = sst_at(&r, 0, val, 0, a, &n)) || sha_raw(256,
	    c->payload.p, c->payload.n, h) != sizeof(h) || !hex_same(s, h,
	    sizeof(h)))
		*why = "rekor: the logged hash is not the payload's";
	else
		return 1;
	return 0;
}

/* The leaf certificate of a signature (pki, fulcio), checked to its roots
 * at time t (-1: now) with its identity; the leaf in chain, or why. */
static int
sst_cert(Signer *sg, const Req *q, const Cand *c, long long t,
    Cert *chain, Arena *a, const char **why)
{
	const char *who = q->src == SrcPKI ? "pki" : "fulcio", *w, *iss;
	int n;

	if (!c->cert) {
		*why = ar_reason(a, NULL, "%s: no dev.sigstore.cosign/"
		    "certificate annotation", who);
		return 0;
	}
	if ((n = cry_certs(c->cert, strlen(c->cert), 0, chain, 1, a, &w)) !=
	    1) {
		*why = ar_reason(a, NULL, "%s: certificate annotation: %s", who,
		    n < 0 ? w : "not exactly one certificate");
		return 0;
	}
	/* intermediates: configured, then the chain annotation but its last
	 * (the root, which must come from the policy) */
	if (cry_append(chain, &sg->inter, 0) < 0)
		return *why = "internal: intermediate", 0;
	if (c->chain && strspn(c->chain, " \t\r\n") != strlen(c->chain)) {
		Cert ann;

		cry_cert_init(&ann);
		n = cry_certs(c->chain, strlen(c->chain), 0, &ann, 1, a, &w);
		if (n > 1)
			cry_append(chain, &ann, 1);
		cry_cert_free(&ann);
		if (n < 0) {
			*why = ar_reason(a, NULL, "%s: chain annotation: %s",
			    who, w);
			return 0;
		}
	}
	if (cry_chain(chain, &sg->roots, t, NULL, EkuCodeSigning, a, &w) < 0) {
		*why = ar_reason(a, NULL, "%s: chain: %s", who, w);
		return 0;
	}
	if (q->src == SrcFulcio) {
		if (!(iss = cry_issuer(chain, a, why)))
			return 0;
		if (strcmp(iss, q->issuer)) {
			*why = ar_reason(a, NULL, "fulcio: issuer %s, expected "
			    "%s", ar_esc(a, iss, NULL), q->issuer);
			return 0;
		}
	}
	if (q->email && !cry_san_has(chain, 1, q->email)) {
		w = cry_sans(chain, 1, a);
		*why = ar_reason(a, NULL, "%s: certificate for %s, expected %s",
		    who, *w ? w : "no email", q->email);
		return 0;
	}
	if (q->hostname && !cry_san_has(chain, 2, q->hostname)) {
		w = ar_printf(a, NULL, "%s%s%s", cry_sans(chain, 2, a),
		    *cry_sans(chain, 2, a) && *cry_sans(chain, 7, a) ? ", " : "",
		    cry_sans(chain, 7, a));
		*why = ar_reason(a, NULL, "pki: certificate for %s, expected "
		    "%s", w && *w ? w : "no host name", q->hostname);
		return 0;
	}
	return 1;
}

/* One candidate (sigstore.md §3): the signing key from the policy's
 * keys, a Rekor-logged key, or a certificate checked to the policy's CA;
 * the signature over the exact payload bytes with it; only then the
 * payload, its digest and identity.  1 accepted (*why: the identity; and
 * *who, unless who is NULL, names the key or certificate), 0 rejected
 * with *why. */
static int
sst_check(Run *run, const Req *q, Signer *sg, const Sigs *s, const Cand *c,
    const char **why, const char **who)
{
	const char *name[MAX_KEYS];
	Pk *pk[MAX_KEYS];
	unsigned char kder[2048];
	Cert chain;
	Arena *a = run->a;
	const char *w = NULL;
	long long t = -1;
	int k, n = 0, len, ok = 0;
	Str sig, der;

	if (!c->sig) {
		*why = "no " SST_SIG " annotation";
		return 0;
	}
	if (b64_decode(a, c->sig, strlen(c->sig), &sig) < 0) {
		*why = "signature annotation is not valid base64";
		return 0;
	}
	cry_cert_init(&chain);
	if (q->src == SrcKeys) {
		/* with a Rekor key, only a key the log names counts */
		for (k = 0; k < sg->nkeys; k++) {
			name[n] = sg->keys[k].name;
			if (!sg->nrekor) {
				pk[n++] = &sg->keys[k].pk;
				continue;
			}
			len = cry_key_der(&sg->keys[k].pk, kder, sizeof(kder));
			if (len > 0 && sst_rekor(sg, c, &sig, kder + sizeof(kder)
			    - len, (size_t)len, a, &t, &w)) {
				pk[n++] = &sg->keys[k].pk;
				break;
			}
		}
	} else if (q->src == SrcFulcio) {
		if (!c->cert)
			w = "fulcio: no dev.sigstore.cosign/certificate "
			    "annotation";
		else if (!c->bundle)
			w = "fulcio: no dev.sigstore.cosign/bundle annotation";
		else if (!cry_pem_one(c->cert, strlen(c->cert), a, &der))
			w = "fulcio: the certificate annotation is not exactly "
			    "one PEM block";
		else if (sst_rekor(sg, c, &sig, (const unsigned char *)der.p,
		    der.n, a, &t, &w) && sst_cert(sg, q, c, t, &chain, a, &w))
			pk[n++] = cry_cert_key(&chain);
	} else if (sst_cert(sg, q, c, -1, &chain, a, &w)) {
		pk[n++] = cry_cert_key(&chain);
	}
	if (!n) {
		*why = w ? w : "no key";
		goto out;
	}
	for (k = 0; k < n; k++)
		if (cry_verify(pk[k], c->payload.p, c->payload.n,
		    (const unsigned char *)sig.p, sig.n, 0) == 0)
			break;
	if (k == n)
		*why = "signed by another key";
	else
		ok = pay_judge(run, q, &c->payload, SST_TYPE, s->digest,
		    why);
	if (ok && who)
		*who = q->src == SrcKeys ? name[k] : cry_subject(&chain, a);
out:
	cry_cert_free(&chain);
	return ok;
}

/* What a sigstoreSigned requirement trusts, loaded from the policy: its
 * keys, Rekor keys (ECDSA only) and CA certificates.  A file that is
 * missing or holds nothing usable is a configuration error. */
static int
sst_signer(Signer *sg, const Req *q, const char *file, Arena *a, Err *e)
{
	int k;

	memset(sg, 0, sizeof(*sg));
	cry_cert_init(&sg->roots);
	cry_cert_init(&sg->inter);
	for (k = 0; k < q->nkeys; k++, sg->nkeys++)
		if (cry_key(&sg->keys[k], &q->keys[k], 0, file, a, e) < 0)
			return -1;
	for (k = 0; k < q->nrekor; k++, sg->nrekor++)
		if (cry_key(&sg->rekor[k], &q->rekor[k], 1, file, a, e) < 0)
			return -1;
	if (q->src != SrcKeys && cry_cas(&q->ca, &sg->roots, 0, file, a, e) < 0)
		return -1;
	if (q->src != SrcKeys)
		cry_dates(&sg->roots, 0, "%s: %s%s%s", file, q->ca.at, q->ca.path ?
		    ": " : "", q->ca.path ? q->ca.path : "");
	if ((q->inter.path || q->inter.data) && cry_cas(&q->inter, &sg->inter,
	    1, file, a, e) < 0)
		return -1;
	if (q->inter.path || q->inter.data)
		cry_dates(&sg->inter, 0, "%s: %s%s%s", file, q->inter.at,
		    q->inter.path ? ": " : "", q->inter.path ? q->inter.path : "");
	return 0;
}

static void
sst_signer_free(Signer *sg)
{
	int k;

	for (k = 0; k < MAX_KEYS; k++) {
		cry_key_free(&sg->keys[k]);
		cry_key_free(&sg->rekor[k]);
	}
	cry_cert_free(&sg->roots);
	cry_cert_free(&sg->inter);
}

static Signer sstsigner;	/* a requirement's (large: not on the stack) */

/* what a sigstoreSigned requirement trusts, loaded and dropped */
static int
sst_trust(Run *run, const Req *q, Err *e)
{
	int r = sst_signer(&sstsigner, q, run->policyfile, run->a, e);

	sst_signer_free(&sstsigner);
	return r;
}

/* sigstoreSigned: what it trusts first (a bad key file is a configuration
 * error), then the image's signatures, each tried in turn */
static int
sst_judge(Run *run, const Req *q, Result *res, Err *e)
{
	Signer *sg = &sstsigner;
	Arena *a = run->a;
	const char *why, *list = "";
	Sigs *s;
	int i, rc = -1;

	if (sst_signer(sg, q, run->policyfile, a, e) < 0 || !(s = run_state(run,
	    StateSigs, sizeof(*s), e)) || sst_fetch(run, s, e) < 0)
		goto out;
	rc = 0;
	if (!s->enabled)
		res->detail = ar_reason(a, e, "no signature: sigstore "
		    "attachments are not enabled for this image in %s",
		    run->regd.dir);
	else if (!s->found)
		res->detail = ar_reason(a, e, "no signature: no %s attachment",
		    run->reg.sigtag);
	else if (!s->n)
		res->detail = ar_reason(a, e, "no signature: the attachment "
		    "has no signature layers (%d other layer%s)", s->other,
		    s->other == 1 ? "" : "s");
	for (i = 0; s->enabled && s->found && i < s->n; i++) {
		if (sst_check(run, q, sg, s, &s->c[i], &why, NULL)) {
			res->ok = 1;
			res->detail = ar_reason(a, e, "signature %d of %d "
			    "verified, %s", i + 1, s->n, why);
			break;
		}
		pay_tried(res, a, e, i, s->n, why, &list);
	}
	if (e->code)
		rc = -1;	/* out of memory, in e */
out:
	sst_signer_free(sg);
	return rc;
}

/* == 23. Inflate (RFC 1951) ==============================================
 * Bounded: what gpg compresses with ZIP and ZLIB. */

typedef struct {		/* a canonical Huffman code */
	short count[16];	/* codes of each length */
	short sym[288];		/* symbols ordered by code */
} Huff;

typedef struct {		/* inflate state */
	const unsigned char *in;
	size_t len, pos;
	unsigned long buf;	/* bits not yet used */
	int cnt, err;
	unsigned char *out;
	size_t olen, omax;
} Inf;

static int
inf_bits(Inf *s, int need)
{
	int v;

	while (s->cnt < need) {
		if (s->pos >= s->len) {
			s->err = 1;
			return 0;
		}
		s->buf |= (unsigned long)s->in[s->pos++] << s->cnt;
		s->cnt += 8;
	}
	v = (int)(s->buf & ((1UL << need) - 1));
	s->buf >>= need;
	s->cnt -= need;
	return v;
}

/* canonical Huffman code from code lengths; <0 over-subscribed, >0
 * incomplete, 0 complete */
static int
inf_build(Huff *h, const unsigned char *len, int n)
{
	short offs[16];
	int left = 1, i;

	memset(h->count, 0, sizeof(h->count));
	for (i = 0; i < n; i++)
		h->count[len[i]]++;
	if (h->count[0] == n)
		return 0;
	for (i = 1; i < 16; i++) {
		left = left * 2 - h->count[i];
		if (left < 0)
			return -1;
	}
	offs[1] = 0;
	for (i = 1; i < 15; i++)
		offs[i + 1] = (short)(offs[i] + h->count[i]);
	for (i = 0; i < n; i++)
		if (len[i])
			h->sym[offs[len[i]]++] = (short)i;
	return left;
}

static int
inf_decode(Inf *s, const Huff *h)
{
	int code = 0, first = 0, index = 0, len;

	for (len = 1; len < 16; len++) {
		code |= inf_bits(s, 1);
		if (code - h->count[len] < first)
			return h->sym[index + code - first];
		index += h->count[len];
		first = (first + h->count[len]) * 2;
		code *= 2;
	}
	return -1;
}

/* the symbols of one block until end-of-block */
static int
inf_codes(Inf *s, const Huff *lit, const Huff *dist)
{
	static const short lbase[29] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15,
	    17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
	    227, 258 }, lext[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2,
	    2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 }, dbase[30] = { 1, 2,
	    3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513,
	    769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385,
	    24577 }, dext[30] = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6,
	    6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };
	int sym, len;
	size_t d;

	for (;;) {
		if ((sym = inf_decode(s, lit)) < 0 || s->err)
			return -1;
		if (sym == 256)
			return 0;
		if (sym < 256) {
			if (s->olen == s->omax)
				return -2;
			s->out[s->olen++] = (unsigned char)sym;
			continue;
		}
		if ((sym -= 257) >= 29)
			return -1;
		len = lbase[sym] + inf_bits(s, lext[sym]);
		if ((sym = inf_decode(s, dist)) < 0 || sym >= 30)
			return -1;
		d = (size_t)(dbase[sym] + inf_bits(s, dext[sym]));
		if (s->err || d > s->olen)
			return -1;
		if ((size_t)len > s->omax - s->olen)
			return -2;
		for (; len > 0; len--, s->olen++)
			s->out[s->olen] = s->out[s->olen - d];
	}
}

/* A raw DEFLATE stream: 0, -1 corrupt, -2 more than omax bytes.  It must
 * end exactly at the end of its input. */
static int
inf_deflate(Inf *s)
{
	static const unsigned char order[19] = { 16, 17, 18, 0, 8, 7, 9, 6,
	    10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 };
	unsigned char len[320];
	int last, type, nlen, ndist, ncode, i, sym, rep, r;
	size_t n;
	Huff lit, dist;

	do {
		last = inf_bits(s, 1);
		type = inf_bits(s, 2);
		if (s->err || type == 3)
			return -1;
		if (type == 0) {	/* stored */
			s->buf = 0;
			s->cnt = 0;
			if (s->len - s->pos < 4)
				return -1;
			n = (size_t)(s->in[s->pos] | s->in[s->pos + 1] << 8);
			if ((n ^ 0xffff) != (size_t)(s->in[s->pos + 2] |
			    s->in[s->pos + 3] << 8))
				return -1;
			s->pos += 4;
			if (n > s->len - s->pos)
				return -1;
			if (n > s->omax - s->olen)
				return -2;
			memcpy(s->out + s->olen, s->in + s->pos, n);
			s->olen += n;
			s->pos += n;
			continue;
		}
		if (type == 1) {	/* fixed codes */
			for (i = 0; i < 288; i++)
				len[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
			inf_build(&lit, len, 288);
			memset(len, 5, 30);
			inf_build(&dist, len, 30);
		} else {		/* dynamic codes */
			nlen = inf_bits(s, 5) + 257;
			ndist = inf_bits(s, 5) + 1;
			ncode = inf_bits(s, 4) + 4;
			if (s->err || nlen > 286 || ndist > 30)
				return -1;
			memset(len, 0, 19);
			for (i = 0; i < ncode; i++)
				len[order[i]] = (unsigned char)inf_bits(s, 3);
			if (inf_build(&lit, len, 19) != 0)
				return -1;
			for (i = 0; i < nlen + ndist;) {
				if ((sym = inf_decode(s, &lit)) < 0 || s->err)
					return -1;
				if (sym < 16) {
					len[i++] = (unsigned char)sym;
					continue;
				}
				if (sym == 16 && i == 0)
					return -1;
				r = sym == 16 ? len[i - 1] : 0;
				rep = sym == 16 ? 3 + inf_bits(s, 2) : sym == 17 ?
				    3 + inf_bits(s, 3) : 11 + inf_bits(s, 7);
				if (i + rep > nlen + ndist)
					return -1;
				while (rep--)
					len[i++] = (unsigned char)r;
			}
			if (len[256] == 0)
				return -1;
			/* incomplete codes only for a lone code, as zlib */
			if ((r = inf_build(&lit, len, nlen)) < 0 || (r > 0 &&
			    nlen - lit.count[0] != 1))
				return -1;
			if ((r = inf_build(&dist, len + nlen, ndist)) < 0 ||
			    (r > 0 && ndist - dist.count[0] != 1))
				return -1;
		}
		if ((r = inf_codes(s, &lit, &dist)) < 0)
			return r;
	} while (!last);
	return s->pos == s->len ? 0 : -1;
}

/* an OpenPGP compressed packet body: algorithm 0, 1 (ZIP: raw DEFLATE)
 * or 2 (ZLIB, Adler-32 checked) into the arena; why on failure */
static int
inf_packet(const unsigned char *p, size_t n, Arena *a, Str *out,
    const char **why)
{
	unsigned long s1 = 1, s2 = 0;
	size_t i;
	Inf s;
	int r;

	if (n < 1) {
		*why = "not a signature: empty compressed packet";
		return -1;
	}
	if (p[0] > 2) {
		*why = p[0] == 3 ? "unsupported compression bzip2" :
		    "unsupported compression algorithm";
		return -1;
	}
	if (!(out->p = ar_alloc(a, MAX_INFLATE_BYTES + 1, NULL))) {
		*why = "out of memory";
		return -1;
	}
	memset(&s, 0, sizeof(s));
	s.in = p + 1;
	s.len = n - 1;
	s.out = (unsigned char *)out->p;
	s.omax = MAX_INFLATE_BYTES;
	if (p[0] == 0) {
		r = s.len > s.omax ? -2 : 0;
		s.olen = r ? 0 : s.len;
		memcpy(s.out, s.in, s.olen);
	} else if (p[0] == 2 && (s.len < 6 || (s.in[0] & 0x0f) != 8 ||
	    (s.in[0] >> 4) > 7 || (s.in[1] & 0x20) || ((unsigned)s.in[0] << 8 |
	    s.in[1]) % 31)) {
		r = -1;
	} else {
		if (p[0] == 2) {	/* the zlib header, and Adler-32 last */
			s.in += 2;
			s.len -= 6;
		}
		r = inf_deflate(&s);
		for (i = 0; r == 0 && p[0] == 2 && i < s.olen; i++) {
			s1 = (s1 + s.out[i]) % 65521;
			s2 = (s2 + s1) % 65521;
		}
		if (r == 0 && p[0] == 2 && (s2 << 16 | s1) != ((unsigned long)
		    s.in[s.len] << 24 | (unsigned long)s.in[s.len + 1] << 16 |
		    (unsigned long)s.in[s.len + 2] << 8 | s.in[s.len + 3]))
			r = -1;
	}
	a->used -= MAX_INFLATE_BYTES - s.olen;
	out->n = s.olen;
	if (r == -2)
		*why = "not a signature: more than MAX_INFLATE_BYTES "
		    "decompressed";
	else if (r < 0)
		*why = "not a signature: corrupt compressed data";
	return r < 0 ? -1 : 0;
}

/* == 24. OpenPGP packets and signatures ==================================
 * RFC 4880 packets, keys and signatures (v4; v3 signatures), checked with
 * the crypto sections: what simple signing and keyrings are made of. */

typedef struct {		/* a read cursor over bytes */
	const unsigned char *p, *end;
} Cur;

typedef struct {		/* an OpenPGP public key or subkey */
	int alg;
	long long created;
	unsigned char fpr[20], id[8];
	const unsigned char *body;	/* the key packet, for hashing */
	size_t blen;
	int primary;		/* index of its primary; -1: it is one */
	Pk pk;			/* RSA, ECDSA */
	unsigned char ed[32];	/* EdDSA */
	long long sigtime, keyexp;	/* newest valid self-signature; -1 none */
	int flags;		/* its key flags; -1: none given */
	int uid, revoked, backsig;	/* certified, revoked, signed back */
	int broken;		/* a check of it ran out of memory */
	size_t bits;		/* RSA: of the modulus, for -check */
} PgpKey;

typedef struct {		/* a signature packet (v4, v3) */
	int version, type, alg, hash;
	const unsigned char *body, *hashed;	/* hashed: what the trailer covers */
	size_t hlen;
	unsigned char prefix[2];	/* leftmost digest bytes */
	long long created, expires, keyexp;
	int hascreated, flags;
	int critical;		/* an unknown critical subpacket's type; -1 none */
	unsigned char issuer[8], ifpr[20];
	int hasissuer, hasifpr;
	const unsigned char *embedded, *mpi;
	size_t elen, mlen;
} PgpSig;

static int pgp_subpacket(PgpSig *s, int t, const unsigned char *v,
    size_t n, int hashed);

/* The next packet at c: tag and body.  Partial body lengths (tags 8 and
 * 11 only) are joined into the arena.  0 at the end, 1 a packet, -1 bad. */
static int
pgp_next(Cur *c, int *tag, Str *body, Arena *a)
{
	const unsigned char *p = c->p;
	size_t len, total = 0;
	char *join = NULL;
	int hdr, partial;

	if (p == c->end)
		return 0;
	hdr = *p++;
	if (!(hdr & 0x80))
		return -1;
	if (!(hdr & 0x40)) {		/* old format */
		*tag = hdr >> 2 & 0x0f;
		switch (hdr & 3) {
		case 0: len = 1; break;
		case 1: len = 2; break;
		case 2: len = 4; break;
		default: len = 0; break;
		}
		if ((size_t)(c->end - p) < len)
			return -1;
		total = len ? 0 : (size_t)(c->end - p);	/* to the end */
		for (; len > 0; len--)
			total = total << 8 | *p++;
		if ((size_t)(c->end - p) < total)
			return -1;
		body->p = (char *)p;
		body->n = total;
		c->p = p + total;
		return 1;
	}
	*tag = hdr & 0x3f;
	for (;;) {
		if (p == c->end)
			return -1;
		partial = 0;
		if (*p < 192) {
			len = *p++;
		} else if (*p < 224) {
			if (c->end - p < 2)
				return -1;
			len = (size_t)((p[0] - 192) << 8) + p[1] + 192;
			p += 2;
		} else if (*p == 255) {
			if (c->end - p < 5)
				return -1;
			len = (size_t)p[1] << 24 | (size_t)p[2] << 16 |
			    (size_t)p[3] << 8 | p[4];
			p += 5;
		} else {
			if (*tag != 8 && *tag != 11)
				return -1;
			len = (size_t)1 << (*p++ & 0x1f);
			partial = 1;
		}
		if ((size_t)(c->end - p) < len)
			return -1;
		if (!partial && !join) {	/* one piece: no copy */
			body->p = (char *)p;
			body->n = len;
			c->p = p + len;
			return 1;
		}
		if (!join && !(join = ar_alloc(a, (size_t)(c->end - p), NULL)))
			return -1;
		memcpy(join + total, p, len);
		total += len;
		p += len;
		if (!partial)
			break;
	}
	body->p = join;
	body->n = total;
	c->p = p;
	return 1;
}

static unsigned long
pgp_u32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
	    (unsigned long)p[2] << 8 | p[3];
}

/* an MPI at *p: its bytes without leading zeros; -1 if it overruns */
static int
pgp_mpi(const unsigned char **p, const unsigned char *end,
    const unsigned char **v, size_t *n)
{
	size_t bits;

	if (end - *p < 2)
		return -1;
	bits = (size_t)((*p)[0] << 8 | (*p)[1]);
	*n = (bits + 7) / 8;
	*p += 2;
	if ((size_t)(end - *p) < *n)
		return -1;
	*v = *p;
	*p += *n;
	return 0;
}

/* A v4 public key or subkey packet (RSA, ECDSA on NIST or brainpool
 * curves, EdDSA): its fingerprint, key ID and usable key material.  0, or
 * -1 for keys that cannot verify here (skipped, as gpg skips them), -2
 * for RSA below MIN_RSA_BITS (skipped too; -check says so). */
static int
pgp_key(PgpKey *k, const Str *body)
{
	static const unsigned char ed25519[] = { 0x2b, 0x06, 0x01, 0x04, 0x01,
	    0xda, 0x47, 0x0f, 0x01 };
	const unsigned char *p = (const unsigned char *)body->p, *end = p +
	    body->n, *n, *e, *oid;
	unsigned char hdr[3];
	size_t nl, el, ol;
	Md md;

	memset(k, 0, sizeof(*k));
	k->body = p;
	k->blen = body->n;
	k->primary = -1;
	if (body->n < 6 || p[0] != 4)
		return -1;		/* v3, v5, v6: not supported */
	k->created = (long long)pgp_u32(p + 1);
	k->alg = p[5];
	hdr[0] = 0x99;
	hdr[1] = (unsigned char)(body->n >> 8);
	hdr[2] = (unsigned char)body->n;
	if (body->n > 0xffff || md_begin(&md, MdSha1) < 0)
		return -1;
	md_add(&md, hdr, 3);
	md_add(&md, p, body->n);
	if (md_end(&md, k->fpr) != 20)
		return -1;
	memcpy(k->id, k->fpr + 12, 8);
	p += 6;
	cry_pk_init(&k->pk);
	switch (k->alg) {
	case 1:
	case 3:
		if (pgp_mpi(&p, end, &n, &nl) < 0 || pgp_mpi(&p, end, &e,
		    &el) < 0)
			return -1;
		k->bits = nl * 8;
		if (nl * 8 < MIN_RSA_BITS)
			return -2;
		return cry_key_rsa(&k->pk, n, nl, e, el);
	case 19:
	case 22:
		if (p == end || (ol = *p++) == 0 || (size_t)(end - p) < ol)
			return -1;
		oid = p;
		p += ol;
		if (pgp_mpi(&p, end, &n, &nl) < 0)
			return -1;
		if (k->alg == 22) {
			if (ol != sizeof(ed25519) || memcmp(oid, ed25519, ol) ||
			    nl != 33 || n[0] != 0x40)
				return -1;
			memcpy(k->ed, n + 1, 32);
			return 0;
		}
		return cry_key_ec(&k->pk, oid, ol, n, nl);
	case 27:
		if (end - p != 32)
			return -1;
		memcpy(k->ed, p, 32);
		return 0;
	default:
		return -1;
	}
}

/* A signature packet, v4 or v3 (RFC 4880 §5.2), with the subpackets
 * ivlite acts on.  0, or -1 with why. */
static int
pgp_sig(PgpSig *s, const Str *body, const char **why)
{
	const unsigned char *p = (const unsigned char *)body->p, *end = p +
	    body->n, *q, *qend;
	size_t len, area;
	int t, crit, k;

	memset(s, 0, sizeof(*s));
	s->flags = -1;
	s->critical = -1;
	s->body = p;
	*why = "not a signature: malformed signature packet";
	if (body->n < 1)
		return -1;
	s->version = p[0];
	if (s->version == 3 || s->version == 2) {
		if (body->n < 19 || p[1] != 5)
			return -1;
		s->type = p[2];
		s->created = (long long)pgp_u32(p + 3);
		memcpy(s->issuer, p + 7, 8);
		s->hasissuer = 1;
		s->alg = p[15];
		s->hash = p[16];
		s->hashed = p + 2;
		s->hlen = 5;
		memcpy(s->prefix, p + 17, 2);
		s->mpi = p + 19;
		s->mlen = body->n - 19;
		return 0;
	}
	if (s->version != 4) {
		*why = "unsupported signature version";
		return -1;
	}
	if (body->n < 6)
		return -1;
	s->type = p[1];
	s->alg = p[2];
	s->hash = p[3];
	s->hashed = p;
	for (area = 0, p += 4; area < 2; area++) {	/* hashed, unhashed */
		if (end - p < 2 || (size_t)(end - p - 2) < (len = (size_t)(p[0]
		    << 8 | p[1])))
			return -1;
		q = p + 2;
		qend = q + len;
		if (area == 0)
			s->hlen = (size_t)(qend - s->hashed);
		while (q < qend) {
			if (*q < 192) {
				len = *q++;
			} else if (*q < 255) {
				if (qend - q < 2)
					return -1;
				len = (size_t)((q[0] - 192) << 8) + q[1] + 192;
				q += 2;
			} else {
				if (qend - q < 5)
					return -1;
				len = pgp_u32(q + 1);
				q += 5;
			}
			if (len < 1 || (size_t)(qend - q) < len)
				return -1;
			t = *q & 0x7f;
			crit = *q & 0x80;
			k = pgp_subpacket(s, t, q + 1, len - 1, area == 0);
			if (k < 0)
				return -1;
			/* GnuPG's understood set; anything else critical
			 * makes the signature invalid (type 0 too, which
			 * strchr would find as the terminator) */
			if (crit && (!t || !strchr("\x02\x03\x04\x05\x06\x07\x09"
			    "\x0b\x0c\x10\x15\x16\x18\x19\x1a\x1b\x1d\x1e\x20\x21"
			    "\x22\x25", t)))
				s->critical = t;
			q += len;
		}
		p = qend;
	}
	if (end - p < 2)
		return -1;
	memcpy(s->prefix, p, 2);
	s->mpi = p + 2;
	s->mlen = (size_t)(end - p - 2);
	return 0;
}

/* one subpacket's meaning; issuer hints count from either area, the rest
 * only when hashed (the unhashed area is not signed) */
static int
pgp_subpacket(PgpSig *s, int t, const unsigned char *v, size_t n,
    int hashed)
{
	if (t == 16 && n == 8) {
		memcpy(s->issuer, v, 8);
		s->hasissuer = 1;
	} else if (t == 33 && n == 21 && v[0] == 4) {
		memcpy(s->ifpr, v + 1, 20);
		s->hasifpr = 1;
	} else if (t == 32) {
		s->embedded = v;	/* a back-signature is self-verifying */
		s->elen = n;
	} else if (!hashed) {
		return 0;
	} else if (t == 2 && n == 4) {
		s->created = (long long)pgp_u32(v);
		s->hascreated = 1;
	} else if (t == 3 && n == 4) {
		s->expires = (long long)pgp_u32(v);
	} else if (t == 9 && n == 4) {
		s->keyexp = (long long)pgp_u32(v);
	} else if (t == 27 && n >= 1) {
		s->flags = v[0];
	} else if (t == 2 || t == 3 || t == 9) {
		return -1;
	}
	return 0;
}

/* hash algorithm ID to MdSha256…; SHA-1 only for self-signatures */
static int
pgp_md(int id, int selfsig)
{
	switch (id) {
	case 2: return selfsig ? MdSha1 : MdNone;
	case 8: return MdSha256;
	case 9: return MdSha384;
	case 10: return MdSha512;
	case 11: return MdSha224;
	default: return MdNone;
	}
}

/* Finishes the hash h of signature s (its hashed part and trailer) and
 * checks the digest prefix and the signature with key k.  0 if valid,
 * -1 if not, -2 if it could not be checked (out of memory). */
static int
pgp_check(const PgpKey *k, const PgpSig *s, Md *h)
{
	unsigned char d[64], t[6], der[160], rs[2][66], sig[1024];
	const unsigned char *p = s->mpi, *end = s->mpi + s->mlen, *v[2];
	size_t dn, n[2], half, i;

	md_add(h, s->hashed, s->hlen);
	if (s->version == 4) {
		t[0] = 4;
		t[1] = 0xff;
		t[2] = (unsigned char)(s->hlen >> 24);
		t[3] = (unsigned char)(s->hlen >> 16);
		t[4] = (unsigned char)(s->hlen >> 8);
		t[5] = (unsigned char)s->hlen;
		md_add(h, t, 6);
	}
	if (!(dn = md_end(h, d)))
		return -2;
	if (memcmp(d, s->prefix, 2) || s->alg != k->alg)
		return -1;
	if (k->alg == 1 || k->alg == 3) {	/* left-padded to the modulus */
		half = cry_key_len(&k->pk);
		if (pgp_mpi(&p, end, &v[0], &n[0]) < 0 || p != end || n[0] >
		    half || half > sizeof(sig))
			return -1;
		memset(sig, 0, half - n[0]);
		memcpy(sig + half - n[0], v[0], n[0]);
		return cry_check(&k->pk, pgp_md(s->hash, 1), d, dn, sig, half);
	}
	for (i = 0; i < 2; i++)
		if (pgp_mpi(&p, end, &v[i], &n[i]) < 0)
			return -1;
	if (p != end)
		return -1;
	if (k->alg == 22 || k->alg == 27) {
		if (n[0] > 32 || n[1] > 32)
			return -1;
		memset(rs, 0, sizeof(rs));
		memcpy(rs[0] + 32 - n[0], v[0], n[0]);
		memcpy(rs[0] + 64 - n[1], v[1], n[1]);
		return ed25519_verify(k->ed, d, dn, rs[0]);
	}
	/* ECDSA: r and s to the group size, then DER for mbedTLS */
	half = (cry_key_bits(&k->pk) + 7) / 8;
	if (n[0] > half || n[1] > half || half > sizeof(rs[0]))
		return -1;
	memset(rs, 0, sizeof(rs));
	memcpy(rs[0] + half - n[0], v[0], n[0]);
	memcpy(rs[0] + 2 * half - n[1], v[1], n[1]);
	i = cry_p1363(rs[0], 2 * half, der);
	return cry_check(&k->pk, MdNone, d, dn, der, i);
}

/* K(x) of RFC 4880 §5.2.4: 0x99, two length octets, the key body */
static void
pgp_hash_key(Md *h, const PgpKey *k)
{
	unsigned char hdr[3];

	hdr[0] = 0x99;
	hdr[1] = (unsigned char)(k->blen >> 8);
	hdr[2] = (unsigned char)k->blen;
	md_add(h, hdr, 3);
	md_add(h, k->body, k->blen);
}

/* Does self-signature s of primary p verify over p (and sub, and uid)?
 * Used for certifications, bindings, back-signatures and revocations.
 * 0, -1, or -2 if it could not be checked (out of memory). */
static int
pgp_selfsig(const PgpKey *signer, const PgpKey *p, const PgpKey *sub,
    const Str *uid, const PgpSig *s)
{
	unsigned char hdr[5];
	Md h;

	if (s->version != 4 || !s->hascreated || s->critical >= 0 ||
	    pgp_md(s->hash, 1) == MdNone)
		return -1;
	if (md_begin(&h, pgp_md(s->hash, 1)) < 0)
		return -2;
	pgp_hash_key(&h, p);
	if (sub)
		pgp_hash_key(&h, sub);
	if (uid) {
		hdr[0] = 0xb4;
		hdr[1] = (unsigned char)(uid->n >> 24);
		hdr[2] = (unsigned char)(uid->n >> 16);
		hdr[3] = (unsigned char)(uid->n >> 8);
		hdr[4] = (unsigned char)uid->n;
		md_add(&h, hdr, 5);
		md_add(&h, uid->p, uid->n);
	}
	return pgp_check(signer, s, &h);
}

/* CRC-24 of RFC 4880 §6.1 */
static unsigned long
pgp_crc24(const unsigned char *p, size_t n)
{
	unsigned long crc = 0xb704ceUL;
	int i;

	while (n--) {
		crc ^= (unsigned long)*p++ << 16;
		for (i = 0; i < 8; i++)
			if ((crc <<= 1) & 0x1000000UL)
				crc ^= 0x1864cfbUL;
	}
	return crc & 0xffffffUL;
}

/* Keyring bytes: binary as they are, or every "PGP PUBLIC KEY BLOCK" of
 * ASCII armor (RFC 4880 §6.2) decoded and joined, its CRC-24 checked when
 * present.  s is NUL-terminated. */
static int
pgp_dearmor(const char *s, size_t n, Arena *a, Str *out, const char **why)
{
	static const char beg[] = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
	const char *p, *l, *body, *crc;
	unsigned long c;
	Str d, cs;

	if (!strstr(s, beg)) {
		out->p = (char *)s;
		out->n = n;
		return 0;
	}
	*why = NOMEM;
	if (!(out->p = ar_alloc(a, n, NULL)))
		return -1;
	out->n = 0;
	*why = "malformed ASCII armor";
	for (p = s; (p = strstr(p, beg)); p = l) {
		l = p + strcspn(p, "\n");
		/* header lines ("Key: value"), then one empty line */
		for (l += *l == '\n'; *l && *l != '\n' && *l != '\r' &&
		    memchr(l, ':', strcspn(l, "\n")); l += strcspn(l, "\n") +
		    (l[strcspn(l, "\n")] == '\n'))
			;
		l += *l == '\r';
		l += *l == '\n';
		body = l;
		crc = NULL;
		while (*l && strncmp(l, "-----END PGP PUBLIC KEY BLOCK-----",
		    34)) {
			if (*l == '=' && !crc)
				crc = l;
			l += strcspn(l, "\n");
			l += *l == '\n';
		}
		if (!*l || b64_decode(a, body, (size_t)((crc ? crc : l) - body),
		    &d) < 0)
			return -1;
		if (crc && (b64_decode(a, crc + 1, strcspn(crc + 1, "\r\n"),
		    &cs) < 0 || cs.n != 3))
			return -1;
		c = crc ? (unsigned long)(unsigned char)cs.p[0] << 16 |
		    (unsigned long)(unsigned char)cs.p[1] << 8 |
		    (unsigned char)cs.p[2] : 0;
		if (crc && c != pgp_crc24((unsigned char *)d.p, d.n)) {
			*why = "ASCII armor checksum does not match";
			return -1;
		}
		memcpy(out->p + out->n, d.p, d.n);
		out->n += d.n;
	}
	return 0;
}

/* == 25. OpenPGP keyrings ================================================
 * The keys of a requirement merged by fingerprint and judged as GnuPG
 * judges what it imports: certified user IDs, bindings signed back,
 * revocation and expiry. */

typedef struct {		/* a self-signature as found in a keyring */
	Str body, uid;		/* uid.p: the user ID it follows, or NULL */
	int prim, cur;		/* the keys it follows (in k); -1: none */
} PgpRef;

typedef struct {		/* all key material of one signedBy, merged */
	PgpKey k[MAX_PGP_KEYS];
	PgpRef s[MAX_PGP_SIGS];
	int n, ns;
	int small;		/* RSA keys skipped: below MIN_RSA_BITS */
} Keyring;

/* Does s name p as its issuer (key ID or fingerprint hint)? */
static int
pgp_issued(const PgpKey *p, const PgpSig *s)
{
	return (s->hasissuer && !memcmp(s->issuer, p->id, 8)) ||
	    (s->hasifpr && !memcmp(s->ifpr, p->fpr, 20));
}

/* Does pgp_judge() need s, found after key cur of primary prim (and a
 * user ID)?  Direct-key signatures and revocations wherever they are;
 * certifications of the primary's user IDs unless they name another
 * issuer (third-party ones, often many); subkey bindings. */
static int
pgp_keep(const Keyring *r, const PgpSig *s, int prim, int cur, int uid)
{
	if (s->type == 0x1f || s->type == 0x20 || s->type == 0x28)
		return 1;
	if (s->type == 0x18)
		return cur >= 0 && cur != prim;
	return s->type >= 0x10 && s->type <= 0x13 && uid && cur >= 0 &&
	    cur == prim && (!(s->hasissuer || s->hasifpr) ||
	    pgp_issued(&r->k[prim], s));
}

/* One keyring blob (RFC 4880 §11.1) into r, merged with what r holds
 * already: keys by fingerprint (a subkey under its primary), and the
 * self-signatures pgp_judge() weighs, each with the keys and user ID it
 * followed.  Signatures before any key (a revocation certificate) are
 * kept for the key they name.  -check warns about skipped small RSA keys
 * (where: the file). */
static int
pgp_keyring(Keyring *r, const Str *ring, const char *where, Arena *a,
    const char **why)
{
	Cur c = { (const unsigned char *)ring->p, (const unsigned char *)
	    ring->p + ring->n };
	int tag, got, i, prim = -1, cur = -1;
	Str body, uid = { NULL, 0 };
	const char *bad;
	char fp[41];
	PgpKey nk;
	PgpRef *f;
	PgpSig s;

	*why = "not an OpenPGP keyring";
	while ((got = pgp_next(&c, &tag, &body, a)) > 0) {
		if (tag == 5 || tag == 7) {
			*why = "this is a secret key; export the public key "
			    "with gpg --export";
			return -1;
		}
		if (tag == 6 || tag == 14) {
			uid.p = NULL;
			cur = -1;
			if (tag == 6)
				prim = -1;
			else if (prim < 0)
				continue;	/* a subkey of a skipped primary */
			if ((got = pgp_key(&nk, &body)) < 0) {
				cry_pk_free(&nk.pk);
				logv("keyring: skipping a key ivlite cannot use");
				r->small += got == -2;
				hex_str(nk.fpr, 20, fp, 1);
				if (got == -2)
					warn("%s: key %s: RSA of %zu bits is below "
					    "MIN_RSA_BITS (%d): skipped", where, fp,
					    nk.bits, MIN_RSA_BITS);
				continue;
			}
			nk.primary = tag == 6 ? -1 : prim;
			for (i = 0; i < r->n && (r->k[i].primary != nk.primary ||
			    memcmp(r->k[i].fpr, nk.fpr, 20)); i++)
				;
			if (i < r->n) {		/* another copy of a key */
				cry_pk_free(&nk.pk);
			} else if (r->n == MAX_PGP_KEYS) {
				cry_pk_free(&nk.pk);
				*why = "more than MAX_PGP_KEYS keys";
				return -1;
			} else {
				r->k[r->n++] = nk;
			}
			cur = i;
			prim = tag == 6 ? i : prim;
			continue;
		}
		if (tag == 13 || tag == 17) {	/* a user attribute is no ID */
			uid = body;
			if (tag == 17 || cur < 0 || cur != prim)
				uid.p = NULL;
			continue;
		}
		if (tag != 2 || pgp_sig(&s, &body, &bad) < 0 || !pgp_keep(r, &s,
		    prim, cur, uid.p != NULL))
			continue;	/* other packets, third-party noise */
		if (r->ns == MAX_PGP_SIGS) {
			*why = "more than MAX_PGP_SIGS self-signatures";
			return -1;
		}
		f = &r->s[r->ns++];
		f->body = body;
		f->uid = uid;
		f->prim = prim;
		f->cur = cur;
	}
	return got < 0 ? -1 : 0;
}

/* The newest valid self-signature of k decides its expiry and flags
 * (and, for a subkey, whether it is signed back); of equally new ones
 * the most restrictive, so that the order of the key material does not
 * matter. */
static void
pgp_newest(PgpKey *k, const PgpSig *s, int backsig)
{
	if (s->created > k->sigtime) {
		k->sigtime = s->created;
		k->keyexp = s->keyexp;
		k->flags = s->flags;
		k->backsig = backsig;
	} else if (s->created == k->sigtime) {
		if (s->keyexp && (!k->keyexp || s->keyexp < k->keyexp))
			k->keyexp = s->keyexp;
		k->flags = k->flags < 0 ? s->flags : s->flags < 0 ? k->flags :
		    k->flags & s->flags;
		k->backsig &= backsig;
	}
}

/* A direct-key signature (0x1F), key revocation (0x20) or subkey
 * revocation (0x28) s, for primary i or one of its subkeys: whichever it
 * verifies with. */
static void
pgp_keysig(Keyring *r, int i, const PgpSig *s)
{
	PgpKey *p = &r->k[i], *k;
	int j, v;

	for (j = 0; j < r->n; j++) {
		k = &r->k[j];
		if (s->type == 0x28 ? k->primary != i : j != i)
			continue;
		v = pgp_selfsig(p, p, k == p ? NULL : k, NULL, s);
		k->broken |= v == -2;
		if (v == 0 && s->type == 0x1f)
			pgp_newest(p, s, 1);
		else if (v == 0)
			k->revoked = 1;
		if (v == 0)
			return;
	}
}

/* One self-signature f of the key material: a certification or binding
 * for the keys it follows; a direct-key signature or revocation for the
 * primary it follows or names (gpg moves them there on import). */
static void
pgp_selfsigs(Keyring *r, const PgpRef *f, long long now)
{
	PgpKey *p, *k;
	PgpSig s, back;
	const char *why;
	Str eb;
	int i, v, bs;

	/* past its signature expiration a self-signature is void (gpg),
	 * but a revocation stays one */
	if (pgp_sig(&s, &f->body, &why) < 0 || (s.expires && now > s.created +
	    s.expires && s.type != 0x20 && s.type != 0x28))
		return;
	if (s.type == 0x1f || s.type == 0x20 || s.type == 0x28) {
		for (i = 0; i < r->n; i++)
			if (r->k[i].primary < 0 && (i == f->prim ||
			    pgp_issued(&r->k[i], &s)))
				pgp_keysig(r, i, &s);
		return;
	}
	p = &r->k[f->prim];
	k = &r->k[f->cur];
	if (s.type != 0x18) {		/* pgp_keep: a self-certification */
		v = pgp_selfsig(p, p, NULL, &f->uid, &s);
		p->broken |= v == -2;
		p->uid |= v == 0;
		if (v == 0)
			pgp_newest(p, &s, 1);
		return;
	}
	v = pgp_selfsig(p, p, k, NULL, &s);
	k->broken |= v == -2;
	if (v)
		return;
	/* a signing subkey must sign its primary back */
	eb.p = (char *)s.embedded;
	eb.n = s.elen;
	bs = !s.embedded || pgp_sig(&back, &eb, &why) < 0 || back.type !=
	    0x19 || (back.expires && now > back.created + back.expires) ? -1 :
	    pgp_selfsig(k, p, k, NULL, &back);
	k->broken |= bs == -2;
	pgp_newest(k, &s, bs == 0);
}

/* Judges every key of r at time now by all the self-signatures found
 * for it in all the key material, as GnuPG judges what it merged on
 * import (RFC 9580 §5.2.3, §10.1): a certified user ID; any valid
 * revocation revokes; the newest valid self-signature gives expiry and
 * flags; a subkey is bound by its newest valid binding, signed back.  A
 * check that ran out of memory leaves its key unusable. */
static void
pgp_judge(Keyring *r, long long now)
{
	PgpKey *k;
	int i;

	for (i = 0; i < r->n; i++) {
		k = &r->k[i];
		k->uid = k->revoked = k->backsig = k->broken = 0;
		k->sigtime = -1;
		k->keyexp = 0;
		k->flags = -1;
	}
	for (i = 0; i < r->ns; i++)
		pgp_selfsigs(r, &r->s[i], now);
}

/* Can key k (a primary or subkey of r) make data signatures at time now?
 * 0 if so, else -1 and why not.  lapsed (-check): only whether k itself
 * is revoked or expired. */
static int
pgp_usable(const Keyring *r, const PgpKey *k, long long now, int lapsed,
    Arena *a, const char **why)
{
	const PgpKey *p = k->primary < 0 ? k : &r->k[k->primary], *x = p;
	const char *fmt = NULL, *when = "";
	char f[41], sf[41], name[100];
	int i;

	for (i = lapsed && k != p; i < 2 && !fmt && (i == 0 || k != p); i++) {
		x = i ? k : p;
		if (x == p && !p->uid && !lapsed)
			fmt = "%s has no certified user ID";
		else if (x->broken && !lapsed)
			fmt = "%s could not be checked: out of memory";
		else if (x->revoked)
			fmt = "%s is revoked";
		else if (x->keyexp && now > x->created + x->keyexp) {
			fmt = "%s expired at %s";
			when = when_utc(x->created + x->keyexp, a);
		}
	}
	if (!fmt && lapsed) {
		return 0;
	} else if (!fmt && k != p && k->sigtime < 0) {
		fmt = "%s has no valid binding signature";
		x = k;
	} else if (!fmt && ((k->flags >= 0 && !(k->flags & 0x02)) || (k != p &&
	    !k->backsig))) {
		fmt = "%s cannot sign";
		x = k;
	}
	if (!fmt)
		return 0;
	hex_str(p->fpr, 20, f, 1);
	hex_str(x->fpr, 20, sf, 1);
	if (x == p)
		snprintf(name, sizeof(name), "key %s", f);
	else
		snprintf(name, sizeof(name), "subkey %s of %s", sf, f);
	*why = ar_reason(a, NULL, fmt, name, when);
	return -1;
}

/* == 26. signedBy: simple signing and lookaside ==========================
 * GPG "simple signing" as containers/image verifies it: signatures from
 * the lookaside store (containers-registries.d(5)), each an OpenPGP
 * message (RFC 4880: one-pass signature, literal data, signature, maybe
 * ZIP/ZLIB-compressed) checked against the keyrings of the policy.  The
 * JSON payload is read only once the signature over it has verified. */

enum { KeyGPG, KeySignedByGPG, KeyX509, KeySignedByX509 };	/* keyType */

typedef struct {		/* a simple-signing message's parts */
	const unsigned char *ops;	/* one-pass signature body */
	Str data;		/* literal data: the payload */
	PgpSig sig;
	int nops, nlit, nsig, compressed;
} SsMsg;

typedef struct {		/* the image's lookaside signatures */
	int state;		/* 1 once fetched */
	const char *base;	/* lookaside URL */
	Str *blob;
	int n;
} SsSigs;

static const char *keytypes[] = {	/* by KeyGPG… */
	"GPGKeys", "signedByGPGKeys", "X509Certificates", "signedByX509CAs"
};

enum { SbType, SbKeyType, SbKeyPath, SbKeyPaths, SbKeyData, SbIdent };
static const Field sbfields[] = {
	/* key                     type */
	[SbType] =     { "type",           JSMN_STRING },
	[SbKeyType] =  { "keyType",        JSMN_STRING },
	[SbKeyPath] =  { "keyPath",        JSMN_STRING },
	[SbKeyPaths] = { "keyPaths",       JSMN_ARRAY },
	[SbKeyData] =  { "keyData",        JSMN_STRING },
	[SbIdent] =    { "signedIdentity", JSMN_OBJECT },
};

/* signedBy's members: a key type, one key source, signedIdentity */
static int
ss_load(const Json *j, const int *v, Req *r, Arena *a, Err *e)
{
	int k;

	if (v[SbKeyType] < 0)
		return fail(e, ExitConfig, "%s: %s: \"keyType\" is missing",
		    j->file, r->at);
	for (k = 0; k < (int)LEN(keytypes) && !json_eq(j, v[SbKeyType],
	    keytypes[k]); k++)
		;
	if (k == (int)LEN(keytypes))
		return fail(e, ExitConfig, "%s: %s.keyType: unknown key type "
		    "%s", j->file, r->at, ar_quote(a, j->s +
		    j->t[v[SbKeyType]].start, (size_t)(j->t[v[SbKeyType]].end -
		    j->t[v[SbKeyType]].start), e));
	r->keytype = k;
	if ((v[SbKeyPath] >= 0) + (v[SbKeyPaths] >= 0) +
	    (v[SbKeyData] >= 0) != 1)
		return fail(e, ExitConfig, "%s: %s: exactly one of keyPath, "
		    "keyPaths and keyData must be given", j->file, r->at);
	if (pol_keys(j, v + SbKeyPath, sbfields + SbKeyPath, 3, r, &r->keys,
	    &r->nkeys, a, e) < 0)
		return -1;
	return pol_signed(j, v[SbIdent], r, a, e);
}

/* The packets of a message, into m (RFC 4880 §11.3 as containers/image
 * accepts it: optionally compressed, one-pass signature, literal data,
 * signature).  0, or -1 with why. */
static int
ss_packets(Cur *c, int depth, SsMsg *m, Arena *a, const char **why)
{
	const unsigned char *p;
	Str body, inner;
	int tag, got;
	Cur ic;

	while ((got = pgp_next(c, &tag, &body, a)) > 0) {
		p = (const unsigned char *)body.p;
		if (m->nsig && tag != 10 && tag != 21) {
			*why = "not a signature: trailing data after the "
			    "signature";
			return -1;
		}
		switch (tag) {
		case 10:	/* marker */
		case 21:	/* padding */
			continue;
		case 1: case 3: case 9: case 18: case 20:
			*why = "not a signature: an encrypted message";
			return -1;
		case 8:
			if (depth >= 2 || m->nops || m->nlit || m->nsig) {
				*why = "not a signature: misplaced compressed data";
				return -1;
			}
			if (inf_packet(p, body.n, a, &inner, why) < 0)
				return -1;
			ic.p = (const unsigned char *)inner.p;
			ic.end = ic.p + inner.n;
			if (ss_packets(&ic, depth + 1, m, a, why) < 0)
				return -1;
			m->compressed = 1;
			continue;
		case 4:
			if (m->nops++ || m->nlit || body.n != 13 || p[0] != 3) {
				*why = "not a signature: more than one or a "
				    "malformed one-pass signature";
				return -1;
			}
			if (!p[12]) {
				*why = "not a signature: nested signatures";
				return -1;
			}
			m->ops = p;
			continue;
		case 11:
			if (m->nlit++ || body.n < 6 || (size_t)p[1] + 6 > body.n) {
				*why = "not a signature: more than one or a "
				    "malformed literal packet";
				return -1;
			}
			m->data.p = (char *)p + 6 + p[1];
			m->data.n = body.n - 6 - p[1];
			continue;
		case 2:
			if (!m->nlit || m->nsig++) {
				*why = m->nlit ? "not a signature: more than one "
				    "signature" : "not a signature: signature "
				    "before the data";
				return -1;
			}
			if (pgp_sig(&m->sig, &body, why) < 0)
				return -1;
			continue;
		default:
			*why = "not a signature: unexpected packet";
			return -1;
		}
	}
	if (got < 0) {
		*why = m->nsig ? "not a signature: trailing data after the "
		    "signature" : "not a signature: corrupt packet framing";
		return -1;
	}
	if (m->nsig && c->p != c->end) {
		*why = "not a signature: trailing data";
		return -1;
	}
	return 0;
}

/* One lookaside blob (simple-signing.md §2-§8) against keyring r: 1 with
 * the signer's primary fingerprint in *signer and the signed payload, or
 * 0 and why. */
static int
ss_verify(const Keyring *r, const Str *blob, long long now, Arena *a,
    Str *payload, const char **signer, const char **why)
{
	static const char *hashes[] = { "", "MD5", "SHA1", "RIPEMD160", "", "",
	    "", "", "SHA256", "SHA384", "SHA512", "SHA224", "SHA3-256", "",
	    "SHA3-512" };
	const unsigned char *b = (const unsigned char *)blob->p, *nl, *id;
	const char *bad = NULL;
	char kid[17], f[41];
	const PgpKey *k;
	unsigned char cr = '\r';
	size_t i;
	SsMsg m;
	Cur c;
	Md h;
	int j, v;

	memset(&m, 0, sizeof(m));
	c.p = b;
	c.end = b + blob->n;
	if (blob->n && b[0] == 0) {	/* "\0simple-signing\n" framing */
		nl = memchr(b, '\n', blob->n);
		if (nl && nl - b == 15 && !memcmp(b + 1, "simple-signing", 14))
			c.p = nl + 1;
		else if (nl && nl - b == 14 && !memcmp(b + 1, "sigstore-json",
		    13)) {
			*why = "a sigstore signature, not simple signing";
			return 0;
		}
	}
	if (c.p == c.end || !strchr("\xa0\xa1\xa2\xa3\xc8\x90\x91\x92\xc4\x88"
	    "\x89\x8a\x8b\xc2", *c.p)) {
		*why = "unrecognized signature format";
		return 0;
	}
	if (ss_packets(&c, 0, &m, a, why) < 0)
		return 0;
	if (!m.nops || !m.nlit || !m.nsig) {
		*why = m.nlit && !m.nsig ? "not a signature: literal data without "
		    "a signature" : "not a signature: incomplete message";
		return 0;
	}
	if (m.ops[1] != m.sig.type || m.ops[2] != m.sig.hash || m.ops[3] !=
	    m.sig.alg || (m.sig.hasissuer && memcmp(m.ops + 4, m.sig.issuer,
	    8))) {
		*why = "not a signature: one-pass and signature packets differ";
		return 0;
	}
	if (m.sig.type > 1) {
		*why = "not a signature: not a document signature";
		return 0;
	}
	if (pgp_md(m.sig.hash, 0) == MdNone) {
		*why = ar_reason(a, NULL, "unsupported hash algorithm "
		    "%s", m.sig.hash < (int)LEN(hashes) && *hashes[m.sig.hash] ?
		    hashes[m.sig.hash] : "unknown");
		return 0;
	}
	id = m.sig.hasissuer ? m.sig.issuer : m.ops + 4;
	hex_str(id, 8, kid, 1);
	for (j = 0; j < r->n; j++) {
		k = &r->k[j];
		if (memcmp(k->id, id, 8) && !(m.sig.hasifpr && !memcmp(k->fpr,
		    m.sig.ifpr, 20)))
			continue;
		hex_str((k->primary < 0 ? k : &r->k[k->primary])->fpr, 20, f, 1);
		if ((v = md_begin(&h, pgp_md(m.sig.hash, 0))) < 0)
			break;
		if (m.sig.type == 0) {
			md_add(&h, m.data.p, m.data.n);
		} else {	/* canonical text: LF becomes CR LF */
			for (i = 0; i < m.data.n; i++) {
				if (m.data.p[i] == '\n' && (i == 0 ||
				    m.data.p[i - 1] != '\r'))
					md_add(&h, &cr, 1);
				md_add(&h, m.data.p + i, 1);
			}
		}
		if ((v = pgp_check(k, &m.sig, &h)) == -1) {
			bad = ar_reason(a, NULL, "bad signature by %s", f);
			continue;
		}
		if (v < 0)
			break;
		if (m.sig.critical >= 0)
			*why = ar_reason(a, NULL, "signature by %s has an "
			    "unknown critical subpacket %d", f, m.sig.critical);
		else if (m.sig.version == 4 && !m.sig.hascreated)
			*why = "signature without a creation time";
		else if (pgp_usable(r, k, now, 0, a, why) < 0)
			;
		else if (k->created > m.sig.created || k->created > now)
			*why = ar_reason(a, NULL, "key %s is newer than "
			    "the signature", f);
		else if (m.sig.expires && now > m.sig.created + m.sig.expires)
			*why = ar_reason(a, NULL, "signature expired at "
			    "%s", when_utc(m.sig.created + m.sig.expires, a));
		else if (!(*signer = ar_printf(a, NULL, "%s", f)))
			*why = NOMEM;
		else {
			*payload = m.data;
			return 1;
		}
		return 0;
	}
	if (j < r->n)	/* md_begin or pgp_check: out of memory */
		*why = ar_reason(a, NULL, "signature by %s could not be "
		    "checked: out of memory", f);
	else
		*why = bad ? bad : ar_reason(a, NULL, "unknown key %s",
		    kid);
	return 0;
}

/* The lookaside signatures of the image (simple-signing.md §11), once per
 * run: <base>/<repository>@<alg>=<hex>/signature-N for N = 1, 2, … until
 * the first missing one.  Over http(s) no credentials are sent; a missing
 * one is 404 (file: ENOENT); anything else is an error.  As in
 * containers/image, that path joins the base URL's path: a query stays at
 * the end over http(s) and is ignored by file:, a fragment is dropped. */
static int
ss_fetch(Run *run, SsSigs *s, Err *e)
{
	HttpReq hq = { .lim = LIMIT_INIT(MAX_BLOB_BYTES), .what = "lookaside" };
	Arena *a = run->a;
	const char *look, *path;
	char *url, *p, *q;
	Err sub = { 0, "" };
	int attach, n, file;
	size_t plen, qlen;
	Resp r;
	Str f;

	if (s->state)
		return 0;
	if (run_regd(run, e) < 0 || regd_find(&run->regd, run->ref,
	    run->digest, &look, &attach, e) < 0)
		return -1;
	s->state = 1;
	s->base = look;
	file = !strncmp(look, "file://", 7);
	plen = strcspn(look, "?#");
	qlen = look[plen] == '?' && !file ? strcspn(look + plen, "#") : 0;
	for (n = 1; n <= MAX_LOOKASIDE + 1; n++) {
		if (!(url = ar_printf(a, e, "%.*s/%s@%.*s=%s/signature-%d%.*s",
		    (int)plen, look, run->ref->name + run->ref->domlen + 1,
		    (int)strcspn(run->digest, ":"), run->digest, strchr(
		    run->digest, ':') + 1, n, (int)qlen, look + plen)))
			return -1;
		if (file) {
			/* the host is ignored; %XX decoded */
			path = url + 7 + strcspn(url + 7, "/");
			for (p = q = (char *)path; *p; p++, q++)
				if (*p == '%' && isxdigit((unsigned char)p[1]) &&
				    isxdigit((unsigned char)p[2])) {
					*q = (char)strtol((char[3]){ p[1], p[2],
					    0 }, NULL, 16);
					p += 2;
				} else
					*q = *p;
			*q = '\0';
			if (access(path, F_OK) < 0 && errno == ENOENT)
				break;
			if (file_read(a, path, MAX_BLOB_BYTES, &f, &sub) < 0)
				return fail(e, ExitUndecided, "lookaside: %s",
				    sub.msg);
		} else {
			run->net->plainok = 1;	/* signatures prove themselves */
			hq.url = url;
			n = http_get(run->net, &hq, &r, e) < 0 ? -1 : n;
			run->net->plainok = 0;
			if (n < 0)
				return -1;
			if (r.status == 404)
				break;
			if (r.status != 200)
				return fail(e, ExitUndecided, "lookaside %s: HTTP "
				    "%d", url, r.status);
			f = r.body;
		}
		if (n > MAX_LOOKASIDE)
			return fail(e, ExitUndecided, "lookaside %s: more than "
			    "MAX_LOOKASIDE (%d) signatures", look,
			    MAX_LOOKASIDE);
		if (!s->n && !(s->blob = ar_alloc(a, MAX_LOOKASIDE *
		    sizeof(Str), e)))
			return -1;
		s->blob[s->n++] = f;
	}
	logv("lookaside %s: %d signature%s", look, s->n, s->n == 1 ? "" : "s");
	return 0;
}

/* The keyrings of a signedBy requirement, into r: all its key material
 * merged by primary fingerprint, then judged at time now (configuration
 * errors for unreadable files and keyrings without a usable key). */
static int
ss_keyring(Keyring *r, const Req *q, const char *file, long long now,
    Arena *a, Err *e)
{
	Err sub = { 0, "" };
	const char *why, *at = "";
	Str f, ring;
	int k, i, usable = 0;

	r->n = r->ns = r->small = 0;
	for (k = 0; k < q->nkeys; k++) {
		f.p = (char *)q->keys[k].data;
		f.n = q->keys[k].len;
		if (q->keys[k].path && file_read(a, q->keys[k].path,
		    MAX_KEY_BYTES, &f, &sub) < 0)
			return fail(e, ExitConfig, "%s: %s: %s", file,
			    q->keys[k].at, sub.msg);
		if (warns.a && !(at = ar_printf(a, NULL, "%s: %s%s%s", file,
		    q->keys[k].at, q->keys[k].path ? ": " : "", q->keys[k].path ?
		    q->keys[k].path : "")))
			at = NOMEM;
		if (pgp_dearmor(f.p, f.n, a, &ring, &why) < 0 || pgp_keyring(r,
		    &ring, at, a, &why) < 0)
			return fail(e, ExitConfig, "%s: %s%s%s: %s", file,
			    q->keys[k].at, q->keys[k].path ? ": " : "",
			    q->keys[k].path ? q->keys[k].path : "", why);
	}
	pgp_judge(r, now);
	for (i = 0; i < r->n; i++)
		usable += r->k[i].primary < 0 && r->k[i].uid;
	if (!usable)
		return fail(e, ExitConfig, "%s: %s%s%s: no usable public key%s",
		    file, q->keys[0].at, q->nkeys == 1 && q->keys[0].path ?
		    ": " : "", q->nkeys == 1 && q->keys[0].path ?
		    q->keys[0].path : "", r->small ? ar_reason(a, NULL, " (%d "
		    "RSA key%s below MIN_RSA_BITS (%d) skipped)", r->small,
		    r->small == 1 ? "" : "s", MIN_RSA_BITS) : "");
	/* -check: keys that will never verify, one warning each */
	for (i = 0; warns.a && i < r->n; i++)
		if (pgp_usable(r, &r->k[i], now, 1, a, &why) < 0)
			warn("%s: %s%s%s: %s", file, q->keys[0].at, q->nkeys ==
			    1 && q->keys[0].path ? ": " : "", q->nkeys == 1 &&
			    q->keys[0].path ? q->keys[0].path : "", why);
	return 0;
}

static void
ss_keyring_free(Keyring *r)
{
	int i;

	for (i = 0; i < r->n; i++)
		cry_pk_free(&r->k[i].pk);
	r->n = r->ns = 0;
}

static Keyring ssring;	/* one signedBy's keys (large: not on the stack) */

/* signedBy's keyrings, loaded and dropped: GPGKeys only */
static int
ss_trust(Run *run, const Req *q, Err *e)
{
	int r;

	if (q->keytype != KeyGPG)
		return 0;
	r = ss_keyring(&ssring, q, run->policyfile, (long long)time(NULL),
	    run->a, e);
	ss_keyring_free(&ssring);
	return r;
}

/* signedBy (GPGKeys): the keyrings first (configuration errors), then
 * the lookaside signatures, each tried in turn */
static int
ss_judge(Run *run, const Req *q, Result *res, Err *e)
{
	Keyring *r = &ssring;
	Arena *a = run->a;
	const char *why, *signer = "", *list = "";
	long long now = (long long)time(NULL);
	SsSigs *s;
	int i, rc = -1;
	Str p;

	if (q->keytype != KeyGPG) {
		res->detail = "only keyType GPGKeys is implemented "
		    "(containers/image rejects the others too)";
		return 0;
	}
	if (ss_keyring(r, q, run->policyfile, now, a, e) < 0 || !(s =
	    run_state(run, q->type, sizeof(*s), e)) || ss_fetch(run, s, e) < 0)
		goto out;
	rc = 0;
	/* the built-in lookaside is local: registries.d was forgotten */
	if (!s->n)
		res->detail = ar_reason(a, e, "no signature: none at %s%s%.*s%s",
		    s->base, strcmp(s->base, REGD_LOOKASIDE) ? "" : ": set "
		    "lookaside for ", strcmp(s->base, REGD_LOOKASIDE) ? 0 :
		    (int)run->ref->domlen, run->ref->name, strcmp(s->base,
		    REGD_LOOKASIDE) ? "" : " in registries.d");
	for (i = 0; i < s->n; i++) {
		if (ss_verify(r, &s->blob[i], now, a, &p, &signer, &why) &&
		    pay_judge(run, q, &p, SS_TYPE, run->digest, &why)) {
			res->ok = 1;
			res->detail = ar_reason(a, e, "signature %d of %d "
			    "verified, signed by %s, %s", i + 1, s->n, signer,
			    why);
			break;
		}
		pay_tried(res, a, e, i, s->n, why, &list);
	}
	if (e->code)
		rc = -1;	/* out of memory, in e */
out:
	ss_keyring_free(r);
	return rc;
}

/* == 27. Crypto: DER and RFC 3161 timestamps (CMS) =======================
 * A strict DER reader (exact tags, definite minimal lengths, nothing left
 * over) for what mbedTLS does not parse: RFC 3161 time-stamp tokens, CMS
 * SignedData (RFC 5652) carrying a TSTInfo, checked against the roots of a
 * time-stamping authority at the time the token states.  Certificates,
 * keys and signatures go through mbedTLS; every length is checked before
 * it is read. */

typedef struct {		/* DER: the bytes [p, end) */
	const unsigned char *p, *end;
	const unsigned char *tlv;	/* the element's first byte (its tag) */
} Der;

/* The next element of d, whose tag must be tag: its contents into *in,
 * d past it.  0, or -1 if it is another tag or not DER. */
static int
der_get(Der *d, int tag, Der *in)
{
	const unsigned char *p = d->p;
	size_t n, k, len = 0;

	if (d->end - p < 2 || *p != tag)
		return -1;
	n = p[1];
	p += 2;
	if (n & 0x80) {
		k = n & 0x7f;
		if (k < 1 || k > 4 || (size_t)(d->end - p) < k || !*p)
			return -1;
		while (k--)
			len = len << 8 | *p++;
		if (len < 0x80)
			return -1;	/* the short form was due */
		n = len;
	}
	if ((size_t)(d->end - p) < n)
		return -1;
	in->tlv = d->p;
	in->p = p;
	in->end = d->p = p + n;
	return 0;
}

/* an OPTIONAL element: 1 read, 0 absent (in untouched), -1 malformed */
static int
der_opt(Der *d, int tag, Der *in)
{
	if (d->p >= d->end || *d->p != tag)
		return 0;
	return der_get(d, tag, in) < 0 ? -1 : 1;
}

/* are in's contents the OID (DER contents, no NUL) oid? */
static int
der_is(const Der *in, const char *oid)
{
	size_t n = strlen(oid);

	return (size_t)(in->end - in->p) == n && !memcmp(in->p, oid, n);
}

/* a small non-negative INTEGER, minimally encoded */
static int
der_uint(Der *d, long *v)
{
	Der x;

	if (der_get(d, 0x02, &x) < 0 || x.p == x.end || x.end - x.p > 4 ||
	    (*x.p & 0x80) || (x.end - x.p > 1 && !*x.p && !(x.p[1] & 0x80)))
		return -1;
	for (*v = 0; x.p < x.end; x.p++)
		*v = *v << 8 | *x.p;
	return 0;
}

/* a hash AlgorithmIdentifier (parameters absent or NULL): MdSha256,
 * MdSha384 or MdSha512; MdNone for any other or a malformed one */
static int
der_hash(Der *d)
{
	static const char *const oid[] = {
		"\x60\x86\x48\x01\x65\x03\x04\x02\x01",
		"\x60\x86\x48\x01\x65\x03\x04\x02\x02",
		"\x60\x86\x48\x01\x65\x03\x04\x02\x03"
	};
	Der s, o, nul;
	int k;

	if (der_get(d, 0x30, &s) < 0 || der_get(&s, 0x06, &o) < 0 ||
	    (der_opt(&s, 0x05, &nul) && nul.p != nul.end) || s.p != s.end)
		return MdNone;
	for (k = 0; k < 3 && !der_is(&o, oid[k]); k++)
		;
	return k < 3 ? MdSha256 + k : MdNone;
}

/* data's hash of type md (MdSha256…) into h; its length */
static size_t
der_sum(int md, const void *data, size_t n, unsigned char *h)
{
	return sha_raw(md == MdSha256 ? 256 : md == MdSha384 ? 384 : 512, data,
	    n, h);
}

/* Extension oid of c, strictly: 1 with its value (the OCTET STRING's
 * contents) and whether it is critical, 0 absent, -1 malformed or twice */
static int
der_ext(const Cert *c, const char *oid, Der *v, int *crit)
{
	Der d, all, ext, o, b, val;
	int found = 0;

	if (!c->v3_ext.p)
		return 0;	/* a v1 certificate */
	d.p = c->v3_ext.p;
	d.end = d.p + c->v3_ext.len;
	if (der_get(&d, 0x30, &all) < 0 || d.p != d.end)
		return -1;
	while (all.p < all.end) {
		b.p = b.end = NULL;
		if (der_get(&all, 0x30, &ext) < 0 || der_get(&ext, 0x06, &o) <
		    0 || der_opt(&ext, 0x01, &b) < 0 || der_get(&ext, 0x04,
		    &val) < 0 || ext.p != ext.end)
			return -1;
		if (!der_is(&o, oid))
			continue;
		if (found++)
			return -1;
		*v = val;
		*crit = b.end - b.p == 1 && *b.p == 0xff;
	}
	return found;
}

/* Unix seconds of a UTC date and time from 1970 on, -1 if a field is out
 * of its range */
static long long
cry_utc(int y, int mo, int d, int h, int mi, int s)
{
	mbedtls_x509_time t;

	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
		return -1;
	t.year = y;
	t.mon = mo;
	t.day = d;
	t.hour = h;
	t.min = mi;
	t.sec = s;
	return cry_time(&t);
}

/* GeneralizedTime YYYYMMDDHHMMSS[.f…]Z as Unix seconds, the fraction
 * dropped; -1 if it is not one */
static long long
der_time(const Der *g)
{
	const unsigned char *s = g->p;
	size_t n = (size_t)(g->end - g->p), k;
	int v[7];

	if (n < 15 || s[n - 1] != 'Z' || (n > 15 && (n < 17 || s[14] != '.')))
		return -1;
	for (k = 0; k + 1 < n; k++)
		if (k != 14 && !isdigit(s[k]))
			return -1;
	for (k = 0; k < 7; k++)
		v[k] = (s[2 * k] - '0') * 10 + s[2 * k + 1] - '0';
	return cry_utc(v[0] * 100 + v[1], v[2], v[3], v[4], v[5], v[6]);
}

/* Does sig verify hash h (of type md) with pk: ECDSA in strict DER, or
 * RSA PKCS#1 v1.5 of the modulus' length?  alg, if not NULL, is the
 * signature AlgorithmIdentifier's OID: it must agree with pk and md. */
static int
der_check(Pk *pk, int md, const unsigned char *h, size_t hn,
    const Der *sig, const Der *alg)
{
	static const struct {
		const char *oid;
		int ec, md;
	} algs[] = {
		{ "\x2a\x86\x48\xce\x3d\x04\x03\x02", 1, MdSha256 },
		{ "\x2a\x86\x48\xce\x3d\x04\x03\x03", 1, MdSha384 },
		{ "\x2a\x86\x48\xce\x3d\x04\x03\x04", 1, MdSha512 },
		{ "\x2a\x86\x48\xce\x3d\x02\x01", 1, MdNone },
		{ "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b", 0, MdSha256 },
		{ "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c", 0, MdSha384 },
		{ "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d", 0, MdSha512 },
		{ "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01", 0, MdNone },
	};
	size_t sl = (size_t)(sig->end - sig->p), k = 0;
	int ec = mbedtls_pk_get_type(pk) == MBEDTLS_PK_ECKEY;

	for (; alg && k < LEN(algs) && !der_is(alg, algs[k].oid); k++)
		;
	if (alg && (k == LEN(algs) || algs[k].ec != ec || (algs[k].md &&
	    algs[k].md != md)))
		return -1;
	if (ec ? !cry_der_sig(sig->p, sl) : mbedtls_pk_get_type(pk) !=
	    MBEDTLS_PK_RSA || sl != cry_key_len(pk))
		return -1;
	return cry_check(pk, md, h, hn, sig->p, sl);
}

/* Is c the certificate sid (IssuerAndSerialNumber) names? */
static int
tsa_signer(const Cert *c, const Der *sid)
{
	Der s = *sid, iss, ser;

	return der_get(&s, 0x30, &iss) == 0 && der_get(&s, 0x02, &ser) == 0 &&
	    c->issuer_raw.len == (size_t)(iss.end - iss.tlv) &&
	    !memcmp(c->issuer_raw.p, iss.tlv, c->issuer_raw.len) &&
	    c->serial.len == (size_t)(ser.end - ser.p) &&
	    !memcmp(c->serial.p, ser.p, c->serial.len);
}

/* The RFC 3161 time-stamp token tok[0..n) (a ContentInfo, or the
 * TimeStampResp holding it with status granted) must time-stamp data:
 * its TSTInfo's message imprint is the SHA-256, -384 or -512 of data; its
 * one SignerInfo signs (ECDSA, or RSA PKCS#1 v1.5, over SHA-2) signed
 * attributes whose content type is TSTInfo and whose message digest is
 * the TSTInfo's; the signer's certificate (embedded in the token, else
 * among inter; named by issuer and serial number) is no CA, has exactly
 * one extended key usage, time stamping, marked critical, and chains
 * through inter and the embedded certificates to roots, every
 * certificate valid at genTime; with listed, roots (and inter, the same)
 * are a trusted root's certChain (CryListed).  The nonce,
 * policy, accuracy and TSA name are not looked at.  0 with genTime (Unix
 * seconds, its fraction dropped) in *gentime, or -1 and why. */
static int
tsa_verify(const unsigned char *tok, size_t n, const void *data, size_t dn,
    Cert *roots, Cert *inter, int listed, long long *gentime, Arena *a,
    const char **why)
{
	static const char oid_sd[] = "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02",
	    oid_tst[] = "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x01\x04",
	    oid_ct[] = "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x03",
	    oid_md[] = "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04";
	Der d, x, y, o, sd, eci, tst, cs, si, sid, attrs, at, vals, alg,
	    sig, mdv, ti, imp, hm;
	unsigned char h[64], *buf;
	const Cert *c, *signer = NULL;
	const char *w;
	long v;
	int md, imd, nct = 0, nmd = 0, crit, k;
	Cert emb, chain;
	size_t hn;

	cry_cert_init(&emb);
	cry_cert_init(&chain);
	mdv.p = mdv.end = NULL;
	*why = "not a DER time-stamp token";
	d.p = tok;
	d.end = tok + n;
	if (der_get(&d, 0x30, &x) < 0 || d.p != d.end)
		goto out;
	if (x.p < x.end && *x.p == 0x30) {	/* a TimeStampResp */
		if (der_get(&x, 0x30, &y) < 0 || der_uint(&y, &v) < 0)
			goto out;
		if (v != 0) {
			*why = "the time-stamp response's status is not "
			    "granted";
			goto out;
		}
		if (der_get(&x, 0x30, &y) < 0 || x.p != x.end)
			goto out;
		x = y;
	}
	/* ContentInfo, SignedData, its encapsulated TSTInfo */
	if (der_get(&x, 0x06, &y) < 0 || !der_is(&y, oid_sd) ||
	    der_get(&x, 0xa0, &y) < 0 || x.p != x.end ||
	    der_get(&y, 0x30, &sd) < 0 || y.p != y.end ||
	    der_uint(&sd, &v) < 0 || der_get(&sd, 0x31, &x) < 0 ||
	    der_get(&sd, 0x30, &eci) < 0 || der_get(&eci, 0x06, &y) < 0 ||
	    !der_is(&y, oid_tst) || der_get(&eci, 0xa0, &y) < 0 ||
	    eci.p != eci.end || der_get(&y, 0x04, &tst) < 0 || y.p != y.end ||
	    (k = der_opt(&sd, 0xa0, &cs)) < 0 || der_opt(&sd, 0xa1, &x) < 0 ||
	    der_get(&sd, 0x31, &x) < 0 || sd.p != sd.end)
		goto out;
	while (k > 0 && cs.p < cs.end)
		if (der_get(&cs, 0x30, &y) < 0 || cry_cert_parse(&emb, y.tlv,
		    (size_t)(y.end - y.tlv)) != 0) {
			*why = "an embedded certificate does not parse";
			goto out;
		}
	if (der_get(&x, 0x30, &si) < 0 || x.p != x.end) {
		*why = "not exactly one SignerInfo";
		goto out;
	}
	/* SignerInfo: version, sid, digest, signed attributes, signature */
	if (der_uint(&si, &v) < 0 || der_get(&si, 0x30, &sid) < 0 || (md =
	    der_hash(&si)) == MdNone || der_get(&si, 0xa0, &attrs) < 0 ||
	    der_get(&si, 0x30, &alg) < 0 || der_get(&alg, 0x06, &y) < 0 ||
	    der_get(&si, 0x04, &sig) < 0 || der_opt(&si, 0xa1, &x) < 0 ||
	    si.p != si.end) {
		*why = "a SignerInfo without signed attributes or a SHA-2 "
		    "digest";
		goto out;
	}
	alg = y;
	for (x = attrs; x.p < x.end;) {
		if (der_get(&x, 0x30, &at) < 0 || der_get(&at, 0x06, &o) < 0 ||
		    der_get(&at, 0x31, &vals) < 0 || at.p != at.end)
			goto out;
		if (der_is(&o, oid_ct) && ++nct && (der_get(&vals, 0x06, &y) <
		    0 || !der_is(&y, oid_tst) || vals.p != vals.end))
			nct = 9;
		if (der_is(&o, oid_md) && ++nmd && (der_get(&vals, 0x04, &mdv) <
		    0 || vals.p != vals.end))
			nmd = 9;
	}
	hn = der_sum(md, tst.p, (size_t)(tst.end - tst.p), h);
	if (nct != 1 || nmd != 1 || (size_t)(mdv.end - mdv.p) != hn ||
	    memcmp(mdv.p, h, hn)) {
		*why = "the signed attributes do not bind the TSTInfo (content "
		    "type, message digest)";
		goto out;
	}
	/* the signer: embedded, else given */
	for (c = &emb; !signer && c && c->raw.p; c = c->next)
		signer = tsa_signer(c, &sid) ? c : NULL;
	for (c = inter; !signer && c && c->raw.p; c = c->next)
		signer = tsa_signer(c, &sid) ? c : NULL;
	if (!signer) {
		*why = "its signer's certificate is neither embedded nor "
		    "trusted";
		goto out;
	}
	/* the signature is over the attributes as a SET OF, tag and all */
	if (!(buf = ar_alloc(a, (size_t)(attrs.end - attrs.tlv), NULL))) {
		*why = NOMEM;
		goto out;
	}
	memcpy(buf, attrs.tlv, (size_t)(attrs.end - attrs.tlv));
	buf[0] = 0x31;
	hn = der_sum(md, buf, (size_t)(attrs.end - attrs.tlv), h);
	if (der_check((Pk *)&signer->pk, md, h, hn, &sig, &alg) != 0) {
		*why = "its signature does not verify with its signer's key";
		goto out;
	}
	/* TSTInfo: version 1, policy, messageImprint, serialNumber, genTime */
	d = tst;
	if (der_get(&d, 0x30, &ti) < 0 || d.p != d.end ||
	    der_uint(&ti, &v) < 0 || v != 1 || der_get(&ti, 0x06, &x) < 0 ||
	    der_get(&ti, 0x30, &imp) < 0 || (imd = der_hash(&imp)) == MdNone ||
	    der_get(&imp, 0x04, &hm) < 0 || imp.p != imp.end ||
	    der_get(&ti, 0x02, &x) < 0 || der_get(&ti, 0x18, &x) < 0 ||
	    (*gentime = der_time(&x)) < 0) {
		*why = "not a TSTInfo of version 1 with a SHA-2 message "
		    "imprint and a genTime";
		goto out;
	}
	hn = der_sum(imd, data, dn, h);
	if ((size_t)(hm.end - hm.p) != hn || memcmp(hm.p, h, hn)) {
		*why = "it time-stamps other data (message imprint)";
		goto out;
	}
	/* the signer's chain at genTime, then the TSA's own rules */
	if (cry_cert_parse(&chain, signer->raw.p, signer->raw.len) != 0 ||
	    cry_append(&chain, &emb, 0) < 0 || cry_append(&chain,
	    listed ? NULL : inter, 0) < 0) {
		*why = NOMEM;
		goto out;
	}
	if (cry_chain(&chain, roots, *gentime, NULL, EkuTimeStamping |
	    (listed ? CryListed : 0), a, &w) < 0) {
		*why = ar_reason(a, NULL, "its signer's certificate: %s", w);
		goto out;
	}
	if (signer->MBEDTLS_PRIVATE(ca_istrue) || der_ext(signer,
	    "\x55\x1d\x25", &x, &crit) != 1 || !crit || der_get(&x, 0x30, &y) <
	    0 || x.p != x.end || der_get(&y, 0x06, &x) < 0 || y.p != y.end ||
	    !der_is(&x, MBEDTLS_OID_TIME_STAMPING)) {
		*why = "its signer's certificate is a CA or lacks the one "
		    "critical extended key usage time stamping";
		goto out;
	}
	*why = NULL;
out:
	cry_cert_free(&emb);
	cry_cert_free(&chain);
	return *why ? -1 : 0;
}

/* == 28. Crypto: Sigstore log keys and certificate transparency ==========
 * The keys of trusted_root.json's logs (ECDSA, RSA, Ed25519 from their
 * SubjectPublicKeyInfo DER), signatures by them, and the SCTs Fulcio
 * embeds in its certificates (RFC 6962 §3.2: the precertificate is the
 * certificate without its SCT list, rebuilt here byte for byte). */

typedef struct {		/* a log's key (trusted_root.json) */
	Pk pk;			/* ECDSA or RSA */
	unsigned char ed[32];	/* Ed25519 (mbedTLS has none) */
	int ed25519, ready;
	const unsigned char *spki;	/* its DER, for key IDs */
	size_t spkin;
} LogKey;

typedef struct {		/* a Rekor or CT log of trusted_root.json */
	LogKey key;
	const char *url;	/* baseUrl */
	unsigned char id[32];	/* logId.keyId */
	long long from, until;	/* validFor, Unix seconds, both included */
} Log;

/* a certificate from DER, appended to c; 0 or -1 */
static int
cry_cert_der(Cert *c, const unsigned char *der, size_t n)
{
	return cry_cert_parse(c, der, n) == 0 ? 0 : -1;
}

/* the certificate among inter, then roots, that issued leaf (by name) */
static const Cert *
cry_cert_issuer(const Cert *leaf, const Cert *inter, const Cert *roots)
{
	const Cert *c;
	int k;

	for (k = 0; k < 2; k++)
		for (c = k ? roots : inter; c && c->raw.p; c = c->next)
			if (c->subject_raw.len == leaf->issuer_raw.len &&
			    !memcmp(c->subject_raw.p, leaf->issuer_raw.p,
			    c->subject_raw.len))
				return c;
	return NULL;
}

/* is t (Unix seconds) within c's validity, both ends included? */
static int
cry_cert_valid(const Cert *c, long long t)
{
	return cry_time(&c->valid_from) <= t && t <= cry_time(&c->valid_to);
}

static int
log_rsa(const LogKey *k)
{
	return !k->ed25519 && mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_RSA;
}

/* keyDetails (trusted_root.json's name) of pk, as Rekor v2 logs it, and
 * its hash (Md*); NULL for a key Rekor v2 cannot log */
static const char *
log_details(const Pk *pk, int *md)
{
	static char name[48];
	size_t bits = mbedtls_pk_get_bitlen(pk);

	*md = MdSha256;
	if (mbedtls_pk_get_type(pk) == MBEDTLS_PK_RSA)
		snprintf(name, sizeof(name), "PKIX_RSA_PKCS1V15_%zu_SHA256",
		    bits);
	else if (bits == 256 || bits == 384 || bits == 521)
		snprintf(name, sizeof(name), "PKIX_ECDSA_P%zu_SHA_%d", bits,
		    (*md = bits == 256 ? MdSha256 : bits == 384 ? MdSha384 :
		    MdSha512) == MdSha256 ? 256 : bits == 384 ? 384 : 512);
	else
		return NULL;
	return name;
}

/* The key of SubjectPublicKeyInfo spki: Ed25519 (its fixed 12-byte
 * prefix), ECDSA P-256, P-384 or P-521, or RSA of MIN_RSA_BITS or more;
 * its kind must be what details (keyDetails) names.  0, or -1. */
static int
log_key(LogKey *k, const unsigned char *spki, size_t n, const char *details)
{
	static const unsigned char ed[] = {
		0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03,
		    0x21,
		0x00
	};
	const char *d;
	int md, rsa;

	memset(k, 0, sizeof(*k));
	mbedtls_pk_init(&k->pk);
	k->ready = 1;
	k->spki = spki;
	k->spkin = n;
	if (n == 44 && !memcmp(spki, ed, sizeof(ed))) {
		memcpy(k->ed, spki + 12, 32);
		k->ed25519 = 1;
		return strcmp(details, "PKIX_ED25519") ? -1 : 0;
	}
	if (mbedtls_pk_parse_public_key(&k->pk, spki, n) != 0)
		return -1;
	if ((rsa = log_rsa(k)) && mbedtls_pk_get_bitlen(&k->pk) < MIN_RSA_BITS)
		return -1;
	if (!rsa)
		switch (mbedtls_pk_ec(k->pk)->MBEDTLS_PRIVATE(grp).id) {
		case MBEDTLS_ECP_DP_SECP256R1:
		case MBEDTLS_ECP_DP_SECP384R1:
		case MBEDTLS_ECP_DP_SECP521R1:
			break;
		default:
			return -1;	/* brainpool has the same sizes */
		}
	if (rsa && (!strcmp(details, "PKCS1_RSA_PKCS1V5") || !strcmp(details,
	    "PKIX_RSA_PKCS1V5")))
		return 0;	/* deprecated names, any size */
	return (d = log_details(&k->pk, &md)) && !strcmp(d, details) ? 0 : -1;
}

static void
log_key_free(LogKey *k)
{
	if (k->ready)
		mbedtls_pk_free(&k->pk);
	k->ready = 0;
}

/* Does sig verify over msg with k: Ed25519 (pure), ECDSA (strict DER)
 * over its curve's hash (P-256: SHA-256, P-384: SHA-384, P-521:
 * SHA-512), RSA PKCS#1 v1.5 over SHA-256?  0 if so. */
static int
log_verify(const LogKey *k, const void *msg, size_t n,
    const unsigned char *sig, size_t sl)
{
	size_t bits = mbedtls_pk_get_bitlen(&k->pk);
	int md = MdSha256;
	unsigned char h[64];
	Der s;

	if (mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_ECKEY)
		md = bits == 384 ? MdSha384 : bits == 521 ? MdSha512 : MdSha256;
	if (k->ed25519)
		return sl == 64 ? ed25519_verify(k->ed, msg, n, sig) : -1;
	s.p = sig;
	s.end = sig + sl;
	return der_check((Pk *)&k->pk, md, h, der_sum(md, msg, n, h), &s,
	    NULL) == 0 ? 0 : -1;
}

/* a DER header (tag, minimal length) for len bytes into out; its size */
static size_t
der_head(unsigned char *out, int tag, size_t len)
{
	size_t k = 0, i;

	out[0] = (unsigned char)tag;
	if (len < 0x80) {
		out[1] = (unsigned char)len;
		return 2;
	}
	for (i = len; i; i >>= 8)
		k++;
	out[1] = (unsigned char)(0x80 | k);
	for (i = 0; i < k; i++)
		out[2 + i] = (unsigned char)(len >> 8 * (k - 1 - i));
	return 2 + k;
}

/* The precertificate TBS of leaf (RFC 6962 §3.2): its TBSCertificate
 * without the SCT list extension at [x, xe), lengths re-encoded; in the
 * arena.  NULL if it cannot be rebuilt. */
static unsigned char *
ct_tbs(const Cert *leaf, const unsigned char *x, const unsigned char *xe,
    Arena *a, size_t *n)
{
	const unsigned char *t = leaf->tbs.p, *te = t + leaf->tbs.len;
	Der d, tbs, v, exts, all;
	unsigned char *out, h3[6], hs[6], ht[6];
	size_t drop = (size_t)(xe - x), ls, l3, lt, pre, k;

	d.p = t;
	d.end = te;
	if (der_get(&d, 0x30, &tbs) < 0 || d.p != d.end)
		return NULL;
	for (v = tbs; v.p < v.end && *v.p != 0xa3;)	/* to [3] extensions */
		if (der_get(&v, *v.p, &exts) < 0)
			return NULL;
	pre = (size_t)(v.p - tbs.p);
	if (der_get(&v, 0xa3, &exts) < 0 || v.p != v.end ||
	    der_get(&exts, 0x30, &all) < 0 || exts.p != exts.end ||
	    x < all.p || xe > all.end)
		return NULL;
	ls = (size_t)(all.end - all.p) - drop;
	l3 = der_head(hs, 0x30, ls) + ls;
	lt = pre + der_head(h3, 0xa3, l3) + l3;
	k = der_head(ht, 0x30, lt);
	if (!(out = ar_alloc(a, k + lt, NULL)))
		return NULL;
	memcpy(out, ht, k);
	memcpy(out + k, tbs.p, pre);
	k += pre;
	k += der_head(out + k, 0xa3, l3);
	k += der_head(out + k, 0x30, ls);
	memcpy(out + k, all.p, (size_t)(x - all.p));
	k += (size_t)(x - all.p);
	memcpy(out + k, xe, (size_t)(all.end - xe));
	*n = k + (size_t)(all.end - xe);
	return out;
}

/* The SCTs embedded in leaf (issued by issuer) against the CT logs
 * (nlogs of them, at most MAX_ROOT_ENTRIES; an SCT counts only within
 * its log's validity): how many distinct logs signed one, or -1 and why
 * when none did. */
static int
ct_verify(const Cert *leaf, const Cert *issuer, const Log *logs, int nlogs,
    Arena *a, const char **why)
{
	static const char oid[] = "\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x02";
	const unsigned char *p, *end, *s, *x = NULL, *xe = NULL;
	unsigned char ikh[32], *tbs = NULL, *msg, seen[MAX_ROOT_ENTRIES] = { 0
	    };
	size_t tn = 0, sl, el, gl, m;
	unsigned long long ms;
	int crit, k, n = 0;
	Der v, o, all, ext;

	*why = "no embedded SCT";
	if (!issuer || der_ext(leaf, oid, &v, &crit) != 1 || der_get(&v, 0x04,
	    &o) < 0 || v.p != v.end || o.end - o.p < 2)
		return -1;
	/* where the extension sits, for the precertificate */
	all.p = leaf->v3_ext.p;
	all.end = all.p + leaf->v3_ext.len;
	if (der_get(&all, 0x30, &v) < 0)
		return -1;
	while (v.p < v.end && der_get(&v, 0x30, &ext) == 0)
		if (der_get(&ext, 0x06, &all) == 0 && der_is(&all, oid))
			x = ext.tlv, xe = ext.end;
	if (!x || !(tbs = ct_tbs(leaf, x, xe, a, &tn)) || !(msg = ar_alloc(a,
	    tn + 64 + (1 << 16), NULL)) || sha_raw(256, issuer->pk_raw.p,
	    issuer->pk_raw.len, ikh) != 32) {
		*why = "the precertificate cannot be rebuilt";
		return -1;
	}
	p = o.p + 2;
	end = o.end;
	if ((size_t)(o.p[0] << 8 | o.p[1]) != (size_t)(end - p)) {
		*why = "a malformed SCT list";
		return -1;
	}
	*why = "no SCT by a CT log of the trusted root";
	for (; end - p >= 2; p += 2 + sl) {
		sl = (size_t)(p[0] << 8 | p[1]);
		s = p + 2;
		if (sl > (size_t)(end - s) || sl < 47 || s[0] != 0)
			break;	/* only v1 SCTs */
		el = (size_t)(s[41] << 8 | s[42]);
		if (47 + el > sl)
			break;
		gl = (size_t)(s[45 + el] << 8 | s[46 + el]);
		if (47 + el + gl != sl || s[43 + el] != 4)
			continue;	/* SHA-256 only */
		for (ms = 0, m = 33; m < 41; m++)
			ms = ms << 8 | s[m];
		for (k = 0; k < nlogs && memcmp(logs[k].id, s + 1, 32); k++)
			;
		if (k == nlogs || seen[k] || (long long)(ms / 1000) <
		    logs[k].from || (long long)(ms / 1000) > logs[k].until)
			continue;
		/* digitally-signed struct of RFC 6962 §3.2 */
		m = 0;
		msg[m++] = 0;
		msg[m++] = 0;
		memcpy(msg + m, s + 33, 8);
		m += 8;
		msg[m++] = 0;
		msg[m++] = 1;
		memcpy(msg + m, ikh, 32);
		m += 32;
		msg[m++] = (unsigned char)(tn >> 16);
		msg[m++] = (unsigned char)(tn >> 8);
		msg[m++] = (unsigned char)tn;
		memcpy(msg + m, tbs, tn);
		m += tn;
		memcpy(msg + m, s + 41, 2 + el);
		m += 2 + el;
		if (log_verify(&logs[k].key, msg, m, s + 47 + el, gl) == 0) {
			seen[k] = 1;
			n++;
		} else {
			*why = "an SCT's signature does not verify";
		}
	}
	if (p != end) {
		*why = "a malformed SCT list";
		return -1;
	}
	return n ? n : -1;
}

/* == 29. Regular expressions (POSIX ERE, whole string) ===================
 * Identities in a policy may be POSIX extended regular expressions
 * (regcomp(3) syntax), matched against the whole string: ivlite anchors
 * them itself.  Own code rather than regcomp: musl's adds 45 KB to
 * ivlite-static, and glibc's and musl's differ in what they accept beyond
 * POSIX; here exactly POSIX ERE is accepted, over bytes in the C locale,
 * and anything else (back-references, \d, \w, [[=a=]]) is an error at
 * load.  A whole-string match only asks whether the string is in the
 * expression's language, which a Thompson NFA (Pike's simulation)
 * answers in time linear in the string, without backtracking. */

enum { RxChr, RxSplit, RxJmp, RxBol, RxEol, RxMatch };

typedef struct {		/* one instruction; targets are relative */
	unsigned char op;	/* Rx* */
	int x, y;		/* RxChr: set index; RxSplit: both; RxJmp: x */
} RxOp;

typedef struct {		/* a compiled expression */
	RxOp *op;
	int n;
	unsigned char (*set)[32];	/* RxChr's byte sets, as bitmaps */
	int nset;
	const char *src;	/* as written, for reasons */
} Rx;

typedef struct {		/* the compiler */
	Rx *rx;
	const char *s;		/* the next pattern byte */
	int depth;		/* of parentheses */
	const char *err;
} RxC;

static int rx_alt(RxC *c);

/* appends an instruction; its index, or -1 past MAX_REGEX_STATES */
static int
rx_emit(RxC *c, int op, int x, int y)
{
	if (c->rx->n >= MAX_REGEX_STATES) {
		c->err = "longer than MAX_REGEX_STATES instructions";
		return -1;
	}
	c->rx->op[c->rx->n].op = (unsigned char)op;
	c->rx->op[c->rx->n].x = x;
	c->rx->op[c->rx->n].y = y;
	return c->rx->n++;
}

/* inserts an instruction at at (what follows moves on by one: targets
 * are relative and every block is self-contained) */
static int
rx_insert(RxC *c, int at, int op, int x, int y)
{
	if (rx_emit(c, RxMatch, 0, 0) < 0)
		return -1;
	memmove(c->rx->op + at + 1, c->rx->op + at, (size_t)(c->rx->n - 1 -
	    at) * sizeof(RxOp));
	c->rx->op[at].op = (unsigned char)op;
	c->rx->op[at].x = x;
	c->rx->op[at].y = y;
	return 0;
}

/* a new empty byte set; its index */
static int
rx_set(RxC *c)
{
	if (c->rx->nset >= MAX_REGEX_STATES) {
		c->err = "longer than MAX_REGEX_STATES instructions";
		return -1;
	}
	memset(c->rx->set[c->rx->nset], 0, 32);
	return c->rx->nset++;
}

/* a bracket expression after its "[": the set it makes, or -1 */
static int
rx_bracket(RxC *c)
{
	static const struct {
		const char *name;
		int (*is)(int);
	} cls[] = {
		{ "alnum", isalnum }, { "alpha", isalpha },
		{ "blank", isblank }, { "cntrl", iscntrl },
		{ "digit", isdigit }, { "graph", isgraph },
		{ "lower", islower }, { "print", isprint },
		{ "punct", ispunct }, { "space", isspace },
		{ "upper", isupper }, { "xdigit", isxdigit }
	};
	unsigned char *b;
	int k, neg, lo, hi, first = 1, v;
	size_t n;

	if ((k = rx_set(c)) < 0)
		return -1;
	b = c->rx->set[k];
	if ((neg = *c->s == '^'))
		c->s++;
	for (; first || *c->s != ']'; first = 0) {
		if (!*c->s || (unsigned char)*c->s >= 0x80) {
			c->err = *c->s ? "a byte over 0x7f in a bracket "
			    "expression" : "a bracket expression without its ]";
			return -1;
		}
		if (c->s[0] == '[' && (c->s[1] == '=' || c->s[1] == '.')) {
			c->err = "[= =] and [. .] are not supported";
			return -1;
		}
		if (c->s[0] == '[' && c->s[1] == ':') {
			n = strcspn(c->s + 2, ":");
			for (v = 0; v < (int)LEN(cls) && (strlen(cls[v].name) !=
			    n || strncmp(cls[v].name, c->s + 2, n)); v++)
				;
			if (v == (int)LEN(cls) || strncmp(c->s + 2 + n, ":]",
			    2)) {
				c->err = "an unknown character class";
				return -1;
			}
			for (lo = 1; lo < 128; lo++)
				if (cls[v].is(lo))
					b[lo / 8] |= (unsigned char)(1 << lo %
					    8);
			c->s += n + 4;
			continue;
		}
		lo = hi = (unsigned char)*c->s++;
		if (c->s[0] == '-' && c->s[1] && c->s[1] != ']') {
			hi = (unsigned char)c->s[1];
			c->s += 2;
			if (hi < lo || hi >= 0x80 || (hi == '[' && (*c->s ==
			    '.' || *c->s == '=' || *c->s == ':'))) {
				c->err = "an invalid range in a bracket "
				    "expression";
				return -1;
			}
		}
		for (; lo <= hi; lo++)
			b[lo / 8] |= (unsigned char)(1 << lo % 8);
	}
	c->s++;
	for (v = 0; neg && v < 32; v++)
		b[v] = (unsigned char)~b[v];
	b[0] &= 0xfe;	/* never NUL */
	return k;
}

/* {m}, {m,} or {m,n} after the "{"; -1 for an infinite n */
static int
rx_bound(RxC *c, int *m, int *n)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*c->s))
		return -1;
	v = strtol(c->s, &end, 10);
	*m = *n = (int)(v > 255 ? 256 : v);
	c->s = end;
	if (*c->s == ',') {
		c->s++;
		*n = -1;
		if (isdigit((unsigned char)*c->s)) {
			v = strtol(c->s, &end, 10);
			*n = (int)(v > 255 ? 256 : v);
			c->s = end;
		}
	}
	if (*c->s++ != '}' || *m > 255 || *n > 255 || (*n >= 0 && *n < *m))
		return -1;
	return 0;
}

/* one atom and its repetitions, appended */
static int
rx_piece(RxC *c)
{
	int at = c->rx->n, len, k, m, n, i, src;
	char ch = *c->s++;

	switch (ch) {
	case '(':
		if (++c->depth > MAX_JSON_DEPTH) {
			c->err = "nested deeper than MAX_JSON_DEPTH";
			return -1;
		}
		if (rx_alt(c) < 0)
			return -1;
		if (*c->s++ != ')') {
			c->err = "a ( without its )";
			return -1;
		}
		c->depth--;
		break;
	case '^':
	case '$':
		return rx_emit(c, ch == '^' ? RxBol : RxEol, 0, 0) < 0 ? -1 : 0;
	case '[':
	case '.':
		if ((k = ch == '[' ? rx_bracket(c) : rx_set(c)) < 0)
			return -1;
		if (ch == '.')
			memset(c->rx->set[k] + 1, 0xff, 31),
			    c->rx->set[k][0] = 0xfe;
		if (rx_emit(c, RxChr, k, 0) < 0)
			return -1;
		break;
	case '*': case '+': case '?': case '{': case ')': case '|':
		c->err = "an operator with nothing before it";
		return -1;
	case '\\':
		ch = *c->s++;
		if (!ch || !strchr("^.[$()|*+?{\\}", ch)) {
			c->err = ch ? "an escape POSIX ERE does not have (\\d, "
			    "\\w, back-references…)" : "a trailing \\";
			return -1;
		}
		/* fall through */
	default:
		if ((k = rx_set(c)) < 0)
			return -1;
		c->rx->set[k][(unsigned char)ch / 8] |= (unsigned char)(1 <<
		    (unsigned char)ch % 8);
		if (rx_emit(c, RxChr, k, 0) < 0)
			return -1;
	}
	while (*c->s && strchr("*+?{", *c->s)) {
		len = c->rx->n - at;
		src = at;	/* where a copy of x lies */
		ch = *c->s++;
		m = ch == '+';
		n = ch == '?' ? 1 : -1;
		if (ch == '{' && rx_bound(c, &m, &n) < 0) {
			c->err = "an invalid {m,n} (at most 255)";
			return -1;
		}
		if (!m && !n) {		/* x{0}: nothing */
			c->rx->n = at;
			continue;
		}
		if (!m) {	/* SPLIT(x, past it); x*: a JMP back */
			if (rx_insert(c, at, RxSplit, 1, len + 1 + (n < 0)) <
			    0 || (n < 0 && rx_emit(c, RxJmp, -(len + 1), 0) <
			    0))
				return -1;
			if (n < 0)
				continue;
			src = at + 1;
			m = 1;	/* made, as the first optional copy */
		}
		/* x{m,n}: m copies, then SPLIT(x, past it) n - m times; x{m,}:
		 * m copies, then SPLIT(back to the last, on) */
		for (i = 1; i < m || (n >= 0 && i < n); i++) {
			if (i >= m && rx_emit(c, RxSplit, 1, len + 1) < 0)
				return -1;
			for (k = 0; k < len; k++)
				if (rx_emit(c, RxMatch, 0, 0) < 0)
					return -1;
				else
					c->rx->op[c->rx->n - 1] =
					    c->rx->op[src + k];
		}
		if (n < 0 && rx_emit(c, RxSplit, -len, 1) < 0)
			return -1;
	}
	return 0;
}

/* alternatives separated by "|", up to ")" or the end */
static int
rx_alt(RxC *c)
{
	int start = c->rx->n, jmp[MAX_REGEX_STATES / 2], nj = 0, k;

	for (;;) {
		while (*c->s && *c->s != '|' && *c->s != ')')
			if (rx_piece(c) < 0)
				return -1;
		if (*c->s != '|')
			break;
		c->s++;
		/* SPLIT(this branch, the rest) before it, a jump out after */
		if (rx_insert(c, start, RxSplit, 1, c->rx->n - start + 2) < 0 ||
		    (jmp[nj++] = rx_emit(c, RxJmp, 0, 0)) < 0)
			return -1;
		start = c->rx->n;
		if (nj == (int)LEN(jmp)) {
			c->err = "longer than MAX_REGEX_STATES instructions";
			return -1;
		}
	}
	for (k = 0; k < nj; k++)
		c->rx->op[jmp[k]].x = c->rx->n - jmp[k];
	return 0;
}

/* Compiles pattern s (POSIX ERE) into rx, in the arena.  0, or -1 and
 * why (a configuration error: say where). */
static int
rx_compile(Rx *rx, const char *s, Arena *a, const char **why)
{
	RxC c;

	static RxOp op[MAX_REGEX_STATES];	/* compiled here, then copied */
	static unsigned char set[MAX_REGEX_STATES][32];

	memset(rx, 0, sizeof(*rx));
	rx->src = s;
	rx->op = op;
	rx->set = set;
	c.rx = rx;
	c.s = s;
	c.depth = 0;
	c.err = NULL;
	if (rx_alt(&c) == 0 && *c.s == ')')
		c.err = "a ) without its (";
	if (!c.err && rx_emit(&c, RxMatch, 0, 0) < 0)
		c.err = "longer than MAX_REGEX_STATES instructions";
	if (c.err) {
		*why = ar_reason(a, NULL, "%s at byte %d", c.err, (int)(c.s -
		    s));
		return -1;
	}
	if (!(rx->op = ar_alloc(a, (size_t)rx->n * sizeof(RxOp), NULL)) ||
	    !(rx->set = ar_alloc(a, (size_t)rx->nset * 32 + 1, NULL))) {
		*why = NOMEM;
		return -1;
	}
	memcpy(rx->op, op, (size_t)rx->n * sizeof(RxOp));
	memcpy(rx->set, set, (size_t)rx->nset * 32);
	return 0;
}

/* adds the thread at pc, and what it reaches without a byte, to list l
 * (*nl long) for position pos of n; mark[] holds gen for those added */
static void
rx_add(const Rx *rx, int pc, size_t pos, size_t n, int *l, int *nl,
    int *mark, int gen, int *stk)
{
	int sp = 0;
	const RxOp *o;

	stk[sp++] = pc;
	while (sp) {
		pc = stk[--sp];
		if (mark[pc] == gen)
			continue;
		mark[pc] = gen;
		o = &rx->op[pc];
		if (o->op == RxJmp)
			stk[sp++] = pc + o->x;
		else if (o->op == RxSplit)
			stk[sp++] = pc + o->y, stk[sp++] = pc + o->x;
		else if ((o->op == RxBol && pos == 0) || (o->op == RxEol &&
		    pos == n))
			stk[sp++] = pc + 1;
		else if (o->op == RxChr || o->op == RxMatch)
			l[(*nl)++] = pc;
	}
}

/* Is s[0..n) as a whole in rx's language?  1 or 0; -1 out of memory. */
static int
rx_match(const Rx *rx, const char *s, size_t n, Arena *a)
{
	size_t mark = a->used, pos;
	int *cur, *nxt, *seen, *stk, *t, nc = 0, nn, i, gen = 1, pc;
	unsigned char b;

	if (!(cur = ar_alloc(a, (size_t)rx->n * 5 * sizeof(int) + 16, NULL)))
		return -1;
	nxt = cur + rx->n;
	seen = nxt + rx->n;
	stk = seen + rx->n;
	memset(seen, 0, (size_t)rx->n * sizeof(int));
	rx_add(rx, 0, 0, n, cur, &nc, seen, gen, stk);
	for (pos = 0; pos < n && nc; pos++) {
		b = (unsigned char)s[pos];
		gen++;
		for (nn = i = 0; i < nc; i++) {
			pc = cur[i];
			if (rx->op[pc].op == RxChr && rx->set[rx->op[pc].x][b /
			    8] >> b % 8 & 1)
				rx_add(rx, pc + 1, pos + 1, n, nxt, &nn, seen,
				    gen, stk);
		}
		t = cur, cur = nxt, nxt = t, nc = nn;
	}
	for (i = 0; i < nc && rx->op[cur[i]].op != RxMatch; i++)
		;
	a->used = mark;
	return pos == n && i < nc;
}

/* == 30. Sigstore trusted root and Fulcio identities =====================
 * trusted_root.json (specs/sigstore-bundle.md §5) read as strictly as
 * every other file: its Rekor logs, Fulcio certificate authorities, CT
 * logs and time-stamping authorities, each trusted only within its
 * validFor.  Then what a Fulcio certificate says of its signer (§10.4)
 * and the policy's identities it must match (SPEC.md). */

typedef struct {		/* a certificate authority or TSA of the root */
	const char *uri;
	Cert chain;		/* certChain, the root last (CryListed) */
	long long from, until;	/* validFor, Unix seconds, both included */
} Auth;

typedef struct {		/* trusted_root.json */
	const char *path;
	Log *tlog, *ct;
	Auth *ca, *tsa;
	int ntlog, nct, nca, ntsa;
} Root;

typedef struct {		/* one of a requirement's keyless identities */
	const char *issuer, *subject;	/* exact, or NULL */
	Rx *issuerre, *subjectre;	/* whole-string, or NULL */
	const char **claim;	/* name, value, name, value… */
	int nclaim;		/* pairs */
} PolIdent;

typedef struct {		/* what a Fulcio certificate says */
	Str subject, issuer;	/* issuer.p NULL: none */
	Str claim[24];		/* extensions …57264.1.9-23, by N */
} Who;

/* the claims an identity may name, sigstore-go's certificate.Extensions
 * JSON names of the extensions 1.3.6.1.4.1.57264.1.9 on (a DER string
 * each; the deprecated .1.2-.1.6 are not read) */
static const char *const claims[] = {
	"buildSignerURI", "buildSignerDigest", "runnerEnvironment",
	"sourceRepositoryURI", "sourceRepositoryDigest", "sourceRepositoryRef",
	"sourceRepositoryIdentifier", "sourceRepositoryOwnerURI",
	"sourceRepositoryOwnerIdentifier", "buildConfigURI",
	"buildConfigDigest", "buildTrigger", "runInvocationURI",
	"sourceRepositoryVisibilityAtSigning", "deploymentEnvironment",
};

/* an RFC 3339 time as Go's protojson writes google.protobuf.Timestamp
 * (YYYY-MM-DDTHH:MM:SS[.f]Z; no other offset) in Unix seconds, the
 * fraction dropped; -1 if it is not one */
static long long
tr_time(const char *s)
{
	static const char form[] = "dddd-dd-ddTdd:dd:dd";
	size_t k, e = 19;
	int v[6];

	for (k = 0; k < 19; k++)
		if (form[k] == 'd' ? !isdigit((unsigned char)s[k]) : s[k] !=
		    form[k])
			return -1;
	if (s[e] == '.')
		while (e < 29 && isdigit((unsigned char)s[++e]))
			;
	if (s[e] != 'Z' || (s[e + 1] && s[e + 1] != '"'))
		return -1;	/* the end of the text, or of its JSON string */
	for (k = 0; k < 6; k++)
		v[k] = atoi(s + (k ? 2 + 3 * k : 0));
	return cry_utc(v[0], v[1], v[2], v[3], v[4], v[5]);
}

/* protobuf bytes (standard base64, padded) at token i, not empty */
static int
tr_bytes(const Json *j, int i, Arena *a, Str *out)
{
	const char *s;

	return i >= 0 && j->t[i].type == JSMN_STRING && (s = json_str(j, i,
	    a, NULL)) && *s && b64_decode(a, s, strlen(s), out) == 0 &&
	    out->n ? 0 : -1;
}

/* validFor at token i (at names it) into from and until: start is
 * required, end optional; absent (i < 0) only when !need */
static int
tr_window(const Json *j, int i, const char *at, int need, long long *from,
    long long *until, Arena *a, Err *e)
{
	static const Field f[] = {
		{ "start", JSMN_STRING }, { "end", JSMN_STRING }
	};
	int v[2];

	*from = 0;
	*until = LLONG_MAX;
	if ((i < 0 && !need) || (json_fields(j, i, at, f, 2, v, a, e) == 0 &&
	    v[0] >= 0 && (*from = tr_time(j->s + j->t[v[0]].start)) >= 0 &&
	    (v[1] < 0 || (*until = tr_time(j->s + j->t[v[1]].start)) >= 0)))
		return 0;
	return e->code ? -1 : fail(e, ExitConfig, "%s: %s: needs a start, "
	    "and start and end must be RFC 3339 times (…Z)", j->file, at);
}

/* one tlogs[] or ctlogs[] entry at token i */
static int
tr_log(const Json *j, int i, const char *at, Log *l, Arena *a, Err *e)
{
	static const Field f[] = {
		{ "baseUrl", JSMN_STRING }, { "hashAlgorithm", JSMN_STRING },
		{ "publicKey", JSMN_OBJECT }, { "logId", JSMN_OBJECT },
		{ "checkpointKeyId", JSMN_OBJECT }, { "operator", JSMN_STRING }
	}, pk[] = {
		{ "rawBytes", JSMN_STRING }, { "keyDetails", JSMN_STRING },
		{ "validFor", JSMN_OBJECT }
	}, id[] = {
		{ "keyId", JSMN_STRING }
	};
	int v[LEN(f)], w[LEN(pk)], x[1];
	const char *kat, *d, *iat, *cat, *vat;
	Str key, kid;

	if (json_fields(j, i, at, f, LEN(f), v, a, e) < 0 || !(kat =
	    ar_printf(a, e, "%s.publicKey", at)) || !(iat = ar_printf(a, e,
	    "%s.logId", at)) || !(cat = ar_printf(a, e, "%s.checkpointKeyId",
	    at)) || !(vat = ar_printf(a, e, "%s.validFor", kat)) ||
	    json_fields(j, v[2], kat, pk, LEN(pk), w, a, e) < 0 ||
	    (v[4] >= 0 && json_fields(j, v[4], cat, id, 1, x, a, e) < 0) ||
	    json_fields(j, v[3], iat, id, 1, x, a, e) < 0 || tr_window(j, w[2],
	    vat, 1, &l->from, &l->until, a, e) < 0)
		return -1;
	if (v[0] >= 0 && (l->url = json_str(j, v[0], a, e)) && *l->url &&
	    v[1] >= 0 && json_eq(j, v[1], "SHA2_256") && tr_bytes(j, x[0], a,
	    &kid) == 0 && kid.n == 32 && w[1] >= 0 && (d = json_str(j, w[1], a,
	    e)) && tr_bytes(j, w[0], a, &key) == 0 && log_key(&l->key,
	    (const unsigned char *)key.p, key.n, d) == 0) {
		memcpy(l->id, kid.p, 32);
		return 0;
	}
	return e->code ? -1 : fail(e, ExitConfig, "%s: %s: needs a baseUrl, "
	    "hashAlgorithm SHA2_256, a logId.keyId of 32 bytes and a publicKey "
	    "that is what its keyDetails says: ECDSA P-256/384/521, RSA PKCS#1 "
	    "v1.5 (%d bits or more) or Ed25519", j->file, at, MIN_RSA_BITS);
}

/* one certificateAuthorities[] or timestampAuthorities[] entry */
static int
tr_auth(const Json *j, int i, const char *at, Auth *c, Arena *a, Err *e)
{
	static const Field f[] = {
		{ "subject", JSMN_OBJECT }, { "uri", JSMN_STRING },
		{ "certChain", JSMN_OBJECT }, { "validFor", JSMN_OBJECT },
		{ "operator", JSMN_STRING }
	}, subj[] = {
		{ "organization", JSMN_STRING }, { "commonName", JSMN_STRING }
	}, chain[] = {
		{ "certificates", JSMN_ARRAY }
	}, raw[] = {
		{ "rawBytes", JSMN_STRING }
	};
	int v[LEN(f)], w[2], k, t, n;
	const Cert *x;
	const char *s;
	Str der;

	cry_cert_init(&c->chain);
	if (!(s = ar_printf(a, e, "%s.validFor", at)) || json_fields(j, i, at,
	    f, LEN(f), v, a, e) < 0 || (v[0] >= 0 && json_fields(j, v[0], at,
	    subj, 2, w, a, e) < 0) || (v[1] >= 0 && !(c->uri = json_str(j,
	    v[1], a, e))) || json_fields(j, v[2], at, chain, 1, w, a, e) < 0 ||
	    tr_window(j, v[3], s, 0, &c->from, &c->until, a, e) < 0)
		return -1;
	if (!c->uri)
		c->uri = at;
	n = w[0] < 0 ? 0 : j->t[w[0]].size;
	for (k = 0, t = w[0] + 1; k < n && n <= 10; k++, t = json_skip(j, t)) {
		if (!(s = ar_printf(a, e, "%s.certChain.certificates[%d]", at,
		    k)) || json_fields(j, t, s, raw, 1, w + 1, a, e) < 0)
			return -1;
		if (tr_bytes(j, w[1], a, &der) < 0 || cry_cert_der(&c->chain,
		    (const unsigned char *)der.p, der.n) < 0)
			break;
	}
	if (!k || k != n)
		return fail(e, ExitConfig, "%s: %s.certChain: 1 to 10 "
		    "certificates whose rawBytes mbedTLS reads", j->file, at);
	/* a chain as listed (CryListed); its signatures cost a check each
	 * on every run, so -check is where they are verified */
	for (x = &c->chain, k = 0; x->next && x->next->raw.p; x = x->next, k++)
		if (!cry_issued(x, x->next))
			return fail(e, ExitConfig, "%s: %s.certChain."
			    "certificates[%d] is not named as issued by "
			    "certificates[%d], or that is no CA: list each "
			    "certificate before its issuer, the root last", j->file,
			    at, k, k + 1);
		else if (warns.a && cry_signed(x, x->next, 1) < 0)
			warn("%s: %s.certChain.certificates[%d] is not signed by "
			    "certificates[%d] (runs trust the chain as listed: "
			    "fix the file)", j->file, at, k, k + 1);
	if (c->until >= (long long)time(NULL))
		cry_dates(&c->chain, 1, "%s: %s", j->file, at);
	return 0;	/* a validFor that is over: history, as it should be */
}

static void
tr_free(Root *tr)
{
	int k;

	for (k = 0; k < tr->ntlog; k++)
		log_key_free(&tr->tlog[k].key);
	for (k = 0; k < tr->nct; k++)
		log_key_free(&tr->ct[k].key);
	for (k = 0; k < tr->nca; k++)
		cry_cert_free(&tr->ca[k].chain);
	for (k = 0; k < tr->ntsa; k++)
		cry_cert_free(&tr->tsa[k].chain);
	memset(tr, 0, sizeof(*tr));
}

/* Reads trusted_root.json at path into tr (tr_free it even on failure;
 * path NULL: the text is f): exit 2 for anything wrong, naming the file
 * and the JSON path. */
static int
tr_load(Root *tr, const char *path, Str f, Arena *a, Err *e)
{
	static const Field top[] = {
		{ "mediaType", JSMN_STRING }, { "tlogs", JSMN_ARRAY },
		{ "certificateAuthorities", JSMN_ARRAY },
		{ "ctlogs", JSMN_ARRAY },
		{ "timestampAuthorities", JSMN_ARRAY }
	};
	static const char *mts[] = {
		"application/vnd.dev.sigstore.trustedroot+json;version=0.1",
		"application/vnd.dev.sigstore.trustedroot.v0.1+json",
		"application/vnd.dev.sigstore.trustedroot.v0.2+json"
	};
	int v[LEN(top)], k, m, i, n, *cnt[4];
	void *arr[4];
	const char *s;
	size_t sz;
	Json j;

	memset(tr, 0, sizeof(*tr));
	tr->path = path ? path : "trusted root";
	if ((path && file_read(a, path, MAX_KEY_BYTES, &f, e) < 0) ||
	    json_parse(&j, a, tr->path, f.p, f.n, ExitConfig, e) < 0 ||
	    json_fields(&j, 0, "top level", top, LEN(top), v, a, e) < 0)
		return -1;
	for (k = 0; k < (int)LEN(mts) && (v[0] < 0 || !json_eq(&j, v[0],
	    mts[k])); k++)
		;
	if (k == (int)LEN(mts))
		return fail(e, ExitConfig, "%s: mediaType: not a trusted root "
		    "(application/vnd.dev.sigstore.trustedroot+json;"
		    "version=0.1 or …trustedroot.v0.1+json, v0.2)", tr->path);
	cnt[0] = &tr->ntlog, cnt[1] = &tr->nca, cnt[2] = &tr->nct;
	cnt[3] = &tr->ntsa;
	for (m = 0; m < 4; m++) {
		if (v[m + 1] < 0)
			continue;
		if ((n = j.t[v[m + 1]].size) > MAX_ROOT_ENTRIES)
			return fail(e, ExitConfig, "%s: %s: more than "
			    "MAX_ROOT_ENTRIES (%d)", tr->path, top[m + 1].key,
			    MAX_ROOT_ENTRIES);
		sz = (size_t)n * (m & 1 ? sizeof(Auth) : sizeof(Log)) + 1;
		if (!(arr[m] = ar_alloc(a, sz, e)))
			return -1;
		memset(arr[m], 0, sz);	/* tr_free frees what is set */
		if (m == 0)
			tr->tlog = arr[m];
		else if (m == 1)
			tr->ca = arr[m];
		else if (m == 2)
			tr->ct = arr[m];
		else
			tr->tsa = arr[m];
		for (k = 0, i = v[m + 1] + 1; k < n; k++, i = json_skip(&j,
		    i)) {
			if (!(s = ar_printf(a, e, "%s[%d]", top[m + 1].key, k)))
				return -1;
			++*cnt[m];
			if ((m & 1 ? tr_auth(&j, i, s, (Auth *)arr[m] + k, a,
			    e) : tr_log(&j, i, s, (Log *)arr[m] + k, a, e)) < 0)
				return -1;
		}
	}
	return 0;
}

/* Loads the keyless identity at token i (at names it) of a policy:
 * issuer or issuerRegExp, subject or subjectRegExp (compiled here: a bad
 * one is exit 2), claims by name.  0, or -1 with e. */
static int
id_load(const Json *j, int i, const char *at, PolIdent *p, Arena *a,
    Err *e)
{
	static const Field f[] = {
		{ "issuer", JSMN_STRING }, { "issuerRegExp", JSMN_STRING },
		{ "subject", JSMN_STRING }, { "subjectRegExp", JSMN_STRING },
		{ "claims", JSMN_OBJECT }
	};
	const char *s, *why, *cat;
	Rx **re;
	int v[LEN(f)], k, c;

	memset(p, 0, sizeof(*p));
	if (json_fields(j, i, at, f, LEN(f), v, a, e) < 0)
		return -1;
	if ((v[0] >= 0) + (v[1] >= 0) != 1 || (v[2] >= 0) + (v[3] >= 0) != 1)
		return fail(e, ExitConfig, "%s: %s: exactly one of issuer and "
		    "issuerRegExp, and one of subject and subjectRegExp, must "
		    "be given", j->file, at);
	for (k = 0; k < 4; k++) {
		if (v[k] < 0)
			continue;
		if (pol_text(j, v[k], at, f[k].key, &s, a, e) < 0)
			return -1;
		if (!(k & 1)) {
			*(k ? &p->subject : &p->issuer) = s;
			continue;
		}
		re = k == 1 ? &p->issuerre : &p->subjectre;
		if (!(*re = ar_alloc(a, sizeof(Rx), e)))
			return -1;
		if (rx_compile(*re, s, a, &why) < 0)
			return fail(e, ExitConfig, "%s: %s.%s: not a POSIX "
			    "extended regular expression ivlite reads: %s",
			    j->file, at, f[k].key, why);
	}
	if (v[4] < 0)
		return 0;
	if (!(cat = ar_printf(a, e, "%s.claims", at)) || pol_strings(j, v[4],
	    cat, 1, &p->claim, &p->nclaim, a, e) < 0)
		return -1;
	for (k = 0; k < p->nclaim; k++) {
		for (c = 0; c < (int)LEN(claims) && strcmp(claims[c],
		    p->claim[2 * k]); c++)
			;
		if (c == (int)LEN(claims))
			return fail(e, ExitConfig, "%s: %s: unknown claim %s "
			    "(sigstore-go's names: sourceRepositoryURI, "
			    "buildSignerURI…)", j->file, cat, ar_quote(a,
			    p->claim[2 * k], strlen(p->claim[2 * k]), e));
	}
	return 0;
}

/* What Fulcio certificate c says of its signer (§10.4): the subject is
 * its first URI SAN, else its first email, else its one otherName of
 * type 1.3.6.1.4.1.57264.1.7; the OIDC issuer (cry_issuer) and the
 * claims of extensions 1.3.6.1.4.1.57264.1.2-23.  0, or -1 and why. */
static int
id_cert(const Cert *c, Who *w, Arena *a, const char **why)
{
	char oid[] = "\x2b\x06\x01\x04\x01\x83\xbf\x30\x01\x07";
	const char *iss;
	Der v, san, g, o, x, u, first[3];	/* URI, email, otherName */
	int crit, k, r, nother = 0;

	memset(w, 0, sizeof(*w));
	memset(first, 0, sizeof(first));
	*why = "fulcio: a malformed subject alternative name";
	if (der_ext(c, "\x55\x1d\x11", &v, &crit) != 1 || der_get(&v, 0x30,
	    &san) < 0 || v.p != v.end)
		return -1;
	while (san.p < san.end) {
		k = *san.p;
		if (der_get(&san, k, &g) < 0)
			return -1;
		if (k == 0xa0 && (der_get(&g, 0x06, &o) < 0 || !der_is(&o,
		    oid) || der_get(&g, 0xa0, &x) < 0 || der_get(&x, 0x0c, &u) <
		    0 || g.p != g.end || x.p != x.end || nother++)) {
			*why = "fulcio: an otherName SAN that is not one "
			    "Fulcio username";
			return -1;
		}
		k = k == 0x86 ? 0 : k == 0x81 ? 1 : k == 0xa0 ? 2 : -1;
		if (k >= 0 && !first[k].p)
			first[k] = k == 2 ? u : g;
	}
	for (k = 0; k < 3 && !first[k].p; k++)
		;
	if (k == 3) {
		*why = "fulcio: no URI, email or username SAN";
		return -1;
	}
	w->subject.p = (char *)first[k].p;
	w->subject.n = (size_t)(first[k].end - first[k].p);
	if (!(iss = cry_issuer(c, a, why)))
		return -1;
	w->issuer.p = (char *)iss;
	w->issuer.n = strlen(iss);
	for (k = 9; k < 24; k++) {
		oid[9] = (char)k;
		if ((r = der_ext(c, oid, &v, &crit)) < 0 || (r && (v.p ==
		    v.end || (*v.p != 0x0c && *v.p != 0x13 && *v.p != 0x16) ||
		    der_get(&v, *v.p, &u) < 0 || v.p != v.end))) {
			*why = "fulcio: a malformed claim extension";
			return -1;
		}
		if (r)
			w->claim[k].p = (char *)u.p, w->claim[k].n =
			    (size_t)(u.end - u.p);
	}
	return 0;
}

/* Does got match exact or re (what names the field)?  Text with a
 * control byte or NUL never does.  1, or 0 with why. */
static int
id_field(const Str *got, const char *what, const char *exact, const Rx *re,
    Arena *a, const char **why)
{
	char q[QUOTE_SIZE];
	size_t k;
	int r;

	quote_as(q, got->p, got->n, 0);
	for (k = 0; k < got->n && (unsigned char)got->p[k] >= 0x20 &&
	    got->p[k] != 0x7f; k++)
		;
	if (k < got->n) {
		*why = ar_reason(a, NULL, "%s %s holds a control byte: it "
		    "matches nothing", what, q);
		return 0;
	}
	if (exact && strlen(exact) == got->n && !memcmp(exact, got->p,
	    got->n))
		return 1;
	if (exact) {
		*why = ar_reason(a, NULL, "%s %s is not %s", what, q, exact);
		return 0;
	}
	if ((r = rx_match(re, got->p, got->n, a)) > 0)
		return 1;
	*why = r < 0 ? NOMEM : ar_reason(a, NULL, "%s %s does not match "
	    "%sRegExp %s", what, q, what, re->src);
	return 0;
}

/* Does w match one of the n identities?  1 with *k the first that does;
 * 0 with *k the closest (the most fields matched, in the order issuer,
 * subject, claims) and why its first mismatch. */
static int
id_match(const PolIdent *p, int n, const Who *w, int *k, Arena *a,
    const char **why)
{
	const char *w1, *best = "";
	int i, c, m, score, top = -1;

	for (i = 0; i < n; i++) {
		w1 = NULL;
		score = id_field(&w->issuer, "issuer", p[i].issuer,
		    p[i].issuerre, a, &w1);
		if (!w1 && id_field(&w->subject, "subject", p[i].subject,
		    p[i].subjectre, a, &w1))
			score++;
		for (c = 0; !w1 && c < p[i].nclaim; c++) {
			for (m = 0; strcmp(claims[m], p[i].claim[2 * c]); m++)
				;
			if (!w->claim[m + 9].p)
				w1 = ar_reason(a, NULL, "claim %s is absent",
				    claims[m]);
			else
				score += id_field(&w->claim[m + 9], ar_reason(a,
				    NULL, "claim %s", claims[m]), p[i].claim[2 *
				    c + 1], NULL, a, &w1);
		}
		if (!w1) {
			*k = i;
			return 1;
		}
		if (score > top) {
			top = score;
			*k = i;
			best = w1;
		}
	}
	*why = best;
	return 0;
}

/* == 31. Transparency logs: Rekor v1 and v2 ==============================
 * A bundle's tlogEntries (specs/sigstore-bundle.md §8): Rekor v1 entries
 * with a signed entry timestamp (SET) or an inclusion proof to a signed
 * checkpoint, Rekor v2 entries with an inclusion proof to a C2SP
 * checkpoint.  An entry counts only if it binds this very signature, this
 * key or certificate and this payload (GHSA-whqx-f9j3-ch6m: a valid SET
 * alone proves nothing about the bundle it sits in).  Only a verified SET
 * gives a time (integratedTime); a Rekor v2 entry's time must come from
 * an RFC 3161 timestamp. */

typedef struct {		/* a bundle's tlogEntries[] item (§4.2) */
	long long index, time;	/* logIndex, integratedTime */
	Str logid, set, body;	/* keyId; signedEntryTimestamp (p NULL: no
				 * promise); canonicalizedBody */
	const char *kind, *version;	/* kindVersion */
	int proof;		/* an inclusionProof, with: */
	long long pindex, psize;	/* its logIndex, treeSize */
	Str root;		/* rootHash */
	Str *hash;		/* hashes, 32 bytes each */
	int nhash;
	const char *note;	/* checkpoint.envelope */
} Entry;

typedef struct {		/* what log entries must bind */
	Str sig;		/* the DSSE signature */
	const unsigned char *der;	/* the leaf certificate, or the key's
					 * SubjectPublicKeyInfo, DER */
	size_t dern;
	int cert;		/* der is a certificate */
	Pk *pk;			/* its key */
	Str payload;		/* the DSSE payload */
	const char *pae;	/* its PAE (what was signed) */
	size_t paen;
	const Cert *leaf;	/* the certificate (keyless), or NULL */
} Signed;

typedef struct {		/* what a bundle's logs and timestamps proved */
	long long t[MAX_TLOG_ENTRIES + MAX_TIMESTAMPS];	/* verified times */
	int nt;
	int n;			/* entries and timestamps verified */
	const Log *v2[MAX_TLOG_ENTRIES];	/* Rekor v2 logs that did */
	int nv2;
	const char *said;	/* all of it, for the reason */
} Proof;

/* an int64 of protobuf JSON at token i: a string of digits or a number;
 * 0 with v, or -1 (negative numbers included) */
static int
tl_int(const Json *j, int i, long long *v)
{
	const char *s = j->s + j->t[i].start;
	size_t n = (size_t)(j->t[i].end - j->t[i].start);

	if (i < 0 || (j->t[i].type != JSMN_STRING && j->t[i].type !=
	    JSMN_PRIMITIVE) || n < 1 || n > 18 || strspn(s, "0123456789") !=
	    n || (n > 1 && *s == '0'))
		return -1;
	*v = strtoll(s, NULL, 10);
	return 0;
}

/* The tlogEntries at token arr of bundle j into *out (*n of them), in
 * shape only: 1, or 0 and why. */
static int
tl_parse(const Json *j, int arr, Entry **out, int *n, Arena *a,
    const char **why)
{
	static const Field ef[] = {
		{ "logIndex", JSMN_UNDEFINED }, { "logId", JSMN_OBJECT },
		{ "kindVersion", JSMN_OBJECT }, { "integratedTime",
		    JSMN_UNDEFINED },
		{ "inclusionPromise", JSMN_OBJECT },
		{ "inclusionProof", JSMN_OBJECT },
		{ "canonicalizedBody", JSMN_STRING }
	}, idf[] = {
		{ "keyId", JSMN_STRING }
	}, kvf[] = {
		{ "kind", JSMN_STRING }, { "version", JSMN_STRING }
	}, prf[] = {
		{ "signedEntryTimestamp", JSMN_STRING }
	}, pff[] = {
		{ "logIndex", JSMN_UNDEFINED }, { "rootHash", JSMN_STRING },
		{ "treeSize", JSMN_UNDEFINED }, { "hashes", JSMN_ARRAY },
		{ "checkpoint", JSMN_OBJECT }
	}, cpf[] = {
		{ "envelope", JSMN_STRING }
	};
	int v[LEN(ef)], w[LEN(pff)], x[2], y[3], i, k, h, t;
	Err sub = { 0, "" };
	Entry *e;

	*n = arr < 0 ? 0 : j->t[arr].size;
	*why = "bundle: more than MAX_TLOG_ENTRIES tlogEntries";
	if (*n > MAX_TLOG_ENTRIES || !(*out = e = ar_alloc(a, (size_t)*n *
	    sizeof(Entry) + 1, NULL)))
		return 0;
	for (k = 0, i = arr + 1; k < *n; k++, e++, i = json_skip(j, i)) {
		memset(e, 0, sizeof(*e));
		y[1] = y[2] = w[4] = -1;
		if (json_fields(j, i, "tlogEntries[]", ef, LEN(ef), v, a,
		    &sub) < 0 || json_fields(j, v[1], "logId", idf, 1, y, a,
		    &sub) < 0 || json_fields(j, v[2], "kindVersion", kvf, 2, x,
		    a, &sub) < 0 || (v[4] >= 0 && json_fields(j, v[4],
		    "inclusionPromise", prf, 1, y + 1, a, &sub) < 0) || (v[5] >=
		    0 && (json_fields(j, v[5], "inclusionProof", pff, LEN(pff),
		    w, a, &sub) < 0 || json_fields(j, w[4], "checkpoint", cpf,
		    1, y + 2, a, &sub) < 0)))
			goto bad;
		*why = "bundle: a tlogEntries item without a logIndex, logId, "
		    "kindVersion, canonicalizedBody, or with a malformed one";
		if (tl_int(j, v[0], &e->index) < 0 || tr_bytes(j, y[0], a,
		    &e->logid) < 0 || x[0] < 0 || x[1] < 0 || !(e->kind =
		    json_str(j, x[0], a, NULL)) || !(e->version = json_str(j,
		    x[1], a, NULL)) || tr_bytes(j, v[6], a, &e->body) < 0 ||
		    (v[3] >= 0 && tl_int(j, v[3], &e->time) < 0) || (v[4] >=
		    0 && tr_bytes(j, y[1], a, &e->set) < 0))
			return 0;
		if (!(e->proof = v[5] >= 0))
			continue;
		if (tl_int(j, w[0], &e->pindex) < 0 || tl_int(j, w[2],
		    &e->psize) < 0 || tr_bytes(j, w[1], a, &e->root) < 0 ||
		    e->root.n != 32 || w[3] < 0 || y[2] < 0 || !(e->note =
		    json_str(j, y[2], a, NULL)) || (e->nhash =
		    j->t[w[3]].size) > MAX_PROOF_HASHES || !(e->hash =
		    ar_alloc(a, (size_t)e->nhash * sizeof(Str) + 1, NULL)))
			return 0;
		for (h = 0, t = w[3] + 1; h < e->nhash; h++, t++)
			if (tr_bytes(j, t, a, &e->hash[h]) < 0 ||
			    e->hash[h].n != 32)
				return 0;
	}
	/* one entry per log and index (sigstore-go) */
	for (k = 0; k < *n; k++)
		for (i = 0; i < k; i++)
			if ((*out)[i].index == (*out)[k].index &&
			    (*out)[i].logid.n == (*out)[k].logid.n &&
			    !memcmp((*out)[i].logid.p, (*out)[k].logid.p,
			    (*out)[k].logid.n)) {
				*why = "bundle: two tlogEntries for one log "
				    "and index";
				return 0;
			}
	return 1;
bad:
	*why = ar_reason(a, NULL, "%s", sub.msg);
	return 0;
}

/* RFC 6962 inclusion of leaf hash lh at index i of a tree of size n with
 * the proof p (np hashes) and root (§8.6).  0, or -1. */
static int
tl_merkle(long long i, long long n, const unsigned char *lh, const Str *p,
    int np, const unsigned char *root)
{
	unsigned char h[32], buf[65];
	unsigned long long x, inner = 0, border = 0;
	int k;

	if (i < 0 || i >= n)
		return -1;
	for (x = (unsigned long long)(i ^ (n - 1)); x; x >>= 1)
		inner++;
	for (x = (unsigned long long)i >> inner; x; x >>= 1)
		border += x & 1;
	if ((unsigned long long)np != inner + border)
		return -1;
	memcpy(h, lh, 32);
	buf[0] = 1;
	for (k = 0; k < np; k++) {
		if (k < (int)inner && !((unsigned long long)i >> k & 1)) {
			memcpy(buf + 1, h, 32);
			memcpy(buf + 33, p[k].p, 32);
		} else {
			memcpy(buf + 1, p[k].p, 32);
			memcpy(buf + 33, h, 32);
		}
		if (sha_raw(256, buf, 65, h) != 32)
			return -1;
	}
	return memcmp(h, root, 32) ? -1 : 0;
}

/* The checkpoint note (C2SP signed-note, tlog-checkpoint; §8.5) signed by
 * log l: tree size and root hash out.  v1 (Rekor v1's rules): every
 * signature line is the log's (key ID SHA-256(SPKI)[0:4]) and verifies.
 * v2: the origin is baseUrl's host; lines of other names or key IDs are
 * cosignatures, skipped; the log's must verify, one at least.  0, or -1
 * and why. */
static int
tl_note(const Log *l, const char *note, int v1, long long *size,
    unsigned char root[32], Arena *a, const char **why)
{
	const char *end, *p, *q, *nl, *host = l->url;
	unsigned char h[64];
	size_t n = strlen(note), nn, hl, text;
	int good = 0, lines = 0;
	Str sig, rh;
	Md md;

	*why = "checkpoint: not a signed note";
	for (p = note; *p && ((unsigned char)*p >= 0x20 || *p == '\n'); p++)
		;
	for (end = note + n - 1; end > note && memcmp(end - 1, "\n\n", 2);
	    end--)
		;
	if (*p || n < 2 || note[n - 1] != '\n' || end <= note)
		return -1;
	text = (size_t)(end - note);	/* up to the first of the two \n */
	if (strstr(host, "://"))
		host = strstr(host, "://") + 3;
	hl = strcspn(host, ":/");
	for (p = end + 1; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (++lines > MAX_NOTE_SIGS || strncmp(p, "\xe2\x80\x94 ", 4) ||
		    !(q = memchr(p + 4, ' ', (size_t)(nl - p - 4))) || q == p +
		    4 || memchr(p + 4, '+', (size_t)(q - p - 4)) ||
		    b64_decode(a, q + 1, (size_t)(nl - q - 1), &sig) < 0 ||
		    sig.n < 5)
			return -1;
		nn = (size_t)(q - p - 4);
		/* key ID: ECDSA SHA-256(SPKI); Ed25519 and RSA over the name */
		md_begin(&md, MdSha256);
		if (l->key.ed25519 || log_rsa(&l->key)) {
			md_add(&md, p + 4, nn);
			md_add(&md, l->key.ed25519 ? "\n\1" : "\n\xff"
			    "PKIX-RSA-PKCS#1v1.5", l->key.ed25519 ? 2 : 21);
		}
		md_add(&md, l->key.ed25519 ? l->key.ed : l->key.spki,
		    l->key.ed25519 ? 32 : l->key.spkin);
		md_end(&md, h);
		if (memcmp(sig.p, h, 4) || (!v1 && (nn != hl || strncmp(p + 4,
		    host, hl)))) {
			if (v1)
				return *why = "checkpoint: not signed by the "
				    "log", -1;
			continue;	/* a witness */
		}
		if (log_verify(&l->key, note, text, (unsigned char *)sig.p + 4,
		    sig.n - 4) < 0) {
			*why = "checkpoint: the log's signature does not "
			    "verify";
			return -1;
		}
		good++;
	}
	if (!good) {
		*why = "checkpoint: not signed by the log";
		return -1;
	}
	/* origin, size, root hash, extension lines */
	*why = "checkpoint: not the log's origin, a tree size and a root hash";
	nl = strchr(note, '\n');
	if (!v1 && ((size_t)(nl - note) != hl || strncmp(note, host, hl)))
		return -1;
	p = nl + 1;
	if (!(nl = strchr(p, '\n')) || nl - p < 1 || nl - p > 18 ||
	    strspn(p, "0123456789") != (size_t)(nl - p))
		return -1;
	*size = strtoll(p, NULL, 10);
	p = nl + 1;
	if (!(nl = strchr(p, '\n')) || b64_decode(a, p, (size_t)(nl - p), &rh) <
	    0 || rh.n != 32)
		return -1;
	memcpy(root, rh.p, 32);
	return 0;
}

/* A Rekor v1 entry's body (dsse 0.0.1 or intoto 0.0.2, read leniently
 * as Rekor writes it) must log s: its one signature is s's, its verifier
 * s's certificate or key, its payloadHash the payload's SHA-256 (§8.2).
 * 1, or 0 and why. */
static int
tl_bind(const Entry *e, const Signed *s, Arena *a, const char **why)
{
	static const char *const kind[] = { "kind", NULL },
	    *api[] = { "apiVersion", NULL },
	    *dsse[] = { "spec", "signatures", NULL },
	    *intoto[] = { "spec", "content", "envelope", "signatures", NULL },
	    *dh[] = { "spec", "payloadHash", "value", NULL },
	    *ih[] = { "spec", "content", "payloadHash", "value", NULL },
	    *da[] = { "spec", "payloadHash", "algorithm", NULL },
	    *ia[] = { "spec", "content", "payloadHash", "algorithm", NULL },
	    *sig[] = { "signature", NULL }, *isig[] = { "sig", NULL },
	    *ver[] = { "verifier", NULL }, *pub[] = { "publicKey", NULL };
	unsigned char h[32];
	const char *k, *v, *pem;
	int d, arr;
	size_t n;
	Str raw, der;
	Json j;

	if (json_parse(&j, a, "rekor entry", e->body.p, e->body.n, ExitReject,
	    NULL) < 0 || j.t[0].type != JSMN_OBJECT || !(k = sst_at(&j, 0, kind,
	    0, a, &n)) || !(v = sst_at(&j, 0, api, 0, a, &n)) || strcmp(k,
	    e->kind) || strcmp(v, e->version)) {
		*why = "rekor: the logged entry is not JSON of its kindVersion";
		return 0;
	}
	d = !strcmp(k, "dsse");
	arr = sst_tok(&j, 0, d ? dsse : intoto);
	if (arr < 0 || j.t[arr].type != JSMN_ARRAY || j.t[arr].size != 1) {
		*why = "rekor: the logged entry has not exactly one signature";
		return 0;
	}
	/* intoto 0.0.2 holds the base64 text of the signature, encoded */
	if (!(v = sst_at(&j, arr + 1, d ? sig : isig, 1, a, &n)) || (!d &&
	    b64_decode(a, v, n, &raw) < 0) || (d ? n : raw.n) != s->sig.n ||
	    memcmp(d ? v : raw.p, s->sig.p, s->sig.n))
		*why = "rekor: the logged signature is not this signature";
	else if (!(pem = sst_at(&j, arr + 1, d ? ver : pub, 1, a, &n)) ||
	    !cry_pem_one(pem, n, a, &der) || der.n != s->dern ||
	    memcmp(der.p, s->der, der.n))
		*why = s->cert ? "rekor: the logged certificate is not the "
		    "bundle's" : "rekor: the logged key is not the signer's";
	else if (!(k = sst_at(&j, 0, d ? da : ia, 0, a, &n)) || strcmp(k,
	    "sha256") || !(v = sst_at(&j, 0, d ? dh : ih, 0, a, &n)) ||
	    sha_raw(256, s->payload.p, s->payload.n, h) != 32 || !hex_same(v,
	    h, 32))
		*why = "rekor: the logged payload hash is not this payload's";
	else
		return 1;
	return 0;
}

/* n bytes as standard base64, in the arena ("" without memory) */
static char *
tl_b64(const void *p, size_t n, Arena *a)
{
	char *out = ar_alloc(a, 4 * (n / 3 + 1) + 1, NULL);

	if (out)
		b64_encode(p, n, out);
	return out ? out : "";
}

/* SHA-256(0x00 || data): an RFC 6962 leaf hash */
static void
tl_leaf(const void *data, size_t n, unsigned char h[32])
{
	Md md;

	md_begin(&md, MdSha256);
	md_add(&md, "", 1);
	md_add(&md, data, n);
	md_end(&md, h);
}

/* One entry against the trusted root: 1 verified (a SET's time into
 * pf), 0 from a log the root does not list, -1 with why: it does not
 * verify (the bundle is refused: a listed log never logged this) */
static int
tl_entry(const Root *tr, const Entry *e, const Signed *s, Proof *pf,
    Arena *a, const char **why)
{
	const Log *l = NULL;
	unsigned char lh[32], root[64];
	const char *body, *det;
	long long size = 0;
	char id[65];
	int k, md;

	for (k = 0; k < tr->ntlog && !l; k++)
		if (e->logid.n == 32 && !memcmp(tr->tlog[k].id, e->logid.p, 32))
			l = &tr->tlog[k];
	if (!l)
		return 0;
	if (!strcmp(e->kind, "hashedrekord") && !strcmp(e->version, "0.0.2")) {
		/* Rekor v2 (§8.4): the leaf rebuilt from the bundle */
		if (!(det = log_details(s->pk, &md)))
			return *why = "rekor v2: a key Rekor v2 cannot log", -1;
		body = ar_reason(a, NULL, "{\"apiVersion\":\"0.0.2\",\"kind\":"
		    "\"hashedrekord\",\"spec\":{\"hashedRekordV002\":{"
		    "\"data\":{\"algorithm\":\"SHA2_%d\",\"digest\":\"%s\"},"
		    "\"signature\":{\"content\":\"%s\",\"verifier\":{"
		    "\"keyDetails\":\"%s\",\"%s\":{\"rawBytes\":\"%s\"}}}}}}",
		    md == MdSha256 ? 256 : md == MdSha384 ? 384 : 512,
		    tl_b64(root, der_sum(md, s->pae, s->paen, root), a),
		    tl_b64(s->sig.p, s->sig.n, a), det, s->cert ?
		    "x509Certificate" : "publicKey", tl_b64(s->der, s->dern,
		    a));
		if (!e->proof)
			return *why = "rekor v2: an entry without an inclusion "
			    "proof", -1;
		if (strlen(body) != e->body.n || memcmp(body, e->body.p,
		    e->body.n))
			return *why = "rekor v2: the logged entry is not this "
			    "signature, key and payload", -1;
		if (tl_note(l, e->note, 0, &size, root, a, why) < 0)
			return -1;
		tl_leaf(body, e->body.n, lh);
		if (tl_merkle(e->index, size, lh, e->hash, e->nhash, root) < 0)
			return *why = "rekor v2: the inclusion proof does not "
			    "lead to the checkpoint's root", -1;
		pf->v2[pf->nv2++] = l;
		pf->said = ar_reason(a, NULL, "%s%sRekor v2 %s (index %lld, "
		    "inclusion proof)", pf->said, *pf->said ? ", " : "", l->url,
		    e->index);
		return 1;
	}
	if ((strcmp(e->kind, "dsse") || strcmp(e->version, "0.0.1")) &&
	    (strcmp(e->kind, "intoto") || strcmp(e->version, "0.0.2"))) {
		*why = ar_reason(a, NULL, "rekor: a %s %s entry cannot log a "
		    "DSSE envelope", ar_esc(a, e->kind, NULL), ar_esc(a,
		    e->version, NULL));
		return -1;
	}
	if (!tl_bind(e, s, a, why))
		return -1;
	if (!e->set.p && !e->proof)
		return *why = "rekor: an entry with neither a SET nor an "
		    "inclusion proof", -1;
	if (e->set.p && (e->time < l->from || e->time > l->until)) {
		*why = ar_reason(a, NULL, "rekor: logged at %s, when log %s "
		    "was not valid", when_utc(e->time, a), l->url);
		return -1;
	}
	/* the SET: over canonical JSON, rebuilt (§8.3) */
	if (e->set.p) {
		hex_str(l->id, 32, id, 0);
		body = ar_reason(a, NULL, "{\"body\":\"%s\",\"integratedTime\":"
		    "%lld,\"logID\":\"%s\",\"logIndex\":%lld}",
		    tl_b64(e->body.p, e->body.n, a), e->time, id, e->index);
		if (log_verify(&l->key, body, strlen(body),
		    (const unsigned char *)e->set.p, e->set.n) < 0)
			return *why = "rekor: the SET does not verify with the "
			    "log's key", -1;
	}
	if (e->proof && tl_note(l, e->note, 1, &size, root, a, why) < 0)
		return -1;
	if (e->proof && (size != e->psize || memcmp(root, e->root.p, 32) ||
	    (tl_leaf(e->body.p, e->body.n, lh), tl_merkle(e->pindex, e->psize,
	    lh, e->hash, e->nhash, root) < 0)))
		return *why = "rekor: the inclusion proof does not lead to the "
		    "checkpoint's root", -1;
	if (e->time && s->leaf && !cry_cert_valid(s->leaf, e->time)) {
		*why = ar_reason(a, NULL, "rekor: logged at %s, outside the "
		    "certificate's validity", when_utc(e->time, a));
		return -1;
	}
	if (e->set.p)
		pf->t[pf->nt++] = e->time;
	pf->said = ar_reason(a, NULL, "%s%sRekor v1 %s (index %lld, %s%s)",
	    pf->said, *pf->said ? ", " : "", l->url, e->index, e->set.p ?
	    "SET time " : "inclusion proof", e->set.p ? when_utc(e->time, a) :
	    "");
	return 1;
}

/* A bundle's evidence for s: its entries (tl_entry) and RFC 3161
 * timestamps over the signature, each by a TSA of tr with its genTime in
 * the TSA's validFor.  0 with pf, or -1 and why: an entry of a listed log
 * that does not verify, or nothing verified; Rekor v2 logs must be valid
 * at every time proved. */
static int
tl_verify(Root *tr, const Entry *e, int ne, const Str *ts, int nts,
    const Signed *s, Proof *pf, Arena *a, const char **why)
{
	const char *miss = "no transparency-log entry and no timestamp", *w;
	long long t;
	int i, k, r;

	memset(pf, 0, sizeof(*pf));
	pf->said = "";
	for (i = 0; i < ne; i++) {
		if ((r = tl_entry(tr, &e[i], s, pf, a, why)) < 0)
			return -1;
		pf->n += r;
		if (!r)
			miss = "rekor: an entry of a log the trusted root does "
			    "not list";
	}
	for (i = 0; i < nts; i++) {
		for (k = 0, w = "timestamp: the trusted root lists no "
		    "timestampAuthorities"; k < tr->ntsa; k++) {
			if (tsa_verify((const unsigned char *)ts[i].p, ts[i].n,
			    s->sig.p, s->sig.n, &tr->tsa[k].chain,
			    &tr->tsa[k].chain, 1, &t, a, &w) < 0) {
				w = ar_reason(a, NULL, "timestamp: %s", w);
				continue;
			}
			if (t < tr->tsa[k].from || t > tr->tsa[k].until) {
				w = ar_reason(a, NULL, "timestamp at %s, when "
				    "TSA %s was not valid", when_utc(t, a),
				    tr->tsa[k].uri);
				continue;
			}
			pf->t[pf->nt++] = t;
			pf->n++;
			pf->said = ar_reason(a, NULL, "%s%stimestamp by %s at "
			    "%s", pf->said, *pf->said ? ", " : "",
			    tr->tsa[k].uri, when_utc(t, a));
			break;
		}
		if (k == tr->ntsa)
			miss = w;
	}
	if (!pf->n)
		return *why = miss, -1;
	for (i = 0; i < pf->nv2; i++)
		for (k = 0; k < pf->nt; k++)
			if (pf->t[k] < pf->v2[i]->from || pf->t[k] >
			    pf->v2[i]->until)
				return *why = ar_reason(a, NULL, "rekor v2: "
				    "log %s is not valid at %s", pf->v2[i]->url,
				    when_utc(pf->t[k], a)), -1;
	return 0;
}

/* The Fulcio certificate der at every time pf proved: a path to a CA of
 * tr valid then (certificates and the CA's validFor), code signing; and
 * when tr lists CT logs, an SCT by one.  A CA's path is verified once,
 * for all the times in its validFor: they are then compared with the
 * window its certificates share.  1, or 0 and why. */
static int
tl_fulcio(Root *tr, const Str *der, const Proof *pf, Arena *a,
    const char **why)
{
	const char *w[LEN(pf->t)], *cw = NULL;
	long long win[2], t;
	int i, k, n, ok, sct = tr->nct == 0;
	Cert chain;

	for (i = 0; i < pf->nt; i++)
		w[i] = "no certificate authority of the trusted root is valid "
		    "then";
	for (k = 0; k < tr->nca; k++) {
		for (i = n = 0; i < pf->nt; i++)
			n += w[i] && pf->t[i] >= tr->ca[k].from && pf->t[i] <=
			    tr->ca[k].until;
		if (!n)
			continue;
		cry_cert_init(&chain);
		if (!(ok = cry_cert_der(&chain, (const unsigned char *)der->p,
		    der->n) == 0))
			cw = "the certificate does not parse";
		else
			ok = cry_chain(&chain, &tr->ca[k].chain, -1, win,
			    EkuCodeSigning | CryListed, a, &cw) == 0;
		if (ok && !sct)
			sct = ct_verify(&chain, cry_cert_issuer(&chain,
			    &tr->ca[k].chain, NULL), tr->ct, tr->nct, a, &cw) > 0;
		cry_cert_free(&chain);
		if (ok && !sct) {
			*why = ar_reason(a, NULL, "fulcio: %s", cw);
			return 0;
		}
		for (i = 0; i < pf->nt; i++) {
			if (!w[i] || (t = pf->t[i]) < tr->ca[k].from || t >
			    tr->ca[k].until)
				continue;
			w[i] = !ok ? cw : t > win[1] ? ar_reason(a, NULL, "not "
			    "valid at %s: expired", when_utc(t, a)) : t < win[0] ?
			    ar_reason(a, NULL, "not valid at %s: not yet valid",
			    when_utc(t, a)) : NULL;
		}
	}
	for (i = 0; i < pf->nt; i++)
		if (w[i]) {
			*why = ar_reason(a, NULL, "fulcio: at %s: %s", when_utc(
			    pf->t[i], a), w[i]);
			return 0;
		}
	return 1;
}

/* == 32. sigstoreBundle: cosign 3 bundles ================================
 * cosign 3's signatures (specs/sigstore-bundle.md): a Sigstore bundle
 * (v0.1 to v0.3) as the one layer of a referrer of the image, its DSSE
 * envelope signed over PAE by a policy key, a pki certificate or, keyless,
 * a Fulcio certificate valid when a log entry or timestamp says it
 * signed, and only once that verified, the in-toto statement inside,
 * which must name -digest and an accepted predicateType.  Then cosign's
 * legacy .sig.
 * Bounded by MAX_REFERRERS, MAX_REFERRER_BYTES, MAX_BUNDLE_BYTES,
 * MAX_SUBJECTS and the JSON limits; fields are protobuf-JSON as cosign
 * writes them (camelCase, padded standard base64), unknown or repeated
 * members refused. */

#define BDL_PREFIX	"application/vnd.dev.sigstore.bundle"
#define BDL_INTOTO	"application/vnd.in-toto+json"
#define BDL_SIGN	"https://sigstore.dev/cosign/sign/v1"

typedef struct {		/* sigstoreBundle's own members (Req.own) */
	const char **ptypes;	/* predicateTypes; none: cosign sign's */
	int nptypes;
	const char **ann;	/* annotations: key, value, key, value… */
	int nann;		/* pairs */
	const char *root;	/* trustedRootPath, or NULL */
	PolIdent *ids;		/* identities (keyless) */
	int nids;
} BdlReq;

typedef struct {		/* a bundle, as bdl_parse read it */
	int version;		/* 1, 2, 3: v0.1… */
	Str payload;		/* the DSSE payload, decoded: untrusted */
	const char *ptype;	/* its payloadType */
	Str sig;		/* the envelope's one signature */
	Str cert;		/* the leaf certificate (DER); p NULL: a key */
	Entry *tl;		/* tlogEntries */
	int ntl;
	Str *ts;		/* RFC 3161 signedTimestamps */
	int nts;
} Bdl;

typedef struct {		/* what the type gathers once a run */
	Referrers refs;
} BdlRun;

static Root bdltrust;		/* a requirement's trusted root, loaded */

/* sigstoreBundle's members (SPEC.md "Extension requirement types"): keys
 * or pki as sigstoreSigned reads them, or keyless: identities with
 * trustedRootPath */
enum {
	BdType, BdKeyPath, BdKeyPaths, BdKeyData, BdKeyDatas, BdPKI, BdRoot,
	BdIdents, BdPredicates, BdAnnotations
};
static const Field bdfields[] = {
	/* key                          type */
	[BdType] =        { "type",            JSMN_STRING },
	[BdKeyPath] =     { "keyPath",         JSMN_STRING },
	[BdKeyPaths] =    { "keyPaths",        JSMN_ARRAY },
	[BdKeyData] =     { "keyData",         JSMN_STRING },
	[BdKeyDatas] =    { "keyDatas",        JSMN_ARRAY },
	[BdPKI] =         { "pki",             JSMN_OBJECT },
	[BdRoot] =        { "trustedRootPath", JSMN_STRING },
	[BdIdents] =      { "identities",      JSMN_ARRAY },
	[BdPredicates] =  { "predicateTypes",  JSMN_ARRAY },
	[BdAnnotations] = { "annotations",     JSMN_OBJECT },
};

/* The members: keys and pki mapped onto sst_load (without fulcio and
 * Rekor keys), the rest into a BdlReq; keyless identities by id_load.
 * The trusted root is read when it is needed (bdl_trust, bdl_judge). */
static int
bdl_load(const Json *j, const int *v, Req *r, Arena *a, Err *e)
{
	int sv[LEN(sgfields)], i, k, n;
	const char *at;
	BdlReq *b;

	n = (v[BdKeyPath] >= 0) + (v[BdKeyPaths] >= 0) + (v[BdKeyData] >= 0) +
	    (v[BdKeyDatas] >= 0) + (v[BdPKI] >= 0);
	if (n > 1 || (!n && v[BdIdents] < 0))
		return fail(e, ExitConfig, "%s: %s: exactly one of keyPath, "
		    "keyPaths, keyData, keyDatas and pki must be given, or "
		    "identities (keyless)", j->file, r->at);
	if (n && v[BdIdents] >= 0)
		return fail(e, ExitConfig, "%s: %s: identities (keyless) "
		    "cannot be combined with keys or pki", j->file, r->at);
	if (!n && v[BdRoot] < 0)
		return fail(e, ExitConfig, "%s: %s: identities (keyless) need "
		    "trustedRootPath", j->file, r->at);
	if (!(b = ar_alloc(a, sizeof(*b), e)))
		return -1;
	memset(b, 0, sizeof(*b));
	r->own = b;
	for (k = 0; k < (int)LEN(sv); k++)
		sv[k] = -1;
	sv[SgKeyPath] = v[BdKeyPath];
	sv[SgKeyPaths] = v[BdKeyPaths];
	sv[SgKeyData] = v[BdKeyData];
	sv[SgKeyDatas] = v[BdKeyDatas];
	sv[SgPKI] = v[BdPKI];
	r->src = SrcFulcio;	/* keyless: certificates from Fulcio */
	r->id.type = IdNone;	/* a bundle names no reference */
	if ((n && sst_load(j, sv, r, a, e) < 0) || pol_text(j, v[BdRoot],
	    r->at, "trustedRootPath", &b->root, a, e) < 0)
		return -1;
	r->trust.path = b->root;	/* pol_files: the cache key */
	if (b->root && !(r->trust.at = ar_printf(a, e, "%s.trustedRootPath",
	    r->at)))
		return -1;
	if (v[BdPredicates] >= 0 && (!(at = ar_printf(a, e, "%s.predicateTypes",
	    r->at)) || pol_strings(j, v[BdPredicates], at, 0, &b->ptypes,
	    &b->nptypes, a, e) < 0))
		return -1;
	if (v[BdAnnotations] >= 0 && (!(at = ar_printf(a, e, "%s.annotations",
	    r->at)) || pol_strings(j, v[BdAnnotations], at, 1, &b->ann,
	    &b->nann, a, e) < 0))
		return -1;
	if (v[BdIdents] < 0)
		return 0;
	if ((b->nids = j->t[v[BdIdents]].size) == 0 || b->nids > MAX_KEYS)
		return fail(e, ExitConfig, "%s: %s.identities: want 1 to "
		    "MAX_KEYS (%d) entries", j->file, r->at, MAX_KEYS);
	if (!(b->ids = ar_alloc(a, (size_t)b->nids * sizeof(*b->ids), e)))
		return -1;
	for (i = v[BdIdents] + 1, k = 0; k < b->nids; k++, i = json_skip(j, i))
		if (!(at = ar_printf(a, e, "%s.identities[%d]", r->at, k)) ||
		    id_load(j, i, at, &b->ids[k], a, e) < 0)
			return -1;
	return 0;
}

/* the version (1 to 3) of a bundle media type, or 0: sigstore-go's two
 * spellings of v0.1, v0.2 and v0.3, no others */
static int
bdl_version(const char *mt)
{
	static const char *names[] = {
		BDL_PREFIX "+json;version=0.1", BDL_PREFIX "+json;version=0.2",
		BDL_PREFIX "+json;version=0.3", BDL_PREFIX ".v0.1+json",
		BDL_PREFIX ".v0.2+json", BDL_PREFIX ".v0.3+json"
	};
	int k;

	for (k = 0; k < (int)LEN(names) && strcmp(mt, names[k]); k++)
		;
	return k < (int)LEN(names) ? k % 3 + 1 : 0;
}

/* no member name twice in any object of j (Go's protojson refuses it;
 * json_get would see one of them) */
static int
bdl_dups(const Json *j, Arena *a, Err *e)
{
	int t;

	for (t = 0; t < j->nt; t++)
		if (j->t[t].type == JSMN_OBJECT && pay_dups(j, t, "an object",
		    a, e) < 0)
			return -1;
	return 0;
}

/* protobuf bytes at token i (standard base64, padded), not empty */
static int
bdl_bytes(const Json *j, int i, Arena *a, Str *out)
{
	const char *s;

	return i >= 0 && (s = json_str(j, i, a, NULL)) && *s &&
	    b64_decode(a, s, strlen(s), out) == 0 && out->n ? 0 : -1;
}

/* A bundle (specs/sigstore-bundle.md §3, §4) into b: its media type, one
 * of the three kinds of verification material, a DSSE envelope of one
 * signature.  Transparency-log entries and timestamps are only checked
 * for shape: keys and pki trust neither.  1, or 0 with why. */
static int
bdl_parse(const Str *blob, Bdl *b, Arena *a, const char **why)
{
	static const Field top[] = {
		{ "mediaType", JSMN_STRING },
		{ "verificationMaterial", JSMN_OBJECT },
		{ "dsseEnvelope", JSMN_OBJECT },
		{ "messageSignature", JSMN_OBJECT }
	}, vm[] = {
		{ "publicKey", JSMN_OBJECT },
		{ "x509CertificateChain", JSMN_OBJECT },
		{ "certificate", JSMN_OBJECT }, { "tlogEntries", JSMN_ARRAY },
		{ "timestampVerificationData", JSMN_OBJECT }
	}, hint[] = {
		{ "hint", JSMN_STRING }
	}, chain[] = {
		{ "certificates", JSMN_ARRAY }
	}, raw[] = {
		{ "rawBytes", JSMN_STRING }
	}, tsv[] = {
		{ "rfc3161Timestamps", JSMN_ARRAY }
	}, stamp[] = {
		{ "signedTimestamp", JSMN_STRING }
	}, dsse[] = {
		{ "payload", JSMN_STRING }, { "payloadType", JSMN_STRING },
		{ "signatures", JSMN_ARRAY }
	}, sig[] = {
		{ "sig", JSMN_STRING }, { "keyid", JSMN_STRING }
	};
	int v[LEN(top)], w[LEN(vm)], x[LEN(dsse)], y[LEN(sig)], z[1], c, k;
	Err sub = { 0, "" };
	const char *mt;
	Json j;

	memset(b, 0, sizeof(*b));
	if (json_parse(&j, a, "bundle", blob->p, blob->n, ExitReject, &sub) <
	    0 || bdl_dups(&j, a, &sub) < 0 || json_fields(&j, 0, "top level",
	    top, LEN(top), v, a, &sub) < 0)
		goto bad;
	if (v[0] < 0 || !(mt = json_str(&j, v[0], a, &sub)) ||
	    !(b->version = bdl_version(mt))) {
		*why = ar_reason(a, &sub, "bundle: mediaType %s is not a "
		    "Sigstore bundle v0.1 to v0.3", v[0] < 0 ? "missing" :
		    ar_quote(a, j.s + j.t[v[0]].start, (size_t)(j.t[v[0]].end -
		    j.t[v[0]].start), &sub));
		return 0;
	}
	if (json_fields(&j, v[1], "verificationMaterial", vm, LEN(vm), w, a,
	    &sub) < 0)
		goto bad;
	if ((w[0] >= 0) + (w[1] >= 0) + (w[2] >= 0) != 1) {
		*why = "bundle: verificationMaterial needs exactly one of "
		    "publicKey, x509CertificateChain and certificate";
		return 0;
	}
	if (w[1] >= 0 && b->version == 3) {
		*why = "bundle: v0.3 with an x509CertificateChain (v0.3 has "
		    "certificate)";
		return 0;
	}
	z[0] = -1;
	if ((w[0] >= 0 && json_fields(&j, w[0], "verificationMaterial."
	    "publicKey", hint, LEN(hint), z, a, &sub) < 0) || (w[4] >= 0 &&
	    json_fields(&j, w[4], "verificationMaterial."
	    "timestampVerificationData", tsv, LEN(tsv), z, a, &sub) < 0))
		goto bad;
	if (w[4] >= 0 && z[0] >= 0 && (b->nts = j.t[z[0]].size) >
	    MAX_TIMESTAMPS) {
		*why = "bundle: more than MAX_TIMESTAMPS rfc3161Timestamps";
		return 0;
	}
	if (!(b->ts = ar_alloc(a, (size_t)b->nts * sizeof(Str) + 1, NULL)))
		return ar_spent(NULL), *why = NOMEM, 0;
	for (k = 0, c = z[0] + 1; k < b->nts; k++, c = json_skip(&j, c))
		if (json_fields(&j, c, "rfc3161Timestamps[]", stamp, 1, y, a,
		    &sub) < 0)
			goto bad;
		else if (tr_bytes(&j, y[0], a, &b->ts[k]) < 0)
			return *why = "bundle: a timestamp without "
			    "signedTimestamp bytes", 0;
	if (!tl_parse(&j, w[3], &b->tl, &b->ntl, a, why))
		return 0;
	/* sigstore-go: v0.1 needs a SET among its entries, later versions
	 * an inclusion proof */
	for (k = 0; k < b->ntl && !(b->version == 1 ? b->tl[k].set.p != NULL :
	    b->tl[k].proof); k++)
		;
	if (b->ntl && k == b->ntl) {
		*why = b->version == 1 ? "bundle: v0.1 with no SET in its "
		    "tlogEntries" : "bundle: v0.2 or later with no inclusion "
		    "proof in its tlogEntries";
		return 0;
	}
	c = w[2];
	if (w[1] >= 0) {	/* leaf first; the rest is not trusted */
		if (json_fields(&j, w[1], "verificationMaterial."
		    "x509CertificateChain", chain, LEN(chain), z, a, &sub) < 0)
			goto bad;
		c = z[0] >= 0 && j.t[z[0]].size ? z[0] + 1 : -1;
	}
	if (c >= 0 && (json_fields(&j, c, "certificate", raw, LEN(raw), z, a,
	    &sub) < 0 || bdl_bytes(&j, z[0], a, &b->cert) < 0)) {
		*why = sub.code ? ar_reason(a, &sub, "%s", sub.msg) :
		    "bundle: certificate rawBytes missing or not base64";
		return 0;
	}
	if (w[1] >= 0 && !b->cert.p) {
		*why = "bundle: x509CertificateChain holds no certificate";
		return 0;
	}
	if ((v[2] >= 0) == (v[3] >= 0) || v[3] >= 0) {
		*why = v[3] >= 0 ? "bundle: a messageSignature signs a blob, "
		    "not an image (cosign refuses it too)" : "bundle: "
		    "dsseEnvelope is missing";
		return 0;
	}
	if (json_fields(&j, v[2], "dsseEnvelope", dsse, LEN(dsse), x, a,
	    &sub) < 0)
		goto bad;
	if (x[2] < 0 || j.t[x[2]].size != 1 || x[1] < 0) {
		*why = "bundle: the DSSE envelope needs a payloadType and "
		    "exactly one signature";
		return 0;
	}
	if (json_fields(&j, x[2] + 1, "dsseEnvelope.signatures[0]", sig,
	    LEN(sig), y, a, &sub) < 0 || !(b->ptype = json_str(&j, x[1], a,
	    &sub)))
		goto bad;
	if (bdl_bytes(&j, x[0], a, &b->payload) < 0 || bdl_bytes(&j, y[0], a,
	    &b->sig) < 0) {
		*why = "bundle: DSSE payload or sig missing or not base64";
		return 0;
	}
	return 1;
bad:
	*why = ar_reason(a, &sub, "%s", sub.msg);
	return 0;
}

/* The in-toto statement of a verified envelope (§7.3, §7.4): Statement
 * v1 or v0.1, a subject whose digest names the image, an accepted
 * predicateType and the policy's annotations on that subject.  Every
 * digest value must be hex; the image's must be the lowercase hex of
 * -digest, as cosign compares it.  1, or 0 with why. */
static int
bdl_statement(const Str *p, const BdlReq *b, const char *digest, Arena *a,
    const char **why)
{
	static const Field top[] = {
		{ "_type", JSMN_STRING }, { "subject", JSMN_ARRAY },
		{ "predicateType", JSMN_STRING }, { "predicate", JSMN_OBJECT }
	}, desc[] = {
		{ "name", JSMN_STRING }, { "uri", JSMN_STRING },
		{ "digest", JSMN_OBJECT }, { "content", JSMN_STRING },
		{ "downloadLocation", JSMN_STRING },
		{ "mediaType", JSMN_STRING }, { "annotations", JSMN_OBJECT }
	};
	const char **pt = b->ptypes, *dflt = BDL_SIGN, *s, *t, *hex;
	int v[LEN(top)], w[LEN(desc)], i, k, m, d, end, np = b->nptypes;
	int ann = -1, found = 0;
	size_t alg = strcspn(digest, ":"), x;
	Err sub = { 0, "" };
	Json j;

	hex = digest + alg + 1;
	if (json_parse(&j, a, "statement", p->p, p->n, ExitReject, &sub) < 0 ||
	    bdl_dups(&j, a, &sub) < 0 || json_fields(&j, 0, "top level", top,
	    LEN(top), v, a, &sub) < 0)
		goto bad;
	if (v[0] < 0 || v[1] < 0 || v[2] < 0 || !(t = json_str(&j, v[0], a,
	    &sub)) || !(s = json_str(&j, v[2], a, &sub))) {
		*why = "statement: _type, subject and predicateType are "
		    "required";
		return 0;
	}
	if (strcmp(t, "https://in-toto.io/Statement/v1") && strcmp(t,
	    "https://in-toto.io/Statement/v0.1")) {
		*why = ar_reason(a, &sub, "statement: _type %s is not an "
		    "in-toto Statement v1 or v0.1", ar_quote(a, t, strlen(t),
		    &sub));
		return 0;
	}
	if ((m = j.t[v[1]].size) < 1 || m > MAX_SUBJECTS) {
		*why = "statement: want 1 to MAX_SUBJECTS subjects";
		return 0;
	}
	for (i = v[1] + 1, k = 0; k < m; k++, i = json_skip(&j, i)) {
		if (json_fields(&j, i, "subject", desc, LEN(desc), w, a, &sub) <
		    0)
			goto bad;
		end = w[2] >= 0 ? json_skip(&j, w[2]) : 0;
		for (d = w[2] + 1; d < end; d = json_skip(&j, d + 1)) {
			x = (size_t)(j.t[d + 1].end - j.t[d + 1].start);
			if (j.t[d + 1].type != JSMN_STRING || x % 2 ||
			    strspn(j.s + j.t[d + 1].start,
			    "0123456789abcdefABCDEF") != x) {
				*why = "statement: a subject digest that is "
				    "not hex";
				return 0;
			}
			if (!found && (size_t)(j.t[d].end - j.t[d].start) ==
			    alg && !memcmp(j.s + j.t[d].start, digest, alg) &&
			    json_eq(&j, d + 1, hex)) {
				found = 1;
				ann = w[6];
			}
		}
	}
	if (!found) {
		*why = m > 1 ? ar_reason(a, &sub, "none of the statement's %d "
		    "subjects is the image", m) : "the statement's subject is "
		    "not the image (a bundle for another digest)";
		return 0;
	}
	for (k = 0; k < (np ? np : 1) && strcmp(s, np ? pt[k] : dflt); k++)
		;
	if (k == (np ? np : 1)) {
		*why = ar_reason(a, &sub, "predicateType %s not accepted",
		    ar_esc(a, s, &sub));
		return 0;
	}
	for (k = 0; k < b->nann; k++) {
		d = ann >= 0 ? json_get(&j, ann, b->ann[2 * k]) : -1;
		if (d < 0 || j.t[d].type != JSMN_STRING || !(t = json_str(&j, d,
		    a, &sub)) || strcmp(t, b->ann[2 * k + 1])) {
			*why = ar_reason(a, &sub, "annotation %s=%s not on the "
			    "statement's subject", b->ann[2 * k],
			    b->ann[2 * k + 1]);
			return 0;
		}
	}
	return 1;
bad:
	*why = ar_reason(a, &sub, "%s", sub.msg);
	return 0;
}

/* DSSE's pre-authentication encoding of b's payload, in the arena */
static char *
bdl_pae(const Bdl *b, Arena *a, size_t *n)
{
	char *h = ar_printf(a, NULL, "DSSEv1 %zu %s %zu ", strlen(b->ptype),
	    b->ptype, b->payload.n), *p;
	size_t hl = h ? strlen(h) : 0;

	if (!h || !(p = ar_alloc(a, hl + b->payload.n + 1, NULL)))
		return NULL;
	memcpy(p, h, hl);
	memcpy(p + hl, b->payload.p, b->payload.n);
	*n = hl + b->payload.n;
	return p;
}

/* pki for a bundle's certificate (PEM): sst_cert's checks, now, then
 * sig over msg with its key (cry_verify_curve).  1 with *who naming the
 * certificate, or 0 with why. */
static int
bdl_leaf(Signer *sg, const Req *q, const char *pem, const void *msg,
    size_t n, const Str *sig, Arena *a, const char **who, const char **why)
{
	Cert chain;
	int ok = 0;
	Cand c;

	memset(&c, 0, sizeof(c));
	c.cert = pem;
	cry_cert_init(&chain);
	if (!sst_cert(sg, q, &c, -1, &chain, a, why))
		;
	else if (cry_verify_curve(cry_cert_key(&chain), msg, n,
	    (const unsigned char *)sig->p, sig->n))
		*why = "signed by another key than the certificate's";
	else
		ok = (*who = cry_subject(&chain, a)) != NULL;
	cry_cert_free(&chain);
	return ok;
}

/* The signer of a verified keyless bundle, as reasons name it: subject,
 * issuer, the identity that matched (of several), what gave the time */
static const char *
bdl_who(const Who *w, int k, int n, const Proof *pf, Arena *a)
{
	char s[QUOTE_SIZE], i[QUOTE_SIZE], id[32] = "";

	if (n > 1)
		snprintf(id, sizeof(id), ", identities[%d]", k);
	return ar_reason(a, NULL, "%s (issuer %s%s; %s)", quote_as(s,
	    w->subject.p, w->subject.n, 0), quote_as(i, w->issuer.p,
	    w->issuer.n, 0), id, pf->said);
}

/* One referrer that is a bundle: its layer (the bundle), the signature
 * over PAE by a key, the pki certificate or a Fulcio certificate; with a
 * trusted root its log entries and timestamps (tl_verify), and keyless,
 * the certificate at the times they proved and its identity; then the
 * statement.  1 valid (f->format says the version), 0 not (f->why), -1
 * with e set. */
static int
bdl_check(Run *run, const Req *q, const BdlReq *br, Signer *sg, Root *tr,
    const Referrer *r, Found *f, Err *e)
{
	unsigned char kder[2048];
	Arena *a = run->a;
	char *pae, *pem;
	int k, len, ok = 0;
	const char *w;
	size_t n;
	Resp resp;
	Signed sd;
	Proof pf;
	Cert leaf;
	Who who;
	Bdl b;

	if (r->nlayers != 1 || !bdl_version(r->laytype)) {
		f->why = ar_reason(a, e, "%d layers, first %s: a bundle "
		    "manifest has one, of a bundle v0.1 to v0.3 type",
		    r->nlayers, ar_esc(a, r->laytype, e));
		return 0;
	}
	if (r->laysize > MAX_BUNDLE_BYTES || r->laysize < 0 ||
	    !dig_valid(r->laydigest, strlen(r->laydigest))) {
		f->why = ar_reason(a, e, "its layer has no valid digest, no "
		    "size or more than MAX_BUNDLE_BYTES (%d)",
		    MAX_BUNDLE_BYTES);
		return 0;
	}
	if (reg_blob(&run->reg, r->laydigest, LIMIT(MAX_BUNDLE_BYTES), &resp,
	    e) < 0)
		return -1;
	if (resp.status == 404)
		return fail(e, ExitUndecided, "%s: bundle %s of referrer %s is "
		    "missing", run->reg.host, r->laydigest, r->digest);
	if ((long long)resp.body.n != r->laysize) {
		f->why = "the bundle's size is not its manifest's";
		return 0;
	}
	if (!bdl_parse(&resp.body, &b, a, &f->why))
		return 0;
	if ((q->src == SrcKeys) == (b.cert.p != NULL)) {
		f->why = b.cert.p ? "the bundle holds a certificate: this "
		    "requirement trusts keys" : q->src == SrcPKI ? "the bundle "
		    "names a public key: pki needs a certificate" : "the "
		    "bundle names a public key: keyless needs a certificate";
		return 0;
	}
	if (!(pae = bdl_pae(&b, a, &n)))
		return ar_spent(e);
	memset(&sd, 0, sizeof(sd));
	sd.sig = b.sig;
	sd.payload = b.payload;
	sd.pae = pae;
	sd.paen = n;
	cry_cert_init(&leaf);
	if (q->src == SrcKeys) {
		for (k = 0; k < sg->nkeys && cry_verify_curve(&sg->keys[k].pk,
		    pae, n, (const unsigned char *)b.sig.p, b.sig.n); k++)
			;
		if (k == sg->nkeys) {
			f->why = "signed by another key";
			goto out;
		}
		f->signer = sg->keys[k].name;
		sd.pk = &sg->keys[k].pk;
		len = cry_key_der(sd.pk, kder, sizeof(kder));
		sd.der = kder + sizeof(kder) - (len > 0 ? len : 0);
		sd.dern = len > 0 ? (size_t)len : 0;
	} else {
		sd.der = (const unsigned char *)b.cert.p;
		sd.dern = b.cert.n;
		sd.cert = 1;
		sd.leaf = &leaf;
		if (cry_cert_der(&leaf, sd.der, sd.dern) < 0) {
			f->why = "the bundle's certificate does not parse";
			goto out;
		}
		sd.pk = cry_cert_key(&leaf);
		if (q->src == SrcFulcio && cry_verify_curve(sd.pk, pae, n,
		    (const unsigned char *)b.sig.p, b.sig.n)) {
			f->why = "signed by another key than the certificate's";
			goto out;
		}
	}
	if (q->src == SrcPKI) {
		if (!(pem = ar_alloc(a, b.cert.n / 3 * 4 + 64, e)))
			goto out;
		strcpy(pem, "-----BEGIN CERTIFICATE-----\n");
		b64_encode(b.cert.p, b.cert.n, pem + strlen(pem));
		strcat(pem, "\n-----END CERTIFICATE-----\n");
		if (!bdl_leaf(sg, q, pem, pae, n, &b.sig, a, &f->signer,
		    &f->why))
			goto out;
	}
	/* the logs and timestamps, then keyless: the time, the CA, who */
	if (tr->path && tl_verify(tr, b.tl, b.ntl, b.ts, b.nts, &sd, &pf, a,
	    &f->why) < 0)
		goto out;
	if (q->src == SrcFulcio) {
		if (!pf.nt) {
			f->why = "no verified time: keyless needs a Rekor v1 "
			    "SET or an RFC 3161 timestamp";
			goto out;
		}
		if (!tl_fulcio(tr, &b.cert, &pf, a, &f->why) || id_cert(&leaf,
		    &who, a, &f->why) < 0)
			goto out;
		if (!id_match(br->ids, br->nids, &who, &k, a, &w)) {
			f->why = br->nids > 1 ? ar_reason(a, e,
			    "identities[%d] (closest): %s", k, w) : w;
			goto out;
		}
		f->signer = bdl_who(&who, k, br->nids, &pf, a);
	} else if (tr->path) {
		f->signer = ar_reason(a, e, "%s (%s)", f->signer, pf.said);
	}
	/* only now is anything inside believed */
	if (strcmp(b.ptype, BDL_INTOTO)) {
		f->why = ar_reason(a, e, "payloadType %s, not an in-toto "
		    "statement", ar_quote(a, b.ptype, strlen(b.ptype), e));
		goto out;
	}
	if (!bdl_statement(&b.payload, br, run->digest, a, &f->why))
		goto out;
	f->format = ar_reason(a, e, "bundle v0.%d", b.version);
	f->why = NULL;
	ok = 1;
out:
	cry_cert_free(&leaf);
	return e->code ? -1 : ok;
}

/* the BdlReq of q (none in a Req not made by bdl_load) */
static const BdlReq *
bdl_req(const Req *q)
{
	static const BdlReq none;

	return q->own ? q->own : &none;
}

/* q's trusted root, if it names one, into tr: a configuration error
 * otherwise (and keyless without a certificate authority) */
static int
bdl_root(Run *run, const Req *q, Root *tr, Err *e)
{
	Err sub = { 0, "" };
	Str none = { NULL, 0 };

	memset(tr, 0, sizeof(*tr));
	if (!bdl_req(q)->root)
		return 0;
	if (tr_load(tr, bdl_req(q)->root, none, run->a, &sub) < 0)
		return fail(e, ExitConfig, "%s: %s.trustedRootPath: %s",
		    run->policyfile, q->at, sub.msg);
	if (q->src == SrcFulcio && !tr->nca)
		return fail(e, ExitConfig, "%s: %s.trustedRootPath: %s: lists "
		    "no certificateAuthorities (keyless trusts Fulcio's)",
		    run->policyfile, q->at, tr->path);
	return 0;
}

/* sigstoreBundle (SPEC.md): what it trusts (a bad key file is a
 * configuration error), then every referrer of the image in turn, each
 * classified by its own manifest; then cosign's legacy .sig, which binds
 * the digest as well (its docker-reference is only reported: this type
 * has no signedIdentity).  The first valid candidate satisfies it. */
static int
bdl_judge(Run *run, const Req *q, Result *res, Err *e)
{
	const BdlReq *br = bdl_req(q);
	Signer *sg = &sstsigner;
	Arena *a = run->a;
	const char *src, *list = "", *w, *at;
	Referrers *rs;
	BdlRun *st;
	Referrer *r;
	Found *f;
	Sigs *s;
	int i, n = 0, rc = -1;

	if ((q->src != SrcFulcio && sst_signer(sg, q, run->policyfile, a, e) <
	    0) || bdl_root(run, q, &bdltrust, e) < 0 || !(st =
	    run_state(run, q->type, sizeof(*st), e)) || !run_reg(run, e) ||
	    reg_referrers(&run->reg, run->digest, rs = &st->refs, e) < 0 ||
	    !(f = ar_alloc(a, (size_t)(rs->n + MAX_SIGS) * sizeof(*f), e)) ||
	    !(s = run_state(run, StateSigs, sizeof(*s), e)))
		goto out;
	memset(f, 0, (size_t)(rs->n + MAX_SIGS) * sizeof(*f));
	res->found = f;
	src = rs->api ? "referrers API" : ar_reason(a, e, "referrers tag "
	    "%.19s\xe2\x80\xa6", rs->tag);
	for (i = 0; i < rs->n && !res->ok; i++, n++) {
		r = &rs->r[i];
		f[n].source = src;
		f[n].format = "referrer";
		if (reg_referrer(&run->reg, r, run->digest, e) < 0)
			goto out;
		if (r->fetched && !strncmp(r->laytype, BDL_PREFIX,
		    strlen(BDL_PREFIX)))
			f[n].format = "bundle";
		at = *r->atype ? r->atype : r->cfgtype;
		if (r->why)
			f[n].why = r->why;
		else if (!strcmp(f[n].format, "referrer"))
			f[n].why = ar_reason(a, e, "not a Sigstore bundle "
			    "(artifactType %s, %d layer%s%s%s)", *at ? ar_esc(a,
			    at, e) : "none", r->nlayers, r->nlayers == 1 ? "" :
			    "s", r->nlayers ? ", first " : "", ar_esc(a,
			    r->laytype, e));
		else if ((res->ok = bdl_check(run, q, br, sg, &bdltrust, r,
		    &f[n], e)) < 0)
			goto out;
	}
	/* cosign's legacy .sig, only when no bundle holds (cosign's order) */
	if (!res->ok && sst_attached(run, s, e) < 0)
		goto out;
	for (i = 0; !res->ok && s->found && i < s->n; i++, n++) {
		f[n].source = run->reg.sigtag;
		f[n].format = "legacy .sig";
		if (br->root)	/* its Rekor bundle: not against a root */
			w = "cosign 2 signatures are not checked against "
			    "trustedRootPath: use a bundle (cosign 3)";
		else
			res->ok = sst_check(run, q, sg, s, &s->c[i], &w,
			    &f[n].signer);
		f[n].why = res->ok ? NULL : w;
	}
	res->nfound = n;
	rc = 0;
	if (res->ok && n <= rs->n)
		res->detail = ar_reason(a, e, "%s (%s) verified, signed by %s",
		    f[n - 1].format, src, f[n - 1].signer);
	else if (res->ok)
		res->detail = ar_reason(a, e, "legacy .sig (%s, signature %d "
		    "of %d) verified, signed by %s, %s (reported, not "
		    "required)", run->reg.sigtag, n - rs->n, s->n,
		    f[n - 1].signer, w);
	else if (!n)
		res->detail = ar_reason(a, e, "no signature: no referrers (%s) "
		    "and %s %s attachment%s", src, s->found ? "a" : "no",
		    run->reg.sigtag, s->found ? " without signature layers" :
		    "");
	for (i = 0; !res->ok && i < n; i++) {
		list = ar_reason(a, e, "%s%s#%d %s%s%s%s: %s", list, i ? "; " :
		    "", i + 1, f[i].format, i < rs->n ? " (" : "", i < rs->n ?
		    f[i].source : "", i < rs->n ? ")" : "", f[i].why);
		res->detail = ar_reason(a, e, "%d candidate%s, none valid: %s",
		    n, n == 1 ? "" : "s", list);
	}
	if (e->code)
		rc = -1;	/* out of memory, in e */
out:
	sst_signer_free(sg);
	tr_free(&bdltrust);
	return rc;
}

/* -check and standalone pre-flight: load what q trusts (keys, pki CAs)
 * and its trusted root; configuration errors only */
static int
bdl_trust(Run *run, const Req *q, Err *e)
{
	int rc = 0;

	if (q->src != SrcFulcio)
		rc = sst_trust(run, q, e);
	if (!rc)
		rc = bdl_root(run, q, &bdltrust, e);
	tr_free(&bdltrust);
	return rc;
}

/* -check's warning about a sigstoreBundle requirement, or NULL */
static const char *
bdl_warn(const Req *q, const char *policyfile)
{
	(void)q;
	if (!strcmp(policyfile, "/etc/containers/policy.json"))
		return "sigstoreBundle is an ivlite extension: "
		    "containers/image (Podman, CRI-O) refuses a policy.json "
		    "that names it; keep this policy at ivlite's own path "
		    "(-policy)";
	return NULL;
}

/* == 33. Crypto: Notary Project chains, signatures and CRLs ==============
 * What notation asks of certificates beyond a path (specs/notation.md
 * §4.1, §7): the chain as sent, each certificate signed by the next, the
 * last self-signed, key usage critical; JWS and COSE signatures (ECDSA
 * r||s, RSASSA-PSS); subjects as notation reads them; CRLs walked with
 * the strict DER reader above and checked with the issuer's key. */

enum { AlgPS256, AlgPS384, AlgPS512, AlgES256, AlgES384, AlgES512 };

/* the algorithm notation derives from c's key: RSA of 2048, 3072 or
 * 4096 bits (by its length in bytes, as Go sizes it), EC on P-256, P-384
 * or P-521; -1 for any other */
static int
cry_alg(const Cert *c)
{
	size_t b = cry_key_len(&c->pk) * 8;

	if (mbedtls_pk_get_type(&c->pk) == MBEDTLS_PK_RSA)
		return b == 2048 ? AlgPS256 : b == 3072 ? AlgPS384 : b == 4096 ?
		    AlgPS512 : -1;
	if (mbedtls_pk_get_type(&c->pk) != MBEDTLS_PK_ECKEY)
		return -1;
	switch (mbedtls_pk_ec(c->pk)->MBEDTLS_PRIVATE(grp).id) {
	case MBEDTLS_ECP_DP_SECP256R1: return AlgES256;
	case MBEDTLS_ECP_DP_SECP384R1: return AlgES384;
	case MBEDTLS_ECP_DP_SECP521R1: return AlgES512;
	default: return -1;
	}
}

/* Does sig verify msg with c's key by alg (whose hash is SHA-256, -384,
 * -512 by alg % 3)?  ECDSA: r||s of exactly twice the curve's bytes;
 * RSASSA-PSS, MGF1 with the same hash: any salt length when anysalt (as
 * notation's JWS reader), else the hash's (as go-cose).  0 if so. */
static int
cry_sig(const Cert *c, int alg, int anysalt, const void *msg, size_t n,
    const unsigned char *sig, size_t sl)
{
	static const size_t half[] = { 32, 48, 66 };
	unsigned char h[64], der[160];
	int md = MdSha256 + alg % 3;
	size_t hn = der_sum(md, msg, n, h);
	mbedtls_pk_rsassa_pss_options o;

	if (alg >= AlgES256)
		return sl == 2 * half[alg % 3] && cry_check(&c->pk, md, h, hn,
		    der, cry_p1363(sig, sl, der)) == 0 ? 0 : -1;
	o.mgf1_hash_id = cry_md[md];
	o.expected_salt_len = anysalt ? MBEDTLS_RSA_SALT_LEN_ANY : (int)hn;
	return hn && cry_init(0) == 0 && sl == cry_key_len(&c->pk) &&
	    mbedtls_pk_verify_ext(
	    MBEDTLS_PK_RSASSA_PSS, &o, (Pk *)&c->pk, cry_md[md], h, hn, sig,
	    sl) == 0 ? 0 : -1;
}

/* key usage: 1 present and critical with its bits in *ku, 0 not both */
static int
cry_ku(const Cert *c, int *ku)
{
	Der v;
	int crit;

	*ku = (int)c->MBEDTLS_PRIVATE(key_usage);
	return der_ext(c, "\x55\x1d\x0f", &v, &crit) == 1 && crit;
}

/* Is a certificate of store the DER bytes der[0..n)? */
static int
cry_in(const Cert *store, const Str *der)
{
	const Cert *x;

	for (x = store; x && x->raw.p; x = x->next)
		if (x->raw.len == der->n && !memcmp(x->raw.p, der->p, der->n))
			return 1;
	return 0;
}

/* The certificate chain of a signature, c[0] the leaf, as notation-core
 * -go's ValidateCodeSigningCertChain (specs/notation.md §4.1), and the
 * leaf's key one notation signs with.  A lone leaf that is no CA and
 * byte for byte in known (a trust store, whose such certificates proved
 * self-signed when loaded) is not checked twice.  0, or -1 with why. */
static int
cry_ntn_chain(Cert *const *c, int n, const Cert *known, Arena *a,
    const char **why)
{
	Str raw = { (char *)c[0]->raw.p, c[0]->raw.len };
	static const char eku[] = { 1, 2, 4, 8, 9 };	/* id-kp-… refused */
	const mbedtls_x509_sequence *s;
	const Cert *x;
	int i, k, ku, self, mp;

	for (i = 0; i < n; i++) {
		x = c[i];
		self = cry_named(x, x) && ((n == 1 && !x->MBEDTLS_PRIVATE(
		    ca_istrue) && cry_in(known, &raw)) || !cry_signed(x, x, n > 1));
		if (i == n - 1 && !self)
			return *why = "the chain does not end in a self-signed "
			    "certificate", -1;
		if (i < n - 1 && (self || !cry_named(x, c[i + 1]) ||
		    cry_signed(x, c[i + 1], 1)))
			return *why = ar_reason(a, NULL, "certificate %d of the "
			    "chain is %s", i + 1, self ? "self-signed but not "
			    "last" : "not issued by the next one"), -1;
		if (i > 0) {
			mp = x->MBEDTLS_PRIVATE(max_pathlen);
			if (!x->MBEDTLS_PRIVATE(ca_istrue) || (mp > 0 && mp - 1 <
			    i - 1) || !cry_ku(x, &ku) || !(ku &
			    MBEDTLS_X509_KU_KEY_CERT_SIGN))
				return *why = ar_reason(a, NULL, "certificate %d "
				    "of the chain is no CA for code signing (basic "
				    "constraints, path length, critical key usage "
				    "keyCertSign)", i + 1), -1;
			continue;
		}
		if (x->MBEDTLS_PRIVATE(ca_istrue) || !cry_ku(x, &ku) || !(ku &
		    MBEDTLS_X509_KU_DIGITAL_SIGNATURE) || (ku & ~(
		    MBEDTLS_X509_KU_DIGITAL_SIGNATURE |
		    MBEDTLS_X509_KU_NON_REPUDIATION)))
			return *why = "the signing certificate is a CA, or its "
			    "key usage is not critical digitalSignature only", -1;
		for (s = &x->ext_key_usage; s && s->buf.p; s = s->next)
			for (k = 0; k < (int)sizeof(eku); k++)
				if (s->buf.len == 8 && !memcmp(s->buf.p,
				    MBEDTLS_OID_KP, 7) && s->buf.p[7] == eku[k])
					return *why = "the signing certificate's "
					    "extended key usage is for TLS, email, "
					    "time stamping or OCSP", -1;
		if (cry_alg(x) < 0)
			return *why = "the signing certificate's key is neither "
			    "RSA 2048/3072/4096 nor ECDSA P-256/384/521", -1;
	}
	return 0;
}

/* Is c valid at t (inclusive bounds, as Go compares)?  *to its end. */
static int
cry_valid_at(const Cert *c, long long t, long long *to)
{
	*to = cry_time(&c->valid_to);
	return t >= cry_time(&c->valid_from) && t <= *to;
}

/* c's subject as RFC 4514 text, escaped for a reason */
static const char *
cry_dn(const Cert *c, Arena *a)
{
	char buf[512];

	if (mbedtls_x509_dn_gets(buf, sizeof(buf), &c->subject) < 0)
		snprintf(buf, sizeof(buf), "(a long name)");
	return ar_esc(a, buf, NULL);
}

/* c's subject as notation reads it (Go's pkix.Name, then String() and
 * ParseDN): by attribute C, ST, O, OU, CN, L, STREET, POSTALCODE,
 * SERIALNUMBER into v[9] (NULL: absent).  CN and SERIALNUMBER keep their
 * last value, the others may not repeat; any other attribute (Go writes
 * it as OID=#hex) is refused, as is a value holding "=#".  0, or -1. */
static int
cry_subject_kv(const Cert *c, const char *v[9], Arena *a, const char **why)
{
	static const unsigned char oid[] = { 6, 8, 10, 11, 3, 7, 9, 17, 5 };
	const mbedtls_x509_name *x;
	unsigned char t;
	char *s;
	int k;

	memset(v, 0, 9 * sizeof(*v));
	for (x = &c->subject; x && x->oid.p; x = x->next) {
		for (k = 0; k < 9 && (x->oid.len != 3 || memcmp(x->oid.p,
		    "\x55\x04", 2) || x->oid.p[2] != oid[k]); k++)
			;
		t = (unsigned char)x->val.tag;
		if (k == 9 || !strchr("\x0c\x12\x13\x14\x16", t) || !t)
			return *why = "its subject has an attribute notation "
			    "cannot match", -1;
		if (v[k] && k != 4 && k != 8)
			return *why = "its subject repeats an attribute", -1;
		if (!(s = ar_printf(a, NULL, "%.*s", (int)x->val.len,
		    x->val.p)) || strlen(s) != x->val.len || strstr(s, "=#"))
			return *why = "its subject has a value notation cannot "
			    "match", -1;
		v[k] = s;
	}
	return 0;
}

/* -- Revocation (RFC 5280 CRLs, notation-core-go's rules) */

/* The http(s) URIs of c's CRL distribution points (fullName, as Go's
 * parser reads them) into u[0..max): their count; whether it names an
 * OCSP responder (*ocsp) or delta CRLs (*delta).  -1 if malformed. */
static int
cry_revinfo(const Cert *c, Der *u, int max, int *ocsp, int *delta)
{
	Der v, d, dp, nm, x, o;
	int crit, n = 0, r;

	*ocsp = 0;
	*delta = der_ext(c, "\x55\x1d\x2e", &v, &crit) != 0;
	if ((r = der_ext(c, "\x2b\x06\x01\x05\x05\x07\x01\x01", &v, &crit)) <
	    0 || (r && der_get(&v, 0x30, &d) < 0))
		return -1;
	while (r && d.p < d.end) {
		if (der_get(&d, 0x30, &x) < 0 || der_get(&x, 0x06, &o) < 0)
			return -1;
		*ocsp |= der_is(&o, "\x2b\x06\x01\x05\x05\x07\x30\x01") &&
		    x.p < x.end && *x.p == 0x86;
	}
	if ((r = der_ext(c, "\x55\x1d\x1f", &v, &crit)) <= 0)
		return r;
	if (der_get(&v, 0x30, &d) < 0)
		return -1;
	while (d.p < d.end) {
		if (der_get(&d, 0x30, &dp) < 0 || (r = der_opt(&dp, 0xa0,
		    &nm)) < 0 || (r && der_get(&nm, 0xa0, &x) < 0))
			return -1;
		while (r && x.p < x.end && *x.p == 0x86) {
			if (der_get(&x, 0x86, &o) < 0 || n == max)
				return -1;
			u[n++] = o;
		}
	}
	return n;
}

/* the next UTCTime or GeneralizedTime of d as Unix seconds into *t */
static int
der_when(Der *d, long long *t)
{
	char buf[32];
	Der g;

	if (der_get(d, d->p < d->end && *d->p == 0x17 ? 0x17 : 0x18, &g) < 0)
		return -1;
	if (*g.tlv == 0x17) {	/* YYMMDDHHMMSSZ: 1950 to 2049 */
		if (g.end - g.p != 13)
			return -1;
		snprintf(buf, sizeof(buf), "%s%.13s", *g.p < '5' ? "20" : "19",
		    (const char *)g.p);
		g.p = (const unsigned char *)buf;
		g.end = g.p + 15;
	}
	return (*t = der_time(&g)) < 0 ? -1 : 0;
}

/* Extensions (SEQUENCE OF Extension) in x: for each, its OID's last
 * byte if it is id-ce 2.5.29.N (else 0) with its value and criticality,
 * through fn; -1 if malformed or fn says so */
static int
der_exts(Der x, int (*fn)(void *ctx, int id, Der *v, int crit), void *ctx)
{
	Der all, e, o, b, v;

	if (der_get(&x, 0x30, &all) < 0 || x.p != x.end)
		return -1;
	while (all.p < all.end) {
		b.p = b.end = NULL;
		if (der_get(&all, 0x30, &e) < 0 || der_get(&e, 0x06, &o) < 0 ||
		    der_opt(&e, 0x01, &b) < 0 || der_get(&e, 0x04, &v) < 0 ||
		    e.p != e.end || fn(ctx, o.end - o.p == 3 && o.p[0] == 0x55 &&
		    o.p[1] == 0x1d ? o.p[2] : 0, &v, b.end - b.p == 1 &&
		    *b.p == 0xff) < 0)
			return -1;
	}
	return 0;
}

typedef struct {		/* what the extensions of a CRL say */
	int delta;		/* a freshestCRL: delta CRLs not supported */
	long long invalid;	/* an entry's invalidityDate, 0: none */
	long reason;		/* an entry's reasonCode, -1: none */
} CrlExt;

/* a CRL's extensions: IDP and the delta indicator may be critical */
static int
cry_crlext(void *ctx, int id, Der *v, int crit)
{
	CrlExt *x = ctx;

	(void)v;
	x->delta |= id == 46;
	return crit && id != 28 && id != 27 ? -1 : 0;
}

/* a CRL entry's: reasonCode, invalidityDate; no other critical one */
static int
cry_entryext(void *ctx, int id, Der *v, int crit)
{
	CrlExt *x = ctx;
	Der r;

	if (id == 21) {
		if (der_get(v, 0x0a, &r) < 0 || r.end - r.p != 1)
			return -1;
		x->reason = *r.p;
		return 0;
	}
	if (id == 24)
		return der_when(v, &x->invalid);
	return crit ? -1 : 0;
}

/* The DER CRL d[0..n) for certificate c issued by issuer, now (Unix
 * seconds), for a signature whose authentic signing time is st (0:
 * none): signed by issuer's key (a CA allowing cRLSign), a nextUpdate
 * not past, no critical extension but IDP and delta indicator, no delta
 * CRLs.  0 with *revoked (1 revoked, 0 not), or -1 with why (the status
 * is unknown).  An entry for c revokes it unless its invalidityDate
 * follows st; certificateHold does unless a later removeFromCRL lifts
 * it. */
static int
cry_crl(const unsigned char *d, size_t n, const Cert *c, const Cert *issuer,
    long long now, long long st, int *revoked, Arena *a, const char **why)
{
	Der x = { d, d + n, d }, l, tbs, alg, alg2, sig, nm, list, ent, ser,
	    ex = { NULL, NULL, NULL }, o;
	unsigned char h[64];
	long long next = -1, t, hold = -1;
	long v;
	CrlExt ce;
	int md, k, holdrc = 0;

	*revoked = 0;
	memset(&ce, 0, sizeof(ce));
	list = ex;
	*why = "not a DER X.509 CRL";
	if (der_get(&x, 0x30, &l) < 0 || x.p != x.end || der_get(&l, 0x30,
	    &tbs) < 0 || der_get(&l, 0x30, &alg) < 0 || der_get(&l, 0x03,
	    &sig) < 0 || l.p != l.end || sig.p == sig.end || *sig.p++)
		return -1;
	x = tbs;
	if ((x.p < x.end && *x.p == 0x02 && (der_uint(&x, &v) < 0 || v != 1))
	    || der_get(&x, 0x30, &alg2) < 0 || der_get(&x, 0x30, &nm) < 0 ||
	    der_when(&x, &t) < 0 || (x.p < x.end && (*x.p == 0x17 || *x.p ==
	    0x18) && der_when(&x, &next) < 0) || der_opt(&x, 0x30, &list) < 0
	    || der_opt(&x, 0xa0, &ex) < 0 || x.p != x.end || alg.end - alg.p
	    != alg2.end - alg2.p || memcmp(alg.p, alg2.p, (size_t)(alg.end -
	    alg.p)) || der_get(&alg, 0x06, &o) < 0)
		return -1;
	/* the signature first: ECDSA or RSA PKCS#1 v1.5 by its OID's hash */
	k = o.end > o.p ? o.end[-1] : 0;
	md = k == 2 || k == 11 ? MdSha256 : k == 3 || k == 12 ? MdSha384 :
	    MdSha512;
	if (!cry_may_sign(issuer, MBEDTLS_X509_KU_CRL_SIGN) || der_check((Pk *)
	    &issuer->pk, md, h, der_sum(md, tbs.tlv, (size_t)(tbs.end -
	    tbs.tlv), h), &sig, &o) != 0)
		return *why = "its signature does not verify with the issuer's "
		    "key (a CA for CRLs)", -1;
	if (next < 0 || now > next)
		return *why = next < 0 ? "it has no nextUpdate" : ar_reason(a,
		    NULL, "it expired at %s (nextUpdate)", when_utc(next, a)), -1;
	if (ex.p && der_exts(ex, cry_crlext, &ce) < 0)
		return *why = "it has a critical extension ivlite does not "
		    "know", -1;
	if (ce.delta)
		return *why = "it names delta CRLs, which ivlite does not "
		    "read", -1;
	while (list.p && list.p < list.end) {
		ce.reason = -1;
		ce.invalid = 0;
		if (der_get(&list, 0x30, &ent) < 0 || der_get(&ent, 0x02, &ser)
		    < 0 || der_when(&ent, &t) < 0)
			return -1;
		ex = ent;	/* its crlEntryExtensions, if any */
		if ((size_t)(ser.end - ser.p) != c->serial.len || memcmp(ser.p,
		    c->serial.p, c->serial.len))
			continue;
		if (ex.p < ex.end && der_exts(ex, cry_entryext, &ce) < 0)
			return *why = "its entry for the certificate has a "
			    "malformed or unknown critical extension", -1;
		if (st && ce.invalid && st < ce.invalid)
			return 0;	/* signed before the key went bad */
		if (ce.reason != 6 && ce.reason != 8)
			return *revoked = 1, 0;
		if (t > hold)
			hold = t, holdrc = ce.reason == 6;
	}
	*revoked = holdrc;
	return 0;
}

/* -- Certificates of signatures, trust stores and time stamps */

/* The DER certificates der[0..n) into chain and their nodes into c[]:
 * 0, or -1 if one does not parse (mbedTLS also refuses critical
 * extensions it does not know, which Go reads) */
static int
cry_parse(const Str *der, int n, Cert *chain, Cert **c)
{
	Cert *x = chain;
	int i;

	for (i = 0; i < n; i++)
		if (mbedtls_x509_crt_parse_der(chain, (const unsigned char *)
		    der[i].p, der[i].n) != 0)
			return -1;
	for (i = 0; i < n; x = x->next)
		c[i++] = x;
	return 0;
}

/* A trust store file f (PEM blocks, every one a certificate, or DER
 * certificates back to back) appended to store, checked as notation
 * does: a certificate that is no CA must be self-signed; in a tsa store
 * every one must be a self-signed root CA.  Its count, or -1 and why. */
static int
cry_store(const Str *f, Cert *store, int tsa, Arena *a, const char **why)
{
	Der d = { (const unsigned char *)f->p, (const unsigned char *)f->p +
	    f->n, NULL }, x;
	Cert c, *y;
	int n = 0, crit;

	cry_cert_init(&c);
	if (memmem_pem(f->p, f->n))
		n = cry_certs(f->p, f->n, 0, &c, 1, a, why);
	else
		while (n >= 0 && d.p < d.end)
			n = der_get(&d, 0x30, &x) < 0 || mbedtls_x509_crt_parse_der(
			    &c, x.tlv, (size_t)(x.end - x.tlv)) ? -1 : n + 1;
	if (n < 0 && !memmem_pem(f->p, f->n))
		*why = "neither PEM nor DER certificates";
	for (y = &c; n > 0 && y && y->raw.p; y = y->next)
		if (der_ext(y, "\x55\x1d\x1e", &x, &crit) == 1 && crit) {
			*why = "a certificate has malformed or unsupported "
			    "critical extensions";	/* cry_cert_parse */
			n = -1;
		} else if (tsa ? !cry_named(y, y) || cry_signed(y, y, 1) :
		    !y->MBEDTLS_PRIVATE(ca_istrue) && cry_signed(y, y, 0)) {
			*why = tsa ? "a certificate is not a self-signed root CA" :
			    "a certificate is neither a CA nor self-signed";
			n = -1;
		}
	if (n == 0)
		*why = "no certificate in it";
	if (n > 0 && cry_append(store, &c, 0) < 0) {
		*why = NOMEM;
		n = -1;
	}
	cry_cert_free(&c);
	return n > 0 ? n : -1;
}

/* The certificates an RFC 3161 token (or TimeStampResp) tok[0..n)
 * embeds, into c; tsa_verify has checked the token itself */
static void
cry_token_certs(const unsigned char *tok, size_t n, Cert *c)
{
	Der d = { tok, tok + n, NULL }, x, y, sd, cs;

	if (der_get(&d, 0x30, &x) < 0)
		return;
	if (x.p < x.end && *x.p == 0x30 && (der_get(&x, 0x30, &y) < 0 ||
	    der_get(&x, 0x30, &x) < 0))
		return;		/* a TimeStampResp: its token */
	if (der_get(&x, 0x06, &y) < 0 || der_get(&x, 0xa0, &y) < 0 ||
	    der_get(&y, 0x30, &sd) < 0 || der_get(&sd, 0x02, &x) < 0 ||
	    der_get(&sd, 0x31, &x) < 0 || der_get(&sd, 0x30, &x) < 0 ||
	    der_opt(&sd, 0xa0, &cs) <= 0)
		return;
	while (cs.p < cs.end && der_get(&cs, 0x30, &y) == 0)
		mbedtls_x509_crt_parse_der(c, y.tlv, (size_t)(y.end - y.tlv));
}

/* == 34. Notary Project envelopes: JWS and COSE ==========================
 * A notation signature's envelope (specs/notation.md §2, §3) read into
 * one shape: the bytes signed, the signature, the payload, the chain, the
 * time-stamp token and the protected header's members.  JWS through the
 * JSON reader; COSE_Sign1 through a CBOR reader of what notation writes
 * (definite lengths; integers, byte and text strings, arrays, maps and
 * tags; no floats or simple values), bounded by its input and
 * MAX_CBOR_DEPTH.  Nothing here is believed: section 36 checks the
 * signature before it reads the members' meaning. */

#define NTN_HDRS	32	/* protected header members read */

enum { HStr, HInt, HTime, HOther };	/* what a member holds */

typedef struct {		/* a protected header member */
	const char *name;	/* "alg", "cty", "crit" (COSE: 1, 3, 2), a
				 * text label, "#N" for other integers */
	int type;		/* HStr… */
	const char *s;		/* HStr */
	long long v;		/* HInt; HTime: Unix seconds */
} Hdr;

typedef struct {		/* an envelope as read: untrusted */
	int cose;
	Str tbs;		/* the bytes signed */
	Str sig, payload, tst;	/* tst: the time-stamp token, or n 0 */
	Str cert[MAX_CHAIN_CERTS];	/* leaf first */
	int ncert;
	Hdr h[NTN_HDRS];
	int nh;
	const char *crit[NTN_HDRS];	/* the members crit names */
	int ncrit;
} Env;

/* RFC 3339 date-time as Go's time.Time reads it from JSON (T, Z or an
 * offset, an optional fraction, which is dropped): Unix seconds, or -1 */
static long long
ntn_rfc3339(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd", off[] = "+dd:dd";
	const char *p = s + 19;
	long long o = 0, t;
	char g[16];
	Der d;
	int k;

	for (k = 0; k < 19; k++)
		if (pat[k] == 'd' ? !isdigit((unsigned char)s[k]) : s[k] !=
		    pat[k])
			return -1;
	if (*p == '.' && isdigit((unsigned char)p[1]))
		for (p++; isdigit((unsigned char)*p); p++)
			;
	for (k = 1; k < 6 && (*p == '+' || *p == '-') && (off[k] == 'd' ?
	    isdigit((unsigned char)p[k]) : p[k] == off[k]); k++)
		;
	if (k == 6 && !p[6])
		o = (*p == '+' ? -60 : 60) * (atoi(p + 1) * 60 + atoi(p + 4));
	else if (strcmp(p, "Z"))
		return -1;
	/* as GeneralizedTime, YYYYMMDDHHMMSSZ */
	snprintf(g, sizeof(g), "%.4s%.2s%.2s%.2s%.2s%.2sZ", s, s + 5, s + 8,
	    s + 11, s + 14, s + 17);
	d.p = (const unsigned char *)g;
	d.end = d.p + 15;
	return (t = der_time(&d)) < 0 ? -1 : t + o;
}

/* base64url without padding (RFC 7515 §2), decoded into out */
static int
b64url(Arena *a, const char *s, Str *out)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_";
	size_t n = strlen(s), i;
	char *t;

	if (n % 4 == 1 || strspn(s, al) != n || !(t = ar_alloc(a, n + 4,
	    NULL)))
		return -1;
	for (i = 0; i < n; i++)
		t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while (i % 4)
		t[i++] = '=';
	return b64_decode(a, t, i, out);
}

/* A JWS envelope in JSON serialization, flattened (§2): 1, or 0 with
 * why.  Members are read strictly: none unknown, none twice. */
static int
ntn_jws(const Str *blob, Env *v, Arena *a, const char **why)
{
	static const Field top[] = {
		{ "payload", JSMN_STRING }, { "protected", JSMN_STRING },
		{ "header", JSMN_OBJECT }, { "signature", JSMN_STRING }
	}, hdr[] = {
		{ "x5c", JSMN_ARRAY },
		{ "io.cncf.notary.timestampSignature", JSMN_STRING },
		{ "io.cncf.notary.signingAgent", JSMN_STRING }
	};
	const char *s[4], *c;
	int w[LEN(top)], x[LEN(hdr)], i, k, t;
	Err sub = { 0, "" };
	Json j, p;
	Str ph;
	Hdr *h;

	memset(v, 0, sizeof(*v));
	if (json_parse(&j, a, "JWS", blob->p, blob->n, ExitReject, &sub) < 0 ||
	    json_fields(&j, 0, "top level", top, LEN(top), w, a, &sub) < 0 ||
	    json_fields(&j, w[2], "header", hdr, LEN(hdr), x, a, &sub) < 0)
		goto bad;
	if (w[0] < 0 || w[1] < 0 || w[3] < 0 || x[0] < 0 || !j.t[x[0]].size ||
	    j.t[x[0]].size > MAX_CHAIN_CERTS)
		return *why = "JWS: payload, protected, signature and 1 to "
		    "MAX_CHAIN_CERTS certificates in header.x5c are required", 0;
	for (k = 0; k < 4; k++)
		if (k != 2 && !(s[k] = json_str(&j, w[k], a, &sub)))
			goto bad;
	if (!(c = ar_printf(a, &sub, "%s.%s", s[1], s[0])))
		goto bad;
	v->tbs.p = (char *)c;
	v->tbs.n = strlen(c);
	if (b64url(a, s[0], &v->payload) < 0 || b64url(a, s[1], &ph) < 0 ||
	    b64url(a, s[3], &v->sig) < 0 || !v->sig.n)
		return *why = "JWS: payload, protected or signature is not "
		    "base64url", 0;
	for (i = x[0] + 1, k = 0; k < j.t[x[0]].size; k++, i++)
		if (j.t[i].type != JSMN_STRING || !(c = json_str(&j, i, a,
		    &sub)) || b64_decode(a, c, strlen(c), &v->cert[k]) < 0)
			return *why = "JWS: header.x5c holds a certificate that "
			    "is not base64", 0;
	v->ncert = k;
	if (x[1] >= 0 && (!(c = json_str(&j, x[1], a, &sub)) ||
	    b64_decode(a, c, strlen(c), &v->tst) < 0))
		return *why = "JWS: the time-stamp is not base64", 0;
	/* the protected header: members by name, none twice */
	if (json_parse(&p, a, "JWS protected header", ph.p, ph.n, ExitReject,
	    &sub) < 0 || p.t[0].type != JSMN_OBJECT || pay_dups(&p, 0,
	    "JWS protected header", a, &sub) < 0 || p.t[0].size > NTN_HDRS)
		return *why = sub.code ? ar_reason(a, NULL, "%s", sub.msg) :
		    "JWS: the protected header is not an object of at most "
		    "NTN_HDRS (32) members", 0;
	for (i = 1, k = 0; k < p.t[0].size; k++, i = json_skip(&p, i + 1)) {
		h = &v->h[v->nh++];
		if (!(h->name = json_str(&p, i, a, &sub)))
			goto bad;
		t = i + 1;
		h->type = p.t[t].type == JSMN_STRING ? HStr : HOther;
		if (h->type == HStr && !(h->s = json_str(&p, t, a, &sub)))
			goto bad;
		if (h->type == HStr && !strncmp(h->name, "io.cncf.notary.", 15)
		    && (!strcmp(h->name + 15, "signingTime") || !strcmp(h->name +
		    15, "authenticSigningTime") || !strcmp(h->name + 15,
		    "expiry"))) {
			h->type = HTime;
			if ((h->v = ntn_rfc3339(h->s)) < 0)
				return *why = ar_reason(a, NULL, "JWS: %s is not "
				    "an RFC 3339 time", h->name), 0;
		}
		if (strcmp(h->name, "crit"))
			continue;
		for (t = i + 2; p.t[i + 1].type == JSMN_ARRAY && p.t[i + 1].size
		    <= NTN_HDRS && t < i + 2 + p.t[i + 1].size && p.t[t].type ==
		    JSMN_STRING; t++)
			if (!(v->crit[v->ncrit++] = json_str(&p, t, a, &sub)))
				goto bad;
		if (p.t[i + 1].type != JSMN_ARRAY || t != i + 2 + p.t[i + 1].size)
			return *why = "JWS: crit is not an array of at most "
			    "NTN_HDRS (32) strings", 0;
	}
	/* the payload: a JSON object, as notation reads JWT claims */
	if (json_parse(&p, a, "payload", v->payload.p, v->payload.n,
	    ExitReject, &sub) < 0 || p.t[0].type != JSMN_OBJECT)
		return *why = "JWS: the payload is not a JSON object", 0;
	return 1;
bad:
	*why = ar_reason(a, NULL, "%s", sub.code ? sub.msg : NOMEM);
	return 0;
}

/* The head of the next CBOR item at c (c->tlv: its first byte): major
 * type and argument; c past the head.  -1 at the end, for major type 7,
 * an indefinite or reserved length, or more string bytes or array or map
 * entries than bytes are left. */
static int
cbor_head(Der *c, int *mt, unsigned long long *v)
{
	int ai, k;

	c->tlv = c->p;
	if (c->p >= c->end || (*mt = *c->p >> 5) == 7 || (ai = *c->p++ & 31) >
	    27 || c->end - c->p < (k = ai < 24 ? 0 : 1 << (ai - 24)))
		return -1;
	for (*v = ai < 24 ? (unsigned long long)ai : 0; k--;)
		*v = *v << 8 | *c->p++;
	return *mt >= 2 && *mt <= 5 && *v > (unsigned long long)(c->end -
	    c->p) ? -1 : 0;
}

/* past the next item (depth: its nesting) */
static int
cbor_skip(Der *c, int depth)
{
	unsigned long long v, k;
	int mt;

	if (depth > MAX_CBOR_DEPTH || cbor_head(c, &mt, &v) < 0)
		return -1;
	if (mt == 2 || mt == 3)
		c->p += v;
	for (k = 0; mt >= 4 && k < (mt == 5 ? 2 * v : mt == 4 ? v : 1); k++)
		if (cbor_skip(c, depth + 1) < 0)
			return -1;
	return 0;
}

/* a byte (mt 2) or text (mt 3) string: its contents in *s */
static int
cbor_str(Der *c, int mt, Der *s)
{
	unsigned long long v;
	int t;

	if (cbor_head(c, &t, &v) < 0 || t != mt)
		return -1;
	s->tlv = c->tlv;
	s->p = c->p;
	s->end = c->p += v;
	return 0;
}

/* an integer (mt 0 or 1) within a long long */
static int
cbor_int(Der *c, long long *n)
{
	unsigned long long v;
	int mt;

	if (cbor_head(c, &mt, &v) < 0 || mt > 1 || v > LLONG_MAX)
		return -1;
	*n = mt ? -1 - (long long)v : (long long)v;
	return 0;
}

/* a COSE header label (int or tstr) as a name (see Hdr) */
static const char *
cbor_label(Der *c, Arena *a)
{
	static const char *known[] = { "alg", "crit", "cty" };
	long long n;
	Der s;

	if (c->p < c->end && *c->p >> 5 == 3)
		return cbor_str(c, 3, &s) < 0 || memchr(s.p, 0, (size_t)(s.end -
		    s.p)) ? NULL : ar_printf(a, NULL, "%.*s", (int)(s.end - s.p),
		    (const char *)s.p);
	if (cbor_int(c, &n) < 0)
		return NULL;
	return n >= 1 && n <= 3 ? known[n - 1] : ar_printf(a, NULL, "#%lld",
	    n);
}

/* A COSE_Sign1_Tagged message (§3): 1, or 0 with why */
static int
ntn_cose(const Str *blob, Env *v, Arena *a, const char **why)
{
	Der c = { (const unsigned char *)blob->p, (const unsigned char *)
	    blob->p + blob->n, NULL }, prot, pc, pay, s, x;
	unsigned long long n, m, k, q;
	unsigned char *t;
	const char *name;
	int mt, isx5c;
	Hdr *h;

	memset(v, 0, sizeof(*v));
	v->cose = 1;
	*why = "COSE: not a COSE_Sign1_Tagged message of definite lengths";
	if (cbor_head(&c, &mt, &n) < 0 || mt != 6 || n != 18 ||
	    cbor_head(&c, &mt, &n) < 0 || mt != 4 || n != 4 ||
	    cbor_str(&c, 2, &prot) < 0)
		return 0;
	/* the protected header: a map, exactly its bytes */
	pc = prot;
	if (cbor_head(&pc, &mt, &n) < 0 || mt != 5 || n > NTN_HDRS)
		return *why = "COSE: the protected header is not a map of at "
		    "most NTN_HDRS (32) members", 0;
	for (k = 0; k < n; k++) {
		h = &v->h[v->nh++];
		if (!(h->name = cbor_label(&pc, a)))
			return 0;
		x = pc;
		h->type = HOther;
		if (!strcmp(h->name, "alg") && cbor_int(&x, &h->v) == 0)
			h->type = HInt;
		else if (x.p < x.end && *x.p >> 5 == 3 && cbor_str(&x, 3, &s) == 0 &&
		    !memchr(s.p, 0, (size_t)(s.end - s.p))) {
			h->type = HStr;
			h->s = ar_printf(a, NULL, "%.*s", (int)(s.end - s.p),
			    (const char *)s.p);
		} else if (x.p < x.end && *x.p == 0xc1) {
			x.p++;	/* tag 1: epoch seconds */
			h->type = cbor_int(&x, &h->v) == 0 ? HTime : HOther;
		}
		for (q = 0; q < k; q++)
			if (!strcmp(v->h[q].name, h->name))
				return *why = "COSE: a protected header label "
				    "appears twice", 0;
		if (!strcmp(h->name, "crit") && cbor_head(&x, &mt, &m) == 0 &&
		    mt == 4 && m <= NTN_HDRS)
			for (q = 0; q < m; q++)
				if (!(v->crit[v->ncrit++] = cbor_label(&x, a)))
					return *why = "COSE: crit holds a label that "
					    "is neither an integer nor text", 0;
		if (cbor_skip(&pc, 1) < 0)
			return 0;
		if (h->type == HStr && !h->s)
			return *why = NOMEM, 0;
	}
	if (pc.p != pc.end)
		return *why = "COSE: bytes after the protected header's map", 0;
	/* the unprotected header: x5chain and the time-stamp token */
	if (cbor_head(&c, &mt, &n) < 0 || mt != 5 || n > NTN_HDRS)
		return *why = "COSE: the unprotected header is not a map of at "
		    "most NTN_HDRS (32) members", 0;
	for (k = 0; k < n; k++) {
		if (!(name = cbor_label(&c, a)))
			return 0;
		isx5c = !strcmp(name, "#33");
		if (isx5c && (cbor_head(&c, &mt, &m) < 0 || mt != 4 || !m ||
		    m > MAX_CHAIN_CERTS))
			return *why = "COSE: x5chain is not an array of 1 to "
			    "MAX_CHAIN_CERTS certificates", 0;
		for (q = 0; isx5c && q < m; q++, v->ncert++)
			if (cbor_str(&c, 2, &s) < 0)
				return *why = "COSE: x5chain holds a certificate "
				    "that is not a byte string", 0;
			else {
				v->cert[q].p = (char *)s.p;
				v->cert[q].n = (size_t)(s.end - s.p);
			}
		if (isx5c)
			continue;
		if (!strcmp(name, "io.cncf.notary.timestampSignature")) {
			if (cbor_str(&c, 2, &s) < 0)
				return *why = "COSE: the time-stamp is not a byte "
				    "string", 0;
			v->tst.p = (char *)s.p;
			v->tst.n = (size_t)(s.end - s.p);
		} else if (cbor_skip(&c, 1) < 0) {
			return 0;
		}
	}
	if (cbor_str(&c, 2, &pay) < 0 || cbor_str(&c, 2, &s) < 0 ||
	    c.p != c.end || s.p == s.end)
		return *why = "COSE: the payload and signature must be byte "
		    "strings, and nothing may follow", 0;
	v->payload.p = (char *)pay.p;
	v->payload.n = (size_t)(pay.end - pay.p);
	v->sig.p = (char *)s.p;
	v->sig.n = (size_t)(s.end - s.p);
	/* Sig_structure ["Signature1", protected, h'', payload], the
	 * protected bstr as received, the payload's length re-encoded
	 * minimally (as go-cose encodes it) */
	n = v->payload.n;
	if (!(t = ar_alloc(a, 24 + (size_t)(prot.end - prot.tlv) + n, NULL)))
		return *why = NOMEM, 0;
	memcpy(t, "\x84\x6aSignature1", 12);
	memcpy(t + 12, prot.tlv, (size_t)(prot.end - prot.tlv));
	v->tbs.p = (char *)t;
	v->tbs.n = 12 + (size_t)(prot.end - prot.tlv);
	t[v->tbs.n++] = 0x40;
	k = n < 24 ? 0 : n < 256 ? 1 : n < 65536 ? 2 : n >> 32 ? 8 : 4;
	t[v->tbs.n++] = (unsigned char)(0x40 | (k ? 23 + (k == 1 ? 1 : k == 2 ?
	    2 : k == 4 ? 3 : 4) : n));
	while (k--)
		t[v->tbs.n++] = (unsigned char)(n >> 8 * k);
	memcpy(t + v->tbs.n, pay.p, n);
	v->tbs.n += n;
	return 1;
}

/* == 35. Notary Project trust policies and trust stores ==================
 * notation's configuration (specs/notation.md §4.3-§5): the trust policy
 * document, validated whole as notation validates it, its x509.subject
 * identities (RFC 4514 as go-ldap reads them) and the trust store
 * directories a statement names.  Every fault here is exit 2. */

#define NTN_SIG		"application/vnd.cncf.notary.signature"
#define NTN_PAYLOAD	"application/vnd.cncf.notary.payload.v1+json"

enum { VtAuth, VtStamp, VtExpiry, VtRevoc };	/* checks a level sets */
enum { ActEnforce, ActLog, ActSkip };
enum { LvStrict, LvPermissive, LvAudit, LvSkip };

typedef struct {		/* notationSigned's members (Req.own) */
	const char *policy;	/* trustPolicyPath */
	const char *dir;	/* trustStoreDir */
} NtnReq;

typedef struct {		/* a distinguished name: attribute, value… */
	const char **kv;
	int n;			/* pairs */
} Dn;

typedef struct {		/* a trust policy statement */
	const char *name;
	const char **scope, **store, **id;
	int nscope, nstore, nid;
	int level;		/* LvStrict… */
	int act[4];		/* by VtAuth…: ActEnforce… */
	int after;		/* verifyTimestamp afterCertExpiry */
	Dn *dn;			/* its x509.subject identities */
	int ndn, any;		/* any: "*" */
} Stmt;

typedef struct {		/* a trust policy */
	Stmt *s;
	int n;
} Tp;

typedef struct {		/* what the type gathers once a run */
	Referrers refs;
	int desc;		/* dtype, dsize known */
	const char *dtype;	/* the image's descriptor */
	long long dsize;
	const char *url[MAX_CRLS];	/* CRLs fetched, or why not */
	Str crl[MAX_CRLS];
	const char *crlwhy[MAX_CRLS];
	int ncrl;
} NtnRun;

typedef struct {		/* one judgement */
	Run *run;
	const Stmt *t;
	Cert st[3];		/* the stores: ca, signingAuthority, tsa */
	int nst[3];
	NtnRun *nr;
	long long now;
	const char *logged;	/* what the level let through */
} Ntn;

static const char *const levels[] = {
	"strict", "permissive", "audit", "skip"
}, *const vtnames[] = {
	"authenticity", "authenticTimestamp", "expiry", "revocation"
}, *const acts[] = {
	"enforce", "log", "skip"
}, *const stypes[] = {
	"ca", "signingAuthority", "tsa"
}, *const dnattrs[] = {
	"C", "ST", "O", "OU", "CN", "L", "STREET", "POSTALCODE",
	"SERIALNUMBER"
};

/* by level: the action of each overridable check (notation's table) */
static const int levelacts[4][4] = {
	{ ActEnforce, ActEnforce, ActEnforce, ActEnforce },
	{ ActEnforce, ActLog, ActLog, ActLog },
	{ ActLog, ActLog, ActLog, ActLog },
	{ ActSkip, ActSkip, ActSkip, ActSkip }
};

/* the index of s in names[0..n), or -1 */
static int
ntn_index(const char *const *names, int n, const char *s)
{
	int k;

	for (k = 0; k < n && strcmp(names[k], s); k++)
		;
	return k < n ? k : -1;
}

/* go-ldap's unescaping of a DN type or value s[0..n): spaces trimmed
 * (an escaped last one kept), \ and a special character or two hex
 * digits.  NULL if malformed or out of memory. */
static char *
ntn_unesc(const char *s, size_t n, Arena *a)
{
	const char *b = s, *end = s + n;
	char *out, *q;
	unsigned v;

	while (b < end && *b == ' ')
		b++;
	while (end > b && end[-1] == ' ')
		end--;
	if (end > b && end[-1] == '\\' && end < s + n)
		end++;
	if (!(out = q = ar_alloc(a, (size_t)(end - b) + 1, NULL)))
		return NULL;
	for (; b < end; b++) {
		if (*b != '\\') {
			*q++ = *b;
		} else if (b + 1 < end && strchr(" \"#+,;<=>\\", b[1])) {
			*q++ = *++b;
		} else if (b + 2 < end && isxdigit((unsigned char)b[1]) &&
		    isxdigit((unsigned char)b[2]) && sscanf(b + 1, "%2x", &v)) {
			*q++ = (char)v;
			b += 2;
		} else {
			return NULL;
		}
	}
	*q = '\0';
	return strlen(out) == (size_t)(q - out) ? out : NULL;
}

/* a pair into d: S is ST; a type twice is refused unless its first
 * value was empty (notation's map) */
static const char *
ntn_dnadd(Dn *d, const char *k, const char *v)
{
	int i;

	if (!strcmp(k, "S"))
		k = "ST";
	for (i = 0; i < d->n && strcmp(d->kv[2 * i], k); i++)
		;
	if (i < d->n && *d->kv[2 * i + 1])
		return "an attribute appears twice";
	d->kv[2 * i] = k;
	d->kv[2 * i + 1] = v;
	d->n += i == d->n;
	return NULL;
}

/* v of attribute k in d ("" if absent) */
static const char *
ntn_dnget(const Dn *d, const char *k)
{
	int i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->kv[2 * i], k))
			return d->kv[2 * i + 1];
	return "";
}

/* does every attribute of x have the same value in y? */
static int
ntn_subset(const Dn *x, const Dn *y)
{
	int i;

	for (i = 0; i < x->n; i++)
		if (strcmp(x->kv[2 * i + 1], ntn_dnget(y, x->kv[2 * i])))
			return 0;
	return 1;
}

/* C, ST and O, each not empty, as notation requires of both sides */
static const char *
ntn_dnok(const Dn *d)
{
	return *ntn_dnget(d, "C") && *ntn_dnget(d, "ST") && *ntn_dnget(d, "O") ?
	    NULL : "C, ST (or S) and O are required";
}

/* An x509.subject DN, RFC 4514 as go-ldap's ParseDN reads it, into d:
 * NULL, or why not (notation: no "=#", no multi-valued RDN) */
static const char *
ntn_dn(const char *s, Dn *d, Arena *a)
{
	const char *p, *start = s, *w;
	char *k = NULL, *v;
	int esc = 0;

	d->n = 0;
	if (strstr(s, "=#"))
		return "\"=#\" (a BER-encoded value) is not supported";
	if (!(d->kv = ar_alloc(a, (strlen(s) + 2) * sizeof(char *), NULL)))
		return NOMEM;
	for (p = s;; p++) {
		if (esc) {
			esc = 0;
		} else if (*p == '\\') {
			esc = 1;
		} else if (*p == '=' && !k) {
			if (!(k = ntn_unesc(start, (size_t)(p - start), a)))
				return "malformed attribute type";
			start = p + 1;
		} else if (!*p || *p == ',' || *p == '+' || *p == ';') {
			if (!k)
				return "an attribute without a type";
			if (*p == '+')
				return "multi-valued RDNs are not supported";
			if (!(v = ntn_unesc(start, (size_t)(p - start), a)))
				return "malformed attribute value";
			if ((w = ntn_dnadd(d, k, v)))
				return w;
			k = NULL;
			start = p + 1;
		}
		if (!*p)
			break;
	}
	return ntn_dnok(d);
}

/* notation's registry scope: host[:port]/repository, no tag or "*" */
static int
ntn_scope_ok(const char *s)
{
	const char *d = ref_domain(s), *p;

	return *s != '[' && d != s && *d == '/' && (p = ref_path(d + 1)) &&
	    !*p;
}

/* The strings of array token i (path at, its JSON file's errors): 0 to
 * MAX_KEYS, each not empty */
static int
ntn_strings(const Json *j, int i, const char *at, const char ***out,
    int *n, Arena *a, Err *e)
{
	*n = 0;
	if (i < 0 || !j->t[i].size)
		return 0;
	return pol_strings(j, i, at, 0, out, n, a, e);
}

/* A trust policy document (§5), the text s[0..n) of file, into tp,
 * validated as notation validates the whole document; every fault is a
 * configuration error.  Read more strictly than notation: unknown or
 * repeated members are errors. */
static int
ntn_tp(const char *file, const char *s0, size_t n, Tp *tp, Arena *a, Err *e)
{
	static const Field top[] = {
		{ "version", JSMN_STRING }, { "trustPolicies", JSMN_ARRAY }
	}, stf[] = {
		{ "name", JSMN_STRING }, { "registryScopes", JSMN_ARRAY },
		{ "signatureVerification", JSMN_OBJECT },
		{ "trustStores", JSMN_ARRAY },
		{ "trustedIdentities", JSMN_ARRAY }
	}, svf[] = {
		{ "level", JSMN_STRING }, { "override", JSMN_OBJECT },
		{ "verifyTimestamp", JSMN_STRING }
	};
	int v[LEN(top)], w[LEN(stf)], x[LEN(svf)], i, k, m, q, r, o;
	const char *at, *s, **ov, *why;
	Stmt *t;
	Json j;

	if (json_parse(&j, a, file, s0, n, ExitConfig, e) < 0 ||
	    json_fields(&j, 0, "top level", top, LEN(top), v, a, e) < 0)
		return -1;
	if (v[0] < 0 || !json_eq(&j, v[0], "1.0"))
		return fail(e, ExitConfig, "%s: version: want \"1.0\"", file);
	if (v[1] < 0 || !(tp->n = j.t[v[1]].size))
		return fail(e, ExitConfig, "%s: trustPolicies: at least one "
		    "statement is required", file);
	if (!(tp->s = ar_alloc(a, (size_t)tp->n * sizeof(*t), e)))
		return -1;
	memset(tp->s, 0, (size_t)tp->n * sizeof(*t));
	for (i = v[1] + 1, k = 0; k < tp->n; k++, i = json_skip(&j, i)) {
		t = &tp->s[k];
		if (!(at = ar_printf(a, e, "trustPolicies[%d]", k)) ||
		    json_fields(&j, i, at, stf, LEN(stf), w, a, e) < 0 ||
		    pol_text(&j, w[0], at, "name", &t->name, a, e) < 0 ||
		    json_fields(&j, w[2], ar_printf(a, e, "%s.signature"
		    "Verification", at), svf, LEN(svf), x, a, e) < 0 ||
		    ntn_strings(&j, w[1], ar_printf(a, e, "%s.registryScopes",
		    at), &t->scope, &t->nscope, a, e) < 0 || ntn_strings(&j,
		    w[3], ar_printf(a, e, "%s.trustStores", at), &t->store,
		    &t->nstore, a, e) < 0 || ntn_strings(&j, w[4], ar_printf(a,
		    e, "%s.trustedIdentities", at), &t->id, &t->nid, a, e) < 0)
			return -1;
		for (m = 0; t->name && m < k && strcmp(tp->s[m].name, t->name);
		    m++)
			;
		if (!t->name || m < k)
			return fail(e, ExitConfig, "%s: %s.name: %s", file, at,
			    t->name ? "another statement has this name" :
			    "required");
		/* the level, its overrides and verifyTimestamp */
		s = x[0] >= 0 ? json_str(&j, x[0], a, e) : "";
		if (!s || (t->level = ntn_index(levels, 4, s)) < 0)
			return e->code ? -1 : fail(e, ExitConfig, "%s: %s.signature"
			    "Verification.level: want strict, permissive, audit "
			    "or skip", file, at);
		memcpy(t->act, levelacts[t->level], sizeof(t->act));
		if (x[1] >= 0 && j.t[x[1]].size && (t->level == LvSkip ||
		    pol_strings(&j, x[1], "override", 1, &ov, &o, a, e) < 0))
			return e->code ? -1 : fail(e, ExitConfig, "%s: %s.signature"
			    "Verification.override: not with level skip", file, at);
		for (m = 0; x[1] >= 0 && j.t[x[1]].size && m < o; m++) {
			q = ntn_index(vtnames, 4, ov[2 * m]);
			r = ntn_index(acts, 3, ov[2 * m + 1]);
			if (q < 0 || r < 0 || (r == ActSkip && q != VtRevoc))
				return fail(e, ExitConfig, "%s: %s.signature"
				    "Verification.override: %s: %s", file, at,
				    ar_esc(a, ov[2 * m], e), q < 0 ? "want "
				    "authenticity, authenticTimestamp, expiry or "
				    "revocation (integrity is always enforced)" :
				    "want enforce or log (or skip, for revocation)");
			t->act[q] = r;
		}
		if (x[2] >= 0 && !json_eq(&j, x[2], "always") && !json_eq(&j,
		    x[2], "") && !(t->after = json_eq(&j, x[2], "afterCertExpiry")))
			return fail(e, ExitConfig, "%s: %s.signatureVerification."
			    "verifyTimestamp: want always or afterCertExpiry",
			    file, at);
		/* scopes: "*" alone, each in one statement only */
		if (!t->nscope)
			return fail(e, ExitConfig, "%s: %s.registryScopes: at "
			    "least one is required", file, at);
		for (m = 0; m < t->nscope; m++) {
			s = t->scope[m];
			if (strcmp(s, "*") ? !ntn_scope_ok(s) : t->nscope > 1)
				return fail(e, ExitConfig, "%s: %s.registryScopes: "
				    "%s is not HOST[:PORT]/REPOSITORY, or \"*\" "
				    "alone", file, at, ar_esc(a, s, e));
			for (q = 0; q < k; q++)
				for (r = 0; r < tp->s[q].nscope; r++)
					if (!strcmp(s, tp->s[q].scope[r]))
						return fail(e, ExitConfig, "%s: %s."
						    "registryScopes: %s is in another "
						    "statement", file, at, ar_esc(a, s,
						    e));
		}
		/* trust stores and identities: none for skip, else both */
		if (t->level == LvSkip ? t->nstore || t->nid : !t->nstore ||
		    !t->nid)
			return fail(e, ExitConfig, "%s: %s: trustStores and "
			    "trustedIdentities are %s", file, at, t->level ==
			    LvSkip ? "not allowed with level skip" : "required");
		for (m = 0; m < t->nstore; m++) {
			s = t->store[m];
			q = (int)strcspn(s, ":");
			for (r = 0; r < 3 && ((int)strlen(stypes[r]) != q ||
			    strncmp(s, stypes[r], (size_t)q)); r++)
				;
			if (r == 3 || !s[q + 1] || strspn(s + q + 1, "abcdefghij"
			    "klmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "_.-") != strlen(s + q + 1))
				return fail(e, ExitConfig, "%s: %s.trustStores: %s "
				    "is not ca:NAME, signingAuthority:NAME or "
				    "tsa:NAME", file, at, ar_esc(a, s, e));
		}
		if (!(t->dn = ar_alloc(a, (size_t)t->nid * sizeof(Dn), e)))
			return -1;
		for (m = 0; m < t->nid; m++) {
			s = t->id[m];
			why = !strcmp(s, "*") ? (t->any = 1, t->nid > 1 ?
			    "\"*\" must be alone" : NULL) : !strchr(s, ':') ?
			    "want PREFIX:VALUE" : strncmp(s, "x509.subject:", 13) ?
			    NULL : !s[13] ? "an empty x509.subject" :
			    ntn_dn(s + 13, &t->dn[t->ndn++], a);
			for (q = 0; !why && !strncmp(s, "x509.subject:", 13) &&
			    q < t->ndn - 1; q++)
				if (ntn_subset(&t->dn[q], &t->dn[t->ndn - 1]) ||
				    ntn_subset(&t->dn[t->ndn - 1], &t->dn[q]))
					why = "it overlaps another x509.subject";
			if (why)
				return fail(e, ExitConfig, "%s: %s.trustedIdentities"
				    "[%d]: %s", file, at, m, why);
		}
	}
	return a->spent ? ar_spent(e) : 0;
}

/* the trust policy file, not a symbolic link (notation refuses those) */
static int
ntn_policy(const char *file, Tp *tp, Arena *a, Err *e)
{
	struct stat sb;
	Str f;

	if (lstat(file, &sb) == 0 && S_ISLNK(sb.st_mode))
		return fail(e, ExitConfig, "%s: a symbolic link (notation "
		    "refuses those)", file);
	return file_read(a, file, MAX_POLICY_BYTES, &f, e) < 0 ? -1 :
	    ntn_tp(file, f.p, f.n, tp, a, e);
}

/* The statement for repository name (host/path, as notation strips the
 * tag or digest): the one naming it, else the "*" one, else NULL */
static const Stmt *
ntn_stmt(const Tp *tp, const char *name)
{
	const Stmt *any = NULL;
	int k, m;

	for (k = 0; k < tp->n; k++)
		for (m = 0; m < tp->s[k].nscope; m++) {
			if (!strcmp(tp->s[k].scope[m], name))
				return &tp->s[k];
			if (!strcmp(tp->s[k].scope[m], "*"))
				any = &tp->s[k];
		}
	return any;
}

/* The trust stores statement t names (each once) under dir into x->st:
 * directories, not links, of regular certificate files (§4.3), none
 * empty; any fault names its file and is a configuration error */
static int
ntn_stores(Ntn *x, const Stmt *t, const char *dir, Arena *a, Err *e)
{
	const char *why, *name;
	const Cert *next;
	char *path, *fp;
	struct dirent *de;
	struct stat sb;
	size_t mark;
	int k, m, q, n, files;
	DIR *dp;
	Str f;

	for (m = 0; m < t->nstore; m++) {
		for (q = 0; q < m && strcmp(t->store[q], t->store[m]); q++)
			;
		if (q < m)
			continue;
		name = t->store[m] + strcspn(t->store[m], ":") + 1;
		k = stypes[0][0] == t->store[m][0] ? 0 : t->store[m][0] == 's' ?
		    1 : 2;
		if (!(path = ar_printf(a, e, "%s/%s/%s", dir, stypes[k], name)))
			return -1;
		if (lstat(path, &sb) < 0 || !S_ISDIR(sb.st_mode) ||
		    !(dp = opendir(path)))
			return fail(e, ExitConfig, "trust store %s: %s", path,
			    errno && !S_ISLNK(sb.st_mode) ? strerror(errno) :
			    "not a directory (links are refused)");
		for (files = n = 0; (de = readdir(dp));) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			mark = a->used;
			next = cry_after(&x->st[k]);
			if (++files > MAX_STORE_FILES || !(fp = ar_printf(a, e,
			    "%s/%s", path, de->d_name)) || lstat(fp, &sb) < 0 ||
			    !S_ISREG(sb.st_mode) || file_read(a, fp, MAX_KEY_BYTES,
			    &f, e) < 0 || (q = cry_store(&f, &x->st[k], k == 2, a,
			    &why)) < 0) {
				closedir(dp);
				return e->code ? -1 : fail(e, ExitConfig, "trust "
				    "store %s: %s", files > MAX_STORE_FILES ? path :
				    fp ? fp : path, files > MAX_STORE_FILES ? "more "
				    "than MAX_STORE_FILES files" : !S_ISREG(sb.st_mode)
				    ? "not a regular file (links and directories "
				    "are refused)" : why);
			}
			cry_dates(next, 0, "trust store %s", fp);
			n += q;
			a->used = mark;
		}
		closedir(dp);
		if (!n)
			return fail(e, ExitConfig, "trust store %s: no "
			    "certificate in it", path);
		x->nst[k] += n;
	}
	return 0;
}

/* == 36. notationSigned and trustedDigests ===============================
 * Notary Project signatures judged as `notation verify` judges them
 * (specs/notation.md §1, §4-§7).  Each referrer whose manifest says it is
 * a notation signature is a candidate; its envelope's signature is
 * checked with the leaf's key before anything in it is believed, then
 * the chain, the trust stores, identities, expiry, time stamp,
 * revocation (CRLs over plain HTTP, which prove themselves) and the
 * payload's descriptor.  What the statement's level only logs is written
 * to stderr and into the reason.  Then Bottlerocket's digest allowlist. */

/* A check of type vt failed for why: under enforce the candidate fails
 * (-1, *fw the reason), under log it is noted (0) */
static int
ntn_act(Ntn *x, int vt, const char *why, const char **fw)
{
	Arena *a = x->run->a;

	if (x->t->act[vt] == ActEnforce) {
		*fw = ar_reason(a, NULL, "%s: %s", vtnames[vt], why);
		return -1;
	}
	x->logged = ar_reason(a, NULL, "%s%s%s: %s", x->logged, *x->logged ?
	    "; " : "", vtnames[vt], why);
	return 0;
}

/* CRL url, fetched once a run over plain HTTP (CRLs prove themselves;
 * notation fetches only http:// ones): 0 with *crl, or 1 with *why when
 * it cannot be had; -1 only for a spent arena */
static int
ntn_fetch(Ntn *x, const char *url, Str *crl, const char **why, Err *e)
{
	HttpReq hq = { .lim = LIMIT_INIT(MAX_CRL_BYTES), .what = "CRL" };
	NtnRun *nr = x->nr;
	Err sub = { 0, "" };
	Resp r;
	int k;

	for (k = 0; k < nr->ncrl && strcmp(nr->url[k], url); k++)
		;
	if (k == nr->ncrl) {
		if (k == MAX_CRLS)
			return *why = "more than MAX_CRLS CRLs", 1;
		nr->url[nr->ncrl++] = url;
		hq.url = url;
		x->run->net->plainok = 1;
		if (strncasecmp(url, "http://", 7))
			nr->crlwhy[k] = "not an http:// URL";
		else if (http_get(x->run->net, &hq, &r, &sub) < 0)
			nr->crlwhy[k] = ar_reason(x->run->a, NULL, "%s", sub.msg);
		else if (r.status != 200)
			nr->crlwhy[k] = ar_reason(x->run->a, NULL, "HTTP %d",
			    r.status);
		else
			nr->crl[k] = r.body;
		x->run->net->plainok = 0;
	}
	*crl = nr->crl[k];
	*why = nr->crlwhy[k];
	return x->run->a->spent ? ar_spent(e) : *why != NULL;
}

/* The revocation status (§7) of c, issued by up, for a signature whose
 * authentic signing time is st (0: none): 0 good or not revocable, 1
 * revoked, 2 unknown, with why; -1 with e set.  Every CRL distribution
 * point is read; OCSP is not implemented. */
static int
ntn_revoked(Ntn *x, const Cert *c, const Cert *up, long long st,
    const char **why, Err *e)
{
	Arena *a = x->run->a;
	const char *url, *w;
	int n, ocsp, delta, i, rv, k;
	Der u[8];
	Str crl;

	if ((n = cry_revinfo(c, u, (int)LEN(u), &ocsp, &delta)) < 0)
		return *why = "its CRL distribution points or OCSP responders "
		    "are malformed (or more than 8)", 2;
	if (!n)
		return ocsp ? (*why = "it names only an OCSP responder, and "
		    "ivlite does not implement OCSP", 2) : 0;
	if (delta)
		return *why = "it names delta CRLs, which ivlite does not read", 2;
	for (i = 0; i < n; i++) {
		if (!(url = ar_printf(a, e, "%.*s", (int)(u[i].end - u[i].p),
		    (const char *)u[i].p)) || (k = ntn_fetch(x, url, &crl, &w,
		    e)) < 0)
			return -1;
		if (!k && cry_crl((const unsigned char *)crl.p, crl.n, c, up,
		    x->now, st, &rv, a, &w) < 0)
			k = 1;
		if (!k && !rv)
			continue;
		*why = ar_reason(a, e, "%s (CRL %s)", k ? w : "revoked",
		    ar_esc(a, url, e));
		return k ? 2 : 1;
	}
	return 0;
}

/* one certificate's revocation into *bad (why, for the first unknown
 * or a revoked one) and *worst (1: revoked) */
static void
ntn_rev1(Ntn *x, const Cert *c, const Cert *up, long long st,
    const char **bad, int *worst, Err *e)
{
	const char *w;
	int k;

	if (*worst || (k = ntn_revoked(x, c, up, st, &w, e)) <= 0)
		return;
	if (k == 1 || !*bad) {
		*worst = k == 1;
		*bad = ar_reason(x->run->a, e, "certificate %s %s: %s", cry_dn(c,
		    x->run->a), k == 1 ? "is revoked" : "has no known "
		    "revocation status", w);
	}
}

/* The time stamp (§6.1), its signer's chain's revocation included, and
 * the chain's validity at the time that counts (check
 * authenticTimestamp).  at: the authentic signing time (signing
 * authority), else 0.  -1: the candidate fails, with *fw. */
static int
ntn_stamp(Ntn *x, Cert *const *c, int n, const Env *v, long long at,
    const char **fw, Err *e)
{
	Arena *a = x->run->a;
	int i, tsa = 0, expired = 0, bad = -1, worst = 0;
	const char *w, *rv = NULL;
	long long to, gt;
	Cert tc, *y, *z;

	for (i = 0; i < n; i++) {
		if (!cry_valid_at(c[i], at ? at : x->now, &to) && bad < 0)
			bad = i;
		expired |= x->now > to;
	}
	for (i = 0; i < x->t->nstore; i++)
		tsa |= !strncmp(x->t->store[i], "tsa:", 4);
	if (at || !tsa || (x->t->after && !expired))
		return bad < 0 ? 0 : ntn_act(x, VtStamp, ar_reason(a, NULL,
		    "certificate %s is not valid at %s", cry_dn(c[bad], a),
		    when_utc(at ? at : x->now, a)), fw);
	if (!v->tst.n)
		return ntn_act(x, VtStamp, "no time stamp, though the statement "
		    "names a tsa trust store", fw);
	if (tsa_verify((const unsigned char *)v->tst.p, v->tst.n, v->sig.p,
	    v->sig.n, &x->st[2], NULL, 0, &gt, a, &w) < 0)
		return ntn_act(x, VtStamp, ar_reason(a, NULL, "the time stamp: "
		    "%s", w), fw);
	for (i = 0; i < n; i++)
		if (!cry_valid_at(c[i], gt, &to))
			return ntn_act(x, VtStamp, ar_reason(a, NULL, "the time "
			    "stamp (%s) is outside the validity of certificate %s",
			    when_utc(gt, a), cry_dn(c[i], a)), fw);
	/* the time-stamping chain: each certificate the token embeds that
	 * is not self-issued, with its issuer (embedded, or a tsa root) */
	cry_cert_init(&tc);
	cry_token_certs((const unsigned char *)v->tst.p, v->tst.n, &tc);
	for (y = &tc; y && y->raw.p && !e->code; y = y->next) {
		for (z = &tc; z && z->raw.p && (z == y || !cry_named(y, z) ||
		    cry_signed(y, z, 1)); z = z->next)
			;
		for (z = z && z->raw.p ? z : &x->st[2]; z && z->raw.p &&
		    (!cry_named(y, z) || cry_signed(y, z, 1)); z = z->next)
			;
		if (z && z->raw.p && !cry_named(y, y))
			ntn_rev1(x, y, z, 0, &rv, &worst, e);
	}
	cry_cert_free(&tc);
	return rv ? ntn_act(x, VtStamp, ar_reason(a, e, "the time-stamping "
	    "chain: %s", rv), fw) : 0;
}

/* The payload's target (§2.4) against the image's descriptor (stdin's,
 * else the registry's): digest, media type and size, exactly */
static int
ntn_target(Ntn *x, const Str *p, const char **why, Err *e)
{
	Run *run = x->run;
	NtnRun *nr = x->nr;
	Arena *a = run->a;
	char got[DIGEST_MAX + 1];
	const char *md = NULL, *dg = NULL;
	Err sub = { 0, "" };
	int t, m, d, z;
	Resp r;
	Json j;

	if (!nr->desc && run->dtype && run->dsize >= 0) {
		nr->dtype = run->dtype;
		nr->dsize = run->dsize;
	} else if (!nr->desc) {
		if (reg_manifest(&run->reg, run->digest, &r, got, e) < 0)
			return -1;
		if (r.status == 404)
			return fail(e, ExitUndecided, "%s: manifest %s is "
			    "missing", run->reg.host, run->digest);
		if (!(nr->dtype = ar_printf(a, e, "%s", r.ctype)))
			return -1;
		nr->dsize = (long long)r.body.n;
	}
	nr->desc = 1;
	if (json_parse(&j, a, "payload", p->p, p->n, ExitReject, &sub) < 0 ||
	    j.t[0].type != JSMN_OBJECT || pay_dups(&j, 0, "payload", a, &sub) <
	    0 || (t = json_get(&j, 0, "targetArtifact")) < 0 || j.t[t].type !=
	    JSMN_OBJECT || pay_dups(&j, t, "targetArtifact", a, &sub) < 0 ||
	    (m = json_get(&j, t, "mediaType")) < 0 || (d = json_get(&j, t,
	    "digest")) < 0 || (z = json_get(&j, t, "size")) < 0 ||
	    j.t[m].type != JSMN_STRING || j.t[d].type != JSMN_STRING ||
	    !(md = json_str(&j, m, a, &sub)) || !(dg = json_str(&j, d, a,
	    &sub)) || j.t[z].type != JSMN_PRIMITIVE || j.t[z].end -
	    j.t[z].start > 15 || strspn(j.s + j.t[z].start, "0123456789") !=
	    (size_t)(j.t[z].end - j.t[z].start))
		return *why = "the payload is not {\"targetArtifact\": "
		    "{mediaType, digest, size}}", 1;
	if (!strcmp(dg, run->digest) && !strcmp(md, nr->dtype) &&
	    strtoll(j.s + j.t[z].start, NULL, 10) == nr->dsize)
		return 0;
	*why = ar_reason(a, e, "content descriptor mismatch: the signature "
	    "is for %s, %s of %.*s bytes; the image is %s, %s of %lld bytes",
	    ar_quote(a, dg, strlen(dg), e), ar_quote(a, md, strlen(md), e),
	    j.t[z].end - j.t[z].start, j.s + j.t[z].start, run->digest,
	    ar_esc(a, nr->dtype, e), nr->dsize);
	return 1;
}

/* The protected header's members, once the signature holds (§2.1, §3):
 * the signing scheme (*sa: signing authority), signing time *st, expiry
 * *exp (-1: none), cty, a verification plugin and the first critical
 * member ivlite does not know (*unk).  NULL, or why the envelope breaks
 * notation's rules (an integrity failure). */
static const char *
ntn_members(const Env *v, int *sa, long long *st, long long *exp,
    const char **cty, const char **plugin, const char **unk, Arena *a)
{
	static const char *const sys[] = {
		"alg", "cty", "crit", "io.cncf.notary.signingScheme",
		"io.cncf.notary.signingTime",
		"io.cncf.notary.authenticSigningTime", "io.cncf.notary.expiry",
		"io.cncf.notary.verificationPlugin",
		"io.cncf.notary.verificationPluginMinVersion"
	};
	long long t[3] = { -1, -1, -1 };
	const char *scheme = NULL;
	int i, k, q, crit;

	*cty = *plugin = *unk = NULL;
	for (i = 0; i < v->nh; i++) {
		k = ntn_index(sys, (int)LEN(sys), v->h[i].name);
		for (crit = q = 0; q < v->ncrit; q++)
			crit |= !strcmp(v->crit[q], v->h[i].name);
		if (k >= 4 && k <= 6 && v->h[i].type != HTime)
			return ar_reason(a, NULL, "%s is not a time", sys[k]);
		if (k >= 4 && k <= 6)
			t[k - 4] = v->h[i].v;
		if (k == 7)
			*plugin = v->h[i].type == HStr ? v->h[i].s : "(no string)";
		if (v->h[i].type == HStr && (k == 1 || k == 3))
			*(k == 1 ? cty : &scheme) = v->h[i].s;
		if (k < 0 && crit && !*unk)
			*unk = v->h[i].name;
	}
	*sa = scheme && !strcmp(scheme, "notary.x509.signingAuthority");
	if (!scheme || (!*sa && strcmp(scheme, "notary.x509")))
		return "the signing scheme is neither notary.x509 nor "
		    "notary.x509.signingAuthority";
	if (t[*sa] < 0 || t[!*sa] >= 0)
		return *sa ? "notary.x509.signingAuthority needs "
		    "authenticSigningTime and no signingTime" : "notary.x509 "
		    "needs signingTime and no authenticSigningTime";
	*st = t[*sa];
	if ((*exp = t[2]) >= 0 && *exp <= *st)
		return "expiry is not after the signing time";
	/* crit: the scheme, the authentic time, the expiry; otherwise only
	 * extended members that are there */
	for (q = 0; q < v->ncrit; q++) {
		for (i = 0; i < v->nh && strcmp(v->crit[q], v->h[i].name); i++)
			;
		k = ntn_index(sys, (int)LEN(sys), v->crit[q]);
		if (i == v->nh || (k >= 0 && k < 7 && k != 3 && k != 6 && k !=
		    4 + *sa))
			return ar_reason(a, NULL, "crit names %s, which is not "
			    "there or cannot be critical", ar_esc(a, v->crit[q],
			    NULL));
	}
	for (k = 3; k <= 6; k++) {
		for (q = 0; q < v->ncrit && strcmp(v->crit[q], sys[k]); q++)
			;
		if (q == v->ncrit && (k == 3 || (k == 5 && *sa) || (k == 6 &&
		    *exp >= 0)))
			return ar_reason(a, NULL, "crit must name %s", sys[k]);
	}
	return NULL;
}

/* The leaf's subject against the statement's x509.subject identities
 * (§4.4): 0 one matches (or the level logs it), -1 the candidate fails */
static int
ntn_ident(Ntn *x, const Cert *leaf, const char **fw)
{
	const char *v[9], *kv[18], *w = NULL;
	Arena *a = x->run->a;
	Dn d = { kv, 0 };
	int k;

	if (!x->t->ndn)
		w = "the statement has no x509.subject trusted identity (the "
		    "others need a plugin)";
	else if (cry_subject_kv(leaf, v, a, &w) == 0) {
		for (k = 0; k < 9; k++)
			if (v[k]) {
				kv[2 * d.n] = dnattrs[k];
				kv[2 * d.n++ + 1] = v[k];
			}
		for (k = 0; k < x->t->ndn && !ntn_subset(&x->t->dn[k], &d); k++)
			;
		w = ntn_dnok(&d) ? ntn_dnok(&d) : k == x->t->ndn ? "it matches "
		    "no trusted identity" : NULL;
	}
	return w ? ntn_act(x, VtAuth, ar_reason(a, NULL, "the signing "
	    "certificate's subject %s: %s", cry_dn(leaf, a), w), fw) : 0;
}

/* Candidate r, a referrer whose manifest is a notation signature's:
 * 1 valid, 0 not (f->why), -1 with e set */
static int
ntn_verify(Ntn *x, const Referrer *r, Found *f, Err *e)
{
	static const char *const jws[] = {
		"PS256", "PS384", "PS512", "ES256", "ES384", "ES512"
	};
	static const long long cose[] = { -37, -38, -39, -7, -35, -36 };
	Run *run = x->run;
	Arena *a = run->a;
	Cert chain, *c[MAX_CHAIN_CERTS];
	const char *w = NULL, *cty, *plugin, *unk, *bad = NULL;
	long long st = 0, exp = -1;
	int cs, alg, i, sa = 0, worst = 0, ok = 0;
	Resp resp;
	Env v;

	if (r->why)
		return f->why = r->why, 0;
	cs = !strcmp(r->laytype, "application/cose");
	if (r->nlayers != 1 || (!cs && strcmp(r->laytype,
	    "application/jose+json")))
		return f->why = ar_reason(a, e, "%d layers, first %s: a notation "
		    "signature has one, application/jose+json or "
		    "application/cose", r->nlayers, ar_esc(a, r->laytype, e)), 0;
	if (r->laysize < 0 || r->laysize > MAX_ENVELOPE_BYTES ||
	    !dig_valid(r->laydigest, strlen(r->laydigest)))
		return f->why = "its layer has no valid digest, no size or more "
		    "than MAX_ENVELOPE_BYTES", 0;
	if (reg_blob(&run->reg, r->laydigest, LIMIT(MAX_ENVELOPE_BYTES),
	    &resp, e) < 0)
		return -1;
	if (resp.status == 404)
		return fail(e, ExitUndecided, "%s: envelope %s of referrer %s is "
		    "missing", run->reg.host, r->laydigest, r->digest);
	if ((long long)resp.body.n != r->laysize)
		return f->why = "the envelope's size is not its manifest's", 0;
	f->format = cs ? "notation COSE" : "notation JWS";
	if (!(cs ? ntn_cose : ntn_jws)(&resp.body, &v, a, &f->why))
		return 0;
	/* integrity: the signature by the leaf's key, then the members */
	cry_cert_init(&chain);
	for (i = 0; i < v.nh && strcmp(v.h[i].name, "alg"); i++)
		;
	for (alg = i < v.nh ? 0 : 6; alg < 6 && (cs ? v.h[i].type != HInt ||
	    v.h[i].v != cose[alg] : v.h[i].type != HStr || strcmp(v.h[i].s,
	    jws[alg])); alg++)
		;
	if (cry_parse(v.cert, v.ncert, &chain, c) < 0)
		w = "a certificate of the chain does not parse";
	else if (alg == 6 || alg != cry_alg(c[0]))
		w = "alg is not the one notation derives from the signing "
		    "certificate's key";
	else if (cry_sig(c[0], alg, !cs, v.tbs.p, v.tbs.n, (const unsigned
	    char *)v.sig.p, v.sig.n))
		w = "the signature does not verify with the signing "
		    "certificate's key";
	else if (!(w = ntn_members(&v, &sa, &st, &exp, &cty, &plugin, &unk,
	    a)) && !cry_ntn_chain(c, v.ncert, &x->st[sa], a, &w) && (!cty ||
	    strcmp(cty,
	    NTN_PAYLOAD)))
		w = "cty is not " NTN_PAYLOAD;
	if (w)
		f->why = ar_reason(a, e, "integrity: %s", w);
	else if (plugin)
		f->why = ar_reason(a, e, "it needs the verification plugin %s "
		    "(io.cncf.notary.verificationPlugin), which ivlite does not "
		    "run", ar_quote(a, plugin, strlen(plugin), e));
	else if (unk)
		f->why = ar_reason(a, e, "critical member %s is not one ivlite "
		    "implements", ar_quote(a, unk, strlen(unk), e));
	if (w || plugin || unk)
		goto out;
	/* authenticity: a certificate of the chain in a store of the
	 * scheme's type (§4.2), then the identities */
	for (i = 0; i < v.ncert && !cry_in(&x->st[sa], &v.cert[i]); i++)
		;
	if ((i == v.ncert && ntn_act(x, VtAuth, ar_reason(a, e, x->nst[sa] ?
	    "no certificate of the chain is in the statement's %s trust "
	    "stores" : "the statement names no %s trust store", stypes[sa]),
	    &f->why) < 0) || (!x->t->any && ntn_ident(x, c[0], &f->why) < 0))
		goto out;
	if (exp >= 0 && x->now >= exp && ntn_act(x, VtExpiry, ar_reason(a, e,
	    "the signature expired at %s", when_utc(exp, a)), &f->why) < 0)
		goto out;
	if (ntn_stamp(x, c, v.ncert, &v, sa ? st : 0, &f->why, e) < 0 ||
	    e->code)
		goto out;
	for (i = 0; x->t->act[VtRevoc] != ActSkip && i + 1 < v.ncert &&
	    !e->code; i++)
		ntn_rev1(x, c[i], c[i + 1], sa ? st : 0, &bad, &worst, e);
	if (e->code || (bad && ntn_act(x, VtRevoc, bad, &f->why) < 0) ||
	    ntn_target(x, &v.payload, &f->why, e))
		goto out;
	f->signer = cry_dn(c[0], a);
	f->why = NULL;
	ok = 1;
out:
	cry_cert_free(&chain);
	return e->code ? -1 : ok;
}

/* notationSigned (SPEC.md): the trust policy's statement for the image's
 * repository decides; skip verifies nothing; else the first notation
 * signature that holds satisfies it, as `notation verify` stops there */
static int
ntn_judge(Run *run, const Req *q, Result *res, Err *e)
{
	const NtnReq *nq = q->own;
	Arena *a = run->a;
	const char *src, *head, *at, *list = "", **dg;
	Referrer *r;
	Found *f;
	Ntn x;
	Tp tp;
	int i, n = 0, rc = -1;

	memset(&x, 0, sizeof(x));
	for (i = 0; i < 3; i++)
		cry_cert_init(&x.st[i]);
	x.run = run;
	x.now = (long long)time(NULL);
	if (!nq)	/* a Req that ntn_load did not make */
		fail(e, ExitConfig, "%s: no trustPolicyPath", q->at);
	if (e->code || ntn_policy(nq->policy, &tp, a, e) < 0)
		goto out;
	rc = 0;
	if (!(x.t = ntn_stmt(&tp, run->ref->name))) {
		res->detail = ar_reason(a, e, "trust policy %s has no statement "
		    "for %s (registryScopes) and none for \"*\"", nq->policy,
		    run->ref->name);
		goto out;
	}
	head = ar_reason(a, e, "statement \"%s\" (%s)", ar_esc(a, x.t->name,
	    e), levels[x.t->level]);
	if ((res->ok = x.t->level == LvSkip)) {
		res->detail = ar_reason(a, e, "%s: signatures not verified",
		    head);
		goto out;
	}
	rc = -1;
	if (ntn_stores(&x, x.t, nq->dir, a, e) < 0 || !(x.nr = run_state(run,
	    q->type, sizeof(*x.nr), e)) || !run_reg(run, e) ||
	    reg_referrers(&run->reg, run->digest, &x.nr->refs, e) < 0 ||
	    !(f = ar_alloc(a, (size_t)(x.nr->refs.n + 1) * sizeof(*f), e)) ||
	    !(dg = ar_alloc(a, (size_t)(x.nr->refs.n + 1) * sizeof(*dg), e)))
		goto out;
	memset(f, 0, (size_t)(x.nr->refs.n + 1) * sizeof(*f));
	res->found = f;
	src = x.nr->refs.api ? "referrers API" : ar_reason(a, e, "referrers "
	    "tag %.19s\xe2\x80\xa6", x.nr->refs.tag);
	for (i = 0; i < x.nr->refs.n && !res->ok; i++) {
		r = &x.nr->refs.r[i];
		if (reg_referrer(&run->reg, r, run->digest, e) < 0)
			goto out;
		at = *r->atype ? r->atype : r->cfgtype;
		if (strcmp(at, NTN_SIG))
			continue;	/* not a notation signature */
		dg[n] = r->digest;
		f[n].source = src;
		f[n].format = "notation";
		x.logged = "";
		if ((res->ok = ntn_verify(&x, r, &f[n++], e)) < 0)
			goto out;
	}
	res->nfound = n;
	for (i = 0; !res->ok && i < n; i++)
		pay_tried(res, a, e, i, n, ar_reason(a, e, "%s %.19s\xe2\x80\xa6: "
		    "%s", f[i].format, dg[i], f[i].why), &list);
	if (res->ok) {
		res->detail = ar_reason(a, e, "%s: %s signature (%s) verified, "
		    "signed by %s%s%s", head, f[n - 1].format, src, f[n - 1].signer,
		    *x.logged ? "; logged: " : "", x.logged);
		if (*x.logged)
			fprintf(stderr, "ivlite: notationSigned: %s: logged: %s\n",
			    head, x.logged);
	} else {
		res->detail = ar_reason(a, e, "%s: %s", head, n ? res->detail :
		    ar_reason(a, e, "no notation signature (%s)", src));
	}
	rc = e->code ? -1 : 0;
out:
	for (i = 0; i < 3; i++)
		cry_cert_free(&x.st[i]);
	return rc;
}

/* notationSigned's members (SPEC.md "Extension requirement types") */
enum { NtType, NtPolicy, NtDir };
static const Field ntfields[] = {
	/* key                     type */
	[NtType] =   { "type",            JSMN_STRING },
	[NtPolicy] = { "trustPolicyPath", JSMN_STRING },
	[NtDir] =    { "trustStoreDir",   JSMN_STRING },
};

/* the members into an NtnReq; the policy file is also r->ca, so that
 * -check and the verdict cache read it as they read key files */
static int
ntn_load(const Json *j, const int *v, Req *r, Arena *a, Err *e)
{
	NtnReq *n;
	const char *s;

	if (v[NtPolicy] < 0)
		return fail(e, ExitConfig, "%s: %s: \"trustPolicyPath\" is "
		    "missing", j->file, r->at);
	if (!(n = ar_alloc(a, sizeof(*n), e)) || pol_field(j, v[NtPolicy], 0,
	    r->at, "trustPolicyPath", &r->ca, a, e) < 0 || (n->dir = NULL,
	    pol_text(j, v[NtDir], r->at, "trustStoreDir", &n->dir, a, e)) < 0)
		return -1;
	r->own = n;
	n->policy = s = r->ca.path;
	if (!n->dir && !(n->dir = ar_printf(a, e, "%.*s%s", strrchr(s, '/') ?
	    (int)(strrchr(s, '/') - s + 1) : 0, s, "truststore/x509")))
		return -1;
	return 0;
}

/* -check and standalone runs: the whole trust policy and every trust
 * store it names, as configuration */
static int
ntn_trust(Run *run, const Req *q, Err *e)
{
	const NtnReq *nq = q->own;
	int i, k, rc = 0;
	Ntn x;
	Tp tp;

	/* a relative trustPolicyPath (pol_files warns) makes the default
	 * store directory one too */
	if (nq->dir[0] != '/' && nq->policy[0] == '/')
		warn("%s: %s.trustStoreDir: %s " POL_RELATIVE,
		    run->policyfile, q->at, nq->dir);
	if (ntn_policy(nq->policy, &tp, run->a, e) < 0)
		return -1;
	for (k = 0; k < tp.n && !rc; k++) {
		memset(&x, 0, sizeof(x));
		for (i = 0; i < 3; i++)
			cry_cert_init(&x.st[i]);
		rc = ntn_stores(&x, &tp.s[k], nq->dir, run->a, e);
		for (i = 0; i < 3; i++)
			cry_cert_free(&x.st[i]);
	}
	return rc;
}

/* -check's warning: these types in containers/image's own file */
static const char *
ntn_warn(const Req *q, const char *policyfile)
{
	static char w[200];

	if (strcmp(policyfile, "/etc/containers/policy.json"))
		return NULL;
	snprintf(w, sizeof(w), "%s is an ivlite extension: containers/image "
	    "(Podman, CRI-O) refuses a policy.json that names it; keep this "
	    "policy at ivlite's own path (-policy)", reqtype(q->type)->name);
	return w;
}

/* -- trustedDigests: an allowlist of manifest digests, inline or
 * Bottlerocket's digestion file; an empty one allows nothing */

typedef struct {		/* trustedDigests' members (Req.own) */
	const char **d;		/* inline digests; NULL: the file's */
	int n;
} DigReq;

enum { DgType, DgDigests, DgPath };
static const Field dgfields[] = {
	/* key                     type */
	[DgType] =    { "type",    JSMN_STRING },
	[DgDigests] = { "digests", JSMN_ARRAY },
	[DgPath] =    { "path",    JSMN_STRING },
};

/* the strings of array token i (path at), at least one; digests only
 * when check */
static int
dig_list(const Json *j, int i, const char *at, int check, DigReq *d,
    Arena *a, Err *e)
{
	int k, t;

	if (!(d->n = j->t[i].size))
		return fail(e, ExitConfig, "%s: %s: empty: it would allow no "
		    "image", j->file, at);
	if (!(d->d = ar_alloc(a, (size_t)d->n * sizeof(*d->d), e)))
		return -1;
	for (t = i + 1, k = 0; k < d->n; k++, t = json_skip(j, t)) {
		if (j->t[t].type != JSMN_STRING || !(d->d[k] = json_str(j, t, a,
		    e)))
			return e->code ? -1 : fail(e, ExitConfig, "%s: %s[%d]: "
			    "expected a string", j->file, at, k);
		if (check && !dig_valid(d->d[k], strlen(d->d[k])))
			return fail(e, ExitConfig, "%s: %s[%d]: %s is not a "
			    "digest", j->file, at, k, ar_esc(a, d->d[k], e));
	}
	return 0;
}

static int
dig_load(const Json *j, const int *v, Req *r, Arena *a, Err *e)
{
	const char *at;
	DigReq *d;

	if ((v[DgDigests] >= 0) == (v[DgPath] >= 0))
		return fail(e, ExitConfig, "%s: %s: exactly one of digests and "
		    "path must be given", j->file, r->at);
	if (!(d = ar_alloc(a, sizeof(*d), e)))
		return -1;
	memset(d, 0, sizeof(*d));
	r->own = d;
	if (v[DgPath] >= 0)
		return pol_field(j, v[DgPath], 0, r->at, "path", &r->ca, a, e);
	return (at = ar_printf(a, e, "%s.digests", r->at)) ? dig_list(j,
	    v[DgDigests], at, 1, d, a, e) : -1;
}

/* Bottlerocket's digestion file {"version": "1.0", "trustedDigests":
 * [...]}: version optional, other members ignored, as Bottlerocket reads
 * it; missing or empty trustedDigests is an error, never "allow all" */
static int
dig_file(const char *file, DigReq *d, Arena *a, Err *e)
{
	Json j;
	Str f;
	int k;

	if (file_read(a, file, MAX_POLICY_BYTES, &f, e) < 0 || json_parse(&j,
	    a, file, f.p, f.n, ExitConfig, e) < 0 || (j.t[0].type ==
	    JSMN_OBJECT && pay_dups(&j, 0, "top level", a, e) < 0))
		return -1;
	if (j.t[0].type != JSMN_OBJECT)
		return fail(e, ExitConfig, "%s: expected a JSON object", file);
	if ((k = json_get(&j, 0, "version")) >= 0 && !json_eq(&j, k, "1.0"))
		return fail(e, ExitConfig, "%s: version: want \"1.0\"", file);
	if ((k = json_get(&j, 0, "trustedDigests")) < 0 || j.t[k].type !=
	    JSMN_ARRAY)
		return fail(e, ExitConfig, "%s: trustedDigests: an array is "
		    "required", file);
	return dig_list(&j, k, "trustedDigests", 0, d, a, e);
}

/* trustedDigests: -digest must be one of them, byte for byte */
static int
dig_judge(Run *run, const Req *q, Result *res, Err *e)
{
	DigReq d = { NULL, 0 };
	int k;

	if (q->own)
		d = *(const DigReq *)q->own;
	if (!d.d && q->ca.path && dig_file(q->ca.path, &d, run->a, e) < 0)
		return -1;
	for (k = 0; k < d.n && strcmp(d.d[k], run->digest); k++)
		;
	res->ok = k < d.n;
	res->detail = !res->ok ? "digest not in allowlist" : q->ca.path ?
	    ar_reason(run->a, e, "digest in allowlist %s", q->ca.path) :
	    "digest in allowlist";
	return 0;
}

static int
dig_trust(Run *run, const Req *q, Err *e)
{
	DigReq d;

	return q->ca.path ? dig_file(q->ca.path, &d, run->a, e) : 0;
}

/* == 37. Requirement types ===============================================
 * The table behind every dispatch on a requirement's type, and the rows
 * that need no section: insecureAcceptAnything, reject, signedBaseLayer. */

static int
req_accept(Run *run, const Req *q, Result *res, Err *e)
{
	(void)run, (void)q, (void)e;
	res->ok = 1;
	res->detail = "";
	return 0;
}

static int
req_reject(Run *run, const Req *q, Result *res, Err *e)
{
	(void)run, (void)q, (void)e;
	res->detail = "this scope rejects all images";
	return 0;
}

static int
req_baselayer(Run *run, const Req *q, Result *res, Err *e)
{
	(void)run, (void)q, (void)e;
	res->detail = "not implemented (containers/image rejects it too)";
	return 0;
}

enum { BlType, BlIdent };
static const Field blfields[] = {
	[BlType] =  { "type",              JSMN_STRING },
	[BlIdent] = { "baseLayerIdentity", JSMN_OBJECT },
};
static const Field typefield[] = { { "type", JSMN_STRING } };

static int
req_baseload(const Json *j, const int *v, Req *r, Arena *a, Err *e)
{
	const char *at;

	if (v[BlIdent] < 0)
		return fail(e, ExitConfig, "%s: %s: \"baseLayerIdentity\" is "
		    "missing", j->file, r->at);
	if (!(at = ar_printf(a, e, "%s.baseLayerIdentity", r->at)))
		return -1;
	return pol_ident(j, v[BlIdent], at, &r->id, a, e);
}

/* Req.type is the row: tests and -o json know them by number, so a new
 * type goes last */
static const ReqType reqtypes[] = {
	/* name                     fields
	 *     load          trust      check          needs a signature,
	 *     -check's warning */
	{ "insecureAcceptAnything", FIELDS(typefield),
	      NULL,         NULL,      req_accept,    0, NULL },
	{ "reject",                 FIELDS(typefield),
	      NULL,         NULL,      req_reject,    0, NULL },
	{ "signedBy",               FIELDS(sbfields),
	      ss_load,      ss_trust,  ss_judge,      1, NULL },
	{ "signedBaseLayer",        FIELDS(blfields),
	      req_baseload, NULL,      req_baselayer, 0, NULL },
	{ "sigstoreSigned",         FIELDS(sgfields),
	      sst_load,     sst_trust, sst_judge,     1, NULL },
	{ "sigstoreBundle",         FIELDS(bdfields),
	      bdl_load,     bdl_trust, bdl_judge,     1, bdl_warn },
	{ "notationSigned",         FIELDS(ntfields),
	      ntn_load,     ntn_trust, ntn_judge,     0, ntn_warn },
	{ "trustedDigests",         FIELDS(dgfields),
	      dig_load,     dig_trust, dig_judge,     0, ntn_warn },
};

/* the row of type, or NULL: not one */
static const ReqType *
reqtype(int type)
{
	return type >= 0 && type < (int)LEN(reqtypes) ? &reqtypes[type] : NULL;
}

/* == 38. Verdict cache ===================================================
 * Off unless config.h sets CACHE_SECONDS.  An acceptance is kept as the
 * file cachedir/KEY, KEY the SHA-256 of everything the verdict rests on:
 * ivlite's version, the reference and digest, the policy.json bytes, the
 * path and bytes of every key, keyring and CA file of the matched scope,
 * and what registries.d says for the image; change one and the key
 * changes.  The directory and the entry are checked on their open
 * descriptors: the running user's alone, no group or other access, no
 * symbolic links.  Anything else is no entry: the image is verified as if
 * there were no cache.  Only text-mode acceptances under signature
 * requirements are kept (nothing else is worth a network round). */

/* a field with its length first, so two fields cannot pass for others */
static void
cache_field(Md *h, const void *p, size_t n)
{
	unsigned char len[8];
	int i;

	for (i = 0; i < 8; i++)
		len[i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
	md_add(h, len, sizeof(len));
	md_add(h, p, n);
}

/* a key or CA file of the scope (pol_files) into the key */
static void
cache_file(void *h, const char *path, const Str *s)
{
	cache_field(h, path, strlen(path));
	cache_field(h, s->p, s->n);
}

/* 1 with key, 0 if the scope needs no signature, -1 with e set (what the
 * verification itself would have met: registries.d, a key file) */
static int
cache_key(Run *run, const Policy *p, const Str *policy, char key[65], Err *e)
{
	const Scope *sc = pol_scope(p, run->ref, run->digest);
	char ref[REF_NAME_MAX + REF_TAG_MAX + DIGEST_MAX + 4];
	unsigned char sum[64];
	const char *lookaside;
	const ReqType *t;
	int i, attach, sig = 0;
	Md h;

	for (i = 0; i < sc->nreq; i++)
		sig |= (t = reqtype(sc->req[i].type)) && t->sig;
	if (!sig)
		return 0;
	if (run_regd(run, e) < 0 || regd_find(&run->regd, run->ref,
	    run->digest, &lookaside, &attach, e) < 0)
		return -1;
	ref_string(run->ref, ref, sizeof(ref));
	md_begin(&h, MdSha256);
	cache_field(&h, VERSION, strlen(VERSION));
	cache_field(&h, ref, strlen(ref));
	cache_field(&h, run->digest, strlen(run->digest));
	cache_field(&h, policy->p, policy->n);
	cache_field(&h, lookaside, strlen(lookaside));
	cache_field(&h, attach ? "1" : "0", 1);
	if (pol_files(p, sc, cache_file, &h, run->a, e) < 0) {
		md_end(&h, sum);
		return -1;
	}
	if (md_end(&h, sum) != 32)
		return fail(e, ExitUndecided, "verdict cache: SHA-256 failed");
	hex_str(sum, 32, key, 0);
	return 1;
}

/* cachedir, open, if it is ours alone (made so when make is set); -1 if
 * not, said on stderr when it exists but is not private */
static int
cache_dir(int make)
{
	struct stat st;
	int fd;

	if (make && mkdir(cachedir, 0700) < 0 && errno != EEXIST) {
		logv("verdict cache %s: %s", cachedir, strerror(errno));
		return -1;
	}
	if ((fd = open(cachedir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0) {
		if (errno != ENOENT)
			fprintf(stderr, "ivlite: verdict cache %s not used: %s\n",
			    cachedir, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		fprintf(stderr, "ivlite: verdict cache %s not used: not a "
		    "directory of uid %u alone (mode 0700)\n", cachedir,
		    (unsigned)geteuid());
		close(fd);
		return -1;
	}
	return fd;
}

/* Entry name of directory dfd: "ivlite-cache 1 VERIFIED EXPIRES\nLINE\n".
 * 1 with the line and when it was verified if it is ours alone and fresh
 * (now before EXPIRES, and at most CACHE_SECONDS after VERIFIED, so a
 * shorter CACHE_SECONDS holds for old entries too); 0 if not. */
static int
cache_read(int dfd, const char *name, long long now, char *line, size_t n,
    long long *at)
{
	char buf[MAX_REASON + 64], *nl;
	long long until;
	struct stat st;
	ssize_t r = -1;
	int fd, k = 0;

	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
	    st.st_uid == geteuid() && !(st.st_mode & 077) &&
	    st.st_size < (off_t)sizeof(buf))
		r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return 0;
	buf[r] = '\0';
	if (!(nl = strchr(buf, '\n')))
		return 0;
	*nl++ = '\0';
	if (sscanf(buf, "ivlite-cache 1 %lld %lld%n", at, &until, &k) != 2 ||
	    buf[k] || *at > now || now >= until || until - *at > cachesecs ||
	    strncmp(nl, "accepted ", 9) || strchr(nl, '\n') != buf + r - 1 ||
	    (size_t)(buf + r - nl) > n)
		return 0;
	buf[r - 1] = '\0';
	memcpy(line, nl, (size_t)(buf + r - nl));
	return 1;
}

/* 1 with line (marked as cached) if key has a fresh entry */
static int
cache_get(const char *key, char *line, size_t n, Arena *a)
{
	long long at;
	size_t len;
	int dfd, hit;

	if ((dfd = cache_dir(0)) < 0)
		return 0;
	hit = cache_read(dfd, key, (long long)time(NULL), line, n, &at);
	close(dfd);
	logv("verdict cache: %s %s", hit ? "hit" : "miss", key);
	if (hit && (len = strlen(line)) < n)
		snprintf(line + len, n - len, " (cached: verified %s)",
		    when_utc(at, a));
	return hit;
}

/* Keeps line under key.  Entries that are stale or not ours go first;
 * with MAX_CACHE_ENTRIES left nothing is kept.  Failures only cost the
 * next pull a verification: they are logged, never errors. */
static void
cache_put(const char *key, const char *line)
{
	char tmp[80], buf[MAX_REASON + 64], old[MAX_REASON];
	long long now = (long long)time(NULL), at;
	struct dirent *d;
	int dfd, fd, kept = 0, len, ok;
	DIR *dp;

	if ((dfd = cache_dir(1)) < 0)
		return;
	if ((fd = dup(dfd)) >= 0 && !(dp = fdopendir(fd)))
		close(fd);
	else if (fd >= 0) {
		while ((d = readdir(dp))) {
			if (strlen(d->d_name) != 64 || strspn(d->d_name,
			    "0123456789abcdef") != 64)
				continue;	/* not an entry: left alone */
			if (cache_read(dfd, d->d_name, now, old, sizeof(old),
			    &at))
				kept++;
			else
				unlinkat(dfd, d->d_name, 0);
		}
		closedir(dp);
	}
	snprintf(tmp, sizeof(tmp), ".%s.%ld", key, (long)getpid());
	len = snprintf(buf, sizeof(buf), "ivlite-cache 1 %lld %lld\n%s\n",
	    now, now + cachesecs, line);
	ok = kept < MAX_CACHE_ENTRIES && len > 0 && len < (int)sizeof(buf) &&
	    (fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) >= 0;
	if (ok) {
		ok = write(fd, buf, (size_t)len) == len;
		ok = close(fd) == 0 && ok && renameat(dfd, tmp, dfd, key) == 0;
		if (!ok)
			unlinkat(dfd, tmp, 0);
	}
	logv("verdict cache: %s %s", ok ? "kept" : kept >= MAX_CACHE_ENTRIES ?
	    "full (MAX_CACHE_ENTRIES), not kept" : "cannot write", key);
	close(dfd);
}

/* == 39. Judgement and output ============================================
 * Requirements are tried in order and the first that fails decides, as in
 * containers/image; later ones are reported as not evaluated.  The verdict
 * starts as a rejection and judge() alone turns it into an acceptance. */

static int judge_req(Run *run, const Req *q, Result *res, Err *e);
static void out_jstr(const char *s, FILE *f);

/* kept: the line of a fresh verdict-cache entry for this very image,
 * policy and key files (cache_key), which stands for every requirement */
static int
judge(Run *run, const Policy *p, const char *kept, Verdict *v, Err *e)
{
	const Scope *sc = pol_scope(p, run->ref, run->digest);
	int i;

	memset(v, 0, sizeof(*v));
	v->exit = ExitReject;
	v->scope = sc;
	logv("scope %s: %d requirement%s", sc->at, sc->nreq,
	    sc->nreq == 1 ? "" : "s");
	for (i = 0; i < sc->nreq; i++) {
		v->res[i].desc = sc->req[i].desc;
		v->res[i].detail = "not evaluated: an earlier requirement "
		    "failed";
	}
	for (i = 0; i < sc->nreq; i++) {
		v->res[i].detail = NULL;
		if (kept) {
			v->res[i].ok = 1;
			v->res[i].detail = "verdict cache";
		} else if (judge_req(run, &sc->req[i], &v->res[i], e) < 0) {
			return -1;
		}
		if (run->a->spent)	/* a step may have called it a "no" */
			return ar_spent(e);
		logv("%s: %s", v->res[i].desc, v->res[i].ok ? "satisfied" :
		    v->res[i].detail);
		if (!v->res[i].ok)
			return 0;
	}
	v->kept = kept;
	v->exit = ExitAccept;
	return 0;
}

/* by its row of reqtypes[]; a type that has none is not judged */
static int
judge_req(Run *run, const Req *q, Result *res, Err *e)
{
	const ReqType *t = reqtype(q->type);
	int r;

	res->ok = 0;
	res->detail = NULL;
	if (t) {
		r = t->check(run, q, res, e);
		if (!res->detail)	/* a check's slip: still one line */
			res->detail = "no reason given";
		return r;
	}
	/* pol_req makes none; a hand-built Req may */
	res->detail = ar_reason(run->a, e, "unknown requirement type %d (not "
	    "judged)", q->type);
	return 0;
}

/* Loads, and drops again, what the requirements of sc trust: -check does
 * this for all scopes, standalone runs for their scope before any network
 * work.  A bad key or CA file is a configuration error. */
static int
judge_keys(Run *run, const Scope *sc, Err *e)
{
	const ReqType *t;
	int i, r = 0;

	for (i = 0; i < sc->nreq && r == 0; i++)
		if ((t = reqtype(sc->req[i].type)) && t->trust)
			r = t->trust(run, &sc->req[i], e);
	return r;
}

/* appends to the reason line; a line that does not fit ends in "…" */
static void
out_cat(char *buf, size_t n, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;
	int r;

	if (len + 4 >= n)
		return;
	va_start(ap, fmt);
	r = vsnprintf(buf + len, n - len, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= n - len)
		memcpy(buf + n - 4, "\xe2\x80\xa6", 4);
}

/* the one line: accepted/rejected REF@DIGEST: scope S: …, or error: … */
static void
out_line(const Verdict *v, const Ref *r, const char *digest, const Err *e,
    char *buf, size_t n)
{
	char ref[REF_NAME_MAX + REF_TAG_MAX + DIGEST_MAX + 4];
	int i;

	buf[0] = '\0';
	if (e->code || !v) {
		out_cat(buf, n, "error: %s", e->code ? e->msg :
		    "no verdict");
		return;
	}
	if (v->kept && v->exit == ExitAccept) {
		out_cat(buf, n, "%s", v->kept);
		return;
	}
	ref_string(r, ref, sizeof(ref));
	out_cat(buf, n, "%s %s%s%s: scope %s: ", v->exit == ExitAccept ?
	    "accepted" : "rejected", ref, r->digest[0] ? "" : "@",
	    r->digest[0] ? "" : digest, v->scope->at);
	for (i = 0; i < v->scope->nreq; i++) {
		const Result *res = &v->res[i];

		if (v->exit == ExitAccept)
			out_cat(buf, n, "%s%s%s%s", i ? "; " : "", res->desc,
			    *res->detail ? ": " : "", res->detail);
		else if (!res->ok) {
			out_cat(buf, n, "%s: %s", res->desc, res->detail);
			break;
		}
	}
}

/* a requirement's candidates, if its type lists them: -o json's
 * "candidates" */
static void
out_found(const Result *res, FILE *f)
{
	const Found *c;
	int k;

	for (k = 0; k < res->nfound; k++) {
		c = &res->found[k];
		fputs(k ? ",{\"source\":" : ",\"candidates\":[{\"source\":", f);
		out_jstr(c->source, f);
		fputs(",\"format\":", f);
		out_jstr(c->format, f);
		fputs(",\"signer\":", f);
		out_jstr(c->signer, f);
		fprintf(f, ",\"ok\":%s,\"why\":", c->why ? "false" : "true");
		out_jstr(c->why, f);
		fputs(k + 1 == res->nfound ? "}]" : "}", f);
	}
}

/* -o json: one object on one line */
static void
out_json(const Verdict *v, const Ref *r, const char *digest,
    const char *line, int code, FILE *f)
{
	static const char *verdicts[] = {
		"accepted", "rejected", "error", "error"
	};
	char ref[REF_NAME_MAX + REF_TAG_MAX + DIGEST_MAX + 4];
	const ReqType *t;
	int i;

	fprintf(f, "{\"verdict\":\"%s\",\"exit\":%d,%s\"reference\":",
	    verdicts[code], exit_status(code), auditing ? "\"audit\":true," : "");
	if (r) {
		ref_string(r, ref, sizeof(ref));
		out_jstr(ref, f);
	} else {
		fputs("null", f);
	}
	fputs(",\"digest\":", f);
	out_jstr(digest, f);
	fputs(",\"scope\":", f);
	out_jstr(v ? v->scope->at : NULL, f);
	fputs(",\"requirements\":[", f);
	for (i = 0; v && i < v->scope->nreq; i++) {
		fprintf(f, "%s{\"type\":", i ? "," : "");
		t = reqtype(v->scope->req[i].type);
		out_jstr(t ? t->name : "unknown", f);
		fputs(",\"requirement\":", f);
		out_jstr(v->res[i].desc, f);
		fprintf(f, ",\"ok\":%s,\"detail\":", v->res[i].ok ? "true" :
		    "false");
		out_jstr(v->res[i].detail, f);
		out_found(&v->res[i], f);
		fputc('}', f);
	}
	fputs("],\"reason\":", f);
	out_jstr(line, f);
	fputs("}\n", f);
}

/* What an error line names the image by where the line stands alone
 * (-audit, -batch; err_line): REF@DIGEST, else the -name given, quoted */
static void
out_image(const Ref *r, const Opts *o, char *buf, size_t n)
{
	char q[QUOTE_SIZE];
	int dig = r && !r->digest[0] && o->digest;

	buf[0] = '\0';
	if (!o->audit && !o->batch)
		return;
	if (r) {
		ref_string(r, buf, n);
		snprintf(buf + strlen(buf), n - strlen(buf), "%s%s",
		    dig ? "@" : "", dig ? o->digest : "");
	} else if (o->name) {
		snprintf(buf, n, "%s", quote(q, o->name, strlen(o->name)));
	}
}

/* the one line on stdout, text or -o json; line keeps the text, under
 * -audit what would have happened ("audit: would reject …") */
static void
out_verdict(const Verdict *v, const Ref *r, const Opts *o, const Err *e,
    int code, char *line, size_t n)
{
	char img[QUOTE_SIZE + DIGEST_MAX + 8], msg[MAX_REASON];

	out_line(v, r, o->digest, e, line, n);
	if (e->code || !v) {
		snprintf(msg, sizeof(msg), "%s", line + 7);	/* "error: " */
		out_image(r, o, img, sizeof(img));
		err_line(line, n, img, msg);
	} else if (code == ExitReject && o->audit) {
		snprintf(msg, sizeof(msg), "%s", line + 9);	/* "rejected " */
		line[0] = '\0';
		out_cat(line, n, "audit: would reject %s", msg);
	}
	if (o->json)
		out_json(v && !e->code ? v : NULL, r, o->digest, line, code,
		    stdout);
	else
		puts(line);
}

static void
out_jstr(const char *s, FILE *f)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* == 40. Verdict log =====================================================
 * -log FILE (config.h: logpath): one JSON line per verdict, how audit
 * mode is read (containerd discards an accepting verifier's stdout).
 * Each line is one write() on an O_APPEND descriptor, so the lines of the
 * verifiers containerd runs at once never interleave.  Past MAX_LOG_BYTES
 * the file becomes FILE.1, renamed by the one run that takes the lock on
 * it (no waiting: a run that does not get it leaves it to the one that
 * has it) and still finds it at FILE.  A log that cannot be written is
 * said on stderr and changes no verdict.  A line holds what stdout says,
 * never credentials. */

static struct {
	const char *path;
	int fd;			/* -1: no log */
	int again;		/* rotated: open a new file when next needed */
} vlog = { NULL, -1, 0 };

/* path for the run: appended to, created 0600, a regular file only */
static void
vlog_open(const char *path)
{
	struct stat st;

	vlog.path = path;
	vlog.fd = -1;
	vlog.again = 0;
	if (!path || !*path)
		return;
	if ((vlog.fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0600)) >= 0 && fstat(vlog.fd, &st) == 0 &&
	    S_ISREG(st.st_mode))
		return;
	fprintf(stderr, "ivlite: verdict log %s: %s\n", path, vlog.fd < 0 ?
	    strerror(errno) : "not a regular file");
	if (vlog.fd >= 0)
		close(vlog.fd);
	vlog.fd = -1;
}

/* A line up to its reason: time (RFC 3339, UTC), reference, digest,
 * verdict, exit status, audit, scope; -1 if a string does not fit */
static int
vlog_head(char *buf, size_t n, long long when, const Ref *r, const Opts *o,
    const char *scope, int code)
{
	static const char *verdicts[] = { "accept", "reject", "error", "error" };
	char t[32], ref[QUOTE_SIZE + REF_TAG_MAX + DIGEST_MAX];
	time_t tt = (time_t)when;
	struct tm tm;
	int bad;

	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
	if (r)
		ref_string(r, ref, sizeof(ref));
	else if (o->name)
		quote_as(ref, o->name, strlen(o->name), 0);
	buf[0] = '\0';
	out_cat(buf, n, "{\"time\":\"%s\",\"reference\":", t);
	bad = jstr_cat(buf, n, r || o->name ? ref : NULL);
	out_cat(buf, n, ",\"digest\":");
	bad |= jstr_cat(buf, n, o->digest ? o->digest : r && r->digest[0] ?
	    r->digest : NULL);
	out_cat(buf, n, ",\"verdict\":\"%s\",\"exit\":%d,\"audit\":%s,"
	    "\"scope\":", verdicts[code], exit_status(code), auditing ?
	    "true" : "false");
	bad |= jstr_cat(buf, n, scope);
	out_cat(buf, n, ",\"reason\":");
	return bad;
}

/* what the watchdog says and logs if it goes off during image r (NULL:
 * not parsed yet) */
static void
vlog_arm(const Ref *r, const Opts *o)
{
	char head[4096], img[QUOTE_SIZE + DIGEST_MAX + 8];

	head[0] = '\0';
	if (vlog.again)
		vlog_open(vlog.path);
	out_image(r, o, img, sizeof(img));
	watchdog_image(img, vlog.fd < 0 || vlog_head(head, sizeof(head),
	    wdat, r, o, NULL, ExitUndecided) < 0 ? -1 : vlog.fd, head);
}

/* the verdict's line, then FILE.1 if the file has passed MAX_LOG_BYTES */
static void
vlog_put(const Ref *r, const Opts *o, const char *scope, int code,
    const char *line)
{
	static char buf[8 * MAX_REASON];
	char old[MAX_ARG_BYTES + 8];
	struct stat st, now;
	struct flock fl;
	ssize_t w;
	size_t len;

	if (vlog.again)
		vlog_open(vlog.path);
	if (vlog.fd < 0)
		return;
	if (vlog_head(buf, sizeof(buf), (long long)time(NULL), r, o, scope,
	    code) < 0 || jstr_cat(buf, sizeof(buf) - 2, line) < 0) {
		fprintf(stderr, "ivlite: verdict log %s: line too long, not "
		    "written\n", vlog.path);
		return;
	}
	len = strlen(strcat(buf, "}\n"));
	if ((w = write(vlog.fd, buf, len)) != (ssize_t)len)
		fprintf(stderr, "ivlite: verdict log %s: %s\n", vlog.path,
		    w < 0 ? strerror(errno) : "short write");
	if (fstat(vlog.fd, &st) < 0 || st.st_size <= MAX_LOG_BYTES)
		return;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if ((size_t)snprintf(old, sizeof(old), "%s.1", vlog.path) <
	    sizeof(old) && fcntl(vlog.fd, F_SETLK, &fl) == 0 &&
	    stat(vlog.path, &now) == 0 && now.st_dev == st.st_dev &&
	    now.st_ino == st.st_ino && rename(vlog.path, old) < 0)
		fprintf(stderr, "ivlite: verdict log %s: %s\n", old,
		    strerror(errno));
	close(vlog.fd);		/* and the lock with it */
	vlog.fd = -1;
	vlog.again = 1;		/* -batch goes on in a new file */
}

/* == 41. TOML subset =====================================================
 * containerd's config.toml for -doctor, as far as containerd's own files
 * go (TOML 1.0): tables and arrays of tables, dotted and quoted keys,
 * strings (multi-line too), integers, booleans, arrays and inline tables.
 * A file becomes a flat list of entries, each named by its full path the
 * way -doctor prints it: bare parts bare, others quoted (quote()), array
 * items [N]: plugins."io.containerd.cri.v1.images".registry.mirrors.
 * "docker.io".endpoint[0].  Any other value (a float, a date, a \u
 * escape) is an entry that cannot be read, a problem of that key alone;
 * a syntax error makes the file unreadable.  Bounded by MAX_TOML_BYTES,
 * MAX_TOML_KEYS a file and MAX_TOML_DEPTH. */

enum { TomlTable, TomlTables, TomlStr, TomlInt, TomlBool, TomlArray,
	TomlOther };

typedef struct {
	const char *path;
	int kind;		/* TomlTable… (TomlTables: a [[header]]) */
	const char *s;		/* TomlStr: the text; TomlOther: what it is */
	long long i;		/* TomlInt; TomlBool: 0 or 1 */
	int file, line;		/* Toml.f[file], line from 1 */
} TomlKey;

typedef struct {
	const char *name;	/* as read, for messages */
	TomlKey *k;
	int n;
} TomlFile;

typedef struct {
	Arena *a;
	TomlFile f[MAX_TOML_FILES];
	int nf;
	const char *p, *end;	/* the file being read */
	int line, cap;
} Toml;

#define TOML_BARE	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
			"0123456789_-"

static int
toml_err(Toml *t, Err *e, const char *why)
{
	return fail(e, ExitConfig, "%s:%d: %s", t->f[t->nf - 1].name, t->line,
	    why);
}

static void
toml_sp(Toml *t)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t'))
		t->p++;
}

/* a comment to the end of its line */
static void
toml_comment(Toml *t)
{
	if (t->p < t->end && *t->p == '#')
		while (t->p < t->end && *t->p != '\n')
			t->p++;
}

/* blanks, comments and line ends: between array items, lines */
static void
toml_gap(Toml *t)
{
	for (;;) {
		toml_sp(t);
		toml_comment(t);
		if (t->end - t->p >= 2 && t->p[0] == '\r' && t->p[1] == '\n')
			t->p++;
		if (t->p == t->end || *t->p != '\n')
			return;
		t->p++;
		t->line++;
	}
}

/* the end of a line that held a key or header */
static int
toml_eol(Toml *t, Err *e)
{
	toml_sp(t);
	toml_comment(t);
	if (t->end - t->p >= 2 && t->p[0] == '\r' && t->p[1] == '\n')
		t->p++;
	if (t->p < t->end && *t->p != '\n')
		return toml_err(t, e, "expected the end of the line");
	return 0;
}

/* A string at t->p (basic or literal, one line or multi-line), unescaped
 * into the arena; *other set if it has a \u escape (not read).  NULL with
 * e set. */
static char *
toml_string(Toml *t, int *other, Err *e)
{
	char q = *t->p, *out, *o;
	int multi = t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q;
	const char *s, *end;

	s = t->p += multi ? 3 : 1;
	for (end = s; end < t->end; end += *end == '\\' && q == '"' ? 2 : 1)
		if ((*end == q && (!multi || (t->end - end >= 3 &&
		    end[1] == q && end[2] == q))) || (*end == '\n' && !multi))
			break;
	if (end >= t->end || *end != q) {	/* sized before copied */
		toml_err(t, e, "unterminated string");
		return NULL;
	}
	if (!(out = o = ar_alloc(t->a, (size_t)(end - s) + 1, e)))
		return NULL;
	if (multi && *s == '\r' && s + 1 < end && s[1] == '\n')
		s++;
	if (multi && s < end && *s == '\n') {	/* a first line end goes */
		s++;
		t->line++;
	}
	for (; s < end; s++) {
		if ((unsigned char)*s < 0x20 && !strchr("\t\r\n", *s)) {
			toml_err(t, e, "control character in a string");
			return NULL;
		}
		t->line += *s == '\n';
		if (*s != '\\' || q == '\'') {
			*o++ = *s;
			continue;
		}
		if (*++s && strchr("btnfr\"\\", *s)) {
			*o++ = "\b\t\n\f\r\"\\"[strchr("btnfr\"\\", *s) -
			    "btnfr\"\\"];
		} else if (*s == 'u' || *s == 'U') {
			*other = 1;	/* the value is not read: keep the text */
			*o++ = '\\';
			*o++ = *s;
		} else if (multi && strchr(" \t\r\n", *s)) {
			/* a line-ending backslash: whitespace up to the next
			 * text goes */
			for (; s < end && strchr(" \t\r\n", *s); s++)
				t->line += *s == '\n';
			s--;
		} else {
			toml_err(t, e, "invalid escape in a string");
			return NULL;
		}
	}
	*o = '\0';
	t->p = end + (multi ? 3 : 1);
	return out;
}

static TomlKey *
toml_add(Toml *t, const char *path, int kind, Err *e)
{
	TomlFile *f = &t->f[t->nf - 1];
	TomlKey *k;

	if (f->n == t->cap) {	/* cap: never under what the file can hold */
		fail(e, ExitConfig, "%s:%d: more than MAX_TOML_KEYS (%d) keys, "
		    "tables and array items", f->name, t->line, MAX_TOML_KEYS);
		return NULL;
	}
	k = &f->k[f->n++];
	memset(k, 0, sizeof(*k));
	k->path = path;
	k->kind = kind;
	k->file = t->nf - 1;
	k->line = t->line;
	return k;
}

/* A key (parts bare or quoted, dotted) after prefix: its path */
static char *
toml_key(Toml *t, const char *prefix, Err *e)
{
	const char *path = prefix, *part;
	char q[QUOTE_SIZE];
	int other = 0, parts = 0;
	size_t n;

	for (;;) {
		toml_sp(t);
		if (++parts > MAX_TOML_DEPTH) {
			toml_err(t, e, "a key of more than MAX_TOML_DEPTH parts");
			return NULL;
		}
		if (t->p < t->end && (*t->p == '"' || *t->p == '\'')) {
			if (!(part = toml_string(t, &other, e)))
				return NULL;
			n = strlen(part);
		} else {
			part = t->p;
			t->p += n = strspn(t->p, TOML_BARE);
		}
		if (other || (!n && part == t->p)) {
			toml_err(t, e, other ? "a \\u escape in a key" :
			    "expected a key");
			return NULL;
		}
		if (n && strspn(part, TOML_BARE) >= n)	/* bare as written */
			path = ar_printf(t->a, e, "%s%s%.*s", path, *path ? "." :
			    "", (int)n, part);
		else
			path = ar_printf(t->a, e, "%s%s%s", path, *path ? "." :
			    "", quote(q, part, n));
		if (!path)
			return NULL;
		toml_sp(t);
		if (t->p == t->end || *t->p != '.')
			return (char *)path;
		t->p++;
	}
}

/* A value at t->p for the key at path: its entry, an array's items below
 * it (path[0]…), an inline table's keys (path.key) */
static int
toml_value(Toml *t, const char *path, int depth, Err *e)
{
	char num[72], *end, close;
	const char *s = t->p, *sub;
	int i, base, other = 0;
	size_t n, k, m;
	TomlKey *v;

	if (depth > MAX_TOML_DEPTH)
		return toml_err(t, e, "arrays or inline tables nested deeper "
		    "than MAX_TOML_DEPTH");
	if (!(v = toml_add(t, path, TomlOther, e)))
		return -1;
	if (s < t->end && (*s == '"' || *s == '\'')) {
		if (!(v->s = toml_string(t, &other, e)))
			return -1;
		v->kind = other ? TomlOther : TomlStr;
		if (other)
			v->s = "a string with a \\u escape (not read)";
		return 0;
	}
	if (s < t->end && (*s == '[' || *s == '{')) {
		v->kind = *s == '[' ? TomlArray : TomlTable;
		close = *s == '[' ? ']' : '}';
		for (t->p++, i = 0;; i++) {
			*s == '[' ? toml_gap(t) : toml_sp(t);
			if (t->p < t->end && *t->p == close && (*s == '[' || !i))
				break;	/* an array may end in a comma */
			if (*s == '[')
				sub = ar_printf(t->a, e, "%s[%d]", path, i);
			else if ((sub = toml_key(t, path, e)) && (t->p == t->end ||
			    *t->p++ != '='))
				return toml_err(t, e, "expected = after the key");
			if (!sub)
				return -1;
			toml_sp(t);
			if (toml_value(t, sub, depth + 1, e) < 0)
				return -1;
			*s == '[' ? toml_gap(t) : toml_sp(t);
			if (t->p < t->end && *t->p == close)
				break;
			if (t->p == t->end || *t->p++ != ',')
				return toml_err(t, e, *s == '[' ? "expected , or ] "
				    "in an array" : "expected , or } in an inline "
				    "table");
		}
		t->p++;
		return 0;
	}
	n = strcspn(s, " \t\r\n,]}#");
	if (!n)
		return toml_err(t, e, "expected a value");
	t->p += n;
	if ((n == 4 && !memcmp(s, "true", 4)) || (n == 5 && !memcmp(s,
	    "false", 5))) {
		v->kind = TomlBool;
		v->i = *s == 't';
		return 0;
	}
	/* an integer: decimal, 0x, 0o or 0b, _ only between digits */
	base = n > 2 && s[0] == '0' && strchr("xob", s[1]) ? s[1] == 'x' ? 16 :
	    s[1] == 'o' ? 8 : 2 : 10;
	for (k = base == 10 ? 0 : 2, m = 0; k < n && m + 1 < sizeof(num); k++)
		if (s[k] != '_' || !k || !isxdigit((unsigned char)s[k - 1]) ||
		    k + 1 == n || !isxdigit((unsigned char)s[k + 1]))
			num[m++] = s[k];
	num[m] = '\0';
	errno = 0;
	v->i = strtoll(num, &end, base);
	if (k == n && m && !errno && !*end && (base == 10 || isxdigit(
	    (unsigned char)num[0]))) {
		v->kind = TomlInt;
		return 0;
	}
	v->s = "not a string, integer, boolean, array or table";
	if (!depth)	/* a date may hold a space: the line is its */
		t->p += strcspn(t->p, "\n#");
	return 0;
}

/* File name (text s, n bytes) as the next of t's files */
static int
toml_read(Toml *t, const char *name, const char *s, size_t n, Err *e)
{
	const char *table = "";
	TomlFile *f;
	TomlKey *k;
	char *path;
	int i, arr, count;

	if (t->nf == MAX_TOML_FILES)
		return fail(e, ExitConfig, "%s: more than MAX_TOML_FILES (%d) "
		    "files with the imports", name, MAX_TOML_FILES);
	f = &t->f[t->nf++];
	f->name = name;
	f->n = 0;
	/* each entry starts at a byte of its own: no more than n + 1 */
	t->cap = n + 1 < MAX_TOML_KEYS ? (int)n + 1 : MAX_TOML_KEYS;
	t->p = s;
	t->end = s + n;
	t->line = 1;
	if (memchr(s, '\0', n))
		return fail(e, ExitConfig, "%s: a NUL byte", name);
	if (!(f->k = ar_alloc(t->a, (size_t)t->cap * sizeof(*f->k), e)))
		return -1;
	for (;;) {
		toml_gap(t);
		if (t->p == t->end)
			return 0;
		if (*t->p == '[') {		/* [table] or [[array of tables]] */
			arr = t->end - t->p >= 2 && t->p[1] == '[';
			t->p += 1 + arr;
			if (!(path = toml_key(t, "", e)))
				return -1;
			if (t->end - t->p < 1 + arr || *t->p != ']' ||
			    (arr && t->p[1] != ']'))
				return toml_err(t, e, arr ? "expected ]]" :
				    "expected ]");
			t->p += 1 + arr;
			if (!(k = toml_add(t, path, arr ? TomlTables : TomlTable,
			    e)))
				return -1;
			for (i = count = 0; arr && i < f->n; i++)
				count += f->k[i].kind == TomlTables &&
				    !strcmp(f->k[i].path, path);
			table = arr ? ar_printf(t->a, e, "%s[%d]", path,
			    count - 1) : path;
			if (!table)
				return -1;
		} else {
			if (!(path = toml_key(t, table, e)))
				return -1;
			if (t->p == t->end || *t->p++ != '=')
				return toml_err(t, e, "expected = after the key");
			toml_sp(t);
			if (toml_value(t, path, 0, e) < 0)
				return -1;
		}
		if (toml_eol(t, e) < 0)
			return -1;
	}
}

/* The entry at path, the last over the files (containerd merges an import
 * over what came before it); NULL when not set */
static const TomlKey *
toml_get(const Toml *t, const char *path)
{
	const TomlKey *k = NULL;
	int f, i;

	for (f = 0; f < t->nf; f++)
		for (i = 0; i < t->f[f].n; i++)
			if (!strcmp(t->f[f].k[i].path, path))
				k = &t->f[f].k[i];
	return k;
}

/* the first entry below path (path.x, path[0]); NULL if none */
static const TomlKey *
toml_below(const Toml *t, const char *path)
{
	size_t n = strlen(path);
	const char *p;
	int f, i;

	for (f = 0; f < t->nf; f++)
		for (i = 0; i < t->f[f].n; i++)
			if (!strncmp(p = t->f[f].k[i].path, path, n) &&
			    (p[n] == '.' || p[n] == '['))
				return &t->f[f].k[i];
	return NULL;
}

/* == 42. -doctor =========================================================
 * Does every pull on this node meet ivlite?  containerd's config.toml
 * (with what it imports) and its verifier directory, read as containerd
 * 2.1 reads them (v2.1.9: cmd/containerd/server/config LoadConfig,
 * plugins/imageverifier and pkg/imageverifier/bindir, plugins/cri/images
 * configMigration, internal/cri/config CheckLocalImagePullConfigs and
 * docs/cri/config.md): one line for each way a pull could skip ivlite or
 * go through unverified, each with its key's TOML path, then the verdict:
 * exit 0 covered, 1 not covered, 2 cannot tell (a file or setting that
 * cannot be read).  Images already on the node are -batch's. */

#define PLUGIN(id)	"plugins.\"io.containerd." id "\""
#define BINDIR		PLUGIN("image-verifier.v1.bindir")
#define IMAGES		PLUGIN("cri.v1.images")
#define OLDCRI		PLUGIN("grpc.v1.cri")	/* the version 2 layout's */
#define CTRD_BINDIR	"/opt/containerd/image-verifier/bin"	/* its default */
#define LOCALPULL	"containerd 2.1 falls back to its local pull path, " \
			"which runs no verifier"

typedef struct {
	Toml t;
	int problems, unread;
} Doc;

/* One line: kind ("problem", "cannot read", "note"), the key's path
 * (path, else k's), where k was set when that is an import, what */
static void
doc_say(Doc *d, const char *kind, const TomlKey *k, const char *path,
    const char *fmt, ...)
{
	va_list ap;

	d->problems += *kind == 'p';
	d->unread += *kind == 'c';
	printf("%s: %s", kind, path ? path : k->path);
	if (k && k->file)
		printf(" (%s:%d)", ar_esc(d->t.a, d->t.f[k->file].name, NULL),
		    k->line);
	fputs(": ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* path's value, if of kind: 1; 0 when not set; -1 said unreadable */
static int
doc_get(Doc *d, const char *path, int kind, const TomlKey **k)
{
	static const char *kinds[] = {
		"a table", "an array of tables", "a string", "an integer",
		"a boolean", "an array"
	};

	if (!(*k = toml_get(&d->t, path)))
		return 0;
	if ((*k)->kind == kind)
		return 1;
	doc_say(d, "cannot read", *k, NULL, "%s, want %s", (*k)->kind ==
	    TomlOther ? (*k)->s : kinds[(*k)->kind], kinds[kind]);
	return -1;
}

/* id in disabled_plugins (containerd appends every file's) */
static const TomlKey *
doc_disabled(Doc *d, const char *id)
{
	const TomlKey *k;
	int f, i;

	for (f = 0; f < d->t.nf; f++)
		for (i = 0; i < d->t.f[f].n; i++)
			if (!strncmp((k = &d->t.f[f].k[i])->path,
			    "disabled_plugins[", 17) && k->kind == TomlStr &&
			    !strcmp(k->s, id))
				return k;
	return NULL;
}

/* file, unless read already */
static int
doc_file(Doc *d, const char *name, Err *e)
{
	Str s;
	int f;

	for (f = 0; f < d->t.nf; f++)
		if (!strcmp(d->t.f[f].name, name))
			return 0;
	if (file_read(d->t.a, name, MAX_TOML_BYTES, &s, e) < 0)
		return -1;
	return toml_read(&d->t, name, s.p, s.n, e);
}

/* name against pattern p: * any run, ? one byte (filepath.Match without
 * classes: containerd globs an import that holds a *) */
static int
doc_match(const char *p, const char *s)
{
	for (; *p; p++, s++) {
		if (*p == '*') {
			for (; !doc_match(p + 1, s); s++)
				if (!*s)
					return 0;
			return 1;
		}
		if (!*s || (*p != '?' && *p != *s))
			return 0;
	}
	return !*s;
}

/* The files an import names: itself, or with a * in its last part the
 * directory's entries it matches, in name order (filepath.Glob) */
static int
doc_glob(Doc *d, const char *name, const char *at, Err *e)
{
	const char *slash = strrchr(name, '/'), *file[MAX_TOML_FILES];
	const char *dir = slash ? ar_printf(d->t.a, e, "%.*s", (int)(slash -
	    name), name) : ".";
	struct dirent *de;
	int n = 0, i;
	DIR *dp;

	if (!strchr(name, '*'))
		return doc_file(d, name, e);
	if (!dir)
		return -1;
	if (strpbrk(dir, "*?[") || strchr(name, '['))
		return fail(e, ExitConfig, "%s: imports: %s: -doctor expands * "
		    "and ? in the last part only", at, name);
	if (!(dp = opendir(*dir ? dir : "/")))
		return 0;	/* Glob: no match */
	while ((de = readdir(dp)) && n <= MAX_TOML_FILES)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    doc_match(slash ? slash + 1 : name, de->d_name) && (n ==
		    MAX_TOML_FILES || !(file[n++] = ar_printf(d->t.a, e, "%s/%s",
		    dir, de->d_name))))
			n = MAX_TOML_FILES + 1;
	closedir(dp);
	if (n > MAX_TOML_FILES)
		return fail(e, ExitConfig, "%s: imports: %s: more than "
		    "MAX_TOML_FILES (%d) files", at, name, MAX_TOML_FILES);
	qsort(file, (size_t)n, sizeof(*file), str_cmp);
	for (i = 0; i < n; i++)
		if (doc_file(d, file[i], e) < 0)
			return -1;
	return 0;
}

/* config.toml, then what it imports, as containerd does: each file once,
 * a relative path from the importing file's directory */
static int
doc_load(Doc *d, const char *file, Err *e)
{
	const char *base, *slash, *name;
	const TomlKey *k;
	int f, i, item;

	if (doc_file(d, file, e) < 0)
		return -1;
	for (f = 0; f < d->t.nf; f++) {
		for (i = 0; i < d->t.f[f].n; i++) {
			k = &d->t.f[f].k[i];
			base = d->t.f[f].name;
			if (!(item = !strncmp(k->path, "imports[", 8)) &&
			    strcmp(k->path, "imports"))
				continue;
			if (k->kind != (item ? TomlStr : TomlArray))
				return fail(e, ExitConfig, "%s:%d: imports: want "
				    "an array of strings", base, k->line);
			if (!item)
				continue;
			slash = strrchr(base, '/');
			if (!(name = *k->s == '/' ? k->s : ar_printf(d->t.a, e,
			    "%.*s%s", slash ? (int)(slash - base + 1) : 0, base,
			    k->s)) || doc_glob(d, name, ar_printf(d->t.a, e,
			    "%s:%d", base, k->line), e) < 0)
				return -1;
		}
	}
	return 0;
}

/* A Go duration ("10s", "1m30s", "1.5s") in nanoseconds: 0, -1 if not */
static int
doc_duration(const char *s, double *ns)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 },
		{ "\xce\xbcs", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 },
		{ "h", 3600e9 }
	};
	int neg = *s == '-';
	size_t i, n;
	double v;
	char *end;

	s += *s == '-' || *s == '+';
	*ns = 0;
	if (!strcmp(s, "0"))
		return 0;
	if (!*s)
		return -1;
	while (*s) {
		if (!strchr("0123456789.", *s) || (*s == '.' &&
		    !isdigit((unsigned char)s[1]) && (s[1] == '.' || !s[1])))
			return -1;
		v = strtod(s, &end);	/* digits and a point, no exponent */
		n = strspn(s, "0123456789.");
		if (end != s + n)
			return -1;
		s = end;
		n = strcspn(s, "0123456789.");
		for (i = 0; i < LEN(units) && (strlen(units[i].unit) != n ||
		    strncmp(s, units[i].unit, n)); i++)
			;
		if (i == LEN(units))
			return -1;
		*ns += v * units[i].ns;
		s += n;
	}
	*ns = neg ? -*ns : *ns;
	return 0;
}

/* bin_dir as containerd lists it (os.ReadDir: every entry, sorted by
 * name; the first max_verifiers run, each must exit 0): ivlite among
 * them, and nothing that cannot run.  *ivlite: its path, if found. */
static void
doc_bindir(Doc *d, const char **ivlite)
{
	const char *dir = CTRD_BINDIR, *name[MAX_BINDIR_FILES], *full, *shown;
	const TomlKey *kd, *km;
	long long max = 10;	/* containerd's default max_verifiers */
	struct stat st, self;
	struct dirent *de;
	int n = 0, i, r, found = -1, selfok = stat("/proc/self/exe", &self);
	DIR *dp;

	if ((r = doc_get(d, BINDIR ".bin_dir", TomlStr, &kd)) < 0 ||
	    doc_get(d, BINDIR ".max_verifiers", TomlInt, &km) < 0)
		return;
	dir = r ? kd->s : dir;
	max = km ? km->i : max;
	if (!(dp = opendir(dir))) {
		doc_say(d, errno == ENOENT ? "problem" : "cannot read", kd,
		    BINDIR ".bin_dir", "%s%s: %s", ar_esc(d->t.a, dir, NULL),
		    kd ? "" : " (default)", errno == ENOENT ? "does not exist: "
		    "containerd allows every pull" : strerror(errno));
		return;
	}
	while ((de = readdir(dp)) && n <= MAX_BINDIR_FILES)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    (n == MAX_BINDIR_FILES || !(name[n++] = ar_printf(d->t.a,
		    NULL, "%s", de->d_name))))
			n = MAX_BINDIR_FILES + 1;
	closedir(dp);
	if (n > MAX_BINDIR_FILES || !n) {
		doc_say(d, n ? "cannot read" : "problem", kd, BINDIR ".bin_dir",
		    "%s%s: %s", ar_esc(d->t.a, dir, NULL), kd ? "" : " (default)",
		    n ? "more than MAX_BINDIR_FILES entries (or out of memory)" :
		    "empty: containerd allows every pull");
		return;
	}
	qsort(name, (size_t)n, sizeof(*name), str_cmp);
	for (i = 0; i < n; i++) {
		if (!(full = ar_printf(d->t.a, NULL, "%s/%s", dir, name[i])))
			full = name[i];
		shown = ar_esc(d->t.a, full, NULL);
		if (stat(full, &st) < 0 || !S_ISREG(st.st_mode) ||
		    !(st.st_mode & 0111))
			doc_say(d, "problem", kd, BINDIR ".bin_dir", "%s: not an "
			    "executable file: containerd runs every entry, so "
			    "every pull fails", shown);
		else if (found < 0 && (!strcmp(name[i], "ivlite") || (selfok ==
		    0 && st.st_dev == self.st_dev && st.st_ino == self.st_ino))) {
			found = i;
			*ivlite = shown;
		} else {
			printf("verifier: %s: another verifier, %s\n", shown,
			    max >= 0 && i >= max ? "never run (past "
			    "max_verifiers)" : "run too: each must accept");
		}
	}
	if (found < 0)
		doc_say(d, "problem", kd, BINDIR ".bin_dir", "%s%s: no ivlite in "
		    "it", ar_esc(d->t.a, dir, NULL), kd ? "" : " (default)");
	else if (max >= 0 && found >= max)
		doc_say(d, "problem", km, BINDIR ".max_verifiers", "%lld%s: "
		    "ivlite is entry %d of the directory: containerd runs the "
		    "first %lld only", max, km ? "" : " (default)", found + 1,
		    max);
}

/* The CRI image settings that send CRI pulls down containerd's local
 * pull path, where no verifier runs: use_local_image_pull, and those
 * CheckLocalImagePullConfigs falls back for (containerd 2.1; Linux).  A
 * version 2 file keeps some in the old CRI table, which containerd's
 * migration copies over the images table's: the containerd.* ones only
 * when containerd.runtimes is there too (migrateConfig returns early). */
static void
doc_cri(Doc *d, long long ver)
{
	static const struct {
		const char *key;	/* in the images plugin's table */
		const char *old;	/* where version 2 had it, or NULL */
		int kind;
		long long fine;		/* containerd's default */
	} set[] = {
		{ "use_local_image_pull", NULL, TomlBool, 0 },
		{ "disable_snapshot_annotations", "containerd.", TomlBool, 1 },
		{ "discard_unpacked_layers", "containerd.", TomlBool, 0 },
		{ "registry.mirrors", "", TomlTable, 0 },
		{ "registry.configs", "", TomlTable, 0 },
		{ "registry.auths", "", TomlTable, 0 },
		{ "max_concurrent_downloads", "", TomlInt, 3 },
		{ "image_pull_with_sync_fs", "", TomlBool, 0 },
	};
	char path[200], top[200];
	const TomlKey *k, *below;
	size_t i;

	for (i = 0; i < LEN(set); i++) {
		snprintf(path, sizeof(path), IMAGES ".%s", set[i].key);
		snprintf(top, sizeof(top), OLDCRI ".%s%.*s", set[i].old ?
		    set[i].old : "", (int)strcspn(set[i].key, "."), set[i].key);
		if (ver < 3 && set[i].old && (toml_get(&d->t, top) ||
		    toml_below(&d->t, top)) && (!*set[i].old ||
		    toml_get(&d->t, OLDCRI ".containerd.runtimes") ||
		    toml_below(&d->t, OLDCRI ".containerd.runtimes")))
			snprintf(path, sizeof(path), OLDCRI ".%s%s", set[i].old,
			    set[i].key);
		if (set[i].kind == TomlTable) {	/* a map: set when not empty */
			k = toml_get(&d->t, path);
			if ((below = toml_below(&d->t, path)) && (!k ||
			    k->kind == TomlTable))
				doc_say(d, "problem", k ? k : below, path, "set: %s",
				    LOCALPULL);
			else if (k && k->kind != TomlTable)
				doc_get(d, path, TomlTable, &k);
		} else if (doc_get(d, path, set[i].kind, &k) > 0 &&
		    k->i != set[i].fine) {
			if (set[i].kind == TomlInt)
				doc_say(d, "problem", k, NULL, "%lld (not %lld): %s",
				    k->i, set[i].fine, LOCALPULL);
			else
				doc_say(d, "problem", k, NULL, "%s: %s", k->i ?
				    "true" : "false", i ? LOCALPULL : "CRI pulls "
				    "take containerd's local pull path, which runs "
				    "no verifier");
		}
	}
}

/* -doctor: 0 covered, 1 not covered, 2 cannot tell */
static int
doc_main(const Opts *o, Arena *a)
{
	static Doc d;
	const char *file = o->ctrdconfig ? o->ctrdconfig : containerdconfig;
	const char *ivlite = NULL;
	const TomlKey *k, *kf, *kv = NULL;
	long long ver = 3, fv;
	Err e = { 0, "" };
	double ns = 10e9;	/* containerd's default per_verifier_timeout */
	int f, i, r, v1;

	d.t.a = a;
	if (doc_load(&d, file, &e) < 0) {
		printf("cannot read: %s\n", e.msg);
		return 2;
	}
	file = ar_esc(a, file, NULL);
	/* version: each file's, if 2 or more (an older one is migrated up to
	 * what came before it), the last counting; 3 when none says */
	for (f = 0; f < d.t.nf; f++) {
		for (i = 0, kf = NULL; i < d.t.f[f].n; i++)
			if (!strcmp(d.t.f[f].k[i].path, "version"))
				kf = &d.t.f[f].k[i];
		fv = kf && kf->kind == TomlInt ? kf->i : 0;
		for (i = 0, v1 = 0; i < d.t.f[f].n; i++) {
			k = &d.t.f[f].k[i];
			if ((!strcmp(k->path, "disabled_plugins") && k->kind !=
			    TomlArray) || (!strncmp(k->path, "disabled_plugins[",
			    17) && k->kind != TomlStr) || (!strcmp(k->path,
			    "version") && k->kind != TomlInt))
				doc_say(&d, "cannot read", k, NULL, "want %s",
				    k->path[0] == 'v' ? "an integer" : "an array of "
				    "strings");
			else if (fv < 2 && !strncmp(k->path, "plugins.", 8) &&
			    k->path[8] != '"' && !v1++)
				doc_say(&d, "cannot read", k, NULL, "a version 1 "
				    "plugin name (-doctor reads versions 2 and 3)");
		}
		if (fv >= 2) {
			ver = fv;
			kv = kf;
		}
	}
	if (ver > 3)
		doc_say(&d, "cannot read", kv, "version", "%lld: containerd 2.1 "
		    "reads versions up to 3", ver);
	if ((k = doc_disabled(&d, "io.containerd.image-verifier.v1.bindir")))
		doc_say(&d, "problem", k, NULL, "%s: no image verifier runs",
		    k->s);
	if ((k = doc_disabled(&d, "io.containerd.transfer.v1.local")))
		doc_say(&d, "problem", k, NULL, "%s: the transfer service, the "
		    "one pull path that runs verifiers, is off", k->s);
	doc_bindir(&d, &ivlite);
	if ((r = doc_get(&d, BINDIR ".per_verifier_timeout", TomlStr, &k)) >
	    0 && doc_duration(k->s, &ns) < 0)
		doc_say(&d, "cannot read", k, NULL, "%s: not a duration",
		    ar_quote(a, k->s, strlen(k->s), NULL));
	else if (r >= 0 && ns <= o->timeout * 1e9)
		doc_say(&d, "problem", k, BINDIR ".per_verifier_timeout", "%s%s:"
		    " at or below ivlite's -timeout (%d s): containerd kills "
		    "ivlite before it can answer", r ? ar_quote(a, k->s,
		    strlen(k->s), NULL) : "\"10s\"", r ? "" : " (default)",
		    o->timeout);
	if ((k = doc_disabled(&d, "io.containerd.grpc.v1.cri")) ||
	    (k = doc_disabled(&d, "io.containerd.cri.v1.images")))
		doc_say(&d, "note", k, NULL, "%s: CRI is off: its pull settings "
		    "are not checked", k->s);
	else
		doc_cri(&d, ver);
	if ((k = doc_disabled(&d, "io.containerd.nri.v1.nri")) ||
	    (doc_get(&d, PLUGIN("nri.v1.nri") ".disable", TomlBool, &k) > 0 &&
	    k->i))
		doc_say(&d, "note", k, NULL, "%s: NRI is off (a check when "
		    "containers are created could not run)", k->kind == TomlStr ?
		    k->s : "true");
	if (d.problems)
		printf("not covered: %s: %d problem%s\n", file, d.problems,
		    d.problems == 1 ? "" : "s");
	else if (d.unread)
		printf("cannot tell: %s: %d setting%s cannot be read\n", file,
		    d.unread, d.unread == 1 ? "" : "s");
	else
		printf("covered: %s: every pull through the transfer service "
		    "runs %s\n", file, ivlite ? ivlite : "ivlite");
	return d.problems ? 1 : d.unread ? 2 : 0;
}

/* == 43. -batch ==========================================================
 * Images that reached the node without a registry pull (already there,
 * imported with ctr image import, preloaded) never met a verifier.
 * -batch judges them from stdin, one image a line: REF@DIGEST, REF
 * DIGEST, or the table `ctr images ls` prints (or `crictl images
 * --digests --no-trunc`), its header skipped.  Each image is judged as a
 * pull of it would be, with its own -timeout, arena and connections: a
 * verdict line each, then a summary; the exit status is the worst
 * outcome, 2, 3, 1, 0 in that order. */

enum { BatchList, BatchCtr, BatchCrictl };

/* The reference (into ref) and digest of line s, split in place; 1 when
 * there is nothing to judge (blank, comment, header: it sets *mode) */
static int
batch_fields(char *s, int *mode, char *ref, size_t n, const char **dig,
    Err *e)
{
	char *f[3], *w;
	int nf = 0;

	for (w = strtok(s, " \t\r\n"); w; w = strtok(NULL, " \t\r\n")) {
		if (nf < 3)
			f[nf++] = w;
		else if (*mode == BatchList && !*dig && dig_valid(w, strlen(w)))
			*dig = w;
	}
	if (!nf || *f[0] == '#')
		return 1;
	if (nf == 3 && !strcmp(f[2], "DIGEST") && ((!strcmp(f[0], "REF") &&
	    !strcmp(f[1], "TYPE")) || (!strcmp(f[0], "IMAGE") &&
	    !strcmp(f[1], "TAG")))) {
		*mode = *f[0] == 'R' ? BatchCtr : BatchCrictl;
		return 1;
	}
	snprintf(ref, n, "%s%s%s", f[0], *mode == BatchCrictl && nf > 1 &&
	    strcmp(f[1], "<none>") ? ":" : "", *mode == BatchCrictl &&
	    nf > 1 && strcmp(f[1], "<none>") ? f[1] : "");
	if (*mode != BatchList) {	/* the DIGEST column, the third */
		if (nf < 3 || !dig_valid(f[2], strlen(f[2])))
			return fail(e, ExitConfig, "no digest in the DIGEST "
			    "column%s", *mode == BatchCrictl ? " (crictl images "
			    "--digests --no-trunc has it)" : "");
		*dig = f[2];
		return 0;
	}
	if (nf > 1 && dig_valid(f[1], strlen(f[1])))
		*dig = f[1];
	else if (nf > 2 && dig_valid(f[2], strlen(f[2])))
		*dig = f[2];
	if (!*dig && !strchr(ref, '@'))
		return fail(e, ExitConfig, "no digest (want REF@DIGEST, REF "
		    "DIGEST or a line of ctr images ls)");
	return 0;
}

/* -batch: the worst exit status (before -audit) */
static int
batch_run(Run *run, Net *net, const Policy *p, const Str *pol, Opts *o)
{
	static char line[MAX_BATCH_LINE + 2], ref[MAX_BATCH_LINE + 2];
	static const int rank[] = { 0, 1, 3, 2 };	/* 0, 1, 3, 2: worse */
	int count[4] = { 0 }, worst = -1, mode = BatchList, n = 0;
	int images = 0, c, code;
	size_t mark = run->a->used;
	Err e = { 0, "" };

	for (;;) {
		alarm(0);	/* the next line may take its time */
		e.code = 0;
		o->name = ref;
		o->digest = NULL;
		if (!fgets(line, sizeof(line), stdin)) {
			if (n && !ferror(stdin))
				break;
			o->name = NULL;
			fail(&e, ExitConfig, "-batch: %s", ferror(stdin) ?
			    strerror(errno) : "nothing on stdin (one image a "
			    "line)");
		} else if (!strchr(line, '\n') && !feof(stdin)) {
			while ((c = getchar()) != EOF && c != '\n')
				;
			o->name = NULL;
			fail(&e, ExitConfig, "stdin line %d: longer than "
			    "MAX_BATCH_LINE (%d)", ++n, MAX_BATCH_LINE);
		} else if (++n && batch_fields(line, &mode, ref, sizeof(ref),
		    &o->digest, &e) > 0) {
			continue;
		}
		if (images++ == MAX_BATCH_LINES) {
			o->name = NULL;
			e.code = 0;
			fail(&e, ExitConfig, "stdin line %d: more than "
			    "MAX_BATCH_LINES (%d) images: the rest not judged",
			    n, MAX_BATCH_LINES);
		}
		run->a->used = mark;	/* each image from the same start */
		run->a->spent = 0;
		o->deadline = now_ms() + o->timeout * 1000LL;
		net_free(net);
		net_init(net, run->a, o);
		run_init(run, run->a, net, o, NULL);
		watchdog_arm(o->json, o->timeout);
		code = main_image(run, p, pol, o, &e);
		count[code]++;
		worst = worst < 0 || rank[code] > rank[worst] ? code : worst;
		if (images > MAX_BATCH_LINES || !n || ferror(stdin))
			break;
	}
	alarm(0);
	printf(o->json ? "{\"accepted\":%d,\"rejected\":%d,\"undecided\":%d}\n"
	    : "%d accepted, %d rejected, %d undecided\n", count[0], count[1],
	    count[2] + count[3]);
	return worst < 0 ? 0 : worst;	/* a table with no image: none to fault */
}

/* == 44. -check ==========================================================
 * What loads but cannot work as meant, as warnings, all of them: scopes
 * that never match, signatures registries.d never lets ivlite find, key
 * and CA material that is expired, revoked, too weak or named by a
 * relative path.  -strict makes any warning exit 2. */

/* Is registries.d scope k below (or at) policy scope key: does it set
 * something for some images of key?  "*.d" holds every host ending ".d". */
static int
chk_under(const char *k, const char *key)
{
	size_t n = strlen(key), h;

	if (!*key)
		return 1;
	if (!strncmp(key, "*.", 2)) {
		h = strcspn(k, "/:");
		return h >= n - 1 && !memcmp(k + h - (n - 1), key + 1, n - 1);
	}
	return !strncmp(k, key, n) && strchr("/:@", k[n]);
}

/* registries.d's setting (attach: use-sigstore-attachments true, else a
 * lookaside) in s: 1 set, 0 set to false, -1 unset */
static int
chk_set(const RegdScope *s, int attach)
{
	return attach ? s->attach : s->lookaside ? 1 : -1;
}

/* Do some images of policy scope key get the setting from registries.d?
 * Yes if a scope at or below key sets it, or if the most specific scope
 * above key that sets it (then default-docker) does, as regd_find()
 * decides for one image. */
static int
chk_covered(const Regd *g, const char *key, int attach)
{
	char k[REF_NAME_MAX + REF_TAG_MAX + DIGEST_MAX + 4];
	const char *dot;
	size_t n;
	int i, v = -1;

	for (i = 0; i < g->n; i++)
		if (g->s[i].key && chk_set(&g->s[i], attach) == 1 &&
		    chk_under(g->s[i].key, key))
			return 1;
	snprintf(k, sizeof(k), "%s", key);
	while (*k && v < 0) {
		for (i = 0; i < g->n && v < 0; i++)
			if (g->s[i].key && !strcmp(g->s[i].key, k))
				v = chk_set(&g->s[i], attach);
		n = strcspn(k, "/");
		if (strchr(k, '@'))
			*strchr(k, '@') = '\0';
		else if (k[n] && strchr(strrchr(k, '/'), ':'))
			*strchr(strrchr(k, '/'), ':') = '\0';
		else if (k[n])
			*strrchr(k, '/') = '\0';
		else if ((dot = strchr(k + (k[0] == '*' ? 2 : 0), '.'))) {
			memmove(k + 1, dot, strlen(dot) + 1);
			k[0] = '*';
		} else
			k[0] = '\0';
	}
	for (i = 0; i < g->n && v < 0; i++)
		if (!g->s[i].key)
			v = chk_set(&g->s[i], attach);
	return v == 1;
}

/* signedBy and sigstoreSigned requirements whose signatures registries.d
 * never lets ivlite find */
static void
chk_regd(const Policy *p, const Regd *g, const char *dir)
{
	const Scope *sc;
	const Req *q;
	const char *key, *qt;
	int i, k;

	for (i = 0; i < p->nscope; i++) {
		sc = &p->scope[i];
		if (i && strcmp(sc->transport, "docker"))
			continue;
		key = i ? sc->key : "";
		qt = *key ? "\"" : "";
		for (k = 0; k < sc->nreq; k++) {
			q = &sc->req[k];
			if (reqtype(q->type)->check == sst_judge &&
			    !chk_covered(g, key, 1))
				warn("%s: %s: sigstoreSigned can find no "
				    "signature: no file in %s sets "
				    "use-sigstore-attachments: true for %s%s%s",
				    p->file, q->at, dir, qt, *key ? key :
				    "default-docker", qt);
			if (reqtype(q->type)->check == ss_judge &&
			    q->keytype == KeyGPG && !chk_covered(g, key, 0))
				warn("%s: %s: signedBy would read signatures "
				    "from " REGD_LOOKASIDE ": set lookaside for %s%s%s in %s", p->file,
				    q->at, qt, *key ? key : "default-docker", qt,
				    dir);
		}
	}
}

/* -check: the policy, the key and CA files it names, what they hold,
 * registries.d; the ok line, after a line for each warning (-o json: one
 * object).  1 under -strict with warnings (exit 2), else 0 or -1. */
static int
main_check(Run *run, const Policy *p, const Opts *o, Err *e)
{
	static Arena wa;	/* the warnings' own: run->a is reused */
	char line[MAX_REASON];
	const ReqType *t;
	const Req *q;
	const char *w;
	int i, k, n, nw, isnote;

	wa.cap = ARENA_BYTES / 64;
	if (!(wa.base = ar_alloc(run->a, wa.cap, e)))
		return -1;
	warns.a = &wa;
	if (pol_files(p, NULL, NULL, NULL, run->a, e) < 0 ||
	    run_regd(run, e) < 0)
		return -1;
	for (i = 0; i < p->nscope; i++)
		if (judge_keys(run, &p->scope[i], e) < 0)
			return -1;
	for (i = 0; i < run->regd.n; i++)
		if (regd_url(&run->regd.s[i], e) < 0)
			return -1;
	for (i = 1; i < p->nscope; i++)
		if (!strcmp(p->scope[i].transport, "docker") &&
		    (w = pol_lint(p->scope[i].key, &isnote, run->a, e)))
			(isnote ? note : warn)("%s: %s: %s", o->policy,
			    p->scope[i].at, w);
	for (i = 0; i < p->nscope; i++)
		for (k = 0; k < p->scope[i].nreq; k++)
			if ((t = reqtype((q = &p->scope[i].req[k])->type)) &&
			    t->warn && (w = t->warn(q, o->policy)))
				warn("%s: %s: %s", o->policy, q->at, w);
	chk_regd(p, &run->regd, o->regd);
	if (trust_check(run->net, e) < 0)
		return -1;
	if (run->a->spent)
		return -1;	/* main names it */
	nw = o->strict ? warns.n - warns.nnote : 0;	/* what fails */
	if (nw)
		snprintf(line, sizeof(line), "error: -check -strict: %d "
		    "warning%s", nw, nw == 1 ? "" : "s");
	else
		snprintf(line, sizeof(line), "ok: %s: %d scope%s; %s: %d "
		    "scope%s", o->policy, p->nscope, p->nscope == 1 ? "" : "s",
		    o->regd, run->regd.n, run->regd.n == 1 ? "" : "s");
	if (o->json) {
		printf("{\"verdict\":\"%s\",\"exit\":%d,\"reason\":", nw ?
		    "error" : "ok", nw ? 2 : 0);
		out_jstr(line, stdout);
		for (k = 0; k < 2; k++) {	/* warnings, then notes */
			fputs(k ? ",\"notes\":[" : ",\"warnings\":[", stdout);
			for (i = n = 0; i < warns.n && i < MAX_WARNINGS; i++)
				if (warns.note[i] == k) {
					fputs(n++ ? "," : "", stdout);
					out_jstr(warns.w[i], stdout);
				}
			fputs("]", stdout);
		}
		puts("}");
		return nw > 0;
	}
	for (i = 0; i < warns.n && i < MAX_WARNINGS; i++)
		printf("%s: %s\n", warns.note[i] ? "note" : "warning",
		    warns.w[i]);
	if (warns.n > MAX_WARNINGS)
		printf("warning: %d more (MAX_WARNINGS)\n",
		    warns.n - MAX_WARNINGS);
	puts(line);
	return nw > 0;	/* main makes 1 ExitConfig */
}

/* == 45. Options, -check, -version, main =================================
 * Options follow Go's flag package, as containerd's other verifiers do:
 * -name V, --name V and -name=V are the same; booleans take no value. */

#define DESC_MEDIATYPE	"application/vnd.oci.descriptor.v1+json"

static int opt_value(size_t k, const char *v, Opts *o, Err *e);

static const char *optnames[] = {	/* options that take a value */
	"name", "digest", "stdin-media-type", "policy", "registries-d",
	"certs-d", "auth", "ca-file", "timeout", "o", "insecure", "log",
	"containerd-config"
};

static const char *flagnames[] = {	/* boolean options */
	"check", "v", "version", "h", "help", "audit", "batch", "doctor",
	"strict"
};

static int
opt_parse(Opts *o, int argc, char **argv, Err *e)
{
	char q[QUOTE_SIZE];
	const char *arg, *val;
	size_t k, n;
	int i;

	memset(o, 0, sizeof(*o));
	o->policy = policypath;
	o->regd = registriesdir;
	o->certsd = certsdir;
	o->cafile = cafile;
	o->timeout = TIMEOUT_SECS;
	o->dsize = -1;
	o->log = logpath;
	o->audit = AUDIT;
	for (k = 0; authfiles[k]; k++)
		o->auth[k] = authfiles[k];
	for (k = 0; insecurehosts[k] && k < MAX_INSECURE; k++)
		o->insecure[k] = insecurehosts[k];
	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (arg[0] != '-' || !arg[1])
			break;
		arg += 1 + (arg[1] == '-');
		if (!*arg) {		/* "--" ends the options */
			i++;
			break;
		}
		n = strcspn(arg, "=");
		for (k = 0; k < LEN(flagnames) && (strlen(flagnames[k]) != n ||
		    memcmp(flagnames[k], arg, n)); k++)
			;
		if (k < LEN(flagnames)) {
			int *flags[] = {
				&o->check, &verbose, &o->version, &o->help,
				&o->help, &o->audit, &o->batch, &o->doctor,
				&o->strict
			};

			*flags[k] = !arg[n] || !strcmp(arg + n, "=true");
			if (!*flags[k] && strcmp(arg + n, "=false"))
				return fail(e, ExitConfig, "-%.*s takes true "
				    "or false", (int)n, arg);
			continue;
		}
		for (k = 0; k < LEN(optnames) && (strlen(optnames[k]) != n ||
		    memcmp(optnames[k], arg, n)); k++)
			;
		if (k == LEN(optnames))
			return fail(e, ExitConfig, "unknown option %s",
			    quote(q, argv[i], strcspn(argv[i], "=")));
		if (arg[n])
			val = arg + n + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return fail(e, ExitConfig, "option %s needs a value",
			    quote(q, argv[i], strlen(argv[i])));
		if (opt_value(k, val, o, e) < 0)
			return -1;
	}
	return i;
}

/* options, and nothing after them */
static int
opt_args(Opts *o, int argc, char **argv, Err *e)
{
	char q[QUOTE_SIZE];
	int i = opt_parse(o, argc, argv, e);

	if (i >= 0 && i < argc)
		return fail(e, ExitConfig, "unexpected argument %s",
		    quote(q, argv[i], strlen(argv[i])));
	if (i >= 0 && (o->batch || o->doctor) && (o->name || o->digest ||
	    o->mediatype || o->check || o->batch == o->doctor))
		return fail(e, ExitConfig, "-%s: not with -name, -digest, "
		    "-stdin-media-type, -check or -%s", o->batch ? "batch" :
		    "doctor", o->batch ? "doctor" : "batch");
	if (i >= 0 && o->strict && !o->check)
		return fail(e, ExitConfig, "-strict: only with -check");
	if (i >= 0)
		o->deadline = now_ms() + o->timeout * 1000LL;
	return i < 0 ? -1 : 0;
}

static int
opt_value(size_t k, const char *v, Opts *o, Err *e)
{
	const char **dst[] = {
		&o->name, &o->digest, &o->mediatype, &o->policy, &o->regd,
		&o->certsd, &o->auth[0], &o->cafile, NULL, NULL, NULL,
		&o->log, &o->ctrdconfig
	};
	char q[QUOTE_SIZE], opt[32];
	size_t len = strlen(v);
	char *end;
	long t;

	snprintf(opt, sizeof(opt), "-%s", optnames[k]);
	quote(q, v, len);
	if (len > MAX_ARG_BYTES)
		return fail(e, ExitConfig, "%s: longer than MAX_ARG_BYTES (%d)",
		    opt, MAX_ARG_BYTES);
	if (!*v)
		return fail(e, ExitConfig, "%s: empty value", opt);
	if (strcmp(optnames[k], "insecure") && (o->seen >> k & 1))
		return fail(e, ExitConfig, "%s given twice", opt);
	o->seen |= 1u << k;
	switch (k) {
	case 1:
		if (!dig_valid(v, len))
			return fail(e, ExitConfig, "-digest %s: invalid digest "
			    "(want sha256:<64 lowercase hex>, sha384:<96 "
			    "lowercase hex> or sha512:<128 lowercase hex>)", q);
		break;
	case 2:
		if (strcmp(v, DESC_MEDIATYPE))
			return fail(e, ExitConfig, "-stdin-media-type %s: "
			    "unsupported (want %s)", q, DESC_MEDIATYPE);
		break;
	case 6:
		/* a file named, not searched for: missing is an error, and
		 * one found before any network work */
		if (access(v, R_OK) < 0)
			return fail(e, ExitConfig, "-auth %s: %s", q,
			    strerror(errno));
		o->auth[1] = NULL;	/* -auth FILE: only that file */
		break;
	case 8:
		errno = 0;
		t = strtol(v, &end, 10);
		if (errno || *end || t < 1 || t > MAX_TIMEOUT_SECS ||
		    !isdigit((unsigned char)*v))
			return fail(e, ExitConfig, "-timeout %s: want whole "
			    "seconds from 1 to %d", q, MAX_TIMEOUT_SECS);
		o->timeout = (int)t;
		return 0;
	case 9:
		if (strcmp(v, "text") && strcmp(v, "json"))
			return fail(e, ExitConfig, "-o %s: want text or json",
			    q);
		o->json = v[0] == 'j';
		return 0;
	case 10:
		if (ref_domain(v) == v || *ref_domain(v))
			return fail(e, ExitConfig, "-insecure %s: want "
			    "HOST[:PORT]", q);
		for (k = 0; o->insecure[k]; k++)
			;
		if (k == MAX_INSECURE)
			return fail(e, ExitConfig, "more than MAX_INSECURE "
			    "(%d) -insecure options", MAX_INSECURE);
		o->insecure[k] = v;
		return 0;
	}
	*dst[k] = v;
	return 0;
}

/* the descriptor containerd writes on stdin: its digest must be ours */
static int
desc_check(Opts *o, Arena *a, Err *e)
{
	const char *d = NULL;
	int i, k;
	Json j;
	Str s;

	if (!o->mediatype)
		return 0;
	if (file_stdin(a, MAX_DESCRIPTOR_BYTES, o->deadline, &s, e) < 0)
		return -1;
	if (strspn(s.p, " \t\r\n") == s.n) {
		logv("stdin: no descriptor");
		return 0;
	}
	if (json_parse(&j, a, "stdin descriptor", s.p, s.n, ExitConfig, e) < 0)
		return -1;
	if (j.t[0].type != JSMN_OBJECT)
		return fail(e, ExitConfig, "stdin descriptor: expected a JSON "
		    "object");
	for (i = 1, k = 0; k < j.t[0].size; k++, i = json_skip(&j, i + 1)) {
		if (json_dupkey(&j, 0, i, "top level", a, e) < 0)
			return -1;
		if ((json_eq(&j, i, "mediaType") || json_eq(&j, i, "digest"))
		    && j.t[i + 1].type != JSMN_STRING)
			return fail(e, ExitConfig, "stdin descriptor: %.*s: "
			    "expected a string", j.t[i].end - j.t[i].start,
			    j.s + j.t[i].start);
		if (json_eq(&j, i, "size") && (j.t[i + 1].type !=
		    JSMN_PRIMITIVE || strspn(j.s + j.t[i + 1].start,
		    "0123456789") != (size_t)(j.t[i + 1].end -
		    j.t[i + 1].start)))
			return fail(e, ExitConfig, "stdin descriptor: size: "
			    "expected a whole number");
		/* mediaType and size: notation compares them with a
		 * signature's payload */
		if (json_eq(&j, i, "size"))
			o->dsize = strtoll(j.s + j.t[i + 1].start, NULL, 10);
		if (json_eq(&j, i, "mediaType") && !(o->dtype = json_str(&j,
		    i + 1, a, e)))
			return -1;
		if (!json_eq(&j, i, "digest"))
			continue;
		if (!(d = json_str(&j, i + 1, a, e)))
			return -1;
		if (!dig_valid(d, strlen(d)))
			return fail(e, ExitConfig, "stdin descriptor: digest "
			    "%s: invalid", ar_quote(a, d, strlen(d), e));
		if (o->digest && strcmp(d, o->digest))
			return fail(e, ExitConfig, "stdin descriptor: digest "
			    "%s differs from -digest %s", d, o->digest);
		o->digest = d;
		logv("stdin: descriptor of %s", d);
	}
	return d ? 0 : fail(e, ExitConfig, "stdin descriptor: no digest");
}

static void
version(void)
{
	static const char *paths[][2] = {
		{ "policy", NULL }, { "registries-d", NULL },
		{ "certs-d", NULL }, { "ca-file", NULL }, { "cache-dir", NULL },
		{ "log", NULL }, { "containerd-config", NULL }
	};
	size_t i;

	paths[0][1] = policypath;
	paths[1][1] = registriesdir;
	paths[2][1] = certsdir;
	paths[3][1] = cafile;
	paths[4][1] = cachedir;
	paths[5][1] = *logpath ? logpath : "(none)";
	paths[6][1] = containerdconfig;
	printf("ivlite %s\n", VERSION);
	printf("%-20s %s\n", "tls", tls_lib());
	for (i = 0; i < LEN(paths); i++)
		printf("%-20s %s\n", paths[i][0], paths[i][1]);
	printf("%-20s", "auth");
	for (i = 0; authfiles[i]; i++)
		printf(" %s", authfiles[i]);
	printf("\n%-20s", "insecure");
	for (i = 0; insecurehosts[i]; i++)
		printf(" %s", insecurehosts[i]);
	printf("%s\n", insecurehosts[0] ? "" : " (none)");
	for (i = 0; i < LEN(limits); i++)
		printf("%-20s %zu\n", limits[i].name, limits[i].max);
}

static void
usage(void)
{
	puts("usage: ivlite -name REF [-digest DIGEST] "
	    "[-stdin-media-type TYPE] [-policy FILE]\n"
	    "              [-registries-d DIR] [-certs-d DIR] [-auth FILE] "
	    "[-ca-file FILE]\n"
	    "              [-insecure HOST[:PORT]]... [-timeout SECONDS] "
	    "[-o text|json] [-v]\n"
	    "              [-audit] [-log FILE]\n"
	    "       ivlite -batch [-policy FILE] ... < images\n"
	    "       ivlite -doctor [-containerd-config FILE] [-timeout SECONDS]\n"
	    "       ivlite -check [-strict] [-policy FILE] ...\n"
	    "       ivlite -version\n"
	    "exit: 0 accepted, 1 rejected, 2 usage or configuration error, "
	    "3 undecided\n"
	    "      (-audit: always 0; -doctor: 0 covered, 1 not, 2 cannot "
	    "tell;\n"
	    "      -check -strict: 2 on any warning)\n"
	    "see man ivlite (ivlite.1) for every option, the policy and "
	    "registries.d");
}

/* The digest the verdict is for: -digest, the stdin descriptor's or the
 * reference's (all that are given must agree); standalone, without one,
 * the registry's for the tag, once the scope's keys have loaded (a bad
 * key file fails before any network work). */
static int
main_digest(Run *run, const Policy *p, Opts *o, const Ref *r, Err *e)
{
	static char dig[DIGEST_MAX + 1];

	if (desc_check(o, run->a, e) < 0)
		return -1;
	if (r->digest[0] && o->digest && strcmp(r->digest, o->digest))
		return fail(e, ExitConfig, "-name digest %s differs from "
		    "-digest %s", r->digest, o->digest);
	if (!o->digest && r->digest[0])
		o->digest = r->digest;
	if (!o->digest && (judge_keys(run, pol_scope(p, r, NULL), e) < 0 ||
	    !run_reg(run, e) || reg_resolve(&run->reg, r, dig, e) < 0))
		return -1;
	if (!o->digest)
		o->digest = dig;
	run->digest = o->digest;
	run->dtype = o->dtype;
	run->dsize = o->dsize;
	logv("reference %s, digest %s", o->name, o->digest);
	return 0;
}

/* One image, -name (or a -batch line), to its line on stdout and in the
 * verdict log: its exit status, before -audit.  An error already in e
 * (options, policy.json, the batch line) is that image's verdict. */
static int
main_image(Run *run, const Policy *p, const Str *pol, Opts *o, Err *e)
{
	static char line[MAX_REASON], kept[MAX_REASON], ckey[65];
	Verdict v;
	Ref r;
	int code, haveref = 0, judged = 0, cached = 0, hit = 0;

	vlog_arm(NULL, o);
	if (!e->code && !o->name)
		fail(e, ExitConfig, "-name is required (see ivlite -h)");
	if (e->code || ref_parse(&r, o->name, e) < 0)
		goto out;
	haveref = 1;
	run->ref = &r;
	if (main_digest(run, p, o, &r, e) < 0 || (cachesecs > 0 &&
	    !o->json && (cached = cache_key(run, p, pol, ckey, e)) < 0))
		goto out;
	vlog_arm(&r, o);
	hit = cached > 0 && cache_get(ckey, kept, sizeof(kept), run->a);
	judged = judge(run, p, hit ? kept : NULL, &v, e) == 0;
out:
	alarm(0);	/* decided: the watchdog has nothing left to say */
	if (run->a->spent && e->code != ExitUndecided) {
		/* a step that met it may have called it something else */
		e->code = 0;
		ar_spent(e);
	}
	code = e->code ? e->code : judged ? v.exit : ExitUndecided;
	out_verdict(judged ? &v : NULL, haveref ? &r : NULL, o, e, code, line,
	    sizeof(line));
	vlog_put(haveref ? &r : NULL, o, judged ? v.scope->at : NULL, code,
	    line);
	if (cached > 0 && !hit && code == ExitAccept)
		cache_put(ckey, line);	/* a hit keeps its first time */
	return code;
}

#ifndef IVLITE_NO_MAIN
int
main(int argc, char **argv)
{
	static Net net;
	static Run run;
	Arena a = { NULL, 0, ARENA_BYTES, 0 };
	Err e = { 0, "" };
	Policy p;
	Opts o;
	Str s;
	int code;

	signal(SIGPIPE, SIG_IGN);	/* a closed stdout is ferror() */
	if (!(a.base = malloc(ARENA_BYTES))) {
		puts("error: out of memory: cannot take ARENA_BYTES");
		return ExitUndecided;
	}
	fault_env(&a);
	if (opt_args(&o, argc, argv, &e) == 0 && (o.help || o.version)) {
		o.help ? usage() : version();
		return fflush(stdout) ? ExitUndecided : 0;
	}
	auditing = o.audit;
	if (!e.code && o.doctor) {
		code = doc_main(&o, &a);
		free(a.base);
		return fflush(stdout) ? ExitUndecided : code;
	}
	watchdog_arm(o.json, o.timeout);
	net_init(&net, &a, &o);
	run_init(&run, &a, &net, &o, NULL);
	vlog_open(o.check ? NULL : o.log);
	if (e.code || file_read(&a, o.policy, MAX_POLICY_BYTES, &s, &e) < 0 ||
	    pol_load(&p, &a, o.policy, s.p, s.n, &e) < 0)
		goto out;
	logv("policy %s: %d scopes", o.policy, p.nscope);
	if (o.check) {
		if ((code = main_check(&run, &p, &o, &e)) < 0)
			goto out;
		return fflush(stdout) ? ExitUndecided : code ? ExitConfig : 0;
	}
	if (o.batch) {
		code = batch_run(&run, &net, &p, &s, &o);
		goto done;
	}
out:
	code = main_image(&run, &p, &s, &o, &e);
done:
	if (fflush(stdout) || ferror(stdout))
		fprintf(stderr, "ivlite: stdout: %s\n", strerror(errno));
	net_free(&net);
	free(a.base);
	return exit_status(code);
}
#endif
