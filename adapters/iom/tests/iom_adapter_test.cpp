// The IOM adapter against every sample IOM published: golden canonical forms
// of each ReturnCaseUpdate, the invalid samples, the rules the schema cannot
// express, the partner's quirks (UTC-only timestamps, alpha-3 countries,
// estimated birth dates, caseNo and referenceId), and the ReferralRequest /
// ReferralCancellation encoders re-creating the published outbound samples.
#include "adapter_harness.hpp"

#include <ketenhub/sdk/xml.hpp>

#include <gtest/gtest.h>

#include <map>

using namespace ketenhub;
using namespace ketenhub::testing;
namespace fs = std::filesystem;
namespace x = ketenhub::sdk::xml;

namespace {

fs::path contract() { return fs::path(source_dir()) / "adapters/iom/contract"; }
fs::path golden() { return fs::path(source_dir()) / "adapters/iom/golden"; }
fs::path valid_sample(const char* name) { return contract() / "samples/valid" / name; }

bool is_outbound_sample(const fs::path& p) { return p.filename().string().rfind("returncaseupdate-", 0) != 0; }

plugin_host::AdapterFailure encode_failure(const plugin_host::AdapterInstance& a, const sdk::OutboundMessage& m) {
    auto r = a.encode(m);
    EXPECT_TRUE(std::holds_alternative<plugin_host::AdapterFailure>(r)) << "message was encoded:\n"
                                                                        << std::get<std::string>(r);
    if (auto* f = std::get_if<plugin_host::AdapterFailure>(&r)) return *f;
    return {};
}

std::string encode_ok(const plugin_host::AdapterInstance& a, const sdk::OutboundMessage& m) {
    auto r = a.encode(m);
    if (auto* f = std::get_if<plugin_host::AdapterFailure>(&r)) {
        ADD_FAILURE() << "encode failed: " << f->summary();
        return {};
    }
    return std::get<std::string>(r);
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
    auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
}

bool names_field(const plugin_host::AdapterFailure& f, const std::string& field) {
    for (const auto& p : f.problems)
        if (p.field == field) return true;
    return false;
}

const sdk::Event& only_event(const sdk::DecodedDocument& d) {
    static const sdk::Event none;
    if (d.records.size() != 1 || d.records[0].events.size() != 1) {
        ADD_FAILURE() << "expected one record with one event";
        return none;
    }
    return d.records[0].events[0];
}

std::map<std::string, std::string> attributes_of(const xmlNode* n) {
    std::map<std::string, std::string> out;
    for (const xmlAttr* a = n->properties; a; a = a->next) {
        const char* name = reinterpret_cast<const char*>(a->name);
        out[name] = x::attr(n, name).value_or("");
    }
    return out;
}

// Element by element, attribute by attribute, text of every leaf.
void expect_same_xml(const xmlNode* got, const xmlNode* want, const std::string& path = "") {
    const std::string here = path + "/" + x::local_name(want);
    ASSERT_NE(got, nullptr) << here;
    EXPECT_EQ(x::local_name(got), x::local_name(want)) << here;
    EXPECT_EQ(x::ns_of(got), x::ns_of(want)) << here;
    EXPECT_EQ(attributes_of(got), attributes_of(want)) << here;
    auto got_children = x::children(got);
    auto want_children = x::children(want);
    if (want_children.empty()) {
        EXPECT_TRUE(got_children.empty()) << here;
        EXPECT_EQ(x::text(got), x::text(want)) << here;
        return;
    }
    ASSERT_EQ(got_children.size(), want_children.size()) << here;
    for (size_t i = 0; i < want_children.size(); ++i) expect_same_xml(got_children[i], want_children[i], here);
}

std::vector<std::string> services_of(const std::string& document) {
    auto doc = x::Document::parse_untrusted(document);
    std::vector<std::string> out;
    for (auto* s : x::children(x::child(doc.root(), "requestedServices"), "service")) out.push_back(x::text(s));
    return out;
}

// The canonical message from which the hub would push referralrequest-beridze.xml.
sdk::OutboundMessage beridze_referral() {
    return {"referral_request", "8e3a1c5d-2f7b-4a90-b6d4-c1e8f2a79b03", "2010-06-15T12:02:11+02:00",
            {{"hub_referral_id", "SDT-2010-000117"},
             {"referred_by", "COA"},
             {"person",
              {{"v_number", "2046718305"},
               {"partner_ids", {{{"scheme", "coa"}, {"value", "30415522"}}}},
               {"family_name", "Beridze"},
               {"given_names", "Giorgi"},
               {"birth_date", "1978-04-12"},
               {"birth_date_precision", "day"},
               {"sex", "M"},
               {"nationality", "GE"},
               {"country_of_return", "GE"},
               {"sensitivity", "personal"}}},
             {"requested_services", {"return_travel", "reintegration_in_kind"}},
             {"funding", "BZ"},
             // Needs the hub knows but did not flag for an escort: never sent.
             {"need_medical", false},
             {"need_psychosocial", false},
             {"consent_given", true},
             {"consent_date", "2010-06-15T11:10:00+02:00"},  // as COA's Doorverwijzing carries it
             {"consent_organisations", {"SDT", "IOM", "DTV"}},
             {"consent_statement",
              "The beneficiary gave written consent to the COA Front Office on 2010-06-15 for sharing his personal "
              "data with SDT, IOM and DT&V for the purpose of return and reintegration support."},
             {"remarks",
              "Support request submitted through DT&V on 2010-06-08. Wishes to start a small car repair workshop."}}};
}

// The canonical message from which the hub would push referralcancellation-jabbar.xml.
sdk::OutboundMessage jabbar_cancellation() {
    return {"referral_cancellation", "b41f7d29-6c8e-4e35-9a02-5f3d8c1e6b74", "2010-07-06T14:48:55+02:00",
            {{"hub_referral_id", "SDT-2010-000152"},
             {"iom_case_number", "NL-AVRR-2010-01377"},
             {"cancelled_on", "2010-07-06"},
             {"reason_code", "beneficiary_withdrew"},
             {"reason", "The beneficiary informed the Front Office that he no longer wishes to return at this time."}}};
}

class IomAdapterTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { adapter_ = load_adapter("iom"); }
    static void TearDownTestSuite() { adapter_.reset(); }
    static std::shared_ptr<plugin_host::AdapterInstance> adapter_;

