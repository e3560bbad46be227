// The outbound path end to end inside one process, on a controlled clock:
// partner documents through the real adapters into the real SQLite store,
// routing over the event flow, the outbox, and delivery over real HTTPS with
// mutual TLS to a partner endpoint started by the test (the hub's own server
// code, with a certificate from the development CA); mailbox messages for
// pull partners; the four-weekly DT&V report when its period has ended.
#include "adapter_harness.hpp"
#include "common/clock.hpp"
#include "common/ids.hpp"
#include "config/config.hpp"
#include "net/https_client.hpp"
#include "net/https_server.hpp"
#include "outbound/outbound_service.hpp"
#include "partners/partner_registry.hpp"
#include "store/sqlite_store.hpp"

#include <ketenhub/sdk/dates.hpp>
#include <ketenhub/sdk/xml.hpp>

#include "ingest/ingest_service.hpp"

#include "common/metrics.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace ketenhub;
using namespace ketenhub::testing;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::chrono::system_clock::time_point at(const std::string& rfc3339) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(*sdk::dates::parse_timestamp(rfc3339)));
}

// A port nobody listens on: bound once by the kernel, then released.
uint16_t unused_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

struct Received {
    std::string target, body, message_id, type, client, content_type;
    std::string remote;  // the hub's address:port: one per connection
};

// A partner's endpoint: records what arrives, answers from a script.
class Endpoint {
public:
    Endpoint(const fs::path& certs, const std::string& server_name = "partner-endpoint",
             std::chrono::milliseconds idle_timeout = 30s) {
        config::ListenerConfig l;
        l.address = "127.0.0.1";
        l.port = 0;
        l.threads = 1;
        l.idle_timeout = idle_timeout;
        l.tls = {(certs / "ca.pem").string(), (certs / (server_name + ".pem")).string(),
                 (certs / (server_name + "-key.pem")).string()};
        auto tls = net::make_server_tls(l.tls);
        EXPECT_TRUE(tls) << tls.error().message;
        server_ = std::make_unique<net::HttpsServer>(l, *tls, [this](net::HttpRequest rq, const net::Peer& peer, net::Respond respond) {
            net::HttpResponse r;
            {
                std::lock_guard lock(mutex_);
                received_.push_back({rq.target, rq.body, rq.header("Ketenhub-Message-Id"), rq.header("Ketenhub-Message-Type"),
                                     peer.certificate.subject, rq.content_type, peer.remote});
                r.status = answers_.empty() ? 202 : answers_.front();
                if (!answers_.empty()) answers_.pop_front();
            }
            r.body = r.status < 300 ? R"({"receipt":"endpoint-)" + std::to_string(count()) + "\"}" : R"({"error":"as scripted"})";
            if (r.status == 503) r.headers.emplace_back("Retry-After", "30");
            respond(std::move(r));
        });
        auto st = server_->start();
        EXPECT_TRUE(st) << (st ? "" : st.error().message);
    }
    ~Endpoint() { server_->drain(1s); }
    uint16_t port() const { return server_->port(); }
    void script(std::initializer_list<unsigned> answers) {
        std::lock_guard lock(mutex_);
        answers_.assign(answers);
    }
    size_t count() const {
        std::lock_guard lock(mutex_);
        return received_.size();
    }
    Received get(size_t i) const {
        std::lock_guard lock(mutex_);
        return received_.at(i);
    }

private:
    mutable std::mutex mutex_;
    std::deque<unsigned> answers_;
    std::vector<Received> received_;
    std::unique_ptr<net::HttpsServer> server_;
};

