// The HTTPS listener with mutual TLS: one session type, written once, in the
// manner of Beast's advanced_server_flex: a timeout on every operation, body
// and header limits, a bounded number of connections, keep-alive, and a
// graceful drain. Beast and Asio stay inside https_server.cpp.
#pragma once

#include "common/result.hpp"
#include "config/config.hpp"
#include "partners/partner_registry.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <algorithm>
#include <cctype>
#include <string_view>
#include <utility>
#include <vector>

namespace ketenhub::net {

struct HttpRequest {
    std::string method;
    std::string target;
    std::string content_type;
    std::string body;
    std::string authorization;  // the Authorization header (admin listener: HTTP Basic)
    // Headers named Ketenhub-* (the hub's own, e.g. Ketenhub-Message-Id on
    // pushed documents), name as sent.
    std::vector<std::pair<std::string, std::string>> ketenhub_headers;
    std::string header(std::string_view name) const {
        for (const auto& [k, v] : ketenhub_headers)
            if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
                }))
                return v;
        return {};
    }
};

struct HttpResponse {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

struct Peer {
    partners::PeerCertificate certificate;
    std::string remote;  // "address:port"
};

using Respond = std::function<void(HttpResponse)>;
// Called on an I/O thread; may answer later from any thread.
using Handler = std::function<void(HttpRequest, const Peer&, Respond)>;

// Server-side TLS material, ready for new connections. Opaque outside net/.
class TlsContext;
// Whether a handshake without a client certificate fails (the partner
// listener) or goes on so that the request can authenticate otherwise (the
// admin listener with HTTP Basic credentials). A certificate that is
// presented is verified against the client CA either way.
enum class ClientCertificate { Required, Optional };
// TLS 1.2 and 1.3 only, client certificate verified against the client CA.
// Errors name the file that is wrong.
Result<std::shared_ptr<TlsContext>> make_server_tls(const config::TlsFiles& files,
                                                    ClientCertificate client = ClientCertificate::Required);

class HttpsServer {
public:
    // `name` labels the listener's metrics (http_request_seconds{listener=...}).
    HttpsServer(config::ListenerConfig listener, std::shared_ptr<TlsContext> tls, Handler handler,
                const std::string& name = "partner");
    ~HttpsServer();
    HttpsServer(const HttpsServer&) = delete;
    HttpsServer& operator=(const HttpsServer&) = delete;

    // Binds, listens and starts the I/O threads.
    Status start();
    // The port actually bound (useful with port 0).
    uint16_t port() const;
    // New connections use this TLS material from now on; established
    // connections keep theirs.
    void replace_tls(std::shared_ptr<TlsContext> tls);
    // Stops accepting, closes idle keep-alive connections, lets requests in
    // flight finish and be answered, then stops. Returns true when every
    // connection ended before the deadline.
    bool drain(std::chrono::milliseconds deadline);
    size_t active_connections() const;

    struct Impl;  // defined in https_server.cpp

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace ketenhub::net
