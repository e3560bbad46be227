#include "identity/identity.hpp"

#include "common/log.hpp"
#include "common/metrics.hpp"

#include <algorithm>
#include <sstream>

namespace ketenhub::identity {

std::string to_string(IssueKind k) {
    switch (k) {
        case IssueKind::Candidate: return "candidate";
        case IssueKind::BirthDateConflict: return "birth_date_conflict";
        case IssueKind::VNumberConflict: return "v_number_conflict";
    }
    return "candidate";
}

namespace {

// Folds the Latin-1 Supplement and Latin Extended-A letters the partners'
// names use (ë, é, ï, ç, ş, ğ, ...) to ASCII. Other characters pass through.
std::string fold(std::string_view s) {
    static const std::pair<const char*, const char*> kMap[] = {
        {"à", "a"}, {"á", "a"}, {"â", "a"}, {"ã", "a"}, {"ä", "a"}, {"å", "a"}, {"æ", "ae"}, {"ç", "c"},
        {"è", "e"}, {"é", "e"}, {"ê", "e"}, {"ë", "e"}, {"ì", "i"}, {"í", "i"}, {"î", "i"}, {"ï", "i"},
        {"ñ", "n"}, {"ò", "o"}, {"ó", "o"}, {"ô", "o"}, {"õ", "o"}, {"ö", "o"}, {"ø", "o"}, {"ù", "u"},
        {"ú", "u"}, {"û", "u"}, {"ü", "u"}, {"ý", "y"}, {"ÿ", "y"}, {"ß", "ss"}, {"À", "a"}, {"Á", "a"},
        {"Â", "a"}, {"Ã", "a"}, {"Ä", "a"}, {"Å", "a"}, {"Æ", "ae"}, {"Ç", "c"}, {"È", "e"}, {"É", "e"},
        {"Ê", "e"}, {"Ë", "e"}, {"Ì", "i"}, {"Í", "i"}, {"Î", "i"}, {"Ï", "i"}, {"Ñ", "n"}, {"Ò", "o"},
        {"Ó", "o"}, {"Ô", "o"}, {"Õ", "o"}, {"Ö", "o"}, {"Ø", "o"}, {"Ù", "u"}, {"Ú", "u"}, {"Û", "u"},
        {"Ü", "u"}, {"Ý", "y"}, {"ā", "a"}, {"ă", "a"}, {"ą", "a"}, {"ć", "c"}, {"č", "c"}, {"ď", "d"},
        {"đ", "d"}, {"ē", "e"}, {"ė", "e"}, {"ę", "e"}, {"ě", "e"}, {"ğ", "g"}, {"ī", "i"}, {"ı", "i"},
        {"ł", "l"}, {"ń", "n"}, {"ň", "n"}, {"ō", "o"}, {"ő", "o"}, {"œ", "oe"}, {"ř", "r"}, {"ś", "s"},
        {"ş", "s"}, {"š", "s"}, {"ţ", "t"}, {"ť", "t"}, {"ū", "u"}, {"ů", "u"}, {"ű", "u"}, {"ź", "z"},
        {"ż", "z"}, {"ž", "z"}, {"Č", "c"}, {"Š", "s"}, {"Ž", "z"}, {"Ş", "s"}, {"İ", "i"}};
    std::string out;
    for (size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            out += static_cast<char>(std::tolower(c));
            ++i;
            continue;
        }
        bool matched = false;
        for (const auto& [from, to] : kMap) {
            size_t n = std::char_traits<char>::length(from);
            if (s.substr(i, n) == from) {
                out += to;
                i += n;
                matched = true;
                break;
            }
        }
        if (!matched) out += s[i++];
    }
    return out;
}

std::string country_for_matching(const PersonRecord& p) {
    return p.nationality.value_or(p.country_of_return.value_or(""));
}

bool births_agree(const PersonRecord& a, const PersonRecord& b) {
    if (!a.birth_date || !b.birth_date) return false;
    if (a.birth_precision == "year" || b.birth_precision == "year")
        return a.birth_date->substr(0, 4) == b.birth_date->substr(0, 4);
    return *a.birth_date == *b.birth_date;
}

PersonRecord from_ref(const sdk::PersonRef& ref) {
    PersonRecord p;
    p.v_number = ref.v_number;
    p.family_name = ref.family_name;
    p.given_names = ref.given_names;
    p.birth_date = ref.birth_date;
    p.birth_precision = ref.birth_date_precision;
    p.sex = ref.sex;
    p.nationality = ref.nationality;
    p.country_of_return = ref.country_of_return;
    p.name_key = normalise_name(ref.family_name, ref.given_names);
    p.match_country = country_for_matching(p);
    return p;
}

template <class T>
bool fill(std::optional<T>& into, const std::optional<T>& from) {
    if (into || !from) return false;
    into = from;
    return true;
}

// Adds what the stored person lacks; never overwrites what is known. A
// day-precise birth date replaces a year-only estimate.
bool enrich(PersonRecord& stored, const PersonRecord& seen) {
    bool changed = false;
    changed |= fill(stored.family_name, seen.family_name);
    changed |= fill(stored.given_names, seen.given_names);
    if (!stored.birth_date && seen.birth_date) {
        stored.birth_date = seen.birth_date;
        stored.birth_precision = seen.birth_precision;
        changed = true;
    } else if (stored.birth_precision == "year" && seen.birth_precision == "day" && seen.birth_date &&
               stored.birth_date->substr(0, 4) == seen.birth_date->substr(0, 4)) {
        stored.birth_date = seen.birth_date;
        stored.birth_precision = "day";
        changed = true;
    }
    changed |= fill(stored.sex, seen.sex);
    changed |= fill(stored.nationality, seen.nationality);
    changed |= fill(stored.country_of_return, seen.country_of_return);
    if (changed) {
        stored.name_key = normalise_name(stored.family_name, stored.given_names);
        stored.match_country = country_for_matching(stored);
    }
    return changed;
}

}  // namespace

