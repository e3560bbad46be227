// Header-only C++ SDK over the C plugin ABI: an adapter author writes an
// ordinary class deriving from ketenhub::sdk::Adapter and names it once with
// KETENHUB_ADAPTER(Class, "name", "version"). The glue below turns the class
// into the kh_adapter_v1 table, keeps every exception on the plugin's side of
// the boundary, and allocates and frees every buffer with the plugin's own
// allocator.
//
// Build an adapter with -fvisibility=hidden and the linker version script
// (in-tree plugins/ketenhub_adapter.map; installed
// <prefix>/share/ketenhub/ketenhub_adapter.map) so that the entry point is its
// only exported symbol. docs/adapters.md walks through an out-of-tree adapter.
#pragma once

#include <ketenhub/plugin_abi.h>
#include <ketenhub/sdk/canonical.hpp>
#include <ketenhub/sdk/canonical_json.hpp>
#include <ketenhub/sdk/xml.hpp>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

namespace ketenhub::sdk {

// What the host tells an adapter when it creates it.
struct HostSettings {
    std::string partner;        // hub partner code this instance serves
    std::string reference_dir;  // the partners' reference lists (country-names.txt, ...)
    std::string iso3166_json;   // Debian iso-codes' ISO 3166-1 data
    Json settings = Json::object();  // the partner's <setting> values from the hub config

    std::string setting(const std::string& name, const std::string& fallback = {}) const {
        auto it = settings.find(name);
        return it != settings.end() && it->is_string() ? it->get<std::string>() : fallback;
    }
};

class Adapter {
public:
    virtual ~Adapter() = default;
    // Native document -> canonical records. Throw Rejection for a document
    // refused as a whole; put per-record problems into the Record instead.
    virtual DecodedDocument decode(std::string_view document) = 0;
    // Canonical outbound message -> native document. Throw Rejection when the
    // message lacks what the format needs.
    virtual std::string encode(const OutboundMessage& message) = 0;
    // {"namespace":"urn:...","inbound":["HelpdeskVraag",...],
    //  "outbound":["referral_status",...],
    //  "settings":[{"name":"signing-key","required":true,"description":"..."}]}
    // The hub refuses a partner config with a setting not listed here.
    virtual Json describe() const = 0;
};

namespace glue {

inline void put(kh_buffer* out, std::string_view bytes) noexcept {
    if (!out) return;
    out->data = nullptr;
    out->size = 0;
    if (bytes.empty()) return;
    auto* p = static_cast<uint8_t*>(std::malloc(bytes.size()));
    if (!p) return;
    std::memcpy(p, bytes.data(), bytes.size());
    out->data = p;
    out->size = bytes.size();
}

inline void put_problems(kh_buffer* out, const std::vector<Problem>& problems) noexcept {
    try {
        put(out, Json{{"errors", problems}}.dump());
    } catch (...) {
        put(out, R"({"errors":[{"line":0,"field":"","message":"out of memory"}]})");
    }
}

inline void put_error(kh_buffer* out, const char* what) noexcept {
    try {
        put_problems(out, {Problem{0, "", std::string("adapter error: ") + what}});
    } catch (...) {
        put(out, R"({"errors":[{"line":0,"field":"","message":"adapter error"}]})");
    }
}

// Runs f, mapping every exception to a status: nothing escapes to C.
template <class F>
kh_status guarded(kh_buffer* out, F&& f) noexcept {
    try {
        return f();
    } catch (const Rejection& r) {
        put_problems(out, r.problems());
        return KH_REJECTED;
    } catch (const std::bad_alloc&) {
        put_error(out, "out of memory");
        return KH_INTERNAL_ERROR;
    } catch (const std::exception& e) {
        put_error(out, e.what());
        return KH_INTERNAL_ERROR;
    } catch (...) {
        put_error(out, "unknown exception");
        return KH_INTERNAL_ERROR;
    }
}

inline Adapter* self(kh_adapter_instance* i) { return reinterpret_cast<Adapter*>(i); }

template <class A>
kh_status create(const uint8_t* settings, size_t size, kh_adapter_instance** instance, kh_buffer* out) noexcept {
    if (instance) *instance = nullptr;
    return guarded(out, [&]() -> kh_status {
        Json j = Json::parse(std::string_view(reinterpret_cast<const char*>(settings), size));
        HostSettings hs;
        hs.partner = j.value("partner", std::string());
        hs.reference_dir = j.value("reference_dir", std::string());
        hs.iso3166_json = j.value("iso3166_json", std::string());
        hs.settings = j.value("settings", Json::object());
        Adapter* a = new A(hs);
        *instance = reinterpret_cast<kh_adapter_instance*>(a);
        return KH_OK;
    });
}

inline void destroy(kh_adapter_instance* instance) noexcept { delete self(instance); }

inline kh_status decode(kh_adapter_instance* instance, const uint8_t* doc, size_t size, kh_buffer* out) noexcept {
    return guarded(out, [&]() -> kh_status {
        DecodedDocument d = self(instance)->decode(std::string_view(reinterpret_cast<const char*>(doc), size));
        put(out, to_json_text(d));
        return KH_OK;
    });
}

inline kh_status encode(kh_adapter_instance* instance, const uint8_t* msg, size_t size, kh_buffer* out) noexcept {
    return guarded(out, [&]() -> kh_status {
        OutboundMessage m;
        try {
            m = Json::parse(std::string_view(reinterpret_cast<const char*>(msg), size)).get<OutboundMessage>();
        } catch (const Json::exception& e) {
            throw Rejection(0, "", std::string("outbound message is not canonical JSON: ") + e.what());
        }
        put(out, self(instance)->encode(m));
        return KH_OK;
    });
}

inline kh_status describe(kh_adapter_instance* instance, kh_buffer* out) noexcept {
    return guarded(out, [&]() -> kh_status {
        put(out, self(instance)->describe().dump());
        return KH_OK;
    });
}

inline void free_buffer(kh_buffer* b) noexcept {
    if (!b) return;
    std::free(b->data);
    b->data = nullptr;
    b->size = 0;
}

template <class A>
constexpr kh_adapter_v1 make_table(const char* name, const char* version) {
    return kh_adapter_v1{sizeof(kh_adapter_v1), KH_ABI_MAJOR, KH_ABI_MINOR, name, version,
                         &create<A>, &destroy, &decode, &encode, &describe, &free_buffer};
}

}  // namespace glue
}  // namespace ketenhub::sdk

// Declares the plugin's one exported entry point for adapter class `Class`.
#define KETENHUB_ADAPTER(Class, name, version)                                                   \
    extern "C" KH_EXPORT const kh_adapter_v1* ketenhub_adapter_entry(uint16_t host_major,        \
                                                                      uint16_t /*host_minor*/) { \
        static const kh_adapter_v1 table = ::ketenhub::sdk::glue::make_table<Class>(name, version); \
        return host_major == KH_ABI_MAJOR ? &table : nullptr;                                    \
    }
