// reference/country-matrix.txt: one country per line, five TAB-separated
// fields, '#' comment lines. A malformed line stops the hub at startup, named
// by file and line, because a wrong row would send referrals to the wrong
// partner.
#include "routing/routing_rules.hpp"

#include <cctype>
#include <fstream>
#include <sstream>

namespace ketenhub::routing {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        const size_t at = s.find(sep, start);
        out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
        if (at == std::string::npos) break;
        start = at + 1;
    }
    return out;
}

}  // namespace

Result<CountryMatrix> CountryMatrix::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error::invalid("cannot open the country matrix " + path);
    CountryMatrix m;
    std::string line;
    long number = 0;
    auto fail = [&](const std::string& what) {
        return Error::invalid(path + ":" + std::to_string(number) + ": " + what);
    };
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        auto f = split(line, '\t');
        if (f.size() != 5)
            return fail("expected 5 TAB-separated fields (code, name, inKindPartner, specialists, note), found " +
                        std::to_string(f.size()));
        CountryRow row;
        row.code = f[0];
        if (row.code.size() != 2 || !std::isupper(static_cast<unsigned char>(row.code[0])) ||
            !std::isupper(static_cast<unsigned char>(row.code[1])))
            return fail("code '" + row.code + "' is not an ISO 3166-1 alpha-2 code");
        row.name = f[1];
        if (row.name.empty()) return fail("country " + row.code + " has no name");
        if (f[2] == "IOM")
            row.in_kind_partner = "iom";
        else if (f[2] == "MBT")
            row.in_kind_partner = "mbt";
        else if (f[2] != "-")
            return fail("inKindPartner '" + f[2] + "' is not IOM, MBT or -");
        if (f[3] != "-")
            for (auto& s : split(f[3], ',')) {
                if (s.empty()) return fail("empty specialist in '" + f[3] + "'");
                row.specialists.push_back(s);
            }
        row.note = f[4];
        if (m.rows_.count(row.code)) return fail("country " + row.code + " appears twice");
        m.rows_.emplace(row.code, std::move(row));
    }
    if (m.rows_.empty()) return Error::invalid(path + ": the country matrix has no rows");
    return m;
}

const CountryRow* CountryMatrix::find(const std::string& alpha2) const {
    auto it = rows_.find(alpha2);
    return it == rows_.end() ? nullptr : &it->second;
}

}  // namespace ketenhub::routing
