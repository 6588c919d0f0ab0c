/* regfetch: the registry client alone, for the integration tests.
 * usage: regfetch [ivlite options] manifest REF | blob REF DIGEST | image REF */
#include <stdio.h>

#include "ivlite.h"

int
main(int argc, char **argv)
{
	static char out[8192];
	int code = iv_reg_fetch(argc, argv, out, sizeof(out));

	puts(out);
	return fflush(stdout) ? 3 : code;
}
