/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#pragma once

/*
 * One buffer as the BPF iterator (dmabuf-iter.bpf.c) writes it and
 * src/shared/kbufs.c reads it: fixed size, no text to parse. __u64 is
 * defined by whoever includes this (the BPF program itself, or
 * <linux/types.h>).
 */
#define DMABUF_ITER_EXP_NAME_MAX 32
#define DMABUF_ITER_NAME_MAX 32 /* the kernel's DMA_BUF_NAME_LEN */

struct dmabuf_iter_record {
	__u64 ino;
	__u64 size;
	char exp_name[DMABUF_ITER_EXP_NAME_MAX];
	char name[DMABUF_ITER_NAME_MAX];
};
