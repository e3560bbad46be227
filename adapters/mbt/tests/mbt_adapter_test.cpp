// The MbT adapter against every sample MbT published, its golden canonical
// forms, the export-level rules (record count, snapshots, per-dossier
// rejection) and the Verwijzing encoder.
#include "adapter_harness.hpp"
#include "common/ids.hpp"
#include "store/sqlite_store.hpp"

#include <ketenhub/sdk/xml.hpp>

#include <gtest/gtest.h>

#include <map>
#include <unistd.h>

using namespace ketenhub;
using namespace ketenhub::testing;
namespace fs = std::filesystem;
namespace x = ketenhub::sdk::xml;

namespace {

fs::path contract() { return fs::path(source_dir()) / "adapters/mbt/contract"; }
fs::path golden() { return fs::path(source_dir()) / "adapters/mbt/golden"; }
std::string sample(const std::string& name) { return read_file(contract() / "samples/valid" / name); }

bool is_outbound_sample(const fs::path& p) { return p.filename().string().rfind("verwijzing-", 0) == 0; }

std::string replace(std::string s, const std::string& from, const std::string& to) {
    auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
}

const sdk::Record& record_with_id(const sdk::DecodedDocument& d, const std::string& id) {
    for (const auto& r : d.records)
        if (r.record_id == id) return r;
    throw std::runtime_error("no record " + id);
}

std::string field(const sdk::Event& e, const std::string& name) {
    auto it = e.fields.find(name);
    return it == e.fields.end() ? std::string("<absent>") : it->second.value.get<std::string>();
}

class MbtAdapterTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { adapter_ = load_adapter("mbt"); }
    static void TearDownTestSuite() { adapter_.reset(); }
    static std::shared_ptr<plugin_host::AdapterInstance> adapter_;
};
std::shared_ptr<plugin_host::AdapterInstance> MbtAdapterTest::adapter_;

// ---- Golden canonical forms ------------------------------------------------

TEST_F(MbtAdapterTest, EveryValidInboundSampleMatchesItsGoldenCanonicalForm) {
    EXPECT_EQ(expect_golden_samples(*adapter_, contract() / "samples/valid", golden(), is_outbound_sample),
              3);
}

TEST_F(MbtAdapterTest, DescribesOneInboundAndOneOutboundType) {
    auto d = adapter_->describe();
    ASSERT_TRUE(d);
    EXPECT_EQ((*d)["namespace"], "urn:nl:cordaid:mbt:volgsysteem:1");
    EXPECT_EQ((*d)["inbound"], sdk::Json::array({"VolgsysteemExport"}));
    EXPECT_EQ((*d)["outbound"], sdk::Json::array({"referral_request"}));
}

// ---- Batch identity and record count ---------------------------------------

TEST_F(MbtAdapterTest, AnExportIsABatchWhoseRecordsAreExportIdPlusVolgnr) {
    auto d = decode_ok(*adapter_, sample("volgsysteemexport-20100802.xml"));
    EXPECT_TRUE(d.batch);
    EXPECT_EQ(d.document_type, "VolgsysteemExport");
    EXPECT_EQ(d.message_id, "VS-20100802-01");
    ASSERT_EQ(d.records.size(), 4u);
    const std::vector<std::pair<std::string, long>> expected = {
        {"VS-20100802-01:1", 3}, {"VS-20100802-01:2", 11}, {"VS-20100802-01:3", 17}, {"VS-20100802-01:4", 23}};
    for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(d.records[i].record_id, expected[i].first);
        EXPECT_EQ(d.records[i].line, expected[i].second);
        for (const auto& e : d.records[i].events) {
            EXPECT_EQ(e.source.message_id, "VS-20100802-01");
            EXPECT_EQ(e.source.record_id, expected[i].first);
        }
    }
}

TEST_F(MbtAdapterTest, VolgnrIsComparedByValueSoTheRecordIdIsStable) {
    std::string doc = sample("volgsysteemexport-20101115.xml");
    doc = replace(doc, "volgnr=\"1\"", "volgnr=\"+001\"");
    auto d = decode_ok(*adapter_, doc);
    ASSERT_EQ(d.records.size(), 1u);
    EXPECT_EQ(d.records[0].record_id, "VS-20101115-01:1");
}

