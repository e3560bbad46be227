#pragma once
#include <string>
#include <string_view>

namespace ketenhub {
// Random RFC 4122 version-4 UUID from OpenSSL's CSPRNG.
std::string random_uuid();
// RFC 9562 version-7 UUID: the current Unix time in milliseconds, then 74
// random bits. Ids made later sort later, so a table keyed by them grows at its
// end: a receipt id no longer dirties a random page of the receipt index in
// every group commit. The time is the system clock's, not the hub's Clock: it
// only orders the ids, nothing reads it back.
std::string time_ordered_uuid();
// Lower-case hex SHA-256 of bytes.
std::string sha256_hex(std::string_view bytes);
}  // namespace ketenhub
