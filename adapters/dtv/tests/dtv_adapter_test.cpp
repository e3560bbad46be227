// The DT&V adapter against every sample DT&V published, its golden canonical
// forms, the signed outbound documents (verified with xmlsec, as DT&V
// verifies them) and DT&V's binding data requirement.
#include "adapter_harness.hpp"
#include "dtv_signature.hpp"

#include <ketenhub/sdk/xml.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <functional>

using namespace ketenhub;
using namespace ketenhub::testing;
namespace fs = std::filesystem;
namespace x = ketenhub::sdk::xml;

namespace {

constexpr const char* kDsig = "http://www.w3.org/2000/09/xmldsig#";

fs::path contract() { return fs::path(source_dir()) / "adapters/dtv/contract"; }
fs::path golden() { return fs::path(source_dir()) / "adapters/dtv/golden"; }
std::string sample(const std::string& name) { return read_file(contract() / "samples/valid" / name); }

bool is_outbound_sample(const fs::path& p) {
    const auto n = p.filename().string();
    return n.rfind("ontvangstbevestiging-", 0) == 0 || n.rfind("vierwekelijkse-rapportage-", 0) == 0;
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
    auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
}

template <class T>
plugin_host::AdapterFailure failure_of(const plugin_host::AdapterResult<T>& r) {
    EXPECT_TRUE(std::holds_alternative<plugin_host::AdapterFailure>(r)) << "was accepted";
    if (auto* f = std::get_if<plugin_host::AdapterFailure>(&r)) return *f;
    return {};
}

std::string encoded(const plugin_host::AdapterResult<std::string>& r) {
    if (auto* f = std::get_if<plugin_host::AdapterFailure>(&r)) {
        ADD_FAILURE() << "encode failed: " << f->summary();
        return {};
    }
    return std::get<std::string>(r);
}

// Parses a document the way DT&V does before verifying: every whitespace
// node kept (x::Document::parse_untrusted drops blank nodes).
struct RawDoc {
    explicit RawDoc(const std::string& text)
        : doc(xmlReadMemory(text.data(), static_cast<int>(text.size()), "out.xml", nullptr, XML_PARSE_NONET)) {}
    ~RawDoc() { xmlFreeDoc(doc); }
    xmlDoc* doc;
};

bool run(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()) == 0; }

// A throwaway key and self-signed certificate, made with the openssl CLI.
void make_key_pair(const fs::path& dir, const std::string& name, const std::string& newkey) {
    ASSERT_TRUE(run("openssl req -x509 -newkey " + newkey + " -nodes -keyout " + (dir / (name + "-key.pem")).string() +
                    " -out " + (dir / (name + "-cert.pem")).string() + " -days 2 -subj '/O=Ketenhub Test/CN=" + name + "'"))
        << name;
}

class DtvAdapterTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        keys_ = fs::temp_directory_path() / ("ketenhub-dtv-test-" + std::to_string(::getpid()));
        fs::create_directories(keys_);
        make_key_pair(keys_, "hub-ec", "ec -pkeyopt ec_paramgen_curve:P-256");
        make_key_pair(keys_, "hub-rsa", "rsa:2048");
        make_key_pair(keys_, "someone-else", "ec -pkeyopt ec_paramgen_curve:P-256");
        adapter_ = load_adapter("dtv", signing("hub-ec"));
    }
    static void TearDownTestSuite() {
        adapter_.reset();
        fs::remove_all(keys_);
    }
    static std::string key(const std::string& name) { return (keys_ / (name + "-key.pem")).string(); }
    static std::string cert(const std::string& name) { return (keys_ / (name + "-cert.pem")).string(); }
    static sdk::Json signing(const std::string& name) {
        return {{"signing-key", key(name)}, {"signing-certificate", cert(name)}};
    }
    // create() through the plugin host; the error message when it fails.
    static std::string create_error(const sdk::Json& settings) {
        auto lib = plugin_host::PluginLibrary::load(build_dir() + "/adapters/ketenhub_adapter_dtv.so");
        if (!lib) return "cannot load: " + lib.error().message;
        auto inst = plugin_host::AdapterInstance::create(*lib, {{"partner", "dtv"},
                                                                {"reference_dir", source_dir() + "/config/reference"},
                                                                {"iso3166_json", KETENHUB_ISO3166_JSON},
                                                                {"settings", settings}});
        return inst ? std::string() : inst.error().message;
    }

    static std::shared_ptr<plugin_host::AdapterInstance> adapter_;
    static fs::path keys_;
};
std::shared_ptr<plugin_host::AdapterInstance> DtvAdapterTest::adapter_;
fs::path DtvAdapterTest::keys_;

// ---- inbound ------------------------------------------------------------------