TEST_F(MbtAdapterTest, RecordCountThatDoesNotMatchRejectsTheWholeExport) {
    for (const char* aantal : {"5", "3"}) {
        SCOPED_TRACE(aantal);
        std::string doc = replace(sample("volgsysteemexport-20100802.xml"), "aantal=\"4\"",
                                  std::string("aantal=\"") + aantal + "\"");
        auto f = decode_failure(*adapter_, doc);
        EXPECT_TRUE(f.rejected);
        ASSERT_EQ(f.problems.size(), 1u);
        EXPECT_EQ(f.problems[0].field, "/VolgsysteemExport/@aantal");
        EXPECT_EQ(f.problems[0].line, 2);
        EXPECT_NE(f.problems[0].message.find("holds 4"), std::string::npos) << f.problems[0].message;
    }
    // Compared by value, as the schema type (positiveInteger) reads it.
    auto ok = decode_ok(*adapter_, replace(sample("volgsysteemexport-20100802.xml"), "aantal=\"4\"", "aantal=\"04\""));
    EXPECT_EQ(ok.records.size(), 4u);
}

TEST_F(MbtAdapterTest, RemovingADossierWithoutCorrectingAantalRejectsTheExport) {
    std::string doc = sample("volgsysteemexport-20101103.xml");
    auto from = doc.find("  <dossier volgnr=\"3\"");
    auto to = doc.find("</dossier>", from) + std::string("</dossier>\n").size();
    doc.erase(from, to - from);
    auto f = decode_failure(*adapter_, doc);
    ASSERT_FALSE(f.problems.empty());
    EXPECT_EQ(f.problems[0].field, "/VolgsysteemExport/@aantal");
}

// ---- Invalid samples ---------------------------------------------------------

struct InvalidCase {
    const char* file;
    const char* field;  // a path that one reported problem must name
    long line;          // the line of that problem
};

TEST_F(MbtAdapterTest, EveryInvalidSampleIsRejectedNamingFieldAndLine) {
    const std::vector<InvalidCase> cases = {
        {"wrong-namespace.xml", "/VolgsysteemExport", 3},
        {"iso-date-instead-of-yyyymmdd.xml", "/VolgsysteemExport/dossier[1]/stap[3]/@datum", 8},
        {"unknown-stap-code.xml", "/VolgsysteemExport/dossier[1]/stap[3]/@code", 8},
        {"duplicate-volgnr.xml", "/VolgsysteemExport/dossier[2]/@volgnr", 10},
        {"missing-dossier-nr.xml", "/VolgsysteemExport/dossier[2]/@nr", 10},
        {"unknown-project.xml", "/VolgsysteemExport/dossier[2]/@project", 10},
        {"country-as-code.xml", "/VolgsysteemExport/dossier[1]/persoon/@land", 5},
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
            named = named || (p.field == c.field && p.line == c.line);
        }
        EXPECT_TRUE(named) << f.summary();
    }
}

TEST_F(MbtAdapterTest, DuplicateVolgnrNamesTheIdentityConstraint) {
    auto f = decode_failure(*adapter_, read_file(contract() / "samples/invalid/duplicate-volgnr.xml"));
    EXPECT_NE(f.summary().find("UniekVolgnr"), std::string::npos) << f.summary();
}

TEST_F(MbtAdapterTest, DuplicateDossierNumberRejectsTheWholeExport) {
    std::string doc = replace(sample("volgsysteemexport-20101103.xml"), "nr=\"MBT-2010-0061\"", "nr=\"MBT-2010-0045\"");
    auto f = decode_failure(*adapter_, doc);
    EXPECT_NE(f.summary().find("UniekDossierNr"), std::string::npos) << f.summary();
    ASSERT_EQ(f.problems.size(), 1u);
    EXPECT_EQ(f.problems[0].field, "/VolgsysteemExport/dossier[3]/@nr");
    EXPECT_EQ(f.problems[0].line, 22);
}

TEST_F(MbtAdapterTest, DoctypeIsRefused) {
    std::string doc = replace(sample("volgsysteemexport-20101115.xml"), "<VolgsysteemExport",
                              "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n<VolgsysteemExport");
    auto f = decode_failure(*adapter_, doc);
    ASSERT_FALSE(f.problems.empty());
    EXPECT_EQ(f.problems[0].field, "DOCTYPE");
    EXPECT_EQ(f.problems[0].line, 2);
}

// ---- One faulty dossier never holds back the rest ---------------------------

TEST_F(MbtAdapterTest, CountryNameNotInTheCrosswalkRejectsThatDossierAlone) {
    // "Makedonija" passes the schema's name pattern but is not in the crosswalk.
    std::string doc = replace(sample("volgsysteemexport-20101103.xml"), "land=\"Macedonia\"", "land=\"Makedonija\"");
    auto d = decode_ok(*adapter_, doc);
    ASSERT_EQ(d.records.size(), 3u);
    EXPECT_TRUE(d.records[0].accepted);
    EXPECT_TRUE(d.records[1].accepted);
    const auto& ademi = d.records[2];
    EXPECT_EQ(ademi.record_id, "VS-20101103-01:3");
    EXPECT_FALSE(ademi.accepted);
    EXPECT_TRUE(ademi.events.empty());
    EXPECT_FALSE(ademi.snapshot.has_value());
    ASSERT_EQ(ademi.problems.size(), 1u);
    EXPECT_EQ(ademi.problems[0].field, "/VolgsysteemExport/dossier[3]/persoon/@land");
    EXPECT_EQ(ademi.problems[0].line, 23);
    EXPECT_NE(ademi.problems[0].message.find("Makedonija"), std::string::npos);
}

