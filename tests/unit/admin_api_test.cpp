// The admin listener without a network: <admin> in the config, who counts as
// an operator (certificate or HTTP Basic), and each endpoint's answer on a
// real SQLite store with hand-made COA documents.
#include "adapter_harness.hpp"
#include "admin/admin_api.hpp"
#include "common/ids.hpp"
#include "config/config.hpp"
#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <limits>

#include <filesystem>

using namespace ketenhub;
using namespace ketenhub::testing;
namespace fs = std::filesystem;

namespace {

const std::string kOperatorSubject = "CN=operator,OU=Operators,O=Ketenhub Development";
const std::string kOperatorSha256 = std::string(64, 'a');

std::string basic(const std::string& user_password) {
    static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < user_password.size(); i += 3) {
        unsigned n = (static_cast<unsigned char>(user_password[i]) << 16) |
                     (static_cast<unsigned char>(user_password[i + 1]) << 8) | static_cast<unsigned char>(user_password[i + 2]);
        out += {k[n >> 18], k[(n >> 12) & 63], k[(n >> 6) & 63], k[n & 63]};
    }
    if (size_t rest = user_password.size() - i) {
        unsigned n = static_cast<unsigned char>(user_password[i]) << 16;
        if (rest == 2) n |= static_cast<unsigned char>(user_password[i + 1]) << 8;
        out += {k[n >> 18], k[(n >> 12) & 63], rest == 2 ? k[(n >> 6) & 63] : '=', '='};
    }
    return "Basic " + out;
}

net::Peer peer(const std::string& subject = "", const std::string& sha256 = "") {
    net::Peer p;
    p.certificate.subject = subject;
    p.certificate.sha256 = sha256;
    p.remote = "127.0.0.1:5000";
    return p;
}

net::HttpRequest get(const std::string& target, const std::string& authorization = "") {
    net::HttpRequest rq;
    rq.method = "GET";
    rq.target = target;
    rq.authorization = authorization;
    return rq;
}

admin::AdminSettings settings_with(std::vector<config::CertificateIdentity> operators,
                                   std::vector<config::Credential> credentials) {
    admin::AdminSettings s;
    s.node_id = "test-node";
    s.operators = std::move(operators);
    s.credentials = std::move(credentials);
    return s;
}

config::Credential credential(const std::string& user, const std::string& password) {
    return {user, sha256_hex(password), 1};
}

// ---- Who is an operator -------------------------------------------------------

TEST(AdminAuthentication, AListedOperatorCertificateIsLetIn) {
    auto s = settings_with({{kOperatorSubject, std::nullopt, 1}}, {});
    auto a = admin::authenticate(s, get("/"), peer(kOperatorSubject, kOperatorSha256));
    EXPECT_EQ(a.status, 0u);
    EXPECT_EQ(a.who, kOperatorSubject);
    EXPECT_EQ(a.method, "certificate");
}

TEST(AdminAuthentication, AnOperatorListedByFingerprintMustMatchIt) {
    auto s = settings_with({{std::nullopt, kOperatorSha256, 1}}, {});
    EXPECT_EQ(admin::authenticate(s, get("/"), peer("CN=anyone", kOperatorSha256)).status, 0u);
    EXPECT_EQ(admin::authenticate(s, get("/"), peer("CN=anyone", std::string(64, 'b'))).status, 403u);
    // Subject and fingerprint together: both must match.
    auto both = settings_with({{kOperatorSubject, kOperatorSha256, 1}}, {});
    EXPECT_EQ(admin::authenticate(both, get("/"), peer(kOperatorSubject, std::string(64, 'b'))).status, 403u);
    EXPECT_EQ(admin::authenticate(both, get("/"), peer(kOperatorSubject, kOperatorSha256)).status, 0u);
}

TEST(AdminAuthentication, AnotherCertificateFromTheAdminCaIsForbidden) {
    auto s = settings_with({{kOperatorSubject, std::nullopt, 1}}, {});
    auto a = admin::authenticate(s, get("/"), peer("CN=coa,OU=Partners,O=Ketenhub Development", kOperatorSha256));
    EXPECT_EQ(a.status, 403u);
    EXPECT_NE(a.reason.find("CN=coa"), std::string::npos) << a.reason;
}

