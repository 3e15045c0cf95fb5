// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "policy.h"
#include "shared/macro.h"

/*
 * The rule table, first match wins. A NULL field matches anything (also an
 * unknown, NULL or "" value); a non-NULL field must be equal. Rows keyed on
 * the exporter alone come first because exp_name is always known, the DRM
 * driver only for buffers we allocated on a card ourselves.
 *
 * The two ways to be wrong are not equally bad: memcpy on I/O memory can
 * tear, fault or hang the bus, while the I/O shim on system memory is only
 * slower. Anything not listed as system memory is therefore I/O memory.
 */
struct policy_rule {
	const char *exporter;
	const char *driver;
	int iomem;
	const char *why;
};

static const struct policy_rule rules[] = {
	/* --- system memory: pages the kernel got from the page allocator --- */
	{ "udmabuf", NULL, 0, "udmabuf: shmem pages of a memfd" },
	{ "system", NULL, 0, "system heap: page allocator" },
	/* Android's uncached system heap: still RAM, only mapped write-
	 * combined; plain loads and stores are correct there. */
	{ "system-uncached", NULL, 0, "uncached system heap: RAM mapped WC" },
	{ "videobuf2_vmalloc", NULL, 0, "videobuf2 vmalloc: RAM" },
	{ "videobuf2_dma_contig", NULL, 0, "videobuf2 dma-contig: RAM (CMA/DMA API)" },
	{ "videobuf2_dma_sg", NULL, 0, "videobuf2 dma-sg: RAM" },
	{ "memfd", NULL, 0, "memfd: shmem pages" },
	{ "virtio_gpu", NULL, 0, "virtio_gpu: guest RAM (shmem) objects" },

	/*
	 * i915 (its own exp_name, and as a DRM driver): integrated parts use
	 * RAM, but discrete parts (DG1/DG2) place objects in LMEM behind a PCI
	 * BAR and stolen-memory objects are not RAM either; neither fdinfo nor
	 * pagemap tells them apart, so the safe answer is I/O memory.
	 */
	{ "i915", NULL, 1, "i915: may be LMEM or stolen memory" },

	/* --- DRM exports (exp_name "drm") keyed on the driver --- */
	{ NULL, "vgem", 0, "vgem: shmem-backed GEM objects" },
	{ NULL, "virtio_gpu", 0, "virtio_gpu: guest RAM (shmem) objects" },
	{ NULL, "i915", 1, "i915: may be LMEM or stolen memory" },
	/* Drivers with VRAM (TTM or the VRAM helpers): a buffer may be placed
	 * in, or migrated to, a PCI BAR at any time (bochs pins scanout
	 * buffers there under a live mapping). */
	{ NULL, "bochs-drm", 1, "bochs-drm: VRAM driver" },
	{ NULL, "bochs", 1, "bochs: VRAM driver" },
	{ NULL, "qxl", 1, "qxl: VRAM driver" },
	{ NULL, "vmwgfx", 1, "vmwgfx: VRAM driver" },
	{ NULL, "amdgpu", 1, "amdgpu: VRAM driver" },
	{ NULL, "radeon", 1, "radeon: VRAM driver" },
	{ NULL, "nouveau", 1, "nouveau: VRAM driver" },
	{ NULL, "ast", 1, "ast: VRAM driver" },
	{ NULL, "mgag200", 1, "mgag200: VRAM driver" },
	{ NULL, "xe", 1, "xe: VRAM driver" },

	/* --- fallbacks --- */
	{ "drm", NULL, 1, "drm export of an unknown driver" },
	{ NULL, NULL, 1, "unknown exporter" },
};

static bool field_matches(const char *rule, const char *value)
{
	if (!rule)
		return true;
	return value && strcmp(rule, value) == 0;
}

int policy_rule_iomem(const char *exporter, const char *driver, const char **why)
{
	if (exporter && !exporter[0])
		exporter = NULL;
	if (driver && !driver[0])
		driver = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		const struct policy_rule *r = &rules[i];

		if (field_matches(r->exporter, exporter) && field_matches(r->driver, driver)) {
			if (why)
				*why = r->why;
			return r->iomem;
		}
	}
	/* Unreachable: the last row matches everything. */
	if (why)
		*why = "unknown exporter";
	return 1;
}

int policy_decide(int iomem_override, enum iomem_mode mode, const char *exporter,
		  const char *driver, const char **why)
{
	if (iomem_override >= 0) {
		if (why)
			*why = "explicit per-buffer setting";
		return iomem_override ? 1 : 0;
	}
	switch (mode) {
	case IOMEM_ALWAYS:
		if (why)
			*why = "mount option iomem=always";
		return 1;
	case IOMEM_NEVER:
		if (why)
			*why = "mount option iomem=never";
		return 0;
	case IOMEM_AUTO:
	default:
		return policy_rule_iomem(exporter, driver, why);
	}
}

int policy_parse_mode(const char *s, enum iomem_mode *out)
{
	if (!s || !out)
		return -EINVAL;
	if (strcmp(s, "auto") == 0)
		*out = IOMEM_AUTO;
	else if (strcmp(s, "always") == 0 || strcmp(s, "1") == 0)
		*out = IOMEM_ALWAYS;
	else if (strcmp(s, "never") == 0 || strcmp(s, "0") == 0)
		*out = IOMEM_NEVER;
	else
		return -EINVAL;
	return 0;
}

const char *policy_mode_name(enum iomem_mode mode)
{
	switch (mode) {
	case IOMEM_AUTO:
		return "auto";
	case IOMEM_ALWAYS:
		return "always";
	case IOMEM_NEVER:
		return "never";
	}
	return "unknown";
}
