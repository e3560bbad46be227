// Where a referral is routed and who is told what happened: the routing
// rules of the chain (../shared/partners/README.md, "Routing"), as a pure
// function of one committed event and what the hub knows about its person.
// The core (hub/outbound/outbound_service.cpp) runs it over the event flow,
// allocates hub referral ids, encodes each message with the receiving
// partner's adapter and puts it in the durable outbox in one transaction.
#pragma once

#include "common/result.hpp"
#include "identity/identity.hpp"
#include "store/store.hpp"

#include <ketenhub/sdk/canonical.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ketenhub::routing {

// reference/country-matrix.txt: the back-office partner per country of return.
struct CountryRow {
    std::string code;             // ISO alpha-2 ("XK" for Kosovo)
    std::string name;
    std::string in_kind_partner;  // "iom" | "mbt" | "" (none: '-')
    std::vector<std::string> specialists;  // HNTPO, SMS, BB, ...
    std::string note;
};

class CountryMatrix {
public:
    // Errors name file and line.
    static Result<CountryMatrix> load(const std::string& path);
    const CountryRow* find(const std::string& alpha2) const;
    size_t size() const { return rows_.size(); }

private:
    std::map<std::string, CountryRow> rows_;
};

// A referral the hub made to a back-office partner (stored by the core).
struct HubReferral {
    std::string referral_id;     // SDT-YYYY-NNNNNN
    std::string receiver;        // partner code: "iom" | "mbt"
    std::string origin_partner;  // partner whose document caused it: "coa" | "vwn" | "dtv"
    std::string origin_record;   // that document's record id (COA doorverwijzingNummer's record, VWN regelId, DT&V berichtkenmerk)
    std::string created_at;      // RFC 3339
    std::string status;          // sent | accepted | declined | returned | stopped | cancelled
};

struct PersonContext {
    std::string hub_id;
    identity::PersonRecord person;
    std::vector<sdk::PartnerId> partner_ids;
    // Every event of this person that is not retracted, in commit order,
    // including the one being routed.
    std::vector<store::StoredEvent> events;
    std::vector<HubReferral> referrals;  // what the hub already referred for this person
};

enum class Action {
    Send,            // a message to a partner with an interface (outbox)
    ManualFollowUp,  // a referral to an organisation without an interface: recorded, shown, nothing sent
    Withheld,        // something would be sent but may not be (no consent, no receiver): recorded with the reason
    Record,          // only the referral's status changes (referral_id, referral_status); nothing is sent
};
std::string to_string(Action a);

struct Decision {
    Action action = Action::Send;
    // Send: the receiving partner code ("iom", "mbt", "coa", "vwn", "dtv").
    // ManualFollowUp: the organisation ("HNTPO", "SMS", "NIDOS", "PHAROS", "VWN").
    std::string partner;
    // Send: type, created_at and fields as the receiving adapter's README
    // documents them; message_id is left empty (the outbox assigns it).
    sdk::OutboundMessage message;
    // A new referral: the core allocates "SDT-YYYY-NNNNNN", records it with
    // new_referral_receiver and this event as origin, and sets
    // message.fields["hub_referral_id"] before encoding.
    bool new_referral = false;
    std::string new_referral_receiver;
    // About the referral another decision of this same event creates (the
    // COA status "received", the VWN feedback, the DT&V acknowledgement):
    // the core fills referral_id and message.fields["hub_referral_id"]
    // (where the message type carries one) with the id it allocated.
    bool about_new_referral = false;
    // An existing referral this decision is about, and the status it moves to
    // ("accepted", "declined", "returned", "stopped", "cancelled"); empty when unchanged.
    std::string referral_id;
    std::string referral_status;
    // The same cause never yields two messages: the outbox ignores a second
    // decision with a dedupe key it already holds (events may be routed twice).
    std::string dedupe_key;
    std::string reason;  // human: why this was decided (always filled)
};

struct RoutingInput {
    const store::StoredEvent& event;
    const PersonContext& person;
    const CountryMatrix& matrix;
    std::string now;  // RFC 3339 with offset: created_at of the messages
};

std::vector<Decision> route(const RoutingInput& in);

// False for events that can never lead to a decision (contact moments,
// helpdesk questions, monitoring visits, ...): the core skips reading the
// person's history for them, which keeps routing linear in the event flow.
bool may_route(const sdk::Event& e);
// The event types may_route can accept (it decides on the rest of the event):
// routing reads only these events whole (Store::events_after).
bool may_route_type(std::string_view event_type);

}  // namespace ketenhub::routing
