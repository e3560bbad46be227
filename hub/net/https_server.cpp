#include "net/https_server.hpp"
#include "net/openssl_error.hpp"

#include "common/background.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "net/verified_certificates.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace ketenhub::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

class TlsContext {
public:
    VerifiedCertificates verified_client_chains;
    ssl::context ctx{ssl::context::tls_server};
};

namespace {

partners::PeerCertificate describe_peer(SSL* ssl) {
    partners::PeerCertificate out;
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (!cert) return out;
    if (BIO* bio = BIO_new(BIO_s_mem())) {
        X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
        char* data = nullptr;
        long len = BIO_get_mem_data(bio, &data);
        out.subject.assign(data, static_cast<size_t>(len));
        BIO_free(bio);
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (X509_digest(cert, EVP_sha256(), md, &n) == 1) {
        static const char* hex = "0123456789abcdef";
        for (unsigned i = 0; i < n; ++i) {
            out.sha256 += hex[md[i] >> 4];
            out.sha256 += hex[md[i] & 15];
        }
    }
    X509_free(cert);
    return out;
}

}  // namespace

Result<std::shared_ptr<TlsContext>> make_server_tls(const config::TlsFiles& files, ClientCertificate client) {
    auto tls = std::make_shared<TlsContext>();
    SSL_CTX* ctx = tls->ctx.native_handle();
    ERR_clear_error();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // The chain sent is the certificate file as written (leaf, then any
    // intermediates), as nginx does. Left to itself OpenSSL completes it from
    // the client-CA store on every handshake: a verification of our own
    // certificate each time, and the CA's certificate sent along for every
    // partner to parse, though the partners hold it as their trust anchor.
    SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
    if (SSL_CTX_use_certificate_chain_file(ctx, files.certificate.c_str()) != 1)
        return Error::invalid(files.certificate + ": cannot use as server certificate: " + openssl_error());
    if (SSL_CTX_use_PrivateKey_file(ctx, files.private_key.c_str(), SSL_FILETYPE_PEM) != 1)
        return Error::invalid(files.private_key + ": cannot use as private key: " + openssl_error());
    if (SSL_CTX_check_private_key(ctx) != 1)
        return Error::invalid(files.private_key + ": does not belong to " + files.certificate);
    if (SSL_CTX_load_verify_locations(ctx, files.client_ca.c_str(), nullptr) != 1)
        return Error::invalid(files.client_ca + ": cannot load as client CA: " + openssl_error());
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca.c_str()))
        SSL_CTX_set_client_CA_list(ctx, names);
    else
        return Error::invalid(files.client_ca + ": contains no CA certificate");
    // Required: a handshake without a client certificate fails. Optional:
    // one is asked for, and verified when sent.
    SSL_CTX_set_verify(ctx, client == ClientCertificate::Required ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                                                                  : SSL_VERIFY_PEER,
                       nullptr);
    SSL_CTX_set_verify_depth(ctx, 4);
    tls->verified_client_chains.on_hit = [] { metrics::counter("tls_client_chain_cache_hits_total").inc(); };
    verify_chains_through(ctx, tls->verified_client_chains);
    static const unsigned char kSessionContext[] = "ketenhub";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
    // Partners keep connections alive rather than resuming sessions; issuing
    // TLS 1.3 tickets cost about a third of a full handshake's CPU (bench/).
    SSL_CTX_set_num_tickets(ctx, 0);
    return tls;
}

class Session;

// From this size a request is handled on the listener's bulk thread (see
// Session::on_read); the chain's single documents are a few KB, its batch
// exports up to the body limit.
constexpr size_t kBulkBodyBytes = 256 * 1024;

