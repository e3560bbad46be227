// The durable outbox in the real SQLite store: what is stored once stays
// once, leases keep two senders apart, every attempt is recorded, and a
// mailbox message leaves the partner's view only when confirmed.
#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

using namespace ketenhub;
using namespace ketenhub::store;
namespace fs = std::filesystem;

namespace {

class OutboxStore : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kh-outbox-" + std::to_string(::getpid()) + "-" +
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

    static NewOutboxMessage message(const std::string& key, Delivery d = Delivery::Push, const std::string& partner = "coa") {
        NewOutboxMessage m;
        m.partner = partner;
        m.delivery = d;
        m.message_type = "referral_status";
        m.message_id = "id-" + key;
        m.document_type = "DoorverwijzingStatus";
        m.body = "<DoorverwijzingStatus>" + key + "</DoorverwijzingStatus>";
        m.dedupe_key = key;
        m.reason = "test " + key;
        return m;
    }
    Status commit(std::vector<NewOutboxMessage> messages, int64_t cursor = 1) {
        RoutingCommit c;
        c.cursor = cursor;
        c.now = "2026-11-28T10:00:00.000Z";
        c.messages = std::move(messages);
        return store_->commit_routing(c);
    }

    fs::path dir_;
    std::unique_ptr<Store> store_;
};

TEST_F(OutboxStore, SameDedupeKeyIsStoredOnceAndCursorMovesWithIt) {
    ASSERT_TRUE(commit({message("a"), message("b")}, 5));
    ASSERT_TRUE(commit({message("a")}, 7));
    auto all = store_->outbox_list({});
    ASSERT_TRUE(all);
    EXPECT_EQ(all->size(), 2u);
    EXPECT_EQ(*store_->cursor("routing"), 7);
    // The cursor never goes back (a slower node's commit).
    ASSERT_TRUE(commit({}, 3));
    EXPECT_EQ(*store_->cursor("routing"), 7);
    EXPECT_TRUE(*store_->outbox_has("a"));
    EXPECT_FALSE(*store_->outbox_has("c"));
}

TEST_F(OutboxStore, ClaimLeasesSoASecondNodeGetsNothingUntilTheLeaseEnds) {
    ASSERT_TRUE(commit({message("a")}));
    auto first = store_->claim_due_push(1000, 5000, "node-1", 10);
    ASSERT_TRUE(first);
    ASSERT_EQ(first->size(), 1u);
    EXPECT_EQ((*first)[0].body, "<DoorverwijzingStatus>a</DoorverwijzingStatus>");
    EXPECT_TRUE(store_->claim_due_push(2000, 5000, "node-2", 10)->empty());
    auto after = store_->claim_due_push(6001, 5000, "node-2", 10);
    ASSERT_EQ(after->size(), 1u);
    // node-1's late answer no longer counts: node-2 holds the lease.
    DeliveryAttempt late{(*first)[0].id, "node-1", DeliveryAttempt::Outcome::Delivered, 202, "accepted", "t", 0, 5, "r"};
    ASSERT_TRUE(store_->record_attempt(late));
    EXPECT_EQ((*store_->outbox_entry((*first)[0].id, false))->status, "pending");
}

TEST_F(OutboxStore, AttemptsMoveAMessageThroughRetryToDeliveredAndAreKept) {
    ASSERT_TRUE(commit({message("a")}));
    auto claimed = store_->claim_due_push(1000, 5000, "n", 10);
    const int64_t id = (*claimed)[0].id;
    ASSERT_TRUE(store_->record_attempt({id, "n", DeliveryAttempt::Outcome::Retry, 503, "HTTP 503", "t1", 9000, 12, ""}));
    auto e = *store_->outbox_entry(id, false);
    EXPECT_EQ(e->status, "pending");
    EXPECT_EQ(e->attempts, 1);
    EXPECT_EQ(e->next_attempt_ms, 9000);
    EXPECT_EQ(e->last_http_status, 503);
    EXPECT_TRUE(store_->claim_due_push(8999, 5000, "n", 10)->empty()) << "not due before its next attempt";
    EXPECT_EQ(**store_->next_due_ms(), 9000);
    ASSERT_EQ(store_->claim_due_push(9000, 5000, "n", 10)->size(), 1u);
    ASSERT_TRUE(store_->record_attempt({id, "n", DeliveryAttempt::Outcome::Delivered, 202, "accepted", "t2", 0, 8, "{\"r\":1}"}));
    e = *store_->outbox_entry(id, false);
    EXPECT_EQ(e->status, "delivered");
    EXPECT_EQ(e->attempts, 2);
    EXPECT_EQ(e->delivered_at, "t2");
    EXPECT_EQ(e->partner_receipt, "{\"r\":1}");
    auto attempts = store_->delivery_attempts(id);
    ASSERT_EQ(attempts->size(), 2u);
    EXPECT_EQ((*attempts)[0].http_status, 503);
    EXPECT_EQ((*attempts)[1].outcome, DeliveryAttempt::Outcome::Delivered);
    EXPECT_FALSE(*store_->next_due_ms());
}

