// The SDK's date and country helpers that every adapter relies on.
#include "adapter_harness.hpp"

#include <ketenhub/sdk/countries.hpp>
#include <ketenhub/sdk/dates.hpp>

#include <gtest/gtest.h>

using namespace ketenhub::sdk;

namespace {

TEST(Dates, TimestampsBecomeAmsterdamCalendarDates) {
    // The partners' README example: late UTC evening is the next Dutch day.
    EXPECT_EQ(dates::amsterdam_date_of("2010-07-18T23:30:00Z"), "2010-07-19");
    EXPECT_EQ(dates::amsterdam_date_of("2010-07-18T21:30:00Z"), "2010-07-18");  // 23:30 CEST
    EXPECT_EQ(dates::amsterdam_date_of("2010-11-22T23:30:00Z"), "2010-11-23");  // 00:30 CET
    EXPECT_EQ(dates::amsterdam_date_of("2010-11-22T22:59:59Z"), "2010-11-22");
    EXPECT_EQ(dates::amsterdam_date_of("2010-06-14T10:22:00+02:00"), "2010-06-14");
    EXPECT_EQ(dates::amsterdam_date_of("2010-06-14T23:30:00-05:00"), "2010-06-15");
}

TEST(Dates, SummerTimeStartsAndEndsOnTheEuRule) {
    // 2010: CEST from 28 March 01:00 UTC to 31 October 01:00 UTC.
    auto at = [](const char* ts) { return dates::amsterdam_offset(*dates::parse_timestamp(ts)); };
    EXPECT_EQ(at("2010-03-28T00:59:59Z"), 3600);
    EXPECT_EQ(at("2010-03-28T01:00:00Z"), 7200);
    EXPECT_EQ(at("2010-10-31T00:59:59Z"), 7200);
    EXPECT_EQ(at("2010-10-31T01:00:00Z"), 3600);
    EXPECT_EQ(dates::amsterdam_timestamp(dates::amsterdam_midnight(*dates::parse_iso_date("2010-07-20"))),
              "2010-07-20T00:00:00+02:00");
    EXPECT_EQ(dates::amsterdam_timestamp(dates::amsterdam_midnight(*dates::parse_iso_date("2010-12-01"))),
              "2010-12-01T00:00:00+01:00");
}

TEST(Dates, TimestampsWithoutZoneOrWithNonsenseAreRefused) {
    EXPECT_FALSE(dates::parse_timestamp("2010-09-06T10:58:00"));
    EXPECT_FALSE(dates::parse_timestamp("2010-02-30T10:58:00Z"));
    EXPECT_FALSE(dates::parse_timestamp("2010-09-06T25:58:00Z"));
    EXPECT_TRUE(dates::parse_timestamp("2010-09-06T10:58:00.123+02:00"));
}

TEST(Dates, PartnerDateFormats) {
    EXPECT_EQ(dates::format(*dates::parse_dutch_date("03-11-2010")), "2010-11-03");
    EXPECT_EQ(dates::format(*dates::parse_compact_date("20101103")), "2010-11-03");
    EXPECT_FALSE(dates::parse_dutch_date("2010-11-03"));
    EXPECT_FALSE(dates::parse_compact_date("2010-11-03"));
    EXPECT_FALSE(dates::parse_compact_date("20100229"));  // 2010 is no leap year
    EXPECT_TRUE(dates::parse_compact_date("20120229"));
}

class Countries : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        catalog_ = new CountryCatalog(CountryCatalog::load(ketenhub::testing::source_dir() + "/config/reference/country-names.txt",
                                                           KETENHUB_ISO3166_JSON));
    }
    static void TearDownTestSuite() { delete catalog_; }
    static CountryCatalog* catalog_;
};
CountryCatalog* Countries::catalog_ = nullptr;

TEST_F(Countries, EveryPartnerCodingMapsToOneAlpha2Code) {
    EXPECT_EQ(catalog_->from_dutch("Somalië"), "SO");
    EXPECT_EQ(catalog_->from_dutch("Macedonië"), "MK");
    EXPECT_EQ(catalog_->from_english("Macedonia"), "MK");
    EXPECT_EQ(catalog_->from_english("Democratic Republic of the Congo"), "CD");
    EXPECT_EQ(catalog_->from_alpha3("XKX"), "XK");
    EXPECT_EQ(catalog_->from_alpha3("GEO"), "GE");
    EXPECT_TRUE(catalog_->is_alpha2("XK"));
    EXPECT_TRUE(catalog_->is_alpha2("SS"));
}

TEST_F(Countries, NamesOutsideTheCrosswalkAreNotGuessed) {
    EXPECT_FALSE(catalog_->from_english("North Macedonia"));
    EXPECT_FALSE(catalog_->from_dutch("Somalie"));
    EXPECT_FALSE(catalog_->from_english("macedonia"));  // matched case-sensitively
    EXPECT_FALSE(catalog_->is_alpha2("ZZ"));
    EXPECT_FALSE(catalog_->from_alpha3("ZZZ"));
}

TEST_F(Countries, ABrokenCrosswalkLineIsNamed) {
    const std::string path = ::testing::TempDir() + "/broken-crosswalk.txt";
    ketenhub::testing::write_file(path, "# header\nAF\tAFG\tAfghanistan\n");
    try {
        CountryCatalog::load(path, KETENHUB_ISO3166_JSON);
        FAIL() << "a line with three fields was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("broken-crosswalk.txt:2"), std::string::npos) << e.what();
    }
}

}  // namespace