struct HttpsServer::Impl : std::enable_shared_from_this<Impl> {
    config::ListenerConfig cfg;
    Handler handler;
    // From a request's header to its answer written, on this listener: what
    // a client waits for, less the network (the ingest and store histograms
    // time the parts inside).
    metrics::Histogram* request_seconds = nullptr;
    // One io_context per I/O thread, each run by its thread alone; a
    // connection stays on the one it was accepted onto. With one io_context
    // shared by all threads, the thread in epoll_wait handed ready sockets to
    // another through a condition variable: at 2,740 requests/s the I/O
    // threads made 3.8 futex calls and 3.6 context switches per request,
    // against 0.5 and 1.5 this way (docs/performance.md).
    struct IoThread {
        asio::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_1};
        std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
        std::thread thread;
    };
    std::vector<std::unique_ptr<IoThread>> io;
    size_t next_io = 0;
    // The acceptor has a thread of its own: on a session thread, a handler
    // holding that thread (a large document) would stop every new connection.
    std::unique_ptr<IoThread> accepting;
    // Requests with a body of kBulkBodyBytes or more are handled here, one at
    // a time, instead of on their connection's I/O thread.
    std::unique_ptr<IoThread> bulk;
    std::optional<tcp::acceptor> acceptor;
    bool running = false;
    std::mutex tls_mutex;
    std::shared_ptr<TlsContext> tls;
    std::atomic<bool> draining{false};
    std::atomic<size_t> active{0};
    std::mutex sessions_mutex;
    std::condition_variable sessions_cv;
    std::unordered_map<uint64_t, std::weak_ptr<Session>> sessions;
    uint64_t next_id = 0;
    uint16_t bound_port = 0;

    std::shared_ptr<TlsContext> current_tls() {
        std::lock_guard lock(tls_mutex);
        return tls;
    }
    void accept();
    void on_accept(beast::error_code ec, tcp::socket socket);
    void forget(uint64_t id) {
        {
            std::lock_guard lock(sessions_mutex);
            sessions.erase(id);
            active.fetch_sub(1);
            metrics::gauge("connections_open").set(static_cast<int64_t>(active.load()));
        }
        sessions_cv.notify_all();
    }
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket&& socket, std::shared_ptr<TlsContext> tls, std::shared_ptr<HttpsServer::Impl> server, uint64_t id)
        : tls_(std::move(tls)), stream_(std::move(socket), tls_->ctx), server_(std::move(server)), id_(id) {
        beast::error_code ec;
        auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
        if (!ec) peer_.remote = ep.address().to_string() + ":" + std::to_string(ep.port());
    }
    ~Session() { server_->forget(id_); }

    void run() {
        asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::handshake, shared_from_this()));
    }

    // From the drain: close now if no request is being handled.
    void close_if_idle() {
        asio::post(stream_.get_executor(), [self = shared_from_this()] {
            if (!self->busy_) {
                beast::error_code ec;
                beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
                beast::get_lowest_layer(self->stream_).close();
            }
        });
    }

