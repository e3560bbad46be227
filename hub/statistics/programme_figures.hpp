// The programme's figures, computed from stored events with the written
// definitions of docs/statistics.md, so that every number can be traced back
// to the persons and documents behind it.
#pragma once

#include <ketenhub/sdk/canonical.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ketenhub::statistics {

// One stored, non-retracted event with what the definitions need of its
// person (after identity resolution).
struct Fact {
    int64_t seq = 0;
    std::string partner;
    std::string type;
    std::string event_date;  // YYYY-MM-DD, Europe/Amsterdam
    std::string document_type;
    std::string message_id;
    std::string record_id;
    std::string person;  // hub id, empty when not about a person
    std::optional<std::string> v_number;
    std::optional<std::string> birth_date;
    std::string birth_precision = "day";
    std::optional<std::string> country;  // country of return, else nationality
    // Field name -> value, only the fields is_fact_field() lists.
    sdk::Json fields = sdk::Json::object();

    // The value of a listed field (nullptr when the event has none). Asking
    // for a field is_fact_field() does not list is a programming error
    // (std::logic_error): Store::facts() never keeps it.
    const sdk::Json* value(const std::string& name) const;
    std::string field(const std::string& name) const;
    bool flag(const std::string& name) const;      // true or "true"
    bool flag_false(const std::string& name) const;  // false or "false" (absent is neither)
};

// The event fields the programme figures and the four-weekly report read.
// Store::facts() keeps only these of every event: the reports read every
// stored event, and the rest of a body (names, free text, addresses) made a
// million-event store need 2 GB to report on (bench/, docs/performance.md).
bool is_fact_field(std::string_view name);

struct Target {
    std::string key;
    long value = 0;
    std::string label;
};

struct Programme {
    std::string start;  // first day of the programme; earlier departures are not returns
    std::vector<Target> targets;
    std::set<std::string> eligible_countries;  // the 40+3 list (LISTED and ADDED)
};

// Reads programme-targets-*.txt and countries-40plus3.txt; errors name file and line.
Programme load_programme(const std::string& start, const std::string& targets_file, const std::string& countries_file);

struct Evidence {
    std::string person;
    std::optional<std::string> v_number;
    std::string event_date;
    std::string partner;
    std::string document_type;
    std::string message_id;
    std::string record_id;
};

enum class Breakdown { None, Organisation, Country, Funding, TargetGroup };
Breakdown breakdown_from_string(const std::string& s);  // throws std::invalid_argument

struct Figure {
    std::string key;
    std::optional<long> target;
    long achieved = 0;
    std::map<std::string, long> by;   // breakdown value -> count (distinct persons or documents)
    std::vector<Evidence> evidence;   // what the figure counts
};

// The keys, in the order of docs/statistics.md.
const std::vector<std::string>& funnel_keys();

std::vector<Figure> funnel(const std::vector<Fact>& facts, const std::string& from, const std::string& to,
                           const Programme& programme, Breakdown by);

// Reconciliation: what the evaluators had to find by hand.
struct Anomaly {
    std::string kind;
    std::string person;
    std::string detail;
};
std::vector<Anomaly> anomalies(const std::vector<Fact>& all_facts, const Programme& programme);

// Helpdesk: questions by requester type and country, referrals by receiver,
// phase-to-phase conversion, median trajectory duration.
sdk::Json helpdesk_report(const std::vector<Fact>& facts, const std::string& from, const std::string& to,
                          const Programme& programme);

// Output in the report formats.
std::string to_csv(const std::vector<Figure>& figures, Breakdown by);
sdk::Json to_json(const std::vector<Figure>& figures, Breakdown by);
std::string to_xml(const std::vector<Figure>& figures, Breakdown by, const std::string& from, const std::string& to);

}  // namespace ketenhub::statistics
