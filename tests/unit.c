/* unit tests: the reference parser, the policy parser and scope lookup,
 * called through ivlite.h.  Every case states its exact outcome.
 * usage: tests/unit [NAME]: only the test functions whose name contains
 * NAME (see tests[] at the end); each prints "ok - NAME (N checks)". */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ivlite.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define H64(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define DA "sha256:" H64("a")
#define DB "sha256:" H64("b")
#define DC "sha256:" H64("c")

static int passed, failed;

static void
check(int ok, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL unit.c:%d: ", line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* input, exit status, normalized form or the exact error */
static const struct {
	const char *in;
	int code;
	const char *out;
} refs[] = {
	{ "alpine", 0, "docker.io/library/alpine:latest" },
	{ "alpine:3.20", 0, "docker.io/library/alpine:3.20" },
	{ "library/alpine", 0, "docker.io/library/alpine:latest" },
	{ "org/app:1", 0, "docker.io/org/app:1" },
	{ "docker.io/alpine", 0, "docker.io/library/alpine:latest" },
	{ "docker.io/org/app", 0, "docker.io/org/app:latest" },
	{ "index.docker.io/x/y", 0, "docker.io/x/y:latest" },
	{ "index.docker.io/alpine", 0, "docker.io/library/alpine:latest" },
	{ "localhost/foo", 0, "localhost/foo:latest" },
	{ "localhost:5000/foo/bar:v1", 0, "localhost:5000/foo/bar:v1" },
	{ "127.0.0.1:5000/app:v1", 0, "127.0.0.1:5000/app:v1" },
	{ "[::1]:5000/app", 0, "[::1]:5000/app:latest" },
	{ "[2001:db8::1]/app:v1", 0, "[2001:db8::1]/app:v1" },
	{ "example.com/app@" DA, 0, "example.com/app@" DA },
	{ "example.com/app:v1@" DA, 0, "example.com/app:v1@" DA },
	{ "alpine@" DA, 0, "docker.io/library/alpine@" DA },
	{ "foo:5000", 0, "docker.io/library/foo:5000" },
	{ "Example.COM/app", 0, "Example.COM/app:latest" },
	{ "a__b/c-d/e.f_g---h", 0, "docker.io/a__b/c-d/e.f_g---h:latest" },
	{ "ex-ample.com:1/a", 0, "ex-ample.com:1/a:latest" },
	{ "x/y:_Tag.1-2", 0, "docker.io/x/y:_Tag.1-2" },
	{ "x@sha512:" H64("ab"), 0, "docker.io/library/x@sha512:" H64("ab") },
	{ "Foo", 2, "invalid reference \"Foo\": repository name must be "
	    "lowercase" },
	{ "quay.io/Org/app", 2, "invalid reference \"quay.io/Org/app\": "
	    "repository name must be lowercase" },
	{ "", 2, "invalid reference \"\": invalid repository name" },
	{ "a/", 2, "invalid reference \"a/\": invalid repository name" },
	{ "/a", 2, "invalid reference \"/a\": invalid repository name" },
	{ "a//b", 2, "invalid reference \"a//b\": invalid repository name" },
	{ "a:", 2, "invalid reference \"a:\": invalid tag" },
	{ "a:.x", 2, "invalid reference \"a:.x\": invalid tag" },
	{ "a@", 2, "invalid reference \"a@\": invalid digest" },
	{ "a@sha256:abc", 2, "invalid reference \"a@sha256:abc\": invalid "
	    "digest" },
	{ "a@sha256:" H64("A"), 2, "invalid reference \"a@sha256:" H64("A")
	    "\": invalid digest" },
	{ "a@md5:d41d8cd98f00b204e9800998ecf8427e", 2, "invalid reference "
	    "\"a@md5:d41d8cd98f00b204e9800998ecf8427e\": invalid digest" },
	{ "-a", 2, "invalid reference \"-a\": invalid repository name" },
	{ "a-", 2, "invalid reference \"a-\": invalid reference format" },
	{ "a___b", 2, "invalid reference \"a___b\": invalid reference "
	    "format" },
	{ "a._b", 2, "invalid reference \"a._b\": invalid reference format" },
	{ "exa_mple.com/foo", 2, "invalid reference \"exa_mple.com/foo\": "
	    "invalid domain" },
	{ "ex-.com/foo", 2, "invalid reference \"ex-.com/foo\": invalid "
	    "domain" },
	{ "host:/foo", 2, "invalid reference \"host:/foo\": invalid domain" },
	{ "[]/foo", 2, "invalid reference \"[]/foo\": invalid repository "
	    "name" },
	{ "[x]:1/foo", 2, "invalid reference \"[x]:1/foo\": invalid domain" },
	{ "[::1/foo", 2, "invalid reference \"[::1/foo\": invalid domain" },
	{ "a:b:c", 2, "invalid reference \"a:b:c\": invalid tag" },
	{ "a b", 2, "invalid reference \"a b\": invalid reference format" },
	{ "a\nb", 2, "invalid reference \"a\\x0ab\": invalid reference "
	    "format" },
	{ H64("a"), 2, "invalid reference \"" H64("a") "\": a 64-character "
	    "hexadecimal string is an image ID, not a name" },
	{ "x:" H64("ab") "c", 2, "invalid reference \"x:" H64("ab")
	    "c\": invalid tag" },
};

static void
test_refs(void)
{
	char out[1024], name[300];
	size_t i;
	int code;

	for (i = 0; i < LEN(refs); i++) {
		code = iv_ref_normalize(refs[i].in, out, sizeof(out));
		check(code == refs[i].code && !strcmp(out, refs[i].out),
		    __LINE__, "ref %s: got %d %s, want %d %s", refs[i].in,
		    code, out, refs[i].code, refs[i].out);
	}
	/* names up to 255 bytes, tags up to 128 */
	memset(name, 'a', sizeof(name));
	memcpy(name, "example.com/", 12);
	name[255] = '\0';
	check(iv_ref_normalize(name, out, sizeof(out)) == 0, __LINE__,
	    "255-byte name: %s", out);
	name[255] = 'a', name[256] = '\0';
	check(iv_ref_normalize(name, out, sizeof(out)) == 2 &&
	    strstr(out, "repository name longer than 255 bytes"), __LINE__,
	    "256-byte name: %s", out);
	memset(name, 'a', sizeof(name));
	memcpy(name, "x:", 2);
	name[2 + 128] = '\0';
	check(iv_ref_normalize(name, out, sizeof(out)) == 0, __LINE__,
	    "128-byte tag: %s", out);
	name[2 + 128] = 'a', name[2 + 129] = '\0';
	check(iv_ref_normalize(name, out, sizeof(out)) == 2, __LINE__,
	    "129-byte tag: %s", out);
}

#define ACC "[{\"type\":\"insecureAcceptAnything\"}]"
#define REJ "[{\"type\":\"reject\"}]"
#define POL(docker) "{\"default\":" REJ ",\"transports\":{\"docker\":{" \
	docker "}}}"
#define SB(extra) POL("\"q.io\":[{\"type\":\"signedBy\"," extra "}]")
#define SS(extra) POL("\"q.io\":[{\"type\":\"sigstoreSigned\"," extra "}]")
#define BD(extra) POL("\"q.io\":[{\"type\":\"sigstoreBundle\"," extra "}]")
#define NT(extra) POL("\"q.io\":[{\"type\":\"notationSigned\"," extra "}]")
#define DG(extra) POL("\"q.io\":[{\"type\":\"trustedDigests\"," extra "}]")
#define ID1 "\"identities\":[{\"issuer\":\"i\",\"subject\":\"s\"}]"
#define TR "\"trustedRootPath\":\"/t\""
#define BD_ONE ": exactly one of keyPath, keyPaths, keyData, keyDatas and " \
	"pki must be given, or identities (keyless)"
#define KP "\"keyPath\":\"/k\""
#define RK "\"rekorPublicKeyPath\":\"/r\""
#define FUL(x) "\"fulcio\":{" x "}"
#define PKI(x) "\"pki\":{" x "}"
#define AT "policy.json: transports.docker[\"q.io\"][0]"
#define TP(t, k) "{\"default\":" REJ ",\"transports\":{\"" t "\":{\"" k \
	"\":" ACC "}}}"
#define TE(t, k) "policy.json: transports." t "[\"" k "\"]: "
#define CLEAN "not a clean path (no \"//\", \".\", \"..\" or trailing \"/\")"
#define STORE "expected [GRAPHROOT] or [DRIVER@GRAPHROOT] first"
#define ATOMIC "expected HOST[/NAMESPACE[/STREAM[:TAG]]]"

/* policy text and the exact error ("" for a valid policy) */
static const struct {
	const char *text;
	const char *err;
} policies[] = {
	{ "{\"default\":" ACC "}", "" },
	{ POL("\"\":" ACC ",\"quay.io\":" REJ), "" },
	{ "{\"default\":" REJ ",\"transports\":{\"x\":{\"\":" ACC "}}}", "" },
	{ SB("\"keyType\":\"GPGKeys\"," KP), "" },
	{ SB("\"keyType\":\"signedByX509CAs\",\"keyPaths\":[\"/a\",\"/b\"],"
	    "\"signedIdentity\":{\"type\":\"matchRepository\"}"), "" },
	{ SB("\"keyType\":\"GPGKeys\",\"keyData\":\"aGVsbG8=\"") , "" },
	{ SS(KP ",\"signedIdentity\":{\"type\":\"remapIdentity\",\"prefix\":"
	    "\"q.io\",\"signedPrefix\":\"r.io:5000/a/b\"}"), "" },
	{ SS("\"keyDatas\":[\"aGk=\"],\"rekorPublicKeyData\":\"aGk=\""), "" },
	{ SS(FUL("\"caPath\":\"/c\",\"oidcIssuer\":\"https://i\","
	    "\"subjectEmail\":\"a@b\"") "," RK), "" },
	{ SS(PKI("\"caRootsData\":\"aGk=\",\"caIntermediatesPath\":\"/i\","
	    "\"subjectHostname\":\"h\"")), "" },
	{ SS(KP ",\"signedIdentity\":{\"type\":\"exactReference\","
	    "\"dockerReference\":\"q.io/a@" DA "\"}"), "" },
	{ SS(KP ",\"signedIdentity\":{\"type\":\"exactRepository\","
	    "\"dockerRepository\":\"q.io/a\"}"), "" },
	{ POL("\"q.io\":[{\"type\":\"signedBaseLayer\",\"baseLayerIdentity\":"
	    "{\"type\":\"matchExact\"}}]"), "" },
	{ " \n{\"default\":" ACC "}\n\n", "" },
	{ BD(KP), "" },
	{ NT("\"trustPolicyPath\":\"/etc/n/trustpolicy.json\""), "" },
	{ NT("\"trustPolicyPath\":\"t.json\",\"trustStoreDir\":\"/s\""),
	    "" },
	{ POL("\"q.io\":[{\"type\":\"notationSigned\"}]"), AT ": "
	    "\"trustPolicyPath\" is missing" },
	{ NT("\"trustPolicyPath\":\"\""), AT ".trustPolicyPath: must not be "
	    "empty" },
	{ NT("\"trustPolicyPath\":\"/t\",\"trustStoreDir\":\"\""), AT
	    ".trustStoreDir: must not be empty" },
	{ NT("\"trustPolicyPath\":\"/t\",\"level\":\"strict\""), AT ": "
	    "unknown field \"level\"" },
	{ DG("\"digests\":[\"" DA "\"]"), "" },
	{ DG("\"path\":\"/etc/d.json\""), "" },
	{ POL("\"q.io\":[{\"type\":\"trustedDigests\"}]"), AT ": exactly one "
	    "of digests and path must be given" },
	{ DG("\"digests\":[]"), AT ".digests: empty: it would allow no image" },
	{ DG("\"digests\":[\"sha256:AB\"]"), AT ".digests[0]: sha256:AB is "
	    "not a digest" },
	{ DG("\"digests\":[7]"), AT ".digests[0]: expected a string" },
	{ DG("\"path\":\"\""), AT ".path: must not be empty" },
	{ BD("\"keyDatas\":[\"aGk=\"],\"predicateTypes\":[\"https://slsa.dev/"
	    "provenance/v1\"],\"annotations\":{\"env\":\"prod\",\"x\":\"\"}"),
	    "" },
	{ BD(PKI("\"caRootsPath\":\"/c\",\"subjectEmail\":\"e\"")), "" },
	{ BD(TR ",\"identities\":[{\"issuer\":\"https://i\",\"subjectRegExp\":"
	    "\"^x$\",\"claims\":{\"sourceRepositoryURI\":\"https://g/o/r\"}}]"),
	    "" },
	{ BD(KP "," TR), "" },
	{ BD(KP "," PKI("\"caRootsPath\":\"/c\",\"subjectEmail\":\"e\"")), AT
	    BD_ONE },
	{ POL("\"q.io\":[{\"type\":\"sigstoreBundle\"}]"), AT BD_ONE },
	{ BD(TR), AT BD_ONE },
	{ BD(KP "," ID1 "," TR), AT ": identities (keyless) cannot be combined "
	    "with keys or pki" },
	{ BD(ID1), AT ": identities (keyless) need trustedRootPath" },
	{ BD(TR ",\"identities\":[]"), AT ".identities: want 1 to MAX_KEYS "
	    "(32) entries" },
	{ BD(TR ",\"identities\":[{\"issuer\":\"i\",\"issuerRegExp\":\"i\","
	    "\"subject\":\"s\"}]"), AT ".identities[0]: exactly one of issuer "
	    "and issuerRegExp, and one of subject and subjectRegExp, must be "
	    "given" },
	{ BD(TR ",\"identities\":[{\"issuer\":\"i\"}]"), AT ".identities[0]: "
	    "exactly one of issuer and issuerRegExp, and one of subject and "
	    "subjectRegExp, must be given" },
	{ BD(TR ",\"identities\":[{\"issuer\":\"i\",\"subject\":\"s\",\"x\":"
	    "1}]"), AT ".identities[0]: unknown field \"x\"" },
	{ BD(TR ",\"identities\":[{\"issuer\":\"i\",\"subject\":\"s\","
	    "\"claims\":{\"a\":1}}]"), AT ".identities[0].claims[0]: expected a "
	    "string, got a number, boolean or null" },
	{ BD(TR ",\"identities\":[1]"), AT ".identities[0]: expected an "
	    "object, got a number, boolean or null" },
	{ BD(TR ",\"identities\":[{\"issuer\":\"i\",\"subjectRegExp\":"
	    "\"^https://x/\\\\d+$\"}]"), AT ".identities[0].subjectRegExp: not a "
	    "POSIX extended regular expression ivlite reads: an escape POSIX "
	    "ERE does not have (\\d, \\w, back-references\xe2\x80\xa6) at byte 13" },
	{ BD(TR ",\"identities\":[{\"issuerRegExp\":\"(a|b\",\"subject\":"
	    "\"s\"}]"), AT ".identities[0].issuerRegExp: not a POSIX extended "
	    "regular expression ivlite reads: a ( without its ) at byte 5" },
	{ BD(TR ",\"identities\":[{\"issuer\":\"i\",\"subjectRegExp\":"
	    "\"*a\"}]"), AT ".identities[0].subjectRegExp: not a POSIX extended "
	    "regular expression ivlite reads: an operator with nothing before "
	    "it at byte 1" },
	{ BD(TR ",\"identities\":[{\"issuer\":\"i\",\"subject\":\"s\","
	    "\"claims\":{\"sourceRepo\":\"x\"}}]"), AT ".identities[0].claims: "
	    "unknown claim \"sourceRepo\" (sigstore-go's names: "
	    "sourceRepositoryURI, buildSignerURI\xe2\x80\xa6)" },
	{ BD(TR ",\"identities\":[{\"issuer\":\"\",\"subject\":\"s\"}]"),
	    AT ".identities[0].issuer: must not be empty" },
	{ BD("\"trustedRootPath\":\"\"," ID1), AT ".trustedRootPath: must not "
	    "be empty" },
	{ BD(KP ",\"predicateTypes\":[]"), AT ".predicateTypes: want 1 to "
	    "MAX_KEYS (32) entries" },
	{ BD(KP ",\"predicateTypes\":[\"\"]"), AT ".predicateTypes[0]: must "
	    "not be empty" },
	{ BD(KP ",\"predicateTypes\":\"x\""), AT ".predicateTypes: expected an "
	    "array, got a string" },
	{ BD(KP ",\"annotations\":{\"env\":1}"), AT ".annotations[0]: "
	    "expected a string, got a number, boolean or null" },
	{ BD(KP ",\"annotations\":{\"env\":\"a\",\"env\":\"b\"}"), AT
	    ".annotations: duplicate key \"env\"" },
	{ BD(KP ",\"annotations\":{\"\":\"a\"}"), AT ".annotations[0]: must "
	    "not be empty" },
	{ BD(KP ",\"signedIdentity\":{\"type\":\"matchRepository\"}"), AT
	    ": unknown field \"signedIdentity\"" },
	{ BD(FUL("\"caPath\":\"/c\"")), AT ": unknown field \"fulcio\"" },
	{ BD(KP "," RK), AT ": unknown field \"rekorPublicKeyPath\"" },
	{ BD(PKI("\"caRootsPath\":\"/c\"")), AT ".pki: at least one of "
	    "subjectEmail and subjectHostname must be given" },
	{ BD("\"keyPaths\":[]"), AT ".keyPaths: must not be empty" },

	{ "{}", "policy.json: \"default\" is missing" },
	{ "{\"transports\":{}}", "policy.json: \"default\" is missing" },
	{ "{\"default\":[]}", "policy.json: default: the list of requirements "
	    "must not be empty" },
	{ "{\"default\":{}}", "policy.json: top level.default: expected an "
	    "array, got an object" },
	{ "[]", "policy.json: top level: expected an object, got an array" },
	{ "{\"default\":" REJ ",\"extra\":1}", "policy.json: top level: "
	    "unknown field \"extra\"" },
	{ "{\"default\":" REJ ",\"default\":" REJ "}", "policy.json: top "
	    "level: duplicate field \"default\"" },
	{ "{\"default\":[{\"type\":\"rejectt\"}]}", "policy.json: default[0]"
	    ".type: unknown requirement type \"rejectt\"" },
	{ "{\"default\":[{\"type\":\"reject\",\"x\":1}]}", "policy.json: "
	    "default[0]: unknown field \"x\"" },
	{ "{\"default\":[{}]}", "policy.json: default[0]: \"type\" is "
	    "missing" },
	{ "{\"default\":[{\"type\":1}]}", "policy.json: default[0].type: "
	    "expected a string, got a number, boolean or null" },
	{ "{\"default\":[\"reject\"]}", "policy.json: default[0]: expected "
	    "an object, got a string" },
	{ "{\"default\":[{\"type\":\"reject\",\"type\":\"reject\"}]}",
	    "policy.json: default[0]: duplicate field \"type\"" },
	{ SB("\"keyType\":\"GPGKeys\",\"keyPth\":\"/x\""), AT ": unknown "
	    "field \"keyPth\"" },
	{ SB(KP), AT ": \"keyType\" is missing" },
	{ SB("\"keyType\":\"PGP\"," KP), AT ".keyType: unknown key type "
	    "\"PGP\"" },
	{ SB("\"keyType\":\"GPGKeys\""), AT ": exactly one of keyPath, "
	    "keyPaths and keyData must be given" },
	{ SB("\"keyType\":\"GPGKeys\"," KP ",\"keyData\":\"aGk=\""), AT ": "
	    "exactly one of keyPath, keyPaths and keyData must be given" },
	{ SB("\"keyType\":\"GPGKeys\",\"keyPath\":\"\""), AT ".keyPath: must "
	    "not be empty" },
	{ SB("\"keyType\":\"GPGKeys\",\"keyPaths\":[]"), AT ".keyPaths: must "
	    "not be empty" },
	{ SB("\"keyType\":\"GPGKeys\",\"keyPaths\":[\"/a\",1]"), AT
	    ".keyPaths[1]: expected a string, got a number, boolean or null" },
	{ SB("\"keyType\":\"GPGKeys\",\"keyData\":\"a!==\""), AT ".keyData: "
	    "not valid base64" },
	{ SB("\"keyType\":\"GPGKeys\",\"keyData\":\"aGk\""), AT ".keyData: "
	    "not valid base64" },
	{ SB("\"keyType\":\"GPGKeys\",\"keyDatas\":[\"aGk=\"]"), AT ": unknown "
	    "field \"keyDatas\"" },
	{ SB("\"keyType\":\"GPGKeys\"," KP ",\"signedIdentity\":{\"type\":"
	    "\"matchAll\"}"), AT ".signedIdentity.type: unknown "
	    "signedIdentity type \"matchAll\"" },
	{ SB("\"keyType\":\"GPGKeys\"," KP ",\"signedIdentity\":{\"type\":"
	    "\"matchExact\",\"dockerReference\":\"a:b\"}"), AT
	    ".signedIdentity: unknown field \"dockerReference\"" },
	{ SS(KP ",\"signedIdentity\":{\"type\":\"exactReference\"}"), AT
	    ".signedIdentity: \"dockerReference\" is missing" },
	{ SS(KP ",\"signedIdentity\":{\"type\":\"exactReference\","
	    "\"dockerReference\":\"Foo:1\"}"), AT ".signedIdentity."
	    "dockerReference: invalid reference \"Foo:1\": repository name "
	    "must be lowercase" },
	{ SS(KP ",\"signedIdentity\":{\"type\":\"exactReference\","
	    "\"dockerReference\":\"q.io/x\"}"), AT ".signedIdentity."
	    "dockerReference: \"q.io/x\" has neither a tag nor a digest" },
	{ SS(KP ",\"signedIdentity\":{\"type\":\"exactRepository\","
	    "\"dockerRepository\":\"q.io/x y\"}"), AT ".signedIdentity."
	    "dockerRepository: invalid reference \"q.io/x y\": invalid "
	    "reference format" },
	{ SS(KP ",\"signedIdentity\":{\"type\":\"remapIdentity\",\"prefix\":"
	    "\"https://q.io\",\"signedPrefix\":\"r.io\"}"), AT
	    ".signedIdentity.prefix: \"https://q.io\" is not a host[:port] or "
	    "host[:port]/path prefix" },
	{ SS(KP ",\"signedIdentity\":{\"type\":\"remapIdentity\",\"prefix\":"
	    "\"q.io\",\"signedPrefix\":\"r.io/A\"}"), AT ".signedIdentity."
	    "signedPrefix: \"r.io/A\" is not a host[:port] or "
	    "host[:port]/path prefix" },
	{ SS(KP ",\"signedIdentity\":{\"type\":\"remapIdentity\",\"prefix\":"
	    "\"q.io\"}"), AT ".signedIdentity: \"prefix\" and \"signedPrefix\" "
	    "must both be given" },
	{ SS("\"signedIdentity\":{\"type\":\"matchExact\"}"), AT ": exactly "
	    "one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki must "
	    "be given" },
	{ SS(KP "," FUL("\"caPath\":\"/c\"")), AT ": exactly one of keyPath, "
	    "keyPaths, keyData, keyDatas, fulcio and pki must be given" },
	{ SS("\"keyPaths\":[]"), AT ".keyPaths: must not be empty" },
	{ SS("\"keyDatas\":[\"aGk=\",\"\"]"), AT ".keyDatas[1]: must not be "
	    "empty" },
	{ SS(FUL("\"caPath\":\"/c\",\"oidcIssuer\":\"i\",\"subjectEmail\":"
	    "\"e\"")), AT ": fulcio needs one of rekorPublicKeyPath, "
	    "rekorPublicKeyPaths, rekorPublicKeyData or rekorPublicKeyDatas" },
	{ SS(PKI("\"caRootsPath\":\"/c\",\"subjectEmail\":\"e\"") "," RK), AT
	    ": rekorPublicKey* cannot be used with pki" },
	{ SS(KP "," RK ",\"rekorPublicKeyData\":\"aGk=\""), AT ": at most one "
	    "of rekorPublicKeyPath, rekorPublicKeyPaths, rekorPublicKeyData "
	    "and rekorPublicKeyDatas may be given" },
	{ SS(KP ",\"rekorPublicKeyPaths\":[]"), AT ".rekorPublicKeyPaths: "
	    "must not be empty" },
	{ SS(FUL("\"caPath\":\"/c\",\"subjectEmail\":\"e\"") "," RK), AT
	    ".fulcio: oidcIssuer and subjectEmail must both be given" },
	{ SS(FUL("\"caPath\":\"/c\",\"caData\":\"aGk=\",\"oidcIssuer\":\"i\","
	    "\"subjectEmail\":\"e\"") "," RK), AT ".fulcio: exactly one of "
	    "caPath and caData must be given" },
	{ SS(FUL("\"oidcIssuer\":\"i\",\"subjectEmail\":\"e\"") "," RK), AT
	    ".fulcio: exactly one of caPath and caData must be given" },
	{ SS(FUL("\"caPath\":\"/c\",\"oidcIssuer\":\"\",\"subjectEmail\":"
	    "\"e\"") "," RK), AT ".fulcio.oidcIssuer: must not be empty" },
	{ SS(FUL("\"caPath\":\"/c\",\"oidcIssuer\":\"i\",\"subjectEmail\":"
	    "\"e\",\"subjectHostname\":\"h\"") "," RK), AT ".fulcio: unknown "
	    "field \"subjectHostname\"" },
	{ SS(FUL("\"caPath\":\"/c\",\"oidcIssuer\":\"i\",\"subjectEmail\":"
	    "\"e\",\"\":1") "," RK), AT ".fulcio: unknown field \"\"" },
	{ SS(PKI("\"caRootsPath\":\"/c\"")), AT ".pki: at least one of "
	    "subjectEmail and subjectHostname must be given" },
	{ SS(PKI("\"caRootsPath\":\"/c\",\"subjectEmail\":\"e\","
	    "\"caIntermediatesPath\":\"/i\",\"caIntermediatesData\":\"aGk=\"")),
	    AT ".pki: at most one of caIntermediatesPath and "
	    "caIntermediatesData may be given" },
	{ SS(PKI("\"caRootsPath\":\"/c\",\"subjectEmail\":\"e\","
	    "\"oidcIssuer\":\"i\"")), AT ".pki: unknown field \"oidcIssuer\"" },
	{ SS(PKI("\"caRootsPath\":\"/c\",\"subjectEmail\":1")), AT
	    ".pki.subjectEmail: expected a string, got a number, boolean or "
	    "null" },
	{ POL("\"q.io\":[{\"type\":\"signedBaseLayer\"}]"), AT ": "
	    "\"baseLayerIdentity\" is missing" },
	{ POL("\"q.io\":" ACC ",\"q.io\":" REJ), "policy.json: "
	    "transports.docker: duplicate key \"q.io\"" },
	{ "{\"default\":" REJ ",\"transports\":{\"docker\":[]}}", "policy.json"
	    ": transports[\"docker\"]: expected an object of scopes" },
	{ POL("\"q.io\":{}"), "policy.json: transports.docker[\"q.io\"]: "
	    "expected an array of requirements, got an object" },
	{ POL("\"q.io\":[]"), "policy.json: transports.docker[\"q.io\"]: the "
	    "list of requirements must not be empty" },
	{ "{\"default\":[{\"type\":\"reject\"},]}", "policy.json: line 1, "
	    "column 30: invalid JSON" },
	{ "{\"default\":[{\"type\":\"reject\"}],}", "policy.json: line 1, "
	    "column 31: invalid JSON" },
	{ "{\"default\":[{\"type\":\"reject\"}]} x", "policy.json: line 1, "
	    "column 33: invalid JSON" },
	{ "{\"default\":[{\"type\":\"reject\"}]}{}", "policy.json: line 1: "
	    "text after the JSON value" },
	{ "{\"default\":[{\"type\":\"reject\"}],\"transports\":tru}",
	    "policy.json: line 1, column 45: invalid JSON: not a number, true, "
	    "false or null" },
	{ "{\"default\":[{\"type\":\"reject\"}],\"x\":01}", "policy.json: line "
	    "1, column 36: invalid JSON: not a number, true, false or null" },
	{ "{\"default\":[{\"type\":\"reject\"}],\"x\":1.}", "policy.json: line "
	    "1, column 36: invalid JSON: not a number, true, false or null" },
	{ "{\"default\":[{\"type\":\"reject\"}],\"x\":-}", "policy.json: line "
	    "1, column 36: invalid JSON: not a number, true, false or null" },
	{ POL("\n\"a\\u0000\":" ACC), "policy.json: line 2: NUL or lone "
	    "surrogate in a string" },
	{ POL("\n\"a\\ud800\":" ACC), "policy.json: line 2: NUL or lone "
	    "surrogate in a string" },
	{ POL("\"\\u00e9\\ud83d\\ude00\\n\":" ACC ",\"\xc3\xa9\xf0\x9f"
	    "\x98\x80\\n\":" ACC), "policy.json: transports.docker: duplicate "
	    "key \"\\xc3\\xa9\\xf0\\x9f\\x98\\x80\\x5cn\"" },
	{ "{\"default\":[{\"type\":\"reject\"}],\n\n\"x\":\"\xc3\x28\"}",
	    "policy.json: line 3: control byte or invalid UTF-8 in a string" },
	{ "{\"default\":[{\"type\":\"reject\"}],\"x\":\"\xed\xa0\x80\"}",
	    "policy.json: line 1: control byte or invalid UTF-8 in a string" },
	{ "{\"default\":[{\"type\":\"reject\"}],\"x\":\"\t\"}", "policy.json: "
	    "line 1: control byte or invalid UTF-8 in a string" },
	{ "{\"default\":[{\"type\":\"reject\"}]", "policy.json: line 1: JSON "
	    "ends too early" },
	{ "", "policy.json: line 1: JSON ends too early" },
	{ "{\"default\" [{\"type\":\"reject\"}]}", "policy.json: line 1, "
	    "column 12: invalid JSON" },
	{ "{\"default\":[{\"type\":\"reject\"}],1:2}", "policy.json: line 1, "
	    "column 32: invalid JSON" },
	{ "{\"defa\\u0075lt\":[{\"type\":\"reject\"}]}", "policy.json: top "
	    "level: unknown field \"defa\\x5cu0075lt\"" },

	/* scopes of other transports, as containers/image v5.23 checks them
	 * (ValidatePolicyConfigurationScope): "" is always valid, unknown
	 * and stub (ostree) transports take anything */
	{ TP("dir", "/a/b"), "" },
	{ TP("dir", ""), "" },
	{ TP("oci", "/a/b:img"), "" },
	{ TP("oci-archive", "/x.tar"), "" },
	{ TP("sif", "/x.sif"), "" },
	{ TP("docker-archive", ""), "" },
	{ TP("tarball", ""), "" },
	{ TP("docker-daemon", "busybox:latest"), "" },
	{ TP("docker-daemon", "sha256:abc"), "" },
	{ TP("containers-storage", "[/var/lib/containers/storage]"), "" },
	{ TP("containers-storage", "[overlay@/var/lib/c]docker.io/library/"
	    "busybox:latest"), "" },
	{ TP("containers-storage", "[/s]busybox@" DA), "" },
	{ TP("containers-storage", "[/s]busybox@" H64("a")), "" },
	{ TP("containers-storage", "[/s]busybox:1@" DA "@" H64("b")), "" },
	{ TP("atomic", "host:5000"), "" },
	{ TP("atomic", "host/ns"), "" },
	{ TP("atomic", "host/ns/stream:tag"), "" },
	{ TP("ostree", "not/absolute"), "" },
	{ TP("x", "rel/../path//"), "" },
	{ TP("dir", "rel/path"), TE("dir", "rel/path") "not an absolute "
	    "path" },
	{ TP("dir", "/"), TE("dir", "/") "\"/\" is not a scope: the "
	    "default scope is \"\"" },
	{ TP("dir", "/a/b/"), TE("dir", "/a/b/") CLEAN },
	{ TP("dir", "/a//b"), TE("dir", "/a//b") CLEAN },
	{ TP("oci", "/a/./b"), TE("oci", "/a/./b") CLEAN },
	{ TP("oci-archive", "/a/../b"), TE("oci-archive", "/a/../b") CLEAN },
	{ TP("oci-archive", "x.tar"), TE("oci-archive", "x.tar") "not an "
	    "absolute path" },
	{ TP("sif", "/.."), TE("sif", "/..") CLEAN },
	{ TP("docker-archive", "/x"), TE("docker-archive", "/x") "only the "
	    "default scope \"\" is valid" },
	{ TP("tarball", "/x"), TE("tarball", "/x") "only the default scope "
	    "\"\" is valid" },
	{ TP("docker-daemon", DA), TE("docker-daemon", DA) "a digest (an "
	    "image ID) cannot be a scope" },
	{ TP("containers-storage", "foo"), TE("containers-storage", "foo")
	    STORE },
	{ TP("containers-storage", "[]foo"), TE("containers-storage", "[]foo")
	    STORE },
	{ TP("containers-storage", "[/s"), TE("containers-storage", "[/s")
	    STORE },
	{ TP("containers-storage", "[@/s]"), TE("containers-storage", "[@/s]")
	    STORE },
	{ TP("containers-storage", "[rel]x"), TE("containers-storage",
	    "[rel]x") "the graph root is not an absolute path" },
	{ TP("containers-storage", "[overlay@rel]x"), TE("containers-storage",
	    "[overlay@rel]x") "the graph root is not an absolute path" },
	{ TP("containers-storage", "[/s@x]y"), TE("containers-storage",
	    "[/s@x]y") "the graph root is not an absolute path" },
	{ TP("containers-storage", "[/s]x@zz"), TE("containers-storage",
	    "[/s]x@zz") "the part after \"@\" is neither a digest nor an "
	    "image ID" },
	{ TP("containers-storage", "[/s]x@" H64("a") "@" DA),
	    TE("containers-storage", "[/s]x@" H64("a") "@" DA) "the part "
	    "after the first \"@\" is not a digest" },
	{ TP("containers-storage", "[/s]x@" DA "@" DB), TE("containers-storage",
	    "[/s]x@" DA "@" DB) "the part after the second \"@\" is not an "
	    "image ID" },
	{ TP("atomic", "a/b/c/d"), TE("atomic", "a/b/c/d") ATOMIC },
	{ TP("atomic", "a/b:c"), TE("atomic", "a/b:c") ATOMIC },
	{ TP("atomic", "a/b/c:d:e"), TE("atomic", "a/b/c:d:e") ATOMIC },
	/* the transport name is compared unescaped, as Go's decoder does */
	{ TP("d\\u0069r", "rel"), TE("dir", "rel") "not an absolute path" },
};

static void
test_policies(void)
{
	char out[4096];
	size_t i;
	int code;

	for (i = 0; i < LEN(policies); i++) {
		code = iv_pol_load("policy.json", policies[i].text, out,
		    sizeof(out));
		if (!*policies[i].err)
			check(code == 0, __LINE__, "policy %zu: want valid, "
			    "got %d %s", i, code, out);
		else
			check(code == 2 && !strcmp(out, policies[i].err),
			    __LINE__, "policy %zu:\n  got  %d %s\n  want 2 %s",
			    i, code, out, policies[i].err);
	}
}

static void
test_deep(void)
{
	char text[512], out[512];
	int code, i, n = 0;

	n += sprintf(text + n, "{\"default\":" REJ ",\"x\":");
	for (i = 0; i < 40; i++)
		text[n++] = '[';
	for (i = 0; i < 40; i++)
		text[n++] = ']';
	strcpy(text + n, "}");
	code = iv_pol_load("p", text, out, sizeof(out));
	check(code == 2 && !strcmp(out, "p: line 1: nested deeper than "
	    "MAX_JSON_DEPTH (32)"), __LINE__, "deep: %d %s", code, out);
}

#define S(k) "\"" k "\":" ACC
static const char scopepolicy[] = "{\"default\":" REJ ",\"transports\":{"
    "\"atomic\":{" S("quay.io/other") "},"
    "\"docker\":{" S("") "," S("docker.io") "," S("docker.io/library") ","
    S("docker.io/library/alpine") "," S("docker.io/library/alpine:3.20")
    "," S("docker.io/library/alpine@" DA) "," S("quay.io/org") ","
    S("quay.io/org/app:v1") "," S("localhost:5000") "," S("localhost") ","
    S("127.0.0.1:5000/team") "," S("registry.example.com:8443") ","
    S("*.example.com") "," S("*.com") "," S("a.b.example.net") ","
    S("*.b.example.net") "," S("[::1]:5000") ","
    S("ghcr.io/org/app@" DB) "}}}";
static const char nodefault[] = "{\"default\":" REJ ",\"transports\":{"
    "\"atomic\":{" S("quay.io") "},\"docker\":{" S("ghcr.io/org") "}}}";

#define D(k) "transports.docker[\"" k "\"]"
/* reference, -digest, scope */
static const struct {
	const char *pol, *name, *digest, *scope;
} scopes[] = {
	{ scopepolicy, "alpine", NULL, D("docker.io/library/alpine") },
	{ scopepolicy, "alpine:3.20", NULL, D("docker.io/library/alpine:3.20") },
	{ scopepolicy, "alpine:3.20", DA, D("docker.io/library/alpine@" DA) },
	{ scopepolicy, "alpine:3.19", DC, D("docker.io/library/alpine") },
	{ scopepolicy, "alpine@" DA, NULL, D("docker.io/library/alpine@" DA) },
	{ scopepolicy, "alpine@" DC, DC, D("docker.io/library/alpine") },
	{ scopepolicy, "docker.io/library/alpine:3.20", DA,
	    D("docker.io/library/alpine@" DA) },
	{ scopepolicy, "index.docker.io/library/alpine:3.20", NULL,
	    D("docker.io/library/alpine:3.20") },
	{ scopepolicy, "busybox", DA, D("docker.io/library") },
	{ scopepolicy, "library/busybox:1", NULL, D("docker.io/library") },
	{ scopepolicy, "org/app", NULL, D("docker.io") },
	{ scopepolicy, "docker.io/x/y:1", DA, D("docker.io") },
	{ scopepolicy, "localhost:5000", NULL, D("docker.io/library") },
	{ scopepolicy, "quay.io/org/app:v1", NULL, D("quay.io/org/app:v1") },
	{ scopepolicy, "quay.io/org/app:v1", DA, D("quay.io/org/app:v1") },
	{ scopepolicy, "quay.io/org/app:v2", NULL, D("quay.io/org") },
	{ scopepolicy, "quay.io/org/sub/app", NULL, D("quay.io/org") },
	{ scopepolicy, "quay.io/other/app", NULL, D("") },
	{ scopepolicy, "quay.io/organization/app", NULL, D("") },
	{ scopepolicy, "quay.io/org", NULL, D("quay.io/org") },
	{ scopepolicy, "localhost:5000/foo", NULL, D("localhost:5000") },
	{ scopepolicy, "localhost/foo", NULL, D("localhost") },
	{ scopepolicy, "localhost:5001/foo", NULL, D("") },
	{ scopepolicy, "127.0.0.1:5000/team/app:1", DB,
	    D("127.0.0.1:5000/team") },
	{ scopepolicy, "127.0.0.1:5000/teams/app", NULL, D("") },
	{ scopepolicy, "127.0.0.1:5000/other", NULL, D("") },
	{ scopepolicy, "registry.example.com:8443/x", NULL,
	    D("registry.example.com:8443") },
	{ scopepolicy, "registry.example.com:8443/x@" DC, NULL,
	    D("registry.example.com:8443") },
	{ scopepolicy, "registry.example.com/x", NULL, D("*.example.com") },
	{ scopepolicy, "registry.example.com:9999/x", NULL, D("*.example.com") },
	{ scopepolicy, "sub.registry.example.com:8443/x", NULL,
	    D("*.example.com") },
	{ scopepolicy, "a.b.example.com/x", NULL, D("*.example.com") },
	{ scopepolicy, "example.com/x", NULL, D("*.com") },
	{ scopepolicy, "foo.com/x", NULL, D("*.com") },
	{ scopepolicy, "Example.com/x", NULL, D("*.com") },
	{ scopepolicy, "a.b.example.net/x", NULL, D("a.b.example.net") },
	{ scopepolicy, "c.b.example.net/x", NULL, D("*.b.example.net") },
	{ scopepolicy, "b.example.net/x", NULL, D("") },
	{ scopepolicy, "[::1]:5000/app", NULL, D("[::1]:5000") },
	{ scopepolicy, "[::1]:5001/app", NULL, D("") },
	{ scopepolicy, "ghcr.io/org/app:1", DB, D("ghcr.io/org/app@" DB) },
	{ scopepolicy, "ghcr.io/org/app:1", DC, D("") },
	{ scopepolicy, "ghcr.io/org/app@" DB, NULL, D("ghcr.io/org/app@" DB) },
	{ scopepolicy, "ghcr.io/org/app:1@" DB, NULL,
	    D("ghcr.io/org/app@" DB) },
	{ nodefault, "quay.io/x", NULL, "default" },
	{ nodefault, "ghcr.io/org/a/b", DA, D("ghcr.io/org") },
	{ nodefault, "ghcr.io/orgs/a", DA, "default" },
};

static void
test_scopes(void)
{
	char out[1024];
	size_t i;
	int code;

	for (i = 0; i < LEN(scopes); i++) {
		code = iv_pol_scope(scopes[i].pol, scopes[i].name,
		    scopes[i].digest, out, sizeof(out));
		check(code == 0 && !strcmp(out, scopes[i].scope), __LINE__,
		    "scope of %s (%s): got %d %s, want %s", scopes[i].name,
		    scopes[i].digest ? scopes[i].digest : "no digest", code,
		    out, scopes[i].scope);
	}
}

/* docker scopes that can never match, and why ("" when they can) */
static const struct {
	const char *scope, *why;
} lints[] = {
	{ "", "" },
	{ "quay.io", "" },
	{ "localhost", "" },
	{ "localhost:5000", "" },
	{ "[::1]:5000", "" },
	{ "127.0.0.1:5000/team", "" },
	{ "quay.io/org", "" },
	{ "quay.io/org/app:v1", "" },
	{ "quay.io/org/app@" DA, "" },
	{ "docker.io", "" },
	{ "docker.io/library", "" },
	{ "docker.io/library/alpine:3", "" },
	{ "docker.io/alpine", "matches repositories under the alpine namespace "
	    "only (\"docker.io/alpine/…\"); the official image alpine is "
	    "\"docker.io/library/alpine\"" },
	{ "docker.io/bitnami", "matches repositories under the bitnami "
	    "namespace only (\"docker.io/bitnami/…\"); the official image "
	    "bitnami is \"docker.io/library/bitnami\"" },
	{ "index.docker.io/library", "never matches: scopes are fully "
	    "expanded names; did you mean \"docker.io/library\"?" },
	{ "index.docker.io/org", "never matches: scopes are fully "
	    "expanded names; did you mean \"docker.io/org\"?" },
	{ "*.example.com", "" },
	{ "*.com", "" },
	{ "alpine", "never matches: scopes are fully expanded names; did you "
	    "mean \"docker.io/library/alpine\"?" },
	{ "library/alpine", "never matches: scopes are fully expanded names; "
	    "did you mean \"docker.io/library/alpine\"?" },
	{ "myregistry", "never matches: scopes are fully expanded names; did "
	    "you mean \"docker.io/library/myregistry\"?" },
	{ "docker.io/alpine:3", "never matches: scopes are fully expanded "
	    "names; did you mean \"docker.io/library/alpine:3\"?" },
	{ "index.docker.io/org/app", "never matches: scopes are fully "
	    "expanded names; did you mean \"docker.io/org/app\"?" },
	{ "index.docker.io", "never matches: scopes are fully expanded names; "
	    "did you mean \"docker.io\"?" },
	{ "quay.io/Org", "never matches: invalid reference \"quay.io/Org\": "
	    "repository name must be lowercase" },
	{ "https://quay.io", "never matches: invalid reference "
	    "\"https://quay.io\": invalid domain" },
	{ "*.example.com:5000", "never matches: a wildcard is \"*.\" and a "
	    "domain, without port" },
	{ "*.", "never matches: a wildcard is \"*.\" and a domain, without "
	    "port" },
	{ "*example.com", "never matches: invalid reference \"*example.com\": "
	    "invalid repository name" },
};

static void
test_lint(void)
{
	char out[1024];
	size_t i;
	int code;

	for (i = 0; i < LEN(lints); i++) {
		code = iv_pol_lint(lints[i].scope, out, sizeof(out));
		check(code == (*lints[i].why != 0) && !strcmp(out,
		    lints[i].why), __LINE__, "lint %s: got %d %s, want %s",
		    lints[i].scope, code, out, lints[i].why);
	}
}

/* WWW-Authenticate value, exit status, what is chosen or the error */
static const struct {
	const char *in;
	int code;
	const char *out;
} challenges[] = {
	{ "Bearer realm=\"https://auth.docker.io/token\",service=\"registry."
	    "docker.io\"", 0, "bearer realm=https://auth.docker.io/token "
	    "service=registry.docker.io scope=- error=-" },
	{ "Bearer realm=\"https://a/t\",service=\"s\",scope=\"repository:"
	    "library/alpine:pull\",error=\"insufficient_scope\"", 0, "bearer "
	    "realm=https://a/t service=s scope=repository:library/alpine:pull "
	    "error=insufficient_scope" },
	{ "Basic realm=\"x\"", 0, "basic realm=x service=- scope=- error=-" },
	{ "Basic realm=\"b\", Bearer realm=\"https://a/t\",service=s", 0,
	    "bearer realm=https://a/t service=s scope=- error=-" },
	{ "Bearer realm=\"https://a/t\", Basic realm=\"b\"", 0, "bearer "
	    "realm=https://a/t service=- scope=- error=-" },
	{ "Bearer realm=\"https://a/t\",service=\"s\\\"q\\\\x\"", 0, "bearer "
	    "realm=https://a/t service=s\"q\\x scope=- error=-" },
	{ "BEARER REALM=\"https://a/t\"", 0, "bearer realm=https://a/t "
	    "service=- scope=- error=-" },
	{ "Bearer realm=https://a/t, service=s", 0, "bearer realm=https://a/t "
	    "service=s scope=- error=-" },
	{ "Bearer realm = \"https://a/t\" , scope=\"x y\"", 0, "bearer "
	    "realm=https://a/t service=- scope=x y error=-" },
	{ "Bearer realm=\"https://a/t\",service=\"\",scope=\"x\"", 0, "bearer "
	    "realm=https://a/t service= scope=x error=-" },
	{ "Digest realm=\"x\", nonce=\"n\", Basic realm=\"y\"", 0, "basic "
	    "realm=y service=- scope=- error=-" },
	{ "Negotiate abc", 0, "none realm=- service=- scope=- error=-" },
	{ "", 0, "none realm=- service=- scope=- error=-" },
	{ "Bearer service=\"s\"", 3, "h: Bearer challenge without an http(s) "
	    "realm" },
	{ "Bearer realm=\"ftp://x\"", 3, "h: Bearer challenge without an "
	    "http(s) realm" },
	{ "Bearer realm=\"https://a", 3, "h: unterminated quoted value in "
	    "WWW-Authenticate" },
	/* found by the fuzzer: a stray "=" once looped forever */
	{ "Bearer realm=\"https://a/t\", =x, = ,", 0, "bearer "
	    "realm=https://a/t service=- scope=- error=-" },
};

static void
test_challenges(void)
{
	char out[1024];
	size_t i;
	int code;

	for (i = 0; i < LEN(challenges); i++) {
		code = iv_reg_challenge(challenges[i].in, out, sizeof(out));
		check(code == challenges[i].code && !strcmp(out,
		    challenges[i].out), __LINE__, "challenge %s:\n  got  %d %s"
		    "\n  want %d %s", challenges[i].in, code, out,
		    challenges[i].code, challenges[i].out);
	}
}

/* registry-client.md §5: loopback is the name localhost, 127.0.0.0/8 and
 * ::1 as IP literals and their IPv4-mapped form, nothing else by spelling */
static const struct {
	const char *host;
	int loopback;
} loopbacks[] = {
	{ "localhost", 1 },
	{ "127.0.0.1", 1 },
	{ "127.255.255.254", 1 },
	{ "127.1.2.3", 1 },
	{ "[::1]", 1 },
	{ "[0:0:0:0:0:0:0:1]", 1 },
	{ "[::ffff:7f00:1]", 1 },
	{ "[::ffff:127.0.0.1]", 1 },
	{ "[::FFFF:7F01:203]", 1 },
	{ "127.attacker.example", 0 },
	{ "127.0.0.1.attacker.example", 0 },
	{ "127.", 0 },
	{ "127.1", 0 },		/* inet_aton would say 127.0.0.1 */
	{ "0177.0.0.1", 0 },
	{ "128.0.0.1", 0 },
	{ "126.255.255.255", 0 },
	{ "localhost.attacker.example", 0 },
	{ "localhostx", 0 },
	{ "LOCALHOST", 0 },
	{ "[::2]", 0 },
	{ "[::]", 0 },
	{ "[::ffff:8.8.8.8]", 0 },
	{ "[::ffff:807:0]", 0 },
	{ "[::127.0.0.1]", 0 },		/* IPv4-compatible: not loopback */
	{ "[64:ff9b::7f00:1]", 0 },
	{ "::1", 0 },			/* hosts keep their brackets */
	{ "[::1", 0 },
	{ "", 0 },
};

static void
test_loopback(void)
{
	size_t i;
	int r;

	for (i = 0; i < LEN(loopbacks); i++) {
		r = iv_url_loopback(loopbacks[i].host);
		check(r == loopbacks[i].loopback, __LINE__, "loopback %s: got "
		    "%d, want %d", loopbacks[i].host, r, loopbacks[i].loopback);
	}
}

static char *
tmpfile_with(const char *text)
{
	static char names[16][64];
	static int n;
	char *p = names[n++ % 16];
	FILE *f;
	int fd;

	strcpy(p, "/tmp/ivlite-unit-XXXXXX");
	if ((fd = mkstemp(p)) < 0 || !(f = fdopen(fd, "w")))
		return NULL;
	fputs(text, f);
	fclose(f);
	return p;
}

/* base64 of "u1:p1", "u2:p:2", "d:pw", "u:\0\0pw", "x" (no colon) */
#define U1 "dTE6cDE="
#define U2 "dTI6cDoy"
#define UD "ZDpwdw=="
#define UN "dToAAHB3"
#define UX "eA=="

static void
test_auth(void)
{
	const char *f1 = tmpfile_with("{\"auths\":{\"reg.io\":{\"auth\":\"" U1
	    "\"},\"reg.io/ns\":{\"auth\":\"" U2 "\"},\"h:5000/a\":{\"auth\":"
	    "\"" UX "\"}},\"credsStore\":\"desktop\"}");
	const char *f2 = tmpfile_with("{\"auths\":{\"https://index.docker.io/"
	    "v1/\":{\"auth\":\"" UD "\"},\"http://h:5000/v1/\":{\"auth\":\"" UN
	    "\"},\"registry-1.docker.io\":{\"auth\":\"" U1 "\"}}}");
	const char *f3 = tmpfile_with("{\"auths\":{\"reg.io\":{\"auth\":"
	    "\"!!\"}}}");
	const char *f4 = tmpfile_with("{\"credHelpers\":{\"reg.io\":\"ecr\"}}");
	const char *f5 = tmpfile_with("{\"auths\":{\"q.io\":{\"auth\":\"" U1
	    "\",\"identitytoken\":\"tok\"}}}");
	const char *f6 = tmpfile_with("[1]");
	/* found by the fuzzer: entries that are not objects */
	const char *f7 = tmpfile_with("{\"auths\":{\"q.io\":[1,2,[3],{\"a\":4}],"
	    "\"q.io/x\":\"s\"}}");
	const struct {
		const char *files[4];
		const char *name;
		int code;
		const char *out;	/* %s: the file that answers */
		int src;		/* its index in files */
	} cases[] = {
		{ { f1 }, "reg.io/ns/app", 0, "u2:p:2 from %s, key "
		    "\"reg.io/ns\"", 0 },
		{ { f1 }, "reg.io/other/app", 0, "u1:p1 from %s, key "
		    "\"reg.io\"", 0 },
		{ { f1 }, "reg.io/nsx/app", 0, "u1:p1 from %s, key \"reg.io\"", 0 },
		{ { f1 }, "q.io/x", 0, "none", 0 },
		{ { "/nonexistent/auth.json", f1 }, "reg.io/x", 0, "u1:p1 from "
		    "%s, key \"reg.io\"", 1 },
		{ { f2 }, "alpine", 0, "d:pw from %s, key "
		    "\"https://index.docker.io/v1/\"", 0 },
		{ { f2 }, "h:5000/x", 0, "u:pw from %s, key "
		    "\"http://h:5000/v1/\"", 0 },
		{ { f1, f2 }, "h:5000/a/b", 0, "u:pw from %s, key "
		    "\"http://h:5000/v1/\"", 1 },
		{ { f3 }, "reg.io/x", 2, "%s: auths[\"reg.io\"].auth: not valid "
		    "base64", 0 },
		{ { f4 }, "reg.io/x", 2, "credential helper \"ecr\" configured "
		    "for reg.io in %s is not supported; add an auths entry", 0 },
		{ { f5 }, "q.io/x", 0, "u1:p1 (identity token) from %s, key "
		    "\"q.io\"", 0 },
		{ { f6 }, "q.io/x", 2, "%s: expected a JSON object", 0 },
		{ { f7 }, "q.io/x/y", 0, "none", 0 },
	};
	char out[1024], want[1024];
	size_t i;
	int code;

	for (i = 0; i < LEN(cases); i++) {
		code = iv_auth_lookup(cases[i].files, cases[i].name, out,
		    sizeof(out));
		snprintf(want, sizeof(want), cases[i].out,
		    cases[i].files[cases[i].src]);
		check(code == cases[i].code && !strcmp(out, want), __LINE__,
		    "auth %zu (%s):\n  got  %d %s\n  want %d %s", i,
		    cases[i].name, code, out, cases[i].code, want);
	}
	unlink(f1), unlink(f2), unlink(f3), unlink(f4), unlink(f5);
	unlink(f6), unlink(f7);
}

/* a directory holding the given files (name, text, …, NULL) */
static const char *
tmpdir_with(const char *first, ...)
{
	static char dirs[8][64];
	static int n;
	char *d = dirs[n++ % 8], path[256];
	const char *name, *text;
	va_list ap;
	FILE *f;

	strcpy(d, "/tmp/ivlite-unit-XXXXXX");
	if (!mkdtemp(d))
		return NULL;
	va_start(ap, first);
	for (name = first; name; name = va_arg(ap, const char *)) {
		text = va_arg(ap, const char *);
		snprintf(path, sizeof(path), "%s/%s", d, name);
		if (!(f = fopen(path, "w")))
			break;
		fputs(text, f);
		fclose(f);
	}
	va_end(ap);
	return d;
}

#define DEFLOOK "lookaside=file:///var/lib/containers/sigstore"

static void
test_regd(void)
{
	const char *common = tmpdir_with("default.yaml",
	    "# This is a default registries.d configuration file.\n"
	    "#\n# lookaside: for reading/writing simple signing signatures\n"
	    "default-docker:\n#  lookaside: https://example.com/x\n"
	    "#  lookaside-staging: file:///mnt/x\n\n# docker:\n#\n"
	    "#   privateregistry.com:\n#    lookaside: https://p/\n", NULL);
	const char *rh = tmpdir_with(
	    "registry.access.redhat.com.yaml", "docker:\n"
	    "     registry.access.redhat.com:\n"
	    "         lookaside: https://access.redhat.com/webassets/docker/"
	    "content/sigstore\n",
	    "registry.redhat.io.yaml", "docker:\r\n     registry.redhat.io:\r\n"
	    "         sigstore: https://registry.redhat.io/containers/sigstore"
	    "\r\n         use-sigstore-attachments: true\r\n",
	    "x.yml", "this is ignored: [\n",
	    "y.yaml", "---\ndefault-docker:\n  use-sigstore-attachments: "
	    "no\n  lookaside: 'https://d/it''s'\ndocker:\n"
	    "  \"localhost:5000\":\n    use-sigstore-attachments: yes\n"
	    "  localhost:5000/ns:\n    lookaside: https://ns/ # a comment\n"
	    "  q.io: {lookaside: \"https://q/\", use-sigstore-attachments: On}\n"
	    "  empty.io:\n  r.io: {}\n  unknown.io:\n    whatever:\n"
	    "      nested: 1\n...\n", NULL);
	const char *brace = tmpdir_with("a.yaml", "{}\n", NULL);
	/* the spellings yaml.v3 reads: flow mappings across lines, JSON
	 * (compact as Nix writes it, indented with tabs and CRLF), "---"
	 * before a flow mapping, a flow mapping under its key, quoted keys */
	const char *flow = tmpdir_with("flow.yaml", "--- # registries.d\n"
	    "docker: {\n  \"localhost:5000\": {\n    lookaside: https://f/it's,"
	    "   # a comment\n    'use-sigstore-attachments': true\n  },\n"
	    "  q.io: {lookaside: 'https://q/', nested: {x: {y: z}}},\n"
	    "  empty.io: {},\n  n.io: {lookaside: , use-sigstore-attachments:"
	    "\n    false},\n}\ndefault-docker:\n  {lookaside: \"https://d/x # "
	    "y\"}\n", NULL);
	const char *json = tmpdir_with("a.yaml", "{\"docker\":{\"localhost:"
	    "5000\":{\"lookaside\":\"https:\\/\\/j\\/\",\"use-sigstore-"
	    "attachments\":true},\"q.io\":{\"lookaside\":null}},\"default-"
	    "docker\":{\"sigstore\":\"https://jd/\"}}",
	    "b.yaml", "\xef\xbb\xbf{\r\n\t\"docker\": {\r\n\t\t\"r.io\": "
	    "{\r\n\t\t\t\"lookaside\": \"file:///var/r\"\r\n\t\t}\r\n\t}"
	    "\r\n}\r\n",
	    "c.yaml", "--- {docker: {s.io: {lookaside: https://s/}}}\n...\n",
	    "d.yaml", "docker:\n  {t.io: {lookaside: https://t/}}\n",
	    "e.yaml", "'docker':\n  \"u.io\":\n    'lookaside': https://u/ # c\n",
	    "f.yaml", "docker: {v.io: {lookaside: https://v/}}\n---\ndocker: "
	    "{w.io: {lookaside: https://w/}}\n",
	    "g.yaml", "docker:\n  x.io :\n    lookaside:\thttps://x/\n    "
	    "use-sigstore-attachments: ~\n",
	    "h.yaml", "docker:\n  y.io:\n    lookaside: https://y/a 'b # c\n",
	    "i.yaml", "{\"docker\": {\"z.io\": {\"lookaside\": \"file:///caf"
	    "\\u00e9\\x2e\\u20ac\"}}}\n", NULL);
	const struct {
		const char *dir, *ref;
		int code;
		const char *out;
	} cases[] = {
		{ common, "q.io/x", 0, DEFLOOK " attach=0" },
		{ "/nonexistent/dir", "q.io/x", 0, DEFLOOK " attach=0" },
		{ brace, "q.io/x", 0, DEFLOOK " attach=0" },
		{ rh, "registry.access.redhat.com/ubi9/ubi:9", 0, "lookaside="
		    "https://access.redhat.com/webassets/docker/content/sigstore"
		    " attach=0" },
		{ rh, "registry.redhat.io/ubi9:9", 0, "lookaside=https://"
		    "registry.redhat.io/containers/sigstore attach=1" },
		{ rh, "localhost:5000/ns/app", 0, "lookaside=https://ns/ "
		    "attach=1" },
		{ rh, "localhost:5000/other", 0, "lookaside=https://d/it's "
		    "attach=1" },
		{ rh, "localhost/other", 0, "lookaside=https://d/it's attach=0" },
		{ rh, "q.io/x", 0, "lookaside=https://q/ attach=1" },
		{ rh, "empty.io/x", 0, "lookaside=https://d/it's attach=0" },
		{ rh, "r.io/x", 0, "lookaside=https://d/it's attach=0" },
		{ flow, "localhost:5000/app", 0, "lookaside=https://f/it's "
		    "attach=1" },
		{ flow, "q.io/x", 0, "lookaside=https://q/ attach=0" },
		{ flow, "empty.io/x", 0, "lookaside=https://d/x # y attach=0" },
		{ flow, "n.io/x", 0, "lookaside=https://d/x # y attach=0" },
		{ json, "localhost:5000/a", 0, "lookaside=https://j/ attach=1" },
		{ json, "q.io/x", 0, "lookaside=https://jd/ attach=0" },
		{ json, "r.io/x", 0, "lookaside=file:///var/r attach=0" },
		{ json, "s.io/x", 0, "lookaside=https://s/ attach=0" },
		{ json, "t.io/x", 0, "lookaside=https://t/ attach=0" },
		{ json, "u.io/x", 0, "lookaside=https://u/ attach=0" },
		{ json, "v.io/x", 0, "lookaside=https://v/ attach=0" },
		{ json, "w.io/x", 0, "lookaside=https://jd/ attach=0" },
		{ json, "x.io/x", 0, "lookaside=https://x/ attach=0" },
		{ json, "y.io/x", 0, "lookaside=https://y/a 'b attach=0" },
		{ json, "z.io/x", 0, "lookaside=file:///caf\xc3\xa9."
		    "\xe2\x82\xac attach=0" },
	};
	const struct {
		const char *text, *err;
	} bad[] = {
		{ "docker:\n  a.io: &x\n    lookaside: https://a\n",
		    "unsupported YAML value" },
		{ "docker:\n  a.io:\n    lookaside: |\n      https://a\n",
		    "unsupported YAML value" },
		{ "docker:\n  - a.io\n", "unsupported YAML (sequences" },
		{ "docker:\n\ta.io:\n", "tab in indentation" },
		{ "docker:\n  a.io:\n    lookaside: https://a\n    lookaside: "
		    "https://b\n", "duplicate key \"lookaside\"" },
		{ "docker:\n  a.io:\n    lookaside: https://a\n  multi line\n",
		    "unsupported YAML (expected \"key: value\"" },
		{ "docker:\n  a.io:\n    lookaside: https://a\n      x: 1\n",
		    "unexpected indentation" },
		{ "docker:\n  a.io:\n     lookaside: https://a\n    x: 1\n",
		    "inconsistent indentation" },
		{ "docker:\n  a.io:\n    use-sigstore-attachments: maybe\n",
		    "use-sigstore-attachments: expected true or false" },
		{ "docker:\n  a.io:\n    sigstore:\n      x: y\n",
		    "sigstore: expected a URL" },
		{ "docker: x\n", "docker: expected a mapping of scopes" },
		{ "docker:\n  a.io:\n    lookaside: \"https://a\n",
		    "unterminated quoted string" },
		{ "docker:\n  a.io:\n    lookaside: ftp://a\n",
		    "lookaside \"ftp://a\": want an http://, https:// or file:/// "
		    "URL" },
		{ "docker:\n  a.io: {lookaside: https://a, [x]: 1}\n",
		    "unsupported YAML (flow mapping)" },
		{ "? a\n", "unsupported YAML (sequences" },
		{ "docker: {\n  a.io: {\n    lookaside: [x]\n  }\n}\n",
		    ":3: unsupported YAML (flow mapping)" },
		{ "docker: {a.io: {lookaside: https://a\n    b}}\n",
		    ":2: unsupported YAML (flow mapping)" },
		{ "{\"docker\": {\"a.io\": {\"lookaside\": \"https://a\"}}\n",
		    ":2: flow mapping not closed by \"}\"" },
		{ "{\"docker\": {}}\ndocker: {}\n", ":2: text after the flow "
		    "mapping that is the document" },
		{ "--- docker: {}\n", ":1: unsupported YAML (a block mapping on "
		    "the --- line)" },
		{ "docker:\n  a.io:\n    use-sigstore-attachments: \"no\"\n",
		    ":3: use-sigstore-attachments: expected true or false, "
		    "unquoted" },
		{ "{\"docker\": {\"a.io\": {\"use-sigstore-attachments\": "
		    "\"true\"}}}", ":1: use-sigstore-attachments: expected true "
		    "or false, unquoted" },
		{ "docker: {a.io: {}} x\n", ":1: text after a flow mapping" },
		{ "docker: {a.io}\n", ":1: unsupported YAML (flow mapping)" },
		{ "docker: {a.io, b.io: {}}\n",
		    ":1: unsupported YAML (flow mapping)" },
		{ "{\"docker\"\n: {}}\n", ":1: unsupported YAML (flow mapping)" },
		{ "docker: {a.io: {lookaside: \"https://a\n  b\"}}\n",
		    ":1: unterminated quoted string" },
		{ "docker:\r  a.io: {}\n", ":1: CR not followed by LF" },
		{ "{a: {b: {c: {d: {e: {f: {g: {h: {i: 1}}}}}}}}}\n",
		    ":1: mappings nested deeper than 8" },
		{ "docker: {a.io: &x {}}\n", ":1: unsupported YAML (flow mapping)" },
		{ "{\"docker\": {\"a.io\": {\"lookaside\": \"https://a\",\n"
		    "  \"lookaside\": \"https://b\"}}}", ":2: duplicate key "
		    "\"lookaside\"" },
		{ "docker: {a.io: {}, 'a.io': {}}\n", "duplicate key \"a.io\"" },
		{ "docker:\n  a.io: {lookaside: https://a}\n    x: 1\n",
		    ":3: unexpected indentation" },
		{ "docker:\n  a.io: {lookaside: https://a}\n  {b.io: {}}\n",
		    ":3: unsupported YAML (sequences" },
		{ "docker: {a.io: {lookaside: x}\n", ":2: flow mapping not "
		    "closed" },
		{ "docker: {a.io: {lookaside: ftp://a}}\n", ":1: lookaside "
		    "\"ftp://a\": want an http://, https:// or file:/// URL" },
		{ "  ---\ndocker: {}\n", ":1: unsupported YAML (expected" },
		{ "docker:\n  ...\n", ":2: unsupported YAML (expected" },
		{ "{\"docker\": {\"a.io\": {\"lookaside\": "
		    "\"\\ud83d\\ude00\"}}}", ":1: unsupported escape in a "
		    "double-quoted string" },
		{ "{\"docker\": {\"a.io\": {\"lookaside\": \"\\u0000\"}}}",
		    ":1: unsupported escape in a double-quoted string" },
		{ "docker:\n  a.io:\n    Lookaside: https://a\n", ":3: "
		    "Lookaside: containers/image reads it as lookaside; write "
		    "lookaside" },
		{ "Docker: {}\n", ":1: Docker: containers/image reads it as "
		    "docker; write docker" },
		{ "docker:\n  a.io:\n    lookaside: https://a: b\n",
		    ":3: unsupported YAML value" },
		{ "docker:\n  a.io:\n    lookaside: https://a:\n",
		    ":3: unsupported YAML value" },
	};
	char out[1024], path[256];
	const char *d;
	size_t i;
	FILE *f;
	int code;

	for (i = 0; i < LEN(cases); i++) {
		code = iv_regd_lookup(cases[i].dir, cases[i].ref, out,
		    sizeof(out));
		check(code == cases[i].code && !strcmp(out, cases[i].out),
		    __LINE__, "regd %zu (%s):\n  got  %d %s\n  want %d %s", i,
		    cases[i].ref, code, out, cases[i].code, cases[i].out);
	}
	for (i = 0; i < LEN(bad); i++) {
		d = tmpdir_with("bad.yaml", bad[i].text, NULL);
		code = iv_regd_lookup(d, "a.io/x", out, sizeof(out));
		check(code == 2 && strstr(out, "/bad.yaml:") && strstr(out,
		    bad[i].err), __LINE__, "regd bad %zu: got %d %s, want %s",
		    i, code, out, bad[i].err);
	}
	d = tmpdir_with("a.yaml", "docker:\n  a.io:\n    lookaside: https://a\n",
	    "b.yaml", "docker:\n\n  a.io:\n    lookaside: https://a\n", NULL);
	code = iv_regd_lookup(d, "a.io/x", out, sizeof(out));
	check(code == 2 && strstr(out, "/b.yaml:3: \"a.io\" is also defined in")
	    && strstr(out, "/a.yaml"), __LINE__, "regd duplicate: %d %s",
	    code, out);
	/* a NUL byte, which yaml.v3 refuses, must not end the file early */
	d = tmpdir_with("a.yaml", "", NULL);
	snprintf(path, sizeof(path), "%s/a.yaml", d);
	if ((f = fopen(path, "w"))) {
		fwrite("docker: {}\n\0docker: {}\n", 1, 23, f);
		fclose(f);
	}
	code = iv_regd_lookup(d, "a.io/x", out, sizeof(out));
	check(code == 2 && strstr(out, "/a.yaml: a NUL byte"), __LINE__,
	    "regd NUL: %d %s", code, out);
	d = tmpdir_with("a.yaml", "default-docker:\n  lookaside: https://a\n",
	    "b.yaml", "default-docker:\n  lookaside: https://b\n", NULL);
	code = iv_regd_lookup(d, "a.io/x", out, sizeof(out));
	check(code == 2 && strstr(out, "default-docker is also defined in"),
	    __LINE__, "regd duplicate default: %d %s", code, out);
}

#define ID(t) "{\"type\":\"" t "\"}"
/* signedIdentity, image reference, signed reference, outcome ("ok" or
 * why) -- sigstore.md §10 */
static const struct {
	const char *ident, *image, *s;
	int ok;
	const char *why;
} idents[] = {
	{ ID("matchExact"), "q.io/a:1", "q.io/a:1", 1, "ok" },
	{ ID("matchExact"), "q.io/a:1", "q.io/a:2", 0, "identity q.io/a:2 does "
	    "not match q.io/a:1 (matchExact)" },
	{ ID("matchExact"), "q.io/a:1", "q.io/a", 0, "identity q.io/a does not "
	    "match q.io/a:1 (matchExact): cosign "
	    "signs the repository; use signedIdentity matchRepository" },
	{ ID("matchExact"), "q.io/a@" DA, "q.io/a@" DA, 1, "ok" },
	{ ID("matchExact"), "alpine", "docker.io/library/alpine:latest", 1,
	    "ok" },
	{ ID("matchExact"), "alpine", "index.docker.io/library/alpine", 0,
	    "identity index.docker.io/library/alpine does not match "
	    "docker.io/library/alpine:latest (matchExact): cosign signs the "
	    "repository; use signedIdentity matchRepository" },
	{ ID("matchRepoDigestOrExact"), "q.io/a:1", "q.io/a:1", 1, "ok" },
	{ ID("matchRepoDigestOrExact"), "q.io/a:1", "q.io/a", 0, "identity "
	    "q.io/a does not match q.io/a:1 (matchRepoDigestOrExact): cosign "
	    "signs the repository; use signedIdentity matchRepository" },
	{ ID("matchRepoDigestOrExact"), "q.io/a@" DA, "q.io/a:1", 1, "ok" },
	{ ID("matchRepoDigestOrExact"), "q.io/a@" DA, "q.io/a@" DB, 1, "ok" },
	{ ID("matchRepoDigestOrExact"), "q.io/a@" DA, "q.io/a", 0, "identity "
	    "q.io/a does not match q.io/a@" DA " (matchRepoDigestOrExact): cosign "
	    "signs the repository; use signedIdentity matchRepository" },
	{ ID("matchRepoDigestOrExact"), "q.io/a@" DA, "q.io/b:1", 0,
	    "identity q.io/b:1 does not match q.io/a@" DA
	    " (matchRepoDigestOrExact)" },
	{ ID("matchRepoDigestOrExact"), "q.io/a:1@" DA, "q.io/a:1", 1, "ok" },
	{ ID("matchRepository"), "q.io/a:1", "q.io/a", 1, "ok" },
	{ ID("matchRepository"), "q.io/a:1", "q.io/a:9", 1, "ok" },
	{ ID("matchRepository"), "q.io/a:1", "q.io/b", 0, "identity q.io/b "
	    "does not match q.io/a:1 (matchRepository)" },
	{ ID("matchRepository"), "busybox", "docker.io/library/busybox", 1,
	    "ok" },
	{ ID("matchRepository"), "busybox", "index.docker.io/library/busybox",
	    1, "ok" },
	{ ID("matchRepository"), "q.io/a:1", "Q.IO/a", 0, "identity Q.IO/a "
	    "does not match q.io/a:1 (matchRepository)" },
	{ ID("matchRepository"), "q.io/a:1", "not a ref!", 0, "identity \"not "
	    "a ref!\" is not a valid reference" },
	{ "{\"type\":\"exactReference\",\"dockerReference\":\"q.io/a:prod\"}",
	    "r.io/x:1", "q.io/a:prod", 1, "ok" },
	{ "{\"type\":\"exactReference\",\"dockerReference\":\"q.io/a:prod\"}",
	    "r.io/x:1", "q.io/a", 0, "identity q.io/a does not match "
	    "q.io/a:prod (exactReference)" },
	{ "{\"type\":\"exactRepository\",\"dockerRepository\":\"q.io/a\"}",
	    "r.io/x:1", "q.io/a:any", 1, "ok" },
	{ "{\"type\":\"exactRepository\",\"dockerRepository\":\"q.io/a\"}",
	    "r.io/x:1", "q.io/b", 0, "identity q.io/b does not match q.io/a "
	    "(exactRepository)" },
	{ "{\"type\":\"remapIdentity\",\"prefix\":\"mirror.io/ns\","
	    "\"signedPrefix\":\"q.io/org\"}", "mirror.io/ns/app:1",
	    "q.io/org/app:1", 1, "ok" },
	{ "{\"type\":\"remapIdentity\",\"prefix\":\"mirror.io/ns\","
	    "\"signedPrefix\":\"q.io/org\"}", "mirror.io/ns/app:1",
	    "mirror.io/ns/app:1", 0, "identity mirror.io/ns/app:1 does not "
	    "match q.io/org/app:1 (remapIdentity)" },
	{ "{\"type\":\"remapIdentity\",\"prefix\":\"mirror.io/ns\","
	    "\"signedPrefix\":\"q.io/org\"}", "mirror.io/nsx/app:1",
	    "mirror.io/nsx/app:1", 1, "ok" },
	{ "{\"type\":\"remapIdentity\",\"prefix\":\"mirror.io\","
	    "\"signedPrefix\":\"docker.io\"}", "mirror.io/busybox:1",
	    "docker.io/library/busybox:1", 0, "image reference remapped to "
	    "docker.io/busybox:1, which is not canonical "
	    "(docker.io/library/busybox:1)" },
	{ "{\"type\":\"remapIdentity\",\"prefix\":\"mirror.io\","
	    "\"signedPrefix\":\"docker.io\"}", "mirror.io/library/busybox:1",
	    "docker.io/library/busybox:1", 1, "ok" },
};

static void
test_idents(void)
{
	char out[1024];
	size_t i;
	int r;

	for (i = 0; i < LEN(idents); i++) {
		r = iv_judge_ident(idents[i].ident, idents[i].image,
		    idents[i].s, out, sizeof(out));
		check(r == idents[i].ok && !strcmp(out, idents[i].why),
		    __LINE__, "ident %zu (%s, %s):\n  got  %d %s\n  want %d "
		    "%s", i, idents[i].image, idents[i].s, r, out,
		    idents[i].ok, idents[i].why);
	}
}

/* name constraints with Go's matching (crypto/x509 verify.go): form,
 * SAN, constraint, 1 within, 0 not, -1 name uncheckable, -2 bad constraint */
static const struct {
	int form;
	const char *name, *cons;
	int want;
} ncs[] = {
	{ 2, "build.example.com", "example.com", 1 },
	{ 2, "example.com", "example.com", 1 },
	{ 2, "Build.EXAMPLE.com", "example.COM", 1 },
	{ 2, "build.notexample.com", "example.com", 0 },
	{ 2, "com", "example.com", 0 },
	{ 2, "example.com", ".example.com", 0 },
	{ 2, "a.example.com", ".example.com", 1 },
	{ 2, "*.example.com", "example.com", 1 },
	{ 2, "example.org", "", 1 },
	{ 2, "example.org", ".", 1 },
	{ 2, "x.example.", "example", -1 },
	{ 2, "a..example", "example", -1 },
	{ 2, "a.example", "..example", -2 },
	{ 2, "a.example", "example.", -2 },
	{ 2, "a.example", "ex ample", -2 },
	{ 1, "release@team-a.example", "team-a.example", 1 },
	{ 1, "release@ci.team-a.example", "team-a.example", 1 },
	{ 1, "release@team-a.example", ".team-a.example", 0 },
	{ 1, "release@ci.team-a.example", ".team-a.example", 1 },
	{ 1, "release@team-b.example", "team-a.example", 0 },
	{ 1, "release@xteam-a.example", "team-a.example", 0 },
	{ 1, "release@TEAM-A.example", "release@team-a.example", 1 },
	{ 1, "Release@team-a.example", "release@team-a.example", 0 },
	{ 1, "other@team-a.example", "release@team-a.example", 0 },
	{ 1, "a.b+c@team-a.example", "team-a.example", 1 },
	{ 1, "a@b@team-a.example", "team-a.example", 0 },
	{ 1, "\"q\"@team-a.example", "team-a.example", -1 },
	{ 1, "a..b@team-a.example", "team-a.example", -1 },
	{ 1, ".a@team-a.example", "team-a.example", -1 },
	{ 1, "@team-a.example", "team-a.example", -1 },
	{ 1, "release", "team-a.example", -1 },
	{ 1, "release@team-a.example", "@team-a.example", -2 },
	{ 6, "https://github.com/acme/app", "github.com", 1 },
	{ 6, "https://user@GitHub.com:443/x?y#z", "github.com", 1 },
	{ 6, "https://github.com.evil.example/x", "github.com", 0 },
	{ 6, "https://evilgithub.com/x", "github.com", 0 },
	{ 6, "https://api.github.com/x", ".github.com", 1 },
	{ 6, "https://github.com/x", ".github.com", 0 },
	{ 6, "spiffe://github.com", "github.com", 1 },
	{ 6, "urn:ivlite:x", "github.com", -1 },
	{ 6, "https:///x", "github.com", -1 },
	{ 6, "https://192.0.2.1/x", "github.com", -1 },
	{ 6, "https://[2001:db8::1]/x", "github.com", -1 },
	{ 6, "https://github.com:x/", "github.com", -1 },
	{ 6, "https://[1]/x", "github.com", -1 },
	{ 6, "https://%67ithub.com/x", "github.com", -1 },
	{ 6, "https://github.com/", "192.0.2.1", -2 },
	{ 6, "https://github.com/", "2001:db8::1", -2 },
};

static void
test_nc(void)
{
	size_t i;
	int r;

	for (i = 0; i < LEN(ncs); i++) {
		r = iv_nc_match(ncs[i].form, ncs[i].name, ncs[i].cons);
		check(r == ncs[i].want, __LINE__, "name constraint %zu: %s "
		    "against %s: got %d, want %d", i, ncs[i].name, ncs[i].cons,
		    r, ncs[i].want);
	}
}

/* RFC 8032 §7.1 vectors (1, 2, 3, SHA(abc)) and twins that must fail */
static void
test_ed25519(void)
{
	static const struct {
		const char *pub, *msg, *sig;
		int ok;
	} v[] = {
		{ "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f70751"
		  "1a", "", "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873"
		  "e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe2465"
		  "5141438e7a100b", 1 },
		{ "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af466"
		  "0c", "72", "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3"
		  "762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aee"
		  "b00d291612bb0c00", 1 },
		{ "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb9115489080"
		  "25", "af82", "6291d657deec24024827e69c3abe01a30ce548a284743a44"
		  "5e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed2"
		  "8dc027beceea1ec40a", 1 },
		{ "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2"
		  "bf", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64"
		  "b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94f"
		  "a54ca49f", "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69b"
		  "ea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9"
		  "bef1177331a704", 1 },
		/* message changed */
		{ "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af466"
		  "0c", "73", "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3"
		  "762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aee"
		  "b00d291612bb0c00", 0 },
		/* R changed */
		{ "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af466"
		  "0c", "72", "93a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3"
		  "762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aee"
		  "b00d291612bb0c00", 0 },
		/* S = S + L: the same point, refused as non-canonical */
		{ "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f70751"
		  "1a", "", "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873"
		  "e065224901554c8c7872aa064e049dbb3013fbf29380d25bf5f0595bbe2465"
		  "5141438e7a101b", 0 },
		/* public key y >= p */
		{ "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
		  "7f", "", "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873"
		  "e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe2465"
		  "5141438e7a100b", 0 },
		/* other key */
		{ "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb9115489080"
		  "25", "", "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873"
		  "e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe2465"
		  "5141438e7a100b", 0 },
	};
	size_t i;

	for (i = 0; i < LEN(v); i++)
		check(iv_ed25519(v[i].pub, v[i].msg, v[i].sig) == v[i].ok,
		    __LINE__, "ed25519 vector %zu: want %d", i, v[i].ok);
}

/* a fixture file into buf; its length, or 0 */
static size_t
fixture(const char *name, unsigned char *buf, size_t n)
{
	char path[256];
	FILE *f;
	size_t got;

	snprintf(path, sizeof(path), "tests/fixtures/%s", name);
	if (!(f = fopen(path, "rb")))
		return 0;
	got = fread(buf, 1, n, f);
	fclose(f);
	return got;
}

/* RFC 3161 time-stamps over "hello" made by openssl ts (tests/fixtures/tsa,
 * make.py there): each rule broken once, then every truncation and bit
 * flip of one (a flip may only pass where nothing signed it) */
static void
test_tsa(void)
{
	static unsigned char tok[4096], tmp[4096], pem[8][4096];
	static const char *pems[] = {
		"tsa/root.pem", "tsa/other-root.pem", "tsa/tsa.pem",
		"tsa/tsa-noncritical.pem", "tsa/tsa-two-ekus.pem", "tsa/tsa-ca.pem",
		"tsa/tsa-expired.pem", "tsa/rsa-root.pem"
	};
	static const char rule[] = "its signer's certificate is a CA or lacks "
	    "the one critical extended key usage time stamping";
	const struct {
		const char *tok, *data;
		int roots, inter, ok;	/* pems[], -1: none */
		const char *out;	/* NULL: the genTime */
	} cases[] = {
		{ "resp.tsr", "hello", 0, -1, 1, NULL },
		{ "resp.tsr", "hellO", 0, -1, 0, "it time-stamps other data "
		    "(message imprint)" },
		{ "resp.tsr", "hello", 1, -1, 0, "its signer's certificate: not "
		    "trusted (no path to the configured CA)" },
		{ "token.tst", "hello", 0, -1, 0, "its signer's certificate is "
		    "neither embedded nor trusted" },
		{ "token.tst", "hello", 0, 2, 1, NULL },
		{ "token.tst", "hello", 0, 3, 0, rule },
		{ "token.tst", "hello", 0, 4, 0, rule },
		{ "token.tst", "hello", 0, 5, 0, rule },
		{ "token.tst", "hello", 0, 6, 0, "" },	/* expired: below */
		{ "sha384.tsr", "hello", 0, -1, 1, NULL },
		{ "sha1.tsr", "hello", 0, -1, 0, "not a TSTInfo of version 1 "
		    "with a SHA-2 message imprint and a genTime" },
		{ "rsa.tsr", "hello", 7, -1, 1, NULL },
	};
	char out[512], when[64], expired[128], name[64], gen[64];
	long long t = 0;
	time_t tt;
	size_t i, n, k;
	int r, bad;

	n = fixture("tsa/resp.time", tok, sizeof(tok) - 1);
	tok[n] = '\0';
	t = strtoll((char *)tok, NULL, 10);
	check(t > 1700000000, __LINE__, "tsa/resp.time: %s", tok);
	tt = (time_t)t;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&tt));
	snprintf(expired, sizeof(expired), "its signer's certificate: not "
	    "valid at %s: expired", when);
	snprintf(when, sizeof(when), "%lld", t);
	for (i = 0; i < LEN(pems); i++) {
		n = fixture(pems[i], pem[i], sizeof(pem[i]) - 1);
		pem[i][n] = '\0';
		check(n > 0, __LINE__, "fixture %s missing", pems[i]);
	}
	for (i = 0; i < LEN(cases); i++) {
		/* X.tsr's genTime is in X.time (token.tst's is resp's) */
		snprintf(name, sizeof(name), "tsa/%.*s.time", (int)strcspn(
		    cases[i].tok, "."), cases[i].tok);
		n = fixture(name, tok, sizeof(tok) - 1);
		tok[n] = '\0';
		snprintf(gen, sizeof(gen), "%.20s", n ? (char *)tok : when);
		gen[strcspn(gen, "\n")] = '\0';
		snprintf(name, sizeof(name), "tsa/%s", cases[i].tok);
		n = fixture(name, tok, sizeof(tok));
		r = iv_tsa_verify(tok, n, cases[i].data,
		    (char *)pem[cases[i].roots], cases[i].inter < 0 ? NULL :
		    (char *)pem[cases[i].inter], out, sizeof(out));
		check(r == cases[i].ok && !strcmp(out, cases[i].out ?
		    *cases[i].out ? cases[i].out : expired : gen), __LINE__,
		    "case %zu (%s): %d %s", i, cases[i].tok, r, out);
	}
	n = fixture("tsa/resp.tsr", tok, sizeof(tok));
	for (k = 0, bad = 0; k < n; k++) {
		memcpy(tmp, tok, n);
		bad += iv_tsa_verify(tmp, k, "hello", (char *)pem[0], NULL, out,
		    sizeof(out)) != 0;
		tmp[k] ^= 0x04;
		r = iv_tsa_verify(tmp, n, "hello", (char *)pem[0], NULL, out,
		    sizeof(out));
		check(r != 1 || !strcmp(out, when), __LINE__, "flip %zu: %d %s",
		    k, r, out);
	}
	check(bad == 0, __LINE__, "%d truncations not refused", bad);
	memcpy(tmp, tok, n);
	tmp[n] = 0;
	r = iv_tsa_verify(tmp, n + 1, "hello", (char *)pem[0], NULL, out,
	    sizeof(out));
	check(r == 0 && !strcmp(out, "not a DER time-stamp token"), __LINE__,
	    "a byte after the token: %d %s", r, out);
	/* TimeStampResp { status { INTEGER 0 }: the status at byte 8 */
	check(n > 9 && tok[4] == 0x30 && tok[5] == 3 && tok[8] == 0, __LINE__,
	    "resp.tsr: status not where expected");
	tmp[8] = 2;
	r = iv_tsa_verify(tmp, n, "hello", (char *)pem[0], NULL, out,
	    sizeof(out));
	check(r == 0 && !strcmp(out, "the time-stamp response's status is not "
	    "granted"), __LINE__, "status rejection: %d %s", r, out);
}