TEST_F(DtvAdapterTest, EveryValidInboundSampleMatchesItsGoldenCanonicalForm) {
    EXPECT_EQ(expect_golden_samples(*adapter_, contract() / "samples/valid", golden(), is_outbound_sample,
                                    [](const sdk::DecodedDocument& d) {
                                        EXPECT_EQ(d.records.size(), 1u);
                                        EXPECT_EQ(d.message_id, d.records.at(0).record_id);
                                    }),
              6);
}

TEST_F(DtvAdapterTest, DescribeListsTheDocumentTypesAndTheSigningSettings) {
    auto d = adapter_->describe();
    ASSERT_TRUE(d);
    EXPECT_EQ((*d)["namespace"], "urn:nl:dtv:ketenpartners:1");
    EXPECT_EQ((*d)["inbound"].size(), 4u);
    EXPECT_EQ((*d)["outbound"], sdk::Json({"support_request_acknowledgement", "four_weekly_report"}));
    std::set<std::string> names;
    for (const auto& s : (*d)["settings"]) {
        names.insert(s["name"].get<std::string>());
        EXPECT_EQ(s["required"], true);
        EXPECT_FALSE(s["description"].get<std::string>().empty());
    }
    EXPECT_EQ(names, (std::set<std::string>{"signing-key", "signing-certificate"}));
}

TEST_F(DtvAdapterTest, TheCountryListIsAboutNoPersonAndDatedByItsSendingDayInAmsterdam) {
    auto d = decode_ok(*adapter_, sample("landenlijst-2010-07.xml"));
    const auto& e = d.records.at(0).events.at(0);
    EXPECT_EQ(e.type, "country_list");
    EXPECT_EQ(e.event_date, "2010-06-25");
    EXPECT_FALSE(e.person.has_value());
    EXPECT_EQ(e.fields.at("valid_from").value, "2010-07-01");
    ASSERT_EQ(e.fields.at("countries").value.size(), 15u);
    EXPECT_EQ(e.fields.at("countries").value.back(),
              sdk::Json({{"code", "XK"}, {"name", "Kosovo"}, {"kind", "STRATEGIE"}}));
    // Late in the evening UTC is already the next day in Amsterdam.
    auto late = decode_ok(*adapter_, replace(sample("landenlijst-2010-07.xml"), "2010-06-25T11:00:00+02:00",
                                             "2010-06-25T22:30:00Z"));
    EXPECT_EQ(late.records.at(0).events.at(0).event_date, "2010-06-26");
}

TEST_F(DtvAdapterTest, EventDatesAreTheDocumentsOwnDatesNeverTheSendingTime) {
    struct Case {
        const char* file;
        const char* type;
        const char* date;
    };
    for (const auto& c : {Case{"ondersteuningsverzoek-beridze.xml", "support_request", "2010-06-08"},
                          Case{"verklaring-vrijwillige-terugkeer-beridze.xml", "voluntary_return_declaration", "2010-07-12"},
                          Case{"vertrek-geregistreerd-beridze.xml", "departure", "2010-07-20"},
                          Case{"vertrek-geregistreerd-kamara.xml", "departure", "2010-08-26"}}) {
        SCOPED_TRACE(c.file);
        const auto e = decode_ok(*adapter_, sample(c.file)).records.at(0).events.at(0);
        EXPECT_EQ(e.type, c.type);
        EXPECT_EQ(e.event_date, c.date);
        ASSERT_TRUE(e.person.has_value());
        EXPECT_TRUE(e.person->v_number.has_value());
    }
}

TEST_F(DtvAdapterTest, TheRequestCarriesWhatThe28DayRuleAndTheFundingStreamNeed) {
    auto alemu = decode_ok(*adapter_, sample("ondersteuningsverzoek-alemu.xml")).records.at(0).events.at(0);
    EXPECT_EQ(alemu.fields.at("initiative").value, "DTV");
    EXPECT_EQ(alemu.fields.at("negative_ruling_date").value, "2010-04-12");
    EXPECT_EQ(alemu.fields.at("days_after_ruling").value, 80);  // the README's own example
    EXPECT_EQ(alemu.fields.at("within_28_day_term").value, false);
    EXPECT_EQ(alemu.person->country_of_return, "ET");

    auto beridze = decode_ok(*adapter_, sample("ondersteuningsverzoek-beridze.xml")).records.at(0).events.at(0);
    EXPECT_EQ(beridze.fields.at("initiative").value, "VREEMDELING");
    EXPECT_EQ(beridze.fields.at("days_after_ruling").value, 12);
    EXPECT_EQ(beridze.fields.at("within_28_day_term").value, true);

    // Day 0 is the day of the ruling, so day 28 is the last allowed day.
    const std::string doc = sample("ondersteuningsverzoek-alemu.xml");
    auto day28 = decode_ok(*adapter_, replace(doc, "<datumVerzoek>2010-07-01<", "<datumVerzoek>2010-05-10<"));
    EXPECT_EQ(day28.records.at(0).events.at(0).fields.at("days_after_ruling").value, 28);
    EXPECT_EQ(day28.records.at(0).events.at(0).fields.at("within_28_day_term").value, true);
    auto day29 = decode_ok(*adapter_, replace(doc, "<datumVerzoek>2010-07-01<", "<datumVerzoek>2010-05-11<"));
    EXPECT_EQ(day29.records.at(0).events.at(0).fields.at("within_28_day_term").value, false);

    // Someone who never had an asylum ruling (only ETF can take him on).
    auto no_ruling = decode_ok(*adapter_, replace(doc, "<datumNegatieveUitspraak>2010-04-12</datumNegatieveUitspraak>", ""));
    const auto& f = no_ruling.records.at(0).events.at(0).fields;
    EXPECT_EQ(f.at("has_negative_ruling").value, false);
    EXPECT_FALSE(f.count("negative_ruling_date") || f.count("days_after_ruling") || f.count("within_28_day_term"));
}