class Outbound : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        certs_ = fs::temp_directory_path() / ("kh-outbound-certs-" + std::to_string(::getpid()));
        fs::remove_all(certs_);
        const std::string cmd = "bash " + source_dir() + "/scripts/gen-dev-certs.sh " + certs_.string() + " >/dev/null";
        ASSERT_EQ(std::system(cmd.c_str()), 0);
    }
    static void TearDownTestSuite() { fs::remove_all(certs_); }

    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kh-outbound-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        endpoint_ = std::make_unique<Endpoint>(certs_);
    }
    void TearDown() override {
        engine_.reset();
        store_.reset();
        endpoint_.reset();
        fs::remove_all(dir_);
    }

    // The hub as the daemon would build it from this config. `coa_url`
    // overrides COA's push address (an unreachable one, say).
    void start(unsigned max_attempts = 12, std::string coa_url = "") {
        const std::string base = "https://localhost:" + std::to_string(endpoint_->port());
        if (coa_url.empty()) coa_url = base + "/coa/status";
        const std::string c = certs_.string();
        std::string xml = R"(<?xml version="1.0"?>
<ketenhub xmlns="urn:ketenhub:config:1">
  <node id="test-node"/>
  <listener address="127.0.0.1" port="0">
    <tls client-ca=")" + c + R"(/ca.pem" certificate=")" + c + R"(/server.pem" private-key=")" + c + R"(/server-key.pem"/>
  </listener>
  <storage><sqlite path=")" + (dir_ / "hub.db").string() + R"(" synchronous="normal"/></storage>
  <reference directory=")" + source_dir() + R"(/config/reference" iso3166=")" + KETENHUB_ISO3166_JSON + R"("/>
  <plugins directory=")" + build_dir() + R"(/adapters"/>
  <programme start="2010-01-01" targets=")" + source_dir() + R"(/config/reference/programme-targets-2010.txt" countries=")" +
                          source_dir() + R"(/config/reference/countries-40plus3.txt"/>
  <outbound max-attempts=")" + std::to_string(max_attempts) + R"(" initial-backoff-ms="1000" max-backoff-ms="60000" concurrency="4">
    <tls server-ca=")" + c + R"(/ca.pem" certificate=")" + c + R"(/hub-client.pem" private-key=")" + c + R"(/hub-client-key.pem"/>
    <four-weekly-report partner="dtv" first-period="2010-06-21" last-period="2010-06-21"/>
  </outbound>
  <partner code="coa"><certificate subject="CN=coa,OU=Partners,O=Ketenhub Development"/>
    <adapter plugin="ketenhub_adapter_coa.so"/><delivery><push url=")" + coa_url + R"(" timeout-ms="5000"/></delivery></partner>
  <partner code="vwn"><certificate subject="CN=vwn,OU=Partners,O=Ketenhub Development"/>
    <adapter plugin="ketenhub_adapter_vwn.so"/><delivery><mailbox/></delivery></partner>
  <partner code="iom"><certificate subject="CN=iom,OU=Partners,O=Ketenhub Development"/>
    <adapter plugin="ketenhub_adapter_iom.so"/><delivery><push url=")" + base + R"(/iom/referrals"/></delivery></partner>
  <partner code="mbt"><certificate subject="CN=mbt,OU=Partners,O=Ketenhub Development"/>
    <adapter plugin="ketenhub_adapter_mbt.so"/><delivery><mailbox/></delivery></partner>
  <partner code="dtv"><certificate subject="CN=dtv,OU=Partners,O=Ketenhub Development"/>
    <adapter plugin="ketenhub_adapter_dtv.so">
      <setting name="signing-key" path=")" + c + R"(/signing-key.pem"/>
      <setting name="signing-certificate" path=")" + c + R"(/signing.pem"/>
    </adapter><delivery><push url=")" + base + R"(/dtv"/></delivery></partner>
</ketenhub>
)";
        write_file(dir_ / "ketenhub.xml", xml);
        auto cfg = config::load((dir_ / "ketenhub.xml").string());
        ASSERT_TRUE(cfg) << cfg.error().message;
        config_ = *cfg;
        auto registry = partners::PartnerRegistry::build(config_);
        ASSERT_TRUE(registry) << registry.error().message;
        registry_ = *registry;
        auto s = store::open_sqlite({config_.sqlite.path, false, 64, 1000});
        ASSERT_TRUE(s) << s.error().message;
        store_ = std::move(*s);
        auto matrix = routing::CountryMatrix::load(config_.reference_dir + "/country-matrix.txt");
        ASSERT_TRUE(matrix) << matrix.error().message;
        matrix_ = std::move(*matrix);
        auto client = net::make_https_client(*config_.outbound.tls, 1);
        ASSERT_TRUE(client) << client.error().message;
        transport_ = std::move(*client);
        auto programme = statistics::load_programme(config_.programme->start, config_.programme->targets_file,
                                                    config_.programme->countries_file);
        engine_ = std::make_unique<outbound::OutboundEngine>(*store_, clock_, [this] { return registry_; }, matrix_,
                                                             transport_.get(),
                                                             outbound::settings_from(config_, programme.eligible_countries));
    }

    // A partner document through its adapter into the store, as the ingest path does.
    void ingest(const std::string& partner, const std::string& sample) {
        const auto* p = registry_->by_code(partner);
        ASSERT_NE(p, nullptr);
        const std::string doc = read_file(fs::path(source_dir()) / "adapters" / partner / "contract/samples/valid" / sample);
        auto decoded = p->adapter->decode(doc);
        ASSERT_TRUE(std::holds_alternative<sdk::DecodedDocument>(decoded)) << sample;
        auto& d = std::get<sdk::DecodedDocument>(decoded);
        store::IngestRequest rq = ingest::make_ingest_request(partner, doc, "application/xml", d, clock_.now_rfc3339_millis(), "");
        auto r = store_->ingest_sync(rq);
        ASSERT_TRUE(r) << r.error().message;
    }

    // A COA status message put straight into the outbox (no routing).
    int64_t enqueue_coa_status(const std::string& key) {
        outbound::OutboundComposer composer(*store_, [this] { return registry_; });
        sdk::OutboundMessage m;
        m.type = "referral_status";
        m.fields = {{"referral_number", "FO-2010-00342"}, {"coa_number", "12345678"}, {"status", "accepted"},
                    {"effective_at", "2010-06-10T14:05:22+02:00"}, {"hub_referral_id", "SDT-2010-000131"}};
        auto row = composer.compose("coa", m, key, clock_.now_unix());
        EXPECT_TRUE(row);
        EXPECT_FALSE(row->dead_on_arrival) << *row->dead_on_arrival;
        store::RoutingCommit c;
        c.cursor_name = "test";
        c.now = clock_.now_rfc3339_millis();
        c.messages.push_back(*row);
        EXPECT_TRUE(store_->commit_routing(c));
        return store_->outbox_list({})->front().id;
    }

    store::OutboxEntry entry(int64_t id) { return **store_->outbox_entry(id, true); }

    static fs::path certs_;
    fs::path dir_;
    ManualClock clock_{at("2010-07-19T08:00:00Z")};
    std::unique_ptr<Endpoint> endpoint_;
    config::Config config_;
    std::shared_ptr<const partners::PartnerRegistry> registry_;
    std::unique_ptr<store::Store> store_;
    routing::CountryMatrix matrix_;
    std::unique_ptr<outbound::Transport> transport_;
    std::unique_ptr<outbound::OutboundEngine> engine_;
};
fs::path Outbound::certs_;

