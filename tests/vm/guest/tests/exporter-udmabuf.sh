#!/bin/sh
# A udmabuf dma-buf: pattern through the dma-buf mapping and back through an
# independent one; fdinfo exp_name checked (probe-exporters.c).
exec probe-exporters udmabuf