    static sdk::DecodedDocument decode_sample(const char* name) { return decode_ok(*adapter_, read_file(valid_sample(name))); }
};
std::shared_ptr<plugin_host::AdapterInstance> IomAdapterTest::adapter_;

// ---- Inbound: golden forms ------------------------------------------------

TEST_F(IomAdapterTest, EveryValidInboundSampleMatchesItsGoldenCanonicalForm) {
    EXPECT_EQ(expect_golden_samples(*adapter_, contract() / "samples/valid", golden(), is_outbound_sample,
                                    [](const sdk::DecodedDocument& d) {
                                        EXPECT_EQ(d.records.size(), 1u);
                                        EXPECT_FALSE(d.batch);
                                    }),
              7);
}

// ---- Inbound: event types -------------------------------------------------

TEST_F(IomAdapterTest, EveryIomEventTypeMapsToItsCanonicalType) {
    const std::map<std::string, std::string> expected = {
        {"REGISTERED", "registration"},
        {"REFERRAL_ACCEPTED", "referral_answer"},
        {"REFERRAL_DECLINED", "referral_answer"},
        {"TRAVEL_DOCUMENT_REQUESTED", "travel_document_requested"},
        {"DEPARTED", "departure"},
        {"REINTEGRATION_PLAN_AGREED", "reintegration_plan"},
        {"MONITORING_VISIT", "monitoring_visit"},
        {"CASE_CLOSED", "case_closed"},
    };
    const std::string base = read_file(valid_sample("returncaseupdate-departed-beridze.xml"));
    for (const auto& [iom, canonical] : expected) {
        SCOPED_TRACE(iom);
        std::string doc = replace(base, "<eventType>DEPARTED</eventType>", "<eventType>" + iom + "</eventType>");
        // Give each type the element the pairing rules require with it.
        const std::string ref = "<referenceId>SDT-2010-000117</referenceId>";
        if (iom == "REFERRAL_DECLINED")
            doc = replace(doc, ref, ref + "<declineReason code=\"OTHER\">x</declineReason>");
        if (iom == "MONITORING_VISIT")
            doc = replace(doc, ref,
                          ref + "<monitoring><economic>LOW</economic><psychosocial>LOW</psychosocial>"
                                "<socialNetworks>LOW</socialNetworks></monitoring>");
        if (iom == "CASE_CLOSED") doc = replace(doc, ref, ref + "<closeReason code=\"NO_SHOW\">x</closeReason>");
        auto e = only_event(decode_ok(*adapter_, doc));
        EXPECT_EQ(e.type, canonical);
    }
}

TEST_F(IomAdapterTest, ReferralAnswersCarryAcceptedOrDeclinedWithTheReason) {
    auto accepted = only_event(decode_sample("returncaseupdate-referral-accepted-beridze.xml"));
    EXPECT_EQ(accepted.type, "referral_answer");
    EXPECT_EQ(accepted.fields.at("answer").value, "accepted");
    EXPECT_EQ(accepted.fields.count("decline_reason_code"), 0u);

    auto declined = only_event(decode_sample("returncaseupdate-referral-declined-petrosyan.xml"));
    EXPECT_EQ(declined.type, "referral_answer");
    EXPECT_EQ(declined.fields.at("answer").value, "declined");
    EXPECT_EQ(declined.fields.at("decline_reason_code").value, "CASH_AND_IN_KIND_COMBINED");
    EXPECT_NE(declined.fields.at("decline_reason").value.get<std::string>().find("HRT cash allowance"), std::string::npos);
    EXPECT_EQ(declined.hub_referral_id, "SDT-2010-000124");
}

