#include "hub_fixture.hpp"

#include <sqlite3.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

namespace ketenhub::it {

std::string source_dir() { return KETENHUB_IT_SOURCE_DIR; }
std::string ketenhub_binary() { return KETENHUB_IT_BINARY; }
std::string plugin_dir() { return KETENHUB_IT_PLUGIN_DIR; }

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

std::string random_uuid() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    uint64_t hi = rng(), lo = rng();
    hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
    lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
    char buf[37];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                  static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                  static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xffffffffffffULL));
    return buf;
}

std::string with_element_text(std::string document, const std::string& name, const std::string& text) {
    const std::string open = "<" + name + ">", close = "</" + name + ">";
    auto begin = document.find(open);
    auto end = begin == std::string::npos ? begin : document.find(close, begin);
    if (end == std::string::npos) throw std::runtime_error("no <" + name + "> in the document");
    begin += open.size();
    return document.replace(begin, end - begin, text);
}

std::string coa_sample(const std::string& kind, const std::string& file) {
    return read_text(fs::path(source_dir()) / "adapters/coa/contract/samples" / kind / file);
}

std::string unique_coa_document(std::string* message_id) {
    static const std::string base = coa_sample("valid", "helpdeskvraag-gemeente-kosovo.xml");
    std::string id = random_uuid();
    if (message_id) *message_id = id;
    // vraagNummer must match HD-[0-9]{4}-[0-9]{6}: a random start, then
    // counting, so that numbers never repeat within a test.
    static std::atomic<unsigned> next{std::random_device{}() % 1000000};
    char number[32];
    std::snprintf(number, sizeof number, "HD-2010-%06u", next.fetch_add(1) % 1000000);
    std::string doc = with_element_text(base, "berichtId", id);
    return with_element_text(doc, "vraagNummer", number);
}

namespace {

std::string xml_attr(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

// An unrelated CA and a client certificate from it with the subject of
// coa's real certificate: only the issuer tells them apart.
const char* kOtherCaScript = R"SH(
set -euo pipefail
cd "$1"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
key other-ca-key.pem
openssl req -x509 -new -key other-ca-key.pem -sha256 -days 30 -subj "/O=Somebody Else/CN=Other CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out other-ca.pem
key other-ca-coa-key.pem
openssl req -new -key other-ca-coa-key.pem -subj "/O=Ketenhub Development/OU=Partners/CN=coa" -out other-ca-coa.csr
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > other-ca-coa.ext
openssl x509 -req -in other-ca-coa.csr -CA other-ca.pem -CAkey other-ca-key.pem -CAcreateserial -days 30 -sha256 \
  -extfile other-ca-coa.ext -out other-ca-coa.pem 2>/dev/null
)SH";

}  // namespace

void HubTest::SetUp() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/ketenhub-it-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "mkdtemp " << pattern;
    dir_ = pattern;
    certs_ = dir_ / "certs";
    config_path_ = dir_ / "ketenhub.xml";
    db_path_ = dir_ / "data" / "hub.db";
    fs::create_directories(dir_ / "data");

    auto gen = run_command({"/bin/bash", source_dir() + "/scripts/gen-dev-certs.sh", certs_.string()});
    ASSERT_EQ(gen.exit_code, 0) << "gen-dev-certs.sh failed:\n" << gen.output;
    auto other = run_command({"/bin/bash", "-c", kOtherCaScript, "other-ca", certs_.string()});
    ASSERT_EQ(other.exit_code, 0) << "making the other CA failed:\n" << other.output;
}

void HubTest::TearDown() {
    if (hub_ && HasFailure()) {
        hub_->wait_exit(0ms);
        std::cerr << "---- ketenhub log (" << config_path_.string() << ") ----\n"
                  << hub_->log_text() << "---- end of ketenhub log ----\n";
    }
    hub_.reset();  // SIGKILL if still running
    if (std::getenv("KETENHUB_IT_KEEP") && HasFailure()) {
        std::cerr << "kept " << dir_ << "\n";
        return;
    }
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
}

ClientCertificate HubTest::cert(const std::string& name) const {
    return {(certs_ / (name + ".pem")).string(), (certs_ / (name + "-key.pem")).string()};
}

std::unique_ptr<HttpsClient> HubTest::client(const std::string& cert_name) const {
    return std::make_unique<HttpsClient>((certs_ / "ca.pem").string(), cert(cert_name));
}

std::unique_ptr<HttpsClient> HubTest::anonymous_client() const {
    return std::make_unique<HttpsClient>((certs_ / "ca.pem").string(), std::nullopt);
}

