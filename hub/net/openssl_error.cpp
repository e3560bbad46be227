#include "net/openssl_error.hpp"

#include <openssl/err.h>

namespace ketenhub::net {

std::string openssl_error() {
    unsigned long e = ERR_get_error();
    if (!e) return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

}  // namespace ketenhub::net
