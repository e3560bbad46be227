#include "store/store.hpp"

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
