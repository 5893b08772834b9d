// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the vfio_user JSON subset parser (drivers/vfio_user/json.c).
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "json.h"

/* ---- rejected texts: one case per rule ------------------------------ */

struct json_reject_case {
	const char *name;
	const char *text;
	size_t len;		/* 0: strlen(text) + 1 (NUL included) */
	const char *msg;	/* expected diagnostic */
	size_t offset;		/* expected offset */
};

static const struct json_reject_case json_reject_cases[] = {
	{ "empty text", "", 0, "unexpected end of JSON text", 0 },
	{ "zero length", "", 0, NULL, 0 },
	{ "whitespace only", " \t\r\n", 0, "unexpected end of JSON text", 4 },
	{ "missing NUL terminator", "{}", 2, "JSON text not NUL-terminated", 2 },
	{ "NUL inside text", "{}\0{}", 6, "NUL byte inside JSON text", 2 },
	{ "trailing garbage", "{} x", 0, "trailing garbage after JSON value", 3 },
	{ "two top-level values", "1 2", 0, "trailing garbage after JSON value", 2 },
	{ "extra closing bracket", "[1]]", 0, "trailing garbage after JSON value", 3 },
	{ "unterminated object", "{", 0, "unexpected end of JSON text", 1 },
	{ "unterminated object after value", "{\"a\":1", 0, "unexpected end of JSON text", 6 },
	{ "unterminated array", "[1,", 0, "unexpected end of JSON text", 3 },
	{ "unterminated string", "\"abc", 0, "unterminated string", 0 },
	{ "backslash at end of string", "\"a\\", 0, "unterminated string", 0 },
	{ "missing colon", "{\"a\" 1}", 0, "expected ':'", 5 },
	{ "missing value", "{\"a\":}", 0, "unexpected character", 5 },
	{ "trailing comma in object", "{\"a\":1,}", 0, "expected object key", 7 },
	{ "trailing comma in array", "[1,]", 0, "unexpected character", 3 },
	{ "leading comma in array", "[,1]", 0, "unexpected character", 1 },
	{ "missing comma in array", "[1 2]", 0, "expected ',' or end of container", 3 },
	{ "mismatched close in array", "[1}", 0, "expected ',' or end of container", 2 },
	{ "mismatched close in object", "{]", 0, "expected object key", 1 },
	{ "non-string key", "{1:2}", 0, "expected object key", 1 },
	{ "single-quoted key", "{'a':1}", 0, "expected object key", 1 },
	{ "duplicate key", "{\"a\":1,\"a\":2}", 0, "duplicate key in object", 7 },
	{ "duplicate key via escape", "{\"a\":1,\"\\u0061\":2}", 0, "duplicate key in object", 7 },
	{ "duplicate key nested", "{\"o\":{\"k\":[],\"k\":{}}}", 0, "duplicate key in object", 13 },
	{ "duplicate key after container value",
	  "{\"a\":{\"x\":1},\"b\":2,\"a\":3}",
	  0, "duplicate key in object", 19 },
	{ "fraction", "1.5", 0, "floating-point number not supported", 0 },
	{ "fraction without digits", "1.", 0, "floating-point number not supported", 0 },
	{ "exponent", "1e3", 0, "floating-point number not supported", 0 },
	{ "capital exponent", "1E3", 0, "floating-point number not supported", 0 },
	{ "negative fraction", "-0.5", 0, "floating-point number not supported", 0 },
	{ "float as value", "{\"max_msg_fds\":8.0}", 0, "floating-point number not supported", 15 },
	{ "leading zero", "01", 0, "leading zero in number", 0 },
	{ "negative leading zero", "-01", 0, "leading zero in number", 0 },
	{ "lone minus", "-", 0, "invalid number", 0 },
	{ "minus without digit", "-a", 0, "invalid number", 0 },
	{ "plus sign", "+1", 0, "unexpected character", 0 },
	{ "hex number", "0x10", 0, "trailing garbage after JSON value", 1 },
	{ "u64 overflow", "18446744073709551616", 0, "integer out of range", 0 },
	{ "huge number", "123456789012345678901234567890", 0, "integer out of range", 0 },
	{ "s64 underflow", "-9223372036854775809", 0, "integer out of range", 0 },
	{ "NaN", "NaN", 0, "unexpected character", 0 },
	{ "Infinity", "Infinity", 0, "unexpected character", 0 },
	{ "truncated true", "tru", 0, "invalid literal", 0 },
	{ "capitalised True", "True", 0, "unexpected character", 0 },
	{ "misspelt false", "fals", 0, "invalid literal", 0 },
	{ "misspelt null", "nul", 0, "invalid literal", 0 },
	{ "literal with suffix", "nullx", 0, "trailing garbage after JSON value", 4 },
	{ "comment", "/* c */ {}", 0, "unexpected character", 0 },
	{ "invalid escape", "\"\\x\"", 0, "invalid escape in string", 1 },
	{ "capital U escape", "\"\\U0041\"", 0, "invalid escape in string", 1 },
	{ "escaped NUL", "\"\\u0000\"", 0, "\\u0000 not allowed", 1 },
	{ "short unicode escape", "\"\\u12\"", 0, "invalid \\u escape", 1 },
	{ "non-hex unicode escape", "\"\\u12G4\"", 0, "invalid \\u escape", 1 },
	{ "unpaired high surrogate", "\"\\uD800\"", 0, "unpaired high surrogate", 1 },
	{ "high surrogate then BMP", "\"\\uD800\\u0041\"", 0, "unpaired high surrogate", 1 },
	{ "high surrogate then high", "\"\\uD800\\uD800\"", 0, "unpaired high surrogate", 1 },
	{ "high surrogate then text", "\"\\uDBFFabcdef\"", 0, "unpaired high surrogate", 1 },
	{ "lone low surrogate", "\"\\uDC00\"", 0, "unpaired low surrogate", 1 },
	{ "raw tab in string", "\"a\tb\"", 0, "control character in string", 2 },
	{ "raw newline in string", "\"a\nb\"", 0, "control character in string", 2 },
	{ "invalid UTF-8 byte", "\"\xff\"", 0, "invalid UTF-8 in string", 1 },
	{ "lone continuation byte", "\"\x80\"", 0, "invalid UTF-8 in string", 1 },
	{ "overlong UTF-8", "\"\xc0\xaf\"", 0, "invalid UTF-8 in string", 1 },
	{ "overlong 3-byte UTF-8", "\"\xe0\x80\xaf\"", 0, "invalid UTF-8 in string", 1 },
	{ "UTF-8 encoded surrogate", "\"\xed\xa0\x80\"", 0, "invalid UTF-8 in string", 1 },
	{ "truncated UTF-8", "\"\xe2\x82\"", 0, "invalid UTF-8 in string", 1 },
	{ "UTF-8 above U+10FFFF", "\"\xf4\x90\x80\x80\"", 0, "invalid UTF-8 in string", 1 },
	{ "byte order mark", "\xef\xbb\xbf{}", 0, "unexpected character", 0 },
	{ "depth 9 arrays", "[[[[[[[[[]]]]]]]]]", 0, "JSON nested too deeply", 8 },
	{ "depth 9 objects",
	  "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{}}}}}}}}}",
	  0, "JSON nested too deeply", 40 },
};

