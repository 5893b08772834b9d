// SPDX-License-Identifier: GPL-2.0
/*
 * Strict, bounded JSON subset parser for the vfio-user VERSION
 * capabilities (RFC 8259 minus floating-point numbers).
 *
 * Every byte comes from an untrusted server: the parser is iterative
 * (an explicit stack of VUB_JSON_MAX_DEPTH entries), writes only into
 * the caller's fixed token array and never reads past the given
 * length.  Pure code, shared with KUnit and the userspace fuzzers.
 */
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "json.h"

static int json_fail(struct vub_err *err, const char *msg, size_t off)
{
	if (err) {
		err->msg = msg;
		err->offset = off;
	}
	return -EPROTO;
}

static int hexval(u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at s[pos..pos+3]; -1 if short or not hex. */
static long hex4(const u8 *s, size_t n, size_t pos)
{
	long v = 0;
	int i, h;

	if (n - pos < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		h = hexval(s[pos + i]);
		if (h < 0)
			return -1;
		v = (v << 4) | h;
	}
	return v;
}

/*
 * Length of the well-formed UTF-8 sequence at s[0..n) (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0.
 */
static size_t utf8_len(const u8 *s, size_t n, u32 *cp)
{
	u8 c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;
	u32 v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		u8 b = s[i];

		if (b < lo || b > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
		v = (v << 6) | (b & 0x3f);
	}
	*cp = v;
	return len;
}

/*
 * Validate the string whose opening quote is at s[pos].  On success
 * returns 0 and stores the index of the closing quote in *end.
 */
static int scan_string(const u8 *s, size_t n, size_t pos, size_t *end,
		       struct vub_err *err)
{
	size_t i = pos + 1;
	long u, l;
	u32 cp;

	while (i < n) {
		u8 c = s[i];

		if (c == '"') {
			*end = i;
			return 0;
		}
		if (c < 0x20)
			return json_fail(err, "control character in string", i);
		if (c >= 0x80) {
			size_t k = utf8_len(s + i, n - i, &cp);

			if (!k)
				return json_fail(err, "invalid UTF-8 in string",
						 i);
			i += k;
			continue;
		}
		if (c != '\\') {
			i++;
			continue;
		}
		if (i + 1 >= n)
			break;
		switch (s[i + 1]) {
		case '"': case '\\': case '/': case 'b':
		case 'f': case 'n': case 'r': case 't':
			i += 2;
			continue;
		case 'u':
			break;
		default:
			return json_fail(err, "invalid escape in string", i);
		}
		u = hex4(s, n, i + 2);
		if (u < 0)
			return json_fail(err, "invalid \\u escape", i);
		if (u == 0)
			return json_fail(err, "\\u0000 not allowed", i);
		if (u >= 0xdc00 && u <= 0xdfff)
			return json_fail(err, "unpaired low surrogate", i);
		if (u >= 0xd800 && u <= 0xdbff) {
			if (n - i < 12 || s[i + 6] != '\\' || s[i + 7] != 'u')
				return json_fail(err, "unpaired high surrogate",
						 i);
			l = hex4(s, n, i + 8);
			if (l < 0xdc00 || l > 0xdfff)
				return json_fail(err, "unpaired high surrogate",
						 i);
			i += 12;
			continue;
		}
		i += 6;
	}
	return json_fail(err, "unterminated string", pos);
}

/*
 * Next code point of an already validated string body; *pos advances.
 * Escapes are decoded, surrogate pairs combined.
 */
static u32 str_next(const u8 *s, size_t *pos)
{
	size_t i = *pos;
	u32 cp;
	long u, l;

	if (s[i] != '\\') {
		*pos = i + utf8_len(s + i, 4, &cp);
		return cp;
	}
	*pos = i + 2;
	switch (s[i + 1]) {
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	case 'u':
		break;
	default:
		return s[i + 1];
	}
	u = hex4(s, i + 6, i + 2);
	*pos = i + 6;
	if (u < 0xd800 || u > 0xdbff)
		return u;
	l = hex4(s, i + 12, i + 8);
	*pos = i + 12;
	return 0x10000 + (((u - 0xd800) << 10) | (l - 0xdc00));
}

/* Compare two validated string tokens after decoding. */
static bool str_eq_tok(const struct vub_json *js, const struct vub_json_tok *a,
		       const struct vub_json_tok *b)
{
	const u8 *s = (const u8 *)js->text;
	size_t i = a->start, ie = a->start + a->len;
	size_t j = b->start, je = b->start + b->len;

	while (i < ie && j < je) {
		if (str_next(s, &i) != str_next(s, &j))
			return false;
	}
	return i == ie && j == je;
}

/* Compare a validated string token with an ASCII C string. */
static bool str_eq_cstr(const struct vub_json *js, const struct vub_json_tok *a,
			const char *key)
{
	const u8 *s = (const u8 *)js->text;
	size_t i = a->start, ie = a->start + a->len;

	while (i < ie && *key) {
		if (str_next(s, &i) != (u8)*key++)
			return false;
	}
	return i == ie && !*key;
}

/*
 * Validate the number at s[pos]: -?(0|[1-9][0-9]*), magnitude within
 * 2^64 - 1 (positive) or 2^63 (negative).  Fractions and exponents are
 * rejected.  Stores the index after the number in *end.
 */
static int scan_number(const u8 *s, size_t n, size_t pos, size_t *end,
		       struct vub_err *err)
{
	size_t i = pos;
	bool neg = false;
	u64 v = 0, lim;

	if (s[i] == '-') {
		neg = true;
		i++;
	}
	if (i >= n || s[i] < '0' || s[i] > '9')
		return json_fail(err, "invalid number", pos);
	if (s[i] == '0' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')
		return json_fail(err, "leading zero in number", pos);
	lim = neg ? (u64)S64_MAX + 1 : U64_MAX;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned int d = s[i] - '0';

		if (v > (lim - d) / 10)
			return json_fail(err, "integer out of range", pos);
		v = v * 10 + d;
	}
	if (i < n && (s[i] == '.' || s[i] == 'e' || s[i] == 'E'))
		return json_fail(err, "floating-point number not supported",
				 pos);
	*end = i;
	return 0;
}

enum json_state {
	ST_VALUE,		/* a value is required */
	ST_VALUE_OR_CLOSE,	/* just after '[' */
	ST_KEY,			/* after ',' in an object */
	ST_KEY_OR_CLOSE,	/* just after '{' */
	ST_COLON,
	ST_AFTER,		/* after a value inside a container */
	ST_DONE,		/* after the top-level value */
};

static bool is_ws(u8 c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int vub_json_parse(struct vub_json *js, const char *buf, size_t len,
		   struct vub_err *err)
{
	const u8 *s = (const u8 *)buf;
	u16 stack[VUB_JSON_MAX_DEPTH];
	enum json_state st = ST_VALUE;
	unsigned int depth = 0;
	size_t n, pos = 0, end;
	struct vub_json_tok *t;
	const u8 *nul;
	int ret;

	js->text = buf;
	js->ntok = 0;
	if (len > VUB_MAX_JSON_LEN)
		return json_fail(err, "JSON text too long", VUB_MAX_JSON_LEN);
	if (!len || s[len - 1] != '\0')
		return json_fail(err, "JSON text not NUL-terminated", len);
	n = len - 1;
	nul = memchr(s, '\0', n);
	if (nul)
		return json_fail(err, "NUL byte inside JSON text", nul - s);

	for (;;) {
		while (pos < n && is_ws(s[pos]))
			pos++;
		if (pos == n) {
			if (st == ST_DONE)
				return 0;
			return json_fail(err, "unexpected end of JSON text",
					 pos);
		}

		switch (st) {
		case ST_DONE:
			return json_fail(err, "trailing garbage after JSON value",
					 pos);
		case ST_COLON:
			if (s[pos] != ':')
				return json_fail(err, "expected ':'", pos);
			pos++;
			st = ST_VALUE;
			continue;
		case ST_AFTER:
			t = &js->tok[stack[depth - 1]];
			if (s[pos] == ',') {
				pos++;
				st = t->type == VUB_JSON_OBJECT ? ST_KEY :
								   ST_VALUE;
				continue;
			}
			if (s[pos] == (t->type == VUB_JSON_OBJECT ? '}' : ']'))
				goto close;
			return json_fail(err, "expected ',' or end of container",
					 pos);
		case ST_KEY_OR_CLOSE:
			if (s[pos] == '}')
				goto close;
			fallthrough;
		case ST_KEY:
			if (s[pos] != '"')
				return json_fail(err, "expected object key",
						 pos);
			break;
		case ST_VALUE_OR_CLOSE:
			if (s[pos] == ']')
				goto close;
			break;
		case ST_VALUE:
			break;
		}

		/* A new token: a value, or a key (ST_KEY*). */
		if (js->ntok >= VUB_JSON_MAX_TOKENS)
			return json_fail(err, "too many JSON values", pos);
		t = &js->tok[js->ntok];
		t->depth = depth;
		t->start = pos;
		switch (s[pos]) {
		case '{':
		case '[':
			if (depth >= VUB_JSON_MAX_DEPTH)
				return json_fail(err, "JSON nested too deeply",
						 pos);
			t->type = s[pos] == '{' ? VUB_JSON_OBJECT :
						  VUB_JSON_ARRAY;
			stack[depth++] = js->ntok++;
			st = s[pos] == '{' ? ST_KEY_OR_CLOSE :
					     ST_VALUE_OR_CLOSE;
			pos++;
			continue;
		case '"':
			ret = scan_string(s, n, pos, &end, err);
			if (ret)
				return ret;
			t->type = VUB_JSON_STRING;
			t->start = pos + 1;
			t->len = end - pos - 1;
			pos = end + 1;
			break;
		case 't':
		case 'f':
		case 'n': {
			static const char * const lit[] = {
				"true", "false", "null"
			};
			static const u8 type[] = {
				VUB_JSON_TRUE, VUB_JSON_FALSE, VUB_JSON_NULL
			};
			int k = s[pos] == 't' ? 0 : s[pos] == 'f' ? 1 : 2;
			size_t l = strlen(lit[k]);

			if (n - pos < l || memcmp(s + pos, lit[k], l))
				return json_fail(err, "invalid literal", pos);
			t->type = type[k];
			t->len = l;
			pos += l;
			break;
		}
		default:
			if (s[pos] != '-' && (s[pos] < '0' || s[pos] > '9'))
				return json_fail(err, "unexpected character",
						 pos);
			ret = scan_number(s, n, pos, &end, err);
			if (ret)
				return ret;
			t->type = VUB_JSON_INT;
			t->len = end - pos;
			pos = end;
			break;
		}
		t->next = ++js->ntok;

		if (st == ST_KEY || st == ST_KEY_OR_CLOSE) {
			/* Reject a duplicate of any earlier key. */
			int k = stack[depth - 1] + 1;
			int me = js->ntok - 1;

			while (k < me) {
				if (str_eq_tok(js, &js->tok[k], t))
					return json_fail(err,
							 "duplicate key in object",
							 t->start - 1);
				k = js->tok[k + 1].next;
			}
			st = ST_COLON;
			continue;
		}
		st = depth ? ST_AFTER : ST_DONE;
		continue;

close:
		t = &js->tok[stack[--depth]];
		t->next = js->ntok;
		t->len = pos + 1 - t->start;
		pos++;
		st = depth ? ST_AFTER : ST_DONE;
	}
}

enum vub_json_type vub_json_type(const struct vub_json *js, int t)
{
	if (t < 0 || t >= js->ntok)
		return VUB_JSON_NONE;
	return js->tok[t].type;
}

int vub_json_obj_get(const struct vub_json *js, int obj, const char *key)
{
	int k, end;

	if (vub_json_type(js, obj) != VUB_JSON_OBJECT)
		return -EINVAL;
	end = js->tok[obj].next;
	for (k = obj + 1; k < end; k = js->tok[k + 1].next) {
		if (str_eq_cstr(js, &js->tok[k], key))
			return k + 1;
	}
	return -ENOENT;
}

/* Magnitude and sign of a validated integer token. */
static void int_value(const struct vub_json *js, int t, u64 *mag, bool *neg)
{
	const char *s = js->text + js->tok[t].start;
	const char *e = s + js->tok[t].len;
	u64 v = 0;

	*neg = *s == '-';
	if (*neg)
		s++;
	while (s < e)
		v = v * 10 + (*s++ - '0');
	*mag = v;
}

int vub_json_get_u64(const struct vub_json *js, int t, u64 *val)
{
	bool neg;
	u64 v;

	if (vub_json_type(js, t) != VUB_JSON_INT)
		return -EINVAL;
	int_value(js, t, &v, &neg);
	if (neg && v)
		return -ERANGE;
	*val = v;
	return 0;
}

int vub_json_get_s64(const struct vub_json *js, int t, s64 *val)
{
	bool neg;
	u64 v;

	if (vub_json_type(js, t) != VUB_JSON_INT)
		return -EINVAL;
	int_value(js, t, &v, &neg);
	if (!neg && v > S64_MAX)
		return -ERANGE;
	/* -2^63 has no positive s64 counterpart: negate in u64. */
	*val = neg ? (s64)(0 - v) : (s64)v;
	return 0;
}

int vub_json_get_bool(const struct vub_json *js, int t, bool *val)
{
	switch (vub_json_type(js, t)) {
	case VUB_JSON_TRUE:
		*val = true;
		return 0;
	case VUB_JSON_FALSE:
		*val = false;
		return 0;
	default:
		return -EINVAL;
	}
}

int vub_json_get_str(const struct vub_json *js, int t, char *buf,
		     size_t size)
{
	const u8 *s = (const u8 *)js->text;
	size_t i, e, o = 0;
	u32 cp;

	if (vub_json_type(js, t) != VUB_JSON_STRING)
		return -EINVAL;
	i = js->tok[t].start;
	e = i + js->tok[t].len;
	while (i < e) {
		u8 u[4];
		size_t l;

		cp = str_next(s, &i);
		if (cp < 0x80) {
			u[0] = cp;
			l = 1;
		} else if (cp < 0x800) {
			u[0] = 0xc0 | (cp >> 6);
			u[1] = 0x80 | (cp & 0x3f);
			l = 2;
		} else if (cp < 0x10000) {
			u[0] = 0xe0 | (cp >> 12);
			u[1] = 0x80 | ((cp >> 6) & 0x3f);
			u[2] = 0x80 | (cp & 0x3f);
			l = 3;
		} else {
			u[0] = 0xf0 | (cp >> 18);
			u[1] = 0x80 | ((cp >> 12) & 0x3f);
			u[2] = 0x80 | ((cp >> 6) & 0x3f);
			u[3] = 0x80 | (cp & 0x3f);
			l = 4;
		}
		/* Room for the sequence and the final NUL (o < size). */
		if (l >= size - o)
			return -ENOSPC;
		memcpy(buf + o, u, l);
		o += l;
	}
	if (!size)
		return -ENOSPC;
	buf[o] = '\0';
	return o;
}