TEST_F(MbtAdapterTest, CountryNamesAreConvertedWithTheCrosswalkOnly) {
    auto d = decode_ok(*adapter_, sample("volgsysteemexport-20101103.xml"));
    EXPECT_EQ(d.records.at(2).events.at(0).person->country_of_return, "MK");  // Macedonia
    auto e = decode_ok(*adapter_, sample("volgsysteemexport-20100802.xml"));
    EXPECT_EQ(e.records.at(2).events.at(0).person->country_of_return, "CD");  // Democratic Republic of the Congo
    // The ISO 3166 short name is not the crosswalk's name: refused, not guessed.
    std::string doc = replace(sample("volgsysteemexport-20101103.xml"), "land=\"Macedonia\"",
                              "land=\"North Macedonia\"");
    auto r = decode_ok(*adapter_, doc);
    EXPECT_FALSE(r.records.at(2).accepted);
}

TEST_F(MbtAdapterTest, ImpossibleDatesRejectTheirDossierOrTheExport) {
    // A step date: that dossier only.
    std::string doc = replace(sample("volgsysteemexport-20100802.xml"),
                              "<stap code=\"INTAKE\" datum=\"20100705\"", "<stap code=\"INTAKE\" datum=\"20100231\"");
    auto d = decode_ok(*adapter_, doc);
    ASSERT_EQ(d.records.size(), 4u);
    EXPECT_FALSE(d.records[2].accepted);
    ASSERT_EQ(d.records[2].problems.size(), 1u);
    EXPECT_EQ(d.records[2].problems[0].field, "/VolgsysteemExport/dossier[3]/stap[2]/@datum");
    EXPECT_EQ(d.records[2].problems[0].line, 20);
    for (size_t i : {0u, 1u, 3u}) EXPECT_TRUE(d.records[i].accepted) << i;

    // A birth date: that dossier only.
    doc = replace(sample("volgsysteemexport-20100802.xml"), "geb=\"19691019\"", "geb=\"19690931\"");
    d = decode_ok(*adapter_, doc);
    EXPECT_FALSE(d.records[3].accepted);
    EXPECT_EQ(d.records[3].problems.at(0).field, "/VolgsysteemExport/dossier[4]/persoon/@geb");
    EXPECT_EQ(d.records[3].problems.at(0).line, 24);

    // The export date belongs to every record: the whole export.
    doc = replace(sample("volgsysteemexport-20100802.xml"), "datum=\"20100802\"", "datum=\"20100230\"");
    auto f = decode_failure(*adapter_, doc);
    EXPECT_EQ(f.problems.at(0).field, "/VolgsysteemExport/@datum");
    EXPECT_EQ(f.problems.at(0).line, 2);
}

TEST_F(MbtAdapterTest, EveryDossierRejectedStillReportsEachRecord) {
    // The hub answers 422 with every record's reasons; the adapter reports them all.
    std::string doc = replace(sample("volgsysteemexport-20101115.xml"), "land=\"Kenya\"", "land=\"Kenia\"");
    auto d = decode_ok(*adapter_, doc);
    ASSERT_EQ(d.records.size(), 1u);
    EXPECT_FALSE(d.records[0].accepted);
    EXPECT_EQ(d.records[0].problems.at(0).field, "/VolgsysteemExport/dossier/persoon/@land");
}

// ---- Snapshots ----------------------------------------------------------------

TEST_F(MbtAdapterTest, EachDossierIsASnapshotVersionedByExportDateThenExportId) {
    auto early = decode_ok(*adapter_, sample("volgsysteemexport-20100802.xml"));
    auto late = decode_ok(*adapter_, sample("volgsysteemexport-20101103.xml"));
    const auto& kamara_early = record_with_id(early, "VS-20100802-01:2");
    const auto& kamara_late = record_with_id(late, "VS-20101103-01:1");
    ASSERT_TRUE(kamara_early.snapshot && kamara_late.snapshot);
    EXPECT_EQ(kamara_early.snapshot->scope, "mbt-dossier:MBT-2010-0045");
    EXPECT_EQ(kamara_late.snapshot->scope, "mbt-dossier:MBT-2010-0045");
    EXPECT_EQ(kamara_early.snapshot->version, "20100802/VS-20100802-01");
    EXPECT_EQ(kamara_late.snapshot->version, "20101103/VS-20101103-01");
    EXPECT_LT(kamara_early.snapshot->version, kamara_late.snapshot->version);
    // The newer snapshot carries the complete step list, not only new steps.
    EXPECT_EQ(kamara_early.events.size(), 3u);
    EXPECT_EQ(kamara_late.events.size(), 6u);

    auto version_of = [&](const std::string& export_id, const std::string& datum) {
        std::string doc = sample("volgsysteemexport-20101115.xml");
        doc = replace(doc, "exportId=\"VS-20101115-01\"", "exportId=\"" + export_id + "\"");
        doc = replace(doc, "datum=\"20101115\"", "datum=\"" + datum + "\"");
        return decode_ok(*adapter_, doc).records.at(0).snapshot->version;
    };
    // A second export on the same day is newer than the first ...
    EXPECT_LT(version_of("VS-20101115-01", "20101115"), version_of("VS-20101115-02", "20101115"));
    // ... and the export date decides before the export id does.
    EXPECT_LT(version_of("VS-20101115-09", "20101115"), version_of("VS-20101114-01", "20101116"));
}

