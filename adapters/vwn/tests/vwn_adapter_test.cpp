// The VWN adapter against every sample VWN published: ISO-8859-1 exports,
// per-record outcomes in a batch, Dutch country names through the crosswalk,
// and the Terugkoppeling encoder in ISO-8859-1.
#include "adapter_harness.hpp"

#include <ketenhub/sdk/xml.hpp>

#include <gtest/gtest.h>

using namespace ketenhub;
using namespace ketenhub::testing;
namespace fs = std::filesystem;

namespace {

fs::path contract() { return fs::path(source_dir()) / "adapters/vwn/contract"; }
fs::path golden() { return fs::path(source_dir()) / "adapters/vwn/golden"; }
bool is_outbound_sample(const fs::path& p) { return p.filename().string().rfind("terugkoppeling-", 0) == 0; }

// Sample files are ISO-8859-1; edits in tests are ASCII, so byte replacement is safe.
std::string replace(std::string s, const std::string& from, const std::string& to) {
    auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
}

plugin_host::AdapterFailure decode_failure(const plugin_host::AdapterInstance& a, const std::string& doc) {
    auto r = a.decode(doc);
    EXPECT_TRUE(std::holds_alternative<plugin_host::AdapterFailure>(r)) << "document was accepted";
    if (auto* f = std::get_if<plugin_host::AdapterFailure>(&r)) return *f;
    return {};
}

class VwnAdapterTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { adapter_ = load_adapter("vwn"); }
    static void TearDownTestSuite() { adapter_.reset(); }
    static std::shared_ptr<plugin_host::AdapterInstance> adapter_;
};
std::shared_ptr<plugin_host::AdapterInstance> VwnAdapterTest::adapter_;

TEST_F(VwnAdapterTest, EveryValidInboundSampleMatchesItsGoldenCanonicalForm) {
    int checked = 0;
    for (const auto& sample : files_in(contract() / "samples/valid", ".xml")) {
        if (is_outbound_sample(sample)) continue;
        SCOPED_TRACE(sample.filename().string());
        auto decoded = decode_ok(*adapter_, read_file(sample));
        for (const auto& r : decoded.records) EXPECT_TRUE(r.accepted) << r.record_id;
        auto diff = compare_golden(golden() / (sample.stem().string() + ".json"), sdk::Json(decoded));
        EXPECT_TRUE(diff.empty()) << diff;
        ++checked;
    }
    EXPECT_EQ(checked, 4);
}

TEST_F(VwnAdapterTest, AnIso88591ExportWithSomalieDecodesToSO) {
    const std::string doc = read_file(contract() / "samples/valid/export-utrecht-2010-05.xml");
    ASSERT_NE(doc.find("Somali\xEB"), std::string::npos) << "the sample is Latin-1 on disk";
    auto d = decode_ok(*adapter_, doc);
    bool found = false;
    for (const auto& r : d.records)
        for (const auto& e : r.events)
            if (e.person && e.person->v_number == "2087640213") {
                EXPECT_EQ(e.person->nationality, "SO");
                found = true;
            }
    EXPECT_TRUE(found);
}

TEST_F(VwnAdapterTest, ExportRecordsAreKeyedByRegelIdAndDatesAreConverted) {
    auto d = decode_ok(*adapter_, read_file(contract() / "samples/valid/export-utrecht-2010-05.xml"));
    EXPECT_TRUE(d.batch);
    EXPECT_TRUE(d.message_id.empty());
    ASSERT_EQ(d.records.size(), 6u);
    EXPECT_EQ(d.records[0].record_id, "UT-2010-004471");
    const auto& e = d.records[0].events.at(0);
    EXPECT_EQ(e.type, "contact");
    EXPECT_EQ(e.event_date, "2010-03-15");
    EXPECT_EQ(e.person->birth_date, "1989-02-17");
    EXPECT_FALSE(e.person->v_number.has_value());  // Kamara's first record
    EXPECT_EQ(e.person->partner_ids.at(0).value, "VWN-UT-004512");
    EXPECT_EQ(e.fields.at("phase").value, "voorlichting");
}

TEST_F(VwnAdapterTest, TheFuturePlanIsConfidential) {
    auto d = decode_ok(*adapter_, read_file(contract() / "samples/valid/export-utrecht-2010-05.xml"));
    int plans = 0;
    for (const auto& r : d.records)
        for (const auto& e : r.events)
            if (auto it = e.fields.find("future_plan"); it != e.fields.end()) {
                EXPECT_EQ(it->second.sensitivity, sdk::Sensitivity::Confidential);
                ++plans;
            }
    EXPECT_GT(plans, 0);
}

