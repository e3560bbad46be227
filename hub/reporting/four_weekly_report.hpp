// The four-weekly report owed to DT&V (VierwekelijkseRapportage): which
// persons were in guidance in a 28-day period and with which activities, and
// whose request was refused or whose guidance ended without return, derived
// from the events of all partners exactly as DT&V's README ("How the report
// is derived") prescribes. Pure: the scheduler (hub/outbound) decides when a
// period is due, the DT&V adapter encodes and signs the message.
#pragma once

#include "common/result.hpp"
#include "statistics/programme_figures.hpp"

#include <ketenhub/sdk/canonical.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ketenhub::reporting {

// Consecutive 28-day blocks, the first beginning on Monday 2010-01-04, each
// numbered within the calendar year in which it starts.
struct ReportingPeriod {
    int number = 0;
    std::string from;  // YYYY-MM-DD
    std::string to;    // from + 27 days
};
// The period that contains `date` (YYYY-MM-DD); nullopt before 2010-01-04 or for a bad date.
std::optional<ReportingPeriod> period_containing(const std::string& date);
// The period that starts on `first_day`; nullopt when none does.
std::optional<ReportingPeriod> period_starting(const std::string& first_day);
// The period right after `p`.
ReportingPeriod next_period(const ReportingPeriod& p);

struct FourWeeklyInput {
    ReportingPeriod period;
    // Every non-retracted event with its resolved person (Store::facts()).
    const std::vector<statistics::Fact>& facts;
    // The 40+3 list (alpha-2) for BUITEN_DOELGROEP_LAND.
    const std::set<std::string>& target_countries;
    std::string created_at;  // RFC 3339 with offset
};

// The canonical `four_weekly_report` message (fields as adapters/dtv/README.md
// documents them); message_id is left empty for the outbox to assign.
Result<sdk::OutboundMessage> build_four_weekly_report(const FourWeeklyInput& in);

}  // namespace ketenhub::reporting