/* Identity regexps: POSIX ERE over the whole string.  A table of exact
 * outcomes, then glibc's regcomp(3) as the oracle: every pattern below
 * anchored as ^(P)$ against every string must agree with ivlite's. */
static void
test_rx(void)
{
	static const struct {
		const char *pat, *s;
		int want;	/* 1, 0, or -1 with the error */
		const char *err;
	} cases[] = {
		{ "^https://github\\.com/acme/.*$", "https://github.com/acme/x", 1,
		    NULL },
		{ "github.com/acme/", "https://github.com/acme/x", 0, NULL },
		{ "https://github\\.com/acme/.*", "https://githubXcom/acme/", 0,
		    NULL },
		{ "a{2,3}", "aaaa", 0, NULL },
		{ "a{0}b", "b", 1, NULL },
		{ "(ab|cd)+e?", "abcdab", 1, NULL },
		{ "x|", "", 1, NULL },
		{ "[]a]+", "]a]", 1, NULL },
		{ "[^[:digit:]]*", "abc", 1, NULL },
		{ "[a-]*", "a-a", 1, NULL },
		{ ".", "\xc3\xa9", 0, NULL },	/* bytes: one character, two bytes */
		{ "\\d", "1", -1, "an escape POSIX ERE does not have (\\d, \\w, "
		    "back-references\xe2\x80\xa6) at byte 2" },
		{ "a)", "a", -1, "a ) without its ( at byte 1" },
		{ "[a", "a", -1, "a bracket expression without its ] at byte 2" },
		{ "[z-a]", "a", -1, "an invalid range in a bracket expression at "
		    "byte 4" },
		{ "a{3,2}", "a", -1, "an invalid {m,n} (at most 255) at byte 6" },
		{ "a{256}", "a", -1, "an invalid {m,n} (at most 255) at byte 6" },
		{ "[[:word:]]", "a", -1, "an unknown character class at byte 1" },
		{ "[[=a=]]", "a", -1, "[= =] and [. .] are not supported at byte 1" },
		{ "(((a{200}){200}){200})", "a", -1, "longer than MAX_REGEX_STATES "
		    "instructions at byte 15" },
		{ "a\\", "a", -1, "a trailing \\ at byte 3" },
	};
	static const char *pats[] = {
		"a*", "a+b?", "(a|b)*c", "a{2}", "a{1,3}b", "a{2,}", "(ab){0,2}",
		"[a-c]+[^a-c]", "^a$", "x|y|z", "(x|)y", "((a)|b)+", "a?a?aa",
		"[[:alpha:]][[:alnum:]_-]*", "\\.\\*\\+\\?\\[\\(\\{", ".*b.*",
		"(a*)*", "(a|ab)(c|bcd)(d*)", "[.]+", "[^.]*", "(^a|b)c",
		"a(b$|c)", "refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+",
	};
	static const char *strs[] = {
		"", "a", "aa", "aaa", "b", "ab", "abb", "aab", "abc", "abcd",
		"abcdd", "c", "ac", "bc", "xy", "y", "z", ".*+?[({", "a-1_x",
		"...", "ba", "refs/tags/v1.2.3", "refs/tags/v1.2.3-rc", "aaab",
	};
	char out[512], anch[128];
	regex_t re;
	size_t i, k;
	int r, g;

	for (i = 0; i < LEN(cases); i++) {
		r = iv_rx_match(cases[i].pat, cases[i].s, out, sizeof(out));
		check(r == cases[i].want && (r >= 0 || !strcmp(out,
		    cases[i].err)), __LINE__, "rx %s on %s: %d %s", cases[i].pat,
		    cases[i].s, r, r < 0 ? out : "");
	}
	for (i = 0; i < LEN(pats); i++) {
		snprintf(anch, sizeof(anch), "^(%s)$", pats[i]);
		if (regcomp(&re, anch, REG_EXTENDED | REG_NOSUB) != 0) {
			check(0, __LINE__, "glibc refuses %s", anch);
			continue;
		}
		for (k = 0; k < LEN(strs); k++) {
			g = regexec(&re, strs[k], 0, NULL, 0) == 0;
			r = iv_rx_match(pats[i], strs[k], out, sizeof(out));
			check(r == g, __LINE__, "%s on \"%s\": ivlite %d, glibc %d",
			    pats[i], strs[k], r, g);
		}
		regfree(&re);
	}
}

