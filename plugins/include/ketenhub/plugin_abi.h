/*
 * Ketenhub adapter plugin ABI.
 *
 * One exported C entry point, `ketenhub_adapter_entry`, returns a function
 * table. The table begins with its own size and the ABI major/minor the plugin
 * was built against, so the host can refuse a plugin it cannot talk to before
 * calling anything else (compare PG_MODULE_MAGIC, OBS's struct sizes).
 *
 * Rules of the boundary:
 *  - only byte buffers cross it (native XML in, canonical JSON out, and back);
 *  - whoever allocates frees: buffers a plugin returns are released with that
 *    plugin's `free_buffer`, never with the host's allocator;
 *  - no C++ exception crosses it: every function returns a kh_status;
 *  - the plugin exports no other symbol.
 *
 * Compatibility: a host accepts a plugin whose major equals KH_ABI_MAJOR and
 * whose struct_size is at least the size of the major's first table. New
 * functions are appended at the end and raise the minor version.
 */
#ifndef KETENHUB_PLUGIN_ABI_H
#define KETENHUB_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KH_ABI_MAJOR 1
#define KH_ABI_MINOR 0
#define KH_ADAPTER_ENTRY_SYMBOL "ketenhub_adapter_entry"

#if defined(__GNUC__)
#define KH_EXPORT __attribute__((visibility("default")))
#else
#define KH_EXPORT
#endif

typedef enum kh_status {
    KH_OK = 0,
    /* The input was refused; the output buffer holds a JSON error report
     * {"errors":[{"line":N,"field":"...","message":"..."}]}. */
    KH_REJECTED = 1,
    /* The plugin failed for a reason that is not the input's fault; the
     * output buffer holds {"errors":[...]} describing it. */
    KH_INTERNAL_ERROR = 2
} kh_status;

/* A buffer allocated by the plugin. Release it with the same plugin's
 * free_buffer. An empty buffer has data == NULL and size == 0. */
typedef struct kh_buffer {
    uint8_t* data;
    size_t size;
} kh_buffer;

typedef struct kh_adapter_instance kh_adapter_instance;

typedef struct kh_adapter_v1 {
    /* sizeof(kh_adapter_v1) as the plugin was compiled. */
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;
    /* NUL-terminated, static storage: a short name ("coa") and a version. */
    const char* adapter_name;
    const char* adapter_version;

    /* Creates an instance. `host_settings` is a JSON object:
     * {"partner":"coa","reference_dir":"...","iso3166_json":"...",
     *  "settings":{...partner settings from the hub config...}}.
     * On failure *instance stays NULL and `out` holds an error report. */
    kh_status (*create)(const uint8_t* host_settings, size_t size,
                        kh_adapter_instance** instance, kh_buffer* out);
    void (*destroy)(kh_adapter_instance* instance);

    /* Native document -> canonical decode result (JSON). Must be callable
     * from several threads at once on the same instance. */
    kh_status (*decode)(kh_adapter_instance* instance, const uint8_t* document,
                        size_t size, kh_buffer* out);

    /* Canonical outbound message (JSON) -> native document (XML). */
    kh_status (*encode)(kh_adapter_instance* instance, const uint8_t* message,
                        size_t size, kh_buffer* out);

    /* Describes the adapter as JSON: document types in and out. */
    kh_status (*describe)(kh_adapter_instance* instance, kh_buffer* out);

    void (*free_buffer)(kh_buffer* buffer);
} kh_adapter_v1;

/* The one exported symbol. The host passes its own ABI version; a plugin may
 * return NULL when it cannot serve that host. */
typedef const kh_adapter_v1* (*kh_adapter_entry_fn)(uint16_t host_abi_major,
                                                     uint16_t host_abi_minor);

#ifdef __cplusplus
}
#endif

#endif /* KETENHUB_PLUGIN_ABI_H */
