// DT&V's binding data requirement (contract/README.md, "DT&V data
// requirement"): documents sent to DT&V never contain health, psychosocial,
// flight-story (VVA) or future-plan data, name no person other than by
// V-nummer, and never name a specialist health partner.
//
// The encoder enforces it in three layers:
//   1. OutboundFields reads an outbound message with a closed list of the
//      fields its DT&V document has room for; any other field (a need, a
//      name, a date of birth, a free-text remark) refuses the whole message,
//      naming the field. Nothing is silently dropped: a message that carries
//      such a field was built for the wrong receiver.
//   2. A value may arrive in the canonical Field form {"value":...,
//      "sensitivity":...}; special-category or confidential values are
//      refused whatever the field's name.
//   3. Free text (toelichting) is screened for words that betray health,
//      psychological state, religion, ethnicity, the flight story or plans.
//      A screen catches the obvious cases; it cannot prove a text clean.
#pragma once

#include <ketenhub/sdk/canonical.hpp>
#include <ketenhub/sdk/xml.hpp>

#include <optional>
#include <string>
#include <vector>

namespace ketenhub::dtv {

using sdk::Json;

class OutboundFields {
public:
    // `object` must be a JSON object whose keys are all in `allowed`.
    // `where` names it in problems ("fields", "fields.in_guidance[2]").
    // Throws sdk::Rejection otherwise.
    OutboundFields(const Json& object, std::string where, const std::vector<std::string>& allowed);

    std::string path(const std::string& name) const { return path_ + "." + name; }
    bool has(const std::string& name) const;

    // A non-empty string; absent or empty: nullopt (text) or a Rejection
    // naming the field (required_text).
    std::optional<std::string> text(const std::string& name) const;
    std::string required_text(const std::string& name) const;
    // A JSON integer >= 0.
    std::optional<long> count(const std::string& name) const;
    long required_count(const std::string& name) const;
    // A JSON array of strings.
    std::vector<std::string> required_texts(const std::string& name) const;
    // A JSON array of objects, each read with its own allowed list.
    std::vector<OutboundFields> required_objects(const std::string& name, const std::vector<std::string>& allowed) const;

private:
    const Json& value(const std::string& name) const;  // unwrapped; the key must exist
    Json object_;  // values unwrapped from the Field form, sensitivity checked
    std::string path_;
};

// Throws sdk::Rejection naming `path` when the text mentions what DT&V must
// not receive.
void screen_free_text(const std::string& text, const std::string& path);

}  // namespace ketenhub::dtv
