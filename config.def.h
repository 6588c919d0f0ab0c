/* ivlite configuration: `make` copies this file to config.h when that is
 * missing; edit config.h and rebuild.  Every default path and every limit
 * lives here; `ivlite -version` prints them all. */

/* default paths, each overridable on the command line */
static const char *policypath    = "/etc/containers/policy.json";
static const char *registriesdir = "/etc/containers/registries.d";
static const char *certsdir      = "/etc/containers/certs.d";
static const char *cafile        = "/etc/ssl/certs/ca-certificates.crt";

/* credentials, searched in containers/image's order for root; -auth FILE
 * replaces the whole list */
static const char *authfiles[] = {
	"/run/containers/0/auth.json",
	"/root/.config/containers/auth.json",
	"/root/.docker/config.json",
	NULL
};

/* registries reached over plain HTTP without -insecure (HOST[:PORT]) */
static const char *insecurehosts[] = {
	NULL
};

/* Verdict cache, off by default (CACHE_SECONDS 0).  With CACHE_SECONDS
 * > 0 an acceptance is remembered for that long in cachedir (created 0700;
 * ignored unless it is the running user's alone), and a pull of the same
 * image under the same policy, keys and registries.d is accepted without
 * the network.  The price: for that long a signature withdrawn from the
 * registry or lookaside still counts (README "Verdict cache"). */
static const char *cachedir      = "/var/cache/ivlite";
#define CACHE_SECONDS      0
#define MAX_CACHE_ENTRIES  1024          /* files in cachedir */

/* Audit mode: AUDIT 1 makes -audit the default (-audit=false undoes it).
 * Every image is judged as usual but every pull is allowed; stdout and
 * the verdict log say what would have been rejected or blocked.  For a
 * staged roll-out only: a node built so enforces nothing. */
#define AUDIT              0

/* Verdict log (-log FILE): one JSON line per verdict, appended; "" is
 * off.  Past MAX_LOG_BYTES the file is renamed to FILE.1 (one older
 * generation kept) and the next verdict starts a new one. */
static const char *logpath       = "";
#define MAX_LOG_BYTES      (8 << 20)     /* the log before it is rotated */

/* -batch: images on stdin, one a line */
#define MAX_BATCH_LINES    4096          /* images judged in one run */
#define MAX_BATCH_LINE     8192          /* one line (ctr's LABELS column) */

/* -doctor: containerd's configuration and verifier directory */
static const char *containerdconfig = "/etc/containerd/config.toml";
#define MAX_TOML_BYTES     (1 << 20)     /* config.toml, and each import */
#define MAX_TOML_KEYS      8192          /* keys, tables and array items per file */
#define MAX_TOML_DEPTH     16            /* nesting of arrays and inline tables */
#define MAX_TOML_FILES     32            /* config.toml and its imports */
#define MAX_BINDIR_FILES   64            /* entries of bin_dir */

/* whole-run budget for network work, seconds (containerd kills at 10 s) */
#define TIMEOUT_SECS       8
#define MAX_TIMEOUT_SECS   600           /* largest -timeout accepted */

/* hard limits: exceeding one is an error naming it, never a truncation */
#define ARENA_BYTES        (16 << 20)    /* all memory of one run */
#define MAX_REASON         4096          /* the stdout line; containerd reads 32 KiB */
#define MAX_QUOTE          200           /* untrusted text quoted in a reason */
#define MAX_POLICY_BYTES   (1 << 20)     /* policy.json */
#define MAX_KEY_BYTES      (1 << 20)     /* one key, keyring or CA file */
#define MAX_DESCRIPTOR_BYTES (64 << 10)  /* OCI descriptor on stdin */
#define MAX_JSON_TOKENS    65536         /* per JSON document */
#define MAX_JSON_DEPTH     32            /* nesting of arrays and objects */
#define MAX_SCOPES         4096          /* scopes per transport */
#define MAX_REQS           32            /* requirements per scope */
#define MAX_KEYS           32            /* entries of keyPaths, keyDatas… */
#define MAX_ARG_BYTES      4096          /* one command-line value */
#define MAX_INSECURE       32            /* -insecure options */
#define MAX_AUTH_BYTES     (1 << 20)     /* one auth.json / config.json */
#define MAX_CERTSD_FILES   64            /* files in certs.d/HOST[:PORT] */
#define MAX_CA_BYTES       (4 << 20)     /* a CA bundle (Debian's: 200 KiB) */
#define MAX_REGD_FILES     64            /* *.yaml files in registries.d */
#define MAX_REGD_BYTES     (1 << 20)     /* one registries.d file */
#define MAX_REGD_SCOPES    1024          /* scopes over all registries.d files */
#define MAX_WARNINGS       256           /* -check warnings shown (the rest counted) */
#define MAX_SIGS           64            /* layers of a sigstore attachment */
#define MAX_REFERRERS      64            /* an image's referrers, all pages: each
                                          * is a manifest fetched (sigstoreBundle) */
