// The VWN adapter against every sample VWN published: ISO-8859-1 documents,
// per-record outcomes in an Export batch, Dutch country names through the
// crosswalk, the confidential future plan, and the Terugkoppeling encoder in
// ISO-8859-1.
#include "adapter_harness.hpp"

#include <ketenhub/sdk/xml.hpp>

#include <gtest/gtest.h>

#include <functional>

using namespace ketenhub;
using namespace ketenhub::testing;
namespace fs = std::filesystem;

namespace {

fs::path contract() { return fs::path(source_dir()) / "adapters/vwn/contract"; }
fs::path golden() { return fs::path(source_dir()) / "adapters/vwn/golden"; }
std::string valid_sample(const std::string& name) { return read_file(contract() / "samples/valid" / name); }
bool is_outbound_sample(const fs::path& p) { return p.filename().string().rfind("terugkoppeling-", 0) == 0; }

constexpr const char* kIsoDeclaration = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>";

// Samples are ISO-8859-1 on disk; edits in tests are written as Latin-1
// bytes too ("\xEB" is ë), so byte replacement keeps the document's encoding.
std::string replace(std::string s, const std::string& from, const std::string& to) {
    auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
}

const sdk::Event& only_event(const sdk::DecodedDocument& d, size_t record = 0) {
    return d.records.at(record).events.at(0);
}

class VwnAdapterTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { adapter_ = load_adapter("vwn"); }
    static void TearDownTestSuite() { adapter_.reset(); }
    static std::shared_ptr<plugin_host::AdapterInstance> adapter_;
};
std::shared_ptr<plugin_host::AdapterInstance> VwnAdapterTest::adapter_;

// ---- Inbound: valid samples ------------------------------------------------

TEST_F(VwnAdapterTest, EveryValidInboundSampleMatchesItsGoldenCanonicalForm) {
    EXPECT_EQ(expect_golden_samples(*adapter_, contract() / "samples/valid", golden(), is_outbound_sample),
              4);
}

TEST_F(VwnAdapterTest, AnIso88591ExportWithSomalieDecodesToSO) {
    const std::string doc = valid_sample("export-utrecht-2010-05.xml");
    ASSERT_EQ(doc.rfind(kIsoDeclaration, 0), 0u);
    ASSERT_NE(doc.find("<landVanHerkomst>Somali\xEB</landVanHerkomst>"), std::string::npos)
        << "the sample is Latin-1 on disk: ë is the single byte 0xEB";
    auto d = decode_ok(*adapter_, doc);
    const auto& nur = only_event(d, 1);
    EXPECT_EQ(nur.person->v_number, "2087640213");
    EXPECT_EQ(nur.person->nationality, "SO");
}

TEST_F(VwnAdapterTest, Latin1NamesArriveAsUtf8) {
    const std::string doc = valid_sample("export-amsterdam-2010-10.xml");
    ASSERT_NE(doc.find("<naam>A\xEF" "cha Diallo</naam>"), std::string::npos);
    auto d = decode_ok(*adapter_, doc);
    const auto& diallo = only_event(d, 2);
    EXPECT_EQ(diallo.person->given_names, "A\xC3\xAF" "cha");  // ï in UTF-8
    EXPECT_EQ(diallo.person->family_name, "Diallo");
    EXPECT_EQ(diallo.person->nationality, "GN");  // Guinee
    EXPECT_FALSE(diallo.person->v_number.has_value());
}

TEST_F(VwnAdapterTest, Latin1BytesWithoutTheEncodingDeclarationAreRefused) {
    std::string doc = replace(valid_sample("export-amsterdam-2010-10.xml"), kIsoDeclaration, "");
    auto f = decode_failure(*adapter_, doc);
    EXPECT_TRUE(f.rejected);
    EXPECT_NE(f.summary().find("not well-formed"), std::string::npos) << f.summary();
    EXPECT_GT(f.problems.at(0).line, 0);
}