TEST_F(OutboxStore, DeadLettersCanBeRequeuedButUnencodableOnesCannot) {
    auto unencodable = message("x");
    unencodable.body.clear();
    unencodable.dead_on_arrival = "the coa adapter cannot encode this referral_status: fields.status missing";
    ASSERT_TRUE(commit({message("a"), unencodable}));
    auto claimed = store_->claim_due_push(1000, 5000, "n", 10);
    ASSERT_EQ(claimed->size(), 1u) << "a dead message is never claimed";
    const int64_t id = (*claimed)[0].id;
    ASSERT_TRUE(store_->record_attempt({id, "n", DeliveryAttempt::Outcome::Dead, 400, "refused with HTTP 400", "t", 0, 3, ""}));
    auto summary = store_->outbox_summary();
    ASSERT_EQ(summary->size(), 1u);
    EXPECT_EQ((*summary)[0].dead, 2);
    EXPECT_EQ((*summary)[0].pending, 0);
    ASSERT_TRUE(store_->requeue_dead(id, 2000));
    EXPECT_EQ((*store_->outbox_entry(id, false))->status, "pending");
    auto dead = store_->outbox_list({.status = std::string("dead")});
    ASSERT_EQ(dead->size(), 1u);
    EXPECT_EQ((*dead)[0].last_error, unencodable.dead_on_arrival);
    auto refused = store_->requeue_dead((*dead)[0].id, 2000);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("never encoded"), std::string::npos);
    EXPECT_FALSE(store_->requeue_dead(id, 2000)) << "only a dead message can be requeued";
}

TEST_F(OutboxStore, MailboxMessagesWaitUntilTheirPartnerConfirms) {
    ASSERT_TRUE(commit({message("m", Delivery::Mailbox, "mbt")}));
    EXPECT_TRUE(store_->claim_due_push(1000, 5000, "n", 10)->empty()) << "mailbox messages are never pushed";
    auto waiting = store_->outbox_list({.partner = std::string("mbt"), .status = std::string("waiting")});
    ASSERT_EQ(waiting->size(), 1u);
    const int64_t id = (*waiting)[0].id;
    EXPECT_FALSE(*store_->confirm_mailbox("vwn", id, "t")) << "another partner cannot confirm it";
    EXPECT_TRUE(*store_->confirm_mailbox("mbt", id, "t"));
    EXPECT_FALSE(*store_->confirm_mailbox("mbt", id, "t2")) << "confirmed once";
    auto e = *store_->outbox_entry(id, false);
    EXPECT_EQ(e->status, "confirmed");
    EXPECT_EQ(e->delivered_at, "t");
}

TEST_F(OutboxStore, SequencesCountPerNameAndSurviveReopening) {
    EXPECT_EQ(*store_->next_sequence("sdt-year:2010"), 1);
    EXPECT_EQ(*store_->next_sequence("sdt-year:2010"), 2);
    EXPECT_EQ(*store_->next_sequence("partner-messages:mbt"), 1);
    store_.reset();
    auto s = open_sqlite({(dir_ / "hub.db").string(), false, 64, 1000});
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    EXPECT_EQ(*store_->next_sequence("sdt-year:2010"), 3);
}


TEST_F(OutboxStore, CounterValuesUsedByARoutingCommitAreStoredWithItAndNeverGoBack) {
    EXPECT_EQ(*store_->sequence_value("sdt-year:2010"), 0);
    store::RoutingCommit c;
    c.now = "t";
    c.sequences = {{"sdt-year:2010", 5}, {"partner-messages:mbt", 2}};
    ASSERT_TRUE(store_->commit_routing(c));
    EXPECT_EQ(*store_->sequence_value("sdt-year:2010"), 5);
    EXPECT_EQ(*store_->sequence_value("partner-messages:mbt"), 2);
    c.sequences = {{"sdt-year:2010", 3}};
    ASSERT_TRUE(store_->commit_routing(c));
    EXPECT_EQ(*store_->sequence_value("sdt-year:2010"), 5) << "a late, lower value does not turn the counter back";
    EXPECT_EQ(*store_->next_sequence("sdt-year:2010"), 6);
}

}  // namespace