TEST(AdminAuthentication, WithNoOperatorListedAnyCertificateFromTheAdminCaIsAnOperator) {
    auto s = settings_with({}, {});
    EXPECT_EQ(admin::authenticate(s, get("/"), peer("CN=someone", kOperatorSha256)).status, 0u);
}

TEST(AdminAuthentication, ABasicCredentialLetsInWithoutACertificate) {
    auto s = settings_with({{kOperatorSubject, std::nullopt, 1}}, {credential("ops", "correct horse"), credential("eva", "x:y")});
    auto a = admin::authenticate(s, get("/", basic("ops:correct horse")), peer());
    EXPECT_EQ(a.status, 0u);
    EXPECT_EQ(a.who, "ops");
    EXPECT_EQ(a.method, "basic");
    // The password may contain a colon; the user name cannot.
    EXPECT_EQ(admin::authenticate(s, get("/", basic("eva:x:y")), peer()).status, 0u);
    // The scheme is case-insensitive.
    std::string lower = basic("ops:correct horse");
    lower.replace(0, 5, "basic");
    EXPECT_EQ(admin::authenticate(s, get("/", lower), peer()).status, 0u);
}

TEST(AdminAuthentication, AWrongOrMalformedCredentialIsUnauthorized) {
    auto s = settings_with({}, {credential("ops", "correct horse")});
    EXPECT_EQ(admin::authenticate(s, get("/", basic("ops:wrong")), peer()).status, 401u);
    EXPECT_EQ(admin::authenticate(s, get("/", basic("eve:correct horse")), peer()).status, 401u);
    // Another user's password does not do either.
    auto two = settings_with({}, {credential("ops", "one"), credential("eva", "two")});
    EXPECT_EQ(admin::authenticate(two, get("/", basic("ops:two")), peer()).status, 401u);
    EXPECT_EQ(admin::authenticate(s, get("/", "Basic !!!!"), peer()).status, 401u);
    EXPECT_EQ(admin::authenticate(s, get("/", "Basic b3Bz"), peer()).status, 401u);  // "ops", no colon
    EXPECT_EQ(admin::authenticate(s, get("/", "Bearer abc"), peer()).status, 401u);
    EXPECT_EQ(admin::authenticate(s, get("/"), peer()).status, 401u);
}

TEST(AdminAuthentication, AnUnlistedCertificateMayStillSignInWithACredential) {
    auto s = settings_with({{kOperatorSubject, std::nullopt, 1}}, {credential("ops", "pw")});
    EXPECT_EQ(admin::authenticate(s, get("/", basic("ops:pw")), peer("CN=coa", kOperatorSha256)).status, 0u);
    EXPECT_EQ(admin::authenticate(s, get("/", basic("ops:no")), peer("CN=coa", kOperatorSha256)).status, 401u);
    EXPECT_EQ(admin::authenticate(s, get("/"), peer("CN=coa", kOperatorSha256)).status, 403u);
}

TEST(AdminAuthentication, WithoutConfiguredCredentialsBasicIsNotConsidered) {
    auto s = settings_with({{kOperatorSubject, std::nullopt, 1}}, {});
    EXPECT_EQ(admin::authenticate(s, get("/", basic("ops:pw")), peer("CN=coa", kOperatorSha256)).status, 403u);
}

// ---- Periods ------------------------------------------------------------------

TEST(AdminPeriods, TheProgrammeYearEndsTheDayBeforeTheAnniversary) {
    EXPECT_EQ(admin::programme_year("2010-01-01"), std::make_pair(std::string("2010-01-01"), std::string("2010-12-31")));
    EXPECT_EQ(admin::programme_year("2010-07-01"), std::make_pair(std::string("2010-07-01"), std::string("2011-06-30")));
    EXPECT_EQ(admin::programme_year("2012-02-29"), std::make_pair(std::string("2012-02-29"), std::string("2013-02-28")));
}

TEST(AdminPeriods, FourWeekPeriodsStartAtFromAndTheLastEndsAtTo) {
    auto p = admin::four_week_periods("2010-01-01", "2010-12-31");
    ASSERT_EQ(p.size(), 14u);  // 13 x 28 days + 1
    EXPECT_EQ(p[0], std::make_pair(std::string("2010-01-01"), std::string("2010-01-28")));
    EXPECT_EQ(p[1], std::make_pair(std::string("2010-01-29"), std::string("2010-02-25")));
    EXPECT_EQ(p[12].second, "2010-12-30");
    EXPECT_EQ(p[13], std::make_pair(std::string("2010-12-31"), std::string("2010-12-31")));
    EXPECT_EQ(admin::four_week_periods("2010-01-01", "2010-01-28").size(), 1u);
    EXPECT_TRUE(admin::four_week_periods("2010-02-01", "2010-01-01").empty());
    EXPECT_TRUE(admin::four_week_periods("2010-02-30", "2010-03-01").empty());
}

