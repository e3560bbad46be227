// Cordaid "Maatwerk bij Terugkeer" (MbT) returnee tracking system adapter,
// namespace urn:nl:cordaid:mbt:volgsysteem:1.
// Inbound: VolgsysteemExport (batch of dossier snapshots), src/mbt_inbound.cpp.
// Outbound: Verwijzing from referral_request, src/mbt_outbound.cpp.
#include "mbt_embedded.hpp"
#include "mbt_internal.hpp"

namespace {

using namespace ketenhub::sdk;
namespace x = ketenhub::sdk::xml;
namespace mbt = ketenhub::mbt;

// libxml2 reports an attribute's schema violation on its element
// ("/VolgsysteemExport/dossier[2]", "Element 'dossier', attribute 'project':
// ..."). MbT puts all data in attributes, so the problem names the attribute
// itself: "/VolgsysteemExport/dossier[2]/@project". The same for a missing
// required attribute ("The attribute 'nr' is required but missing") and for
// a duplicate in one of inbound.xsd's two unique constraints, each on one
// attribute of dossier.
std::vector<Problem> with_attribute_paths(std::vector<Problem> problems) {
    static const std::vector<std::pair<std::string, std::string>> kUniqueAttribute = {
        {"identity-constraint 'UniekVolgnr'", "volgnr"}, {"identity-constraint 'UniekDossierNr'", "nr"}};
    auto quoted_after = [](const std::string& message, const std::string& marker) -> std::string {
        auto at = message.find(marker);
        if (at == std::string::npos) return {};
        at += marker.size();
        auto end = message.find('\'', at);
        return end == std::string::npos ? std::string() : message.substr(at, end - at);
    };
    for (auto& p : problems) {
        if (p.field.empty() || p.field.find("/@") != std::string::npos) continue;
        std::string name = quoted_after(p.message, "', attribute '");
        if (name.empty()) name = quoted_after(p.message, "The attribute '");
        for (const auto& [constraint, attribute] : kUniqueAttribute)
            if (name.empty() && p.message.find(constraint) != std::string::npos) name = attribute;
        if (!name.empty()) p.field += "/@" + name;
    }
    return problems;
}

class MbtAdapter final : public Adapter {
public:
    explicit MbtAdapter(const HostSettings& host)
        : partner_(host.partner.empty() ? "mbt" : host.partner),
          countries_(CountryCatalog::load(host.reference_dir + "/country-names.txt", host.iso3166_json)),
          inbound_(ketenhub::embedded::kMbtInboundXsd, "mbt/inbound.xsd"),
          outbound_(ketenhub::embedded::kMbtOutboundXsd, "mbt/outbound.xsd") {}

    Json describe() const override {
        return Json{{"namespace", mbt::kNamespace},
                    {"inbound", {mbt::kExportDocument}},
                    {"outbound", {mbt::kReferralRequest}},
                    // Verwijzing carries the referral id as kenmerk and the hub's +1 counter as volgnr.
                    {"outbound_message_ids", "referral"},
                    {"outbound_sequence_field", "sequence_number"},
                    {"settings", Json::array()}};
    }

    DecodedDocument decode(std::string_view bytes) override {
        auto doc = x::Document::parse_untrusted(bytes);
        // Not well-formed or not schema-valid: the whole export is refused
        // and none of its dossiers is processed.
        if (auto problems = inbound_.validate(doc); !problems.empty())
            throw Rejection(with_attribute_paths(std::move(problems)));
        xmlNode* root = doc.root();
        if (x::local_name(root) != mbt::kExportDocument)  // the schema declares no other root; defensive
            throw Rejection(x::line_of(root), x::path_of(root), "unexpected document type " + x::local_name(root));
        return mbt::decode_export(root, partner_, countries_);
    }

    std::string encode(const OutboundMessage& m) override {
        if (m.type != mbt::kReferralRequest)
            throw Rejection(0, "type", "the MbT adapter encodes referral_request only, not '" + m.type + "'");
        std::string out = mbt::encode_referral_request(m, countries_);
        // Never put a document in MbT's mailbox that its own schema refuses.
        outbound_.require_valid(x::Document::parse_untrusted(out));
        return out;
    }

private:
    std::string partner_;
    CountryCatalog countries_;
    x::Schema inbound_;
    x::Schema outbound_;
};

}  // namespace

KETENHUB_ADAPTER(MbtAdapter, "mbt", "1.0.0")