static void
test_inflate(void)
{
	static unsigned char in[4096], want[8192];
	static char out[1 << 16];
	static const char txt[] = "hello hello hello hello, simple signing\n";
	const struct {
		const char *file;
		int big;	/* the long text, else txt */
	} good[] = {
		{ "inflate/fixed.bin", 0 }, { "inflate/stored.bin", 0 },
		{ "inflate/none.bin", 0 }, { "inflate/dynamic.bin", 1 },
		{ "inflate/zlib.bin", 1 },
	};
	size_t n, i, wn = 0, k;
	int r;

	for (i = 0; i < 1024; i++)
		want[wn++] = (unsigned char)i;
	for (i = 0; i < 20; i++, wn += 45)
		memcpy(want + wn, "The quick brown fox jumps over the lazy dog. ",
		    45);
	for (i = 0; i < LEN(good); i++) {
		n = fixture(good[i].file, in, sizeof(in));
		r = iv_inflate(in, n, out, sizeof(out));
		check(n && (good[i].big ? (size_t)r == wn && !memcmp(out, want,
		    wn) : r == (int)strlen(txt) && !memcmp(out, txt,
		    strlen(txt))), __LINE__, "inflate %s: %d", good[i].file, r);
		/* every truncation and a flipped bit in each byte: an error or
		 * some output, never a crash (ASan watches) */
		for (k = 1; k < n; k++) {
			iv_inflate(in, k, out, sizeof(out));
			in[k] ^= 0x10;
			iv_inflate(in, n, out, sizeof(out));
			in[k] ^= 0x10;
		}
	}
	n = fixture("inflate/zlib.bin", in, sizeof(in));
	in[n - 1] ^= 1;
	r = iv_inflate(in, n, out, sizeof(out));
	check(r == -1 && !strcmp(out, "not a signature: corrupt compressed "
	    "data"), __LINE__, "zlib with a bad Adler-32: %d %s", r, out);
	n = fixture("inflate/fixed.bin", in, sizeof(in));
	in[n++] = 0;
	r = iv_inflate(in, n, out, sizeof(out));
	check(r == -1, __LINE__, "deflate with a trailing byte: %d", r);
	n = fixture("inflate/bomb.bin", in, sizeof(in));
	r = iv_inflate(in, n, out, sizeof(out));
	check(r == -1 && !strcmp(out, "not a signature: more than "
	    "MAX_INFLATE_BYTES decompressed"), __LINE__, "bomb: %d %s", r, out);
	n = fixture("inflate/bzip2.bin", in, sizeof(in));
	r = iv_inflate(in, n, out, sizeof(out));
	check(r == -1 && !strcmp(out, "unsupported compression bzip2"),
	    __LINE__, "bzip2: %d %s", r, out);
}

