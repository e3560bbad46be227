// Identity resolution through the real SQLite store: the matching order of
// the partners' README, candidates that are never merged automatically, and
// conflicts that are recorded instead of merged.
#include "adapter_harness.hpp"
#include "identity/identity.hpp"
#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <filesystem>

using namespace ketenhub;
using namespace ketenhub::store;
namespace fs = std::filesystem;

namespace {

struct Who {
    std::optional<std::string> v;
    std::vector<sdk::PartnerId> ids;
    std::string family, given, birth, nationality;
    std::string precision = "day";
};

sdk::PersonRef ref(const Who& w) {
    sdk::PersonRef p;
    p.v_number = w.v;
    p.partner_ids = w.ids;
    if (!w.family.empty()) p.family_name = w.family;
    if (!w.given.empty()) p.given_names = w.given;
    if (!w.birth.empty()) p.birth_date = w.birth;
    p.birth_date_precision = w.precision;
    if (!w.nationality.empty()) p.nationality = w.nationality;
    return p;
}

class IdentityTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kh-identity-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        auto s = open_sqlite({(dir_ / "hub.db").string(), false, 64, 1000});
        ASSERT_TRUE(s) << s.error().message;
        store_ = std::move(*s);
    }
    void TearDown() override {
        store_.reset();
        fs::remove_all(dir_);
    }

    // Ingests one single-record document about `who` from `partner`.
    void see(const std::string& partner, const Who& who, const std::string& date = "2010-06-01",
             std::optional<std::string> referral = std::nullopt) {
        sdk::Event e;
        e.type = "contact";
        e.event_date = date;
        e.source = {partner, "Doc", "m" + std::to_string(++n_), "m" + std::to_string(n_), 1};
        e.person = ref(who);
        e.hub_referral_id = referral;
        IngestRequest rq;
        rq.receipt_id = "r" + std::to_string(n_);
        rq.partner = partner;
        rq.document_key = rq.message_id = e.source.message_id;
        rq.document_type = "Doc";
        rq.content_type = "application/xml";
        rq.body = "<x/>";
        rq.body_sha256 = "0";
        rq.received_at = "2026-11-28T12:00:00.000Z";
        rq.records.push_back(sdk::Record{e.source.record_id, 1, true, {e}, {}, std::nullopt});
        auto r = store_->ingest_sync(rq);
        ASSERT_TRUE(r) << r.error().message;
    }
    std::optional<PersonTimeline> person(const std::string& key) {
        auto t = store_->person_timeline(key);
        EXPECT_TRUE(t);
        return t ? *t : std::nullopt;
    }
    int64_t persons() { return store_->stats()->persons; }
    // The event flow from the start.
    std::vector<StoredEvent> flow() {
        auto all = store_->events_after(0, 10);
        EXPECT_TRUE(all);
        return all ? *all : std::vector<StoredEvent>{};
    }
    // What routing reads for `routed` (nullopt: the person no longer resolves, or the read failed).
    std::optional<RoutingHistory> history(const StoredEvent& routed) {
        auto h = store_->routing_history(routed);
        EXPECT_TRUE(h) << (h ? std::string() : h.error().message);
        return h ? *h : std::nullopt;
    }
    std::vector<identity::IdentityIssue> issues() { return *store_->identity_issues(true); }

    fs::path dir_;
    std::unique_ptr<Store> store_;
    int n_ = 0;
};

TEST(NameNormalisation, CaseDiacriticsOrderAndFieldSplitDoNotMatter) {
    using identity::normalise_name;
    EXPECT_EQ(normalise_name("Ademi", "Bekim"), normalise_name("ADEMI", "bekim"));
    EXPECT_EQ(normalise_name(std::nullopt, "Bekim Ademi"), normalise_name("Ademi", "Bekim"));
    EXPECT_EQ(normalise_name("Aïcha", "Diallo"), "aicha diallo");
    EXPECT_EQ(normalise_name("Jabbar", "Hussein Ali"), normalise_name(std::nullopt, "Hussein Ali Jabbar"));
    EXPECT_NE(normalise_name("Ademi", "Bekim"), normalise_name("Ademi", "Berat"));
}