TEST_F(MbtAdapterTest, ARejectedDossierCarriesNoSnapshotSoItCannotRetractAnything) {
    std::string doc = replace(sample("volgsysteemexport-20101103.xml"), "land=\"Sierra Leone\"", "land=\"Sierra Lione\"");
    auto d = decode_ok(*adapter_, doc);
    EXPECT_FALSE(d.records.at(0).accepted);
    EXPECT_FALSE(d.records.at(0).snapshot.has_value());
    EXPECT_TRUE(d.records.at(1).snapshot.has_value());
}

// The hub core consumes the snapshots: the newest export of a dossier
// replaces its step list, an older one arriving late changes nothing.
class MbtSnapshotsInTheStore : public MbtAdapterTest {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kh-mbt-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        auto s = store::open_sqlite({(dir_ / "hub.db").string(), false, 64, 1000});
        ASSERT_TRUE(s) << s.error().message;
        store_ = std::move(*s);
    }
    void TearDown() override {
        store_.reset();
        fs::remove_all(dir_);
    }
    store::Receipt ingest(const std::string& doc) {
        auto d = decode_ok(*adapter_, doc);
        store::IngestRequest rq;
        rq.receipt_id = random_uuid();
        rq.partner = "mbt";
        rq.body_sha256 = sha256_hex(doc);
        rq.document_key = "sha256:" + rq.body_sha256;  // batches are keyed by content
        rq.message_id = d.message_id;
        rq.document_type = d.document_type;
        rq.content_type = "application/xml";
        rq.body = doc;
        rq.received_at = "2010-11-16T08:00:00.000Z";
        rq.records = d.records;
        auto r = store_->ingest_sync(rq);
        EXPECT_TRUE(r) << (r ? "" : r.error().message);
        return r ? r->receipt : store::Receipt{};
    }
    // Kamara's live (not retracted) MbT steps, as "type date".
    std::vector<std::string> kamara_steps() {
        auto t = store_->person_timeline("2098315774");
        EXPECT_TRUE(t && *t);
        std::vector<std::string> out;
        if (t && *t)
            for (const auto& e : (*t)->events)
                if (e.partner == "mbt" && !e.retracted) out.push_back(e.event.type + " " + e.event.event_date);
        return out;
    }
    static store::RecordOutcome outcome(const store::Receipt& r, const std::string& record_id) {
        for (const auto& rr : r.records)
            if (rr.record_id == record_id) return rr.outcome;
        ADD_FAILURE() << "no record " << record_id;
        return store::RecordOutcome::Rejected;
    }
    fs::path dir_;
    std::unique_ptr<store::Store> store_;
};

const std::vector<std::string> kKamaraNovember = {
    "registration 2010-06-09", "intake 2010-06-23",  "reintegration_plan 2010-07-14",
    "departure 2010-08-26",    "arrival 2010-08-27", "monitoring_visit 2010-10-29"};

TEST_F(MbtSnapshotsInTheStore, TheNewerExportReplacesTheDossiersStepList) {
    ingest(sample("volgsysteemexport-20100802.xml"));
    EXPECT_EQ(kamara_steps().size(), 3u);
    auto r = ingest(sample("volgsysteemexport-20101103.xml"));
    EXPECT_EQ(outcome(r, "VS-20101103-01:1"), store::RecordOutcome::Accepted);
    EXPECT_EQ(kamara_steps(), kKamaraNovember) << "replaced, not appended";
}

TEST_F(MbtSnapshotsInTheStore, AnOlderExportArrivingLateChangesNothing) {
    ingest(sample("volgsysteemexport-20101103.xml"));
    auto r = ingest(sample("volgsysteemexport-20100802.xml"));
    EXPECT_EQ(outcome(r, "VS-20100802-01:2"), store::RecordOutcome::Superseded);  // Kamara
    EXPECT_EQ(outcome(r, "VS-20100802-01:4"), store::RecordOutcome::Accepted);    // Jabbar: first seen
    EXPECT_EQ(kamara_steps(), kKamaraNovember);
}

