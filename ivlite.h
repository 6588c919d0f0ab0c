/* ivlite.h - the test hooks: entry points into ivlite.c for the tests.
 *
 * They live in tests/hooks.c, which includes ivlite.c (built with
 * -DIVLITE_NO_MAIN), so the shipped binary carries none of them.
 *
 * Each takes text in and writes text out (NUL-terminated, cut to outsz),
 * and returns the exit status ivlite would use: 0 ok/accepted, 1 rejected,
 * 2 usage or configuration error, 3 could not decide.  On failure out holds
 * the error, without the "error: " prefix. */
#ifndef IVLITE_H
#define IVLITE_H

#include <stddef.h>

/* normalizes a docker reference: "alpine" -> "docker.io/library/alpine:latest" */
int iv_ref_normalize(const char *ref, char *out, size_t outsz);

/* loads a policy from text (file names it in errors); out: "N scopes" */
int iv_pol_load(const char *file, const char *text, char *out, size_t outsz);

/* why a transports.docker scope can never match (returns 1), or "" (0) */
int iv_pol_lint(const char *scope, char *out, size_t outsz);

/* the scope of policy text that applies to name (and digest, may be NULL) */
int iv_pol_scope(const char *text, const char *name, const char *digest,
    char *out, size_t outsz);

/* the whole judgement without network: out is the stdout line */
int iv_judge(const char *text, const char *name, const char *digest,
    char *out, size_t outsz);

/* the challenge a WWW-Authenticate value yields: "bearer realm=R
 * service=S scope=C error=E" ("-" for absent), or the error */
int iv_reg_challenge(const char *header, char *out, size_t outsz);

/* 1 if host (as in a URL: IPv6 in brackets) is loopback, else 0 */
int iv_url_loopback(const char *host);

/* credentials for name (a reference) from files (NULL-terminated):
 * "user:password from FILE, key K", "none", or the error */
int iv_auth_lookup(const char *const *files, const char *name, char *out,
    size_t outsz);

/* what the registries.d directory dir says for ref:
 * "lookaside=URL attach=0|1", or the error */
int iv_regd_lookup(const char *dir, const char *ref, char *out,
    size_t outsz);

/* one requirement of type number type (its row in ivlite.c's table of
 * requirement types, or any other number) with one inline GPG key, judged for q.io/a:1 without
 * network: 0 satisfied, 1 not (out: the detail), or the error's status */
int iv_judge_req(int type, char *out, size_t outsz);

/* signedIdentity ident (its JSON) for the image reference and the signed
 * reference s: 1 ("ok"), 0 (out says why), or minus the exit status of a
 * configuration error */
int iv_judge_ident(const char *ident, const char *image, const char *s,
    char *out, size_t outsz);

/* name constraints (RFC 5280, Go's matching): SAN name of form f (1
 * email, 2 DNS, 6 URI) against constraint cons: 1 within, 0 not, -1 the
 * name cannot be checked, -2 a malformed constraint */
int iv_nc_match(int f, const char *name, const char *cons);

/* Ed25519 (RFC 8032) with hex public key, message and signature: 1 if
 * the signature is valid */
int iv_ed25519(const char *pub, const char *msg, const char *sig);

/* an RFC 3161 time-stamp token (or TimeStampResp) tok over data, with
 * the PEM roots and intermediates inter (NULL: none): 1 valid (out: its
 * genTime in Unix seconds), 0 not (out: why), -1 unparsable PEM */
int iv_tsa_verify(const unsigned char *tok, size_t n, const char *data,
    const char *roots, const char *inter, char *out, size_t outsz);

/* POSIX ERE pat against the whole of s (ivlite's identity regexps): 1 a
 * match, 0 not, -1 pat does not compile (out: why) */
int iv_rx_match(const char *pat, const char *s, char *out, size_t outsz);

/* an OpenPGP compressed packet body (algorithm octet, then the data):
 * out gets the decompressed bytes or why not; their length, or -1 */
int iv_inflate(const unsigned char *body, size_t n, char *out,
    size_t outsz);

/* a simple-signing signature blob against OpenPGP keyring bytes (binary):
 * 1 accepted (out: the signer's fingerprint), 0 rejected (out: why), -2
 * a keyring that does not parse */
int iv_pgp_verify(const unsigned char *ring, size_t rn,
    const unsigned char *blob, size_t bn, char *out, size_t outsz);

/* caps the arena of the next iv_pgp_verify calls at cap bytes (0: the
 * whole ARENA_BYTES) */
void iv_pgp_arena(size_t cap);

/* tests/regfetch: ivlite's options, then "manifest REF", "blob REF
 * DIGEST" or "image REF"; out: "DIGEST MEDIATYPE SIZE" (manifest), "DIGEST
 * SIZE" (blob), both lines (image), or "error: …" */
int iv_reg_fetch(int argc, char **argv, char *out, size_t outsz);

#ifdef IVLITE_FUZZ
/* tests/fuzz: feeds d[0..n) to the parser named target: ref, policy,
 * regd, auth, http, wwwauth, payload, manifest, pem, pgp, keyring
 * (key blobs split at "\n%%\n", merged), inflate, rekor, json */
void iv_fuzz(const char *target, const unsigned char *d, size_t n);
#endif

#endif
