/* tests/hooks.c - the entry points of ivlite.c that tests call (ivlite.h).
 *
 * It includes ivlite.c itself (as Lua's ltests.c rides on its sources), so
 * the hooks reach every static function while the shipped binary carries
 * none of them: tests/unit, tests/regfetch and the fuzzers link this file,
 * built with -DIVLITE_NO_MAIN; `make` builds ivlite from ivlite.c alone. */
#ifndef IVLITE_NO_MAIN
#define IVLITE_NO_MAIN
#endif
#include "../ivlite.c"

#include "ivlite.h"

/* the arena of a test entry point (iv_*), taken once and reused: tests
 * call them thousands of times */
static int
ar_open(Arena *a, char *out, size_t outsz)
{
	static unsigned char *base;

	a->used = 0;
	a->cap = ARENA_BYTES;
	a->spent = 0;
	if ((a->base = base ? base : (base = malloc(ARENA_BYTES))))
		return 0;
	snprintf(out, outsz, "out of memory");
	return -1;
}

/* a hook's status; out gets the error's message when there is one */
static int
hook_err(const Err *e, char *out, size_t outsz)
{
	if (e->code)
		snprintf(out, outsz, "%s", e->msg);
	return e->code;
}

int
iv_ref_normalize(const char *ref, char *out, size_t outsz)
{
	Err e = { 0, "" };
	Ref r;

	if (ref_parse(&r, ref, &e) == 0)
		ref_string(&r, out, outsz);
	return hook_err(&e, out, outsz);
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
	Arena a;
	Err e = { 0, "" };
	Policy p;

	if (ar_open(&a, out, outsz) < 0)
		return ExitUndecided;
	if (pol_parse_text(&p, &a, file, text, &e) == 0)
		snprintf(out, outsz, "%d scopes", p.nscope);
	return hook_err(&e, out, outsz);
}

int
iv_pol_lint(const char *scope, char *out, size_t outsz)
{
	Arena a;
	Err e = { 0, "" };
	const char *w;
	int isnote;

	if (ar_open(&a, out, outsz) < 0)
		return ExitUndecided;
	w = pol_lint(scope, &isnote, &a, &e);
	snprintf(out, outsz, "%s", w ? w : e.code ? e.msg : "");
	return e.code ? e.code : w != NULL;
}

int
iv_pol_scope(const char *text, const char *name, const char *digest,
    char *out, size_t outsz)
{
	Arena a;
	Err e = { 0, "" };
	Policy p;
	Ref r;

	if (ar_open(&a, out, outsz) < 0)
		return ExitUndecided;
	if (pol_parse_text(&p, &a, "policy.json", text, &e) == 0 &&
	    ref_parse(&r, name, &e) == 0)
		snprintf(out, outsz, "%s", pol_scope(&p, &r, digest)->at);
	return hook_err(&e, out, outsz);
}

/* tests: what registries.d dir says for ref: "lookaside=URL attach=N" */
int
iv_regd_lookup(const char *dir, const char *ref, char *out, size_t outsz)
{
	Err e = { 0, "" };
	const char *look;
	Regd g;
	Arena a;
	Ref r;
	int att;

	if (ar_open(&a, out, outsz) < 0)
		return ExitUndecided;
	memset(&g, 0, sizeof(g));
	if (ref_parse(&r, ref, &e) == 0 && regd_load(&g, &a, dir, &e) == 0 &&
	    regd_find(&g, &r, NULL, &look, &att, &e) == 0)
		snprintf(out, outsz, "lookaside=%s attach=%d", look, att);
	return hook_err(&e, out, outsz);
}