TEST_F(DtvAdapterTest, SexAndNamesMapToTheCanonicalCoding) {
    const std::string doc = sample("ondersteuningsverzoek-alemu.xml");
    auto p = *decode_ok(*adapter_, doc).records.at(0).events.at(0).person;
    EXPECT_EQ(p.sex, "F");
    EXPECT_EQ(p.family_name, "Alemu");
    EXPECT_EQ(p.given_names, "Tigist");
    EXPECT_EQ(p.v_number, "2052278931");
    auto unknown = decode_ok(*adapter_, replace(doc, "<geslacht>V<", "<geslacht>O<"));
    EXPECT_EQ(unknown.records.at(0).events.at(0).person->sex, "X");
}

TEST_F(DtvAdapterTest, TheDepartureKeepsItsModeAndDestination) {
    const auto e = decode_ok(*adapter_, sample("vertrek-geregistreerd-beridze.xml")).records.at(0).events.at(0);
    EXPECT_EQ(e.fields.at("departure_mode").value, "ZELFSTANDIG");
    EXPECT_EQ(e.fields.at("destination_country").value, "GE");
    EXPECT_EQ(e.fields.at("case_manager_id").value, "RV0412");
}

TEST_F(DtvAdapterTest, AnUnknownCountryCodeRefusesTheDocumentNamingFieldAndLine) {
    auto f = failure_of(adapter_->decode(replace(sample("ondersteuningsverzoek-beridze.xml"),
                                                 "<landVanTerugkeer>GE<", "<landVanTerugkeer>ZZ<")));
    ASSERT_EQ(f.problems.size(), 1u);
    EXPECT_EQ(f.problems[0].field, "/Ondersteuningsverzoek/landVanTerugkeer");
    EXPECT_EQ(f.problems[0].line, 13);
    EXPECT_NE(f.problems[0].message.find("ZZ"), std::string::npos);

    auto list = failure_of(adapter_->decode(replace(sample("landenlijst-2010-07.xml"), "<code>MN<", "<code>QQ<")));
    ASSERT_EQ(list.problems.size(), 1u);
    EXPECT_EQ(list.problems[0].field, "/Landenlijst/land[10]/code");
    EXPECT_EQ(list.problems[0].line, 15);
}

struct InvalidCase {
    const char* file;
    const char* field;     // the path one reported problem must name
    long line;             // ... on this line
    const char* mentions;  // ... with this in its message
};

TEST_F(DtvAdapterTest, EveryInvalidSampleIsRejectedNamingFieldAndLine) {
    const std::vector<InvalidCase> cases = {
        {"wrong-namespace.xml", "/VertrekGeregistreerd", 3, "No matching global declaration"},
        {"missing-required-vnummer.xml", "/VertrekGeregistreerd/datumVertrek", 6, "vNummer"},
        {"vnummer-nine-digits.xml", "/Ondersteuningsverzoek/vNummer", 6, "pattern"},
        {"unknown-wijze-vertrek.xml", "/VertrekGeregistreerd/wijzeVertrek", 8, "enumeration"},
        {"bad-date-format.xml", "/VerklaringVrijwilligeTerugkeer/datumVerklaring", 7, "not a valid value"},
        {"empty-landenlijst.xml", "/Landenlijst", 3, "land"},
        {"unknown-initiator.xml", "/Ondersteuningsverzoek/verzoekOpInitiatiefVan", 17, "enumeration"},
    };
    EXPECT_EQ(cases.size(), files_in(contract() / "samples/invalid", ".xml").size())
        << "a new invalid sample needs an expectation here";
    for (const auto& c : cases) {
        SCOPED_TRACE(c.file);
        auto f = failure_of(adapter_->decode(read_file(contract() / "samples/invalid" / c.file)));
        EXPECT_TRUE(f.rejected);
        ASSERT_FALSE(f.problems.empty());
        bool named = false;
        for (const auto& p : f.problems) {
            EXPECT_GT(p.line, 0) << p.message;
            named = named ||
                    (p.field == c.field && p.line == c.line && p.message.find(c.mentions) != std::string::npos);
        }
        EXPECT_TRUE(named) << f.summary();
    }
}

