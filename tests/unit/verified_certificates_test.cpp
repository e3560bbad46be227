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
