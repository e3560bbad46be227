// Deliberately broken plugins for the loader tests. Which one is built is
// chosen with -DKH_TEST_PLUGIN=<n>; each is a real shared library loaded
// through dlopen like any adapter.
#include <ketenhub/plugin_abi.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace {
[[maybe_unused]] kh_status create(const uint8_t*, size_t, kh_adapter_instance** i, kh_buffer*) {
    *i = reinterpret_cast<kh_adapter_instance*>(std::malloc(1));
    return KH_OK;
}
[[maybe_unused]] void destroy(kh_adapter_instance* i) { std::free(i); }
kh_status fail(kh_buffer* out, const char* json) {
    size_t n = std::strlen(json);
    out->data = static_cast<uint8_t*>(std::malloc(n));
    std::memcpy(out->data, json, n);
    out->size = n;
    return KH_INTERNAL_ERROR;
}
[[maybe_unused]] kh_status decode(kh_adapter_instance*, const uint8_t*, size_t, kh_buffer* out) {
#if KH_TEST_PLUGIN == 4
    // Malformed canonical output: the host must not trust it.
    const char* junk = "{\"records\": 42}";
    size_t n = std::strlen(junk);
    out->data = static_cast<uint8_t*>(std::malloc(n));
    std::memcpy(out->data, junk, n);
    out->size = n;
    return KH_OK;
#else
    return fail(out, R"({"errors":[{"line":0,"field":"","message":"test plugin cannot decode"}]})");
#endif
}
[[maybe_unused]] kh_status encode(kh_adapter_instance*, const uint8_t*, size_t, kh_buffer* out) {
    return fail(out, R"({"errors":[{"line":0,"field":"","message":"test plugin cannot encode"}]})");
}
[[maybe_unused]] kh_status describe(kh_adapter_instance*, kh_buffer* out) {
    return fail(out, R"({"errors":[{"line":0,"field":"","message":"no"}]})");
}
[[maybe_unused]] void free_buffer(kh_buffer* b) {
    std::free(b->data);
    b->data = nullptr;
    b->size = 0;
}
}  // namespace

#if KH_TEST_PLUGIN == 1  // speaks ABI major 2
extern "C" KH_EXPORT const kh_adapter_v1* ketenhub_adapter_entry(uint16_t, uint16_t) {
    static const kh_adapter_v1 t{sizeof(kh_adapter_v1), 2, 0, "future", "9", create, destroy, decode, encode, describe, free_buffer};
    return &t;
}
#elif KH_TEST_PLUGIN == 2  // no entry symbol at all
extern "C" KH_EXPORT int some_other_symbol() { return 1; }
#elif KH_TEST_PLUGIN == 3  // a table too small for ABI 1
extern "C" KH_EXPORT const kh_adapter_v1* ketenhub_adapter_entry(uint16_t, uint16_t) {
    static const kh_adapter_v1 t{8, 1, 0, "small", "1", create, destroy, decode, encode, describe, free_buffer};
    return &t;
}
#elif KH_TEST_PLUGIN == 4  // a well-formed table whose decode returns junk
extern "C" KH_EXPORT const kh_adapter_v1* ketenhub_adapter_entry(uint16_t, uint16_t) {
    static const kh_adapter_v1 t{sizeof(kh_adapter_v1), 1, 0, "junk", "1", create, destroy, decode, encode, describe, free_buffer};
    return &t;
}
#endif
