// Loads adapter plugins through the C ABI (plugins/include/ketenhub/plugin_abi.h)
// and presents them to the core as ordinary objects. In-tree and out-of-tree
// adapters take exactly this path.
#pragma once

#include "common/result.hpp"

#include <ketenhub/plugin_abi.h>
#include <ketenhub/sdk/canonical.hpp>
#include <ketenhub/sdk/canonical_json.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace ketenhub::plugin_host {

// A shared library that passed the ABI checks. The library stays mapped for
// as long as any instance created from it is alive.
class PluginLibrary {
public:
    // Refuses, with an error naming the file: a file dlopen cannot load, a
    // missing entry symbol, a NULL table, a wrong ABI major version, a table
    // smaller than the major's first table, or missing functions.
    static Result<std::shared_ptr<PluginLibrary>> load(const std::string& path);
    ~PluginLibrary();

    const std::string& path() const { return path_; }
    std::string name() const { return table_->adapter_name ? table_->adapter_name : ""; }
    std::string version() const { return table_->adapter_version ? table_->adapter_version : ""; }
    unsigned abi_major() const { return table_->abi_major; }
    unsigned abi_minor() const { return table_->abi_minor; }
    const kh_adapter_v1& table() const { return *table_; }

private:
    PluginLibrary() = default;
    void* handle_ = nullptr;
    const kh_adapter_v1* table_ = nullptr;
    std::string path_;
};

// What an adapter refused, or why it failed.
struct AdapterFailure {
    bool rejected = true;  // false: the adapter itself failed (internal error)
    std::vector<sdk::Problem> problems;
    std::string summary() const;
};

template <class T>
using AdapterResult = std::variant<T, AdapterFailure>;

// One configured instance of an adapter (one partner).
class AdapterInstance {
public:
    static Result<std::shared_ptr<AdapterInstance>> create(std::shared_ptr<PluginLibrary> library,
                                                           const sdk::Json& host_settings);
    ~AdapterInstance();

    // Native document -> canonical records. Thread-safe.
    AdapterResult<sdk::DecodedDocument> decode(std::string_view document) const;
    // Canonical message -> native document.
    AdapterResult<std::string> encode(const sdk::OutboundMessage& message) const;
    Result<sdk::Json> describe() const;

    const PluginLibrary& library() const { return *library_; }

private:
    AdapterInstance() = default;
    std::shared_ptr<PluginLibrary> library_;
    kh_adapter_instance* instance_ = nullptr;
};

}  // namespace ketenhub::plugin_host
