// Shared between the MbT adapter's translation units. The field mapping is
// documented in adapters/mbt/README.md.
#pragma once

#include <ketenhub/sdk/adapter.hpp>
#include <ketenhub/sdk/countries.hpp>

#include <string>

namespace ketenhub::mbt {

inline constexpr const char* kNamespace = "urn:nl:cordaid:mbt:volgsysteem:1";
inline constexpr const char* kExportDocument = "VolgsysteemExport";
inline constexpr const char* kReferralDocument = "Verwijzing";
inline constexpr const char* kReferralRequest = "referral_request";

// A VolgsysteemExport that already passed inbound.xsd -> one record per
// dossier. Throws sdk::Rejection for what refuses the whole export (record
// count, impossible export date); problems confined to one dossier make only
// that record rejected.
sdk::DecodedDocument decode_export(xmlNode* root, const std::string& partner, const sdk::CountryCatalog& countries);

// A canonical referral_request -> Verwijzing XML. Throws sdk::Rejection naming
// the canonical field ("fields.person.sex") of anything missing or
// unrepresentable. The caller validates the result against outbound.xsd.
std::string encode_referral_request(const sdk::OutboundMessage& message, const sdk::CountryCatalog& countries);

}  // namespace ketenhub::mbt
