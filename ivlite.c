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
 * Data flows down the file: options -> policy.json -> reference -> scope ->
 * requirements -> verdict -> one line on stdout.  Every input has a limit
 * from config.h, all memory comes from one arena, and the first error wins
 * and becomes the reason.  Nothing accepts but the end of judge(), and only
 * when every requirement of the matched scope held.
 *
 * Start reading at main().
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "ivlite.h"
/* config.h holds only paths and limits, so it comes before the types that
 * size their arrays with it */
#include "config.h"

#ifndef VERSION
#define VERSION "unknown"
#endif

#define LEN(a)		(sizeof(a) / sizeof((a)[0]))
#define REF_NAME_MAX	255	/* distribution/reference NameTotalLengthMax */
#define REF_TAG_MAX	128
#define DIGEST_MAX	(7 + 128)	/* "sha512:" and 128 hex digits */
#define QUOTE_SIZE	(4 * MAX_QUOTE + 8)	/* quote()d text */
#define DESC_MEDIATYPE	"application/vnd.oci.descriptor.v1+json"

/* == 2. Types ============================================================
 * Exit statuses double as error classes: an Err carries the status main()
 * will exit with. */

enum { ExitAccept, ExitReject, ExitConfig, ExitUndecided };

enum {				/* policy requirement types */
	ReqAccept, ReqReject, ReqSignedBy, ReqBaseLayer, ReqSigstore
};

enum {				/* signedIdentity types; the first is the default */
	IdMatchRepoDigestOrExact, IdMatchExact, IdMatchRepository,
	IdExactReference, IdExactRepository, IdRemap
};

enum { KeyGPG, KeySignedByGPG, KeyX509, KeySignedByX509 };	/* keyType */
enum { SrcKeys, SrcFulcio, SrcPKI };	/* where sigstoreSigned trusts from */

typedef struct {
	int code;		/* exit status of the first failure; 0: none yet */
	char msg[MAX_REASON];
} Err;

typedef struct {
	unsigned char *base;
	size_t used, cap;
} Arena;

typedef struct {
	char *p;		/* NUL-terminated, n bytes */
	size_t n;
} Str;

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
	int type;		/* ReqAccept… */
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
	const char *issuer, *email, *hostname;
	Ident id;		/* signedIdentity, baseLayerIdentity */
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

typedef struct {		/* one requirement's outcome, for -o json */
	const char *desc;
	int ok;
	const char *detail;
} Result;

typedef struct {
	int exit;		/* ExitAccept only when every requirement held */
	const Scope *scope;
	Result res[MAX_REQS];
} Verdict;

typedef struct {
	const char *policy, *regd, *certsd, *cafile, *mediatype;
	const char *name, *digest;
	const char *auth[LEN(authfiles)];	/* NULL-terminated */
	const char *insecure[MAX_INSECURE + 1];	/* NULL-terminated */
	int timeout, json, check, version, help;
	unsigned seen;		/* single-valued options given, by bit */
	long long deadline;	/* CLOCK_MONOTONIC, milliseconds */
} Opts;

/* == 3. Function declarations ========================================== */

/* 5. errors and log */
static int fail(Err *e, int code, const char *fmt, ...);
static void logv(const char *fmt, ...);
/* 6. memory, text, digests */
static void *ar_alloc(Arena *a, size_t n, Err *e);
static char *ar_printf(Arena *a, Err *e, const char *fmt, ...);
static char *quote(char *dst, const char *s, size_t n);
static char *ar_quote(Arena *a, const char *s, size_t n, Err *e);
static int b64_decode(Arena *a, const char *s, size_t n, Str *out);
static int dig_valid(const char *s, size_t n);
static long long now_ms(void);
/* 7. files and stdin */
static int file_read(Arena *a, const char *path, size_t max, Str *out,
    Err *e);
static int file_stdin(Arena *a, size_t max, long long deadline, Str *out,
    Err *e);
/* 8. JSON */
static int json_parse(Json *j, Arena *a, const char *file, const char *s,
    size_t n, int code, Err *e);
static int json_check(const Json *j, int i, int depth, Err *e);
static int json_gap(const Json *j, size_t from, size_t to, int sep, Err *e);
static int json_number(const unsigned char *p, size_t len);
static size_t json_digits(const unsigned char *p, size_t k, size_t len);
static int json_line(const Json *j, size_t off);
static int json_skip(const Json *j, int i);
static int json_eq(const Json *j, int i, const char *s);
static char *json_str(const Json *j, int i, Arena *a, Err *e);
static int json_dupkey(const Json *j, int obj, int i, const char *at,
    Arena *a, Err *e);
static int json_fields(const Json *j, int obj, const char *at,
    const Field *f, int *v, Arena *a, Err *e);
static const char *json_typename(jsmntype_t type);
static size_t utf8_len(const unsigned char *p, size_t n);
/* 9. references */
static int ref_parse(Ref *r, const char *s, Err *e);
static const char *ref_domain(const char *s);
static const char *ref_path(const char *s);
static const char *ref_component(const char *s);
static void ref_string(const Ref *r, char *buf, size_t n);
/* 10. policy */
static int pol_load(Policy *p, Arena *a, const char *file, const char *s,
    size_t n, Err *e);
static int pol_scopes(const Json *j, int obj, const char *transport,
    const char *at, Policy *p, Arena *a, Err *e);
