#include "net/https_client.hpp"

#include "common/background.hpp"
#include "common/metrics.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>
#include <poll.h>

#include <charconv>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

namespace ketenhub::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

Result<ParsedUrl> parse_https_url(const std::string& url) {
    static const std::regex kUrl(R"(https://([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?(/[^\s]*)?)");
    std::smatch m;
    if (!std::regex_match(url, m, kUrl))
        return Error::invalid("'" + url + "' is not an https://host[:port]/path URL");
    ParsedUrl u;
    u.host = m[1].str();
    if (u.host.size() > 2 && u.host.front() == '[') u.host = u.host.substr(1, u.host.size() - 2);
    if (m[2].matched) {
        unsigned port = 0;
        std::from_chars(m[2].first.base(), m[2].second.base(), port);
        if (port == 0 || port > 65535) return Error::invalid("'" + url + "': port " + m[2].str() + " is out of range");
        u.port = m[2].str();
    }
    if (m[3].matched) u.target = m[3].str();
    return u;
}

namespace {

constexpr size_t kMaxAnswer = 64 * 1024;

using Stream = beast::ssl_stream<beast::tcp_stream>;

// Kept-alive connections to partners' endpoints, per host:port, so that a
// push does not pay for a TCP and a full mutual-TLS handshake each time
// (about 1 ms of CPU on each side; bench/ end to end). A connection is taken
// by one exchange at a time and given back only after a complete answer that
// allows keep-alive. One idle longer than kIdleLimit, or that the partner has
// closed (readable while idle: its FIN or close_notify), is dropped rather
// than used. A partner that closes one in the instant it is reused costs that
// message one failed attempt, retried by the outbox like any other.
class ConnectionPool {
public:
    static constexpr auto kIdleLimit = std::chrono::seconds(20);  // below the 30 s common on servers
    static constexpr size_t kMaxIdlePerEndpoint = 16;

    std::unique_ptr<Stream> take(const std::string& endpoint) {
        std::unique_ptr<Stream> found;
        std::vector<std::unique_ptr<Stream>> dropped;
        {
            std::lock_guard lock(mutex_);
            drop_expired(std::chrono::steady_clock::now(), dropped);
            auto it = idle_.find(endpoint);
            while (it != idle_.end() && !it->second.empty() && !found) {
                auto candidate = std::move(it->second.back().stream);  // the most recently used
                it->second.pop_back();
                if (still_open(*candidate)) found = std::move(candidate);
                else dropped.push_back(std::move(candidate));
            }
        }
        close(dropped);
        if (found) metrics::counter("outbound_connections_reused_total").inc();
        return found;
    }

    void give_back(const std::string& endpoint, std::unique_ptr<Stream> stream) {
        std::vector<std::unique_ptr<Stream>> dropped;
        {
            std::lock_guard lock(mutex_);
            auto& list = idle_[endpoint];
            if (list.size() >= kMaxIdlePerEndpoint) dropped.push_back(std::move(stream));
            else list.push_back({std::move(stream), std::chrono::steady_clock::now()});
        }
        close(dropped);
    }

private:
    struct Idle {
        std::unique_ptr<Stream> stream;
        std::chrono::steady_clock::time_point since;
    };

    // Nothing may arrive on an idle HTTP/1.1 connection: anything readable is
    // the partner closing it (or a protocol error), either way unusable.
    static bool still_open(Stream& s) {
        auto& socket = beast::get_lowest_layer(s).socket();
        if (!socket.is_open()) return false;
        pollfd p{socket.native_handle(), POLLIN, 0};
        return ::poll(&p, 1, 0) == 0;
    }

    void drop_expired(std::chrono::steady_clock::time_point now, std::vector<std::unique_ptr<Stream>>& dropped) {
        for (auto& [endpoint, list] : idle_)
            for (auto it = list.begin(); it != list.end();)
                if (now - it->since > kIdleLimit) {
                    dropped.push_back(std::move(it->stream));
                    it = list.erase(it);
                } else {
                    ++it;
                }
    }

    // Closed without TLS close_notify (outside the lock): the partner sees
    // the TCP close, and nothing waits for an answer that an idle connection
    // cannot carry.
    static void close(std::vector<std::unique_ptr<Stream>>& dropped) {
        for (auto& s : dropped) {
            beast::error_code ignored;
            beast::get_lowest_layer(*s).socket().close(ignored);
        }
    }

