// What every integration test needs: a temporary directory with fresh
// certificates (scripts/gen-dev-certs.sh plus an unrelated "other" CA), a
// config file written by the test, the real daemon started on an ephemeral
// port, HTTPS clients with a partner's certificate, and a read-only look at
// the daemon's SQLite file.
#pragma once

#include "hub_process.hpp"
#include "https_client.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace ketenhub::it {

namespace fs = std::filesystem;

std::string source_dir();      // repository root
std::string ketenhub_binary();  // $<TARGET_FILE:ketenhub>
std::string plugin_dir();      // <build>/adapters
std::string read_text(const fs::path& path);
void write_text(const fs::path& path, const std::string& text);

// A fresh random UUID (version 4), lower case.
std::string random_uuid();
// The document with the text of the first <name>...</name> replaced.
std::string with_element_text(std::string document, const std::string& name, const std::string& text);

struct PartnerEntry {
    std::string code;         // "coa"
    std::string certificate;  // name of the client certificate: "coa" -> CN=coa,...
    std::string plugin;       // file name in plugin_dir()
};

struct ConfigOptions {
    std::vector<PartnerEntry> partners;
    size_t max_body_bytes = 64 * 1024;
    std::string extra_listener_attributes;  // e.g. an unknown attribute for `config check`
    std::string server_certificate = "server.pem";  // in the certificates directory
};

// A COA sample from adapters/coa/contract/samples/{valid,invalid}/.
std::string coa_sample(const std::string& kind, const std::string& file);
// A valid COA document (HelpdeskVraag) with its own berichtId and vraagNummer.
std::string unique_coa_document(std::string* message_id = nullptr);

class HubTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    // The certificate of a partner made by gen-dev-certs.sh (coa vwn iom mbt
    // dtv), or "other-ca-coa": subject CN=coa but signed by another CA.
    ClientCertificate cert(const std::string& name) const;
    std::unique_ptr<HttpsClient> client(const std::string& cert_name) const;  // not connected
    std::unique_ptr<HttpsClient> anonymous_client() const;                   // offers no certificate
    // A client with the partner's certificate, connected (asserts).
    std::unique_ptr<HttpsClient> connected(const std::string& cert_name) const;

    // coa, and vwn (the vwn plugin when it has been built, else coa's).
    ConfigOptions default_options() const;
    std::string render_config(const ConfigOptions& options) const;
    void write_config(const ConfigOptions& options) const { write_text(config_path_, render_config(options)); }

    // Writes the config and starts `ketenhub serve`; waits for "listening".
    void start_hub(const ConfigOptions& options);
    void start_hub() { start_hub(default_options()); }

    // Rows of `documents` (optionally "WHERE ..."), read-only while the
    // daemon runs (WAL lets a reader in) or after it stopped.
    long long count_documents(const std::string& where = "") const;

    fs::path dir_;
    fs::path certs_;
    fs::path config_path_;
    fs::path db_path_;
    std::unique_ptr<HubProcess> hub_;
    uint16_t port_ = 0;
};

}  // namespace ketenhub::it