static int pol_reqs(const Json *j, int arr, Scope *sc, Arena *a, Err *e);
static int pol_type(const Json *j, int obj, const char *at,
    const char **names, int n, const char *what, Arena *a, Err *e);
static int pol_req(const Json *j, int obj, Req *r, Arena *a, Err *e);
static int pol_signedby(const Json *j, const int *v, Req *r, Arena *a,
    Err *e);
static int pol_keys(const Json *j, const int *v, const Field *f, int n,
    Req *r, Blob **out, int *nout, Arena *a, Err *e);
static int pol_sigstore(const Json *j, const int *v, Req *r, Arena *a,
    Err *e);
static int pol_field(const Json *j, int i, int isdata, const char *at,
    const char *key, Blob *b, Arena *a, Err *e);
static int pol_text(const Json *j, int i, const char *at, const char *key,
    const char **out, Arena *a, Err *e);
static int pol_blob(const Json *j, int i, int isdata, const char *at,
    Blob *b, Arena *a, Err *e);
static int pol_blobs(const Json *j, int arr, int isdata, const char *at,
    Blob **out, int *n, Arena *a, Err *e);
static int pol_ident(const Json *j, int obj, const char *at, Ident *id,
    Arena *a, Err *e);
static int pol_remap_prefix(const char *s);
static const char *pol_desc(const Req *r, Arena *a, Err *e);
static const Scope *pol_scope(const Policy *p, const Ref *r,
    const char *digest);
static const Scope *pol_find(const Policy *p, const char *key, size_t n);
static const char *pol_lint(const char *key, Arena *a, Err *e);
static int pol_files(const Policy *p, Arena *a, Err *e);
static int pol_parse_text(Policy *p, Arena *a, const char *file,
    const char *text, Err *e);
/* 18. judgement and output */
static int judge(const Policy *p, const Ref *r, const char *digest,
    Verdict *v);
static void judge_req(const Req *q, Result *res);
static void out_cat(char *buf, size_t n, const char *fmt, ...);
static void out_line(const Verdict *v, const Ref *r, const char *digest,
    const Err *e, char *buf, size_t n);
static void out_json(const Verdict *v, const Ref *r, const char *digest,
    const char *line, int code, FILE *f);
static void out_jstr(const char *s, FILE *f);
/* 19. options and main */
static int opt_parse(Opts *o, int argc, char **argv, Err *e);
static int opt_value(size_t k, const char *v, Opts *o, Err *e);
static int desc_check(Opts *o, Arena *a, Err *e);
static void version(void);
static void usage(void);

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
#if TIMEOUT_SECS < 1 || TIMEOUT_SECS > MAX_TIMEOUT_SECS
#error "TIMEOUT_SECS out of range"
#endif

/* what -version prints: every limit, from the macros themselves */
static const struct {
	const char *name;
	long value;
} limits[] = {
	{ "TIMEOUT_SECS",         TIMEOUT_SECS },
	{ "MAX_TIMEOUT_SECS",     MAX_TIMEOUT_SECS },
	{ "ARENA_BYTES",          ARENA_BYTES },
	{ "MAX_REASON",           MAX_REASON },
	{ "MAX_QUOTE",            MAX_QUOTE },
	{ "MAX_POLICY_BYTES",     MAX_POLICY_BYTES },
	{ "MAX_KEY_BYTES",        MAX_KEY_BYTES },
	{ "MAX_DESCRIPTOR_BYTES", MAX_DESCRIPTOR_BYTES },
	{ "MAX_JSON_TOKENS",      MAX_JSON_TOKENS },
	{ "MAX_JSON_DEPTH",       MAX_JSON_DEPTH },
	{ "MAX_SCOPES",           MAX_SCOPES },
	{ "MAX_REQS",             MAX_REQS },
	{ "MAX_KEYS",             MAX_KEYS },
	{ "MAX_ARG_BYTES",        MAX_ARG_BYTES },
	{ "MAX_INSECURE",         MAX_INSECURE },
};

static const char *reqnames[] = {	/* by ReqAccept… */
	"insecureAcceptAnything", "reject", "signedBy", "signedBaseLayer",
	"sigstoreSigned"
};
static const char *idnames[] = {	/* by IdMatchRepoDigestOrExact… */
	"matchRepoDigestOrExact", "matchExact", "matchRepository",
	"exactReference", "exactRepository", "remapIdentity"
};
static const char *keytypes[] = {	/* by KeyGPG… */
	"GPGKeys", "signedByGPGKeys", "X509Certificates", "signedByX509CAs"
};

static const char *optnames[] = {	/* options that take a value */
	"name", "digest", "stdin-media-type", "policy", "registries-d",
	"certs-d", "auth", "ca-file", "timeout", "o", "insecure"
};

static int verbose;		/* -v: log steps to stderr */

/* == 5. Errors and log ==================================================
 * fail() records only the first cause (later ones are consequences) and
 * returns -1 so callers can `return fail(…)`.  A message longer than the
 * reason line ends in "…", never silently cut. */