TEST_F(IdentityTest, TheVNummerJoinsEveryPartnersRecords) {
    see("coa", {"2046718305", {{"coa", "30415522"}}, "Beridze", "Giorgi", "1978-04-12", "GE"});
    see("iom", {"2046718305", {{"iom", "NL-AVRR-2010-01234"}}, "BERIDZE", "Giorgi", "1978-04-12", "GE"});
    see("dtv", {"2046718305", {}, "Beridze", "Giorgi", "1978-04-12", "GE"});
    EXPECT_EQ(persons(), 1);
    auto t = person("2046718305");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->events.size(), 3u);
    EXPECT_EQ(t->partner_ids.size(), 2u);
    EXPECT_TRUE(issues().empty());
}

TEST_F(IdentityTest, APartnerIdLinkedEarlierFindsThePersonWithoutVNummer) {
    // Kamara's first VWN record has no V-nummer; the next one has.
    see("vwn", {std::nullopt, {{"vwn", "VWN-UT-004512"}}, "Kamara", "Fatmata", "1989-02-17", "SL"});
    see("vwn", {"2098315774", {{"vwn", "VWN-UT-004512"}}, "Kamara", "Fatmata", "1989-02-17", "SL"});
    EXPECT_EQ(persons(), 1);
    auto t = person("2098315774");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->events.size(), 2u);
    EXPECT_EQ(person("vwn:VWN-UT-004512")->person.hub_id, t->person.hub_id);
}

TEST_F(IdentityTest, APersonKnownOnlyByPartnerIdIsFoldedIntoTheVNummerPerson) {
    see("coa", {"2098315774", {{"coa", "31187604"}}, "Kamara", "Fatmata", "1989-02-17", "SL"});
    see("vwn", {std::nullopt, {{"vwn", "VWN-UT-004512"}}, "Kamara", "Fatmata", "1989-02-17", "SL"});
    EXPECT_EQ(persons(), 2);  // not merged on name alone ...
    ASSERT_EQ(issues().size(), 1u);
    EXPECT_EQ(issues()[0].kind, identity::IssueKind::Candidate);
    // ... but the clientnummer together with the V-nummer links them.
    see("vwn", {"2098315774", {{"vwn", "VWN-UT-004512"}}, "Kamara", "Fatmata", "1989-02-17", "SL"});
    EXPECT_EQ(persons(), 1);
    auto t = person("2098315774");
    EXPECT_EQ(t->events.size(), 3u);
    EXPECT_EQ(t->merged_from.size(), 1u);
}

TEST_F(IdentityTest, TheEventsOfOneRecordAboutTheSamePersonAreOnePersonEvenByNameAlone) {
    // A record whose events name someone only by name and birth date: one
    // person, not one per event (and no candidate issue against themselves).
    auto event = [](const std::string& type, const Who& who) {
        sdk::Event e;
        e.type = type;
        e.event_date = "2010-06-01";
        e.source = {"mbt", "Doc", "m1", "m1", 1};
        e.person = ref(who);
        return e;
    };
    const Who by_name{std::nullopt, {}, "Ademi", "Bekim", "1972-01-25", "MK"};
    const Who other{std::nullopt, {}, "Kamara", "Fatmata", "1989-02-17", "SL"};
    IngestRequest rq;
    rq.receipt_id = "record-with-four-events";
    rq.partner = "mbt";
    rq.document_key = rq.message_id = "m1";
    rq.document_type = "Doc";
    rq.content_type = "application/xml";
    rq.body = "<x/>";
    rq.body_sha256 = "0";
    rq.received_at = "2026-11-28T12:00:00.000Z";
    rq.records.push_back(sdk::Record{"m1", 1, true,
                                     {event("intake", by_name), event("reintegration_plan", by_name),
                                      event("contact", other), event("monitoring_visit", by_name)},
                                     {}, std::nullopt});
    auto r = store_->ingest_sync(rq);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(persons(), 2);
    EXPECT_TRUE(issues().empty());
    see("coa", {"2046718305", {{"coa", "30415522"}}, "Beridze", "Giorgi", "1978-04-12", "GE"});
    EXPECT_EQ(person("2046718305")->person.hub_id, "KH-000003");  // hub ids count on from the row ids
}

