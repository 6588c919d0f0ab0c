/* tests/countsig.c - an LD_PRELOAD library for the tests: counts the
 * ECDSA signature checks a dynamically linked ivlite makes (the entry
 * point libmbedcrypto's pk layer calls through its PLT, for ivlite's own
 * checks and mbedTLS's X.509 path validation alike) and writes the count
 * to the file $COUNTSIG_OUT at exit.  Nothing of it is in ivlite. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

typedef int Verify(void *, const unsigned char *, size_t,
    const unsigned char *, size_t);
static int n;

int
mbedtls_ecdsa_read_signature(void *ctx, const unsigned char *h, size_t hn,
    const unsigned char *sig, size_t sn)
{
	static Verify *real;

	if (!real && !(*(void **)&real = dlsym(RTLD_NEXT,
	    "mbedtls_ecdsa_read_signature")))
		abort();
	n++;
	return real(ctx, h, hn, sig, sn);
}

__attribute__((destructor)) static void
done(void)
{
	const char *out = getenv("COUNTSIG_OUT");
	FILE *f;

	if (out && (f = fopen(out, "w"))) {
		fprintf(f, "%d\n", n);
		fclose(f);
	}
}
