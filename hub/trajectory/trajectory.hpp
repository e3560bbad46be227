// A person's trajectory, derived from their events across all partners: the
// phase history, the funding stream (BZ or ETF), the support choice (SDT in
// kind or HRT cash), the eligibility facts of the ministry subsidy, the
// referrals with their answers, and the consents on record. Derived on
// demand, never stored, so it always agrees with the events behind it.
#pragma once

#include "store/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ketenhub::trajectory {

struct Phase {
    std::string date;
    std::string phase;  // information, coaching, return_planning, registered, referred, support_requested,
                        // declared, departed, arrived, monitored, closed, dropped_out
    std::string partner;
};

struct Referral {
    std::string date;
    std::string partner;  // who referred
    std::string to;       // receiving organisation
    std::string reference;
    std::string status = "open";  // open | accepted | declined | returned | stopped
    std::string status_date;
};

struct Consent {
    std::string date;
    std::string partner;
    bool given = false;
    std::vector<std::string> organisations;
};

struct Trajectory {
    std::vector<Phase> phases;
    std::optional<std::string> funding;         // BZ | ETF
    std::optional<std::string> support_choice;  // SDT (in kind) | HRT | REAN
    std::optional<std::string> negative_ruling_date;
    std::optional<std::string> support_request_date;
    std::optional<long> days_after_ruling;
    std::optional<bool> within_28_days;
    std::vector<Referral> referrals;
    std::vector<Consent> consents;
};

Trajectory derive(const std::vector<store::StoredEvent>& events);

}  // namespace ketenhub::trajectory