    std::mutex mutex_;
    std::map<std::string, std::vector<Idle>> idle_;
};

// One POST, over a kept-alive connection to the endpoint when there is one,
// else over a new one. Each step runs under the request's deadline; whatever
// fails is reported once, as the step that failed.
class Exchange : public std::enable_shared_from_this<Exchange> {
public:
    Exchange(asio::io_context& io, ssl::context& tls, std::shared_ptr<ConnectionPool> pool, ParsedUrl url,
             outbound::PushRequest rq, std::function<void(outbound::PushResponse)> done)
        : io_(io),
          tls_(tls),
          pool_(std::move(pool)),
          url_(std::move(url)),
          endpoint_(url_.host + ":" + url_.port),
          rq_(std::move(rq)),
          done_(std::move(done)),
          started_(std::chrono::steady_clock::now()) {}

    void start() {
        stream_ = pool_->take(endpoint_);
        if (stream_) {
            reused_ = true;
            // Posted to the connection's own strand, where its operations run.
            return asio::post(stream_->get_executor(), [self = shared_from_this()] { self->write(); });
        }
        auto strand = asio::make_strand(io_);
        resolver_.emplace(strand);
        stream_ = std::make_unique<Stream>(strand, tls_);
        // SNI, and the certificate must name the host we asked for.
        if (!SSL_set_tlsext_host_name(stream_->native_handle(), url_.host.c_str())) return fail("tls: cannot set SNI");
        stream_->set_verify_callback(ssl::host_name_verification(url_.host));
        beast::get_lowest_layer(*stream_).expires_after(rq_.timeout);
        resolver_->async_resolve(url_.host, url_.port,
                                 [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                                     if (ec) return self->fail("resolve: " + ec.message());
                                     self->connect(std::move(r));
                                 });
    }

private:
    void connect(tcp::resolver::results_type results) {
        beast::get_lowest_layer(*stream_).async_connect(
            results, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                if (ec) return self->fail(ec == beast::error::timeout ? "timeout while connecting" : "connect: " + ec.message());
                // A request's pieces written back to back: no Nagle delay.
                beast::error_code ignored;
                beast::get_lowest_layer(*self->stream_).socket().set_option(tcp::no_delay(true), ignored);
                self->stream_->async_handshake(ssl::stream_base::client, [self](beast::error_code ec) {
                    if (ec) return self->fail(ec == beast::error::timeout ? "timeout in the TLS handshake"
                                                                          : "TLS handshake: " + ec.message());
                    metrics::counter("outbound_connections_opened_total").inc();
                    self->write();
                });
            });
    }

    void write() {
        beast::get_lowest_layer(*stream_).expires_after(rq_.timeout);
        request_.method(http::verb::post);
        request_.target(url_.target);
        request_.version(11);
        request_.set(http::field::host, url_.host + (url_.port == "443" ? "" : ":" + url_.port));
        request_.set(http::field::user_agent, "ketenhub");
        request_.set(http::field::content_type, rq_.content_type);
        for (const auto& [k, v] : rq_.headers) request_.set(k, v);
        request_.body() = rq_.body;
        request_.prepare_payload();
        http::async_write(*stream_, request_, [self = shared_from_this()](beast::error_code ec, size_t) {
            if (ec) return self->fail(ec == beast::error::timeout ? "timeout while sending" : "send: " + ec.message());
            self->parser_.body_limit(kMaxAnswer);
            http::async_read(*self->stream_, self->buffer_, self->parser_, [self](beast::error_code ec, size_t) {
                if (ec == http::error::body_limit) return self->answered(false);
                if (ec) return self->fail(ec == beast::error::timeout ? "timeout waiting for the answer" : "read: " + ec.message());
                self->answered(true);
            });
        });
    }

