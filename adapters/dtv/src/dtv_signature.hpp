// The enveloped XML signature the hub puts on every document it sends to
// DT&V (contract/README.md, "Signature"), made with xmlsec (OpenSSL):
//   - ds:Signature (http://www.w3.org/2000/09/xmldsig#) as the root's last child;
//   - SignedInfo canonicalised with exclusive c14n (xml-exc-c14n#);
//   - RSA-SHA256 or ECDSA-SHA256, chosen by the type of the signing key;
//   - one ds:Reference URI="" with the transforms enveloped-signature and
//     exclusive c14n, in that order, and a SHA-256 digest;
//   - ds:KeyInfo/ds:X509Data/ds:X509Certificate with the signing certificate.
#pragma once

#include <libxml/tree.h>

#include <memory>
#include <string>

namespace ketenhub::dtv {

class Signer {
public:
    // Loads the PEM private key and the PEM certificate, and proves that they
    // belong together by signing and verifying a probe document. Throws
    // std::runtime_error naming the file that cannot be used.
    Signer(const std::string& key_file, const std::string& certificate_file);
    ~Signer();
    Signer(const Signer&) = delete;
    Signer& operator=(const Signer&) = delete;

    // Appends ds:Signature as the root's last child and signs the document
    // as it is now: serialise it afterwards without reformatting, or the
    // signature no longer matches.
    void sign(xmlDoc* doc) const;

    // verify(doc, this signer's certificate).
    std::string verify_own(xmlDoc* doc) const;

    const std::string& certificate_file() const { return certificate_file_; }

private:
    struct Key;
    std::unique_ptr<Key> key_;
    std::string certificate_file_;
    bool ecdsa_ = false;
};

// Verifies the signature of a document against a PEM certificate, as DT&V
// does with the certificate it received at onboarding (never with the one in
// ds:KeyInfo). Returns an empty string when the signature is valid, else why
// not.
std::string verify(xmlDoc* doc, const std::string& certificate_file);

}  // namespace ketenhub::dtv
