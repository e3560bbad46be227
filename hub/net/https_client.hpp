// The hub as an HTTPS client: pushes documents to partners' endpoints with
// the hub's client certificate, verifying the partner's server certificate
// against the configured CA and the URL's host name. Beast stays inside the
// .cpp (the outbound path only sees outbound::Transport).
#pragma once

#include "common/result.hpp"
#include "config/config.hpp"
#include "outbound/transport.hpp"

#include <memory>

namespace ketenhub::net {

struct ParsedUrl {
    std::string host;
    std::string port = "443";
    std::string target = "/";
};
// https://host[:port][/path]; anything else is Invalid naming what is wrong.
Result<ParsedUrl> parse_https_url(const std::string& url);

// files.client_ca is the CA of the partners' server certificates.
// Errors name the file that is wrong.
Result<std::unique_ptr<outbound::Transport>> make_https_client(const config::TlsFiles& files, unsigned threads = 1);

}  // namespace ketenhub::net