TEST_F(VwnAdapterTest, AnUnknownCountryNameRejectsOnlyItsRecord) {
    std::string doc = read_file(contract() / "samples/valid/export-amsterdam-2010-10.xml");
    doc = replace(doc, "<landVanHerkomst>Ethiopi\xEB</landVanHerkomst>", "<landVanHerkomst>Abessinie</landVanHerkomst>");
    auto d = decode_ok(*adapter_, doc);
    ASSERT_EQ(d.records.size(), 3u);
    EXPECT_TRUE(d.records[0].accepted);
    EXPECT_FALSE(d.records[1].accepted);
    EXPECT_TRUE(d.records[2].accepted);
    ASSERT_EQ(d.records[1].problems.size(), 1u);
    EXPECT_EQ(d.records[1].problems[0].field, "/Export/Contactmoment[2]/landVanHerkomst");
    EXPECT_GT(d.records[1].problems[0].line, 0);
    EXPECT_NE(d.records[1].problems[0].message.find("Abessinie"), std::string::npos);
}

TEST_F(VwnAdapterTest, AnImpossibleDateRejectsOnlyItsRecord) {
    std::string doc = read_file(contract() / "samples/valid/export-amsterdam-2010-10.xml");
    doc = replace(doc, "<datum>14-10-2010</datum>", "<datum>31-02-2010</datum>");
    auto d = decode_ok(*adapter_, doc);
    EXPECT_FALSE(d.records[0].accepted);
    EXPECT_EQ(d.records[0].problems.at(0).field, "/Export/Contactmoment[1]/datum");
    EXPECT_TRUE(d.records[1].accepted);
}

TEST_F(VwnAdapterTest, ACountThatDoesNotMatchRejectsTheWholeExport) {
    std::string doc = read_file(contract() / "samples/valid/export-amsterdam-2010-10.xml");
    doc = replace(doc, "<aantalRegels>3</aantalRegels>", "<aantalRegels>4</aantalRegels>");
    auto f = decode_failure(*adapter_, doc);
    ASSERT_EQ(f.problems.size(), 1u);
    EXPECT_EQ(f.problems[0].field, "/Export/aantalRegels");
    EXPECT_EQ(f.problems[0].line, 5);
}

TEST_F(VwnAdapterTest, EveryInvalidSampleIsRejectedNamingFieldAndLine) {
    const std::vector<std::pair<const char*, const char*>> cases = {
        {"wrong-namespace.xml", "/Export"},
        {"iso-date-instead-of-dd-mm-jjjj.xml", "datum"},
        {"gespreknummer-out-of-range.xml", "gesprekNummer"},
        {"unknown-fase.xml", "fase"},
        {"country-as-code.xml", "landVanHerkomst"},
        {"missing-regelid.xml", "Contactmoment"},
        {"duplicate-regelid.xml", "Contactmoment"},
        {"missing-clientnummer.xml", "vNummer"},
    };
    EXPECT_EQ(cases.size(), files_in(contract() / "samples/invalid", ".xml").size());
    for (const auto& [file, field] : cases) {
        SCOPED_TRACE(file);
        auto f = decode_failure(*adapter_, read_file(contract() / "samples/invalid" / file));
        EXPECT_TRUE(f.rejected);
        ASSERT_FALSE(f.problems.empty());
        bool named = false;
        for (const auto& p : f.problems) {
            EXPECT_GT(p.line, 0) << p.message;
            // The path ends in the field (an element, or the record for attribute problems).
            auto tail = p.field.substr(p.field.find_last_of('/') + 1);
            named = named || tail.rfind(field, 0) == 0 || p.field == field;
        }
        EXPECT_TRUE(named) << f.summary();
    }
}

TEST_F(VwnAdapterTest, RegistrationCarriesNeedsConsentAndTheDesiredCountry) {
    auto d = decode_ok(*adapter_, read_file(contract() / "samples/valid/aanmelding-front-office-kamara.xml"));
    ASSERT_EQ(d.records.size(), 1u);
    EXPECT_EQ(d.message_id, "UT-2010-004530");
    const auto& e = d.records[0].events.at(0);
    EXPECT_EQ(e.type, "front_office_registration");
    EXPECT_EQ(e.event_date, "2010-06-02");
    EXPECT_EQ(e.person->country_of_return, "SL");
    EXPECT_EQ(e.fields.at("need_psychosocial").value, true);
    EXPECT_EQ(e.fields.at("need_psychosocial").sensitivity, sdk::Sensitivity::SpecialCategory);
    EXPECT_EQ(e.fields.at("needs_explanation").sensitivity, sdk::Sensitivity::SpecialCategory);
    EXPECT_EQ(e.fields.at("consent_organisations").value, sdk::Json({"SDT", "COA", "MBT", "HNTPO", "DTV"}));
}

sdk::OutboundMessage feedback(const std::string& id, sdk::Json fields) {
    return sdk::OutboundMessage{"feedback", id, "2010-06-08T10:00:00+02:00", std::move(fields)};
}