// ---- The <admin> element ----------------------------------------------------------

class AdminConfigTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kh-admin-config-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
        for (const char* f : {"ca.pem", "server.pem", "server-key.pem"}) write_file(dir_ / f, "placeholder");
        write_file(dir_ / "operators-ca.pem", "another placeholder");
    }
    void TearDown() override { fs::remove_all(dir_); }

    Result<config::Config> load(const std::string& admin) {
        write_file(dir_ / "ketenhub.xml", R"(<?xml version="1.0"?>
<ketenhub xmlns="urn:ketenhub:config:1">
  <listener address="127.0.0.1" port="8443">
    <tls client-ca="ca.pem" certificate="server.pem" private-key="server-key.pem"/>
  </listener>
)" + admin + R"(
  <storage><sqlite path="data/hub.db"/></storage>
  <reference directory=")" + source_dir() + R"(/config/reference"/>
  <plugins directory=")" + build_dir() + R"(/adapters"/>
  <partner code="coa">
    <certificate subject="CN=coa,OU=Partners,O=Ketenhub Development"/>
    <adapter plugin="ketenhub_adapter_coa.so"/>
  </partner>
</ketenhub>
)");
        return config::load((dir_ / "ketenhub.xml").string());
    }
    std::string file() const { return (dir_ / "ketenhub.xml").string(); }

    fs::path dir_;
};

TEST_F(AdminConfigTest, WithoutAdminThereIsNoAdminListener) {
    auto r = load("");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->admin);
}

TEST_F(AdminConfigTest, AdminIsReadWithOperatorsAndCredentials) {
    const std::string hash = sha256_hex("pw");
    auto r = load(R"(  <admin address="127.0.0.1" port="8444">
    <tls client-ca="ca.pem" certificate="server.pem" private-key="server-key.pem"/>
    <operator subject=")" + kOperatorSubject + R"("/>
    <operator sha256="AA:)" + std::string(62, 'B') + R"("/>
    <credential user="ops" password-sha256=")" + hash + R"("/>
  </admin>)");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->admin);
    EXPECT_EQ(r->admin->listener.address, "127.0.0.1");
    EXPECT_EQ(r->admin->listener.port, 8444);
    EXPECT_EQ(r->admin->listener.threads, 1u);
    EXPECT_EQ(r->admin->listener.tls.client_ca, (dir_ / "ca.pem").string());
    ASSERT_EQ(r->admin->operators.size(), 2u);
    EXPECT_EQ(r->admin->operators[0].subject, kOperatorSubject);
    EXPECT_EQ(r->admin->operators[1].sha256, "aa" + std::string(62, 'b'));
    ASSERT_EQ(r->admin->credentials.size(), 1u);
    EXPECT_EQ(r->admin->credentials[0].user, "ops");
    EXPECT_EQ(r->admin->credentials[0].password_sha256, hash);
}

TEST_F(AdminConfigTest, MistakesAreRefusedWithFileAndLine) {
    const std::string hash = sha256_hex("pw");
    // Twice the same user (line 9).
    auto twice = load(R"(  <admin address="127.0.0.1" port="8444">
    <tls client-ca="operators-ca.pem" certificate="server.pem" private-key="server-key.pem"/>
    <credential user="ops" password-sha256=")" + hash + R"("/>
    <credential user="ops" password-sha256=")" + hash + R"("/>
  </admin>)");
    ASSERT_FALSE(twice);
    EXPECT_NE(twice.error().message.find(file() + ":9:"), std::string::npos) << twice.error().message;
    EXPECT_NE(twice.error().message.find("given twice"), std::string::npos) << twice.error().message;

    // Not a SHA-256.
    auto bad_hash = load(R"(  <admin address="127.0.0.1" port="8444">
    <tls client-ca="operators-ca.pem" certificate="server.pem" private-key="server-key.pem"/>
    <credential user="ops" password-sha256="plaintext"/>
  </admin>)");
    ASSERT_FALSE(bad_hash);
    EXPECT_NE(bad_hash.error().message.find(file() + ":8:"), std::string::npos) << bad_hash.error().message;

    // The partner listener's port.
    auto same_port = load(R"(  <admin address="127.0.0.1" port="8443">
    <tls client-ca="operators-ca.pem" certificate="server.pem" private-key="server-key.pem"/>
  </admin>)");
    ASSERT_FALSE(same_port);
    EXPECT_NE(same_port.error().message.find("port of its own"), std::string::npos) << same_port.error().message;

    // An unknown element, misplaced elements.
    auto unknown = load(R"(  <admin address="127.0.0.1" port="8444">
    <tls client-ca="operators-ca.pem" certificate="server.pem" private-key="server-key.pem"/>
    <password>secret</password>
  </admin>)");
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find(file() + ":8:"), std::string::npos) << unknown.error().message;
}

