/* mbedtls-config.h - the mbedTLS configuration of `make static`: only
 * what ivlite uses, so the static binary stays small.  Written for 3.6
 * LTS, which tests/static builds; a 2.28 tree given as MBEDTLS_SRC builds
 * too (for comparison), without TLS 1.3.  ivlite.c is compiled with it
 * too (MBEDTLS_CONFIG_FILE), so both agree on every structure.  The
 * normal `make` uses the system library and its configuration instead. */
#ifndef IVLITE_MBEDTLS_CONFIG_H
#define IVLITE_MBEDTLS_CONFIG_H

/* mbedTLS 3 defines its version before it reads this file, 2.28 after */
#ifdef MBEDTLS_VERSION_NUMBER
#define IVLITE_MBEDTLS3
#endif

/* system: a clock for certificate validity, x86-64/aarch64 bignum asm */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE

/* a TLS client only: no server, no DTLS, no renegotiation, no session
 * resumption (a TLS 1.3 server's NewSessionTicket is dropped) */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC
/* TLS 1.2: what registries and CDNs offer, ECDHE with ECDSA or RSA
 * certificates and AES-GCM (the cipher suites ivlite asks for) */
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#ifdef IVLITE_MBEDTLS3
/* TLS 1.3 (3.x; 2.28's was a prototype): (EC)DHE key exchange only, no
 * PSK; it runs over PSA crypto, with HKDF, and RSA certificates sign with
 * RSA-PSS there; compatibility mode for middleboxes that expect 1.2 */
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_HKDF_C
#define MBEDTLS_PKCS1_V21
/* PSA crypto holds only what TLS 1.3 asks of it (ivlite's own calls and
 * TLS 1.2 use the modules below): its configuration is the PSA_WANT list
 * here, read again from this file, which its guard leaves empty then.
 * 3.4 KB less than PSA built from every module. */
#define MBEDTLS_PSA_CRYPTO_CONFIG
#define MBEDTLS_PSA_CRYPTO_CONFIG_FILE "mbedtls-config.h"
#define PSA_WANT_ALG_SHA_256 1
#define PSA_WANT_ALG_SHA_384 1
#define PSA_WANT_ALG_HMAC 1
#define PSA_WANT_ALG_HKDF_EXTRACT 1
#define PSA_WANT_ALG_HKDF_EXPAND 1
#define PSA_WANT_ALG_ECDH 1
#define PSA_WANT_ALG_GCM 1
#define PSA_WANT_ECC_SECP_R1_256 1
#define PSA_WANT_ECC_SECP_R1_384 1
#define PSA_WANT_ECC_SECP_R1_521 1
#define PSA_WANT_KEY_TYPE_DERIVE 1
#define PSA_WANT_KEY_TYPE_HMAC 1
#define PSA_WANT_KEY_TYPE_AES 1
#define PSA_WANT_KEY_TYPE_ECC_PUBLIC_KEY 1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_BASIC 1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_IMPORT 1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_EXPORT 1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_GENERATE 1
#define MBEDTLS_SSL_CIPHERSUITES \
	MBEDTLS_TLS1_3_AES_128_GCM_SHA256, \
	MBEDTLS_TLS1_3_AES_256_GCM_SHA384, \
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, \
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, \
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, \
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
#else
#define MBEDTLS_SSL_CIPHERSUITES \
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, \
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, \
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, \
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
#endif
/* requests are small: a 4 KiB output buffer; records from servers can be
 * 16 KiB, so input keeps the full size */
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

/* ciphers and hashes: AES-GCM for TLS; SHA-1 for OpenPGP fingerprints
 * and old self-signatures; SHA-224/256/384/512.  GCM only encrypts with
 * AES, and one table instead of four: 8.9 KB less, no instruction more
 * that make bench counts */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_BLOCK_CIPHER_NO_DECRYPT
#define MBEDTLS_GCM_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA1_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA512_C
#ifdef IVLITE_MBEDTLS3
/* 3.x splits SHA-224 from SHA-256 and SHA-384 from SHA-512 */
#define MBEDTLS_SHA224_C
#define MBEDTLS_SHA384_C
#endif

/* public keys: RSA (PKCS#1 v1.5), ECDSA and ECDH on the NIST curves
 * (TLS key exchange offers P-256/384/521 only), brainpool for OpenPGP
 * keys; Ed25519 is ivlite's own */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_NIST_OPTIM
/* No tables of multiples of each curve's generator: they cost 3.6 32 KB
 * of STATIC_BUDGET, which bundles, -doctor and -batch need, and save
 * 5.5M instructions of a P-256 verification (19.3M without, still under
 * 2.28's 20.6M) and 22M of a TLS run (75.3M against 2.28's 80.7M) */
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_ECP_DP_SECP224R1_ENABLED
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_SECP521R1_ENABLED
#define MBEDTLS_ECP_DP_BP256R1_ENABLED
#define MBEDTLS_ECP_DP_BP384R1_ENABLED
#define MBEDTLS_ECP_DP_BP512R1_ENABLED
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C

/* X.509 certificates, PEM and ASN.1, with key usage checks */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CHECK_KEY_USAGE
#define MBEDTLS_X509_CHECK_EXTENDED_KEY_USAGE
/* no text for certificates (3.x: 4.5 KB); ivlite says its own */
#define MBEDTLS_X509_REMOVE_INFO

/* randomness for TLS from the kernel */
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C

/* left out on purpose: MBEDTLS_ERROR_C (60 KiB of messages; ivlite then
 * prints the error number), MBEDTLS_FS_IO (ivlite reads its files), the
 * network module (ivlite has its own sockets), every server, DTLS, DES,
 * MD5, CCM, ChaCha20, self-test, TLS session tickets and PSK, and p256-m
 * (MBEDTLS_PSA_P256M_DRIVER_ENABLED: larger, and 4 times slower here
 * than the bignum P-256 with the tables above) */

#ifndef IVLITE_MBEDTLS3
#include "mbedtls/check_config.h"	/* 3.x checks after it adjusts */
#endif

#endif