void expect_same_document(const std::string& produced, const std::string& expected) {
    auto a = sdk::xml::Document::parse_untrusted(produced);
    auto b = sdk::xml::Document::parse_untrusted(expected);
    EXPECT_EQ(sdk::xml::attr(a.root(), "regelId"), sdk::xml::attr(b.root(), "regelId"));
    std::function<void(xmlNode*, xmlNode*)> same = [&](xmlNode* x, xmlNode* y) {
        auto cx = sdk::xml::children(x), cy = sdk::xml::children(y);
        ASSERT_EQ(cx.size(), cy.size()) << sdk::xml::path_of(y);
        if (cx.empty()) {
            EXPECT_EQ(sdk::xml::text(x), sdk::xml::text(y)) << sdk::xml::path_of(y);
        }
        for (size_t i = 0; i < cx.size(); ++i) {
            EXPECT_EQ(sdk::xml::local_name(cx[i]), sdk::xml::local_name(cy[i]));
            same(cx[i], cy[i]);
        }
    };
    same(a.root(), b.root());
}

TEST_F(VwnAdapterTest, EncodesTerugkoppelingLikeThePublishedSamples) {
    const sdk::Json common{{"in_reply_to", "UT-2010-004530"}, {"vwn_client_number", "VWN-UT-004512"},
                           {"v_number", "2098315774"}, {"office", "Utrecht"}, {"consent_date", "2010-06-07"},
                           {"consent_organisations", {"SDT", "MBT", "HNTPO", "VWN", "DTV"}}};
    sdk::Json referred = common, returned = common;
    referred.update({{"outcome", "referred"}, {"referred_to", "MBT"}, {"date", "2010-06-08"}});
    returned.update({{"outcome", "returned"}, {"date", "2010-08-26"}, {"country", "SL"}});
    for (const auto& [sample, message] :
         std::vector<std::pair<std::string, sdk::OutboundMessage>>{
             {"terugkoppeling-doorverwezen-kamara.xml", feedback("SDT-2010-000845", referred)},
             {"terugkoppeling-teruggekeerd-kamara.xml", feedback("SDT-2010-001392", returned)}}) {
        SCOPED_TRACE(sample);
        auto r = adapter_->encode(message);
        ASSERT_TRUE(std::holds_alternative<std::string>(r)) << std::get<plugin_host::AdapterFailure>(r).summary();
        const std::string& out = std::get<std::string>(r);
        EXPECT_EQ(out.rfind("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>", 0), 0u) << out;
        expect_same_document(out, read_file(contract() / "samples/valid" / sample));
    }
}

TEST_F(VwnAdapterTest, FeedbackIsWrittenInIso88591AndRoundTrips) {
    sdk::Json f{{"vwn_client_number", "VWN-AM-007102"}, {"office", "Amsterdam"}, {"consent_date", "2010-10-19"},
                {"consent_organisations", {"VWN"}}, {"outcome", "stopped"}, {"date", "2010-11-01"},
                {"reason", "Cli\xC3\xABnt trekt zich terug; wil eerst naar Bra\xC5\x9Fov"}};  // ë, ş
    auto r = adapter_->encode(feedback("SDT-2010-001500", f));
    ASSERT_TRUE(std::holds_alternative<std::string>(r)) << std::get<plugin_host::AdapterFailure>(r).summary();
    const std::string& out = std::get<std::string>(r);
    EXPECT_NE(out.find("Cli\xEBnt"), std::string::npos) << "ë must be the single Latin-1 byte 0xEB";
    EXPECT_EQ(out.find("\xC3\xAB"), std::string::npos) << "no UTF-8 in a Latin-1 document";
    EXPECT_EQ(out.find("&#"), std::string::npos) << "no character references: VWN's system cannot store them";
    auto back = sdk::xml::Document::parse_untrusted(out);
    auto stopped = sdk::xml::child(back.root(), "Gestopt");
    EXPECT_EQ(sdk::xml::child_text(stopped, "reden"), "Cli\xC3\xABnt trekt zich terug; wil eerst naar Brasov");
}

TEST_F(VwnAdapterTest, FeedbackWithoutAConsentNamingVwnIsRefused) {
    sdk::Json f{{"vwn_client_number", "VWN-UT-004512"}, {"office", "Utrecht"}, {"consent_date", "2010-06-02"},
                {"consent_organisations", {"SDT", "MBT"}}, {"outcome", "referred"}, {"referred_to", "MBT"},
                {"date", "2010-06-08"}};
    auto r = adapter_->encode(feedback("SDT-2010-000845", f));
    ASSERT_TRUE(std::holds_alternative<plugin_host::AdapterFailure>(r));
    EXPECT_EQ(std::get<plugin_host::AdapterFailure>(r).problems.at(0).field, "fields.consent_organisations");
}

TEST_F(VwnAdapterTest, IncompleteFeedbackNamesTheMissingField) {
    sdk::Json f{{"office", "Utrecht"}, {"consent_date", "2010-06-07"}, {"consent_organisations", {"VWN"}},
                {"outcome", "returned"}, {"date", "2010-08-26"}, {"country", "SL"}};
    auto r = adapter_->encode(feedback("SDT-2010-001392", f));
    ASSERT_TRUE(std::holds_alternative<plugin_host::AdapterFailure>(r));
    EXPECT_EQ(std::get<plugin_host::AdapterFailure>(r).problems.at(0).field, "fields.vwn_client_number");
}

}  // namespace