TEST_F(IdentityTest, TheHubsReferralIdFindsTheReferredPerson) {
    see("coa", {"2046718305", {{"coa", "30415522"}}, "Beridze", "Giorgi", "1978-04-12", "GE"});
    // The hub registers the referral it sends; an answer carries only its id.
    auto t = person("2046718305");
    ASSERT_TRUE(t);
    {
        // Referrals are registered by the routing step (hub/outbound); here by hand.
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((dir_ / "hub.db").c_str(), &db), SQLITE_OK);
        std::string sql = "INSERT INTO hub_referrals(referral_id, person_id, created_at, receiver) VALUES ('SDT-2010-000117', " + std::to_string(t->person.id) + ", 'now', 'mbt')";
        ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }
    see("mbt", {std::nullopt, {{"mbt", "MBT-2010-0099"}}, "", "", "", ""}, "2010-07-01", "SDT-2010-000117");
    EXPECT_EQ(persons(), 1);
    EXPECT_EQ(person("mbt:MBT-2010-0099")->person.hub_id, t->person.hub_id);
}

TEST_F(IdentityTest, NameBirthAndNationalityMakeACandidateNeverAMerge) {
    see("vwn", {std::nullopt, {{"vwn", "VWN-AM-1"}}, "Ademi", "Bekim", "1972-01-25", "MK"});
    see("mbt", {std::nullopt, {{"mbt", "MBT-2010-0061"}}, "ADEMI", "Bekim", "1972-01-25", "MK"});
    EXPECT_EQ(persons(), 2);
    auto open = issues();
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(open[0].kind, identity::IssueKind::Candidate);
    // The operator confirms: one person with both timelines.
    ASSERT_TRUE(store_->resolve_identity_issue(open[0].id, true));
    EXPECT_EQ(persons(), 1);
    EXPECT_EQ(person("vwn:VWN-AM-1")->events.size(), 2u);
    EXPECT_TRUE(issues().empty());
    EXPECT_FALSE(store_->resolve_identity_issue(open[0].id, true));  // not twice
}

TEST_F(IdentityTest, AnEstimatedBirthYearMatchesOnTheYear) {
    see("iom", {std::nullopt, {{"iom", "NL-AVRR-2010-00077"}}, "Manuel", "Domingos Afonso", "1980-01-01", "AO", "year"});
    see("mbt", {std::nullopt, {{"mbt", "MBT-2010-0070"}}, "Manuel", "Domingos Afonso", "1980-06-15", "AO"});
    ASSERT_EQ(issues().size(), 1u);
    EXPECT_EQ(persons(), 2);
}

TEST_F(IdentityTest, TheSameVNummerWithAnotherBirthDateIsAConflictNotAChange) {
    see("coa", {"2046718305", {{"coa", "30415522"}}, "Beridze", "Giorgi", "1978-04-12", "GE"});
    see("iom", {"2046718305", {{"iom", "NL-AVRR-2010-01234"}}, "Beridze", "Giorgi", "1978-12-04", "GE"});
    EXPECT_EQ(persons(), 1);
    auto open = issues();
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(open[0].kind, identity::IssueKind::BirthDateConflict);
    EXPECT_NE(open[0].detail.find("1978-12-04"), std::string::npos);
    EXPECT_EQ(person("2046718305")->person.birth_date, "1978-04-12");
    // A conflict is corrected at the source, not merged here.
    EXPECT_FALSE(store_->resolve_identity_issue(open[0].id, true));
    EXPECT_TRUE(store_->resolve_identity_issue(open[0].id, false));
}

