#include "dtv_signature.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/list.h>
#include <xmlsec/transforms.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include <cstdio>
#include <mutex>
#include <stdexcept>

namespace ketenhub::dtv {

namespace {

// xmlsec reports problems through one process-wide callback; by default it
// prints them to stderr. They are kept for the error message of the failing
// operation instead (a signature that does not match is an answer, not
// something to print).
thread_local std::string xmlsec_errors;

void collect_error(const char*, int, const char* func, const char*, const char*, int, const char* msg) {
    if (xmlsec_errors.size() > 400) return;
    xmlsec_errors += std::string(xmlsec_errors.empty() ? "" : "; ") + (func ? func : "") + ": " + (msg ? msg : "");
}

std::string with_details(const std::string& what) {
    return xmlsec_errors.empty() ? what : what + " (" + xmlsec_errors + ")";
}

void init_xmlsec() {
    static std::once_flag once;
    static std::string failure;
    std::call_once(once, [] {
        // The library is shared by the whole process; another copy of this
        // code (the adapter test links it next to the plugin) may have
        // initialised it already, and a second xmlSecInit would reset its
        // registries.
        if (xmlSecPtrListIsValid(xmlSecTransformIdsGet()) && xmlSecPtrListGetSize(xmlSecTransformIdsGet()) > 0) return;
        xmlInitParser();
        if (xmlSecInit() < 0) failure = "xmlSecInit failed";
        else if (xmlSecCheckVersion() != 1) failure = "the loaded xmlsec library is not the version this adapter was built with";
        else if (xmlSecCryptoAppInit(nullptr) < 0) failure = "xmlsec crypto app initialisation failed";
        else if (xmlSecCryptoInit() < 0) failure = "xmlsec crypto initialisation failed";
        else xmlSecErrorsSetCallback(&collect_error);
    });
    if (!failure.empty()) throw std::runtime_error(failure);
    xmlsec_errors.clear();
}

// RSA or EC; DT&V accepts RSA-SHA256 and ECDSA-SHA256 only.
bool is_ec_key(const std::string& key_file) {
    FILE* f = std::fopen(key_file.c_str(), "r");
    if (!f) throw std::runtime_error(key_file + ": cannot open the signing key");
    EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    if (!key) throw std::runtime_error(key_file + ": not a PEM private key (unencrypted PKCS#8 or traditional PEM)");
    const int type = EVP_PKEY_get_base_id(key);
    EVP_PKEY_free(key);
    if (type != EVP_PKEY_EC && type != EVP_PKEY_RSA)
        throw std::runtime_error(key_file + ": the signing key must be RSA or EC (DT&V accepts RSA-SHA256 and ECDSA-SHA256)");
    return type == EVP_PKEY_EC;
}

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

}  // namespace

struct Signer::Key {
    xmlSecKeyPtr key = nullptr;
    // The certificate's public key, loaded once: every signed document is
    // verified before it leaves, and loading the PEM certificate each time
    // was half the cost of signing (bench/).
    xmlSecKeyPtr verify_key = nullptr;
    std::mutex mutex;  // one signature or verification at a time with these keys
    ~Key() {
        if (key) xmlSecKeyDestroy(key);
        if (verify_key) xmlSecKeyDestroy(verify_key);
    }
};

namespace {

// Verifies the enveloped signature of `doc` with `key`, which the caller
// keeps (xmlsec takes its own reference to the OpenSSL key).
std::string verify_with(xmlDoc* doc, xmlSecKeyPtr key, const std::string& certificate_file) {
    if (!key) return with_details(certificate_file + ": cannot load the certificate");
    xmlNode* root = xmlDocGetRootElement(doc);
    xmlNodePtr node = root ? xmlSecFindChild(root, xmlSecNodeSignature, xmlSecDSigNs) : nullptr;
    if (!node) return "the root element has no ds:Signature child";
    for (xmlNode* n = node->next; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE) return "ds:Signature is not the last child of the root element";
    xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(nullptr);
    if (!ctx) return "cannot create the verification context";
    // A preset key: xmlsec then ignores whatever certificate ds:KeyInfo carries.
    ctx->signKey = key;
    std::string result;
    if (xmlSecDSigCtxVerify(ctx, node) < 0)
        result = with_details("the signature could not be processed");
    else if (ctx->status != xmlSecDSigStatusSucceeded)
        result = "the signature does not match the document";
    ctx->signKey = nullptr;  // borrowed: not the context's to free
    xmlSecDSigCtxDestroy(ctx);
    return result;
}

}  // namespace

Signer::Signer(const std::string& key_file, const std::string& certificate_file)
    : key_(std::make_unique<Key>()), certificate_file_(certificate_file) {
    init_xmlsec();
    ecdsa_ = is_ec_key(key_file);
    key_->key = xmlSecCryptoAppKeyLoad(key_file.c_str(), xmlSecKeyDataFormatPem, nullptr, nullptr, nullptr);
    if (!key_->key) throw std::runtime_error(with_details(key_file + ": xmlsec cannot load the signing key"));
    if (xmlSecCryptoAppKeyCertLoad(key_->key, certificate_file.c_str(), xmlSecKeyDataFormatPem) < 0)
        throw std::runtime_error(with_details(certificate_file + ": cannot load the signing certificate (PEM)"));
    key_->verify_key = xmlSecCryptoAppKeyLoad(certificate_file.c_str(), xmlSecKeyDataFormatCertPem, nullptr, nullptr, nullptr);
    if (!key_->verify_key) throw std::runtime_error(with_details(certificate_file + ": cannot load the certificate's public key"));

    // A key and a certificate that do not belong together would produce
    // documents DT&V refuses; find out now, not at the first report.
    xmlDoc* probe = xmlNewDoc(X("1.0"));
    xmlDocSetRootElement(probe, xmlNewNode(nullptr, X("probe")));
    std::string why;
    try {
        sign(probe);
        why = verify_own(probe);  // the cached public key is the one proven here
    } catch (const std::exception& e) {
        why = e.what();
    }
    xmlFreeDoc(probe);
    if (!why.empty())
        throw std::runtime_error(certificate_file + " does not verify what " + key_file + " signs: " + why);
}

Signer::~Signer() = default;

void Signer::sign(xmlDoc* doc) const {
    init_xmlsec();
    xmlNode* root = xmlDocGetRootElement(doc);
    if (!root) throw std::runtime_error("nothing to sign: the document has no root element");
    xmlNodePtr signature = xmlSecTmplSignatureCreateNsPref(
        doc, xmlSecTransformExclC14NId, ecdsa_ ? xmlSecTransformEcdsaSha256Id : xmlSecTransformRsaSha256Id, nullptr,
        X("ds"));
    if (!signature) throw std::runtime_error("cannot create the signature template");
    // The last child of the root: the only place DT&V's schema allows it.
    xmlAddChild(root, signature);
    // Indent it like its siblings when the document is indented; the
    // whitespace is signed along with everything else.
    if (xmlNode* before = signature->prev; before && before->type == XML_TEXT_NODE && xmlIsBlankNode(before) &&
                                           before->prev && before->prev->type == XML_ELEMENT_NODE) {
        xmlNodeSetContent(before, X("\n  "));
        xmlAddNextSibling(signature, xmlNewDocText(doc, X("\n")));
    }
    xmlNodePtr ref = xmlSecTmplSignatureAddReference(signature, xmlSecTransformSha256Id, nullptr, X(""), nullptr);
    if (!ref || !xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) ||
        !xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId))
        throw std::runtime_error("cannot build the signature reference");
    xmlNodePtr key_info = xmlSecTmplSignatureEnsureKeyInfo(signature, nullptr);
    xmlNodePtr x509 = key_info ? xmlSecTmplKeyInfoAddX509Data(key_info) : nullptr;
    if (!x509 || !xmlSecTmplX509DataAddCertificate(x509)) throw std::runtime_error("cannot build ds:KeyInfo");

    xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(nullptr);
    if (!ctx) throw std::runtime_error("cannot create the signature context");
    // The loaded key itself, not a copy: xmlSecKeyDuplicate copies the
    // certificate through OpenSSL's decoders and was most of the cost of a
    // signature (bench/). The lock keeps two encodes from sharing it at once.
    std::lock_guard lock(key_->mutex);
    ctx->signKey = key_->key;
    const int rc = xmlSecDSigCtxSign(ctx, signature);
    ctx->signKey = nullptr;  // borrowed: not the context's to free
    xmlSecDSigCtxDestroy(ctx);
    if (rc < 0) throw std::runtime_error(with_details("signing the document failed"));
}

std::string Signer::verify_own(xmlDoc* doc) const {
    init_xmlsec();
    std::lock_guard lock(key_->mutex);
    return verify_with(doc, key_->verify_key, certificate_file_);
}

std::string verify(xmlDoc* doc, const std::string& certificate_file) {
    init_xmlsec();
    xmlSecKeyPtr key = xmlSecCryptoAppKeyLoad(certificate_file.c_str(), xmlSecKeyDataFormatCertPem, nullptr, nullptr, nullptr);
    std::string result = verify_with(doc, key, certificate_file);
    if (key) xmlSecKeyDestroy(key);
    return result;
}

}  // namespace ketenhub::dtv