TEST_F(IomAdapterTest, MonitoringVisitCarriesTheThreeScoresAndPsychosocialIsSpecialCategory) {
    auto e = only_event(decode_sample("returncaseupdate-monitoring-visit-beridze.xml"));
    EXPECT_EQ(e.type, "monitoring_visit");
    EXPECT_EQ(e.fields.at("economic_score").value, "MEDIUM");
    EXPECT_EQ(e.fields.at("economic_score").sensitivity, sdk::Sensitivity::Personal);
    EXPECT_EQ(e.fields.at("psychosocial_score").value, "HIGH");
    EXPECT_EQ(e.fields.at("psychosocial_score").sensitivity, sdk::Sensitivity::SpecialCategory);
    EXPECT_EQ(e.fields.at("social_networks_score").value, "HIGH");
    EXPECT_EQ(e.fields.at("social_networks_score").sensitivity, sdk::Sensitivity::Personal);
    EXPECT_EQ(e.fields.at("visit_number").value, 1);
}

TEST_F(IomAdapterTest, CaseClosedCarriesTheCloseReason) {
    auto e = only_event(decode_sample("returncaseupdate-case-closed-jabbar.xml"));
    EXPECT_EQ(e.type, "case_closed");
    EXPECT_EQ(e.fields.at("close_reason_code").value, "BENEFICIARY_WITHDREW");
    EXPECT_EQ(e.fields.at("close_reason").value, "Closed following the cancellation of the referral on 2010-07-06.");
}

// Later statistics count SDT in-kind returns against HRT and need the funding stream.
TEST_F(IomAdapterTest, ProgrammeIsKeptAndFundingFollowsFromIt) {
    auto sdt = only_event(decode_sample("returncaseupdate-departed-beridze.xml"));
    EXPECT_EQ(sdt.fields.at("programme").value, "SDT");
    EXPECT_EQ(sdt.fields.at("funding").value, "BZ");

    auto etf = only_event(decode_sample("returncaseupdate-registered-etf-manuel.xml"));
    EXPECT_EQ(etf.fields.at("programme").value, "ETF");
    EXPECT_EQ(etf.fields.at("funding").value, "ETF");

    auto hrt = only_event(decode_sample("returncaseupdate-registered-hrt-petrosyan.xml"));
    EXPECT_EQ(hrt.type, "registration");
    EXPECT_EQ(hrt.fields.at("programme").value, "HRT");
    EXPECT_EQ(hrt.fields.count("funding"), 0u) << "HRT is not an SDT funding stream";

    std::string rean = replace(read_file(valid_sample("returncaseupdate-registered-hrt-petrosyan.xml")),
                               "<programme>HRT</programme>", "<programme>REAN</programme>");
    auto e = only_event(decode_ok(*adapter_, rean));
    EXPECT_EQ(e.fields.at("programme").value, "REAN");
    EXPECT_EQ(e.fields.count("funding"), 0u);
}

// ---- Inbound: dates -------------------------------------------------------

TEST_F(IomAdapterTest, EventDateIsEventDateNeverTheMessageDate) {
    std::string doc = read_file(valid_sample("returncaseupdate-departed-beridze.xml"));
    // Sent late in the evening UTC, which is already the next day in Amsterdam.
    doc = replace(doc, "<sentAt>2010-07-20T15:40:03Z</sentAt>", "<sentAt>2010-07-22T22:30:00Z</sentAt>");
    auto e = only_event(decode_ok(*adapter_, doc));
    EXPECT_EQ(e.event_date, "2010-07-20");
    EXPECT_EQ(e.fields.at("sent_at").value, "2010-07-22T22:30:00Z");
    EXPECT_EQ(e.fields.at("sent_at").sensitivity, sdk::Sensitivity::Public);
}

TEST_F(IomAdapterTest, TimestampsMustBeUtcWithZ) {
    const std::string base = read_file(valid_sample("returncaseupdate-departed-beridze.xml"));
    for (const char* sent : {"2010-07-20T17:40:03+02:00", "2010-07-20T15:40:03+00:00", "2010-07-20T15:40:03",
                             "2010-07-20T15:40:03.250Z"}) {
        SCOPED_TRACE(sent);
        auto f = decode_failure(*adapter_,
                                replace(base, "<sentAt>2010-07-20T15:40:03Z</sentAt>", std::string("<sentAt>") + sent + "</sentAt>"));
        EXPECT_TRUE(names_field(f, "/ReturnCaseUpdate/sentAt")) << f.summary();
        EXPECT_EQ(f.problems.at(0).line, 4);
    }
}

