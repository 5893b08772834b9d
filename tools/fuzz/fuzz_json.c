// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the JSON subset parser and its accessors.
 *
 * The first input byte selects whether a NUL is appended (most inputs
 * should reach the grammar) or the bytes are parsed as they come (the
 * NUL-terminator and length rules).  Accepted documents are walked and
 * checked for internal consistency.
 */
#include <linux/errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static void walk(const struct vub_json *js, size_t len)
{
	static const char *const keys[] = {
		"capabilities", "max_msg_fds", "max_data_xfer_size", "pgsizes",
		"max_dma_maps", "twin_socket", "supported", "fd_index",
		"write_multiple", "migration", "a", "",
	};
	char buf[VUB_MAX_JSON_LEN * 2];
	int t, k, r;

	CHECK(js->ntok >= 1 && js->ntok <= VUB_JSON_MAX_TOKENS);
	CHECK(js->tok[0].next == js->ntok);
	for (t = 0; t < js->ntok; t++) {
		const struct vub_json_tok *tk = &js->tok[t];
		u64 u;
		s64 s;
		bool b;

		CHECK(tk->next > t && tk->next <= js->ntok);
		/* Scalars in the deepest container sit at MAX_DEPTH. */
		CHECK(tk->depth <= VUB_JSON_MAX_DEPTH);
		if (tk->type == VUB_JSON_OBJECT || tk->type == VUB_JSON_ARRAY)
			CHECK(tk->depth < VUB_JSON_MAX_DEPTH);
		if (t)
			CHECK(tk->depth >= 1);
		CHECK((size_t)tk->start + tk->len <= len);
		CHECK(vub_json_type(js, t) != VUB_JSON_NONE);
		if (vub_json_type(js, t) != VUB_JSON_OBJECT &&
		    vub_json_type(js, t) != VUB_JSON_ARRAY)
			CHECK(tk->next == t + 1);

		r = vub_json_get_u64(js, t, &u);
		CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
		r = vub_json_get_s64(js, t, &s);
		CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
		if (vub_json_type(js, t) == VUB_JSON_INT) {
			/* Every integer fits one of the two types. */
			CHECK(!vub_json_get_u64(js, t, &u) ||
			      !vub_json_get_s64(js, t, &s));
		}
		r = vub_json_get_bool(js, t, &b);
		CHECK(r == 0 || r == -EINVAL);

		r = vub_json_get_str(js, t, buf, sizeof(buf));
		if (vub_json_type(js, t) == VUB_JSON_STRING) {
			/* Decoding never fails with room, holds no NUL. */
			CHECK(r >= 0 && (size_t)r < sizeof(buf));
			CHECK(strlen(buf) == (size_t)r);
			/* A short buffer is refused, never overrun. */
			if (r > 0)
				CHECK(vub_json_get_str(js, t, buf, r) ==
				      -ENOSPC);
		} else {
			CHECK(r == -EINVAL);
		}

		for (k = 0; k < (int)(sizeof(keys) / sizeof(keys[0])); k++) {
			r = vub_json_obj_get(js, t, keys[k]);
			if (vub_json_type(js, t) != VUB_JSON_OBJECT)
				CHECK(r == -EINVAL);
			else
				CHECK(r == -ENOENT ||
				      (r > t && r < js->tok[t].next));
		}
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct vub_json js;
	struct vub_err err = { 0 };
	char *text;
	size_t len;
	int ret;

	if (!size)
		return 0;
	len = size - 1;
	/* Exactly sized heap copy so ASan sees any overread. */
	text = malloc(len + 1);
	if (!text)
		return 0;
	memcpy(text, data + 1, len);
	if (data[0] & 1)
		text[len++] = '\0';

	ret = vub_json_parse(&js, text, len, &err);
	if (ret) {
		CHECK(ret == -EPROTO);
		CHECK(err.msg != NULL);
		CHECK(err.offset <= len);
	} else {
		walk(&js, len);
	}
	free(text);
	return 0;
}
