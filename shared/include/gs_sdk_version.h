/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_SDK_VERSION_H
#define GS_SDK_VERSION_H

/*
 * The handler SDK's version, MAJOR.MINOR. A handler records the version it
 * was built against (gs_handler_main and gs_handler_attach are macros that
 * pass this file's GS_SDK_VERSION), the primary publishes its own, and a
 * handler attaches only to a group of the same major and at least its
 * minor: a minor adds API, a major changes what exists.
 */
#define GS_SDK_VERSION_MAJOR 1
#define GS_SDK_VERSION_MINOR 1

#define GS_SDK_VERSION_OF(major, minor) (((uint32_t)(major) << 16) | (uint32_t)(minor))
#define GS_SDK_MAJOR(v)			((unsigned int)((v) >> 16))
#define GS_SDK_MINOR(v)			((unsigned int)((v)&0xffffu))

#ifdef GS_SDK_VERSION_OVERRIDE /* tests: a handler "built against another SDK" */
#define GS_SDK_VERSION GS_SDK_VERSION_OVERRIDE
#else
#define GS_SDK_VERSION GS_SDK_VERSION_OF(GS_SDK_VERSION_MAJOR, GS_SDK_VERSION_MINOR)
#endif

#endif /* GS_SDK_VERSION_H */