// xs:date, xs:dateTime and xs:boolean collapse whitespace, so the schema
// accepts these values; the adapter must read them the way the schema does.
TEST_F(IomAdapterTest, WhitespaceTheSchemaCollapsesIsIgnored) {
    std::string doc = read_file(valid_sample("returncaseupdate-registered-etf-manuel.xml"));
    doc = replace(doc, "<eventDate>2010-09-14</eventDate>", "<eventDate>\n  2010-09-14 </eventDate>");
    doc = replace(doc, "<sentAt>2010-09-14T13:22:09Z</sentAt>", "<sentAt> 2010-09-14T13:22:09Z</sentAt>");
    doc = replace(doc, "estimated=\"true\"", "estimated=\" true \"");
    auto e = only_event(decode_ok(*adapter_, doc));
    EXPECT_EQ(e.event_date, "2010-09-14");
    EXPECT_EQ(e.fields.at("sent_at").value, "2010-09-14T13:22:09Z");
    EXPECT_EQ(e.person->birth_date_precision, "year");
}

TEST_F(IomAdapterTest, ImpossibleCalendarDateIsRejected) {
    std::string doc = replace(read_file(valid_sample("returncaseupdate-departed-beridze.xml")),
                              "<eventDate>2010-07-20</eventDate>", "<eventDate>2010-02-30</eventDate>");
    auto f = decode_failure(*adapter_, doc);
    EXPECT_TRUE(names_field(f, "/ReturnCaseUpdate/eventDate")) << f.summary();
}

// ---- Inbound: identifiers and person --------------------------------------

TEST_F(IomAdapterTest, CaseNoIsTheIomPartnerIdAndReferenceIdTheHubReferralId) {
    auto e = only_event(decode_sample("returncaseupdate-referral-accepted-beridze.xml"));
    ASSERT_TRUE(e.person);
    ASSERT_EQ(e.person->partner_ids.size(), 1u);
    EXPECT_EQ(e.person->partner_ids[0], (sdk::PartnerId{"iom", "NL-AVRR-2010-01234"}));
    EXPECT_EQ(e.person->v_number, "2046718305");
    EXPECT_EQ(e.hub_referral_id, "SDT-2010-000117");
    EXPECT_EQ(e.source.message_id, "IOMNL-20100617-0231");
    EXPECT_EQ(e.source.record_id, "IOMNL-20100617-0231");

    // A walk-in answers no referral and has no V-number.
    auto walk_in = only_event(decode_sample("returncaseupdate-registered-etf-manuel.xml"));
    EXPECT_FALSE(walk_in.hub_referral_id);
    EXPECT_FALSE(walk_in.person->v_number);
    EXPECT_EQ(walk_in.person->partner_ids.at(0).value, "NL-AVRR-2010-01655");
}

TEST_F(IomAdapterTest, EstimatedBirthDateCountsAsAYearOnly) {
    auto manuel = only_event(decode_sample("returncaseupdate-registered-etf-manuel.xml"));
    ASSERT_TRUE(manuel.person);
    EXPECT_EQ(manuel.person->family_name, "Manuel");
    EXPECT_EQ(manuel.person->given_names, "Domingos Afonso");
    EXPECT_EQ(manuel.person->birth_date, "1980-01-01");
    EXPECT_EQ(manuel.person->birth_date_precision, "year");

    const std::string base = read_file(valid_sample("returncaseupdate-registered-etf-manuel.xml"));
    auto one = only_event(decode_ok(*adapter_, replace(base, "estimated=\"true\"", "estimated=\"1\"")));
    EXPECT_EQ(one.person->birth_date_precision, "year");
    auto not_estimated = only_event(decode_ok(*adapter_, replace(base, "estimated=\"true\"", "estimated=\"false\"")));
    EXPECT_EQ(not_estimated.person->birth_date_precision, "day");

    auto beridze = only_event(decode_sample("returncaseupdate-departed-beridze.xml"));
    EXPECT_EQ(beridze.person->birth_date_precision, "day");
}

TEST_F(IomAdapterTest, SexCodesAreKeptAsTheCanonicalMFX) {
    const std::string base = read_file(valid_sample("returncaseupdate-departed-beridze.xml"));
    for (const char* sex : {"M", "F", "X"}) {
        auto e = only_event(decode_ok(*adapter_, replace(base, "<sex>M</sex>", std::string("<sex>") + sex + "</sex>")));
        EXPECT_EQ(e.person->sex, sex);
    }
    auto f = decode_failure(*adapter_, replace(base, "<sex>M</sex>", "<sex>V</sex>"));
    EXPECT_TRUE(names_field(f, "/ReturnCaseUpdate/beneficiary/sex")) << f.summary();
}