/* real gpg output (tests/fixtures/gpg: an Ed25519 key, a payload signed
 * ZIP-, ZLIB- and un-compressed), then every truncation and bit flip */
static void
test_pgp(void)
{
	static const char fpr[] = "1730145C429F9E488F23D8CB67B4A73F3782F595";
	static unsigned char key[4096], sig[4096], tmp[4096];
	static const char *sigs[] = { "gpg/s.zip", "gpg/s.zlib", "gpg/s.none" };
	char out[1024];
	size_t kn, sn, i, k;
	int r, bad;

	kn = fixture("gpg/key.bin", key, sizeof(key));
	check(kn > 0, __LINE__, "fixture gpg/key.bin missing");
	for (i = 0; i < LEN(sigs); i++) {
		sn = fixture(sigs[i], sig, sizeof(sig));
		r = iv_pgp_verify(key, kn, sig, sn, out, sizeof(out));
		check(r == 1 && !strcmp(out, fpr), __LINE__, "%s: %d %s",
		    sigs[i], r, out);
		for (k = 0, bad = 0; k < sn && i != 1; k++) {	/* zlib: as zip */
			memcpy(tmp, sig, sn);
			r = iv_pgp_verify(key, kn, tmp, k, out, sizeof(out));
			bad += r == 1;
			tmp[k] ^= 0x01;
			r = iv_pgp_verify(key, kn, tmp, sn, out, sizeof(out));
			/* a flip in the signature's unhashed area is harmless;
			 * anything that still verifies must name the key */
			check(r != 1 || !strcmp(out, fpr), __LINE__, "%s flip "
			    "%zu: %d %s", sigs[i], k, r, out);
		}
		check(bad == 0, __LINE__, "%s: %d truncations accepted",
		    sigs[i], bad);
		memcpy(tmp, sig, sn);
		/* a padding packet may follow (not after gpg's compressed
		 * packet, whose length runs to the end) */
		tmp[sn] = 0xc0 | 21;
		tmp[sn + 1] = 0;
		r = iv_pgp_verify(key, kn, tmp, sn + 2, out, sizeof(out));
		check(r == (i == 2), __LINE__, "%s + padding: %d %s", sigs[i],
		    r, out);
		tmp[sn] = 'x';
		r = iv_pgp_verify(key, kn, tmp, sn + 1, out, sizeof(out));
		check(r == 0 && strstr(out, "not a signature"), __LINE__,
		    "%s + garbage: %d %s", sigs[i], r, out);
	}
	for (k = 0; k < kn; k++) {	/* the keyring, truncated and flipped */
		memcpy(tmp, key, kn);
		iv_pgp_verify(tmp, k, sig, sn, out, sizeof(out));
		tmp[k] ^= 0x80;
		r = iv_pgp_verify(tmp, kn, sig, sn, out, sizeof(out));
		check(r != 1 || !strcmp(out, fpr), __LINE__, "key flip %zu: %d "
		    "%s", k, r, out);
	}
	r = iv_pgp_verify(key, kn, (const unsigned char *)"-----BEGIN PGP",
	    14, out, sizeof(out));
	check(r == 0 && !strcmp(out, "unrecognized signature format"),
	    __LINE__, "armored signature: %d %s", r, out);
	r = iv_pgp_verify(key, kn, (const unsigned char *)"\0sigstore-json\n{}",
	    17, out, sizeof(out));
	check(r == 0 && !strcmp(out, "a sigstore signature, not simple "
	    "signing"), __LINE__, "sigstore-json: %d %s", r, out);
	sn = fixture("gpg/s.zip", sig, sizeof(sig));
	r = iv_pgp_verify(sig, sn, sig, sn, out, sizeof(out));
	check(r == 0 && !strncmp(out, "unknown key ", 12), __LINE__,
	    "keyring without the key: %d %s", r, out);
}