/* tests: the challenge chosen from a WWW-Authenticate value */
int
iv_reg_challenge(const char *header, char *out, size_t outsz)
{
	Arena a;
	static const char *names[] = { "none", "basic", "bearer", "other" };
	Err e = { 0, "" };
	Reg g;

	if (ar_open(&a, out, outsz) < 0)
		return ExitUndecided;
	memset(&g, 0, sizeof(g));
	strcpy(g.host, "h");
	if (reg_challenge(&g, header, &a, &e) == 0)
		snprintf(out, outsz, "%s realm=%s service=%s scope=%s error=%s",
		    names[g.scheme], g.realm ? g.realm : "-", g.service ?
		    g.service : "-", g.scope ? g.scope : "-", g.error ?
		    g.error : "-");
	return hook_err(&e, out, outsz);
}

/* tests: url_loopback */
int
iv_url_loopback(const char *host)
{
	return url_loopback(host);
}

/* tests: the credentials auth files give name (host/path); out is
 * "user:password from SRC", or "none" -- a test hook, never output */
int
iv_auth_lookup(const char *const *files, const char *name, char *out,
    size_t outsz)
{
	Arena a;
	Err e = { 0, "" };
	Creds c;
	Ref r;

	if (ar_open(&a, out, outsz) < 0)
		return ExitUndecided;
	if (ref_parse(&r, name, &e) == 0 && auth_find(&a, files, r.name,
	    r.domlen, &c, &e) == 0)
		snprintf(out, outsz, c.src ? "%s:%s%s from %s" : "none", c.user,
		    c.pass, c.idtoken ? " (identity token)" : "", c.src);
	return hook_err(&e, out, outsz);
}

/* tests/regfetch: ivlite's options, then "manifest REF", "blob REF
 * DIGEST" or "image REF" (the manifest, then its config blob) */
int
iv_reg_fetch(int argc, char **argv, char *out, size_t outsz)
{
	static Net n;
	Arena a;
	char dig[DIGEST_MAX + 1];
	const char *cmd, *d;
	Err e = { 0, "" };
	int i, k, c;
	Resp r;
	Opts o;
	Reg g;
	Ref ref;
	Json j;

	out[0] = '\0';
	if (ar_open(&a, out, outsz) < 0)
		return ExitUndecided;
	if ((i = opt_parse(&o, argc, argv, &e)) < 0)
		goto done;
	o.deadline = now_ms() + o.timeout * 1000LL;
	cmd = i < argc ? argv[i] : "";
	k = !strcmp(cmd, "blob") ? 3 : 2;
	if ((strcmp(cmd, "manifest") && strcmp(cmd, "blob") && strcmp(cmd,
	    "image")) || argc - i != k) {
		fail(&e, ExitConfig, "usage: regfetch [options] manifest REF | "
		    "blob REF DIGEST | image REF");
		goto done;
	}
	net_init(&n, &a, &o);
	if (ref_parse(&ref, argv[i + 1], &e) < 0 || reg_open(&g, &n, &ref,
	    &e) < 0)
		goto done;
	if (k == 3) {
		if (reg_blob(&g, argv[i + 2], LIMIT(MAX_BLOB_BYTES), &r,
		    &e) == 0 && r.status == 404)
			fail(&e, ExitUndecided, "%s: no blob %s", g.host,
			    argv[i + 2]);
		if (!e.code)
			snprintf(out, outsz, "%s %zu", argv[i + 2], r.body.n);
		goto done;
	}
	if (reg_manifest(&g, ref.digest[0] ? ref.digest : ref.tag, &r, dig,
	    &e) < 0)
		goto done;
	if (r.status == 404) {
		fail(&e, ExitUndecided, "%s: no manifest %s", g.host,
		    argv[i + 1]);
		goto done;
	}
	snprintf(out, outsz, "%s %s %zu", dig, r.ctype, r.body.n);
	if (!strcmp(cmd, "manifest"))
		goto done;
	if (json_parse(&j, &a, "manifest", r.body.p, r.body.n, ExitUndecided,
	    &e) < 0)
		goto done;
	if ((c = json_get(&j, 0, "config")) < 0 || j.t[c].type != JSMN_OBJECT ||
	    (c = json_get(&j, c, "digest")) < 0 || !(d = json_str(&j, c, &a,
	    &e)) || !dig_valid(d, strlen(d))) {
		fail(&e, ExitUndecided, "manifest has no config digest");
		goto done;
	}
	if (reg_blob(&g, d, LIMIT(MAX_BLOB_BYTES), &r, &e) == 0 &&
	    r.status == 404)
		fail(&e, ExitUndecided, "%s: no blob %s", g.host, d);
	if (!e.code)
		snprintf(out + strlen(out), outsz - strlen(out), "\n%s %zu", d,
		    r.body.n);
done:
	if (e.code)
		snprintf(out, outsz, "error: %s", e.msg);
	net_free(&n);
	return e.code;
}