// ---- Inbound: countries ---------------------------------------------------

TEST_F(IomAdapterTest, Alpha3CountriesBecomeAlpha2AndXkxIsKosovo) {
    auto beridze = only_event(decode_sample("returncaseupdate-departed-beridze.xml"));
    EXPECT_EQ(beridze.person->nationality, "GE");
    EXPECT_EQ(beridze.person->country_of_return, "GE");

    std::string doc = read_file(valid_sample("returncaseupdate-departed-beridze.xml"));
    doc = replace(doc, "<nationality>GEO</nationality>", "<nationality>XKX</nationality>");
    doc = replace(doc, "<destinationCountry>GEO</destinationCountry>", "<destinationCountry>XKX</destinationCountry>");
    auto kosovo = only_event(decode_ok(*adapter_, doc));
    EXPECT_EQ(kosovo.person->nationality, "XK");
    EXPECT_EQ(kosovo.person->country_of_return, "XK");
}

TEST_F(IomAdapterTest, UnknownAlpha3CodeIsRejectedNamingLineAndFieldNeverGuessed) {
    std::string doc = read_file(valid_sample("returncaseupdate-departed-beridze.xml"));
    doc = replace(doc, "<nationality>GEO</nationality>", "<nationality>GEQ</nationality>");
    doc = replace(doc, "<destinationCountry>GEO</destinationCountry>", "<destinationCountry>ZZZ</destinationCountry>");
    auto f = decode_failure(*adapter_, doc);
    ASSERT_EQ(f.problems.size(), 2u) << f.summary();
    EXPECT_EQ(f.problems[0].field, "/ReturnCaseUpdate/beneficiary/nationality");
    EXPECT_EQ(f.problems[0].line, 12);
    EXPECT_NE(f.problems[0].message.find("GEQ"), std::string::npos);
    EXPECT_EQ(f.problems[1].field, "/ReturnCaseUpdate/destinationCountry");
    EXPECT_EQ(f.problems[1].line, 17);
    EXPECT_NE(f.problems[1].message.find("ZZZ"), std::string::npos);
}

// ---- Inbound: invalid samples and rules outside the schema ----------------

struct InvalidCase {
    const char* file;
    const char* field;  // a path that one reported problem must name
};

TEST_F(IomAdapterTest, EveryInvalidSampleIsRejectedNamingFieldAndLine) {
    const std::vector<InvalidCase> cases = {
        {"wrong-namespace.xml", "/ReturnCaseUpdate"},
        {"bad-date-format.xml", "/ReturnCaseUpdate/eventDate"},
        {"country-alpha2-instead-of-alpha3.xml", "/ReturnCaseUpdate/beneficiary/nationality"},
        {"unknown-event-type.xml", "/ReturnCaseUpdate/eventType"},
        {"bad-caseno-format.xml", "/ReturnCaseUpdate/caseNo"},
        {"unknown-monitoring-score.xml", "/ReturnCaseUpdate/monitoring/economic"},
        {"timestamp-not-utc.xml", "/ReturnCaseUpdate/sentAt"},
        // libxml2 names the element found where familyName was expected.
        {"missing-beneficiary-family-name.xml", "/ReturnCaseUpdate/beneficiary/givenNames"},
    };
    EXPECT_EQ(cases.size(), files_in(contract() / "samples/invalid", ".xml").size())
        << "a new invalid sample needs an expectation here";
    for (const auto& c : cases) {
        SCOPED_TRACE(c.file);
        auto f = decode_failure(*adapter_, read_file(contract() / "samples/invalid" / c.file));
        EXPECT_TRUE(f.rejected);
        ASSERT_FALSE(f.problems.empty());
        for (const auto& p : f.problems) EXPECT_GT(p.line, 0) << p.message;
        EXPECT_TRUE(names_field(f, c.field)) << f.summary();
    }
    // Both alpha-2 codes are reported, not just the first.
    auto f = decode_failure(*adapter_, read_file(contract() / "samples/invalid/country-alpha2-instead-of-alpha3.xml"));
    EXPECT_TRUE(names_field(f, "/ReturnCaseUpdate/destinationCountry")) << f.summary();
}

TEST_F(IomAdapterTest, DoctypeIsRefused) {
    std::string doc = read_file(valid_sample("returncaseupdate-departed-beridze.xml"));
    doc = replace(doc, "<ReturnCaseUpdate ", "<!DOCTYPE ReturnCaseUpdate SYSTEM \"file:///etc/passwd\">\n<ReturnCaseUpdate ");
    auto f = decode_failure(*adapter_, doc);
    EXPECT_EQ(f.problems.at(0).field, "DOCTYPE");
    EXPECT_EQ(f.problems.at(0).line, 2);
}