static void json_reject_desc(const struct json_reject_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(json_reject, json_reject_cases, json_reject_desc);

static void json_test_reject(struct kunit *test)
{
	const struct json_reject_case *c = test->param_value;
	struct vub_json js;
	struct vub_err err = { };
	size_t len = c->len;

	if (!c->msg) {
		/* Zero-length input. */
		KUNIT_EXPECT_EQ(test, vub_json_parse(&js, c->text, 0, &err),
				-EPROTO);
		KUNIT_EXPECT_STREQ(test, err.msg,
				   "JSON text not NUL-terminated");
		return;
	}
	if (!len)
		len = strlen(c->text) + 1;
	KUNIT_EXPECT_EQ(test, vub_json_parse(&js, c->text, len, &err), -EPROTO);
	KUNIT_ASSERT_NOT_NULL(test, err.msg);
	KUNIT_EXPECT_STREQ(test, err.msg, c->msg);
	KUNIT_EXPECT_EQ(test, err.offset, c->offset);
}

/* ---- accepted texts -------------------------------------------------- */

struct json_accept_case {
	const char *name;
	const char *text;
	u8 type;		/* top-level type */
	u16 ntok;
};

static const struct json_accept_case json_accept_cases[] = {
	{ "empty object", "{}", VUB_JSON_OBJECT, 1 },
	{ "empty array", "[]", VUB_JSON_ARRAY, 1 },
	{ "string", "\"s\"", VUB_JSON_STRING, 1 },
	{ "empty string", "\"\"", VUB_JSON_STRING, 1 },
	{ "zero", "0", VUB_JSON_INT, 1 },
	{ "negative zero", "-0", VUB_JSON_INT, 1 },
	{ "true", "true", VUB_JSON_TRUE, 1 },
	{ "false", "false", VUB_JSON_FALSE, 1 },
	{ "null", "null", VUB_JSON_NULL, 1 },
	{ "whitespace everywhere", " \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\":{ } }\n ",
	  VUB_JSON_OBJECT, 7 },
	{ "depth 8 arrays", "[[[[[[[[]]]]]]]]", VUB_JSON_ARRAY, 8 },
	{ "depth 8 objects",
	  "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{}}}}}}}}",
	  VUB_JSON_OBJECT, 15 },
	{ "same key in nested objects", "{\"a\":{\"a\":1}}", VUB_JSON_OBJECT, 5 },
	{ "prefix keys are distinct", "{\"a\":1,\"ab\":2,\"b\":3}", VUB_JSON_OBJECT, 7 },
	{ "empty key", "{\"\":1}", VUB_JSON_OBJECT, 3 },
	{ "all simple escapes", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", VUB_JSON_STRING, 1 },
	{ "surrogate pair", "\"\\uD83D\\uDE00\"", VUB_JSON_STRING, 1 },
	{ "raw UTF-8", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", VUB_JSON_STRING, 1 },
	{ "mixed array", "[1,-2,\"x\",true,false,null,{},[]]", VUB_JSON_ARRAY, 9 },
	{ "QEMU capabilities",
	  "{\"capabilities\":{\"migration\":{\"pgsize\":4096,\"max_bitmap_size\":268435456},\"max_msg_fds\":16,\"max_data_xfer_size\":1048576,\"pgsizes\":4096,\"max_dma_maps\":65535,\"write_multiple\":true}}",
	  VUB_JSON_OBJECT, 19 },
	{ "libvfio-user capabilities",
	  "{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576,\"twin_socket\":{\"supported\":true,\"fd_index\":0}}}",
	  VUB_JSON_OBJECT, 13 },
};

static void json_accept_desc(const struct json_accept_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(json_accept, json_accept_cases, json_accept_desc);

static void json_test_accept(struct kunit *test)
{
	const struct json_accept_case *c = test->param_value;
	struct vub_json js;
	struct vub_err err = { };
	int ret;

	ret = vub_json_parse(&js, c->text, strlen(c->text) + 1, &err);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "%s at %zu", err.msg, err.offset);
	KUNIT_EXPECT_EQ(test, vub_json_type(&js, 0), c->type);
	KUNIT_EXPECT_EQ(test, js.ntok, c->ntok);
	KUNIT_EXPECT_EQ(test, js.tok[0].next, c->ntok);
}

/* ---- specific behaviour ---------------------------------------------- */

static int parse(struct kunit *test, struct vub_json *js, const char *text)
{
	struct vub_err err = { };
	int ret = vub_json_parse(js, text, strlen(text) + 1, &err);

	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "%s at %zu", err.msg, err.offset);
	return ret;
}

static void json_test_u64_max(struct kunit *test)
{
	struct vub_json js;
	u64 u;
	s64 s;

	if (parse(test, &js, "18446744073709551615"))
		return;
	KUNIT_EXPECT_EQ(test, vub_json_get_u64(&js, 0, &u), 0);
	KUNIT_EXPECT_EQ(test, u, U64_MAX);
	KUNIT_EXPECT_EQ(test, vub_json_get_s64(&js, 0, &s), -ERANGE);
}

static void json_test_s64_min(struct kunit *test)
{
	struct vub_json js;
	u64 u;
	s64 s;

	if (parse(test, &js, "-9223372036854775808"))
		return;
	KUNIT_EXPECT_EQ(test, vub_json_get_s64(&js, 0, &s), 0);
	KUNIT_EXPECT_EQ(test, s, S64_MIN);
	KUNIT_EXPECT_EQ(test, vub_json_get_u64(&js, 0, &u), -ERANGE);
}

static void json_test_negative(struct kunit *test)
{
	struct vub_json js;
	s64 s;
	u64 u;

	if (parse(test, &js, "[-42,-0,9223372036854775807]"))
		return;
	KUNIT_EXPECT_EQ(test, vub_json_get_s64(&js, 1, &s), 0);
	KUNIT_EXPECT_EQ(test, s, -42LL);
	KUNIT_EXPECT_EQ(test, vub_json_get_u64(&js, 1, &u), -ERANGE);
	KUNIT_EXPECT_EQ(test, vub_json_get_u64(&js, 2, &u), 0);
	KUNIT_EXPECT_EQ(test, u, 0ULL);
	KUNIT_EXPECT_EQ(test, vub_json_get_s64(&js, 3, &s), 0);
	KUNIT_EXPECT_EQ(test, s, S64_MAX);
}

static void json_test_bool_null(struct kunit *test)
{
	struct vub_json js;
	bool b = false;
	u64 u;

	if (parse(test, &js, "[true,false,null]"))
		return;
	KUNIT_EXPECT_EQ(test, vub_json_get_bool(&js, 1, &b), 0);
	KUNIT_EXPECT_TRUE(test, b);
	KUNIT_EXPECT_EQ(test, vub_json_get_bool(&js, 2, &b), 0);
	KUNIT_EXPECT_FALSE(test, b);
	KUNIT_EXPECT_EQ(test, vub_json_get_bool(&js, 3, &b), -EINVAL);
	KUNIT_EXPECT_EQ(test, vub_json_type(&js, 3), VUB_JSON_NULL);
	KUNIT_EXPECT_EQ(test, vub_json_get_u64(&js, 1, &u), -EINVAL);
}

static void json_test_wrong_types(struct kunit *test)
{
	struct vub_json js;
	char buf[8];
	bool b;
	u64 u;
	s64 s;

	if (parse(test, &js, "[\"1\",1]"))
		return;
	KUNIT_EXPECT_EQ(test, vub_json_get_u64(&js, 1, &u), -EINVAL);
	KUNIT_EXPECT_EQ(test, vub_json_get_s64(&js, 1, &s), -EINVAL);
	KUNIT_EXPECT_EQ(test, vub_json_get_bool(&js, 2, &b), -EINVAL);
	KUNIT_EXPECT_EQ(test, vub_json_get_str(&js, 2, buf, sizeof(buf)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vub_json_type(&js, -1), VUB_JSON_NONE);
	KUNIT_EXPECT_EQ(test, vub_json_type(&js, 3), VUB_JSON_NONE);
	KUNIT_EXPECT_EQ(test, vub_json_obj_get(&js, 0, "x"), -EINVAL);
}

static void json_test_escapes_decoded(struct kunit *test)
{
	static const char want[] = "\"\\/\b\f\n\r\t";
	struct vub_json js;
	char buf[16];

	if (parse(test, &js, "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""))
		return;
	KUNIT_EXPECT_EQ(test, vub_json_get_str(&js, 0, buf, sizeof(buf)),
			(int)strlen(want));
	KUNIT_EXPECT_STREQ(test, buf, want);
}

static void json_test_unicode_decoded(struct kunit *test)
{
	/* A, e-acute, euro sign, U+1F600 (pair), raw e-acute. */
	static const char want[] = "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9";
	struct vub_json js;
	char buf[32];

	if (parse(test, &js,
		  "\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\xc3\xa9\""))
		return;
	KUNIT_EXPECT_EQ(test, vub_json_get_str(&js, 0, buf, sizeof(buf)),
			(int)strlen(want));
	KUNIT_EXPECT_STREQ(test, buf, want);
}

static void json_test_str_nospace(struct kunit *test)
{
	struct vub_json js;
	char buf[4];

	if (parse(test, &js, "[\"abcd\",\"abc\",\"\\u20ac\"]"))
		return;
	KUNIT_EXPECT_EQ(test, vub_json_get_str(&js, 1, buf, sizeof(buf)),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, vub_json_get_str(&js, 2, buf, sizeof(buf)), 3);
	KUNIT_EXPECT_STREQ(test, buf, "abc");
	KUNIT_EXPECT_EQ(test, vub_json_get_str(&js, 3, buf, 3), -ENOSPC);
	KUNIT_EXPECT_EQ(test, vub_json_get_str(&js, 3, buf, 0), -ENOSPC);
}

static void json_test_obj_get(struct kunit *test)
{
	struct vub_json js;
	u64 v;
	int t;

	if (parse(test, &js,
		  "{\"a\":[1,{\"b\":2}],\"max\\u005fmsg_fds\":5,\"c\":{\"d\":7}}"))
		return;
	t = vub_json_obj_get(&js, 0, "max_msg_fds");
	KUNIT_ASSERT_GE(test, t, 0);
	KUNIT_EXPECT_EQ(test, vub_json_get_u64(&js, t, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 5ULL);
	/* Keys of nested objects are not found at the top level. */
	KUNIT_EXPECT_EQ(test, vub_json_obj_get(&js, 0, "b"), -ENOENT);
	KUNIT_EXPECT_EQ(test, vub_json_obj_get(&js, 0, "d"), -ENOENT);
	KUNIT_EXPECT_EQ(test, vub_json_obj_get(&js, 0, "ma"), -ENOENT);
	KUNIT_EXPECT_EQ(test, vub_json_obj_get(&js, 0, ""), -ENOENT);
	t = vub_json_obj_get(&js, 0, "c");
	KUNIT_ASSERT_GE(test, t, 0);
	t = vub_json_obj_get(&js, t, "d");
	KUNIT_ASSERT_GE(test, t, 0);
	KUNIT_EXPECT_EQ(test, vub_json_get_u64(&js, t, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 7ULL);
}

static void json_test_max_tokens(struct kunit *test)
{
	char buf[2 * VUB_JSON_MAX_TOKENS + 8];
	struct vub_json js;
	struct vub_err err = { };
	int i, n = 0;

	/* An array holding VUB_JSON_MAX_TOKENS - 1 elements: accepted. */
	buf[n++] = '[';
	for (i = 0; i < VUB_JSON_MAX_TOKENS - 1; i++) {
		buf[n++] = '0';
		buf[n++] = ',';
	}
	buf[n - 1] = ']';
	buf[n] = '\0';
	KUNIT_EXPECT_EQ(test, vub_json_parse(&js, buf, n + 1, &err), 0);
	KUNIT_EXPECT_EQ(test, js.ntok, VUB_JSON_MAX_TOKENS);

	/* One more element: rejected. */
	buf[n - 1] = ',';
	buf[n++] = '0';
	buf[n++] = ']';
	buf[n] = '\0';
	KUNIT_EXPECT_EQ(test, vub_json_parse(&js, buf, n + 1, &err), -EPROTO);
	KUNIT_EXPECT_STREQ(test, err.msg, "too many JSON values");
	KUNIT_EXPECT_EQ(test, err.offset, (size_t)(n - 2));
}

static void json_test_max_len(struct kunit *test)
{
	struct vub_json js;
	struct vub_err err = { };
	char *buf;

	buf = kunit_kzalloc(test, VUB_MAX_JSON_LEN + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	/* A string filling exactly VUB_MAX_JSON_LEN bytes with the NUL. */
	memset(buf, 'x', VUB_MAX_JSON_LEN - 1);
	buf[0] = '"';
	buf[VUB_MAX_JSON_LEN - 2] = '"';
	buf[VUB_MAX_JSON_LEN - 1] = '\0';
	KUNIT_EXPECT_EQ(test, vub_json_parse(&js, buf, VUB_MAX_JSON_LEN, &err),
			0);
	KUNIT_EXPECT_EQ(test, js.tok[0].len, VUB_MAX_JSON_LEN - 3);

	/* One byte more: rejected before looking at the text. */
	memset(buf, ' ', VUB_MAX_JSON_LEN);
	buf[0] = '0';
	buf[VUB_MAX_JSON_LEN] = '\0';
	KUNIT_EXPECT_EQ(test, vub_json_parse(&js, buf, VUB_MAX_JSON_LEN + 1,
					     &err), -EPROTO);
	KUNIT_EXPECT_STREQ(test, err.msg, "JSON text too long");
}

static void json_test_null_err(struct kunit *test)
{
	struct vub_json js;

	/* The diagnostics pointer is optional. */
	KUNIT_EXPECT_EQ(test, vub_json_parse(&js, "{", 2, NULL), -EPROTO);
	KUNIT_EXPECT_EQ(test, vub_json_parse(&js, "{}", 3, NULL), 0);
}

/*
 * Parse @len bytes of @text placed at the very end of a vmalloc()ed
 * page: the guard page after it is unmapped, so reading one byte past
 * @len faults (a crash of the run, which fails it), with or without
 * KASAN.
 */
static int json_parse_at_page_end(struct kunit *test, struct vub_json *js,
				  const char *text, size_t len,
				  struct vub_err *err)
{
	char *page = vmalloc(PAGE_SIZE);
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_LE(test, len, PAGE_SIZE);
	memcpy(page + PAGE_SIZE - len, text, len);
	ret = vub_json_parse(js, page + PAGE_SIZE - len, len, err);
	vfree(page);
	return ret;
}

static void json_test_no_overread(struct kunit *test)
{
	struct vub_json js;
	struct vub_err err = { };
	size_t i;

	/*
	 * A string whose last byte is a lone backslash, then the NUL: the
	 * escape must not consume the terminator.
	 */
	KUNIT_EXPECT_EQ(test, json_parse_at_page_end(test, &js, "\"\\", 3, &err),
			-EPROTO);
	KUNIT_EXPECT_STREQ(test, err.msg, "unterminated string");
	/* \u escape cut by the end of the text. */
	KUNIT_EXPECT_EQ(test, json_parse_at_page_end(test, &js, "\"\\u", 4, &err),
			-EPROTO);
	KUNIT_EXPECT_STREQ(test, err.msg, "invalid \\u escape");

	/* Every case of the tables above, ending at the guard page. */
	for (i = 0; i < ARRAY_SIZE(json_reject_cases); i++) {
		const struct json_reject_case *c = &json_reject_cases[i];
		size_t len = c->len ?: strlen(c->text) + 1;

		if (!c->msg)
			continue;	/* zero length: nothing to place */
		KUNIT_EXPECT_EQ_MSG(test, json_parse_at_page_end(test, &js, c->text,
								 len, &err),
				    -EPROTO, "%s", c->name);
		KUNIT_EXPECT_STREQ_MSG(test, err.msg, c->msg, "%s", c->name);
	}
	for (i = 0; i < ARRAY_SIZE(json_accept_cases); i++) {
		const struct json_accept_case *c = &json_accept_cases[i];

		KUNIT_EXPECT_EQ_MSG(test, json_parse_at_page_end(test, &js, c->text,
								 strlen(c->text) + 1,
								 &err),
				    0, "%s", c->name);
	}
}

static struct kunit_case json_test_cases[] = {
	KUNIT_CASE_PARAM(json_test_reject, json_reject_gen_params),
	KUNIT_CASE_PARAM(json_test_accept, json_accept_gen_params),
	KUNIT_CASE(json_test_u64_max),
	KUNIT_CASE(json_test_s64_min),
	KUNIT_CASE(json_test_negative),
	KUNIT_CASE(json_test_bool_null),
	KUNIT_CASE(json_test_wrong_types),
	KUNIT_CASE(json_test_escapes_decoded),
	KUNIT_CASE(json_test_unicode_decoded),
	KUNIT_CASE(json_test_str_nospace),
	KUNIT_CASE(json_test_obj_get),
	KUNIT_CASE(json_test_max_tokens),
	KUNIT_CASE(json_test_max_len),
	KUNIT_CASE(json_test_null_err),
	KUNIT_CASE(json_test_no_overread),
	{}
};

static struct kunit_suite json_test_suite = {
	.name = "vfio_user_json",
	.test_cases = json_test_cases,
};

kunit_test_suites(&json_test_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for the vfio_user message layer");
