#include "adapter_harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ketenhub::testing {

std::string source_dir() { return KETENHUB_SOURCE_DIR; }
std::string build_dir() { return KETENHUB_BUILD_DIR; }

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const std::filesystem::path& path, const std::string& content) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << content;
}

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir, const std::string& extension) {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.is_regular_file() && e.path().extension() == extension) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::shared_ptr<plugin_host::AdapterInstance> load_adapter(const std::string& partner, const sdk::Json& settings) {
    auto lib = plugin_host::PluginLibrary::load(build_dir() + "/adapters/ketenhub_adapter_" + partner + ".so");
    if (!lib) throw std::runtime_error(lib.error().message);
    sdk::Json host{{"partner", partner},
                   {"reference_dir", source_dir() + "/config/reference"},
                   {"iso3166_json", KETENHUB_ISO3166_JSON},
                   {"settings", settings}};
    auto inst = plugin_host::AdapterInstance::create(*lib, host);
    if (!inst) throw std::runtime_error(inst.error().message);
    return *inst;
}

std::string compare_golden(const std::filesystem::path& golden, const sdk::Json& actual) {
    const std::string text = actual.dump(2) + "\n";
    if (const char* update = std::getenv("KETENHUB_UPDATE_GOLDEN"); update && std::string(update) == "1") {
        write_file(golden, text);
        return {};
    }
    if (!std::filesystem::exists(golden))
        return "golden file " + golden.string() + " is missing (run with KETENHUB_UPDATE_GOLDEN=1 and review it)";
    sdk::Json expected = sdk::Json::parse(read_file(golden));
    if (expected == actual) return {};
    sdk::Json patch = sdk::Json::diff(expected, actual);
    return "differs from " + golden.string() + ":\n" + patch.dump(2);
}

int expect_golden_samples(const plugin_host::AdapterInstance& adapter, const std::filesystem::path& valid_dir,
                          const std::filesystem::path& golden_dir,
                          const std::function<bool(const std::filesystem::path&)>& is_outbound,
                          const std::function<void(const sdk::DecodedDocument&)>& also) {
    int checked = 0;
    for (const auto& sample : files_in(valid_dir, ".xml")) {
        if (is_outbound(sample)) continue;
        SCOPED_TRACE(sample.filename().string());
        auto decoded = decode_ok(adapter, read_file(sample));
        EXPECT_FALSE(decoded.records.empty());
        for (const auto& r : decoded.records) EXPECT_TRUE(r.accepted) << r.record_id;
        if (also) also(decoded);
        auto diff = compare_golden(golden_dir / (sample.stem().string() + ".json"), sdk::Json(decoded));
        EXPECT_TRUE(diff.empty()) << diff;
        ++checked;
    }
    return checked;
}

plugin_host::AdapterFailure decode_failure(const plugin_host::AdapterInstance& adapter, const std::string& document) {
    auto r = adapter.decode(document);
    EXPECT_TRUE(std::holds_alternative<plugin_host::AdapterFailure>(r)) << "document was accepted";
    if (auto* f = std::get_if<plugin_host::AdapterFailure>(&r)) return *f;
    return {};
}

sdk::DecodedDocument decode_ok(const plugin_host::AdapterInstance& adapter, const std::string& document) {
    auto r = adapter.decode(document);
    if (auto* f = std::get_if<plugin_host::AdapterFailure>(&r)) {
        ADD_FAILURE() << "decode failed: " << f->summary();
        return {};
    }
    return std::get<sdk::DecodedDocument>(r);
}

}  // namespace ketenhub::testing
