// Dates and timestamps in the partners' formats, and the Europe/Amsterdam
// calendar date that the partners' README makes the event date.
//
// Amsterdam time is computed from the EU summer-time rule (CEST from 01:00 UTC
// on the last Sunday of March to 01:00 UTC on the last Sunday of October,
// CET otherwise), in force since 1996 and covering every date the chain
// exchanges. It is computed rather than read from the system time-zone
// database so that results do not depend on the machine's tzdata.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace ketenhub::sdk::dates {

struct Civil {
    int year = 0;
    unsigned month = 0;
    unsigned day = 0;
};

// Days since 1970-01-01 (Howard Hinnant's algorithm).
constexpr int64_t days_from_civil(int y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

constexpr Civil civil_from_days(int64_t z) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t y = static_cast<int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return Civil{static_cast<int>(y + (m <= 2)), m, d};
}

constexpr bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
constexpr unsigned days_in_month(int y, unsigned m) {
    constexpr unsigned k[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : k[m - 1];
}
constexpr bool valid(const Civil& c) {
    return c.year >= 1 && c.year <= 9999 && c.month >= 1 && c.month <= 12 && c.day >= 1 &&
           c.day <= days_in_month(c.year, c.month);
}

inline std::string format(const Civil& c) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", c.year, c.month, c.day);
    return buf;
}

namespace detail {
inline bool digits(std::string_view s, size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}
inline std::optional<Civil> make(int y, int m, int d) {
    Civil c{y, static_cast<unsigned>(m), static_cast<unsigned>(d)};
    if (!valid(c)) return std::nullopt;
    return c;
}
}  // namespace detail

// "2010-11-03" (COA birth dates, IOM, DT&V).
inline std::optional<Civil> parse_iso_date(std::string_view s) {
    int y, m, d;
    if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !detail::digits(s, 0, 4, y) ||
        !detail::digits(s, 5, 2, m) || !detail::digits(s, 8, 2, d))
        return std::nullopt;
    return detail::make(y, m, d);
}

// "03-11-2010" (VWN dd-mm-jjjj).
inline std::optional<Civil> parse_dutch_date(std::string_view s) {
    int y, m, d;
    if (s.size() != 10 || s[2] != '-' || s[5] != '-' || !detail::digits(s, 0, 2, d) ||
        !detail::digits(s, 3, 2, m) || !detail::digits(s, 6, 4, y))
        return std::nullopt;
    return detail::make(y, m, d);
}

// "20101103" (MbT yyyymmdd).
inline std::optional<Civil> parse_compact_date(std::string_view s) {
    int y, m, d;
    if (s.size() != 8 || !detail::digits(s, 0, 4, y) || !detail::digits(s, 4, 2, m) || !detail::digits(s, 6, 2, d))
        return std::nullopt;
    return detail::make(y, m, d);
}

// Seconds since the epoch (UTC) of an RFC 3339 / xs:dateTime value with a
// zone: "2010-06-14T10:22:00+02:00", "2010-07-18T23:30:00Z", optional
// fraction. A value without a zone is refused: its instant is unknown.
inline std::optional<int64_t> parse_timestamp(std::string_view s) {
    int y, mo, d, h, mi, se;
    if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        !detail::digits(s, 0, 4, y) || !detail::digits(s, 5, 2, mo) || !detail::digits(s, 8, 2, d) ||
        !detail::digits(s, 11, 2, h) || !detail::digits(s, 14, 2, mi) || !detail::digits(s, 17, 2, se))
        return std::nullopt;
    auto date = detail::make(y, mo, d);
    if (!date || h > 23 || mi > 59 || se > 59) return std::nullopt;
    size_t i = 19;
    if (i < s.size() && s[i] == '.') {
        ++i;
        size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        if (i == start) return std::nullopt;
    }
    int offset_minutes = 0;
    if (i < s.size() && s[i] == 'Z' && i + 1 == s.size()) {
        offset_minutes = 0;
    } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if (!detail::digits(s, i + 1, 2, oh) || !detail::digits(s, i + 4, 2, om) || oh > 14 || om > 59)
            return std::nullopt;
        offset_minutes = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
    } else {
        return std::nullopt;
    }
    return days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 +
           se - static_cast<int64_t>(offset_minutes) * 60;
}

// Last Sunday of a month, as days since the epoch.
constexpr int64_t last_sunday(int year, unsigned month) {
    int64_t last = days_from_civil(year, month, days_in_month(year, month));
    int64_t weekday = (last + 4) % 7;  // 1970-01-01 was a Thursday (4); 0 = Sunday
    if (weekday < 0) weekday += 7;
    return last - weekday;
}

// UTC offset of Europe/Amsterdam at an instant, in seconds (3600 or 7200).
constexpr int amsterdam_offset(int64_t utc_seconds) {
    int64_t days = utc_seconds >= 0 ? utc_seconds / 86400 : (utc_seconds - 86399) / 86400;
    int year = civil_from_days(days).year;
    int64_t summer_start = last_sunday(year, 3) * 86400 + 3600;
    int64_t summer_end = last_sunday(year, 10) * 86400 + 3600;
    return utc_seconds >= summer_start && utc_seconds < summer_end ? 7200 : 3600;
}

inline int64_t floor_days(int64_t seconds) { return seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400; }

// The calendar date in Amsterdam at an instant: 2010-07-18T23:30:00Z -> 2010-07-19.
inline std::string amsterdam_date(int64_t utc_seconds) {
    return format(civil_from_days(floor_days(utc_seconds + amsterdam_offset(utc_seconds))));
}

inline std::optional<std::string> amsterdam_date_of(std::string_view timestamp) {
    auto t = parse_timestamp(timestamp);
    if (!t) return std::nullopt;
    return amsterdam_date(*t);
}

// "2010-07-20T00:00:00+02:00": an instant written as Amsterdam local time
// with its numeric offset, as COA expects.
inline std::string amsterdam_timestamp(int64_t utc_seconds) {
    int offset = amsterdam_offset(utc_seconds);
    int64_t local = utc_seconds + offset;
    Civil c = civil_from_days(floor_days(local));
    int64_t sod = local - floor_days(local) * 86400;
    char buf[96];  // room for any int the format could be given, so no truncation to reason about
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d+%02d:00", c.year, c.month, c.day,
                  static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60),
                  offset / 3600);
    return buf;
}

// Midnight Amsterdam time at the start of a calendar date, as a UTC instant.
inline int64_t amsterdam_midnight(const Civil& c) {
    int64_t local = days_from_civil(c.year, c.month, c.day) * 86400;
    // The offset at local midnight is the one in force an hour either side:
    // transitions happen at 01:00 UTC, never at local midnight.
    return local - amsterdam_offset(local - 3600);
}

// "2010-07-18T21:30:00Z"
inline std::string utc_timestamp(int64_t utc_seconds) {
    Civil c = civil_from_days(floor_days(utc_seconds));
    int64_t sod = utc_seconds - floor_days(utc_seconds) * 86400;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", c.year, c.month, c.day,
                  static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60));
    return buf;
}

}  // namespace ketenhub::sdk::dates