static int
fail(Err *e, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (e->code)
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

/* == 6. Memory, text, digests ===========================================
 * One arena per run, never freed piecemeal: running out is an error that
 * names ARENA_BYTES.  Text from outside is quoted with ar_quote(). */

static void *
ar_alloc(Arena *a, size_t n, Err *e)
{
	size_t off = (a->used + 15) & ~(size_t)15;

	if (off > a->cap || n > a->cap - off) {
		fail(e, ExitUndecided, "out of memory: ARENA_BYTES (%ld) spent",
		    (long)ARENA_BYTES);
		return NULL;
	}
	a->used = off + n;
	return a->base + off;
}

static char *
ar_printf(Arena *a, Err *e, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(p = ar_alloc(a, (size_t)n + 1, e)))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* "text" with quotes, backslashes and non-printable bytes as \xNN, cut
 * after MAX_QUOTE bytes with "…": safe inside the one-line reason.  dst
 * holds QUOTE_SIZE bytes. */
static char *
quote(char *dst, const char *s, size_t n)
{
	size_t i, m = n < MAX_QUOTE ? n : MAX_QUOTE;
	char *q = dst;

	*q++ = '"';
	for (i = 0; i < m; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			snprintf(q, 5, "\\x%02x", c);
			q += 4;
		} else {
			*q++ = (char)c;
		}
	}
	if (m < n) {
		memcpy(q, "\xe2\x80\xa6", 3);
		q += 3;
	}
	*q++ = '"';
	*q = '\0';
	return dst;
}

static char *
ar_quote(Arena *a, const char *s, size_t n, Err *e)
{
	char *p = ar_alloc(a, QUOTE_SIZE, e);

	return p ? quote(p, s, n) : "(no memory)";
}

/* standard base64 with padding (RFC 4648 §4), as Go's encoding/json
 * writes []byte; line breaks are skipped.  NUL-terminates out. */
static int
b64_decode(Arena *a, const char *s, size_t n, Str *out)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long acc = 0;
	size_t i, got = 0, pad = 0;
	Err ignore = { 0, "" };
	const char *c;
	char *p;

	if (!(p = ar_alloc(a, n / 4 * 3 + 4, &ignore)))
		return -1;
	out->p = p;
	out->n = 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '=') {
			pad++;
			acc <<= 6;
		} else if (pad || !s[i] || !(c = strchr(al, s[i]))) {
			return -1;
		} else {
			acc = acc << 6 | (unsigned long)(c - al);
		}
		if (++got % 4 == 0) {
			if (pad > 2)
				return -1;
			p[out->n++] = (char)(acc >> 16);
			p[out->n++] = (char)(acc >> 8);
			p[out->n++] = (char)acc;
			out->n -= pad;
			acc = 0;
		}
	}
	if (got % 4)
		return -1;
	p[out->n] = '\0';
	return 0;
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

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* == 7. Files and stdin =================================================
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

/* == 8. JSON over jsmn ==================================================
 * jsmn finds the tokens; json_check() then proves the whole text is one
 * RFC 8259 value: separators between tokens, literals and numbers byte by
 * byte, escapes and UTF-8 in strings, a depth limit.  Lookups walk one
 * object's own members; strings are unescaped into the arena. */

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
		return fail(e, code, "%s: line %d: invalid JSON", file,
		    json_line(j, jp.pos));
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

			if (isobj && (c->type != JSMN_STRING || c->size != 1))
				return fail(e, j->code, "%s: line %d: object "
				    "key must be a string", j->file,
				    json_line(j, (size_t)c->start));
			if (json_gap(j, pos, (size_t)c->start -
			    (c->type == JSMN_STRING), n ? ',' : 0, e) < 0)
				return -1;
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
			return fail(e, j->code, "%s: line %d: invalid JSON "
			    "literal", j->file, json_line(j,
			    (size_t)t->start));
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
	else if (sep)
		i = to + 1;
	if (i == to)
		return 0;
	return fail(e, j->code, "%s: line %d: invalid JSON", j->file,
	    json_line(j, i < to ? i : from));
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

/* Checks the members of object obj against the table f (ending with a
 * NULL key): unknown and repeated keys and wrong types are errors.  v[k]
 * gets the value token of f[k], or -1 when absent. */