/* tests: SAN name of form f (1 email, 2 DNS, 6 URI) against constraint
 * cons: 1 within, 0 not, -1 the name cannot be checked, -2 a malformed
 * constraint */
int
iv_nc_match(int f, const char *name, const char *cons)
{
	const unsigned char *nm = (const unsigned char *)name, *dom,
	    *c = (const unsigned char *)cons;
	size_t nn = strlen(name), cn = strlen(cons), at, dn;

	if (!cry_nc_valid(f, c, cn))
		return -2;
	if (cry_nc_name(f, nm, nn, 1, &at, &dom, &dn) < 0)
		return -1;
	return cry_nc_match(f, nm, nn, at, dom, dn, c, cn);
}

/* tests: Ed25519 verification with hex arguments: 1 valid, 0 not */
int
iv_ed25519(const char *pub, const char *msg, const char *sig)
{
	unsigned char p[32], s[64], m[2048];
	size_t i, n = strlen(msg) / 2;
	unsigned v;

	if (strlen(pub) != 64 || strlen(sig) != 128 || n > sizeof(m))
		return 0;
	for (i = 0; i < 32; i++)
		sscanf(pub + 2 * i, "%2x", &v), p[i] = (unsigned char)v;
	for (i = 0; i < 64; i++)
		sscanf(sig + 2 * i, "%2x", &v), s[i] = (unsigned char)v;
	for (i = 0; i < n; i++)
		sscanf(msg + 2 * i, "%2x", &v), m[i] = (unsigned char)v;
	return ed25519_verify(p, m, n, s) == 0;
}

/* tests: an OpenPGP compressed packet body (algorithm octet first); out
 * gets the data, or why; the length, or -1 */
int
iv_inflate(const unsigned char *body, size_t n, char *out, size_t outsz)
{
	const char *why = "";
	Arena a;
	Str d;
	int r;

	if (ar_open(&a, out, outsz) < 0)
		return -1;
	r = inf_packet(body, n, &a, &d, &why) < 0 ? -1 : (int)d.n;
	if (r < 0)
		snprintf(out, outsz, "%s", why);
	else
		memcpy(out, d.p, d.n < outsz ? d.n : outsz);
	return r;
}

/* tests: an RFC 3161 time-stamp over data, checked with the PEM roots
 * and intermediates inter (NULL: none): 1 valid (out: its genTime in
 * Unix seconds), 0 not (out: why), -1 a PEM text that does not parse */
int
iv_tsa_verify(const unsigned char *tok, size_t n, const char *data,
    const char *roots, const char *inter, char *out, size_t outsz)
{
	const char *why = "";
	long long t = 0;
	Cert r, i;
	Arena a;
	int ok = -1;

	if (ar_open(&a, out, outsz) < 0)
		return -1;
	cry_cert_init(&r);
	cry_cert_init(&i);
	snprintf(out, outsz, "roots or intermediates do not parse");
	if (cry_certs(roots, strlen(roots), 1, &r, 1, &a, &why) > 0 &&
	    (!inter || cry_certs(inter, strlen(inter), 1, &i, 1, &a, &why) >
	    0)) {
		ok = tsa_verify(tok, n, data, strlen(data), &r, &i, 0, &t, &a,
		    &why) == 0;
		if (ok)
			snprintf(out, outsz, "%lld", t);
		else
			snprintf(out, outsz, "%s", why);
	}
	cry_cert_free(&r);
	cry_cert_free(&i);
	return ok;
}

