// The COA adapter against every sample COA published, its golden canonical
// forms, the rules its schema cannot express, and the DoorverwijzingStatus
// encoder.
#include "adapter_harness.hpp"

#include <ketenhub/sdk/xml.hpp>

#include <gtest/gtest.h>

#include <map>

using namespace ketenhub;
using namespace ketenhub::testing;
namespace fs = std::filesystem;

namespace {

fs::path contract() { return fs::path(source_dir()) / "adapters/coa/contract"; }
fs::path golden() { return fs::path(source_dir()) / "adapters/coa/golden"; }

bool is_outbound_sample(const fs::path& p) { return p.filename().string().rfind("doorverwijzingstatus-", 0) == 0; }

std::string replace(std::string s, const std::string& from, const std::string& to) {
    auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
}

class CoaAdapterTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { adapter_ = load_adapter("coa"); }
    static void TearDownTestSuite() { adapter_.reset(); }
    static std::shared_ptr<plugin_host::AdapterInstance> adapter_;
};
std::shared_ptr<plugin_host::AdapterInstance> CoaAdapterTest::adapter_;

TEST_F(CoaAdapterTest, EveryValidInboundSampleMatchesItsGoldenCanonicalForm) {
    EXPECT_EQ(expect_golden_samples(*adapter_, contract() / "samples/valid", golden(), is_outbound_sample,
                                    [](const sdk::DecodedDocument& d) {
                                        EXPECT_EQ(d.records.size(), 1u);
                                    }),
              7);
}

TEST_F(CoaAdapterTest, EventDatesAreAmsterdamDatesOfTheDocumentsEventField) {
    auto q = decode_ok(*adapter_, read_file(contract() / "samples/valid/helpdeskvraag-kerk-somalie.xml"));
    EXPECT_EQ(q.records.at(0).events.at(0).event_date, "2010-11-22");
    // A referral made late in the evening UTC falls on the next Dutch day.
    std::string doc = read_file(contract() / "samples/valid/doorverwijzing-iom-beridze.xml");
    doc = replace(doc, "<datum>2010-06-15T11:30:00+02:00</datum>", "<datum>2010-06-15T22:30:00-01:00</datum>");
    auto r = decode_ok(*adapter_, doc);
    EXPECT_EQ(r.records.at(0).events.at(0).event_date, "2010-06-16");
}

TEST_F(CoaAdapterTest, ReferralToAPsychosocialPartnerImpliesThePsychosocialNeed) {
    std::string doc = read_file(contract() / "samples/valid/doorverwijzing-sms-krasniqi.xml");
    doc = replace(doc, "<naar>SMS</naar>", "<naar>HNTPO</naar>");
    doc = replace(doc, "<organisatie>SMS</organisatie>", "<organisatie>HNTPO</organisatie>");
    auto r = decode_ok(*adapter_, doc);
    const auto& fields = r.records.at(0).events.at(0).fields;
    EXPECT_EQ(fields.at("need_psychosocial").value, true);
    EXPECT_EQ(fields.at("referred_to").sensitivity, sdk::Sensitivity::SpecialCategory);
}

struct InvalidCase {
    const char* file;
    const char* field;  // a path that one reported problem must name
};

TEST_F(CoaAdapterTest, EveryInvalidSampleIsRejectedNamingFieldAndLine) {
    const std::vector<InvalidCase> cases = {
        {"wrong-namespace.xml", "/HelpdeskVraag"},
        {"datetime-without-offset.xml", "/HelpdeskVraag/ontvangenOp"},
        {"unknown-requester-type.xml", "/HelpdeskVraag/vraagsteller/soort"},
        {"country-alpha3-instead-of-alpha2.xml", "/HelpdeskVraag/land"},
        {"missing-required-coanummer.xml", "/Doorverwijzing/client/vNummer"},
        {"missing-toestemming.xml", "/Doorverwijzing"},
        {"xxe-external-entity.xml", "DOCTYPE"},
        {"billion-laughs.xml", "DOCTYPE"},
        {"deeply-nested.xml", ""},
    };
    EXPECT_EQ(cases.size(), files_in(contract() / "samples/invalid", ".xml").size())
        << "a new invalid sample needs an expectation here";
    for (const auto& c : cases) {
        SCOPED_TRACE(c.file);
        auto f = decode_failure(*adapter_, read_file(contract() / "samples/invalid" / c.file));
        EXPECT_TRUE(f.rejected);
        ASSERT_FALSE(f.problems.empty());
        bool named = false;
        for (const auto& p : f.problems) {
            EXPECT_GT(p.line, 0) << p.message;
            named = named || p.field == c.field;
        }
        EXPECT_TRUE(named) << f.summary();
    }
}

TEST_F(CoaAdapterTest, HostileDocumentsAreNeverExpanded) {
    auto xxe = decode_failure(*adapter_, read_file(contract() / "samples/invalid/xxe-external-entity.xml"));
    EXPECT_EQ(xxe.summary().find("root:"), std::string::npos);
    // Without the DOCTYPE pre-check the parser still must not resolve an
    // undeclared entity reference to anything.
    std::string doc = read_file(contract() / "samples/valid/helpdeskvraag-gemeente-kosovo.xml");
    doc = replace(doc, "Gemeente vraagt", "&xxe; Gemeente vraagt");
    auto f = decode_failure(*adapter_, doc);
    EXPECT_NE(f.summary().find("xxe"), std::string::npos) << f.summary();
    EXPECT_GT(f.problems.at(0).line, 0);
}

