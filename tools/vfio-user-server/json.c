// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny JSON reader (into a DOM) and writer, enough for the VERSION
 * capabilities.  The reader is strict: RFC 8259 syntax, UTF-8 passed
 * through, nesting limited to VUS_JSON_MAX_DEPTH, integers limited to
 * int64, trailing garbage rejected.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

struct jp {
	const char *s;
	size_t len, pos;
	int depth;
	const char *err;
};

static void jp_ws(struct jp *p)
{
	while (p->pos < p->len) {
		char ch = p->s[p->pos];

		if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r')
			break;
		p->pos++;
	}
}

static int jp_peek(struct jp *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static struct vus_json *jp_new(struct jp *p, enum vus_json_type t)
{
	struct vus_json *j = calloc(1, sizeof(*j));

	if (!j)
		p->err = "out of memory";
	else
		j->type = t;
	return j;
}

static bool jp_lit(struct jp *p, const char *lit)
{
	size_t n = strlen(lit);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, lit, n)) {
		p->err = "bad literal";
		return false;
	}
	p->pos += n;
	return true;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Parses a string at p->pos (which is '"'); returns malloc'ed UTF-8. */
static char *jp_string(struct jp *p)
{
	size_t o = 0, end = p->pos + 1;
	char *out;

	/* Bound the allocation by the raw length of this string. */
	while (end < p->len && p->s[end] != '"')
		end += p->s[end] == '\\' ? 2 : 1;
	out = malloc(end - p->pos + 1);
	if (!out) {
		p->err = "out of memory";
		return NULL;
	}
	p->pos++;
	while (p->pos < p->len) {
		unsigned char ch = p->s[p->pos++];

		if (ch == '"') {
			out[o] = 0;
			return out;
		}
		if (ch < 0x20) {
			p->err = "control character in string";
			goto fail;
		}
		if (ch != '\\') {
			out[o++] = ch;
			continue;
		}
		if (p->pos >= p->len)
			break;
		ch = p->s[p->pos++];
		switch (ch) {
		case '"':
		case '\\':
		case '/':
			out[o++] = ch;
			break;
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'u': {
			unsigned int cp = 0;
			int k;

			if (p->len - p->pos < 4)
				goto bad_escape;
			for (k = 0; k < 4; k++) {
				int h = hexval((unsigned char)p->s[p->pos++]);

				if (h < 0)
					goto bad_escape;
				cp = cp << 4 | h;
			}
			if (cp == 0)
				goto bad_escape;	/* no embedded NULs */
			/* Surrogates are kept as-is (CESU-8); fine for keys. */
			if (cp < 0x80) {
				out[o++] = cp;
			} else if (cp < 0x800) {
				out[o++] = 0xc0 | cp >> 6;
				out[o++] = 0x80 | (cp & 0x3f);
			} else {
				out[o++] = 0xe0 | cp >> 12;
				out[o++] = 0x80 | ((cp >> 6) & 0x3f);
				out[o++] = 0x80 | (cp & 0x3f);
			}
			break;
		}
		default:
			goto bad_escape;
		}
	}
	p->err = "unterminated string";
	goto fail;
bad_escape:
	p->err = "bad escape";
fail:
	free(out);
	return NULL;
}

static struct vus_json *jp_number(struct jp *p)
{
	size_t start = p->pos;
	bool is_int = true;
	struct vus_json *j;
	char tmp[64];

	if (jp_peek(p) == '-')
		p->pos++;
	if (jp_peek(p) == '0') {
		p->pos++;
	} else if (jp_peek(p) >= '1' && jp_peek(p) <= '9') {
		while (jp_peek(p) >= '0' && jp_peek(p) <= '9')
			p->pos++;
	} else {
		p->err = "bad number";
		return NULL;
	}
	if (jp_peek(p) == '.') {
		is_int = false;
		p->pos++;
		if (!(jp_peek(p) >= '0' && jp_peek(p) <= '9')) {
			p->err = "bad fraction";
			return NULL;
		}
		while (jp_peek(p) >= '0' && jp_peek(p) <= '9')
			p->pos++;
	}
	if (jp_peek(p) == 'e' || jp_peek(p) == 'E') {
		is_int = false;
		p->pos++;
		if (jp_peek(p) == '+' || jp_peek(p) == '-')
			p->pos++;
		if (!(jp_peek(p) >= '0' && jp_peek(p) <= '9')) {
			p->err = "bad exponent";
			return NULL;
		}
		while (jp_peek(p) >= '0' && jp_peek(p) <= '9')
			p->pos++;
	}
	j = jp_new(p, VUS_JSON_NUMBER);
	if (!j)
		return NULL;
	j->is_int = is_int;
	if (is_int) {
		size_t n = p->pos - start;
		char *end;

		if (n >= sizeof(tmp)) {
			j->is_int = false;
			return j;
		}
		memcpy(tmp, p->s + start, n);
		tmp[n] = 0;
		errno = 0;
		j->i = strtoll(tmp, &end, 10);
		if (errno == ERANGE)
			j->is_int = false;	/* out of int64: not an int */
	}
	return j;
}

static struct vus_json *jp_value(struct jp *p);

static struct vus_json *jp_container(struct jp *p, bool obj)
{
	struct vus_json *j, **tail;
	char close = obj ? '}' : ']';