TEST_F(IomAdapterTest, OutboundDocumentPostedInboundIsRejected) {
    auto f = decode_failure(*adapter_, read_file(valid_sample("referralrequest-beridze.xml")));
    EXPECT_TRUE(names_field(f, "/ReferralRequest")) << f.summary();
}

TEST_F(IomAdapterTest, RulesTheSchemaCannotExpressAreEnforced) {
    const std::string accepted = read_file(valid_sample("returncaseupdate-referral-accepted-beridze.xml"));
    const std::string declined = read_file(valid_sample("returncaseupdate-referral-declined-petrosyan.xml"));
    const std::string monitoring = read_file(valid_sample("returncaseupdate-monitoring-visit-beridze.xml"));
    const std::string closed = read_file(valid_sample("returncaseupdate-case-closed-jabbar.xml"));
    struct Case {
        const char* name;
        std::string doc;
        const char* field;
        long line;
    };
    const std::vector<Case> cases = {
        {"accepted without referenceId",
         replace(accepted, "<referenceId>SDT-2010-000117</referenceId>", ""), "/ReturnCaseUpdate/referenceId", 15},
        {"declined without referenceId",
         replace(declined, "<referenceId>SDT-2010-000124</referenceId>", ""), "/ReturnCaseUpdate/referenceId", 15},
        {"declined without declineReason",
         replace(declined, declined.substr(declined.find("<declineReason"), declined.find("</declineReason>") + 16 - declined.find("<declineReason")), ""),
         "/ReturnCaseUpdate/declineReason", 15},
        {"declineReason with another event type",
         replace(declined, "<eventType>REFERRAL_DECLINED</eventType>", "<eventType>REFERRAL_ACCEPTED</eventType>"),
         "/ReturnCaseUpdate/declineReason", 19},
        {"monitoring visit without monitoring",
         replace(monitoring, monitoring.substr(monitoring.find("<monitoring>"), monitoring.find("</monitoring>") + 13 - monitoring.find("<monitoring>")), ""),
         "/ReturnCaseUpdate/monitoring", 15},
        {"monitoring with another event type",
         replace(monitoring, "<eventType>MONITORING_VISIT</eventType>", "<eventType>DEPARTED</eventType>"),
         "/ReturnCaseUpdate/monitoring", 19},
        {"case closed without closeReason",
         replace(closed, closed.substr(closed.find("<closeReason"), closed.find("</closeReason>") + 14 - closed.find("<closeReason")), ""),
         "/ReturnCaseUpdate/closeReason", 15},
        {"closeReason with another event type",
         replace(closed, "<eventType>CASE_CLOSED</eventType>", "<eventType>DEPARTED</eventType>"),
         "/ReturnCaseUpdate/closeReason", 19},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto f = decode_failure(*adapter_, c.doc);
        ASSERT_EQ(f.problems.size(), 1u) << f.summary();
        EXPECT_EQ(f.problems[0].field, c.field);
        EXPECT_EQ(f.problems[0].line, c.line);
    }
}

// ---- Outbound: ReferralRequest / ReferralCancellation ---------------------

TEST_F(IomAdapterTest, EncodesBothPublishedOutboundSamplesFromCanonicalMessages) {
    struct Case {
        const char* sample;
        sdk::OutboundMessage message;
    };
    const std::vector<Case> cases = {{"referralrequest-beridze.xml", beridze_referral()},
                                     {"referralcancellation-jabbar.xml", jabbar_cancellation()}};
    int checked = 0;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.sample);
        const std::string produced_text = encode_ok(*adapter_, c.message);
        ASSERT_FALSE(produced_text.empty());
        auto produced = x::Document::parse_untrusted(produced_text);
        auto expected = x::Document::parse_untrusted(read_file(valid_sample(c.sample)));
        expect_same_xml(produced.root(), expected.root());
        ++checked;
    }
    int published = 0;
    for (const auto& sample : files_in(contract() / "samples/valid", ".xml")) published += is_outbound_sample(sample);
    EXPECT_EQ(checked, published) << "a new outbound sample needs a canonical message here";
}

TEST_F(IomAdapterTest, SentAtIsWrittenInUtcWithZ) {
    auto m = beridze_referral();
    m.created_at = "2010-12-31T23:30:00-02:00";
    auto doc = x::Document::parse_untrusted(encode_ok(*adapter_, m));
    EXPECT_EQ(x::child_text(doc.root(), "sentAt"), "2011-01-01T01:30:00Z");
}