TEST_F(AdminConfigTest, ThePartnersCaWithoutListedOperatorsIsRefused) {
    // Every partner certificate would be an operator.
    auto r = load(R"(  <admin address="127.0.0.1" port="8444">
    <tls client-ca="ca.pem" certificate="server.pem" private-key="server-key.pem"/>
  </admin>)");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find(file() + ":7:"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("every partner certificate would be an operator"), std::string::npos)
        << r.error().message;
    // A copy of the same CA under another name is the same CA.
    write_file(dir_ / "copy-of-ca.pem", "placeholder");
    EXPECT_FALSE(load(R"(  <admin address="127.0.0.1" port="8444">
    <tls client-ca="copy-of-ca.pem" certificate="server.pem" private-key="server-key.pem"/>
  </admin>)"));
    // Its own CA, or the partners' CA with listed operators: fine.
    EXPECT_TRUE(load(R"(  <admin address="127.0.0.1" port="8444">
    <tls client-ca="operators-ca.pem" certificate="server.pem" private-key="server-key.pem"/>
  </admin>)"));
    EXPECT_TRUE(load(R"(  <admin address="127.0.0.1" port="8444">
    <tls client-ca="ca.pem" certificate="server.pem" private-key="server-key.pem"/>
    <operator subject=")" + kOperatorSubject + R"("/>
  </admin>)"));
}

// ---- The endpoints, on a real store ------------------------------------------------

sdk::Event helpdesk_question(const std::string& date, const std::string& message) {
    sdk::Event e;
    e.type = sdk::event_type::kHelpdeskQuestion;
    e.event_date = date;
    e.source = {"coa", "HelpdeskVraag", message, message, 3};
    return e;
}

store::IngestRequest coa_document(const std::string& message, const std::string& date, bool with_rejected = false) {
    store::IngestRequest rq;
    rq.receipt_id = "r-" + message;
    rq.partner = "coa";
    rq.document_key = message;
    rq.message_id = message;
    rq.document_type = "HelpdeskVraag";
    rq.content_type = "application/xml";
    rq.body = "<HelpdeskVraag/>";
    rq.body_sha256 = "00";
    rq.received_at = date + "T10:00:00.000Z";
    rq.peer_identity = "CN=coa";
    sdk::Record r;
    r.record_id = message;
    r.line = 2;
    r.events.push_back(helpdesk_question(date, message));
    rq.records.push_back(std::move(r));
    if (with_rejected) {
        sdk::Record bad;
        bad.record_id = message + "-2";
        bad.accepted = false;
        bad.problems.push_back({9, "/HelpdeskVraag/land", "unknown country"});
        rq.records.push_back(std::move(bad));
    }
    return rq;
}

class AdminApiTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kh-admin-api-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        auto s = store::open_sqlite({(dir_ / "hub.db").string(), false, 64, 1000});
        ASSERT_TRUE(s) << s.error().message;
        store_ = std::move(*s);
        for (auto rq : {coa_document("q1", "2010-01-05"), coa_document("q2", "2010-02-10", true),
                        coa_document("q3", "2011-03-01")})
            ASSERT_TRUE(store_->ingest_sync(rq));

        auto settings = std::make_shared<admin::AdminSettings>(
            settings_with({{kOperatorSubject, std::nullopt, 1}}, {credential("ops", "pw")}));
        const std::string ref = source_dir() + "/config/reference/";
        settings->programme = statistics::load_programme("2010-01-01", ref + "programme-targets-2010.txt",
                                                         ref + "countries-40plus3.txt");
        settings->partners = {{"coa", "COA Helpdesk"}, {"vwn", "VluchtelingenWerk"}};
        settings_ = settings;
        api_ = std::make_unique<admin::AdminApi>(*store_, settings_);
    }
    void TearDown() override {
        api_.reset();
        store_.reset();
        fs::remove_all(dir_);
    }

    net::HttpResponse call(const std::string& target, const std::string& method = "GET",
                           const net::Peer& who = peer(kOperatorSubject, kOperatorSha256)) {
        auto rq = get(target);
        rq.method = method;
        net::HttpResponse out;
        bool answered = false;
        api_->handle(rq, who, [&](net::HttpResponse r) {
            out = std::move(r);
            answered = true;
        });
        EXPECT_TRUE(answered);
        return out;
    }
    static sdk::Json body(const net::HttpResponse& r) { return sdk::Json::parse(r.body); }
    static std::string header(const net::HttpResponse& r, const std::string& name) {
        for (const auto& [k, v] : r.headers)
            if (k == name) return v;
        return {};
    }
    static long achieved(const sdk::Json& funnel, const std::string& key) {
        for (const auto& f : funnel)
            if (f["key"] == key) return f["achieved"].get<long>();
        return -1;
    }

    fs::path dir_;
    std::unique_ptr<store::Store> store_;
    std::shared_ptr<const admin::AdminSettings> settings_;
    std::unique_ptr<admin::AdminApi> api_;
};

TEST_F(AdminApiTest, WithoutAnOperatorNothingIsAnswered) {
    auto r = call("/admin/api/funnel", "GET", peer());
    EXPECT_EQ(r.status, 401u);
    EXPECT_EQ(header(r, "WWW-Authenticate").rfind("Basic realm=", 0), 0u);
    EXPECT_EQ(r.body.find("helpdesk"), std::string::npos);
    auto forbidden = call("/", "GET", peer("CN=coa,OU=Partners,O=Ketenhub Development", kOperatorSha256));
    EXPECT_EQ(forbidden.status, 403u);
    EXPECT_EQ(forbidden.body.find("<html"), std::string::npos);
}

TEST_F(AdminApiTest, TheFunnelIsTheCliJsonForTheProgrammeYearByDefault) {
    auto r = call("/admin/api/funnel");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(header(r, "Cache-Control"), "no-store");
    auto facts = store_->facts();
    ASSERT_TRUE(facts);
    const auto expected = statistics::to_json(
        statistics::funnel(*facts, "2010-01-01", "2010-12-31", *settings_->programme, statistics::Breakdown::None),
        statistics::Breakdown::None);
    EXPECT_EQ(body(r), expected);
    EXPECT_EQ(achieved(body(r), "helpdesk_questions"), 2);

    auto later = call("/admin/api/funnel?from=2011-01-01&to=2011-12-31");
    ASSERT_EQ(later.status, 200u) << later.body;
    EXPECT_EQ(achieved(body(later), "helpdesk_questions"), 1);
}

TEST_F(AdminApiTest, AWrongPeriodIsABadRequest) {
    EXPECT_EQ(call("/admin/api/funnel?from=2010-13-01&to=2010-12-31").status, 400u);
    EXPECT_EQ(call("/admin/api/funnel?from=2010-12-31&to=2010-01-01").status, 400u);
    EXPECT_EQ(call("/admin/api/trend?from=yesterday").status, 400u);
    EXPECT_EQ(call("/admin/api/trend?from=1990-01-01&to=2030-12-31").status, 400u);  // too many periods
}

TEST_F(AdminApiTest, TheTrendCountsEachFourWeekPeriod) {
    auto r = call("/admin/api/trend?from=2010-01-01&to=2010-03-01");
    ASSERT_EQ(r.status, 200u) << r.body;
    auto t = body(r);
    EXPECT_EQ(t["period_days"], 28);
    EXPECT_EQ(t["keys"].size(), statistics::funnel_keys().size());
    EXPECT_EQ(t["targets"]["returns"], 266);
    EXPECT_TRUE(t["targets"]["helpdesk_questions"].is_null());
    ASSERT_EQ(t["periods"].size(), 3u);
    EXPECT_EQ(t["periods"][0]["from"], "2010-01-01");
    EXPECT_EQ(t["periods"][0]["to"], "2010-01-28");
    EXPECT_EQ(t["periods"][2]["to"], "2010-03-01");
    EXPECT_EQ(t["periods"][2]["days"], 4);
    EXPECT_EQ(t["periods"][0]["achieved"]["helpdesk_questions"], 1);
    EXPECT_EQ(t["periods"][1]["achieved"]["helpdesk_questions"], 1);
    EXPECT_EQ(t["periods"][2]["achieved"]["helpdesk_questions"], 0);
}

TEST_F(AdminApiTest, PartnersShowTheLastDocumentAndRecordOutcomes) {
    auto r = call("/admin/api/partners");
    ASSERT_EQ(r.status, 200u) << r.body;
    auto list = body(r);
    ASSERT_EQ(list.size(), 2u);
    const auto& coa = list[0];
    EXPECT_EQ(coa["code"], "coa");
    EXPECT_EQ(coa["name"], "COA Helpdesk");
    EXPECT_EQ(coa["documents"], 3);
    EXPECT_EQ(coa["last_document"]["message_id"], "q3");
    EXPECT_EQ(coa["last_document"]["document_type"], "HelpdeskVraag");
    EXPECT_EQ(coa["last_document"]["received_at"], "2011-03-01T10:00:00.000Z");
    EXPECT_EQ(coa["records"]["accepted"], 3);
    EXPECT_EQ(coa["records"]["rejected"], 1);
    EXPECT_DOUBLE_EQ(coa["record_error_rate"].get<double>(), 0.25);
    EXPECT_EQ(coa["outbox_depth"], 0) << "nothing was routed to COA";
    EXPECT_EQ(coa["dead_letters"], 0);
    const auto& vwn = list[1];
    EXPECT_EQ(vwn["code"], "vwn");
    EXPECT_EQ(vwn["documents"], 0);
    EXPECT_TRUE(vwn["last_document"].is_null());
    EXPECT_TRUE(vwn["record_error_rate"].is_null());
}

TEST_F(AdminApiTest, DtvDeliveriesAreEmptyBeforeAnythingWasSentToDtv) {
    auto r = call("/admin/api/dtv-deliveries");
    ASSERT_EQ(r.status, 200u);
    EXPECT_EQ(body(r)["partner"], "dtv");
    EXPECT_TRUE(body(r)["deliveries"].empty());
}

TEST_F(AdminApiTest, OutboxDepthDeadLettersAndDtvDeliveriesComeFromTheOutbox) {
    auto message = [](const std::string& partner, store::Delivery d, const std::string& key) {
        store::NewOutboxMessage m;
        m.partner = partner;
        m.delivery = d;
        m.message_type = partner == "dtv" ? "four_weekly_report" : "referral_status";
        m.message_id = "id-" + key;
        m.document_type = partner == "dtv" ? "VierwekelijkseRapportage" : "DoorverwijzingStatus";
        m.body = "<x/>";
        m.dedupe_key = key;
        m.reason = "period 7 " + key;
        return m;
    };
    store::RoutingCommit c;
    c.cursor_name = "test";
    c.now = "2010-07-19T06:00:00.000Z";
    c.messages = {message("coa", store::Delivery::Push, "c1"), message("coa", store::Delivery::Push, "c2"),
                  message("vwn", store::Delivery::Mailbox, "v1"), message("dtv", store::Delivery::Push, "d1")};
    auto dead = message("coa", store::Delivery::Push, "c3");
    dead.dead_on_arrival = "no partner endpoint";
    c.messages.push_back(dead);
    ASSERT_TRUE(store_->commit_routing(c));
    // The DT&V report is delivered, one COA message is refused.
    auto due = store_->claim_due_push(std::numeric_limits<int64_t>::max() / 2, 1000, "n", 10);
    ASSERT_EQ(due->size(), 3u);
    for (const auto& m : *due) {
        store::DeliveryAttempt a{m.id, "n", store::DeliveryAttempt::Outcome::Retry, 503, "HTTP 503", "t", 0, 1, ""};
        if (m.partner == "dtv") a = {m.id, "n", store::DeliveryAttempt::Outcome::Delivered, 202, "ok", "2010-07-19T06:00:01Z", 0, 1, ""};
        if (m.dedupe_key == "c2") a = {m.id, "n", store::DeliveryAttempt::Outcome::Dead, 400, "refused with HTTP 400: bad", "t", 0, 1, ""};
        ASSERT_TRUE(store_->record_attempt(a));
    }
    auto list = body(call("/admin/api/partners"));
    // A partner with messages in the outbox is listed even without documents
    // of its own, after the partners that have them.
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0]["code"], "coa");
    EXPECT_EQ(list[0]["outbox_depth"], 1) << "c1 is still pending";
    EXPECT_EQ(list[0]["dead_letters"], 2) << "c2 refused, c3 not deliverable";
    EXPECT_EQ(list[1]["code"], "vwn");
    EXPECT_EQ(list[1]["outbox_depth"], 1) << "v1 waits in VWN's mailbox";
    EXPECT_EQ(list[1]["outbox"]["waiting"], 1);
    EXPECT_EQ(list[2]["code"], "dtv");
    EXPECT_EQ(list[2]["outbox_depth"], 0) << "d1 is delivered";
    EXPECT_EQ(list[2]["dead_letters"], 0);
    auto dtv = body(call("/admin/api/dtv-deliveries"));
    ASSERT_EQ(dtv["deliveries"].size(), 1u);
    EXPECT_EQ(dtv["deliveries"][0]["status"], "delivered");
    EXPECT_EQ(dtv["deliveries"][0]["document"], "VierwekelijkseRapportage id-d1");
    EXPECT_EQ(dtv["deliveries"][0]["delivered_at"], "2010-07-19T06:00:01Z");
    EXPECT_EQ(dtv["deliveries"][0]["attempts"], 1);
}

