// ENGINE is deprecated in OpenSSL 3.0 but still the only switch to its
// built-in key reading (see the header).
#define OPENSSL_SUPPRESS_DEPRECATED

#include "net/peer_key_decoding.hpp"
#include "net/openssl_error.hpp"

#include <openssl/engine.h>
#include <openssl/evp.h>

#include <mutex>

namespace ketenhub::net {
namespace {

const int kNids[] = {EVP_PKEY_EC};

int ec_key_methods(ENGINE*, EVP_PKEY_METHOD** method, const int** nids, int nid) {
    if (method == nullptr) {
        *nids = kNids;
        return 1;
    }
    if (nid == EVP_PKEY_EC) {
        // OpenSSL's own built-in method: the engine changes where keys are
        // read, not how they compute.
        *method = const_cast<EVP_PKEY_METHOD*>(EVP_PKEY_meth_find(EVP_PKEY_EC));
        return *method != nullptr ? 1 : 0;
    }
    *method = nullptr;
    return 0;
}

std::string failed(const char* what) { return std::string(what) + ": " + openssl_error(); }

std::string register_engine() {
    if (EVP_PKEY_meth_find(EVP_PKEY_EC) == nullptr) return "OpenSSL has no built-in EC key method";
    ENGINE* e = ENGINE_new();
    if (e == nullptr) return failed("ENGINE_new");
    if (!ENGINE_set_id(e, "ketenhub-builtin-ec") ||
        !ENGINE_set_name(e, "Ketenhub: EC certificate keys read by OpenSSL's built-in code") ||
        !ENGINE_set_pkey_meths(e, ec_key_methods)) {
        ENGINE_free(e);
        return failed("setting up the engine");
    }
    // The tables hold their own reference; the engine lives as long as the
    // process (OpenSSL frees its tables at exit).
    if (!ENGINE_add(e) || !ENGINE_register_pkey_meths(e)) {
        ENGINE_free(e);
        return failed("registering the engine");
    }
    ENGINE_free(e);
    return {};
}

}  // namespace

std::string read_ec_certificate_keys_with_builtin_code() {
    static std::once_flag once;
    static std::string result;
    std::call_once(once, [] { result = register_engine(); });
    return result;
}

bool ec_certificate_keys_read_with_builtin_code() {
    ENGINE* e = ENGINE_get_pkey_meth_engine(EVP_PKEY_EC);
    if (e == nullptr) return false;
    ENGINE_finish(e);
    return true;
}

}  // namespace ketenhub::net
