// DT&V's reporting periods (contract/README.md, "Reporting periods"):
// consecutive 28-day blocks, the first beginning on Monday 2010-01-04, each
// numbered within the calendar year in which it starts (13 a year,
// occasionally 14); periodeTot = periodeVan + 27 days.
#pragma once

#include <ketenhub/sdk/dates.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace ketenhub::dtv {

struct ReportingPeriod {
    int number = 0;    // within the year in which the period starts
    std::string from;  // YYYY-MM-DD, first day
    std::string to;    // YYYY-MM-DD, last day (from + 27)
};

inline constexpr int64_t kFirstPeriodStart = sdk::dates::days_from_civil(2010, 1, 4);

// The period that starts on `first_day` (YYYY-MM-DD); nullopt when no period
// starts on that day.
inline std::optional<ReportingPeriod> period_starting(const std::string& first_day) {
    namespace d = sdk::dates;
    auto civil = d::parse_iso_date(first_day);
    if (!civil) return std::nullopt;
    const int64_t start = d::days_from_civil(civil->year, civil->month, civil->day);
    if (start < kFirstPeriodStart || (start - kFirstPeriodStart) % 28 != 0) return std::nullopt;
    int number = 1;
    for (int64_t earlier = start - 28; earlier >= kFirstPeriodStart && d::civil_from_days(earlier).year == civil->year;
         earlier -= 28)
        ++number;
    return ReportingPeriod{number, d::format(*civil), d::format(d::civil_from_days(start + 27))};
}

}  // namespace ketenhub::dtv
