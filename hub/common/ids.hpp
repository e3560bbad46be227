#pragma once
#include <string>
#include <string_view>

namespace ketenhub {
// Random RFC 4122 version-4 UUID from OpenSSL's CSPRNG.
std::string random_uuid();
// Lower-case hex SHA-256 of bytes.
std::string sha256_hex(std::string_view bytes);
}  // namespace ketenhub