TEST_F(VwnAdapterTest, ExportIsABatchWithoutMessageIdWhoseRecordsAreKeyedByRegelId) {
    auto d = decode_ok(*adapter_, valid_sample("export-utrecht-2010-05.xml"));
    EXPECT_EQ(d.document_type, "Export");
    EXPECT_TRUE(d.batch);
    EXPECT_TRUE(d.message_id.empty()) << "the hub keys an Export by its content hash";
    const std::vector<std::string> ids = {"UT-2010-004471", "UT-2010-004488", "UT-2010-004490",
                                          "UT-2010-004495", "UT-2010-004511", "UT-2010-004515"};
    ASSERT_EQ(d.records.size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
        EXPECT_EQ(d.records[i].record_id, ids[i]);
        ASSERT_EQ(d.records[i].events.size(), 1u);
        const auto& e = d.records[i].events[0];
        EXPECT_EQ(e.type, "contact");
        EXPECT_EQ(e.source.record_id, ids[i]);
        EXPECT_EQ(e.source.document_type, "Export");
        EXPECT_GT(e.source.line, 0);
        EXPECT_EQ(e.fields.at("office").value, "Utrecht");
        EXPECT_EQ(e.fields.at("export_date").value, "2010-05-31");  // never the event date
    }
}

TEST_F(VwnAdapterTest, AContactCarriesItsPhaseDateAndPerson) {
    auto d = decode_ok(*adapter_, valid_sample("export-utrecht-2010-05.xml"));
    // Kamara's first record: information session, no V-nummer yet.
    const auto& first = only_event(d, 0);
    EXPECT_EQ(first.event_date, "2010-03-15");  // Contactmoment/datum 15-03-2010
    EXPECT_EQ(first.fields.at("phase").value, "voorlichting");
    EXPECT_EQ(first.fields.count("conversation_number"), 0u);
    EXPECT_FALSE(first.person->v_number.has_value());
    ASSERT_EQ(first.person->partner_ids.size(), 1u);
    EXPECT_EQ(first.person->partner_ids[0].scheme, "vwn");
    EXPECT_EQ(first.person->partner_ids[0].value, "VWN-UT-004512");
    EXPECT_EQ(first.person->birth_date, "1989-02-17");
    EXPECT_EQ(first.person->sex, "F");
    // Her later record: coaching, with a V-nummer and the same clientnummer.
    const auto& later = only_event(d, 5);
    EXPECT_EQ(later.fields.at("phase").value, "coaching-besluitvorming");
    EXPECT_EQ(later.fields.at("conversation_number").value, 4);
    EXPECT_EQ(later.person->v_number, "2098315774");
    EXPECT_EQ(later.person->partner_ids.at(0).value, "VWN-UT-004512");
    // A one-field name in natural order: the last word is the family name.
    const auto& jabbar = only_event(d, 2);
    EXPECT_EQ(jabbar.person->family_name, "Jabbar");
    EXPECT_EQ(jabbar.person->given_names, "Hussein Ali");
    EXPECT_EQ(jabbar.person->sex, "M");
}

TEST_F(VwnAdapterTest, SexOnbekendIsX) {
    std::string doc = valid_sample("export-amsterdam-2010-10.xml");
    doc = replace(doc, "<geslacht>man</geslacht>", "<geslacht>onbekend</geslacht>");
    auto d = decode_ok(*adapter_, doc);
    EXPECT_EQ(only_event(d, 0).person->sex, "X");
    EXPECT_EQ(only_event(d, 1).person->sex, "F");
}

TEST_F(VwnAdapterTest, TheFuturePlanIsConfidentialAndNothingElseIs) {
    auto d = decode_ok(*adapter_, valid_sample("export-utrecht-2010-05.xml"));
    int plans = 0;
    for (const auto& r : d.records)
        for (const auto& e : r.events)
            for (const auto& [name, field] : e.fields) {
                if (name == "future_plan") {
                    EXPECT_EQ(field.sensitivity, sdk::Sensitivity::Confidential);
                    ++plans;
                } else {
                    EXPECT_NE(field.sensitivity, sdk::Sensitivity::Confidential) << name;
                }
            }
    EXPECT_EQ(plans, 4);  // four of the six records carry a toekomstplan
    const auto& nur = only_event(d, 1);
    EXPECT_EQ(nur.fields.at("vva_drawn_up").value, true);  // only the fact: the VVA itself is never exported
    EXPECT_EQ(nur.fields.at("vva_drawn_up").sensitivity, sdk::Sensitivity::Personal);
}

