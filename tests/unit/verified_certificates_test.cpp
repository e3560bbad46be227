#include "net/verified_certificates.hpp"

#include <gtest/gtest.h>

#include <string>

using ketenhub::net::VerifiedCertificates;

namespace {
const std::string kChain = std::string("\x30\x82\x01\x23", 4) + std::string(291, 'c');  // stands for DER bytes
}

TEST(VerifiedCertificates, AChainIsVouchedForOnlyInsideTheWindowItWasVerifiedFor) {
    VerifiedCertificates verified;
    EXPECT_FALSE(verified.contains(kChain, 1000));
    verified.remember(kChain, 1000, 2000);
    EXPECT_TRUE(verified.contains(kChain, 1000));
    EXPECT_TRUE(verified.contains(kChain, 1500));
    EXPECT_TRUE(verified.contains(kChain, 2000));
    EXPECT_FALSE(verified.contains(kChain, 999)) << "not yet valid";
    EXPECT_FALSE(verified.contains(kChain, 2001)) << "expired since it was verified";
}

TEST(VerifiedCertificates, OnlyTheExactBytesMatch) {
    VerifiedCertificates verified;
    verified.remember(kChain, 0, 5000);
    std::string one_byte_changed = kChain;
    one_byte_changed[100] = 'd';
    EXPECT_FALSE(verified.contains(one_byte_changed, 10));
    EXPECT_FALSE(verified.contains(kChain.substr(0, kChain.size() - 1), 10)) << "a prefix";
    EXPECT_FALSE(verified.contains(kChain + kChain, 10)) << "the same leaf with another certificate after it";
    EXPECT_FALSE(verified.contains("", 10));
    EXPECT_TRUE(verified.contains(kChain, 10));
}

TEST(VerifiedCertificates, NothingIsRememberedWithoutAWindowOrBytes) {
    VerifiedCertificates verified;
    verified.remember(kChain, 2000, 1000);  // notAfter before notBefore: never valid
    verified.remember("", 0, 5000);
    EXPECT_EQ(verified.size(), 0u);
    EXPECT_FALSE(verified.contains(kChain, 1500));
}

TEST(VerifiedCertificates, AFullCacheStartsOverInsteadOfGrowing) {
    VerifiedCertificates verified(3);
    for (char c : {'a', 'b', 'c'}) verified.remember(std::string(10, c), 0, 100);
    EXPECT_EQ(verified.size(), 3u);
    verified.remember(std::string(10, 'a'), 0, 200);  // already there: refreshed, nothing dropped
    EXPECT_EQ(verified.size(), 3u);
    EXPECT_TRUE(verified.contains(std::string(10, 'a'), 150));
    verified.remember(std::string(10, 'd'), 0, 100);
    EXPECT_EQ(verified.size(), 1u);
    EXPECT_TRUE(verified.contains(std::string(10, 'd'), 50));
    EXPECT_FALSE(verified.contains(std::string(10, 'b'), 50)) << "forgotten chains are verified again in full";
}

// ---- the OpenSSL side: real handshakes in memory ---------------------------

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace {

struct Key {
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    ~Key() { EVP_PKEY_free(pkey); }
};

struct Cert {
    X509* x509 = X509_new();
    ~Cert() { X509_free(x509); }
};

// A certificate for `cn` with `key`, signed by `issuer_key` (self-signed when
// no issuer is given), valid from an hour ago for a day.
void make_certificate(Cert& cert, const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca) {
    static long serial = 1;
    X509_set_version(cert.x509, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.x509), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert.x509), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.x509), 86400);
    X509_set_pubkey(cert.x509, key);
    X509_NAME* name = X509_get_subject_name(cert.x509);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.x509, issuer ? X509_get_subject_name(issuer) : name);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer ? issuer : cert.x509, cert.x509, nullptr, nullptr, 0);
    X509_EXTENSION* bc = X509V3_EXT_conf_nid(nullptr, &v3, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    X509_add_ext(cert.x509, bc, -1);
    X509_EXTENSION_free(bc);
    ASSERT_GT(X509_sign(cert.x509, issuer_key ? issuer_key : key, EVP_sha256()), 0);
}

struct Pki {
    Key ca_key, other_ca_key, server_key, impostor_key;
    Cert ca, other_ca, server, impostor;  // impostor: CN=localhost from the other CA
    Pki() {
        make_certificate(ca, "Test CA", ca_key.pkey, nullptr, nullptr, true);
        make_certificate(other_ca, "Other CA", other_ca_key.pkey, nullptr, nullptr, true);
        make_certificate(server, "localhost", server_key.pkey, ca.x509, ca_key.pkey, false);
        make_certificate(impostor, "localhost", impostor_key.pkey, other_ca.x509, other_ca_key.pkey, false);
    }
};