std::string normalise_name(const std::optional<std::string>& family, const std::optional<std::string>& given) {
    std::string all = fold(family.value_or("") + " " + given.value_or(""));
    std::vector<std::string> parts;
    std::string current;
    for (char c : all) {
        if (std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80) {
            current += c;
        } else if (!current.empty()) {
            parts.push_back(std::move(current));
            current.clear();
        }
    }
    if (!current.empty()) parts.push_back(std::move(current));
    std::sort(parts.begin(), parts.end());
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
    return out;
}

int64_t resolve(IdentityRepository& repo, const sdk::PersonRef& ref, const std::optional<std::string>& hub_referral_id,
                const std::string& context) {
    const PersonRecord seen = from_ref(ref);
    std::optional<PersonRecord> person;

    // 1. V-nummer.
    if (ref.v_number) person = repo.by_v_number(*ref.v_number);

    // 2. Partner ids already linked. They may point at the same person, at a
    //    person known only by partner ids (then it is the same person and is
    //    folded in), or at a person with another V-nummer (a conflict).
    std::vector<sdk::PartnerId> unlinked;
    for (const auto& id : ref.partner_ids) {
        auto linked = repo.by_partner_id(id);
        if (!linked) {
            unlinked.push_back(id);
            continue;
        }
        if (!person) {
            if (ref.v_number && linked->v_number && *linked->v_number != *ref.v_number) {
                // This document's V-nummer is new, but its partner id belongs
                // to someone with another V-nummer.
                PersonRecord fresh = repo.create(seen);
                repo.record_issue({0, IssueKind::VNumberConflict, fresh.id, linked->id,
                                   id.scheme + " id " + id.value + " belongs to " + linked->hub_id + " with V-nummer " +
                                       *linked->v_number + ", but " + context + " gives V-nummer " + *ref.v_number,
                                   "open", ""});
                metrics::counter("identity_conflicts_total").inc();
                person = fresh;
                continue;
            }
            person = linked;
            continue;
        }
        if (linked->id == person->id) continue;
        if (!linked->v_number || (person->v_number && linked->v_number == person->v_number) ||
            (!person->v_number && !ref.v_number)) {
            // Same person seen first without a V-nummer: fold it in.
            if (!person->v_number && linked->v_number) std::swap(*person, *linked);
            repo.merge(linked->id, person->id, id.scheme + " id " + id.value + " links " + linked->hub_id + " to " +
                                                   person->hub_id + " (" + context + ")");
            metrics::counter("identity_merges_total").inc();
            person = ref.v_number ? repo.by_v_number(*ref.v_number) : repo.by_partner_id(id);
            continue;
        }
        repo.record_issue({0, IssueKind::VNumberConflict, person->id, linked->id,
                           id.scheme + " id " + id.value + " belongs to " + linked->hub_id + " with V-nummer " +
                               linked->v_number.value_or("-") + ", but " + context + " gives V-nummer " +
                               person->v_number.value_or(ref.v_number.value_or("-")),
                           "open", ""});
        metrics::counter("identity_conflicts_total").inc();
    }

    // 3. The hub's referral id.
    if (!person && hub_referral_id) person = repo.by_hub_referral(*hub_referral_id);

    bool created = false;
    if (!person) {
        person = repo.create(seen);
        created = true;
    } else {
        if (ref.v_number && !person->v_number) {
            person->v_number = ref.v_number;
            repo.update(*person);
        }
        // Same V-nummer, another date of birth: flag it, keep what is stored.
        if (seen.birth_date && person->birth_date && seen.birth_precision == "day" && person->birth_precision == "day" &&
            *seen.birth_date != *person->birth_date) {
            repo.record_issue({0, IssueKind::BirthDateConflict, person->id, std::nullopt,
                               person->hub_id + (person->v_number ? " (V-nummer " + *person->v_number + ")" : "") +
                                   " has date of birth " + *person->birth_date + ", but " + context + " gives " +
                                   *seen.birth_date,
                               "open", ""});
            metrics::counter("identity_conflicts_total").inc();
        }
        if (enrich(*person, seen)) repo.update(*person);
    }
    for (const auto& id : unlinked) repo.link(id, person->id);

    // 4. Name + date of birth + nationality: a candidate, never a merge.
    if (created && !person->name_key.empty() && !person->match_country.empty() && person->birth_date) {
        for (const auto& other : repo.by_match_key(person->name_key, person->match_country)) {
            if (other.id == person->id || !births_agree(other, *person)) continue;
            if (other.v_number && person->v_number && other.v_number != person->v_number) continue;
            repo.record_issue({0, IssueKind::Candidate, other.id, person->id,
                               person->hub_id + " from " + context + " matches " + other.hub_id +
                                   " on name, date of birth and nationality; confirm to merge",
                               "open", ""});
            metrics::counter("identity_candidates_total").inc();
        }
    }
    return person->id;
}

}  // namespace ketenhub::identity
