// Client certificate chains that have passed full verification, so that the
// next handshake presenting exactly the same chain need not check the CA's
// signature again. Partners are few and keep their certificates for months:
// on a busy listener nearly every handshake presents a chain seen before, and
// checking the issuer's signature was a sixth of a full handshake's CPU
// (docs/performance.md).
//
// What is remembered is the chain's exact DER bytes, compared in full (no
// digest, so no collision to reason about), with the window in which every
// certificate in the verified chain is valid. A hit is only a hit inside that
// window. The handshake's own proof of possession (TLS CertificateVerify, the
// client's signature over the handshake) is not cached and happens every time.
// One cache belongs to one TLS context: a new client CA (reload) starts empty.
#pragma once

#include <cstddef>
#include <ctime>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ketenhub::net {

class VerifiedCertificates {
public:
    explicit VerifiedCertificates(size_t capacity = 4096) : capacity_(capacity) {}

    // True when `chain_der` passed verification before and `now` lies inside
    // the validity of every certificate of the chain it was verified with.
    bool contains(std::string_view chain_der, std::time_t now) const;
    // After a full verification succeeded. When the cache is full it starts
    // over: the partners' chains come back within one handshake each.
    void remember(std::string chain_der, std::time_t not_before, std::time_t not_after);
    size_t size() const;

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

}  // namespace ketenhub::net
