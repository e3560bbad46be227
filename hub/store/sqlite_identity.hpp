// The identity repository on the SQLite store's writer connection (inside
// the ingest transaction), and the read side used by `ketenhub person`.
#pragma once

#include "identity/identity.hpp"

#include "store/sqlite_util.hpp"

namespace ketenhub::store {

class SqliteIdentityRepository final : public identity::IdentityRepository {
public:
    SqliteIdentityRepository(StatementCache& statements, std::string now)
        : statements_(statements), now_(std::move(now)) {}
    std::optional<identity::PersonRecord> by_v_number(const std::string& v) override;
    std::optional<identity::PersonRecord> by_partner_id(const sdk::PartnerId& id) override;
    std::optional<identity::PersonRecord> by_hub_referral(const std::string& referral_id) override;
    std::vector<identity::PersonRecord> by_match_key(const std::string& name_key, const std::string& country) override;
    identity::PersonRecord create(const identity::PersonRecord& p) override;
    void update(const identity::PersonRecord& p) override;
    void link(const sdk::PartnerId& id, int64_t person_id) override;
    void record_issue(const identity::IdentityIssue& issue) override;
    void merge(int64_t from, int64_t into, const std::string& reason) override;

    std::optional<identity::PersonRecord> by_id(int64_t id);
    std::optional<identity::PersonRecord> by_hub_id(const std::string& hub_id);

private:
    std::optional<identity::PersonRecord> one(const char* where, const std::string& value);
    StatementCache& statements_;
    std::string now_;
};

}  // namespace ketenhub::store
