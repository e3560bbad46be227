// One identity per person across the partners, in the matching order of the
// partners' README:
//   1. the V-nummer (all 10 digits);
//   2. a partner-local id already linked to a person (coaNummer, VWN
//      clientnummer, IOM caseNo, MbT dossier nr);
//   3. the hub's own referral id echoed in an answer;
//   4. normalised name + date of birth + nationality — only ever a
//      *candidate* for an operator to confirm, never an automatic merge.
// Conflicts (same V-nummer with another date of birth; a partner id that
// points at a person with another V-nummer) are recorded, never merged.
//
// The resolver is storage-agnostic: it runs inside the store's ingest
// transaction against an IdentityRepository that each backend implements.
#pragma once

#include <ketenhub/sdk/canonical.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ketenhub::identity {

struct PersonRecord {
    int64_t id = 0;
    std::string hub_id;  // "KH-000042"
    std::optional<std::string> v_number;
    std::optional<std::string> family_name;
    std::optional<std::string> given_names;
    std::optional<std::string> birth_date;
    std::string birth_precision = "day";
    std::optional<std::string> sex;
    std::optional<std::string> nationality;
    std::optional<std::string> country_of_return;
    std::string name_key;     // normalised name tokens
    std::string match_country;  // nationality, or the country of return where only that is known
};

enum class IssueKind { Candidate, BirthDateConflict, VNumberConflict };
std::string to_string(IssueKind k);

struct IdentityIssue {
    int64_t id = 0;
    IssueKind kind = IssueKind::Candidate;
    int64_t person_id = 0;
    std::optional<int64_t> other_person_id;
    std::string detail;
    std::string status = "open";  // open | confirmed | rejected
    std::string created_at;
};

// What the resolver needs from storage; all calls run in one transaction.
class IdentityRepository {
public:
    virtual ~IdentityRepository() = default;
    virtual std::optional<PersonRecord> by_v_number(const std::string& v) = 0;
    virtual std::optional<PersonRecord> by_partner_id(const sdk::PartnerId& id) = 0;
    virtual std::optional<PersonRecord> by_hub_referral(const std::string& referral_id) = 0;
    virtual std::vector<PersonRecord> by_match_key(const std::string& name_key, const std::string& country) = 0;
    virtual PersonRecord create(const PersonRecord& p) = 0;  // assigns id and hub_id
    virtual void update(const PersonRecord& p) = 0;
    virtual void link(const sdk::PartnerId& id, int64_t person_id) = 0;
    virtual void record_issue(const IdentityIssue& issue) = 0;
    // Moves everything of `from` to `into` and marks `from` as merged.
    virtual void merge(int64_t from, int64_t into, const std::string& reason) = 0;
};

// "Ademi, Bekim", "Bekim ADEMI", "Ademi Bekim" -> "ademi bekim": lower
// case, Latin diacritics folded, punctuation dropped, parts sorted.
std::string normalise_name(const std::optional<std::string>& family, const std::optional<std::string>& given);

// Resolves the person a document describes and returns its id; creates a
// person when nothing matches. `context` describes the source for issue
// texts ("iom message 7f...").
int64_t resolve(IdentityRepository& repo, const sdk::PersonRef& ref, const std::optional<std::string>& hub_referral_id,
                const std::string& context);

}  // namespace ketenhub::identity