// ---- Inbound: the batch rules -----------------------------------------------

TEST_F(VwnAdapterTest, AnUnknownCountryNameRejectsOnlyItsRecord) {
    std::string doc = valid_sample("export-amsterdam-2010-10.xml");
    doc = replace(doc, "<landVanHerkomst>Ethiopi\xEB</landVanHerkomst>", "<landVanHerkomst>Abessini\xEB</landVanHerkomst>");
    auto d = decode_ok(*adapter_, doc);
    ASSERT_EQ(d.records.size(), 3u);
    EXPECT_TRUE(d.records[0].accepted);
    EXPECT_TRUE(d.records[2].accepted);
    const auto& rejected = d.records[1];
    EXPECT_FALSE(rejected.accepted);
    EXPECT_EQ(rejected.record_id, "AM-2010-007731");
    EXPECT_TRUE(rejected.events.empty());
    ASSERT_EQ(rejected.problems.size(), 1u);
    EXPECT_EQ(rejected.problems[0].field, "/Export/Contactmoment[2]/landVanHerkomst");
    EXPECT_EQ(rejected.problems[0].line, 26);
    EXPECT_NE(rejected.problems[0].message.find("Abessini\xC3\xAB"), std::string::npos) << rejected.problems[0].message;
}

TEST_F(VwnAdapterTest, AnImpossibleDateRejectsOnlyItsRecord) {
    std::string doc = valid_sample("export-amsterdam-2010-10.xml");
    doc = replace(doc, "<datum>14-10-2010</datum>", "<datum>31-02-2010</datum>");  // passes the schema's pattern
    auto d = decode_ok(*adapter_, doc);
    EXPECT_FALSE(d.records[0].accepted);
    ASSERT_EQ(d.records[0].problems.size(), 1u);
    EXPECT_EQ(d.records[0].problems[0].field, "/Export/Contactmoment[1]/datum");
    EXPECT_EQ(d.records[0].problems[0].line, 14);
    EXPECT_TRUE(d.records[1].accepted);
    EXPECT_TRUE(d.records[2].accepted);
}

TEST_F(VwnAdapterTest, AConversationNumberOutsideTheCoachingPhaseRejectsOnlyItsRecord) {
    std::string doc = valid_sample("export-amsterdam-2010-10.xml");
    doc = replace(doc, "<fase>voorlichting</fase>", "<fase>voorlichting</fase>\n    <gesprekNummer>1</gesprekNummer>");
    auto d = decode_ok(*adapter_, doc);
    EXPECT_TRUE(d.records[0].accepted);
    EXPECT_TRUE(d.records[1].accepted);
    ASSERT_FALSE(d.records[2].accepted);
    EXPECT_EQ(d.records[2].problems.at(0).field, "/Export/Contactmoment[3]/gesprekNummer");
    EXPECT_GT(d.records[2].problems.at(0).line, 0);
}

TEST_F(VwnAdapterTest, ACountThatDoesNotMatchRejectsTheWholeExport) {
    std::string doc = valid_sample("export-amsterdam-2010-10.xml");
    auto f = decode_failure(*adapter_, replace(doc, "<aantalRegels>3</aantalRegels>", "<aantalRegels>4</aantalRegels>"));
    EXPECT_TRUE(f.rejected);
    ASSERT_EQ(f.problems.size(), 1u);
    EXPECT_EQ(f.problems[0].field, "/Export/aantalRegels");
    EXPECT_EQ(f.problems[0].line, 5);
    // A count too large for any integer type is a rejection, not an adapter failure.
    auto huge = decode_failure(*adapter_, replace(doc, "<aantalRegels>3</aantalRegels>",
                                                  "<aantalRegels>99999999999999999999999999</aantalRegels>"));
    EXPECT_TRUE(huge.rejected) << huge.summary();
    EXPECT_EQ(huge.problems.at(0).field, "/Export/aantalRegels");
    // xs:positiveInteger allows a sign and leading zeros: still three.
    decode_ok(*adapter_, replace(doc, "<aantalRegels>3</aantalRegels>", "<aantalRegels> +003 </aantalRegels>"));
}

