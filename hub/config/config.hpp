// The daemon's configuration: XML validated against config/ketenhub.xsd
// (compiled into the binary), then checked for what a schema cannot say
// (files that must exist, identities that must be unique). Every problem is
// reported as "file:line: field: message".
#pragma once

#include "common/result.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ketenhub::config {

struct TlsFiles {
    std::string client_ca;
    std::string certificate;
    std::string private_key;
};

struct ListenerConfig {
    std::string address;
    uint16_t port = 0;
    unsigned threads = 2;
    size_t max_connections = 1024;
    size_t max_body_bytes = 6 << 20;  // VWN and MbT exports may be 5 MB
    size_t max_header_bytes = 16 << 10;
    std::chrono::milliseconds handshake_timeout{5000};
    std::chrono::milliseconds read_timeout{15000};
    std::chrono::milliseconds write_timeout{15000};
    std::chrono::milliseconds idle_timeout{30000};
    std::chrono::milliseconds shutdown_timeout{10000};
    TlsFiles tls;
    bool operator==(const ListenerConfig&) const;
};

struct SqliteConfig {
    std::string path;
    bool synchronous_full = true;
    size_t max_batch = 256;
};

struct CertificateIdentity {
    std::optional<std::string> subject;  // RFC 2253, e.g. "CN=coa,OU=Partners,O=Ketenhub Development"
    std::optional<std::string> sha256;   // lower-case hex without colons
    long line = 0;
};

// How messages leave the hub for a partner (<delivery>).
struct DeliveryConfig {
    enum class Kind { Push, Mailbox } kind = Kind::Mailbox;
    std::string url;  // push: https://host[:port]/path
    std::chrono::milliseconds timeout{15000};
    long line = 0;
};

struct PartnerConfig {
    std::string code;
    std::string name;
    std::vector<CertificateIdentity> certificates;
    std::string plugin_path;  // resolved
    std::map<std::string, std::string> settings;
    std::map<std::string, long> setting_lines;
    long line = 0;
    long adapter_line = 0;
    std::optional<DeliveryConfig> delivery;
};

struct ProgrammeConfig {
    std::string start;         // YYYY-MM-DD
    std::string targets_file;  // programme-targets-*.txt
    std::string countries_file;  // countries-40plus3.txt
};

// An operator's HTTP Basic credential on the admin listener.
struct Credential {
    std::string user;
    std::string password_sha256;  // lower-case hex of SHA-256(password)
    long line = 0;
};

// The operators' listener (<admin>): the dashboard and its JSON API.
// listener.tls.client_ca is the CA of the operators' client certificates.
struct AdminConfig {
    ListenerConfig listener;                     // address, port, threads, tls; small limits
    std::vector<CertificateIdentity> operators;  // empty: any certificate from the admin CA
    std::vector<Credential> credentials;         // non-empty: a client certificate is optional
    long line = 0;
};

struct FourWeeklyReportConfig {
    std::string partner;
    std::string first_period;                // YYYY-MM-DD
    std::optional<std::string> last_period;  // YYYY-MM-DD
    long line = 0;
};

// <outbound>: routing, outbox and delivery.
struct OutboundConfig {
    std::optional<TlsFiles> tls;  // client_ca holds the partners' server CA
    unsigned max_attempts = 12;
    std::chrono::milliseconds initial_backoff{1000};
    std::chrono::milliseconds max_backoff{3600000};
    unsigned concurrency = 4;
    std::optional<FourWeeklyReportConfig> four_weekly_report;
    long line = 0;
};

struct Config {
    std::string file;  // the file it was read from
    std::string node_id = "ketenhub-1";
    std::string log_level = "info";
    ListenerConfig listener;
    std::optional<AdminConfig> admin;
    SqliteConfig sqlite;
    std::string reference_dir;
    std::string iso3166_json;
    std::string plugin_dir;
    std::optional<ProgrammeConfig> programme;
    OutboundConfig outbound;
    std::vector<PartnerConfig> partners;
};

// Reads, validates and resolves a configuration file. Does not load plugins
// (see partners::PartnerRegistry::build) or TLS material (net::make_server_tls).
Result<Config> load(const std::string& path);

// Reads a standalone partner file: a <partner> root element in the config
// namespace, as in the hub config (`ketenhub adapter test --partner-config`).
// A plugin name without '/' is resolved against the file's directory; the
// plugin file is not required to exist (the caller may override it).
Result<PartnerConfig> load_partner(const std::string& path);

// "file:line: field: message" for each problem, one per line.
std::string format_problems(const std::string& file, const std::vector<Problem>& problems);

// The compiled-in XSD text (config/ketenhub.xsd).
std::string_view schema_text();

}  // namespace ketenhub::config
