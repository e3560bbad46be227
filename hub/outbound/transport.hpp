// The outbound path's view of the network: post one document to a partner's
// endpoint and hear how it went. The HTTPS implementation with the hub's
// client certificate is net/https_client; tests may put a real endpoint
// behind it or, where a fault must be forced, their own Transport.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ketenhub::outbound {

struct PushRequest {
    std::string url;  // https://host[:port]/path
    std::string content_type;
    std::string body;
    std::chrono::milliseconds timeout{15000};  // the whole exchange: connect, handshake, write, read
    std::vector<std::pair<std::string, std::string>> headers;
};

struct PushResponse {
    int status = 0;     // 0: no HTTP answer (see error)
    std::string body;   // the partner's answer (its receipt or reason), first 64 KiB
    std::string error;  // what failed when there was no answer: "connect: ...", "handshake: ...", "timeout"
    std::optional<std::chrono::seconds> retry_after;
    int64_t duration_ms = 0;
};

class Transport {
public:
    virtual ~Transport() = default;
    // Calls done exactly once, from a transport thread.
    virtual void post(PushRequest request, std::function<void(PushResponse)> done) = 0;
};

}  // namespace ketenhub::outbound