using Ctx = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

Ctx server_context(X509* cert, EVP_PKEY* key) {
    Ctx ctx(SSL_CTX_new(TLS_server_method()), &SSL_CTX_free);
    SSL_CTX_use_certificate(ctx.get(), cert);
    SSL_CTX_use_PrivateKey(ctx.get(), key);
    SSL_CTX_set_num_tickets(ctx.get(), 0);
    return ctx;
}

// The client trusts only the test CA and verifies through `memory`.
Ctx client_context(X509* trusted, VerifiedCertificates& memory) {
    Ctx ctx(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), trusted);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
    ketenhub::net::verify_chains_through(ctx.get(), memory);
    return ctx;
}

// One full handshake over a pair of memory BIOs; `prepare` may adjust the
// client's connection first. True when both sides completed it.
template <class Prepare>
bool handshake(SSL_CTX* server_ctx, SSL_CTX* client_ctx, Prepare prepare) {
    SSL* server = SSL_new(server_ctx);
    SSL* client = SSL_new(client_ctx);
    BIO *server_bio = nullptr, *client_bio = nullptr;
    BIO_new_bio_pair(&server_bio, 0, &client_bio, 0);
    SSL_set_bio(server, server_bio, server_bio);
    SSL_set_bio(client, client_bio, client_bio);
    SSL_set_accept_state(server);
    SSL_set_connect_state(client);
    prepare(client);
    bool server_done = false, client_done = false, failed = false;
    for (int round = 0; round < 20 && !(server_done && client_done) && !failed; ++round) {
        if (!client_done) {
            int r = SSL_do_handshake(client);
            client_done = r == 1;
            failed |= r <= 0 && SSL_get_error(client, r) != SSL_ERROR_WANT_READ;
        }
        if (!server_done && !failed) {
            int r = SSL_do_handshake(server);
            server_done = r == 1;
            failed |= r <= 0 && SSL_get_error(server, r) != SSL_ERROR_WANT_READ;
        }
    }
    SSL_free(client);
    SSL_free(server);
    return server_done && client_done && !failed;
}

bool handshake(SSL_CTX* server_ctx, SSL_CTX* client_ctx) {
    return handshake(server_ctx, client_ctx, [](SSL*) {});
}

}  // namespace

// A server with a certificate from the test CA, and a client that trusts
// that CA and verifies through `memory`, counting what it accepts from it.
class VerifiedCertificatesTls : public ::testing::Test {
protected:
    VerifiedCertificatesTls() { memory.on_hit = [this] { ++hits; }; }
    Pki pki;
    VerifiedCertificates memory;
    int hits = 0;
    Ctx server = server_context(pki.server.x509, pki.server_key.pkey);
    Ctx client = client_context(pki.ca.x509, memory);
};

TEST_F(VerifiedCertificatesTls, TheSecondHandshakeWithTheSameChainIsAcceptedFromMemory) {
    ASSERT_TRUE(handshake(server.get(), client.get()));
    EXPECT_EQ(hits, 0);
    EXPECT_EQ(memory.size(), 1u);
    ASSERT_TRUE(handshake(server.get(), client.get()));
    EXPECT_EQ(hits, 1);
}

TEST_F(VerifiedCertificatesTls, AChainFromAnotherCaIsRefusedAfterAGoodOneWithTheSameSubject) {
    Ctx impostor = server_context(pki.impostor.x509, pki.impostor_key.pkey);
    ASSERT_TRUE(handshake(server.get(), client.get()));
    EXPECT_FALSE(handshake(impostor.get(), client.get()));
    EXPECT_EQ(memory.size(), 1u);
    EXPECT_EQ(hits, 0);
}

TEST_F(VerifiedCertificatesTls, AConnectionWithAHostNameOrAVerifyCallbackIsVerifiedInFull) {
    ASSERT_TRUE(handshake(server.get(), client.get()));
    // Remembered, but this connection expects another name: full verification refuses it.
    EXPECT_FALSE(handshake(server.get(), client.get(), [](SSL* ssl) { SSL_set1_host(ssl, "elsewhere.example"); }));
    EXPECT_TRUE(handshake(server.get(), client.get(), [](SSL* ssl) { SSL_set1_host(ssl, "localhost"); }));
    // A connection's own verify callback is asked, which only a full verification does.
    EXPECT_FALSE(handshake(server.get(), client.get(),
                           [](SSL* ssl) { SSL_set_verify(ssl, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 0; }); }));
    EXPECT_EQ(hits, 0);
    EXPECT_TRUE(handshake(server.get(), client.get()));
    EXPECT_EQ(hits, 1);
}
