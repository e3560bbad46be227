#include "admin/admin_api.hpp"

#include "admin_embedded.hpp"
#include "common/ids.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "ingest/ingest_service.hpp"

#include <ketenhub/sdk/dates.hpp>

#include <openssl/crypto.h>

#include <cmath>
#include <map>

namespace ketenhub::admin {

namespace dates = sdk::dates;
using ingest::problem;

namespace {

// Periods longer than this are refused (the trend would be unreadable and
// each period is a pass over every fact).
constexpr size_t kMaxPeriods = 260;

bool iequals_prefix(const std::string& s, const std::string& prefix) {
    if (s.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
            return false;
    return true;
}

// Strict RFC 4648 base64 (padding required), as HTTP Basic sends it.
std::optional<std::string> base64_decode(const std::string& in) {
    if (in.empty() || in.size() % 4 != 0) return std::nullopt;
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    std::string out;
    for (size_t i = 0; i < in.size(); i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = in[i + k];
            if (c == '=' && i + 4 == in.size() && k >= 2) {
                v[k] = 0;
                ++pad;
                continue;
            }
            if (pad) return std::nullopt;  // data after padding
            v[k] = value(c);
            if (v[k] < 0) return std::nullopt;
        }
        const unsigned n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
        out += static_cast<char>((n >> 16) & 0xff);
        if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
        if (pad < 1) out += static_cast<char>(n & 0xff);
    }
    return out;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// One query parameter, percent-decoded; nullopt when absent.
std::optional<std::string> query_param(const std::string& target, const std::string& name) {
    const auto q = target.find('?');
    if (q == std::string::npos) return std::nullopt;
    size_t pos = q + 1;
    while (pos <= target.size()) {
        size_t end = target.find('&', pos);
        if (end == std::string::npos) end = target.size();
        const std::string pair = target.substr(pos, end - pos);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            std::string raw = eq == std::string::npos ? "" : pair.substr(eq + 1), out;
            for (size_t i = 0; i < raw.size(); ++i) {
                if (raw[i] == '+') {
                    out += ' ';
                } else if (raw[i] == '%' && i + 2 < raw.size() && hex_digit(raw[i + 1]) >= 0 && hex_digit(raw[i + 2]) >= 0) {
                    out += static_cast<char>(hex_digit(raw[i + 1]) * 16 + hex_digit(raw[i + 2]));
                    i += 2;
                } else {
                    out += raw[i];
                }
            }
            return out;
        }
        pos = end + 1;
    }
    return std::nullopt;
}

int64_t day_number(const std::string& iso) {
    auto c = dates::parse_iso_date(iso);
    return dates::days_from_civil(c->year, c->month, c->day);
}

std::string iso_of_day(int64_t day) { return dates::format(dates::civil_from_days(day)); }

sdk::Json rate(int64_t part, int64_t whole) {
    if (whole <= 0) return nullptr;
    return std::round(10000.0 * static_cast<double>(part) / static_cast<double>(whole)) / 10000.0;
}

net::HttpResponse json(const sdk::Json& body) {
    return {200, "application/json", body.dump(-1, ' ', false, sdk::Json::error_handler_t::replace), {}};
}

struct Period {
    std::string from, to;
};

// from/to from the query, else the programme year.
Result<Period> period_of(const net::HttpRequest& request, const AdminSettings& settings) {
    if (!settings.programme)
        return Error::unavailable("the configuration has no <programme>: figures need its start, targets and 40+3 list");
    auto [year_from, year_to] = programme_year(settings.programme->start);
    Period p{query_param(request.target, "from").value_or(""), query_param(request.target, "to").value_or("")};
    if (p.from.empty()) p.from = year_from;
    if (p.to.empty()) p.to = year_to;
    if (!dates::parse_iso_date(p.from)) return Error::invalid("from needs a date YYYY-MM-DD, not '" + p.from + "'");
    if (!dates::parse_iso_date(p.to)) return Error::invalid("to needs a date YYYY-MM-DD, not '" + p.to + "'");
    if (p.from > p.to) return Error::invalid("from " + p.from + " is after to " + p.to);
    return p;
}

net::HttpResponse error_response(const Error& e) {
    if (e.kind == ErrorKind::Invalid) return problem(400, "bad-request", "Bad request", e.message);
    return problem(503, "unavailable", "Not available", e.message);
}

std::string settings_delivery(const AdminSettings& settings, const std::string& code) {
    for (const auto& [c, d] : settings.deliveries)
        if (c == code) return d;
    return "none";
}

sdk::Json partners_json(store::Store& store, const AdminSettings& settings) {
    auto activity = store.partner_activity();
    if (!activity) throw std::runtime_error(activity.error().message);
    auto outbox = store.outbox_summary();
    if (!outbox) throw std::runtime_error(outbox.error().message);
    std::vector<std::pair<std::string, std::string>> partners = settings.partners;
    // Partners no longer (or never) configured still show when documents
    // came from them or messages were routed to them.
    auto add = [&](const std::string& code) {
        bool known = false;
        for (const auto& [c, name] : partners) known = known || c == code;
        if (!known) partners.emplace_back(code, "");
    };
    for (const auto& a : *activity) add(a.partner);
    for (const auto& o : *outbox) add(o.partner);
    sdk::Json out = sdk::Json::array();
    for (const auto& [code, name] : partners) {
        store::PartnerActivity a;
        a.partner = code;
        for (const auto& x : *activity)
            if (x.partner == code) a = x;
        bool configured = false;
        for (const auto& p : settings.partners) configured = configured || p.first == code;
        const int64_t records = a.records_accepted + a.records_already_known + a.records_superseded + a.records_rejected;
        const std::string label = "{partner=\"" + code + "\"}";
        auto count = [&](const char* name) { return static_cast<int64_t>(metrics::counter(name + label).value()); };
        const int64_t requests = count("ingest_requests_total"), refused = count("ingest_rejected_total");
        const int64_t failed = count("ingest_unsupported_media_type_total") + count("ingest_adapter_failures_total") +
                               count("ingest_store_failures_total");
        sdk::Json p{{"code", code},
                    {"name", name.empty() ? code : name},
                    {"configured", configured},
                    {"documents", a.documents},
                    {"last_document", a.documents ? sdk::Json{{"received_at", a.last_received_at},
                                                              {"document_type", a.last_document_type},
                                                              {"message_id", a.last_message_id}}
                                                  : sdk::Json(nullptr)},
                    {"records", {{"accepted", a.records_accepted}, {"already_known", a.records_already_known},
                                 {"superseded", a.records_superseded}, {"rejected", a.records_rejected}}},
                    {"record_error_rate", rate(a.records_rejected, records)},
                    {"since_start", {{"requests", requests}, {"accepted", count("ingest_accepted_total")},
                                     {"duplicates", count("ingest_duplicates_total")}, {"refused", refused},
                                     {"failed", failed}, {"error_rate", rate(refused + failed, requests)}}},
                    {"delivery", settings_delivery(settings, code)}};
        store::OutboxSummary o;
        for (const auto& x : *outbox)
            if (x.partner == code) o = x;
        // Depth: what the partner has not yet acknowledged (push) or confirmed (mailbox).
        p["outbox_depth"] = o.pending + o.waiting;
        p["dead_letters"] = o.dead;
        p["outbox"] = {{"pending", o.pending},       {"waiting", o.waiting}, {"delivered", o.delivered},
                       {"confirmed", o.confirmed},   {"dead", o.dead},
                       {"oldest_undelivered_at", o.oldest_undelivered_at.empty() ? sdk::Json(nullptr) : sdk::Json(o.oldest_undelivered_at)},
                       {"last_delivered_at", o.last_delivered_at.empty() ? sdk::Json(nullptr) : sdk::Json(o.last_delivered_at)}};
        out.push_back(std::move(p));
    }
    return out;
}

}  // namespace

Result<std::shared_ptr<const AdminSettings>> make_settings(const config::Config& config) {
    auto s = std::make_shared<AdminSettings>();
    s->node_id = config.node_id;
    if (config.admin) {
        s->operators = config.admin->operators;
        s->credentials = config.admin->credentials;
    }
    for (const auto& p : config.partners) {
        s->partners.emplace_back(p.code, p.name);
        s->deliveries.emplace_back(p.code, !p.delivery ? "none"
                                           : p.delivery->kind == config::DeliveryConfig::Kind::Push ? "push " + p.delivery->url
                                                                                                    : "mailbox");
    }
    if (config.outbound.four_weekly_report) s->dtv_partner = config.outbound.four_weekly_report->partner;
    if (config.programme) {
        try {
            s->programme = statistics::load_programme(config.programme->start, config.programme->targets_file,
                                                      config.programme->countries_file);
        } catch (const std::exception& e) {
            return Error::invalid(e.what());
        }
    }
    return std::shared_ptr<const AdminSettings>(std::move(s));
}

Authentication authenticate(const AdminSettings& settings, const net::HttpRequest& request, const net::Peer& peer) {
    const auto& cert = peer.certificate;
    // A certificate reaching this point was verified against the admin CA
    // during the handshake.
    const bool has_certificate = !cert.sha256.empty();
    if (has_certificate) {
        if (settings.operators.empty()) return {0, cert.subject, "certificate", {}};
        for (const auto& op : settings.operators)
            if ((!op.subject || *op.subject == cert.subject) && (!op.sha256 || *op.sha256 == cert.sha256))
                return {0, cert.subject, "certificate", {}};
    }
    if (!settings.credentials.empty() && !request.authorization.empty()) {
        if (!iequals_prefix(request.authorization, "Basic ")) return {401, {}, "basic", "only HTTP Basic is accepted"};
        std::string b64 = request.authorization.substr(6);
        while (!b64.empty() && b64.front() == ' ') b64.erase(0, 1);
        while (!b64.empty() && b64.back() == ' ') b64.pop_back();
        auto decoded = base64_decode(b64);
        const auto colon = decoded ? decoded->find(':') : std::string::npos;
        if (colon == std::string::npos) return {401, {}, "basic", "malformed Basic credentials"};
        const std::string user = decoded->substr(0, colon);
        const std::string hash = sha256_hex(decoded->substr(colon + 1));
        bool match = false;
        for (const auto& c : settings.credentials) {
            // Every credential is compared, in constant time per hash.
            const bool same_hash = c.password_sha256.size() == hash.size() &&
                                   CRYPTO_memcmp(c.password_sha256.data(), hash.data(), hash.size()) == 0;
            match = (same_hash && c.user == user) || match;
        }
        if (match) return {0, user, "basic", {}};
        return {401, user, "basic", "wrong user or password"};
    }
    if (has_certificate)
        return {403, cert.subject, "certificate", "the certificate '" + cert.subject + "' is not an operator's"};
    return {401, {}, {}, "no operator certificate or credential"};
}

std::pair<std::string, std::string> programme_year(const std::string& start) {
    auto c = dates::parse_iso_date(start);
    if (!c) return {start, start};
    // One year on: 29 February becomes 1 March in a common year.
    const int64_t next = c->month == 2 && c->day == 29 && !dates::is_leap(c->year + 1)
                             ? dates::days_from_civil(c->year + 1, 3, 1)
                             : dates::days_from_civil(c->year + 1, c->month, c->day);
    return {start, iso_of_day(next - 1)};
}

std::vector<std::pair<std::string, std::string>> four_week_periods(const std::string& from, const std::string& to) {
    std::vector<std::pair<std::string, std::string>> out;
    if (!dates::parse_iso_date(from) || !dates::parse_iso_date(to) || from > to) return out;
    const int64_t last = day_number(to);
    for (int64_t day = day_number(from); day <= last; day += 28) out.emplace_back(iso_of_day(day), iso_of_day(std::min(day + 27, last)));
    return out;
}

void AdminApi::handle(net::HttpRequest request, const net::Peer& peer, net::Respond respond) {
    auto settings = this->settings();
    const std::string path = request.target.substr(0, request.target.find('?'));
    metrics::counter("admin_requests_total").inc();
    const Authentication who = authenticate(*settings, request, peer);
    net::HttpResponse r;
    if (who.status != 0) {
        metrics::counter("admin_auth_failures_total").inc();
        log::warn("admin_auth_failed", {{"remote", peer.remote}, {"path", path}, {"who", who.who},
                                        {"method", who.method}, {"reason", who.reason}});
        r = who.status == 401 ? problem(401, "unauthorized", "Operators only",
                                        "sign in with an operator certificate or credential: " + who.reason)
                              : problem(403, "not-an-operator", "Operators only", who.reason);
        if (who.status == 401 && !settings->credentials.empty())
            r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"Ketenhub operators\", charset=\"UTF-8\"");
    } else {
        try {
            r = route(request, path, *settings, who);
        } catch (const std::exception& e) {
            log::error("admin_request_failed", {{"path", path}, {"reason", e.what()}});
            r = problem(503, "unavailable", "Not available", e.what());
        }
        log::debug("admin_request", {{"who", who.who}, {"method", who.method}, {"path", path}, {"status", r.status}});
    }
    r.headers.emplace_back("Cache-Control", "no-store");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("X-Frame-Options", "DENY");
    respond(std::move(r));
}