TEST_F(VwnAdapterTest, AnImpossibleExportDateRejectsTheWholeExport) {
    std::string doc = replace(valid_sample("export-amsterdam-2010-10.xml"), "<exportdatum>03-11-2010</exportdatum>",
                              "<exportdatum>31-11-2010</exportdatum>");
    auto f = decode_failure(*adapter_, doc);
    ASSERT_EQ(f.problems.size(), 1u);
    EXPECT_EQ(f.problems[0].field, "/Export/exportdatum");
    EXPECT_EQ(f.problems[0].line, 3);
}

TEST_F(VwnAdapterTest, SchemaBooleansAreReadLikeTheSchemaReadsThem) {
    std::string doc = valid_sample("export-amsterdam-2010-10.xml");
    doc = replace(doc, "<vvaOpgesteld>true</vvaOpgesteld>", "<vvaOpgesteld> 1 </vvaOpgesteld>");
    doc = replace(doc, "<toestemmingDelen>false</toestemmingDelen>", "<toestemmingDelen>0</toestemmingDelen>");
    auto d = decode_ok(*adapter_, doc);
    EXPECT_EQ(only_event(d, 0).fields.at("vva_drawn_up").value, true);
    EXPECT_EQ(only_event(d, 1).fields.at("consent_given").value, false);
}

struct InvalidCase {
    const char* file;
    const char* field;    // the path one reported problem must name
    const char* message;  // and a fragment of its message (the README's "Expected error")
};

TEST_F(VwnAdapterTest, EveryInvalidSampleIsRejectedNamingFieldAndLine) {
    const std::vector<InvalidCase> cases = {
        {"wrong-namespace.xml", "/Export", "No matching global declaration"},
        {"iso-date-instead-of-dd-mm-jjjj.xml", "/Export/Contactmoment/datum", "pattern"},
        {"gespreknummer-out-of-range.xml", "/Export/Contactmoment/gesprekNummer", "maxInclusive"},
        {"unknown-fase.xml", "/Export/Contactmoment/fase", "enumeration"},
        {"country-as-code.xml", "/Export/Contactmoment/landVanHerkomst", "pattern"},
        {"missing-regelid.xml", "/Export/Contactmoment[2]", "regelId"},
        {"duplicate-regelid.xml", "/Export/Contactmoment[2]", "UniekRegelId"},
        {"missing-clientnummer.xml", "/AanmeldingFrontOffice/client/vNummer", "clientnummer"},
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
            named = named || (p.field == c.field && p.message.find(c.message) != std::string::npos);
        }
        EXPECT_TRUE(named) << f.summary();
    }
}

TEST_F(VwnAdapterTest, ADoctypeIsRefusedBeforeParsing) {
    std::string doc = replace(valid_sample("export-amsterdam-2010-10.xml"), "<Export ",
                              "<!DOCTYPE Export [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<Export ");
    auto f = decode_failure(*adapter_, doc);
    EXPECT_EQ(f.problems.at(0).field, "DOCTYPE");
    EXPECT_EQ(f.problems.at(0).line, 2);
}

// ---- Inbound: AanmeldingFrontOffice ----------------------------------------

