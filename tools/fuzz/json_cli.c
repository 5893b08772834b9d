// SPDX-License-Identifier: GPL-2.0
/*
 * json_cli FILE...: parse each fuzz-json input (first byte = selector,
 * see fuzz_json.c) with vub_json_parse() and print
 * "<accepted 0|1> <file> <diagnostic>" for diff_json.py.
 */
#include <linux/errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	int i;

	for (i = 1; i < argc; i++) {
		struct vub_err err = { 0 };
		struct vub_json js;
		size_t n, len;
		FILE *f;
		int r;

		f = fopen(argv[i], "rb");
		if (!f)
			return 1;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		if (!n || n == sizeof(buf) - 1) {
			printf("skip %s\n", argv[i]);
			continue;
		}
		len = n - 1;
		if (buf[0] & 1)
			buf[1 + len++] = '\0';
		r = vub_json_parse(&js, buf + 1, len, &err);
		printf("%d %s %s\n", !r, argv[i], r ? err.msg : "-");
	}
	return 0;
}
