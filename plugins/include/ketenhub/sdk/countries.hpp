// Country coding: one canonical code per country (ISO 3166-1 alpha-2, "XK"
// for Kosovo) from the partners' alpha-2 codes, alpha-3 codes, Dutch names and
// English names.
//
// Names come only from the partners' agreed crosswalk (country-names.txt);
// a name that is not in it is an error, never a guess. Codes are checked
// against ISO 3166-1 as Debian's iso-codes package ships it, plus XK/XKX.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace ketenhub::sdk {

class CountryCatalog {
public:
    // crosswalk: reference/country-names.txt; iso3166_json: Debian's
    // /usr/share/iso-codes/json/iso_3166-1.json. Throws std::runtime_error
    // naming the file and line of anything it cannot read.
    static CountryCatalog load(const std::string& crosswalk, const std::string& iso3166_json) {
        CountryCatalog c;
        c.load_iso(iso3166_json);
        c.load_crosswalk(crosswalk);
        return c;
    }

    bool is_alpha2(const std::string& code) const { return alpha2_.count(code) > 0; }
    std::optional<std::string> from_alpha2(const std::string& code) const {
        if (alpha2_.count(code)) return code;
        return std::nullopt;
    }
    std::optional<std::string> from_alpha3(const std::string& code) const { return find(alpha3_, code); }
    std::optional<std::string> from_english(const std::string& name) const { return find(english_, trim(name)); }
    std::optional<std::string> from_dutch(const std::string& name) const { return find(dutch_, trim(name)); }

    std::optional<std::string> english_name(const std::string& alpha2) const { return find(english_by_code_, alpha2); }
    std::optional<std::string> dutch_name(const std::string& alpha2) const { return find(dutch_by_code_, alpha2); }
    std::optional<std::string> alpha3_of(const std::string& alpha2) const { return find(alpha3_by_code_, alpha2); }

private:
    using Map = std::unordered_map<std::string, std::string>;
    static std::optional<std::string> find(const Map& m, const std::string& key) {
        auto it = m.find(key);
        if (it == m.end()) return std::nullopt;
        return it->second;
    }
    static std::string trim(const std::string& s) {
        size_t b = s.find_first_not_of(" \t\r\n");
        if (b == std::string::npos) return {};
        size_t e = s.find_last_not_of(" \t\r\n");
        return s.substr(b, e - b + 1);
    }

    void load_iso(const std::string& path) {
        std::ifstream in(path);
        if (!in) throw std::runtime_error(path + ": cannot open ISO 3166-1 data (Debian package iso-codes)");
        nlohmann::json j;
        try {
            in >> j;
        } catch (const std::exception& e) {
            throw std::runtime_error(path + ": not valid JSON: " + e.what());
        }
        for (const auto& entry : j.at("3166-1")) {
            std::string a2 = entry.at("alpha_2").get<std::string>();
            std::string a3 = entry.at("alpha_3").get<std::string>();
            alpha2_.insert(a2);
            alpha3_[a3] = a2;
            alpha3_by_code_[a2] = a3;
        }
        alpha2_.insert("XK");
        alpha3_["XKX"] = "XK";
        alpha3_by_code_["XK"] = "XKX";
    }

    void load_crosswalk(const std::string& path) {
        std::ifstream in(path);
        if (!in) throw std::runtime_error(path + ": cannot open the country crosswalk");
        std::string line;
        long number = 0;
        while (std::getline(in, line)) {
            ++number;
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty() || line[0] == '#') continue;
            std::vector<std::string> f;
            std::stringstream ss(line);
            for (std::string part; std::getline(ss, part, '\t');) f.push_back(part);
            if (f.size() != 4)
                throw std::runtime_error(path + ":" + std::to_string(number) + ": expected 4 TAB-separated fields, found " +
                                         std::to_string(f.size()));
            const std::string& a2 = f[0];
            if (!alpha2_.count(a2))
                throw std::runtime_error(path + ":" + std::to_string(number) + ": '" + a2 + "' is not an ISO 3166-1 alpha-2 code");
            if (alpha3_.count(f[1]) && alpha3_.at(f[1]) != a2)
                throw std::runtime_error(path + ":" + std::to_string(number) + ": alpha-3 '" + f[1] + "' does not belong to " + a2);
            alpha3_[f[1]] = a2;
            english_[trim(f[2])] = a2;
            dutch_[trim(f[3])] = a2;
            english_by_code_[a2] = trim(f[2]);
            dutch_by_code_[a2] = trim(f[3]);
        }
    }

    std::unordered_set<std::string> alpha2_;
    Map alpha3_, english_, dutch_, english_by_code_, dutch_by_code_, alpha3_by_code_;
};

}  // namespace ketenhub::sdk
