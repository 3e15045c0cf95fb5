#!/bin/sh
# A dumb buffer scanned out by bochs-drm: checked in VRAM through the PCI
# BAR here, and in QEMU's screendump by the host (check-pattern.c).
exec bochs-scanout scanout1