TEST_F(VwnAdapterTest, RegistrationCarriesNeedsConsentAndTheDesiredCountry) {
    auto d = decode_ok(*adapter_, valid_sample("aanmelding-front-office-kamara.xml"));
    EXPECT_EQ(d.document_type, "AanmeldingFrontOffice");
    EXPECT_FALSE(d.batch);
    EXPECT_EQ(d.message_id, "UT-2010-004530");
    ASSERT_EQ(d.records.size(), 1u);
    EXPECT_EQ(d.records[0].record_id, "UT-2010-004530");
    const auto& e = only_event(d);
    EXPECT_EQ(e.type, "front_office_registration");
    EXPECT_EQ(e.event_date, "2010-06-02");  // datumAanmelding
    EXPECT_EQ(e.person->country_of_return, "SL");
    EXPECT_EQ(e.person->nationality, "SL");
    EXPECT_EQ(e.fields.at("need_psychosocial").value, true);
    EXPECT_EQ(e.fields.at("need_psychosocial").sensitivity, sdk::Sensitivity::SpecialCategory);
    EXPECT_EQ(e.fields.at("need_medical").value, false);
    EXPECT_EQ(e.fields.at("need_medical").sensitivity, sdk::Sensitivity::SpecialCategory);
    EXPECT_EQ(e.fields.at("need_young_adult").value, true);
    EXPECT_EQ(e.fields.at("need_young_adult").sensitivity, sdk::Sensitivity::Personal);
    EXPECT_EQ(e.fields.at("needs_explanation").sensitivity, sdk::Sensitivity::SpecialCategory);
    EXPECT_EQ(e.fields.at("consent_given").value, true);
    EXPECT_EQ(e.fields.at("consent_date").value, "2010-06-02");
    EXPECT_EQ(e.fields.at("consent_organisations").value, sdk::Json({"SDT", "COA", "MBT", "HNTPO", "DTV"}));
}

TEST_F(VwnAdapterTest, RegistrationWithoutAandachtspuntenHasNoNeeds) {
    std::string doc = valid_sample("aanmelding-front-office-kalonji.xml");
    const auto from = doc.find("  <aandachtspunten>");
    const auto to = doc.find("</aandachtspunten>\n");
    ASSERT_TRUE(from != std::string::npos && to != std::string::npos);
    doc.erase(from, to + std::string("</aandachtspunten>\n").size() - from);
    auto d = decode_ok(*adapter_, doc);
    const auto& e = only_event(d);
    EXPECT_EQ(e.fields.at("need_psychosocial").value, false);
    EXPECT_EQ(e.fields.at("need_medical").value, false);
    EXPECT_EQ(e.fields.at("need_young_adult").value, false);
    EXPECT_EQ(e.fields.count("needs_explanation"), 0u);
}

TEST_F(VwnAdapterTest, RegistrationWithoutConsentToShareCoversNoOrganisation) {
    std::string doc = replace(valid_sample("aanmelding-front-office-kalonji.xml"),
                              "<toestemmingDelen>true</toestemmingDelen>", "<toestemmingDelen>false</toestemmingDelen>");
    auto d = decode_ok(*adapter_, doc);
    const auto& e = only_event(d);
    EXPECT_EQ(e.fields.at("consent_given").value, false);
    EXPECT_EQ(e.fields.at("consent_organisations").value, sdk::Json::array());
}

TEST_F(VwnAdapterTest, RegistrationWithAnUnknownCountryIsRejectedWhole) {
    std::string doc = replace(valid_sample("aanmelding-front-office-kalonji.xml"),
                              "<gewenstLandVanTerugkeer>Democratische Republiek Congo</gewenstLandVanTerugkeer>",
                              "<gewenstLandVanTerugkeer>Zaire</gewenstLandVanTerugkeer>");
    auto f = decode_failure(*adapter_, doc);
    ASSERT_EQ(f.problems.size(), 1u);
    EXPECT_EQ(f.problems[0].field, "/AanmeldingFrontOffice/gewenstLandVanTerugkeer");
    EXPECT_EQ(f.problems[0].line, 15);
    EXPECT_NE(f.problems[0].message.find("Zaire"), std::string::npos);
}

// ---- Outbound: Terugkoppeling -----------------------------------------------

sdk::OutboundMessage feedback(const std::string& id, sdk::Json fields) {
    return sdk::OutboundMessage{"feedback", id, "2010-06-08T10:00:00+02:00", std::move(fields)};
}

