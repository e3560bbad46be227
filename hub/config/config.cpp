#include "config/config.hpp"

#include "config_embedded.hpp"

#include <algorithm>
#include <ketenhub/sdk/dates.hpp>
#include <ketenhub/sdk/xml.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace ketenhub::config {
namespace fs = std::filesystem;
namespace x = sdk::xml;

bool ListenerConfig::operator==(const ListenerConfig& o) const {
    return address == o.address && port == o.port && threads == o.threads;
}

std::string_view schema_text() { return embedded::kConfigXsd; }

std::string format_problems(const std::string& file, const std::vector<Problem>& problems) {
    std::string out;
    for (const auto& p : problems) {
        out += file;
        if (p.line > 0) out += ":" + std::to_string(p.line);
        out += ": ";
        if (!p.field.empty()) out += p.field + ": ";
        out += p.message + "\n";
    }
    return out;
}

namespace {

std::string resolve(const fs::path& base, const std::string& value) {
    fs::path p(value);
    return (p.is_absolute() ? p : (base / p)).lexically_normal().string();
}

std::string normalise_fingerprint(std::string s) {
    std::string out;
    for (char c : s)
        if (c != ':') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

class Reader {
public:
    Reader(fs::path base, std::vector<Problem>& problems) : base_(std::move(base)), problems_(problems) {}

    std::string attr(xmlNode* n, const char* name, const std::string& fallback = {}) {
        return x::attr(n, name).value_or(fallback);
    }
    template <class T>
    T number(xmlNode* n, const char* name, T fallback) {
        auto v = x::attr(n, name);
        if (!v) return fallback;
        return static_cast<T>(std::stoull(*v));  // schema-validated digits
    }
    std::string path(xmlNode* n, const char* name, bool must_exist, const std::string& what) {
        auto v = x::attr(n, name);
        if (!v) return {};
        std::string p = resolve(base_, *v);
        if (must_exist) {
            std::error_code ec;
            if (!fs::exists(p, ec))
                problems_.push_back({x::line_of(n), x::path_of(n) + "/@" + name, what + " " + p + " does not exist"});
            else if (::access(p.c_str(), R_OK) != 0)
                problems_.push_back({x::line_of(n), x::path_of(n) + "/@" + name, what + " " + p + " is not readable"});
        }
        return p;
    }
    void problem(xmlNode* n, const std::string& field, const std::string& message) {
        problems_.push_back({x::line_of(n), field.empty() ? x::path_of(n) : field, message});
    }
    const fs::path& base() const { return base_; }

private:
    fs::path base_;
    std::vector<Problem>& problems_;
};

// One <partner> element. A plugin name without '/' is looked up in
// plugin_dir, a path is resolved against the file's directory.
// identity_owner maps certificate identities to partner codes across the
// whole file: a certificate must map to exactly one partner.
PartnerConfig read_partner(xmlNode* p, Reader& r, const std::string& plugin_dir, bool plugin_must_exist,
                           std::map<std::string, std::string>& identity_owner) {
    PartnerConfig pc;
    pc.line = x::line_of(p);
    pc.code = r.attr(p, "code");
    pc.name = r.attr(p, "name", pc.code);
    for (xmlNode* cert : x::children(p, "certificate")) {
        CertificateIdentity id;
        id.line = x::line_of(cert);
        id.subject = x::attr(cert, "subject");
        if (auto fp = x::attr(cert, "sha256")) id.sha256 = normalise_fingerprint(*fp);
        if (!id.subject && !id.sha256) {
            r.problem(cert, "", "a certificate identity needs a subject, a sha256 fingerprint, or both");
            continue;
        }
        std::string key = id.subject.value_or("*") + "|" + id.sha256.value_or("*");
        if (auto [it, fresh] = identity_owner.emplace(key, pc.code); !fresh)
            r.problem(cert, "", "this certificate identity is already mapped to partner '" + it->second +
                                    "'; a certificate must map to exactly one partner");
        pc.certificates.push_back(std::move(id));
    }
    xmlNode* adapter = x::child(p, "adapter");
    pc.adapter_line = x::line_of(adapter);
    std::string plugin = r.attr(adapter, "plugin");
    pc.plugin_path = plugin.find('/') == std::string::npos ? resolve(plugin_dir, plugin) : resolve(r.base(), plugin);
    if (plugin_must_exist && !fs::exists(pc.plugin_path))
        r.problem(adapter, x::path_of(adapter) + "/@plugin", "plugin " + pc.plugin_path + " does not exist");
    for (xmlNode* s : x::children(adapter, "setting")) {
        std::string name = r.attr(s, "name");
        if (pc.settings.count(name)) r.problem(s, x::path_of(s) + "/@name", "setting '" + name + "' is given twice");
        const auto value = x::attr(s, "value"), path = x::attr(s, "path");
        if (value.has_value() == path.has_value())
            r.problem(s, x::path_of(s), "setting '" + name + "' needs exactly one of value=\"...\" and path=\"...\"");
        pc.settings[name] = path ? r.path(s, "path", true, "file of setting '" + name + "'") : value.value_or("");
        pc.setting_lines[name] = x::line_of(s);
    }
    if (xmlNode* delivery = x::child(p, "delivery")) {
        DeliveryConfig d;
        d.line = x::line_of(delivery);
        if (xmlNode* push = x::child(delivery, "push")) {
            d.kind = DeliveryConfig::Kind::Push;
            d.url = r.attr(push, "url");
            d.timeout = std::chrono::milliseconds(r.number<long>(push, "timeout-ms", 15000));
        } else {
            d.kind = DeliveryConfig::Kind::Mailbox;
        }
        pc.delivery = d;
    }
    return pc;
}

std::string file_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// <admin>: the operators' listener. Its own port; small limits (operators
// only send GETs); credentials unique by user.
AdminConfig read_admin(xmlNode* admin, Reader& r, const ListenerConfig& partner_listener) {
    AdminConfig a;
    a.line = x::line_of(admin);
    auto& l = a.listener;
    l.address = r.attr(admin, "address");
    l.port = r.number<uint16_t>(admin, "port", 0);
    l.threads = r.number<unsigned>(admin, "threads", 1);
    l.max_connections = 64;
    l.max_body_bytes = 16 << 10;
    if (l.threads > 16) r.problem(admin, x::path_of(admin) + "/@threads", "at most 16 threads");
    if (l.port != 0 && l.port == partner_listener.port && l.address == partner_listener.address)
        r.problem(admin, x::path_of(admin) + "/@port", "the admin listener needs a port of its own, not the partner listener's");
    xmlNode* tls = x::child(admin, "tls");
    l.tls.client_ca = r.path(tls, "client-ca", true, "operators' client CA file");
    l.tls.certificate = r.path(tls, "certificate", true, "certificate file");
    l.tls.private_key = r.path(tls, "private-key", true, "private key file");
    for (xmlNode* op : x::children(admin, "operator")) {
        CertificateIdentity id;
        id.line = x::line_of(op);
        id.subject = x::attr(op, "subject");
        if (auto fp = x::attr(op, "sha256")) id.sha256 = normalise_fingerprint(*fp);
        if (!id.subject && !id.sha256) {
            r.problem(op, "", "an operator identity needs a subject, a sha256 fingerprint, or both");
            continue;
        }
        a.operators.push_back(std::move(id));
    }
    std::set<std::string> users;
    for (xmlNode* cred : x::children(admin, "credential")) {
        Credential c{r.attr(cred, "user"), normalise_fingerprint(r.attr(cred, "password-sha256")), x::line_of(cred)};
        if (!users.insert(c.user).second)
            r.problem(cred, x::path_of(cred) + "/@user", "credential user '" + c.user + "' is given twice");
        a.credentials.push_back(std::move(c));
    }
    // With no <operator>, every certificate from the admin CA is an
    // operator: with the partners' CA that would let every partner in.
    if (a.operators.empty() && !l.tls.client_ca.empty() && !partner_listener.tls.client_ca.empty()) {
        std::error_code ec;
        const bool both = fs::exists(l.tls.client_ca, ec) && fs::exists(partner_listener.tls.client_ca, ec);
        if (l.tls.client_ca == partner_listener.tls.client_ca ||
            (both && file_text(l.tls.client_ca) == file_text(partner_listener.tls.client_ca)))
            r.problem(tls, x::path_of(tls) + "/@client-ca",
                      "the admin listener trusts the partners' client CA but lists no <operator>: every partner "
                      "certificate would be an operator; list the operators' certificates or use a CA of their own");
    }
    return a;
}

// Reads and schema-checks a configuration document. The schema also accepts
// a standalone <partner> root (for `ketenhub adapter test`); `root` says
// which one the caller wants.
Result<x::Document> read_validated(const std::string& file, const char* root) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Error::invalid(file + ": cannot open configuration file");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();

    static const x::Schema schema(embedded::kConfigXsd, "config/ketenhub.xsd");
    std::optional<x::Document> doc;
    try {
        doc.emplace(x::Document::parse_untrusted(text));
    } catch (const sdk::Rejection& r) {
        return Error::invalid(format_problems(file, r.problems()), r.problems());
    }
    if (auto problems = schema.validate(*doc); !problems.empty())
        return Error::invalid(format_problems(file, problems), problems);
    if (xmlNode* top = doc->root(); x::local_name(top) != root) {
        std::vector<Problem> problems{{x::line_of(top), "/" + x::local_name(top),
                                       "expected a <" + std::string(root) + "> document, not <" +
                                           x::local_name(top) + ">"}};
        return Error::invalid(format_problems(file, problems), problems);
    }
    return std::move(*doc);
}

}  // namespace

