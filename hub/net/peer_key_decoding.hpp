// How a peer certificate's EC public key is read during a handshake.
//
// OpenSSL 3.0 reads the public key of every certificate it parses through its
// provider decoders, and sets up a decoder context for it each time by
// enumerating every decoder and key type of every loaded provider (3.2 caches
// that set-up; Debian 12 ships 3.0). For a full mutual-TLS handshake that
// set-up was about a fifth of the CPU on each side (docs/performance.md): the
// peer's P-256 key itself takes microseconds to read.
//
// OpenSSL 3.0 still reads a key with its built-in ("legacy") code when an
// ENGINE is registered for the key's type. This registers one that supplies
// OpenSSL's own built-in EC key method, so EC certificates are read and their
// keys used by OpenSSL's built-in EC code (the same arithmetic the default
// provider uses) without a decoder context. It is process-wide: every EC
// certificate the process parses afterwards gets a key in the built-in form,
// and everything that uses those keys must accept that form. The load
// generator turns it on (it only does TLS). The hub does not: the adapters in
// its process use OpenSSL too, and xmlsec (the DT&V adapter's signatures)
// cannot sign or verify with an EC key in the built-in form (it asks the key
// for its curve's order as a provider parameter and gets nothing).
#pragma once

#include <string>

namespace ketenhub::net {

// Registers the engine once per process; later calls return the first
// result. Empty on success, else why not (the process then keeps OpenSSL's
// default decoding, which is correct, only slower).
std::string read_ec_certificate_keys_with_builtin_code();

// Whether OpenSSL now reads EC certificate keys with its built-in code (this
// process, or a library in it, registered an engine for EC keys).
bool ec_certificate_keys_read_with_builtin_code();

}  // namespace ketenhub::net