#define MAX_REFERRER_PAGES 8             /* referrers API pages (Link: rel="next") */
#define MAX_REFERRER_BYTES (128 << 10)   /* a referrers page or referrer manifest
                                          * (cosign's: 1 KiB; Talos caps at 128) */
#define MAX_BUNDLE_BYTES   (1 << 20)     /* one Sigstore bundle (cosign's: 1-10 KiB) */
#define MAX_SUBJECTS       1024          /* in-toto statement subjects (sigstore-go's) */
#define MAX_ENVELOPE_BYTES (1 << 20)     /* one notation signature envelope (notation's: 2-10 KiB) */
#define MAX_CHAIN_CERTS    8             /* certificates in a notation envelope's chain */
#define MAX_CBOR_DEPTH     16            /* nesting of a COSE envelope's CBOR */
#define MAX_STORE_FILES    64            /* files in one notation trust store directory */
#define MAX_CRL_BYTES      (4 << 20)     /* one CRL (notation's cap: 32 MiB) */
#define MAX_CRLS           8             /* CRLs fetched per run (notation revocation) */
#define MAX_TLOG_ENTRIES   32            /* a bundle's tlogEntries (sigstore-go's) */
#define MAX_TIMESTAMPS     32            /* a bundle's RFC 3161 timestamps (sigstore-go's) */
#define MAX_PROOF_HASHES   64            /* an inclusion proof's hashes (a 2^64 tree) */
#define MAX_NOTE_SIGS      100           /* signature lines of a checkpoint (x/mod's) */
#define MAX_ROOT_ENTRIES   64            /* logs, CAs, CT logs or TSAs of trusted_root.json */
#define MAX_REGEX_STATES   1024          /* instructions of one compiled identity regexp */
#define MAX_LOOKASIDE      128           /* lookaside signatures (containers/image's cap) */
#define MAX_INFLATE_BYTES  (1 << 20)     /* a decompressed GPG message */
#define MAX_PGP_KEYS       64            /* keys and subkeys of one signedBy */
#define MAX_PGP_SIGS       256           /* their self-signatures and revocations */
#define MIN_RSA_BITS       2048          /* smaller RSA keys refused (OpenPGP: skipped) */
#define CHECK_EXPIRY_DAYS  30            /* -check warns of certificates expiring sooner */
#define MAX_NC_CHECKS      250000        /* name-constraint comparisons per path (Go's) */

/* network: the registry client */
#define MAX_HEADER_BYTES   (64 << 10)    /* one response header block */
#define MAX_HEADER_LINE    (16 << 10)    /* one response header line */
#define MAX_HEADERS        100           /* response header fields */
#define MAX_REDIRECTS      10            /* hops per request */
#define MAX_MANIFEST_BYTES (4 << 20)     /* a manifest or index */
#define MAX_BLOB_BYTES     (4 << 20)     /* a signature payload or config */
#define MAX_TOKEN_BYTES    (1 << 20)     /* a token server's answer */
#define MAX_ERROR_BYTES    (64 << 10)    /* a non-2xx body (read, mostly ignored) */
#define MAX_CONNS          4             /* connections kept open for reuse */
#define MAX_TRUST          8             /* registries with TLS per run */
#define CONN_BUF           16384         /* input buffer per connection */