TEST_F(IdentityTest, APartnerIdUnderTwoVNummersIsAConflict) {
    see("coa", {"2046718305", {{"coa", "30415522"}}, "Beridze", "Giorgi", "1978-04-12", "GE"});
    see("coa", {"2099999999", {{"coa", "30415522"}}, "Beridze", "Giorgi", "1978-04-12", "GE"});
    EXPECT_EQ(persons(), 2);
    auto open = issues();
    ASSERT_GE(open.size(), 1u);
    EXPECT_EQ(open[0].kind, identity::IssueKind::VNumberConflict);
    // The partner id stays with the person it was first linked to.
    EXPECT_EQ(person("coa:30415522")->person.v_number, "2046718305");
}

}  // namespace

// What routing reads for one event: the person after merges, the events up to
// the routed one (later ones are not yet known to it), and the hub's referrals.
TEST_F(IdentityTest, RoutingHistoryIsInCommitOrderWhateverTheEventDates) {
    // Committed 3rd, 1st, 2nd by event date: the rules read "the newest" as
    // the last committed, not the latest dated.
    const Who who{"2098315774", {{"coa", "31187604"}}, "Kamara", "Fatmata", "1989-02-17", "SL"};
    see("coa", who, "2010-09-01");
    see("coa", who, "2010-05-01");
    see("coa", who, "2010-07-01");
    const auto all = flow();
    ASSERT_EQ(all.size(), 3u);
    const auto h = history(all[2]);
    ASSERT_TRUE(h);
    ASSERT_EQ(h->events.size(), 3u);
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(h->events[i].seq, all[i].seq) << i;
    EXPECT_EQ(h->events[0].event.event_date, "2010-09-01");
    EXPECT_EQ(h->events[0].record_id, all[0].record_id);
    EXPECT_EQ(h->events[0].partner, "coa");
}

TEST_F(IdentityTest, RoutingHistoryFollowsMergesAndEndsAtTheRoutedEvent) {
    see("coa", {"2098315774", {{"coa", "31187604"}}, "Kamara", "Fatmata", "1989-02-17", "SL"});
    see("vwn", {std::nullopt, {{"vwn", "VWN-UT-004512"}}, "Kamara", "Fatmata", "1989-02-17", "SL"});
    auto before_merge = store_->events_after(0, 10);
    ASSERT_TRUE(before_merge);
    ASSERT_EQ(before_merge->size(), 2u);
    const StoredEvent vwn_first = (*before_merge)[1];  // still names the person the merge folds away
    see("vwn", {"2098315774", {{"vwn", "VWN-UT-004512"}}, "Kamara", "Fatmata", "1989-02-17", "SL"});
    see("coa", {"2098315774", {{"coa", "31187604"}}, "Kamara", "Fatmata", "1989-02-17", "SL"}, "2010-07-01");
    const auto kamara = person("2098315774");
    ASSERT_TRUE(kamara);
    ASSERT_NE(vwn_first.person_hub_id, kamara->person.hub_id);

    RoutingCommit c;
    c.now = "2026-11-28T12:00:00.000Z";
    c.new_referrals.push_back({"SDT-2010-000001", kamara->person.hub_id, "mbt", "coa", "m1", "sent", c.now, c.now});
    ASSERT_TRUE(store_->commit_routing(c));

    const auto all = flow();
    ASSERT_EQ(all.size(), 4u);
    const auto h = history(all[2]);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->person.hub_id, kamara->person.hub_id);
    ASSERT_EQ(h->events.size(), 3u);  // not the COA event committed after the routed one
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(h->events[i].seq, all[i].seq);
    EXPECT_EQ(h->events.back().event.source.message_id, all[2].event.source.message_id);
    EXPECT_EQ(h->partner_ids.size(), 2u);
    ASSERT_EQ(h->referrals.size(), 1u);
    EXPECT_EQ(h->referrals[0].referral_id, "SDT-2010-000001");

    // A referral made under the folded-away person's id (an event of theirs
    // routed after the merge) is the merged person's too, in order of creation.
    RoutingCommit late;
    late.now = "2026-11-28T12:00:01.000Z";
    late.new_referrals.push_back({"SDT-2010-000002", vwn_first.person_hub_id, "iom", "vwn", "m2", "sent",
                                  "2026-11-28T11:00:00.000Z", late.now});
    ASSERT_TRUE(store_->commit_routing(late));
    auto both = store_->referrals_of(kamara->person.hub_id);
    ASSERT_TRUE(both) << both.error().message;
    ASSERT_EQ(both->size(), 2u);
    EXPECT_EQ((*both)[0].referral_id, "SDT-2010-000002");
    EXPECT_EQ((*both)[0].person_hub_id, vwn_first.person_hub_id);
    EXPECT_EQ((*both)[1].referral_id, "SDT-2010-000001");
    auto of_the_folded = store_->referrals_of(vwn_first.person_hub_id);
    ASSERT_TRUE(of_the_folded);
    ASSERT_EQ(of_the_folded->size(), 1u);

    // An event stored under the person that was folded away is routed with
    // the merged person's history up to that event.
    auto early = store_->routing_history(vwn_first);
    ASSERT_TRUE(early);
    ASSERT_TRUE(*early);
    EXPECT_EQ((*early)->person.hub_id, kamara->person.hub_id);
    ASSERT_EQ((*early)->events.size(), 2u);
    EXPECT_EQ((*early)->events[1].seq, vwn_first.seq);

    StoredEvent unknown = vwn_first;
    unknown.person_hub_id = "KH-999999";
    auto none = store_->routing_history(unknown);
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
}