/* tests: POSIX ERE pat against the whole of s: 1 a match, 0 not, -1 pat
 * does not compile (out: why) */
int
iv_rx_match(const char *pat, const char *s, char *out, size_t outsz)
{
	const char *why = "";
	Arena a;
	Rx rx;

	if (ar_open(&a, out, outsz) < 0)
		return -1;
	if (rx_compile(&rx, pat, &a, &why) < 0) {
		snprintf(out, outsz, "%s", why);
		return -1;
	}
	return rx_match(&rx, s, strlen(s), &a);
}

static size_t pgp_arena;	/* tests: iv_pgp_verify's arena, 0: ARENA_BYTES */

/* tests: the arena iv_pgp_verify may use, in bytes (0: ARENA_BYTES) */
void
iv_pgp_arena(size_t cap)
{
	pgp_arena = cap;
}

/* tests: a simple-signing blob against keyring bytes: 1 accepted (out:
 * the signer's fingerprint), 0 rejected (out: why), -2 a bad keyring */
int
iv_pgp_verify(const unsigned char *ring, size_t rn,
    const unsigned char *blob, size_t bn, char *out, size_t outsz)
{
	static Keyring r;
	const char *why = "", *signer = "";
	Arena a;
	Str k, b, p;
	int ok;

	if (ar_open(&a, out, outsz) < 0)
		return -2;
	if (pgp_arena)
		a.cap = pgp_arena;
	k.p = (char *)ring;
	k.n = rn;
	b.p = (char *)blob;
	b.n = bn;
	r.n = r.ns = r.small = 0;
	if (pgp_keyring(&r, &k, "", &a, &why) < 0) {
		ok = -2;
	} else {
		pgp_judge(&r, (long long)time(NULL));
		ok = ss_verify(&r, &b, (long long)time(NULL), &a, &p, &signer,
		    &why);
	}
	snprintf(out, outsz, "%s", ok == 1 ? signer : why);
	ss_keyring_free(&r);
	return ok;
}

int
iv_judge(const char *text, const char *name, const char *digest, char *out,
    size_t outsz)
{
	static Net net;
	static Run run;
	Err e = { 0, "" };
	Verdict v;
	Policy p;
	Arena a;
	Opts o;
	Ref r;
	int ok;

	if (ar_open(&a, out, outsz) < 0)
		return ExitUndecided;
	memset(&run, 0, sizeof(run));
	opt_parse(&o, 0, NULL, &e);
	o.deadline = now_ms() + o.timeout * 1000LL;
	net_init(&net, &a, &o);
	run.a = &a;
	run.net = &net;
	run.policyfile = "policy.json";
	run.regdir = o.regd;
	run.ref = &r;
	run.digest = digest;
	ok = pol_parse_text(&p, &a, "policy.json", text, &e) == 0 &&
	    ref_parse(&r, name, &e) == 0 && judge(&run, &p, NULL, &v, &e) == 0;
	out_line(ok ? &v : NULL, &r, digest, &e, out, outsz);
	net_free(&net);
	return e.code ? e.code : v.exit;
}

/* tests: judge_req on a hand-built requirement of type type (any number)
 * holding one inline GPG key, for q.io/a:1 without network */
int
iv_judge_req(int type, char *out, size_t outsz)
{
	static Run run;
	Blob key = { NULL, (const unsigned char *)"hi", 2, "test.keyData" };
	Result res = { NULL, 0, NULL, NULL, 0 };
	Err e = { 0, "" };
	Arena a;
	Req q;
	Ref r;

	if (ar_open(&a, out, outsz) < 0)
		return ExitUndecided;
	memset(&run, 0, sizeof(run));
	memset(&q, 0, sizeof(q));
	run.a = &a;
	run.policyfile = "policy.json";
	run.ref = &r;
	run.digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef";
	q.type = type;
	q.at = q.desc = "test";
	q.keys = &key;
	q.nkeys = 1;
	if (ref_parse(&r, "q.io/a:1", &e) == 0 && judge_req(&run, &q, &res,
	    &e) == 0)
		snprintf(out, outsz, "%s", res.detail ? res.detail : "(null)");
	else
		snprintf(out, outsz, "%s", e.msg);
	return e.code ? e.code : !res.ok;
}