private:
    void handshake() {
        beast::get_lowest_layer(stream_).expires_after(server_->cfg.handshake_timeout);
        stream_.async_handshake(ssl::stream_base::server,
                                beast::bind_front_handler(&Session::on_handshake, shared_from_this()));
    }

    void on_handshake(beast::error_code ec) {
        if (ec) {
            metrics::counter("tls_handshake_failures_total").inc();
            log::warn("tls_handshake_failed", {{"remote", peer_.remote}, {"reason", ec.message()}});
            return;
        }
        metrics::counter("tls_handshakes_total").inc();
        peer_.certificate = describe_peer(stream_.native_handle());
        read_request();
    }

    void read_request() {
        if (server_->draining) return close();
        parser_.emplace();
        parser_->body_limit(server_->cfg.max_body_bytes);
        parser_->header_limit(static_cast<std::uint32_t>(server_->cfg.max_header_bytes));
        beast::get_lowest_layer(stream_).expires_after(requests_ == 0 ? server_->cfg.read_timeout
                                                                      : server_->cfg.idle_timeout);
        http::async_read_header(stream_, buffer_, *parser_,
                                beast::bind_front_handler(&Session::on_header, shared_from_this()));
    }

    // Once a request's header has arrived the request is in flight: a drain
    // waits for it instead of closing the connection under it.
    void on_header(beast::error_code ec, std::size_t) {
        if (ec) return on_read(ec, 0);
        header_at_ = std::chrono::steady_clock::now();
        busy_ = true;
        if (parser_->is_done()) return on_read(ec, 0);
        // A client that asks before it sends the body (curl does for bodies
        // over 1 MiB; other clients can be set to) would otherwise wait for
        // this, curl a second, before sending it anyway (RFC 9110 10.1.1). A
        // Content-Length over the limit never gets here: the header already
        // failed it with 413.
        if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
            auto go_on = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
            beast::get_lowest_layer(stream_).expires_after(server_->cfg.write_timeout);
            return http::async_write(stream_, *go_on, [self = shared_from_this(), go_on](beast::error_code e, std::size_t) {
                if (e) {
                    metrics::counter("http_write_errors_total").inc();
                    return self->close();
                }
                self->read_body();
            });
        }
        read_body();
    }

    void read_body() {
        beast::get_lowest_layer(stream_).expires_after(server_->cfg.read_timeout);
        http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec == http::error::end_of_stream || ec == asio::ssl::error::stream_truncated) return close();
        if (ec == http::error::body_limit) {
            metrics::counter("http_body_too_large_total").inc();
            return reply_and_close(413, "body-too-large", "Payload too large",
                                   "the document exceeds the limit of " + std::to_string(server_->cfg.max_body_bytes) + " bytes");
        }
        if (ec == http::error::header_limit) {
            metrics::counter("http_header_too_large_total").inc();
            return reply_and_close(431, "header-too-large", "Request header fields too large", "the request header is too large");
        }
        if (ec == beast::error::timeout || ec == asio::error::operation_aborted || ec == asio::error::eof ||
            ec == asio::error::connection_reset || ec == asio::error::bad_descriptor) {
            if (ec == beast::error::timeout) metrics::counter("http_read_timeouts_total").inc();
            return close();
        }
        if (ec) {
            metrics::counter("http_bad_requests_total").inc();
            return reply_and_close(400, "bad-request", "Bad request", "the request is not valid HTTP/1.1: " + ec.message());
        }
        ++requests_;
        busy_ = true;
        auto& msg = parser_->get();
        keep_alive_ = msg.keep_alive();
        HttpRequest rq;
        rq.method = std::string(msg.method_string());
        rq.target = std::string(msg.target());
        rq.content_type = std::string(msg[http::field::content_type]);
        rq.authorization = std::string(msg[http::field::authorization]);
        for (const auto& field : msg)
            if (field.name_string().size() > 9 && beast::iequals(field.name_string().substr(0, 9), "ketenhub-"))
                rq.ketenhub_headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        rq.body = std::move(msg.body());
        // The deadline covers the whole exchange, including handling.
        beast::get_lowest_layer(stream_).expires_never();
        auto self = shared_from_this();
        Respond respond = [self](HttpResponse r) {
            asio::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable { self->write(std::move(r)); });
        };
        // A large document (an export of thousands of records) takes its
        // adapter a few hundred milliseconds; on this thread it would hold
        // every other connection of the thread meanwhile. peer_ does not
        // change after the handshake, so the bulk thread may read it.
        if (rq.body.size() >= kBulkBodyBytes)
            return asio::post(server_->bulk->ioc, [self, rq = std::move(rq), respond = std::move(respond)]() mutable {
                self->server_->handler(std::move(rq), self->peer_, std::move(respond));
            });
        server_->handler(std::move(rq), peer_, std::move(respond));
    }

    void reply_and_close(unsigned status, const char* type, const char* title, const std::string& detail) {
        keep_alive_ = false;
        linger_ = true;
        busy_ = true;
        HttpResponse r;
        r.status = status;
        r.content_type = "application/problem+json";
        r.body = sdk::Json{{"type", std::string("urn:ketenhub:problem:") + type}, {"title", title}, {"status", status},
                           {"detail", detail}}
                     .dump();
        write(std::move(r));
    }

    void write(HttpResponse r) {
        auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
        res->set(http::field::server, "ketenhub");
        res->set(http::field::content_type, r.content_type);
        for (auto& [k, v] : r.headers) res->set(k, v);
        res->body() = std::move(r.body);
        res->keep_alive(keep_alive_ && !server_->draining);
        res->prepare_payload();
        beast::get_lowest_layer(stream_).expires_after(server_->cfg.write_timeout);
        http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
            self->busy_ = false;
            if (!ec && self->header_at_ != std::chrono::steady_clock::time_point{})
                self->server_->request_seconds->observe(std::chrono::steady_clock::now() - self->header_at_);
            self->header_at_ = {};
            if (ec) {
                metrics::counter("http_write_errors_total").inc();
                return self->close();
            }
            if (!res->keep_alive()) return self->linger_ ? self->linger_then_close() : self->close();
            self->read_request();
        });
    }

    // After refusing a request whose body may still be arriving: closing now
    // would answer the client's next bytes with a TCP RST, which can erase
    // our answer from its receive buffer before it is read (RFC 9112 9.6).
    // So send FIN after the answer, and read and discard until the client
    // closes or the deadline passes.
    void linger_then_close() {
        closed_ = true;
        beast::error_code ec;
        beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
        beast::get_lowest_layer(stream_).expires_after(std::min(server_->cfg.read_timeout, std::chrono::milliseconds(5000)));
        discard();
    }
    void discard() {
        auto scratch = std::make_shared<std::array<char, 16384>>();
        beast::get_lowest_layer(stream_).async_read_some(
            asio::buffer(*scratch), [self = shared_from_this(), scratch](beast::error_code ec, std::size_t) {
                if (ec) return beast::get_lowest_layer(self->stream_).close();
                self->discard();
            });
    }

    void close() {
        if (closed_) return;
        closed_ = true;
        beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
        stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
            beast::get_lowest_layer(self->stream_).close();
        });
    }

    std::shared_ptr<TlsContext> tls_;
    beast::ssl_stream<beast::tcp_stream> stream_;
    std::shared_ptr<HttpsServer::Impl> server_;
    uint64_t id_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    Peer peer_;
    size_t requests_ = 0;
    bool busy_ = false;
    std::chrono::steady_clock::time_point header_at_{};  // the request in flight's header arrived (none: {})
    bool keep_alive_ = true;
    bool closed_ = false;
    bool linger_ = false;
};

