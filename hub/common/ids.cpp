#include "common/ids.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace ketenhub {

namespace {

// Random bytes from OpenSSL's generator, taken 512 at a time per thread: one
// RAND_bytes call per document (its DRBG's locks and checks) was 0.8% of the
// hub's CPU at the maximum ingest rate (docs/performance.md). The process
// never forks after it starts, so no two processes share a buffer.
void random_bytes(unsigned char* out, size_t n) {
    struct Pool {
        unsigned char bytes[512];
        size_t used = sizeof bytes;
    };
    thread_local Pool pool;
    while (n > 0) {
        if (pool.used == sizeof pool.bytes) {
            if (RAND_bytes(pool.bytes, sizeof pool.bytes) != 1) throw std::runtime_error("RAND_bytes failed");
            pool.used = 0;
        }
        const size_t take = std::min(n, sizeof pool.bytes - pool.used);
        std::memcpy(out, pool.bytes + pool.used, take);
        OPENSSL_cleanse(pool.bytes + pool.used, take);
        pool.used += take;
        out += take;
        n -= take;
    }
}

// Two lower-case hex digits of a byte.
void append_hex(std::string& out, unsigned char byte) {
    static const char* hex = "0123456789abcdef";
    out += hex[byte >> 4];
    out += hex[byte & 15];
}

// Sets the version and the RFC variant bits and writes the 16 bytes in the
// 8-4-4-4-12 form.
std::string format_uuid(unsigned char (&b)[16], unsigned version) {
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | (version << 4));
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    std::string out;
    out.reserve(36);
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        append_hex(out, b[i]);
    }
    return out;
}

// SHA-256 fetched from the provider once: EVP_sha256() makes EVP_Digest
// look it up again on every call (OpenSSL 3.0), which took as long as
// hashing a 2 KB document.
const EVP_MD* sha256_algorithm() {
    static EVP_MD* md = [] {
        EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        if (fetched == nullptr) throw std::runtime_error("SHA-256 is not available from OpenSSL");
        return fetched;
    }();
    return md;
}

}  // namespace

std::string random_uuid() {
    unsigned char b[16];
    random_bytes(b, sizeof b);
    return format_uuid(b, 4);
}

std::string time_ordered_uuid() {
    unsigned char b[16];
    random_bytes(b + 6, 10);
    const auto ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
    for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
    return format_uuid(b, 7);
}

std::string sha256_hex(std::string_view bytes) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), md, &len, sha256_algorithm(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    std::string out;
    out.reserve(len * 2);
    for (unsigned i = 0; i < len; ++i) append_hex(out, md[i]);
    return out;
}

}  // namespace ketenhub
