#include "net/verified_certificates.hpp"

namespace ketenhub::net {

bool VerifiedCertificates::contains(std::string_view chain_der, std::time_t now) const {
    std::lock_guard lock(mutex_);
    auto it = chains_.find(chain_der);
    return it != chains_.end() && it->second.not_before <= now && now <= it->second.not_after;
}

void VerifiedCertificates::remember(std::string chain_der, std::time_t not_before, std::time_t not_after) {
    if (chain_der.empty() || not_after < not_before || capacity_ == 0) return;
    std::lock_guard lock(mutex_);
    if (chains_.size() >= capacity_ && !chains_.contains(chain_der)) chains_.clear();
    chains_.insert_or_assign(std::move(chain_der), Validity{not_before, not_after});
}

size_t VerifiedCertificates::size() const {
    std::lock_guard lock(mutex_);
    return chains_.size();
}

}  // namespace ketenhub::net
