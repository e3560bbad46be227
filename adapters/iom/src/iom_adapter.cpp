// IOM The Netherlands AVRR adapter (namespace urn:int:iom:nl:avrr:3).
// Inbound: ReturnCaseUpdate. Outbound: ReferralRequest ("referral_request")
// and ReferralCancellation ("referral_cancellation"), pushed by the hub.
// The mapping is documented in adapters/iom/README.md.
#include "iom_embedded.hpp"
#include "iom_internal.hpp"

#include <ketenhub/sdk/adapter.hpp>

namespace {

using namespace ketenhub::sdk;
namespace x = ketenhub::sdk::xml;
namespace iom = ketenhub::iom;

class IomAdapter final : public Adapter {
public:
    explicit IomAdapter(const HostSettings& host)
        : partner_(host.partner.empty() ? "iom" : host.partner),
          countries_(CountryCatalog::load(host.reference_dir + "/country-names.txt", host.iso3166_json)),
          inbound_(ketenhub::embedded::kIomInboundXsd, "iom/inbound.xsd"),
          outbound_(ketenhub::embedded::kIomOutboundXsd, "iom/outbound.xsd") {}

    Json describe() const override {
        return Json{{"namespace", iom::kNamespace},
                    {"inbound", {"ReturnCaseUpdate"}},
                    {"outbound", {iom::kReferralRequest, iom::kReferralCancellation}},
                    {"outbound_message_ids", "uuid"},
                    {"settings", Json::array()}};
    }

    DecodedDocument decode(std::string_view bytes) override {
        auto doc = x::Document::parse_untrusted(bytes);
        // The inbound schema declares ReturnCaseUpdate only, so any other root
        // (or the right root in another namespace) is refused here.
        inbound_.require_valid(doc);
        return iom::decode_return_case_update(doc.root(), countries_, partner_);
    }

    std::string encode(const OutboundMessage& m) override {
        std::string document;
        if (m.type == iom::kReferralRequest)
            document = iom::encode_referral_request(m, countries_);
        else if (m.type == iom::kReferralCancellation)
            document = iom::encode_referral_cancellation(m);
        else
            throw Rejection(0, "type",
                            "the IOM adapter encodes referral_request and referral_cancellation, not '" + m.type + "'");
        // Never push IOM a document its own schema refuses.
        auto problems = outbound_.validate(x::Document::parse_untrusted(document));
        if (!problems.empty()) {
            for (auto& p : problems) p.message = "encoded " + m.type + " is not valid against IOM's outbound.xsd: " + p.message;
            throw Rejection(std::move(problems));
        }
        return document;
    }

private:
    std::string partner_;
    CountryCatalog countries_;
    x::Schema inbound_;
    x::Schema outbound_;
};

}  // namespace

KETENHUB_ADAPTER(IomAdapter, "iom", "1.0.0")
