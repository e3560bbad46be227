// The operators' listener (<admin> in the config, its own port): the
// dashboard page and the JSON it reads. Everything answers only to an
// operator: a client certificate from the admin CA (matching an <operator>
// when any are listed) or an HTTP Basic <credential>; else 401 or 403.
//   GET /                              the dashboard (hub/admin/dashboard.html, compiled in)
//   GET /admin/api/overview            node, programme year, store counts, who is asking
//   GET /admin/api/funnel?from=&to=    the funnel, as `ketenhub report funnel --format json`
//   GET /admin/api/trend?from=&to=     funnel achieved per four-week period from `from`
//   GET /admin/api/partners            per partner: last document, record outcomes, error rates,
//                                      outbox depth and dead letters
//   GET /admin/api/dtv-deliveries      the newest messages to DT&V and how their delivery went
// Without from/to the period is the programme year: <programme start> to
// one year later minus a day.
#pragma once

#include "config/config.hpp"
#include "net/https_server.hpp"
#include "statistics/programme_figures.hpp"
#include "store/store.hpp"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ketenhub::admin {

// What the admin listener needs of one configuration; a reload builds a new
// one and swaps it in.
struct AdminSettings {
    std::string node_id;
    std::vector<config::CertificateIdentity> operators;
    std::vector<config::Credential> credentials;
    std::optional<statistics::Programme> programme;  // absent without <programme>
    std::vector<std::pair<std::string, std::string>> partners;  // configured code, name
    std::vector<std::pair<std::string, std::string>> deliveries;  // code, "push URL" | "mailbox" | "none"
    std::string dtv_partner = "dtv";  // who receives the four-weekly report
};

// Loads the programme (targets, 40+3 list) when the config has one; its
// errors name the file and line.
Result<std::shared_ptr<const AdminSettings>> make_settings(const config::Config& config);

// Who is asking. status 0: an operator; else 401 (no or wrong credential) or
// 403 (a valid certificate that is not an operator's).
struct Authentication {
    unsigned status = 0;
    std::string who;     // certificate subject or Basic user
    std::string method;  // "certificate" | "basic"
    std::string reason;
};
Authentication authenticate(const AdminSettings& settings, const net::HttpRequest& request, const net::Peer& peer);

// <programme start> to start + 1 year - 1 day ("2010-01-01" -> "2010-12-31").
std::pair<std::string, std::string> programme_year(const std::string& start);

// Consecutive 28-day periods from `from`; the last one ends at `to`.
std::vector<std::pair<std::string, std::string>> four_week_periods(const std::string& from, const std::string& to);

class AdminApi {
public:
    AdminApi(store::Store& store, std::shared_ptr<const AdminSettings> settings)
        : store_(store), settings_(std::move(settings)) {}

    void handle(net::HttpRequest request, const net::Peer& peer, net::Respond respond);

    void replace_settings(std::shared_ptr<const AdminSettings> settings) {
        std::atomic_store(&settings_, std::move(settings));
    }
    std::shared_ptr<const AdminSettings> settings() const { return std::atomic_load(&settings_); }

private:
    net::HttpResponse route(const net::HttpRequest& request, const std::string& path, const AdminSettings& settings,
                            const Authentication& who);

    store::Store& store_;
    std::shared_ptr<const AdminSettings> settings_;
};

}  // namespace ketenhub::admin
