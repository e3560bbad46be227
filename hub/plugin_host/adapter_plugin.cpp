#include "plugin_host/adapter_plugin.hpp"

#include <dlfcn.h>

#include <cstddef>

namespace ketenhub::plugin_host {
namespace {

// The size of the first kh_adapter_v1 of ABI major 1: any plugin of this
// major has at least these members.
constexpr size_t kMinimumTableSize = offsetof(kh_adapter_v1, free_buffer) + sizeof(void*);

// Takes ownership of a plugin buffer: copies it out and frees it with the
// plugin's own free_buffer.
std::string take(const kh_adapter_v1& t, kh_buffer& b) {
    std::string s(b.data ? reinterpret_cast<const char*>(b.data) : "", b.size);
    t.free_buffer(&b);
    return s;
}

AdapterFailure failure_from(kh_status status, const std::string& report, const std::string& adapter) {
    AdapterFailure f;
    f.rejected = status == KH_REJECTED;
    try {
        auto j = sdk::Json::parse(report);
        f.problems = j.at("errors").get<std::vector<sdk::Problem>>();
    } catch (const std::exception&) {
        f.rejected = false;
        f.problems.push_back({0, "", "adapter " + adapter + " returned an unreadable error report"});
    }
    if (f.problems.empty()) f.problems.push_back({0, "", "adapter " + adapter + " gave no reason"});
    return f;
}

}  // namespace

std::string AdapterFailure::summary() const { return summarize(problems); }

Result<std::shared_ptr<PluginLibrary>> PluginLibrary::load(const std::string& path) {
    // RTLD_LOCAL: plugins cannot see each other's symbols.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) return Error::invalid(path + ": cannot load plugin: " + dlerror());
    auto lib = std::shared_ptr<PluginLibrary>(new PluginLibrary());
    lib->handle_ = handle;
    lib->path_ = path;
    dlerror();
    void* sym = dlsym(handle, KH_ADAPTER_ENTRY_SYMBOL);
    if (!sym) return Error::invalid(path + ": not a Ketenhub adapter: symbol " KH_ADAPTER_ENTRY_SYMBOL " is missing");
    auto entry = reinterpret_cast<kh_adapter_entry_fn>(sym);
    const kh_adapter_v1* table = entry(KH_ABI_MAJOR, KH_ABI_MINOR);
    if (!table)
        return Error::invalid(path + ": the plugin refused host ABI " + std::to_string(KH_ABI_MAJOR) + "." +
                              std::to_string(KH_ABI_MINOR));
    if (table->abi_major != KH_ABI_MAJOR)
        return Error::invalid(path + ": plugin ABI major version " + std::to_string(table->abi_major) +
                              " is not supported (this hub speaks " + std::to_string(KH_ABI_MAJOR) + ".x)");
    if (table->struct_size < kMinimumTableSize)
        return Error::invalid(path + ": plugin function table is " + std::to_string(table->struct_size) +
                              " bytes, smaller than the " + std::to_string(kMinimumTableSize) +
                              " bytes ABI " + std::to_string(KH_ABI_MAJOR) + " requires");
    if (!table->create || !table->destroy || !table->decode || !table->encode || !table->describe ||
        !table->free_buffer || !table->adapter_name)
        return Error::invalid(path + ": plugin function table has empty entries");
    lib->table_ = table;
    return lib;
}

PluginLibrary::~PluginLibrary() {
    if (handle_) dlclose(handle_);
}

Result<std::shared_ptr<AdapterInstance>> AdapterInstance::create(std::shared_ptr<PluginLibrary> library,
                                                                 const sdk::Json& host_settings) {
    const auto& t = library->table();
    const std::string settings = host_settings.dump();
    kh_buffer out{};
    kh_adapter_instance* raw = nullptr;
    kh_status st = t.create(reinterpret_cast<const uint8_t*>(settings.data()), settings.size(), &raw, &out);
    std::string report = take(t, out);
    if (st != KH_OK || !raw) {
        auto f = failure_from(st, report, library->name());
        return Error::invalid(library->path() + ": adapter '" + library->name() + "' refused its settings: " + f.summary());
    }
    auto inst = std::shared_ptr<AdapterInstance>(new AdapterInstance());
    inst->library_ = std::move(library);
    inst->instance_ = raw;
    return inst;
}

AdapterInstance::~AdapterInstance() {
    if (instance_) library_->table().destroy(instance_);
}

AdapterResult<sdk::DecodedDocument> AdapterInstance::decode(std::string_view document) const {
    const auto& t = library_->table();
    kh_buffer out{};
    kh_status st = t.decode(instance_, reinterpret_cast<const uint8_t*>(document.data()), document.size(), &out);
    std::string body = take(t, out);
    if (st != KH_OK) return failure_from(st, body, library_->name());
    try {
        return sdk::decoded_document_from_json_text(body);
    } catch (const std::exception& e) {
        return AdapterFailure{false, {{0, "", "adapter " + library_->name() + " returned malformed canonical output: " + e.what()}}};
    }
}

AdapterResult<std::string> AdapterInstance::encode(const sdk::OutboundMessage& message) const {
    const auto& t = library_->table();
    const std::string in = sdk::Json(message).dump();
    kh_buffer out{};
    kh_status st = t.encode(instance_, reinterpret_cast<const uint8_t*>(in.data()), in.size(), &out);
    std::string body = take(t, out);
    if (st != KH_OK) return failure_from(st, body, library_->name());
    return body;
}

Result<sdk::Json> AdapterInstance::describe() const {
    const auto& t = library_->table();
    kh_buffer out{};
    kh_status st = t.describe(instance_, &out);
    std::string body = take(t, out);
    if (st != KH_OK) return Error::internal(failure_from(st, body, library_->name()).summary());
    try {
        return sdk::Json::parse(body);
    } catch (const std::exception& e) {
        return Error::internal("adapter " + library_->name() + " described itself in malformed JSON");
    }
}

}  // namespace ketenhub::plugin_host