/* Key material merged before it is judged (tests/fixtures/gpg/rk*: an
 * Ed25519 key gpg made at 1700000000, the revocation certificate gpg
 * wrote for it in openpgp-revocs.d (dearmored), payload.json signed
 * uncompressed, and the key exported after importing the certificate):
 * a revocation counts wherever it sits, and no arena size makes the
 * revoked key usable. */
static void
test_pgp_merge(void)
{
	static const char revoked[] = "key 11BC924516AC22B8D1929F7B1D5870A27D01F9CE "
	    "is revoked";
	static unsigned char key[1024], rev[1024], sig[1024], both[2048];
	char out[1024];
	size_t kn, rn, sn, bn, cap;
	int r, seen;

	kn = fixture("gpg/rk.bin", key, sizeof(key));
	rn = fixture("gpg/rk.rev", rev, sizeof(rev));
	sn = fixture("gpg/rk.sig", sig, sizeof(sig));
	check(kn && rn && sn, __LINE__, "fixtures gpg/rk.* missing");
	r = iv_pgp_verify(key, kn, sig, sn, out, sizeof(out));
	check(r == 1 && strlen(out) == 40 && !strncmp(out, revoked + 4, 40),
	    __LINE__, "rk.bin: %d %s", r, out);
	memcpy(both, key, kn);	/* the certificate after the key */
	memcpy(both + kn, rev, rn);
	r = iv_pgp_verify(both, kn + rn, sig, sn, out, sizeof(out));
	check(r == 0 && !strcmp(out, revoked), __LINE__, "rk.bin rk.rev: %d "
	    "%s", r, out);
	memcpy(both, rev, rn);	/* and before it */
	memcpy(both + rn, key, kn);
	r = iv_pgp_verify(both, kn + rn, sig, sn, out, sizeof(out));
	check(r == 0 && !strcmp(out, revoked), __LINE__, "rk.rev rk.bin: %d "
	    "%s", r, out);
	/* a certificate whose signature does not verify revokes nothing */
	memcpy(both, key, kn);
	memcpy(both + kn, rev, rn);
	both[kn + rn - 1] ^= 0x01;
	r = iv_pgp_verify(both, kn + rn, sig, sn, out, sizeof(out));
	check(r == 1, __LINE__, "rk.bin, corrupt rk.rev: %d %s", r, out);
	bn = fixture("gpg/rk-revoked.bin", both, sizeof(both));
	r = iv_pgp_verify(both, bn, sig, sn, out, sizeof(out));
	check(r == 0 && !strcmp(out, revoked), __LINE__, "rk-revoked.bin: "
	    "%d %s", r, out);
	/* every arena size: rejected with a reason, never accepted */
	for (cap = 1, seen = 0; cap <= 4096 && !seen; cap++) {
		iv_pgp_arena(cap);
		out[0] = '\0';
		r = iv_pgp_verify(both, bn, sig, sn, out, sizeof(out));
		check(r != 1 && out[0] && strcmp(out, "(null)"), __LINE__,
		    "rk-revoked.bin, arena %zu: %d %s", cap, r, out);
		seen = !strcmp(out, revoked);
	}
	iv_pgp_arena(0);
	check(seen, __LINE__, "rk-revoked.bin: never \"%s\" up to 4096 "
	    "bytes", revoked);
}