// Routing reads a pass's events, each one's history (the person's referrals
// included) and the outbox's dedupe keys in one snapshot: a routing commit
// made meanwhile (another node's, or this one's between passes) shows in the
// next pass, never halfway through one.
TEST_F(IdentityTest, RoutingHistoryAndTheOutboxCheckSeeTheSnapshotTheyAreReadIn) {
    see("coa", {"2098315774", {{"coa", "31187604"}}, "Kamara", "Fatmata", "1989-02-17", "SL"});
    const auto all = flow();
    ASSERT_EQ(all.size(), 1u);
    RoutingCommit first;
    first.now = "2026-11-28T12:00:00.000Z";
    first.new_referrals.push_back({"SDT-2010-000001", all[0].person_hub_id, "mbt", "coa", "m1", "sent", first.now, first.now});
    ASSERT_TRUE(store_->commit_routing(first));

    auto snapshot = store_->read_snapshot();
    ASSERT_TRUE(snapshot) << snapshot.error().message;
    auto before = store_->routing_history(all[0]);  // begins the snapshot's read transaction
    ASSERT_TRUE(before && *before);
    ASSERT_EQ((*before)->referrals.size(), 1u);

    RoutingCommit second;
    second.now = "2026-11-28T12:00:01.000Z";
    second.new_referrals.push_back({"SDT-2010-000002", all[0].person_hub_id, "iom", "coa", "m1", "sent", second.now, second.now});
    NewOutboxMessage m;
    m.partner = "iom";
    m.delivery = Delivery::Mailbox;
    m.message_type = "referral_request";
    m.message_id = "SDT-2010-000002";
    m.body = "<x/>";
    m.dedupe_key = "referral:SDT-2010-000002";
    second.messages.push_back(m);
    ASSERT_TRUE(store_->commit_routing(second));

    auto within = store_->routing_history(all[0]);
    ASSERT_TRUE(within && *within);
    ASSERT_EQ((*within)->referrals.size(), 1u) << "a referral committed after the snapshot began";
    auto has_within = store_->outbox_has(m.dedupe_key);
    ASSERT_TRUE(has_within);
    EXPECT_FALSE(*has_within);

    snapshot->reset();
    auto after = store_->routing_history(all[0]);
    ASSERT_TRUE(after && *after);
    ASSERT_EQ((*after)->referrals.size(), 2u);
    EXPECT_EQ((*after)->referrals[1].referral_id, "SDT-2010-000002");
    auto has_after = store_->outbox_has(m.dedupe_key);
    ASSERT_TRUE(has_after);
    EXPECT_TRUE(*has_after);
}