TEST_F(Outbound, PushIsDeliveredOverMutualTlsAndThePartnersReceiptKept) {
    ASSERT_NO_FATAL_FAILURE(start());
    const int64_t id = enqueue_coa_status("status-1");
    EXPECT_EQ(entry(id).status, "pending");
    ASSERT_EQ(*engine_->deliver_due(), 1u);
    ASSERT_EQ(endpoint_->count(), 1u);
    const auto got = endpoint_->get(0);
    EXPECT_EQ(got.target, "/coa/status");
    EXPECT_EQ(got.client, "CN=ketenhub,OU=Hub,O=Ketenhub Development") << "the hub presents its own client certificate";
    EXPECT_EQ(got.type, "referral_status");
    const auto e = entry(id);
    EXPECT_EQ(got.message_id, e.message_id);
    EXPECT_EQ(got.body, e.body);
    EXPECT_EQ(sdk::xml::local_name(sdk::xml::Document::parse_untrusted(got.body).root()), "DoorverwijzingStatus");
    EXPECT_NE(got.body.find("<status>GEACCEPTEERD</status>"), std::string::npos);
    EXPECT_EQ(e.status, "delivered");
    EXPECT_EQ(e.attempts, 1);
    EXPECT_EQ(e.partner_receipt, R"({"receipt":"endpoint-1"})");
    EXPECT_EQ(*engine_->deliver_due(), 0u) << "delivered once";
}