std::string encode_ok(const plugin_host::AdapterInstance& a, const sdk::OutboundMessage& m) {
    auto r = a.encode(m);
    if (auto* f = std::get_if<plugin_host::AdapterFailure>(&r)) {
        ADD_FAILURE() << f->summary();
        return {};
    }
    return std::get<std::string>(r);
}

plugin_host::AdapterFailure encode_failure(const plugin_host::AdapterInstance& a, const sdk::OutboundMessage& m) {
    auto r = a.encode(m);
    EXPECT_TRUE(std::holds_alternative<plugin_host::AdapterFailure>(r)) << "message was encoded";
    if (auto* f = std::get_if<plugin_host::AdapterFailure>(&r)) return *f;
    return {};
}

// Element by element: names, namespaces, text of leaves and the regelId.
void expect_same_document(const std::string& produced, const std::string& expected) {
    auto a = sdk::xml::Document::parse_untrusted(produced);
    auto b = sdk::xml::Document::parse_untrusted(expected);
    EXPECT_EQ(sdk::xml::attr(a.root(), "regelId"), sdk::xml::attr(b.root(), "regelId"));
    std::function<void(xmlNode*, xmlNode*)> same = [&](xmlNode* x, xmlNode* y) {
        EXPECT_EQ(sdk::xml::local_name(x), sdk::xml::local_name(y)) << sdk::xml::path_of(y);
        EXPECT_EQ(sdk::xml::ns_of(x), sdk::xml::ns_of(y)) << sdk::xml::path_of(y);
        auto cx = sdk::xml::children(x), cy = sdk::xml::children(y);
        ASSERT_EQ(cx.size(), cy.size()) << sdk::xml::path_of(y);
        if (cy.empty()) {
            EXPECT_EQ(sdk::xml::text(x), sdk::xml::text(y)) << sdk::xml::path_of(y);
        }
        for (size_t i = 0; i < cx.size(); ++i) same(cx[i], cy[i]);
    };
    same(a.root(), b.root());
}

// Kamara's feedback, as the hub would know it: the consent of 07-06-2010
// recorded with COA referral FO-2010-00342, which names VWN.
sdk::Json kamara_feedback() {
    return {{"in_reply_to", "UT-2010-004530"}, {"vwn_client_number", "VWN-UT-004512"}, {"v_number", "2098315774"},
            {"office", "Utrecht"}, {"consent_date", "2010-06-07"},
            {"consent_organisations", {"SDT", "MBT", "HNTPO", "VWN", "DTV"}}};
}

TEST_F(VwnAdapterTest, EncodesTerugkoppelingLikeThePublishedSamples) {
    sdk::Json referred = kamara_feedback(), returned = kamara_feedback();
    referred.update({{"outcome", "referred"}, {"referred_to", "MBT"}, {"date", "2010-06-08"}});
    returned.update({{"outcome", "returned"}, {"date", "2010-08-26"}, {"country", "SL"}});
    const std::vector<std::pair<std::string, sdk::OutboundMessage>> cases = {
        {"terugkoppeling-doorverwezen-kamara.xml", feedback("SDT-2010-000845", referred)},
        {"terugkoppeling-teruggekeerd-kamara.xml", feedback("SDT-2010-001392", returned)}};
    int outbound_samples = 0;
    for (const auto& sample : files_in(contract() / "samples/valid", ".xml")) outbound_samples += is_outbound_sample(sample);
    EXPECT_EQ(static_cast<size_t>(outbound_samples), cases.size()) << "a new outbound sample needs a case here";
    for (const auto& [sample, message] : cases) {
        SCOPED_TRACE(sample);
        const std::string out = encode_ok(*adapter_, message);
        EXPECT_EQ(out.rfind(kIsoDeclaration, 0), 0u) << out;
        expect_same_document(out, valid_sample(sample));
    }
}