/* policy, reference, -digest, exit status, the stdout line */
static const struct {
	const char *pol, *name, *digest;
	int code;
	const char *line;
} judgements[] = {
	{ POL("\"docker.io/library\":" ACC), "alpine:3.20", DA, 0,
	    "accepted docker.io/library/alpine:3.20@" DA ": scope "
	    D("docker.io/library") ": insecureAcceptAnything" },
	{ POL("\"q.io\":" ACC), "q.io/a@" DA, DA, 0, "accepted q.io/a@" DA
	    ": scope " D("q.io") ": insecureAcceptAnything" },
	{ POL("\"q.io\":[{\"type\":\"insecureAcceptAnything\"},"
	    "{\"type\":\"insecureAcceptAnything\"}]"), "q.io/a", DA, 0,
	    "accepted q.io/a:latest@" DA ": scope " D("q.io")
	    ": insecureAcceptAnything; insecureAcceptAnything" },
	{ POL("\"q.io\":" ACC), "r.io/a", DA, 1, "rejected r.io/a:latest@" DA
	    ": scope default: reject: this scope rejects all images" },
	{ POL("\"q.io\":[{\"type\":\"insecureAcceptAnything\"},"
	    "{\"type\":\"reject\"}]"), "q.io/a", DA, 1, "rejected "
	    "q.io/a:latest@" DA ": scope " D("q.io") ": reject: this scope "
	    "rejects all images" },
	{ SB("\"keyType\":\"GPGKeys\"," KP), "q.io/a:1", DB, 2, "error: "
	    AT ".keyPath: /k: No such file or directory" },
	{ SB("\"keyType\":\"GPGKeys\",\"keyData\":\"aGk=\""), "q.io/a:1", DB,
	    2, "error: " AT ".keyData: not an OpenPGP keyring" },
	{ SB("\"keyType\":\"X509Certificates\"," KP), "q.io/a:1", DB, 1,
	    "rejected q.io/a:1@" DB ": scope " D("q.io") ": signedBy(keyPath="
	    "/k): only keyType GPGKeys is implemented (containers/image "
	    "rejects the others too)" },
	{ SS("\"keyPaths\":[\"/nonexistent/a\",\"/b\"]"), "q.io/a:1", DB, 2,
	    "error: " AT ".keyPaths[0]: /nonexistent/a: No such file or "
	    "directory" },
	{ SS("\"keyDatas\":[\"aGk=\"]"), "q.io/a:1", DB, 2, "error: " AT
	    ".keyDatas[0]: not a PEM public key" },
	{ SS(PKI("\"caRootsPath\":\"/nonexistent/c\",\"subjectEmail\":\"e\"")),
	    "q.io/a", DB, 2, "error: " AT ".pki.caRootsPath: /nonexistent/c: "
	    "No such file or directory" },
	{ SS(PKI("\"caRootsData\":\"aGk=\",\"subjectEmail\":\"e\"")), "q.io/a",
	    DB, 2, "error: " AT ".pki.caRootsData: holds no CERTIFICATE block" },
	{ POL("\"q.io\":[{\"type\":\"signedBaseLayer\",\"baseLayerIdentity\":"
	    "{\"type\":\"matchExact\"}}]"), "q.io/a", DB, 1, "rejected "
	    "q.io/a:latest@" DB ": scope " D("q.io") ": signedBaseLayer: not "
	    "implemented (containers/image rejects it too)" },
	{ BD("\"keyDatas\":[\"aGk=\"]"), "q.io/a:1", DB, 2, "error: " AT
	    ".keyDatas[0]: not a PEM public key" },
	{ BD(PKI("\"caRootsPath\":\"/nonexistent/c\",\"subjectEmail\":\"e\"")),
	    "q.io/a", DB, 2, "error: " AT ".pki.caRootsPath: /nonexistent/c: "
	    "No such file or directory" },
	/* keyless, and a log entry required: the trusted root is read
	 * before any network */
	{ BD(TR "," ID1), "q.io/a:1", DB, 2, "error: " AT ".trustedRootPath: "
	    "/t: No such file or directory" },
	{ BD(KP "," TR), "q.io/a:1", DB, 2, "error: " AT ".keyPath: /k: No "
	    "such file or directory" },
	{ POL("\"q.io\":" ACC), "q.io/A", DA, 2, "error: invalid reference "
	    "\"q.io/A\": repository name must be lowercase" },
	{ "{", "q.io/a", DA, 2, "error: policy.json: line 1: JSON ends too "
	    "early" },
};

