#include "daemon/daemon.hpp"

#include "admin/admin_api.hpp"
#include "api/partner_api.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "config/config.hpp"
#include "net/https_client.hpp"
#include "net/https_server.hpp"
#include "outbound/outbound_service.hpp"
#include "routing/routing_rules.hpp"
#include "statistics/programme_figures.hpp"
#include "partners/partner_registry.hpp"
#include "store/sqlite_store.hpp"

#include <libxml/parser.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <dlfcn.h>
#include <pthread.h>

namespace ketenhub::daemon {

namespace {

xmlParserInputPtr refuse_external_entity(const char* url, const char*, xmlParserCtxtPtr) {
    metrics::counter("xml_external_entity_refused_total").inc();
    log::warn("xml_external_entity_refused", {{"url", url ? url : ""}});
    return nullptr;
}

// The allocator this process runs on, for the start-up line: jemalloc when
// the executable linked it (hub/CMakeLists.txt), with whether the background
// thread that gives freed memory back is on (malloc_conf, daemon/main.cpp).
// Looked up at run time: the core library does not link jemalloc.
std::string allocator_description() {
    using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);
    auto mallctl = reinterpret_cast<Mallctl>(::dlsym(RTLD_DEFAULT, "mallctl"));
    if (!mallctl) return "glibc malloc";
    bool on = false;
    size_t size = sizeof on;
    if (mallctl("background_thread", &on, &size, nullptr, 0) != 0) return "jemalloc";
    return on ? "jemalloc, background thread on" : "jemalloc, background thread off";
}

log::Level level_of(const std::string& s) {
    if (s == "debug") return log::Level::Debug;
    if (s == "warn") return log::Level::Warn;
    if (s == "error") return log::Level::Error;
    return log::Level::Info;
}

struct Loaded {
    config::Config config;
    std::shared_ptr<const partners::PartnerRegistry> registry;
    std::shared_ptr<net::TlsContext> tls;
    // The admin listener's, when <admin> is configured.
    std::shared_ptr<net::TlsContext> admin_tls;
    std::shared_ptr<const admin::AdminSettings> admin;
};

// Everything serve needs from a config file, or the reasons it cannot be had.
Result<Loaded> load_all(const std::string& path) {
    auto cfg = config::load(path);
    if (!cfg) return cfg.error();
    auto tls = net::make_server_tls(cfg->listener.tls);
    auto registry = partners::PartnerRegistry::build(*cfg);
    std::string problems;
    if (!tls) problems += cfg->file + ": " + tls.error().message + "\n";
    if (!registry) problems += registry.error().message;
    std::shared_ptr<net::TlsContext> admin_tls;
    std::shared_ptr<const admin::AdminSettings> admin;
    if (cfg->admin) {
        // Operators may come with a credential instead of a certificate.
        auto t = net::make_server_tls(cfg->admin->listener.tls, cfg->admin->credentials.empty()
                                                                     ? net::ClientCertificate::Required
                                                                     : net::ClientCertificate::Optional);
        if (t) admin_tls = *t; else problems += cfg->file + ": admin: " + t.error().message + "\n";
        auto a = admin::make_settings(*cfg);
        if (a) admin = *a; else problems += cfg->file + ": programme: " + a.error().message + "\n";
    }
    if (!problems.empty()) return Error::invalid(problems);
    return Loaded{std::move(*cfg), *registry, *tls, admin_tls, admin};
}

}  // namespace

void harden_libxml2() {
    xmlInitParser();
    xmlSetExternalEntityLoader(&refuse_external_entity);
}

int check_config(const std::string& path) {
    harden_libxml2();
    auto loaded = load_all(path);
    if (!loaded) {
        std::fprintf(stderr, "%s", loaded.error().message.c_str());
        if (loaded.error().message.empty() || loaded.error().message.back() != '\n') std::fputc('\n', stderr);
        return 1;
    }
    std::printf("%s: OK: listener %s:%u, storage sqlite %s, %zu partner(s)\n", loaded->config.file.c_str(),
                loaded->config.listener.address.c_str(), loaded->config.listener.port, loaded->config.sqlite.path.c_str(),
                loaded->registry->all().size());
    if (const auto& a = loaded->config.admin)
        std::printf("  admin listener %s:%u, %zu operator certificate(s), %zu credential(s)\n", a->listener.address.c_str(),
                    a->listener.port, a->operators.size(), a->credentials.size());
    for (const auto& p : loaded->registry->all())
        std::printf("  partner %-4s adapter %s %s (%s)\n", p->code.c_str(), p->adapter->library().name().c_str(),
                    p->adapter->library().version().c_str(), p->adapter->library().path().c_str());
    return 0;
}