void HttpsServer::Impl::accept() {
    auto& peer_context = io[next_io++ % io.size()]->ioc;
    acceptor->async_accept(peer_context, beast::bind_front_handler(&Impl::on_accept, shared_from_this()));
}

void HttpsServer::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
    if (ec) {
        metrics::counter("accept_errors_total").inc();
        log::warn("accept_failed", {{"reason", ec.message()}});
        // EMFILE and friends: back off instead of spinning.
        auto timer = std::make_shared<asio::steady_timer>(acceptor->get_executor(), std::chrono::milliseconds(50));
        timer->async_wait([self = shared_from_this(), timer](beast::error_code) { self->accept(); });
        return;
    }
    if (draining) return;
    {
        // Answers are small and written in pieces (TLS records): without
        // this, Nagle and the peer's delayed ACK hold a piece back ~40 ms.
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
    }
    if (active.load() >= cfg.max_connections) {
        metrics::counter("connections_refused_total").inc();
        beast::error_code ignored;
        socket.close(ignored);
    } else {
        std::shared_ptr<Session> session;
        {
            std::lock_guard lock(sessions_mutex);
            uint64_t id = ++next_id;
            active.fetch_add(1);
            metrics::gauge("connections_open").set(static_cast<int64_t>(active.load()));
            session = std::make_shared<Session>(std::move(socket), current_tls(), shared_from_this(), id);
            sessions.emplace(id, session);
        }
        session->run();
    }
    accept();
}

