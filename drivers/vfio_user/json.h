/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Strict, bounded JSON subset parser for the vfio-user VERSION
 * capabilities.  The text is tokenised into a fixed array of small
 * tokens held by the caller (no allocation, no recursion); values are
 * then looked up by key.  See Documentation/json-and-validation.rst.
 */
#ifndef _VFIO_USER_JSON_H
#define _VFIO_USER_JSON_H

#include <linux/types.h>
#include "proto.h"

/* Values (scalars, containers and object keys) per document. */
#define VUB_JSON_MAX_TOKENS	64

enum vub_json_type {
	VUB_JSON_NONE = 0,
	VUB_JSON_OBJECT,
	VUB_JSON_ARRAY,
	VUB_JSON_STRING,	/* also used for object keys */
	VUB_JSON_INT,
	VUB_JSON_TRUE,
	VUB_JSON_FALSE,
	VUB_JSON_NULL,
};

/*
 * One token: 8 bytes, so a whole document fits in about 520 bytes of
 * stack.  For strings, [start, start + len) is the raw text between the
 * quotes (escapes not decoded); for other values it is the value text.
 * @next is the index of the first token after this value (and, for a
 * container, after all its children).  An object's children are
 * key, value, key, value, ...
 */
struct vub_json_tok {
	u8 type;		/* enum vub_json_type */
	u8 depth;		/* 0 for the top-level value */
	u16 start;
	u16 len;
	u16 next;
};

struct vub_json {
	const char *text;	/* the parsed text, not NUL-terminated here */
	u16 ntok;
	struct vub_json_tok tok[VUB_JSON_MAX_TOKENS];
};

/*
 * Parse @len bytes at @buf.  The text must be NUL-terminated exactly at
 * buf[len - 1] (no NUL before it), at most VUB_MAX_JSON_LEN bytes
 * including the NUL, and hold exactly one JSON value.  Returns 0, or
 * -EPROTO with @err set (offset relative to @buf).  Token 0 is the
 * top-level value.  @js keeps a pointer to @buf.
 */
int vub_json_parse(struct vub_json *js, const char *buf, size_t len,
		   struct vub_err *err);

/* Type of token @t (VUB_JSON_NONE if @t is out of range). */
enum vub_json_type vub_json_type(const struct vub_json *js, int t);

/*
 * Look up @key (an ASCII C string, compared after decoding escapes) in
 * object @obj.  Returns the token index of the value, -ENOENT if the
 * key is absent, -EINVAL if @obj is not an object.
 */
int vub_json_obj_get(const struct vub_json *js, int obj, const char *key);

/*
 * Integer accessors: -EINVAL if @t is not an integer, -ERANGE if the
 * value does not fit the type.  Integers in the text may range from
 * -2^63 to 2^64 - 1.
 */
int vub_json_get_u64(const struct vub_json *js, int t, u64 *val);
int vub_json_get_s64(const struct vub_json *js, int t, s64 *val);

/* Boolean accessor: -EINVAL if @t is neither true nor false. */
int vub_json_get_bool(const struct vub_json *js, int t, bool *val);

/*
 * Decode string @t into @buf as UTF-8 and NUL-terminate it.  Returns
 * the decoded length, -EINVAL if @t is not a string, -ENOSPC if it
 * does not fit in @size bytes (including the NUL).
 */
int vub_json_get_str(const struct vub_json *js, int t, char *buf,
		     size_t size);

#endif /* _VFIO_USER_JSON_H */
