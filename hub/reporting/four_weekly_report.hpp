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

// A support request the hub took into handling, as its Ontvangstbevestiging
// to DT&V states it. DT&V's README counts a request as an activity only
// through this, dated `datumInBehandeling`; it is an outbound message, not an
// event, so it is not among the facts and the caller passes it in.
struct HandledRequest {
    std::string person;                 // hub id when known; else found through v_number
    std::string v_number;               // vNummer
    std::string request_reference;      // verzoekKenmerk
    std::string handling_date;          // datumInBehandeling, YYYY-MM-DD
    std::string handling_organisation;  // behandelendeOrganisatie: SDT | COA | VWN | IOM | MBT | SMS | NIDOS
};

struct FourWeeklyInput {
    ReportingPeriod period;
    // Every non-retracted event with its resolved person (Store::facts()).
    const std::vector<statistics::Fact>& facts;
    // The 40+3 list (alpha-2) for BUITEN_DOELGROEP_LAND.
    const std::set<std::string>& target_countries;
    std::string created_at;  // RFC 3339 with offset
    // Every acknowledgement (support_request_acknowledgement) the hub has
    // sent; only those dated in the period count.
    std::vector<HandledRequest> handled_requests = {};
};

// The canonical `four_weekly_report` message (fields as adapters/dtv/README.md
// documents them); message_id is left empty for the outbox to assign. Both
// lists are in ascending V-nummer order, so the same facts always give the
// same document. The rules, and the readings chosen where DT&V's README is
// ambiguous: docs/statistics.md, "The four-weekly DT&V report". Invalid when
// `period` is not a reporting period.
Result<sdk::OutboundMessage> build_four_weekly_report(const FourWeeklyInput& in);

}  // namespace ketenhub::reporting