static int
json_fields(const Json *j, int obj, const char *at, const Field *f, int *v,
    Arena *a, Err *e)
{
	int i, k, n;

	if (j->t[obj].type != JSMN_OBJECT)
		return fail(e, j->code, "%s: %s: expected an object, got %s",
		    j->file, at, json_typename(j->t[obj].type));
	for (k = 0; f[k].key; k++)
		v[k] = -1;
	for (i = obj + 1, n = 0; n < j->t[obj].size; n++) {
		/* "" marks a slot a table leaves unused */
		for (k = 0; f[k].key && (!*f[k].key || !json_eq(j, i,
		    f[k].key)); k++)
			;
		if (!f[k].key)
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

/* == 9. Image references ================================================
 * The grammar of distribution/reference: [domain/]path[:tag][@digest],
 * with docker.io, library/ and :latest filled in as Docker does, and
 * bracketed IPv6 domains as current distribution/reference accepts. */

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

int
iv_ref_normalize(const char *ref, char *out, size_t outsz)
{
	Err e = { 0, "" };
	Ref r;

	if (ref_parse(&r, ref, &e) < 0) {
		snprintf(out, outsz, "%s", e.msg);
		return e.code;
	}
	ref_string(&r, out, outsz);
	return 0;
}

/* == 10. policy.json ====================================================
 * containers-policy.json(5), parsed as strictly as containers/image does
 * and a little more: unknown or repeated fields, wrong types, empty lists
 * and conflicting key sources are errors with the JSON path.  Key files
 * are only named here; -check reads them, judgement loads what it needs. */

enum { SbType, SbKeyType, SbKeyPath, SbKeyPaths, SbKeyData, SbIdent };
static const Field signedbyfields[] = {
	/* key                 type */
	{ "type",              JSMN_STRING },
	{ "keyType",           JSMN_STRING },
	{ "keyPath",           JSMN_STRING },
	{ "keyPaths",          JSMN_ARRAY },
	{ "keyData",           JSMN_STRING },
	{ "signedIdentity",    JSMN_OBJECT },
	{ NULL,                JSMN_UNDEFINED }
};

enum {
	SsType, SsKeyPath, SsKeyPaths, SsKeyData, SsKeyDatas, SsFulcio, SsPKI,
	SsRekorPath, SsRekorPaths, SsRekorData, SsRekorDatas, SsIdent
};
static const Field sigstorefields[] = {
	{ "type",                JSMN_STRING },
	{ "keyPath",             JSMN_STRING },
	{ "keyPaths",            JSMN_ARRAY },
	{ "keyData",             JSMN_STRING },
	{ "keyDatas",            JSMN_ARRAY },
	{ "fulcio",              JSMN_OBJECT },
	{ "pki",                 JSMN_OBJECT },
	{ "rekorPublicKeyPath",  JSMN_STRING },
	{ "rekorPublicKeyPaths", JSMN_ARRAY },
	{ "rekorPublicKeyData",  JSMN_STRING },
	{ "rekorPublicKeyDatas", JSMN_ARRAY },
	{ "signedIdentity",      JSMN_OBJECT },
	{ NULL,                  JSMN_UNDEFINED }
};

/* fulcio and pki share a shape: a CA as path or data, identities */
enum { CaPath, CaData, CaInterPath, CaInterData, CaEmail, CaHost, CaIssuer };
static const Field fulciofields[] = {
	{ "caPath",              JSMN_STRING },
	{ "caData",              JSMN_STRING },
	{ "",                    JSMN_UNDEFINED },	/* no intermediates */
	{ "",                    JSMN_UNDEFINED },
	{ "subjectEmail",        JSMN_STRING },
	{ "",                    JSMN_UNDEFINED },
	{ "oidcIssuer",          JSMN_STRING },
	{ NULL,                  JSMN_UNDEFINED }
};
static const Field pkifields[] = {
	{ "caRootsPath",         JSMN_STRING },
	{ "caRootsData",         JSMN_STRING },
	{ "caIntermediatesPath", JSMN_STRING },
	{ "caIntermediatesData", JSMN_STRING },
	{ "subjectEmail",        JSMN_STRING },
	{ "subjectHostname",     JSMN_STRING },
	{ "",                    JSMN_UNDEFINED },	/* no OIDC issuer */
	{ NULL,                  JSMN_UNDEFINED }
};

static const Field typeonly[] = { { "type", JSMN_STRING }, { NULL, JSMN_UNDEFINED } };
static const Field baselayerfields[] = {
	{ "type",              JSMN_STRING },
	{ "baseLayerIdentity", JSMN_OBJECT },
	{ NULL,                JSMN_UNDEFINED }
};
static const Field exactreffields[] = {
	{ "type",              JSMN_STRING },
	{ "dockerReference",   JSMN_STRING },
	{ NULL,                JSMN_UNDEFINED }
};
static const Field exactrepofields[] = {
	{ "type",              JSMN_STRING },
	{ "dockerRepository",  JSMN_STRING },
	{ NULL,                JSMN_UNDEFINED }
};
static const Field remapfields[] = {
	{ "type",              JSMN_STRING },
	{ "prefix",            JSMN_STRING },
	{ "signedPrefix",      JSMN_STRING },
	{ NULL,                JSMN_UNDEFINED }
};

static int
pol_load(Policy *p, Arena *a, const char *file, const char *s, size_t n,
    Err *e)
{
	static const Field top[] = {
		{ "default",    JSMN_ARRAY },
		{ "transports", JSMN_OBJECT },
		{ NULL,         JSMN_UNDEFINED }
	};
	int v[2], i, k, total = 1;
	char *name, *at;
	Json j;

	memset(p, 0, sizeof(*p));
	p->file = file;
	if (json_parse(&j, a, file, s, n, ExitConfig, e) < 0 ||
	    json_fields(&j, 0, "top level", top, v, a, e) < 0)
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
	Scope *sc;
	int i, k;

	for (i = obj + 1, k = 0; k < j->t[obj].size; k++) {
		sc = &p->scope[p->nscope++];
		sc->transport = transport;
		if (json_dupkey(j, obj, i, at, a, e) < 0 ||
		    !(sc->key = json_str(j, i, a, e)) ||
		    !(sc->at = ar_printf(a, e, "%s[%s]", at, ar_quote(a,
		    sc->key, strlen(sc->key), e))) ||
		    pol_reqs(j, i + 1, sc, a, e) < 0)
			return -1;
		i = json_skip(j, i + 1);
	}
	return 0;
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

/* the "type" of object obj, as an index into names; checked before the
 * other fields because it decides which fields are allowed */
static int
pol_type(const Json *j, int obj, const char *at, const char **names,
    int n, const char *what, Arena *a, Err *e)
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
	for (k = 0; k < n && !json_eq(j, i, names[k]); k++)
		;
	if (k == n)
		return fail(e, ExitConfig, "%s: %s.type: unknown %s %s",
		    j->file, at, what, ar_quote(a, j->s + j->t[i].start,
		    (size_t)(j->t[i].end - j->t[i].start), e));
	return k;
}

static int
pol_req(const Json *j, int obj, Req *r, Arena *a, Err *e)
{
	static const Field *tables[] = {	/* by ReqAccept… */
		typeonly, typeonly, signedbyfields, baselayerfields,
		sigstorefields
	};
	int v[LEN(sigstorefields)], si = -1;
	const char *at;

	if ((r->type = pol_type(j, obj, r->at, reqnames, LEN(reqnames),
	    "requirement type", a, e)) < 0 ||
	    json_fields(j, obj, r->at, tables[r->type], v, a, e) < 0)
		return -1;
	switch (r->type) {
	case ReqBaseLayer:
		if (v[1] < 0)
			return fail(e, ExitConfig, "%s: %s: "
			    "\"baseLayerIdentity\" is missing", j->file, r->at);
		if (!(at = ar_printf(a, e, "%s.baseLayerIdentity", r->at)) ||
		    pol_ident(j, v[1], at, &r->id, a, e) < 0)
			return -1;
		break;
	case ReqSignedBy:
		if (pol_signedby(j, v, r, a, e) < 0)
			return -1;
		si = v[SbIdent];
		break;
	case ReqSigstore:
		if (pol_sigstore(j, v, r, a, e) < 0)
			return -1;
		si = v[SsIdent];
		break;
	}
	if (si >= 0 && (!(at = ar_printf(a, e, "%s.signedIdentity", r->at)) ||
	    pol_ident(j, si, at, &r->id, a, e) < 0))
		return -1;
	return (r->desc = pol_desc(r, a, e)) ? 0 : -1;
}

static int
pol_signedby(const Json *j, const int *v, Req *r, Arena *a, Err *e)
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
	return pol_keys(j, v + SbKeyPath, signedbyfields + SbKeyPath, 3, r,
	    &r->keys, &r->nkeys, a, e);
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

static int
pol_sigstore(const Json *j, const int *v, Req *r, Arena *a, Err *e)
{
	int nsrc, nrekor, w[LEN(pkifields)];
	const Field *f;
	const char *at;

	nsrc = (v[SsKeyPath] >= 0) + (v[SsKeyPaths] >= 0) +
	    (v[SsKeyData] >= 0) + (v[SsKeyDatas] >= 0) +
	    (v[SsFulcio] >= 0) + (v[SsPKI] >= 0);
	nrekor = (v[SsRekorPath] >= 0) + (v[SsRekorPaths] >= 0) +
	    (v[SsRekorData] >= 0) + (v[SsRekorDatas] >= 0);
	if (nsrc != 1)
		return fail(e, ExitConfig, "%s: %s: exactly one of keyPath, "
		    "keyPaths, keyData, keyDatas, fulcio and pki must be "
		    "given", j->file, r->at);
	if (nrekor > 1)
		return fail(e, ExitConfig, "%s: %s: at most one of "
		    "rekorPublicKeyPath, rekorPublicKeyPaths, "
		    "rekorPublicKeyData and rekorPublicKeyDatas may be given",
		    j->file, r->at);
	if (v[SsFulcio] >= 0 && !nrekor)
		return fail(e, ExitConfig, "%s: %s: fulcio needs one of "
		    "rekorPublicKeyPath, rekorPublicKeyPaths, "
		    "rekorPublicKeyData or rekorPublicKeyDatas", j->file,
		    r->at);
	if (v[SsPKI] >= 0 && nrekor)
		return fail(e, ExitConfig, "%s: %s: rekorPublicKey* cannot be "
		    "used with pki", j->file, r->at);
	if (nrekor && pol_keys(j, v + SsRekorPath, sigstorefields +
	    SsRekorPath, 4, r, &r->rekor, &r->nrekor, a, e) < 0)
		return -1;
	if (v[SsFulcio] < 0 && v[SsPKI] < 0) {
		r->src = SrcKeys;
		return pol_keys(j, v + SsKeyPath, sigstorefields + SsKeyPath, 4,
		    r, &r->keys, &r->nkeys, a, e);
	}
	r->src = v[SsFulcio] >= 0 ? SrcFulcio : SrcPKI;
	f = r->src == SrcFulcio ? fulciofields : pkifields;
	if (!(at = ar_printf(a, e, "%s.%s", r->at, r->src == SrcFulcio ?
	    "fulcio" : "pki")) || json_fields(j, v[r->src == SrcFulcio ?
	    SsFulcio : SsPKI], at, f, w, a, e) < 0)
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
	return 0;
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
		return fail(e, ExitConfig, "%s: %s: not valid base64", j->file,
		    at);
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
	static const Field *tables[] = {	/* by IdMatchRepoDigestOrExact… */
		typeonly, typeonly, typeonly, exactreffields, exactrepofields,
		remapfields
	};
	Err sub = { 0, "" };
	int v[3];
	char *s, *t;

	if ((id->type = pol_type(j, obj, at, idnames, LEN(idnames),
	    "signedIdentity type", a, e)) < 0 ||
	    json_fields(j, obj, at, tables[id->type], v, a, e) < 0)
		return -1;
	switch (id->type) {
	case IdExactReference:
	case IdExactRepository:
		if (v[1] < 0)
			return fail(e, ExitConfig, "%s: %s: \"%s\" is missing",
			    j->file, at, tables[id->type][1].key);
		if (!(s = json_str(j, v[1], a, e)))
			return -1;
		if (ref_parse(&id->ref, s, &sub) < 0)
			return fail(e, ExitConfig, "%s: %s.%s: %s", j->file,
			    at, tables[id->type][1].key, sub.msg);
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
	const char *t = reqnames[r->type], *f = r->keyfield;
	char *s;
	int i;

	if (r->type != ReqSignedBy && r->type != ReqSigstore)
		return t;
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

/* The most specific scope for the reference (containers/image's order:
 * identity, repository, namespaces, host, *.domain wildcards, then the
 * transport's "" and "default"), with ivlite's addition: name@DIGEST for
 * the digest containerd resolved, before the tag, so that digest pinning
 * works for tag pulls. */
static const Scope *
pol_scope(const Policy *p, const Ref *r, const char *digest)
{
	char buf[REF_NAME_MAX + DIGEST_MAX + REF_TAG_MAX + 8];
	const Scope *sc;
	const char *dot;
	size_t n, host;
	int k;

	for (k = 0; k < 3; k++) {
		const char *d = k == 0 ? digest : k == 1 ? r->digest : NULL;

		if (k == 2 && r->tag[0])
			snprintf(buf, sizeof(buf), "%s:%s", r->name, r->tag);
		else if (k < 2 && d && *d)
			snprintf(buf, sizeof(buf), "%s@%s", r->name, d);
		else
			continue;
		if ((sc = pol_find(p, buf, strlen(buf))))
			return sc;
	}
	for (n = strlen(r->name);; n--) {
		if ((sc = pol_find(p, r->name, n)))
			return sc;
		while (n > 0 && r->name[n - 1] != '/')
			n--;
		if (n == 0)
			break;
	}
	/* the host without port, as containers/image cuts it: at the first
	 * colon */
	for (host = 0; host < r->domlen && r->name[host] != ':'; host++)
		;
	for (dot = memchr(r->name, '.', host); dot; dot = memchr(dot + 1, '.',
	    host - (size_t)(dot + 1 - r->name))) {
		snprintf(buf, sizeof(buf), "*.%.*s", (int)(host - (size_t)(dot
		    + 1 - r->name)), dot + 1);
		if ((sc = pol_find(p, buf, strlen(buf))))
			return sc;
	}
	return (sc = pol_find(p, "", 0)) ? sc : &p->scope[0];
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
 * warns; the policy stays valid, as it is for Podman. */
static const char *
pol_lint(const char *key, Arena *a, Err *e)
{
	char s[REF_NAME_MAX + REF_TAG_MAX + DIGEST_MAX + 4];
	size_t n = strcspn(key, "/");
	Err sub = { 0, "" };
	Ref r;
	int domainlike = memchr(key, '.', n) || memchr(key, ':', n) ||
	    (n == 9 && !memcmp(key, "localhost", 9));

	if (!*key)
		return NULL;
	if (!strncmp(key, "*.", 2))
		return key[2] && key[2] != '[' && !*ref_domain(key + 2) &&
		    !strchr(key, ':') ? NULL : "never matches: a wildcard is "
		    "\"*.\" and a domain, without port";
	if (domainlike && !key[n] && !*ref_domain(key) && strcmp(key,
	    "index.docker.io"))
		return NULL;	/* a host[:port] */
	if (ref_parse(&r, key, &sub) < 0)
		return ar_printf(a, e, "never matches: %s", sub.msg);
	snprintf(s, sizeof(s), "%s%s%s%s%s", r.name, r.tag[0] && !r.deftag ?
	    ":" : "", r.deftag ? "" : r.tag, r.digest[0] ? "@" : "",
	    r.digest);
	if (domainlike && key[n] && (!strcmp(s, key) || (!strncmp(key,
	    "docker.io/", 10) && !strchr(key + 10, '/') &&
	    !strpbrk(key + 10, ":@"))))
		return NULL;	/* a name, namespace or reference */
	return ar_printf(a, e, "never matches: scopes are fully expanded "
	    "names; did you mean \"%s\"?", domainlike ? s : r.name);
}

/* -check: every key and CA file that the policy names must be readable */
static int
pol_files(const Policy *p, Arena *a, Err *e)
{
	const Req *r;
	const Blob *b[4];
	size_t mark = a->used;
	int i, k, m, n;
	Err sub = { 0, "" };
	Str s;

	for (i = 0; i < p->nscope; i++) {
		for (k = 0; k < p->scope[i].nreq; k++) {
			r = &p->scope[i].req[k];
			b[0] = r->keys, b[1] = r->rekor;
			b[2] = &r->ca, b[3] = &r->inter;
			for (m = 0; m < 4; m++) {
				int cnt = m == 0 ? r->nkeys : m == 1 ?
				    r->nrekor : 1;

				for (n = 0; n < cnt; n++) {
					if (!b[m] || !b[m][n].path)
						continue;
					if (file_read(a, b[m][n].path,
					    MAX_KEY_BYTES, &s, &sub) < 0)
						return fail(e, ExitConfig,
						    "%s: %s: %s", p->file,
						    b[m][n].at, sub.msg);
					a->used = mark;
				}
			}
		}
	}
	return 0;
}

static int
pol_parse_text(Policy *p, Arena *a, const char *file, const char *text,
    Err *e)
{
	size_t n = strlen(text);

	if (n > MAX_POLICY_BYTES)
		return fail(e, ExitConfig, "%s: larger than %d bytes", file,
		    MAX_POLICY_BYTES);
	return pol_load(p, a, file, text, n, e);
}

int
iv_pol_load(const char *file, const char *text, char *out, size_t outsz)
{
	Arena a = { malloc(ARENA_BYTES), 0, ARENA_BYTES };
	Err e = { 0, "" };
	Policy p;

	if (!a.base)
		return snprintf(out, outsz, "out of memory"), ExitUndecided;
	if (pol_parse_text(&p, &a, file, text, &e) == 0)
		snprintf(out, outsz, "%d scopes", p.nscope);
	else
		snprintf(out, outsz, "%s", e.msg);
	free(a.base);
	return e.code;
}

int
iv_pol_lint(const char *scope, char *out, size_t outsz)
{
	Arena a = { malloc(ARENA_BYTES), 0, ARENA_BYTES };
	Err e = { 0, "" };
	const char *w;

	if (!a.base)
		return snprintf(out, outsz, "out of memory"), ExitUndecided;
	w = pol_lint(scope, &a, &e);
	snprintf(out, outsz, "%s", w ? w : e.code ? e.msg : "");
	free(a.base);
	return e.code ? e.code : w != NULL;
}

int
iv_pol_scope(const char *text, const char *name, const char *digest,
    char *out, size_t outsz)
{
	Arena a = { malloc(ARENA_BYTES), 0, ARENA_BYTES };
	Err e = { 0, "" };
	Policy p;
	Ref r;

	if (!a.base)
		return snprintf(out, outsz, "out of memory"), ExitUndecided;
	if (pol_parse_text(&p, &a, "policy.json", text, &e) == 0 &&
	    ref_parse(&r, name, &e) == 0)
		snprintf(out, outsz, "%s", pol_scope(&p, &r, digest)->at);
	else
		snprintf(out, outsz, "%s", e.msg);
	free(a.base);
	return e.code;
}

/* == 18. Judgement and output ===========================================
 * Requirements are tried in order and the first that fails decides, as in
 * containers/image; later ones are reported as not evaluated.  The verdict
 * starts as a rejection and judge() alone turns it into an acceptance. */

static int
judge(const Policy *p, const Ref *r, const char *digest, Verdict *v)
{
	const Scope *sc = pol_scope(p, r, digest);
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
		judge_req(&sc->req[i], &v->res[i]);
		logv("%s: %s", v->res[i].desc, v->res[i].ok ? "satisfied" :
		    v->res[i].detail);
		if (!v->res[i].ok)
			return 0;
	}
	v->exit = ExitAccept;
	return 0;
}

static void
judge_req(const Req *q, Result *res)
{
	res->ok = 0;
	switch (q->type) {
	case ReqAccept:
		res->ok = 1;
		res->detail = "";
		break;
	case ReqReject:
		res->detail = "this scope rejects all images";
		break;
	case ReqBaseLayer:
		res->detail = "not implemented (containers/image rejects it "
		    "too)";
		break;
	case ReqSignedBy:
		if (q->keytype != KeyGPG) {
			res->detail = "only keyType GPGKeys is implemented "
			    "(containers/image rejects the others too)";
			break;
		}
		/* fall through */
	default:
		res->detail = "not supported by this build";
		break;
	}
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

/* -o json: one object on one line */
static void
out_json(const Verdict *v, const Ref *r, const char *digest,
    const char *line, int code, FILE *f)
{
	static const char *verdicts[] = {
		"accepted", "rejected", "error", "error"
	};
	char ref[REF_NAME_MAX + REF_TAG_MAX + DIGEST_MAX + 4];
	int i;

	fprintf(f, "{\"verdict\":\"%s\",\"exit\":%d,\"reference\":",
	    verdicts[code], code);
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
		out_jstr(reqnames[v->scope->req[i].type], f);
		fputs(",\"requirement\":", f);
		out_jstr(v->res[i].desc, f);
		fprintf(f, ",\"ok\":%s,\"detail\":", v->res[i].ok ? "true" :
		    "false");
		out_jstr(v->res[i].detail, f);
		fputc('}', f);
	}
	fputs("],\"reason\":", f);
	out_jstr(line, f);
	fputs("}\n", f);
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

int
iv_judge(const char *text, const char *name, const char *digest, char *out,
    size_t outsz)
{
	Arena a = { malloc(ARENA_BYTES), 0, ARENA_BYTES };
	Err e = { 0, "" };
	Verdict v;
	Policy p;
	Ref r;
	int ok;

	if (!a.base)
		return snprintf(out, outsz, "out of memory"), ExitUndecided;
	ok = pol_parse_text(&p, &a, "policy.json", text, &e) == 0 &&
	    ref_parse(&r, name, &e) == 0 && judge(&p, &r, digest, &v) == 0;
	out_line(ok ? &v : NULL, &r, digest, &e, out, outsz);
	free(a.base);
	return e.code ? e.code : v.exit;
}

/* == 19. Options, -check, -version, main ================================
 * Options follow Go's flag package, as containerd's other verifiers do:
 * -name V, --name V and -name=V are the same; booleans take no value. */

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
		if ((n == 5 && !memcmp(arg, "check", 5)) || (n == 1 &&
		    *arg == 'v') || (n == 7 && !memcmp(arg, "version", 7)) ||
		    (n == 1 && *arg == 'h') || (n == 4 && !memcmp(arg,
		    "help", 4))) {
			int on = !arg[n] || !strcmp(arg + n, "=true");

			if (!on && strcmp(arg + n, "=false"))
				return fail(e, ExitConfig, "-%.*s takes true "
				    "or false", (int)n, arg);
			if (*arg == 'c')
				o->check = on;
			else if (n == 1 && *arg == 'v')
				verbose = on;
			else if (*arg == 'v')
				o->version = on;
			else
				o->help = on;
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
	if (i < argc)
		return fail(e, ExitConfig, "unexpected argument %s",
		    quote(q, argv[i], strlen(argv[i])));
	return 0;
}

static int
opt_value(size_t k, const char *v, Opts *o, Err *e)
{
	const char **dst[] = {
		&o->name, &o->digest, &o->mediatype, &o->policy, &o->regd,
		&o->certsd, &o->auth[0], &o->cafile
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
			    "(want sha256:<64 lowercase hex> or sha512:<128 "
			    "lowercase hex>)", q);
		break;
	case 2:
		if (strcmp(v, DESC_MEDIATYPE))
			return fail(e, ExitConfig, "-stdin-media-type %s: "
			    "unsupported (want %s)", q, DESC_MEDIATYPE);
		break;
	case 6:
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
	const char *d;
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
		return 0;
	}
	return fail(e, ExitConfig, "stdin descriptor: no digest");
}

static void
version(void)
{
	static const char *paths[][2] = {
		{ "policy", NULL }, { "registries-d", NULL },
		{ "certs-d", NULL }, { "ca-file", NULL }
	};
	size_t i;

	paths[0][1] = policypath;
	paths[1][1] = registriesdir;
	paths[2][1] = certsdir;
	paths[3][1] = cafile;
	printf("ivlite %s\n", VERSION);
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
		printf("%-20s %ld\n", limits[i].name, limits[i].value);
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
	    "       ivlite -check [-policy FILE] ...\n"
	    "       ivlite -version\n"
	    "exit: 0 accepted, 1 rejected, 2 usage or configuration error, "
	    "3 undecided");
}

#ifndef IVLITE_NO_MAIN
int
main(int argc, char **argv)
{
	static char line[MAX_REASON];
	Arena a = { NULL, 0, ARENA_BYTES };
	Err e = { 0, "" };
	Verdict v;
	Policy p;
	Opts o;
	Ref r;
	Str s;
	int i, code, haveref = 0, judged = 0;
	const char *w;

	signal(SIGPIPE, SIG_IGN);	/* a closed stdout is ferror() */
	if (!(a.base = malloc(ARENA_BYTES))) {
		puts("error: out of memory: cannot take ARENA_BYTES");
		return ExitUndecided;
	}
	if (opt_parse(&o, argc, argv, &e) < 0)
		goto out;
	if (o.help || o.version) {
		o.help ? usage() : version();
		return fflush(stdout) ? ExitUndecided : 0;
	}
	o.deadline = now_ms() + o.timeout * 1000LL;
	if (o.check) {
		if (file_read(&a, o.policy, MAX_POLICY_BYTES, &s, &e) < 0 ||
		    pol_load(&p, &a, o.policy, s.p, s.n, &e) < 0 ||
		    pol_files(&p, &a, &e) < 0)
			goto out;
		for (i = 1; i < p.nscope; i++)
			if (!strcmp(p.scope[i].transport, "docker") &&
			    (w = pol_lint(p.scope[i].key, &a, &e)))
				printf("warning: %s: %s: %s\n", o.policy,
				    p.scope[i].at, w);
		printf("ok: %s: %d scope%s\n", o.policy, p.nscope,
		    p.nscope == 1 ? "" : "s");
		return fflush(stdout) ? ExitUndecided : 0;
	}
	if (!o.name) {
		fail(&e, ExitConfig, "-name is required (see ivlite -h)");
		goto out;
	}
	if (ref_parse(&r, o.name, &e) < 0)
		goto out;
	haveref = 1;
	if (desc_check(&o, &a, &e) < 0)
		goto out;
	if (r.digest[0] && o.digest && strcmp(r.digest, o.digest)) {
		fail(&e, ExitConfig, "-name digest %s differs from -digest %s",
		    r.digest, o.digest);
		goto out;
	}
	if (!o.digest && r.digest[0])
		o.digest = r.digest;
	if (!o.digest) {
		fail(&e, ExitConfig, "-digest is required: this build cannot "
		    "resolve a tag from the registry");
		goto out;
	}
	logv("reference %s, digest %s", o.name, o.digest);
	if (file_read(&a, o.policy, MAX_POLICY_BYTES, &s, &e) < 0 ||
	    pol_load(&p, &a, o.policy, s.p, s.n, &e) < 0)
		goto out;
	logv("policy %s: %d scopes", o.policy, p.nscope);
	judged = judge(&p, &r, o.digest, &v) == 0;
out:
	code = e.code ? e.code : judged ? v.exit : ExitUndecided;
	out_line(judged ? &v : NULL, haveref ? &r : NULL, o.digest, &e, line,
	    sizeof(line));
	if (o.json)
		out_json(judged && !e.code ? &v : NULL, haveref ? &r : NULL,
		    o.digest, line, code, stdout);
	else
		puts(line);
	if (fflush(stdout) || ferror(stdout))
		fprintf(stderr, "ivlite: stdout: %s\n", strerror(errno));
	free(a.base);
	return code;
}
#endif