	if (++p->depth > VUS_JSON_MAX_DEPTH) {
		p->err = "nesting too deep";
		return NULL;
	}
	j = jp_new(p, obj ? VUS_JSON_OBJECT : VUS_JSON_ARRAY);
	if (!j)
		return NULL;
	tail = &j->child;
	p->pos++;
	jp_ws(p);
	if (jp_peek(p) == close) {
		p->pos++;
		p->depth--;
		return j;
	}
	for (;;) {
		struct vus_json *v;
		char *key = NULL;

		jp_ws(p);
		if (obj) {
			if (jp_peek(p) != '"') {
				p->err = "expected member name";
				goto fail;
			}
			key = jp_string(p);
			if (!key)
				goto fail;
			jp_ws(p);
			if (jp_peek(p) != ':') {
				free(key);
				p->err = "expected ':'";
				goto fail;
			}
			p->pos++;
		}
		v = jp_value(p);
		if (!v) {
			free(key);
			goto fail;
		}
		v->key = key;
		*tail = v;
		tail = &v->next;
		jp_ws(p);
		if (jp_peek(p) == ',') {
			p->pos++;
			continue;
		}
		if (jp_peek(p) == close) {
			p->pos++;
			break;
		}
		p->err = obj ? "expected ',' or '}'" : "expected ',' or ']'";
		goto fail;
	}
	p->depth--;
	return j;
fail:
	vus_json_free(j);
	return NULL;
}

static struct vus_json *jp_value(struct jp *p)
{
	struct vus_json *j = NULL;

	jp_ws(p);
	switch (jp_peek(p)) {
	case '{':
		return jp_container(p, true);
	case '[':
		return jp_container(p, false);
	case '"': {
		char *s = jp_string(p);

		if (!s)
			return NULL;
		j = jp_new(p, VUS_JSON_STRING);
		if (!j) {
			free(s);
			return NULL;
		}
		j->str = s;
		return j;
	}
	case 't':
		if (!jp_lit(p, "true"))
			return NULL;
		j = jp_new(p, VUS_JSON_BOOL);
		if (j)
			j->b = true;
		return j;
	case 'f':
		if (!jp_lit(p, "false"))
			return NULL;
		return jp_new(p, VUS_JSON_BOOL);
	case 'n':
		if (!jp_lit(p, "null"))
			return NULL;
		return jp_new(p, VUS_JSON_NULL);
	case -1:
		p->err = "unexpected end";
		return NULL;
	default:
		return jp_number(p);
	}
}

struct vus_json *vus_json_parse(const char *text, size_t len, const char **err)
{
	struct jp p = { .s = text, .len = len };
	struct vus_json *j;

	j = jp_value(&p);
	if (j) {
		jp_ws(&p);
		if (p.pos != p.len) {
			p.err = "trailing characters";
			vus_json_free(j);
			j = NULL;
		}
	}
	if (!j && err)
		*err = p.err ? p.err : "parse error";
	return j;
}

void vus_json_free(struct vus_json *j)
{
	while (j) {
		struct vus_json *next = j->next;

		vus_json_free(j->child);
		free(j->str);
		free(j->key);
		free(j);
		j = next;
	}
}

/* Last member wins for duplicate keys (like json-c). */
const struct vus_json *vus_json_get(const struct vus_json *obj, const char *key)
{
	const struct vus_json *c, *found = NULL;

	if (!obj || obj->type != VUS_JSON_OBJECT)
		return NULL;
	for (c = obj->child; c; c = c->next)
		if (!strcmp(c->key, key))
			found = c;
	return found;
}

/* Writer. */

void vus_jw_init(struct vus_jw *w)
{
	memset(w, 0, sizeof(*w));
}

void vus_jw_free(struct vus_jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static void jw_put(struct vus_jw *w, const char *s, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = (w->cap ? w->cap * 2 : 256);
		char *b;

		while (cap < w->len + n + 1)
			cap *= 2;
		b = realloc(w->buf, cap);
		if (!b) {
			w->oom = true;
			return;
		}
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = 0;
}

static void jw_quoted(struct vus_jw *w, const char *s)
{
	jw_put(w, "\"", 1);
	for (; *s; s++) {
		unsigned char ch = *s;
		char esc[8];

		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = ch;
			jw_put(w, esc, 2);
		} else if (ch < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			jw_put(w, esc, 6);
		} else {
			jw_put(w, (const char *)&ch, 1);
		}
	}
	jw_put(w, "\"", 1);
}

static void jw_key(struct vus_jw *w, const char *key)
{
	if (w->need_comma)
		jw_put(w, ",", 1);
	if (key) {
		jw_quoted(w, key);
		jw_put(w, ":", 1);
	}
	w->need_comma = true;
}

void vus_jw_obj_begin(struct vus_jw *w, const char *key)
{
	jw_key(w, key);
	jw_put(w, "{", 1);
	w->need_comma = false;
}

void vus_jw_obj_end(struct vus_jw *w)
{
	jw_put(w, "}", 1);
	w->need_comma = true;
}

void vus_jw_arr_begin(struct vus_jw *w, const char *key)
{
	jw_key(w, key);
	jw_put(w, "[", 1);
	w->need_comma = false;
}

void vus_jw_arr_end(struct vus_jw *w)
{
	jw_put(w, "]", 1);
	w->need_comma = true;
}

void vus_jw_uint(struct vus_jw *w, const char *key, uint64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);

	jw_key(w, key);
	jw_put(w, tmp, n);
}

void vus_jw_bool(struct vus_jw *w, const char *key, bool v)
{
	jw_key(w, key);
	jw_put(w, v ? "true" : "false", v ? 4 : 5);
}

void vus_jw_str(struct vus_jw *w, const char *key, const char *v)
{
	jw_key(w, key);
	jw_quoted(w, v);
}

/* Appends raw text (no separator handling); used by fault injection. */
void vus_jw_raw(struct vus_jw *w, const char *text)
{
	jw_put(w, text, strlen(text));
}
