#include "partners/partner_registry.hpp"

#include <map>

namespace ketenhub::partners {

std::shared_ptr<Partner> make_partner(const config::PartnerConfig& pc, std::shared_ptr<plugin_host::PluginLibrary> lib,
                                      const std::string& reference_dir, const std::string& iso3166_json,
                                      const std::string& where, std::vector<Problem>& problems) {
    sdk::Json settings = sdk::Json::object();
    for (const auto& [k, v] : pc.settings) settings[k] = v;
    sdk::Json host{{"partner", pc.code},
                   {"reference_dir", reference_dir},
                   {"iso3166_json", iso3166_json},
                   {"settings", settings}};
    auto instance = plugin_host::AdapterInstance::create(lib, host);
    if (!instance) {
        problems.push_back({pc.adapter_line, where, instance.error().message});
        return nullptr;
    }
    auto description = (*instance)->describe();
    if (!description) {
        problems.push_back({pc.adapter_line, where, description.error().message});
        return nullptr;
    }
    auto partner = std::make_shared<Partner>();
    partner->code = pc.code;
    partner->name = pc.name;
    partner->identities = pc.certificates;
    partner->adapter = *instance;
    const auto& d = *description;
    partner->inbound_types = d.value("inbound", std::vector<std::string>{});
    partner->outbound_types = d.value("outbound", std::vector<std::string>{});
    partner->delivery = pc.delivery;
    partner->outbound_message_ids = d.value("outbound_message_ids", std::string("uuid"));
    partner->outbound_sequence_field = d.value("outbound_sequence_field", std::string());
    partner->outbound_content_type = d.value("outbound_content_type", std::string("application/xml"));

    // Unknown settings are errors, like unknown config keys; missing
    // required ones too.
    std::map<std::string, bool> declared;
    for (const auto& s : d.value("settings", sdk::Json::array()))
        declared[s.value("name", std::string())] = s.value("required", false);
    for (const auto& [name, value] : pc.settings)
        if (!declared.count(name)) {
            std::string known;
            for (const auto& [k, _] : declared) known += (known.empty() ? "" : ", ") + k;
            problems.push_back({pc.setting_lines.at(name), where + "/setting[@name='" + name + "']",
                                "adapter '" + lib->name() + "' has no setting '" + name + "'" +
                                    (known.empty() ? " (it takes none)" : " (it takes: " + known + ")")});
        }
    for (const auto& [name, required] : declared)
        if (required && !pc.settings.count(name))
            problems.push_back({pc.adapter_line, where, "adapter '" + lib->name() + "' requires setting '" + name + "'"});
    return partner;
}

Result<std::shared_ptr<const PartnerRegistry>> PartnerRegistry::build(const config::Config& config) {
    auto registry = std::make_shared<PartnerRegistry>();
    std::vector<Problem> problems;
    // One library per file, however many partners use it.
    std::map<std::string, std::shared_ptr<plugin_host::PluginLibrary>> libraries;
    for (const auto& pc : config.partners) {
        const std::string where = "/ketenhub/partner[@code='" + pc.code + "']/adapter";
        auto& lib = libraries[pc.plugin_path];
        if (!lib) {
            auto loaded = plugin_host::PluginLibrary::load(pc.plugin_path);
            if (!loaded) {
                problems.push_back({pc.adapter_line, where + "/@plugin", loaded.error().message});
                continue;
            }
            lib = *loaded;
        }
        auto partner = make_partner(pc, lib, config.reference_dir, config.iso3166_json, where, problems);
        if (!partner) continue;
        registry->partners_.push_back(std::move(partner));
    }
    if (!problems.empty()) return Error::invalid(config::format_problems(config.file, problems), problems);
    return std::shared_ptr<const PartnerRegistry>(std::move(registry));
}

const Partner* PartnerRegistry::by_certificate(const PeerCertificate& peer) const {
    const Partner* found = nullptr;
    for (const auto& p : partners_) {
        for (const auto& id : p->identities) {
            bool subject_ok = !id.subject || *id.subject == peer.subject;
            bool fingerprint_ok = !id.sha256 || *id.sha256 == peer.sha256;
            if (subject_ok && fingerprint_ok) {
                if (found && found != p.get()) return nullptr;  // ambiguous: refuse rather than guess
                found = p.get();
            }
        }
    }
    return found;
}

const Partner* PartnerRegistry::by_code(const std::string& code) const {
    for (const auto& p : partners_)
        if (p->code == code) return p.get();
    return nullptr;
}

}  // namespace ketenhub::partners
