// The plugin host against a good adapter and against plugins that are wrong
// in each way the ABI guards against.
#include "adapter_harness.hpp"

#include <gtest/gtest.h>

#include <dlfcn.h>

using namespace ketenhub;
using namespace ketenhub::testing;
using plugin_host::PluginLibrary;

namespace {

std::string test_plugin(const std::string& name) { return build_dir() + "/tests/plugins/" + name + ".so"; }

TEST(PluginLoader, LoadsAGoodAdapterAndReportsItsIdentity) {
    auto lib = PluginLibrary::load(build_dir() + "/adapters/ketenhub_adapter_coa.so");
    ASSERT_TRUE(lib) << lib.error().message;
    EXPECT_EQ((*lib)->name(), "coa");
    EXPECT_EQ((*lib)->abi_major(), static_cast<unsigned>(KH_ABI_MAJOR));
    EXPECT_GE((*lib)->table().struct_size, sizeof(kh_adapter_v1));
}

TEST(PluginLoader, RefusesAWrongMajorVersionNamingTheFile) {
    auto lib = PluginLibrary::load(test_plugin("kh_test_plugin_wrong_major"));
    ASSERT_FALSE(lib);
    EXPECT_NE(lib.error().message.find("kh_test_plugin_wrong_major.so"), std::string::npos);
    EXPECT_NE(lib.error().message.find("major version 2"), std::string::npos) << lib.error().message;
}

TEST(PluginLoader, RefusesALibraryWithoutTheEntrySymbol) {
    auto lib = PluginLibrary::load(test_plugin("kh_test_plugin_missing_symbol"));
    ASSERT_FALSE(lib);
    EXPECT_NE(lib.error().message.find("kh_test_plugin_missing_symbol.so"), std::string::npos);
    EXPECT_NE(lib.error().message.find(KH_ADAPTER_ENTRY_SYMBOL), std::string::npos) << lib.error().message;
}

TEST(PluginLoader, RefusesATableTooSmallForTheAbi) {
    auto lib = PluginLibrary::load(test_plugin("kh_test_plugin_small_table"));
    ASSERT_FALSE(lib);
    EXPECT_NE(lib.error().message.find("smaller than"), std::string::npos) << lib.error().message;
}

TEST(PluginLoader, RefusesAFileThatIsNoSharedLibrary) {
    auto lib = PluginLibrary::load(source_dir() + "/config/ketenhub.xsd");
    ASSERT_FALSE(lib);
    EXPECT_NE(lib.error().message.find("ketenhub.xsd"), std::string::npos);
}

TEST(PluginLoader, MalformedCanonicalOutputIsAnAdapterFailureNotACrash) {
    auto lib = PluginLibrary::load(test_plugin("kh_test_plugin_junk_output"));
    ASSERT_TRUE(lib) << lib.error().message;
    auto inst = plugin_host::AdapterInstance::create(*lib, sdk::Json::object());
    ASSERT_TRUE(inst) << inst.error().message;
    auto r = (*inst)->decode("<x/>");
    ASSERT_TRUE(std::holds_alternative<plugin_host::AdapterFailure>(r));
    const auto& f = std::get<plugin_host::AdapterFailure>(r);
    EXPECT_FALSE(f.rejected);
    EXPECT_NE(f.summary().find("malformed canonical output"), std::string::npos) << f.summary();
}

TEST(PluginLoader, AdaptersExportOnlyTheEntrySymbol) {
    // dlsym finds the entry point, and no SDK internals leak out.
    void* h = dlopen((build_dir() + "/adapters/ketenhub_adapter_coa.so").c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(h, nullptr);
    EXPECT_NE(dlsym(h, KH_ADAPTER_ENTRY_SYMBOL), nullptr);
    EXPECT_EQ(dlsym(h, "_ZN8ketenhub3sdk4glue11free_bufferEP9kh_buffer"), nullptr);
    dlclose(h);
}

TEST(PluginLoader, AnExceptionInsideAnAdapterStaysInsideIt) {
    // The COA adapter throws internally for an unreadable settings document;
    // the host sees a refusal with a reason, not an exception.
    auto lib = PluginLibrary::load(build_dir() + "/adapters/ketenhub_adapter_coa.so");
    ASSERT_TRUE(lib);
    auto inst = plugin_host::AdapterInstance::create(*lib, sdk::Json{{"reference_dir", "/nonexistent"},
                                                                     {"iso3166_json", KETENHUB_ISO3166_JSON}});
    ASSERT_FALSE(inst);
    EXPECT_NE(inst.error().message.find("/nonexistent/country-names.txt"), std::string::npos) << inst.error().message;
}

}  // namespace