static void
test_judge(void)
{
	char out[4096];
	size_t i;
	int code;

	for (i = 0; i < LEN(judgements); i++) {
		code = iv_judge(judgements[i].pol, judgements[i].name,
		    judgements[i].digest, out, sizeof(out));
		check(code == judgements[i].code && !strcmp(out,
		    judgements[i].line), __LINE__, "judge %zu:\n  got  %d %s"
		    "\n  want %d %s", i, code, out, judgements[i].code,
		    judgements[i].line);
	}
}

/* requirement types by number (ReqAccept = 0 …): a type judge_req does
 * not know is a rejection naming it, never judged as another type */
static void
test_judge_req(void)
{
	static const struct {
		int type, code;
		const char *out;
	} reqs[] = {
		{ 0, 0, "" },
		{ 1, 1, "this scope rejects all images" },
		{ 2, 2, "policy.json: test.keyData: not an OpenPGP keyring" },
		{ 3, 1, "not implemented (containers/image rejects it too)" },
		{ 5, 2, "policy.json: test.keyData: not a PEM public key" },
		{ 6, 2, "test: no trustPolicyPath" },
		{ 7, 1, "digest not in allowlist" },
		{ 8, 1, "unknown requirement type 8 (not judged)" },
		{ -1, 1, "unknown requirement type -1 (not judged)" },
		{ 1000, 1, "unknown requirement type 1000 (not judged)" },
	};
	char out[4096];
	size_t i;
	int code;

	for (i = 0; i < LEN(reqs); i++) {
		code = iv_judge_req(reqs[i].type, out, sizeof(out));
		check(code == reqs[i].code && !strcmp(out, reqs[i].out),
		    __LINE__, "judge_req type %d:\n  got  %d %s\n  want %d %s",
		    reqs[i].type, code, out, reqs[i].code, reqs[i].out);
	}
}

