/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * Buffer names are bytes (anything but '/' and NUL): whatever dmabufctl prints
 * from a name goes through here, so that a control byte never reaches a
 * terminal and every name can be mapped back to its bytes.
 */

/* Length of the well-formed UTF-8 sequence (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF) at s, of at most len bytes; 0 if the
 * bytes there are not one. */
size_t utf8_seq_len(const unsigned char *s, size_t len);

/* The bytes as text: control bytes, DEL, '\' and every byte that is not part
 * of well-formed UTF-8 become \xHH; the rest is copied. The result is valid
 * UTF-8, and unescaping \xHH gives the bytes back exactly. Allocated; NULL
 * when out of memory. */
char *name_escape(const char *s, size_t len);

/* Characters (code points) in a valid UTF-8 string, for table columns. */
size_t text_width(const char *s);

/* Lowercase hex of the bytes; allocated, NULL when out of memory. */
char *hex_encode(const char *s, size_t len);
