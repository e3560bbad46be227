// What the store keeps for the outbound path: the referrals the hub made,
// the durable outbox (at-least-once delivery: a message is stored in the same
// transaction that moves the routing cursor past its cause, and leaves the
// outbox only when the partner acknowledged it), the delivery attempts, and
// the routing notes (manual follow-up, withheld messages).
#pragma once

#include <cstdint>
#include <optional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ketenhub::store {

struct ReferralRecord {
    std::string referral_id;     // SDT-YYYY-NNNNNN
    std::string person_hub_id;
    std::string receiver;        // partner code
    std::string origin_partner;  // partner whose document caused it
    std::string origin_record;
    std::string status = "sent";  // sent | accepted | declined | returned | stopped | cancelled
    std::string created_at;
    std::string status_at;
};

// How a partner receives its messages (partners' README, "Outbound delivery").
enum class Delivery { Push, Mailbox };
std::string to_string(Delivery d);

struct NewOutboxMessage {
    std::string partner;
    Delivery delivery = Delivery::Push;
    std::string message_type;   // canonical outbound type
    std::string message_id;     // the id the native document carries
    std::string document_type;  // native root element
    std::string content_type = "application/xml";
    std::string body;           // the native document, as encoded (and signed) by the adapter
    std::string dedupe_key;     // unique: a second message with the same key is not stored
    std::string referral_id;
    std::string person_hub_id;
    int64_t cause_seq = 0;      // the event that caused it; 0 for scheduled messages
    std::string reason;
    // A message that could not be encoded is stored dead, with the reason,
    // so that nothing the routing decided is lost silently.
    std::optional<std::string> dead_on_arrival;
};

// Outbox statuses: pending (push, not yet acknowledged), delivered (push,
// 2xx), waiting (mailbox, not yet confirmed), confirmed (mailbox, removed
// from the partner's view), dead (refused with 4xx, out of attempts, or not
// encodable; an operator may requeue it).
struct OutboxEntry {
    int64_t id = 0;
    std::string partner;
    Delivery delivery = Delivery::Push;
    std::string message_type;
    std::string message_id;
    std::string document_type;
    std::string content_type;
    std::string body;  // empty unless asked for
    std::string dedupe_key;
    std::string referral_id;
    std::string person_hub_id;
    int64_t cause_seq = 0;
    std::string reason;
    std::string status;
    int attempts = 0;
    int64_t next_attempt_ms = 0;
    std::string last_error;
    int last_http_status = 0;
    std::string partner_receipt;  // the 2xx answer's body (first 4 KiB)
    std::string created_at;
    std::string delivered_at;  // delivered or confirmed
};

struct OutboxQuery {
    std::optional<std::string> partner;
    std::optional<std::string> status;
    std::optional<std::string> message_type;
    size_t limit = 100;
    bool with_body = false;
    bool newest_first = true;
};

struct OutboxSummary {
    std::string partner;
    int64_t pending = 0;
    int64_t waiting = 0;
    int64_t delivered = 0;
    int64_t confirmed = 0;
    int64_t dead = 0;
    std::string oldest_undelivered_at;  // created_at of the oldest pending/waiting message
    std::string last_delivered_at;
};

struct DeliveryAttempt {
    enum class Outcome { Delivered, Retry, Dead };
    int64_t outbox_id = 0;
    std::string node;
    Outcome outcome = Outcome::Retry;
    int http_status = 0;  // 0: no answer (connection, TLS, timeout)
    std::string detail;
    std::string at;  // RFC 3339
    int64_t next_attempt_ms = 0;  // Retry: when
    int64_t duration_ms = 0;
    std::string partner_receipt;
};

struct RoutingNote {
    int64_t id = 0;
    std::string kind;          // manual_follow_up | withheld
    std::string organisation;  // receiving organisation or partner
    std::string person_hub_id;
    std::string referral_id;
    int64_t cause_seq = 0;
    std::string dedupe_key;
    std::string reason;
    std::string created_at;
};

// Everything routing decided for a run of events, stored at once together
// with the new cursor, so that a crash routes the same events again and the
// dedupe keys keep the result single.
struct RoutingCommit {
    std::string cursor_name = "routing";
    int64_t cursor = 0;
    std::string now;
    std::vector<ReferralRecord> new_referrals;
    std::vector<std::pair<std::string, std::string>> status_changes;  // referral id, new status
    std::vector<NewOutboxMessage> messages;
    std::vector<RoutingNote> notes;
    // Counters used for these messages: name -> highest value used. Stored
    // in the same transaction, so numbering costs no transaction of its own.
    std::map<std::string, int64_t> sequences;
};

}  // namespace ketenhub::store