TEST_F(VwnAdapterTest, FeedbackIsWrittenInIso88591AndRoundTrips) {
    sdk::Json stopped = kamara_feedback();
    stopped.update({{"office", "Den Haag \xE2\x80\x93 Zo\xC3\xAB"},  // en dash, ë
                    {"outcome", "stopped"}, {"date", "2010-11-01"},
                    {"reason", "Cli\xC3\xABnte trekt zich terug; wil eerst naar Bra\xC5\x9F" "ov"}});  // ë, ş
    const std::string out = encode_ok(*adapter_, feedback("SDT-2010-001500", stopped));
    EXPECT_EQ(out.rfind(kIsoDeclaration, 0), 0u) << out;
    EXPECT_NE(out.find("<reden>Cli\xEBnte trekt zich terug; wil eerst naar Brasov</reden>"), std::string::npos)
        << "ë must be the single Latin-1 byte 0xEB, ş transliterated to s";
    EXPECT_NE(out.find("<afdeling>Den Haag - Zo\xEB</afdeling>"), std::string::npos) << out;
    EXPECT_EQ(out.find("\xC3\xAB"), std::string::npos) << "no UTF-8 in a Latin-1 document";
    EXPECT_EQ(out.find("&#"), std::string::npos) << "no character references: VWN's system cannot store them";
    // Parsed again, the document gives back the same text.
    auto back = sdk::xml::Document::parse_untrusted(out);
    EXPECT_EQ(back.encoding(), "ISO-8859-1");
    EXPECT_EQ(sdk::xml::child_text(sdk::xml::child(back.root(), "Gestopt"), "reden"),
              "Cli\xC3\xABnte trekt zich terug; wil eerst naar Brasov");
    EXPECT_EQ(sdk::xml::child_text(back.root(), "afdeling"), "Den Haag - Zo\xC3\xAB");
}

TEST_F(VwnAdapterTest, AReturnToSomaliaNamesTheCountryInLatin1Dutch) {
    sdk::Json returned = kamara_feedback();
    returned.update({{"outcome", "returned"}, {"date", "2010-08-26"}, {"country", "SO"}});
    const std::string out = encode_ok(*adapter_, feedback("SDT-2010-001393", returned));
    EXPECT_NE(out.find("<land>Somali\xEB</land>"), std::string::npos) << out;
    auto back = sdk::xml::Document::parse_untrusted(out);
    EXPECT_EQ(sdk::xml::child_text(sdk::xml::child(back.root(), "Teruggekeerd"), "land"), "Somali\xC3\xAB");
}

TEST_F(VwnAdapterTest, TextOutsideLatin1IsTransliteratedNotReferenced) {
    sdk::Json stopped = kamara_feedback();
    stopped.update({{"outcome", "stopped"}, {"date", "2010-11-01"},
                    // decomposed e + U+0308, Ž, Ł, ș (comma below), curly quotes, Cyrillic Д
                    {"reason", "Zoe\xCC\x88 \xC5\xBD" "aneta \xC5\x81" "od\xC5\xBA \xC8\x99" "i "
                               "\xE2\x80\x9Cok\xE2\x80\x9D \xD0\x94"}});
    const std::string out = encode_ok(*adapter_, feedback("SDT-2010-001501", stopped));
    EXPECT_NE(out.find("<reden>Zo\xEB Zaneta Lodz si \"ok\" ?</reden>"), std::string::npos) << out;
}

TEST_F(VwnAdapterTest, AnEventTimestampBecomesItsAmsterdamDate) {
    sdk::Json returned = kamara_feedback();
    returned.update({{"outcome", "returned"}, {"date", "2010-08-25T22:30:00Z"}, {"country", "SL"}});  // 00:30 on the 26th
    const std::string out = encode_ok(*adapter_, feedback("SDT-2010-001392", returned));
    expect_same_document(out, valid_sample("terugkoppeling-teruggekeerd-kamara.xml"));
}