TEST_F(AdminApiTest, TheOverviewGivesTheProgrammeYearAndWhoIsAsking) {
    auto r = call("/admin/api/overview");
    ASSERT_EQ(r.status, 200u);
    auto o = body(r);
    EXPECT_EQ(o["node"], "test-node");
    EXPECT_EQ(o["programme"]["from"], "2010-01-01");
    EXPECT_EQ(o["programme"]["to"], "2010-12-31");
    EXPECT_EQ(o["operator"]["who"], kOperatorSubject);
    EXPECT_EQ(o["store"]["documents"], 3);
}

TEST_F(AdminApiTest, ThePageIsSelfContained) {
    auto r = call("/");
    ASSERT_EQ(r.status, 200u);
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(header(r, "Content-Security-Policy").rfind("default-src 'none'", 0), 0u);
    EXPECT_NE(r.body.find("id=\"funnel-table\""), std::string::npos);
    EXPECT_NE(r.body.find("id=\"dtv-section\""), std::string::npos);
    EXPECT_NE(r.body.find("Nothing sent to DT&V yet"), std::string::npos);
    // Nothing is fetched from elsewhere (the SVG namespace is a name, not a fetch).
    for (const char* bad : {"src=\"http", "src=\"//", "href=\"http", "href=\"//", "@import", "url(http"})
        EXPECT_EQ(r.body.find(bad), std::string::npos) << bad;
}