/* tests: signedIdentity ident (JSON) for image and signed reference s:
 * 1 "ok", 0 and why, or the configuration error */
int
iv_judge_ident(const char *ident, const char *image, const char *s,
    char *out, size_t outsz)
{
	const char *why = "ok";
	Err e = { 0, "" };
	Arena a;
	Ident id;
	Json j;
	Ref r;
	int ok = 0;

	if (ar_open(&a, out, outsz) < 0)
		return ExitUndecided;
	if (json_parse(&j, &a, "ident", ident, strlen(ident), ExitConfig,
	    &e) == 0 && pol_ident(&j, 0, "signedIdentity", &id, &a, &e) == 0 &&
	    ref_parse(&r, image, &e) == 0)
		ok = ident_match(&id, &r, s, &a, &why);
	snprintf(out, outsz, "%s", e.code ? e.msg : why);
	return e.code ? -e.code : ok;
}

#ifdef IVLITE_FUZZ
/* tests/fuzz: one parser that meets untrusted bytes, by name, on d[0..n).
 * Only ever built into the fuzzers (make fuzz). */
#define FUZZ_DIGEST	"sha256:abababababababababababababababababababababab" \
	"abababababababababab"
static int
fuzz_scope(void *ctx, const char *key, size_t n)
{
	(void)ctx;
	return n == 0 && *key;
}

