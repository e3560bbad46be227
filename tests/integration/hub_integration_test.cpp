// End-to-end tests of the real daemon: `ketenhub serve` as a child process on
// an ephemeral port, certificates made for the test, and real HTTPS with
// mutual TLS. Nothing here measures time; sleeps only order events, and
// every wait has a generous deadline so that a hung daemon fails the test.
#include "hub_fixture.hpp"

#include <signal.h>

#include <algorithm>
#include <latch>
#include <set>
#include <thread>

namespace ketenhub::it {
namespace {

const std::string kKosovo = "helpdeskvraag-gemeente-kosovo.xml";
const std::string kKosovoId = "0b7e5d21-8f3c-4a96-b2d4-7c1e9a3f5d60";  // its berichtId

std::string describe(const Response& r) {
    return "HTTP " + std::to_string(r.status) + (r.error.empty() ? "" : " (" + r.error + ")") + "\n" + r.body;
}

// Connects and posts a document. With TLS 1.3 the client may complete its
// side of the handshake before the server has judged the client
// certificate; a refusal then arrives as an alert on the first read. Either
// way a refused client gets no HTTP response (status 0).
Response connect_and_post(HttpsClient& client, uint16_t port, const std::string& document) {
    if (auto err = client.connect(port); !err.empty()) {
        Response r;
        r.error = err;
        return r;
    }
    return client.post_xml(document);
}

// ---- accepted, receipts, duplicates ----------------------------------------

TEST_F(HubTest, AcceptedDocumentGetsReceiptThatOnlyItsPartnerCanRead) {
    ASSERT_NO_FATAL_FAILURE(start_hub());
    auto coa = connected("coa");
    Response r = coa->post_xml(coa_sample("valid", kKosovo));
    ASSERT_EQ(r.status, 202u) << describe(r);
    EXPECT_EQ(r.header("content-type"), "application/json");
    const auto receipt = r.json();
    ASSERT_FALSE(receipt.empty()) << r.body;
    const std::string receipt_id = receipt.value("receipt_id", "");
    EXPECT_EQ(receipt_id.size(), 36u) << "receipt_id should be a UUID: " << r.body;
    EXPECT_EQ(receipt.value("message_id", ""), kKosovoId);
    EXPECT_EQ(receipt.value("partner", ""), "coa");
    EXPECT_EQ(receipt.value("status", ""), "accepted");
    ASSERT_TRUE(receipt.contains("records") && receipt["records"].is_array()) << r.body;
    EXPECT_FALSE(receipt["records"].empty()) << r.body;
    for (const auto& rec : receipt["records"]) {
        EXPECT_FALSE(rec.value("record_id", "").empty()) << rec;
        EXPECT_EQ(rec.value("outcome", ""), "accepted") << rec;
    }
    EXPECT_EQ(r.header("location"), "/v1/receipts/" + receipt_id);

    Response again = coa->get("/v1/receipts/" + receipt_id);
    ASSERT_EQ(again.status, 200u) << describe(again);
    EXPECT_EQ(again.json(), receipt);
    EXPECT_EQ(again.body, r.body) << "the receipt's text differs between the 202 and GET /v1/receipts";

    // Another partner's receipt is as good as absent.
    Response other = connected("vwn")->get("/v1/receipts/" + receipt_id);
    EXPECT_EQ(other.status, 404u) << describe(other);
    EXPECT_EQ(other.body.find(kKosovoId), std::string::npos) << "vwn must not see coa's receipt: " << other.body;
    Response unknown = coa->get("/v1/receipts/" + random_uuid());
    EXPECT_EQ(unknown.status, 404u) << describe(unknown);

    EXPECT_EQ(count_documents(), 1);
}

TEST_F(HubTest, DuplicateMessageGetsTheOriginalReceiptAndIsStoredOnce) {
    ASSERT_NO_FATAL_FAILURE(start_hub());
    const std::string doc = coa_sample("valid", kKosovo);
    Response first = connected("coa")->post_xml(doc);
    ASSERT_EQ(first.status, 202u) << describe(first);
    Response second = connected("coa")->post_xml(doc);  // a new connection, as a retrying partner would
    ASSERT_EQ(second.status, 200u) << describe(second);
    EXPECT_EQ(second.json().value("receipt_id", "?"), first.json().value("receipt_id", "!"));
    EXPECT_EQ(second.json(), first.json()) << "the duplicate should get the original receipt";

    EXPECT_EQ(count_documents(), 1);
    EXPECT_EQ(count_documents("message_id = '" + kKosovoId + "'"), 1);
}

// ---- documents refused -----------------------------------------------------

TEST_F(HubTest, InvalidDocumentIs422NamingFieldAndLine) {
    ASSERT_NO_FATAL_FAILURE(start_hub());
    Response r = connected("coa")->post_xml(coa_sample("invalid", "datetime-without-offset.xml"));
    ASSERT_EQ(r.status, 422u) << describe(r);
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    const auto body = r.json();
    ASSERT_TRUE(body.contains("errors") && body["errors"].is_array() && !body["errors"].empty()) << r.body;
    bool named = false;
    for (const auto& e : body["errors"]) {
        if (e.value("field", "") != "/HelpdeskVraag/ontvangenOp") continue;
        named = true;
        EXPECT_EQ(e.value("line", 0), 7) << e;
        EXPECT_FALSE(e.value("message", "").empty()) << e;
    }
    EXPECT_TRUE(named) << "no error names /HelpdeskVraag/ontvangenOp: " << r.body;
    EXPECT_EQ(count_documents(), 0);
}

TEST_F(HubTest, XxeDocumentIsRejectedAndNothingIsStored) {
    ASSERT_NO_FATAL_FAILURE(start_hub());
    Response r = connected("coa")->post_xml(coa_sample("invalid", "xxe-external-entity.xml"));
    ASSERT_EQ(r.status, 422u) << describe(r);
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << "/etc/passwd leaked into the answer: " << r.body;
    EXPECT_EQ(hub_->log_text().find("root:"), std::string::npos) << "/etc/passwd leaked into the log";
    EXPECT_EQ(count_documents(), 0);
}

TEST_F(HubTest, EveryPublishedInvalidSampleIsRejectedAndNothingIsStored) {
    auto options = default_options();
    options.max_body_bytes = 256 * 1024;  // deeply-nested.xml is ~70 KB: let the adapter judge it
    ASSERT_NO_FATAL_FAILURE(start_hub(options));
    int files = 0;
    for (const auto& entry : fs::directory_iterator(fs::path(source_dir()) / "adapters/coa/contract/samples/invalid")) {
        if (entry.path().extension() != ".xml") continue;
        ++files;
        Response r = connected("coa")->post_xml(read_text(entry.path()));
        EXPECT_EQ(r.status, 422u) << entry.path().filename() << ": " << describe(r);
        EXPECT_TRUE(r.json().contains("errors")) << entry.path().filename() << ": " << r.body;
    }
    EXPECT_GT(files, 0);
    EXPECT_EQ(count_documents(), 0);
}

TEST_F(HubTest, WrongMediaTypeIs415) {
    ASSERT_NO_FATAL_FAILURE(start_hub());
    Response r = connected("coa")->request("POST", "/v1/messages", coa_sample("valid", kKosovo), "application/json");
    EXPECT_EQ(r.status, 415u) << describe(r);
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    EXPECT_EQ(count_documents(), 0);
}

TEST_F(HubTest, BodyOverTheLimitIs413) {
    auto options = default_options();
    options.max_body_bytes = 64 * 1024;
    ASSERT_NO_FATAL_FAILURE(start_hub(options));
    // A well-formed document of ~100 KiB: only its size is wrong.
    std::string doc = coa_sample("valid", kKosovo);
    doc += "<!-- " + std::string(100 * 1024, 'x') + " -->\n";
    // Posted as a partner would, the whole body at once. Whether the answer
    // survives the daemon closing the connection while the body is still
    // coming in is a matter of luck unless the daemon drains (lingers) before
    // it closes, so try it several times.
    for (int attempt = 1; attempt <= 25; ++attempt) {
        Response r = connected("coa")->post_xml(doc);
        ASSERT_EQ(r.status, 413u) << "attempt " << attempt << ": " << describe(r);
        EXPECT_EQ(r.header("content-type"), "application/problem+json");
    }
    EXPECT_EQ(count_documents(), 0);
}

TEST_F(HubTest, BodyOverTheLimitIs413AsSoonAsTheHeaderDeclaresIt) {
    auto options = default_options();
    options.max_body_bytes = 64 * 1024;
    ASSERT_NO_FATAL_FAILURE(start_hub(options));
    std::string doc = coa_sample("valid", kKosovo);
    doc += "<!-- " + std::string(100 * 1024, 'x') + " -->\n";
    const std::string text = http_request_text("POST", "/v1/messages", doc, "application/xml");
    // Only the header (Content-Length: ~100 KiB): the answer needs no body.
    auto c = connected("coa");
    ASSERT_EQ(c->send_raw(text.substr(0, text.find("\r\n\r\n") + 4)), "");
    Response r = c->read_response();
    ASSERT_EQ(r.status, 413u) << describe(r);
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    EXPECT_NE(r.body.find("65536"), std::string::npos) << "the answer should name the limit: " << r.body;
    EXPECT_FALSE(r.keep_alive);
    EXPECT_EQ(count_documents(), 0);
}

// A client that asks before it sends its body (Expect: 100-continue; curl
// does for bodies over 1 MiB) is told to go on at once instead of waiting
// for its own timeout, and its document is stored.
TEST_F(HubTest, ExpectContinueIsAnsweredWith100BeforeTheBody) {
    ASSERT_NO_FATAL_FAILURE(start_hub());
    const std::string text = http_request_text("POST", "/v1/messages", coa_sample("valid", kKosovo), "application/xml");
    const size_t header_end = text.find("\r\n\r\n");
    auto c = connected("coa");
    ASSERT_EQ(c->send_raw(text.substr(0, header_end) + "\r\nExpect: 100-continue\r\n\r\n"), "");
    Response go_on = c->read_response();
    ASSERT_EQ(go_on.status, 100u) << describe(go_on);
    ASSERT_EQ(c->send_raw(text.substr(header_end + 4)), "");
    Response r = c->read_response();
    EXPECT_EQ(r.status, 202u) << describe(r);
    EXPECT_EQ(count_documents(), 1);
}

// ---- who may connect -------------------------------------------------------

TEST_F(HubTest, NoClientCertificateFailsTheHandshake) {
    ASSERT_NO_FATAL_FAILURE(start_hub());
    const size_t mark = hub_->mark();
    auto c = anonymous_client();
    Response r = connect_and_post(*c, port_, coa_sample("valid", kKosovo));
    EXPECT_EQ(r.status, 0u) << "expected no HTTP response at all: " << describe(r);
    EXPECT_NE(r.error.find("alert"), std::string::npos) << "expected a TLS alert, got: " << r.error;
    EXPECT_TRUE(hub_->wait_for_event("tls_handshake_failed", mark, 10s).has_value()) << "the daemon did not log the failed handshake";
    EXPECT_EQ(count_documents(), 0);
}

TEST_F(HubTest, CertificateFromAnotherCaFailsTheHandshake) {
    ASSERT_NO_FATAL_FAILURE(start_hub());
    const size_t mark = hub_->mark();
    // Subject CN=coa,OU=Partners,O=Ketenhub Development, as coa's own, but
    // issued by a CA the hub does not trust.
    auto c = client("other-ca-coa");
    Response r = connect_and_post(*c, port_, coa_sample("valid", kKosovo));
    EXPECT_EQ(r.status, 0u) << "expected no HTTP response at all: " << describe(r);
    EXPECT_NE(r.error.find("alert"), std::string::npos) << "expected a TLS alert, got: " << r.error;
    EXPECT_TRUE(hub_->wait_for_event("tls_handshake_failed", mark, 10s).has_value()) << "the daemon did not log the failed handshake";
    EXPECT_EQ(count_documents(), 0);
}

// The hub remembers client chains it has verified (net/verified_certificates):
// the second handshake with coa's certificate is accepted from that memory,
// and a certificate with coa's subject from another CA, presented in
// between, is still verified in full and refused.
TEST_F(HubTest, ARememberedCertificateVouchesForNoOtherCertificateWithItsSubject) {
    ASSERT_NO_FATAL_FAILURE(start_hub());
    std::string id;
    {
        auto first = connected("coa");
        Response posted = first->post_xml(unique_coa_document(&id));
        ASSERT_EQ(posted.status, 202u) << describe(posted);
    }
    const size_t mark = hub_->mark();
    auto impostor = client("other-ca-coa");
    Response refused = connect_and_post(*impostor, port_, unique_coa_document(&id));
    EXPECT_EQ(refused.status, 0u) << "expected no HTTP response at all: " << describe(refused);
    EXPECT_TRUE(hub_->wait_for_event("tls_handshake_failed", mark, 10s).has_value()) << "the daemon did not log the failed handshake";

    auto again = connected("coa");
    Response posted = again->post_xml(unique_coa_document(&id));
    EXPECT_EQ(posted.status, 202u) << describe(posted);
    Response metrics = again->get("/v1/metrics");
    ASSERT_EQ(metrics.status, 200u) << describe(metrics);
    EXPECT_NE(metrics.body.find("ketenhub_tls_client_chain_cache_hits_total 1\n"), std::string::npos) << metrics.body;
    EXPECT_NE(metrics.body.find("ketenhub_tls_handshakes_total 2\n"), std::string::npos) << metrics.body;
    EXPECT_EQ(count_documents(), 2);
}

// The hub sends the certificates of its certificate file, as written, not
// a chain OpenSSL completes from the client-CA store on every handshake
// (which cost a verification of its own certificate per handshake, and every
// partner a certificate to parse that it holds as its trust anchor).
TEST_F(HubTest, TheHubSendsItsCertificateFileAsWrittenNotAChainCompletedFromTheClientCa) {
    ASSERT_NO_FATAL_FAILURE(start_hub());
    auto c = connected("coa");
    const auto sent = c->server_chain_subjects();
    ASSERT_EQ(sent.size(), 1u) << "expected only the hub's own certificate, got " << ::testing::PrintToString(sent);
    EXPECT_NE(sent[0].find("CN=localhost"), std::string::npos) << sent[0];
}

TEST_F(HubTest, ACertificateFileWithTheIssuerAppendedSendsBoth) {
    write_text(certs_ / "server-and-ca.pem", read_text(certs_ / "server.pem") + read_text(certs_ / "ca.pem"));
    ConfigOptions options = default_options();
    options.server_certificate = "server-and-ca.pem";
    ASSERT_NO_FATAL_FAILURE(start_hub(options));
    auto c = connected("coa");
    const auto sent = c->server_chain_subjects();
    ASSERT_EQ(sent.size(), 2u) << ::testing::PrintToString(sent);
    EXPECT_NE(sent[0].find("CN=localhost"), std::string::npos) << sent[0];
    EXPECT_NE(sent[1].find("CN=Ketenhub Development CA"), std::string::npos) << "the second is the issuer: " << sent[1];
}

TEST_F(HubTest, UnmappedCertificateFromOurCaIs403) {
    ASSERT_NO_FATAL_FAILURE(start_hub());  // coa and vwn; iom's certificate is valid but not configured
    auto iom = connected("iom");
    Response r = iom->post_xml(coa_sample("valid", kKosovo));
    EXPECT_EQ(r.status, 403u) << describe(r);
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    Response g = iom->get("/v1/receipts/" + random_uuid());
    EXPECT_EQ(g.status, 403u) << describe(g);
    EXPECT_EQ(count_documents(), 0);
}

// ---- the connection and the daemon itself ----------------------------------

TEST_F(HubTest, KeepAliveCarriesSeveralRequestsOnOneConnection) {
    ASSERT_NO_FATAL_FAILURE(start_hub());
    auto c = connected("coa");
    Response health = c->get("/v1/health");
    ASSERT_EQ(health.status, 200u) << describe(health);
    EXPECT_TRUE(health.keep_alive);
    std::string id;
    const std::string doc = unique_coa_document(&id);
    Response posted = c->post_xml(doc);
    ASSERT_EQ(posted.status, 202u) << describe(posted);
    EXPECT_TRUE(posted.keep_alive);
    const std::string receipt_id = posted.json().value("receipt_id", "");
    Response receipt = c->get("/v1/receipts/" + receipt_id);
    EXPECT_EQ(receipt.status, 200u) << describe(receipt);
    Response duplicate = c->post_xml(doc);
    EXPECT_EQ(duplicate.status, 200u) << describe(duplicate);
    Response metrics = c->get("/v1/metrics");
    ASSERT_EQ(metrics.status, 200u) << describe(metrics);
    // The client never reconnects, so five answers mean one connection; the
    // daemon agrees that there was a single handshake.
    EXPECT_NE(metrics.body.find("ketenhub_tls_handshakes_total 1\n"), std::string::npos) << metrics.body;
    // Both documents (the new one and the duplicate) went through the store's
    // queue and were timed on their way; at least one WAL sync made them durable.
    EXPECT_NE(metrics.body.find("ketenhub_ingest_stored_seconds_bucket{partner=\"coa\",le=\"+Inf\"} 2\n"), std::string::npos)
        << metrics.body;
    EXPECT_NE(metrics.body.find("ketenhub_store_queued_to_durable_seconds_count 2\n"), std::string::npos) << metrics.body;
    EXPECT_NE(metrics.body.find("ketenhub_store_queue_wait_seconds_count 2\n"), std::string::npos) << metrics.body;
    EXPECT_EQ(metrics.body.find("ketenhub_store_wal_sync_seconds_count 0\n"), std::string::npos) << metrics.body;
    EXPECT_NE(metrics.body.find("# TYPE ketenhub_store_wal_sync_seconds histogram\n"), std::string::npos) << metrics.body;
    // The four exchanges answered before this one, each from its header to its answer written.
    EXPECT_NE(metrics.body.find("ketenhub_http_request_seconds_count{listener=\"partner\"} 4\n"), std::string::npos)
        << metrics.body;
}

// The start-up line names the allocator: jemalloc where the build linked it,
// with the background thread on that gives memory freed after a burst back.
TEST_F(HubTest, TheStartUpLineNamesTheAllocatorAndItsBackgroundThread) {
    ASSERT_NO_FATAL_FAILURE(start_hub());
    auto listening = hub_->wait_for_event("listening", 0, 10s);
    ASSERT_TRUE(listening.has_value()) << hub_->log_text();
    EXPECT_EQ(listening->value("allocator", ""),
              std::string(KETENHUB_IT_JEMALLOC ? "jemalloc, background thread on" : "glibc malloc"))
        << listening->dump();
}

TEST_F(HubTest, HealthAndReadyAre200) {
    ASSERT_NO_FATAL_FAILURE(start_hub());
    auto c = connected("coa");
    Response health = c->get("/v1/health");
    EXPECT_EQ(health.status, 200u) << describe(health);
    EXPECT_EQ(health.json().value("status", ""), "alive") << health.body;
    Response ready = c->get("/v1/ready");
    EXPECT_EQ(ready.status, 200u) << describe(ready);
    EXPECT_EQ(ready.json().value("status", ""), "ready") << ready.body;
}

TEST_F(HubTest, SigtermFinishesTheRequestInFlightRefusesNewConnectionsAndExitsZero) {
    ASSERT_NO_FATAL_FAILURE(start_hub());
    // An idle keep-alive connection: the drain closes it rather than wait for it.
    auto idle = connected("coa");
    ASSERT_EQ(idle->get("/v1/health").status, 200u);

    std::string id;
    const std::string doc = unique_coa_document(&id);
    const std::string text = http_request_text("POST", "/v1/messages", doc, "application/xml");
    const size_t half = text.find("\r\n\r\n") + 4 + doc.size() / 2;
    auto busy = connected("coa");
    ASSERT_EQ(busy->send_raw(text.substr(0, half)), "");
    std::this_thread::sleep_for(200ms);  // ordering only: let the daemon take the header

    const size_t mark = hub_->mark();
    hub_->signal(SIGTERM);
    ASSERT_TRUE(hub_->wait_for_event("shutting_down", mark, 30s).has_value()) << "no \"shutting_down\" after SIGTERM";
    std::this_thread::sleep_for(200ms);

    // No new connection is served any more.
    auto late = client("coa");
    Response refused = connect_and_post(*late, port_, unique_coa_document());
    EXPECT_EQ(refused.status, 0u) << "a connection made after SIGTERM was served: " << describe(refused);

    // The request in flight is finished and answered.
    ASSERT_EQ(busy->send_raw(text.substr(half)), "");
    Response r = busy->read_response();
    EXPECT_EQ(r.status, 202u) << describe(r);
    EXPECT_EQ(r.json().value("message_id", ""), id) << r.body;
    EXPECT_FALSE(r.keep_alive) << "an answer given while draining should close the connection";
    busy->close();
    idle->close();

    auto code = hub_->wait_exit(60s);
    ASSERT_TRUE(code.has_value()) << "the daemon still runs 60 s after SIGTERM";
    EXPECT_EQ(*code, 0);
    auto stopped = hub_->wait_for_event("stopped", mark, 5s);
    ASSERT_TRUE(stopped.has_value()) << "no \"stopped\" event";
    EXPECT_TRUE(stopped->value("clean", false)) << "the drain ended by its deadline: " << *stopped;
    EXPECT_EQ(count_documents("message_id = '" + id + "'"), 1);
}

TEST_F(HubTest, SighupRefusesABrokenConfigAndAppliesAGoodOne) {
    ASSERT_NO_FATAL_FAILURE(start_hub());
    EXPECT_EQ(connected("iom")->post_xml(unique_coa_document()).status, 403u) << "iom is not configured yet";

    // A broken config is refused and the old one keeps serving.
    write_text(config_path_, "<?xml version=\"1.0\"?>\n<ketenhub xmlns=\"urn:ketenhub:config:1\">\n  <listener\n");
    size_t mark = hub_->mark();
    hub_->signal(SIGHUP);
    ASSERT_TRUE(hub_->wait_for_event("reload_refused", mark, 30s).has_value()) << "no \"reload_refused\" after SIGHUP";
    EXPECT_FALSE(hub_->wait_for_event("reloaded", mark, 0ms).has_value()) << "a broken config was applied";
    ASSERT_TRUE(hub_->running()) << "the daemon died on a broken config";
    Response still = connected("coa")->post_xml(unique_coa_document());  // a new connection
    EXPECT_EQ(still.status, 202u) << describe(still);
    EXPECT_EQ(connected("iom")->post_xml(unique_coa_document()).status, 403u);

    // A good, changed config: iom is mapped now (to coa's plugin, which takes
    // the COA document sent here).
    auto options = default_options();
    options.partners.push_back({"iom", "iom", "ketenhub_adapter_coa.so"});
    write_config(options);
    mark = hub_->mark();
    hub_->signal(SIGHUP);
    auto reloaded = hub_->wait_for_event("reloaded", mark, 30s);
    ASSERT_TRUE(reloaded.has_value()) << "no \"reloaded\" after SIGHUP with a good config";
    EXPECT_EQ(reloaded->value("partners", 0), 3) << *reloaded;
    Response iom = connected("iom")->post_xml(unique_coa_document());
    EXPECT_EQ(iom.status, 202u) << describe(iom);
    EXPECT_EQ(iom.json().value("partner", ""), "iom") << iom.body;
    Response coa = connected("coa")->post_xml(unique_coa_document());
    EXPECT_EQ(coa.status, 202u) << describe(coa);
    EXPECT_EQ(count_documents("partner = 'iom'"), 1);
}

TEST_F(HubTest, ConfigCheckAcceptsAGoodConfigAndNamesFileAndLineOfAnUnknownAttribute) {
    write_config(default_options());
    CommandResult good = run_command({ketenhub_binary(), "config", "check", "--config", config_path_.string()});
    EXPECT_EQ(good.exit_code, 0) << good.output;
    EXPECT_NE(good.output.find("OK"), std::string::npos) << good.output;

    auto options = default_options();
    options.extra_listener_attributes = "colour=\"blue\"";
    const std::string text = render_config(options);
    const auto line = 1 + std::count(text.begin(), text.begin() + text.find("colour="), '\n');
    const fs::path bad = dir_ / "unknown-attribute.xml";
    write_text(bad, text);
    CommandResult refused = run_command({ketenhub_binary(), "config", "check", "--config", bad.string()});
    EXPECT_NE(refused.exit_code, 0) << refused.output;
    EXPECT_NE(refused.output.find(bad.string() + ":" + std::to_string(line)), std::string::npos)
        << "expected " << bad.string() << ":" << line << " in:\n" << refused.output;
    EXPECT_NE(refused.output.find("colour"), std::string::npos) << refused.output;
}

TEST_F(HubTest, TwentyConcurrentConnectionsAreAllAccepted) {
    ASSERT_NO_FATAL_FAILURE(start_hub());
    constexpr int kClients = 20;
    std::vector<std::string> ids(kClients), docs(kClients);
    for (int i = 0; i < kClients; ++i) docs[i] = unique_coa_document(&ids[i]);
    std::vector<Response> answers(kClients);
    std::latch connected_all(kClients);  // every connection is up before anyone posts
    std::vector<std::thread> threads;
    for (int i = 0; i < kClients; ++i) {
        threads.emplace_back([&, i] {
            auto c = client("coa");
            std::string err = c->connect(port_);
            connected_all.arrive_and_wait();
            if (!err.empty()) {
                answers[i].error = err;
                return;
            }
            answers[i] = c->post_xml(docs[i]);
        });
    }
    for (auto& t : threads) t.join();
    std::set<std::string> receipts;
    for (int i = 0; i < kClients; ++i) {
        EXPECT_EQ(answers[i].status, 202u) << "client " << i << ": " << describe(answers[i]);
        EXPECT_EQ(answers[i].json().value("message_id", ""), ids[i]) << answers[i].body;
        receipts.insert(answers[i].json().value("receipt_id", ""));
    }
    EXPECT_EQ(receipts.size(), static_cast<size_t>(kClients));
    EXPECT_EQ(count_documents(), kClients);
}

}  // namespace
}  // namespace ketenhub::it