TEST_F(MbtSnapshotsInTheStore, AStepMissingFromTheNewestSnapshotIsRetracted) {
    ingest(sample("volgsysteemexport-20101103.xml"));
    std::string doc = sample("volgsysteemexport-20101103.xml");
    doc = replace(doc, "exportId=\"VS-20101103-01\"", "exportId=\"VS-20101103-02\"");
    doc = replace(doc, "    <stap code=\"MONITORING\" datum=\"20101029\" partner=\"Freetown Youth Enterprise Centre\"/>\n", "");
    ingest(doc);
    auto expected = kKamaraNovember;
    expected.pop_back();
    EXPECT_EQ(kamara_steps(), expected);
}

TEST_F(MbtSnapshotsInTheStore, ACorrectedDossierIsAcceptedWhenSentAgain) {
    std::string bad = replace(sample("volgsysteemexport-20101103.xml"), "land=\"Macedonia\"", "land=\"Makedonija\"");
    auto first = ingest(bad);
    EXPECT_EQ(outcome(first, "VS-20101103-01:3"), store::RecordOutcome::Rejected);
    EXPECT_EQ(outcome(first, "VS-20101103-01:1"), store::RecordOutcome::Accepted);
    auto again = ingest(sample("volgsysteemexport-20101103.xml"));
    EXPECT_EQ(outcome(again, "VS-20101103-01:3"), store::RecordOutcome::Accepted);
    EXPECT_EQ(outcome(again, "VS-20101103-01:1"), store::RecordOutcome::AlreadyKnown);
}

// ---- Steps -> events ---------------------------------------------------------

TEST_F(MbtAdapterTest, EveryStepCodeMapsToItsEventTypeAndItsOwnDate) {
    const std::map<std::string, std::string> expected = {
        {"AANMELDING", "registration"},      {"INTAKE", "intake"},   {"PLAN", "reintegration_plan"},
        {"VERTREK", "departure"},            {"AANKOMST", "arrival"}, {"MONITORING", "monitoring_visit"},
        {"AFGESLOTEN", "case_closed"},       {"AFGEHAAKT", "dropped_out"},
    };
    std::map<std::string, std::string> seen;
    for (const char* file : {"volgsysteemexport-20100802.xml", "volgsysteemexport-20101103.xml",
                             "volgsysteemexport-20101115.xml"}) {
        std::string doc = sample(file);
        auto parsed = x::Document::parse_untrusted(doc);
        auto d = decode_ok(*adapter_, doc);
        auto dossiers = x::children(parsed.root(), "dossier");
        ASSERT_EQ(dossiers.size(), d.records.size());
        for (size_t i = 0; i < dossiers.size(); ++i) {
            auto steps = x::children(dossiers[i], "stap");
            ASSERT_EQ(steps.size(), d.records[i].events.size()) << "one event per stap";
            for (size_t s = 0; s < steps.size(); ++s) {
                const auto& e = d.records[i].events[s];
                const std::string code = *x::attr(steps[s], "code");
                const std::string datum = *x::attr(steps[s], "datum");
                seen[code] = e.type;
                EXPECT_EQ(field(e, "step_code"), code);
                // stap/@datum, never the export's @datum.
                EXPECT_EQ(e.event_date, datum.substr(0, 4) + "-" + datum.substr(4, 2) + "-" + datum.substr(6, 2));
                EXPECT_EQ(e.source.line, x::line_of(steps[s]));
            }
        }
    }
    EXPECT_EQ(seen, expected);
}

TEST_F(MbtAdapterTest, ReferralIdPartnerAndReasonComeFromTheirStep) {
    auto d = decode_ok(*adapter_, sample("volgsysteemexport-20100802.xml"));
    const auto& jabbar = d.records.at(3).events;
    ASSERT_EQ(jabbar.size(), 2u);
    EXPECT_EQ(jabbar[0].hub_referral_id, "SDT-2010-000153");
    EXPECT_FALSE(jabbar[1].hub_referral_id.has_value()) << "only the step that answers the referral carries it";
    EXPECT_EQ(field(jabbar[0], "reason"), "<absent>");
    EXPECT_EQ(field(jabbar[1], "reason"), "Client ziet op dit moment af van terugkeer");
    EXPECT_EQ(jabbar[1].fields.at("reason").sensitivity, sdk::Sensitivity::Personal);
    EXPECT_EQ(field(jabbar[1], "carried_out_by"), "Cordaid MbT");
    EXPECT_EQ(jabbar[1].fields.at("carried_out_by").sensitivity, sdk::Sensitivity::Public);
    // Niyonzima's dossier did not come through the hub: no referral id at all.
    for (const auto& e : d.records.at(0).events) EXPECT_FALSE(e.hub_referral_id.has_value());
}

