#include "api/partner_api.hpp"

#include "common/log.hpp"
#include "common/metrics.hpp"

namespace ketenhub::api {

using ingest::problem;

void PartnerApi::handle(net::HttpRequest request, const net::Peer& peer, net::Respond respond) {
    auto registry = this->registry();
    const std::string path = request.target.substr(0, request.target.find('?'));

    if (path == "/v1/health") {
        if (request.method != "GET") return respond(problem(405, "method-not-allowed", "Method not allowed", "use GET"));
        return respond({200, "application/json", R"({"status":"alive"})", {}});
    }
    if (path == "/v1/ready") {
        if (request.method != "GET") return respond(problem(405, "method-not-allowed", "Method not allowed", "use GET"));
        auto health = store_.health();
        sdk::Json body{{"store", health ? "ok" : health.error().message},
                       {"partners", registry ? registry->all().size() : 0}};
        bool ready = health.ok() && registry && !registry->all().empty();
        body["status"] = ready ? "ready" : "not-ready";
        return respond({ready ? 200u : 503u, "application/json", body.dump(), {}});
    }
    if (path == "/v1/metrics") {
        if (request.method != "GET") return respond(problem(405, "method-not-allowed", "Method not allowed", "use GET"));
        return respond({200, "text/plain; version=0.0.4", metrics::render_prometheus(), {}});
    }

    const partners::Partner* partner = registry ? registry->by_certificate(peer.certificate) : nullptr;
    if (path == "/v1/messages" || path.rfind("/v1/receipts/", 0) == 0) {
        if (!partner) {
            metrics::counter("unknown_certificate_total").inc();
            log::warn("unknown_certificate", {{"subject", peer.certificate.subject},
                                              {"sha256", peer.certificate.sha256}, {"remote", peer.remote}});
            return respond(problem(403, "unknown-certificate", "Certificate not mapped to a partner",
                                   "the client certificate '" + peer.certificate.subject +
                                       "' is valid but is not configured for any partner"));
        }
    }
    if (path == "/v1/messages") {
        if (request.method != "POST") return respond(problem(405, "method-not-allowed", "Method not allowed", "use POST"));
        // Hold the registry (and so the adapter) until the answer is sent.
        return ingest_.submit(*partner, request, peer, [registry, respond = std::move(respond)](net::HttpResponse r) {
            respond(std::move(r));
        });
    }
    if (path.rfind("/v1/receipts/", 0) == 0) {
        if (request.method != "GET") return respond(problem(405, "method-not-allowed", "Method not allowed", "use GET"));
        auto receipt = store_.receipt_by_id(path.substr(std::string("/v1/receipts/").size()));
        if (!receipt) return respond(problem(503, "store-unavailable", "Store unavailable", receipt.error().message));
        // Another partner's receipt is as good as absent.
        if (!*receipt || (*receipt)->partner != partner->code)
            return respond(problem(404, "not-found", "No such receipt", "no receipt " + path.substr(13) + " for partner " + partner->code));
        return respond({200, "application/json", (*receipt)->to_json().dump(), {}});
    }
    return respond(problem(404, "not-found", "Not found", "no endpoint " + path));
}

}  // namespace ketenhub::api
