#include "store/sqlite_identity.hpp"

#include "store/sqlite_util.hpp"

#include <cstdio>

namespace ketenhub::store {

using identity::PersonRecord;

namespace {
constexpr const char* kColumns =
    "id, hub_id, v_number, family_name, given_names, birth_date, birth_precision, sex, nationality, "
    "country_of_return, name_key, match_country";

PersonRecord read_person(const Statement& s) {
    PersonRecord p;
    p.id = s.integer(0);
    p.hub_id = s.text(1);
    p.v_number = s.opt_text(2);
    p.family_name = s.opt_text(3);
    p.given_names = s.opt_text(4);
    p.birth_date = s.opt_text(5);
    p.birth_precision = s.text(6);
    p.sex = s.opt_text(7);
    p.nationality = s.opt_text(8);
    p.country_of_return = s.opt_text(9);
    p.name_key = s.text(10);
    p.match_country = s.text(11);
    return p;
}
}  // namespace

std::optional<PersonRecord> SqliteIdentityRepository::one(const char* where, const std::string& value) {
    std::string sql = std::string("SELECT ") + kColumns + " FROM persons WHERE " + where;
    Statement& s = statements_.get(sql);
    s.bind(1, value);
    if (!s.step()) return std::nullopt;
    PersonRecord p = read_person(s);
    return p;
}

std::optional<PersonRecord> SqliteIdentityRepository::by_id(int64_t id) {
    return one("id = ?1", std::to_string(id));
}

std::optional<PersonRecord> SqliteIdentityRepository::by_hub_id(const std::string& hub_id) {
    auto p = one("hub_id = ?1", hub_id);
    return p;
}

std::optional<PersonRecord> SqliteIdentityRepository::by_v_number(const std::string& v) {
    return one("v_number = ?1 AND merged_into IS NULL", v);
}

std::optional<PersonRecord> SqliteIdentityRepository::by_partner_id(const sdk::PartnerId& id) {
    // Compared column by column so that the (scheme, value) primary key is
    // used: this runs for every event with a partner id.
    std::string sql = std::string("SELECT ") + kColumns +
                      " FROM persons WHERE id = (SELECT person_id FROM person_ids WHERE scheme = ?1 AND value = ?2)";
    Statement& s = statements_.get(sql);
    s.bind(1, id.scheme).bind(2, id.value);
    if (!s.step()) return std::nullopt;
    return read_person(s);
}

std::optional<PersonRecord> SqliteIdentityRepository::by_hub_referral(const std::string& referral_id) {
    return one("id = (SELECT person_id FROM hub_referrals WHERE referral_id = ?1)", referral_id);
}

std::vector<PersonRecord> SqliteIdentityRepository::by_match_key(const std::string& name_key, const std::string& country) {
    std::string sql = std::string("SELECT ") + kColumns +
                      " FROM persons WHERE name_key = ?1 AND match_country = ?2 AND merged_into IS NULL";
    Statement& s = statements_.get(sql);
    s.bind(1, name_key).bind(2, country);
    std::vector<PersonRecord> out;
    while (s.step()) out.push_back(read_person(s));
    return out;
}

PersonRecord SqliteIdentityRepository::create(const PersonRecord& in) {
    PersonRecord p = in;
    // The row id SQLite would pick (one more than the largest; there is one
    // writer) is read first so that the hub id made from it goes into the
    // same INSERT: an UPDATE after the INSERT rewrote the row and its hub_id
    // index, and INSERT ... SELECT from persons itself (or RETURNING) has
    // SQLite build and drop a temporary table for every person (perf: a
    // fifth of the cost of creating one).
    Statement& next = statements_.get("SELECT coalesce(max(id), 0) + 1 FROM persons");
    if (!next.step()) throw std::runtime_error("reading the next person id returned no row");
    p.id = next.integer(0);
    next.reset();
    char hub_id[32];
    std::snprintf(hub_id, sizeof hub_id, "KH-%06lld", static_cast<long long>(p.id));
    p.hub_id = hub_id;
    Statement& s = statements_.get(
                "INSERT INTO persons (id, hub_id, v_number, family_name, given_names, birth_date, birth_precision, sex, "
                "nationality, country_of_return, name_key, match_country, created_at) "
                "VALUES (?12, ?13, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    s.bind_opt(1, p.v_number).bind_opt(2, p.family_name).bind_opt(3, p.given_names).bind_opt(4, p.birth_date)
        .bind(5, p.birth_precision).bind_opt(6, p.sex).bind_opt(7, p.nationality).bind_opt(8, p.country_of_return)
        .bind(9, p.name_key).bind(10, p.match_country).bind(11, now_).bind(12, p.id).bind(13, p.hub_id);
    s.run();
    return p;
}

void SqliteIdentityRepository::update(const PersonRecord& p) {
    Statement& s = statements_.get(
                "UPDATE persons SET v_number = ?1, family_name = ?2, given_names = ?3, birth_date = ?4, "
                "birth_precision = ?5, sex = ?6, nationality = ?7, country_of_return = ?8, name_key = ?9, "
                "match_country = ?10 WHERE id = ?11");
    s.bind_opt(1, p.v_number).bind_opt(2, p.family_name).bind_opt(3, p.given_names).bind_opt(4, p.birth_date)
        .bind(5, p.birth_precision).bind_opt(6, p.sex).bind_opt(7, p.nationality).bind_opt(8, p.country_of_return)
        .bind(9, p.name_key).bind(10, p.match_country).bind(11, p.id);
    s.run();
}

void SqliteIdentityRepository::link(const sdk::PartnerId& id, int64_t person_id) {
    Statement& s = statements_.get("INSERT OR IGNORE INTO person_ids (scheme, value, person_id) VALUES (?1, ?2, ?3)");
    s.bind(1, id.scheme).bind(2, id.value).bind(3, person_id).run();
}

void SqliteIdentityRepository::record_issue(const identity::IdentityIssue& issue) {
    // The same open issue is not listed twice.
    Statement& dup = statements_.get("SELECT 1 FROM identity_issues WHERE kind = ?1 AND person_id = ?2 AND "
                       "coalesce(other_person_id, 0) = ?3 AND detail = ?4 AND status = 'open'");
    dup.bind(1, identity::to_string(issue.kind)).bind(2, issue.person_id).bind(3, issue.other_person_id.value_or(0))
        .bind(4, issue.detail);
    if (dup.step()) return;
    Statement& s = statements_.get("INSERT INTO identity_issues (kind, person_id, other_person_id, detail, status, created_at) "
                     "VALUES (?1, ?2, ?3, ?4, 'open', ?5)");
    s.bind(1, identity::to_string(issue.kind)).bind(2, issue.person_id);
    if (issue.other_person_id)
        s.bind(3, *issue.other_person_id);
    else
        s.bind_null(3);
    s.bind(4, issue.detail).bind(5, now_).run();
}

void SqliteIdentityRepository::merge(int64_t from, int64_t into, const std::string& reason) {
    auto a = by_id(from), b = by_id(into);
    if (!a || !b) throw std::runtime_error("merge of unknown persons");
    if (a->v_number && b->v_number && *a->v_number != *b->v_number)
        throw std::runtime_error(a->hub_id + " and " + b->hub_id + " have different V-nummers; resolve that first");
    for (const char* sql : {"UPDATE events SET person_id = ?2 WHERE person_id = ?1",
                            "UPDATE person_ids SET person_id = ?2 WHERE person_id = ?1",
                            "UPDATE hub_referrals SET person_id = ?2 WHERE person_id = ?1",
                            "UPDATE persons SET merged_into = ?2, v_number = NULL WHERE id = ?1"}) {
        Statement& s = statements_.get(sql);
        s.bind(1, from).bind(2, into).run();
    }
    // The survivor keeps what it knows and gains what only the other knew.
    PersonRecord survivor = *b;
    if (!survivor.v_number) survivor.v_number = a->v_number;
    if (!survivor.family_name) survivor.family_name = a->family_name;
    if (!survivor.given_names) survivor.given_names = a->given_names;
    if (!survivor.birth_date) {
        survivor.birth_date = a->birth_date;
        survivor.birth_precision = a->birth_precision;
    }
    if (!survivor.sex) survivor.sex = a->sex;
    if (!survivor.nationality) survivor.nationality = a->nationality;
    if (!survivor.country_of_return) survivor.country_of_return = a->country_of_return;
    survivor.name_key = identity::normalise_name(survivor.family_name, survivor.given_names);
    survivor.match_country = survivor.nationality.value_or(survivor.country_of_return.value_or(""));
    update(survivor);
    Statement& m = statements_.get("INSERT INTO person_merges (from_person, into_person, reason, merged_at) VALUES (?1, ?2, ?3, ?4)");
    m.bind(1, from).bind(2, into).bind(3, reason).bind(4, now_).run();
}

}  // namespace ketenhub::store
