// Certificate chains that have passed full verification, so that the next
// handshake presenting exactly the same chain need not check the issuers'
// signatures again (as a browser's verifier caches its results). Partners are
// few and keep their certificates for months: on a busy listener nearly every
// handshake presents a chain seen before, and verifying it again was about a
// tenth of the listener's CPU per full handshake (docs/performance.md).
//
// What is remembered is the chain's exact DER bytes, compared in full (no
// digest, so no collision to reason about), with the window in which every
// certificate of the verified chain is valid. A hit is only a hit inside that
// window. The handshake's proof of possession (TLS CertificateVerify, the
// peer's signature over the handshake) is not cached and happens every time.
// One memory belongs to one OpenSSL context, whose trust store and
// verification settings are fixed: a new client CA (a reload) starts empty.
// A connection with its own expectations (a host name to match) is always
// verified in full.
#pragma once

#include <cstddef>
#include <ctime>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace ketenhub::net {

class VerifiedCertificates {
public:
    explicit VerifiedCertificates(size_t capacity = 4096) : capacity_(capacity) {}

    // True when `chain_der` passed verification before and `now` lies inside
    // the validity of every certificate of the chain it was verified with.
    bool contains(std::string_view chain_der, std::time_t now) const;
    // After a full verification succeeded. When the memory is full it starts
    // over: the partners' chains come back within one handshake each.
    void remember(std::string chain_der, std::time_t not_before, std::time_t not_after);
    size_t size() const;

    // Called for every chain accepted from memory (the hub counts them).
    std::function<void()> on_hit;

private:
    struct Validity {
        std::time_t not_before;
        std::time_t not_after;
    };
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    size_t capacity_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Validity, Hash, std::equal_to<>> chains_;
};

// Makes `ctx` verify the peer's chain through `memory` instead of calling
// X509_verify_cert every time. `memory` must outlive `ctx`.
void verify_chains_through(ssl_ctx_st* ctx, VerifiedCertificates& memory);

}  // namespace ketenhub::net