std::unique_ptr<HttpsClient> HubTest::connected(const std::string& cert_name) const {
    auto c = client(cert_name);
    if (auto err = c->connect(port_); !err.empty()) ADD_FAILURE() << "connecting as " << cert_name << ": " << err;
    return c;
}

ConfigOptions HubTest::default_options() const {
    ConfigOptions o;
    const std::string coa = "ketenhub_adapter_coa.so";
    const std::string vwn = "ketenhub_adapter_vwn.so";
    o.partners.push_back({"coa", "coa", coa});
    o.partners.push_back({"vwn", "vwn", fs::exists(fs::path(plugin_dir()) / vwn) ? vwn : coa});
    return o;
}

std::string HubTest::render_config(const ConfigOptions& o) const {
    const std::string c = certs_.string(), ref = source_dir() + "/config/reference";
    std::string x;
    x += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    x += "<!-- written by the integration test (tests/integration) -->\n";
    x += "<ketenhub xmlns=\"urn:ketenhub:config:1\">\n";
    x += "  <node id=\"ketenhub-it\"/>\n";
    x += "  <logging level=\"info\"/>\n";
    x += "  <listener address=\"127.0.0.1\" port=\"0\" threads=\"2\"" +
         (o.extra_listener_attributes.empty() ? "" : " " + o.extra_listener_attributes) + ">\n";
    x += "    <tls client-ca=\"" + xml_attr(c + "/ca.pem") + "\" certificate=\"" + xml_attr(c + "/" + o.server_certificate) +
         "\" private-key=\"" + xml_attr(c + "/server-key.pem") + "\"/>\n";
    x += "    <limits max-connections=\"1024\" max-body-bytes=\"" + std::to_string(o.max_body_bytes) +
         "\" max-header-bytes=\"16384\"/>\n";
    x += "    <timeouts handshake-ms=\"5000\" read-ms=\"15000\" write-ms=\"15000\" idle-ms=\"30000\" shutdown-ms=\"10000\"/>\n";
    x += "  </listener>\n";
    x += "  <storage>\n    <sqlite path=\"" + xml_attr(db_path_.string()) + "\" synchronous=\"full\"/>\n  </storage>\n";
    x += "  <reference directory=\"" + xml_attr(ref) + "\" iso3166=\"" + xml_attr(KETENHUB_IT_ISO3166_JSON) + "\"/>\n";
    x += "  <plugins directory=\"" + xml_attr(plugin_dir()) + "\"/>\n";
    x += "  <programme start=\"2010-01-01\" targets=\"" + xml_attr(ref + "/programme-targets-2010.txt") +
         "\" countries=\"" + xml_attr(ref + "/countries-40plus3.txt") + "\"/>\n";
    for (const auto& p : o.partners) {
        x += "  <partner code=\"" + p.code + "\" name=\"" + p.code + " (integration test)\">\n";
        x += "    <certificate subject=\"CN=" + p.certificate + ",OU=Partners,O=Ketenhub Development\"/>\n";
        x += "    <adapter plugin=\"" + xml_attr(p.plugin) + "\"/>\n";
        x += "  </partner>\n";
    }
    x += "</ketenhub>\n";
    return x;
}

void HubTest::start_hub(const ConfigOptions& options) {
    write_config(options);
    hub_ = std::make_unique<HubProcess>(
        std::vector<std::string>{ketenhub_binary(), "serve", "--config", config_path_.string()});
    auto listening = hub_->wait_for_event("listening", 0, 30s);
    ASSERT_TRUE(listening.has_value()) << "the daemon did not log \"listening\"; its log:\n" << hub_->log_text();
    port_ = listening->at("port").get<uint16_t>();
    ASSERT_NE(port_, 0);
}

long long HubTest::count_documents(const std::string& where) const {
    sqlite3* db = nullptr;
    long long count = -1;
    if (sqlite3_open_v2(db_path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 10000);
        sqlite3_stmt* st = nullptr;
        std::string sql = "SELECT count(*) FROM documents" + (where.empty() ? "" : " WHERE " + where);
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            count = sqlite3_column_int64(st, 0);
        else
            ADD_FAILURE() << db_path_ << ": " << sql << ": " << sqlite3_errmsg(db);
        sqlite3_finalize(st);
    } else {
        ADD_FAILURE() << "cannot open " << db_path_ << " read-only: " << (db ? sqlite3_errmsg(db) : "out of memory");
    }
    sqlite3_close(db);
    return count;
}

}  // namespace ketenhub::it
