// Routes requests on the partner listener: who is speaking (the client
// certificate), which endpoint, and which service answers.
//   POST /v1/messages            a partner document (ingest)
//   GET  /v1/receipts/{id}       a receipt of the calling partner's own
//   GET  /v1/health              liveness
//   GET  /v1/ready               readiness: store writable, plugins loaded
//   GET  /v1/metrics             counters, Prometheus text
//   GET  /v1/mailbox[/{id}]      a pull partner's waiting messages
//   DELETE /v1/mailbox/{id}      confirms one
#pragma once

#include "ingest/ingest_service.hpp"

#include <atomic>
#include <memory>

namespace ketenhub::api {

class PartnerApi {
public:
    PartnerApi(store::Store& store, const Clock& clock, std::shared_ptr<const partners::PartnerRegistry> registry)
        : store_(store), clock_(clock), ingest_(store, clock), registry_(std::move(registry)) {}

    void handle(net::HttpRequest request, const net::Peer& peer, net::Respond respond);

    // Swapped in by a reload; requests already routed keep the old one.
    void replace_registry(std::shared_ptr<const partners::PartnerRegistry> registry) {
        std::atomic_store(&registry_, std::move(registry));
    }
    std::shared_ptr<const partners::PartnerRegistry> registry() const { return std::atomic_load(&registry_); }

private:
    void mailbox(const partners::Partner& partner, const net::HttpRequest& request, const std::string& path,
                 const net::Respond& respond);

    store::Store& store_;
    const Clock& clock_;
    ingest::IngestService ingest_;
    std::shared_ptr<const partners::PartnerRegistry> registry_;
};

}  // namespace ketenhub::api