void
iv_fuzz(const char *target, const unsigned char *d, size_t n)
{
	static unsigned char keyring[8192];
	static size_t keyn;
	static Net net;
	static Keyring kr, fkr;
	static Signer sg;
	Err e = { 0, "" };
	char *s, out[64];
	const char *why, *x, *y;
	Cert chain;
	Conn *c = &net.conn[0];
	Arena a;
	Policy p;
	Regd g;
	Creds cr;
	Sigs sigs;
	Cand cand;
	Resp r;
	Opts o;
	Json j;
	Ref ref;
	Str st, b;
	size_t pos = 0;
	int sv[2], k, isnote;
	FILE *f;

	if (n > 65536 || ar_open(&a, out, sizeof(out)) < 0 || !(s = ar_alloc(&a,
	    n + 1, &e)))
		return;
	memcpy(s, d, n);
	s[n] = '\0';
	st.p = s;
	st.n = n;
	if (!strcmp(target, "ref")) {
		if (ref_parse(&ref, s, &e) == 0)
			ref_scopes(&ref, NULL, fuzz_scope, NULL);
		pol_lint(s, &isnote, &a, &e);
	} else if (!strcmp(target, "policy")) {
		if (pol_load(&p, &a, "f", s, n, &e) == 0 && ref_parse(&ref,
		    "q.io/a/b:1", &e) == 0)
			pol_scope(&p, &ref, NULL);
	} else if (!strcmp(target, "regd")) {
		memset(&g, 0, sizeof(g));
		if (ref_parse(&ref, "q.io:5000/a/b:1", &e) == 0 && (g.s =
		    ar_alloc(&a, MAX_REGD_SCOPES * sizeof(*g.s), &e)) &&
		    regd_file(&g, s, "f", &a, &e) == 0)
			regd_find(&g, &ref, NULL, &x, &k, &e);
	} else if (!strcmp(target, "auth")) {
		auth_doc(s, n, "f", "q.io/a/b", 4, &cr, &a, &e);
	} else if (!strcmp(target, "http")) {
		/* a response on a socket, as the client reads it */
		opt_parse(&o, 0, NULL, &e);
		o.deadline = now_ms() + 5000;
		net_init(&net, &a, &o);
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
			return;
		if (write(sv[1], d, n) != (ssize_t)n) {
			close(sv[0]);
			close(sv[1]);
			return;
		}
		close(sv[1]);
		memset(c, 0, offsetof(Conn, buf));
		c->fd = sv[0];
		c->net = &net;
		strcpy(c->name, "fuzz");
		if (http_head(c, &r, &a, &e) == 0 && http_body(c, &r, 0,
		    (Limit){ 4096, "MAX" }, &a, &e) == 0 && r.challenge) {
			Reg rg;

			memset(&rg, 0, sizeof(rg));
			reg_challenge(&rg, r.challenge, &a, &e);
		}
		close(sv[0]);
		c->fd = -1;
	} else if (!strcmp(target, "wwwauth")) {
		Reg rg;

		memset(&rg, 0, sizeof(rg));
		reg_challenge(&rg, s, &a, &e);
	} else if (!strcmp(target, "payload")) {
		pay_read(&st, &a, SST_TYPE, &x, &y, &why);
		pay_read(&st, &a, SS_TYPE, &x, &y, &why);
	} else if (!strcmp(target, "manifest")) {
		memset(&sigs, 0, sizeof(sigs));
		sst_manifest(&sigs, "f", s, n, &a, &e);
	} else if (!strcmp(target, "pem")) {
		while (cry_pem(s, n, &pos, NULL, &a, &b) > 0)
			trust_subject((unsigned char *)b.p, b.n, &st);
		pos = 0;
		while (cry_pem(s, n, &pos, "CERTIFICATE", &a, &b) > 0)
			;
		cry_cert_init(&chain);
		if (cry_certs(s, n, 0, &chain, 1, &a, &why) > 0) {
			Path pa;
			Cert *x;

			/* the blocks as a path, leaf first */
			pa.n = 0;
			for (x = &chain; x && x->raw.p && pa.n < (int)LEN(pa.c);
			    x = x->next)
				pa.c[pa.n++] = x;
			cry_nc(&pa);
			cry_sans(&chain, 1, &a);
			cry_san_has(&chain, 2, "a.example.com");
			cry_san_has(&chain, 2, "[::1]");
			cry_issuer(&chain, &a, &why);
		}
		cry_cert_free(&chain);
		pgp_dearmor(s, n, &a, &b, &why);
		b64_decode(&a, s, n, &b);
	} else if (!strcmp(target, "pgp")) {
		/* the fixture keyring, parsed once into its own arena */
		if (!keyn && (f = fopen("tests/fixtures/gpg/key.bin", "rb"))) {
			static Arena ka;

			keyn = fread(keyring, 1, sizeof(keyring), f);
			fclose(f);
			ka.cap = 1 << 20;
			b.p = (char *)keyring;
			b.n = keyn;
			if (!(ka.base = malloc(ka.cap)) || pgp_keyring(&fkr, &b,
			    "", &ka, &why) < 0)
				abort();
			pgp_judge(&fkr, 1700000000);
		}
		ss_verify(&fkr, &st, 1700000000, &a, &b, &x, &why);
		kr.n = kr.ns = 0;
		if (pgp_keyring(&kr, &st, "", &a, &why) == 0) {
			pgp_judge(&kr, 1700000000);
			for (k = 0; k < kr.n; k++)
				pgp_usable(&kr, &kr.k[k], 1700000000, k & 1, &a,
				    &why);
		}
		ss_keyring_free(&kr);
	} else if (!strcmp(target, "keyring")) {
		/* key blobs split at "\n%%\n", merged as ss_keyring merges
		 * the key files of a requirement, then a real signature by
		 * the fixture key gpg revoked (tests/fixtures/gpg/rk.*) */
		static unsigned char sig[4096];
		static size_t sn;
		char *piece = s, *q;

		if (!sn && (f = fopen("tests/fixtures/gpg/rk.sig", "rb"))) {
			sn = fread(sig, 1, sizeof(sig), f);
			fclose(f);
		}
		kr.n = kr.ns = 0;
		for (k = 0; piece && k < MAX_KEYS; k++) {
			for (q = piece; q + 4 <= s + n && memcmp(q, "\n%%\n", 4);
			    q++)
				;
			q = q + 4 <= s + n ? q : s + n;
			*q = '\0';
			if (pgp_dearmor(piece, (size_t)(q - piece), &a, &b,
			    &why) < 0 || pgp_keyring(&kr, &b, "", &a, &why) < 0)
				break;
			piece = q < s + n ? q + 4 : NULL;
		}
		pgp_judge(&kr, 1700000200);
		for (k = 0; k < kr.n; k++)
			pgp_usable(&kr, &kr.k[k], 1700000200, k & 1, &a, &why);
		b.p = (char *)sig;
		b.n = sn;
		ss_verify(&kr, &b, 1700000200, &a, &st, &x, &why);
		ss_keyring_free(&kr);
	} else if (!strcmp(target, "inflate")) {
		inf_packet(d, n, &a, &b, &why);
	} else if (!strcmp(target, "bundle")) {
		/* a bundle; the input, and a bundle's payload, as the statement
		 * of a verified envelope for the seeds' digest */
		static const char *ann[] = { "env", "prod" };
		BdlReq q;
		Bdl bd;

		memset(&q, 0, sizeof(q));
		q.ann = ann;
		q.nann = 1;
		if (bdl_parse(&st, &bd, &a, &why))
			bdl_statement(&bd.payload, &q, FUZZ_DIGEST, &a, &why);
		bdl_statement(&st, &q, FUZZ_DIGEST, &a, &why);
	} else if (!strcmp(target, "referrers")) {
		/* a referrers page, the same bytes as a referrer manifest, and
		 * as the Link header of a page */
		Referrers rs;
		Referrer rf;
		Reg rg;

		memset(&rs, 0, sizeof(rs));
		memset(&rf, 0, sizeof(rf));
		memset(&rg, 0, sizeof(rg));
		reg_refs_index(&rs, "f", s, n, &a, &e);
		rf.body = st;
		e.code = 0;
		reg_classify(&rf, "x", FUZZ_DIGEST, &a, &e);
		net.a = &a;
		rg.net = &net;
		strcpy(rg.host, "r.io");
		strcpy(rg.base, "https://r.io");
		e.code = 0;
		reg_next(&rg, s, &e);
	} else if (!strcmp(target, "tsa")) {
		/* a time-stamp over "hello" under the fixtures' TSA root */
		static Cert troots, tinter;
		static int tready;
		long long gt;

		if (!tready++) {
			static char pem[8192];
			size_t pn;

			cry_cert_init(&troots);
			cry_cert_init(&tinter);
			if ((f = fopen("tests/fixtures/tsa/root.pem", "rb"))) {
				pn = fread(pem, 1, sizeof(pem) - 1, f);
				fclose(f);
				mbedtls_x509_crt_parse(&troots, (unsigned char *)pem,
				    pn + 1);
			}
			if ((f = fopen("tests/fixtures/tsa/tsa.pem", "rb"))) {
				pn = fread(pem, 1, sizeof(pem) - 1, f);
				pem[pn] = '\0';
				fclose(f);
				mbedtls_x509_crt_parse(&tinter, (unsigned char *)pem,
				    pn + 1);
			}
		}
		tsa_verify(d, n, "hello", 5, &troots, &tinter, 0, &gt, &a, &why);
	} else if (!strcmp(target, "jws") || !strcmp(target, "cose")) {
		/* an envelope, its members, and (cose) the bytes as a CRL
		 * of the fixtures' TSA root */
		static Cert root;
		static int ready;
		const char *cty, *plug, *unk;
		long long t1, t2;
		Env env;
		int sa, rv;

		if (!ready++) {
			static char pem[8192];
			size_t pn;

			cry_cert_init(&root);
			if ((f = fopen("tests/fixtures/tsa/root.pem", "rb"))) {
				pn = fread(pem, 1, sizeof(pem) - 1, f);
				fclose(f);
				mbedtls_x509_crt_parse(&root, (unsigned char *)pem,
				    pn + 1);
			}
		}
		if ((target[0] == 'j' ? ntn_jws : ntn_cose)(&st, &env, &a, &why))
			ntn_members(&env, &sa, &t1, &t2, &cty, &plug, &unk, &a);
		if (target[0] == 'c' && root.raw.p)
			cry_crl(d, n, &root, &root, 1700000000, 0, &rv, &a, &why);
	} else if (!strcmp(target, "trustpolicy")) {
		Tp tp;

		ntn_tp("f", s, n, &tp, &a, &e);
	} else if (!strcmp(target, "trustroot")) {
		/* trusted_root.json, then its logs' checkpoints over the
		 * input's first line as an origin */
		Root tr;

		if (tr_load(&tr, NULL, st, &a, &e) == 0)
			for (k = 0; k < tr.ntlog; k++)
				tl_note(&tr.tlog[k], "o\n1\nAA==\n\n\xe2\x80\x94 o AAAAAAA=\n",
				    k & 1, (long long *)&pos, (unsigned char *)out, &a,
				    &why);
		tr_free(&tr);
	} else if (!strcmp(target, "checkpoint")) {
		/* a signed note, by the Rekor v1 (ECDSA) and v2 (Ed25519) keys
		 * of the public-good trusted root, under both rules */
		static const char *spki[2] = {
			"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9f"
			"AFwrkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RY"
			"tw==",
			"MCowBQYDK2VwAyEAt8rlp1knGwjfbcXAYPYAkn0XiLz1x8O4t0YkEhie244="
		};
		static Log lg[2];
		static Arena ka;
		unsigned char root[32];
		long long size;

		for (k = 0; k < 2 && !lg[k].key.ready; k++) {
			ka.cap = 1 << 16;
			if (!ka.base && !(ka.base = malloc(ka.cap)))
				abort();
			lg[k].url = k ? "https://log2025-1.rekor.sigstore.dev" :
			    "https://rekor.sigstore.dev";
			if (b64_decode(&ka, spki[k], strlen(spki[k]), &b) < 0 ||
			    log_key(&lg[k].key, (unsigned char *)b.p, b.n, k ?
			    "PKIX_ED25519" : "PKIX_ECDSA_P256_SHA_256") < 0)
				abort();
		}
		for (k = 0; k < 4; k++)
			tl_note(&lg[k & 1], s, k >> 1, &size, root, &a, &why);
	} else if (!strcmp(target, "regex")) {
		/* a pattern, then a subject after its first NUL... or itself */
		Rx rx;

		if (rx_compile(&rx, s, &a, &why) == 0) {
			x = memchr(d, 0, n) ? s + strlen(s) + 1 : s;
			rx_match(&rx, x, (size_t)(s + n - x), &a);
		}
	} else if (!strcmp(target, "rekor")) {
		memset(&cand, 0, sizeof(cand));
		memset(&sg, 0, sizeof(sg));
		cand.bundle = s;
		cand.payload = st;
		sst_rekor(&sg, &cand, &st, d, n, &a, (long long *)&pos, &why);
		sst_entry(&st, &cand, &st, d, n, &a, &why);
	} else if (!strcmp(target, "toml")) {
		/* a config.toml as -doctor reads it, its lookups, and the
		 * text as a per_verifier_timeout */
		static Toml t;
		double ns;

		memset(&t, 0, sizeof(t));
		t.a = &a;
		if (toml_read(&t, "f", s, n, &e) == 0) {
			toml_get(&t, IMAGES ".use_local_image_pull");
			toml_below(&t, IMAGES ".registry.mirrors");
			toml_below(&t, "plugins");
		}
		doc_duration(s, &ns);
	} else {
		json_parse(&j, &a, "f", s, n, ExitUndecided, &e);
	}
}
#endif
