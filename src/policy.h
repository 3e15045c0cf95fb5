/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/*
 * The map-flag policy: is a buffer I/O memory (is_iomem = 1) or system
 * memory? First match wins:
 *   1. an explicit per-buffer setting (xattr, publish flag);
 *   2. the mount option iomem=always|never;
 *   3. iomem=auto: a rule table keyed on the exporter name (fdinfo exp_name)
 *      and the DRM driver name. /proc/self/pagemap cannot help: it reports
 *      "not present" for the VM_PFNMAP mappings every exporter uses.
 */
enum iomem_mode {
	IOMEM_AUTO = 0,
	IOMEM_ALWAYS,
	IOMEM_NEVER,
};

/* "auto", "always", "never" (also "1"/"0"). 0 or -EINVAL. */
int policy_parse_mode(const char *s, enum iomem_mode *out);
const char *policy_mode_name(enum iomem_mode mode);

/*
 * The rule table. exporter is fdinfo's exp_name ("udmabuf", "system",
 * "drm", "virtio_gpu", "videobuf2_vmalloc", ...); driver is the DRM driver
 * name from drmGetVersion() when known, else NULL or "". Returns 1 for I/O
 * memory, 0 for system memory; *why (if not NULL) names the rule that
 * matched, for logs and `dmabufctl info`. Unknown exporters are I/O memory:
 * the shim is always correct, memcpy on I/O memory is not.
 */
int policy_rule_iomem(const char *exporter, const char *driver, const char **why);

/* iomem_override: the per-buffer setting, -1 when unset, else 0/1. */
int policy_decide(int iomem_override, enum iomem_mode mode, const char *exporter,
		  const char *driver, const char **why);
