#include "https_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace ketenhub::it {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string Response::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
}

nlohmann::json Response::json() const {
    auto j = nlohmann::json::parse(body, nullptr, false);
    return j.is_object() ? j : nlohmann::json::object();
}

std::string http_request_text(const std::string& method, const std::string& target, const std::string& body,
                              const std::string& content_type) {
    std::string text = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: ketenhub-integration-test\r\n";
    if (!content_type.empty()) text += "Content-Type: " + content_type + "\r\n";
    if (!body.empty() || method != "GET") text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    text += "\r\n";
    text += body;
    return text;
}

struct HttpsClient::Impl {
    asio::io_context ioc;
    ssl::context ctx{ssl::context::tls_client};
    std::optional<ssl::stream<beast::tcp_stream>> stream;
    beast::flat_buffer buffer;
    std::chrono::milliseconds timeout;

    beast::tcp_stream& tcp() { return beast::get_lowest_layer(*stream); }

    // Runs until every started operation has completed; each one has a
    // deadline (tcp_stream::expires_after), so this cannot hang.
    void run() {
        ioc.restart();
        ioc.run();
    }

    Response to_response(http::response_parser<http::string_body>& parser) {
        Response r;
        auto& msg = parser.get();
        r.status = msg.result_int();
        for (const auto& field : msg) {
            std::string name(field.name_string());
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            r.headers[name] = std::string(field.value());
        }
        r.body = msg.body();
        r.keep_alive = msg.keep_alive();
        return r;
    }
};

HttpsClient::HttpsClient(std::string ca, std::optional<ClientCertificate> client, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
    impl_->timeout = timeout;
    auto& ctx = impl_->ctx;
    ctx.set_verify_mode(ssl::verify_peer);
    ctx.load_verify_file(ca);
    if (client) {
        ctx.use_certificate_chain_file(client->certificate);
        ctx.use_private_key_file(client->private_key, ssl::context::pem);
    }
}

HttpsClient::~HttpsClient() { close(); }

std::string HttpsClient::connect(uint16_t port) {
    auto& i = *impl_;
    i.stream.emplace(i.ioc, i.ctx);
    i.buffer.clear();
    SSL_set_tlsext_host_name(i.stream->native_handle(), "localhost");
    i.stream->set_verify_callback(ssl::host_name_verification("localhost"));

    beast::error_code ec;
    i.tcp().expires_after(i.timeout);
    i.tcp().async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                          [&](beast::error_code e) { ec = e; });
    i.run();
    if (ec) {
        i.stream.reset();
        return "connect: " + ec.message();
    }
    i.tcp().expires_after(i.timeout);
    i.stream->async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
    i.run();
    if (ec) {
        i.stream.reset();
        return "TLS handshake: " + ec.message();
    }
    return {};
}

std::vector<std::string> HttpsClient::server_chain_subjects() const {
    std::vector<std::string> out;
    if (!impl_->stream) return out;
    STACK_OF(X509)* chain = SSL_get_peer_cert_chain(impl_->stream->native_handle());
    for (int i = 0; chain && i < sk_X509_num(chain); ++i) {
        BIO* bio = BIO_new(BIO_s_mem());
        X509_NAME_print_ex(bio, X509_get_subject_name(sk_X509_value(chain, i)), 0, XN_FLAG_RFC2253);
        char* data = nullptr;
        long len = BIO_get_mem_data(bio, &data);
        out.emplace_back(data, static_cast<size_t>(len));
        BIO_free(bio);
    }
    return out;
}

Response HttpsClient::request(const std::string& method, const std::string& target, const std::string& body,
                              const std::string& content_type) {
    auto& i = *impl_;
    Response r;
    if (!i.stream) {
        r.error = "not connected";
        return r;
    }
    const std::string text = http_request_text(method, target, body, content_type);
    http::response_parser<http::string_body> parser;
    beast::error_code write_ec, read_ec;
    bool written = false;
    i.tcp().expires_after(i.timeout);
    asio::async_write(*i.stream, asio::buffer(text), [&](beast::error_code e, std::size_t) {
        write_ec = e;
        written = true;
    });
    http::async_read(*i.stream, i.buffer, parser, [&](beast::error_code e, std::size_t) {
        read_ec = e;
        // Answered before the whole request was taken: stop writing; the
        // connection cannot carry another request.
        if (!written) i.tcp().socket().cancel();
    });
    i.run();
    if (read_ec) {
        r.error = "read: " + read_ec.message() + (write_ec ? "; write: " + write_ec.message() : "");
        i.stream.reset();
        return r;
    }
    r = i.to_response(parser);
    if (write_ec) {
        r.error = "write: " + write_ec.message();
        i.stream.reset();
    }
    return r;
}

std::string HttpsClient::send_raw(std::string_view bytes) {
    auto& i = *impl_;
    if (!i.stream) return "not connected";
    beast::error_code ec;
    i.tcp().expires_after(i.timeout);
    asio::async_write(*i.stream, asio::buffer(bytes.data(), bytes.size()), [&](beast::error_code e, std::size_t) { ec = e; });
    i.run();
    return ec ? "write: " + ec.message() : std::string();
}

Response HttpsClient::read_response() {
    auto& i = *impl_;
    Response r;
    if (!i.stream) {
        r.error = "not connected";
        return r;
    }
    http::response_parser<http::string_body> parser;
    beast::error_code ec;
    i.tcp().expires_after(i.timeout);
    http::async_read(*i.stream, i.buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
    i.run();
    if (ec) {
        r.error = "read: " + ec.message();
        i.stream.reset();
        return r;
    }
    return i.to_response(parser);
}

void HttpsClient::close() {
    auto& i = *impl_;
    if (!i.stream) return;
    if (i.tcp().socket().is_open()) {
        i.tcp().expires_after(std::chrono::seconds(2));
        i.stream->async_shutdown([](beast::error_code) {});
        i.run();
        beast::error_code ignored;
        i.tcp().socket().close(ignored);
    }
    i.stream.reset();
}

}  // namespace ketenhub::it