TEST_F(MbtAdapterTest, ProjectAndFundingAreOnEveryEventForInKindStatistics) {
    auto d = decode_ok(*adapter_, sample("volgsysteemexport-20101103.xml"));
    for (const auto& e : d.records.at(0).events) {  // Kamara: Beyond Borders, ministry subsidy
        EXPECT_EQ(field(e, "project"), "BB");
        EXPECT_EQ(field(e, "funding"), "BZ");
    }
    for (const auto& e : d.records.at(1).events) {  // Niyonzima: regular MbT, European Return Fund
        EXPECT_EQ(field(e, "project"), "MBT");
        EXPECT_EQ(field(e, "funding"), "ETF");
    }
    const auto& departure = d.records.at(0).events.at(3);
    EXPECT_EQ(departure.type, "departure");
    EXPECT_EQ(departure.event_date, "2010-08-26");
    EXPECT_EQ(departure.fields.at("funding").sensitivity, sdk::Sensitivity::Personal);
    EXPECT_EQ(field(departure, "export_date"), "2010-11-03");
}

TEST_F(MbtAdapterTest, PersonAttributesFollowTheCanonicalCodings) {
    auto d = decode_ok(*adapter_, sample("volgsysteemexport-20100802.xml"));
    const auto& kamara = *d.records.at(1).events.at(0).person;
    EXPECT_EQ(kamara.v_number, "2098315774");
    ASSERT_EQ(kamara.partner_ids.size(), 1u);
    EXPECT_EQ(kamara.partner_ids[0].scheme, "mbt");
    EXPECT_EQ(kamara.partner_ids[0].value, "MBT-2010-0045");
    EXPECT_EQ(kamara.family_name, "Kamara");
    EXPECT_EQ(kamara.given_names, "Fatmata");
    EXPECT_EQ(kamara.birth_date, "1989-02-17");
    EXPECT_EQ(kamara.sex, "F");  // V
    EXPECT_EQ(kamara.country_of_return, "SL");
    EXPECT_FALSE(kamara.nationality.has_value()) << "MbT records the country of return only";

    const auto& jabbar = *d.records.at(3).events.at(0).person;
    EXPECT_EQ(jabbar.family_name, "Jabbar");  // last word of the natural-order name
    EXPECT_EQ(jabbar.given_names, "Hussein Ali");
    EXPECT_EQ(jabbar.sex, "M");

    auto k = decode_ok(*adapter_, sample("volgsysteemexport-20101115.xml"));
    const auto& kamau = *k.records.at(0).events.at(0).person;
    EXPECT_FALSE(kamau.v_number.has_value()) << "ETF participant who never applied for asylum";
    EXPECT_EQ(kamau.partner_ids.at(0).value, "MBT-2010-0064");
    EXPECT_EQ(kamau.family_name, "Kamau");
    EXPECT_EQ(kamau.given_names, "Joseph Mwangi");
    EXPECT_EQ(kamau.country_of_return, "KE");
}

TEST_F(MbtAdapterTest, OneWordNameIsAFamilyNameOnly) {
    std::string doc = replace(sample("volgsysteemexport-20101115.xml"), "naam=\"Joseph Mwangi Kamau\"",
                              "naam=\"  Kamau \"");
    auto d = decode_ok(*adapter_, doc);
    const auto& p = *d.records.at(0).events.at(0).person;
    EXPECT_EQ(p.family_name, "Kamau");
    EXPECT_FALSE(p.given_names.has_value());
}

// ---- Outbound: Verwijzing ----------------------------------------------------

std::map<std::string, std::string> attributes_of(const xmlNode* n) {
    std::map<std::string, std::string> out;
    for (const xmlAttr* a = n->properties; a; a = a->next) {
        const std::string name = reinterpret_cast<const char*>(a->name);
        out[name] = x::attr(n, name.c_str()).value_or("");
    }
    return out;
}

// Element by element, attribute by attribute, and the text of leaves.
void expect_same_tree(const xmlNode* got, const xmlNode* want, const std::string& path) {
    const std::string here = path + "/" + x::local_name(want);
    EXPECT_EQ(x::local_name(got), x::local_name(want)) << here;
    EXPECT_EQ(x::ns_of(got), x::ns_of(want)) << here;
    EXPECT_EQ(attributes_of(got), attributes_of(want)) << here;
    auto g = x::children(got);
    auto w = x::children(want);
    ASSERT_EQ(g.size(), w.size()) << here;
    if (w.empty()) {
        EXPECT_EQ(x::text(got), x::text(want)) << here;
    }
    for (size_t i = 0; i < w.size(); ++i) expect_same_tree(g[i], w[i], here);
}

