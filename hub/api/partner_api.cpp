#include "api/partner_api.hpp"

#include "common/log.hpp"
#include "common/metrics.hpp"

#include <ketenhub/sdk/dates.hpp>

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
    if (path == "/v1/messages" || path.rfind("/v1/receipts/", 0) == 0 || path == "/v1/mailbox" ||
        path.rfind("/v1/mailbox/", 0) == 0) {
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
        return respond({200, "application/json", (*receipt)->to_json_text(), {}});
    }
    if (path == "/v1/mailbox" || path.rfind("/v1/mailbox/", 0) == 0) return mailbox(*partner, request, path, respond);
    return respond(problem(404, "not-found", "Not found", "no endpoint " + path));
}

// A pull partner's mailbox (partners' README: VWN and MbT fetch their
// messages and confirm each one, after which the hub removes it):
//   GET    /v1/mailbox        the waiting messages, oldest first (JSON index)
//   GET    /v1/mailbox/{id}   one message, the native document as stored
//   DELETE /v1/mailbox/{id}   confirm it; it is no longer offered
// Confirming again is harmless (204). Messages for push partners are never offered.
void PartnerApi::mailbox(const partners::Partner& partner, const net::HttpRequest& request, const std::string& path,
                         const net::Respond& respond) {
    if (path == "/v1/mailbox") {
        if (request.method != "GET") return respond(problem(405, "method-not-allowed", "Method not allowed", "use GET"));
        store::OutboxQuery q;
        q.partner = partner.code;
        q.status = "waiting";
        q.limit = 500;
        q.newest_first = false;
        auto waiting = store_.outbox_list(q);
        if (!waiting) return respond(problem(503, "store-unavailable", "Store unavailable", waiting.error().message));
        sdk::Json list = sdk::Json::array();
        for (const auto& m : *waiting) {
            if (m.delivery != store::Delivery::Mailbox) continue;
            list.push_back({{"id", m.id}, {"message_id", m.message_id}, {"type", m.message_type},
                            {"document_type", m.document_type}, {"created_at", m.created_at},
                            {"href", "/v1/mailbox/" + std::to_string(m.id)}});
        }
        return respond({200, "application/json", sdk::Json{{"partner", partner.code}, {"messages", list}}.dump(), {}});
    }
    const std::string id_text = path.substr(std::string("/v1/mailbox/").size());
    int64_t id = 0;
    try {
        size_t used = 0;
        id = std::stoll(id_text, &used);
        if (used != id_text.size() || id <= 0) throw std::invalid_argument(id_text);
    } catch (const std::exception&) {
        return respond(problem(404, "not-found", "No such message", "'" + id_text + "' is not a mailbox message id"));
    }
    auto entry = store_.outbox_entry(id, request.method == "GET");
    if (!entry) return respond(problem(503, "store-unavailable", "Store unavailable", entry.error().message));
    // Another partner's message, or a pushed one, is as good as absent.
    if (!*entry || (*entry)->partner != partner.code || (*entry)->delivery != store::Delivery::Mailbox ||
        (*entry)->status == "dead")
        return respond(problem(404, "not-found", "No such message", "no mailbox message " + id_text + " for partner " + partner.code));
    const auto& m = **entry;
    if (request.method == "GET") {
        if (m.status != "waiting")
            return respond(problem(410, "gone", "Message already confirmed", "mailbox message " + id_text + " was confirmed at " +
                                                                                   m.delivered_at));
        metrics::counter("mailbox_fetched_total").inc();
        return respond({200, m.content_type, m.body, {{"Ketenhub-Message-Id", m.message_id}, {"Ketenhub-Message-Type", m.message_type}}});
    }
    if (request.method == "DELETE") {
        if (m.status == "confirmed") return respond({204, "application/json", "", {}});
        auto confirmed = store_.confirm_mailbox(partner.code, id, sdk::dates::utc_timestamp(clock_.now_unix()));
        if (!confirmed) return respond(problem(503, "store-unavailable", "Store unavailable", confirmed.error().message));
        metrics::counter("mailbox_confirmed_total").inc();
        log::info("mailbox_confirmed", {{"partner", partner.code}, {"outbox_id", id}, {"message_id", m.message_id}});
        return respond({204, "application/json", "", {}});
    }
    return respond(problem(405, "method-not-allowed", "Method not allowed", "use GET or DELETE"));
}

}  // namespace ketenhub::api