/* every test function by name: ./tests/unit NAME runs those whose name
 * contains NAME */
static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "refs", test_refs },
	{ "policies", test_policies },
	{ "deep", test_deep },
	{ "scopes", test_scopes },
	{ "lint", test_lint },
	{ "judge", test_judge },
	{ "judge_req", test_judge_req },
	{ "challenges", test_challenges },
	{ "loopback", test_loopback },
	{ "auth", test_auth },
	{ "regd", test_regd },
	{ "idents", test_idents },
	{ "nc", test_nc },
	{ "ed25519", test_ed25519 },
	{ "inflate", test_inflate },
	{ "tsa", test_tsa },
	{ "rx", test_rx },
	{ "pgp", test_pgp },
	{ "pgp_merge", test_pgp_merge },
};

int
main(int argc, char *argv[])
{
	const char *want = argc > 1 ? argv[1] : "";
	int p, f, ran = 0;
	size_t i;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: %s [NAME]\n", argv[0]);
		return 2;
	}
	for (i = 0; i < LEN(tests); i++) {
		if (!strstr(tests[i].name, want))
			continue;
		p = passed, f = failed;
		tests[i].fn();
		ran++;
		if (failed == f)
			printf("ok - %s (%d checks)\n", tests[i].name,
			    passed - p);
		else
			printf("FAIL - %s: %d of %d checks failed\n",
			    tests[i].name, failed - f, passed - p + failed - f);
	}
	if (!ran) {
		printf("unit: no test name contains \"%s\"; the names:", want);
		for (i = 0; i < LEN(tests); i++)
			printf(" %s", tests[i].name);
		putchar('\n');
		return 2;
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