TEST_F(DtvAdapterTest, ADoctypeIsRefusedBeforeParsing) {
    std::string doc = sample("vertrek-geregistreerd-kamara.xml");
    doc = replace(doc, "<VertrekGeregistreerd", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n<VertrekGeregistreerd");
    auto f = failure_of(adapter_->decode(doc));
    EXPECT_EQ(f.problems.at(0).field, "DOCTYPE");
    EXPECT_EQ(f.problems.at(0).line, 2);
}

// ---- outbound: the published samples, signed -----------------------------------

sdk::OutboundMessage acknowledgement() {
    return {"support_request_acknowledgement", "SDT-20100610-00031", "2010-06-10T14:05:22Z",
            {{"request_reference", "DTV-20100608-00412"},
             {"v_number", "2046718305"},
             {"request_date", "2010-06-08"},
             {"handling_date", "2010-06-10"},
             {"handling_organisation", "COA"},
             {"case_manager_id", "RV0412"}}};
}

sdk::OutboundMessage period7_report() {
    sdk::Json in = sdk::Json::array({
        {{"v_number", "2098315774"}, {"activities", {"return_planning"}}, {"responsible_organisation", "MBT"}},
        {{"v_number", "2064410387"}, {"activities", {"return_planning"}}, {"responsible_organisation", "MBT"}},
        {{"v_number", "2059033481"}, {"activities", {"referral"}}, {"responsible_organisation", "SDT"}},
        {{"v_number", "2033981046"}, {"activities", {"return_planning"}}, {"responsible_organisation", "MBT"}},
        {{"v_number", "2077306512"}, {"activities", {"reintegration"}}, {"responsible_organisation", "MBT"}}});
    sdk::Json out = sdk::Json::array({
        {{"v_number", "2041237758"}, {"reason", "chose_hrt"}, {"explanation", "Koos op 24-06-2010 voor HRT via IOM."}},
        {{"v_number", "2033981046"},
         {"reason", "client_withdrew"},
         {"explanation", "Traject bij MbT be\xC3\xABindigd op 06-07-2010 (afgehaakt)."}},
        {{"v_number", "2052278931"},
         {"reason", "term_28_days_expired"},
         {"explanation", "Verzoek 01-07-2010 valt op dag 80 na de negatieve uitspraak van 12-04-2010; de laatste "
                         "toegestane dag is dag 28."}}});
    return {"four_weekly_report", "SDT-20100721-00058", "2010-07-21T07:00:00Z",
            {{"period_number", 7},
             {"period_from", "2010-06-21"},
             {"period_to", "2010-07-18"},
             {"in_guidance", in},
             {"not_in_guidance", out},
             {"without_v_number", 0}}};
}

// Element by element, text by text, the signature aside: the published
// samples are unsigned (contract README, "Signature").
void expect_same_apart_from_signature(const std::string& produced, const std::string& published) {
    auto a = x::Document::parse_untrusted(produced);
    auto b = x::Document::parse_untrusted(published);
    ASSERT_EQ(x::local_name(a.root()), x::local_name(b.root()));
    EXPECT_EQ(x::ns_of(a.root()), x::ns_of(b.root()));
    std::function<void(xmlNode*, xmlNode*)> same = [&](xmlNode* got, xmlNode* want) {
        auto g = x::children(got), w = x::children(want);
        if (got == a.root()) {
            ASSERT_FALSE(g.empty());
            ASSERT_EQ(x::local_name(g.back()), "Signature");
            g.pop_back();
        }
        ASSERT_EQ(g.size(), w.size()) << x::path_of(want);
        if (w.empty()) {
            EXPECT_EQ(x::text(got), x::text(want)) << x::path_of(want);
        }
        for (size_t i = 0; i < w.size(); ++i) {
            EXPECT_EQ(x::local_name(g[i]), x::local_name(w[i])) << x::path_of(w[i]);
            EXPECT_EQ(x::ns_of(g[i]), x::ns_of(w[i])) << x::path_of(w[i]);
            same(g[i], w[i]);
        }
    };
    same(a.root(), b.root());
}

std::string attribute(const xmlNode* n, const char* name) { return x::attr(n, name).value_or("<absent>"); }

// The base64 body of a PEM certificate, as ds:X509Certificate carries it.
std::string pem_body(const std::string& pem) {
    std::string out;
    std::istringstream in(pem);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("-----", 0) != 0) out += line;
    return out;
}

std::string without_whitespace(std::string s) {
    s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }), s.end());
    return s;
}