HttpsServer::HttpsServer(config::ListenerConfig listener, std::shared_ptr<TlsContext> tls, Handler handler,
                         const std::string& name)
    : impl_(std::make_shared<Impl>()) {
    impl_->request_seconds = &metrics::histogram("http_request_seconds{listener=\"" + name + "\"}");
    impl_->cfg = std::move(listener);
    impl_->tls = std::move(tls);
    impl_->handler = std::move(handler);
}

HttpsServer::~HttpsServer() {
    drain(std::chrono::milliseconds(0));
}

Status HttpsServer::start() {
    beast::error_code ec;
    auto address = asio::ip::make_address(impl_->cfg.address, ec);
    if (ec) return Error::invalid("listener address '" + impl_->cfg.address + "' is not an IP address");
    tcp::endpoint endpoint(address, impl_->cfg.port);
    auto& i = *impl_;
    if (i.io.empty())
        for (unsigned n = 0; n < std::max(1u, i.cfg.threads); ++n) i.io.push_back(std::make_unique<Impl::IoThread>());
    if (!i.accepting) i.accepting = std::make_unique<Impl::IoThread>();
    if (!i.bulk) i.bulk = std::make_unique<Impl::IoThread>();
    auto& a = i.acceptor.emplace(i.accepting->ioc);
    a.open(endpoint.protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(endpoint, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return Error::unavailable("cannot listen on " + i.cfg.address + ":" + std::to_string(i.cfg.port) +
                                  ": " + ec.message());
    i.bound_port = a.local_endpoint().port();
    impl_->accept();
    auto run = [this](Impl::IoThread& t, const char* name) {
        t.work.emplace(t.ioc.get_executor());
        t.thread = std::thread([&ioc = t.ioc, impl = impl_, name] {
            name_this_thread(name);
            ioc.run();
        });
    };
    for (auto& t : i.io) run(*t, "kh-io");
    run(*i.accepting, "kh-accept");
    run(*i.bulk, "kh-bulk");
    i.running = true;
    return ok_status();
}

uint16_t HttpsServer::port() const { return impl_->bound_port; }

void HttpsServer::replace_tls(std::shared_ptr<TlsContext> tls) {
    std::lock_guard lock(impl_->tls_mutex);
    impl_->tls = std::move(tls);
}

size_t HttpsServer::active_connections() const { return impl_->active.load(); }

bool HttpsServer::drain(std::chrono::milliseconds deadline) {
    auto& i = *impl_;
    if (!i.running) return true;
    i.draining = true;
    asio::post(i.acceptor->get_executor(), [impl = impl_] {
        beast::error_code ec;
        impl->acceptor->close(ec);
    });
    {
        std::vector<std::shared_ptr<Session>> live;
        {
            std::lock_guard lock(i.sessions_mutex);
            for (auto& [id, weak] : i.sessions)
                if (auto s = weak.lock()) live.push_back(std::move(s));
        }
        for (auto& s : live) s->close_if_idle();
    }
    bool clean;
    {
        std::unique_lock lock(i.sessions_mutex);
        clean = i.sessions_cv.wait_for(lock, deadline, [&] { return i.active.load() == 0; });
    }
    std::vector<Impl::IoThread*> all;
    for (auto& t : i.io) all.push_back(t.get());
    all.push_back(i.accepting.get());
    all.push_back(i.bulk.get());
    for (auto* t : all) {
        t->work.reset();
        t->ioc.stop();
    }
    for (auto* t : all) t->thread.join();
    i.running = false;
    // Sessions still alive were abandoned mid-request; dropping their
    // handlers here would make them reference a dead io_context.
    for (auto* t : all) {
        t->ioc.restart();
        t->ioc.poll();
    }
    return clean;
}

}  // namespace ketenhub::net
