// A small HTTPS/1.1 client with mutual TLS for the integration tests
// (Boost.Beast + Asio SSL). One connection per object, kept alive across
// requests; no automatic reconnect, so a test sees exactly what happened to
// its connection. Every operation has a deadline: a hung server makes the
// operation fail with a timeout instead of hanging the test.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ketenhub::it {

struct ClientCertificate {
    std::string certificate;  // PEM file
    std::string private_key;  // PEM file
};

struct Response {
    unsigned status = 0;             // 0: no HTTP response was received
    std::string error;               // why there is no response (or a write error)
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    bool keep_alive = false;

    std::string header(const std::string& lower_case_name) const;
    nlohmann::json json() const;     // the body as a JSON object; {} when it is not one
};

class HttpsClient {
public:
    // ca: the CA that signed the server certificate (verified, host name
    // "localhost"). Without a client certificate the client offers none.
    HttpsClient(std::string ca, std::optional<ClientCertificate> client,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));
    ~HttpsClient();
    HttpsClient(const HttpsClient&) = delete;
    HttpsClient& operator=(const HttpsClient&) = delete;

    // TCP connect to 127.0.0.1:port and TLS handshake. Empty on success, else
    // the error (connection refused, TLS alert, ...).
    std::string connect(uint16_t port);

    // Sends one request and reads the answer. The request is written while
    // the answer is read, so an early answer (413 before the whole body was
    // sent) is still received.
    Response request(const std::string& method, const std::string& target, const std::string& body = {},
                     const std::string& content_type = {});
    Response post_xml(const std::string& body) { return request("POST", "/v1/messages", body, "application/xml"); }
    Response get(const std::string& target) { return request("GET", target); }

    // For requests sent in pieces: write raw bytes (empty on success), then
    // read one response.
    std::string send_raw(std::string_view bytes);

    // The subjects (RFC 2253) of the certificates the server sent in its
    // handshake, its own first; empty when not connected.
    std::vector<std::string> server_chain_subjects() const;
    Response read_response();

    // Sends close_notify (best effort) and closes the socket.
    void close();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The bytes of an HTTP/1.1 request with Host and Content-Length.
std::string http_request_text(const std::string& method, const std::string& target, const std::string& body = {},
                              const std::string& content_type = {});

}  // namespace ketenhub::it