// The signature exactly as the README prescribes it.
void expect_prescribed_signature(const std::string& document, const std::string& signature_method,
                                 const std::string& certificate_file) {
    RawDoc raw(document);
    ASSERT_NE(raw.doc, nullptr);
    auto top = x::children(xmlDocGetRootElement(raw.doc));
    xmlNode* sig = top.back();
    ASSERT_EQ(x::local_name(sig), "Signature");
    EXPECT_EQ(x::ns_of(sig), kDsig);
    ASSERT_NE(sig->ns, nullptr);
    EXPECT_STREQ(reinterpret_cast<const char*>(sig->ns->prefix), "ds");
    EXPECT_EQ(std::count_if(top.begin(), top.end(), [](xmlNode* n) { return x::local_name(n) == "Signature"; }), 1);

    auto parts = x::children(sig);
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(x::local_name(parts[0]), "SignedInfo");
    EXPECT_EQ(x::local_name(parts[1]), "SignatureValue");
    EXPECT_EQ(x::local_name(parts[2]), "KeyInfo");
    EXPECT_FALSE(x::text(parts[1]).empty());

    auto signed_info = x::children(parts[0]);
    ASSERT_EQ(signed_info.size(), 3u) << "CanonicalizationMethod, SignatureMethod and exactly one Reference";
    EXPECT_EQ(x::local_name(signed_info[0]), "CanonicalizationMethod");
    EXPECT_EQ(attribute(signed_info[0], "Algorithm"), "http://www.w3.org/2001/10/xml-exc-c14n#");
    EXPECT_EQ(x::local_name(signed_info[1]), "SignatureMethod");
    EXPECT_EQ(attribute(signed_info[1], "Algorithm"), signature_method);
    xmlNode* reference = signed_info[2];
    EXPECT_EQ(x::local_name(reference), "Reference");
    EXPECT_EQ(attribute(reference, "URI"), "");
    auto transforms = x::children(x::child(reference, "Transforms"), "Transform");
    ASSERT_EQ(transforms.size(), 2u);
    EXPECT_EQ(attribute(transforms[0], "Algorithm"), "http://www.w3.org/2000/09/xmldsig#enveloped-signature");
    EXPECT_EQ(attribute(transforms[1], "Algorithm"), "http://www.w3.org/2001/10/xml-exc-c14n#");
    EXPECT_EQ(attribute(x::child(reference, "DigestMethod"), "Algorithm"), "http://www.w3.org/2001/04/xmlenc#sha256");
    EXPECT_FALSE(x::text(x::child(reference, "DigestValue")).empty());

    auto key_info = x::children(parts[2]);
    ASSERT_EQ(key_info.size(), 1u);
    EXPECT_EQ(x::local_name(key_info[0]), "X509Data");
    auto x509 = x::children(key_info[0]);
    ASSERT_EQ(x509.size(), 1u);
    EXPECT_EQ(x::local_name(x509[0]), "X509Certificate");
    EXPECT_EQ(without_whitespace(x::text(x509[0])), pem_body(read_file(certificate_file)));

    // And it verifies, as DT&V verifies: against the certificate it holds.
    EXPECT_EQ(dtv::verify(raw.doc, certificate_file), "");
}