sdk::OutboundMessage kamara_referral() {
    return {"referral_request",
            "b8a4c2d0-5e1f-4a37-9c6b-0d2e7f3a1b58",
            "2010-06-08T10:05:00+02:00",
            {{"hub_referral_id", "SDT-2010-000131"},
             {"sequence_number", 212},
             {"referral_date", "2010-06-08"},
             {"project_suggestion", "BB"},
             {"funding", "BZ"},
             {"referred_by", "COA"},
             {"person",
              {{"v_number", "2098315774"},
               {"partner_ids", {{{"scheme", "coa"}, {"value", "31187604"}}}},
               {"family_name", "Kamara"},
               {"given_names", "Fatmata"},
               {"birth_date", "1989-02-17"},
               {"sex", "F"},
               {"nationality", "SL"},
               {"country_of_return", "SL"}}},
             {"needs",
              {{{"need", "education"}, {"explanation", "Kappersopleiding in Freetown afronden"}},
               {{"need", "psychosocial"}},
               {{"need", "young_adult"}}}},
             {"consent_given", true},
             {"consent_date", "2010-06-07T15:20:00+02:00"},
             {"consent_organisations", {"SDT", "MBT", "HNTPO", "VWN", "DTV"}},
             {"remarks",
              "Aangemeld door VluchtelingenWerk Utrecht via de Front Office (FO-2010-00342). Negatieve uitspraak "
              "20-05-2010."}}};
}

sdk::OutboundMessage ademi_referral() {
    return {"referral_request",
            "0f6d3b9e-2a71-4c85-8e4f-6b1d9a2c7e03",
            "2010-10-22T09:00:00+02:00",
            {{"hub_referral_id", "SDT-2010-000288"},
             {"sequence_number", 347},
             {"referral_date", "2010-10-22"},
             {"project_suggestion", "mbt"},
             {"funding", "BZ"},
             {"referred_by", "coa"},
             {"person",
              {{"v_number", "2059912764"},
               {"family_name", "Ademi"},
               {"given_names", "Bekim"},
               {"birth_date", "1972-01-25"},
               {"sex", "M"},
               {"country_of_return", "MK"}}},
             {"needs",
              {{{"need", "business_start"}, {"explanation", "Heropenen bakkerij in Tetovo"}}, "housing"}},
             {"consent_given", true},
             {"consent_date", "2010-10-19"},
             {"consent_organisations", {"sdt", "MBT", "VWN", "DTV"}}}};
}

TEST_F(MbtAdapterTest, EncodesVerwijzingLikeThePublishedSamples) {
    const std::vector<std::pair<const char*, sdk::OutboundMessage>> cases = {
        {"verwijzing-kamara.xml", kamara_referral()},
        {"verwijzing-ademi.xml", ademi_referral()},
    };
    for (const auto& [file, message] : cases) {
        SCOPED_TRACE(file);
        auto r = adapter_->encode(message);
        ASSERT_TRUE(std::holds_alternative<std::string>(r)) << std::get<plugin_host::AdapterFailure>(r).summary();
        auto produced = x::Document::parse_untrusted(std::get<std::string>(r));
        auto expected = x::Document::parse_untrusted(sample(file));
        expect_same_tree(produced.root(), expected.root(), "");
    }
}

plugin_host::AdapterFailure encode_failure(const plugin_host::AdapterInstance& a, const sdk::OutboundMessage& m) {
    auto r = a.encode(m);
    EXPECT_TRUE(std::holds_alternative<plugin_host::AdapterFailure>(r)) << "message was encoded";
    if (auto* f = std::get_if<plugin_host::AdapterFailure>(&r)) return *f;
    return {};
}

TEST_F(MbtAdapterTest, IncompleteReferralRequestsAreRefusedNamingTheMissingField) {
    struct Case {
        const char* path;  // JSON pointer into fields to remove
        const char* expected_field;
    };
    const std::vector<Case> cases = {
        {"/hub_referral_id", "fields.hub_referral_id"},
        {"/sequence_number", "fields.sequence_number"},
        {"/referral_date", "fields.referral_date"},
        {"/project_suggestion", "fields.project_suggestion"},
        {"/funding", "fields.funding"},
        {"/referred_by", "fields.referred_by"},
        {"/person", "fields.person"},
        {"/person/family_name", "fields.person.family_name"},
        {"/person/birth_date", "fields.person.birth_date"},
        {"/person/sex", "fields.person.sex"},
        {"/person/country_of_return", "fields.person.country_of_return"},
        {"/consent_given", "fields.consent_given"},
        {"/consent_date", "fields.consent_date"},
        {"/consent_organisations", "fields.consent_organisations"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.path);
        auto m = kamara_referral();
        const sdk::Json::json_pointer pointer(c.path);
        m.fields[pointer.parent_pointer()].erase(pointer.back());
        auto f = encode_failure(*adapter_, m);
        ASSERT_EQ(f.problems.size(), 1u) << f.summary();
        EXPECT_EQ(f.problems[0].field, c.expected_field) << f.summary();
    }
}

