// Shared between the parts of the IOM adapter (namespace urn:int:iom:nl:avrr:3):
// the inbound decoder (ReturnCaseUpdate) and the outbound encoders
// (ReferralRequest, ReferralCancellation). See adapters/iom/README.md.
#pragma once

#include <ketenhub/sdk/canonical.hpp>
#include <ketenhub/sdk/countries.hpp>
#include <ketenhub/sdk/xml.hpp>

#include <string>

namespace ketenhub::iom {

inline constexpr const char* kNamespace = "urn:int:iom:nl:avrr:3";
inline constexpr const char* kPartnerIdScheme = "iom";  // PersonRef partner id scheme for caseNo

// Canonical outbound message types this adapter encodes.
inline constexpr const char* kReferralRequest = "referral_request";
inline constexpr const char* kReferralCancellation = "referral_cancellation";

// ReturnCaseUpdate (already schema-valid) -> one record with one event.
// Throws sdk::Rejection naming line and field for the rules the schema cannot
// express and for alpha-3 codes that are not ISO 3166-1 (nor XKX).
sdk::DecodedDocument decode_return_case_update(xmlNode* root, const sdk::CountryCatalog& countries,
                                               const std::string& partner);

// Canonical message -> native document, NOT yet validated against
// outbound.xsd (the adapter does that before returning it). Throw
// sdk::Rejection naming the missing or wrong canonical field ("fields.x").
std::string encode_referral_request(const sdk::OutboundMessage& message, const sdk::CountryCatalog& countries);
std::string encode_referral_cancellation(const sdk::OutboundMessage& message);

}  // namespace ketenhub::iom