net::HttpResponse AdminApi::route(const net::HttpRequest& request, const std::string& path, const AdminSettings& settings,
                                  const Authentication& who) {
    const bool known = path == "/" || path == "/admin/api/overview" || path == "/admin/api/funnel" ||
                       path == "/admin/api/trend" || path == "/admin/api/partners" || path == "/admin/api/dtv-deliveries";
    if (!known) return problem(404, "not-found", "Not found", "no endpoint " + path);
    if (request.method != "GET") {
        auto r = problem(405, "method-not-allowed", "Method not allowed", "use GET");
        r.headers.emplace_back("Allow", "GET");
        return r;
    }

    if (path == "/") {
        net::HttpResponse r{200, "text/html; charset=utf-8", std::string(embedded::kDashboardHtml), {}};
        // The page is self-contained: nothing may be loaded from elsewhere.
        r.headers.emplace_back("Content-Security-Policy",
                               "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                               "img-src data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
                               "frame-ancestors 'none'");
        return r;
    }

    if (path == "/admin/api/overview") {
        sdk::Json programme = nullptr;
        if (settings.programme) {
            auto [from, to] = programme_year(settings.programme->start);
            sdk::Json targets = sdk::Json::array();
            for (const auto& t : settings.programme->targets)
                targets.push_back({{"key", t.key}, {"target", t.value}, {"label", t.label}});
            programme = {{"start", settings.programme->start}, {"from", from}, {"to", to}, {"targets", targets}};
        }
        sdk::Json store = nullptr;
        if (auto st = store_.stats())
            store = {{"backend", store_.backend()}, {"persons", st->persons}, {"documents", st->documents},
                     {"events", st->events}, {"schema_version", st->schema_version}};
        return json({{"node", settings.node_id},
                     {"operator", {{"who", who.who}, {"method", who.method}}},
                     {"programme", programme},
                     {"funnel_keys", statistics::funnel_keys()},
                     {"store", store}});
    }

    if (path == "/admin/api/funnel" || path == "/admin/api/trend") {
        auto period = period_of(request, settings);
        if (!period) return error_response(period.error());
        if (path == "/admin/api/trend" && four_week_periods(period->from, period->to).size() > kMaxPeriods)
            return problem(400, "bad-request", "Bad request",
                           "at most " + std::to_string(kMaxPeriods) + " four-week periods; shorten from/to");
        auto facts = store_.facts();
        if (!facts) return error_response(facts.error());
        const auto& programme = *settings.programme;
        if (path == "/admin/api/funnel")
            return json(statistics::to_json(statistics::funnel(*facts, period->from, period->to, programme,
                                                               statistics::Breakdown::None),
                                            statistics::Breakdown::None));
        sdk::Json targets = sdk::Json::object();
        for (const auto& key : statistics::funnel_keys()) {
            targets[key] = nullptr;
            for (const auto& t : programme.targets)
                if (t.key == key) targets[key] = t.value;
        }
        sdk::Json periods = sdk::Json::array();
        for (const auto& [from, to] : four_week_periods(period->from, period->to)) {
            sdk::Json achieved = sdk::Json::object();
            for (const auto& f : statistics::funnel(*facts, from, to, programme, statistics::Breakdown::None))
                achieved[f.key] = f.achieved;
            periods.push_back({{"from", from}, {"to", to}, {"days", day_number(to) - day_number(from) + 1},
                               {"achieved", achieved}});
        }
        return json({{"from", period->from}, {"to", period->to}, {"period_days", 28},
                     {"keys", statistics::funnel_keys()}, {"targets", targets}, {"periods", periods}});
    }

    if (path == "/admin/api/partners") return json(partners_json(store_, settings));

    // /admin/api/dtv-deliveries: the newest messages to DT&V, whatever their state.
    store::OutboxQuery q;
    q.partner = settings.dtv_partner;
    q.limit = 20;
    auto list = store_.outbox_list(q);
    if (!list) return error_response(list.error());
    sdk::Json deliveries = sdk::Json::array();
    for (const auto& m : *list)
        deliveries.push_back({{"id", m.id},
                              {"type", m.message_type},
                              {"document", m.document_type + " " + m.message_id},
                              {"reason", m.reason},
                              {"created_at", m.created_at},
                              {"status", m.status},
                              {"attempts", m.attempts},
                              {"delivered_at", m.delivered_at.empty() ? sdk::Json(nullptr) : sdk::Json(m.delivered_at)},
                              {"last_http_status", m.last_http_status},
                              {"last_error", m.last_error}});
    return json({{"partner", settings.dtv_partner}, {"deliveries", deliveries}});
}

}  // namespace ketenhub::admin