TEST_F(AdminApiTest, UnknownPathsAndOtherMethods) {
    EXPECT_EQ(call("/v1/messages").status, 404u);
    EXPECT_EQ(call("/admin/api/nothing").status, 404u);
    auto post = call("/admin/api/funnel", "POST");
    EXPECT_EQ(post.status, 405u);
    EXPECT_EQ(header(post, "Allow"), "GET");
}

TEST_F(AdminApiTest, WithoutAProgrammeTheFiguresAreUnavailableButTheRestWorks) {
    auto s = std::make_shared<admin::AdminSettings>(*settings_);
    s->programme.reset();
    api_->replace_settings(s);
    auto r = call("/admin/api/funnel");
    EXPECT_EQ(r.status, 503u);
    EXPECT_NE(r.body.find("<programme>"), std::string::npos) << r.body;
    EXPECT_EQ(call("/admin/api/partners").status, 200u);
    EXPECT_TRUE(body(call("/admin/api/overview"))["programme"].is_null());
}

TEST_F(AdminApiTest, AReloadSwapsTheOperators) {
    auto s = std::make_shared<admin::AdminSettings>(*settings_);
    s->operators = {{std::string("CN=someone-else"), std::nullopt, 1}};
    api_->replace_settings(s);
    EXPECT_EQ(call("/admin/api/overview").status, 403u);
}

}  // namespace
