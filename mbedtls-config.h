/* mbedtls-config.h - the mbedTLS 2.28 configuration of `make static`:
 * only what ivlite uses, so the static binary stays small.  ivlite.c is
 * compiled with it too (MBEDTLS_CONFIG_FILE), so both agree on every
 * structure.  The normal `make` uses the system library and its
 * configuration instead. */
#ifndef IVLITE_MBEDTLS_CONFIG_H
#define IVLITE_MBEDTLS_CONFIG_H

/* system: a clock for certificate validity, x86-64/aarch64 bignum asm */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE

/* TLS 1.2 client only (mbedTLS 2.28 has no usable TLS 1.3): no server,
 * no DTLS, no renegotiation, no session resumption */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC
/* what registries and CDNs offer: ECDHE with ECDSA or RSA certificates,
 * AES-GCM (the cipher suites ivlite asks for, nothing else) */
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_CIPHERSUITES \
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, \
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, \
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, \
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
/* requests are small: a 4 KiB output buffer; records from servers can be
 * 16 KiB, so input keeps the full size */
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

/* ciphers and hashes: AES-GCM for TLS; SHA-1 for OpenPGP fingerprints
 * and old self-signatures; SHA-224/256/384/512 */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_GCM_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA1_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA512_C

/* public keys: RSA (PKCS#1 v1.5), ECDSA and ECDH on the NIST curves
 * (TLS key exchange offers P-256/384/521 only), brainpool for OpenPGP
 * keys; Ed25519 is ivlite's own */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_NIST_OPTIM
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

/* randomness for TLS from the kernel */
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C

/* left out on purpose: MBEDTLS_ERROR_C (60 KiB of messages; ivlite then
 * prints the error number), MBEDTLS_FS_IO (ivlite reads its files), the
 * network module (ivlite has its own sockets), every server, DTLS, DES,
 * MD5, CCM, ChaCha20 and self-test */

#include "mbedtls/check_config.h"

#endif
