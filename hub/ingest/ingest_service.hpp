// The inbound path of one partner document: media type, the partner's
// adapter (validation and translation), then the store; the answer is sent
// only after the store has committed. See docs/architecture.md.
#pragma once

#include "common/clock.hpp"
#include "net/https_server.hpp"
#include "partners/partner_registry.hpp"
#include "store/store.hpp"

namespace ketenhub::ingest {

// RFC 9457 problem details.
net::HttpResponse problem(unsigned status, const std::string& type, const std::string& title, const std::string& detail,
                          const std::vector<Problem>& errors = {});

// "application/xml; charset=ISO-8859-1" -> true for application/xml and text/xml.
bool is_xml_media_type(const std::string& content_type);

// The store request for a document its adapter decoded: the document key
// (the partner's message id; the body's SHA-256 for batches and documents
// without one) and the events' JSON, made here so the store's single writer
// does not. The receipt id is new.
store::IngestRequest make_ingest_request(const std::string& partner, const std::string& body,
                                         const std::string& content_type, sdk::DecodedDocument document,
                                         const std::string& received_at, const std::string& peer_identity);

class IngestService {
public:
    IngestService(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

    // Handles POST /v1/messages from an identified partner.
    void submit(const partners::Partner& partner, const net::HttpRequest& request, const net::Peer& peer,
                net::Respond respond);

private:
    store::Store& store_;
    const Clock& clock_;
};

}  // namespace ketenhub::ingest