int serve(const std::string& path) {
    // Signals are taken synchronously by the main thread; every thread
    // started from here on inherits the blocked mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    harden_libxml2();
    auto loaded = load_all(path);
    if (!loaded) {
        std::fprintf(stderr, "ketenhub: cannot start, the configuration has problems:\n%s", loaded.error().message.c_str());
        return 2;
    }
    auto current = std::move(*loaded);
    log::set_component(current.config.node_id);
    log::set_min_level(level_of(current.config.log_level));

    store::SqliteOptions so{current.config.sqlite.path, current.config.sqlite.synchronous_full, current.config.sqlite.max_batch};
    auto store = store::open_sqlite(so);
    if (!store) {
        std::fprintf(stderr, "ketenhub: cannot start: %s\n", store.error().message.c_str());
        return 2;
    }

    SystemClock clock;
    api::PartnerApi api(**store, clock, current.registry);
    net::HttpsServer server(current.config.listener, current.tls,
                            [&api](net::HttpRequest rq, const net::Peer& peer, net::Respond respond) {
                                api.handle(std::move(rq), peer, std::move(respond));
                            });
    if (auto started = server.start(); !started) {
        std::fprintf(stderr, "ketenhub: cannot start: %s\n", started.error().message.c_str());
        return 2;
    }
    // The outbound path: routing over the event flow, the outbox, delivery
    // and the four-weekly report.
    auto matrix = routing::CountryMatrix::load(current.config.reference_dir + "/country-matrix.txt");
    if (!matrix) {
        std::fprintf(stderr, "ketenhub: cannot start: %s\n", matrix.error().message.c_str());
        server.drain(std::chrono::milliseconds(0));
        return 2;
    }
    std::unique_ptr<outbound::Transport> transport;
    if (const auto& tls = current.config.outbound.tls) {
        auto client = net::make_https_client(*tls, 1);
        if (!client) {
            std::fprintf(stderr, "ketenhub: cannot start: %s: outbound/tls: %s\n", current.config.file.c_str(),
                         client.error().message.c_str());
            server.drain(std::chrono::milliseconds(0));
            return 2;
        }
        transport = std::move(*client);
    }
    std::set<std::string> target_countries;
    if (const auto& pc = current.config.programme) {
        try {
            target_countries = statistics::load_programme(pc->start, pc->targets_file, pc->countries_file).eligible_countries;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "ketenhub: cannot start: %s\n", e.what());
            server.drain(std::chrono::milliseconds(0));
            return 2;
        }
    }
    outbound::OutboundService outbound_service(**store, clock, [&api] { return api.registry(); }, std::move(*matrix),
                                               std::move(transport), outbound::settings_from(current.config, target_countries));
    (*store)->set_commit_listener([&outbound_service] { outbound_service.events_committed(); });
    outbound_service.start();

    sdk::Json partner_codes = sdk::Json::array();
    for (const auto& p : current.registry->all()) partner_codes.push_back(p->code);
    log::info("listening", {{"listener", "partner"}, {"address", current.config.listener.address}, {"port", server.port()},
                            {"config", current.config.file}, {"store", current.config.sqlite.path},
                            {"partners", partner_codes}, {"allocator", allocator_description()}});

    // The operators' listener (<admin>): a second server of the same kind,
    // on its own port, reading the same store.
    std::unique_ptr<admin::AdminApi> admin_api;
    std::unique_ptr<net::HttpsServer> admin_server;
    if (const auto& a = current.config.admin) {
        admin_api = std::make_unique<admin::AdminApi>(**store, current.admin);
        admin_server = std::make_unique<net::HttpsServer>(
            a->listener, current.admin_tls, [&admin = *admin_api](net::HttpRequest rq, const net::Peer& peer, net::Respond respond) {
                admin.handle(std::move(rq), peer, std::move(respond));
            },
            "admin");
        if (auto started = admin_server->start(); !started) {
            std::fprintf(stderr, "ketenhub: cannot start the admin listener: %s\n", started.error().message.c_str());
            server.drain(std::chrono::milliseconds(0));
            (*store)->set_commit_listener(nullptr);
            outbound_service.stop();
            (*store)->close();
            return 2;
        }
        log::info("listening", {{"listener", "admin"}, {"address", a->listener.address}, {"port", admin_server->port()},
                                {"operators", a->operators.size()}, {"credentials", a->credentials.size()}});
    }

    for (;;) {
        int sig = 0;
        if (sigwait(&signals, &sig) != 0) continue;
        if (sig == SIGHUP) {
            log::info("reload_requested", {{"config", path}});
            auto next = load_all(path);
            if (!next) {
                metrics::counter("reload_refused_total").inc();
                log::error("reload_refused", {{"config", path}, {"reason", next.error().message},
                                              {"note", "the previous configuration stays in force"}});
                continue;
            }
            if (!(next->config.listener == current.config.listener))
                log::warn("reload_listener_unchanged", {{"note", "listener address, port and threads change on restart only"}});
            if (next->config.sqlite.path != current.config.sqlite.path)
                log::warn("reload_storage_unchanged", {{"note", "the storage path changes on restart only"}});
            server.replace_tls(next->tls);
            api.replace_registry(next->registry);
            log::set_min_level(level_of(next->config.log_level));
            current.registry = next->registry;
            current.tls = next->tls;
            if (admin_server && next->config.admin) {
                if (!(next->config.admin->listener == current.config.admin->listener))
                    log::warn("reload_admin_listener_unchanged", {{"note", "admin address, port and threads change on restart only"}});
                admin_server->replace_tls(next->admin_tls);
                admin_api->replace_settings(next->admin);
                current.admin_tls = next->admin_tls;
                current.admin = next->admin;
            } else if (static_cast<bool>(admin_server) != next->config.admin.has_value()) {
                log::warn("reload_admin_unchanged", {{"note", "adding or removing <admin> takes a restart"}});
            }
            metrics::counter("reloads_total").inc();
            log::info("reloaded", {{"config", path}, {"partners", next->registry->all().size()}});
            continue;
        }
        log::info("shutting_down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                                    {"in_flight_connections", server.active_connections()}});
        bool clean = server.drain(current.config.listener.shutdown_timeout);
        if (admin_server) clean = admin_server->drain(current.config.admin->listener.shutdown_timeout) && clean;
        // Attempts in flight are recorded before the store closes; what is
        // left pending is delivered after the restart.
        (*store)->set_commit_listener(nullptr);
        outbound_service.stop();
        (*store)->close();
        log::info("stopped", {{"clean", clean}, {"metrics", metrics::render_prometheus()}});
        return 0;
    }
}

}  // namespace ketenhub::daemon