TEST_F(Outbound, PushesToOneEndpointGoOverOneKeptAliveConnection) {
    ASSERT_NO_FATAL_FAILURE(start());
    const int64_t first = enqueue_coa_status("status-1");
    ASSERT_EQ(*engine_->deliver_due(), 1u);
    const int64_t second = enqueue_coa_status("status-2");
    ASSERT_EQ(*engine_->deliver_due(), 1u);
    EXPECT_EQ(entry(first).status, "delivered");
    EXPECT_EQ(entry(second).status, "delivered");
    ASSERT_EQ(endpoint_->count(), 2u);
    EXPECT_EQ(endpoint_->get(0).remote, endpoint_->get(1).remote) << "no second TCP connection and TLS handshake";
    EXPECT_EQ(endpoint_->get(1).client, "CN=ketenhub,OU=Hub,O=Ketenhub Development");
}

TEST_F(Outbound, AKeptConnectionThePartnerHasClosedIsNotUsed) {
    // A partner that closes idle connections after 200 ms.
    endpoint_ = std::make_unique<Endpoint>(certs_, "partner-endpoint", 200ms);
    ASSERT_NO_FATAL_FAILURE(start());
    const int64_t first = enqueue_coa_status("status-1");
    ASSERT_EQ(*engine_->deliver_due(), 1u);
    std::this_thread::sleep_for(700ms);
    const int64_t second = enqueue_coa_status("status-2");
    ASSERT_EQ(*engine_->deliver_due(), 1u);
    EXPECT_EQ(entry(first).status, "delivered");
    const auto e = entry(second);
    EXPECT_EQ(e.status, "delivered") << e.last_error;
    EXPECT_EQ(e.attempts, 1) << "the closed connection cost no attempt";
    ASSERT_EQ(endpoint_->count(), 2u);
    EXPECT_NE(endpoint_->get(0).remote, endpoint_->get(1).remote) << "a new connection";
}

TEST_F(Outbound, ServiceUnavailableIsRetriedAfterRetryAfterThenDelivered) {
    ASSERT_NO_FATAL_FAILURE(start());
    endpoint_->script({503, 202});
    const int64_t id = enqueue_coa_status("status-1");
    ASSERT_EQ(*engine_->deliver_due(), 1u);
    auto e = entry(id);
    EXPECT_EQ(e.status, "pending");
    EXPECT_EQ(e.last_http_status, 503);
    const int64_t now_ms = clock_.now_unix() * 1000;
    EXPECT_GE(e.next_attempt_ms, now_ms + 30000) << "Retry-After: 30 is honoured";
    EXPECT_EQ(*engine_->deliver_due(), 0u) << "not before its time";
    clock_.advance(31s);
    ASSERT_EQ(*engine_->deliver_due(), 1u);
    e = entry(id);
    EXPECT_EQ(e.status, "delivered");
    EXPECT_EQ(e.attempts, 2);
    EXPECT_EQ(endpoint_->count(), 2u);
    EXPECT_EQ(endpoint_->get(0).body, endpoint_->get(1).body) << "the same document is sent again";
    auto attempts = *store_->delivery_attempts(id);
    ASSERT_EQ(attempts.size(), 2u);
    EXPECT_EQ(attempts[0].outcome, store::DeliveryAttempt::Outcome::Retry);
    EXPECT_EQ(attempts[1].outcome, store::DeliveryAttempt::Outcome::Delivered);
}

TEST_F(Outbound, RefusalIsADeadLetterThatAnOperatorCanRequeue) {
    ASSERT_NO_FATAL_FAILURE(start());
    endpoint_->script({400, 202});
    const int64_t id = enqueue_coa_status("status-1");
    ASSERT_EQ(*engine_->deliver_due(), 1u);
    auto e = entry(id);
    EXPECT_EQ(e.status, "dead");
    EXPECT_NE(e.last_error.find("refused with HTTP 400"), std::string::npos) << e.last_error;
    clock_.advance(1h);
    EXPECT_EQ(*engine_->deliver_due(), 0u) << "a dead letter is not retried by itself";
    ASSERT_TRUE(store_->requeue_dead(id, clock_.now_unix() * 1000));
    ASSERT_EQ(*engine_->deliver_due(), 1u);
    EXPECT_EQ(entry(id).status, "delivered");
}