    void answered(bool complete) {
        const auto& res = parser_.get();
        outbound::PushResponse r;
        r.status = static_cast<int>(res.result_int());
        r.body = res.body().substr(0, kMaxAnswer);
        if (auto it = res.find(http::field::retry_after); it != res.end()) {
            long seconds = 0;
            const auto v = it->value();
            if (std::from_chars(v.data(), v.data() + v.size(), seconds).ec == std::errc() && seconds >= 0)
                r.retry_after = std::chrono::seconds(seconds);
        }
        // Nothing after the answer may be waiting in the buffer: the next
        // exchange on this connection starts reading afresh.
        const bool keep = complete && res.keep_alive() && buffer_.size() == 0;
        finish(std::move(r));
        if (keep) {
            beast::get_lowest_layer(*stream_).expires_never();
            return pool_->give_back(endpoint_, std::move(stream_));
        }
        // Close politely; the answer is already taken.
        beast::get_lowest_layer(*stream_).expires_after(std::chrono::seconds(2));
        stream_->async_shutdown([self = shared_from_this()](beast::error_code) {});
    }

    void fail(std::string what) {
        outbound::PushResponse r;
        r.error = reused_ ? what + " (on a kept-alive connection)" : std::move(what);
        metrics::counter("outbound_transport_errors_total").inc();
        finish(std::move(r));
        // A connection that failed is never given back; closing it here
        // stops whatever of it is still pending.
        if (stream_) {
            beast::error_code ignored;
            beast::get_lowest_layer(*stream_).socket().close(ignored);
        }
    }

    void finish(outbound::PushResponse r) {
        if (!done_) return;
        r.duration_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count();
        auto done = std::move(done_);
        done_ = nullptr;
        done(std::move(r));
    }

    asio::io_context& io_;
    ssl::context& tls_;
    std::shared_ptr<ConnectionPool> pool_;
    ParsedUrl url_;
    std::string endpoint_;  // host:port, the pool's key
    outbound::PushRequest rq_;
    std::function<void(outbound::PushResponse)> done_;
    std::chrono::steady_clock::time_point started_;
    std::optional<tcp::resolver> resolver_;
    std::unique_ptr<Stream> stream_;
    bool reused_ = false;
    http::request<http::string_body> request_;
    beast::flat_buffer buffer_;
    http::response_parser<http::string_body> parser_;
};

class HttpsClient final : public outbound::Transport {
public:
    explicit HttpsClient(unsigned threads)
        : tls_(ssl::context::tls_client), pool_(std::make_shared<ConnectionPool>()), work_(asio::make_work_guard(io_)) {
        for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] {
            name_this_thread("kh-push-io");
            io_.run();
        });
    }
    ~HttpsClient() override {
        work_.reset();
        io_.stop();
        for (auto& t : threads_) t.join();
    }
    ssl::context& tls() { return tls_; }

    void post(outbound::PushRequest request, std::function<void(outbound::PushResponse)> done) override {
        auto url = parse_https_url(request.url);
        if (!url) {
            outbound::PushResponse r;
            r.error = url.error().message;
            done(std::move(r));
            return;
        }
        std::make_shared<Exchange>(io_, tls_, pool_, std::move(*url), std::move(request), std::move(done))->start();
    }

private:
    asio::io_context io_;
    ssl::context tls_;
    std::shared_ptr<ConnectionPool> pool_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::vector<std::thread> threads_;
};

}  // namespace

Result<std::unique_ptr<outbound::Transport>> make_https_client(const config::TlsFiles& files, unsigned threads) {
    auto client = std::make_unique<HttpsClient>(threads == 0 ? 1 : threads);
    SSL_CTX* ctx = client->tls().native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    // Our chain as the certificate file has it, not completed from the
    // partners' CA store on every handshake (see make_server_tls).
    SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
    if (SSL_CTX_use_certificate_chain_file(ctx, files.certificate.c_str()) != 1)
        return Error::invalid("outbound client certificate " + files.certificate + " cannot be loaded");
    if (SSL_CTX_use_PrivateKey_file(ctx, files.private_key.c_str(), SSL_FILETYPE_PEM) != 1)
        return Error::invalid("outbound client key " + files.private_key + " cannot be loaded");
    if (SSL_CTX_check_private_key(ctx) != 1)
        return Error::invalid("outbound client key " + files.private_key + " does not match " + files.certificate);
    if (SSL_CTX_load_verify_locations(ctx, files.client_ca.c_str(), nullptr) != 1)
        return Error::invalid("partners' server CA " + files.client_ca + " cannot be loaded");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    return std::unique_ptr<outbound::Transport>(std::move(client));
}

}  // namespace ketenhub::net
