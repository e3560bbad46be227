// The partners the hub serves, as loaded from the configuration: who a client
// certificate belongs to, and the adapter instance that speaks its format.
// Immutable once built; a reload builds a new registry and swaps it in.
#pragma once

#include "config/config.hpp"
#include "plugin_host/adapter_plugin.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ketenhub::partners {

struct PeerCertificate {
    std::string subject;  // RFC 2253
    std::string sha256;   // lower-case hex of the DER encoding
};

struct Partner {
    std::string code;
    std::string name;
    std::vector<config::CertificateIdentity> identities;
    std::shared_ptr<plugin_host::AdapterInstance> adapter;
    std::vector<std::string> inbound_types;   // from the adapter's describe()
    std::vector<std::string> outbound_types;
    // From describe(): how the hub numbers this partner's messages
    // ("uuid", "sdt-year" SDT-YYYY-NNNNNN, "sdt-day" SDT-yyyymmdd-nnnnn,
    // "referral": the hub referral id), a field for the hub's +1 counter of
    // messages to the partner (empty: none), and the media type it expects.
    std::string outbound_message_ids = "uuid";
    std::string outbound_sequence_field;
    std::string outbound_content_type = "application/xml";
    // How messages leave the hub for this partner; none: they are kept as dead letters.
    std::optional<config::DeliveryConfig> delivery;
};

// One partner's adapter, set up exactly as the daemon does it: an instance of
// `library` created with the partner's settings and the hub's reference data,
// its describe(), and the partner's settings checked against the settings it
// declares (unknown ones and missing required ones are problems). Problems
// carry config lines and name the field under `where`, the partner's adapter
// element (e.g. "/ketenhub/partner[@code='coa']/adapter"). Returns nullptr
// when the instance cannot be created or described; a partner with setting
// problems is returned as well, with the problems appended.
std::shared_ptr<Partner> make_partner(const config::PartnerConfig& pc, std::shared_ptr<plugin_host::PluginLibrary> library,
                                      const std::string& reference_dir, const std::string& iso3166_json,
                                      const std::string& where, std::vector<Problem>& problems);

class PartnerRegistry {
public:
    // Loads every partner's plugin through the plugin host, creates its
    // instance with its settings, and checks the settings against what the
    // adapter declares. Errors name the config file and line.
    static Result<std::shared_ptr<const PartnerRegistry>> build(const config::Config& config);

    // The one partner whose configured identity matches, or nullptr.
    const Partner* by_certificate(const PeerCertificate& peer) const;
    const Partner* by_code(const std::string& code) const;
    const std::vector<std::shared_ptr<const Partner>>& all() const { return partners_; }

private:
    std::vector<std::shared_ptr<const Partner>> partners_;
};

}  // namespace ketenhub::partners