TEST_F(Outbound, UnreachableEndpointIsRetriedWithBackoffUntilMaxAttempts) {
    ASSERT_NO_FATAL_FAILURE(start(3, "https://localhost:" + std::to_string(unused_port()) + "/coa"));
    const int64_t id = enqueue_coa_status("status-1");
    int64_t previous_gap = 0;
    for (int attempt = 1; attempt <= 3; ++attempt) {
        ASSERT_EQ(*engine_->deliver_due(), 1u) << "attempt " << attempt;
        auto e = entry(id);
        if (attempt < 3) {
            ASSERT_EQ(e.status, "pending");
            EXPECT_NE(e.last_error.find("connect"), std::string::npos) << e.last_error;
            const int64_t gap = e.next_attempt_ms - clock_.now_unix() * 1000;
            EXPECT_GT(gap, previous_gap) << "the back-off grows";
            previous_gap = gap;
            clock_.advance(std::chrono::milliseconds(gap + 1));
        } else {
            EXPECT_EQ(e.status, "dead");
            EXPECT_NE(e.last_error.find("gave up after 3 attempts"), std::string::npos) << e.last_error;
        }
    }
    EXPECT_EQ(endpoint_->count(), 0u);
}

TEST_F(Outbound, CoaReferralToIomBecomesAReferralRequestPushedToIom) {
    ASSERT_NO_FATAL_FAILURE(start());
    ingest("coa", "doorverwijzing-iom-beridze.xml");
    ASSERT_GT(*engine_->route_pending(), 0u);
    auto referral = store_->outbox_list({.partner = std::string("iom")});
    ASSERT_EQ(referral->size(), 1u) << "one referral request to IOM";
    const auto e = entry((*referral)[0].id);
    EXPECT_EQ(e.message_type, "referral_request");
    EXPECT_EQ(e.document_type, "ReferralRequest");
    EXPECT_EQ(e.referral_id, "SDT-2010-000001");
    ASSERT_EQ(e.status, "pending") << e.last_error;
    auto stored = store_->referral("SDT-2010-000001");
    ASSERT_TRUE(stored && *stored);
    EXPECT_EQ((*stored)->receiver, "iom");
    EXPECT_EQ((*stored)->origin_partner, "coa");
    EXPECT_EQ((*stored)->person_hub_id, e.person_hub_id);
    // Routing the same events again changes nothing.
    EXPECT_EQ(*engine_->route_pending(), 0u);
    ASSERT_TRUE(engine_->deliver_due());
    bool iom_got_it = false;
    for (size_t i = 0; i < endpoint_->count(); ++i) {
        const auto got = endpoint_->get(i);
        if (got.target != "/iom/referrals") continue;
        iom_got_it = true;
        EXPECT_NE(got.body.find("SDT-2010-000001"), std::string::npos);
        EXPECT_NE(got.body.find("2046718305"), std::string::npos) << "Beridze's V-nummer";
    }
    EXPECT_TRUE(iom_got_it);
    EXPECT_EQ(entry(e.id).status, "delivered");
}

// Operators see how far routing is behind the event flow.
TEST_F(Outbound, RoutingReportsHowManyEventsItIsBehind) {
    ASSERT_NO_FATAL_FAILURE(start());
    ingest("coa", "doorverwijzing-iom-beridze.xml");
    ingest("coa", "doorverwijzing-mbt-kamara.xml");
    auto last = store_->last_event_seq();
    ASSERT_TRUE(last);
    ASSERT_GE(*last, 2);
    auto& backlog = metrics::gauge("routing_backlog_events");
    ASSERT_EQ(*engine_->route_pending(1), 1u);
    EXPECT_EQ(backlog.value(), *last - 1);
    ASSERT_EQ(*engine_->route_pending(), static_cast<size_t>(*last - 1));
    EXPECT_EQ(backlog.value(), 0);
    EXPECT_EQ(*engine_->route_pending(), 0u);
    EXPECT_EQ(backlog.value(), 0);
}

TEST_F(Outbound, CoaReferralToMbtWaitsInMbtsMailboxWithItsSequenceNumber) {
    ASSERT_NO_FATAL_FAILURE(start());
    ingest("coa", "doorverwijzing-mbt-kamara.xml");
    ASSERT_GT(*engine_->route_pending(), 0u);
    auto waiting = store_->outbox_list({.partner = std::string("mbt"), .status = std::string("waiting")});
    ASSERT_EQ(waiting->size(), 1u);
    const auto e = entry((*waiting)[0].id);
    EXPECT_EQ(e.document_type, "Verwijzing");
    EXPECT_NE(e.body.find("volgnr=\"1\""), std::string::npos) << e.body;
    EXPECT_NE(e.body.find("kenmerk=\"" + e.referral_id + "\""), std::string::npos);
    ASSERT_TRUE(engine_->deliver_due());
    for (size_t i = 0; i < endpoint_->count(); ++i) EXPECT_NE(endpoint_->get(i).target, "/mbt") << "a pull partner is never pushed to";
}