Result<Config> load(const std::string& file) {
    auto doc = read_validated(file, "ketenhub");
    if (!doc) return doc.error();

    Config c;
    c.file = fs::absolute(file).lexically_normal().string();
    std::vector<Problem> problems;
    Reader r(fs::path(c.file).parent_path(), problems);
    xmlNode* root = doc->root();

    if (xmlNode* node = x::child(root, "node")) c.node_id = r.attr(node, "id");
    if (xmlNode* logging = x::child(root, "logging")) c.log_level = r.attr(logging, "level", "info");

    xmlNode* listener = x::child(root, "listener");
    auto& l = c.listener;
    l.address = r.attr(listener, "address");
    l.port = r.number<uint16_t>(listener, "port", 0);
    l.threads = r.number<unsigned>(listener, "threads", 2);
    if (l.threads > 64) r.problem(listener, x::path_of(listener) + "/@threads", "at most 64 threads");
    xmlNode* tls = x::child(listener, "tls");
    l.tls.client_ca = r.path(tls, "client-ca", true, "client CA file");
    l.tls.certificate = r.path(tls, "certificate", true, "certificate file");
    l.tls.private_key = r.path(tls, "private-key", true, "private key file");
    if (xmlNode* limits = x::child(listener, "limits")) {
        l.max_connections = r.number<size_t>(limits, "max-connections", l.max_connections);
        l.max_body_bytes = r.number<size_t>(limits, "max-body-bytes", l.max_body_bytes);
        l.max_header_bytes = r.number<size_t>(limits, "max-header-bytes", l.max_header_bytes);
    }
    if (xmlNode* t = x::child(listener, "timeouts")) {
        using ms = std::chrono::milliseconds;
        l.handshake_timeout = ms(r.number<long>(t, "handshake-ms", 5000));
        l.read_timeout = ms(r.number<long>(t, "read-ms", 15000));
        l.write_timeout = ms(r.number<long>(t, "write-ms", 15000));
        l.idle_timeout = ms(r.number<long>(t, "idle-ms", 30000));
        l.shutdown_timeout = ms(r.number<long>(t, "shutdown-ms", 10000));
    }

    if (xmlNode* admin = x::child(root, "admin")) c.admin = read_admin(admin, r, c.listener);

    xmlNode* sqlite = x::child(x::child(root, "storage"), "sqlite");
    c.sqlite.path = r.path(sqlite, "path", false, "");
    c.sqlite.synchronous_full = r.attr(sqlite, "synchronous", "full") == "full";
    c.sqlite.max_batch = r.number<size_t>(sqlite, "max-batch", 256);
    if (fs::path dir = fs::path(c.sqlite.path).parent_path(); !dir.empty()) {
        std::error_code ec;
        if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
            r.problem(sqlite, x::path_of(sqlite) + "/@path", dir.string() + " is not a directory");
    }

    xmlNode* reference = x::child(root, "reference");
    c.reference_dir = r.path(reference, "directory", true, "reference directory");
    c.iso3166_json = r.path(reference, "iso3166", false, "");
    if (c.iso3166_json.empty()) c.iso3166_json = "/usr/share/iso-codes/json/iso_3166-1.json";
    if (!fs::exists(c.iso3166_json))
        r.problem(reference, x::path_of(reference) + "/@iso3166",
                  "ISO 3166-1 data " + c.iso3166_json + " does not exist (install Debian package iso-codes)");
    if (fs::is_directory(c.reference_dir) && !fs::exists(fs::path(c.reference_dir) / "country-names.txt"))
        r.problem(reference, x::path_of(reference) + "/@directory",
                  c.reference_dir + " has no country-names.txt (the partners' country crosswalk)");

    xmlNode* plugins = x::child(root, "plugins");
    c.plugin_dir = r.path(plugins, "directory", true, "plugin directory");

    if (xmlNode* programme = x::child(root, "programme")) {
        ProgrammeConfig pc;
        pc.start = r.attr(programme, "start");
        pc.targets_file = r.path(programme, "targets", true, "programme targets file");
        pc.countries_file = r.path(programme, "countries", true, "40+3 country list");
        c.programme = pc;
    }

    std::map<std::string, std::string> identity_owner;
    for (xmlNode* p : x::children(root, "partner"))
        c.partners.push_back(read_partner(p, r, c.plugin_dir, true, identity_owner));

    if (xmlNode* outbound = x::child(root, "outbound")) {
        auto& o = c.outbound;
        o.line = x::line_of(outbound);
        o.max_attempts = r.number<unsigned>(outbound, "max-attempts", 12);
        o.initial_backoff = std::chrono::milliseconds(r.number<long>(outbound, "initial-backoff-ms", 1000));
        o.max_backoff = std::chrono::milliseconds(r.number<long>(outbound, "max-backoff-ms", 3600000));
        o.concurrency = r.number<unsigned>(outbound, "concurrency", 4);
        if (o.max_backoff < o.initial_backoff)
            r.problem(outbound, x::path_of(outbound) + "/@max-backoff-ms", "must not be smaller than initial-backoff-ms");
        if (xmlNode* tls = x::child(outbound, "tls"))
            o.tls = TlsFiles{r.path(tls, "server-ca", true, "partners' server CA"),
                             r.path(tls, "certificate", true, "outbound client certificate"),
                             r.path(tls, "private-key", true, "outbound client key")};
        if (xmlNode* fw = x::child(outbound, "four-weekly-report")) {
            FourWeeklyReportConfig f{r.attr(fw, "partner"), r.attr(fw, "first-period"), x::attr(fw, "last-period"),
                                     x::line_of(fw)};
            if (std::none_of(c.partners.begin(), c.partners.end(), [&](const PartnerConfig& p) { return p.code == f.partner; }))
                r.problem(fw, x::path_of(fw) + "/@partner", "no partner '" + f.partner + "' is configured");
            // DT&V's periods start on 2010-01-04 and every 28 days after.
            for (const auto& [value, name] : {std::pair{std::optional(f.first_period), "first-period"},
                                              std::pair{f.last_period, "last-period"}}) {
                if (!value) continue;
                auto civil = sdk::dates::parse_iso_date(*value);
                const int64_t days = civil ? sdk::dates::days_from_civil(civil->year, civil->month, civil->day) -
                                                 sdk::dates::days_from_civil(2010, 1, 4)
                                           : -1;
                if (days < 0 || days % 28 != 0)
                    r.problem(fw, x::path_of(fw) + "/@" + name,
                              *value + " is not the first day of a DT&V reporting period (2010-01-04 + a multiple of 28 days)");
            }
            if (!c.programme)
                r.problem(fw, x::path_of(fw), "the four-weekly report needs <programme> (its 40+3 country list)");
            o.four_weekly_report = f;
        }
    }
    for (const auto& p : c.partners)
        if (p.delivery && p.delivery->kind == DeliveryConfig::Kind::Push && !c.outbound.tls)
            problems.push_back({p.delivery->line, "/ketenhub/partner[@code='" + p.code + "']/delivery/push",
                                "pushing to partner '" + p.code +
                                    "' needs the hub's client certificate: add <outbound><tls server-ca=... certificate=... "
                                    "private-key=.../></outbound>"});

    if (!problems.empty()) return Error::invalid(format_problems(c.file, problems), problems);
    return c;
}

Result<PartnerConfig> load_partner(const std::string& file) {
    auto doc = read_validated(file, "partner");
    if (!doc) return doc.error();
    const std::string absolute = fs::absolute(file).lexically_normal().string();
    std::vector<Problem> problems;
    Reader r(fs::path(absolute).parent_path(), problems);
    std::map<std::string, std::string> identity_owner;
    // No <plugins directory>: a bare plugin name is looked up next to the file.
    PartnerConfig pc = read_partner(doc->root(), r, r.base().string(), false, identity_owner);
    if (!problems.empty()) return Error::invalid(format_problems(file, problems), problems);
    return pc;
}

}  // namespace ketenhub::config
