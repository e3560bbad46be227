#include "net/verified_certificates.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

namespace ketenhub::net {

bool VerifiedCertificates::contains(std::string_view chain_der, std::time_t now) const {
    std::lock_guard lock(mutex_);
    auto it = chains_.find(chain_der);
    return it != chains_.end() && it->second.not_before <= now && now <= it->second.not_after;
}

void VerifiedCertificates::remember(std::string chain_der, std::time_t not_before, std::time_t not_after) {
    if (chain_der.empty() || not_after < not_before || capacity_ == 0) return;
    std::lock_guard lock(mutex_);
    if (chains_.size() >= capacity_ && !chains_.contains(chain_der)) chains_.clear();
    chains_.insert_or_assign(std::move(chain_der), Validity{not_before, not_after});
}

size_t VerifiedCertificates::size() const {
    std::lock_guard lock(mutex_);
    return chains_.size();
}

namespace {

// The DER of every certificate the peer sent, its own first, end to end (DER
// is self-delimiting): what VerifiedCertificates compares.
std::string presented_chain_der(X509_STORE_CTX* store) {
    std::string out;
    auto append = [&out](X509* cert) {
        int n = i2d_X509(cert, nullptr);
        if (n <= 0) return false;
        size_t at = out.size();
        out.resize(at + static_cast<size_t>(n));
        auto* p = reinterpret_cast<unsigned char*>(out.data() + at);
        return i2d_X509(cert, &p) == n;
    };
    X509* leaf = X509_STORE_CTX_get0_cert(store);
    if (!leaf || !append(leaf)) return {};
    if (STACK_OF(X509)* sent = X509_STORE_CTX_get0_untrusted(store))
        for (int i = 0; i < sk_X509_num(sent); ++i)
            if (X509* cert = sk_X509_value(sent, i); cert != leaf && !append(cert)) return {};
    return out;
}

// When every certificate of the verified chain (up to and including the
// trusted CA) is valid: the latest notBefore and the earliest notAfter.
std::optional<std::pair<std::time_t, std::time_t>> chain_validity(X509_STORE_CTX* store) {
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(store);
    if (!chain || sk_X509_num(chain) == 0) return std::nullopt;
    std::time_t not_before = std::numeric_limits<std::time_t>::min();
    std::time_t not_after = std::numeric_limits<std::time_t>::max();
    for (int i = 0; i < sk_X509_num(chain); ++i) {
        X509* cert = sk_X509_value(chain, i);
        std::tm from{}, until{};
        if (ASN1_TIME_to_tm(X509_get0_notBefore(cert), &from) != 1 || ASN1_TIME_to_tm(X509_get0_notAfter(cert), &until) != 1)
            return std::nullopt;
        not_before = std::max(not_before, timegm(&from));
        not_after = std::min(not_after, timegm(&until));
    }
    return std::pair{not_before, not_after};
}

// A host name, e-mail address or IP address to match, or a verify callback
// of the connection's (Asio's host name check is one), makes the verification
// depend on the connection, not only on the chain and the context.
bool expects_a_particular_peer(X509_STORE_CTX* store) {
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    if (ssl && SSL_get_verify_callback(ssl)) return true;
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(store);
    if (X509_VERIFY_PARAM_get0_host(param, 0) || X509_VERIFY_PARAM_get0_email(param)) return true;
    char* ip = X509_VERIFY_PARAM_get1_ip_asc(param);
    OPENSSL_free(ip);
    return ip != nullptr;
}

// Replaces libssl's call of X509_verify_cert.
int verify_through_memory(X509_STORE_CTX* store, void* arg) {
    auto& memory = *static_cast<VerifiedCertificates*>(arg);
    if (expects_a_particular_peer(store)) return X509_verify_cert(store);
    std::string presented = presented_chain_der(store);
    if (!presented.empty() && memory.contains(presented, std::time(nullptr))) {
        X509_STORE_CTX_set_error(store, X509_V_OK);
        if (memory.on_hit) memory.on_hit();
        return 1;
    }
    int ok = X509_verify_cert(store);
    if (ok == 1 && !presented.empty())
        if (auto validity = chain_validity(store)) memory.remember(std::move(presented), validity->first, validity->second);
    return ok;
}

}  // namespace

void verify_chains_through(ssl_ctx_st* ctx, VerifiedCertificates& memory) {
    SSL_CTX_set_cert_verify_callback(ctx, verify_through_memory, &memory);
}

}  // namespace ketenhub::net
