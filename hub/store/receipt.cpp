#include "store/store.hpp"

#include <ketenhub/sdk/canonical_json.hpp>

#include <future>

namespace ketenhub::store {

std::string to_string(RecordOutcome o) {
    switch (o) {
        case RecordOutcome::Accepted: return "accepted";
        case RecordOutcome::AlreadyKnown: return "already_known";
        case RecordOutcome::Superseded: return "superseded";
        case RecordOutcome::Rejected: return "rejected";
    }
    return "rejected";
}

RecordOutcome record_outcome_from_string(const std::string& s) {
    if (s == "accepted") return RecordOutcome::Accepted;
    if (s == "already_known") return RecordOutcome::AlreadyKnown;
    if (s == "superseded") return RecordOutcome::Superseded;
    return RecordOutcome::Rejected;
}

sdk::Json Receipt::to_json() const {
    sdk::Json records_json = sdk::Json::array();
    for (const auto& r : records) {
        sdk::Json rj{{"record_id", r.record_id}, {"outcome", store::to_string(r.outcome)}, {"events", r.events}};
        if (r.line > 0) rj["line"] = r.line;
        if (!r.problems.empty()) rj["problems"] = r.problems;
        records_json.push_back(std::move(rj));
    }
    return sdk::Json{{"receipt_id", receipt_id}, {"partner", partner},     {"message_id", message_id},
                     {"document_type", document_type}, {"status", status}, {"received_at", received_at},
                     {"records", records_json}};
}

std::string Receipt::to_json_text() const {
    // Members in the order nlohmann's object (a std::map) writes them.
    namespace jt = sdk::json_text;
    std::string out;
    out.reserve(256 + 96 * records.size());
    out += "{\"document_type\":";
    jt::append_string(out, document_type);
    out += ",\"message_id\":";
    jt::append_string(out, message_id);
    out += ",\"partner\":";
    jt::append_string(out, partner);
    out += ",\"receipt_id\":";
    jt::append_string(out, receipt_id);
    out += ",\"received_at\":";
    jt::append_string(out, received_at);
    out += ",\"records\":[";
    for (size_t i = 0; i < records.size(); ++i) {
        const RecordReceipt& r = records[i];
        if (i > 0) out += ',';
        out += "{\"events\":";
        out += std::to_string(r.events);
        if (r.line > 0) {
            out += ",\"line\":";
            jt::append_integer(out, r.line);
        }
        out += ",\"outcome\":";
        jt::append_string(out, store::to_string(r.outcome));
        if (!r.problems.empty()) {
            out += ",\"problems\":[";
            for (size_t k = 0; k < r.problems.size(); ++k) {
                const sdk::Problem& p = r.problems[k];
                if (k > 0) out += ',';
                out += "{\"field\":";
                jt::append_string(out, p.field);
                out += ",\"line\":";
                jt::append_integer(out, p.line);
                out += ",\"message\":";
                jt::append_string(out, p.message);
                out += '}';
            }
            out += ']';
        }
        out += ",\"record_id\":";
        jt::append_string(out, r.record_id);
        out += '}';
    }
    out += "],\"status\":";
    jt::append_string(out, status);
    out += '}';
    return out;
}

Receipt Receipt::from_json(const sdk::Json& j) {
    Receipt r;
    r.receipt_id = j.at("receipt_id").get<std::string>();
    r.partner = j.at("partner").get<std::string>();
    r.message_id = j.value("message_id", std::string());
    r.document_type = j.value("document_type", std::string());
    r.status = j.value("status", std::string());
    r.received_at = j.value("received_at", std::string());
    for (const auto& rj : j.value("records", sdk::Json::array())) {
        RecordReceipt rr;
        rr.record_id = rj.at("record_id").get<std::string>();
        rr.outcome = record_outcome_from_string(rj.at("outcome").get<std::string>());
        rr.events = rj.value("events", size_t{0});
        rr.line = rj.value("line", 0L);
        if (auto it = rj.find("problems"); it != rj.end()) rr.problems = it->get<std::vector<Problem>>();
        r.records.push_back(std::move(rr));
    }
    return r;
}

Result<IngestResult> Store::ingest_sync(IngestRequest request) {
    std::promise<Result<IngestResult>> promise;
    auto future = promise.get_future();
    ingest(std::move(request), [&promise](Result<IngestResult> r) { promise.set_value(std::move(r)); });
    return future.get();
}

}  // namespace ketenhub::store