TEST_F(MbtAdapterTest, ReferralRequestsMbTCannotReadAreRefused) {
    struct Case {
        const char* pointer;
        sdk::Json value;
        const char* expected_field;
    };
    const std::vector<Case> cases = {
        {"/person/country_of_return", "FR", "fields.person.country_of_return"},  // not in the crosswalk
        {"/person/country_of_return", "SS", "fields.person.country_of_return"},  // recorded under Sudan
        {"/person/sex", "X", "fields.person.sex"},                                // MbT knows M and V only
        {"/person/v_number", "20983157", "fields.person.v_number"},
        {"/project_suggestion", "BEYOND", "fields.project_suggestion"},
        {"/funding", "HRT", "fields.funding"},
        {"/referred_by", "MBT", "fields.referred_by"},
        {"/consent_given", false, "fields.consent_given"},
        {"/consent_organisations", sdk::Json::array({"SDT", "IOM"}), "fields.consent_organisations"},
        {"/consent_organisations", sdk::Json::array({"SDT", "MBT", "RODE KRUIS"}), "fields.consent_organisations[2]"},
        {"/needs/1", "counselling", "fields.needs[1]"},
        {"/needs/2", "education", "fields.needs[2]"},  // listed twice
        {"/hub_referral_id", "SDT-10-131", "fields.hub_referral_id"},
        {"/sequence_number", 0, "fields.sequence_number"},
        {"/referral_date", "08-06-2010", "fields.referral_date"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.pointer) + " = " + c.value.dump());
        auto m = kamara_referral();
        m.fields[sdk::Json::json_pointer(c.pointer)] = c.value;
        auto f = encode_failure(*adapter_, m);
        ASSERT_EQ(f.problems.size(), 1u) << f.summary();
        EXPECT_EQ(f.problems[0].field, c.expected_field) << f.summary();
    }
}

TEST_F(MbtAdapterTest, OtherOutboundTypesAreRefused) {
    auto m = kamara_referral();
    m.type = "referral_cancellation";
    auto f = encode_failure(*adapter_, m);
    EXPECT_EQ(f.problems.at(0).field, "type");
}

TEST_F(MbtAdapterTest, EncodedDocumentThatBreaksTheSchemaIsNeverReturned) {
    auto m = kamara_referral();
    m.fields["remarks"] = std::string(1001, 'x');  // opmerking is at most 1000 characters
    auto f = encode_failure(*adapter_, m);
    ASSERT_FALSE(f.problems.empty());
    EXPECT_EQ(f.problems[0].field, "/Verwijzing/opmerking") << f.summary();
}

TEST_F(MbtAdapterTest, EstimatedBirthDateIsSentAsFirstOfJanuaryWithARemark) {
    auto m = ademi_referral();
    m.fields["person"]["birth_date"] = "1972";
    m.fields["person"]["birth_date_precision"] = "year";
    auto r = adapter_->encode(m);
    ASSERT_TRUE(std::holds_alternative<std::string>(r)) << std::get<plugin_host::AdapterFailure>(r).summary();
    auto doc = x::Document::parse_untrusted(std::get<std::string>(r));
    EXPECT_EQ(x::attr(x::child(doc.root(), "persoon"), "geb"), "19720101");
    auto remark = x::child_text(doc.root(), "opmerking");
    ASSERT_TRUE(remark.has_value());
    EXPECT_NE(remark->find("1972"), std::string::npos) << *remark;
}

TEST_F(MbtAdapterTest, NeedsAreWrittenInTheOrderGivenWithoutAnyOthers) {
    auto m = ademi_referral();
    m.fields.erase("needs");
    auto r = adapter_->encode(m);
    ASSERT_TRUE(std::holds_alternative<std::string>(r)) << std::get<plugin_host::AdapterFailure>(r).summary();
    auto doc = x::Document::parse_untrusted(std::get<std::string>(r));
    EXPECT_TRUE(x::children(doc.root(), "behoefte").empty());

    m.fields["needs"] = {"medical", "young_adult", "income"};
    r = adapter_->encode(m);
    ASSERT_TRUE(std::holds_alternative<std::string>(r));
    doc = x::Document::parse_untrusted(std::get<std::string>(r));
    std::vector<std::string> codes;
    for (xmlNode* b : x::children(doc.root(), "behoefte")) codes.push_back(*x::attr(b, "code"));
    EXPECT_EQ(codes, (std::vector<std::string>{"MEDISCH", "JONGERE", "INKOMEN"}));
}

}  // namespace