TEST_F(DtvAdapterTest, ReCreatesTheOntvangstbevestigingSampleSigned) {
    const std::string out = encoded(adapter_->encode(acknowledgement()));
    expect_same_apart_from_signature(out, sample("ontvangstbevestiging-beridze.xml"));
    expect_prescribed_signature(out, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", cert("hub-ec"));
}

TEST_F(DtvAdapterTest, ReCreatesThePeriod7ReportSigned) {
    const std::string out = encoded(adapter_->encode(period7_report()));
    expect_same_apart_from_signature(out, sample("vierwekelijkse-rapportage-2010-p07.xml"));
    expect_prescribed_signature(out, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", cert("hub-ec"));
}

TEST_F(DtvAdapterTest, AnRsaKeySignsWithRsaSha256) {
    auto rsa = load_adapter("dtv", signing("hub-rsa"));
    const std::string out = encoded(rsa->encode(period7_report()));
    expect_same_apart_from_signature(out, sample("vierwekelijkse-rapportage-2010-p07.xml"));
    expect_prescribed_signature(out, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", cert("hub-rsa"));
}

TEST_F(DtvAdapterTest, ATamperedDocumentFailsVerification) {
    const std::string out = encoded(adapter_->encode(acknowledgement()));
    {
        RawDoc intact(out);
        EXPECT_EQ(dtv::verify(intact.doc, cert("hub-ec")), "");
    }
    RawDoc tampered(replace(out, "<behandelendeOrganisatie>COA<", "<behandelendeOrganisatie>IOM<"));
    EXPECT_EQ(dtv::verify(tampered.doc, cert("hub-ec")), "the signature does not match the document");

    const std::string report = encoded(adapter_->encode(period7_report()));
    RawDoc one_less(replace(report, "<aantalZonderVNummer>0<", "<aantalZonderVNummer>1<"));
    EXPECT_EQ(dtv::verify(one_less.doc, cert("hub-ec")), "the signature does not match the document");
}

TEST_F(DtvAdapterTest, OnlyTheCertificateDtvHoldsVerifiesNotTheOneInKeyInfo) {
    const std::string out = encoded(adapter_->encode(acknowledgement()));
    RawDoc doc(out);
    EXPECT_NE(dtv::verify(doc.doc, cert("someone-else")), "");
    EXPECT_EQ(dtv::verify(doc.doc, cert("hub-ec")), "");
}

TEST_F(DtvAdapterTest, AnEmptyReportIsStillACompleteSignedDocument) {
    auto m = period7_report();
    m.fields["in_guidance"] = sdk::Json::array();
    m.fields["not_in_guidance"] = sdk::Json::array();
    m.fields["without_v_number"] = 2;
    const std::string out = encoded(adapter_->encode(m));
    auto doc = x::Document::parse_untrusted(out);
    EXPECT_NE(x::child(doc.root(), "InBegeleiding"), nullptr);
    EXPECT_NE(x::child(doc.root(), "NietInBegeleiding"), nullptr);
    xmlNode* totals = x::child(doc.root(), "totalen");
    EXPECT_EQ(x::child_text(totals, "aantalInBegeleiding"), "0");
    EXPECT_EQ(x::child_text(totals, "aantalNietInBegeleiding"), "0");
    EXPECT_EQ(x::child_text(totals, "aantalZonderVNummer"), "2");
    RawDoc raw(out);
    EXPECT_EQ(dtv::verify(raw.doc, cert("hub-ec")), "");
}

TEST_F(DtvAdapterTest, ActivitiesAreWrittenOnceInDtvsOrder) {
    auto m = period7_report();
    m.fields["in_guidance"][0]["activities"] = {"monitoring", "information", "return_planning"};
    auto doc = x::Document::parse_untrusted(encoded(adapter_->encode(m)));
    auto person = x::children(x::child(doc.root(), "InBegeleiding"), "persoon").at(0);
    std::vector<std::string> written;
    for (xmlNode* a : x::children(person, "activiteit")) written.push_back(x::text(a));
    EXPECT_EQ(written, (std::vector<std::string>{"VOORLICHTING", "TERUGKEERPLANNING", "MONITORING"}));

    m.fields["in_guidance"][0]["activities"] = {"coaching", "coaching"};
    EXPECT_EQ(failure_of(adapter_->encode(m)).problems.at(0).field, "fields.in_guidance[0].activities[1]");
    m.fields["in_guidance"][0]["activities"] = {"VOORLICHTING"};
    EXPECT_EQ(failure_of(adapter_->encode(m)).problems.at(0).field, "fields.in_guidance[0].activities[0]");
    m.fields["in_guidance"][0]["activities"] = sdk::Json::array();
    EXPECT_EQ(failure_of(adapter_->encode(m)).problems.at(0).field, "fields.in_guidance[0].activities");
}

TEST_F(DtvAdapterTest, APersonAppearsOnceInEachListButMayBeInBoth) {
    auto m = period7_report();  // 2033981046 is in both lists, as in the sample
    m.fields["not_in_guidance"][2]["v_number"] = "2041237758";
    auto f = failure_of(adapter_->encode(m));
    EXPECT_EQ(f.problems.at(0).field, "fields.not_in_guidance[2].v_number");
}

// ---- outbound: the data requirement ---------------------------------------------

TEST_F(DtvAdapterTest, AFieldDtvMustNotReceiveRefusesTheMessage) {
    auto m = acknowledgement();
    m.fields["need_psychosocial"] = true;
    auto f = failure_of(adapter_->encode(m));
    ASSERT_EQ(f.problems.size(), 1u);
    EXPECT_EQ(f.problems[0].field, "fields.need_psychosocial");
    EXPECT_NE(f.problems[0].message.find("must not receive"), std::string::npos);

    for (const char* field : {"family_name", "birth_date", "address", "need_medical"}) {
        SCOPED_TRACE(field);
        auto report = period7_report();
        report.fields["in_guidance"][3][field] = "x";
        EXPECT_EQ(failure_of(adapter_->encode(report)).problems.at(0).field,
                  std::string("fields.in_guidance[3].") + field);
    }
    auto report = period7_report();
    report.fields["future_plan"] = "Wil een garage beginnen.";
    EXPECT_EQ(failure_of(adapter_->encode(report)).problems.at(0).field, "fields.future_plan");
}

TEST_F(DtvAdapterTest, SpecialCategoryOrConfidentialValuesAreRefusedWhateverTheirName) {
    auto report = period7_report();
    report.fields["not_in_guidance"][0]["explanation"] = {{"value", "Koos op 24-06-2010 voor HRT via IOM."},
                                                          {"sensitivity", "special-category"}};
    EXPECT_EQ(failure_of(adapter_->encode(report)).problems.at(0).field, "fields.not_in_guidance[0].explanation");
    report = period7_report();
    report.fields["not_in_guidance"][0]["explanation"] = {{"value", "Koos voor HRT."}, {"sensitivity", "confidential"}};
    EXPECT_EQ(failure_of(adapter_->encode(report)).problems.at(0).field, "fields.not_in_guidance[0].explanation");
    // Personal and public values in the same form are fine.
    auto ack = acknowledgement();
    ack.fields["v_number"] = {{"value", "2046718305"}, {"sensitivity", "personal"}};
    const std::string out = encoded(adapter_->encode(ack));
    expect_same_apart_from_signature(out, sample("ontvangstbevestiging-beridze.xml"));
}

TEST_F(DtvAdapterTest, AnExplanationAboutHealthReligionOrPlansIsRefused) {
    for (const char* text : {"Afgehaakt wegens psychische klachten.", "Opgenomen in het ziekenhuis op 02-07-2010.",
                             "Doorverwezen naar HealthNet TPO.", "Cli\xC3\xABnt is zwanger.",
                             "Traumaverwerking loopt nog.", "Wil niet terug vanwege zijn geloof.",
                             "Vluchtverhaal niet geloofwaardig.", "Toekomstplan: eigen zaak."}) {
        SCOPED_TRACE(text);
        auto report = period7_report();
        report.fields["not_in_guidance"][1]["explanation"] = text;
        auto f = failure_of(adapter_->encode(report));
        ASSERT_FALSE(f.problems.empty());
        EXPECT_EQ(f.problems[0].field, "fields.not_in_guidance[1].explanation");
    }
    // Procedure and dates pass, also words that merely contain a stem.
    auto report = period7_report();
    report.fields["not_in_guidance"][1]["explanation"] = "Ontvangst van de verklaring op 06-07-2010; geen reactie.";
    encoded(adapter_->encode(report));
}

TEST_F(DtvAdapterTest, ASpecialistHealthPartnerIsNeverNamed) {
    auto report = period7_report();
    report.fields["in_guidance"][0]["responsible_organisation"] = "HNTPO";
    auto f = failure_of(adapter_->encode(report));
    EXPECT_EQ(f.problems.at(0).field, "fields.in_guidance[0].responsible_organisation");
    EXPECT_NE(f.problems.at(0).message.find("health"), std::string::npos);
    auto ack = acknowledgement();
    ack.fields["handling_organisation"] = "PHAROS";
    EXPECT_EQ(failure_of(adapter_->encode(ack)).problems.at(0).field, "fields.handling_organisation");
}

// ---- outbound: incomplete or inconsistent messages ------------------------------

TEST_F(DtvAdapterTest, AnIncompleteAcknowledgementIsRefusedNamingTheMissingField) {
    for (const char* field : {"request_reference", "v_number", "request_date", "handling_date", "handling_organisation"}) {
        SCOPED_TRACE(field);
        auto m = acknowledgement();
        m.fields.erase(field);
        EXPECT_EQ(failure_of(adapter_->encode(m)).problems.at(0).field, std::string("fields.") + field);
    }
    auto m = acknowledgement();
    m.fields.erase("case_manager_id");  // optional
    auto doc = x::Document::parse_untrusted(encoded(adapter_->encode(m)));
    EXPECT_EQ(x::child(doc.root(), "regievoerderId"), nullptr);
}

TEST_F(DtvAdapterTest, AnIncompleteReportIsRefusedNamingTheMissingField) {
    for (const char* field : {"period_from", "in_guidance", "not_in_guidance", "without_v_number"}) {
        SCOPED_TRACE(field);
        auto m = period7_report();
        m.fields.erase(field);
        EXPECT_EQ(failure_of(adapter_->encode(m)).problems.at(0).field, std::string("fields.") + field);
    }
    for (const char* field : {"v_number", "activities", "responsible_organisation"}) {
        SCOPED_TRACE(field);
        auto m = period7_report();
        m.fields["in_guidance"][1].erase(field);
        EXPECT_EQ(failure_of(adapter_->encode(m)).problems.at(0).field, std::string("fields.in_guidance[1].") + field);
    }
    for (const char* field : {"v_number", "reason"}) {
        SCOPED_TRACE(field);
        auto m = period7_report();
        m.fields["not_in_guidance"][2].erase(field);
        EXPECT_EQ(failure_of(adapter_->encode(m)).problems.at(0).field, std::string("fields.not_in_guidance[2].") + field);
    }
}

TEST_F(DtvAdapterTest, MessageLevelValuesAreChecked) {
    auto m = acknowledgement();
    m.message_id = "3f5b9c2e-1d7a-4e68-b4c3-9a2e5f8d1c07";
    EXPECT_EQ(failure_of(adapter_->encode(m)).problems.at(0).field, "message_id");
    m = acknowledgement();
    m.created_at = "2010-06-10T16:05:22";
    EXPECT_EQ(failure_of(adapter_->encode(m)).problems.at(0).field, "created_at");
    m = acknowledgement();
    m.fields["v_number"] = "204671830";
    EXPECT_EQ(failure_of(adapter_->encode(m)).problems.at(0).field, "fields.v_number");
    m = acknowledgement();
    m.fields["handling_date"] = "2010-06-07";
    EXPECT_EQ(failure_of(adapter_->encode(m)).problems.at(0).field, "fields.handling_date");
    m = acknowledgement();
    m.fields["request_reference"] = "VWN-UT-004512";
    EXPECT_EQ(failure_of(adapter_->encode(m)).problems.at(0).field, "fields.request_reference");
    m = acknowledgement();
    m.type = "referral_status";
    EXPECT_EQ(failure_of(adapter_->encode(m)).problems.at(0).field, "type");
    auto r = period7_report();
    r.fields["not_in_guidance"][0]["reason"] = "KOOS_HRT";  // DT&V's code, not the canonical one
    EXPECT_EQ(failure_of(adapter_->encode(r)).problems.at(0).field, "fields.not_in_guidance[0].reason");
}

TEST_F(DtvAdapterTest, ReportingPeriodsFollowThe28DayGrid) {
    auto m = period7_report();
    m.fields["period_from"] = "2010-06-22";
    m.fields.erase("period_to");
    EXPECT_EQ(failure_of(adapter_->encode(m)).problems.at(0).field, "fields.period_from");
    m = period7_report();
    m.fields["period_to"] = "2010-07-19";
    EXPECT_EQ(failure_of(adapter_->encode(m)).problems.at(0).field, "fields.period_to");
    m = period7_report();
    m.fields["period_number"] = 8;
    EXPECT_EQ(failure_of(adapter_->encode(m)).problems.at(0).field, "fields.period_number");
    m = period7_report();
    m.fields["period_from"] = "2009-12-07";  // before the first period
    m.fields.erase("period_to");
    m.fields.erase("period_number");
    EXPECT_EQ(failure_of(adapter_->encode(m)).problems.at(0).field, "fields.period_from");

    struct Case {
        const char* from;
        const char* to;
        const char* number;
    };
    // The README's examples, and 2012's fourteenth period.
    for (const auto& c : {Case{"2010-01-04", "2010-01-31", "1"}, Case{"2010-06-21", "2010-07-18", "7"},
                          Case{"2010-12-06", "2011-01-02", "13"}, Case{"2011-01-03", "2011-01-30", "1"},
                          Case{"2012-12-31", "2013-01-27", "14"}}) {
        SCOPED_TRACE(c.from);
        auto report = period7_report();
        report.fields["period_from"] = c.from;
        report.fields.erase("period_to");
        report.fields.erase("period_number");
        auto doc = x::Document::parse_untrusted(encoded(adapter_->encode(report)));
        EXPECT_EQ(x::child_text(doc.root(), "periodeNummer"), c.number);
        EXPECT_EQ(x::child_text(doc.root(), "periodeVan"), c.from);
        EXPECT_EQ(x::child_text(doc.root(), "periodeTot"), c.to);
    }
}

// ---- settings --------------------------------------------------------------------

TEST_F(DtvAdapterTest, WithoutSigningSettingsItDecodesButNeverSendsUnsigned) {
    auto bare = load_adapter("dtv");
    decode_ok(*bare, sample("vertrek-geregistreerd-kamara.xml"));
    auto f = failure_of(bare->encode(acknowledgement()));
    EXPECT_FALSE(f.rejected) << "not the message's fault: the configuration's";
    EXPECT_NE(f.summary().find("signing-key"), std::string::npos) << f.summary();
}

TEST_F(DtvAdapterTest, SigningSettingsThatCannotWorkAreRefusedAtCreation) {
    EXPECT_EQ(create_error(signing("hub-ec")), "");
    EXPECT_NE(create_error({{"signing-key", key("hub-ec")}}).find("signing-certificate"), std::string::npos);
    EXPECT_NE(create_error({{"signing-key", key("hub-ec")}, {"signing-certificate", cert("someone-else")}})
                  .find("does not verify"),
              std::string::npos);
    EXPECT_NE(create_error({{"signing-key", (keys_ / "missing.pem").string()}, {"signing-certificate", cert("hub-ec")}})
                  .find("missing.pem"),
              std::string::npos);
}

}  // namespace
