// Turns a canonical message for a partner into an outbox row: the partner's
// own message numbering (declared by its adapter's describe()), the native
// document (the partner's adapter encodes it; DT&V's also signs it), and how
// it leaves the hub. Shared by routing and the scheduler.
#pragma once

#include "partners/partner_registry.hpp"
#include "store/store.hpp"

#include <functional>
#include <memory>

namespace ketenhub::outbound {

using RegistryView = std::function<std::shared_ptr<const partners::PartnerRegistry>()>;

class OutboundComposer {
public:
    OutboundComposer(store::Store& store, RegistryView registry) : store_(store), registry_(std::move(registry)) {}

    // A new hub referral id SDT-YYYY-NNNNNN (YYYY: the Amsterdam year of now).
    Result<std::string> allocate_referral_id(int64_t now_unix);

    // message.type and fields as the receiving adapter documents them;
    // message_id and created_at are assigned here. The result is always a
    // row to store: one that cannot be encoded, or whose partner has no
    // delivery, is stored dead with the reason (dead_on_arrival). Only a
    // store failure (no id could be numbered) is an error: retry later.
    Result<store::NewOutboxMessage> compose(const std::string& partner, sdk::OutboundMessage message,
                                            const std::string& dedupe_key, int64_t now_unix);

    // Moves the counter values taken so far into a commit, which stores them
    // with the messages that carry them. A failed commit leaves a gap, never
    // a number used twice. One composer numbers for the whole store (one
    // routing node); several nodes would number in the database instead.
    void drain_sequences(std::map<std::string, int64_t>& into);

private:
    Result<std::string> message_id_for(const partners::Partner& p, const sdk::OutboundMessage& m, int64_t now_unix);
    // The next value of a counter, numbered in memory (from the stored value
    // the first time) and owed to the store until drain_sequences().
    Result<int64_t> take(const std::string& name);

    store::Store& store_;
    RegistryView registry_;
    std::mutex sequences_mutex_;
    std::map<std::string, int64_t> last_;    // last value taken per counter
    std::map<std::string, int64_t> unsaved_;  // taken since the last drain
};

}  // namespace ketenhub::outbound
