#include "ingest/ingest_service.hpp"

#include "common/ids.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"

#include <ketenhub/sdk/canonical_json.hpp>

#include <algorithm>
#include <chrono>

namespace ketenhub::ingest {

store::IngestRequest make_ingest_request(const std::string& partner, const std::string& body,
                                         const std::string& content_type, sdk::DecodedDocument document,
                                         const std::string& received_at, const std::string& peer_identity) {
    store::IngestRequest rq;
    rq.receipt_id = time_ordered_uuid();
    rq.partner = partner;
    rq.body_sha256 = sha256_hex(body);
    rq.message_id = document.message_id;
    rq.document_key = document.batch || document.message_id.empty() ? "sha256:" + rq.body_sha256 : document.message_id;
    rq.document_type = document.document_type;
    rq.content_type = content_type;
    rq.body = body;
    rq.received_at = received_at;
    rq.peer_identity = peer_identity;
    rq.records = std::move(document.records);
    rq.event_bodies.reserve(rq.records.size());
    for (const auto& rec : rq.records) {
        auto& bodies = rq.event_bodies.emplace_back();
        if (!rec.accepted) continue;
        bodies.reserve(rec.events.size());
        for (const auto& e : rec.events) bodies.push_back(sdk::to_json_text(e));
    }
    return rq;
}

net::HttpResponse problem(unsigned status, const std::string& type, const std::string& title, const std::string& detail,
                          const std::vector<Problem>& errors) {
    sdk::Json body{{"type", "urn:ketenhub:problem:" + type}, {"title", title}, {"status", status}, {"detail", detail}};
    if (!errors.empty()) body["errors"] = errors;
    net::HttpResponse r;
    r.status = status;
    r.content_type = "application/problem+json";
    r.body = body.dump(-1, ' ', false, sdk::Json::error_handler_t::replace);
    return r;
}

bool is_xml_media_type(const std::string& content_type) {
    std::string base = content_type.substr(0, content_type.find(';'));
    base.erase(std::remove_if(base.begin(), base.end(), [](unsigned char c) { return std::isspace(c); }), base.end());
    std::transform(base.begin(), base.end(), base.begin(), [](unsigned char c) { return std::tolower(c); });
    return base == "application/xml" || base == "text/xml";
}

void IngestService::submit(const partners::Partner& partner, const net::HttpRequest& request, const net::Peer& peer,
                           net::Respond respond) {
    const auto arrived = std::chrono::steady_clock::now();
    const std::string label = "{partner=\"" + partner.code + "\"}";
    metrics::counter("ingest_requests_total" + label).inc();
    if (!is_xml_media_type(request.content_type)) {
        metrics::counter("ingest_unsupported_media_type_total" + label).inc();
        return respond(problem(415, "unsupported-media-type", "Unsupported media type",
                               "send the document as application/xml or text/xml, not '" + request.content_type + "'"));
    }

    auto decoded = partner.adapter->decode(request.body);
    if (auto* failure = std::get_if<plugin_host::AdapterFailure>(&decoded)) {
        // The document content is never logged; the reason and the sender are.
        if (failure->rejected) {
            metrics::counter("ingest_rejected_total" + label).inc();
            log::warn("document_rejected", {{"partner", partner.code}, {"certificate", peer.certificate.subject},
                                            {"remote", peer.remote}, {"reason", failure->summary()}});
            return respond(problem(422, "document-rejected", "Document rejected", summarize(failure->problems),
                                   failure->problems));
        }
        metrics::counter("ingest_adapter_failures_total" + label).inc();
        log::error("adapter_failed", {{"partner", partner.code}, {"reason", failure->summary()}});
        return respond(problem(500, "adapter-failed", "The partner's adapter failed",
                               "the document could not be translated; it was not stored. Try again later"));
    }
    auto& doc = std::get<sdk::DecodedDocument>(decoded);

    store::IngestRequest rq =
        make_ingest_request(partner.code, request.body, request.content_type, std::move(doc), clock_.now_rfc3339_millis(),
                            peer.certificate.subject + " sha256:" + peer.certificate.sha256);

    store_.ingest(std::move(rq), [respond = std::move(respond), code = partner.code, label, arrived,
                                  subject = peer.certificate.subject](Result<store::IngestResult> r) {
        if (!r) {
            const auto& e = r.error();
            if (e.kind == ErrorKind::Invalid) {
                metrics::counter("ingest_rejected_total" + label).inc();
                log::warn("document_rejected", {{"partner", code}, {"certificate", subject}, {"reason", summarize(e.problems)}});
                return respond(problem(422, "all-records-rejected", "Every record was rejected", summarize(e.problems),
                                       e.problems));
            }
            metrics::counter("ingest_store_failures_total" + label).inc();
            auto p = problem(503, "store-unavailable", "Not stored", e.message + "; nothing was stored, send it again");
            p.headers.emplace_back("Retry-After", "1");
            return respond(std::move(p));
        }
        net::HttpResponse ok;
        ok.status = r->duplicate ? 200 : 202;
        ok.body = std::move(r->receipt_json);
        ok.headers.emplace_back("Location", "/v1/receipts/" + r->receipt.receipt_id);
        metrics::counter(std::string(r->duplicate ? "ingest_duplicates_total" : "ingest_accepted_total") + label).inc();
        // From the request's arrival at ingest (read and authenticated) to its
        // answer: the adapter, the store's queue, transaction and WAL sync.
        metrics::histogram("ingest_stored_seconds" + label).observe(std::chrono::steady_clock::now() - arrived);
        log::info(r->duplicate ? "document_duplicate" : "document_accepted",
                  {{"partner", code}, {"receipt_id", r->receipt.receipt_id}, {"message_id", r->receipt.message_id},
                   {"document_type", r->receipt.document_type}, {"status", r->receipt.status}});
        respond(std::move(ok));
    });
}

}  // namespace ketenhub::ingest
