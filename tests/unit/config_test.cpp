// Configuration: the example config is valid, and every kind of mistake is
// refused with the file, the line and the field.
#include "adapter_harness.hpp"
#include "config/config.hpp"
#include "partners/partner_registry.hpp"

#include <gtest/gtest.h>

#include <filesystem>

using namespace ketenhub;
using namespace ketenhub::testing;
namespace fs = std::filesystem;

namespace {

class ConfigTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kh-config-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
        for (const char* f : {"ca.pem", "server.pem", "server-key.pem"}) write_file(dir_ / f, "placeholder");
    }
    void TearDown() override { fs::remove_all(dir_); }

    // A complete, valid configuration; `partner_extra` lands inside <adapter>.
    std::string config(const std::string& listener_extra = "", const std::string& adapter_body = "",
                       const std::string& more_partners = "") {
        return R"(<?xml version="1.0"?>
<ketenhub xmlns="urn:ketenhub:config:1">
  <listener address="127.0.0.1" port="0")" + listener_extra + R"(>
    <tls client-ca="ca.pem" certificate="server.pem" private-key="server-key.pem"/>
  </listener>
  <storage><sqlite path="data/hub.db"/></storage>
  <reference directory=")" + source_dir() + R"(/config/reference"/>
  <plugins directory=")" + build_dir() + R"(/adapters"/>
  <partner code="coa">
    <certificate subject="CN=coa,OU=Partners,O=Ketenhub Development"/>
    <adapter plugin="ketenhub_adapter_coa.so">)" + adapter_body + R"(</adapter>
  </partner>)" + more_partners + R"(
</ketenhub>
)";
    }

    Result<config::Config> load(const std::string& text) {
        write_file(dir_ / "ketenhub.xml", text);
        return config::load((dir_ / "ketenhub.xml").string());
    }

    fs::path dir_;
};

TEST_F(ConfigTest, TheShippedExampleConfigIsSchemaValid) {
    // Certificates and data are made at set-up time, so only the schema and
    // the parts that exist in a fresh clone are checked here.
    auto r = config::load(source_dir() + "/config/ketenhub.example.xml");
    if (!r) {
        for (const auto& p : r.error().problems)
            EXPECT_TRUE(p.message.find("does not exist") != std::string::npos) << p.field << ": " << p.message;
    }
}

TEST_F(ConfigTest, AValidConfigResolvesPathsAgainstItsDirectory) {
    auto r = load(config());
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->listener.tls.client_ca, (dir_ / "ca.pem").string());
    EXPECT_EQ(r->sqlite.path, (dir_ / "data/hub.db").string());
    EXPECT_EQ(r->listener.max_body_bytes, 6291456u);  // room for 5 MB VWN and MbT exports
    ASSERT_EQ(r->partners.size(), 1u);
    EXPECT_EQ(r->partners[0].plugin_path, build_dir() + "/adapters/ketenhub_adapter_coa.so");
}

TEST_F(ConfigTest, AnUnknownAttributeIsAnErrorWithFileAndLine) {
    auto r = load(config(" colour=\"blue\""));
    ASSERT_FALSE(r);
    const std::string m = r.error().message;
    EXPECT_NE(m.find((dir_ / "ketenhub.xml").string() + ":3:"), std::string::npos) << m;
    EXPECT_NE(m.find("colour"), std::string::npos) << m;
}

TEST_F(ConfigTest, AnUnknownElementIsAnErrorWithFileAndLine) {
    std::string text = config();
    text.replace(text.find("  <storage>"), 0, "  <cache size=\"1\"/>\n");
    auto r = load(text);
    ASSERT_FALSE(r);
    ASSERT_FALSE(r.error().problems.empty());
    EXPECT_EQ(r.error().problems[0].line, 6);
    EXPECT_EQ(r.error().problems[0].field, "/ketenhub/cache");
}

TEST_F(ConfigTest, AMissingTlsFileIsNamedWithItsLine) {
    fs::remove(dir_ / "server-key.pem");
    auto r = load(config());
    ASSERT_FALSE(r);
    ASSERT_EQ(r.error().problems.size(), 1u);
    EXPECT_EQ(r.error().problems[0].line, 4);
    EXPECT_EQ(r.error().problems[0].field, "/ketenhub/listener/tls/@private-key");
}

TEST_F(ConfigTest, TwoPartnersWithTheSameCodeAreRefused) {
    auto r = load(config("", "", R"(
  <partner code="coa">
    <certificate subject="CN=other"/>
    <adapter plugin="ketenhub_adapter_coa.so"/>
  </partner>)"));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("unique"), std::string::npos) << r.error().message;
}

TEST_F(ConfigTest, OneCertificateForTwoPartnersIsRefused) {
    auto r = load(config("", "", R"(
  <partner code="coa-2">
    <certificate subject="CN=coa,OU=Partners,O=Ketenhub Development"/>
    <adapter plugin="ketenhub_adapter_coa.so"/>
  </partner>)"));
    ASSERT_FALSE(r);
    ASSERT_EQ(r.error().problems.size(), 1u);
    EXPECT_EQ(r.error().problems[0].line, 14);
    EXPECT_NE(r.error().problems[0].message.find("already mapped to partner 'coa'"), std::string::npos);
}

TEST_F(ConfigTest, AnUnknownAdapterSettingIsRefusedWhenThePluginLoads) {
    auto r = load(config("", "<setting name=\"colour\" value=\"blue\"/>"));
    ASSERT_TRUE(r) << r.error().message;
    auto registry = partners::PartnerRegistry::build(*r);
    ASSERT_FALSE(registry);
    ASSERT_EQ(registry.error().problems.size(), 1u);
    EXPECT_EQ(registry.error().problems[0].line, 11);
    EXPECT_NE(registry.error().message.find("has no setting 'colour'"), std::string::npos) << registry.error().message;
}

TEST_F(ConfigTest, APathSettingIsResolvedAgainstTheConfigDirectory) {
    auto r = load(config("", "<setting name=\"signing-key\" path=\"server-key.pem\"/>"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->partners[0].settings.at("signing-key"), (dir_ / "server-key.pem").string());
}

TEST_F(ConfigTest, ASettingNeedsExactlyOneOfValueAndPath) {
    auto r = load(config("", "<setting name=\"x\" value=\"1\" path=\"server-key.pem\"/>"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().problems.at(0).line, 11);
    auto missing = load(config("", "<setting name=\"signing-key\" path=\"nowhere.pem\"/>"));
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("nowhere.pem does not exist"), std::string::npos) << missing.error().message;
}

TEST_F(ConfigTest, ARegistryMapsCertificatesToExactlyOnePartner) {
    auto r = load(config());
    ASSERT_TRUE(r) << r.error().message;
    auto registry = partners::PartnerRegistry::build(*r);
    ASSERT_TRUE(registry) << registry.error().message;
    EXPECT_NE((*registry)->by_certificate({"CN=coa,OU=Partners,O=Ketenhub Development", "ab"}), nullptr);
    EXPECT_EQ((*registry)->by_certificate({"CN=vwn,OU=Partners,O=Ketenhub Development", "ab"}), nullptr);
}

TEST_F(ConfigTest, ADocumentThatIsNotXmlNamesTheLine) {
    auto r = load("<ketenhub xmlns=\"urn:ketenhub:config:1\">\n  <listener>\n</ketenhub>\n");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find(":3:"), std::string::npos) << r.error().message;
}

}  // namespace