TEST_F(Outbound, FourWeeklyReportIsMadeOnceAfterItsPeriodAndDeliveredSigned) {
    ASSERT_NO_FATAL_FAILURE(start());
    clock_ = ManualClock(at("2010-07-18T12:00:00Z"));
    EXPECT_EQ(*engine_->run_schedule(), 0u) << "period 7 (2010-06-21..2010-07-18) has not ended";
    clock_ = ManualClock(at("2010-07-19T06:00:00Z"));
    ASSERT_EQ(*engine_->run_schedule(), 1u);
    EXPECT_EQ(*engine_->run_schedule(), 0u) << "made once";
    clock_ = ManualClock(at("2010-09-01T06:00:00Z"));
    EXPECT_EQ(*engine_->run_schedule(), 0u) << "last-period ends the series";
    auto reports = store_->outbox_list({.partner = std::string("dtv")});
    ASSERT_EQ(reports->size(), 1u);
    const auto e = entry((*reports)[0].id);
    ASSERT_EQ(e.status, "pending") << e.last_error;
    EXPECT_EQ(e.document_type, "VierwekelijkseRapportage");
    EXPECT_EQ(e.message_id, "SDT-20100719-00001");
    ASSERT_EQ(*engine_->deliver_due(), 1u);
    const auto got = endpoint_->get(0);
    EXPECT_EQ(got.target, "/dtv");
    EXPECT_NE(got.body.find("<periodeVan>2010-06-21</periodeVan>"), std::string::npos);
    EXPECT_NE(got.body.find("ds:Signature"), std::string::npos) << "DT&V documents are always signed";
}


TEST_F(Outbound, ASupportRequestIsAcknowledgedAndTheReportListsItFromTheHandlingDate) {
    ASSERT_NO_FATAL_FAILURE(start());
    clock_ = ManualClock(at("2010-07-10T09:00:00Z"));
    ingest("dtv", "ondersteuningsverzoek-beridze.xml");
    ASSERT_GT(*engine_->route_pending(), 0u);
    auto acks = store_->outbox_list({.partner = std::string("dtv"), .message_type = std::string("support_request_acknowledgement")});
    ASSERT_EQ(acks->size(), 1u);
    const auto ack = entry((*acks)[0].id);
    EXPECT_NE(ack.body.find("<verzoekKenmerk>DTV-20100608-00412</verzoekKenmerk>"), std::string::npos) << ack.body;
    EXPECT_NE(ack.body.find("<datumInBehandeling>2010-07-10</datumInBehandeling>"), std::string::npos);
    EXPECT_NE(ack.body.find("<behandelendeOrganisatie>SDT</behandelendeOrganisatie>"), std::string::npos)
        << "no consent on record covers IOM yet: the programme office handles it";
    EXPECT_NE(ack.body.find("ds:Signature"), std::string::npos);
    // Routed again (a replay): nothing new.
    ASSERT_TRUE(store_->commit_routing([] { store::RoutingCommit c; c.cursor_name = "routing"; c.cursor = 0; c.now = "t"; return c; }()));
    ASSERT_TRUE(engine_->route_pending());
    EXPECT_EQ(store_->outbox_list({.partner = std::string("dtv")})->size(), 1u);

    clock_ = ManualClock(at("2010-07-19T06:00:00Z"));
    ASSERT_EQ(*engine_->run_schedule(), 1u);
    auto reports = store_->outbox_list({.partner = std::string("dtv"), .message_type = std::string("four_weekly_report")});
    ASSERT_EQ(reports->size(), 1u);
    const auto report = entry((*reports)[0].id);
    const auto in_guidance = report.body.substr(0, report.body.find("NietInBegeleiding"));
    EXPECT_NE(in_guidance.find("<vNummer>2046718305</vNummer>"), std::string::npos)
        << "taken into handling in period 7: in guidance\n" << report.body;
}

}  // namespace