TEST_F(IomAdapterTest, CanonicalAlpha2CountriesAreWrittenAsAlpha3) {
    auto m = beridze_referral();
    m.fields["person"]["nationality"] = "XK";
    m.fields["person"]["country_of_return"] = "AO";
    auto doc = x::Document::parse_untrusted(encode_ok(*adapter_, m));
    EXPECT_EQ(x::child_text(x::child(doc.root(), "beneficiary"), "nationality"), "XKX");
    EXPECT_EQ(x::child_text(doc.root(), "destinationCountry"), "AGO");

    m.fields["person"]["country_of_return"] = "QQ";
    auto f = encode_failure(*adapter_, m);
    ASSERT_EQ(f.problems.size(), 1u);
    EXPECT_EQ(f.problems[0].field, "fields.person.country_of_return");
    m.fields["person"]["country_of_return"] = "GEO";  // alpha-3 is not canonical
    EXPECT_EQ(encode_failure(*adapter_, m).problems.at(0).field, "fields.person.country_of_return");
}

TEST_F(IomAdapterTest, MedicalEscortOnlyWhenTheMessageSaysTheNeedCallsForAnEscort) {
    // A medical (or psychosocial) need alone never reaches IOM.
    auto m = beridze_referral();
    m.fields["need_medical"] = true;
    m.fields["need_psychosocial"] = true;
    std::string plain = encode_ok(*adapter_, m);
    EXPECT_EQ(services_of(plain), (std::vector<std::string>{"RETURN_TRAVEL", "REINTEGRATION_IN_KIND"}));
    EXPECT_EQ(plain.find("MEDICAL"), std::string::npos);
    EXPECT_EQ(plain.find("sychosocial"), std::string::npos);

    m.fields["need_medical_escort"] = false;
    EXPECT_EQ(encode_ok(*adapter_, m).find("MEDICAL_ESCORT"), std::string::npos);

    m.fields["need_medical_escort"] = true;
    EXPECT_EQ(services_of(encode_ok(*adapter_, m)),
              (std::vector<std::string>{"RETURN_TRAVEL", "REINTEGRATION_IN_KIND", "MEDICAL_ESCORT"}));

    // The escort cannot slip in as an ordinary service.
    auto listed = beridze_referral();
    listed.fields["requested_services"] = {"return_travel", "medical_escort"};
    auto f = encode_failure(*adapter_, listed);
    EXPECT_EQ(f.problems.at(0).field, "fields.requested_services");

    auto flag_not_bool = beridze_referral();
    flag_not_bool.fields["need_medical_escort"] = "yes";
    EXPECT_EQ(encode_failure(*adapter_, flag_not_bool).problems.at(0).field, "fields.need_medical_escort");
}

TEST_F(IomAdapterTest, YearOnlyBirthDateIsSentAsFirstJanuaryEstimated) {
    auto m = beridze_referral();
    m.fields["person"]["birth_date"] = "1980-01-01";
    m.fields["person"]["birth_date_precision"] = "year";
    auto doc = x::Document::parse_untrusted(encode_ok(*adapter_, m));
    xmlNode* dob = x::child(x::child(doc.root(), "beneficiary"), "dateOfBirth");
    EXPECT_EQ(x::text(dob), "1980-01-01");
    EXPECT_EQ(x::attr(dob, "estimated"), "true");

    m.fields["person"]["birth_date"] = "1980";
    auto year_only = x::Document::parse_untrusted(encode_ok(*adapter_, m));
    EXPECT_EQ(x::text(x::child(x::child(year_only.root(), "beneficiary"), "dateOfBirth")), "1980-01-01");
}

TEST_F(IomAdapterTest, CaseNoComesFromTheIomCaseNumberOrTheIomPartnerId) {
    auto m = beridze_referral();
    m.fields["person"]["partner_ids"].push_back({{"scheme", "iom"}, {"value", "NL-AVRR-2010-01234"}});
    auto doc = x::Document::parse_untrusted(encode_ok(*adapter_, m));
    EXPECT_EQ(x::child_text(doc.root(), "caseNo"), "NL-AVRR-2010-01234");

    m.fields["iom_case_number"] = "NL-AVRR-2010-09999";
    EXPECT_EQ(encode_failure(*adapter_, m).problems.at(0).field, "fields.iom_case_number");
}

TEST_F(IomAdapterTest, ReferralOutsideTheConsentIsNeverSent) {
    auto no_iom = beridze_referral();
    no_iom.fields["consent_organisations"] = {"SDT", "DTV"};
    EXPECT_EQ(encode_failure(*adapter_, no_iom).problems.at(0).field, "fields.consent_organisations");

    auto refused = beridze_referral();
    refused.fields["consent_given"] = false;
    EXPECT_EQ(encode_failure(*adapter_, refused).problems.at(0).field, "fields.consent_given");

    auto unknown_org = beridze_referral();
    unknown_org.fields["consent_organisations"] = {"IOM", "UNHCR"};
    EXPECT_EQ(encode_failure(*adapter_, unknown_org).problems.at(0).field, "fields.consent_organisations");
}