TEST_F(VwnAdapterTest, FeedbackWithoutAConsentNamingVwnIsRefused) {
    sdk::Json f = kamara_feedback();
    f.update({{"outcome", "referred"}, {"referred_to", "MBT"}, {"date", "2010-06-08"}});
    f["consent_organisations"] = {"SDT", "COA", "MBT", "HNTPO", "DTV"};  // the AanmeldingFrontOffice consent
    EXPECT_EQ(encode_failure(*adapter_, feedback("SDT-2010-000845", f)).problems.at(0).field,
              "fields.consent_organisations");
    f.erase("consent_organisations");
    EXPECT_EQ(encode_failure(*adapter_, feedback("SDT-2010-000845", f)).problems.at(0).field,
              "fields.consent_organisations");
}

TEST_F(VwnAdapterTest, IncompleteFeedbackNamesTheMissingField) {
    sdk::Json referred = kamara_feedback(), returned = kamara_feedback(), stopped = kamara_feedback();
    referred.update({{"outcome", "referred"}, {"referred_to", "MBT"}, {"date", "2010-06-08"}});
    returned.update({{"outcome", "returned"}, {"date", "2010-08-26"}, {"country", "SL"}});
    stopped.update({{"outcome", "stopped"}, {"date", "2010-11-01"}, {"reason", "Wil niet meer terug."}});
    const std::vector<std::pair<sdk::Json, std::vector<const char*>>> cases = {
        {referred, {"vwn_client_number", "office", "consent_date", "outcome", "referred_to", "date"}},
        {returned, {"vwn_client_number", "office", "consent_date", "outcome", "date", "country"}},
        {stopped, {"vwn_client_number", "office", "consent_date", "outcome", "date", "reason"}},
    };
    for (const auto& [complete, required] : cases) {
        encode_ok(*adapter_, feedback("SDT-2010-000900", complete));
        for (const char* name : required) {
            SCOPED_TRACE(complete.at("outcome").get<std::string>() + " without " + name);
            sdk::Json incomplete = complete;
            incomplete.erase(name);
            auto f = encode_failure(*adapter_, feedback("SDT-2010-000900", incomplete));
            EXPECT_EQ(f.problems.at(0).field, std::string("fields.") + name) << f.summary();
        }
    }
    EXPECT_EQ(encode_failure(*adapter_, feedback("", referred)).problems.at(0).field, "message_id");
}

TEST_F(VwnAdapterTest, FeedbackThatVwnCannotReadIsRefused) {
    sdk::Json f = kamara_feedback();
    f.update({{"outcome", "referred"}, {"referred_to", "DTV"}, {"date", "2010-06-08"}});
    EXPECT_EQ(encode_failure(*adapter_, feedback("SDT-2010-000845", f)).problems.at(0).field, "fields.referred_to");
    f.update({{"referred_to", "MBT"}, {"outcome", "lost"}});
    EXPECT_EQ(encode_failure(*adapter_, feedback("SDT-2010-000845", f)).problems.at(0).field, "fields.outcome");
    f.update({{"outcome", "returned"}, {"country", "ZZ"}});
    EXPECT_EQ(encode_failure(*adapter_, feedback("SDT-2010-000845", f)).problems.at(0).field, "fields.country");
    f.update({{"country", "SL"}, {"date", "26-08-2010"}});
    EXPECT_EQ(encode_failure(*adapter_, feedback("SDT-2010-000845", f)).problems.at(0).field, "fields.date");
    // The outbound schema is the last check: a V-nummer of 9 digits never reaches VWN.
    f.update({{"date", "2010-08-26"}, {"v_number", "209831577"}});
    auto bad = encode_failure(*adapter_, feedback("SDT-2010-000845", f));
    EXPECT_EQ(bad.problems.at(0).field, "/Terugkoppeling/vNummer") << bad.summary();
    f["v_number"] = "2098315774";
    EXPECT_FALSE(encode_failure(*adapter_, feedback("UT-2010-000845-X", f)).problems.empty());
    EXPECT_EQ(encode_failure(*adapter_, sdk::OutboundMessage{"referral_request", "SDT-2010-000845", "", f})
                  .problems.at(0).field,
              "type");
}

}  // namespace