TEST_F(CoaAdapterTest, DoctypeAfterACommentIsStillRefused) {
    std::string doc = "<?xml version=\"1.0\"?>\n<!-- c -->\n<!DOCTYPE x SYSTEM \"file:///etc/passwd\">\n<x/>";
    auto f = decode_failure(*adapter_, doc);
    EXPECT_EQ(f.problems.at(0).field, "DOCTYPE");
    EXPECT_EQ(f.problems.at(0).line, 3);
}

TEST_F(CoaAdapterTest, ReferralToAnOrganisationOutsideTheConsentIsRejected) {
    std::string doc = read_file(contract() / "samples/valid/doorverwijzing-iom-beridze.xml");
    doc = replace(doc, "<organisatie>IOM</organisatie>", "<organisatie>VWN</organisatie>");
    auto f = decode_failure(*adapter_, doc);
    ASSERT_EQ(f.problems.size(), 1u);
    EXPECT_EQ(f.problems[0].field, "/Doorverwijzing/naar");
    EXPECT_EQ(f.problems[0].line, 8);
}

TEST_F(CoaAdapterTest, RefusedConsentWithOrganisationsIsRejected) {
    std::string doc = read_file(contract() / "samples/valid/doorverwijzing-iom-beridze.xml");
    doc = replace(doc, "<gegeven>true</gegeven>", "<gegeven>false</gegeven>");
    auto f = decode_failure(*adapter_, doc);
    bool names_list = false;
    for (const auto& p : f.problems) names_list = names_list || p.field == "/Doorverwijzing/toestemming/delenMet";
    EXPECT_TRUE(names_list) << f.summary();
}

TEST_F(CoaAdapterTest, UnknownCountryCodeIsRejectedNotGuessed) {
    std::string doc = read_file(contract() / "samples/valid/helpdeskvraag-gemeente-kosovo.xml");
    doc = replace(doc, "<land>XK</land>", "<land>ZZ</land>");
    auto f = decode_failure(*adapter_, doc);
    ASSERT_EQ(f.problems.size(), 1u);
    EXPECT_EQ(f.problems[0].field, "/HelpdeskVraag/land");
    EXPECT_NE(f.problems[0].message.find("ZZ"), std::string::npos);
}

// The two DoorverwijzingStatus samples, re-created from canonical messages.
TEST_F(CoaAdapterTest, EncodesDoorverwijzingStatusLikeThePublishedSamples) {
    struct Case {
        const char* sample;
        sdk::OutboundMessage message;
    };
    std::vector<Case> cases = {
        {"doorverwijzingstatus-geaccepteerd-beridze.xml",
         {"referral_status", "3f5b9c2e-1d7a-4e68-b4c3-9a2e5f8d1c07", "2010-06-17T07:15:02Z",
          {{"referral_number", "FO-2010-00318"}, {"hub_referral_id", "SDT-2010-000117"},
           {"coa_number", "30415522"}, {"status", "accepted"}, {"effective_at", "2010-06-17T09:14:26+02:00"}}}},
        {"doorverwijzingstatus-teruggekeerd-beridze.xml",
         {"referral_status", "7c2e4a91-6f3b-4d58-a1e9-2b8c5d7f0e36", "2010-07-21T08:02:40+02:00",
          {{"referral_number", "FO-2010-00318"}, {"hub_referral_id", "SDT-2010-000117"},
           {"coa_number", "30415522"}, {"status", "returned"}, {"effective_at", "2010-07-20"},
           {"reason", "Vertrokken naar Tbilisi met begeleiding van IOM."}}}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.sample);
        auto r = adapter_->encode(c.message);
        ASSERT_TRUE(std::holds_alternative<std::string>(r)) << std::get<plugin_host::AdapterFailure>(r).summary();
        auto produced = sdk::xml::Document::parse_untrusted(std::get<std::string>(r));
        auto expected = sdk::xml::Document::parse_untrusted(read_file(contract() / "samples/valid" / c.sample));
        auto got = sdk::xml::children(produced.root());
        auto want = sdk::xml::children(expected.root());
        ASSERT_EQ(got.size(), want.size());
        for (size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(sdk::xml::local_name(got[i]), sdk::xml::local_name(want[i]));
            EXPECT_EQ(sdk::xml::text(got[i]), sdk::xml::text(want[i])) << sdk::xml::local_name(want[i]);
        }
    }
}

TEST_F(CoaAdapterTest, DeclinedStatusWithoutReasonIsRefused) {
    sdk::OutboundMessage m{"referral_status", "3f5b9c2e-1d7a-4e68-b4c3-9a2e5f8d1c07", "2010-06-17T07:15:02Z",
                           {{"referral_number", "FO-2010-00318"}, {"coa_number", "30415522"},
                            {"status", "declined"}, {"effective_at", "2010-06-17"}}};
    auto r = adapter_->encode(m);
    ASSERT_TRUE(std::holds_alternative<plugin_host::AdapterFailure>(r));
    EXPECT_EQ(std::get<plugin_host::AdapterFailure>(r).problems.at(0).field, "fields.reason");
}

TEST_F(CoaAdapterTest, EncodedDocumentThatBreaksTheSchemaIsNeverReturned) {
    sdk::OutboundMessage m{"referral_status", "not-a-uuid", "2010-06-17T07:15:02Z",
                           {{"referral_number", "FO-2010-00318"}, {"coa_number", "30415522"},
                            {"status", "accepted"}, {"effective_at", "2010-06-17"}}};
    auto r = adapter_->encode(m);
    ASSERT_TRUE(std::holds_alternative<plugin_host::AdapterFailure>(r));
    EXPECT_NE(std::get<plugin_host::AdapterFailure>(r).summary().find("berichtId"), std::string::npos);
}

}  // namespace