TEST_F(IomAdapterTest, IncompleteReferralRequestIsRefusedNamingTheMissingField) {
    const std::vector<std::vector<std::string>> missing = {
        {"hub_referral_id"}, {"referred_by"},       {"person"},         {"requested_services"},
        {"funding"},         {"consent_given"},     {"consent_date"},   {"consent_organisations"},
        {"consent_statement"}, {"person", "family_name"}, {"person", "given_names"}, {"person", "birth_date"},
        {"person", "sex"},   {"person", "nationality"}, {"person", "country_of_return"},
    };
    for (const auto& path : missing) {
        auto m = beridze_referral();
        std::string field = "fields";
        sdk::Json* parent = &m.fields;
        for (size_t i = 0; i + 1 < path.size(); ++i) parent = &(*parent)[path[i]];
        parent->erase(path.back());
        for (const auto& p : path) field += "." + p;
        SCOPED_TRACE(field);
        auto f = encode_failure(*adapter_, m);
        ASSERT_EQ(f.problems.size(), 1u) << f.summary();
        EXPECT_EQ(f.problems[0].field, field);
        EXPECT_NE(f.problems[0].message.find("required"), std::string::npos) << f.problems[0].message;
    }
}

TEST_F(IomAdapterTest, UnknownCodesInAReferralRequestAreRefused) {
    auto funding = beridze_referral();
    funding.fields["funding"] = "EU";
    EXPECT_EQ(encode_failure(*adapter_, funding).problems.at(0).field, "fields.funding");

    auto referrer = beridze_referral();
    referrer.fields["referred_by"] = "UNHCR";
    EXPECT_EQ(encode_failure(*adapter_, referrer).problems.at(0).field, "fields.referred_by");

    auto sex = beridze_referral();
    sex.fields["person"]["sex"] = "V";
    EXPECT_EQ(encode_failure(*adapter_, sex).problems.at(0).field, "fields.person.sex");

    // Hub partner codes are lower case; they are matched case-insensitively.
    auto lower = beridze_referral();
    lower.fields["referred_by"] = "dtv";
    auto doc = x::Document::parse_untrusted(encode_ok(*adapter_, lower));
    EXPECT_EQ(x::child_text(doc.root(), "referredBy"), "DTV");
}

TEST_F(IomAdapterTest, IncompleteCancellationIsRefusedNamingTheMissingField) {
    for (const char* name : {"hub_referral_id", "cancelled_on", "reason_code"}) {
        SCOPED_TRACE(name);
        auto m = jabbar_cancellation();
        m.fields.erase(name);
        auto f = encode_failure(*adapter_, m);
        ASSERT_EQ(f.problems.size(), 1u) << f.summary();
        EXPECT_EQ(f.problems[0].field, std::string("fields.") + name);
    }
    auto other = jabbar_cancellation();
    other.fields["reason_code"] = "other";
    other.fields.erase("reason");
    EXPECT_EQ(encode_failure(*adapter_, other).problems.at(0).field, "fields.reason");

    auto unknown = jabbar_cancellation();
    unknown.fields["reason_code"] = "changed_mind";
    EXPECT_EQ(encode_failure(*adapter_, unknown).problems.at(0).field, "fields.reason_code");

    // Without a known IOM case the cancellation simply has no caseNo.
    auto no_case = jabbar_cancellation();
    no_case.fields.erase("iom_case_number");
    auto doc = x::Document::parse_untrusted(encode_ok(*adapter_, no_case));
    EXPECT_FALSE(x::child(doc.root(), "caseNo"));
}

TEST_F(IomAdapterTest, EncodedDocumentThatBreaksTheSchemaIsNeverReturned) {
    auto m = jabbar_cancellation();
    m.fields["hub_referral_id"] = "SDT-10-152";
    auto f = encode_failure(*adapter_, m);
    EXPECT_TRUE(names_field(f, "/ReferralCancellation/referralId")) << f.summary();

    auto bad_id = beridze_referral();
    bad_id.message_id = "short";
    EXPECT_TRUE(names_field(encode_failure(*adapter_, bad_id), "/ReferralRequest/messageId"));
}

TEST_F(IomAdapterTest, OnlyItsOwnOutboundTypesAreEncoded) {
    auto m = jabbar_cancellation();
    m.type = "referral_status";
    EXPECT_EQ(encode_failure(*adapter_, m).problems.at(0).field, "type");

    auto described = adapter_->describe();
    ASSERT_TRUE(described);
    EXPECT_EQ((*described)["namespace"], "urn:int:iom:nl:avrr:3");
    EXPECT_EQ((*described)["inbound"], sdk::Json({"ReturnCaseUpdate"}));
    EXPECT_EQ((*described)["outbound"], sdk::Json({"referral_request", "referral_cancellation"}));
}

}  // namespace
