// The whole chain's published samples through every adapter and the real
// store: each inbound sample is accepted, and the people who appear at
// several partners resolve to one person each (the table "People in the
// samples" in the partners' README).
#include "adapter_harness.hpp"
#include "common/ids.hpp"
#include "store/sqlite_store.hpp"

#include <ketenhub/sdk/xml.hpp>

#include "ingest/ingest_service.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <set>

using namespace ketenhub;
using namespace ketenhub::testing;
namespace fs = std::filesystem;

namespace {

const char* const kPartners[] = {"coa", "vwn", "iom", "mbt", "dtv"};

class ChainSamples : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = fs::temp_directory_path() / ("kh-chain-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        auto s = store::open_sqlite({(dir_ / "hub.db").string(), false, 64, 1000});
        ASSERT_TRUE(s) << s.error().message;
        store_ = s->release();
        for (const char* partner : kPartners) {
            auto adapter = load_adapter(partner, settings_for(partner));
            auto described = adapter->describe();
            ASSERT_TRUE(described) << partner;
            std::set<std::string> inbound;
            for (const auto& t : (*described)["inbound"]) inbound.insert(t.get<std::string>());
            for (const auto& sample : files_in(fs::path(source_dir()) / "adapters" / partner / "contract/samples/valid", ".xml")) {
                const std::string doc = read_file(sample);
                const std::string root = sdk::xml::local_name(sdk::xml::Document::parse_untrusted(doc).root());
                if (!inbound.count(root)) {
                    outbound_samples_.push_back(sample.filename().string());
                    continue;  // a hub -> partner document, covered by the encoder tests
                }
                auto decoded = adapter->decode(doc);
                if (auto* f = std::get_if<plugin_host::AdapterFailure>(&decoded)) {
                    failures_.push_back(sample.string() + ": " + f->summary());
                    continue;
                }
                auto& d = std::get<sdk::DecodedDocument>(decoded);
                store::IngestRequest rq = ingest::make_ingest_request(partner, doc, "application/xml", d, "2026-11-28T12:00:00.000Z", "");
                auto r = store_->ingest_sync(rq);
                if (!r) {
                    failures_.push_back(sample.string() + ": " + r.error().message);
                    continue;
                }
                for (const auto& rec : r->receipt.records)
                    if (rec.outcome == store::RecordOutcome::Rejected)
                        failures_.push_back(sample.string() + ": record " + rec.record_id + " rejected");
                ++accepted_;
            }
        }
    }
    static void TearDownTestSuite() {
        delete store_;
        fs::remove_all(dir_);
    }
    static sdk::Json settings_for(const std::string& partner);

    std::set<std::string> partners_of(const std::string& v_number) {
        auto t = store_->person_timeline(v_number);
        EXPECT_TRUE(t && *t) << "no person with V-nummer " << v_number;
        std::set<std::string> out;
        if (t && *t)
            for (const auto& e : (*t)->events) out.insert(e.partner);
        return out;
    }

    static fs::path dir_;
    static store::Store* store_;
    static std::vector<std::string> failures_;
    static std::vector<std::string> outbound_samples_;
    static int accepted_;
};
fs::path ChainSamples::dir_;
store::Store* ChainSamples::store_ = nullptr;
std::vector<std::string> ChainSamples::failures_;
std::vector<std::string> ChainSamples::outbound_samples_;
int ChainSamples::accepted_ = 0;

sdk::Json ChainSamples::settings_for(const std::string& partner) {
    if (partner != "dtv") return sdk::Json::object();
    // Every document to DT&V is signed: development certificates will do.
    const fs::path certs = dir_ / "certs";
    const std::string cmd = "bash " + source_dir() + "/scripts/gen-dev-certs.sh " + certs.string() + " >/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    return {{"signing-key", (certs / "signing-key.pem").string()}, {"signing-certificate", (certs / "signing.pem").string()}};
}

TEST_F(ChainSamples, EveryInboundSampleOfEveryPartnerIsAccepted) {
    for (const auto& f : failures_) ADD_FAILURE() << f;
    EXPECT_GE(accepted_, 20);
}

TEST_F(ChainSamples, PeopleSeenAtSeveralPartnersAreOnePersonEach) {
    const std::vector<std::pair<std::string, std::set<std::string>>> people = {
        {"2046718305", {"coa", "iom", "dtv"}},         // Giorgi Beridze
        {"2098315774", {"coa", "vwn", "mbt", "dtv"}},  // Fatmata Kamara
        {"2059033481", {"coa"}},                       // Arben Krasniqi
        {"2064410387", {"vwn", "mbt"}},                // Mbuyi Kalonji
        {"2033981046", {"vwn", "iom", "mbt"}},         // Hussein Ali Jabbar
        {"2041237758", {"iom"}},                       // Armen Petrosyan
        {"2087640213", {"vwn"}},                       // Abdullahi Hassan Nur
        {"2052278931", {"vwn", "dtv"}},                // Tigist Alemu
        {"2071145629", {"vwn"}},                       // Ahmad Karimi
        {"2059912764", {"coa", "vwn", "mbt"}},         // Bekim Ademi
        {"2077306512", {"mbt"}},                       // Claudine Niyonzima
    };
    for (const auto& [v, expected] : people) {
        SCOPED_TRACE(v);
        EXPECT_EQ(partners_of(v), expected);
    }
}

TEST_F(ChainSamples, KamarasRecordWithoutVNummerJoinsHerTimeline) {
    auto t = store_->person_timeline("2098315774");
    ASSERT_TRUE(t && *t);
    int vwn_contacts = 0;
    for (const auto& e : (*t)->events) vwn_contacts += e.partner == "vwn" && e.event.type == "contact";
    EXPECT_EQ(vwn_contacts, 2);
}

TEST_F(ChainSamples, PeopleWithoutVNummerStaySeparateAndUnmerged) {
    auto stats = store_->stats();
    ASSERT_TRUE(stats);
    // 11 people with a V-nummer and 3 without (Diallo, Manuel, Kamau).
    EXPECT_EQ(stats->persons, 14);
}

TEST_F(ChainSamples, OutboundSamplesAreNotMistakenForInboundOnes) {
    EXPECT_FALSE(outbound_samples_.empty());
    for (const auto& s : outbound_samples_) SCOPED_TRACE(s);
}

}  // namespace
