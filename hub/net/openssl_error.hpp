// OpenSSL's reason for the last failure on this thread, for messages that
// name what failed and why. Part of the TLS helpers the load generator links
// too, apart from the core.
#pragma once

#include <string>

namespace ketenhub::net {

// The oldest queued error as OpenSSL words it ("unknown OpenSSL error" when
// none is queued); empties the thread's queue.
std::string openssl_error();

}  // namespace ketenhub::net
